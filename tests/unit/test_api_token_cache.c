/* SPDX-License-Identifier: MIT */
/* ui-api/api_token_cache: a token's lookup is kept for the TTL and never
 * past the token's expiry; collisions and refusals are never served.
 * ui-api/api_token_refresh: a token in use is looked up again ahead of its
 * entry's end, off the request path, and the TTL still bounds a
 * revocation. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tests/unit/harness.h"
#include "ui-api/api_token_cache.h"
#include "ui-api/api_token_refresh.h"

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

/* Handed out once it is half its TTL old, and only when used since its
 * lookup; a good answer is kept for a TTL from when that lookup began. */
static void test_tc_due(void)
{
	unsigned char h[32], due[4][32];
	struct token_auth a = tc_auth("erin", ""), got;
	time_t now = 1790000000;

	api_token_cache_clear();
	tc_hash(h, 4);
	api_token_cache_put(h, &a, 5, 0, now);
	/* nobody used it: left to end */
	CU_ASSERT_EQUAL(api_token_cache_due(4000, due, 4), 0);
	CU_ASSERT_EQUAL(api_token_cache_get(h, 1000, now, &got), 1);
	CU_ASSERT_EQUAL(api_token_cache_due(2499, due, 4), 0);
	CU_ASSERT_EQUAL(api_token_cache_due(2500, due, 4), 1);
	CU_ASSERT_EQUAL(memcmp(due[0], h, 32), 0);
	/* handed out once */
	CU_ASSERT_EQUAL(api_token_cache_due(3000, due, 4), 0);
	api_token_cache_refreshed(h, 1, &a, 5, 2600, now + 2);
	/* without the refresh it would end at 5000 */
	CU_ASSERT_EQUAL(api_token_cache_get(h, 7599, now + 7, &got), 1);
	CU_ASSERT_EQUAL(api_token_cache_get(h, 7600, now + 7, &got), 0);
	/* ended: not handed out either, the next request looks it up */
	CU_ASSERT_EQUAL(api_token_cache_due(7600, due, 4), 0);
	api_token_cache_clear();
}

/* A refresh that finds the token refused drops the entry at once; one that
 * failed leaves the entry to end at its time and hands it out again. */
static void test_tc_refreshed(void)
{
	unsigned char h[32], other[32], due[4][32];
	struct token_auth a = tc_auth("finn", ""), b = tc_auth("gina", ""), got;
	time_t now = 1790000000;

	api_token_cache_clear();
	tc_hash(h, 5);
	api_token_cache_put(h, &a, 5, 0, now);
	CU_ASSERT_EQUAL(api_token_cache_get(h, 100, now, &got), 1);
	CU_ASSERT_EQUAL(api_token_cache_due(2500, due, 4), 1);
	api_token_cache_refreshed(h, -1, NULL, 5, 2500, now + 2);
	CU_ASSERT_EQUAL(api_token_cache_get(h, 4999, now + 4, &got), 1);
	CU_ASSERT_EQUAL(api_token_cache_due(4000, due, 4), 1);
	api_token_cache_refreshed(h, 0, NULL, 5, 4000, now + 4);
	CU_ASSERT_EQUAL(api_token_cache_get(h, 4001, now + 4, &got), 0);
	/* a report on a slot another token took meanwhile changes nothing */
	api_token_cache_put(h, &a, 5, 0, now);
	CU_ASSERT_EQUAL(api_token_cache_get(h, 100, now, &got), 1);
	CU_ASSERT_EQUAL(api_token_cache_due(2500, due, 4), 1);
	memcpy(other, h, sizeof(other));
	other[31] ^= 0x55;
	api_token_cache_put(other, &b, 5, 2600, now + 2);
	api_token_cache_refreshed(h, 0, NULL, 5, 2500, now + 2);
	CU_ASSERT_EQUAL(api_token_cache_get(other, 2700, now + 2, &got), 1);
	CU_ASSERT_STRING_EQUAL(got.name, "gina");
	api_token_cache_clear();
}

/* The database as the refresher sees it: one token, live or revoked. */
struct tc_db {
	unsigned char hash[32];
	struct token_auth auth;
	bool revoked;
	unsigned int lookups;
	unsigned int ttl_s;
};

static int tc_db_lookup(void *ctx, const unsigned char hash[32], struct token_auth *auth_r)
{
	struct tc_db *db = ctx;

	db->lookups++;
	if (memcmp(hash, db->hash, 32) != 0 || db->revoked)
		return 0;
	*auth_r = db->auth;
	return 1;
}

static unsigned int tc_db_ttl(void *ctx)
{
	return ((struct tc_db *)ctx)->ttl_s;
}

/* A client sending a request every 50 ms for six TTLs with the refresher's
 * pass every quarter TTL (as its thread runs): every request is answered
 * from the cache (none waits for a lookup; without the refresher one in
 * every hundred would, and every connection at once when the entry ends),
 * the database is asked about twice per TTL, by the refresher; a
 * revocation is refused at the refresher's next lookup, within the TTL. */
static void test_tc_refresh_in_use(void)
{
	struct tc_db db;
	struct token_refresh_source src = {tc_db_lookup, tc_db_ttl, &db};
	struct token_auth got;
	time_t now = 1790000000;
	uint64_t t, revoked_at = 0;
	unsigned int misses = 0;

	memset(&db, 0, sizeof(db));
	tc_hash(db.hash, 6);
	db.auth = tc_auth("hugo", "");
	db.ttl_s = 5;
	api_token_cache_clear();
	/* the first request looks it up itself */
	api_token_cache_put(db.hash, &db.auth, db.ttl_s, 0, now);
	for (t = 0; t <= 30000; t += 50) {
		if (t % 1250 == 0)
			(void)api_token_refresh_pass(&src, t, now + (time_t)(t / 1000));
		if (api_token_cache_get(db.hash, t, now + (time_t)(t / 1000), &got) != 1)
			misses++;
	}
	CU_ASSERT_EQUAL(misses, 0);
	CU_ASSERT(db.lookups >= 10 && db.lookups <= 14);
	/* revoked: refused after the next passes, well within the TTL */
	db.revoked = true;
	revoked_at = t;
	for (; t <= revoked_at + 5000; t += 50) {
		if (t % 1250 == 0)
			(void)api_token_refresh_pass(&src, t, now + (time_t)(t / 1000));
		if (api_token_cache_get(db.hash, t, now + (time_t)(t / 1000), &got) != 1)
			break;
	}
	CU_ASSERT(t < revoked_at + 5000);
	/* TTL 0: no cache, nothing to refresh */
	db.ttl_s = 0;
	db.lookups = 0;
	CU_ASSERT_EQUAL(api_token_refresh_pass(&src, t + 10000, now + 100), 0);
	CU_ASSERT_EQUAL(db.lookups, 0);
	api_token_cache_clear();
}

/* Any token is live (answer 1) or the database is down (answer -1). */
static int tc_any_lookup(void *ctx, const unsigned char hash[32], struct token_auth *auth_r)
{
	struct tc_db *db = ctx;

	(void)hash;
	db->lookups++;
	if (db->revoked)
		return -1;
	*auth_r = db->auth;
	return 1;
}

/* Forty tokens in use: one pass looks every one up, batch after batch; with
 * the database down it stops after one batch instead of trying the same
 * entries again and again. */
static void test_tc_refresh_many(void)
{
	struct tc_db db;
	struct token_refresh_source src = {tc_any_lookup, tc_db_ttl, &db};
	struct token_auth got;
	unsigned char h[32];
	time_t now = 1790000000;
	unsigned int i, hits = 0;

	memset(&db, 0, sizeof(db));
	db.auth = tc_auth("ivan", "");
	db.ttl_s = 5;
	api_token_cache_clear();
	for (i = 0; i < 40; i++) {
		tc_hash(h, (unsigned char)i);
		api_token_cache_put(h, &db.auth, 5, 0, now);
		hits += (unsigned int)api_token_cache_get(h, 100, now, &got);
	}
	CU_ASSERT_EQUAL(hits, 40);
	CU_ASSERT_EQUAL(api_token_refresh_pass(&src, 2500, now + 2), 40);
	CU_ASSERT_EQUAL(db.lookups, 40);
	for (i = 0, hits = 0; i < 40; i++) {
		tc_hash(h, (unsigned char)i);
		hits += (unsigned int)api_token_cache_get(h, 7000, now + 7, &got);
	}
	CU_ASSERT_EQUAL(hits, 40);
	db.revoked = true; /* down */
	db.lookups = 0;
	CU_ASSERT(api_token_refresh_pass(&src, 7200, now + 7) < 40);
	CU_ASSERT(db.lookups > 0 && db.lookups < 40);
	api_token_cache_clear();
}

static const struct test_case tc_cases[] = {
	{"kept for the TTL, asked again at the TTL", test_tc_ttl},
	{"never kept past the token's expiry", test_tc_expiry},
	{"a collision is a miss, never the other token", test_tc_collision},
	{"due at half its TTL when used, kept a TTL from the new lookup", test_tc_due},
	{"a refused refresh drops it, a failed one leaves the bound", test_tc_refreshed},
	{"a token in use never waits for its lookup; revocation within TTL",
	 test_tc_refresh_in_use},
	{"many tokens in one pass; a database down ends the pass", test_tc_refresh_many},
	{NULL, NULL},
};

TEST_SUITE("api_token_cache", NULL, NULL, tc_cases)
