/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_TEST_OIDC_H
#define DRAFTD_TEST_OIDC_H

#include <gnutls/abstract.h>
#include <stddef.h>

#include "ui-api/auth/oidc_jwks.h"
#include "ui-api/auth/oidc_token.h"

/* Helpers for the OIDC suites: fixture keys and JWKS made from them. */

/* tests/fixtures/oidc/NAME (static storage, valid until the next call). */
const char *oidc_test_fixture(const char *name);
/* The private key in tests/fixtures/oidc/NAME, or NULL. */
gnutls_privkey_t oidc_test_key(const char *name);
/* The public JWK of key as a JSON object text with kid and, inserted before
 * "kty", the members in extra (e.g. "\"use\":\"sig\","); free() it. */
char *oidc_test_jwk(gnutls_privkey_t key, const char *kid, const char *extra);
/* printf into a new heap string (free() it), NULL on failure. */
char *oidc_test_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* oidc_token_validate() and oidc_jwks_parse() with the refusal as text, as
 * the cases compare it: *error_r points at the message (valid until the
 * next call) on failure and is left alone on success. */
int oidc_test_validate(const char *token, const struct oidc_jwks *set, const struct oidc_expect *e,
		       struct oidc_identity *id, const char **error_r);
int oidc_test_jwks_parse(const char *json, size_t len, struct oidc_jwks **jwks_r,
			 const char **error_r);

#endif
