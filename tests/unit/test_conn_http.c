/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "connectors/connector.h"
#include "daemon/lib/util.h"
#include "harness.h"

/* The http connector against tests/fixtures/erp_server.py, started here on
 * 127.0.0.1 (a free port it picks and reports) and stopped by its PID. */

static pid_t erp_pid = -1;
static char erp_dir[64];
static char erp_port[16];
static char erp_log[128], erp_token[128];

static int erp_start(void)
{
	char script[4096], portfile[128];
	char *port = NULL;
	size_t len;
	int i, fd;

	snprintf(erp_dir, sizeof(erp_dir), "/tmp/draftd-erp-XXXXXX");
	if (mkdtemp(erp_dir) == NULL)
		return -1;
	snprintf(portfile, sizeof(portfile), "%s/port", erp_dir);
	snprintf(erp_log, sizeof(erp_log), "%s/requests.log", erp_dir);
	snprintf(erp_token, sizeof(erp_token), "%s/token", erp_dir);
	snprintf(script, sizeof(script), "%s/tests/fixtures/erp_server.py", test_src_dir());
	fd = open(erp_token, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, "s3cret-token\n", 13) != 13)
		return -1;
	close(fd);
	erp_pid = fork();
	if (erp_pid < 0)
		return -1;
	if (erp_pid == 0) {
		/* stdio away from the test's pipes, or a caller waiting on them hangs */
		fd = open("/dev/null", O_RDWR);
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execl("/usr/bin/python3", "python3", script, "--port-file", portfile, "--log",
		      erp_log, "--token", "s3cret-token", (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 100; i++) {
		if (file_read_all(portfile, 16, &port, &len, NULL) == 0)
			break;
		usleep(50 * 1000);
	}
	if (port == NULL) {
		fprintf(stderr, "erp_server.py did not start\n");
		return -1;
	}
	str_copy(erp_port, sizeof(erp_port), port);
	free(port);
	return 0;
}

static int erp_stop(void)
{
	char cmd[128];

	if (erp_pid > 0) {
		kill(erp_pid, SIGTERM);
		waitpid(erp_pid, NULL, 0);
		erp_pid = -1;
	}
	if (erp_dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "%s/port", erp_dir);
		unlink(cmd);
		unlink(erp_log);
		unlink(erp_token);
		rmdir(erp_dir);
	}
	return 0;
}

struct http_section {
	struct connector_config config;
	struct config_kv kv[12];
	char url[256];
};

static void http_section(struct http_section *s, const char *path_tmpl, const char *token_file,
			 const char *extra_key, const char *extra_value)
{
	size_t n = 0;

	memset(s, 0, sizeof(*s));
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%s%s", erp_port, path_tmpl);
	s->config.name = (char *)"erp";
	s->config.line = 20;
	s->config.type = (char *)"http";
	s->config.timeout_ms = 1000;
	s->config.options = s->kv;
	s->kv[n++] = (struct config_kv){(char *)"key", (char *)"sku", 21};
	s->kv[n++] = (struct config_kv){(char *)"url", s->url, 22};
	if (token_file != NULL)
		s->kv[n++] = (struct config_kv){(char *)"token_file", (char *)token_file, 23};
	s->kv[n++] =
		(struct config_kv){(char *)"field.qty_on_hand", (char *)"/stock/available", 24};
	s->kv[n++] = (struct config_kv){(char *)"field.unit_price_eur", (char *)"/price/eur", 25};
	s->kv[n++] = (struct config_kv){(char *)"field.name", (char *)"/name", 26};
	s->kv[n++] = (struct config_kv){(char *)"field.discontinued", (char *)"/discontinued", 27};
	s->kv[n++] = (struct config_kv){(char *)"max_response", (char *)"65536", 28};
	if (extra_key != NULL)
		s->kv[n++] = (struct config_kv){(char *)extra_key, (char *)extra_value, 29};
	s->config.options_count = n;
}

static struct connector *http_open_ok(struct http_section *s)
{
	struct connector *conn = NULL;
	struct error err;

	if (connector_open(&s->config, &conn, &err) < 0)
		fprintf(stderr, "\nhttp open: %s\n", error_msg(&err));
	return conn;
}

static void test_http_found(void)
{
	const char *keys[] = {"HP-1", "HP-404", "HP-2"};
	struct conn_result r[3];
	struct http_section s;
	struct connector *conn;
	struct error err;

	http_section(&s, "/api/items/{key}", erp_token, NULL, NULL);
	conn = http_open_ok(&s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(conn);
	CU_ASSERT_EQUAL(connector_lookup(conn, keys, 3, r, &err), 1);
	CU_ASSERT_EQUAL(r[0].state, CONN_FOUND);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r[0].fact, "qty_on_hand")), 5);
	CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(r[0].fact, "unit_price_eur")), 2.5,
			       1e-9);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r[0].fact, "name")),
			       "Valve, 3/8\" brass");
	CU_ASSERT_EQUAL(json_object_size(r[0].fact), 4); /* only the mapped fields */
	/* 404 is an answer: found=false, not a failure */
	CU_ASSERT_EQUAL(r[1].state, CONN_NOT_FOUND);
	CU_ASSERT(json_is_true(json_object_get(r[2].fact, "discontinued")));
	conn_results_free(r, 3);
	connector_close(&conn);

	/* POST with the key in a JSON body */
	http_section(&s, "/api/items", erp_token, "method", "POST");
	conn = http_open_ok(&s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(conn);
	CU_ASSERT_EQUAL(connector_lookup(conn, keys, 2, r, &err), 1);
	CU_ASSERT_EQUAL(r[0].state, CONN_FOUND);
	CU_ASSERT_EQUAL(r[1].state, CONN_NOT_FOUND);
	conn_results_free(r, 2);
	connector_close(&conn);
}

/* Each failure makes the keys unknown (never a made-up fact), with a reason. */
static const struct {
	const char *key;
	const char *want;
} http_failures[] = {
	{"SLOW-1", "Timeout"},
	{"ERR-500", "HTTP 500"},
	{"BADJSON", "invalid JSON"},
	{"HUGE", "larger than max_response"},
	{"WRONG-SHAPE", "response has no /stock/available"},
};

static void test_http_failures(void)
{
	struct conn_result r[2];
	struct http_section s;
	struct connector *conn;
	struct error err;
	uint64_t start, took;
	size_t i;

	http_section(&s, "/api/items/{key}", erp_token, NULL, NULL);
	conn = http_open_ok(&s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(conn);
	for (i = 0; i < ARRAY_SIZE(http_failures); i++) {
		const char *keys[] = {"HP-1", http_failures[i].key};

		start = time_mono_ms();
		error_clear(&err);
		CU_ASSERT_EQUAL(connector_lookup(conn, keys, 2, r, &err), 0);
		took = time_mono_ms() - start;
		CU_ASSERT_EQUAL(r[0].state, CONN_UNKNOWN);
		CU_ASSERT_EQUAL(r[1].state, CONN_UNKNOWN);
		CU_ASSERT_PTR_NULL(r[1].fact);
		if (strstr(error_msg(&err), http_failures[i].want) == NULL)
			fprintf(stderr, "\nhttp %s: error '%s'\n", http_failures[i].key,
				error_msg(&err));
		CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&err), http_failures[i].want));
		CU_ASSERT(took < 2500); /* the 1 s timeout held */
		conn_results_free(r, 2);
	}
	CU_ASSERT_EQUAL(atomic_load(&conn->stats.errors), 2 * ARRAY_SIZE(http_failures));
	/* a failure is not cached: the next message asks again and gets the answer */
	{
		const char *keys[] = {"HP-1"};

		CU_ASSERT_EQUAL(connector_lookup(conn, keys, 1, r, &err), 1);
		conn_results_free(r, 1);
	}
	connector_close(&conn);

	/* no token: the server says 401, which is a failure, not "not found" */
	http_section(&s, "/api/items/{key}", NULL, NULL, NULL);
	conn = http_open_ok(&s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(conn);
	{
		const char *keys[] = {"HP-1"};

		CU_ASSERT_EQUAL(connector_lookup(conn, keys, 1, r, &err), 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&err), "HTTP 401"));
		conn_results_free(r, 1);
	}
	connector_close(&conn);
}

/* Keys are escaped into one path segment: the server sees exactly these paths. */
static const struct {
	const char *key;
	const char *path;
} http_escapes[] = {
	{"../admin", "/api/items/%2E%2E%2Fadmin"},
	{"..", "/api/items/%2E%2E"},
	{"a?b=c", "/api/items/a%3Fb%3Dc"},
	{"x#y", "/api/items/x%23y"},
	{"sp ace", "/api/items/sp%20ace"},
	{"new\nline", "/api/items/new%0Aline"},
	{"HP-1'; DROP TABLE inventory;--", "/api/items/HP-1%27%3B%20DROP%20TABLE%20inventory%3B--"},
	{"r\xc3\xa9"
	 "f",
	 "/api/items/r%C3%A9f"},
};

static void test_http_escaping(void)
{
	const char *keys[ARRAY_SIZE(http_escapes)];
	struct conn_result r[ARRAY_SIZE(http_escapes)];
	struct http_section s;
	struct connector *conn;
	struct error err;
	char line[512];
	char *log = NULL;
	size_t i, len;

	unlink(erp_log);
	for (i = 0; i < ARRAY_SIZE(http_escapes); i++)
		keys[i] = http_escapes[i].key;
	http_section(&s, "/api/items/{key}", erp_token, NULL, NULL);
	conn = http_open_ok(&s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(conn);
	CU_ASSERT_EQUAL(connector_lookup(conn, keys, ARRAY_SIZE(keys), r, &err), 1);
	for (i = 0; i < ARRAY_SIZE(http_escapes); i++)
		CU_ASSERT_EQUAL(r[i].state, CONN_NOT_FOUND);
	conn_results_free(r, ARRAY_SIZE(keys));
	connector_close(&conn);
	CU_ASSERT_EQUAL_FATAL(file_read_all(erp_log, 65536, &log, &len, NULL), 0);
	for (i = 0; i < ARRAY_SIZE(http_escapes); i++) {
		snprintf(line, sizeof(line), "GET %s\n", http_escapes[i].path);
		if (strstr(log, line) == NULL)
			fprintf(stderr, "\nhttp escape: no '%s' in:\n%s\n", http_escapes[i].path,
				log);
		CU_ASSERT_PTR_NOT_NULL(strstr(log, line));
	}
	CU_ASSERT_PTR_NULL(strstr(log, "/admin"));
	free(log);
}

static const struct {
	const char *key, *value, *want;
} http_bad_options[] = {
	{"url", "ftp://x/{key}", "line 29: [connector erp] url must be http(s)"},
	{"url", "http://x/items",
	 "line 29: [connector erp] url must be http(s)://... and contain {key}"},
	{"url", "http://127.0.0.1:99999/items/{key}",
	 "line 29: [connector erp] url: port out of range (1..65535)"},
	{"url", "https:///items/{key}", "line 29: [connector erp] url: no host"},
	{"method", "DELETE", "line 29: [connector erp] method must be GET or POST"},
	{"header.X-Api", "a\r\nHost: evil",
	 "line 29: [connector erp] header.X-Api holds a line break"},
	{"max_response", "0", "line 29: [connector erp] max_response"},
	{"field.qty", "stock.available",
	 "line 29: [connector erp] field.qty must be a JSON pointer"},
	{"timeout_sec", "5", "line 29: [connector erp] timeout_sec: unknown key for type http"},
	{"token_file", "/nonexistent/token", "line 29: token_file /nonexistent/token"},
};

static void test_http_options(void)
{
	struct connector *conn = NULL;
	struct error err;
	struct http_section s;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(http_bad_options); i++) {
		http_section(&s, "/api/items/{key}", NULL, http_bad_options[i].key,
			     http_bad_options[i].value);
		error_clear(&err);
		CU_ASSERT_EQUAL(connector_open(&s.config, &conn, &err), -1);
		CU_ASSERT_PTR_NULL(conn);
		if (strstr(error_msg(&err), http_bad_options[i].want) == NULL)
			fprintf(stderr, "\nhttp option %s: '%s'\n", http_bad_options[i].key,
				error_msg(&err));
		CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&err), http_bad_options[i].want));
	}
}

static const struct test_case conn_http_cases[] = {
	{"found, not found (404), mapping, POST", test_http_found},
	{"slow, 500, bad JSON, huge, wrong shape, 401", test_http_failures},
	{"keys escaped into the path", test_http_escaping},
	{"options checked with their lines", test_http_options},
	{NULL, NULL},
};

TEST_SUITE("conn_http", erp_start, erp_stop, conn_http_cases)
