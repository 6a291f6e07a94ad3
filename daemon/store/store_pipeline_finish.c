/* SPDX-License-Identifier: MIT */
/* The pipeline's result and the job's completion, stored in one
 * transaction in three round trips (libpq pipeline mode, issue 14): BEGIN
 * with the message's lock and check; the job, the message row and the
 * draft; the audit row with COMMIT. An automatic reply adds its limits'
 * check and its outbox row. In an open batch (store_batch.h) the BEGIN and
 * COMMIT are the batch's and the audit row waits for its commit: two round
 * trips per message. */
#include "daemon/store/store_pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/lib/sample.h"
#include "daemon/lib/util.h"
#include "daemon/store/store_audit.h"
#include "daemon/store/store_batch.h"
#include "daemon/store/store_private.h"

/* JSON text of v for a jsonb parameter ("null" for NULL); free() it. */
static char *json_param(const json_t *v, const char *fallback)
{
	if (v == NULL)
		return strdup(fallback);
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* The parameters of the finishing statements: they must live until the
 * round trip that sends them returns. */
struct finish {
	char id[24], ids[28], conf[32]; /* ids: "{id}", a bigint[] */
	char *record;
	char *json[6];
	const char *msg_params[4];
	const char *draft_params[STORE_DRAFT_PARAMS];
};

static void finish_free(struct finish *f)
{
	free(f->record);
	for (size_t i = 0; i < 6; i++)
		free(f->json[i]);
}

/* The messages row's update. The latest event is the reason a person sees:
 * an older reject's goes; a message a person reopened is never skipped
 * again, it waits for them. The language is mostly the one ingest stored
 * (the same guess): with no indexed column changed, the update can be HOT
 * (migration 0185); a pipeline that found none keeps the stored one. 0 or
 * -1 (out of memory). */
static int finish_message_q(struct finish *f, const struct pipeline_result *r, struct store_q *q)
{
	f->record = json_param(r->record, "{}");
	if (f->record == NULL)
		return -1;
	f->msg_params[0] = f->id;
	f->msg_params[1] = r->message_state;
	f->msg_params[2] = f->record;
	f->msg_params[3] = r->language;
	*q = (struct store_q){"storing the pipeline result",
			      "UPDATE messages SET state = CASE WHEN $2 = 'skipped' AND reopened_at"
			      " IS NOT NULL THEN 'human' ELSE $2 END, pipeline = $3::jsonb,"
			      " language = coalesce($4, language), human_reason = CASE WHEN"
			      " $2 = 'skipped' AND reopened_at IS NOT NULL THEN 'reopened by '"
			      " || reopened_by || '; screening would skip it: '"
			      " || coalesce($3::jsonb->>'reason', '?') END WHERE id = $1",
			      4, f->msg_params, NULL};
	return 0;
}

/* The drafts row. 0 or -1 (out of memory). */
static int finish_draft_q(struct finish *f, const struct pipeline_result *r, struct store_q *q)
{
	const json_t *src[6] = {r->facts, r->rule_hits, r->guardrail_flags, r->decision_reasons,
				r->notes, r->shadow};
	const char **params = f->draft_params;

	snprintf(f->conf, sizeof(f->conf), "%.6f", r->confidence);
	for (size_t i = 0; i < 6; i++) {
		f->json[i] = src[i] != NULL ? json_param(src[i], "null") : NULL;
		if (src[i] != NULL && f->json[i] == NULL)
			return -1;
	}
	params[0] = f->id;
	params[1] = r->category;
	params[2] = f->conf;
	params[3] = r->confidence_source;
	params[4] = r->subject != NULL ? r->subject : "";
	params[5] = r->body != NULL ? r->body : "";
	params[6] = r->recipient;
	params[7] = r->model;
	params[8] = r->prompt_version;
	params[9] = f->json[0] != NULL ? f->json[0] : "{}";
	params[10] = f->json[1] != NULL ? f->json[1] : "[]";
	params[11] = f->json[2] != NULL ? f->json[2] : "[]";
	params[12] = f->json[3] != NULL ? f->json[3] : "[]";
	params[13] = f->json[4] != NULL ? f->json[4] : "[]";
	params[14] = f->json[5]; /* NULL when not in shadow mode */
	params[15] = r->decision;
	params[16] = r->status;
	params[17] = r->language;
	*q = (struct store_q){
		"storing a draft",
		"INSERT INTO drafts (message_id, category, confidence, confidence_source,"
		" subject, body, recipient, model, prompt_version, facts, rule_hits,"
		" guardrail_flags, decision_reasons, notes, shadow, decision, status,"
		" language, reviewer, decided_at, superseded_at, superseded_by)"
		" VALUES ($1, $2, $3::float8, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::jsonb,"
		" $12::jsonb, $13::jsonb, $14::jsonb, $15::jsonb, $16, $17, $18,"
		" CASE WHEN $17 = 'approved' THEN 'auto' END,"
		" CASE WHEN $17 = 'approved' THEN now() END,"
		" CASE WHEN $17 = 'superseded' THEN now() END,"
		" CASE WHEN $17 = 'superseded' THEN 'pipeline' END)"
		" RETURNING id",
		18, params, NULL};
	return 0;
}

/* Queues an automatic reply; a share of them (by draft id, so a test can
 * recompute which) is marked for post-send review. */
static int pipeline_insert_outbox(struct store *store, int64_t draft_id, const char *message_id,
				  double sample_rate)
{
	char id[24];
	const char *params[3] = {id, message_id, sample_weyl(draft_id, sample_rate) ? "t" : "f"};

	snprintf(id, sizeof(id), "%lld", (long long)draft_id);
	return store_exec_void(
		store, "queueing an automatic reply",
		"WITH o AS (INSERT INTO outbox (draft_id, message_id, is_auto)"
		" VALUES ($1, $2, true) RETURNING draft_id)"
		" UPDATE drafts d SET sampled = $3::boolean FROM o WHERE d.id = o.draft_id",
		3, params);
}

/* Every decision is audited with the change it records; the audit row and
 * COMMIT end the transaction in one round trip. */
static int pipeline_audit(struct store *store, int64_t message_id, const struct pipeline_result *r,
			  int64_t draft_id)
{
	char id[24];
	json_t *after;
	int ret;

	snprintf(id, sizeof(id), "%lld", (long long)message_id);
	after = json_pack("{s:s, s:s?, s:s?, s:O?, s:O?}", "state", r->message_state, "decision",
			  r->decision, "category", r->category, "reasons",
			  r->decision_reasons != NULL ? r->decision_reasons
						      : json_object_get(r->record, "reason"),
			  "rules", r->rule_hits);
	if (after == NULL)
		return -1;
	if (draft_id > 0)
		json_object_set_new(after, "draft_id", json_integer((json_int_t)draft_id));
	if (store_batch_open(store))
		ret = store_batch_audit_add(store, id, after);
	else
		ret = store_audit_commit(store, "pipeline", "message.decide", "message", id, NULL,
					 after);
	json_decref(after);
	return ret;
}

/* An automatic reply over its limits becomes a draft for a reviewer. */
static int pipeline_hold_back(struct store *store, struct pipeline_result *result)
{
	const char *reason = NULL;
	int r;

	if (result->outbox_message_id == NULL || result->auto_limit == NULL)
		return 0;
	r = store_auto_limit_tx(store, result->auto_limit, &reason);
	if (r != 0)
		return r < 0 ? -1 : 0;
	result->held_back = reason;
	result->status = "pending";
	result->decision = "pending";
	result->outbox_message_id = NULL;
	if (result->record != NULL) {
		json_object_set_new(result->record, "decision", json_string("pending"));
		json_object_set_new(result->record, "held_back", json_string(reason));
	}
	if (result->decision_reasons != NULL &&
	    json_array_append_new(result->decision_reasons, json_string(reason)) < 0) {
		store_set_error(store, "holding an automatic reply back: out of memory", NULL);
		return -1;
	}
	return 0;
}

/* BEGIN, then lock the message (before the job: the reviewers' decisions
 * lock the message first too) and say whether a new draft may be its live
 * one, in one round trip: the check is a statement of its own, so that its
 * snapshot is taken after the lock is granted. In an open batch the batch's
 * BEGIN did both for all its messages. 1 yes, 0 no (not open, or a live
 * draft exists), -1. */
static int finish_begin(struct store *store, struct finish *f, int64_t message_id)
{
	const char *params[1] = {f->id};
	struct store_q q[3] = {
		{"starting the pipeline's transaction", "BEGIN", 0, NULL, NULL},
		{"locking the message", "SELECT 1 FROM messages WHERE id = $1 FOR UPDATE", 1,
		 params, NULL},
		{"checking the message",
		 "SELECT m.status = 'open' AND NOT EXISTS (SELECT 1 FROM drafts d"
		 " WHERE d.message_id = m.id AND d.status IN ('pending', 'claimed',"
		 " 'approved')) FROM messages m WHERE m.id = $1",
		 1, params, NULL},
	};
	/* a batch's transaction is open already */
	size_t skip = store_batch_open(store) ? 1 : 0;
	int ret = store_batch_may_draft(store, message_id);

	if (ret >= 0)
		return ret;

	if (store_exec_many(store, q + skip, 3 - skip) < 0)
		return -1;
	ret = PQntuples(q[2].res) == 1 && PQgetvalue(q[2].res, 0, 0)[0] == 't' ? 1 : 0;
	store_q_clear(q + skip, 3 - skip);
	return ret;
}

/* The job's completion, the message's row, its search vector (migration
 * 0250) and the draft in one round trip. 1 stored, 0 the job's lease was
 * lost, -1. */
static int finish_store(struct store *store, struct finish *f, const struct store_job *job,
			const struct pipeline_result *result, int64_t *draft_id_r)
{
	char job_id[24];
	const char *job_params[2];
	const char *search_params[1] = {f->ids};
	struct store_q q[4];
	size_t n = result->has_draft ? 4 : 3;
	uint64_t v;
	int ret = -1;

	store_job_complete_q(job, job_id, job_params, &q[0]);
	q[2] = (struct store_q){"indexing the message for search",
				STORE_SEARCH_INDEX_SQL("$1::bigint[]"), 1, search_params, NULL};
	if (finish_message_q(f, result, &q[1]) < 0 ||
	    (result->has_draft && finish_draft_q(f, result, &q[3]) < 0)) {
		store_set_error(store, "storing the pipeline result: out of memory", NULL);
		return -1;
	}
	if (store_exec_many(store, q, n) < 0)
		return -1;
	if (store_job_complete_done(q[0].res) == 0) {
		ret = 0;
		goto out;
	}
	if (result->has_draft) {
		if (parse_u64(PQgetvalue(q[3].res, 0, 0), INT64_MAX, &v) < 0) {
			store_set_error(store, "storing a draft: unexpected answer", NULL);
			goto out;
		}
		*draft_id_r = (int64_t)v;
	}
	ret = 1;
out:
	store_q_clear(q, n);
	return ret;
}

/* In an open batch, keeps the rows for its commit (store_batch_rows.c)
 * instead of writing them now; not an automatic reply (its limits are
 * checked and its outbox row needs the draft's id now). 0 kept, 1 write
 * them now, -1. */
static int finish_defer(struct store *store, struct finish *f, const struct store_job *job,
			const struct pipeline_result *result)
{
	char job_id[24];
	int r;

	if (!store_batch_open(store) || (result->has_draft && (result->outbox_message_id != NULL ||
							       result->auto_limit != NULL)))
		return 1;
	if (finish_message_q(f, result, &(struct store_q){0}) < 0 ||
	    (result->has_draft && finish_draft_q(f, result, &(struct store_q){0}) < 0)) {
		store_set_error(store, "storing the pipeline result: out of memory", NULL);
		return -1;
	}
	snprintf(job_id, sizeof(job_id), "%lld", (long long)job->id);
	r = store_batch_defer(store, job_id, job->locked_by, f->msg_params,
			      result->has_draft ? f->draft_params : NULL);
	if (r > 0) {
		/* written now after all: finish_store() builds them again */
		finish_free(f);
		memset(f->json, 0, sizeof(f->json));
		f->record = NULL;
	}
	return r;
}

int store_pipeline_finish(struct store *store, const struct store_job *job, int64_t message_id,
			  struct pipeline_result *result, int64_t *draft_id_r)
{
	struct pipeline_result late;
	struct finish f;
	bool committed = false;
	int ret = -1, r;

	*draft_id_r = 0;
	memset(&f, 0, sizeof(f));
	snprintf(f.id, sizeof(f.id), "%lld", (long long)message_id);
	snprintf(f.ids, sizeof(f.ids), "{%lld}", (long long)message_id);
	r = finish_begin(store, &f, message_id);
	if (r < 0)
		goto out;
	if (r == 0 && result->has_draft) {
		/* too late: kept for the record, never sendable */
		late = *result;
		late.status = "superseded";
		late.outbox_message_id = NULL;
		result = &late;
	}
	r = finish_defer(store, &f, job, result);
	if (r < 0)
		goto out;
	if (r == 0)
		goto audit;
	if (result->has_draft && pipeline_hold_back(store, result) < 0)
		goto out;
	r = finish_store(store, &f, job, result, draft_id_r);
	if (r <= 0) {
		ret = r;
		goto out;
	}
	if (result->has_draft && result->outbox_message_id != NULL &&
	    pipeline_insert_outbox(store, *draft_id_r, result->outbox_message_id,
				   result->sample_rate) < 0)
		goto out;
audit:
	if (pipeline_audit(store, message_id, result, *draft_id_r) < 0)
		goto out;
	committed = true;
	ret = 1;
out:
	/* an open batch is rolled back by its owner (store_batch_abort()) */
	if (!committed && !store_batch_open(store))
		store_rollback(store);
	finish_free(&f);
	return ret;
}
