/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_PROMOTION_SERVICE_H
#define DRAFTD_PROMOTION_SERVICE_H

#include <jansson.h>

#include "daemon/config/config.h"
#include "daemon/service/daemon.h"
#include "daemon/store/store.h"

/* Promotion and demotion on draftd's own account (DESIGN.md step 10): the
 * per-category evidence everyone shows (GET /stats, `draftd stats`, the
 * web page) and the pass the promotion service runs every
 * [agent] promotion_interval: promote eligible shadow categories under
 * promotion = automatic, demote auto categories whose evidence turned,
 * demote on customer replies to automatic replies, and keep automatic
 * replies from waiting in the outbox while the kill switch is off. */

extern const struct service_ops service_promotion;

/* {"window_seconds", "unchanged_threshold", "z", "auto_enabled",
 * "categories":[...]}: store_promotion_counts()' rows with, per category,
 * unchanged_rate, unchanged_lower_bound, eligible, not_eligible_because,
 * never_auto, and "shadow" and "samples" summaries. 0 with *result_r, or
 * -1 with store_error(). */
int promotion_stats(struct store *store, const struct config *config, json_t **result_r)
	__attribute__((warn_unused_result));

/* Adds never_auto, never_auto_reason and source (builtin, config or
 * database) to each entry of categories (GET /categories' list), by the
 * same evidence the promotion pass uses: the list, the PUT and the pass
 * agree on what is never automatic. builtin lists the classifier's
 * built-in names (NULL-terminated, may be NULL). 0 or -1. */
int promotion_categories_decorate(struct store *store, const struct config *config,
				  const char *const *builtin, json_t *categories)
	__attribute__((warn_unused_result));

/* One pass (see above). Returns the number of mode changes, or -1. */
int promotion_pass(struct store *store, const struct config *config)
	__attribute__((warn_unused_result));

/* Demotes every auto category to draft (audited, logged) because why, e.g.
 * the model failed its start-up probe. Returns the number demoted, or -1. */
int promotion_demote_all(struct store *store, const char *why) __attribute__((warn_unused_result));

#endif
