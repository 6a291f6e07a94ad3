/* SPDX-License-Identifier: MIT */
/* GET /stats: the review counts per category and reviewer, and beside them
 * each category's promotion evidence over [agent] stats_window, the
 * reviewers' speed over the same window, and the daily series of the last
 * ?days=N UTC days (default 30) for charts. */
#include <string.h>

#include "daemon/promotion/promotion.h"
#include "daemon/store/store_outcome.h"
#include "daemon/store/store_pipeline.h"
#include "daemon/store/store_review_series.h"
#include "daemon/store/store_review_speed.h"
#include "daemon/lib/util.h"
#include "ui-api/api.h"

/* Puts promotion's row for each category into result's categories entry of
 * the same name (a category without drafts gets an entry of its own):
 * "window" holds the window's counts, the verdicts sit at the top. */
static int api_stats_merge(json_t *result, json_t *promo)
{
	static const char *const top[] = {"mode",
					  "promotion",
					  "min_samples",
					  "target_rate",
					  "audit_sample_rate",
					  "unchanged_rate",
					  "unchanged_lower_bound",
					  "eligible",
					  "not_eligible_because",
					  "never_auto",
					  "shadow",
					  "samples",
					  "rejection_reasons",
					  "promoted_at",
					  "demoted_at",
					  "demote_reason"};
	json_t *cats = json_object_get(result, "categories"), *row, *entry, *c;
	const char *name;
	size_t i, j, k;

	json_array_foreach(json_object_get(promo, "categories"), i, row)
	{
		name = json_string_value(json_object_get(row, "category"));
		entry = NULL;
		json_array_foreach(cats, j, c)
		{
			const char *cn = json_string_value(json_object_get(c, "category"));

			if (cn != NULL && name != NULL && strcmp(cn, name) == 0) {
				entry = c;
				break;
			}
		}
		if (entry == NULL) {
			entry = json_pack("{s:s?, s:i}", "category", name, "drafted", 0);
			if (entry == NULL || json_array_append_new(cats, entry) < 0)
				return -1;
		}
		for (k = 0; k < sizeof(top) / sizeof(top[0]); k++) {
			json_object_set(entry, top[k], json_object_get(row, top[k]));
			json_object_del(row, top[k]);
		}
		json_object_del(row, "category");
		if (json_object_set(entry, "window", row) < 0)
			return -1;
	}
	json_object_set(result, "window_seconds", json_object_get(promo, "window_seconds"));
	json_object_set(result, "unchanged_threshold",
			json_object_get(promo, "unchanged_threshold"));
	json_object_set(result, "z", json_object_get(promo, "z"));
	json_object_set(result, "auto_enabled", json_object_get(promo, "auto_enabled"));
	return 0;
}

/* First-response time: overall at the top, each category's in its entry
 * (zeros and nulls for a category without replies in the window). */
static void api_stats_first_response(json_t *result, const json_t *first)
{
	const json_t *by = json_object_get(first, "categories");
	json_t *c, *f;
	size_t i;

	json_object_set(result, "first_response", json_object_get(first, "overall"));
	json_array_foreach(json_object_get(result, "categories"), i, c)
	{
		const char *name = json_string_value(json_object_get(c, "category"));

		f = name != NULL ? json_object_get(by, name) : NULL;
		json_object_set_new(c, "first_response",
				    f != NULL ? json_incref(f)
					      : json_pack("{s:i, s:n, s:n, s:n}", "replied", 0,
							  "median_seconds", "p90_seconds",
							  "mean_seconds"));
	}
}

#define API_STATS_DAYS_DEFAULT 30

/* ?days=N: the length of the daily series, 1..REVIEW_SERIES_MAX_DAYS.
 * 0 with *days_r, or -1 with a 400 in resp. */
static int api_stats_days(struct api_request *req, struct api_response *resp, unsigned int *days_r)
{
	const char *days = api_query(req, "days");
	uint64_t v;

	*days_r = API_STATS_DAYS_DEFAULT;
	if (days == NULL)
		return 0;
	if (parse_u64(days, UINT64_MAX, &v) < 0 || v < 1 || v > REVIEW_SERIES_MAX_DAYS) {
		api_error(resp, 400, "bad_parameter", "days must be an integer from 1 to %d",
			  REVIEW_SERIES_MAX_DAYS);
		return -1;
	}
	*days_r = (unsigned int)v;
	return 0;
}

void api_stats_get(struct api_request *req, struct api_response *resp)
{
	static const char *const allowed[] = {"days", NULL};
	struct store *store;
	json_t *result = NULL, *promo = NULL, *model, *series = NULL, *backlog = NULL,
	       *first = NULL, *speed = NULL;
	unsigned int days;

	if (api_query_check(req, resp, allowed) < 0 || api_stats_days(req, resp, &days) < 0 ||
	    (store = api_store(req, resp)) == NULL)
		return;
	if (store_review_stats(store, req->config->agent.unchanged_threshold, &result) < 0 ||
	    promotion_stats(store, req->config, &promo) < 0 ||
	    store_review_series(store, days, req->config->agent.unchanged_threshold, &series) < 0 ||
	    store_outcome_backlog(store, &backlog) < 0 ||
	    store_outcome_first_response(store, req->config->agent.stats_window, &first) < 0 ||
	    store_review_speed(store, req->config->agent.stats_window, REVIEW_SPEED_BREAK_S,
			       &speed) < 0) {
		api_error_store(resp, store);
		goto out;
	}
	if (api_stats_merge(result, promo) < 0) {
		api_error(resp, 500, "internal", "out of memory");
		goto out;
	}
	api_stats_first_response(result, first);
	/* the open messages and the oldest one's age (the page header's) */
	json_object_set_new(result, "backlog", backlog);
	backlog = NULL;
	/* the daily figures for charts (same unchanged threshold as promotion) */
	json_object_set_new(result, "series", series);
	series = NULL;
	/* how fast people decide: time per decision, decisions per hour */
	json_object_set_new(result, "speed", speed);
	speed = NULL;
	/* the model's start-up probe: whether automatic replies may go out */
	model = store_model_probe(store);
	json_object_set_new(result, "model", model != NULL ? model : json_null());
	api_reply(resp, 200, result);
	result = NULL;
out:
	json_decref(result);
	json_decref(promo);
	json_decref(series);
	json_decref(backlog);
	json_decref(first);
	json_decref(speed);
}
