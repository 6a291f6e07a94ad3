/* SPDX-License-Identifier: MIT */
/* The kill switch and mode changes made by draftd (the loop limits:
 * daemon/store/store_auto_limit.c). */
#include "daemon/store/store_promotion.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/store_audit.h"
#include "daemon/store/store_txn.h"
#include "daemon/store/store_promotion_int.h"
#include "daemon/store/store_review_int.h"
#include "daemon/lib/util.h"

/* The gate between the switch and the outbox senders: (class, object). */
#define AUTO_GATE_LOCK "7304, 1"

int store_auto_switch(struct store *store, bool share)
{
	PGresult *res = store_exec(
		store, "reading the automatic-reply switch",
		share ? "SELECT " STORE_AUTO_FALSE_SQL " FROM " STORE_AUTO_ROW_SQL " FOR SHARE"
		      : "SELECT " STORE_AUTO_FALSE_SQL " FROM " STORE_AUTO_ROW_SQL,
		0, NULL);
	int ret;

	if (res == NULL)
		return -1;
	ret = PQntuples(res) > 0 && strcmp(PQgetvalue(res, 0, 0), "t") == 0 ? 0 : 1;
	PQclear(res);
	return ret;
}

int store_auto_enabled(struct store *store)
{
	return store_auto_switch(store, false);
}

/* Moves unsent automatic replies back to review, inside the caller's
 * transaction, when the switch is off; audits the drafts moved. */
static int auto_hold_back_tx(struct store *store, const char *who, long *moved_r)
{
	PGresult *res;
	json_t *ids = NULL;
	uint64_t v;
	int i, ret = -1;

	*moved_r = 0;
	res = store_exec(
		store, "holding back automatic replies",
		"WITH o AS (DELETE FROM outbox o WHERE o.is_auto AND o.state = 'pending'"
		" AND " STORE_AUTO_OFF_SQL " RETURNING o.draft_id)"
		" UPDATE drafts d SET status = 'pending', reviewer = NULL, decided_at = NULL,"
		" decision = 'pending', sampled = false, version = d.version + 1,"
		" decision_reasons = d.decision_reasons ||"
		" '[\"automatic replies were switched off before it was sent\"]'::jsonb,"
		" updated_at = now() FROM o WHERE d.id = o.draft_id RETURNING d.id",
		0, NULL);
	if (res == NULL)
		return -1;
	ids = json_array();
	for (i = 0; ids != NULL && i < PQntuples(res); i++)
		if (parse_u64(PQgetvalue(res, i, 0), INT64_MAX, &v) == 0)
			json_array_append_new(ids, json_integer((json_int_t)v));
	if (ids == NULL)
		goto out;
	*moved_r = (long)json_array_size(ids);
	if (*moved_r > 0) {
		json_t *after = json_pack("{s:O, s:s}", "drafts", ids, "status", "pending");

		if (store_audit_append(store, who, "auto.hold_back", "settings", "auto_enabled",
				       NULL, after) < 0) {
			json_decref(after);
			goto out;
		}
		json_decref(after);
	}
	ret = 0;
out:
	json_decref(ids);
	PQclear(res);
	return ret;
}

int store_auto_hold_back(struct store *store, const char *who, long *moved_r)
{
	if (store_command(store, "BEGIN") < 0)
		return -1;
	if (auto_hold_back_tx(store, who, moved_r) < 0) {
		store_rollback(store);
		return -1;
	}
	return store_review_commit(store);
}

static int auto_gate_wait(struct store *store)
{
	if (store_exec_void(store, "waiting for automatic sends in flight",
			    "SELECT pg_advisory_lock(" AUTO_GATE_LOCK ")", 0, NULL) < 0)
		return -1;
	return store_exec_void(store, "releasing the automatic-send gate",
			       "SELECT pg_advisory_unlock(" AUTO_GATE_LOCK ")", 0, NULL);
}

struct auto_set_txn {
	bool enabled;
	const char *who;
	long *held_r;
};

static int auto_set_body(struct store *store, struct store_txn *txn, void *ctx)
{
	struct auto_set_txn *a = ctx;
	const char *params[2] = {a->enabled ? "true" : "false", a->who};

	if (store_review_one(store, "reading the switch",
			     "SELECT json_build_object('enabled', value, 'updated_by', updated_by,"
			     " 'updated_at', updated_at)::text FROM settings"
			     " WHERE key = 'auto_enabled' FOR UPDATE",
			     0, NULL, &txn->before) < 0 ||
	    store_review_one(
		    store, "setting the switch",
		    "INSERT INTO settings (key, value, updated_by) VALUES ('auto_enabled', "
		    "$1::jsonb, "
		    "$2)"
		    " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value,"
		    " updated_by = EXCLUDED.updated_by, updated_at = now()"
		    " RETURNING json_build_object('enabled', value, 'updated_by', updated_by,"
		    " 'updated_at', updated_at)::text",
		    2, params, &txn->after) <= 0)
		return -1;
	/* the switch's row first: holding back writes rows of its own */
	txn->action = a->enabled ? "auto.on" : "auto.off";
	if (store_txn_object(store, txn, "settings", "auto_enabled") < 0 ||
	    store_txn_audit(store, txn) < 0)
		return -1;
	if (!a->enabled && auto_hold_back_tx(store, a->who, a->held_r) < 0)
		return -1;
	return 1;
}

int store_auto_set(struct store *store, bool enabled, const char *who, long *held_r)
{
	struct store_txn txn = {.actor = who};
	struct auto_set_txn a = {enabled, who, held_r};
	long more = 0;

	*held_r = 0;
	if (store_txn_run(store, &txn, auto_set_body, &a) < 0)
		return -1;
	if (enabled)
		return 0;
	/* Senders that claimed before the commit hold the gate's shared side
	 * until their try ended; later claims see the switch off. A try that
	 * failed meanwhile put its row back to pending: sweep once more. */
	if (auto_gate_wait(store) < 0 || store_auto_hold_back(store, who, &more) < 0)
		return -1;
	*held_r += more;
	return 0;
}

int store_auto_gate_enter(struct store *store)
{
	return store_exec_void(store, "entering the automatic-send gate",
			       "SELECT pg_advisory_lock_shared(" AUTO_GATE_LOCK ")", 0, NULL);
}

void store_auto_gate_leave(struct store *store)
{
	PQclear(store_exec(store, "leaving the automatic-send gate",
			   "SELECT pg_advisory_unlock_shared(" AUTO_GATE_LOCK ")", 0, NULL));
}

#define CATEGORY_MODE_JSON                                                                     \
	"json_build_object('name', name, 'mode', mode, 'promoted_at', promoted_at,"            \
	" 'demoted_at', demoted_at, 'demote_reason', demote_reason, 'updated_by', updated_by," \
	" 'updated_at', updated_at)::text"

int store_category_set_mode_tx(struct store *store, const char *category, const char *from_mode,
			       const char *to_mode, const char *actor, const char *reason,
			       const json_t *evidence)
{
	const char *params[3] = {category, from_mode, to_mode};
	const char *uparams[4] = {category, to_mode, actor, reason};
	json_t *before = NULL, *after = NULL;
	int r, ret = -1;

	r = store_review_one(store, "locking a category",
			     "SELECT " CATEGORY_MODE_JSON " FROM categories WHERE name = $1"
			     " AND mode = coalesce($2, mode) AND mode <> $3 FOR UPDATE",
			     3, params, &before);
	if (r <= 0) {
		ret = r;
		goto out;
	}
	r = store_review_one(store, "changing a category's mode",
			     "UPDATE categories SET mode = $2, updated_by = $3, updated_at = now(),"
			     " promoted_at = CASE WHEN $2 = 'auto' THEN now() ELSE promoted_at END,"
			     " demoted_at = CASE WHEN $2 = 'auto' THEN demoted_at ELSE now() END,"
			     " demote_reason = CASE WHEN $2 = 'auto' THEN demote_reason ELSE $4 END"
			     " WHERE name = $1 RETURNING " CATEGORY_MODE_JSON,
			     4, uparams, &after);
	if (r <= 0)
		goto out;
	json_object_set_new(after, "reason", json_string(reason));
	if (evidence != NULL)
		json_object_set(after, "evidence", (json_t *)evidence);
	if (store_audit_append(store, actor,
			       strcmp(to_mode, "auto") == 0 ? "category.promote"
							    : "category.demote",
			       "category", category, before, after) < 0)
		goto out;
	ret = 1;
out:
	json_decref(before);
	json_decref(after);
	return ret;
}

int store_category_set_mode(struct store *store, const char *category, const char *from_mode,
			    const char *to_mode, const char *actor, const char *reason,
			    const json_t *evidence)
{
	int r;

	if (store_command(store, "BEGIN") < 0)
		return -1;
	r = store_category_set_mode_tx(store, category, from_mode, to_mode, actor, reason,
				       evidence);
	if (r < 0) {
		store_rollback(store);
		return -1;
	}
	return store_review_commit(store) < 0 ? -1 : r;
}

int store_category_demote_all(struct store *store, const char *actor, const char *reason)
{
	PGresult *res;
	int i, n = 0, r;

	if (store_command(store, "BEGIN") < 0)
		return -1;
	res = store_exec(store, "finding auto categories",
			 "SELECT name FROM categories WHERE mode = 'auto' ORDER BY name FOR UPDATE",
			 0, NULL);
	if (res == NULL)
		goto fail;
	for (i = 0; i < PQntuples(res); i++) {
		r = store_category_set_mode_tx(store, PQgetvalue(res, i, 0), "auto", "draft", actor,
					       reason, NULL);
		if (r < 0) {
			PQclear(res);
			goto fail;
		}
		n += r;
	}
	PQclear(res);
	return store_review_commit(store) < 0 ? -1 : n;
fail:
	store_rollback(store);
	return -1;
}

int store_auto_thread_replies(struct store *store, unsigned int window_s, json_t **rows_r)
{
	char w[16];
	const char *params[1] = {w};

	snprintf(w, sizeof(w), "%u", window_s);
	*rows_r = store_json_list(
		store, "finding replies on automatically answered threads",
		"SELECT json_build_object('message', x.mid, 'draft', x.did, 'category', x.category,"
		" 'text', x.text)::text FROM (SELECT DISTINCT ON (m.id) m.id AS mid, d.id AS did,"
		" d.category, left(coalesce(m.subject, '') || E'\\n' || coalesce(m.text_body, ''),"
		" 20000) AS text FROM messages m JOIN outbox o ON o.is_auto AND o.state = 'sent'"
		" AND (m.in_reply_to = o.message_id"
		" OR strpos(coalesce(m.\"references\", ''), o.message_id) > 0)"
		" JOIN drafts d ON d.id = o.draft_id"
		" WHERE m.received_at > now() - make_interval(secs => $1::int)"
		" AND m.received_at >= o.sent_at"
		" AND m.received_at <= o.sent_at + make_interval(secs => $1::int)"
		" AND m.screen_reason IS NULL AND NOT m.is_duplicate"
		" AND NOT EXISTS (SELECT 1 FROM auto_thread_replies r WHERE r.message_id = m.id)"
		" ORDER BY m.id, o.sent_at DESC LIMIT 200) x ORDER BY x.mid",
		1, params);
	return *rows_r != NULL ? 0 : -1;
}

int store_auto_thread_record(struct store *store, int64_t message_id, int64_t draft_id,
			     const char *category, bool demote, const char *reason)
{
	char mid[24], did[24];
	const char *params[4] = {mid, did, category, demote ? "true" : "false"};
	json_t *evidence = NULL;

	snprintf(mid, sizeof(mid), "%lld", (long long)message_id);
	snprintf(did, sizeof(did), "%lld", (long long)draft_id);
	if (store_command(store, "BEGIN") < 0)
		return -1;
	if (store_exec_void(
		    store, "recording a reply on an automatic thread",
		    "INSERT INTO auto_thread_replies (message_id, draft_id, category, demoted)"
		    " VALUES ($1::bigint, $2::bigint, $3, $4::boolean)"
		    " ON CONFLICT (message_id) DO NOTHING",
		    4, params) < 0)
		goto fail;
	if (demote && category != NULL) {
		evidence = json_pack("{s:I, s:I}", "reply_message_id", (json_int_t)message_id,
				     "auto_draft_id", (json_int_t)draft_id);
		if (store_category_set_mode_tx(store, category, "auto", "draft", "promotion",
					       reason, evidence) < 0)
			goto fail;
		json_decref(evidence);
		evidence = NULL;
	}
	return store_review_commit(store);
fail:
	json_decref(evidence);
	store_rollback(store);
	return -1;
}
