/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_OIDC_TOKEN_H
#define DRAFTD_OIDC_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ui-api/auth/oidc_jwks.h"

/* OpenID Connect ID token validation (OIDC Core 3.1.3.7, RFC 7519, RFC 7515):
 * a compact JWS signed RS256 with a key of the provider's JWKS, and the claims
 * of one sign-in by this client. Every other algorithm is refused, "none" and
 * HS256 (an HMAC keyed with the public key) first of all, as are "crit"
 * headers, which name extensions we do not implement. The signature is
 * checked before any claim is read. Thread-safe; no clock of its own. */

#define OIDC_TOKEN_MAX      (16 * 1024) /* bytes of a compact token */
#define OIDC_SKEW_DEFAULT_S 60          /* clock difference tolerated */
#define OIDC_SUB_MAX        255
#define OIDC_EMAIL_MAX      320
#define OIDC_NAME_MAX       255
#define OIDC_ROLE_MAX       63
#define OIDC_ROLES_MAX      8

/* What the token must say. */
struct oidc_expect {
	const char *issuer;     /* "iss", compared exactly (no trailing-slash games) */
	const char *client_id;  /* in "aud"; "azp" must be it when present or aud has several */
	const char *nonce;      /* "nonce" of this sign-in; NULL only where none was sent */
	int64_t now;            /* seconds since the epoch */
	uint32_t skew_s;        /* tolerance for exp, nbf and iat */
	const char *role_claim; /* claim holding the role(s) ([oidc] role_claim), or NULL */
};

/* Who signed in. Strings are copied; a claim longer than its bound refuses the
 * token (a truncated identity would be someone else's). */
struct oidc_identity {
	char sub[OIDC_SUB_MAX + 1];
	char email[OIDC_EMAIL_MAX + 1]; /* "" when absent */
	bool email_verified;
	char name[OIDC_NAME_MAX + 1]; /* "" when absent */
	/* The role claim: a string gives one role, an array of strings several
	 * (as Keycloak and Entra ID send groups). Mapping them to draftd's roles
	 * is the caller's policy. */
	char roles[OIDC_ROLES_MAX][OIDC_ROLE_MAX + 1];
	size_t role_count;
	int64_t exp, iat, auth_time; /* auth_time 0 when absent */
	char kid[OIDC_KID_MAX + 1];
};

/* The error text for a token whose kid is not in the JWKS: the one refusal
 * after which fetching the JWKS again (key rotation) may help. Compare the
 * pointer. */
extern const char oidc_error_unknown_kid[];

/* Validates token against jwks and expect. Returns 1 with *id_r filled, 0 when
 * the token is refused (the reason in err, safe to log: it never quotes
 * the token), -1 on an internal failure (out of memory) with err. */
int oidc_token_validate(const char *token, const struct oidc_jwks *jwks,
			const struct oidc_expect *expect, struct oidc_identity *id_r,
			struct error *err) __attribute__((warn_unused_result));

#endif
