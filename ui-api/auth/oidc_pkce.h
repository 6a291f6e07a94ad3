/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_OIDC_PKCE_H
#define DRAFTD_OIDC_PKCE_H

#include <stdbool.h>

/* The random values of one OpenID Connect sign-in (authorisation code flow):
 * the PKCE verifier and its S256 challenge (RFC 7636), state (ties the
 * provider's answer to the browser that asked) and nonce (ties the ID token to
 * this sign-in). All are unpadded base64url of fresh random bytes. */

/* 48 random bytes: 64 characters, within RFC 7636's 43-128. */
#define OIDC_PKCE_VERIFIER_LEN 64
/* base64url of a SHA-256 digest */
#define OIDC_PKCE_CHALLENGE_LEN 43
/* state and nonce: 32 random bytes */
#define OIDC_RANDOM_LEN 43

/* Returns 0, -1 when the random generator failed. */
int oidc_pkce_verifier(char verifier_r[OIDC_PKCE_VERIFIER_LEN + 1])
	__attribute__((warn_unused_result));

/* True for 43-128 characters of RFC 7636's unreserved set [A-Za-z0-9-._~]. */
bool oidc_pkce_verifier_valid(const char *verifier);

/* The S256 challenge: base64url(SHA-256(verifier)). Returns 0, -1 when the
 * verifier is not valid or hashing failed. */
int oidc_pkce_challenge(const char *verifier, char challenge_r[OIDC_PKCE_CHALLENGE_LEN + 1])
	__attribute__((warn_unused_result));

/* A new state or nonce. Returns 0, -1. */
int oidc_state_new(char state_r[OIDC_RANDOM_LEN + 1]) __attribute__((warn_unused_result));
int oidc_nonce_new(char nonce_r[OIDC_RANDOM_LEN + 1]) __attribute__((warn_unused_result));

#endif
