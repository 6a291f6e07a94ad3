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
			hit = 1;
		}
	}
	pthread_mutex_unlock(&token_lock);
	return hit;
}

void api_token_cache_put(const unsigned char hash[32], const struct token_auth *auth,
			 unsigned int ttl_s, uint64_t now_ms, time_t now)
{
	struct token_slot *s = token_slot(hash);
	uint64_t keep_ms = (uint64_t)ttl_s * 1000;
	time_t expires = token_expiry(auth->expires_at);

	if (ttl_s == 0 || auth->expired)
		return;
	if (expires != 0) {
		if (expires <= now)
			return;
		if ((uint64_t)(expires - now) * 1000 < keep_ms)
			keep_ms = (uint64_t)(expires - now) * 1000;
	}
	pthread_mutex_lock(&token_lock);
	s->used = true;
	memcpy(s->hash, hash, sizeof(s->hash));
	s->until_ms = now_ms + keep_ms;
	s->auth = *auth;
	pthread_mutex_unlock(&token_lock);
}

void api_token_cache_clear(void)
{
	pthread_mutex_lock(&token_lock);
	memset(token_slots, 0, sizeof(token_slots));
	pthread_mutex_unlock(&token_lock);
}
