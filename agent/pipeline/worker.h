/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_WORKER_H
#define DRAFTD_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "agent/pipeline/agent.h"
#include "agent/pipeline/job_heartbeat.h"
#include "agent/pipeline/pipeline.h"
#include "daemon/service/daemon.h"
#include "daemon/store/store.h"
#include "daemon/store/store_batch.h"
#include "daemon/store/store_jobs.h"

/* The pipeline workers of `draftd run` ([agent] workers threads). */
extern const struct service_ops service_workers;

/* A worker's lease owner name: host:pid:wINDEX:TAKE. */
void worker_id(unsigned int index, uint64_t take, char *out, size_t size);

/* Takes one ready job and runs it, giving it back on failure; hb (may be
 * NULL) renews its lease meanwhile. Returns 1 when a job was handled
 * (*outcome_r set; PIPELINE_OUTCOMES when the attempt failed), 0 when no job
 * was ready, -1 on a database error. */
int worker_run_one(struct agent *agent, struct store *store, const char *id,
		   struct job_heartbeat *hb, enum pipeline_outcome *outcome_r)
	__attribute__((warn_unused_result));

/* worker_run_one() for a job already taken (its lease held by hb): runs
 * it, gives it back on failure, drops it from hb. Returns 1 (*outcome_r as
 * worker_run_one() sets it) or -1 on a database error. */
int worker_run_held(struct agent *agent, struct store *store, struct store_job *job,
		    struct job_heartbeat *hb, enum pipeline_outcome *outcome_r)
	__attribute__((warn_unused_result));
/* What follows a stored result: metrics, the log line, round-robin. */
void worker_finished(struct agent *agent, struct store *store, const struct store_job *job,
		     enum pipeline_outcome outcome);

/* Takes up to [agent] batch ready jobs at once and stores their results in
 * one transaction (store_batch.h) with the builtin backend; a remote model
 * takes one job (its answer is the cost, and a batch would hold finished
 * results back for the slowest answer). When a run of the batch fails, its
 * lease was lost, or the commit fails, the batch is rolled back and its
 * jobs run again one by one (worker_run_held()), so one bad message fails
 * only itself. Returns 1 with outcomes[0..*n_r) (PIPELINE_OUTCOMES for a
 * failed attempt; outcomes has room for STORE_BATCH_MAX), 0 when no job
 * was ready, -1 on a database error. */
int worker_run_batch(struct agent *agent, struct store *store, const char *id,
		     struct job_heartbeat *hb, enum pipeline_outcome *outcomes, size_t *n_r)
	__attribute__((warn_unused_result));

/* Records the agent's model probe verdict in the database (logged on error). */
void worker_record_probe(struct agent *agent, struct store *store);

#endif
