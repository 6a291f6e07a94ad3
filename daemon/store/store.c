/* SPDX-License-Identifier: MIT */
#include "daemon/store/store_private.h"

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/lib/error.h"
#include "daemon/lib/log.h"
#include "daemon/lib/util.h"
#include "daemon/store/store_batch.h"

/* libpq ends its messages with a newline; keep lines single. */
static void store_copy_message(char *dst, size_t size, const char *what, const char *msg)
{
	size_t len;

	snprintf(dst, size, "%s: %s", what, msg != NULL && *msg != '\0' ? msg : "unknown error");
	len = strlen(dst);
	while (len > 0 && (dst[len - 1] == '\n' || dst[len - 1] == ' '))
		dst[--len] = '\0';
	for (char *p = dst; *p != '\0'; p++) {
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	}
}

/* store_copy_message() into a struct error (err may be NULL). */
static void store_error_set(struct error *err, const char *what, const char *msg)
{
	if (err == NULL)
		return;
	error_clear(err);
	store_copy_message(err->msg, sizeof(err->msg), what, msg);
}

void store_set_error(struct store *store, const char *what, const PGresult *res)
{
	const char *msg = res != NULL ? PQresultErrorMessage(res) : NULL;
	const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	snprintf(store->sqlstate, sizeof(store->sqlstate), "%s", state != NULL ? state : "");
	if (msg == NULL || *msg == '\0')
		msg = PQerrorMessage(store->conn);
	store_error_set(&store->err, what, msg);
}

static PGconn *store_connect(const char *url, unsigned int connect_timeout)
{
	const char *keys[] = {"dbname", "connect_timeout", "application_name", "options", NULL};
	const char *values[5];
	char timeout[16];

	snprintf(timeout, sizeof(timeout), "%u", connect_timeout);
	values[0] = url;
	values[1] = timeout;
	values[2] = "draftd";
	/* NOTICEs ("already exists, skipping") are noise on stderr. No JIT:
	 * every statement here is short, but the stats queries' estimates
	 * cross jit_above_cost and compiling them took 3-4 s of a 4 s
	 * GET /stats at 100k messages (issue 16 item 6). */
	values[3] = "-c client_min_messages=warning -c jit=off";
	values[4] = NULL;
	return PQconnectdbParams(keys, values, 1);
}

int store_open(const char *url, unsigned int connect_timeout, struct store **store_r,
	       struct error *err)
{
	struct store *store = NULL;
	PGresult *res = NULL;
	char what[300];
	int ret = -1;

	store = calloc(1, sizeof(*store));
	if (store == NULL || (store->url = strdup(url)) == NULL) {
		error_set(err, "out of memory");
		goto out;
	}
	store->connect_timeout = connect_timeout;
	store->conn = store_connect(url, connect_timeout);
	if (store->conn == NULL) {
		error_set(err, "cannot connect to database: out of memory");
		goto out;
	}
	if (PQstatus(store->conn) != CONNECTION_OK) {
		/* PQhost/PQport name the server without echoing the password. */
		snprintf(what, sizeof(what), "cannot connect to database at %s:%s",
			 PQhost(store->conn) != NULL ? PQhost(store->conn) : "?",
			 PQport(store->conn) != NULL ? PQport(store->conn) : "?");
		store_error_set(err, what, PQerrorMessage(store->conn));
		goto out;
	}
	/* Timestamps go out as UTC ISO 8601 whatever the server's default. */
	res = PQexec(store->conn, "SET TIME ZONE 'UTC'");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		store_error_set(err, "database setup", PQerrorMessage(store->conn));
		goto out;
	}
	*store_r = store;
	store = NULL;
	ret = 0;
out:
	PQclear(res);
	store_close(&store);
	return ret;
}

void store_close(struct store **store)
{
	if (*store == NULL)
		return;
	store_stmt_forget(*store);
	store_category_cache_free(*store);
	store_batch_free(*store);
	if ((*store)->conn != NULL)
		PQfinish((*store)->conn);
	free((*store)->url);
	free(*store);
	*store = NULL;
}

const char *store_error(const struct store *store)
{
	return error_msg(&store->err);
}

const struct error *store_err(const struct store *store)
{
	return &store->err;
}

int store_ensure(struct store *store)
{
	PGresult *res;

	if (PQstatus(store->conn) == CONNECTION_OK)
		return 0;
	/* a new session: the old one's prepared statements are gone */
	store_stmt_forget(store);
	store_category_cache_free(store);
	PQreset(store->conn);
	if (PQstatus(store->conn) != CONNECTION_OK) {
		store_set_error(store, "database reconnect", NULL);
		return -1;
	}
	res = PQexec(store->conn, "SET TIME ZONE 'UTC'");
	PQclear(res);
	log_info("reconnected to the database");
	return 0;
}

PGresult *store_exec(struct store *store, const char *what, const char *sql, int nparams,
		     const char *const *params)
{
	PGresult *res;
	ExecStatusType status;

	res = store_stmt_exec(store, sql, nparams, params);
	status = PQresultStatus(res);
	if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
		store_set_error(store, what, res);
		PQclear(res);
		return NULL;
	}
	return res;
}

int store_exec_void(struct store *store, const char *what, const char *sql, int nparams,
		    const char *const *params)
{
	PGresult *res = store_exec(store, what, sql, nparams, params);

	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int store_command(struct store *store, const char *sql)
{
	return store_exec_void(store, sql, sql, 0, NULL);
}

void store_rollback(struct store *store)
{
	PGresult *res = PQexec(store->conn, "ROLLBACK");

	PQclear(res);
}

json_t *store_json(struct store *store, const char *text)
{
	json_error_t err;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &err);

	if (j == NULL)
		error_set(&store->err, "database returned bad JSON: %s", err.text);
	return j;
}

json_t *store_json_rows(struct store *store, const PGresult *res, int col)
{
	json_t *arr = json_array();
	int i;

	if (arr == NULL) {
		error_set(&store->err, "out of memory");
		return NULL;
	}
	for (i = 0; i < PQntuples(res); i++) {
		json_t *row = store_json(store, PQgetvalue(res, i, col));

		if (row == NULL || json_array_append_new(arr, row) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

json_t *store_json_list(struct store *store, const char *what, const char *sql, int nparams,
			const char *const *params)
{
	PGresult *res = store_exec(store, what, sql, nparams, params);
	json_t *arr;

	if (res == NULL)
		return NULL;
	arr = store_json_rows(store, res, 0);
	PQclear(res);
	return arr;
}

int store_json_list_in(struct store *store, const char *key, const char *what, const char *sql,
		       int nparams, const char *const *params, json_t **result_r)
{
	json_t *arr = store_json_list(store, what, sql, nparams, params);

	if (arr == NULL)
		return -1;
	*result_r = json_pack("{s:o}", key, arr);
	return *result_r != NULL ? 0 : -1;
}
