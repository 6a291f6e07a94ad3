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
	struct store_batch *batch;    /* open batch transaction (store_batch.c), or NULL */
};

/* The kill switch (store_auto_set()) is off: its settings row holds false.
 * No row, or any other value, is on. Every statement that obeys the switch
 * says so with this condition, and store_auto_switch() reads it so. */
#define STORE_AUTO_ROW_SQL   "settings WHERE key = 'auto_enabled'"
#define STORE_AUTO_FALSE_SQL "value = 'false'::jsonb"
#define STORE_AUTO_OFF_SQL \
	"EXISTS (SELECT 1 FROM " STORE_AUTO_ROW_SQL " AND " STORE_AUTO_FALSE_SQL ")"

/* The kill switch: 1 on, 0 off, -1 on error. With share, its row is read
 * FOR SHARE: store_auto_set() then waits for the caller's transaction. */
int store_auto_switch(struct store *store, bool share) __attribute__((warn_unused_result));

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
/* store_exec() for a statement whose rows are not wanted (an INSERT,
 * UPDATE or DELETE whose row count does not matter, a lock taken with
 * SELECT): runs it and frees the result. Returns 0, or -1 with the error
 * recorded as what's ("what: libpq's message"). */
int store_exec_void(struct store *store, const char *what, const char *sql, int nparams,
		    const char *const *params) __attribute__((warn_unused_result));
/* Runs sql through this connection's statement cache: prepared on first
 * use, executed prepared after. Returns what PQexecParams() would (any
 * status; NULL when out of memory). store_exec() is the caller. */
PGresult *store_stmt_exec(struct store *store, const char *sql, int nparams,
			  const char *const *params);
/* The name sql is prepared under on this connection, preparing it now if
 * the cache has room. Returns 1 with name_r, 0 when it is to run unprepared
 * (cache off or full), -1 when it does not prepare (error recorded as what's). */
#define STORE_STMT_NAME_MAX 16
int store_stmt_name(struct store *store, const char *what, const char *sql, int nparams,
		    char *name_r, size_t size) __attribute__((warn_unused_result));
/* Forgets the connection's prepared statements: after a reconnect (a new
 * session has none) and after migrations (their result types may change). */
void store_stmt_forget(struct store *store);

/* One statement of a round trip that sends several (store_exec_many()). */
struct store_q {
	const char *what; /* for the error: "storing a draft" */
	const char *sql;
	int nparams;
	const char *const *params; /* must live until store_exec_many() returns */
	PGresult *res;             /* out: its result (COMMAND_OK or TUPLES_OK) */
};
/* Runs q[0..n) in order in ONE round trip (libpq pipeline mode), each
 * through the statement cache as store_exec() runs it: for statements that
 * do not depend on each other's answers, in the caller's transaction (or
 * starting with BEGIN). Returns 0 with every q[i].res set (free them with
 * store_q_clear()), or -1 with the error of the first statement that failed
 * recorded (the ones after it were not run; an open transaction is aborted:
 * roll it back) and no res set. */
#define STORE_MANY_MAX 8 /* statements in one round trip */
int store_exec_many(struct store *store, struct store_q *q, size_t n)
	__attribute__((warn_unused_result));
void store_q_clear(struct store_q *q, size_t n);

/* store_job_complete() as a statement of a store_exec_many() round trip:
 * q is filled (its parameters in id_buf[24] and params[2], which must live
 * as long); store_job_complete_done() reads its result: 1 completed, 0 the
 * lease was lost. */
struct store_job;
void store_job_complete_q(const struct store_job *job, char id_buf[24], const char *params[2],
			  struct store_q *q);
int store_job_complete_done(const PGresult *res);

/* Appends v to a Postgres array literal in b, which starts with "{" (the
 * caller closes it with "}"): {"a","b"} with " and \ escaped. 0 or -1 (b's
 * limit). */
struct buf;
int store_array_add(struct buf *b, const char *v) __attribute__((warn_unused_result));

/* The pipeline's audit row for a message, kept by an open batch
 * (store_batch.h) and written when it commits. 0 or -1 (out of memory). */
int store_batch_audit_add(struct store *store, const char *object_id, const json_t *after)
	__attribute__((warn_unused_result));
/* Indexes for search the messages whose ids the SQL expression ids (a
 * bigint[]) gives and that have no vector yet: ingest leaves it to the
 * first write of the row after it (migration 0250). A message indexed
 * already keeps its vector (the triggers of 0250 rebuild it on a change). */
#define STORE_SEARCH_INDEX_SQL(ids)                                                       \
	"INSERT INTO message_search (message_id, search_tsv) SELECT m.id,"                \
	" draftd_ts_vector(m.language, m.subject, m.text_body, m.sender) FROM messages m" \
	" WHERE m.id = ANY(" ids ") AND NOT EXISTS (SELECT 1 FROM message_search s"       \
	" WHERE s.message_id = m.id) ON CONFLICT (message_id) DO NOTHING"

/* The parameters of a draft's INSERT (store_pipeline_finish.c). */
#define STORE_DRAFT_PARAMS 18
/* Keeps a pipeline result's rows for the open batch's commit
 * (store_batch_rows.c): the job's completion (its id and owner), the
 * message's update (msg: id, state, record, language) and, unless draft is
 * NULL, the draft's insert (STORE_DRAFT_PARAMS strings, NULL for SQL
 * NULL), copied now. The draft's id reaches the audit row that
 * store_batch_audit_add() adds next. 0 kept, 1 not kept (no batch, or one
 * that stores as it goes: write the rows now), -1 (out of memory: the
 * batch cannot commit). */
int store_batch_defer(struct store *store, const char *job_id, const char *locked_by,
		      const char *const msg[4], const char *const *draft)
	__attribute__((warn_unused_result));

/* Frees an open batch's state (store_close()); the connection's
 * transaction is the caller's to end. */
void store_batch_free(struct store *store);

/* Appends n audit rows (actor, action, object_type 'message' and before
 * NULL for all; object_ids[i], afters[i] as JSON text) to the chain in one
 * set-based INSERT under the chain's lock, then COMMITs, in one round trip.
 * 0, or -1 (the transaction is aborted: roll it back). */
int store_audit_commit_many(struct store *store, const char *actor, const char *action,
			    const char *const *object_ids, const char *const *afters, size_t n)
	__attribute__((warn_unused_result));

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
