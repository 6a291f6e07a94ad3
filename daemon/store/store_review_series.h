/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_STORE_REVIEW_SERIES_H
#define DRAFTD_STORE_REVIEW_SERIES_H

#include <jansson.h>

#include "daemon/store/store.h"

#define REVIEW_SERIES_MAX_DAYS 366

/* The daily review figures behind GET /stats?days=N and `draftd stats
 * --days N`: the last days UTC dates (1..REVIEW_SERIES_MAX_DAYS, today
 * included, oldest first, quiet days as zeros) overall, per category (every
 * configured one, and any other seen in the period) and per human reviewer:
 *   {"days": n, "from": "YYYY-MM-DD", "to": "YYYY-MM-DD",
 *    "overall": [day...], "categories": [{"category", "days": [day...]}],
 *    "reviewers": [{"reviewer", "days": [day...]}]}
 * A day is {day, drafts, auto_sent (both by creation date; not for
 * reviewers), reviewed, approved_unchanged, approved_edited, rejected,
 * unchanged_rate, mean_edit_distance, median_decision_seconds (by decision
 * date; the last three null without a decision)}. Decisions are a human's
 * (reviewer set and not 'auto'); unchanged means edit distance <=
 * unchanged_threshold ([agent] unchanged_threshold, as promotion uses).
 * Returns 0 with *result_r, or -1 with store_error(). */
int store_review_series(struct store *store, unsigned int days, double unchanged_threshold,
			json_t **result_r) __attribute__((warn_unused_result));

#endif
