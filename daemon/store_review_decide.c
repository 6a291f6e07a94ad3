/* Decisions on drafts: approve (with the outbox row), reject, redraft. */
#include "daemon/store_review_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/edit_distance.h"
#include "daemon/mail_compose.h"
#include "daemon/store_audit.h"

#define REVIEW_DECISION_JSON                                                                   \
	"SELECT json_build_object('id', d.id, 'status', d.status, 'reviewer', d.reviewer,"     \
	" 'decided_at', d.decided_at, 'edit_distance', d.edit_distance, 'version', d.version," \
	" 'reject_reason', d.reject_reason, 'corrected_category', d.corrected_category,"       \
	" 'outbox', (SELECT json_build_object('message_id', o.message_id, 'state', o.state,"   \
	" 'created_at', o.created_at) FROM outbox o WHERE o.draft_id = d.id))::text"           \
	" FROM drafts d WHERE d.id = $1::bigint"

static bool review_is_approved(const char *status)
{
	/* failed: the outbox gave up on it; approving again must not queue a
	 * second send either */
	return strcmp(status, "approved") == 0 || strcmp(status, "sent") == 0 ||
	       strcmp(status, "auto_sent") == 0 || strcmp(status, "failed") == 0;
}

/* Fixed now, so a resend after a crash carries the same Message-ID; the
 * domain is the address's, whatever its display form. */
static int review_message_id(const char *address, const char *fallback, char *out, size_t size)
{
	return mail_message_id_new(address, fallback, out, size);
}

static enum review_result review_decision_json(struct store *store, const char *id,
					       json_t **result_r)
{
	const char *params[1] = {id};
	int r = store_review_one(store, "decision", REVIEW_DECISION_JSON, 1, params, result_r);

	return r < 0 ? REVIEW_ERROR : r == 0 ? REVIEW_NOT_FOUND : REVIEW_OK;
}

enum review_result store_review_approve(struct store *store, const char *id, const char *who,
					const struct review_approve *approve, json_t **result_r)
{
	PGresult *res = NULL, *upd = NULL;
	json_t *before = NULL, *after = NULL;
	enum review_result ret = REVIEW_ERROR;
	const char *status, *final_body, *params[6];
	char msgid[256], dist[32];
	double ed;

	if (store_command(store, "BEGIN") < 0)
		return REVIEW_ERROR;
	/* The row lock serialises concurrent approvals: the second one sees
	 * 'approved' and replays the first one's result. */
	res = store_exec(store, "approve lock",
			 "SELECT d.status, d.claim_expires > now() AND d.claimed_by <> $2,"
			 " d.body, coalesce(d.original_body, d.body), mb.address, d.subject"
			 " FROM drafts d JOIN messages m ON m.id = d.message_id"
			 " JOIN mailboxes mb ON mb.id = m.mailbox_id WHERE d.id = $1::bigint"
			 " FOR UPDATE OF d",
			 2, (const char *const[]){id, who});
	if (res == NULL)
		goto fail;
	if (PQntuples(res) == 0) {
		ret = REVIEW_NOT_FOUND;
		goto fail;
	}
	status = PQgetvalue(res, 0, 0);
	if (review_is_approved(status)) {
		store_rollback(store);
		ret = review_decision_json(store, id, result_r);
		if (ret == REVIEW_OK)
			ret = REVIEW_REPLAY;
		goto out;
	}
	if ((strcmp(status, "pending") != 0 && strcmp(status, "claimed") != 0) ||
	    strcmp(PQgetvalue(res, 0, 1), "t") == 0) {
		store_rollback(store);
		ret = review_decision_json(store, id, result_r);
		if (ret == REVIEW_OK)
			ret = REVIEW_CONFLICT;
		goto out;
	}
	final_body = approve->body != NULL ? approve->body : PQgetvalue(res, 0, 2);
	ed = edit_distance_normalized(PQgetvalue(res, 0, 3), final_body);
	snprintf(dist, sizeof(dist), "%.6f", ed);
	if (review_message_id(PQgetisnull(res, 0, 4) ? NULL : PQgetvalue(res, 0, 4),
			      approve->fallback_domain, msgid, sizeof(msgid)) < 0) {
		snprintf(store->error, sizeof(store->error), "approve: random generator failed");
		goto fail;
	}
	params[0] = id;
	params[1] = who;
	params[2] = final_body;
	params[3] = approve->subject;
	params[4] = dist;
	params[5] = approve->idempotency_key;
	upd = store_exec(store, "approve draft",
			 "UPDATE drafts SET status = 'approved', reviewer = $2, final_body = $3,"
			 " original_body = coalesce(original_body, body),"
			 " original_subject = coalesce(original_subject, subject),"
			 " subject = coalesce($4, subject), edit_distance = $5::double precision,"
			 " approve_key = $6, decided_at = now(), updated_at = now(),"
			 " version = version + 1, claimed_by = NULL, claim_expires = NULL"
			 " WHERE id = $1::bigint",
			 6, params);
	if (upd == NULL)
		goto fail;
	PQclear(upd);
	params[1] = msgid;
	upd = store_exec(store, "approve outbox",
			 "INSERT INTO outbox (draft_id, message_id) VALUES ($1::bigint, $2)"
			 " ON CONFLICT (draft_id) DO NOTHING",
			 2, params);
	if (upd == NULL)
		goto fail;
	before = json_pack("{s:s}", "status", status);
	after = json_pack("{s:s, s:f, s:s, s:b, s:b}", "status", "approved", "edit_distance", ed,
			  "outbox_message_id", msgid, "body_edited",
			  strcmp(PQgetvalue(res, 0, 3), final_body) != 0, "subject_edited",
			  approve->subject != NULL &&
				  strcmp(approve->subject, PQgetvalue(res, 0, 5)) != 0);
	if (store_audit_append(store, who, "draft.approve", "draft", id, before, after) < 0 ||
	    store_review_commit(store) < 0)
		goto fail;
	ret = review_decision_json(store, id, result_r);
	goto out;
fail:
	store_rollback(store);
out:
	PQclear(res);
	PQclear(upd);
	json_decref(before);
	json_decref(after);
	return ret;
}

enum review_result store_review_reject(struct store *store, const char *id, const char *who,
				       const char *reason, const char *category, json_t **result_r)
{
	PGresult *res = NULL, *upd = NULL;
	json_t *before = NULL, *after = NULL;
	enum review_result ret = REVIEW_ERROR;
	const char *status, *params[4] = {id, who, reason, category};

	if (store_command(store, "BEGIN") < 0)
		return REVIEW_ERROR;
	res = store_exec(store, "reject lock",
			 "SELECT d.status, d.claim_expires > now() AND d.claimed_by <> $2,"
			 " d.category, ($3::text IS NULL OR EXISTS (SELECT 1 FROM categories"
			 " WHERE name = $3)) FROM drafts d WHERE d.id = $1::bigint FOR UPDATE",
			 3, (const char *const[]){id, who, category});
	if (res == NULL)
		goto fail;
	if (PQntuples(res) == 0) {
		ret = REVIEW_NOT_FOUND;
		goto fail;
	}
	status = PQgetvalue(res, 0, 0);
	if ((strcmp(status, "pending") != 0 && strcmp(status, "claimed") != 0) ||
	    strcmp(PQgetvalue(res, 0, 1), "t") == 0) {
		store_rollback(store);
		ret = review_decision_json(store, id, result_r);
		if (ret == REVIEW_OK)
			ret = REVIEW_CONFLICT;
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, 3), "t") != 0) {
		*result_r = json_pack("{s:s}", "category", category);
		ret = REVIEW_INVALID;
		goto fail;
	}
	upd = store_exec(store, "reject draft",
			 "UPDATE drafts SET status = 'rejected', reviewer = $2, reject_reason = $3,"
			 " corrected_category = $4, decided_at = now(), updated_at = now(),"
			 " version = version + 1, claimed_by = NULL, claim_expires = NULL"
			 " WHERE id = $1::bigint",
			 4, params);
	if (upd == NULL)
		goto fail;
	before = json_pack("{s:s, s:s?}", "status", status, "category",
			   PQgetisnull(res, 0, 2) ? NULL : PQgetvalue(res, 0, 2));
	after = json_pack("{s:s, s:s, s:s?}", "status", "rejected", "reason", reason,
			  "corrected_category", category);
	if (store_audit_append(store, who, "draft.reject", "draft", id, before, after) < 0 ||
	    store_review_commit(store) < 0)
		goto fail;
	ret = review_decision_json(store, id, result_r);
	goto out;
fail:
	store_rollback(store);
out:
	PQclear(res);
	PQclear(upd);
	json_decref(before);
	json_decref(after);
	return ret;
}

enum review_result store_review_redraft(struct store *store, const char *message_id,
					const char *who, json_t **result_r)
{
	PGresult *res = NULL;
	json_t *after = NULL;
	enum review_result ret = REVIEW_ERROR;
	const char *params[1] = {message_id};
	int r;

	if (store_command(store, "BEGIN") < 0)
		return REVIEW_ERROR;
	res = store_exec(store, "redraft lock",
			 "SELECT m.id, j.state = 'running' AND j.locked_until > now()"
			 " FROM messages m LEFT JOIN jobs j ON j.message_id = m.id"
			 " AND j.stage = 'pipeline' WHERE m.id = $1::bigint FOR UPDATE OF m",
			 1, params);
	if (res == NULL)
		goto fail;
	if (PQntuples(res) == 0) {
		ret = REVIEW_NOT_FOUND;
		goto fail;
	}
	if (strcmp(PQgetvalue(res, 0, 1), "t") == 0) {
		*result_r = json_pack("{s:s}", "job", "running");
		ret = REVIEW_CONFLICT;
		goto fail;
	}
	r = store_review_one(store, "redraft job",
			     "INSERT INTO jobs (message_id, stage) VALUES ($1::bigint, 'pipeline')"
			     " ON CONFLICT (message_id, stage) DO UPDATE SET state = 'queued',"
			     " attempts = 0, next_attempt_at = now(), locked_by = NULL,"
			     " locked_until = NULL, last_error = NULL, updated_at = now()"
			     " RETURNING json_build_object('message_id', message_id, 'job',"
			     " json_build_object('id', id, 'state', state, 'attempts', attempts,"
			     " 'next_attempt_at', next_attempt_at))::text",
			     1, params, &after);
	if (r <= 0)
		goto fail;
	if (store_audit_append(store, who, "message.redraft", "message", message_id, NULL, after) <
		    0 ||
	    store_review_commit(store) < 0)
		goto fail;
	*result_r = after;
	after = NULL;
	ret = REVIEW_OK;
	goto out;
fail:
	store_rollback(store);
out:
	PQclear(res);
	json_decref(after);
	return ret;
}
