/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_SERVICES_H
#define DRAFTD_SERVICES_H

#include <stddef.h>

#include "daemon/service/daemon.h"

/* The services `draftd run` starts (daemon/services.c), in start order. */
extern const struct service_ops *const daemon_services[];
extern const size_t daemon_services_count;

#endif
