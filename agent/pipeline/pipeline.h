/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_PIPELINE_H
#define DRAFTD_PIPELINE_H

#include <stdint.h>

#include "agent/pipeline/agent.h"
#include "daemon/store/store.h"
#include "daemon/store/store_pool.h"
#include "daemon/store/store_jobs.h"

/* One message through the pipeline: parse, screen, classify, look up, rules,
 * draft, guardrails, decide; the result and the job's completion stored in
 * one transaction. */

enum pipeline_outcome {
	PIPELINE_DRAFTED = 0, /* a draft waits for review */
	PIPELINE_AUTO,        /* a reply was queued without review */
	PIPELINE_SKIPPED,     /* no reply (screened, rules, noise, duplicate) */
	PIPELINE_HUMAN,       /* no draft; a human writes */
	PIPELINE_LOST,        /* the job's lease was lost: someone else finishes it */
	PIPELINE_OUTCOMES
};

/* Runs job. Returns 0 with *outcome_r, or -1 with a reason in err for a
 * failed attempt (the caller gives the job back with store_job_fail()). */
int pipeline_run(struct agent *agent, struct store *store, const struct store_job *job,
		 enum pipeline_outcome *outcome_r, struct error *err)
	__attribute__((warn_unused_result));

/* pipeline_run() with a connection borrowed from pool (*storep): it is
 * given back while the model answers and borrowed again after, so that
 * pipelines waiting on a remote model hold no connection. On return
 * *storep is the connection then held, NULL when none could be borrowed
 * again (-1 with a retryable err; the job's lease runs out and it is
 * redone). pool NULL: pipeline_run(). */
int pipeline_run_lent(struct agent *agent, struct store **storep, struct store_pool *pool,
		      const struct store_job *job, enum pipeline_outcome *outcome_r,
		      struct error *err) __attribute__((warn_unused_result));

const char *pipeline_outcome_name(enum pipeline_outcome outcome);

#endif
