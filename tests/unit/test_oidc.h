/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_TEST_OIDC_H
#define DRAFTD_TEST_OIDC_H

#include <gnutls/abstract.h>

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

#endif
