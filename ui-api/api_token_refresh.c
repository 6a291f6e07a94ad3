/* SPDX-License-Identifier: MIT */
#include "ui-api/api_token_refresh.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "daemon/lib/log.h"
#include "daemon/lib/util.h"
#include "ui-api/api_refresher.h"
#include "ui-api/api_token_cache.h"

#define REFRESH_BATCH   16
#define REFRESH_MIN_MS  100
#define REFRESH_IDLE_MS 1000 /* how often it looks while no TTL is set */

struct api_token_refresher {
	struct api_refresher *thread;
	struct token_refresh_source source;
	pthread_mutex_t lock; /* the thread's own: only its stop takes it too */
};

unsigned int api_token_refresh_pass(const struct token_refresh_source *source, uint64_t now_ms,
				    time_t now)
{
	unsigned char due[REFRESH_BATCH][32];
	unsigned int ttl_s = source->ttl_s(source->ctx), done = 0;
	bool failed = false;
	size_t n;

	if (ttl_s == 0)
		return 0;
	/* a full batch: more may be due. A refreshed entry is not due again
	 * in this pass; one whose lookup failed would be, so a failure ends
	 * the pass (the next one tries again). */
	do {
		n = api_token_cache_due(now_ms, due, REFRESH_BATCH);
		for (size_t i = 0; i < n; i++) {
			struct token_auth auth;
			int r = source->lookup(source->ctx, due[i], &auth);

			if (r < 0) {
				log_debug("api: a token's lookup ahead of its cache entry's end"
					  " failed; requests look it up once the entry ends");
				failed = true;
			}
			/* the TTL counts from now_ms, before the lookup's snapshot */
			api_token_cache_refreshed(due[i], r, &auth, ttl_s, now_ms, now);
			done++;
		}
	} while (n == REFRESH_BATCH && !failed);
	return done;
}

/* One pass, then the wait: a quarter of the TTL, so an entry due at half
 * its TTL is looked up by three quarters of it, with a quarter left for the
 * lookup. */
static uint64_t refresher_step(void *ctx)
{
	struct api_token_refresher *r = ctx;
	uint64_t wait_ms;
	unsigned int ttl_s;

	(void)api_token_refresh_pass(&r->source, time_mono_ms(), time(NULL));
	ttl_s = r->source.ttl_s(r->source.ctx);
	wait_ms = ttl_s > 0 ? (uint64_t)ttl_s * 1000 / 4 : REFRESH_IDLE_MS;
	return wait_ms < REFRESH_MIN_MS ? REFRESH_MIN_MS : wait_ms;
}

int api_token_refresher_start(const struct token_refresh_source *source,
			      struct api_token_refresher **refresher_r)
{
	struct api_token_refresher *r = calloc(1, sizeof(*r));

	*refresher_r = NULL;
	if (r == NULL)
		return -1;
	r->source = *source;
	pthread_mutex_init(&r->lock, NULL);
	if (api_refresher_start(&r->lock, refresher_step, r, &r->thread) < 0) {
		pthread_mutex_destroy(&r->lock);
		free(r);
		return -1;
	}
	*refresher_r = r;
	return 0;
}

void api_token_refresher_stop(struct api_token_refresher **refresher)
{
	struct api_token_refresher *r = *refresher;

	if (r == NULL)
		return;
	api_refresher_stop(&r->thread);
	pthread_mutex_destroy(&r->lock);
	free(r);
	*refresher = NULL;
}
