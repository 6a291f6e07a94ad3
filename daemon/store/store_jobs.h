/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_STORE_JOBS_H
#define DRAFTD_STORE_JOBS_H

#include <stdint.h>

#include "daemon/store/store.h"

/* The pipeline's job queue in Postgres. A job is taken with FOR UPDATE SKIP
 * LOCKED under a lease (locked_by, locked_until): a worker that dies simply
 * lets the lease expire and another takes the job again. Finishing checks
 * that the lease is still ours, in the caller's transaction, so a job taken
 * twice completes once. */

#define STORE_WORKER_ID_MAX 96

struct store_job {
	int64_t id;
	int64_t message_id;
	int attempts; /* including this one */
	char locked_by[STORE_WORKER_ID_MAX];
};

/* Takes the oldest ready job (queued and due, or running with an expired
 * lease) for lease_secs. Returns 1 with *job_r, 0 when none is ready, -1 on
 * error. */
int store_job_take(struct store *store, const char *worker_id, unsigned int lease_secs,
		   struct store_job *job_r) __attribute__((warn_unused_result));

/* Takes up to max ready jobs, oldest first, in one statement, all under
 * the lease worker_id (a batch, [agent] batch). Returns 1 with jobs[0..*n_r)
 * (in no particular order), 0 when none is ready, -1 on error. */
int store_jobs_take(struct store *store, const char *worker_id, unsigned int lease_secs,
		    struct store_job *jobs, size_t max, size_t *n_r)
	__attribute__((warn_unused_result));

/* Inside an open transaction: marks the job done if the lease is still
 * ours. Returns 1 when done, 0 when the lease was lost (roll back: someone
 * else has the job), -1 on error. */
int store_job_complete(struct store *store, const struct store_job *job)
	__attribute__((warn_unused_result));

/* Gives a failed attempt back: queued again after a backoff of retry_delay
 * seconds growing 4x with each attempt (at most 1 h), or dead after
 * max_attempts with the reason kept (the message is then marked failed, for a
 * human). Returns 1 when requeued, 0 when dead, -1 on error. */
int store_job_fail(struct store *store, const struct store_job *job, unsigned int max_attempts,
		   unsigned int retry_delay, const char *reason)
	__attribute__((warn_unused_result));

/* Renews the leases of running jobs this process holds: ids[i] held as
 * owners[i] get locked_until = now() + lease_secs, in one statement; a job no
 * longer held under that name (its lease was lost) is left alone. Returns
 * how many were renewed, or -1. */
int store_jobs_renew(struct store *store, const int64_t *ids, const char *const *owners, size_t n,
		     unsigned int lease_secs) __attribute__((warn_unused_result));

/* Counts jobs queued and due now, for `draftd process --once` and metrics.
 * Returns the count or -1. */
int64_t store_jobs_ready(struct store *store);

#endif
