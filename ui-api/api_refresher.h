/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_API_REFRESHER_H
#define DRAFTD_API_REFRESHER_H

#include <pthread.h>
#include <stdint.h>

/* The thread behind a cache kept fresh off the request path (the token
 * cache's refresher, the backlog's): it calls step(ctx) again and again
 * with *lock held (the caller's mutex, which guards what step reads; step
 * may let go of it while it works and holds it again when it returns) and
 * waits between calls as step says: that many milliseconds (0: none), or
 * API_REFRESHER_REST until api_refresher_wake(). A timed wait ends at its
 * time or at the stop only: a wake while it waits is for a resting
 * refresher, and a fresh answer needs nothing. */

#define API_REFRESHER_REST UINT64_MAX

typedef uint64_t api_refresher_step_fn(void *ctx);

struct api_refresher;
/* Starts the thread (ctx and *lock must outlive it): 0 with *refresher_r,
 * or -1 when no thread could be started. It may be called with *lock held:
 * the first step waits for it. */
int api_refresher_start(pthread_mutex_t *lock, api_refresher_step_fn *step, void *ctx,
			struct api_refresher **refresher_r) __attribute__((warn_unused_result));
/* Ends a rest; nothing when the refresher is not resting or is NULL. Call
 * with *lock held. */
void api_refresher_wake(struct api_refresher *refresher);
/* Stops the thread after the step under way, frees it and clears
 * *refresher; NULL is fine. Takes *lock: call without it. */
void api_refresher_stop(struct api_refresher **refresher);

#endif
