/* SPDX-License-Identifier: MIT */
/* Categories, statistics, mailbox state and the counts behind /metrics. */
#include "daemon/store/store_review_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/store_txn.h"
#include "daemon/lib/util.h"

#define CATEGORY_JSON                                                                    \
	"json_build_object('name', name, 'mode', mode, 'threshold', threshold,"          \
	" 'audit_sample_rate', audit_sample_rate, 'min_samples', min_samples,"           \
	" 'target_rate', target_rate, 'promotion', promotion, 'updated_by', updated_by," \
	" 'updated_at', updated_at)::text"

int store_categories_seed(struct store *store, const struct config *config,
			  const char *const *builtin)
{
	size_t i;

	for (i = 0; i < config->categories_count; i++) {
		const struct category_config *c = &config->categories[i];
		char threshold[32], sample[32], min[16], target[32];
		const char *params[7] = {c->name,
					 category_mode_name(c->mode),
					 threshold,
					 sample,
					 min,
					 target,
					 c->promotion == PROMOTION_AUTOMATIC ? "automatic"
									     : "manual"};

		snprintf(threshold, sizeof(threshold), "%.17g", c->threshold);
		snprintf(sample, sizeof(sample), "%.17g", c->audit_sample_rate);
		snprintf(min, sizeof(min), "%u", c->min_samples);
		snprintf(target, sizeof(target), "%.17g", c->target_rate);
		if (store_exec_void(
			    store, "category seed",
			    "INSERT INTO categories (name, mode, threshold, audit_sample_rate,"
			    " min_samples, target_rate, promotion, updated_by) VALUES ($1, $2,"
			    " $3::double precision, $4::double precision, $5::int,"
			    " $6::double precision, $7, 'config') ON CONFLICT (name) DO NOTHING",
			    7, params) < 0)
			return -1;
	}
	/* the classifier files mail under these without any configuration:
	 * they must be listed, and corrections to them accepted */
	for (i = 0; builtin != NULL && builtin[i] != NULL; i++) {
		const char *params[1] = {builtin[i]};

		if (store_exec_void(store, "category seed",
				    "INSERT INTO categories (name, updated_by) VALUES ($1,"
				    " 'builtin') ON CONFLICT (name) DO NOTHING",
				    1, params) < 0)
			return -1;
	}
	return 0;
}

int store_categories_list(struct store *store, json_t **result_r)
{
	return store_json_list_in(store, "categories", "categories",
				  "SELECT " CATEGORY_JSON " FROM categories ORDER BY name", 0, NULL,
				  result_r);
}

/* The text form of a validated field for a parameter, or NULL when absent. */
static const char *category_param(const json_t *changes, const char *key, char *buf, size_t size)
{
	const json_t *v = json_object_get(changes, key);

	if (v == NULL)
		return NULL;
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v))
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
	else
		snprintf(buf, size, "%.17g", json_number_value(v));
	return buf;
}

/* An admin change of one row as an audited transaction: optionally lock
 * and read it (lock_sql over $1, the "before"), run the guarded UPDATE
 * that returns the row's JSON (the answer; audited as "after" when
 * audit_after), write the audit row. */
struct admin_update {
	const char *lock_sql;
	const char *what, *sql;
	int nparams;
	const char *const *params;
	bool audit_after;
	json_t *result;
};

/* 0: no such row */
static int admin_update_body(struct store *store, struct store_txn *txn, void *ctx)
{
	struct admin_update *u = ctx;
	int r;

	if (u->lock_sql != NULL) {
		r = store_review_one(store, "category lock", u->lock_sql, 1, u->params,
				     &txn->before);
		if (r <= 0)
			return r < 0 ? -1 : store_txn_refuse(txn, "not_found");
	}
	r = store_review_one(store, u->what, u->sql, u->nparams, u->params, &u->result);
	if (r <= 0)
		return r < 0 || u->lock_sql != NULL ? -1 : store_txn_refuse(txn, "not_found");
	if (u->audit_after)
		txn->after = json_incref(u->result);
	return 1;
}

/* Runs u audited as action on (type, params[0]) by who. */
static enum review_result admin_update(struct store *store, struct admin_update *u,
				       const char *action, const char *type, const char *who,
				       json_t **result_r)
{
	struct store_txn txn = {.actor = who, .action = action};
	int r = -1;

	if (store_txn_object(store, &txn, type, u->params[0]) == 0)
		r = store_txn_run(store, &txn, admin_update_body, u);
	if (r == 1) {
		*result_r = u->result;
		return REVIEW_OK;
	}
	json_decref(u->result);
	return r == 0 ? REVIEW_NOT_FOUND : REVIEW_ERROR;
}

enum review_result store_category_update(struct store *store, const char *name,
					 const json_t *changes, const char *who, json_t **result_r)
{
	char b[4][32];
	const char *params[8];
	struct admin_update u = {
		.lock_sql = "SELECT " CATEGORY_JSON " FROM categories WHERE name = $1 FOR UPDATE",
		.what = "category update",
		.sql = "UPDATE categories SET mode = coalesce($2, mode),"
		       " threshold = coalesce($3::double precision, threshold),"
		       " audit_sample_rate = coalesce($4::double precision, audit_sample_rate),"
		       " min_samples = coalesce($5::int, min_samples),"
		       " target_rate = coalesce($6::double precision, target_rate),"
		       " promotion = coalesce($7, promotion), updated_by = $8,"
		       " promoted_at = CASE WHEN $2 = 'auto' AND mode <> 'auto' THEN now()"
		       " ELSE promoted_at END,"
		       " updated_at = now() WHERE name = $1 RETURNING " CATEGORY_JSON,
		.nparams = 8,
		.params = params,
		.audit_after = true,
	};

	params[0] = name;
	params[1] = category_param(changes, "mode", NULL, 0);
	params[2] = category_param(changes, "threshold", b[0], sizeof(b[0]));
	params[3] = category_param(changes, "audit_sample_rate", b[1], sizeof(b[1]));
	params[4] = category_param(changes, "min_samples", b[2], sizeof(b[2]));
	params[5] = category_param(changes, "target_rate", b[3], sizeof(b[3]));
	params[6] = category_param(changes, "promotion", NULL, 0);
	params[7] = who;
	return admin_update(store, &u, "category.update", "category", who, result_r);
}

/* The all-time figures per category and per reviewer, from the total rows
 * of draft_rollup (schemas/migrations/0175_stats_rollup.sql), a few rows
 * per category and person however long the history: a category's figures
 * sum its creation row (drafted, auto_sent, pending, rejected by anyone)
 * and its people's decision rows; a reviewer's sum that person's decision
 * rows. $1 is the number of edit-distance histogram elements at or under
 * the unchanged threshold; the median decision time comes from the
 * decision-time histogram (within 5%). */
#define ROLLUP_COLUMNS                                                                    \
	" 'reviewed', sum(reviewed)::bigint,"                                             \
	" 'approved_unchanged', sum(draft_rollup_hist_head(edit_hist, $1::int))::bigint," \
	" 'approved_edited', sum(appr_edit_n)::bigint -"                                  \
	" sum(draft_rollup_hist_head(edit_hist, $1::int))::bigint,"                       \
	" 'mean_edit_distance', (sum(edit_sum) / nullif(sum(edit_n), 0))::float8,"        \
	" 'median_decision_seconds',"                                                     \
	" draft_rollup_secs_quantile(draft_rollup_hist_sum(secs_hist), 0.5)"

/* One statement for both groupings (GROUPING SETS). Categories come first
 * (by name, no category last), then reviewers (by name); a group whose
 * drafts are all gone (a rollup row summing to zero) is left out. */
int store_review_stats(struct store *store, double unchanged_threshold, json_t **result_r)
{
	PGresult *res = NULL;
	json_t *a = NULL, *b = NULL, *row;
	char elems[16];
	const char *params[1] = {elems};
	int i, ret = -1;

	snprintf(elems, sizeof(elems), "%u", store_rollup_unchanged_elems(unchanged_threshold));
	res = store_exec(
		store, "stats by category and reviewer",
		"SELECT CASE WHEN GROUPING(category) = 0 THEN json_build_object('category',"
		" category, 'drafted', sum(drafted)::bigint, 'auto_sent', sum(auto_sent)::bigint,"
		" 'pending', sum(pending)::bigint, " ROLLUP_COLUMNS ", 'rejected',"
		" sum(rejected_any)::bigint) ELSE json_build_object('reviewer', "
		"reviewer, " ROLLUP_COLUMNS
		", 'rejected', sum(rejected)::bigint) END::text, GROUPING(category)"
		" FROM draft_rollup WHERE day IS NULL"
		" GROUP BY GROUPING SETS ((category), (reviewer))"
		" HAVING (GROUPING(category) = 0 AND sum(drafted) <> 0)"
		" OR (GROUPING(category) = 1 AND reviewer IS NOT NULL"
		" AND (sum(reviewed) <> 0 OR sum(edit_n) <> 0))"
		" ORDER BY GROUPING(category), category, reviewer",
		1, params);
	if (res == NULL)
		goto out;
	a = json_array();
	b = json_array();
	for (i = 0; a != NULL && b != NULL && i < PQntuples(res); i++) {
		row = json_loads(PQgetvalue(res, i, 0), 0, NULL);
		if (row == NULL ||
		    json_array_append_new(PQgetvalue(res, i, 1)[0] == '0' ? a : b, row) < 0) {
			error_set(&store->err, "review stats: out of memory");
			goto out;
		}
	}
	if (a == NULL || b == NULL) {
		error_set(&store->err, "review stats: out of memory");
		goto out;
	}
	*result_r = json_pack("{s:o, s:o, s:f}", "categories", a, "reviewers", b,
			      "unchanged_threshold", unchanged_threshold);
	a = b = NULL;
	ret = *result_r != NULL ? 0 : -1;
out:
	json_decref(a);
	json_decref(b);
	PQclear(res);
	return ret;
}

int store_rollup_rebuild(struct store *store, uint64_t *rows_r)
{
	PGresult *res =
		store_exec(store, "rebuilding the statistics rollups",
			   "SELECT draft_rollup_rebuild() + promo_rollup_rebuild()", 0, NULL);
	int ret = -1;

	if (res == NULL)
		return -1;
	if (parse_u64(PQgetvalue(res, 0, 0), UINT64_MAX, rows_r) == 0)
		ret = 0;
	else
		error_set(&store->err, "rebuilding the statistics rollups: bad row count");
	PQclear(res);
	return ret;
}

#define MAILBOX_JSON                                                                           \
	"json_build_object('name', name, 'address', address, 'folder', folder, 'uidvalidity'," \
	" uidvalidity, 'last_uid', last_uid, 'last_poll_at', last_poll_at, 'last_error',"      \
	" last_error, 'last_error_at', last_error_at, 'poll_requested_at', poll_requested_at," \
	" 'lease_owner', CASE WHEN lease_expires > now() THEN lease_owner END,"                \
	" 'sent_folder', sent_folder, 'sent_how', sent_how, 'sent_problem', sent_error)::text"

int store_mailboxes_list(struct store *store, json_t **result_r)
{
	return store_json_list_in(store, "mailboxes", "mailboxes",
				  "SELECT " MAILBOX_JSON " FROM mailboxes ORDER BY name", 0, NULL,
				  result_r);
}

enum review_result store_mailbox_request_poll(struct store *store, const char *name,
					      const char *who, json_t **result_r)
{
	const char *params[2] = {name, who};
	struct admin_update u = {
		.what = "mailbox poll",
		.sql = "UPDATE mailboxes SET poll_requested_at = now(), poll_requested_by = $2"
		       " WHERE name = $1 RETURNING " MAILBOX_JSON,
		.nparams = 2,
		.params = params,
	};

	return admin_update(store, &u, "mailbox.poll", "mailbox", who, result_r);
}

int store_review_metrics(struct store *store, json_t **result_r)
{
	int r = store_review_one(
		store, "metrics",
		"SELECT json_build_object("
		"'messages', (SELECT coalesce(json_object_agg(state, n), '{}') FROM"
		" (SELECT state, count(*) AS n FROM messages GROUP BY state) s),"
		"'drafts', (SELECT coalesce(json_object_agg(status, n), '{}') FROM"
		" (SELECT status, count(*) AS n FROM drafts GROUP BY status) s),"
		"'jobs', (SELECT coalesce(json_object_agg(state, n), '{}') FROM"
		" (SELECT state, count(*) AS n FROM jobs GROUP BY state) s),"
		"'jobs_ready', (SELECT count(*) FROM jobs WHERE state = 'queued'"
		" AND next_attempt_at <= now()),"
		"'decisions', (SELECT coalesce(json_object_agg(decision, n), '{}') FROM"
		" (SELECT decision, count(*) AS n FROM drafts WHERE decision IS NOT NULL"
		" GROUP BY decision) s),"
		"'messages_by_status', (SELECT json_build_object('open', count(*) FILTER (WHERE"
		" status = 'open'), 'replied', count(*) FILTER (WHERE status = 'replied'),"
		" 'closed', count(*) FILTER (WHERE status = 'closed'), 'skipped', count(*)"
		" FILTER (WHERE status = 'skipped')) FROM messages),"
		"'outbox', (SELECT coalesce(json_object_agg(state, n), '{}') FROM"
		" (SELECT state, count(*) AS n FROM outbox GROUP BY state) s),"
		"'skips', (SELECT coalesce(json_object_agg(reason, n), '{}') FROM"
		" (SELECT left(coalesce(screen_reason, pipeline->>'reason', 'unknown'), 60) AS "
		"reason,"
		" count(*) AS n FROM messages WHERE state = 'skipped' GROUP BY 1) s),"
		"'guard_flags', (SELECT coalesce(json_object_agg(flag, n), '{}') FROM"
		" (SELECT left(f->>'flag', 40) AS flag, count(*) AS n FROM drafts,"
		" jsonb_array_elements(guardrail_flags) f GROUP BY 1) s))::text",
		0, NULL, result_r);

	return r == 1 ? 0 : -1;
}
