/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_JOB_HEARTBEAT_H
#define DRAFTD_JOB_HEARTBEAT_H

#include <stddef.h>

#include "daemon/lib/error.h"
#include "daemon/store/store_jobs.h"
#include "daemon/store/store_pool.h"

/* The heartbeat of the jobs a process is working on. A job is taken under a
 * lease ([agent] job_lease); while a worker is alive, this renews the lease
 * every third of it, on a connection of its own or one borrowed from a
 * pool for each renewal, so a model call longer
 * than the lease never lets another worker take the job, and the lease can
 * be short: a worker that dies (or whose completion was lost in a database
 * crash) stops renewing and its job is taken again within one lease. */

struct job_heartbeat;

/* Starts the heartbeat thread for the database at url. Returns 0 with
 * *hb_r, or -1 with a reason in err. */
int job_heartbeat_start(const char *url, unsigned int connect_timeout, struct job_heartbeat **hb_r,
			struct error *err) __attribute__((warn_unused_result));

/* The same, renewing on a connection borrowed from pool for each renewal
 * and given back at once (`draftd run`: the daemon's side pool, so the
 * heartbeat adds no connection of its own; a renewal waits at most for the
 * step another borrower is in, well within the two thirds of a lease left).
 * pool must outlive the heartbeat. */
int job_heartbeat_start_pooled(struct store_pool *pool, struct job_heartbeat **hb_r,
			       struct error *err) __attribute__((warn_unused_result));

/* Stops the thread, closes its connection and clears *hb. NULL is fine. */
void job_heartbeat_stop(struct job_heartbeat **hb);

/* Renews job's lease for lease_s seconds at a time until job_heartbeat_drop().
 * Thread-safe; hb may be NULL (nothing renews then). Returns 0, or -1 when
 * too many jobs are held already (the job then lives on its first lease). */
int job_heartbeat_hold(struct job_heartbeat *hb, const struct store_job *job, unsigned int lease_s);
void job_heartbeat_drop(struct job_heartbeat *hb, const struct store_job *job);

#endif
