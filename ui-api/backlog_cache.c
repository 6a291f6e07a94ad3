/* SPDX-License-Identifier: MIT */
#include "ui-api/backlog_cache.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "daemon/lib/log.h"
#include "daemon/lib/util.h"
#include "daemon/store/store_outcome.h"
#include "ui-api/api_refresher.h"

#define WAIT_FOREVER API_REFRESHER_REST

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cache_done = PTHREAD_COND_INITIALIZER; /* a computation ended */
static json_t *cache_answer;                  /* the last good answer, NULL when none */
static uint64_t cache_at_ms;                  /* when its computation began (monotonic) */
static bool cache_busy;                       /* a thread is computing now */
static uint64_t cache_asked_ms;               /* the last request's time, 0: none yet */
static uint64_t cache_retry_ms;               /* the refresher's next try after a failure */
static struct api_refresher *cache_refresher; /* the running refresher's thread, or NULL */
static uint64_t by_request, by_refresh;
static uint64_t (*cache_clock)(void) = time_mono_ms;

/* A copy of answer for one caller, with its age at now_ms. The age is in
 * whole milliseconds, so it has at most 3 decimals as the API prints it
 * (ui-api/json_reals.h). */
static json_t *answer_copy(const json_t *answer, uint64_t at_ms, uint64_t now_ms)
{
	json_t *c = json_deep_copy(answer);
	uint64_t age = now_ms > at_ms ? now_ms - at_ms : 0;

	if (c != NULL &&
	    json_object_set_new(c, "age_seconds", json_real((double)age / 1000.0)) < 0) {
		json_decref(c);
		c = NULL;
	}
	return c;
}

/* Wakes a resting refresher (cache_lock held): something it waits for
 * happened. */
static void refresher_nudge(void)
{
	api_refresher_wake(cache_refresher);
}

/* Runs compute outside the lock as the one computing thread (cache_lock
 * held on entry and return, cache_busy set by the caller) and keeps a good
 * answer. 0 with *fresh_r borrowed from the cache, or -1. */
static int compute_locked(backlog_compute_fn compute, void *ctx, bool refresh,
			  const json_t **fresh_r)
{
	json_t *fresh = NULL;
	uint64_t start;
	int rc;

	pthread_mutex_unlock(&cache_lock);
	start = cache_clock();
	rc = compute(ctx, &fresh);
	pthread_mutex_lock(&cache_lock);
	cache_busy = false;
	if (refresh)
		by_refresh++;
	else
		by_request++;
	if (rc == 0) {
		json_decref(cache_answer);
		cache_answer = fresh;
		cache_at_ms = start;
		*fresh_r = fresh;
	}
	pthread_cond_broadcast(&cache_done);
	refresher_nudge();
	return rc;
}

/* backlog_cache_get() and backlog_cache_peek(): asks says whether this
 * read keeps the refresher going. */
static int cache_read(unsigned int max_age_s, bool asks, backlog_compute_fn compute, void *ctx,
		      json_t **result_r)
{
	json_t *fresh = NULL;
	const json_t *kept = NULL;
	uint64_t start, asked = cache_clock(), bound = (uint64_t)max_age_s * 1000;
	int rc = -1;

	*result_r = NULL;
	if (max_age_s == 0) {
		start = cache_clock();
		pthread_mutex_lock(&cache_lock);
		by_request++;
		pthread_mutex_unlock(&cache_lock);
		if (compute(ctx, &fresh) == 0) {
			*result_r = answer_copy(fresh, start, start);
			rc = *result_r != NULL ? 0 : -1;
		}
		json_decref(fresh);
		return rc;
	}
	pthread_mutex_lock(&cache_lock);
	if (asks) {
		cache_asked_ms = asked;
		refresher_nudge(); /* a rested refresher starts again */
	}
	for (;;) {
		uint64_t now = cache_clock();

		/* within the bound, or begun after this request came (a computation
		 * slower than the bound: its snapshot still holds every change made
		 * before the request, and waiting for yet another would queue
		 * every waiter behind one computation each) */
		if (cache_answer != NULL &&
		    (cache_at_ms >= asked || (now >= cache_at_ms && now - cache_at_ms <= bound))) {
			*result_r = answer_copy(cache_answer, cache_at_ms, now);
			rc = *result_r != NULL ? 0 : -1;
			goto out;
		}
		if (!cache_busy)
			break;
		/* another thread computes: its answer is the fresh one */
		pthread_cond_wait(&cache_done, &cache_lock);
	}
	cache_busy = true;
	if (compute_locked(compute, ctx, false, &kept) == 0) {
		*result_r = answer_copy(kept, cache_at_ms, cache_clock());
		rc = *result_r != NULL ? 0 : -1;
	}
out:
	pthread_mutex_unlock(&cache_lock);
	return rc;
}

/* The refresher's computation, once due (cache_lock held; let go while
 * borrowing and computing). It borrows its connection before it marks
 * itself computing: requests waiting for a computation hold their own
 * connections from the same pool, so it must never wait for one while
 * they wait for it. 1 computed, 0 nothing to do any more (a request
 * computed meanwhile), -1 failed. */
static int refresh_now_locked(uint64_t bound, const struct backlog_source *source)
{
	void *conn = source->ctx;
	const json_t *kept = NULL;
	bool held = false;
	int ret = -1;

	if (source->acquire != NULL) {
		pthread_mutex_unlock(&cache_lock);
		ret = source->acquire(source->ctx, &conn);
		pthread_mutex_lock(&cache_lock);
		if (ret < 0)
			goto out;
		held = true;
		ret = 0;
		if (cache_busy || cache_answer == NULL ||
		    cache_clock() < cache_at_ms + bound * BACKLOG_REFRESH_PERCENT / 100)
			goto out; /* fresh again, or someone computes: look again */
	}
	cache_busy = true;
	ret = compute_locked(source->compute, conn, true, &kept) < 0 ? -1 : 1;
out:
	if (held && source->release != NULL) {
		pthread_mutex_unlock(&cache_lock);
		source->release(source->ctx, &conn);
		pthread_mutex_lock(&cache_lock);
	}
	return ret;
}

/* What the refresher does now (cache_lock held; it is let go while
 * computing): see backlog_cache_refresh_step(). */
static int refresh_locked(unsigned int max_age_s, const struct backlog_source *source,
			  uint64_t *wait_ms_r)
{
	uint64_t bound = (uint64_t)max_age_s * 1000, now = cache_clock();
	uint64_t idle = bound * 2 > BACKLOG_IDLE_S * 1000 ? bound * 2 : BACKLOG_IDLE_S * 1000;
	uint64_t due = cache_at_ms + bound * BACKLOG_REFRESH_PERCENT / 100;
	int ret = 0;

	*wait_ms_r = WAIT_FOREVER;
	/* resting: no bound, someone computes (its end wakes us), nothing to
	 * refresh (the next request computes one), or nobody asked lately */
	if (max_age_s == 0 || cache_busy || cache_answer == NULL || cache_asked_ms == 0 ||
	    now - cache_asked_ms > idle)
		goto out;
	if (cache_retry_ms > due)
		due = cache_retry_ms;
	if (now < due) {
		*wait_ms_r = due - now;
		goto out;
	}
	ret = refresh_now_locked(bound, source);
	if (ret < 0) {
		/* the database is down or slow: try again later, not in a loop */
		cache_retry_ms = cache_clock() + bound * BACKLOG_REFRESH_PERCENT / 100;
		*wait_ms_r = cache_retry_ms - now;
	} else {
		*wait_ms_r = 0; /* look again at once */
	}
out:
	return ret;
}

int backlog_cache_refresh_step(unsigned int max_age_s, const struct backlog_source *source,
			       uint64_t *wait_ms_r)
{
	int rc;

	pthread_mutex_lock(&cache_lock);
	rc = refresh_locked(max_age_s, source, wait_ms_r);
	pthread_mutex_unlock(&cache_lock);
	return rc;
}

struct backlog_refresher {
	struct api_refresher *thread;
	unsigned int max_age_s;
	struct backlog_source source;
};

/* cache_lock held, as api_refresher runs it */
static uint64_t refresher_step(void *ctx)
{
	struct backlog_refresher *r = ctx;
	uint64_t wait_ms;

	if (refresh_locked(r->max_age_s, &r->source, &wait_ms) < 0)
		log_debug("api: the backlog refresher's computation failed; retrying in %llu ms",
			  (unsigned long long)wait_ms);
	return wait_ms;
}

int backlog_refresher_start(unsigned int max_age_s, const struct backlog_source *source,
			    struct backlog_refresher **refresher_r)
{
	struct backlog_refresher *r = NULL;
	int ret = -1;

	*refresher_r = NULL;
	if (max_age_s == 0)
		return 0;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		goto out;
	r->max_age_s = max_age_s;
	r->source = *source;
	/* under the lock, so that no request's nudge comes before the thread
	 * is the one nudged */
	pthread_mutex_lock(&cache_lock);
	if (api_refresher_start(&cache_lock, refresher_step, r, &r->thread) == 0)
		cache_refresher = r->thread;
	pthread_mutex_unlock(&cache_lock);
	if (r->thread == NULL)
		goto out;
	*refresher_r = r;
	r = NULL;
	ret = 0;
out:
	free(r);
	return ret;
}

void backlog_refresher_stop(struct backlog_refresher **refresher)
{
	struct backlog_refresher *r = *refresher;

	if (r == NULL)
		return;
	pthread_mutex_lock(&cache_lock);
	if (cache_refresher == r->thread)
		cache_refresher = NULL;
	pthread_mutex_unlock(&cache_lock);
	api_refresher_stop(&r->thread);
	free(r);
	*refresher = NULL;
}

int backlog_compute_store(void *ctx, json_t **result_r)
{
	return store_outcome_backlog(ctx, result_r);
}

int backlog_cache_get(unsigned int max_age_s, backlog_compute_fn compute, void *ctx,
		      json_t **result_r)
{
	return cache_read(max_age_s, true, compute, ctx, result_r);
}

int backlog_cache_peek(unsigned int max_age_s, backlog_compute_fn compute, void *ctx,
		       json_t **result_r)
{
	return cache_read(max_age_s, false, compute, ctx, result_r);
}

int backlog_read(struct store *store, unsigned int max_age_s, json_t **result_r)
{
	return backlog_cache_get(max_age_s, backlog_compute_store, store, result_r);
}

int backlog_read_scrape(struct store *store, unsigned int max_age_s, json_t **result_r)
{
	return backlog_cache_peek(max_age_s, backlog_compute_store, store, result_r);
}

void backlog_cache_counts(uint64_t *by_request_r, uint64_t *by_refresh_r)
{
	pthread_mutex_lock(&cache_lock);
	*by_request_r = by_request;
	*by_refresh_r = by_refresh;
	pthread_mutex_unlock(&cache_lock);
}

void backlog_cache_clear(void)
{
	pthread_mutex_lock(&cache_lock);
	json_decref(cache_answer);
	cache_answer = NULL;
	cache_at_ms = 0;
	cache_asked_ms = 0;
	cache_retry_ms = 0;
	by_request = 0;
	by_refresh = 0;
	pthread_mutex_unlock(&cache_lock);
}

void backlog_cache_set_clock(uint64_t (*now_ms)(void))
{
	pthread_mutex_lock(&cache_lock);
	cache_clock = now_ms != NULL ? now_ms : time_mono_ms;
	pthread_mutex_unlock(&cache_lock);
}
