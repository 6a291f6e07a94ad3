/* SPDX-License-Identifier: MIT */
#include "connectors/conn_cache.h"

#include <stdlib.h>
#include <string.h>

#include "daemon/lib/util.h"

struct conn_cache_entry {
	char key[CONN_KEY_MAX];
	enum conn_state state;
	json_t *fact;
	time_t fetched_at;
};

/* A small open list: a message mentions a handful of keys and the
 * business's catalogue is thousands, so a linear scan is cheap enough. */
struct conn_cache {
	struct conn_cache_entry *entries;
	size_t count;
};

struct conn_cache *conn_cache_new(void)
{
	struct conn_cache *cache = calloc(1, sizeof(*cache));

	if (cache == NULL)
		return NULL;
	cache->entries = calloc(CONN_CACHE_MAX, sizeof(*cache->entries));
	if (cache->entries == NULL) {
		free(cache);
		return NULL;
	}
	return cache;
}

void conn_cache_free(struct conn_cache **cachep)
{
	struct conn_cache *cache = *cachep;
	size_t i;

	if (cache == NULL)
		return;
	for (i = 0; i < cache->count; i++)
		json_decref(cache->entries[i].fact);
	free(cache->entries);
	free(cache);
	*cachep = NULL;
}

static struct conn_cache_entry *conn_cache_find(struct conn_cache *cache, const char *key)
{
	size_t i;

	for (i = 0; i < cache->count; i++) {
		if (strcmp(cache->entries[i].key, key) == 0)
			return &cache->entries[i];
	}
	return NULL;
}

int conn_cache_get(struct conn_cache *cache, const char *key, time_t now, unsigned int ttl,
		   struct conn_result *result)
{
	struct conn_cache_entry *e = conn_cache_find(cache, key);

	if (e == NULL || now - e->fetched_at >= (time_t)ttl || now < e->fetched_at)
		return 0;
	result->state = e->state;
	result->fact = e->fact != NULL ? json_deep_copy(e->fact) : NULL;
	result->fetched_at = e->fetched_at;
	return 1;
}

void conn_cache_put(struct conn_cache *cache, const struct conn_result *result)
{
	struct conn_cache_entry *e = conn_cache_find(cache, result->key);
	size_t i, oldest = 0;

	if (e == NULL && cache->count < CONN_CACHE_MAX) {
		e = &cache->entries[cache->count++];
	} else if (e == NULL) {
		for (i = 1; i < cache->count; i++) {
			if (cache->entries[i].fetched_at < cache->entries[oldest].fetched_at)
				oldest = i;
		}
		e = &cache->entries[oldest];
	}
	json_decref(e->fact);
	str_copy(e->key, sizeof(e->key), result->key);
	e->state = result->state;
	/* a deep copy: callers may change their fact, the cache must not see it */
	e->fact = result->fact != NULL ? json_deep_copy(result->fact) : NULL;
	e->fetched_at = result->fetched_at;
}
