/* SPDX-License-Identifier: MIT */
#include "ui-api/api_refresher.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "daemon/lib/util.h"

struct api_refresher {
	pthread_t thread;
	pthread_mutex_t *lock;
	pthread_cond_t wake; /* monotonic clock */
	api_refresher_step_fn *step;
	void *ctx;
	bool stop;    /* under *lock */
	bool resting; /* under *lock */
};

static void *refresher_main(void *arg)
{
	struct api_refresher *r = arg;
	struct timespec until;
	uint64_t wait_ms;

	pthread_mutex_lock(r->lock);
	while (!r->stop) {
		wait_ms = r->step(r->ctx);
		if (r->stop || wait_ms == 0)
			continue;
		if (wait_ms == API_REFRESHER_REST) {
			r->resting = true;
			pthread_cond_wait(&r->wake, r->lock);
			r->resting = false;
			continue;
		}
		time_deadline(CLOCK_MONOTONIC, wait_ms, &until);
		while (!r->stop && pthread_cond_timedwait(&r->wake, r->lock, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(r->lock);
	return NULL;
}

int api_refresher_start(pthread_mutex_t *lock, api_refresher_step_fn *step, void *ctx,
			struct api_refresher **refresher_r)
{
	struct api_refresher *r = calloc(1, sizeof(*r));
	pthread_condattr_t attr;

	*refresher_r = NULL;
	if (r == NULL)
		return -1;
	r->lock = lock;
	r->step = step;
	r->ctx = ctx;
	/* timed waits by the monotonic clock, as the caches' times are */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&r->wake, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&r->thread, NULL, refresher_main, r) != 0) {
		pthread_cond_destroy(&r->wake);
		free(r);
		return -1;
	}
	*refresher_r = r;
	return 0;
}

void api_refresher_wake(struct api_refresher *refresher)
{
	if (refresher != NULL && refresher->resting)
		pthread_cond_signal(&refresher->wake);
}

void api_refresher_stop(struct api_refresher **refresher)
{
	struct api_refresher *r = *refresher;

	if (r == NULL)
		return;
	pthread_mutex_lock(r->lock);
	r->stop = true;
	pthread_cond_broadcast(&r->wake);
	pthread_mutex_unlock(r->lock);
	pthread_join(r->thread, NULL);
	pthread_cond_destroy(&r->wake);
	free(r);
	*refresher = NULL;
}
