/* SPDX-License-Identifier: MIT */
#include "ui-api/api_token_refresh.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "daemon/lib/log.h"
#include "daemon/lib/util.h"
#include "ui-api/api_token_cache.h"

#define REFRESH_BATCH   16
#define REFRESH_MIN_MS  100
#define REFRESH_IDLE_MS 1000 /* how often it looks while no TTL is set */

struct api_token_refresher {
	pthread_t thread;
	struct token_refresh_source source;
	pthread_mutex_t lock;
	pthread_cond_t wake; /* monotonic clock */
	bool stop;           /* under lock */
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

/* Waits up to ms or until stopped; true when stopped. */
static bool refresher_sleep(struct api_token_refresher *r, uint64_t ms)
{
	struct timespec until;
	bool stop;

	time_deadline(CLOCK_MONOTONIC, ms, &until);
	pthread_mutex_lock(&r->lock);
	while (!r->stop && pthread_cond_timedwait(&r->wake, &r->lock, &until) != ETIMEDOUT)
		;
	stop = r->stop;
	pthread_mutex_unlock(&r->lock);
	return stop;
}

static void *refresher_main(void *arg)
{
	struct api_token_refresher *r = arg;
	uint64_t wait_ms;
	unsigned int ttl_s;

	do {
		(void)api_token_refresh_pass(&r->source, time_mono_ms(), time(NULL));
		/* a quarter of the TTL: an entry due at half its TTL is looked up
		 * by three quarters of it, with a quarter left for the lookup */
		ttl_s = r->source.ttl_s(r->source.ctx);
		wait_ms = ttl_s > 0 ? (uint64_t)ttl_s * 1000 / 4 : REFRESH_IDLE_MS;
		if (wait_ms < REFRESH_MIN_MS)
			wait_ms = REFRESH_MIN_MS;
	} while (!refresher_sleep(r, wait_ms));
	return NULL;
}

int api_token_refresher_start(const struct token_refresh_source *source,
			      struct api_token_refresher **refresher_r)
{
	struct api_token_refresher *r = calloc(1, sizeof(*r));
	pthread_condattr_t attr;

	*refresher_r = NULL;
	if (r == NULL)
		return -1;
	r->source = *source;
	pthread_mutex_init(&r->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&r->wake, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&r->thread, NULL, refresher_main, r) != 0) {
		pthread_cond_destroy(&r->wake);
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
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_broadcast(&r->wake);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	pthread_cond_destroy(&r->wake);
	pthread_mutex_destroy(&r->lock);
	free(r);
	*refresher = NULL;
}
