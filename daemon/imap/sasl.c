/* SPDX-License-Identifier: MIT */
/* SASL XOAUTH2 and OAUTHBEARER (RFC 7628) client responses and error
 * challenges. */
#include "daemon/imap/sasl.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/lib/base64.h"
#include "daemon/lib/util.h"

/* The raw response: user, host and token at their maxima plus the framing. */
#define SASL_RESPONSE_MAX (SASL_TOKEN_MAX + 3 * SASL_USER_MAX + 512)

const char *sasl_mech_name(enum sasl_mech mech)
{
	return mech == SASL_OAUTHBEARER ? "OAUTHBEARER" : "XOAUTH2";
}

/* No control characters (they would split the response's fields), and not empty. */
static bool sasl_text_ok(const char *s, size_t max)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F)
			return false;
	}
	return true;
}

/* RFC 6750 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
static bool sasl_token_ok(const char *t)
{
	size_t n = t != NULL ? strlen(t) : 0, body;

	if (n == 0 || n > SASL_TOKEN_MAX)
		return false;
	body = strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/");
	return body > 0 && strspn(t + body, "=") == n - body;
}

/* The user as an RFC 5801 saslname: "," and "=" escaped. */
static int sasl_saslname(struct buf *b, const char *user)
{
	for (; *user != '\0'; user++) {
		int r = *user == ','   ? buf_append_str(b, "=2C")
			: *user == '=' ? buf_append_str(b, "=3D")
				       : buf_append(b, user, 1);

		if (r < 0)
			return -1;
	}
	return 0;
}

static int sasl_build(const struct sasl_oauth *a, struct buf *raw)
{
	if (a->mech == SASL_XOAUTH2)
		return buf_printf(raw, "user=%s\001auth=Bearer %s\001\001", a->user, a->token);
	if (buf_append_str(raw, "n,a=") < 0 || sasl_saslname(raw, a->user) < 0 ||
	    buf_append_str(raw, ",\001") < 0)
		return -1;
	if (a->host != NULL && buf_printf(raw, "host=%s\001", a->host) < 0)
		return -1;
	if (a->port != 0 && buf_printf(raw, "port=%u\001", a->port) < 0)
		return -1;
	return buf_printf(raw, "auth=Bearer %s\001\001", a->token);
}

int sasl_oauth_response(const struct sasl_oauth *auth, int b64, struct buf *out, struct error *err)
{
	struct buf raw;
	size_t before = out->len;
	int ret = -1;

	buf_init(&raw, SASL_RESPONSE_MAX);
	if (auth->mech != SASL_XOAUTH2 && auth->mech != SASL_OAUTHBEARER) {
		error_set(err, "unknown SASL mechanism");
		goto out;
	}
	if (!sasl_text_ok(auth->user, SASL_USER_MAX)) {
		error_set(err, "the user name is empty, too long or holds control characters");
		goto out;
	}
	if (auth->mech == SASL_OAUTHBEARER && auth->host != NULL &&
	    (!sasl_text_ok(auth->host, 255) || strchr(auth->host, ' ') != NULL)) {
		error_set(err,
			  "the host name is empty, too long or holds spaces or control characters");
		goto out;
	}
	if (!sasl_token_ok(auth->token)) {
		error_set(err,
			  "the access token is empty, too long or not an RFC 6750 bearer token");
		goto out;
	}
	if (sasl_build(auth, &raw) < 0 || (b64 ? base64_append_padded(out, raw.data, raw.len)
					       : buf_append(out, raw.data, raw.len)) < 0) {
		error_set(err, "the SASL response does not fit");
		goto out;
	}
	ret = 0;
out:
	if (ret < 0 && out->data != NULL) {
		out->len = before;
		out->data[before] = '\0';
	}
	/* the raw response holds the token: leave no copy behind */
	if (raw.data != NULL)
		memset(raw.data, 0, raw.cap);
	buf_free(&raw);
	return ret;
}

/* A JSON string member as printable ASCII into out[size] ("" when absent). */
static void sasl_member(json_t *obj, const char *key, char *out, size_t size)
{
	const char *v = json_string_value(json_object_get(obj, key));
	size_t o = 0;

	for (; v != NULL && *v != '\0' && o + 1 < size; v++)
		out[o++] = (*v >= 0x20 && *v < 0x7F) ? *v : '?';
	out[o] = '\0';
}

int sasl_oauth_error_parse(const char *challenge, size_t len, struct sasl_oauth_error *err_r,
			   struct error *err)
{
	unsigned char *json = NULL;
	size_t jlen = 0;
	json_t *root = NULL;
	int ret = -1;

	memset(err_r, 0, sizeof(*err_r));
	if (len > SASL_CHALLENGE_MAX) {
		error_set(err, "error challenge too long");
		goto out;
	}
	json = malloc(len / 4 * 3 + 1);
	if (json == NULL) {
		error_set(err, "out of memory");
		goto out;
	}
	if (base64_decode_padded(challenge, len, json, len / 4 * 3 + 1, &jlen) < 0) {
		error_set(err, "error challenge is not base64");
		goto out;
	}
	root = json_loadb((const char *)json, jlen, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(root)) {
		error_set(err, "error challenge is not a JSON object");
		goto out;
	}
	if (!json_is_string(json_object_get(root, "status"))) {
		error_set(err, "error challenge has no \"status\"");
		goto out;
	}
	sasl_member(root, "status", err_r->status, sizeof(err_r->status));
	sasl_member(root, "scope", err_r->scope, sizeof(err_r->scope));
	sasl_member(root, "openid-configuration", err_r->openid_configuration,
		    sizeof(err_r->openid_configuration));
	ret = 0;
out:
	json_decref(root);
	free(json);
	return ret;
}

void sasl_oauth_error_describe(const struct sasl_oauth_error *err, char *out, size_t size)
{
	const char *hint;

	/* RFC 6750 3.1 codes; Google's XOAUTH2 says "400" or "401" instead */
	if (strcmp(err->status, "invalid_token") == 0 || strcmp(err->status, "401") == 0)
		hint = "it expired or was revoked: fetch a new one";
	else if (strcmp(err->status, "insufficient_scope") == 0 || strcmp(err->status, "403") == 0)
		hint = "the token lacks a scope the server needs: check oauth_scope";
	else if (strcmp(err->status, "invalid_request") == 0 || strcmp(err->status, "400") == 0)
		hint = "the server could not read the login: check the user name";
	else
		hint = "see the server's documentation";
	snprintf(out, size, "the server refused the access token (%s%s%s): %s", err->status,
		 err->scope[0] != '\0' ? "; scope " : "", err->scope, hint);
}
