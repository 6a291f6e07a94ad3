/* SPDX-License-Identifier: MIT */
/* The /metrics families read from the database per scrape, and the REST
 * server's request counts by status code. Counts that must add up across
 * instances sharing the database (messages, drafts, the outbox, the
 * backlog) come from here; this process's own counters from daemon/metrics
 * and agent/pipeline/metrics. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "agent/pipeline/metrics.h"
#include "daemon/lib/buf.h"
#include "daemon/lib/util.h"
#include "daemon/metrics/obs.h"
#include "daemon/store/store_metrics.h"
#include "daemon/store/store_outcome.h"
#include "daemon/store/store_review.h"
#include "ui-api/api.h"
#include "ui-api/backlog_cache.h"
#include "ui-api/metrics_server.h"

static const unsigned int api_codes[] = {200, 201, 202, 204, 304, 400, 401, 403, 404,
					 405, 409, 412, 413, 428, 431, 500, 503};
static atomic_ulong api_code_counts[ARRAY_SIZE(api_codes) + 1]; /* last: any other code */

void api_metrics_count(unsigned int status)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(api_codes); i++) {
		if (api_codes[i] == status)
			break;
	}
	atomic_fetch_add(&api_code_counts[i], 1);
}

int metrics_api_requests(struct buf *b)
{
	uint64_t by_request, by_refresh;
	size_t i;
	int bad = 0;

	bad |= buf_printf(b, "# HELP draftd_api_requests_total API requests answered, by"
			     " status code.\n# TYPE draftd_api_requests_total counter\n");
	for (i = 0; i <= ARRAY_SIZE(api_codes); i++) {
		char code[16];

		if (i < ARRAY_SIZE(api_codes))
			snprintf(code, sizeof(code), "%u", api_codes[i]);
		else
			snprintf(code, sizeof(code), "other");
		bad |= buf_printf(b, "draftd_api_requests_total{code=\"%s\"} %lu\n", code,
				  atomic_load(&api_code_counts[i]));
	}
	/* this process's backlog computations: "refresh" is the background
	 * refresher's, "request" one a request waited for (a scrape's own is
	 * counted after this line: the database families come later) */
	backlog_cache_counts(&by_request, &by_refresh);
	bad |= buf_printf(b,
			  "# HELP draftd_backlog_computations_total Backlog computations by who"
			  " made them: a request that waited for it, or the background"
			  " refresher.\n# TYPE draftd_backlog_computations_total counter\n"
			  "draftd_backlog_computations_total{by=\"request\"} %llu\n"
			  "draftd_backlog_computations_total{by=\"refresh\"} %llu\n",
			  (unsigned long long)by_request, (unsigned long long)by_refresh);
	return bad != 0 ? -1 : 0;
}

/* One gauge family from a {label_value: n} object. Values are made
 * snake_case (skip reasons and flags are free text), and two that become
 * the same are added up: a series appears once. */
static int metrics_family(struct buf *b, const char *name, const char *help, const char *label,
			  const json_t *counts)
{
	json_t *merged = json_object(), *v;
	const char *key;
	char snake[128];
	int bad = merged == NULL;

	json_object_foreach((json_t *)counts, key, v)
	{
		obs_snake(key, snake, sizeof(snake));
		bad |= json_object_set_new(
			       merged, snake,
			       json_integer(json_integer_value(v) +
					    json_integer_value(json_object_get(merged, snake)))) <
		       0;
	}
	bad |= buf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
	json_object_foreach(merged, key, v) bad |= buf_printf(
		b, "%s{%s=\"%s\"} %lld\n", name, label, key, (long long)json_integer_value(v));
	json_decref(merged);
	return bad != 0 ? -1 : 0;
}

/* The backlog: open messages by queue, how many, and the oldest one's age. */
static int metrics_backlog(struct buf *b, struct store *store, unsigned int max_age)
{
	static const char *const queues[] = {"review", "sending", "drafting", "human"};
	json_t *bl = NULL;
	size_t i;
	int bad = 0;

	if (backlog_read_scrape(store, max_age, &bl) < 0)
		return -1;
	bad |= buf_printf(b, "# HELP draftd_backlog Open messages by where they wait.\n"
			     "# TYPE draftd_backlog gauge\n");
	for (i = 0; i < ARRAY_SIZE(queues); i++)
		bad |= buf_printf(b, "draftd_backlog{queue=\"%s\"} %lld\n", queues[i],
				  (long long)json_integer_value(json_object_get(bl, queues[i])));
	bad |= buf_printf(
		b,
		"# HELP draftd_open_messages Messages open (not replied, closed or"
		" skipped).\n# TYPE draftd_open_messages gauge\ndraftd_open_messages %lld\n"
		"# HELP draftd_oldest_open_message_age_seconds Age of the oldest open"
		" message (0: none).\n# TYPE draftd_oldest_open_message_age_seconds gauge\n"
		"draftd_oldest_open_message_age_seconds %lld\n",
		(long long)json_integer_value(json_object_get(bl, "open")),
		(long long)json_integer_value(json_object_get(bl, "oldest_open_age_seconds")));
	json_decref(bl);
	return bad != 0 ? -1 : 0;
}

/* The kill switch, each category's mode (one series per mode, 1 for the
 * current one, so a change is a plain expression) and the outbox queue. */
static int metrics_ops(struct buf *b, struct store *store)
{
	static const char *const modes[] = {"off", "draft", "shadow", "auto"};
	json_t *ops = NULL, *v;
	const char *name;
	size_t i;
	int bad = 0;

	if (store_metrics_ops(store, &ops) < 0)
		return -1;
	bad |= buf_printf(b,
			  "# HELP draftd_auto_replies_enabled The kill switch: 1 when automatic"
			  " replies are on, 0 when switched off.\n"
			  "# TYPE draftd_auto_replies_enabled gauge\n"
			  "draftd_auto_replies_enabled %d\n",
			  json_is_true(json_object_get(ops, "auto_enabled")) ? 1 : 0);
	bad |= buf_printf(b, "# HELP draftd_category_mode Each category's mode: 1 for the"
			     " current one.\n# TYPE draftd_category_mode gauge\n");
	json_object_foreach(json_object_get(ops, "category_modes"), name, v)
	{
		for (i = 0; i < ARRAY_SIZE(modes); i++) {
			bad |= buf_append_str(b, "draftd_category_mode{category=");
			bad |= obs_label(b, name);
			bad |= buf_printf(
				b, ",mode=\"%s\"} %d\n", modes[i],
				strcmp(json_string_value(v) != NULL ? json_string_value(v) : "",
				       modes[i]) == 0);
		}
	}
	bad |= buf_printf(
		b,
		"# HELP draftd_outbox_queued Replies waiting to be sent (pending, sending"
		" or uncertain).\n# TYPE draftd_outbox_queued gauge\ndraftd_outbox_queued %lld\n"
		"# HELP draftd_outbox_oldest_queued_age_seconds Age of the oldest reply"
		" waiting to be sent (0: none).\n"
		"# TYPE draftd_outbox_oldest_queued_age_seconds gauge\n"
		"draftd_outbox_oldest_queued_age_seconds %lld\n",
		(long long)json_integer_value(json_object_get(ops, "outbox_queued")),
		(long long)json_integer_value(
			json_object_get(ops, "outbox_oldest_queued_age_seconds")));
	json_decref(ops);
	return bad != 0 ? -1 : 0;
}

int metrics_database(struct buf *b, struct store *store, unsigned int backlog_max_age)
{
	json_t *m = NULL;
	int bad = 0;

	if (store_review_metrics(store, &m) < 0)
		return -1;
	bad |= metrics_family(b, "draftd_messages", "Stored messages by pipeline state.", "state",
			      json_object_get(m, "messages"));
	bad |= metrics_family(b, "draftd_drafts", "Drafts by status.", "status",
			      json_object_get(m, "drafts"));
	bad |= metrics_family(b, "draftd_jobs", "Pipeline jobs by state.", "state",
			      json_object_get(m, "jobs"));
	bad |= buf_printf(b,
			  "# HELP draftd_jobs_ready Queued jobs due now (queue depth).\n"
			  "# TYPE draftd_jobs_ready gauge\ndraftd_jobs_ready %lld\n",
			  (long long)json_integer_value(json_object_get(m, "jobs_ready")));
	bad |= metrics_family(b, "draftd_messages_by_status",
			      "Messages by status (open, replied, closed, skipped).", "status",
			      json_object_get(m, "messages_by_status"));
	bad |= metrics_backlog(b, store, backlog_max_age);
	bad |= metrics_family(b, "draftd_decisions", "Drafts by the decide step's outcome.",
			      "decision", json_object_get(m, "decisions"));
	bad |= metrics_family(b, "draftd_outbox", "Outbox rows by state.", "state",
			      json_object_get(m, "outbox"));
	bad |= metrics_family(b, "draftd_skips", "Skipped messages by reason.", "reason",
			      json_object_get(m, "skips"));
	bad |= metrics_family(b, "draftd_guardrail_flags", "Guardrail flags on drafts by name.",
			      "flag", json_object_get(m, "guard_flags"));
	json_decref(m);
	bad |= metrics_ops(b, store);
	return bad != 0 ? -1 : 0;
}
