/* SPDX-License-Identifier: MIT */
#include "ui-api/auth/oidc_pkce.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <string.h>

#include "daemon/lib/base64.h"
#include "ui-api/auth/auth_random.h"

#define PKCE_MIN 43
#define PKCE_MAX 128

int oidc_pkce_verifier(char verifier_r[OIDC_PKCE_VERIFIER_LEN + 1])
{
	return auth_random_token(OIDC_PKCE_VERIFIER_LEN / 4 * 3, verifier_r,
				 OIDC_PKCE_VERIFIER_LEN + 1);
}

bool oidc_pkce_verifier_valid(const char *verifier)
{
	static const char unreserved[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					 "0123456789-._~";
	size_t n = strlen(verifier);

	return n >= PKCE_MIN && n <= PKCE_MAX && strspn(verifier, unreserved) == n;
}

int oidc_pkce_challenge(const char *verifier, char challenge_r[OIDC_PKCE_CHALLENGE_LEN + 1])
{
	unsigned char digest[32];

	challenge_r[0] = '\0';
	if (!oidc_pkce_verifier_valid(verifier))
		return -1;
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, verifier, strlen(verifier), digest) < 0)
		return -1;
	return base64_encode(BASE64_URL, digest, sizeof(digest), challenge_r,
			     OIDC_PKCE_CHALLENGE_LEN + 1);
}

int oidc_state_new(char state_r[OIDC_RANDOM_LEN + 1])
{
	return auth_random_token(32, state_r, OIDC_RANDOM_LEN + 1);
}

int oidc_nonce_new(char nonce_r[OIDC_RANDOM_LEN + 1])
{
	return auth_random_token(32, nonce_r, OIDC_RANDOM_LEN + 1);
}
