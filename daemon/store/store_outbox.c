/* SPDX-License-Identifier: MIT */
#include "daemon/store/store_outbox.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/store_audit.h"
#include "daemon/store/store_outbox_int.h"
#include "daemon/store/store_private.h"
#include "daemon/store/store_review_int.h"
#include "daemon/lib/util.h"

static const char claim_sql[] =
	"WITH c AS ("
	" SELECT o.id, o.state AS prev_state FROM outbox o"
	" WHERE ((o.state = 'pending' AND o.next_attempt_at <= now())"
	" OR (o.state = 'sending' AND NOT EXISTS ("
	"  SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted"
	"  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
	"  AND l.classid = " OUTBOX_LOCK_CLASS "::oid AND l.objsubid = 2"
	"  AND l.objid::bigint = o.id % 2147483647)))"
	/* the kill switch holds automatic replies back (daemon/store/store_promotion.c) */
	" AND (NOT o.is_auto OR NOT " STORE_AUTO_OFF_SQL ")"
	" ORDER BY o.next_attempt_at, o.id LIMIT 1 FOR UPDATE OF o SKIP LOCKED)"
	" UPDATE outbox o SET state = 'sending', attempts = o.attempts + 1, locked_by = $1,"
	" locked_until = now() + make_interval(secs => $2::integer), updated_at = now()"
	" FROM c WHERE o.id = c.id"
	" RETURNING o.id, c.prev_state, o.attempts, o.smtp_started_at IS NOT NULL,"
	" pg_try_advisory_lock(" OUTBOX_LOCK_CLASS ", (o.id % 2147483647)::integer)";

static const char item_sql[] =
	"SELECT o.draft_id, o.message_id, o.is_auto, mb.name, m.message_id, m.\"references\","
	" m.sender, m.reply_to, m.subject, m.uid, m.uidvalidity, d.subject,"
	" coalesce(d.final_body, d.body), nullif(d.recipient, ''), nullif(d.cc, ''),"
	" nullif(m.sender_name, ''), m.date_raw, m.text_body, nullif(m.quoted_text, ''),"
	" nullif(d.reviewer, '')"
	" FROM outbox o JOIN drafts d ON d.id = o.draft_id JOIN messages m ON m.id = d.message_id"
	" JOIN mailboxes mb ON mb.id = m.mailbox_id WHERE o.id = $1::bigint";

static char *value_dup(const PGresult *res, int col)
{
	return PQgetisnull(res, 0, col) ? NULL : str_dup(PQgetvalue(res, 0, col));
}

static uint32_t value_u32(const PGresult *res, int col)
{
	uint64_t v = 0;

	if (PQgetisnull(res, 0, col) || parse_u64(PQgetvalue(res, 0, col), UINT32_MAX, &v) < 0)
		return 0;
	return (uint32_t)v;
}

void store_outbox_unlock(struct store *store, int64_t id)
{
	char idbuf[32];
	const char *params[1] = {idbuf};
	PGresult *res;

	snprintf(idbuf, sizeof(idbuf), "%" PRId64, id);
	res = store_exec(store, "releasing an outbox lock",
			 "SELECT pg_advisory_unlock(" OUTBOX_LOCK_CLASS
			 ", ($1::bigint % 2147483647)::integer)",
			 1, params);
	PQclear(res);
}

int store_outbox_item_fill(struct store *store, struct outbox_item *item)
{
	char idbuf[32];
	const char *params[1] = {idbuf};
	PGresult *res;
	uint64_t v;
	int ret = -1;

	snprintf(idbuf, sizeof(idbuf), "%" PRId64, item->id);
	res = store_exec(store, "reading an outbox row", item_sql, 1, params);
	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1 || parse_u64(PQgetvalue(res, 0, 0), INT64_MAX, &v) < 0) {
		store_set_error(store, "reading an outbox row: draft, message or mailbox missing",
				NULL);
		goto out;
	}
	item->draft_id = (int64_t)v;
	item->message_id = value_dup(res, 1);
	item->is_auto = strcmp(PQgetvalue(res, 0, 2), "t") == 0;
	item->mailbox = value_dup(res, 3);
	item->orig_message_id = value_dup(res, 4);
	item->orig_references = value_dup(res, 5);
	item->orig_sender = value_dup(res, 6);
	item->orig_reply_to = value_dup(res, 7);
	item->orig_subject = value_dup(res, 8);
	item->orig_uid = value_u32(res, 9);
	item->orig_uidvalidity = value_u32(res, 10);
	item->subject = value_dup(res, 11);
	item->body = value_dup(res, 12);
	item->recipient = value_dup(res, 13);
	item->cc = value_dup(res, 14);
	item->orig_sender_name = value_dup(res, 15);
	item->orig_date = value_dup(res, 16);
	item->orig_text = value_dup(res, 17);
	item->orig_quoted = value_dup(res, 18);
	item->reviewer = value_dup(res, 19);
	ret = 0;
out:
	PQclear(res);
	return ret;
}

int store_outbox_claim(struct store *store, const char *owner, unsigned int lease_s,
		       struct outbox_item *item_r)
{
	char lease[16];
	const char *params[2] = {owner, lease};
	PGresult *res = NULL;
	bool locked = false, committed = false;
	uint64_t v;
	int ret = -1;

	memset(item_r, 0, sizeof(*item_r));
	snprintf(lease, sizeof(lease), "%u", lease_s);
	if (store_command(store, "BEGIN") < 0)
		return -1;
	res = store_exec(store, "claiming an outbox row", claim_sql, 2, params);
	if (res == NULL)
		goto out;
	if (PQntuples(res) == 0) {
		ret = 0;
		goto out;
	}
	if (parse_u64(PQgetvalue(res, 0, 0), INT64_MAX, &v) < 0)
		goto out;
	item_r->id = (int64_t)v;
	item_r->recovering = strcmp(PQgetvalue(res, 0, 1), "sending") == 0;
	item_r->attempts = value_u32(res, 2);
	item_r->smtp_started = strcmp(PQgetvalue(res, 0, 3), "t") == 0;
	locked = strcmp(PQgetvalue(res, 0, 4), "t") == 0;
	if (!locked) {
		/* a live session still holds it: it is not ours to send */
		ret = 0;
		goto out;
	}
	if (store_outbox_item_fill(store, item_r) < 0 || store_command(store, "COMMIT") < 0)
		goto out;
	committed = true;
	ret = 1;
out:
	PQclear(res);
	if (!committed) {
		store_rollback(store);
		/* a session lock outlives the rollback */
		if (locked)
			store_outbox_unlock(store, item_r->id);
		store_outbox_item_free(item_r);
	}
	return ret;
}

json_t *store_outbox_audit_after(const struct outbox_item *item, const char *key, const char *text)
{
	/* key with an optional value: "ss?" (a bare "s?" made json_pack fail,
	 * and every send was audited without its details) */
	return json_pack("{sIsssisbss?}", "outbox_id", (json_int_t)item->id, "message_id",
			 item->message_id != NULL ? item->message_id : "", "attempts",
			 (int)item->attempts, "auto", item->is_auto, key, text);
}

static int outbox_finish(struct store *store, const struct outbox_item *item, const char *what,
			 const char *outbox_sql, int n_outbox, const char *const *outbox_params,
			 const char *draft_status, const char *action, json_t *after,
			 const char *error)
{
	char draft_id[32];
	const char *dparams[2] = {draft_id, draft_status};
	bool committed = false;
	int ret = -1;

	snprintf(draft_id, sizeof(draft_id), "%" PRId64, item->draft_id);
	/* the message first, as every decision about it locks it */
	if (store_command(store, "BEGIN") < 0 || store_outcome_lock_for_draft(store, draft_id) < 0)
		goto out;
	if (store_exec_void(store, what, outbox_sql, n_outbox, outbox_params) < 0)
		goto out;
	if (draft_status != NULL) {
		if (store_exec_void(store, "updating the draft's status",
				    "UPDATE drafts SET status = $2, updated_at = now()"
				    " WHERE id = $1::bigint",
				    2, dparams) < 0)
			goto out;
		/* replied, or back under "Needs a human" when it cannot go */
		if (store_outcome_after_send(store, draft_id, draft_status, error) < 0)
			goto out;
	}
	if (action != NULL &&
	    store_audit_append(store, "outbox", action, "draft", draft_id, NULL, after) < 0)
		goto out;
	if (store_command(store, "COMMIT") < 0)
		goto out;
	committed = true;
	ret = 0;
out:
	if (!committed)
		store_rollback(store);
	json_decref(after);
	store_outbox_unlock(store, item->id);
	return ret;
}

int store_outbox_sent(struct store *store, const struct outbox_item *item, const char *note)
{
	char id[32];
	const char *params[1] = {id};

	snprintf(id, sizeof(id), "%" PRId64, item->id);
	return outbox_finish(store, item, "marking an outbox row sent",
			     "UPDATE outbox SET state = 'sent', sent_at = coalesce(sent_at, now()),"
			     " last_error = NULL, locked_by = NULL, locked_until = NULL,"
			     " updated_at = now() WHERE id = $1::bigint",
			     1, params, item->is_auto ? "auto_sent" : "sent", "send",
			     store_outbox_audit_after(item, "note", note), NULL);
}

int store_outbox_failed(struct store *store, const struct outbox_item *item, const char *error,
			bool final, unsigned int retry_s)
{
	char id[32], retry[16];
	const char *params[4] = {id, error, final ? "failed" : "pending", retry};

	snprintf(id, sizeof(id), "%" PRId64, item->id);
	snprintf(retry, sizeof(retry), "%u", retry_s);
	return outbox_finish(store, item, "recording an outbox failure",
			     "UPDATE outbox SET state = $3, last_error = $2,"
			     " next_attempt_at = now() + make_interval(secs => $4::integer),"
			     " locked_by = NULL, locked_until = NULL, smtp_started_at = NULL,"
			     " updated_at = now() WHERE id = $1::bigint",
			     4, params, final ? "failed" : NULL, final ? "send_failed" : NULL,
			     final ? store_outbox_audit_after(item, "error", error) : NULL, error);
}

int store_outbox_smtp_started(struct store *store, const struct outbox_item *item)
{
	char id[32];
	const char *params[1] = {id};

	snprintf(id, sizeof(id), "%" PRId64, item->id);
	/* This mark is what keeps a crashed try from being sent again: it must
	 * be on disk before SMTP starts, even on a server whose default is
	 * synchronous_commit = off (which may lose recent commits in a crash). */
	if (store_command(store, "BEGIN") < 0)
		return -1;
	if (store_command(store, "SET LOCAL synchronous_commit = on") < 0)
		goto fail;
	if (store_exec_void(store, "marking the SMTP start",
			    "UPDATE outbox SET smtp_started_at = now(), updated_at = now()"
			    " WHERE id = $1::bigint AND state = 'sending'",
			    1, params) < 0)
		goto fail;
	return store_command(store, "COMMIT");
fail:
	store_rollback(store);
	return -1;
}

void store_outbox_item_free(struct outbox_item *item)
{
	if (item == NULL)
		return;
	free(item->message_id);
	free(item->mailbox);
	free(item->orig_message_id);
	free(item->orig_references);
	free(item->orig_sender);
	free(item->orig_sender_name);
	free(item->orig_date);
	free(item->orig_text);
	free(item->orig_quoted);
	free(item->reviewer);
	free(item->orig_reply_to);
	free(item->orig_subject);
	free(item->subject);
	free(item->body);
	free(item->recipient);
	free(item->cc);
	memset(item, 0, sizeof(*item));
}
