/* SPDX-License-Identifier: MIT */
#include "ui-api/auth/oidc_jwks.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/lib/base64.h"

/* base64url member name of obj into out[size]; -1 when absent or malformed. */
static int jwk_bytes(json_t *obj, const char *name, unsigned char *out, size_t size, size_t *n_r)
{
	const char *text = json_string_value(json_object_get(obj, name));

	if (text == NULL)
		return -1;
	return base64_decode(BASE64_URL, text, strlen(text), out, size, n_r);
}

/* Whether the key is one we verify RS256 signatures with. */
static bool jwk_wanted(json_t *jwk)
{
	const char *kty = json_string_value(json_object_get(jwk, "kty"));
	json_t *use = json_object_get(jwk, "use"), *alg = json_object_get(jwk, "alg");

	if (kty == NULL || strcmp(kty, "RSA") != 0)
		return false;
	if (use != NULL && !(json_is_string(use) && strcmp(json_string_value(use), "sig") == 0))
		return false;
	if (alg != NULL && !(json_is_string(alg) && strcmp(json_string_value(alg), "RS256") == 0))
		return false;
	return true;
}

static int jwk_import(json_t *jwk, struct oidc_key *key, struct error *err)
{
	unsigned char n[OIDC_RSA_BITS_MAX / 8 + 1], e[8];
	size_t nlen, elen;
	gnutls_datum_t dn, de;
	json_t *kid = json_object_get(jwk, "kid");

	if (kid != NULL) {
		if (!json_is_string(kid) || json_string_length(kid) == 0 ||
		    json_string_length(kid) > OIDC_KID_MAX) {
			error_set(err, "%s",
				  "JWKS: a key's kid is not a string of 1-128 characters");
			return -1;
		}
		memcpy(key->kid, json_string_value(kid), json_string_length(kid) + 1);
		key->has_kid = true;
	}
	if (jwk_bytes(jwk, "n", n, sizeof(n), &nlen) < 0 || nlen == 0) {
		error_set(
			err, "%s",
			"JWKS: an RSA key's modulus n is missing, not base64url or over 8192 bits");
		return -1;
	}
	if (jwk_bytes(jwk, "e", e, sizeof(e), &elen) < 0 || elen == 0) {
		error_set(err, "%s", "JWKS: an RSA key's exponent e is missing or not base64url");
		return -1;
	}
	dn.data = n;
	dn.size = (unsigned int)nlen;
	de.data = e;
	de.size = (unsigned int)elen;
	if (gnutls_pubkey_init(&key->pub) < 0) {
		error_set(err, "%s", "JWKS: out of memory");
		return -1;
	}
	if (gnutls_pubkey_import_rsa_raw(key->pub, &dn, &de) < 0 ||
	    gnutls_pubkey_get_pk_algorithm(key->pub, &key->bits) != GNUTLS_PK_RSA) {
		error_set(err, "%s", "JWKS: an RSA key that gnutls cannot import");
		return -1;
	}
	key->weak = key->bits < OIDC_RSA_BITS_MIN;
	return 0;
}

int oidc_jwks_parse(const char *json, size_t len, struct oidc_jwks **jwks_r, struct error *err)
{
	struct oidc_jwks *jwks = NULL;
	json_t *root = NULL, *keys, *jwk;
	json_error_t jerr;
	size_t i, j;
	int ret = -1;

	*jwks_r = NULL;
	if (len > OIDC_JWKS_MAX) {
		error_set(err, "%s", "JWKS: larger than 64 KiB");
		goto out;
	}
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	keys = json_object_get(root, "keys");
	if (!json_is_object(root) || !json_is_array(keys)) {
		error_set(err, "%s", "JWKS: not a JSON object with a \"keys\" array");
		goto out;
	}
	if (json_array_size(keys) > OIDC_JWKS_KEYS_MAX) {
		error_set(err, "%s", "JWKS: more than 32 keys");
		goto out;
	}
	jwks = calloc(1, sizeof(*jwks));
	if (jwks == NULL) {
		error_set(err, "%s", "JWKS: out of memory");
		goto out;
	}
	json_array_foreach(keys, i, jwk)
	{
		if (!json_is_object(jwk)) {
			error_set(err, "%s", "JWKS: a key is not a JSON object");
			goto out;
		}
		if (!jwk_wanted(jwk))
			continue;
		/* counted before the import, so a failed one is freed with the rest */
		if (jwk_import(jwk, &jwks->keys[jwks->count++], err) < 0)
			goto out;
	}
	for (i = 0; i < jwks->count; i++) {
		for (j = i + 1; j < jwks->count; j++) {
			if (jwks->keys[i].has_kid && jwks->keys[j].has_kid &&
			    strcmp(jwks->keys[i].kid, jwks->keys[j].kid) == 0) {
				error_set(err, "%s", "JWKS: two signing keys share one kid");
				goto out;
			}
		}
	}
	*jwks_r = jwks;
	jwks = NULL;
	ret = 0;
out:
	oidc_jwks_free(&jwks);
	json_decref(root);
	return ret;
}

const struct oidc_key *oidc_jwks_find(const struct oidc_jwks *jwks, const char *kid)
{
	size_t i;

	if (kid == NULL)
		return jwks->count == 1 ? &jwks->keys[0] : NULL;
	for (i = 0; i < jwks->count; i++) {
		if (jwks->keys[i].has_kid && strcmp(jwks->keys[i].kid, kid) == 0)
			return &jwks->keys[i];
	}
	/* a provider whose one key has no kid may still name one in its tokens */
	return jwks->count == 1 && !jwks->keys[0].has_kid ? &jwks->keys[0] : NULL;
}

void oidc_jwks_free(struct oidc_jwks **jwks)
{
	size_t i;

	if (*jwks == NULL)
		return;
	for (i = 0; i < (*jwks)->count; i++) {
		if ((*jwks)->keys[i].pub != NULL)
			gnutls_pubkey_deinit((*jwks)->keys[i].pub);
	}
	free(*jwks);
	*jwks = NULL;
}
