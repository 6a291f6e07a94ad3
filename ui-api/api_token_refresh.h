/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_API_TOKEN_REFRESH_H
#define DRAFTD_API_TOKEN_REFRESH_H

#include <stdint.h>
#include <time.h>

#include "daemon/store/store_tokens.h"

/* The token cache's refresher (issue 14): a thread that looks up again,
 * ahead of their end, the cached tokens requests are using
 * (api_token_cache_due()), so that a busy client's requests never pay the
 * lookup's round trip, and a burst of them never pays it together when
 * the entry ends. A token nobody used since its lookup is left to end:
 * an idle install does no database work for it. */

/* Where the refresher looks tokens up. lookup: 1 a live token with
 * *auth_r, 0 refused (unknown, revoked, expired, a disabled person's), -1
 * the database failed. ttl_s: the [api] token_cache_ttl in force. Both are
 * called from the refresher's thread; ctx must outlive it. */
struct token_refresh_source {
	int (*lookup)(void *ctx, const unsigned char hash[32], struct token_auth *auth_r);
	unsigned int (*ttl_s)(void *ctx);
	void *ctx;
};

/* One pass: looks up every entry due at now_ms (monotonic; now is the wall
 * clock) and reports each to the cache, its TTL counted from now_ms.
 * Returns how many it looked up. */
unsigned int api_token_refresh_pass(const struct token_refresh_source *source, uint64_t now_ms,
				    time_t now);

struct api_token_refresher;
/* Starts the thread (source is copied): 0 with *refresher_r, or -1 (then
 * requests look tokens up when their entries end, as without it). */
int api_token_refresher_start(const struct token_refresh_source *source,
			      struct api_token_refresher **refresher_r)
	__attribute__((warn_unused_result));
/* Stops the thread (a lookup under way ends first) and clears *refresher;
 * NULL is fine. */
void api_token_refresher_stop(struct api_token_refresher **refresher);

#endif
