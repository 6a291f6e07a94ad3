/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_OIDC_JWKS_H
#define DRAFTD_OIDC_JWKS_H

#include <gnutls/abstract.h>
#include <stdbool.h>
#include <stddef.h>

#include "daemon/lib/error.h"

/* An OpenID provider's signing keys (its jwks_uri document, RFC 7517), as the
 * RSA public keys an ID token may be checked against.
 *
 * Kept: "kty":"RSA" keys whose "use" is absent or "sig" and whose "alg" is
 * absent or RS256. Skipped: every other key (EC, encryption keys, keys meant
 * for another algorithm), so a provider that publishes more than we use still
 * works. RSA keys under 2048 bits are kept but marked weak: a token signed
 * with one is refused by name, not as an unknown key. */

#define OIDC_JWKS_MAX      (64 * 1024) /* bytes of JSON */
#define OIDC_JWKS_KEYS_MAX 32
#define OIDC_KID_MAX       128
#define OIDC_RSA_BITS_MIN  2048
#define OIDC_RSA_BITS_MAX  8192

struct oidc_key {
	char kid[OIDC_KID_MAX + 1]; /* "" when the key has none */
	bool has_kid;
	unsigned int bits;
	bool weak; /* under OIDC_RSA_BITS_MIN */
	gnutls_pubkey_t pub;
};

struct oidc_jwks {
	struct oidc_key keys[OIDC_JWKS_KEYS_MAX];
	size_t count;
};

/* Parses a JWKS document json[len]. Returns 0 with *jwks_r (oidc_jwks_free
 * it), -1 with err when the document is not a JWKS (too big, not JSON,
 * no "keys" array, too many keys, a malformed RSA key, two keys with one
 * kid). A JWKS without a usable key parses: every token is then refused. */
int oidc_jwks_parse(const char *json, size_t len, struct oidc_jwks **jwks_r, struct error *err)
	__attribute__((warn_unused_result));

/* The key a token names: by kid, or the only key when the token has no kid
 * or the only key has none. Returns the key, or NULL (no such kid, or no kid
 * while there are several keys). */
const struct oidc_key *oidc_jwks_find(const struct oidc_jwks *jwks, const char *kid);

void oidc_jwks_free(struct oidc_jwks **jwks);

#endif
