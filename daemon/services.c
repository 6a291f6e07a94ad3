/* The services `draftd run` starts, in start order (stopped in reverse). */
#include "daemon/daemon.h"

const struct service_ops *const daemon_services[] = {
	NULL,
};
