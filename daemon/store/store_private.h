/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_STORE_PRIVATE_H
#define DRAFTD_STORE_PRIVATE_H

/* Shared by daemon/store/ only. */

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <string.h>

#include "daemon/store/store.h"

struct store {
	PGconn *conn;
	char *url;
	unsigned int connect_timeout;
	struct error err;             /* the last failure (store_error(), store_err()) */
	char sqlstate[6];             /* of the last failed statement, "" when unknown */
	struct store_stmts *stmts;    /* prepared statements of this connection (store_stmt.c) */
	struct store_cat_cache *cats; /* category rows read lately (store_pipeline.c) */
	bool ingest_stage;            /* this session has its ingest staging table */
};

/* Frees store->cats (store_close(), a reconnect). */
void store_category_cache_free(struct store *store);

/* The last failed statement broke a unique index or constraint (23505):
 * the database refused what an invariant forbids. */
#define STORE_UNIQUE_VIOLATION(store) (strcmp((store)->sqlstate, "23505") == 0)

/* Records "what: libpq's message" as the store's error. */
void store_set_error(struct store *store, const char *what, const PGresult *res);

/* Runs a parameterised statement; all parameters are text. Returns the
 * result (PQclear it) when its status is COMMAND_OK or TUPLES_OK, else NULL
 * with the error recorded. */
PGresult *store_exec(struct store *store, const char *what, const char *sql, int nparams,
		     const char *const *params);
/* Runs sql through this connection's statement cache: prepared on first
 * use, executed prepared after. Returns what PQexecParams() would (any
 * status; NULL when out of memory). store_exec() is the caller. */
PGresult *store_stmt_exec(struct store *store, const char *sql, int nparams,
			  const char *const *params);
/* Forgets the connection's prepared statements: after a reconnect (a new
 * session has none) and after migrations (their result types may change). */
void store_stmt_forget(struct store *store);

/* Runs a parameterless command such as BEGIN or COMMIT; 0 or -1. */
int store_command(struct store *store, const char *sql);
/* Rolls back an open transaction, ignoring errors (the connection may be gone). */
void store_rollback(struct store *store);

/* Parses text a query returned (jsonb::text and the like; any JSON value).
 * NULL with the store's error set when it does not parse. */
json_t *store_json(struct store *store, const char *text);
/* Column col of every row of res, parsed with store_json(), as a new array;
 * NULL (error set) when a row does not parse or memory runs out. */
json_t *store_json_rows(struct store *store, const PGresult *res, int col);
/* The row-to-array query: runs sql (parameters text) and returns column 0
 * of every row parsed as JSON, as a new array; NULL with the store's error
 * set. */
json_t *store_json_list(struct store *store, const char *what, const char *sql, int nparams,
			const char *const *params);
/* store_json_list() as the object {key: [...]}, the listings' answer.
 * Returns 0 with *result_r (json_decref it), or -1. */
int store_json_list_in(struct store *store, const char *key, const char *what, const char *sql,
		       int nparams, const char *const *params, json_t **result_r)
	__attribute__((warn_unused_result));

#endif
