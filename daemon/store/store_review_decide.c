/* SPDX-License-Identifier: MIT */
/* Decisions on drafts: approve (with the outbox row), reject, undo. */
#include "daemon/store/store_review_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/lib/edit_distance.h"
#include "daemon/mail/mail_compose.h"
#include "daemon/store/store_txn.h"

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

/* One decision on a draft as an audited transaction (store_txn_run()): the
 * body fills the audit row, or refuses with the answer in ret (and its
 * detail in *result_r); reread asks for the draft's decision to be read
 * after the rollback (a replayed approval, an undo that came too late). */
struct decide {
	const char *id, *who;
	const void *arg;
	json_t **result_r;
	enum review_result ret;
	bool reread;
	const char *conflict; /* reread: the "conflict" key to add, or NULL */
};

static enum review_result decide_run(struct store *store, struct decide *d, store_txn_body_fn *body)
{
	struct store_txn txn = {.actor = d->who};
	enum review_result r;
	int t;

	d->ret = REVIEW_ERROR;
	t = store_txn_run(store, &txn, body, d);
	if (t < 0)
		return REVIEW_ERROR;
	if (t == 1)
		return store_review_decision(store, d->id, d->result_r);
	if (!d->reread)
		return d->ret;
	r = store_review_decision(store, d->id, d->result_r);
	if (r != REVIEW_OK)
		return r;
	if (d->conflict != NULL)
		json_object_set_new(*d->result_r, "conflict", json_string(d->conflict));
	return d->ret;
}

/* Refuses with answer r (a guard's conflict, not found, ...): 0 for the
 * transaction helper, -1 when r is an error. */
static int decide_refuse(struct store_txn *txn, struct decide *d, enum review_result r,
			 const char *guard)
{
	d->ret = r;
	return r == REVIEW_ERROR ? -1 : store_txn_refuse(txn, guard);
}

/* Locks the draft for a decision and applies the guards every decision
 * shares: 1 with *res_r (PQclear it) when it may go on, else what
 * decide_refuse() returned. */
static int decide_lock(struct store *store, struct store_txn *txn, struct decide *d,
		       struct outcome_msg *m, PGresult **res_r)
{
	int l = review_lock_draft(store, d->id, d->who, m, res_r);

	if (l <= 0)
		return decide_refuse(txn, d, l == 0 ? REVIEW_NOT_FOUND : REVIEW_ERROR, "not_found");
	return 1;
}

static int approve_body(struct store *store, struct store_txn *txn, void *ctx)
{
	struct decide *d = ctx;
	const struct review_approve *approve = d->arg;
	PGresult *res = NULL;
	struct outcome_msg m;
	enum review_result g;
	const char *status, *final_body, *params[6];
	char msgid[256], dist[32], delay[16];
	double ed;
	int ret;

	/* The message lock serialises concurrent approvals: the second one
	 * sees 'approved' and replays the first one's result. */
	ret = decide_lock(store, txn, d, &m, &res);
	if (ret <= 0)
		goto out;
	status = PQgetvalue(res, 0, 0);
	if (review_is_approved(status)) {
		d->reread = true;
		ret = decide_refuse(txn, d, REVIEW_REPLAY, "already_approved");
		goto out;
	}
	g = review_live_guard(store, d->id, &m, res, d->result_r);
	if (g == REVIEW_OK && strcmp(PQgetvalue(res, 0, 6), "reply") == 0 &&
	    strcmp(m.status, "replied") == 0)
		g = review_conflict("already_replied", &m, status, d->result_r);
	if (g != REVIEW_OK) {
		ret = decide_refuse(txn, d, g, "live");
		goto out;
	}
	ret = -1;
	final_body = approve->body != NULL ? approve->body : PQgetvalue(res, 0, 2);
	ed = edit_distance_normalized(PQgetvalue(res, 0, 3), final_body);
	snprintf(dist, sizeof(dist), "%.6f", ed);
	if (store_review_message_id(PQgetisnull(res, 0, 4) ? NULL : PQgetvalue(res, 0, 4),
				    approve->fallback_domain, msgid, sizeof(msgid)) < 0) {
		error_set(&store->err, "approve: random generator failed");
		goto out;
	}
	params[0] = d->id;
	params[1] = d->who;
	params[2] = final_body;
	params[3] = approve->subject;
	params[4] = dist;
	params[5] = approve->idempotency_key;
	if (store_exec_void(
		    store, "approve draft",
		    "UPDATE drafts SET status = 'approved', reviewer = $2, final_body = $3,"
		    " original_body = coalesce(original_body, body),"
		    " original_subject = coalesce(original_subject, subject),"
		    " subject = coalesce($4, subject), edit_distance = $5::double precision,"
		    " approve_key = $6, decided_at = now(), updated_at = now(),"
		    " version = version + 1, claimed_by = NULL, claim_expires = NULL"
		    " WHERE id = $1::bigint",
		    6, params) < 0) {
		/* the database's drafts_one_reply: never a second reply */
		if (STORE_UNIQUE_VIOLATION(store))
			ret = decide_refuse(
				txn, d, review_conflict("already_replied", &m, status, d->result_r),
				"already_replied");
		goto out;
	}
	snprintf(delay, sizeof(delay), "%u", approve->send_delay);
	params[1] = msgid;
	params[2] = delay;
	/* the reply waits send_delay in the outbox: Undo until then */
	if (store_exec_void(store, "approve outbox",
			    "INSERT INTO outbox (draft_id, message_id, next_attempt_at) VALUES"
			    " ($1::bigint, $2, now() + make_interval(secs => $3::int))"
			    " ON CONFLICT (draft_id) DO NOTHING",
			    3, params) < 0)
		goto out;
	txn->action = "draft.approve";
	txn->before = json_pack("{s:s}", "status", status);
	txn->after = json_pack("{s:s, s:f, s:s, s:b, s:b, s:i}", "status", "approved",
			       "edit_distance", ed, "outbox_message_id", msgid, "body_edited",
			       strcmp(PQgetvalue(res, 0, 3), final_body) != 0, "subject_edited",
			       approve->subject != NULL &&
				       strcmp(approve->subject, PQgetvalue(res, 0, 5)) != 0,
			       "send_delay", (int)approve->send_delay);
	if (store_txn_object(store, txn, "draft", d->id) < 0)
		goto out;
	ret = 1;
out:
	PQclear(res);
	return ret;
}

enum review_result store_review_approve(struct store *store, const char *id, const char *who,
					const struct review_approve *approve, json_t **result_r)
{
	struct decide d = {.id = id, .who = who, .arg = approve, .result_r = result_r};

	return decide_run(store, &d, approve_body);
}

/* Where a rejected draft's message goes: with a corrected category, drafted
 * again for it; without, under "Needs a human" with the reason. A message
 * that is not open (a rejected follow-up) stays where it is. 0 or -1. */
static int review_reject_route(struct store *store, const struct outcome_msg *m, const char *who,
			       const char *reason, const char *category)
{
	const char *params[4] = {m->id, who, reason, category};
	int ret;

	if (strcmp(m->status, "open") != 0)
		return 0;
	if (category == NULL)
		ret = store_exec_void(
			store, "reject: needs a human",
			"UPDATE messages SET state = 'human', human_reason = 'rejected by '"
			" || $2 || ': ' || left($3, 500) WHERE id = $1::bigint",
			3, params);
	else
		ret = store_exec_void(
			store, "reject: draft again",
			"UPDATE messages SET forced_category = $2, human_reason = NULL"
			" WHERE id = $1::bigint",
			2, (const char *const[]){m->id, category});
	if (ret < 0)
		return -1;
	return category != NULL ? store_outcome_requeue(store, m->id, NULL) : 0;
}

struct reject_arg {
	const char *reason, *category;
};

static int reject_body(struct store *store, struct store_txn *txn, void *ctx)
{
	struct decide *d = ctx;
	const struct reject_arg *a = d->arg;
	PGresult *res = NULL, *upd = NULL;
	struct outcome_msg m;
	enum review_result g;
	const char *status, *params[4] = {d->id, d->who, a->reason, a->category};
	int ret;

	ret = decide_lock(store, txn, d, &m, &res);
	if (ret <= 0)
		goto out;
	status = PQgetvalue(res, 0, 0);
	g = review_live_guard(store, d->id, &m, res, d->result_r);
	if (g != REVIEW_OK) {
		ret = decide_refuse(txn, d, g, "live");
		goto out;
	}
	ret = -1;
	if (a->category != NULL) {
		upd = store_exec(store, "reject category",
				 "SELECT 1 FROM categories WHERE name = $1", 1,
				 (const char *const[]){a->category});
		if (upd == NULL)
			goto out;
		if (PQntuples(upd) == 0) {
			*d->result_r = json_pack("{s:s}", "category", a->category);
			ret = decide_refuse(txn, d, REVIEW_INVALID, "unknown_category");
			goto out;
		}
		PQclear(upd);
		upd = NULL;
	}
	if (store_exec_void(
		    store, "reject draft",
		    "UPDATE drafts SET status = 'rejected', reviewer = $2, reject_reason = $3,"
		    " corrected_category = $4, decided_at = now(), updated_at = now(),"
		    " version = version + 1, claimed_by = NULL, claim_expires = NULL"
		    " WHERE id = $1::bigint",
		    4, params) < 0 ||
	    review_reject_route(store, &m, d->who, a->reason, a->category) < 0)
		goto out;
	txn->action = "draft.reject";
	txn->before = json_pack("{s:s, s:s?}", "status", status, "category",
				PQgetisnull(res, 0, 7) ? NULL : PQgetvalue(res, 0, 7));
	txn->after = json_pack("{s:s, s:s, s:s?, s:s}", "status", "rejected", "reason", a->reason,
			       "corrected_category", a->category, "message",
			       strcmp(m.status, "open") != 0 ? m.status
			       : a->category != NULL         ? "drafted again"
							     : "needs a human");
	if (store_txn_object(store, txn, "draft", d->id) < 0)
		goto out;
	ret = 1;
out:
	PQclear(res);
	PQclear(upd);
	return ret;
}

enum review_result store_review_reject(struct store *store, const char *id, const char *who,
				       const char *reason, const char *category, json_t **result_r)
{
	struct reject_arg a = {reason, category};
	struct decide d = {.id = id, .who = who, .arg = &a, .result_r = result_r};

	return decide_run(store, &d, reject_body);
}

static int undo_body(struct store *store, struct store_txn *txn, void *ctx)
{
	struct decide *d = ctx;
	const unsigned int *claim_ttl = d->arg;
	PGresult *res = NULL;
	struct outcome_msg m;
	char ttl[16];
	int ret = -1, l;

	l = store_outcome_lock(store, NULL, d->id, &m);
	if (l <= 0) {
		ret = decide_refuse(txn, d, l == 0 ? REVIEW_NOT_FOUND : REVIEW_ERROR, "not_found");
		goto out;
	}
	/* the sender's claim commits 'sending' before any I/O: once this lock
	 * is ours, a row still pending with no try is not being sent */
	res = store_exec(store, "undo lock",
			 "SELECT d.status, o.id, o.state, o.attempts, o.message_id FROM drafts d"
			 " LEFT JOIN LATERAL (SELECT * FROM outbox x WHERE x.draft_id = d.id"
			 " FOR UPDATE) o ON true WHERE d.id = $1::bigint FOR UPDATE OF d",
			 1, (const char *const[]){d->id});
	if (res == NULL)
		goto out;
	if (PQntuples(res) == 0) {
		ret = decide_refuse(txn, d, REVIEW_NOT_FOUND, "not_found");
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "approved") != 0 || PQgetisnull(res, 0, 1)) {
		d->reread = true;
		ret = decide_refuse(txn, d, REVIEW_CONFLICT, "not_approved");
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, 2), "pending") != 0 ||
	    strcmp(PQgetvalue(res, 0, 3), "0") != 0) {
		d->reread = true;
		d->conflict = "too_late";
		ret = decide_refuse(txn, d, REVIEW_CONFLICT, "too_late");
		goto out;
	}
	if (store_exec_void(store, "undo outbox", "DELETE FROM outbox WHERE id = $1::bigint", 1,
			    (const char *const[]){PQgetvalue(res, 0, 1)}) < 0)
		goto out;
	snprintf(ttl, sizeof(ttl), "%u", *claim_ttl);
	/* pending again with the approved text as its body: the edit is kept,
	 * and the claim keeps it the undoer's while they look at it */
	if (store_exec_void(
		    store, "undo draft",
		    "UPDATE drafts SET status = 'claimed', claimed_by = $2,"
		    " claim_expires = now() + make_interval(secs => $3::int),"
		    " body = coalesce(final_body, body), final_body = NULL, reviewer = NULL,"
		    " decided_at = NULL, edit_distance = NULL, approve_key = NULL,"
		    " version = version + 1, updated_by = $2, updated_at = now()"
		    " WHERE id = $1::bigint",
		    3, (const char *const[]){d->id, d->who, ttl}) < 0)
		goto out;
	txn->action = "draft.undo";
	txn->before = json_pack("{s:s, s:s}", "status", "approved", "outbox_message_id",
				PQgetvalue(res, 0, 4));
	txn->after = json_pack("{s:s}", "status", "claimed");
	if (store_txn_object(store, txn, "draft", d->id) < 0)
		goto out;
	ret = 1;
out:
	PQclear(res);
	return ret;
}

enum review_result store_review_undo(struct store *store, const char *id, const char *who,
				     unsigned int claim_ttl, json_t **result_r)
{
	struct decide d = {.id = id, .who = who, .arg = &claim_ttl, .result_r = result_r};

	return decide_run(store, &d, undo_body);
}
