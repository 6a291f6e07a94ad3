/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_ROUND_ROBIN_H
#define DRAFTD_ROUND_ROBIN_H

#include "daemon/config/config.h"
#include "daemon/store/store.h"

/* After the pipeline ran on message_id: assigns it to the next person of
 * its category's assignees when the category has assign = round_robin and
 * the message is open and nobody has it. Failures are logged, never
 * fatal: an unassigned message is still in everyone's queue. */
void round_robin_after(const struct config *config, struct store *store, long long message_id);

#endif
