/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_API_TOKEN_CACHE_H
#define DRAFTD_API_TOKEN_CACHE_H

#include <stdint.h>
#include <time.h>

#include "daemon/store/store_tokens.h"

/* Bearer token -> who, kept for [api] token_cache_ttl seconds so a request
 * does not spend a round trip on the token (issue 14). A revocation by
 * another process (draftd token revoke) takes effect within the TTL; an
 * entry never outlives the token's own expiry. Only live tokens are kept.
 * Process-wide and thread-safe; direct-mapped, API_TOKEN_CACHE_SLOTS
 * entries, a collision replaces the older one. */
#define API_TOKEN_CACHE_SLOTS 256

/* The entry for hash if it is still good at now_ms (monotonic) and now
 * (wall clock): 1 with *auth_r, else 0. */
int api_token_cache_get(const unsigned char hash[32], uint64_t now_ms, time_t now,
			struct token_auth *auth_r);
/* Keeps auth (a live token's lookup) for ttl_s seconds from now_ms, or
 * until its expires_at if that comes first; ttl_s 0 keeps nothing. */
void api_token_cache_put(const unsigned char hash[32], const struct token_auth *auth,
			 unsigned int ttl_s, uint64_t now_ms, time_t now);
/* Forgets every entry (tests; a revocation made in this process). */
void api_token_cache_clear(void);

#endif
