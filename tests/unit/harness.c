/* SPDX-License-Identifier: MIT */
#include "harness.h"

#include <CUnit/Basic.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/store/store.h"

static struct test_suite *suites;

void test_suite_register(struct test_suite *suite)
{
	struct test_suite **p = &suites;

	/* keep file order stable: append, sorted by name */
	while (*p != NULL && strcmp((*p)->name, suite->name) <= 0)
		p = &(*p)->next;
	suite->next = *p;
	*p = suite;
}

const char *test_database_url(void)
{
	return getenv("DRAFTD_TEST_DATABASE_URL");
}

uint64_t test_rand(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

const char *test_src_dir(void)
{
	const char *dir = getenv("DRAFTD_SRCDIR");

	return dir != NULL ? dir : ".";
}

const char *test_corpus_dir(void)
{
	static char path[4096];
	const char *dir = getenv("DRAFTD_CORPUS");
	struct stat st;

	if (dir == NULL) {
		snprintf(path, sizeof(path), "%s/../shared/corpus", test_src_dir());
		dir = path;
	}
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return NULL;
	return dir;
}

const char *test_write_file(const char *name, const char *text)
{
	static char path[4096];
	const char *tmp = getenv("DRAFTD_TEST_TMP");
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmp != NULL ? tmp : "/tmp", name);
	f = fopen(path, "w");
	if (f == NULL)
		return NULL;
	fputs(text, f);
	fclose(f);
	return path;
}

const char *test_create_database(const char *name)
{
	static char url[4096];
	const char *base = test_database_url();
	char sql[256];
	PGconn *conn;
	PGresult *res;
	const char *slash;
	int ok;

	if (base == NULL) {
		fprintf(stderr, "DRAFTD_TEST_DATABASE_URL is not set: run through tests/run.sh\n");
		return NULL;
	}
	conn = PQconnectdb(base);
	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "test database: %s", PQerrorMessage(conn));
		PQfinish(conn);
		return NULL;
	}
	/* name is a constant chosen by the test, never outside input */
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
	PQclear(PQexec(conn, sql));
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
	res = PQexec(conn, sql);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "test database: %s", PQerrorMessage(conn));
	PQclear(res);
	PQfinish(conn);
	if (!ok)
		return NULL;
	/* postgresql://user@host:port/db?opts -> same URL with /name */
	slash = strrchr(base, '/');
	if (slash == NULL || slash < base + strlen("postgresql://"))
		return NULL;
	snprintf(url, sizeof(url), "%.*s/%s", (int)(slash - base), base, name);
	return url;
}

/* Usage: unit_tests [SUITE...]  runs the named suites, or all of them. */
int main(int argc, char **argv)
{
	const struct test_suite *s;
	const struct test_case *c;
	unsigned int failed, passed;
	CU_pSuite cs;
	int i, wanted;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	for (s = suites; s != NULL; s = s->next) {
		wanted = argc < 2;
		for (i = 1; i < argc; i++)
			wanted |= strcmp(argv[i], s->name) == 0;
		if (!wanted)
			continue;
		cs = CU_add_suite(s->name, s->init, s->cleanup);
		if (cs == NULL)
			return 2;
		for (c = s->cases; c->name != NULL; c++) {
			if (CU_add_test(cs, c->name, c->func) == NULL)
				return 2;
		}
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_tests_failed() + CU_get_number_of_suites_failed();
	passed = CU_get_number_of_tests_run() - CU_get_number_of_tests_failed();
	printf("\nunit: %u passed, %u failed\n", passed, failed);
	CU_cleanup_registry();
	return failed == 0 ? 0 : 1;
}

const char *test_store_database(const char *name, const char *fixtures)
{
	const char *url = test_create_database(name);
	struct store *store = NULL;
	PGconn *conn = NULL;
	PGresult *res = NULL;
	struct error err;
	const char *ret = NULL;

	if (url == NULL)
		return NULL;
	if (store_open(url, 5, &store, &err) < 0) {
		fprintf(stderr, "%s: %s\n", name, error_msg(&err));
		goto out;
	}
	if (store_migrate(store) < 0) {
		fprintf(stderr, "%s: %s\n", name, store_error(store));
		goto out;
	}
	if (fixtures != NULL) {
		conn = PQconnectdb(url);
		res = PQexec(conn, fixtures);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			fprintf(stderr, "%s fixtures: %s\n", name, PQerrorMessage(conn));
			goto out;
		}
	}
	ret = url;
out:
	PQclear(res);
	PQfinish(conn);
	store_close(&store);
	return ret;
}

long long test_sql_value(const char *url, const char *sql)
{
	PGconn *conn = PQconnectdb(url);
	PGresult *res = PQexec(conn, sql);
	long long v = -1;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	PQfinish(conn);
	return v;
}

static double test_plan_node_rows(json_t *plan, const char *relation, bool *seq_r)
{
	json_t *kids = json_object_get(plan, "Plans");
	const char *rel = json_string_value(json_object_get(plan, "Relation Name"));
	const char *type = json_string_value(json_object_get(plan, "Node Type"));
	double n = 0;
	size_t i;
	json_t *k;

	if (rel != NULL && strcmp(rel, relation) == 0) {
		n += (json_number_value(json_object_get(plan, "Actual Rows")) +
		      json_number_value(json_object_get(plan, "Rows Removed by Filter"))) *
		     json_number_value(json_object_get(plan, "Actual Loops"));
		if (type != NULL && strcmp(type, "Seq Scan") == 0)
			*seq_r = true;
	}
	json_array_foreach(kids, i, k) n += test_plan_node_rows(k, relation, seq_r);
	return n;
}

double test_plan_rows(const char *url, const char *sql, const char *relation, bool *seq_r)
{
	PGconn *conn = PQconnectdb(url);
	PGresult *res = NULL;
	json_t *doc = NULL;
	char *explain = NULL;
	double n = -1;

	if (asprintf(&explain, "EXPLAIN (ANALYZE, FORMAT JSON) %s", sql) < 0) {
		explain = NULL;
		goto out;
	}
	res = PQexec(conn, explain);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		doc = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	if (doc == NULL) {
		fprintf(stderr, "\n%s: %s", explain, PQerrorMessage(conn));
		goto out;
	}
	n = test_plan_node_rows(json_object_get(json_array_get(doc, 0), "Plan"), relation, seq_r);
out:
	json_decref(doc);
	PQclear(res);
	PQfinish(conn);
	free(explain);
	return n;
}
