/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_API_SERVER_H
#define DRAFTD_API_SERVER_H

#include "daemon/service/daemon.h"

/* The REST API and the reviewer page of `draftd run` ([api] listen): the
 * ui-api module's one entry point for the process (daemon/services.c). */
extern const struct service_ops service_api;

#endif
