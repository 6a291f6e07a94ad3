/* Per-category evidence and the post-send samples. */
#include "daemon/store/store_promotion.h"

#include <stdio.h>
#include <string.h>

#include "daemon/store/store_audit.h"
#include "daemon/store/store_promotion_int.h"
#include "daemon/store/store_review_int.h"

/* human: a reviewer's decision (automatic sends have reviewer 'auto');
 * good: approved with edit distance <= $2; post: since the category last
 * became auto (a category that was auto from the start counts everything). */
static const char counts_sql[] =
	"WITH w AS (SELECT d.*, (d.reviewer IS NOT NULL AND d.reviewer <> 'auto'"
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
	PGresult *res;

	snprintf(w, sizeof(w), "%u", window_s);
	snprintf(t, sizeof(t), "%.17g", threshold);
	res = store_exec(store, "promotion evidence", counts_sql, 2, params);
	if (res == NULL)
		return -1;
	*rows_r = store_json_rows(store, res, 0);
	PQclear(res);
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
	PGresult *res;
	json_t *arr;

	snprintf(n, sizeof(n), "%u", limit);
	res = store_exec(store, "post-send samples",
			 "SELECT " SAMPLE_JSON
			 " FROM drafts d JOIN messages m ON m.id = d.message_id"
			 " LEFT JOIN outbox o ON o.draft_id = d.id WHERE d.sampled"
			 " AND (NOT $1::boolean OR d.sample_verdict IS NULL)"
			 " ORDER BY d.id DESC LIMIT $2::int",
			 2, params);
	if (res == NULL)
		return -1;
	arr = store_json_rows(store, res, 0);
	PQclear(res);
	if (arr == NULL)
		return -1;
	*result_r = json_pack("{s:o}", "samples", arr);
	return *result_r != NULL ? 0 : -1;
}

enum review_result store_sample_verdict(struct store *store, const char *id, const char *verdict,
					const char *note, const char *who, json_t **result_r)
{
	const char *params[4] = {id, verdict, note, who};
	json_t *before = NULL, *after = NULL, *evidence = NULL;
	const char *category;
	enum review_result ret = REVIEW_ERROR;
	int r;

	if (store_command(store, "BEGIN") < 0)
		return REVIEW_ERROR;
	r = store_review_one(store, "locking a sample",
			     "SELECT json_build_object('id', d.id, 'category', d.category,"
			     " 'verdict', d.sample_verdict, 'judged_by', d.sample_by)::text"
			     " FROM drafts d WHERE d.id = $1::bigint AND d.sampled FOR UPDATE",
			     1, params, &before);
	if (r <= 0) {
		ret = r == 0 ? REVIEW_NOT_FOUND : REVIEW_ERROR;
		goto fail;
	}
	if (!json_is_null(json_object_get(before, "verdict"))) {
		store_rollback(store);
		*result_r = before;
		return REVIEW_CONFLICT;
	}
	r = store_review_one(store, "judging a sample",
			     "UPDATE drafts SET sample_verdict = $2, sample_note = $3,"
			     " sample_by = $4, sample_at = now(), updated_at = now()"
			     " WHERE id = $1::bigint RETURNING id::text",
			     4, params, &after);
	json_decref(after);
	after = NULL;
	if (r <= 0 ||
	    store_review_one(store, "reading a sample",
			     "SELECT " SAMPLE_JSON
			     " FROM drafts d JOIN messages m ON m.id = d.message_id"
			     " LEFT JOIN outbox o ON o.draft_id = d.id WHERE d.id = $1::bigint",
			     1, params, &after) <= 0)
		goto fail;
	if (store_audit_append(store, who, "sample.verdict", "draft", id, before, after) < 0)
		goto fail;
	category = json_string_value(json_object_get(before, "category"));
	if (strcmp(verdict, "bad") == 0 && category != NULL) {
		evidence = json_pack("{s:s, s:s, s:s?}", "sample_draft_id", id, "judged_by", who,
				     "note", note);
		r = store_category_set_mode_tx(store, category, "auto", "draft", who,
					       "a post-send sample was marked bad", evidence);
		if (r < 0)
			goto fail;
		json_object_set_new(after, "category_demoted", json_boolean(r == 1));
	}
	*result_r = after;
	after = NULL;
	ret = REVIEW_OK;
	if (store_review_commit(store) < 0) {
		ret = REVIEW_ERROR;
		json_decref(*result_r);
		*result_r = NULL;
	}
	goto out;
fail:
	store_rollback(store);
out:
	json_decref(before);
	json_decref(after);
	json_decref(evidence);
	return ret;
}
