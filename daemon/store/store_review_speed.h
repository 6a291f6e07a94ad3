/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_STORE_REVIEW_SPEED_H
#define DRAFTD_STORE_REVIEW_SPEED_H

#include <jansson.h>
#include <stdint.h>

#include "daemon/store/store.h"

/* How fast people decide (issue 16 item 6), from the decisions themselves, so
 * nothing extra is written while they work. A person's time per decision is
 * the time since their previous decision when that is at most break_s (a
 * longer gap is a break, and the decision after it is not timed); decisions
 * per hour are their decisions over the clock hours in which they made at
 * least one. Counted: approvals, rejections and composed replies by a person
 * (not the automatic ones) decided in the last window_s seconds. */

#define REVIEW_SPEED_BREAK_S 900 /* 15 minutes without a decision is a break */

/* {"window_seconds", "break_seconds", "overall": {...}, "reviewers": [{...}]},
 * each {reviewer (not in overall), decisions, timed, median_seconds_per_decision
 * (null when none timed), p90_seconds_per_decision, active_hours,
 * decisions_per_hour}. Returns 0 with *speed_r, -1. */
int store_review_speed(struct store *store, uint32_t window_s, uint32_t break_s, json_t **speed_r)
	__attribute__((warn_unused_result));

#endif
