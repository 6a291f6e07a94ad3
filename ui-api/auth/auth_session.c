/* SPDX-License-Identifier: MIT */
#include "ui-api/auth/auth_session.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <string.h>

#include "daemon/lib/base64.h"
#include "ui-api/auth/auth_random.h"

const struct auth_session_policy auth_session_defaults = {
	.idle_s = AUTH_SESSION_IDLE_S,
	.absolute_s = AUTH_SESSION_ABSOLUTE_S,
};

/* Domain separation: this HMAC key may one day sign other things. */
static const char csrf_label[] = "draftd-csrf-v1:";

static void hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static bool token_shaped(const char *token)
{
	static const char b64url[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

	return strlen(token) == AUTH_SESSION_TOKEN_LEN &&
	       strspn(token, b64url) == AUTH_SESSION_TOKEN_LEN;
}

static bool id_shaped(const char *id)
{
	return strlen(id) == AUTH_SESSION_ID_LEN &&
	       strspn(id, "0123456789abcdef") == AUTH_SESSION_ID_LEN;
}

int auth_session_id(const char *token, char id_r[AUTH_SESSION_ID_LEN + 1])
{
	unsigned char digest[32];

	id_r[0] = '\0';
	if (!token_shaped(token))
		return 0;
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, token, AUTH_SESSION_TOKEN_LEN, digest) < 0)
		return -1;
	hex(digest, sizeof(digest), id_r);
	return 1;
}

int auth_session_new(char token_r[AUTH_SESSION_TOKEN_LEN + 1], char id_r[AUTH_SESSION_ID_LEN + 1])
{
	token_r[0] = '\0';
	id_r[0] = '\0';
	if (auth_random_token(AUTH_SESSION_TOKEN_BYTES, token_r, AUTH_SESSION_TOKEN_LEN + 1) < 0)
		return -1;
	return auth_session_id(token_r, id_r) == 1 ? 0 : -1;
}

bool auth_session_matches(const char *stored_id, const char *token)
{
	char id[AUTH_SESSION_ID_LEN + 1];

	if (!id_shaped(stored_id) || auth_session_id(token, id) != 1)
		return false;
	return auth_ct_equal(stored_id, id, AUTH_SESSION_ID_LEN);
}

int64_t auth_session_expires(const struct auth_session_policy *policy, int64_t created,
			     int64_t last_seen)
{
	const struct auth_session_policy *p = policy != NULL ? policy : &auth_session_defaults;
	int64_t idle_end = last_seen + (int64_t)p->idle_s;
	int64_t abs_end = created + (int64_t)p->absolute_s;

	return idle_end < abs_end ? idle_end : abs_end;
}

int auth_session_live(const struct auth_session_policy *policy, int64_t created, int64_t last_seen,
		      int64_t now)
{
	/* a last_seen before created is a corrupt row: judge by created */
	if (last_seen < created)
		last_seen = created;
	return now < auth_session_expires(policy, created, last_seen) ? 1 : 0;
}

int auth_csrf_key_new(unsigned char key_r[AUTH_CSRF_KEY_LEN])
{
	return auth_random(key_r, AUTH_CSRF_KEY_LEN);
}

int auth_csrf_token(const unsigned char key[AUTH_CSRF_KEY_LEN], const char *session_id,
		    char token_r[AUTH_CSRF_TOKEN_LEN + 1])
{
	char msg[sizeof(csrf_label) + AUTH_SESSION_ID_LEN];
	unsigned char mac[32];
	int ret = -1;

	token_r[0] = '\0';
	if (!id_shaped(session_id))
		goto out;
	snprintf(msg, sizeof(msg), "%s%s", csrf_label, session_id);
	if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, AUTH_CSRF_KEY_LEN, msg, strlen(msg), mac) < 0)
		goto out;
	ret = base64_encode(BASE64_URL, mac, sizeof(mac), token_r, AUTH_CSRF_TOKEN_LEN + 1);
out:
	explicit_bzero(mac, sizeof(mac));
	return ret;
}

int auth_csrf_check(const unsigned char key[AUTH_CSRF_KEY_LEN], const char *session_id,
		    const char *presented)
{
	char want[AUTH_CSRF_TOKEN_LEN + 1];
	int ret;

	if (auth_csrf_token(key, session_id, want) < 0)
		return -1;
	if (presented == NULL || strlen(presented) != AUTH_CSRF_TOKEN_LEN)
		ret = 0;
	else
		ret = auth_ct_equal(want, presented, AUTH_CSRF_TOKEN_LEN) ? 1 : 0;
	explicit_bzero(want, sizeof(want));
	return ret;
}
