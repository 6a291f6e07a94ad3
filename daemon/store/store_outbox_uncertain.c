/* SPDX-License-Identifier: MIT */
/* Replies that may have been delivered: the 'uncertain' outbox state. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/store_audit.h"
#include "daemon/store/store_outbox_int.h"
#include "daemon/store/store_private.h"
#include "daemon/store/store_review_int.h"
#include "daemon/store/store_txn.h"
#include "daemon/lib/util.h"

int store_outbox_uncertain(struct store *store, const struct outbox_item *item, const char *error,
			   unsigned int check_in_s)
{
	char id[32], draft_id[32], check[16];
	const char *params[3] = {id, error, check};
	json_t *after = store_outbox_audit_after(item, "error", error);
	PGresult *res = NULL;
	int ret = -1;

	snprintf(id, sizeof(id), "%" PRId64, item->id);
	snprintf(draft_id, sizeof(draft_id), "%" PRId64, item->draft_id);
	snprintf(check, sizeof(check), "%u", check_in_s);
	/* the message first, as every decision on it locks it */
	if (after == NULL || store_command(store, "BEGIN") < 0)
		goto out;
	if (store_outcome_lock_for_draft(store, draft_id) < 0) {
		store_rollback(store);
		goto out;
	}
	res = store_exec(store, "marking a reply uncertain",
			 "UPDATE outbox SET state = 'uncertain', last_error = $2,"
			 " uncertain_at = now(), sent_checks = 0,"
			 " next_attempt_at = now() + make_interval(secs => $3::integer),"
			 " locked_by = NULL, locked_until = NULL, updated_at = now()"
			 " WHERE id = $1::bigint AND state = 'sending'",
			 3, params);
	if (res == NULL) {
		store_rollback(store);
		goto out;
	}
	if (strcmp(PQcmdTuples(res), "1") != 0) {
		/* no longer ours ('sending'): whoever changed it decided */
		store_rollback(store);
		ret = 0;
		goto out;
	}
	PQclear(res);
	res = NULL;
	/* the message waits under "Needs a human" until someone decides */
	if (store_exec_void(
		    store, "recording an uncertain reply",
		    "UPDATE messages m SET human_reason = 'the reply may have been delivered"
		    " (' || left($2, 200) || '): confirm it was, or send it again'"
		    " FROM drafts d WHERE d.id = $1::bigint AND m.id = d.message_id",
		    2, (const char *[]){draft_id, error}) < 0) {
		store_rollback(store);
		goto out;
	}
	if (store_audit_append(store, "outbox", "send_uncertain", "draft", draft_id, NULL, after) <
		    0 ||
	    store_command(store, "COMMIT") < 0) {
		store_rollback(store);
		goto out;
	}
	ret = 0;
out:
	PQclear(res);
	json_decref(after);
	store_outbox_unlock(store, item->id);
	return ret;
}

int store_outbox_claim_check(struct store *store, unsigned int max_checks, unsigned int base_s,
			     struct outbox_item *item_r)
{
	char max[16], base[16];
	const char *params[2] = {max, base};
	PGresult *res = NULL;
	bool committed = false;
	uint64_t v;
	int ret = -1;

	memset(item_r, 0, sizeof(*item_r));
	snprintf(max, sizeof(max), "%u", max_checks);
	snprintf(base, sizeof(base), "%u", base_s);
	if (store_command(store, "BEGIN") < 0)
		return -1;
	/* the next check moves out in the same commit: no other sender takes
	 * the row meanwhile, and a crashed checker only delays the next one */
	res = store_exec(
		store, "claiming an uncertain reply to check",
		"UPDATE outbox o SET sent_checks = o.sent_checks + 1, updated_at = now(),"
		" next_attempt_at = CASE WHEN o.sent_checks + 1 >= $1::int THEN 'infinity'"
		" ELSE now() + make_interval(secs => $2::int * (2 ^ o.sent_checks)::int) END"
		" WHERE o.id = (SELECT id FROM outbox WHERE state = 'uncertain'"
		" AND next_attempt_at <= now() ORDER BY next_attempt_at, id LIMIT 1"
		" FOR UPDATE SKIP LOCKED) RETURNING o.id, o.sent_checks",
		2, params);
	if (res == NULL)
		goto out;
	if (PQntuples(res) == 0) {
		ret = 0;
		goto out;
	}
	if (parse_u64(PQgetvalue(res, 0, 0), INT64_MAX, &v) < 0)
		goto out;
	item_r->id = (int64_t)v;
	if (parse_u64(PQgetvalue(res, 0, 1), UINT32_MAX, &v) < 0)
		goto out;
	item_r->sent_checks = (unsigned int)v;
	if (store_outbox_item_fill(store, item_r) < 0 || store_command(store, "COMMIT") < 0)
		goto out;
	committed = true;
	ret = 1;
out:
	PQclear(res);
	if (!committed) {
		store_rollback(store);
		store_outbox_item_free(item_r);
	}
	return ret;
}

/* What the decision means for the message: replied, or back to sending. */
static int uncertain_message(struct store *store, const char *draft_id, bool send_again,
			     const json_t *after)
{
	if (!send_again)
		return store_outcome_after_send(
			store, draft_id, json_string_value(json_object_get(after, "draft_status")),
			NULL);
	return store_outbox_message_unhold(store, "sending a reply again", draft_id);
}

/* uncertain -> sent (delivered) or pending (send again), guarded by the
 * state, with the draft's status and an audit row, in one transaction. */
struct uncertain_txn {
	const char *draft_id, *note;
	bool send_again;
	char *state_r;
	size_t state_size;
};

/* 0: the row was not uncertain (*state_r then holds its state, "none"
 * without a row) */
static int uncertain_body(struct store *store, struct store_txn *txn, void *ctx)
{
	struct uncertain_txn *u = ctx;
	const char *params[2] = {u->draft_id, u->note};
	bool send_again = u->send_again;
	PGresult *res = NULL;
	int ret = -1;

	if (store_outcome_lock_for_draft(store, u->draft_id) < 0)
		goto out;
	res = store_exec(store, "reading the reply's delivery",
			 "SELECT o.state, json_build_object('outbox_id', o.id, 'state', o.state,"
			 " 'message_id', o.message_id, 'last_error', o.last_error, 'attempts',"
			 " o.attempts, 'uncertain_at', o.uncertain_at)::text"
			 " FROM outbox o WHERE o.draft_id = $1::bigint FOR UPDATE",
			 1, params);
	if (res == NULL)
		goto out;
	if (PQntuples(res) == 0 || strcmp(PQgetvalue(res, 0, 0), "uncertain") != 0) {
		str_copy(u->state_r, u->state_size,
			 PQntuples(res) == 0 ? "none" : PQgetvalue(res, 0, 0));
		ret = store_txn_refuse(txn, "not_uncertain");
		goto out;
	}
	txn->before = store_json(store, PQgetvalue(res, 0, 1));
	if (txn->before == NULL)
		goto out;
	PQclear(res);
	res = store_exec(
		store, send_again ? "sending a reply again" : "marking a reply delivered",
		send_again
			/* a person's new decision: a fresh count of tries */
			? "UPDATE outbox SET state = 'pending', next_attempt_at = now(), attempts "
			  "= 0,"
			  " smtp_started_at = NULL, sent_checks = 0, updated_at = now()"
			  " WHERE draft_id = $1::bigint AND state = 'uncertain'"
			  " RETURNING json_build_object('state', state, 'note', $2::text)::text"
			: "WITH o AS (UPDATE outbox SET state = 'sent', sent_at = "
			  "coalesce(sent_at, now()),"
			  " updated_at = now() WHERE draft_id = $1::bigint AND state = 'uncertain'"
			  " RETURNING draft_id, is_auto, state)"
			  " UPDATE drafts d SET status = CASE WHEN o.is_auto THEN 'auto_sent'"
			  " ELSE 'sent' END, updated_at = now() FROM o WHERE d.id = o.draft_id"
			  " RETURNING json_build_object('state', o.state, 'draft_status', d.status,"
			  " 'note', $2::text)::text",
		2, params);
	if (res == NULL || PQntuples(res) != 1)
		goto out;
	txn->after = store_json(store, PQgetvalue(res, 0, 0));
	if (txn->after == NULL || uncertain_message(store, u->draft_id, send_again, txn->after) < 0)
		goto out;
	txn->action = send_again ? "send.again" : "send.confirmed";
	if (store_txn_object(store, txn, "draft", u->draft_id) < 0)
		goto out;
	ret = 1;
out:
	PQclear(res);
	return ret;
}

/* Returns 1 done, 0 when the row was not uncertain (*state_r then holds
 * its state, "none" without a row), -1. */
static int uncertain_decide(struct store *store, const char *draft_id, const char *actor,
			    bool send_again, const char *note, char *state_r, size_t state_size)
{
	struct store_txn txn = {.actor = actor};
	struct uncertain_txn u = {draft_id, note, send_again, state_r, state_size};

	return store_txn_run(store, &txn, uncertain_body, &u);
}

int store_outbox_uncertain_sent(struct store *store, const struct outbox_item *item,
				const char *note)
{
	char draft_id[32], state[16];

	snprintf(draft_id, sizeof(draft_id), "%" PRId64, item->draft_id);
	return uncertain_decide(store, draft_id, "outbox", false, note, state, sizeof(state));
}

int store_outbox_decide_uncertain(struct store *store, const char *draft_id, const char *actor,
				  bool send_again, char *state_r, size_t state_size)
{
	return uncertain_decide(store, draft_id, actor, send_again,
				send_again ? "a person asked to send it again"
					   : "a person confirmed it was delivered",
				state_r, state_size);
}
