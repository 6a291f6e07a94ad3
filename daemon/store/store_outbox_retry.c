/* A person's answer to a stuck reply: "retry now" for one the outbox is
 * still retrying, "send again" for one it gave up on (the approved text
 * kept). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/lib/util.h"
#include "daemon/store/store_audit.h"
#include "daemon/store/store_outbox.h"
#include "daemon/store/store_outbox_int.h"
#include "daemon/store/store_private.h"
#include "daemon/store/store_review_int.h"

int store_outbox_message_unhold(struct store *store, const char *what, const char *draft_id)
{
	const char *params[1] = {draft_id};

	return store_exec_void(store, what,
			       "UPDATE messages m SET human_reason = NULL FROM drafts d"
			       " WHERE d.id = $1::bigint AND m.id = d.message_id",
			       1, params);
}

/* Inside the transaction, the outbox row locked: pending (failed tries)
 * -> due now; failed -> pending with a fresh count of tries, the draft
 * approved again and the message out of "Needs a human". Returns 1, 0 when
 * another draft of the message is live or the reply (*state_r says so), -1. */
static int retry_apply(struct store *store, const char *draft_id, bool failed, json_t **after_r,
		       char *state_r, size_t state_size)
{
	const char *params[1] = {draft_id};
	PGresult *res;

	if (failed) {
		res = store_exec(store, "checking the message's other drafts",
				 "SELECT e.id FROM drafts d JOIN drafts e ON e.message_id ="
				 " d.message_id AND e.id <> d.id WHERE d.id = $1::bigint AND"
				 " (e.status IN ('pending', 'claimed', 'approved') OR (e.kind ="
				 " 'reply' AND d.kind = 'reply' AND e.status IN ('sent',"
				 " 'auto_sent'))) LIMIT 1",
				 1, params);
		if (res == NULL)
			return -1;
		if (PQntuples(res) > 0) {
			snprintf(state_r, state_size, "superseded by draft %s",
				 PQgetvalue(res, 0, 0));
			PQclear(res);
			return 0;
		}
		PQclear(res);
		if (store_exec_void(store, "sending a failed reply again",
				    "UPDATE drafts SET status = 'approved', updated_at = now()"
				    " WHERE id = $1::bigint AND status = 'failed'",
				    1, params) < 0)
			return -1;
		if (store_outbox_message_unhold(store, "sending a failed reply again", draft_id) <
		    0)
			return -1;
	}
	/* a person's new decision: a fresh count of tries (send again); the
	 * backoff skipped (retry now) */
	res = store_exec(store, "retrying a reply now",
			 failed ? "UPDATE outbox SET state = 'pending', next_attempt_at = now(),"
				  " attempts = 0, smtp_started_at = NULL, updated_at = now()"
				  " WHERE draft_id = $1::bigint AND state = 'failed'"
				  " RETURNING json_build_object('state', state)::text"
				: "UPDATE outbox SET next_attempt_at = now(), updated_at = now()"
				  " WHERE draft_id = $1::bigint AND state = 'pending'"
				  " RETURNING json_build_object('state', state)::text",
			 1, params);
	if (res == NULL)
		return -1;
	*after_r = PQntuples(res) == 1 ? store_json(store, PQgetvalue(res, 0, 0)) : NULL;
	PQclear(res);
	return *after_r != NULL ? 1 : -1;
}

int store_outbox_retry(struct store *store, const char *draft_id, const char *actor, char *state_r,
		       size_t state_size)
{
	const char *params[1] = {draft_id};
	PGresult *res = NULL;
	json_t *before = NULL, *after = NULL;
	bool committed = false, failed;
	int ret = -1, r;

	if (store_command(store, "BEGIN") < 0)
		return -1;
	if (store_outcome_lock_for_draft(store, draft_id) < 0)
		goto out;
	res = store_exec(store, "reading the reply's delivery",
			 "SELECT o.state, o.attempts, json_build_object('outbox_id', o.id,"
			 " 'state', o.state, 'attempts', o.attempts, 'last_error', o.last_error,"
			 " 'next_attempt_at', o.next_attempt_at)::text"
			 " FROM outbox o WHERE o.draft_id = $1::bigint FOR UPDATE",
			 1, params);
	if (res == NULL)
		goto out;
	if (PQntuples(res) == 0) {
		str_copy(state_r, state_size, "none");
		ret = 0;
		goto out;
	}
	failed = strcmp(PQgetvalue(res, 0, 0), "failed") == 0;
	if (!failed && !(strcmp(PQgetvalue(res, 0, 0), "pending") == 0 &&
			 strcmp(PQgetvalue(res, 0, 1), "0") != 0)) {
		str_copy(state_r, state_size, PQgetvalue(res, 0, 0));
		ret = 0;
		goto out;
	}
	before = store_json(store, PQgetvalue(res, 0, 2));
	if (before == NULL)
		goto out;
	r = retry_apply(store, draft_id, failed, &after, state_r, state_size);
	if (r <= 0) {
		ret = r;
		goto out;
	}
	if (store_audit_append(store, actor, failed ? "send.again" : "send.retry_now", "draft",
			       draft_id, before, after) < 0 ||
	    store_command(store, "COMMIT") < 0)
		goto out;
	committed = true;
	str_copy(state_r, state_size, failed ? "failed" : "pending");
	ret = 1;
out:
	if (!committed)
		store_rollback(store);
	PQclear(res);
	json_decref(before);
	json_decref(after);
	return ret;
}
