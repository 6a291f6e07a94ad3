/* SPDX-License-Identifier: MIT */
/* daemon/store/store_many.c against the real test Postgres: several
 * statements in one round trip answer as they would one by one; a failing
 * one is reported by name, the ones after it are not run, the transaction
 * rolls back whole and the connection stays usable. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/store/store.h"
#include "daemon/store/store_private.h"
#include "tests/unit/harness.h"

static const char *many_db;

static int many_init(void)
{
	many_db = test_create_database("draftd_test_many");
	/* every statement is prepared before the round trip: the table exists */
	return many_db == NULL || test_sql_value(many_db, "CREATE TABLE many_t (v text)") != -1 ? -1
												: 0;
}

static struct store *many_open(void)
{
	struct store *store = NULL;
	struct error err;

	if (store_open(many_db, 5, &store, &err) < 0)
		fprintf(stderr, "%s\n", error_msg(&err));
	return store;
}

static long many_count(const char *sql)
{
	return (long)test_sql_value(many_db, sql);
}

static void test_many_in_order(void)
{
	struct store *store = many_open();
	const char *p1[1] = {"41"}, *p2[2] = {"a", "b"};
	struct store_q q[5] = {
		{"begin", "BEGIN", 0, NULL, NULL},
		{"lock", "LOCK TABLE many_t", 0, NULL, NULL},
		{"insert", "INSERT INTO many_t VALUES ($1), ($2)", 2, p2, NULL},
		{"read", "SELECT $1::int + count(*) FROM many_t", 1, p1, NULL},
		{"commit", "COMMIT", 0, NULL, NULL},
	};

	CU_ASSERT_PTR_NOT_NULL_FATAL(store);
	/* twice: the second round runs the statements prepared */
	for (int round = 0; round < 2; round++) {
		CU_ASSERT_EQUAL_FATAL(store_exec_many(store, q, 5), 0);
		for (int i = 0; i < 5; i++)
			CU_ASSERT_PTR_NOT_NULL(q[i].res);
		/* each statement saw what the one before it did */
		CU_ASSERT_STRING_EQUAL(PQgetvalue(q[3].res, 0, 0), round == 0 ? "43" : "45");
		CU_ASSERT_STRING_EQUAL(PQcmdTuples(q[2].res), "2");
		store_q_clear(q, 5);
		CU_ASSERT_PTR_NULL(q[3].res);
	}
	CU_ASSERT_EQUAL(many_count("SELECT count(*) FROM many_t"), 4);
	store_close(&store);
}

static void test_many_failure(void)
{
	struct store *store = many_open();
	const char *p[1] = {"x"};
	struct store_q q[4] = {
		{"begin", "BEGIN", 0, NULL, NULL},
		{"insert", "INSERT INTO many_t VALUES ($1)", 1, p, NULL},
		{"the bad one", "SELECT 1 / (SELECT count(*) - count(*) FROM many_t)", 0, NULL,
		 NULL},
		{"insert again", "INSERT INTO many_t VALUES ($1)", 1, p, NULL},
	};
	const char *good[1] = {"7"};
	struct store_q after = {"after", "SELECT $1::int", 1, good, NULL};
	long before = many_count("SELECT count(*) FROM many_t");

	CU_ASSERT_PTR_NOT_NULL_FATAL(store);
	CU_ASSERT_EQUAL(store_exec_many(store, q, 4), -1);
	for (int i = 0; i < 4; i++)
		CU_ASSERT_PTR_NULL(q[i].res);
	CU_ASSERT_PTR_NOT_NULL(strstr(store_error(store), "the bad one"));
	CU_ASSERT_PTR_NOT_NULL(strstr(store_error(store), "division by zero"));
	store_rollback(store);
	CU_ASSERT_EQUAL(many_count("SELECT count(*) FROM many_t"), before);
	/* a statement that does not prepare: nothing is sent */
	q[2].sql = "SELECT FROM no_such_table";
	CU_ASSERT_EQUAL(store_exec_many(store, q, 4), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(store_error(store), "no_such_table"));
	store_rollback(store);
	CU_ASSERT_EQUAL(many_count("SELECT count(*) FROM many_t"), before);
	/* the connection goes on, one statement at a time or several */
	CU_ASSERT_EQUAL(store_exec_many(store, &after, 1), 0);
	CU_ASSERT_STRING_EQUAL(PQgetvalue(after.res, 0, 0), "7");
	store_q_clear(&after, 1);
	after.res = store_exec(store, "after", after.sql, 1, good);
	CU_ASSERT_PTR_NOT_NULL(after.res);
	store_q_clear(&after, 1);
	store_close(&store);
}

/* The server ends the session under a round trip: an error, then
 * store_ensure() reconnects and the next round trip works (nothing is left
 * of pipeline mode on the connection). */
static void test_many_connection_lost(void)
{
	struct store *store = many_open();
	const char *good[1] = {"8"};
	struct store_q q[2] = {
		{"first", "SELECT $1::int", 1, good, NULL},
		{"second", "SELECT $1::int + 1", 1, good, NULL},
	};
	char sql[96];
	PGresult *res;

	CU_ASSERT_PTR_NOT_NULL_FATAL(store);
	CU_ASSERT_EQUAL_FATAL(store_exec_many(store, q, 2), 0);
	store_q_clear(q, 2);
	res = store_exec(store, "pid", "SELECT pg_backend_pid()", 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(res);
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%s)::int", PQgetvalue(res, 0, 0));
	PQclear(res);
	CU_ASSERT_EQUAL(test_sql_value(many_db, sql), 1);
	usleep(100 * 1000);
	CU_ASSERT_EQUAL(store_exec_many(store, q, 2), -1);
	CU_ASSERT_PTR_NULL(q[0].res);
	CU_ASSERT_EQUAL(store_ensure(store), 0);
	CU_ASSERT_EQUAL_FATAL(store_exec_many(store, q, 2), 0);
	CU_ASSERT_STRING_EQUAL(PQgetvalue(q[1].res, 0, 0), "9");
	store_q_clear(q, 2);
	store_close(&store);
}

static const struct test_case many_cases[] = {
	{"statements in one round trip, in order, prepared the second time", test_many_in_order},
	{"a failure names its statement and runs nothing after it", test_many_failure},
	{"a session ended under a round trip: error, reconnect, go on", test_many_connection_lost},
	{NULL, NULL},
};

TEST_SUITE("store_many", many_init, NULL, many_cases)
