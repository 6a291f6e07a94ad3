/* SPDX-License-Identifier: MIT */
#include "ui-api/backlog_cache.h"

#include <pthread.h>
#include <stdbool.h>

#include "daemon/lib/util.h"
#include "daemon/store/store_outcome.h"

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cache_done = PTHREAD_COND_INITIALIZER;
static json_t *cache_answer; /* the last good answer, NULL when none */
static uint64_t cache_at_ms; /* when its computation began (monotonic) */
static bool cache_busy;      /* a thread is computing now */

/* A copy of answer for one caller, with its age at now_ms. */
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

int backlog_cache_get(unsigned int max_age_s, backlog_compute_fn compute, void *ctx,
		      json_t **result_r)
{
	json_t *fresh = NULL;
	uint64_t start, asked = time_mono_ms(), bound = (uint64_t)max_age_s * 1000;
	int rc = -1;

	*result_r = NULL;
	if (max_age_s == 0) {
		start = time_mono_ms();
		if (compute(ctx, &fresh) == 0) {
			*result_r = answer_copy(fresh, start, start);
			rc = *result_r != NULL ? 0 : -1;
		}
		json_decref(fresh);
		return rc;
	}
	pthread_mutex_lock(&cache_lock);
	for (;;) {
		uint64_t now = time_mono_ms();

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
	pthread_mutex_unlock(&cache_lock);
	start = time_mono_ms();
	rc = compute(ctx, &fresh);
	pthread_mutex_lock(&cache_lock);
	cache_busy = false;
	if (rc == 0) {
		json_decref(cache_answer);
		cache_answer = fresh;
		cache_at_ms = start;
		*result_r = answer_copy(fresh, start, time_mono_ms());
		rc = *result_r != NULL ? 0 : -1;
	}
	pthread_cond_broadcast(&cache_done);
out:
	pthread_mutex_unlock(&cache_lock);
	return rc;
}

static int backlog_compute(void *ctx, json_t **result_r)
{
	return store_outcome_backlog(ctx, result_r);
}

int backlog_read(struct store *store, unsigned int max_age_s, json_t **result_r)
{
	return backlog_cache_get(max_age_s, backlog_compute, store, result_r);
}

void backlog_cache_clear(void)
{
	pthread_mutex_lock(&cache_lock);
	json_decref(cache_answer);
	cache_answer = NULL;
	pthread_mutex_unlock(&cache_lock);
}
