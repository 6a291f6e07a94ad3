/* SPDX-License-Identifier: MIT */
/* Lease renewal for the jobs this process holds (see job_heartbeat.h). */
#include "agent/pipeline/job_heartbeat.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/lib/log.h"
#include "daemon/store/store.h"
#include "daemon/lib/util.h"

/* WORKERS_MAX workers each holding a batch of STORE_BATCH_MAX jobs (the
 * pages of the arrays are only touched as far as they are used) */
#define HEARTBEAT_JOBS_MAX (64 * 32)
#define HEARTBEAT_TICK_MS  500

struct heartbeat_job {
	int64_t id;
	char owner[STORE_WORKER_ID_MAX];
	unsigned int lease_s;
	uint64_t renewed_ms; /* monotonic: taken or last renewed */
};

struct job_heartbeat {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
	char *url;               /* its own connection's, or ... */
	struct store_pool *pool; /* ... borrowed for each renewal */
	unsigned int connect_timeout;
	struct heartbeat_job jobs[HEARTBEAT_JOBS_MAX];
	size_t count;
	/* the thread's copy of the due jobs */
	int64_t due_ids[HEARTBEAT_JOBS_MAX];
	char due_owners[HEARTBEAT_JOBS_MAX][STORE_WORKER_ID_MAX];
	const char *due_owner_ptrs[HEARTBEAT_JOBS_MAX];
};

/* The jobs whose lease is a third gone, copied out under the lock (the
 * database call runs without it, so holding and dropping never wait). */
static size_t heartbeat_due(struct job_heartbeat *hb, unsigned int *lease_r)
{
	uint64_t now = time_mono_ms();
	size_t i, n = 0;

	*lease_r = 0;
	for (i = 0; i < hb->count; i++) {
		struct heartbeat_job *j = &hb->jobs[i];

		if (now - j->renewed_ms < (uint64_t)j->lease_s * 1000 / 3)
			continue;
		hb->due_ids[n] = j->id;
		str_copy(hb->due_owners[n], STORE_WORKER_ID_MAX, j->owner);
		hb->due_owner_ptrs[n] = hb->due_owners[n];
		/* one statement renews them all: the longest lease wins */
		if (j->lease_s > *lease_r)
			*lease_r = j->lease_s;
		j->renewed_ms = now;
		n++;
	}
	return n;
}

/* Renews the n due leases (copied out by heartbeat_due()) on *storep, its
 * own connection opened on first use, or on one borrowed from hb->pool for
 * this renewal only. Failures are logged: the next tick tries again. */
static void heartbeat_renew(struct job_heartbeat *hb, struct store **storep, size_t n,
			    unsigned int lease)
{
	struct error err;

	if (hb->pool != NULL) {
		if (store_pool_get(hb->pool, storep, &err) < 0) {
			log_error("cannot renew job leases: %s", error_msg(&err));
			return;
		}
	} else if (*storep == NULL && store_open(hb->url, hb->connect_timeout, storep, &err) < 0) {
		log_error("cannot renew job leases: %s", error_msg(&err));
		return;
	} else if (store_ensure(*storep) < 0) {
		log_error("cannot renew job leases: %s", store_error(*storep));
		return;
	}
	if (store_jobs_renew(*storep, hb->due_ids, hb->due_owner_ptrs, n, lease) < 0)
		log_error("renewing job leases: %s", store_error(*storep));
	if (hb->pool != NULL)
		store_pool_put(hb->pool, storep);
}

static void *heartbeat_main(void *arg)
{
	struct job_heartbeat *hb = arg;
	struct store *store = NULL;
	struct timespec until;
	unsigned int lease;
	size_t n;

	log_ctx_set("service", "job_heartbeat");
	pthread_mutex_lock(&hb->lock);
	while (!hb->stopping) {
		n = heartbeat_due(hb, &lease);
		pthread_mutex_unlock(&hb->lock);
		if (n > 0)
			heartbeat_renew(hb, &store, n, lease);
		pthread_mutex_lock(&hb->lock);
		if (hb->stopping)
			break;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += (long)HEARTBEAT_TICK_MS * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&hb->wake, &hb->lock, &until);
	}
	pthread_mutex_unlock(&hb->lock);
	store_close(&store);
	log_ctx_clear();
	return NULL;
}

/* Starts the thread of a heartbeat renewing on a connection to url (its
 * own) or on pool's. */
static int heartbeat_start(const char *url, unsigned int connect_timeout, struct store_pool *pool,
			   struct job_heartbeat **hb_r, struct error *err)
{
	struct job_heartbeat *hb = calloc(1, sizeof(*hb));
	pthread_condattr_t attr;

	*hb_r = NULL;
	if (hb == NULL || (url != NULL && (hb->url = str_dup(url)) == NULL)) {
		free(hb);
		error_set(err, "out of memory");
		return -1;
	}
	hb->pool = pool;
	hb->connect_timeout = connect_timeout;
	pthread_mutex_init(&hb->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&hb->wake, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&hb->thread, NULL, heartbeat_main, hb) != 0) {
		pthread_cond_destroy(&hb->wake);
		pthread_mutex_destroy(&hb->lock);
		free(hb->url);
		free(hb);
		error_set(err, "cannot start the job heartbeat thread");
		return -1;
	}
	*hb_r = hb;
	return 0;
}

int job_heartbeat_start(const char *url, unsigned int connect_timeout, struct job_heartbeat **hb_r,
			struct error *err)
{
	return heartbeat_start(url, connect_timeout, NULL, hb_r, err);
}

int job_heartbeat_start_pooled(struct store_pool *pool, struct job_heartbeat **hb_r,
			       struct error *err)
{
	return heartbeat_start(NULL, 0, pool, hb_r, err);
}

void job_heartbeat_stop(struct job_heartbeat **hbp)
{
	struct job_heartbeat *hb = *hbp;

	if (hb == NULL)
		return;
	pthread_mutex_lock(&hb->lock);
	hb->stopping = true;
	pthread_cond_signal(&hb->wake);
	pthread_mutex_unlock(&hb->lock);
	pthread_join(hb->thread, NULL);
	pthread_cond_destroy(&hb->wake);
	pthread_mutex_destroy(&hb->lock);
	free(hb->url);
	free(hb);
	*hbp = NULL;
}

int job_heartbeat_hold(struct job_heartbeat *hb, const struct store_job *job, unsigned int lease_s)
{
	int ret = -1;

	if (hb == NULL)
		return 0;
	pthread_mutex_lock(&hb->lock);
	if (hb->count < HEARTBEAT_JOBS_MAX) {
		struct heartbeat_job *j = &hb->jobs[hb->count++];

		j->id = job->id;
		str_copy(j->owner, sizeof(j->owner), job->locked_by);
		j->lease_s = lease_s;
		j->renewed_ms = time_mono_ms();
		ret = 0;
	}
	pthread_mutex_unlock(&hb->lock);
	return ret;
}

void job_heartbeat_drop(struct job_heartbeat *hb, const struct store_job *job)
{
	size_t i;

	if (hb == NULL)
		return;
	pthread_mutex_lock(&hb->lock);
	for (i = 0; i < hb->count; i++) {
		if (hb->jobs[i].id == job->id && strcmp(hb->jobs[i].owner, job->locked_by) == 0) {
			hb->jobs[i] = hb->jobs[--hb->count];
			break;
		}
	}
	pthread_mutex_unlock(&hb->lock);
}
