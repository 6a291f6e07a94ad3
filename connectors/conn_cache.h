/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_CONN_CACHE_H
#define DRAFTD_CONN_CACHE_H

#include <time.h>

#include "connectors/connector.h"

/* A connector's answers by key, for cache_ttl seconds. Bounded: past
 * CONN_CACHE_MAX entries the oldest is dropped. Not thread-safe: the
 * connector's mutex covers it. Only real answers (found / not found) are
 * stored, never "unknown", so a failing backend is asked again next time. */

#define CONN_CACHE_MAX 4096

struct conn_cache;

struct conn_cache *conn_cache_new(void);
/* Frees and clears *cache; NULL is fine. */
void conn_cache_free(struct conn_cache **cache);

/* Returns 1 and fills state, fact (new reference) and fetched_at of *result
 * when key has an entry younger than ttl seconds; 0 otherwise. */
int conn_cache_get(struct conn_cache *cache, const char *key, time_t now, unsigned int ttl,
		   struct conn_result *result);
/* Stores (a copy of the reference to) result's answer under result->key. */
void conn_cache_put(struct conn_cache *cache, const struct conn_result *result);

#endif
