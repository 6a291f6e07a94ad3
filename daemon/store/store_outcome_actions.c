/* SPDX-License-Identifier: MIT */
/* Regenerate, compose, follow-up, close and reopen: decisions about the
 * message as a whole, each one transaction under the message's lock. */
#include "daemon/store/store_outcome.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/store_review_int.h"
#include "daemon/store/store_txn.h"
#include "daemon/lib/util.h"

/* One step of a message-level decision, run with the message locked inside
 * an audited transaction (store_txn_run()). It returns REVIEW_OK to commit
 * with the audit row it put in *txn; anything else rolls back (a
 * conflict's detail, or a replayed result, in *result_r). */
typedef enum review_result outcome_step_fn(struct store *store, struct store_txn *txn,
					   const struct outcome_msg *m, const char *who,
					   const void *arg, json_t **result_r);

struct outcome_txn {
	const char *message_id, *who;
	outcome_step_fn *step;
	const void *arg;
	json_t **result_r;
	enum review_result ret;
};

static int outcome_body(struct store *store, struct store_txn *txn, void *ctx)
{
	struct outcome_txn *o = ctx;
	struct outcome_msg m;
	int l = store_outcome_lock(store, o->message_id, NULL, &m);

	if (l <= 0) {
		o->ret = l == 0 ? REVIEW_NOT_FOUND : REVIEW_ERROR;
		return l < 0 ? -1 : store_txn_refuse(txn, "not_found");
	}
	o->ret = o->step(store, txn, &m, o->who, o->arg, o->result_r);
	if (o->ret == REVIEW_OK)
		return store_txn_object(store, txn, "message", m.id) < 0 ? -1 : 1;
	return o->ret == REVIEW_ERROR ? -1 : store_txn_refuse(txn, "message_state");
}

static enum review_result outcome_run(struct store *store, const char *message_id, const char *who,
				      outcome_step_fn *step, const void *arg, json_t **result_r)
{
	struct store_txn txn = {.actor = who};
	struct outcome_txn o = {message_id, who, step, arg, result_r, REVIEW_ERROR};
	int t;

	*result_r = NULL;
	t = store_txn_run(store, &txn, outcome_body, &o);
	if (t < 0) {
		json_decref(*result_r);
		*result_r = NULL;
		return REVIEW_ERROR;
	}
	return t == 1 ? REVIEW_OK : o.ret;
}

static enum review_result conflict(const char *code, const struct outcome_msg *m, json_t **result_r)
{
	*result_r = store_outcome_conflict(code, m);
	return *result_r != NULL ? REVIEW_CONFLICT : REVIEW_ERROR;
}

static bool is(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

/* The guards every replacing decision shares: the message must be open,
 * no reply may be waiting in the outbox, and nobody else may hold its live
 * draft. REVIEW_OK when it may go on. */
static enum review_result open_guard(const struct outcome_msg *m, const char *who,
				     json_t **result_r)
{
	if (is(m->status, "replied"))
		return conflict("already_replied", m, result_r);
	if (is(m->status, "closed"))
		return conflict("message_closed", m, result_r);
	if (!is(m->status, "open"))
		return conflict("wrong_status", m, result_r);
	if (is(m->live_status, "approved"))
		return conflict("sending", m, result_r);
	if (m->live_holder[0] != '\0' && !is(m->live_holder, who))
		return conflict("claimed", m, result_r);
	return REVIEW_OK;
}

static json_t *id_json(const char *id)
{
	uint64_t v;

	if (*id == '\0' || parse_u64(id, INT64_MAX, &v) < 0)
		return json_null();
	return json_integer((json_int_t)v);
}

/* One statement over the message id; 0 or -1. */
static int outcome_exec(struct store *store, const char *what, const char *sql, const char *id)
{
	const char *params[1] = {id};
	return store_exec_void(store, what, sql, 1, params);
}

/* The message summary (the listings' row) inside the transaction. */
static enum review_result summary(struct store *store, const char *id, json_t **result_r)
{
	const char *params[1] = {id};
	int r = store_review_one(
		store, "message summary",
		"SELECT " MESSAGE_SUMMARY_JSON "::text FROM messages m"
		" JOIN mailboxes mb ON mb.id = m.mailbox_id WHERE m.id = $1::bigint",
		1, params, result_r);

	return r < 0 ? REVIEW_ERROR : r == 0 ? REVIEW_NOT_FOUND : REVIEW_OK;
}

static enum review_result redraft_step(struct store *store, struct store_txn *txn,
				       const struct outcome_msg *m, const char *who,
				       const void *arg, json_t **result_r)
{
	const struct outcome_redraft *o = arg;
	json_t *job = NULL, *after = NULL;
	enum review_result r = open_guard(m, who, result_r);

	if (r != REVIEW_OK)
		return r;
	if (o->if_match != NULL && m->live_id[0] != '\0' && !is(o->if_match, m->live_version)) {
		*result_r = json_pack("{s:s, s:o}", "version", m->live_version, "draft_id",
				      id_json(m->live_id));
		return REVIEW_STALE;
	}
	/* a reviewer's saved edit is never replaced without a confirmation */
	if (m->live_id[0] != '\0' && m->live_edited && !o->force && o->if_match == NULL) {
		r = conflict("draft_edited", m, result_r);
		if (*result_r != NULL) {
			json_object_set_new(*result_r, "draft_id", id_json(m->live_id));
			json_object_set_new(*result_r, "version", json_string(m->live_version));
			json_object_set_new(*result_r, "edited_by",
					    m->live_edited_by[0] != '\0'
						    ? json_string(m->live_edited_by)
						    : json_null());
		}
		return r;
	}
	if (m->job_running)
		return conflict("busy", m, result_r);
	if (m->live_id[0] != '\0' &&
	    store_outcome_supersede(store, m->live_id, who, "regenerated") < 0)
		return REVIEW_ERROR;
	/* the new draft (or the pipeline's reason) is what a person sees next */
	if (outcome_exec(store, "clearing the human reason",
			 "UPDATE messages SET human_reason = NULL WHERE id = $1::bigint",
			 m->id) < 0 ||
	    store_outcome_requeue(store, m->id, &job) < 0)
		return REVIEW_ERROR;
	after = json_pack("{s:o, s:O, s:o}", "message_id", id_json(m->id), "job", job,
			  "superseded_draft_id", id_json(m->live_id));
	json_decref(job);
	if (after == NULL)
		return REVIEW_ERROR;
	/* the audit row is the change; the answer adds the message as it is now */
	txn->action = "message.redraft";
	txn->after = after;
	*result_r = json_deep_copy(after);
	if (*result_r == NULL)
		return REVIEW_ERROR;
	json_object_set_new(*result_r, "message", store_outcome_json(store, m->id));
	return REVIEW_OK;
}

enum review_result store_outcome_redraft(struct store *store, const char *message_id,
					 const char *who, const struct outcome_redraft *redraft,
					 json_t **result_r)
{
	return outcome_run(store, message_id, who, redraft_step, redraft, result_r);
}

/* The first result of a compose with this idempotency key, if any. */
static int reply_replay(struct store *store, const struct outcome_msg *m, const char *key,
			json_t **result_r)
{
	const char *params[2] = {m->id, key};
	PGresult *res;
	int ret = 0;

	if (key == NULL)
		return 0;
	res = store_exec(store, "compose replay",
			 "SELECT id FROM drafts WHERE message_id = $1::bigint"
			 " AND origin = 'person' AND approve_key = $2 ORDER BY id LIMIT 1",
			 2, params);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1)
		ret = store_review_decision(store, PQgetvalue(res, 0, 0), result_r) == REVIEW_OK
			      ? 1
			      : -1;
	PQclear(res);
	return ret;
}

#define REPLY_INSERT_SQL                                                                          \
	"INSERT INTO drafts (message_id, category, subject, body, recipient, cc, model, status,"  \
	" reviewer, final_body, original_body, original_subject, decision, kind, origin,"         \
	" approve_key, updated_by, decided_at, edit_distance) SELECT m.id, " MESSAGE_CATEGORY_SQL \
	", coalesce($2, m.subject, ''), $3, coalesce($4, (SELECT d.recipient FROM drafts d"       \
	" WHERE d.message_id = m.id ORDER BY d.id DESC LIMIT 1)), nullif($5, ''), 'person',"      \
	" 'approved', $6, $3, $3, coalesce($2, m.subject, ''), 'human', CASE WHEN"                \
	" $7::boolean THEN 'follow_up' ELSE 'reply' END, 'person', $8, $6, now(), NULL"           \
	" FROM messages m WHERE m.id = $1::bigint RETURNING id,"                                  \
	" (SELECT mb.address FROM messages x JOIN mailboxes mb ON mb.id = x.mailbox_id"           \
	" WHERE x.id = $1::bigint)"

static enum review_result reply_step(struct store *store, struct store_txn *txn,
				     const struct outcome_msg *m, const char *who, const void *arg,
				     json_t **result_r)
{
	const struct outcome_reply *o = arg;
	const char *params[8] = {m->id,
				 o->subject,
				 o->body,
				 o->recipient,
				 o->cc,
				 who,
				 o->follow_up ? "t" : "f",
				 o->idempotency_key};
	PGresult *res = NULL;
	json_t *after = NULL;
	enum review_result r;
	char msgid[256], delay[16], draft_id[24];
	int rp;

	rp = reply_replay(store, m, o->idempotency_key, result_r);
	if (rp != 0)
		return rp > 0 ? REVIEW_REPLAY : REVIEW_ERROR;
	if (o->follow_up && !is(m->status, "replied"))
		return conflict(is(m->status, "open") ? "not_replied" : "wrong_status", m,
				result_r);
	if (!o->follow_up || !is(m->status, "replied")) {
		r = open_guard(m, who, result_r);
		if (r != REVIEW_OK)
			return r;
	} else if (is(m->live_status, "approved")) {
		return conflict("sending", m, result_r);
	} else if (m->live_holder[0] != '\0' && !is(m->live_holder, who)) {
		return conflict("claimed", m, result_r);
	}
	if (m->live_id[0] != '\0' &&
	    store_outcome_supersede(store, m->live_id, who, "a person wrote the reply") < 0)
		return REVIEW_ERROR;
	res = store_exec(store, "storing a composed reply", REPLY_INSERT_SQL, 8, params);
	if (res == NULL || PQntuples(res) != 1)
		goto fail;
	str_copy(draft_id, sizeof(draft_id), PQgetvalue(res, 0, 0));
	if (store_review_message_id(PQgetisnull(res, 0, 1) ? NULL : PQgetvalue(res, 0, 1),
				    o->fallback_domain, msgid, sizeof(msgid)) < 0) {
		store_set_error(store, "compose: random generator failed", NULL);
		goto fail;
	}
	PQclear(res);
	res = NULL;
	snprintf(delay, sizeof(delay), "%u", o->send_delay);
	if (store_exec_void(store, "queueing a composed reply",
			    "INSERT INTO outbox (draft_id, message_id, next_attempt_at) VALUES"
			    " ($1::bigint, $2, now() + make_interval(secs => $3::int))",
			    3, (const char *const[]){draft_id, msgid, delay}) < 0)
		goto fail;
	after = json_pack("{s:o, s:s, s:s}", "draft_id", id_json(draft_id), "outbox_message_id",
			  msgid, "kind", o->follow_up ? "follow_up" : "reply");
	if (after == NULL)
		goto fail;
	txn->action = o->follow_up ? "message.follow_up" : "message.reply";
	txn->after = after;
	return store_review_decision(store, draft_id, result_r);
fail:
	json_decref(after);
	PQclear(res);
	return REVIEW_ERROR;
}

enum review_result store_outcome_reply(struct store *store, const char *message_id, const char *who,
				       const struct outcome_reply *reply, json_t **result_r)
{
	return outcome_run(store, message_id, who, reply_step, reply, result_r);
}

static enum review_result close_step(struct store *store, struct store_txn *txn,
				     const struct outcome_msg *m, const char *who, const void *arg,
				     json_t **result_r)
{
	const char *reason = arg;
	const char *params[3] = {m->id, who, reason};
	enum review_result r = open_guard(m, who, result_r);

	if (r != REVIEW_OK)
		return r;
	if (m->live_id[0] != '\0' &&
	    store_outcome_supersede(store, m->live_id, who, "the message was closed") < 0)
		return REVIEW_ERROR;
	if (store_exec_void(
		    store, "closing a message",
		    "UPDATE messages SET closed_at = now(), closed_by = $2, close_reason = $3,"
		    " human_reason = NULL WHERE id = $1::bigint",
		    3, params) < 0)
		return REVIEW_ERROR;
	txn->action = "message.close";
	txn->before = json_pack("{s:s}", "status", m->status);
	txn->after = json_pack("{s:s, s:s, s:o}", "status", "closed", "reason", reason,
			       "superseded_draft_id", id_json(m->live_id));
	if (txn->before == NULL || txn->after == NULL)
		return REVIEW_ERROR;
	return summary(store, m->id, result_r);
}

enum review_result store_outcome_close(struct store *store, const char *message_id, const char *who,
				       const char *reason, json_t **result_r)
{
	return outcome_run(store, message_id, who, close_step, reason, result_r);
}

static enum review_result reopen_step(struct store *store, struct store_txn *txn,
				      const struct outcome_msg *m, const char *who, const void *arg,
				      json_t **result_r)
{
	const char *params[2] = {m->id, who};

	(void)arg;
	if (!is(m->status, "closed") && !is(m->status, "skipped"))
		return conflict("wrong_status", m, result_r);
	/* skipped mail reopened by a person is the pipeline's "human" now */
	if (store_exec_void(store, "reopening a message",
			    "UPDATE messages SET closed_at = NULL, closed_by = NULL,"
			    " close_reason = NULL, state = CASE WHEN state = 'skipped' THEN 'human'"
			    " ELSE state END, human_reason = 'reopened by ' || $2,"
			    " reopened_at = now(), reopened_by = $2 WHERE id = $1::bigint",
			    2, params) < 0)
		return REVIEW_ERROR;
	txn->action = "message.reopen";
	txn->before = json_pack("{s:s}", "status", m->status);
	txn->after = json_pack("{s:s}", "status", "open");
	if (txn->before == NULL || txn->after == NULL)
		return REVIEW_ERROR;
	return summary(store, m->id, result_r);
}

enum review_result store_outcome_reopen(struct store *store, const char *message_id,
					const char *who, json_t **result_r)
{
	return outcome_run(store, message_id, who, reopen_step, NULL, result_r);
}

/* The queue of each row of store_outcome_backlog()'s joins: the queue
 * rule MESSAGE_QUEUE_SQL's probes use, given the joined rows' facts. */
#define BACKLOG_QUEUE_SQL                                                          \
	MESSAGE_QUEUE_RULE_SQL("l.status = 'approved' AND u.draft_id IS NOT NULL", \
			       "l.status = 'approved'", "l.status IS NOT NULL",    \
			       "j.message_id IS NOT NULL")

int store_outcome_backlog(struct store *store, json_t **result_r)
{
	/* One pass over messages, set-based: each open message's live draft
	 * (at most one: drafts_one_live), that draft's outbox row when it is
	 * uncertain (outbox_draft_key) and its pipeline job while queued or
	 * running (jobs_message_stage_key) are joined once, so every outer
	 * join matches at most one row and the planner can hash them. The
	 * queue is BACKLOG_QUEUE_SQL (the rule of MESSAGE_QUEUE_SQL, whose
	 * four EXISTS probes per open message made the Statistics page wait
	 * 1.4 s at 100k open). tests/integration/backlog_sql.sh compares both. */
	int r = store_review_one(
		store, "backlog",
		"WITH q AS (SELECT m.status, m.received_at, " BACKLOG_QUEUE_SQL " AS queue"
		" FROM messages m LEFT JOIN drafts l ON l.message_id = m.id AND m.status = 'open'"
		" AND l.status IN " MESSAGE_LIVE_STATUSES_SQL " LEFT JOIN outbox u ON u.draft_id"
		" = l.id AND u.state = 'uncertain' LEFT JOIN jobs j ON j.message_id = m.id AND"
		" m.status = 'open' AND " MESSAGE_JOB_DRAFTING_SQL ")"
		" SELECT json_build_object('computed_at', now(), 'open', count(*) FILTER (WHERE"
		" status = 'open'),"
		" 'review', count(*) FILTER (WHERE queue = 'review'), 'sending', count(*)"
		" FILTER (WHERE queue = 'sending'), 'drafting', count(*) FILTER (WHERE queue ="
		" 'drafting'), 'human', count(*) FILTER (WHERE queue = 'human'),"
		" 'oldest_open_at', min(received_at) FILTER (WHERE status = 'open'),"
		" 'oldest_open_age_seconds', floor(extract(epoch FROM now() - min(received_at)"
		" FILTER (WHERE status = 'open')))::bigint, 'by_status', json_build_object("
		"'open', count(*) FILTER (WHERE status = 'open'), 'replied', count(*) FILTER"
		" (WHERE status = 'replied'), 'closed', count(*) FILTER (WHERE status ="
		" 'closed'), 'skipped', count(*) FILTER (WHERE status = 'skipped')))::text"
		" FROM q",
		0, NULL, result_r);

	return r == 1 ? 0 : -1;
}

#define FIRST_RESPONSE_FIGURES                                                          \
	"json_build_object('replied', count(*), 'median_seconds', percentile_cont(0.5)" \
	" WITHIN GROUP (ORDER BY s), 'p90_seconds', percentile_cont(0.9) WITHIN GROUP"  \
	" (ORDER BY s), 'mean_seconds', avg(s))"

int store_outcome_first_response(struct store *store, unsigned int window_s, json_t **result_r)
{
	char w[16];
	const char *params[1] = {w};
	int r;

	snprintf(w, sizeof(w), "%u", window_s);
	r = store_review_one(
		store, "first response",
		"WITH r AS (SELECT d.category, greatest(0, extract(epoch FROM m.replied_at -"
		" m.received_at)) AS s FROM messages m JOIN drafts d ON d.id = m.reply_draft_id"
		" WHERE m.replied_at > now() - make_interval(secs => $1::int))"
		" SELECT json_build_object('overall', (SELECT " FIRST_RESPONSE_FIGURES
		" FROM r), 'categories', coalesce((SELECT json_object_agg(category, f) FROM"
		" (SELECT category, " FIRST_RESPONSE_FIGURES " AS f FROM r WHERE category IS"
		" NOT NULL GROUP BY category) c), '{}'::json))::text",
		1, params, result_r);
	return r == 1 ? 0 : -1;
}
