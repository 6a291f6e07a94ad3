/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_STORE_METRICS_H
#define DRAFTD_STORE_METRICS_H

#include <jansson.h>

#include "daemon/store/store.h"

/* What /metrics reads per scrape besides store_review_metrics(): the kill
 * switch ("auto_enabled": true/false), each category's mode
 * ("category_modes": {name: mode}), and the outbox queue: replies not yet
 * sent or given up ("outbox_queued": n, pending, sending or uncertain) and
 * the oldest one's age ("outbox_oldest_queued_age_seconds", 0 when none).
 * Returns 0 with *result_r (an object, json_decref it) or -1. */
int store_metrics_ops(struct store *store, json_t **result_r) __attribute__((warn_unused_result));

#endif
