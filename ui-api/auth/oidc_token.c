/* SPDX-License-Identifier: MIT */
#include "ui-api/auth/oidc_token.h"

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/lib/base64.h"
#include "ui-api/auth/auth_random.h"

#define HEADER_MAX    2048 /* decoded bytes */
#define CLAIMS_MAX    8192
#define SIGNATURE_MAX (OIDC_RSA_BITS_MAX / 8)
#define AUD_MAX       16
/* no sensible time is past 2^53 s (JSON numbers lose integers beyond it) */
#define TIME_MAX (INT64_C(1) << 53)

const char oidc_error_unknown_kid[] = "ID token: its kid is not among the provider's keys";

/* The three dot-separated parts of a compact JWS. */
struct jws {
	const char *part[3];
	size_t len[3];
};

static int jws_split(const char *token, struct jws *jws, struct error *err)
{
	const char *p = token, *dot;
	int i;

	if (strlen(token) > OIDC_TOKEN_MAX) {
		error_set(err, "%s", "ID token: longer than 16 KiB");
		return -1;
	}
	for (i = 0; i < 3; i++) {
		dot = strchr(p, '.');
		if ((i < 2) != (dot != NULL)) {
			error_set(err, "%s",
				  "ID token: not three dot-separated parts (a JWE or garbage)");
			return -1;
		}
		jws->part[i] = p;
		jws->len[i] = i < 2 ? (size_t)(dot - p) : strlen(p);
		p = dot != NULL ? dot + 1 : p;
	}
	return 0;
}

/* A base64url part decoded and parsed as one JSON object (*obj_r). */
static int jws_object(const struct jws *jws, int i, size_t max, json_t **obj_r)
{
	unsigned char *raw = malloc(max);
	json_error_t jerr;
	size_t n;
	int ret = -1;

	*obj_r = NULL;
	if (raw == NULL)
		goto out;
	if (base64_decode(BASE64_URL, jws->part[i], jws->len[i], raw, max, &n) < 0)
		goto out;
	*obj_r = json_loadb((const char *)raw, n, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(*obj_r)) {
		json_decref(*obj_r);
		*obj_r = NULL;
		goto out;
	}
	ret = 0;
out:
	free(raw);
	return ret;
}

/* alg, crit and kid of the protected header. */
static int header_check(json_t *header, const char **kid_r, struct error *err)
{
	const char *alg = json_string_value(json_object_get(header, "alg"));
	json_t *kid = json_object_get(header, "kid");

	if (alg == NULL) {
		error_set(err, "%s", "ID token: header has no alg");
		return -1;
	}
	if (strcasecmp(alg, "none") == 0) {
		error_set(err, "%s", "ID token: alg none refused (an unsigned token)");
		return -1;
	}
	if (strncmp(alg, "HS", 2) == 0) {
		error_set(
			err, "%s",
			"ID token: alg HS* refused (an HMAC anyone with the public key can make)");
		return -1;
	}
	if (strcmp(alg, "RS256") != 0) {
		error_set(err, "%s", "ID token: alg other than RS256 refused");
		return -1;
	}
	if (json_object_get(header, "crit") != NULL) {
		error_set(err, "%s",
			  "ID token: crit header refused (extensions we do not implement)");
		return -1;
	}
	*kid_r = NULL;
	if (kid != NULL) {
		if (!json_is_string(kid) || json_string_length(kid) == 0 ||
		    json_string_length(kid) > OIDC_KID_MAX) {
			error_set(err, "%s", "ID token: kid is not a string of 1-128 characters");
			return -1;
		}
		*kid_r = json_string_value(kid);
	}
	return 0;
}

/* RSASSA-PKCS1-v1_5 SHA-256 over "header.claims" (the text as sent). */
static int signature_check(const struct oidc_key *key, const struct jws *jws, struct error *err)
{
	unsigned char sig[SIGNATURE_MAX];
	gnutls_datum_t data, sd;
	size_t n;

	if (base64_decode(BASE64_URL, jws->part[2], jws->len[2], sig, sizeof(sig), &n) < 0 ||
	    n == 0) {
		error_set(err, "%s", "ID token: signature missing or not base64url");
		return -1;
	}
	data.data = (unsigned char *)jws->part[0];
	data.size = (unsigned int)(jws->len[0] + 1 + jws->len[1]);
	sd.data = sig;
	sd.size = (unsigned int)n;
	if (gnutls_pubkey_verify_data2(key->pub, GNUTLS_SIGN_RSA_SHA256, 0, &data, &sd) < 0) {
		error_set(err, "%s", "ID token: bad signature");
		return -1;
	}
	return 0;
}

/* A NumericDate claim into *v_r; 0 when absent and not required. */
static int claim_time(json_t *claims, const char *name, bool required, int64_t *v_r,
		      struct error *err, const char *error)
{
	json_t *v = json_object_get(claims, name);
	double d;

	*v_r = 0;
	if (v == NULL && !required)
		return 0;
	if (json_is_integer(v)) {
		*v_r = (int64_t)json_integer_value(v);
	} else if (json_is_real(v)) {
		d = json_real_value(v);
		if (!(d >= 0 && d < (double)TIME_MAX)) {
			error_set(err, "%s", error);
			return -1;
		}
		*v_r = (int64_t)d;
	} else {
		error_set(err, "%s", error);
		return -1;
	}
	if (*v_r < 0 || *v_r >= TIME_MAX) {
		error_set(err, "%s", error);
		return -1;
	}
	return 0;
}

/* An optional string claim copied into out[size]; too long or not a string refuses. */
static int claim_string(json_t *claims, const char *name, char *out, size_t size, struct error *err,
			const char *error)
{
	json_t *v = json_object_get(claims, name);

	out[0] = '\0';
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) || json_string_length(v) >= size) {
		error_set(err, "%s", error);
		return -1;
	}
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int audience_check(json_t *claims, const struct oidc_expect *expect, struct error *err)
{
	json_t *aud = json_object_get(claims, "aud"), *v;
	json_t *azp = json_object_get(claims, "azp");
	bool found = false;
	size_t i, count = 1;

	if (json_is_string(aud)) {
		found = strcmp(json_string_value(aud), expect->client_id) == 0;
	} else if (json_is_array(aud) && json_array_size(aud) > 0 &&
		   json_array_size(aud) <= AUD_MAX) {
		count = json_array_size(aud);
		json_array_foreach(aud, i, v)
		{
			if (!json_is_string(v)) {
				error_set(err, "%s",
					  "ID token: aud holds something other than strings");
				return -1;
			}
			found |= strcmp(json_string_value(v), expect->client_id) == 0;
		}
	} else {
		error_set(err, "%s",
			  "ID token: aud missing or not a string or array of 1-16 strings");
		return -1;
	}
	if (!found) {
		error_set(err, "%s", "ID token: wrong audience (aud does not name this client)");
		return -1;
	}
	if (azp != NULL &&
	    !(json_is_string(azp) && strcmp(json_string_value(azp), expect->client_id) == 0)) {
		error_set(err, "%s", "ID token: azp names another client");
		return -1;
	}
	if (azp == NULL && count > 1) {
		error_set(err, "%s", "ID token: several audiences and no azp");
		return -1;
	}
	return 0;
}

static int times_check(json_t *claims, const struct oidc_expect *expect, struct oidc_identity *id,
		       struct error *err)
{
	int64_t skew = expect->skew_s, nbf;

	if (claim_time(claims, "exp", true, &id->exp, err, "ID token: exp missing or not a time") <
		    0 ||
	    claim_time(claims, "iat", true, &id->iat, err, "ID token: iat missing or not a time") <
		    0 ||
	    claim_time(claims, "nbf", false, &nbf, err, "ID token: nbf is not a time") < 0 ||
	    claim_time(claims, "auth_time", false, &id->auth_time, err,
		       "ID token: auth_time is not a time") < 0)
		return -1;
	if (expect->now >= id->exp + skew) {
		error_set(err, "%s", "ID token: expired");
		return -1;
	}
	if (id->iat > expect->now + skew) {
		error_set(err, "%s", "ID token: issued in the future (iat)");
		return -1;
	}
	if (json_object_get(claims, "nbf") != NULL && nbf > expect->now + skew) {
		error_set(err, "%s", "ID token: not valid yet (nbf)");
		return -1;
	}
	return 0;
}

static int roles_copy(json_t *claims, const char *role_claim, struct oidc_identity *id,
		      struct error *err)
{
	json_t *v, *r;
	size_t i;

	if (role_claim == NULL)
		return 0;
	v = json_object_get(claims, role_claim);
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_string(v))
		v = json_pack("[O]", v);
	else if (json_is_array(v) && json_array_size(v) <= OIDC_ROLES_MAX)
		json_incref(v);
	else
		v = NULL;
	if (v == NULL) {
		error_set(err, "%s",
			  "ID token: role claim is not a string or an array of up to 8 strings");
		return -1;
	}
	json_array_foreach(v, i, r)
	{
		if (!json_is_string(r) || json_string_length(r) == 0 ||
		    json_string_length(r) > OIDC_ROLE_MAX) {
			error_set(err, "%s", "ID token: a role is not a string of 1-63 characters");
			json_decref(v);
			return -1;
		}
		memcpy(id->roles[id->role_count++], json_string_value(r),
		       json_string_length(r) + 1);
	}
	json_decref(v);
	return 0;
}

static int claims_check(json_t *claims, const struct oidc_expect *expect, struct oidc_identity *id,
			struct error *err)
{
	const char *iss = json_string_value(json_object_get(claims, "iss"));
	const char *nonce = json_string_value(json_object_get(claims, "nonce"));
	json_t *verified = json_object_get(claims, "email_verified");

	if (iss == NULL || strcmp(iss, expect->issuer) != 0) {
		error_set(err, "%s", "ID token: wrong issuer");
		return -1;
	}
	if (audience_check(claims, expect, err) < 0 || times_check(claims, expect, id, err) < 0)
		return -1;
	if (expect->nonce != NULL && (nonce == NULL || !auth_ct_streq(expect->nonce, nonce))) {
		error_set(err, "%s", "ID token: nonce missing or not this sign-in's");
		return -1;
	}
	if (claim_string(claims, "sub", id->sub, sizeof(id->sub), err,
			 "ID token: sub is not a string of up to 255 bytes") < 0)
		return -1;
	if (id->sub[0] == '\0') {
		error_set(err, "%s", "ID token: no sub");
		return -1;
	}
	if (claim_string(claims, "email", id->email, sizeof(id->email), err,
			 "ID token: email is not a string of up to 320 bytes") < 0 ||
	    claim_string(claims, "name", id->name, sizeof(id->name), err,
			 "ID token: name is not a string of up to 255 bytes") < 0)
		return -1;
	id->email_verified = json_is_true(verified);
	return roles_copy(claims, expect->role_claim, id, err);
}

int oidc_token_validate(const char *token, const struct oidc_jwks *jwks,
			const struct oidc_expect *expect, struct oidc_identity *id_r,
			struct error *err)
{
	json_t *header = NULL, *claims = NULL;
	const struct oidc_key *key;
	const char *kid = NULL;
	struct jws jws;
	int ret = 0;

	memset(id_r, 0, sizeof(*id_r));
	if (expect->issuer == NULL || expect->client_id == NULL) {
		error_set(err, "%s", "ID token: no issuer or client_id to check against");
		ret = -1;
		goto out;
	}
	if (jws_split(token, &jws, err) < 0)
		goto out;
	if (jws_object(&jws, 0, HEADER_MAX, &header) < 0) {
		error_set(err, "%s", "ID token: header is not base64url of a JSON object");
		goto out;
	}
	if (header_check(header, &kid, err) < 0)
		goto out;
	key = oidc_jwks_find(jwks, kid);
	if (key == NULL) {
		error_set(err, "%s",
			  kid != NULL ? oidc_error_unknown_kid
				      : "ID token: no kid and the provider has several keys");
		goto out;
	}
	if (key->weak) {
		error_set(err, "%s", "ID token: signed with an RSA key under 2048 bits");
		goto out;
	}
	if (signature_check(key, &jws, err) < 0)
		goto out;
	if (jws_object(&jws, 1, CLAIMS_MAX, &claims) < 0) {
		error_set(err, "%s", "ID token: claims are not base64url of a JSON object");
		goto out;
	}
	if (claims_check(claims, expect, id_r, err) < 0)
		goto out;
	if (key->has_kid)
		memcpy(id_r->kid, key->kid, strlen(key->kid) + 1);
	ret = 1;
out:
	if (ret != 1) {
		/* no half-filled identity ever leaves */
		memset(id_r, 0, sizeof(*id_r));
	}
	json_decref(header);
	json_decref(claims);
	return ret;
}
