/* SPDX-License-Identifier: MIT */
/* Per-category evidence and the post-send samples. */
#include "daemon/store/store_promotion.h"

#include <stdio.h>
#include <string.h>

#include "daemon/store/store_txn.h"
#include "daemon/store/store_promotion_int.h"
#include "daemon/store/store_review_int.h"

/* human: a reviewer's decision (automatic sends have reviewer 'auto');
 * good: approved with edit distance <= $2; post: since the category last
 * became auto (a category that was auto from the start counts everything).
 * w is read twice, so PostgreSQL keeps its rows: only the columns used
 * below (with d.* each row carried the draft's body and facts too). */
static const char counts_sql[] =
	"WITH w AS (SELECT d.category, d.status, d.edit_distance, d.corrected_category,"
	"  d.reject_reason, d.decision_reasons, d.shadow, d.reviewer, d.sampled,"
	"  d.sample_verdict, (d.reviewer IS NOT NULL AND d.reviewer <> 'auto'"
	"  AND d.status IN ('approved', 'sent', 'failed', 'rejected')) AS human,"
	"  coalesce((d.shadow->>'would_auto')::boolean, false) AS would,"
	"  (c.mode = 'auto' AND coalesce(d.decided_at, d.created_at)"
	"   > coalesce(c.promoted_at, '-infinity')) AS post"
	"  FROM drafts d LEFT JOIN categories c ON c.name = d.category"
	"  WHERE coalesce(d.decided_at, d.created_at) > now() - make_interval(secs => $1::int)"
	/* a reply a person wrote from scratch is no evidence about the model */
	"  AND d.origin = 'model'),"
	" v AS (SELECT *, human AND status <> 'rejected' AND edit_distance <= $2::float8 AS good,"
	"  human AND status = 'rejected' AND (corrected_category IS NOT NULL"
	"   OR lower(ltrim(coalesce(reject_reason, ''))) LIKE 'wrong%') AS wrong FROM w),"
	" a AS (SELECT category, count(*) AS drafted,"
	"  count(*) FILTER (WHERE human) AS reviewed,"
	"  count(*) FILTER (WHERE good) AS approved_unchanged,"
	"  count(*) FILTER (WHERE human AND status <> 'rejected' AND NOT good) AS approved_edited,"
	"  count(*) FILTER (WHERE human AND status = 'rejected') AS rejected,"
	"  count(*) FILTER (WHERE wrong) AS rejected_wrong,"
	"  count(*) FILTER (WHERE decision_reasons ? 'a rule forbids automatic replies'"
	"   OR decision_reasons ? 'a rule requires a human') AS never_auto_hits,"
	"  count(*) FILTER (WHERE shadow IS NOT NULL) AS shadow_drafts,"
	"  count(*) FILTER (WHERE would) AS shadow_would_auto,"
	"  count(*) FILTER (WHERE would AND human) AS shadow_would_auto_reviewed,"
	"  count(*) FILTER (WHERE would AND good) AS shadow_agreed,"
	"  count(*) FILTER (WHERE would AND human AND status <> 'rejected' AND NOT good)"
	"   AS shadow_edited,"
	"  count(*) FILTER (WHERE would AND human AND status = 'rejected') AS shadow_rejected,"
	"  count(*) FILTER (WHERE reviewer = 'auto') AS auto_replies,"
	"  count(*) FILTER (WHERE sampled) AS samples,"
	"  count(*) FILTER (WHERE sample_verdict = 'fine') AS samples_fine,"
	"  count(*) FILTER (WHERE sample_verdict = 'bad') AS samples_bad,"
	"  count(*) FILTER (WHERE post AND human) AS post_reviewed,"
	"  count(*) FILTER (WHERE post AND good) AS post_unchanged,"
	"  count(*) FILTER (WHERE post AND wrong) AS post_wrong,"
	"  count(*) FILTER (WHERE post AND sample_verdict = 'fine') AS post_fine,"
	"  count(*) FILTER (WHERE post AND sample_verdict = 'bad') AS post_bad"
	"  FROM v WHERE category IS NOT NULL GROUP BY category),"
	" r AS (SELECT category, json_object_agg(reason, n) AS reasons FROM"
	"  (SELECT category, coalesce(left(lower(btrim(reject_reason)), 80), '(no reason)') AS "
	"reason, count(*) AS n"
	"   FROM w WHERE human AND status = 'rejected' GROUP BY 1, 2) x GROUP BY category),"
	" n AS (SELECT name FROM categories UNION SELECT category FROM a)"
	" SELECT (coalesce(to_jsonb(a) - 'category', '{}') || jsonb_build_object('category', "
	"n.name,"
	"  'mode', coalesce(c.mode, 'draft'), 'promotion', coalesce(c.promotion, 'manual'),"
	"  'min_samples', coalesce(c.min_samples, 50), 'target_rate', coalesce(c.target_rate, "
	"0.95),"
	"  'audit_sample_rate', coalesce(c.audit_sample_rate, 0.1),"
	"  'promoted_at', c.promoted_at, 'demoted_at', c.demoted_at,"
	"  'demote_reason', c.demote_reason,"
	"  'rejection_reasons', coalesce(r.reasons, '{}'::json)))::text"
	" FROM n LEFT JOIN a ON a.category = n.name LEFT JOIN categories c ON c.name = n.name"
	" LEFT JOIN r ON r.category = n.name ORDER BY n.name";

int store_promotion_counts(struct store *store, unsigned int window_s, double threshold,
			   json_t **rows_r)
{
	char w[16], t[32];
	const char *params[2] = {w, t};

	snprintf(w, sizeof(w), "%u", window_s);
	snprintf(t, sizeof(t), "%.17g", threshold);
	*rows_r = store_json_list(store, "promotion evidence", counts_sql, 2, params);
	return *rows_r != NULL ? 0 : -1;
}

#define SAMPLE_JSON                                                                             \
	"json_build_object('id', d.id, 'category', d.category, 'recipient', d.recipient,"       \
	" 'subject', d.subject, 'body', coalesce(d.final_body, d.body), 'status', d.status,"    \
	" 'created_at', d.created_at, 'sent_at', o.sent_at, 'outbox_message_id', o.message_id," \
	" 'verdict', d.sample_verdict, 'note', d.sample_note, 'judged_by', d.sample_by,"        \
	" 'judged_at', d.sample_at, 'original_subject', m.subject, 'sender', m.sender)::text"

int store_samples_list(struct store *store, bool pending_only, unsigned int limit,
		       json_t **result_r)
{
	char n[16];
	const char *params[2] = {pending_only ? "t" : "f", n};

	snprintf(n, sizeof(n), "%u", limit);
	return store_json_list_in(store, "samples", "post-send samples",
				  "SELECT " SAMPLE_JSON
				  " FROM drafts d JOIN messages m ON m.id = d.message_id"
				  " LEFT JOIN outbox o ON o.draft_id = d.id WHERE d.sampled"
				  " AND (NOT $1::boolean OR d.sample_verdict IS NULL)"
				  " ORDER BY d.id DESC LIMIT $2::int",
				  2, params, result_r);
}

struct sample_txn {
	const char *id, *verdict, *note, *who;
	json_t *result;
	enum review_result ret; /* when refused */
};

/* 0: no such sample, or it is judged already (result: who judged it) */
static int sample_body(struct store *store, struct store_txn *txn, void *ctx)
{
	struct sample_txn *s = ctx;
	const char *params[4] = {s->id, s->verdict, s->note, s->who};
	json_t *ignored = NULL, *evidence = NULL, *cat = NULL;
	const char *category;
	int r, ret = -1;

	r = store_review_one(store, "locking a sample",
			     "SELECT json_build_object('id', d.id, 'category', d.category,"
			     " 'verdict', d.sample_verdict, 'judged_by', d.sample_by)::text"
			     " FROM drafts d WHERE d.id = $1::bigint AND d.sampled FOR UPDATE",
			     1, params, &txn->before);
	if (r <= 0) {
		s->ret = REVIEW_NOT_FOUND;
		ret = r < 0 ? -1 : store_txn_refuse(txn, "not_found");
		goto out;
	}
	if (!json_is_null(json_object_get(txn->before, "verdict"))) {
		s->result = json_incref(txn->before);
		s->ret = REVIEW_CONFLICT;
		ret = store_txn_refuse(txn, "judged");
		goto out;
	}
	r = store_review_one(store, "judging a sample",
			     "UPDATE drafts SET sample_verdict = $2, sample_note = $3,"
			     " sample_by = $4, sample_at = now(), updated_at = now()"
			     " WHERE id = $1::bigint RETURNING id::text",
			     4, params, &ignored);
	if (r <= 0 ||
	    store_review_one(store, "reading a sample",
			     "SELECT " SAMPLE_JSON
			     " FROM drafts d JOIN messages m ON m.id = d.message_id"
			     " LEFT JOIN outbox o ON o.draft_id = d.id WHERE d.id = $1::bigint",
			     1, params, &s->result) <= 0)
		goto out;
	/* held: store_txn_audit() releases before */
	cat = json_incref(json_object_get(txn->before, "category"));
	category = json_string_value(cat);
	evidence = category != NULL && strcmp(s->verdict, "bad") == 0
			   ? json_pack("{s:s, s:s, s:s?}", "sample_draft_id", s->id, "judged_by",
				       s->who, "note", s->note)
			   : NULL;
	/* the verdict's row first: the demotion it causes writes its own */
	txn->action = "sample.verdict";
	txn->after = json_incref(s->result);
	if (store_txn_object(store, txn, "draft", s->id) < 0 || store_txn_audit(store, txn) < 0)
		goto out;
	if (evidence != NULL) {
		r = store_category_set_mode_tx(store, category, "auto", "draft", s->who,
					       "a post-send sample was marked bad", evidence);
		if (r < 0)
			goto out;
		json_object_set_new(s->result, "category_demoted", json_boolean(r == 1));
	}
	ret = 1;
out:
	json_decref(ignored);
	json_decref(evidence);
	json_decref(cat);
	return ret;
}

enum review_result store_sample_verdict(struct store *store, const char *id, const char *verdict,
					const char *note, const char *who, json_t **result_r)
{
	struct store_txn txn = {.actor = who};
	struct sample_txn s = {id, verdict, note, who, NULL, REVIEW_ERROR};
	int r = store_txn_run(store, &txn, sample_body, &s);

	if (r == 1 || (r == 0 && s.ret == REVIEW_CONFLICT)) {
		*result_r = s.result;
		return r == 1 ? REVIEW_OK : REVIEW_CONFLICT;
	}
	json_decref(s.result);
	return r == 0 ? s.ret : REVIEW_ERROR;
}
