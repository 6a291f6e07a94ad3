/* SPDX-License-Identifier: MIT */
/* store_category_settings() against the real test Postgres: a draft or off
 * row is kept until a change is announced (LISTEN/NOTIFY), and a change
 * applies once the TTL has passed in any case; a row in auto or shadow mode
 * is never served from the cache, so a demotion applies to the very next
 * message. */
#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon/store/store.h"
#include "daemon/store/store_pipeline.h"
#include "tests/unit/harness.h"

static const char *cc_db;

static int cc_init(void)
{
	struct store *store = NULL;
	struct error err;
	int ret = -1;

	cc_db = test_create_database("draftd_test_catcache");
	if (cc_db == NULL || store_open(cc_db, 5, &store, &err) < 0)
		return -1;
	if (store_migrate(store) >= 0)
		ret = 0;
	store_close(&store);
	return ret;
}

/* Another connection's change, as an admin's PUT /categories would make. */
static void cc_set(const char *name, const char *mode)
{
	PGconn *conn = PQconnectdb(cc_db);
	const char *p[2] = {name, mode};
	PGresult *res = PQexecParams(conn,
				     "INSERT INTO categories (name, mode) VALUES ($1, $2)"
				     " ON CONFLICT (name) DO UPDATE SET mode = EXCLUDED.mode",
				     2, NULL, p, NULL, NULL, 0);

	CU_ASSERT_EQUAL(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);
	PQfinish(conn);
}

static const char *cc_mode(struct store *store, const char *name, char *out)
{
	struct category_settings s;

	CU_ASSERT_EQUAL(store_category_settings(store, name, &s), 1);
	snprintf(out, 16, "%s", s.mode);
	return out;
}

static void test_cc_ttl_bound(void)
{
	struct store *store = NULL;
	struct error err;
	char m[16];

	CU_ASSERT_EQUAL_FATAL(store_open(cc_db, 5, &store, &err), 0);
	store_category_cache_ttl_set(300);
	cc_set("cc_orders", "draft");
	CU_ASSERT_STRING_EQUAL(cc_mode(store, "cc_orders", m), "draft");
	cc_set("cc_orders", "off");
	/* the bound: once the TTL has passed, the change applies */
	usleep(350 * 1000);
	CU_ASSERT_STRING_EQUAL(cc_mode(store, "cc_orders", m), "off");
	store_category_cache_ttl_set(STORE_CATEGORY_TTL_MS);
	store_close(&store);
}

/* The mode seen once another connection's change has been announced: the
 * notification travels asynchronously, so polled for up to 5 s (the TTL is
 * a minute here: only the notification can bring the change in time). */
static const char *cc_mode_after_notify(struct store *store, const char *name, const char *want,
					char *out)
{
	for (int i = 0; i < 500; i++) {
		if (strcmp(cc_mode(store, name, out), want) == 0)
			break;
		usleep(10 * 1000);
	}
	return out;
}

static void test_cc_notify(void)
{
	struct store *store = NULL;
	struct error err;
	char m[16];

	CU_ASSERT_EQUAL_FATAL(store_open(cc_db, 5, &store, &err), 0);
	store_category_cache_ttl_set(60000);
	cc_set("cc_quotes", "draft");
	CU_ASSERT_STRING_EQUAL(cc_mode(store, "cc_quotes", m), "draft");
	/* kept: the table is not asked again while nothing changes */
	CU_ASSERT_STRING_EQUAL(cc_mode(store, "cc_quotes", m), "draft");
	cc_set("cc_quotes", "off");
	CU_ASSERT_STRING_EQUAL(cc_mode_after_notify(store, "cc_quotes", "off", m), "off");
	cc_set("cc_quotes", "draft");
	CU_ASSERT_STRING_EQUAL(cc_mode_after_notify(store, "cc_quotes", "draft", m), "draft");
	store_category_cache_ttl_set(STORE_CATEGORY_TTL_MS);
	store_close(&store);
}

static void test_cc_auto_never_cached(void)
{
	struct store *store = NULL;
	struct error err;
	char m[16];

	CU_ASSERT_EQUAL_FATAL(store_open(cc_db, 5, &store, &err), 0);
	store_category_cache_ttl_set(60000);
	cc_set("cc_stock", "draft");
	CU_ASSERT_STRING_EQUAL(cc_mode(store, "cc_stock", m), "draft");
	cc_set("cc_stock", "auto");
	CU_ASSERT_STRING_EQUAL(cc_mode_after_notify(store, "cc_stock", "auto", m), "auto");
	/* a demotion applies to the very next read, TTL or not */
	cc_set("cc_stock", "draft");
	CU_ASSERT_STRING_EQUAL(cc_mode(store, "cc_stock", m), "draft");
	cc_set("cc_stock", "shadow");
	CU_ASSERT_STRING_EQUAL(cc_mode_after_notify(store, "cc_stock", "shadow", m), "shadow");
	cc_set("cc_stock", "off");
	CU_ASSERT_STRING_EQUAL(cc_mode(store, "cc_stock", m), "off");
	store_category_cache_ttl_set(STORE_CATEGORY_TTL_MS);
	store_close(&store);
}

/* A category without a row is kept too (most installations never write
 * one: issue 14's round trip per message); the row that appears is
 * announced like any change, and applies within the TTL in any case. */
static void test_cc_absent_row(void)
{
	struct store *store = NULL;
	struct category_settings s;
	struct error err;
	char m[16];

	CU_ASSERT_EQUAL_FATAL(store_open(cc_db, 5, &store, &err), 0);
	store_category_cache_ttl_set(60000);
	CU_ASSERT_EQUAL(store_category_settings(store, "cc_absent", &s), 0);
	CU_ASSERT_EQUAL(store_category_settings(store, "cc_absent", &s), 0);
	cc_set("cc_absent", "auto");
	for (int i = 0; i < 500 && store_category_settings(store, "cc_absent", &s) == 0; i++)
		usleep(10 * 1000);
	CU_ASSERT_STRING_EQUAL(cc_mode(store, "cc_absent", m), "auto");
	/* and once the TTL has passed in any case */
	store_close(&store);
	CU_ASSERT_EQUAL_FATAL(store_open(cc_db, 5, &store, &err), 0);
	store_category_cache_ttl_set(300);
	CU_ASSERT_EQUAL(store_category_settings(store, "cc_absent2", &s), 0);
	cc_set("cc_absent2", "shadow");
	usleep(350 * 1000);
	CU_ASSERT_STRING_EQUAL(cc_mode(store, "cc_absent2", m), "shadow");
	store_category_cache_ttl_set(STORE_CATEGORY_TTL_MS);
	store_close(&store);
}

static const struct test_case cc_cases[] = {
	{"no row is kept as well, and a row that appears applies", test_cc_absent_row},
	{"a draft/off row applies its change once the TTL has passed", test_cc_ttl_bound},
	{"a change another connection announces applies before the TTL", test_cc_notify},
	{"auto and shadow rows are read every time", test_cc_auto_never_cached},
	{NULL, NULL},
};

TEST_SUITE("store_category_cache", cc_init, NULL, cc_cases)
