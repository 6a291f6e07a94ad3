/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_STORE_TXN_H
#define DRAFTD_STORE_TXN_H

/* Shared by daemon/store/ only: the one shape of a decision or admin
 * transaction (Dovecot's sql_transaction_begin/_commit_s): BEGIN, the
 * guarded update, the audit row, COMMIT; or roll back and say which guard
 * refused. Every audited decision in the store is written with it. */

#include <jansson.h>

#include "daemon/store/store_private.h"

/* What the body of an audited transaction reports: the audit row it
 * wants written (action NULL: nothing to audit, e.g. a heartbeat) and,
 * when it refuses, the name of the guard that did. */
struct store_txn {
	const char *actor;       /* who decided; set by the caller */
	const char *action;      /* e.g. "draft.approve"; NULL: no audit row */
	const char *object_type; /* e.g. "draft" */
	char *object_id;         /* owned (store_txn_object() copies it) */
	json_t *before, *after;  /* owned: the helper decrefs them */
	const char *refused;     /* static name of the guard that said no */
};

/* The guarded part, run inside the transaction with the caller's ctx.
 * Returns 1 to go on (write the audit row and commit), 0 when a guard
 * refused (txn->refused names it; rolled back), -1 on error (store error
 * set; rolled back). */
typedef int store_txn_body_fn(struct store *store, struct store_txn *txn, void *ctx);

/* Runs body in one transaction as above. Returns 1 when committed with its
 * audit row, 0 when a guard refused (rolled back, txn->refused says which),
 * -1 on error (rolled back, store error set). txn's owned fields are
 * released before it returns; txn->refused stays. */
int store_txn_run(struct store *store, struct store_txn *txn, store_txn_body_fn *body, void *ctx)
	__attribute__((warn_unused_result));

/* Sets the audited object (type static, id copied). 0 or -1 (no memory,
 * store error set). */
int store_txn_object(struct store *store, struct store_txn *txn, const char *type, const char *id)
	__attribute__((warn_unused_result));

/* Writes txn's audit row now, inside the body, and clears it (the helper
 * then writes none): for a body whose later steps write audit rows of
 * their own that must follow this one (a bad sample, then the demotion it
 * causes). 0 or -1. */
int store_txn_audit(struct store *store, struct store_txn *txn) __attribute__((warn_unused_result));

/* A guard said no: records its name and returns 0, for
 * "return store_txn_refuse(txn, "claimed");". */
int store_txn_refuse(struct store_txn *txn, const char *guard);

#endif
