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
 *
 * The refresher (backlog_refresher_start) keeps the answer fresh off the
 * request path: while someone asked within the idle time (BACKLOG_IDLE_S,
 * or 2 x max_age when that is longer: one open page's header, polling
 * every 30 s, keeps it going), it recomputes the answer once it is
 * BACKLOG_REFRESH_PERCENT of max_age old, so in the steady state requests
 * find a fresh answer and never wait for a computation. After the idle
 * time without a request it stops (no database work on an idle install)
 * and the next request computes as without it. The bound above is the
 * same either way. Process-wide and thread-safe. */

#define BACKLOG_IDLE_S          60 /* seconds without a request before the refresher rests */
#define BACKLOG_REFRESH_PERCENT 60 /* of max_age: when the refresher recomputes */

/* Computes a fresh answer: 0 with *result_r (a JSON object), or -1. */
typedef int (*backlog_compute_fn)(void *ctx, json_t **result_r);

/* The answer (a copy the caller owns, with "age_seconds", the seconds
 * since its computation began, to the millisecond) no older than max_age_s
 * seconds at now; max_age_s 0 computes every time and keeps nothing. 0
 * with *result_r, or -1 when compute failed (its error stays where compute
 * put it) or memory ran out. */
int backlog_cache_get(unsigned int max_age_s, backlog_compute_fn compute, void *ctx,
		      json_t **result_r) __attribute__((warn_unused_result));
/* backlog_cache_get(), except that this read does not count as someone
 * asking: it never starts or keeps the refresher going. For the metrics
 * listener: a scrape every few seconds would keep the refresher, and the
 * API pool connection it borrows, busy on an install whose pages nobody
 * has open; a scrape that finds the answer too old computes on its own
 * connection, off any reviewer's path. */
int backlog_cache_peek(unsigned int max_age_s, backlog_compute_fn compute, void *ctx,
		       json_t **result_r) __attribute__((warn_unused_result));
struct store;
/* backlog_cache_get() over store_outcome_backlog() on store. */
int backlog_read(struct store *store, unsigned int max_age_s, json_t **result_r)
	__attribute__((warn_unused_result));
/* backlog_cache_peek() over store_outcome_backlog() on store. */
int backlog_read_scrape(struct store *store, unsigned int max_age_s, json_t **result_r)
	__attribute__((warn_unused_result));
/* backlog_compute_fn over store_outcome_backlog(): ctx is a struct store. */
int backlog_compute_store(void *ctx, json_t **result_r) __attribute__((warn_unused_result));
/* The computations since the process started, by who made them: a request
 * (GET /backlog, GET /stats, the metrics listener) or the refresher. */
void backlog_cache_counts(uint64_t *by_request_r, uint64_t *by_refresh_r);

/* What the refresher computes with: acquire(ctx, &conn) borrows what a
 * computation needs (a database connection from the API's pool; 0 or -1),
 * compute(conn, ...) computes, release(ctx, &conn) gives it back. It
 * borrows before it counts as computing (requests waiting for its answer
 * hold the pool's other connections). acquire and release NULL: compute
 * gets ctx. */
struct backlog_source {
	backlog_compute_fn compute;
	int (*acquire)(void *ctx, void **conn_r);
	void (*release)(void *ctx, void **conn);
	void *ctx;
};

/* The refresher: a thread that computes from source as described above
 * (source->ctx must outlive it; source is copied). Returns 0 with
 * *refresher_r, or -1 (no thread could be started: requests then compute
 * as without it). max_age_s 0 starts nothing and returns 0 with NULL. */
struct backlog_refresher;
int backlog_refresher_start(unsigned int max_age_s, const struct backlog_source *source,
			    struct backlog_refresher **refresher_r)
	__attribute__((warn_unused_result));
/* Stops the thread (after the computation it may be running) and frees
 * it; NULL is fine. */
void backlog_refresher_stop(struct backlog_refresher **refresher);

/* For tests. */
/* Forgets the kept answer, the last request's time and the counts. */
void backlog_cache_clear(void);
/* Replaces the clock (monotonic milliseconds; NULL: time_mono_ms). With
 * another clock, drive the refresher with backlog_cache_refresh_step()
 * rather than a thread (the thread sleeps by the real clock). */
void backlog_cache_set_clock(uint64_t (*now_ms)(void));
/* One step of the refresher at the clock's now: recomputes when due.
 * Returns 1 when it computed (0 more to wait), 0 when nothing was due
 * with *wait_ms_r the milliseconds until it may be (UINT64_MAX: resting
 * until a request or a computation), -1 when the computation failed
 * (*wait_ms_r before the next try). */
int backlog_cache_refresh_step(unsigned int max_age_s, const struct backlog_source *source,
			       uint64_t *wait_ms_r);

#endif
