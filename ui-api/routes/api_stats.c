/* SPDX-License-Identifier: MIT */
/* GET /stats: the review counts per category and reviewer, and beside them
 * each category's promotion evidence over [agent] stats_window, the
 * reviewers' speed over the same window, and the daily series of the last
 * ?days=N UTC days (default 30) for charts. ?parts= names the parts wanted
 * (all by default): a page that shows one part does not wait for the rest,
 * whose statements read the whole history. */
#include <string.h>

#include "daemon/promotion/promotion.h"
#include "daemon/store/store_outcome.h"
#include "daemon/store/store_pipeline.h"
#include "daemon/store/store_review_series.h"
#include "daemon/store/store_review_speed.h"
#include "daemon/lib/util.h"
#include "ui-api/api.h"
#include "ui-api/backlog_cache.h"

/* Puts promotion's row for each category into result's categories entry of
 * the same name (a category without drafts gets an entry of its own):
 * "window" holds the window's counts, the verdicts sit at the top. */
static int api_stats_merge(json_t *result, json_t *promo, bool counts)
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
			entry = counts ? json_pack("{s:s?, s:i}", "category", name, "drafted", 0)
				       : json_pack("{s:s?}", "category", name);
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

enum api_stats_part {
	STATS_COUNTS = 1 << 0,
	STATS_PROMOTION = 1 << 1,
	STATS_SERIES = 1 << 2,
	STATS_BACKLOG = 1 << 3,
	STATS_FIRST_RESPONSE = 1 << 4,
	STATS_SPEED = 1 << 5,
	STATS_MODEL = 1 << 6,
	STATS_ALL = (1 << 7) - 1,
};

static const char *const api_stats_part_names[] = {
	"counts", "promotion", "series", "backlog", "first_response", "speed", "model", NULL};

/* ?parts=a,b: the parts wanted, every one when absent. 0 with *parts_r, or
 * -1 with a 400 naming the unknown part in resp. */
static int api_stats_parts(struct api_request *req, struct api_response *resp,
			   unsigned int *parts_r)
{
	const char *p = api_query(req, "parts"), *end;
	size_t len, i;

	*parts_r = p == NULL ? STATS_ALL : 0;
	while (p != NULL && *p != '\0') {
		end = strchr(p, ',');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		for (i = 0; api_stats_part_names[i] != NULL; i++) {
			if (strlen(api_stats_part_names[i]) == len &&
			    strncmp(api_stats_part_names[i], p, len) == 0)
				break;
		}
		if (api_stats_part_names[i] == NULL) {
			api_error(resp, 400, "bad_parameter",
				  "parts: '%.*s' is not one of counts, promotion, series, backlog,"
				  " first_response, speed, model",
				  (int)(len > 40 ? 40 : len), p);
			return -1;
		}
		*parts_r |= 1u << i;
		p = end != NULL ? end + 1 : NULL;
	}
	if (*parts_r == 0) {
		api_error(resp, 400, "bad_parameter", "parts names no part");
		return -1;
	}
	return 0;
}

void api_stats_get(struct api_request *req, struct api_response *resp)
{
	static const char *const allowed[] = {"days", "parts", NULL};
	struct store *store;
	json_t *result = NULL, *promo = NULL, *model, *series = NULL, *backlog = NULL,
	       *first = NULL, *speed = NULL;
	unsigned int days, parts;
	double threshold = req->config->agent.unchanged_threshold;
	uint32_t window = req->config->agent.stats_window;

	if (api_query_check(req, resp, allowed) < 0 || api_stats_days(req, resp, &days) < 0 ||
	    api_stats_parts(req, resp, &parts) < 0 || (store = api_store(req, resp)) == NULL)
		return;
	if (((parts & STATS_COUNTS) && store_review_stats(store, threshold, &result) < 0) ||
	    ((parts & STATS_PROMOTION) && promotion_stats(store, req->config, &promo) < 0) ||
	    ((parts & STATS_SERIES) && store_review_series(store, days, threshold, &series) < 0) ||
	    ((parts & STATS_BACKLOG) &&
	     backlog_read(store, req->config->api.backlog_max_age, &backlog) < 0) ||
	    ((parts & STATS_FIRST_RESPONSE) &&
	     store_outcome_first_response(store, window, &first) < 0) ||
	    ((parts & STATS_SPEED) &&
	     store_review_speed(store, window, REVIEW_SPEED_BREAK_S, &speed) < 0)) {
		api_error_store(resp, store);
		goto out;
	}
	if (result == NULL)
		result = json_pack("{s:[]}", "categories");
	if (result == NULL ||
	    (promo != NULL && api_stats_merge(result, promo, parts & STATS_COUNTS) < 0)) {
		api_error(resp, 500, "internal", "out of memory");
		goto out;
	}
	if (first != NULL)
		api_stats_first_response(result, first);
	/* the open messages and the oldest one's age (the page header's) */
	if (backlog != NULL)
		json_object_set_new(result, "backlog", backlog);
	backlog = NULL;
	/* the daily figures for charts (same unchanged threshold as promotion) */
	if (series != NULL)
		json_object_set_new(result, "series", series);
	series = NULL;
	/* how fast people decide: time per decision, decisions per hour */
	if (speed != NULL)
		json_object_set_new(result, "speed", speed);
	speed = NULL;
	/* the model's start-up probe: whether automatic replies may go out */
	if (parts & STATS_MODEL) {
		model = store_model_probe(store);
		json_object_set_new(result, "model", model != NULL ? model : json_null());
	}
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
