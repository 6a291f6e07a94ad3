/* SPDX-License-Identifier: MIT */
/* draftd migrate against the real test Postgres: a fresh database gets every
 * migration, a second run is a no-op, and the data model's constraints exist. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/migrations.h"
#include "daemon/store/store.h"
#include "tests/unit/harness.h"

static const char *db_url;

static int migrate_init(void)
{
	db_url = test_create_database("draftd_test_migrate");
	return db_url == NULL ? -1 : 0;
}

/* Runs a one-value count query with an optional text parameter $1. */
static long long query_count_param(const char *sql, const char *param)
{
	PGconn *conn = PQconnectdb(db_url);
	PGresult *res = PQexecParams(conn, sql, param != NULL ? 1 : 0, NULL, &param, NULL, NULL, 0);
	long long n = -1;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	PQfinish(conn);
	return n;
}

static long long query_count(const char *sql)
{
	return query_count_param(sql, NULL);
}

static void test_migrate_twice(void)
{
	struct store *store = NULL;
	struct error err;

	CU_ASSERT_EQUAL_FATAL(store_open(db_url, 5, &store, &err), 0);
	CU_ASSERT_EQUAL(store_migrations_pending(store), (int)migrations_count);
	CU_ASSERT_EQUAL(store_migrate(store), (int)migrations_count);
	CU_ASSERT_EQUAL(store_migrations_pending(store), 0);
	CU_ASSERT_EQUAL(store_migrate(store), 0);
	CU_ASSERT_EQUAL(store_migrations_pending(store), 0);
	store_close(&store);
	CU_ASSERT_PTR_NULL(store);
	CU_ASSERT_EQUAL(query_count("SELECT count(*) FROM schema_migrations"),
			(long long)migrations_count);
}

static void test_data_model(void)
{
	static const char *const tables[] = {"mailboxes", "messages",   "jobs",      "drafts",
					     "outbox",    "categories", "audit_log", "api_tokens"};
	static const char *const constraints[] = {"messages_mailbox_uid_key",
						  "messages_mailbox_sha256_key",
						  "jobs_message_stage_key", "outbox_draft_key"};
	char sql[256];
	size_t i;

	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		/* lint-ok: identifier */ snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s",
						   tables[i]);
		CU_ASSERT_EQUAL(query_count(sql), 0);
	}
	for (i = 0; i < sizeof(constraints) / sizeof(constraints[0]); i++) {
		CU_ASSERT_EQUAL(query_count_param("SELECT count(*) FROM pg_constraint"
						  " WHERE conname = $1 AND contype = 'u'",
						  constraints[i]),
				1);
	}
}

static void test_failed_migration_rolls_back(void)
{
	static const struct migration broken[] = {
		{9001, "good", "CREATE TABLE good_one (x int);"},
		{9002, "broken", "CREATE TABLE half_done (x int);\nSELECT no_such_function();"},
	};
	struct store *store = NULL;
	struct error err;

	CU_ASSERT_EQUAL_FATAL(store_open(db_url, 5, &store, &err), 0);
	CU_ASSERT_EQUAL(store_migrate_list(store, broken, 2), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(store_error(store), "migration 9002_broken"));
	store_close(&store);
	CU_ASSERT_EQUAL(query_count("SELECT count(*) FROM pg_tables WHERE tablename = 'good_one'"),
			1);
	CU_ASSERT_EQUAL(query_count("SELECT count(*) FROM pg_tables WHERE tablename = 'half_done'"),
			0);
	CU_ASSERT_EQUAL(query_count("SELECT count(*) FROM schema_migrations WHERE version = 9001"),
			1);
	CU_ASSERT_EQUAL(query_count("SELECT count(*) FROM schema_migrations WHERE version = 9002"),
			0);
}

static void test_unreachable_database(void)
{
	struct store *store = NULL;
	struct error err;

	CU_ASSERT_EQUAL(store_open("postgresql://nobody:hunter2@127.0.0.1:1/x", 2, &store, &err),
			-1);
	CU_ASSERT_PTR_NULL(store);
	CU_ASSERT_PTR_NOT_NULL(
		strstr(error_msg(&err), "cannot connect to database at 127.0.0.1:1"));
	CU_ASSERT_PTR_NULL(strstr(error_msg(&err), "hunter2"));
	CU_ASSERT_PTR_NULL(strchr(error_msg(&err), '\n'));
}

static const struct test_case migrate_cases[] = {
	{"applies every migration once, then is a no-op", test_migrate_twice},
	{"creates the data model with its unique constraints", test_data_model},
	{"a failing migration is rolled back whole and not recorded",
	 test_failed_migration_rolls_back},
	{"an unreachable database is one clear line", test_unreachable_database},
	{NULL, NULL},
};

TEST_SUITE("store_migrate", migrate_init, NULL, migrate_cases)
