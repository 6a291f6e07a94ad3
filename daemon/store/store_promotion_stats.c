/* SPDX-License-Identifier: MIT */
/* Per-category evidence and the post-send samples. */
#include "daemon/store/store_promotion.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "daemon/store/store_txn.h"
#include "daemon/store/store_promotion_int.h"
#include "daemon/store/store_review_int.h"

/* The evidence is read from the per-day rollups of migration 0200 plus the
 * drafts of the window's first day (promotion_evidence()), equal field by
 * field to the old read of every draft in the window
 * (promotion_evidence_rows(), tests/integration/promotion_rollup.sh). The
 * rollups hold approvals' edit distances in 0.01 steps, so a threshold off
 * that grid (the config refuses one) is answered from the drafts, as
 * before: exact either way. */
int store_promotion_counts(struct store *store, unsigned int window_s, double threshold,
			   json_t **rows_r)
{
	char w[16], t[32];
	const char *params[2] = {w, t};
	long j = lround(threshold * 100.0);
	bool grid = j >= 0 && j <= 100 && (double)j / 100.0 == threshold;

	snprintf(w, sizeof(w), "%u", window_s);
	if (grid)
		snprintf(t, sizeof(t), "%ld", j);
	else
		snprintf(t, sizeof(t), "%.17g", threshold);
	*rows_r =
		store_json_list(store, "promotion evidence",
				grid ? "SELECT * FROM promotion_evidence($1::int, $2::int)"
				     : "SELECT * FROM promotion_evidence_rows($1::int, $2::float8)",
				2, params);
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
