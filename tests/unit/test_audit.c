/* SPDX-License-Identifier: MIT */
/* daemon/store/store_audit against the real test Postgres: the chain verifies,
 * concurrent appenders still form one chain, and tampering is caught at
 * the right row. */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/store.h"
#include "daemon/store/store_audit.h"
#include "tests/unit/harness.h"

#define AUDIT_THREADS    4
#define AUDIT_PER_THREAD 25

static const char *db_url;

static int audit_init(void)
{
	struct store *store = NULL;
	struct error err;
	int ret = -1;

	db_url = test_create_database("draftd_test_audit");
	if (db_url == NULL || store_open(db_url, 5, &store, &err) < 0)
		return -1;
	if (store_migrate(store) >= 0)
		ret = 0;
	store_close(&store);
	return ret;
}

static void audit_sql(const char *sql)
{
	PGconn *conn = PQconnectdb(db_url);
	PGresult *res = PQexec(conn, sql);

	CU_ASSERT_EQUAL(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);
	PQfinish(conn);
}

static void *audit_writer(void *arg)
{
	struct store *store = NULL;
	struct error err;
	char id[32];
	int i, *failures = arg;

	if (store_open(db_url, 5, &store, &err) < 0) {
		(*failures)++;
		return NULL;
	}
	for (i = 0; i < AUDIT_PER_THREAD; i++) {
		json_t *after = json_pack("{s:i, s:s, s:f}", "n", i, "text", "x'; DROP TABLE t; --",
					  "rate", 0.95);

		snprintf(id, sizeof(id), "%d", i);
		if (store_audit_record(store, "tester", "test.write", "thing", id, NULL, after) < 0)
			(*failures)++;
		json_decref(after);
	}
	store_close(&store);
	return NULL;
}

static void test_audit_chain(void)
{
	struct store *store = NULL;
	pthread_t threads[AUDIT_THREADS];
	int failures[AUDIT_THREADS] = {0};
	long long rows = 0, bad = -1;
	struct error err;
	char why[128];
	json_t *list = NULL;
	int i;

	for (i = 0; i < AUDIT_THREADS; i++)
		pthread_create(&threads[i], NULL, audit_writer, &failures[i]);
	for (i = 0; i < AUDIT_THREADS; i++) {
		pthread_join(threads[i], NULL);
		CU_ASSERT_EQUAL(failures[i], 0);
	}
	CU_ASSERT_EQUAL_FATAL(store_open(db_url, 5, &store, &err), 0);
	CU_ASSERT_EQUAL(store_audit_verify(store, &rows, &bad, why, sizeof(why)), 1);
	CU_ASSERT_EQUAL(rows, AUDIT_THREADS * AUDIT_PER_THREAD);

	CU_ASSERT_EQUAL(store_audit_list(store, "10", NULL, NULL, NULL, 5, &list), 0);
	CU_ASSERT_EQUAL(json_array_size(list), 5);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_array_get(list, 0), "id")), 11);
	json_decref(list);

	/* change one row's content: that row breaks */
	audit_sql("UPDATE audit_log SET after = jsonb_set(after, '{n}', '99') WHERE id = 42");
	CU_ASSERT_EQUAL(store_audit_verify(store, &rows, &bad, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(bad, 42);
	CU_ASSERT_EQUAL(rows, 41);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "hash"));
	/* delete a row instead: the next one's prev_hash breaks */
	audit_sql("DELETE FROM audit_log WHERE id BETWEEN 42 AND 42");
	CU_ASSERT_EQUAL(store_audit_verify(store, &rows, &bad, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(bad, 43);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "prev_hash"));
	store_close(&store);
}

static void test_audit_empty_verifies(void)
{
	struct store *store = NULL;
	long long rows = -1, bad = -1;
	struct error err;
	char why[128];

	audit_sql("TRUNCATE audit_log");
	CU_ASSERT_EQUAL_FATAL(store_open(db_url, 5, &store, &err), 0);
	CU_ASSERT_EQUAL(store_audit_verify(store, &rows, &bad, why, sizeof(why)), 1);
	CU_ASSERT_EQUAL(rows, 0);
	CU_ASSERT_EQUAL(store_audit_record(store, "a", "b", "c", NULL, NULL, NULL), 0);
	CU_ASSERT_EQUAL(store_audit_verify(store, &rows, &bad, why, sizeof(why)), 1);
	CU_ASSERT_EQUAL(rows, 1);
	store_close(&store);
}

static const struct test_case audit_cases[] = {
	{"concurrent appends chain; tampering and deletion are caught", test_audit_chain},
	{"an empty log and its first row verify", test_audit_empty_verifies},
	{NULL, NULL},
};
TEST_SUITE("audit", audit_init, NULL, audit_cases)
