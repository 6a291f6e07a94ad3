/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_BACKLOG_CACHE_H
#define DRAFTD_BACKLOG_CACHE_H

#include <jansson.h>
#include <stdint.h>

/* One backlog computation shared by every request of the process for a
 * short time (issue 16 item 6): GET /backlog, GET /stats?parts=backlog
 * (which every open page polls for its header) and the metrics listener
 * read one answer no older than [api] backlog_max_age seconds. The age
 * counts from the moment the computation began (its snapshot is taken
 * after that), so a change committed more than max_age seconds before a
 * request always shows in its answer. One computation at a time: a
 * request that finds the answer too old while another thread computes
 * waits for that computation rather than taking the old answer (then the
 * bound holds for it too); if that one fails it computes itself. An
 * answer whose computation began after the request came is taken at any
 * age (only a computation slower than the bound makes one that old; it
 * still shows every change committed before the request).
 * Process-wide and thread-safe. */

/* Computes a fresh answer: 0 with *result_r (a JSON object), or -1. */
typedef int (*backlog_compute_fn)(void *ctx, json_t **result_r);

/* The answer (a copy the caller owns, with "age_seconds", the seconds
 * since its computation began) no older than max_age_s seconds at now
 * (time_mono_ms()); max_age_s 0 computes every time and keeps nothing.
 * 0 with *result_r, or -1 when compute failed (its error stays where
 * compute put it) or memory ran out. */
int backlog_cache_get(unsigned int max_age_s, backlog_compute_fn compute, void *ctx,
		      json_t **result_r) __attribute__((warn_unused_result));
struct store;
/* backlog_cache_get() over store_outcome_backlog() on store. */
int backlog_read(struct store *store, unsigned int max_age_s, json_t **result_r)
	__attribute__((warn_unused_result));
/* Forgets the kept answer (tests). */
void backlog_cache_clear(void);

#endif
