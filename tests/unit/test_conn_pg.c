/* SPDX-License-Identifier: MIT */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "connectors/connector.h"
#include "daemon/lib/util.h"
#include "harness.h"

/* The pg connector against the real business database the test driver
 * starts ($DRAFTD_TEST_BUSINESS_URL, tests/services/all.sh). Without it the
 * suite fails: a pg connector that was never run against Postgres is not
 * tested. The suite loads its own tables from corpus/data/inventory.csv
 * (plus fixed rows, so it also runs without the corpus). */

#define PG_NEED_URL "DRAFTD_TEST_BUSINESS_URL is not set: run the suite through tests/run.sh"

static const char *pg_url(void)
{
	return getenv("DRAFTD_TEST_BUSINESS_URL");
}

static int pg_exec(PGconn *db, const char *sql, int n, const char *const *params)
{
	PGresult *res = PQexecParams(db, sql, n, NULL, params, NULL, NULL, 0);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;

	if (!ok)
		fprintf(stderr, "\npg: %s: %s\n", sql, PQresultErrorMessage(res));
	PQclear(res);
	return ok ? 0 : -1;
}

static int pg_count(PGconn *db, const char *sql)
{
	PGresult *res = PQexecParams(db, sql, 0, NULL, NULL, NULL, NULL, 0);
	uint64_t v = 0;
	int n = -1;

	if (PQresultStatus(res) == PGRES_TUPLES_OK &&
	    parse_u64(PQgetvalue(res, 0, 0), 1000000, &v) == 0)
		n = (int)v;
	PQclear(res);
	return n;
}

static const char *const pg_insert =
	"INSERT INTO conn_test_inventory (sku, name, qty_on_hand, unit_price_eur, lead_time_days, "
	"discontinued) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (sku) DO NOTHING";

/* Loads the corpus inventory.csv (simple: the corpus has no quoted fields). */
static int pg_load_corpus(PGconn *db)
{
	const char *dir = test_corpus_dir(), *p[6];
	char path[4096], *text = NULL, *line, *next, *f, *save;
	size_t len, n;
	int rows = 0;

	if (dir == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s/data/inventory.csv", dir);
	if (file_read_all(path, 1 << 20, &text, &len, NULL) < 0)
		return -1;
	line = strchr(text, '\n');
	for (line = line != NULL ? line + 1 : NULL; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		for (n = 0, f = line; n < 6 && f != NULL; n++) {
			p[n] = f;
			save = strchr(f, ',');
			if (save != NULL)
				*save++ = '\0';
			f = save;
		}
		if (n != 6 || pg_exec(db, pg_insert, 6, p) < 0) {
			free(text);
			return -1;
		}
		rows++;
	}
	free(text);
	return rows;
}

static int pg_setup(PGconn **db_r)
{
	static const char *const fixed[][6] = {
		{"HP-1", "Valve, 3/8\" brass", "5", "2.50", "3", "false"},
		{"HP-2", "O'Brien seal", "0", "10.00", "21", "true"},
	};
	PGconn *db;
	size_t i;

	if (pg_url() == NULL)
		return -1;
	db = PQconnectdb(pg_url());
	if (PQstatus(db) != CONNECTION_OK) {
		fprintf(stderr, "\npg: %s\n", PQerrorMessage(db));
		PQfinish(db);
		return -1;
	}
	if (pg_exec(db, "SET client_min_messages = warning", 0, NULL) < 0 ||
	    pg_exec(db,
		    "CREATE TABLE IF NOT EXISTS conn_test_inventory (sku text PRIMARY KEY, name "
		    "text, "
		    "qty_on_hand integer, unit_price_eur numeric(10,2), lead_time_days integer, "
		    "discontinued boolean)",
		    0, NULL) < 0 ||
	    pg_exec(db, "TRUNCATE conn_test_inventory", 0, NULL) < 0) {
		PQfinish(db);
		return -1;
	}
	for (i = 0; i < ARRAY_SIZE(fixed); i++) {
		if (pg_exec(db, pg_insert, 6, fixed[i]) < 0) {
			PQfinish(db);
			return -1;
		}
	}
	if (pg_load_corpus(db) < 0) {
		PQfinish(db);
		return -1;
	}
	*db_r = db;
	return 0;
}

struct pg_section {
	struct connector_config config;
	struct config_kv kv[4];
};

static void pg_section(struct pg_section *s, const char *url, const char *query)
{
	memset(s, 0, sizeof(*s));
	s->config.name = (char *)"inventory";
	s->config.line = 30;
	s->config.type = (char *)"pg";
	s->config.timeout_ms = 1000;
	s->config.options = s->kv;
	s->kv[0] = (struct config_kv){(char *)"key", (char *)"sku", 31};
	s->kv[1] = (struct config_kv){(char *)"url", (char *)url, 32};
	s->kv[2] = (struct config_kv){(char *)"query", (char *)query, 33};
	s->config.options_count = 3;
}

#define PG_QUERY                                                                            \
	"SELECT sku, name, qty_on_hand, unit_price_eur, lead_time_days, discontinued FROM " \
	"conn_test_inventory WHERE sku = ANY($1)"

static void test_pg_lookup(void)
{
	const char *keys[] = {"HP-1", "HP-2", "HP-404", "HP-20115"};
	struct connector *conn = NULL;
	struct error err;
	struct conn_result r[4];
	struct pg_section s;
	PGconn *db = NULL;

	if (pg_url() == NULL)
		CU_FAIL_FATAL(PG_NEED_URL);
	CU_ASSERT_EQUAL_FATAL(pg_setup(&db), 0);
	pg_section(&s, pg_url(), PG_QUERY);
	CU_ASSERT_EQUAL_FATAL(connector_open(&s.config, &conn, &err), 0);
	CU_ASSERT_EQUAL(connector_lookup(conn, keys, test_corpus_dir() != NULL ? 4 : 3, r, &err),
			1);
	CU_ASSERT_EQUAL(r[0].state, CONN_FOUND);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r[0].fact, "name")),
			       "Valve, 3/8\" brass");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r[0].fact, "qty_on_hand")), 5);
	CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(r[0].fact, "unit_price_eur")), 2.5,
			       1e-9);
	CU_ASSERT(json_is_false(json_object_get(r[0].fact, "discontinued")));
	CU_ASSERT(json_is_true(json_object_get(r[1].fact, "discontinued")));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r[1].fact, "name")),
			       "O'Brien seal");
	CU_ASSERT_EQUAL(r[2].state, CONN_NOT_FOUND);
	if (test_corpus_dir() != NULL) {
		CU_ASSERT_EQUAL(json_integer_value(json_object_get(r[3].fact, "qty_on_hand")),
				1200);
		conn_results_free(r, 4);
	} else {
		printf("\n  pg corpus rows: SKIPPED (corpus not found)\n");
		conn_results_free(r, 3);
	}
	connector_close(&conn);
	PQfinish(db);
}

/* Keys are data: quotes, array syntax and SQL in them find nothing and run nothing. */
static void test_pg_injection(void)
{
	const char *keys[] = {"HP-1'; DROP TABLE conn_test_inventory;--",
			      "HP-1\",\"HP-2",
			      "HP-1}",
			      "{HP-1}",
			      "HP-1\\",
			      "NULL"};
	struct connector *conn = NULL;
	struct error err;
	struct conn_result r[ARRAY_SIZE(keys)];
	struct pg_section s;
	PGconn *db = NULL;
	size_t i;
	int before;

	if (pg_url() == NULL)
		CU_FAIL_FATAL(PG_NEED_URL);
	CU_ASSERT_EQUAL_FATAL(pg_setup(&db), 0);
	before = pg_count(db, "SELECT count(*) FROM conn_test_inventory");
	pg_section(&s, pg_url(), PG_QUERY);
	CU_ASSERT_EQUAL_FATAL(connector_open(&s.config, &conn, &err), 0);
	CU_ASSERT_EQUAL(connector_lookup(conn, keys, ARRAY_SIZE(keys), r, &err), 1);
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		CU_ASSERT_EQUAL(r[i].state, CONN_NOT_FOUND);
	conn_results_free(r, ARRAY_SIZE(keys));
	/* the table is still there, with every row */
	CU_ASSERT_EQUAL(pg_count(db, "SELECT count(*) FROM conn_test_inventory"), before);
	CU_ASSERT(before >= 2);
	connector_close(&conn);
	PQfinish(db);
}

/* The server drops our session (as in a restart): the next lookup reconnects. */
static void test_pg_reconnect(void)
{
	const char *keys[] = {"HP-1"};
	struct connector *conn = NULL;
	struct error err;
	struct conn_result r[1];
	struct pg_section s;
	PGconn *db = NULL;

	if (pg_url() == NULL)
		CU_FAIL_FATAL(PG_NEED_URL);
	CU_ASSERT_EQUAL_FATAL(pg_setup(&db), 0);
	pg_section(&s, pg_url(), PG_QUERY);
	CU_ASSERT_EQUAL_FATAL(connector_open(&s.config, &conn, &err), 0);
	CU_ASSERT_EQUAL(connector_lookup(conn, keys, 1, r, &err), 1);
	conn_results_free(r, 1);
	CU_ASSERT_EQUAL(pg_count(db,
				 "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
				 "WHERE application_name = 'draftd-connector'"),
			1);
	usleep(100 * 1000);
	CU_ASSERT_EQUAL(connector_lookup(conn, keys, 1, r, &err), 1);
	CU_ASSERT_EQUAL(r[0].state, CONN_FOUND);
	conn_results_free(r, 1);
	connector_close(&conn);
	PQfinish(db);
}

/* Failures answer unknown with a reason, within the timeout. */
static const struct {
	const char *url; /* NULL: the test database */
	const char *query;
	const char *want;
} pg_failures[] = {
	{NULL, "SELECT sku, pg_sleep(3)::text AS z FROM conn_test_inventory WHERE sku = ANY($1)",
	 "statement timeout"},
	{NULL, "SELECT sku FROM no_such_table WHERE sku = ANY($1)", "no_such_table"},
	{NULL, "SELECT name FROM conn_test_inventory WHERE sku = ANY($1)", NULL},
	{"postgresql://postgres@127.0.0.1:1/business", PG_QUERY, "connect"},
};

static void test_pg_failures(void)
{
	const char *keys[] = {"HP-1"};
	struct connector *conn = NULL;
	struct error err;
	struct conn_result r[1];
	struct pg_section s;
	uint64_t start;
	size_t i;
	int rc;

	if (pg_url() == NULL)
		CU_FAIL_FATAL(PG_NEED_URL);
	for (i = 0; i < ARRAY_SIZE(pg_failures); i++) {
		pg_section(&s, pg_failures[i].url != NULL ? pg_failures[i].url : pg_url(),
			   pg_failures[i].query);
		CU_ASSERT_EQUAL_FATAL(connector_open(&s.config, &conn, &err), 0);
		start = time_mono_ms();
		error_clear(&err);
		rc = connector_lookup(conn, keys, 1, r, &err);
		CU_ASSERT(time_mono_ms() - start < 2500);
		if (pg_failures[i].want == NULL) {
			/* the first column is the key: "Valve..." is never "HP-1" */
			CU_ASSERT_EQUAL(rc, 1);
			CU_ASSERT_EQUAL(r[0].state, CONN_NOT_FOUND);
		} else {
			CU_ASSERT_EQUAL(rc, 0);
			CU_ASSERT_EQUAL(r[0].state, CONN_UNKNOWN);
			if (strstr(error_msg(&err), pg_failures[i].want) == NULL)
				fprintf(stderr, "\npg failure %zu: '%s'\n", i, error_msg(&err));
			CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&err), pg_failures[i].want));
		}
		conn_results_free(r, 1);
		connector_close(&conn);
	}
}

static void test_pg_options(void)
{
	struct error err;
	struct pg_section s;

	pg_section(&s, "postgresql://x/y", "SELECT sku FROM t WHERE sku = 'HP-1'");
	CU_ASSERT_EQUAL(connector_validate(&s.config, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(
		strstr(error_msg(&err),
		       "line 33: [connector inventory] query must use exactly one parameter"));
	pg_section(&s, "postgresql://x/y", "SELECT sku FROM t WHERE sku = $1 AND x = $2");
	CU_ASSERT_EQUAL(connector_validate(&s.config, &err), -1);
	/* issue 15: a MySQL URL is caught by check-config, not at the first lookup */
	pg_section(&s, "mysql://reader:pw@db/erp", PG_QUERY);
	CU_ASSERT_EQUAL(connector_validate(&s.config, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&err),
				      "[connector inventory] url: scheme 'mysql' is not "
				      "supported: expected postgresql:// or postgres://"));
	CU_ASSERT_PTR_NULL(strstr(error_msg(&err), "pw@"));
	pg_section(&s, "postgresql://x/y", PG_QUERY);
	s.kv[1].key = (char *)"uri";
	CU_ASSERT_EQUAL(connector_validate(&s.config, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&err),
				      "line 32: [connector inventory] uri: unknown key for "
				      "type pg (did you mean 'url'?)"));
}

static const struct test_case conn_pg_cases[] = {
	{"one query for all keys, typed facts", test_pg_lookup},
	{"SQL in keys is data", test_pg_injection},
	{"reconnects after the server dropped the session", test_pg_reconnect},
	{"timeout, bad query, unreachable server", test_pg_failures},
	{"options checked with their lines", test_pg_options},
	{NULL, NULL},
};

TEST_SUITE("conn_pg", NULL, NULL, conn_pg_cases)
