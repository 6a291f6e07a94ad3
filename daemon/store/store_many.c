/* SPDX-License-Identifier: MIT */
/* Several statements in one round trip (libpq pipeline mode, libpq 14+):
 * a transaction whose statements do not depend on each other's answers
 * waits for the network once instead of once per statement (issue 14). */
#include "daemon/store/store_private.h"

#include <stdio.h>
#include <string.h>

void store_q_clear(struct store_q *q, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		PQclear(q[i].res);
		q[i].res = NULL;
	}
}

/* Queues q on the connection: prepared under name, or unprepared when
 * name is "" (the cache is off or full). 0 or -1. */
static int store_q_send(struct store *store, const struct store_q *q, const char *name)
{
	if (name[0] != '\0')
		return PQsendQueryPrepared(store->conn, name, q->nparams, q->params, NULL, NULL,
					   0) == 1
			       ? 0
			       : -1;
	return PQsendQueryParams(store->conn, q->sql, q->nparams, NULL, q->params, NULL, NULL, 0) ==
			       1
		       ? 0
		       : -1;
}

/* Reads every result up to the sync; fills q[i].res for the statements that
 * succeeded and records the first error (unless failed: one is recorded
 * already). 0 when all succeeded, else -1. */
static int store_q_collect(struct store *store, struct store_q *q, size_t n, bool failed)
{
	PGresult *res;
	ExecStatusType st;

	for (size_t i = 0; i < n; i++) {
		res = PQgetResult(store->conn);
		st = PQresultStatus(res);
		if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
			q[i].res = res;
		} else {
			/* the first failure is the one to report; PIPELINE_ABORTED
			 * follows it for the statements that were skipped */
			if (!failed)
				store_set_error(store, q[i].what, res);
			failed = true;
			PQclear(res);
		}
		if (res == NULL) {
			failed = true;
			break; /* the connection broke: nothing more will come */
		}
		/* NULL ends each statement's results */
		while ((res = PQgetResult(store->conn)) != NULL)
			PQclear(res);
	}
	/* the sync's own result */
	while ((res = PQgetResult(store->conn)) != NULL) {
		st = PQresultStatus(res);
		PQclear(res);
		if (st == PGRES_PIPELINE_SYNC)
			break;
	}
	return failed ? -1 : 0;
}

int store_exec_many(struct store *store, struct store_q *q, size_t n)
{
	char names[STORE_MANY_MAX][STORE_STMT_NAME_MAX];
	size_t sent = 0;
	int ret = -1, s;

	for (size_t i = 0; i < n; i++)
		q[i].res = NULL;
	if (n == 0 || n > STORE_MANY_MAX) {
		error_set(&store->err, "%s: %zu statements in one round trip",
			  n > 0 ? q[0].what : "store", n);
		return -1;
	}
	/* prepared first, outside the pipeline: a statement that does not
	 * prepare is reported as the one that failed, and nothing is sent */
	for (size_t i = 0; i < n; i++) {
		s = store_stmt_name(store, q[i].what, q[i].sql, q[i].nparams, names[i],
				    sizeof(names[i]));
		if (s < 0)
			return -1;
		if (s == 0)
			names[i][0] = '\0';
	}
	if (PQenterPipelineMode(store->conn) != 1) {
		store_set_error(store, q[0].what, NULL);
		return -1;
	}
	while (sent < n && store_q_send(store, &q[sent], names[sent]) == 0)
		sent++;
	if (sent < n)
		store_set_error(store, q[sent].what, NULL);
	/* even after a failed send: what was sent is read back, so that the
	 * connection leaves pipeline mode idle */
	if (PQpipelineSync(store->conn) != 1) {
		if (sent == n)
			store_set_error(store, q[0].what, NULL);
		goto out;
	}
	ret = store_q_collect(store, q, sent, sent < n);
	if (sent < n)
		ret = -1;
out:
	if (PQexitPipelineMode(store->conn) != 1 && ret == 0) {
		store_set_error(store, q[0].what, NULL);
		ret = -1;
	}
	if (ret < 0)
		store_q_clear(q, n);
	return ret;
}
