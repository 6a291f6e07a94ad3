/* SPDX-License-Identifier: MIT */
/* The registry of the services `draftd run` starts, in start order (stopped
 * in reverse). Each lives in its own module and is declared in that module's
 * header; adding one is one line here. A missing one is a link error. */
#include "daemon/services.h"

#include "agent/pipeline/worker.h"
#include "daemon/ingest/poller.h"
#include "daemon/lib/util.h"
#include "daemon/outbox/outbox.h"
#include "daemon/promotion/promotion.h"
#include "ui-api/api_server.h"
#include "ui-api/metrics_server.h"

const struct service_ops *const daemon_services[] = {
	/* the API first, so /healthz answers while the rest starts */
	&service_api,    &service_metrics, &service_workers,
	&service_outbox, &service_pollers, &service_promotion,
};

const size_t daemon_services_count = ARRAY_SIZE(daemon_services);
