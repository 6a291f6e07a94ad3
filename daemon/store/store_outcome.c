/* SPDX-License-Identifier: MIT */
/* The message's side of every decision (issue 11): the lock decisions take
 * first, superseding the live draft, re-queueing the pipeline, what the
 * outbox's result does to the message, and the JSON of where it went. */
#include "daemon/store/store_review_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/store_audit.h"
#include "daemon/lib/util.h"

/* Read after the lock is held: in READ COMMITTED a statement started after
 * the lock sees every decision committed before it. */
#define OUTCOME_STATE_SQL                                                                  \
	"SELECT m.id, m.status, l.id, l.status, CASE WHEN l.claim_expires > now() THEN"    \
	" l.claimed_by END, l.version, l.original_body IS NOT NULL OR l.updated_by IS NOT" \
	" NULL, l.updated_by, m.reply_draft_id, coalesce(j.state = 'running' AND"          \
	" j.locked_until > now(), false) FROM messages m LEFT JOIN drafts l ON"            \
	" l.message_id = m.id AND l.status IN ('pending', 'claimed', 'approved')"          \
	" LEFT JOIN jobs j ON j.message_id = m.id AND j.stage = 'pipeline' WHERE m.id = "  \
	"$1::bigint"

static void outcome_copy(char *out, size_t size, const PGresult *res, int col)
{
	str_copy(out, size, PQgetisnull(res, 0, col) ? "" : PQgetvalue(res, 0, col));
}

int store_outcome_lock(struct store *store, const char *message_id, const char *draft_id,
		       struct outcome_msg *m_r)
{
	const char *params[2] = {message_id, draft_id};
	PGresult *res;
	int ret = -1;

	memset(m_r, 0, sizeof(*m_r));
	res = store_exec(store, "locking the message",
			 "SELECT id FROM messages WHERE id = coalesce($1::bigint, (SELECT"
			 " message_id FROM drafts WHERE id = $2::bigint)) FOR UPDATE",
			 2, params);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 0;
	}
	str_copy(m_r->id, sizeof(m_r->id), PQgetvalue(res, 0, 0));
	PQclear(res);
	params[0] = m_r->id;
	res = store_exec(store, "reading the message", OUTCOME_STATE_SQL, 1, params);
	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		store_set_error(store, "reading the message: it vanished under its lock", NULL);
		goto out;
	}
	outcome_copy(m_r->status, sizeof(m_r->status), res, 1);
	outcome_copy(m_r->live_id, sizeof(m_r->live_id), res, 2);
	outcome_copy(m_r->live_status, sizeof(m_r->live_status), res, 3);
	outcome_copy(m_r->live_holder, sizeof(m_r->live_holder), res, 4);
	outcome_copy(m_r->live_version, sizeof(m_r->live_version), res, 5);
	m_r->live_edited = !PQgetisnull(res, 0, 6) && PQgetvalue(res, 0, 6)[0] == 't';
	outcome_copy(m_r->live_edited_by, sizeof(m_r->live_edited_by), res, 7);
	outcome_copy(m_r->reply_id, sizeof(m_r->reply_id), res, 8);
	m_r->job_running = PQgetvalue(res, 0, 9)[0] == 't';
	ret = 1;
out:
	PQclear(res);
	return ret;
}

int store_outcome_supersede(struct store *store, const char *draft_id, const char *who,
			    const char *why)
{
	const char *params[2] = {draft_id, who};
	json_t *before = NULL, *after = NULL;
	int r;

	r = store_review_one(store, "superseding a draft",
			     "UPDATE drafts SET status = 'superseded', superseded_at = now(),"
			     " superseded_by = $2, claimed_by = NULL, claim_expires = NULL,"
			     " version = version + 1, updated_at = now() WHERE id = $1::bigint"
			     " AND status IN ('pending', 'claimed') RETURNING"
			     " json_build_object('status', status, 'version', version)::text",
			     2, params, &after);
	if (r <= 0) {
		if (r == 0)
			store_set_error(store, "superseding a draft: it is not pending", NULL);
		return -1;
	}
	before = json_pack("{s:s}", "status", "pending");
	json_object_set_new(after, "why", json_string(why));
	r = store_audit_append(store, who, "draft.supersede", "draft", draft_id, before, after);
	json_decref(before);
	json_decref(after);
	return r;
}

int store_outcome_requeue(struct store *store, const char *message_id, json_t **job_r)
{
	const char *params[1] = {message_id};
	json_t *job = NULL;
	int r;

	r = store_review_one(store, "queueing the pipeline job",
			     "INSERT INTO jobs (message_id, stage) VALUES ($1::bigint, 'pipeline')"
			     " ON CONFLICT (message_id, stage) DO UPDATE SET state = 'queued',"
			     " attempts = 0, next_attempt_at = now(), locked_by = NULL,"
			     " locked_until = NULL, last_error = NULL, updated_at = now()"
			     " RETURNING json_build_object('id', id, 'state', state, 'attempts',"
			     " attempts, 'next_attempt_at', next_attempt_at)::text",
			     1, params, &job);
	if (r <= 0)
		return -1;
	if (job_r != NULL)
		*job_r = job;
	else
		json_decref(job);
	return 0;
}

json_t *store_outcome_json(struct store *store, const char *message_id)
{
	const char *params[1] = {message_id};
	json_t *j = NULL;

	if (store_review_one(store, "message outcome",
			     "SELECT json_build_object('id', m.id, 'status', m.status, "
			     "'queue', " MESSAGE_QUEUE_SQL ", 'reason', " MESSAGE_REASON_SQL
			     ", 'live_draft_id', " MESSAGE_LIVE_SQL ")::text FROM messages m"
			     " WHERE m.id = $1::bigint",
			     1, params, &j) <= 0)
		return NULL;
	return j;
}

static json_t *id_or_null(const char *id)
{
	json_int_t v = 0;
	uint64_t u;

	if (id == NULL || *id == '\0' || parse_u64(id, INT64_MAX, &u) < 0)
		return json_null();
	v = (json_int_t)u;
	return json_integer(v);
}

json_t *store_outcome_conflict(const char *code, const struct outcome_msg *m)
{
	json_t *d = json_pack("{s:s, s:o, s:s, s:o, s:o}", "conflict", code, "message_id",
			      id_or_null(m->id), "message_status", m->status, "live_draft_id",
			      id_or_null(m->live_id), "reply_draft_id", id_or_null(m->reply_id));

	if (d == NULL)
		return NULL;
	if (m->live_id[0] != '\0')
		json_object_set_new(d, "live_status", json_string(m->live_status));
	if (m->live_holder[0] != '\0')
		json_object_set_new(d, "claimed_by", json_string(m->live_holder));
	return d;
}

int store_outcome_lock_for_draft(struct store *store, const char *draft_id)
{
	const char *params[1] = {draft_id};
	return store_exec_void(store, "locking the draft's message",
			       "SELECT id FROM messages WHERE id = (SELECT message_id FROM"
			       " drafts WHERE id = $1::bigint) FOR UPDATE",
			       1, params);
}

int store_outcome_after_send(struct store *store, const char *draft_id, const char *draft_status,
			     const char *error)
{
	const char *params[2] = {draft_id, error != NULL ? error : "unknown error"};

	if (strcmp(draft_status, "sent") == 0 || strcmp(draft_status, "auto_sent") == 0)
		/* a follow-up leaves the first reply the reply */
		return store_exec_void(
			store, "recording the reply",
			"UPDATE messages m SET replied_at = coalesce(m.replied_at, now()),"
			" reply_draft_id = coalesce(m.reply_draft_id, d.id),"
			" human_reason = NULL FROM drafts d WHERE d.id = $1::bigint"
			" AND m.id = d.message_id AND d.kind = 'reply'",
			1, params);
	if (strcmp(draft_status, "failed") == 0)
		return store_exec_void(
			store, "recording a failed reply",
			"UPDATE messages m SET human_reason = 'the reply could not be sent: '"
			" || left($2, 300) FROM drafts d WHERE d.id = $1::bigint"
			" AND m.id = d.message_id AND m.replied_at IS NULL",
			2, params);
	return 0;
}
