/* SPDX-License-Identifier: MIT */
/* daemon/store/store_stmt.c against the real test Postgres: statements are
 * prepared once per connection and give the answers unprepared ones give,
 * across errors, rollbacks, reconnects, migrations and a full cache. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/migrations.h"
#include "daemon/store/store.h"
#include "daemon/store/store_private.h"
#include "tests/unit/harness.h"

static const char *stmt_db;

static int stmt_init(void)
{
	stmt_db = test_create_database("draftd_test_stmt");
	return stmt_db == NULL ? -1 : 0;
}

static struct store *stmt_open(void)
{
	struct store *store = NULL;
	struct error err;

	if (store_open(stmt_db, 5, &store, &err) < 0)
		fprintf(stderr, "%s\n", error_msg(&err));
	return store;
}

/* The one value of sql with parameter p, as a number; -1 on error. */
static long stmt_value(struct store *store, const char *sql, const char *p)
{
	PGresult *res = store_exec(store, "test", sql, p != NULL ? 1 : 0, &p);
	long v = -1;

	if (res != NULL && PQntuples(res) == 1)
		v = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return v;
}

static void test_stmt_once(void)
{
	struct store *store = stmt_open();
	char p[16];

	CU_ASSERT_PTR_NOT_NULL_FATAL(store);
	for (int i = 0; i < 20; i++) {
		snprintf(p, sizeof(p), "%d", i);
		CU_ASSERT_EQUAL(stmt_value(store, "SELECT $1::int * 2", p), 2 * i);
	}
	CU_ASSERT_EQUAL(store_stmt_count(store), 1);
	/* NULL parameters, as unprepared */
	for (int i = 0; i < 7; i++) {
		const char *null = NULL;
		PGresult *res = store_exec(
			store, "test", "SELECT CASE WHEN $1::text IS NULL THEN 7 END", 1, &null);

		CU_ASSERT_PTR_NOT_NULL_FATAL(res);
		CU_ASSERT_STRING_EQUAL(PQgetvalue(res, 0, 0), "7");
		PQclear(res);
	}
	CU_ASSERT_EQUAL(store_stmt_count(store), 2);
	store_close(&store);
}

/* A prepare that fails is the statement's own error; nothing is cached,
 * and a statement prepared in a transaction that rolls back stays usable. */
static void test_stmt_errors_rollback(void)
{
	struct store *store = stmt_open();

	CU_ASSERT_PTR_NOT_NULL_FATAL(store);
	CU_ASSERT_EQUAL(stmt_value(store, "SELEC 1", NULL), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(store_error(store), "syntax error"));
	/* the handle's struct error is the same message (a statement error is
	 * not a reason to try again) */
	CU_ASSERT_STRING_EQUAL(error_msg(store_err(store)), store_error(store));
	CU_ASSERT_FALSE(store_err(store)->retryable);
	CU_ASSERT_EQUAL(stmt_value(store, "SELECT count(*) FROM no_such_table", NULL), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(store_error(store), "no_such_table"));
	CU_ASSERT_EQUAL(store_stmt_count(store), 0);

	CU_ASSERT_EQUAL(store_command(store, "BEGIN"), 0);
	CU_ASSERT_EQUAL(stmt_value(store, "SELECT $1::int + 1", "41"), 42);
	store_rollback(store);
	CU_ASSERT_EQUAL(stmt_value(store, "SELECT $1::int + 1", "1"), 2);
	/* an error in a transaction aborts it, prepared or not */
	CU_ASSERT_EQUAL(store_command(store, "BEGIN"), 0);
	CU_ASSERT_EQUAL(stmt_value(store, "SELECT $1::int + 1", "x"), -1);
	CU_ASSERT_EQUAL(stmt_value(store, "SELECT $1::int + 1", "1"), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(store_error(store), "aborted"));
	store_rollback(store);
	CU_ASSERT_EQUAL(stmt_value(store, "SELECT $1::int + 1", "2"), 3);
	store_close(&store);
}

/* The server ends the session: store_ensure() reconnects and the
 * statements are prepared again in the new one. */
static void test_stmt_reconnect(void)
{
	struct store *store = stmt_open();
	PGconn *admin = PQconnectdb(stmt_db);
	char pid[16];

	CU_ASSERT_PTR_NOT_NULL_FATAL(store);
	CU_ASSERT_EQUAL(stmt_value(store, "SELECT $1::int + 10", "1"), 11);
	snprintf(pid, sizeof(pid), "%d", PQbackendPID(store->conn));
	PQclear(PQexecParams(admin, "SELECT pg_terminate_backend($1::int)", 1, NULL,
			     (const char *const[]){pid}, NULL, NULL, 0));
	PQfinish(admin);
	CU_ASSERT_EQUAL(stmt_value(store, "SELECT $1::int + 10", "1"), -1);
	CU_ASSERT_EQUAL(store_ensure(store), 0);
	CU_ASSERT_EQUAL(stmt_value(store, "SELECT $1::int + 10", "2"), 12);
	CU_ASSERT_EQUAL(store_stmt_count(store), 1);
	store_close(&store);
}

/* A migration changes a table a prepared statement reads with *: the next
 * run returns the new shape, not "cached plan must not change result type". */
static void test_stmt_migration(void)
{
	static const struct migration m[] = {
		{90001, "stmt_a", "CREATE TABLE stmt_t (a int); INSERT INTO stmt_t VALUES (1);"},
		{90002, "stmt_b", "ALTER TABLE stmt_t ADD COLUMN b int DEFAULT 2;"},
	};
	struct store *store = stmt_open();
	PGresult *res;

	CU_ASSERT_PTR_NOT_NULL_FATAL(store);
	CU_ASSERT_EQUAL(store_migrate_list(store, m, 1), 1);
	res = store_exec(store, "test", "SELECT * FROM stmt_t", 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(res);
	CU_ASSERT_EQUAL(PQnfields(res), 1);
	PQclear(res);
	CU_ASSERT_EQUAL(store_migrate_list(store, m, 2), 1);
	res = store_exec(store, "test", "SELECT * FROM stmt_t", 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(res);
	CU_ASSERT_EQUAL(PQnfields(res), 2);
	PQclear(res);
	store_close(&store);
}

/* A full cache runs the rest unprepared; 0 prepares nothing. */
static void test_stmt_bounded(void)
{
	struct store *store;
	char sql[64];

	store_statement_cache_set(4);
	store = stmt_open();
	CU_ASSERT_PTR_NOT_NULL_FATAL(store);
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 10; i++) {
			snprintf(sql, sizeof(sql), "SELECT %d + $1::int", i);
			CU_ASSERT_EQUAL(stmt_value(store, sql, "100"), 100 + i);
		}
	}
	CU_ASSERT_EQUAL(store_stmt_count(store), 4);
	store_close(&store);
	store_statement_cache_set(0);
	store = stmt_open();
	CU_ASSERT_PTR_NOT_NULL_FATAL(store);
	CU_ASSERT_EQUAL(stmt_value(store, "SELECT $1::int", "5"), 5);
	CU_ASSERT_EQUAL(store_stmt_count(store), 0);
	store_close(&store);
	store_statement_cache_set(STORE_STMT_CACHE_DEFAULT);
}

static const struct test_case stmt_cases[] = {
	{"a statement is prepared once and answers as unprepared", test_stmt_once},
	{"errors cache nothing; rollbacks keep statements", test_stmt_errors_rollback},
	{"a reconnect prepares again", test_stmt_reconnect},
	{"a migration drops the prepared statements", test_stmt_migration},
	{"the cache is bounded; 0 turns it off", test_stmt_bounded},
	{NULL, NULL},
};

TEST_SUITE("store_stmt", stmt_init, NULL, stmt_cases)
