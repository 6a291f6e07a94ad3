/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_METRICS_SERVER_H
#define DRAFTD_METRICS_SERVER_H

#include "daemon/lib/buf.h"
#include "daemon/service/daemon.h"
#include "daemon/store/store.h"

/* GET /metrics for Prometheus on a listener of its own ([metrics] listen,
 * loopback by default, no token), apart from the REST API: the ui-api
 * module's second entry point for the process (daemon/services.c). */
extern const struct service_ops service_metrics;

/* metrics_db.c: the families read from the database (messages, drafts,
 * jobs, the backlog, the outbox queue, the kill switch, category modes);
 * the backlog is the process's shared answer, at most backlog_max_age
 * seconds old (ui-api/backlog_cache.h). Returns 0, or -1 on a database
 * error or a full buffer. */
int metrics_database(struct buf *b, struct store *store, unsigned int backlog_max_age)
	__attribute__((warn_unused_result));
/* metrics_db.c: the REST server's requests by status code. 0 or -1. */
int metrics_api_requests(struct buf *b) __attribute__((warn_unused_result));

#endif
