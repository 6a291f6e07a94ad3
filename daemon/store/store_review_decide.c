/* Decisions on drafts: approve (with the outbox row), reject, undo. */
#include "daemon/store/store_review_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/lib/edit_distance.h"
#include "daemon/mail/mail_compose.h"
#include "daemon/store/store_audit.h"

#define REVIEW_DECISION_JSON                                                                   \
	"SELECT json_build_object('id', d.id, 'status', d.status, 'reviewer', d.reviewer,"     \
	" 'decided_at', d.decided_at, 'edit_distance', d.edit_distance, 'version', d.version," \
	" 'reject_reason', d.reject_reason, 'corrected_category', d.corrected_category,"       \
	" 'kind', d.kind, 'origin', d.origin, 'claimed_by', CASE WHEN d.claim_expires > now()" \
	" THEN d.claimed_by END, 'outbox', (SELECT " OUTBOX_JSON " FROM outbox o"              \
	" WHERE o.draft_id = d.id), 'message', (SELECT json_build_object('id', m.id,"          \
	" 'status', m.status, 'queue', " MESSAGE_QUEUE_SQL ", 'reason', " MESSAGE_REASON_SQL   \
	", 'live_draft_id', " MESSAGE_LIVE_SQL ") FROM messages m WHERE m.id = d.message_id))" \
	"::text FROM drafts d WHERE d.id = $1::bigint"

static bool review_is_approved(const char *status)
{
	/* failed: the outbox gave up on it; approving again must not queue a
	 * second send either */
	return strcmp(status, "approved") == 0 || strcmp(status, "sent") == 0 ||
	       strcmp(status, "auto_sent") == 0 || strcmp(status, "failed") == 0;
}

/* Fixed now, so a resend after a crash carries the same Message-ID; the
 * domain is the address's, whatever its display form. */
int store_review_message_id(const char *address, const char *fallback, char *out, size_t size)
{
	return mail_message_id_new(address, fallback, out, size);
}

enum review_result store_review_decision(struct store *store, const char *id, json_t **result_r)
{
	const char *params[1] = {id};
	int r = store_review_one(store, "decision", REVIEW_DECISION_JSON, 1, params, result_r);

	return r < 0 ? REVIEW_ERROR : r == 0 ? REVIEW_NOT_FOUND : REVIEW_OK;
}

/* A conflict about the draft's message (superseded, already_replied,
 * claimed) with the draft's own status beside it. */
static enum review_result review_conflict(const char *code, const struct outcome_msg *m,
					  const char *status, json_t **result_r)
{
	*result_r = store_outcome_conflict(code, m);
	if (*result_r == NULL)
		return REVIEW_ERROR;
	json_object_set_new(*result_r, "status", json_string(status));
	return REVIEW_CONFLICT;
}

/* Locks the draft's message, then the draft, and reads what a decision on
 * the draft needs. 1 with *res_r (PQclear it), 0 when absent, -1. */
static int review_lock_draft(struct store *store, const char *id, const char *who,
			     struct outcome_msg *m, PGresult **res_r)
{
	int l = store_outcome_lock(store, NULL, id, m);

	*res_r = NULL;
	if (l <= 0)
		return l;
	*res_r = store_exec(store, "draft lock",
			    "SELECT d.status, coalesce(d.claim_expires > now() AND d.claimed_by"
			    " <> $2, false), d.body, coalesce(d.original_body, d.body),"
			    " mb.address, d.subject, d.kind, d.category FROM drafts d"
			    " JOIN messages m ON m.id = d.message_id JOIN mailboxes mb"
			    " ON mb.id = m.mailbox_id WHERE d.id = $1::bigint FOR UPDATE OF d",
			    2, (const char *const[]){id, who});
	if (*res_r == NULL)
		return -1;
	return PQntuples(*res_r) == 1 ? 1 : 0;
}

/* Why a decision may not be taken on a draft in status st (REVIEW_OK when
 * it may): replayed approvals are the caller's business. */
static enum review_result review_live_guard(struct store *store, const char *id,
					    const struct outcome_msg *m, const PGresult *res,
					    json_t **result_r)
{
	const char *st = PQgetvalue(res, 0, 0);

	if (strcmp(st, "superseded") == 0)
		return review_conflict("superseded", m, st, result_r);
	if (strcmp(st, "pending") != 0 && strcmp(st, "claimed") != 0) {
		enum review_result r = store_review_decision(store, id, result_r);

		return r == REVIEW_OK ? REVIEW_CONFLICT : r;
	}
	if (strcmp(PQgetvalue(res, 0, 1), "t") == 0)
		return review_conflict("claimed", m, st, result_r);
	return REVIEW_OK;
}

enum review_result store_review_approve(struct store *store, const char *id, const char *who,
					const struct review_approve *approve, json_t **result_r)
{
	PGresult *res = NULL, *upd = NULL;
	json_t *before = NULL, *after = NULL;
	struct outcome_msg m;
	enum review_result ret = REVIEW_ERROR;
	const char *status, *final_body, *params[6];
	char msgid[256], dist[32], delay[16];
	double ed;
	int l;

	if (store_command(store, "BEGIN") < 0)
		return REVIEW_ERROR;
	/* The message lock serialises concurrent approvals: the second one
	 * sees 'approved' and replays the first one's result. */
	l = review_lock_draft(store, id, who, &m, &res);
	if (l <= 0) {
		ret = l == 0 ? REVIEW_NOT_FOUND : REVIEW_ERROR;
		goto fail;
	}
	status = PQgetvalue(res, 0, 0);
	if (review_is_approved(status)) {
		store_rollback(store);
		ret = store_review_decision(store, id, result_r);
		if (ret == REVIEW_OK)
			ret = REVIEW_REPLAY;
		goto out;
	}
	ret = review_live_guard(store, id, &m, res, result_r);
	if (ret == REVIEW_OK && strcmp(PQgetvalue(res, 0, 6), "reply") == 0 &&
	    strcmp(m.status, "replied") == 0)
		ret = review_conflict("already_replied", &m, status, result_r);
	if (ret != REVIEW_OK)
		goto fail;
	ret = REVIEW_ERROR;
	final_body = approve->body != NULL ? approve->body : PQgetvalue(res, 0, 2);
	ed = edit_distance_normalized(PQgetvalue(res, 0, 3), final_body);
	snprintf(dist, sizeof(dist), "%.6f", ed);
	if (store_review_message_id(PQgetisnull(res, 0, 4) ? NULL : PQgetvalue(res, 0, 4),
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
	if (upd == NULL) {
		/* the database's drafts_one_reply: never a second reply */
		if (STORE_UNIQUE_VIOLATION(store))
			ret = review_conflict("already_replied", &m, status, result_r);
		goto fail;
	}
	PQclear(upd);
	snprintf(delay, sizeof(delay), "%u", approve->send_delay);
	params[1] = msgid;
	params[2] = delay;
	/* the reply waits send_delay in the outbox: Undo until then */
	upd = store_exec(store, "approve outbox",
			 "INSERT INTO outbox (draft_id, message_id, next_attempt_at) VALUES"
			 " ($1::bigint, $2, now() + make_interval(secs => $3::int))"
			 " ON CONFLICT (draft_id) DO NOTHING",
			 3, params);
	if (upd == NULL)
		goto fail;
	before = json_pack("{s:s}", "status", status);
	after = json_pack("{s:s, s:f, s:s, s:b, s:b, s:i}", "status", "approved", "edit_distance",
			  ed, "outbox_message_id", msgid, "body_edited",
			  strcmp(PQgetvalue(res, 0, 3), final_body) != 0, "subject_edited",
			  approve->subject != NULL &&
				  strcmp(approve->subject, PQgetvalue(res, 0, 5)) != 0,
			  "send_delay", (int)approve->send_delay);
	if (store_audit_append(store, who, "draft.approve", "draft", id, before, after) < 0 ||
	    store_review_commit(store) < 0)
		goto fail;
	ret = store_review_decision(store, id, result_r);
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

/* Where a rejected draft's message goes: with a corrected category, drafted
 * again for it; without, under "Needs a human" with the reason. A message
 * that is not open (a rejected follow-up) stays where it is. 0 or -1. */
static int review_reject_route(struct store *store, const struct outcome_msg *m, const char *who,
			       const char *reason, const char *category)
{
	const char *params[4] = {m->id, who, reason, category};
	PGresult *res;

	if (strcmp(m->status, "open") != 0)
		return 0;
	if (category == NULL)
		res = store_exec(
			store, "reject: needs a human",
			"UPDATE messages SET state = 'human', human_reason = 'rejected by '"
			" || $2 || ': ' || left($3, 500) WHERE id = $1::bigint",
			3, params);
	else
		res = store_exec(store, "reject: draft again",
				 "UPDATE messages SET forced_category = $2, human_reason = NULL"
				 " WHERE id = $1::bigint",
				 2, (const char *const[]){m->id, category});
	if (res == NULL)
		return -1;
	PQclear(res);
	return category != NULL ? store_outcome_requeue(store, m->id, NULL) : 0;
}

enum review_result store_review_reject(struct store *store, const char *id, const char *who,
				       const char *reason, const char *category, json_t **result_r)
{
	PGresult *res = NULL, *upd = NULL;
	json_t *before = NULL, *after = NULL;
	struct outcome_msg m;
	enum review_result ret = REVIEW_ERROR;
	const char *status, *params[4] = {id, who, reason, category};
	int l;

	if (store_command(store, "BEGIN") < 0)
		return REVIEW_ERROR;
	l = review_lock_draft(store, id, who, &m, &res);
	if (l <= 0) {
		ret = l == 0 ? REVIEW_NOT_FOUND : REVIEW_ERROR;
		goto fail;
	}
	status = PQgetvalue(res, 0, 0);
	ret = review_live_guard(store, id, &m, res, result_r);
	if (ret != REVIEW_OK)
		goto fail;
	ret = REVIEW_ERROR;
	if (category != NULL) {
		upd = store_exec(store, "reject category",
				 "SELECT 1 FROM categories WHERE name = $1", 1,
				 (const char *const[]){category});
		if (upd == NULL)
			goto fail;
		if (PQntuples(upd) == 0) {
			*result_r = json_pack("{s:s}", "category", category);
			ret = REVIEW_INVALID;
			goto fail;
		}
		PQclear(upd);
	}
	upd = store_exec(store, "reject draft",
			 "UPDATE drafts SET status = 'rejected', reviewer = $2, reject_reason = $3,"
			 " corrected_category = $4, decided_at = now(), updated_at = now(),"
			 " version = version + 1, claimed_by = NULL, claim_expires = NULL"
			 " WHERE id = $1::bigint",
			 4, params);
	if (upd == NULL || review_reject_route(store, &m, who, reason, category) < 0)
		goto fail;
	before = json_pack("{s:s, s:s?}", "status", status, "category",
			   PQgetisnull(res, 0, 7) ? NULL : PQgetvalue(res, 0, 7));
	after = json_pack("{s:s, s:s, s:s?, s:s}", "status", "rejected", "reason", reason,
			  "corrected_category", category, "message",
			  strcmp(m.status, "open") != 0 ? m.status
			  : category != NULL            ? "drafted again"
							: "needs a human");
	if (store_audit_append(store, who, "draft.reject", "draft", id, before, after) < 0 ||
	    store_review_commit(store) < 0)
		goto fail;
	ret = store_review_decision(store, id, result_r);
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

enum review_result store_review_undo(struct store *store, const char *id, const char *who,
				     unsigned int claim_ttl, json_t **result_r)
{
	PGresult *res = NULL, *upd = NULL;
	json_t *before = NULL, *after = NULL;
	struct outcome_msg m;
	enum review_result ret = REVIEW_ERROR;
	char ttl[16];
	int l;

	if (store_command(store, "BEGIN") < 0)
		return REVIEW_ERROR;
	l = store_outcome_lock(store, NULL, id, &m);
	if (l <= 0) {
		ret = l == 0 ? REVIEW_NOT_FOUND : REVIEW_ERROR;
		goto fail;
	}
	/* the sender's claim commits 'sending' before any I/O: once this lock
	 * is ours, a row still pending with no try is not being sent */
	res = store_exec(store, "undo lock",
			 "SELECT d.status, o.id, o.state, o.attempts, o.message_id FROM drafts d"
			 " LEFT JOIN LATERAL (SELECT * FROM outbox x WHERE x.draft_id = d.id"
			 " FOR UPDATE) o ON true WHERE d.id = $1::bigint FOR UPDATE OF d",
			 1, (const char *const[]){id});
	if (res == NULL)
		goto fail;
	if (PQntuples(res) == 0) {
		ret = REVIEW_NOT_FOUND;
		goto fail;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "approved") != 0 || PQgetisnull(res, 0, 1)) {
		store_rollback(store);
		ret = store_review_decision(store, id, result_r);
		if (ret == REVIEW_OK)
			ret = REVIEW_CONFLICT;
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, 2), "pending") != 0 ||
	    strcmp(PQgetvalue(res, 0, 3), "0") != 0) {
		store_rollback(store);
		ret = store_review_decision(store, id, result_r);
		if (ret == REVIEW_OK) {
			json_object_set_new(*result_r, "conflict", json_string("too_late"));
			ret = REVIEW_CONFLICT;
		}
		goto out;
	}
	upd = store_exec(store, "undo outbox", "DELETE FROM outbox WHERE id = $1::bigint", 1,
			 (const char *const[]){PQgetvalue(res, 0, 1)});
	if (upd == NULL)
		goto fail;
	PQclear(upd);
	snprintf(ttl, sizeof(ttl), "%u", claim_ttl);
	/* pending again with the approved text as its body: the edit is kept,
	 * and the claim keeps it the undoer's while they look at it */
	upd = store_exec(store, "undo draft",
			 "UPDATE drafts SET status = 'claimed', claimed_by = $2,"
			 " claim_expires = now() + make_interval(secs => $3::int),"
			 " body = coalesce(final_body, body), final_body = NULL, reviewer = NULL,"
			 " decided_at = NULL, edit_distance = NULL, approve_key = NULL,"
			 " version = version + 1, updated_by = $2, updated_at = now()"
			 " WHERE id = $1::bigint",
			 3, (const char *const[]){id, who, ttl});
	if (upd == NULL)
		goto fail;
	before = json_pack("{s:s, s:s}", "status", "approved", "outbox_message_id",
			   PQgetvalue(res, 0, 4));
	after = json_pack("{s:s}", "status", "claimed");
	if (store_audit_append(store, who, "draft.undo", "draft", id, before, after) < 0 ||
	    store_review_commit(store) < 0)
		goto fail;
	ret = store_review_decision(store, id, result_r);
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
