/* SPDX-License-Identifier: MIT */
/* draftd stats: the per-category promotion evidence of GET /stats. */
#include <stdio.h>
#include <string.h>

#include "daemon/cmd.h"
#include "daemon/promotion/promotion.h"
#include "daemon/store/store_outcome.h"
#include "daemon/store/store_pipeline.h"
#include "daemon/store/store_review.h"
#include "daemon/store/store_review_series.h"
#include "daemon/lib/util.h"

static long field(const json_t *row, const char *key)
{
	return (long)json_integer_value(json_object_get(row, key));
}

/* The model backend's start-up probe, as the workers last recorded it. */
static void model_print(const json_t *model)
{
	if (!json_is_object(model)) {
		printf("model: no probe recorded yet (draftd run or process has not started)\n");
		return;
	}
	printf("model: %s (%s); automatic replies %s: %s\n",
	       json_string_value(json_object_get(model, "backend")),
	       json_string_value(json_object_get(model, "model")),
	       json_is_true(json_object_get(model, "auto_reply_ok")) ? "allowed" : "DISABLED",
	       json_string_value(json_object_get(model, "detail")));
}

static void stats_print(const json_t *stats)
{
	const json_t *row, *sh, *sa;
	size_t i;

	printf("automatic replies: %s; window %llds; unchanged = edit distance <= %.2f\n",
	       json_is_true(json_object_get(stats, "auto_enabled")) ? "on" : "OFF",
	       (long long)json_integer_value(json_object_get(stats, "window_seconds")),
	       json_number_value(json_object_get(stats, "unchanged_threshold")));
	model_print(json_object_get(stats, "model"));
	printf("%-16s %-6s %8s %9s %6s %8s %5s %7s %6s %4s %-9s %-13s %s\n", "category", "mode",
	       "reviewed", "unchanged", "edited", "rejected", "wrong", "lower95", "target", "min",
	       "eligible", "shadow w/a", "samples f/b/n");
	json_array_foreach(json_object_get(stats, "categories"), i, row)
	{
		char shadow[32], samples[32];

		sh = json_object_get(row, "shadow");
		sa = json_object_get(row, "samples");
		snprintf(shadow, sizeof(shadow), "%ld/%ld", field(sh, "would_auto"),
			 field(sh, "agreed"));
		snprintf(samples, sizeof(samples), "%ld/%ld/%ld", field(sa, "fine"),
			 field(sa, "bad"), field(sa, "sampled"));
		printf("%-16s %-6s %8ld %9ld %6ld %8ld %5ld %7.4f %6.2f %4ld %-9s %-13s %s\n",
		       json_string_value(json_object_get(row, "category")),
		       json_string_value(json_object_get(row, "mode")), field(row, "reviewed"),
		       field(row, "approved_unchanged"), field(row, "approved_edited"),
		       field(row, "rejected"), field(row, "rejected_wrong"),
		       json_number_value(json_object_get(row, "unchanged_lower_bound")),
		       json_number_value(json_object_get(row, "target_rate")),
		       field(row, "min_samples"),
		       json_is_true(json_object_get(row, "eligible"))     ? "yes"
		       : json_is_true(json_object_get(row, "never_auto")) ? "never"
									  : "no",
		       shadow, samples);
	}
}

/* Seconds as "3d 4h", "2h 5m", "7m 3s" or "12s"; "-" for null. */
static void duration_text(const json_t *v, char *out, size_t size)
{
	long long s;

	if (!json_is_number(v)) {
		snprintf(out, size, "-");
		return;
	}
	s = (long long)json_number_value(v);
	if (s >= 86400)
		snprintf(out, size, "%lldd %lldh", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(out, size, "%lldh %lldm", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(out, size, "%lldm %llds", s / 60, s % 60);
	else
		snprintf(out, size, "%llds", s);
}

/* The messages: where they stand, the backlog and how fast replies go out. */
static void outcome_print(const json_t *backlog, const json_t *first)
{
	const json_t *by = json_object_get(backlog, "by_status"), *f;
	const char *name;
	char age[32], med[32], p90[32];

	duration_text(json_object_get(backlog, "oldest_open_age_seconds"), age, sizeof(age));
	printf("backlog: %ld open (in review %ld, sending %ld, drafting %ld, needs a human %ld);"
	       " oldest open: %s\n",
	       field(backlog, "open"), field(backlog, "review"), field(backlog, "sending"),
	       field(backlog, "drafting"), field(backlog, "human"), age);
	printf("messages: open %ld, replied %ld, closed %ld, skipped %ld\n", field(by, "open"),
	       field(by, "replied"), field(by, "closed"), field(by, "skipped"));
	f = json_object_get(first, "overall");
	duration_text(json_object_get(f, "median_seconds"), med, sizeof(med));
	duration_text(json_object_get(f, "p90_seconds"), p90, sizeof(p90));
	printf("first response (replies sent in the window): %ld, median %s, p90 %s\n",
	       field(f, "replied"), med, p90);
	json_object_foreach((json_t *)json_object_get(first, "categories"), name, f)
	{
		duration_text(json_object_get(f, "median_seconds"), med, sizeof(med));
		duration_text(json_object_get(f, "p90_seconds"), p90, sizeof(p90));
		printf("  %-16s %6ld replied, median %s, p90 %s\n", name, field(f, "replied"), med,
		       p90);
	}
}

/* A number of a series day, or "-" for null, right-aligned in width. */
static void series_cell(const json_t *day, const char *key, int width, int digits)
{
	const json_t *v = json_object_get(day, key);

	if (json_is_number(v))
		printf(" %*.*f", width, digits, json_number_value(v));
	else
		printf(" %*s", width, "-");
}

/* The overall daily series, oldest first. */
static void series_print(const json_t *series)
{
	const json_t *day;
	size_t i;

	printf("\ndaily, overall (UTC) %s to %s; rate = unchanged / reviewed\n",
	       json_string_value(json_object_get(series, "from")),
	       json_string_value(json_object_get(series, "to")));
	printf("%-10s %6s %5s %8s %9s %6s %8s %6s %9s %11s\n", "day", "drafts", "auto", "reviewed",
	       "unchanged", "edited", "rejected", "rate", "mean edit", "median secs");
	json_array_foreach(json_object_get(series, "overall"), i, day)
	{
		printf("%-10s %6ld %5ld %8ld %9ld %6ld %8ld",
		       json_string_value(json_object_get(day, "day")), field(day, "drafts"),
		       field(day, "auto_sent"), field(day, "reviewed"),
		       field(day, "approved_unchanged"), field(day, "approved_edited"),
		       field(day, "rejected"));
		series_cell(day, "unchanged_rate", 6, 2);
		series_cell(day, "mean_edit_distance", 9, 3);
		series_cell(day, "median_decision_seconds", 11, 0);
		putchar('\n');
	}
}

/* The options after --config: --json, --rebuild and --days N, in any
 * order. 0, or 2 on a usage error (reported). */
static int stats_options(int argc, char **argv, bool *as_json_r, bool *rebuild_r,
			 unsigned int *days_r)
{
	uint64_t v;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			*as_json_r = true;
		} else if (strcmp(argv[i], "--rebuild") == 0) {
			*rebuild_r = true;
		} else if (strcmp(argv[i], "--days") == 0 && i + 1 < argc &&
			   parse_u64(argv[i + 1], REVIEW_SERIES_MAX_DAYS, &v) == 0 && v >= 1) {
			*days_r = (unsigned int)v;
			i++;
		} else {
			if (strcmp(argv[i], "--days") == 0)
				fprintf(stderr,
					"draftd stats: --days takes a number from 1 to %d\n",
					REVIEW_SERIES_MAX_DAYS);
			fprintf(stderr, "usage: draftd stats%s", cmd_stats.usage);
			return 2;
		}
	}
	return 0;
}

static int stats_main(int argc, char **argv)
{
	struct cmd_common common;
	struct config *config = NULL;
	struct store *store = NULL;
	json_t *stats = NULL, *model, *series = NULL, *backlog = NULL, *first = NULL;
	struct error err;
	bool as_json = false, rebuild = false;
	unsigned int days = 0;
	uint64_t rows;
	int r = cmd_parse_common(&cmd_stats, &argc, argv, &common, false), ret = 1;

	if (r != 0)
		return r == 1 ? 0 : r;
	if (stats_options(argc, argv, &as_json, &rebuild, &days) != 0)
		return 2;
	if (cmd_load_config(config_path(common.config_path), &config) < 0)
		goto out;
	if (store_open(config->database.url, config->database.connect_timeout, &store, &err) < 0) {
		fprintf(stderr, "draftd stats: %s\n", error_msg(&err));
		goto out;
	}
	/* the rollups are kept in step by the drafts' trigger; this is for
	 * after a restore or a change made with the trigger disabled */
	if (rebuild) {
		if (store_rollup_rebuild(store, &rows) < 0) {
			fprintf(stderr, "draftd stats: %s\n", store_error(store));
			goto out;
		}
		fprintf(stderr,
			"draftd stats: statistics rollups rebuilt from the drafts (%llu rows)\n",
			(unsigned long long)rows);
	}
	if (promotion_stats(store, config, &stats) < 0 ||
	    store_outcome_backlog(store, &backlog) < 0 ||
	    store_outcome_first_response(store, config->agent.stats_window, &first) < 0) {
		fprintf(stderr, "draftd stats: %s\n", store_error(store));
		goto out;
	}
	if (days > 0 &&
	    store_review_series(store, days, config->agent.unchanged_threshold, &series) < 0) {
		fprintf(stderr, "draftd stats: %s\n", store_error(store));
		goto out;
	}
	model = store_model_probe(store);
	json_object_set_new(stats, "model", model != NULL ? model : json_null());
	if (series != NULL)
		json_object_set(stats, "series", series);
	json_object_set(stats, "backlog", backlog);
	json_object_set(stats, "first_response", first);
	if (as_json) {
		if (json_dumpf(stats, stdout, JSON_INDENT(2) | JSON_SORT_KEYS) < 0)
			goto out;
		putchar('\n');
	} else {
		outcome_print(backlog, first);
		stats_print(stats);
		if (series != NULL)
			series_print(series);
	}
	ret = 0;
out:
	json_decref(stats);
	json_decref(series);
	json_decref(backlog);
	json_decref(first);
	store_close(&store);
	config_unref(&config);
	return ret;
}

const struct cmd cmd_stats = {
	.name = "stats",
	.summary = "message states, the backlog, per-category review and promotion evidence",
	.usage = " [--json] [--days N] [--rebuild] [--config FILE]\n\n"
		 "First the messages: open (by where they wait), replied, closed, skipped, the\n"
		 "age of the oldest open one and the first-response time (arrival to reply\n"
		 "sent) over [agent] stats_window, overall and per category.\n"
		 "Then one line per category over [agent] stats_window: reviewed, approved "
		 "unchanged,\n"
		 "edited, rejected (wrong: with a corrected category or a reason starting with\n"
		 "\"wrong\"), the 95% Wilson lower bound of the unchanged rate, target and\n"
		 "min_samples, eligibility (never: complaint, legal, never_auto), shadow results\n"
		 "(would auto / agreed) and post-send samples (fine/bad/sampled).\n"
		 "--days N (1..366) adds the overall daily figures of the last N UTC days\n"
		 "(drafts, automatic replies, human decisions, rate, mean edit distance, median\n"
		 "seconds to a decision), as GET /api/v1/stats?days=N's series.\n"
		 "--json prints the same as GET /api/v1/stats' promotion fields (and \"series\"\n"
		 "with --days).\n"
		 "--rebuild first recomputes the statistics rollups (the all-time counts and the\n"
		 "daily series read them) from the drafts; writers of drafts wait meanwhile.\n",
	.main = stats_main,
};
