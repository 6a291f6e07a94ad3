/* SPDX-License-Identifier: MIT */
/* daemon/store/store_txn (the audited-transaction helper) and the JSON-list
 * helper against the real test Postgres: a committed body leaves its change
 * and exactly one audit row, a refusing body leaves neither and names its
 * guard, a failing body rolls back and the connection stays usable, and
 * store_txn_audit() keeps the order of rows a body writes. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/store.h"
#include "daemon/store/store_audit.h"
#include "daemon/store/store_private.h"
#include "daemon/store/store_txn.h"
#include "tests/unit/harness.h"

static const char *db_url;
static struct store *store;

static int txn_init(void)
{
	struct error err;

	db_url = test_create_database("draftd_test_txn");
	if (db_url == NULL || store_open(db_url, 5, &store, &err) < 0)
		return -1;
	if (store_migrate(store) < 0 || store_command(store, "CREATE TABLE txn_probe (v int)") < 0)
		return -1;
	return 0;
}

static int txn_cleanup(void)
{
	store_close(&store);
	return 0;
}

/* How many rows sql (one count) returns. */
static long long count(const char *sql)
{
	PGresult *res = store_exec(store, "count", sql, 0, NULL);
	long long n = -1;

	if (res != NULL && PQntuples(res) == 1)
		n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return n;
}

/* What the probe body does after inserting its row. */
enum probe_end { PROBE_COMMIT, PROBE_REFUSE, PROBE_FAIL, PROBE_TWO_ROWS };

static int probe_body(struct store *s, struct store_txn *txn, void *ctx)
{
	const enum probe_end *end = ctx;

	if (store_command(s, "INSERT INTO txn_probe VALUES (1)") < 0)
		return -1;
	switch (*end) {
	case PROBE_REFUSE:
		return store_txn_refuse(txn, "probe_guard");
	case PROBE_FAIL:
		/* a statement that fails aborts the transaction */
		return store_command(s, "SELECT no_such_column FROM txn_probe") < 0 ? -1 : 1;
	case PROBE_TWO_ROWS:
		txn->action = "probe.first";
		txn->after = json_pack("{s:i}", "n", 1);
		if (store_txn_object(s, txn, "probe", "p1") < 0 || store_txn_audit(s, txn) < 0)
			return -1;
		if (store_audit_append(s, txn->actor, "probe.second", "probe", "p1", NULL, NULL) <
		    0)
			return -1;
		return 1;
	case PROBE_COMMIT:
		break;
	}
	txn->action = "probe.insert";
	txn->before = json_pack("{s:i}", "v", 0);
	txn->after = json_pack("{s:i}", "v", 1);
	return store_txn_object(s, txn, "probe", "p1") < 0 ? -1 : 1;
}

static int run(enum probe_end end, struct store_txn *txn)
{
	memset(txn, 0, sizeof(*txn));
	txn->actor = "tester";
	return store_txn_run(store, txn, probe_body, &end);
}

static void test_commit(void)
{
	struct store_txn txn;
	long long rows = count("SELECT count(*) FROM txn_probe");
	long long audits = count("SELECT count(*) FROM audit_log WHERE object_type = 'probe'");
	long long chain, bad;
	char why[200];

	CU_ASSERT_EQUAL(run(PROBE_COMMIT, &txn), 1);
	CU_ASSERT_PTR_NULL(txn.refused);
	/* what the helper owned is released */
	CU_ASSERT_PTR_NULL(txn.object_id);
	CU_ASSERT_PTR_NULL(txn.before);
	CU_ASSERT_PTR_NULL(txn.after);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM txn_probe"), rows + 1);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM audit_log WHERE object_type = 'probe'"),
			audits + 1);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM audit_log WHERE action = 'probe.insert'"
			      " AND actor = 'tester' AND object_id = 'p1'"
			      " AND after->>'v' = '1' AND before->>'v' = '0'"),
			1);
	CU_ASSERT_EQUAL(store_audit_verify(store, &chain, &bad, why, sizeof(why)), 1);
}

static void test_refuse(void)
{
	struct store_txn txn;
	long long rows = count("SELECT count(*) FROM txn_probe");
	long long audits = count("SELECT count(*) FROM audit_log");

	CU_ASSERT_EQUAL(run(PROBE_REFUSE, &txn), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(txn.refused);
	CU_ASSERT_STRING_EQUAL(txn.refused, "probe_guard");
	/* rolled back: neither the change nor an audit row */
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM txn_probe"), rows);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM audit_log"), audits);
}

static void test_fail(void)
{
	struct store_txn txn;
	long long rows = count("SELECT count(*) FROM txn_probe");
	long long audits = count("SELECT count(*) FROM audit_log");

	CU_ASSERT_EQUAL(run(PROBE_FAIL, &txn), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(store_error(store), "no_such_column"));
	/* the connection is out of the aborted transaction */
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM txn_probe"), rows);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM audit_log"), audits);
	CU_ASSERT_EQUAL(run(PROBE_COMMIT, &txn), 1);
}

static void test_audit_order(void)
{
	struct store_txn txn;

	CU_ASSERT_EQUAL(run(PROBE_TWO_ROWS, &txn), 1);
	/* the row written with store_txn_audit() comes first, and only once */
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM audit_log WHERE action = 'probe.first'"), 1);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM audit_log a JOIN audit_log b"
			      " ON b.action = 'probe.second' WHERE a.action = 'probe.first'"
			      " AND a.id < b.id"),
			1);
}

static void test_json_list(void)
{
	json_t *arr, *obj = NULL;
	const char *params[1] = {"3"};

	arr = store_json_list(store, "numbers",
			      "SELECT json_build_object('n', g)::text FROM generate_series(1,"
			      " $1::int) g",
			      1, params);
	CU_ASSERT_PTR_NOT_NULL_FATAL(arr);
	CU_ASSERT_EQUAL(json_array_size(arr), 3);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_array_get(arr, 2), "n")), 3);
	json_decref(arr);
	/* no rows: an empty array, not an error */
	arr = store_json_list(store, "none", "SELECT '1' WHERE false", 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(arr);
	CU_ASSERT_EQUAL(json_array_size(arr), 0);
	json_decref(arr);
	CU_ASSERT_EQUAL(store_json_list_in(store, "items", "items", "SELECT '[1]'", 0, NULL, &obj),
			0);
	CU_ASSERT_TRUE(json_is_array(json_object_get(obj, "items")));
	json_decref(obj);
	/* a row that is not JSON is an error naming it */
	CU_ASSERT_PTR_NULL(store_json_list(store, "bad", "SELECT 'not json'", 0, NULL));
	CU_ASSERT_PTR_NOT_NULL(strstr(store_error(store), "bad JSON"));
	CU_ASSERT_PTR_NULL(store_json_list(store, "broken", "SELECT FROM nowhere", 0, NULL));
	CU_ASSERT_PTR_NOT_NULL(strstr(store_error(store), "broken"));
}

static const struct test_case store_txn_cases[] = {
	{"txn: a committed body leaves its change and one audit row", test_commit},
	{"txn: a refusing body is rolled back and names its guard", test_refuse},
	{"txn: a failing body is rolled back, the connection stays usable", test_fail},
	{"txn: store_txn_audit() writes the row in the body's order", test_audit_order},
	{"json list: rows to an array, empty, wrapped, bad JSON, bad SQL", test_json_list},
	{NULL, NULL},
};

TEST_SUITE("store_txn", txn_init, txn_cleanup, store_txn_cases)
