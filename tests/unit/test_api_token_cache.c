/* SPDX-License-Identifier: MIT */
/* ui-api/api_token_cache: a token's lookup is kept for the TTL and never
 * past the token's expiry; collisions and refusals are never served. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tests/unit/harness.h"
#include "ui-api/api_token_cache.h"

static void tc_hash(unsigned char h[32], unsigned char seed)
{
	for (int i = 0; i < 32; i++)
		h[i] = (unsigned char)(seed * 31 + i);
}

static struct token_auth tc_auth(const char *name, const char *expires_at)
{
	struct token_auth a;

	memset(&a, 0, sizeof(a));
	snprintf(a.name, sizeof(a.name), "%s", name);
	a.role = TOKEN_ROLE_ADMIN;
	snprintf(a.expires_at, sizeof(a.expires_at), "%s", expires_at);
	return a;
}

static void test_tc_ttl(void)
{
	unsigned char h[32];
	struct token_auth a = tc_auth("ann", ""), got;
	time_t now = 1790000000;

	api_token_cache_clear();
	tc_hash(h, 1);
	CU_ASSERT_EQUAL(api_token_cache_get(h, 1000, now, &got), 0);
	api_token_cache_put(h, &a, 5, 1000, now);
	CU_ASSERT_EQUAL(api_token_cache_get(h, 1000, now, &got), 1);
	CU_ASSERT_STRING_EQUAL(got.name, "ann");
	CU_ASSERT_EQUAL(got.role, TOKEN_ROLE_ADMIN);
	CU_ASSERT_EQUAL(api_token_cache_get(h, 5999, now + 4, &got), 1);
	/* the bound: at TTL the next request asks the database again */
	CU_ASSERT_EQUAL(api_token_cache_get(h, 6000, now + 5, &got), 0);
	/* TTL 0 keeps nothing */
	api_token_cache_clear();
	api_token_cache_put(h, &a, 0, 1000, now);
	CU_ASSERT_EQUAL(api_token_cache_get(h, 1000, now, &got), 0);
}

static void test_tc_expiry(void)
{
	unsigned char h[32];
	struct token_auth a = tc_auth("bob", "2026-12-06T12:00:02Z"), got;
	time_t now = 1796558400; /* 2026-12-06T12:00:00Z */

	api_token_cache_clear();
	tc_hash(h, 2);
	api_token_cache_put(h, &a, 60, 0, now);
	CU_ASSERT_EQUAL(api_token_cache_get(h, 1999, now + 1, &got), 1);
	CU_ASSERT_EQUAL(api_token_cache_get(h, 2000, now + 2, &got), 0);
	/* wall clock past the expiry, whatever the monotonic clock says */
	CU_ASSERT_EQUAL(api_token_cache_get(h, 1000, now + 2, &got), 0);
	/* an expired lookup or an already expired token is never kept */
	a.expired = true;
	api_token_cache_clear();
	api_token_cache_put(h, &a, 60, 0, now);
	CU_ASSERT_EQUAL(api_token_cache_get(h, 0, now, &got), 0);
	a = tc_auth("bob", "2026-12-06T11:59:59Z");
	api_token_cache_put(h, &a, 60, 0, now);
	CU_ASSERT_EQUAL(api_token_cache_get(h, 0, now, &got), 0);
}

/* Two hashes in one slot: the second replaces the first, and neither is
 * ever answered with the other's name. */
static void test_tc_collision(void)
{
	unsigned char h1[32], h2[32];
	struct token_auth a = tc_auth("carl", ""), b = tc_auth("dora", ""), got;

	api_token_cache_clear();
	tc_hash(h1, 3);
	memcpy(h2, h1, sizeof(h2));
	h2[31] ^= 0x55; /* same slot (the first two bytes), another token */
	api_token_cache_put(h1, &a, 5, 0, 0);
	CU_ASSERT_EQUAL(api_token_cache_get(h2, 0, 0, &got), 0);
	api_token_cache_put(h2, &b, 5, 0, 0);
	CU_ASSERT_EQUAL(api_token_cache_get(h1, 0, 0, &got), 0);
	CU_ASSERT_EQUAL(api_token_cache_get(h2, 0, 0, &got), 1);
	CU_ASSERT_STRING_EQUAL(got.name, "dora");
	api_token_cache_clear();
}

static const struct test_case tc_cases[] = {
	{"kept for the TTL, asked again at the TTL", test_tc_ttl},
	{"never kept past the token's expiry", test_tc_expiry},
	{"a collision is a miss, never the other token", test_tc_collision},
	{NULL, NULL},
};

TEST_SUITE("api_token_cache", NULL, NULL, tc_cases)
