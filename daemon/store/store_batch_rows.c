/* SPDX-License-Identifier: MIT */
/* The rows a batch's results write, kept until its commit and then written
 * set-based (issue 14): one UPDATE of the jobs, one of the messages and one
 * INSERT of the drafts per batch instead of three statements per message
 * (and one INSERT of the messages' search vectors, migration 0250),
 * so the drafts' statement triggers (0175's rollup) run once per batch and
 * each statement's fixed cost is paid once. Each column travels as one
 * array parameter. What a message's row holds is what the one-by-one path
 * writes: the parameters are the same strings (store_pipeline_finish.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/lib/buf.h"
#include "daemon/lib/util.h"
#include "daemon/store/store_batch_int.h"
#include "daemon/store/store_private.h"

/* An array parameter's ceiling: the batch's bodies, facts and records. */
#define ROWS_MAX (256u * 1024 * 1024)

enum { COL_JOB_ID, COL_JOB_BY, COL_MSG_ID, COL_MSG_STATE, COL_MSG_REC, COL_MSG_LANG, COL_MSG_N };

struct batch_rows {
	struct buf col[COL_MSG_N];
	struct buf draft[STORE_DRAFT_PARAMS];
	size_t n_rows, n_drafts;
	int64_t draft_msg[STORE_BATCH_MAX];
	size_t draft_audit[STORE_BATCH_MAX]; /* the index of its audit row */
};

void batch_rows_free(struct store_batch *b)
{
	if (b->rows == NULL)
		return;
	for (size_t i = 0; i < COL_MSG_N; i++)
		buf_free(&b->rows->col[i]);
	for (size_t i = 0; i < STORE_DRAFT_PARAMS; i++)
		buf_free(&b->rows->draft[i]);
	free(b->rows);
	b->rows = NULL;
}

/* Appends v (NULL: SQL NULL) to the array literal in a, which starts with
 * "{" (closed at the write). 0 or -1 (the ceiling, out of memory). */
static int rows_add(struct buf *a, const char *v)
{
	const char *run;

	if (a->len == 0 && buf_append(a, "{", 1) < 0)
		return -1;
	if (a->len > 1 && buf_append(a, ",", 1) < 0)
		return -1;
	if (v == NULL)
		return buf_append(a, "NULL", 4);
	if (buf_append(a, "\"", 1) < 0)
		return -1;
	while (*v != '\0') {
		run = v + strcspn(v, "\"\\");
		if (buf_append(a, v, (size_t)(run - v)) < 0)
			return -1;
		if (*run == '\0')
			break;
		if (buf_append(a, "\\", 1) < 0 || buf_append(a, run, 1) < 0)
			return -1;
		v = run + 1;
	}
	return buf_append(a, "\"", 1);
}

static struct batch_rows *rows_get(struct store_batch *b)
{
	if (b->rows == NULL) {
		b->rows = calloc(1, sizeof(*b->rows));
		if (b->rows == NULL)
			return NULL;
		for (size_t i = 0; i < COL_MSG_N; i++)
			buf_init(&b->rows->col[i], ROWS_MAX);
		for (size_t i = 0; i < STORE_DRAFT_PARAMS; i++)
			buf_init(&b->rows->draft[i], ROWS_MAX);
	}
	return b->rows;
}

int store_batch_defer(struct store *store, const char *job_id, const char *locked_by,
		      const char *const msg[4], const char *const *draft)
{
	struct store_batch *b = store->batch;
	struct batch_rows *rows;
	const char *job[2] = {job_id, locked_by};
	int ret = -1;

	if (b == NULL || b->no_defer)
		return 1;
	rows = rows_get(b);
	if (rows == NULL || rows->n_rows >= STORE_BATCH_MAX || b->n >= STORE_BATCH_MAX)
		goto oom;
	for (size_t i = 0; i < 2; i++) {
		if (rows_add(&rows->col[COL_JOB_ID + i], job[i]) < 0)
			goto oom;
	}
	for (size_t i = 0; i < 4; i++) {
		if (rows_add(&rows->col[COL_MSG_ID + i], msg[i]) < 0)
			goto oom;
	}
	rows->n_rows++;
	if (draft != NULL) {
		for (size_t i = 0; i < STORE_DRAFT_PARAMS; i++) {
			if (rows_add(&rows->draft[i], draft[i]) < 0)
				goto oom;
		}
		/* msg[0] is the message's id; its audit row is the next one */
		rows->draft_msg[rows->n_drafts] = strtoll(msg[0], NULL, 10);
		rows->draft_audit[rows->n_drafts] = b->n;
		rows->n_drafts++;
	}
	ret = 0;
	goto out;
oom:
	/* a half-added row: the batch cannot commit any more */
	error_set(&store->err, "keeping a batch's rows: out of memory");
	b->no_defer = true;
out:
	return ret;
}

/* The column order of STORE_DRAFT_PARAMS: store_pipeline_finish.c's
 * one-by-one INSERT, its $1..$18. */
static const char rows_drafts_sql[] =
	"INSERT INTO drafts (message_id, category, confidence, confidence_source,"
	" subject, body, recipient, model, prompt_version, facts, rule_hits,"
	" guardrail_flags, decision_reasons, notes, shadow, decision, status,"
	" language, reviewer, decided_at, superseded_at, superseded_by)"
	" SELECT u.mid, u.cat, u.conf::float8, u.csrc, u.subj, u.body, u.rcpt, u.model, u.pv,"
	" u.facts::jsonb, u.rh::jsonb, u.gf::jsonb, u.dr::jsonb, u.notes::jsonb,"
	" u.shadow::jsonb, u.dec, u.st, u.lang,"
	" CASE WHEN u.st = 'approved' THEN 'auto' END,"
	" CASE WHEN u.st = 'approved' THEN now() END,"
	" CASE WHEN u.st = 'superseded' THEN now() END,"
	" CASE WHEN u.st = 'superseded' THEN 'pipeline' END"
	" FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],"
	" $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],"
	" $13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[])"
	" WITH ORDINALITY AS u(mid, cat, conf, csrc, subj, body, rcpt, model, pv, facts, rh,"
	" gf, dr, notes, shadow, dec, st, lang, ord) ORDER BY u.ord"
	" RETURNING message_id, id";

/* Adds each stored draft's id to its audit row, as the one-by-one path
 * does. 0 or -1. */
static int rows_draft_ids(struct store *store, struct batch_rows *rows, const PGresult *res)
{
	struct store_batch *b = store->batch;
	uint64_t mid, id;
	size_t k;

	if ((size_t)PQntuples(res) != rows->n_drafts)
		goto bad;
	for (int i = 0; i < PQntuples(res); i++) {
		if (parse_u64(PQgetvalue(res, i, 0), INT64_MAX, &mid) < 0 ||
		    parse_u64(PQgetvalue(res, i, 1), INT64_MAX, &id) < 0)
			goto bad;
		for (k = 0; k < rows->n_drafts && rows->draft_msg[k] != (int64_t)mid; k++)
			;
		if (k == rows->n_drafts)
			goto bad;
		if (json_object_set_new(b->afters[rows->draft_audit[k]], "draft_id",
					json_integer((json_int_t)id)) < 0) {
			error_set(&store->err, "audit: out of memory");
			return -1;
		}
	}
	return 0;
bad:
	error_set(&store->err, "storing a batch's drafts: unexpected answer");
	return -1;
}

int batch_rows_write(struct store *store)
{
	struct store_batch *b = store->batch;
	struct batch_rows *rows = b->rows;
	const char *jp[2], *mp[4], *dp[STORE_DRAFT_PARAMS];
	struct store_q q[4] = {
		{"completing the batch's jobs",
		 "UPDATE jobs j SET state = 'done', locked_by = NULL, locked_until = NULL,"
		 " last_error = NULL, updated_at = now()"
		 " FROM unnest($1::bigint[], $2::text[]) AS u(id, owner)"
		 " WHERE j.id = u.id AND j.state = 'running' AND j.locked_by = u.owner",
		 2, jp, NULL},
		{"storing the batch's pipeline results",
		 "UPDATE messages m SET state = CASE WHEN u.st = 'skipped' AND m.reopened_at"
		 " IS NOT NULL THEN 'human' ELSE u.st END, pipeline = u.rec::jsonb,"
		 " language = coalesce(u.lang, m.language), human_reason = CASE WHEN"
		 " u.st = 'skipped' AND m.reopened_at IS NOT NULL THEN 'reopened by '"
		 " || m.reopened_by || '; screening would skip it: '"
		 " || coalesce(u.rec::jsonb->>'reason', '?') END"
		 " FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[])"
		 " AS u(id, st, rec, lang) WHERE m.id = u.id",
		 4, mp, NULL},
		{"indexing the batch's messages for search", STORE_SEARCH_INDEX_SQL("$1::bigint[]"),
		 1, mp, NULL},
		{"storing the batch's drafts", rows_drafts_sql, STORE_DRAFT_PARAMS, dp, NULL},
	};
	size_t n;
	int ret = -1;

	if (rows == NULL || rows->n_rows == 0)
		return b->no_defer && rows != NULL ? -1 : 0;
	for (size_t i = 0; i < COL_MSG_N; i++) {
		if (buf_append(&rows->col[i], "}", 1) < 0)
			goto oom;
	}
	for (size_t i = 0; i < 2; i++)
		jp[i] = rows->col[COL_JOB_ID + i].data;
	for (size_t i = 0; i < 4; i++)
		mp[i] = rows->col[COL_MSG_ID + i].data;
	for (size_t i = 0; i < STORE_DRAFT_PARAMS && rows->n_drafts > 0; i++) {
		if (buf_append(&rows->draft[i], "}", 1) < 0)
			goto oom;
		dp[i] = rows->draft[i].data;
	}
	n = rows->n_drafts > 0 ? 4 : 3;
	if (store_exec_many(store, q, n) < 0)
		goto out;
	if (strtoull(PQcmdTuples(q[0].res), NULL, 10) != rows->n_rows)
		error_set(&store->err, "a job's lease was lost");
	else if (strtoull(PQcmdTuples(q[1].res), NULL, 10) != rows->n_rows)
		error_set(&store->err, "storing the batch's pipeline results: a message is gone");
	else if (n < 4 || rows_draft_ids(store, rows, q[3].res) == 0)
		ret = 0;
	store_q_clear(q, n);
	goto out;
oom:
	error_set(&store->err, "keeping a batch's rows: out of memory");
out:
	return ret;
}
