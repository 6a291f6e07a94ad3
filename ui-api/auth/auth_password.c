/* SPDX-License-Identifier: MIT */
#include "ui-api/auth/auth_password.h"

#include <argon2.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "daemon/lib/base64.h"
#include "ui-api/auth/auth_random.h"

const struct auth_password_params auth_password_defaults = {
	.memory_kib = AUTH_PASSWORD_MEMORY_KIB,
	.iterations = AUTH_PASSWORD_ITERATIONS,
	.lanes = AUTH_PASSWORD_LANES,
};

static const char phc_prefix[] = "$argon2id$v=19$";

/* RFC 9106 3.1: m >= 8p KiB; our upper bounds keep one verify affordable. */
static int params_check(const struct auth_password_params *p, struct error *err)
{
	if (p->lanes < 1 || p->lanes > AUTH_PASSWORD_LANES_MAX) {
		error_set(err, "%s", "argon2id parallelism out of range (1-16)");
		return -1;
	}
	if (p->iterations < 1 || p->iterations > AUTH_PASSWORD_ITERATIONS_MAX) {
		error_set(err, "%s", "argon2id iterations out of range (1-64)");
		return -1;
	}
	if (p->memory_kib < 8 * p->lanes || p->memory_kib > AUTH_PASSWORD_MEMORY_KIB_MAX) {
		error_set(err, "%s", "argon2id memory out of range (8 KiB per lane to 1 GiB)");
		return -1;
	}
	return 0;
}

/* Raw Argon2id of password with salt and params into out[out_len]. */
static int argon2id_raw(const struct auth_password_params *p, const char *password,
			const unsigned char *salt, size_t salt_len, unsigned char *out,
			size_t out_len, struct error *err)
{
	int r = argon2id_hash_raw(p->iterations, p->memory_kib, p->lanes, password,
				  strlen(password), salt, salt_len, out, out_len);

	if (r != ARGON2_OK) {
		error_set(err, "%s",
			  r == ARGON2_MEMORY_ALLOCATION_ERROR ? "argon2id: out of memory"
							      : "argon2id failed");
		return -1;
	}
	return 0;
}

int auth_password_hash(const struct auth_password_params *params, const char *password,
		       char *encoded_r, size_t size, struct error *err)
{
	const struct auth_password_params *p = params != NULL ? params : &auth_password_defaults;
	unsigned char salt[AUTH_PASSWORD_SALT_LEN], hash[AUTH_PASSWORD_HASH_LEN];
	char salt64[32], hash64[48];
	size_t plen = strlen(password);
	int n, ret = -1;

	if (size > 0)
		encoded_r[0] = '\0';
	if (plen == 0) {
		error_set(err, "%s", "empty password");
		goto out;
	}
	if (plen > AUTH_PASSWORD_MAX) {
		error_set(err, "%s", "password longer than 1024 bytes");
		goto out;
	}
	if (params_check(p, err) < 0)
		goto out;
	if (auth_random(salt, sizeof(salt)) < 0) {
		error_set(err, "%s", "no random bytes for the salt");
		goto out;
	}
	if (argon2id_raw(p, password, salt, sizeof(salt), hash, sizeof(hash), err) < 0)
		goto out;
	if (base64_encode(BASE64_STD, salt, sizeof(salt), salt64, sizeof(salt64)) < 0 ||
	    base64_encode(BASE64_STD, hash, sizeof(hash), hash64, sizeof(hash64)) < 0) {
		error_set(err, "%s", "argon2id: encoding failed");
		goto out;
	}
	n = snprintf(encoded_r, size, "%sm=%u,t=%u,p=%u$%s$%s", phc_prefix, p->memory_kib,
		     p->iterations, p->lanes, salt64, hash64);
	if (n < 0 || (size_t)n >= size) {
		if (size > 0)
			encoded_r[0] = '\0';
		error_set(err, "%s", "argon2id: no room for the encoded hash");
		goto out;
	}
	ret = 0;
out:
	explicit_bzero(hash, sizeof(hash));
	return ret;
}

/* "name=<decimal>" at *s with no leading zero, value in [1, UINT32_MAX];
 * advances *s past it. */
static int phc_number(const char **s, const char *name, uint32_t *v_r)
{
	size_t nl = strlen(name);
	const char *p = *s;
	uint64_t v = 0;

	if (strncmp(p, name, nl) != 0 || p[nl] != '=')
		return -1;
	p += nl + 1;
	if (*p < '1' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > UINT32_MAX)
			return -1;
		p++;
	}
	*v_r = (uint32_t)v;
	*s = p;
	return 0;
}

/* A base64 field up to the next '$' (or the end when last) into out[size]. */
static int phc_b64(const char **s, bool last, unsigned char *out, size_t size, size_t *n_r)
{
	const char *end = last ? *s + strlen(*s) : strchr(*s, '$');

	if (end == NULL || base64_decode(BASE64_STD, *s, (size_t)(end - *s), out, size, n_r) < 0)
		return -1;
	*s = last ? end : end + 1;
	return 0;
}

int auth_password_parse(const char *encoded, struct auth_password_phc *phc_r, struct error *err)
{
	const char *s = encoded;

	memset(phc_r, 0, sizeof(*phc_r));
	if (strlen(encoded) >= AUTH_PASSWORD_ENCODED_MAX) {
		error_set(err, "%s", "password hash string too long");
		return -1;
	}
	if (strncmp(s, "$argon2id$", 10) != 0) {
		error_set(err, "%s", "not an argon2id hash");
		return -1;
	}
	s += 10;
	if (phc_number(&s, "v", &phc_r->version) < 0 || *s++ != '$' || phc_r->version != 0x13) {
		error_set(err, "%s", "argon2id hash of another version than 19");
		return -1;
	}
	if (phc_number(&s, "m", &phc_r->params.memory_kib) < 0 || *s++ != ',' ||
	    phc_number(&s, "t", &phc_r->params.iterations) < 0 || *s++ != ',' ||
	    phc_number(&s, "p", &phc_r->params.lanes) < 0 || *s++ != '$') {
		error_set(err, "%s", "argon2id hash: malformed parameters (m=,t=,p=)");
		return -1;
	}
	if (params_check(&phc_r->params, err) < 0)
		return -1;
	if (phc_b64(&s, false, phc_r->salt, sizeof(phc_r->salt), &phc_r->salt_len) < 0 ||
	    phc_r->salt_len < 8) {
		error_set(err, "%s", "argon2id hash: malformed salt (8-64 bytes of base64)");
		return -1;
	}
	if (phc_b64(&s, true, phc_r->hash, sizeof(phc_r->hash), &phc_r->hash_len) < 0 ||
	    phc_r->hash_len < 16) {
		error_set(err, "%s", "argon2id hash: malformed hash (16-64 bytes of base64)");
		return -1;
	}
	return 0;
}

int auth_password_verify(const char *encoded, const char *password, struct error *err)
{
	struct auth_password_phc phc;
	unsigned char hash[sizeof(phc.hash)];
	size_t plen = strlen(password);
	int ret = -1;

	if (auth_password_parse(encoded, &phc, err) < 0)
		goto out;
	/* Refused without hashing: an empty password is never set, and a huge one
	 * would only cost us time. Neither says anything about the account. */
	if (plen == 0 || plen > AUTH_PASSWORD_MAX) {
		ret = 0;
		goto out;
	}
	if (argon2id_raw(&phc.params, password, phc.salt, phc.salt_len, hash, phc.hash_len, err) <
	    0)
		goto out;
	ret = auth_ct_equal(hash, phc.hash, phc.hash_len) ? 1 : 0;
out:
	explicit_bzero(hash, sizeof(hash));
	explicit_bzero(&phc, sizeof(phc));
	return ret;
}

void auth_password_verify_dummy(const char *password)
{
	static const unsigned char salt[AUTH_PASSWORD_SALT_LEN] = "draftd-no-user";
	unsigned char hash[AUTH_PASSWORD_HASH_LEN];

	/* the outcome is thrown away: only the time spent matters */
	(void)argon2id_raw(&auth_password_defaults,
			   strlen(password) <= AUTH_PASSWORD_MAX ? password : "", salt,
			   sizeof(salt), hash, sizeof(hash), NULL);
	explicit_bzero(hash, sizeof(hash));
}

int auth_password_needs_rehash(const char *encoded, const struct auth_password_params *want,
			       struct error *err)
{
	const struct auth_password_params *w = want != NULL ? want : &auth_password_defaults;
	struct auth_password_phc phc;

	if (auth_password_parse(encoded, &phc, err) < 0)
		return -1;
	return phc.params.memory_kib != w->memory_kib || phc.params.iterations != w->iterations ||
			       phc.params.lanes != w->lanes ||
			       phc.salt_len != AUTH_PASSWORD_SALT_LEN ||
			       phc.hash_len != AUTH_PASSWORD_HASH_LEN
		       ? 1
		       : 0;
}
