/* SPDX-License-Identifier: MIT */
#include "daemon/store/store_review_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/store_audit.h"
#include "daemon/store/store_txn.h"

int store_review_one(struct store *store, const char *what, const char *sql, int nparams,
		     const char *const *params, json_t **json_r)
{
	PGresult *res = store_exec(store, what, sql, nparams, params);
	int ret = 0;

	if (res == NULL)
		return -1;
	if (PQntuples(res) > 0) {
		*json_r = store_json(store, PQgetvalue(res, 0, 0));
		ret = *json_r != NULL ? 1 : -1;
	}
	PQclear(res);
	return ret;
}

int store_review_commit(struct store *store)
{
	if (store_command(store, "COMMIT") < 0) {
		store_rollback(store);
		return -1;
	}
	return 0;
}

/* A claim that ran out: its holder no longer holds it (no expiry is none). */
#define REVIEW_CLAIM_RAN_OUT(alias) \
	"(" alias "claim_expires IS NULL OR " alias "claim_expires <= now())"

/* One summary row, built by PostgreSQL. */
#define REVIEW_LIST_OBJECT                                                                    \
	"json_build_object('id', d.id, 'status', d.status, 'category',"                       \
	" d.category, 'confidence', d.confidence, 'confidence_source', d.confidence_source,"  \
	" 'subject', d.subject, 'message_subject', m.subject, 'sender', m.sender, 'mailbox'," \
	" mb.name, 'created_at',"                                                             \
	" d.created_at, 'age_seconds', floor(extract(epoch FROM now() - d.created_at)),"      \
	" 'flags', (CASE WHEN jsonb_typeof(d.guardrail_flags) = 'array' THEN"                 \
	" d.guardrail_flags ELSE '[]'::jsonb END) || (CASE WHEN m.injection_suspect THEN"     \
	" '[\"injection_suspect\"]'::jsonb ELSE '[]'::jsonb END) || (CASE WHEN"               \
	" m.is_oversized THEN '[\"oversized\"]'::jsonb ELSE '[]'::jsonb END),"                \
	" 'claimed_by', CASE WHEN d.claim_expires > now() THEN d.claimed_by END,"             \
	" 'claim_expires', CASE WHEN d.claim_expires > now() THEN d.claim_expires END,"       \
	" 'version', d.version, 'message_id', d.message_id, 'message_status', m.status,"      \
	" 'kind', d.kind, 'origin', d.origin, 'send_at', (SELECT o.next_attempt_at FROM"      \
	" outbox o WHERE o.draft_id = d.id AND o.state = 'pending' AND o.attempts = 0),"      \
	" 'delivery', (SELECT o.state FROM outbox o WHERE o.draft_id = d.id),"                \
	" 'assigned_to', m.assigned_to)"

// clang-format off
#define REVIEW_LIST_FROM                                                                      \
	" FROM drafts d JOIN messages m ON m.id = d.message_id"                               \
	" JOIN mailboxes mb ON mb.id = m.mailbox_id"                                          \
	" WHERE ($1::text IS NULL OR d.status = ANY(string_to_array($1, ','))"                \
	" OR ('uncertain' = ANY(string_to_array($1, ',')) AND EXISTS (SELECT 1 FROM outbox o" \
	" WHERE o.draft_id = d.id AND o.state = 'uncertain'))"                                \
	" OR ('pending' = ANY(string_to_array($1, ',')) AND d.status = 'claimed'"             \
	" AND " REVIEW_CLAIM_RAN_OUT("d.") "))"                                               \
	" AND ($2::text IS NULL OR d.category = $2) AND ($3::text IS NULL OR mb.name = $3)"   \
	" AND ($4::text IS NULL OR strpos(lower(d.subject), lower($4)) > 0"                   \
	" OR strpos(lower(coalesce(m.sender, '')), lower($4)) > 0"                            \
	" OR strpos(lower(d.body), lower($4)) > 0)"                                           \
	" AND " MESSAGE_ASSIGNED_SQL("$8")
// clang-format on

/* The page as one JSON array text and the id to continue after: rows
 * (limit + 1) rows of from (the drafts d with their messages m and mailboxes
 * mb) are read in dir order of id, the first limit go out, and the last of
 * those is the cursor when the extra row exists. The API sends the text as it
 * is (issue 14: parsing and re-serialising every row was most of a request). */
#define REVIEW_PAGE_OF(dir, from, rows, limit)                                                    \
	"SELECT coalesce(json_agg(p.j ORDER BY p.id " dir ") FILTER (WHERE p.n <= " limit         \
	"::int), '[]')::text, CASE WHEN count(*) > " limit "::int THEN max(p.id) FILTER (WHERE"   \
	" p.n = " limit "::int) END FROM (SELECT d.id, " REVIEW_LIST_OBJECT " AS j, row_number()" \
	" OVER (ORDER BY d.id " dir ") AS n" from " ORDER BY d.id " dir " LIMIT " rows "::int) p"
/* $5 the cursor, $6 limit + 1, $7 limit */
#define REVIEW_LIST_PAGE(dir, cmp)                                                              \
	REVIEW_PAGE_OF(dir,                                                                     \
		       REVIEW_LIST_FROM " AND ($5::bigint IS NULL OR d.id " cmp " $5::bigint)", \
		       "$6", "$7")

/* The queue's listings by status alone (issue 14): the same rows and text as
 * REVIEW_LIST_PAGE, read as one keyset range of drafts_status_idx per status
 * (each at most REVIEW_QUEUE_ROWS_MAX rows, merged by id) with the statuses
 * written in, so that the plan does not depend on the parameters (cursor,
 * page size): PostgreSQL keeps one plan per connection (a generic plan,
 * chosen by itself after five calls) instead of planning every call, which
 * was about 0.5 ms of the statement's 1.3 ms. REVIEW_LIST_PAGE's plan does
 * depend on them (its generic plan read every message and sorted on disk),
 * so it stays planned per call. $1 the cursor, $2 limit + 1, $3 limit. */
#define REVIEW_QUEUE_ROWS_MAX 201
#define REVIEW_STR_(x)        #x
#define REVIEW_STR(x)         REVIEW_STR_(x)
// clang-format off
#define REVIEW_QUEUE_RANGE(cond, dir, cmp, bound)                                             \
	"(SELECT * FROM drafts WHERE " cond " AND id " cmp " coalesce($1::bigint, " bound ")" \
	" ORDER BY id " dir " LIMIT " REVIEW_STR(REVIEW_QUEUE_ROWS_MAX) ")"
#define REVIEW_QUEUE_FROM(dir, cmp, bound, second)                                            \
	" FROM (" REVIEW_QUEUE_RANGE("status = 'pending'", dir, cmp, bound)                   \
	" UNION ALL " REVIEW_QUEUE_RANGE(second, dir, cmp, bound) ") d"                       \
	" JOIN messages m ON m.id = d.message_id JOIN mailboxes mb ON mb.id = m.mailbox_id"
#define REVIEW_QUEUE_PAGE(dir, cmp, bound, second) \
	REVIEW_PAGE_OF(dir, REVIEW_QUEUE_FROM(dir, cmp, bound, second), "$2", "$3")
// clang-format on
/* status=pending: pending drafts and claims that ran out */
#define REVIEW_QUEUE_EXPIRED        "status = 'claimed' AND " REVIEW_CLAIM_RAN_OUT("")
#define REVIEW_QUEUE_NEWEST(second) REVIEW_QUEUE_PAGE("DESC", "<", "9223372036854775807", second)
#define REVIEW_QUEUE_OLDEST(second) REVIEW_QUEUE_PAGE("ASC", ">", "-9223372036854775807", second)

/* The queue statement for filter, or NULL when it needs REVIEW_LIST_PAGE. */
static const char *review_queue_sql(const struct review_filter *filter)
{
	bool pending;

	if (filter->status == NULL || filter->category != NULL || filter->mailbox != NULL ||
	    filter->q != NULL || filter->assigned != NULL ||
	    filter->limit + 1 > REVIEW_QUEUE_ROWS_MAX)
		return NULL;
	if (strcmp(filter->status, "pending") == 0)
		pending = true;
	else if (strcmp(filter->status, "pending,claimed") == 0) /* status=open */
		pending = false;
	else
		return NULL;
	if (filter->oldest)
		return pending ? REVIEW_QUEUE_OLDEST(REVIEW_QUEUE_EXPIRED)
			       : REVIEW_QUEUE_OLDEST("status = 'claimed'");
	return pending ? REVIEW_QUEUE_NEWEST(REVIEW_QUEUE_EXPIRED)
		       : REVIEW_QUEUE_NEWEST("status = 'claimed'");
}

int store_review_list(struct store *store, const struct review_filter *filter, char **page_r,
		      char **next_r)
{
	PGresult *res;
	char lim[16], lim1[16];
	const char *params[8];
	const char *queue = review_queue_sql(filter);
	int ret = -1;

	snprintf(lim1, sizeof(lim1), "%u", filter->limit + 1);
	snprintf(lim, sizeof(lim), "%u", filter->limit);
	if (queue != NULL) {
		params[0] = filter->after_id;
		params[1] = lim1;
		params[2] = lim;
		res = store_exec(store, "drafts list", queue, 3, params);
	} else {
		params[0] = filter->status;
		params[1] = filter->category;
		params[2] = filter->mailbox;
		params[3] = filter->q;
		params[4] = filter->after_id;
		params[5] = lim1;
		params[6] = lim;
		params[7] = filter->assigned;
		if (filter->oldest)
			res = store_exec(store, "drafts list", REVIEW_LIST_PAGE("ASC", ">"), 8,
					 params);
		else
			res = store_exec(store, "drafts list", REVIEW_LIST_PAGE("DESC", "<"), 8,
					 params);
	}
	if (res == NULL)
		return -1;
	*page_r = NULL;
	*next_r = NULL;
	if (PQntuples(res) != 1 || (*page_r = strdup(PQgetvalue(res, 0, 0))) == NULL ||
	    (!PQgetisnull(res, 0, 1) && (*next_r = strdup(PQgetvalue(res, 0, 1))) == NULL)) {
		free(*page_r);
		*page_r = NULL;
		error_set(&store->err, "drafts list: out of memory");
		goto out;
	}
	ret = 0;
out:
	PQclear(res);
	return ret;
}

int store_review_page(struct store *store, PGresult *res, unsigned int limit, json_t **items_r,
		      char **next_r)
{
	json_t *arr = NULL;
	int i, n, ret = -1;

	if (res == NULL)
		return -1;
	n = PQntuples(res);
	arr = json_array();
	for (i = 0; arr != NULL && i < n && i < (int)limit; i++) {
		json_t *row = store_json(store, PQgetvalue(res, i, 1));

		if (row == NULL || json_array_append_new(arr, row) < 0)
			goto out;
	}
	if (arr == NULL)
		goto out;
	/* one row more than asked for means there is a next page */
	*next_r = NULL;
	if (n > (int)limit && (*next_r = strdup(PQgetvalue(res, n - 2, 0))) == NULL)
		goto out;
	*items_r = arr;
	arr = NULL;
	ret = 0;
out:
	json_decref(arr);
	PQclear(res);
	return ret;
}

#define REVIEW_GET_SQL                                                                         \
	"SELECT json_build_object('id', d.id, 'message_id', d.message_id, 'status', d.status," \
	" 'category', d.category, 'confidence', d.confidence, 'confidence_source',"            \
	" d.confidence_source, 'subject', d.subject, 'body', d.body, 'recipient',"             \
	" d.recipient, 'cc', d.cc, 'model', d.model, 'prompt_version', d.prompt_version,"      \
	" 'facts', d.facts, 'rule_hits', d.rule_hits, 'guardrail_flags', d.guardrail_flags,"   \
	" 'decision', d.decision, 'decision_reasons', d.decision_reasons, 'notes', d.notes,"   \
	" 'shadow', d.shadow, 'language', d.language, 'version',"                              \
	" d.version, 'claimed_by', CASE WHEN d.claim_expires > now() THEN d.claimed_by END,"   \
	" 'claim_expires', CASE WHEN d.claim_expires > now() THEN d.claim_expires END,"        \
	" 'reviewer', d.reviewer, 'final_body', d.final_body, 'original_body',"                \
	" d.original_body, 'edit_distance', d.edit_distance, 'reject_reason',"                 \
	" d.reject_reason, 'corrected_category', d.corrected_category, 'mailbox', mb.name,"    \
	" 'created_at', d.created_at, 'updated_at', d.updated_at, 'decided_at',"               \
	" d.decided_at, 'updated_by', d.updated_by, 'superseded_at', d.superseded_at,"         \
	" 'superseded_by', d.superseded_by, 'kind', d.kind, 'origin', d.origin,"               \
	" 'message_status', m.status, 'live_draft_id', " MESSAGE_LIVE_SQL ", 'send_at',"       \
	" (SELECT o.next_attempt_at FROM outbox o WHERE o.draft_id = d.id AND o.state ="       \
	" 'pending' AND o.attempts = 0), 'outbox', (SELECT " OUTBOX_JSON " FROM outbox o"      \
	" WHERE o.draft_id = d.id), 'message', json_build_object('id', m.id, 'status',"        \
	" m.status, 'queue', " MESSAGE_QUEUE_SQL ", 'close_reason', m.close_reason,"           \
	" 'replied_at', m.replied_at, 'headers', json_build_object('from', m.sender, 'to',"    \
	" coalesce(m.headers->>'to', m.headers->>'To'), 'cc', coalesce(m.headers->>'cc',"      \
	" m.headers->>'Cc'), 'reply_to', m.reply_to, 'subject', m.subject, 'date',"            \
	" coalesce(m.date_raw, m.sent_date::text), 'message_id', m.message_id), 'text',"       \
	" m.text_body, 'quoted_text', m.quoted_text, 'attachments', m.attachments,"            \
	" 'received_at', m.received_at, 'state', m.state, 'assigned_to', m.assigned_to,"       \
	" 'flags', json_build_object("                                                         \
	" 'bulk', m.is_bulk, 'auto_submitted', m.is_auto_submitted, 'oversized',"              \
	" m.is_oversized, 'injection_suspect', m.injection_suspect, 'duplicate',"              \
	" m.is_duplicate)))::text FROM drafts d JOIN messages m ON m.id = d.message_id"        \
	" JOIN mailboxes mb ON mb.id = m.mailbox_id WHERE d.id = $1::bigint"

int store_review_get(struct store *store, const char *id, json_t **draft_r)
{
	const char *params[1] = {id};
	json_t *draft = NULL, *history = NULL;
	int r;

	r = store_review_one(store, "draft get", REVIEW_GET_SQL, 1, params, &draft);
	if (r <= 0)
		return r;
	if (store_audit_list(store, NULL, NULL, "draft", id, 1000, &history) < 0) {
		json_decref(draft);
		return -1;
	}
	json_object_set_new(draft, "history", history);
	*draft_r = draft;
	return 1;
}

/* Why a conditional UPDATE of a draft touched nothing: absent (0) or a
 * conflict (2) with the current status/holder/version in *detail_r and
 * its reason in "conflict": superseded (with the message's live draft),
 * live_code while the draft is live, wrong_status once it is decided. */
static enum review_result review_why_not(struct store *store, const char *id, const char *live_code,
					 json_t **detail_r)
{
	const char *params[2] = {id, live_code};
	int r = store_review_one(
		store, "draft state",
		"SELECT json_build_object('status', d.status, 'claimed_by',"
		" CASE WHEN d.claim_expires > now() THEN d.claimed_by END,"
		" 'claim_expires', CASE WHEN d.claim_expires > now() THEN"
		" d.claim_expires END, 'version', d.version, 'message_id', d.message_id,"
		" 'live_draft_id', (SELECT l.id FROM drafts l WHERE l.message_id = d.message_id"
		" AND l.status IN ('pending', 'claimed', 'approved')), 'conflict', CASE WHEN"
		" d.status = 'superseded' THEN 'superseded' WHEN d.status IN ('pending',"
		" 'claimed') THEN $2 ELSE 'wrong_status' END)::text FROM drafts d"
		" WHERE d.id = $1::bigint",
		2, params, detail_r);

	return r < 0 ? REVIEW_ERROR : r == 0 ? REVIEW_NOT_FOUND : REVIEW_CONFLICT;
}

#define REVIEW_CLAIM_JSON(ttl)                                                           \
	" RETURNING json_build_object('id', d.id, 'status', d.status, 'claimed_by',"     \
	" d.claimed_by, 'claim_expires', d.claim_expires, 'claim_ttl_seconds', " ttl "," \
	" 'version', d.version"

/* One guarded UPDATE of a draft's claim (sql over params), the claim
 * state it returns in result, audited as action (NULL: not audited, a
 * heartbeat is presence, not a decision). */
struct claim_change {
	const char *what, *sql, *action;
	int nparams;
	const char *const *params;
	const char *id;
	json_t *result;
};

/* 0: the guarded UPDATE touched no row */
static int claim_change_body(struct store *store, struct store_txn *txn, void *ctx)
{
	struct claim_change *c = ctx;
	const char *prev;
	int r;

	r = store_review_one(store, c->what, c->sql, c->nparams, c->params, &c->result);
	if (r <= 0)
		return r < 0 ? -1 : store_txn_refuse(txn, "claim");
	txn->action = c->action;
	prev = json_string_value(json_object_get(c->result, "taken_over_from"));
	if (prev != NULL) {
		txn->action = "draft.take_over";
		txn->before = json_pack("{s:s}", "claimed_by", prev);
	}
	txn->after = json_incref(c->result);
	return store_txn_object(store, txn, "draft", c->id) < 0 ? -1 : 1;
}

/* One guarded UPDATE of a draft's claim, audited in the same transaction:
 * REVIEW_OK with the new claim state in *result_r, or why it did not apply
 * (live_code while the draft is live). A result naming taken_over_from is
 * audited as draft.take_over with the previous holder. */
static enum review_result review_claim_change(struct store *store, const char *what,
					      const char *sql, int nparams,
					      const char *const *params, const char *id,
					      const char *who, const char *action,
					      const char *live_code, json_t **result_r)
{
	struct store_txn txn = {.actor = who};
	struct claim_change c = {what, sql, action, nparams, params, id, NULL};
	int r = store_txn_run(store, &txn, claim_change_body, &c);

	if (r == 1) {
		*result_r = c.result;
		return REVIEW_OK;
	}
	json_decref(c.result);
	return r == 0 ? review_why_not(store, id, live_code, result_r) : REVIEW_ERROR;
}

enum review_result store_review_claim(struct store *store, const char *id, const char *who,
				      unsigned int ttl, bool take_over, json_t **result_r)
{
	const char *params[4] = {id, who, NULL, take_over ? "t" : "f"};
	char secs[16];

	snprintf(secs, sizeof(secs), "%u", ttl);
	params[2] = secs;
	/* Two claims at once: the second waits for the first's row lock (the
	 * FOR UPDATE in p) and then sees the new holder, so only one wins. */
	return review_claim_change(
		store, "draft claim",
		"WITH p AS (SELECT id, CASE WHEN claim_expires > now() THEN claimed_by END AS"
		" holder FROM drafts WHERE id = $1::bigint FOR UPDATE)"
		" UPDATE drafts d SET status = 'claimed', claimed_by = $2,"
		" claim_expires = now() + make_interval(secs => $3::int), updated_at = now()"
		" FROM p WHERE d.id = p.id AND d.status IN ('pending', 'claimed')"
		" AND (p.holder IS NULL OR p.holder = $2 OR $4::boolean)" REVIEW_CLAIM_JSON(
			"$3::int") ", 'taken_over_from', CASE WHEN p.holder <> $2 THEN"
				   " p.holder END)::text",
		4, params, id, who, "draft.claim", "claimed", result_r);
}

enum review_result store_review_heartbeat(struct store *store, const char *id, const char *who,
					  unsigned int ttl, json_t **result_r)
{
	const char *params[3] = {id, who, NULL};
	char secs[16];

	snprintf(secs, sizeof(secs), "%u", ttl);
	params[2] = secs;
	/* claimed_by = who: nobody else took it, even if it ran out meanwhile */
	return review_claim_change(
		store, "draft heartbeat",
		"UPDATE drafts d SET status = 'claimed',"
		" claim_expires = now() + make_interval(secs => $3::int),"
		" updated_at = now() WHERE d.id = $1::bigint"
		" AND d.status IN ('pending', 'claimed') AND d.claimed_by = $2" REVIEW_CLAIM_JSON(
			"$3::int") ")::text",
		3, params, id, who, NULL, "not_holder", result_r);
}

enum review_result store_review_release(struct store *store, const char *id, const char *who,
					bool force, json_t **result_r)
{
	const char *params[3] = {id, who, force ? "t" : "f"};

	return review_claim_change(
		store, "draft release",
		"UPDATE drafts d SET status = 'pending', claimed_by = NULL,"
		" claim_expires = NULL, updated_at = now() WHERE d.id = $1::bigint"
		" AND d.status = 'claimed' AND (d.claimed_by = $2 OR $3::boolean"
		" OR d.claim_expires <= now())" REVIEW_CLAIM_JSON("0") ")::text",
		3, params, id, who, "draft.release", "claimed", result_r);
}

/* Adds name's old and new value to before/after when the patch changes it. */
static void review_diff(json_t *before, json_t *after, const char *name, const PGresult *res,
			int col, const char *value)
{
	const char *old = PQgetisnull(res, 0, col) ? NULL : PQgetvalue(res, 0, col);

	if (value == NULL)
		return;
	if (strcmp(name, "cc") == 0 && *value == '\0')
		value = NULL;
	if ((old == NULL) == (value == NULL) && (old == NULL || strcmp(old, value) == 0))
		return;
	json_object_set_new(before, name, old != NULL ? json_string(old) : json_null());
	json_object_set_new(after, name, value != NULL ? json_string(value) : json_null());
}

struct patch_txn {
	const char *id, *who;
	const struct review_patch *patch;
	json_t *result;
	enum review_result ret; /* when refused */
};

static int patch_body(struct store *store, struct store_txn *txn, void *ctx)
{
	struct patch_txn *p = ctx;
	const struct review_patch *patch = p->patch;
	PGresult *res = NULL;
	char ttl[16];
	const char *params[7] = {p->id,     patch->subject, patch->body, patch->recipient,
				 patch->cc, p->who,         ttl};
	const char *status;
	int ret = -1;

	snprintf(ttl, sizeof(ttl), "%u", patch->claim_ttl);
	txn->before = json_object();
	txn->after = json_object();
	if (txn->before == NULL || txn->after == NULL)
		goto out;
	res = store_exec(store, "draft lock",
			 "SELECT status, version::text, claim_expires > now() AND claimed_by <> $2,"
			 " subject, body, recipient, cc, json_build_object('version',"
			 " version::text, 'subject', subject, 'body', body, 'recipient', recipient,"
			 " 'cc', cc, 'updated_by', updated_by, 'updated_at', updated_at)::text"
			 " FROM drafts WHERE id = $1::bigint FOR UPDATE",
			 2, (const char *const[]){p->id, p->who});
	if (res == NULL)
		goto out;
	if (PQntuples(res) == 0) {
		p->ret = REVIEW_NOT_FOUND;
		ret = store_txn_refuse(txn, "not_found");
		goto out;
	}
	status = PQgetvalue(res, 0, 0);
	if ((strcmp(status, "pending") != 0 && strcmp(status, "claimed") != 0) ||
	    strcmp(PQgetvalue(res, 0, 2), "t") == 0) {
		/* answered by review_why_not() after the rollback */
		p->ret = REVIEW_CONFLICT;
		ret = store_txn_refuse(txn, "claimed");
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, 1), patch->version) != 0) {
		/* the saved text goes back with the 412: both can be shown */
		p->result = store_json(store, PQgetvalue(res, 0, 7));
		p->ret = REVIEW_STALE;
		ret = p->result != NULL ? store_txn_refuse(txn, "version") : -1;
		goto out;
	}
	review_diff(txn->before, txn->after, "subject", res, 3, patch->subject);
	review_diff(txn->before, txn->after, "body", res, 4, patch->body);
	review_diff(txn->before, txn->after, "recipient", res, 5, patch->recipient);
	review_diff(txn->before, txn->after, "cc", res, 6, patch->cc);
	/* the first save claims the draft for its author (claims follow presence) */
	if (store_review_one(store, "draft patch",
			     "UPDATE drafts SET original_body = coalesce(original_body, body),"
			     " original_subject = coalesce(original_subject, subject),"
			     " subject = coalesce($2, subject), body = coalesce($3, body),"
			     " recipient = coalesce($4, recipient), cc = CASE WHEN $5::text IS NULL"
			     " THEN cc ELSE NULLIF($5, '') END, version = version + 1,"
			     " status = 'claimed', claimed_by = $6,"
			     " claim_expires = now() + make_interval(secs => $7::int),"
			     " updated_by = $6, updated_at = now() WHERE id = $1::bigint"
			     " RETURNING json_build_object('id', id, 'version', version, 'subject',"
			     " subject, 'body', body, 'recipient', recipient, 'cc', cc, 'status',"
			     " status, 'claimed_by', claimed_by, 'claim_expires', claim_expires,"
			     " 'updated_by', updated_by, 'updated_at', updated_at)::text",
			     7, params, &p->result) <= 0)
		goto out;
	txn->action = "draft.edit";
	if (store_txn_object(store, txn, "draft", p->id) < 0)
		goto out;
	ret = 1;
out:
	PQclear(res);
	return ret;
}

enum review_result store_review_patch(struct store *store, const char *id, const char *who,
				      const struct review_patch *patch, json_t **result_r)
{
	struct store_txn txn = {.actor = who};
	struct patch_txn p = {.id = id, .who = who, .patch = patch};
	int r = store_txn_run(store, &txn, patch_body, &p);

	if (r == 1 || (r == 0 && p.ret == REVIEW_STALE)) {
		*result_r = p.result;
		return r == 1 ? REVIEW_OK : REVIEW_STALE;
	}
	json_decref(p.result);
	if (r == 0 && p.ret == REVIEW_CONFLICT)
		return review_why_not(store, id, "claimed", result_r);
	return r == 0 ? p.ret : REVIEW_ERROR;
}
