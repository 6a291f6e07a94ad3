/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_LLM_POOL_H
#define DRAFTD_LLM_POOL_H

#include <curl/curl.h>

/* The model's HTTP requests of one backend instance go through one
 * curl_multi driven by one thread: at most max connections to the server,
 * kept alive between requests whichever pipeline thread sent them (issue
 * 14: every request opened a connection of its own). */
struct llm_pool;

/* Starts the pool's thread. Returns 0, or -1 (out of memory, no thread). */
int llm_pool_open(unsigned int max, struct llm_pool **pool_r) __attribute__((warn_unused_result));
/* Stops the thread; requests still running end with CURLE_ABORTED_BY_CALLBACK
 * (their callers are woken). Clears *pool; NULL is fine. */
void llm_pool_close(struct llm_pool **pool);

/* Runs easy (set up by the caller, not shared with another thread) in the
 * pool and waits for it to end. Returns what curl_easy_perform() would;
 * afterwards easy is the caller's again (getinfo, cleanup). Thread-safe. */
CURLcode llm_pool_perform(struct llm_pool *pool, CURL *easy);

#endif
