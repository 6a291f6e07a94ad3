/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_STORE_PROMOTION_INT_H
#define DRAFTD_STORE_PROMOTION_INT_H

/* Shared by daemon/store/store_promotion*.c only. */

#include <jansson.h>

#include "daemon/store/store.h"

/* store_category_set_mode() inside the caller's open transaction: 1 changed,
 * 0 not in from_mode, -1. */
int store_category_set_mode_tx(struct store *store, const char *category, const char *from_mode,
			       const char *to_mode, const char *actor, const char *reason,
			       const json_t *evidence) __attribute__((warn_unused_result));

#endif
