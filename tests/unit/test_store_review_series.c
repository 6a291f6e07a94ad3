/* SPDX-License-Identifier: MIT */
/* store_review_series() on the real test Postgres: the unchanged threshold
 * is the caller's (table-driven), the day count is clamped, human decisions
 * only, and the grid is complete. */
#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

#include "daemon/store/store.h"
#include "daemon/store/store_review_series.h"
#include "daemon/lib/util.h"
#include "tests/unit/harness.h"

static const char *db_url;

/* Yesterday (UTC): four approvals with edit distances 0, 0.03, 0.1, 0.3
 * decided 60..240 s after creation, a rejection (300 s), and an automatic
 * reply that is no human decision. */
static int series_init(void)
{
	static const char *const fixtures =
		"INSERT INTO mailboxes (name, imap_url, imap_user) VALUES ('s', 'imap://x', 'u');"
		"INSERT INTO messages (mailbox_id, uidvalidity, uid, sha256, raw_size)"
		" SELECT 1, 1, g, sha256(g::text::bytea), 1 FROM generate_series(1, 6) g;"
		"INSERT INTO drafts (message_id, category, status, reviewer, edit_distance,"
		" reject_reason, created_at, decided_at)"
		" SELECT g, 'fx', CASE g WHEN 5 THEN 'rejected' WHEN 6 THEN 'auto_sent' ELSE "
		"'sent' END,"
		" CASE g WHEN 6 THEN 'auto' ELSE 'erin' END,"
		" (ARRAY[0, 0.03, 0.1, 0.3, NULL, 0])[g], CASE g WHEN 5 THEN 'no' END,"
		" t, t + make_interval(secs => 60 * g) FROM generate_series(1, 6) g,"
		" (SELECT (date_trunc('day', now() AT TIME ZONE 'UTC') - interval '1 day'"
		"  + interval '6 hours') AT TIME ZONE 'UTC' AS t) x;";

	db_url = test_store_database("draftd_test_review_series", fixtures);
	return db_url != NULL ? 0 : -1;
}

static json_t *series_get(unsigned int days, double threshold)
{
	struct store *store = NULL;
	json_t *result = NULL;
	struct error err;

	if (store_open(db_url, 5, &store, &err) < 0)
		return NULL;
	if (store_review_series(store, days, threshold, &result) < 0)
		fprintf(stderr, "series: %s\n", store_error(store));
	store_close(&store);
	return result;
}

/* The fx category's day at offset from the end (-1 today). */
static const json_t *series_fx_day(const json_t *series, int offset)
{
	const json_t *c, *days;
	size_t i;

	json_array_foreach(json_object_get(series, "categories"), i, c)
	{
		const char *name = json_string_value(json_object_get(c, "category"));

		if (name != NULL && strcmp(name, "fx") == 0) {
			days = json_object_get(c, "days");
			return json_array_get(days, json_array_size(days) + offset);
		}
	}
	return NULL;
}

static long long series_int(const json_t *day, const char *key)
{
	return json_integer_value(json_object_get(day, key));
}

static void test_series_threshold(void)
{
	static const struct {
		double threshold;
		long long unchanged, edited;
	} cases[] = {{0.05, 2, 2}, {0, 1, 3}, {0.2, 3, 1}, {1, 4, 0}};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		json_t *s = series_get(7, cases[i].threshold);
		const json_t *d = series_fx_day(s, -2);

		CU_ASSERT_PTR_NOT_NULL_FATAL(d);
		CU_ASSERT_EQUAL(series_int(d, "reviewed"), 5);
		CU_ASSERT_EQUAL(series_int(d, "rejected"), 1);
		CU_ASSERT_EQUAL(series_int(d, "approved_unchanged"), cases[i].unchanged);
		CU_ASSERT_EQUAL(series_int(d, "approved_edited"), cases[i].edited);
		CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(d, "unchanged_rate")),
				       cases[i].unchanged / 5.0, 1e-9);
		json_decref(s);
	}
}

static void test_series_figures(void)
{
	json_t *s = series_get(7, 0.05);
	const json_t *d = series_fx_day(s, -2), *today = series_fx_day(s, -1), *r;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(series_int(d, "drafts"), 6);
	CU_ASSERT_EQUAL(series_int(d, "auto_sent"), 1);
	/* mean of the approvals only; median of the five human decisions, read
	 * from the rollups' histogram (log buckets of ratio 1.1: within 5%) */
	CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(d, "mean_edit_distance")),
			       (0 + 0.03 + 0.1 + 0.3) / 4, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(d, "median_decision_seconds")),
			       180, 180 * 0.05);
	CU_ASSERT_EQUAL(series_int(today, "drafts"), 0);
	CU_ASSERT_TRUE(json_is_null(json_object_get(today, "median_decision_seconds")));
	/* one human reviewer: 'auto' is none */
	CU_ASSERT_EQUAL(json_array_size(json_object_get(s, "reviewers")), 1);
	r = json_array_get(json_object_get(s, "reviewers"), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "reviewer")), "erin");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(r, "days")), 7);
	CU_ASSERT_PTR_NULL(
		json_object_get(json_array_get(json_object_get(r, "days"), 5), "drafts"));
	CU_ASSERT_EQUAL(series_int(json_array_get(json_object_get(r, "days"), 5), "reviewed"), 5);
	json_decref(s);
}

static void test_series_days_clamped(void)
{
	static const struct {
		unsigned int days;
		size_t want;
	} cases[] = {{0, 1}, {1, 1}, {30, 30}, {366, 366}, {5000, 366}};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		json_t *s = series_get(cases[i].days, 0.05);

		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		CU_ASSERT_EQUAL(json_array_size(json_object_get(s, "overall")), cases[i].want);
		CU_ASSERT_EQUAL(series_int(s, "days"), (long long)cases[i].want);
		json_decref(s);
	}
}

static const struct test_case series_cases[] = {
	{"the unchanged threshold is the caller's", test_series_threshold},
	{"daily figures: drafts, auto, mean, median, reviewers", test_series_figures},
	{"days are clamped to 1..366", test_series_days_clamped},
	{NULL, NULL},
};

TEST_SUITE("store_review_series", series_init, NULL, series_cases)
