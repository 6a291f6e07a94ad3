/* The services `draftd run` starts, in start order (stopped in reverse).
 * Each lives in its own file; the weak declarations let each land on its own
 * (a missing one is skipped) without editing this list again. */
#include <stddef.h>

#include "daemon/service/daemon.h"

extern const struct service_ops service_api __attribute__((weak));
extern const struct service_ops service_workers __attribute__((weak));
extern const struct service_ops service_outbox __attribute__((weak));
extern const struct service_ops service_pollers __attribute__((weak));
extern const struct service_ops service_promotion __attribute__((weak));

const struct service_ops *const daemon_services[] = {
	/* the API first, so /healthz answers while the rest starts */
	&service_api, &service_workers, &service_outbox, &service_pollers, &service_promotion, NULL,
};

const size_t daemon_services_count = sizeof(daemon_services) / sizeof(daemon_services[0]) - 1;
