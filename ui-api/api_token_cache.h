/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_API_TOKEN_CACHE_H
#define DRAFTD_API_TOKEN_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "daemon/store/store_tokens.h"

/* Bearer token -> who, kept for [api] token_cache_ttl seconds so a request
 * does not spend a round trip on the token (issue 14). A revocation by
 * another process (draftd token revoke) takes effect within the TTL; an
 * entry never outlives the token's own expiry. Only live tokens are kept.
 * Process-wide and thread-safe; direct-mapped, API_TOKEN_CACHE_SLOTS
 * entries, a collision replaces the older one.
 *
 * An entry used since its lookup is looked up again ahead of its end by
 * the refresher (ui-api/api_token_refresh.h), off the request path: once
 * it is half its TTL old, api_token_cache_due() hands it out and
 * api_token_cache_refreshed() keeps the new answer (for a TTL counted from
 * when that lookup began) or drops the entry. Requests on a token in use
 * then never wait for its lookup; the bound above is unchanged, since an
 * entry still ends TTL seconds after the lookup it came from. */
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
/* Up to max hashes (into hashes_r) of the entries due for a lookup ahead of
 * their end at now_ms: used by a request since their last lookup, half
 * their time kept or more gone, not ended, not handed out already. Each is
 * handed out once, until api_token_cache_refreshed() reports on it.
 * Returns how many. */
size_t api_token_cache_due(uint64_t now_ms, unsigned char (*hashes_r)[32], size_t max);
/* The lookup of a hash handed out by api_token_cache_due(), begun at
 * started_ms (monotonic; now is the wall clock): found 1 keeps auth as
 * api_token_cache_put() does from started_ms, 0 (revoked, expired, a
 * disabled person's) drops the entry at once, -1 (the database failed)
 * leaves it to end at its time and be handed out again before that. Does
 * nothing when the slot holds another token by now. */
void api_token_cache_refreshed(const unsigned char hash[32], int found,
			       const struct token_auth *auth, unsigned int ttl_s,
			       uint64_t started_ms, time_t now);

#endif
