/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_METRICS_H
#define DRAFTD_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/lib/buf.h"

/* This process's pipeline counters for GET /metrics: model requests and
 * their latency, pipeline outcomes, connector lookups. Lock-free atomics;
 * every function is thread-safe. Counts that must add up across instances
 * (messages, drafts, skips, flags) come from the database instead. */

/* One model request: its duration and whether it produced a draft. */
void metrics_model_request(uint64_t ms, bool ok);
/* A model request starts (+1) or ends (-1): draftd_model_requests_in_flight. */
void metrics_model_in_flight(int delta);
/* One pipeline run ended with outcome (a pipeline_outcome_name()). */
void metrics_pipeline_outcome(const char *outcome);
/* One connector lookup call: its duration and whether it answered. */
void metrics_connector(const char *name, uint64_t ms, bool ok);

/* Appends the counters in Prometheus text format. Returns 0 or -1 (full). */
int metrics_render(struct buf *b) __attribute__((warn_unused_result));

#endif
