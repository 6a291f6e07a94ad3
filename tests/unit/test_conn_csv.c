/* SPDX-License-Identifier: MIT */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "connectors/connector.h"
#include "daemon/lib/util.h"
#include "harness.h"

#define CSV_FIXTURES "tests/fixtures/connectors"

/* A [connector NAME] section built in memory, as config.c would build it. */
struct csv_section {
	struct connector_config config;
	struct config_kv kv[8];
};

static void csv_section(struct csv_section *s, const char *type, const char *path, unsigned int ttl,
			const char *extra_key, const char *extra_value)
{
	memset(s, 0, sizeof(*s));
	s->config.name = (char *)"inventory";
	s->config.line = 10;
	s->config.type = (char *)type;
	s->config.timeout_ms = 1000;
	s->config.cache_ttl = ttl;
	s->config.options = s->kv;
	s->kv[0] = (struct config_kv){(char *)"key", (char *)"sku", 11};
	s->kv[1] = (struct config_kv){(char *)"path", (char *)path, 12};
	s->config.options_count = 2;
	if (extra_key != NULL) {
		s->kv[2] = (struct config_kv){(char *)extra_key, (char *)extra_value, 13};
		s->config.options_count = 3;
	}
}

static const char *fixture(const char *name)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/%s/%s", test_src_dir(), CSV_FIXTURES, name);
	return path;
}

static void test_csv_good(void)
{
	const char *keys[] = {"HP-1", "HP-2", "HP-3", "HP-9", "HP-1'; DROP TABLE x;--"};
	struct conn_result r[5];
	struct csv_section s;
	struct connector *conn = NULL;
	struct error err;

	csv_section(&s, "csv", fixture("inventory-good.csv"), 0, NULL, NULL);
	CU_ASSERT_EQUAL_FATAL(connector_open(&s.config, &conn, &err), 0);
	CU_ASSERT_EQUAL(connector_lookup(conn, keys, 5, r, &err), 1);
	CU_ASSERT_EQUAL(r[0].state, CONN_FOUND);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r[0].fact, "name")),
			       "Valve, 3/8\" brass");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r[0].fact, "qty_on_hand")), 5);
	CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(r[0].fact, "unit_price_eur")), 2.5,
			       1e-9);
	CU_ASSERT(json_is_false(json_object_get(r[0].fact, "discontinued")));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r[1].fact, "name")),
			       "Two\nline name");
	CU_ASSERT(json_is_true(json_object_get(r[1].fact, "discontinued")));
	CU_ASSERT(json_is_null(json_object_get(r[2].fact, "name")));
	CU_ASSERT_EQUAL(r[3].state, CONN_NOT_FOUND);
	CU_ASSERT_PTR_NULL(r[3].fact);
	CU_ASSERT_EQUAL(r[4].state, CONN_NOT_FOUND);
	CU_ASSERT_STRING_EQUAL(r[0].connector, "inventory");
	CU_ASSERT(r[0].fetched_at > 0);
	CU_ASSERT_EQUAL(atomic_load(&conn->stats.lookups), 5);
	CU_ASSERT_EQUAL(atomic_load(&conn->stats.hits), 3);
	CU_ASSERT_EQUAL(atomic_load(&conn->stats.misses), 2);
	conn_results_free(r, 5);
	connector_close(&conn);
	CU_ASSERT_PTR_NULL(conn);
}

/* Broken files are refused at open with the line of the fault. */
static const struct {
	const char *file;
	const char *want;
} csv_bad[] = {
	{"inventory-bad-quote.csv", "line 3: text after the closing quote"},
	{"inventory-unclosed.csv", "line 3: quoted field not closed"},
	{"inventory-bare-quote.csv", "line 3: quote inside an unquoted field"},
	{"inventory-short-row.csv", "line 3: 2 fields, the header has 3"},
	{"does-not-exist.csv", "No such file"},
};

static void test_csv_bad(void)
{
	struct connector *conn = NULL;
	struct error err;
	struct csv_section s;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(csv_bad); i++) {
		csv_section(&s, "csv", fixture(csv_bad[i].file), 0, NULL, NULL);
		error_clear(&err);
		CU_ASSERT_EQUAL(connector_open(&s.config, &conn, &err), -1);
		CU_ASSERT_PTR_NULL(conn);
		if (strstr(error_msg(&err), csv_bad[i].want) == NULL)
			fprintf(stderr, "\ncsv %s: error '%s'\n", csv_bad[i].file, error_msg(&err));
		CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&err), csv_bad[i].want));
	}
}

/* Options are checked with the line numbers of the section. */
static const struct {
	const char *type, *key, *value, *want;
} csv_options_bad[] = {
	{"csv", "colour", "blue",
	 "line 13: [connector inventory] colour: unknown key for type csv"},
	{"csv", "fields", "qty:float", "line 13: [connector inventory] fields: unknown type"},
	{"csv", "pattern", "HP-\\d+",
	 "line 13: [connector inventory] pattern: pattern 1 has no capture group"},
	{"ldap", NULL, NULL, "line 10: [connector inventory] type: unknown type 'ldap'"},
	{"pg", NULL, NULL, "[connector inventory] query: missing (a required key)"},
	{"http", NULL, NULL, "[connector inventory] url: missing (a required key)"},
};

static void test_csv_options(void)
{
	struct error err;
	struct csv_section s;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(csv_options_bad); i++) {
		csv_section(&s, csv_options_bad[i].type, fixture("inventory-good.csv"), 0,
			    csv_options_bad[i].key, csv_options_bad[i].value);
		if (csv_options_bad[i].key == NULL)
			s.config.options_count = 1; /* no path either */
		error_clear(&err);
		CU_ASSERT_EQUAL(connector_validate(&s.config, &err), -1);
		if (strstr(error_msg(&err), csv_options_bad[i].want) == NULL)
			fprintf(stderr, "\noptions %zu: error '%s'\n", i, error_msg(&err));
		CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&err), csv_options_bad[i].want));
	}
	csv_section(&s, "csv", fixture("inventory-good.csv"), 0, "fields",
		    "name:string, qty_on_hand:integer, discontinued:bool");
	CU_ASSERT_EQUAL(connector_validate(&s.config, &err), 0);
}

/* Declared fields: coerced, undeclared dropped, a missing one makes the key unknown. */
static void test_csv_fields(void)
{
	const char *keys[] = {"HP-1"};
	struct connector *conn = NULL;
	struct error err;
	struct conn_result r[1];
	struct csv_section s;

	csv_section(&s, "csv", fixture("inventory-good.csv"), 0, "fields",
		    "name:string, qty_on_hand:number, unit_price_eur:string");
	CU_ASSERT_EQUAL_FATAL(connector_open(&s.config, &conn, &err), 0);
	CU_ASSERT_EQUAL(connector_lookup(conn, keys, 1, r, &err), 1);
	CU_ASSERT_EQUAL(json_object_size(r[0].fact), 3);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r[0].fact, "unit_price_eur")),
			       "2.5");
	conn_results_free(r, 1);
	connector_close(&conn);

	csv_section(&s, "csv", fixture("inventory-good.csv"), 0, "fields", "name, weight_kg");
	CU_ASSERT_EQUAL_FATAL(connector_open(&s.config, &conn, &err), 0);
	CU_ASSERT_EQUAL(connector_lookup(conn, keys, 1, r, &err), 0);
	CU_ASSERT_EQUAL(r[0].state, CONN_UNKNOWN);
	CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&err), "weight_kg"));
	conn_results_free(r, 1);
	connector_close(&conn);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
}

/* The file is re-read when it changes; a broken rewrite answers unknown, not stale rows. */
static void test_csv_reload(void)
{
	const char *keys[] = {"HP-1"};
	struct connector *conn = NULL;
	struct error err;
	char path[256];
	struct conn_result r[1];
	struct csv_section s;

	snprintf(path, sizeof(path), "/tmp/draftd-conn-csv-%d.csv", (int)getpid());
	write_file(path, "sku,qty\nHP-1,5\n");
	csv_section(&s, "csv", path, 0, NULL, NULL);
	CU_ASSERT_EQUAL_FATAL(connector_open(&s.config, &conn, &err), 0);
	CU_ASSERT_EQUAL(connector_lookup(conn, keys, 1, r, &err), 1);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r[0].fact, "qty")), 5);
	conn_results_free(r, 1);

	write_file(path, "sku,qty\nHP-1,12\n");
	CU_ASSERT_EQUAL(connector_lookup(conn, keys, 1, r, &err), 1);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r[0].fact, "qty")), 12);
	conn_results_free(r, 1);

	write_file(path, "sku,qty\nHP-1,\"12\n");
	CU_ASSERT_EQUAL(connector_lookup(conn, keys, 1, r, &err), 0);
	CU_ASSERT_EQUAL(r[0].state, CONN_UNKNOWN);
	CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&err), "line 2: quoted field not closed"));
	conn_results_free(r, 1);

	write_file(path, "sku,qty\nHP-1,7\n");
	CU_ASSERT_EQUAL(connector_lookup(conn, keys, 1, r, &err), 1);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r[0].fact, "qty")), 7);
	conn_results_free(r, 1);
	connector_close(&conn);
	unlink(path);
}

/* Within cache_ttl the answer comes from the cache, even when the file changed. */
static void test_csv_cache(void)
{
	const char *keys[] = {"HP-1", "HP-404"};
	struct connector *conn = NULL;
	struct error err;
	char path[256];
	struct conn_result r[2];
	struct csv_section s;

	snprintf(path, sizeof(path), "/tmp/draftd-conn-cache-%d.csv", (int)getpid());
	write_file(path, "sku,qty\nHP-1,5\n");
	csv_section(&s, "csv", path, 60, NULL, NULL);
	CU_ASSERT_EQUAL_FATAL(connector_open(&s.config, &conn, &err), 0);
	CU_ASSERT_EQUAL(connector_lookup(conn, keys, 2, r, &err), 1);
	conn_results_free(r, 2);
	write_file(path, "sku,qty\nHP-1,99\nHP-404,1\n");
	CU_ASSERT_EQUAL(connector_lookup(conn, keys, 2, r, &err), 1);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r[0].fact, "qty")), 5);
	CU_ASSERT_EQUAL(r[1].state, CONN_NOT_FOUND);
	CU_ASSERT_EQUAL(atomic_load(&conn->stats.cache_hits), 2);
	conn_results_free(r, 2);
	connector_close(&conn);
	unlink(path);
}

struct csv_thread_arg {
	struct connector *conn;
	int failures;
};

static void *csv_thread(void *p)
{
	struct csv_thread_arg *a = p;
	const char *keys[] = {"HP-1", "HP-2", "HP-9"};
	struct error err;
	struct conn_result r[3];
	int i;

	for (i = 0; i < 300; i++) {
		if (connector_lookup(a->conn, keys, 3, r, &err) != 1 || r[0].state != CONN_FOUND ||
		    r[2].state != CONN_NOT_FOUND)
			a->failures++;
		conn_results_free(r, 3);
	}
	return NULL;
}

/* Pipeline workers share a connector. */
static void test_csv_threads(void)
{
	struct csv_thread_arg args[8];
	pthread_t threads[8];
	struct connector *conn = NULL;
	struct error err;
	struct csv_section s;
	int i;

	csv_section(&s, "csv", fixture("inventory-good.csv"), 1, NULL, NULL);
	CU_ASSERT_EQUAL_FATAL(connector_open(&s.config, &conn, &err), 0);
	for (i = 0; i < 8; i++) {
		args[i] = (struct csv_thread_arg){conn, 0};
		pthread_create(&threads[i], NULL, csv_thread, &args[i]);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(threads[i], NULL);
		CU_ASSERT_EQUAL(args[i].failures, 0);
	}
	CU_ASSERT_EQUAL(atomic_load(&conn->stats.lookups), 8 * 300 * 3);
	CU_ASSERT_EQUAL(atomic_load(&conn->stats.hits), 8 * 300 * 2);
	connector_close(&conn);
}

static void test_csv_corpus(void)
{
	const char *dir = test_corpus_dir();
	const char *skus[] = {"HP-20115", "HP-77812"}, *orders[] = {"SO-204518"};
	struct connector *conn = NULL;
	struct error err;
	char path[4096];
	struct conn_result r[2];
	struct csv_section s;

	if (dir == NULL) {
		printf("\n  csv corpus: SKIPPED (corpus not found)\n");
		return;
	}
	snprintf(path, sizeof(path), "%s/data/inventory.csv", dir);
	csv_section(&s, "csv", path, 0, NULL, NULL);
	CU_ASSERT_EQUAL_FATAL(connector_open(&s.config, &conn, &err), 0);
	CU_ASSERT_EQUAL(connector_lookup(conn, skus, 2, r, &err), 1);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r[0].fact, "qty_on_hand")), 1200);
	CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(r[0].fact, "unit_price_eur")), 3.95,
			       1e-9);
	CU_ASSERT_EQUAL(r[1].state, CONN_NOT_FOUND);
	conn_results_free(r, 2);
	connector_close(&conn);

	snprintf(path, sizeof(path), "%s/data/orders.csv", dir);
	csv_section(&s, "csv", path, 0, NULL, NULL);
	s.kv[0].value = (char *)"order";
	CU_ASSERT_EQUAL_FATAL(connector_open(&s.config, &conn, &err), 0);
	CU_ASSERT_EQUAL(connector_lookup(conn, orders, 1, r, &err), 1);
	CU_ASSERT_EQUAL(r[0].state, CONN_FOUND);
	CU_ASSERT_PTR_NOT_NULL(json_string_value(json_object_get(r[0].fact, "status")));
	conn_results_free(r, 1);
	connector_close(&conn);
}

/* A leading zero makes a code: a tracking number must keep it. */
static void test_csv_value_guess(void)
{
	static const struct {
		const char *text, *json;
	} t[] = {
		{"01905515064420", "\"01905515064420\""},
		{"0", "0"},
		{"0.5", "0.5"},
		{"1905515064420", "1905515064420"},
		{"-12", "-12"},
		{"true", "true"},
		{"SO-1", "\"SO-1\""},
		{"", "null"},
	};
	json_t *v;
	char *dump;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		v = conn_value_guess(t[i].text);
		dump = json_dumps(v, JSON_ENCODE_ANY);
		CU_ASSERT_STRING_EQUAL(dump, t[i].json);
		free(dump);
		json_decref(v);
	}
}

static const struct test_case conn_csv_cases[] = {
	{"a leading zero keeps a code a string", test_csv_value_guess},
	{"RFC 4180 quoting, types, not found", test_csv_good},
	{"broken files refused with the line", test_csv_bad},
	{"options checked with their lines", test_csv_options},
	{"declared fields", test_csv_fields},
	{"reloaded when the file changes", test_csv_reload},
	{"cache_ttl", test_csv_cache},
	{"concurrent lookups", test_csv_threads},
	{"corpus inventory and orders", test_csv_corpus},
	{NULL, NULL},
};

TEST_SUITE("conn_csv", NULL, NULL, conn_csv_cases)
