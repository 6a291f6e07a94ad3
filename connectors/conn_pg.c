/* SPDX-License-Identifier: MIT */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/connector.h"
#include "daemon/config/config_check.h"
#include "daemon/lib/buf.h"
#include "daemon/lib/log.h"
#include "daemon/lib/util.h"

/* A parameterised query against the business's own database, e.g.
 *   url   = postgresql://reader@db.lan/erp
 *   query = SELECT sku, name, qty_on_hand FROM inventory WHERE sku = ANY($1)
 * $1 is a text[] of every key of the message: one round trip per message.
 * The key column (key_column, default the first) says which row answers
 * which key. The keys travel as a parameter, never inside the SQL. One
 * connection per connector, reused, and re-established when the server went
 * away (a restart) before the query is retried once. */

#define PG_TYPE_BOOL    16
#define PG_TYPE_INT8    20
#define PG_TYPE_INT2    21
#define PG_TYPE_INT4    23
#define PG_TYPE_FLOAT4  700
#define PG_TYPE_FLOAT8  701
#define PG_TYPE_NUMERIC 1700

static const char *const pg_options[] = {"url", "url_file", "query", "key_column", NULL};
static const char *const pg_required[] = {"query", NULL};

struct pg_conn {
	char *url;
	char *query;
	char *key_column;
	PGconn *db;
};

static int pg_validate(const struct connector_config *config, struct error *err)
{
	unsigned int line = config->line;
	const char *url;
	struct error url_err;
	const char *q = conn_option(config, "query", &line);

	if (strstr(q, "$1") == NULL || strstr(q, "$2") != NULL) {
		error_set(err,
			  "line %u: query must use exactly one parameter, $1 (a text[] of keys)",
			  line);
		return -1;
	}
	line = config->line;
	url = conn_option(config, "url", &line);
	if (url != NULL && config_check_database_url(url, &url_err) < 0) {
		error_set(err, "line %u: url: %s", line, error_msg(&url_err));
		return -1;
	}
	if (conn_option(config, "url", NULL) == NULL &&
	    conn_option(config, "url_file", NULL) == NULL) {
		error_set(err, "line %u: missing key 'url' (or url_file)", config->line);
		return -1;
	}
	return 0;
}

static void pg_close(void *priv)
{
	struct pg_conn *c = priv;

	if (c == NULL)
		return;
	if (c->db != NULL)
		PQfinish(c->db);
	secret_free(&c->url);
	free(c->query);
	free(c->key_column);
	free(c);
}

static int pg_open(const struct conn_params *params, void **priv_r, struct error *err)
{
	struct pg_conn *c = calloc(1, sizeof(*c));
	unsigned int line = params->config->line;
	const char *file;
	struct error why;

	if (c == NULL)
		return -1;
	/* the URL may hold a password: it can live in a secret file */
	file = conn_option(params->config, "url_file", &line);
	if (file != NULL) {
		if (secret_read_file(file, &c->url, &why) < 0) {
			error_set(err, "line %u: url_file %s: %s", line, file, error_msg(&why));
			pg_close(c);
			return -1;
		}
	} else {
		c->url = str_dup(conn_option(params->config, "url", NULL));
	}
	c->query = str_dup(conn_option(params->config, "query", NULL));
	c->key_column = str_dup(conn_option(params->config, "key_column", NULL));
	*priv_r = c;
	return 0;
}

/* Server notices ("relation exists, skipping") go to the debug log, not stderr. */
static void pg_notice(void *arg, const char *message)
{
	(void)arg;
	log_debug("pg connector notice: %.200s", message);
}

/* libpq messages end in a newline; a log line must not. err may be NULL. */
static void pg_trim(struct error *err)
{
	size_t n;

	if (err == NULL)
		return;
	n = strlen(err->msg);
	while (n > 0 && (err->msg[n - 1] == '\n' || err->msg[n - 1] == ' '))
		err->msg[--n] = '\0';
}

/* Connects when there is no usable connection. Returns 0 or -1. */
static int pg_connect(struct pg_conn *c, unsigned int timeout_ms, struct error *err)
{
	const char *keys[] = {"dbname", "connect_timeout", "options", "application_name", NULL};
	char timeout[16], options[64];
	const char *values[5];

	if (c->db != NULL && PQstatus(c->db) == CONNECTION_OK)
		return 0;
	if (c->db != NULL)
		PQfinish(c->db);
	/* libpq's connect_timeout is whole seconds, at least 2 */
	snprintf(timeout, sizeof(timeout), "%u", timeout_ms / 1000 < 2 ? 2 : timeout_ms / 1000);
	snprintf(options, sizeof(options), "-c statement_timeout=%u", timeout_ms);
	values[0] = c->url;
	values[1] = timeout;
	values[2] = options;
	values[3] = "draftd-connector";
	values[4] = NULL;
	c->db = PQconnectdbParams(keys, values, 1);
	if (c->db == NULL || PQstatus(c->db) != CONNECTION_OK) {
		/* libpq's message names host and port, never the password */
		error_set(err, "connect: %s",
			  c->db != NULL ? PQerrorMessage(c->db) : "out of memory");
		if (c->db != NULL)
			PQfinish(c->db);
		c->db = NULL;
		pg_trim(err);
		return -1;
	}
	PQsetNoticeProcessor(c->db, pg_notice, NULL);
	return 0;
}

/* Appends key as an element of a text[] literal: quoted, with \ and "
 * escaped, so no key can end the array or add an element. */
static int pg_array_elem(struct buf *b, const char *key)
{
	const char *p;

	if (buf_append_str(b, "\"") < 0)
		return -1;
	for (p = key; *p != '\0'; p++) {
		if ((*p == '"' || *p == '\\') && buf_append_str(b, "\\") < 0)
			return -1;
		if (buf_append(b, p, 1) < 0)
			return -1;
	}
	return buf_append_str(b, "\"");
}

static json_t *pg_value(const PGresult *res, int row, int col)
{
	const char *v = PQgetvalue(res, row, col);

	if (PQgetisnull(res, row, col))
		return json_null();
	switch (PQftype(res, col)) {
	case PG_TYPE_BOOL:
		return json_boolean(v[0] == 't');
	case PG_TYPE_INT2:
	case PG_TYPE_INT4:
	case PG_TYPE_INT8:
	case PG_TYPE_FLOAT4:
	case PG_TYPE_FLOAT8:
	case PG_TYPE_NUMERIC:
		return conn_value_guess(v);
	default:
		return json_string(v);
	}
}

static int pg_lookup(void *priv, const char *const *keys, size_t count, unsigned int timeout_ms,
		     json_t **facts_r, struct error *err)
{
	struct pg_conn *c = priv;
	PGresult *res = NULL;
	const char *values[1];
	struct buf array;
	int attempt, row, col, key_col = 0, nrows, ret = -1;
	json_t *fact;
	size_t i;

	buf_init(&array, (size_t)CONN_KEYS_MAX * (CONN_KEY_MAX * 2 + 4) + 4);
	if (buf_append_str(&array, "{") < 0)
		goto out;
	for (i = 0; i < count; i++) {
		if ((i > 0 && buf_append_str(&array, ",") < 0) ||
		    pg_array_elem(&array, keys[i]) < 0)
			goto out;
	}
	if (buf_append_str(&array, "}") < 0)
		goto out;
	values[0] = array.data;
	for (attempt = 0; attempt < 2; attempt++) {
		if (pg_connect(c, timeout_ms, err) < 0)
			goto out;
		res = PQexecParams(c->db, c->query, 1, NULL, values, NULL, NULL, 0);
		if (PQresultStatus(res) == PGRES_TUPLES_OK)
			break;
		error_set(err, "query: %s", PQresultErrorMessage(res));
		pg_trim(err);
		PQclear(res);
		res = NULL;
		/* the server restarted under us: reconnect and try once more */
		if (PQstatus(c->db) == CONNECTION_OK)
			goto out;
		log_warn("pg connector lost its connection, reconnecting");
	}
	if (res == NULL)
		goto out;
	if (c->key_column != NULL) {
		key_col = PQfnumber(res, c->key_column);
		if (key_col < 0) {
			error_set(err, "query result has no column '%s'", c->key_column);
			goto out;
		}
	}
	nrows = PQntuples(res);
	for (row = 0; row < nrows; row++) {
		for (i = 0; i < count; i++) {
			if (facts_r[i] == NULL &&
			    strcmp(PQgetvalue(res, row, key_col), keys[i]) == 0)
				break;
		}
		if (i == count)
			continue; /* a row we did not ask for, or a second one */
		fact = json_object();
		for (col = 0; col < PQnfields(res); col++)
			json_object_set_new(fact, PQfname(res, col), pg_value(res, row, col));
		facts_r[i] = fact;
	}
	ret = 0;
out:
	if (ret < 0) {
		for (i = 0; i < count; i++) {
			json_decref(facts_r[i]);
			facts_r[i] = NULL;
		}
	}
	PQclear(res);
	buf_free(&array);
	return ret;
}

const struct connector_ops connector_pg = {
	.name = "pg",
	.options = pg_options,
	.required = pg_required,
	.validate = pg_validate,
	.open = pg_open,
	.lookup = pg_lookup,
	.close = pg_close,
};
