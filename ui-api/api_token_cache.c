/* SPDX-License-Identifier: MIT */
#include "ui-api/api_token_cache.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct token_slot {
	bool used;
	unsigned char hash[32];
	uint64_t until_ms;
	uint64_t refresh_ms; /* from then on the refresher may look it up again */
	bool hit;            /* a request used it since its lookup */
	bool refreshing;     /* handed out by api_token_cache_due() */
	struct token_auth auth;
};

static struct token_slot token_slots[API_TOKEN_CACHE_SLOTS];
static pthread_mutex_t token_lock = PTHREAD_MUTEX_INITIALIZER;

static struct token_slot *token_slot(const unsigned char hash[32])
{
	return &token_slots[((unsigned int)hash[0] | (unsigned int)hash[1] << 8) %
			    API_TOKEN_CACHE_SLOTS];
}

/* Without an early exit, as the store compares: the answer's timing never
 * depends on where two hashes first differ. */
static bool token_same(const unsigned char *a, const unsigned char *b)
{
	unsigned char diff = 0;

	for (size_t i = 0; i < 32; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

/* expires_at ("YYYY-MM-DDTHH:MM:SSZ", seconds truncated, so never later
 * than the real expiry) as a time_t; 0 for "" (never) or what does not
 * parse (then the TTL alone bounds the entry, and the lookup after it sees
 * the expiry). */
static time_t token_expiry(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (s[0] == '\0' || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon,
				   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

int api_token_cache_get(const unsigned char hash[32], uint64_t now_ms, time_t now,
			struct token_auth *auth_r)
{
	struct token_slot *s = token_slot(hash);
	time_t expires;
	int hit = 0;

	pthread_mutex_lock(&token_lock);
	if (s->used && token_same(s->hash, hash) && now_ms < s->until_ms) {
		expires = token_expiry(s->auth.expires_at);
		if (expires == 0 || now < expires) {
			*auth_r = s->auth;
			s->hit = true;
			hit = 1;
		}
	}
	pthread_mutex_unlock(&token_lock);
	return hit;
}

/* How long auth may be kept from now: 0 when not at all. */
static uint64_t token_keep_ms(const struct token_auth *auth, unsigned int ttl_s, time_t now)
{
	uint64_t keep_ms = (uint64_t)ttl_s * 1000;
	time_t expires = token_expiry(auth->expires_at);

	if (ttl_s == 0 || auth->expired)
		return 0;
	if (expires != 0) {
		if (expires <= now)
			return 0;
		if ((uint64_t)(expires - now) * 1000 < keep_ms)
			keep_ms = (uint64_t)(expires - now) * 1000;
	}
	return keep_ms;
}

/* Fills s (token_lock held). */
static void token_keep(struct token_slot *s, const unsigned char hash[32],
		       const struct token_auth *auth, uint64_t keep_ms, uint64_t now_ms)
{
	s->used = true;
	memcpy(s->hash, hash, sizeof(s->hash));
	s->until_ms = now_ms + keep_ms;
	s->refresh_ms = now_ms + keep_ms / 2;
	s->hit = false;
	s->refreshing = false;
	s->auth = *auth;
}

void api_token_cache_put(const unsigned char hash[32], const struct token_auth *auth,
			 unsigned int ttl_s, uint64_t now_ms, time_t now)
{
	uint64_t keep_ms = token_keep_ms(auth, ttl_s, now);

	if (keep_ms == 0)
		return;
	pthread_mutex_lock(&token_lock);
	token_keep(token_slot(hash), hash, auth, keep_ms, now_ms);
	pthread_mutex_unlock(&token_lock);
}

size_t api_token_cache_due(uint64_t now_ms, unsigned char (*hashes_r)[32], size_t max)
{
	size_t n = 0;

	pthread_mutex_lock(&token_lock);
	for (size_t i = 0; i < API_TOKEN_CACHE_SLOTS && n < max; i++) {
		struct token_slot *s = &token_slots[i];

		if (!s->used || !s->hit || s->refreshing || now_ms < s->refresh_ms ||
		    now_ms >= s->until_ms)
			continue;
		s->refreshing = true;
		memcpy(hashes_r[n++], s->hash, sizeof(s->hash));
	}
	pthread_mutex_unlock(&token_lock);
	return n;
}

void api_token_cache_refreshed(const unsigned char hash[32], int found,
			       const struct token_auth *auth, unsigned int ttl_s,
			       uint64_t started_ms, time_t now)
{
	struct token_slot *s = token_slot(hash);
	uint64_t keep_ms = found == 1 ? token_keep_ms(auth, ttl_s, now) : 0;

	pthread_mutex_lock(&token_lock);
	if (!s->used || !s->refreshing || !token_same(s->hash, hash))
		goto out;
	if (found < 0)
		s->refreshing = false; /* handed out again while it lasts */
	else if (keep_ms == 0)
		memset(s, 0, sizeof(*s)); /* refused from now on */
	else
		token_keep(s, hash, auth, keep_ms, started_ms);
out:
	pthread_mutex_unlock(&token_lock);
}

void api_token_cache_clear(void)
{
	pthread_mutex_lock(&token_lock);
	memset(token_slots, 0, sizeof(token_slots));
	pthread_mutex_unlock(&token_lock);
}
