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

/* Records the agent's model probe verdict in the database (logged on error). */
void worker_record_probe(struct agent *agent, struct store *store);

#endif
