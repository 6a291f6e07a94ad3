/* GET /metrics: Prometheus text format. Database counts are read per
 * scrape; request counts are this process's, by status code. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "agent/pipeline/metrics.h"
#include "daemon/lib/buf.h"
#include "daemon/store/store_outcome.h"
#include "daemon/lib/util.h"
#include "ui-api/api.h"

#define API_METRICS_MAX (256 * 1024)

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

/* One gauge family from a {label_value: n} object. */
static int api_metrics_family(struct buf *b, const char *name, const char *help, const char *label,
			      const json_t *counts)
{
	const char *key;
	json_t *v;

	if (buf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name) < 0)
		return -1;
	json_object_foreach((json_t *)counts, key, v)
	{
		/* skip reasons come from mail headers: escape every label value */
		if (buf_printf(b, "%s{%s=", name, label) < 0 || metrics_label(b, key) < 0 ||
		    buf_printf(b, "} %lld\n", (long long)json_integer_value(v)) < 0)
			return -1;
	}
	return 0;
}

/* The backlog: open messages by queue, how many, and the oldest one's age. */
static int api_metrics_backlog(struct buf *b, struct store *store)
{
	static const char *const queues[] = {"review", "sending", "drafting", "human"};
	json_t *bl = NULL;
	size_t i;
	int bad = 0;

	if (store_outcome_backlog(store, &bl) < 0)
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

void api_metrics_get(struct api_request *req, struct api_response *resp)
{
	struct store *store;
	json_t *m = NULL;
	struct buf b;
	size_t i;
	int bad = 0;

	if (api_query_check(req, resp, NULL) < 0 || (store = api_store(req, resp)) == NULL)
		return;
	if (store_review_metrics(store, &m) < 0) {
		api_error_store(resp, store);
		return;
	}
	buf_init(&b, API_METRICS_MAX);
	bad |= api_metrics_family(&b, "draftd_messages", "Stored messages by state.", "state",
				  json_object_get(m, "messages"));
	bad |= api_metrics_family(&b, "draftd_drafts", "Drafts by status.", "status",
				  json_object_get(m, "drafts"));
	bad |= api_metrics_family(&b, "draftd_jobs", "Pipeline jobs by state.", "state",
				  json_object_get(m, "jobs"));
	bad |= buf_printf(&b,
			  "# HELP draftd_jobs_ready Queued jobs due now (queue depth).\n"
			  "# TYPE draftd_jobs_ready gauge\ndraftd_jobs_ready %lld\n",
			  (long long)json_integer_value(json_object_get(m, "jobs_ready")));
	bad |= api_metrics_family(&b, "draftd_messages_by_status",
				  "Messages by status (open, replied, closed, skipped).", "status",
				  json_object_get(m, "messages_by_status"));
	bad |= api_metrics_backlog(&b, store);
	bad |= api_metrics_family(&b, "draftd_decisions", "Drafts by the decide step's outcome.",
				  "decision", json_object_get(m, "decisions"));
	bad |= api_metrics_family(&b, "draftd_outbox", "Outbox rows by state.", "state",
				  json_object_get(m, "outbox"));
	bad |= api_metrics_family(&b, "draftd_skips", "Skipped messages by reason.", "reason",
				  json_object_get(m, "skips"));
	bad |= api_metrics_family(&b, "draftd_guardrail_flags",
				  "Guardrail flags on drafts by name.", "flag",
				  json_object_get(m, "guard_flags"));
	bad |= metrics_render(&b);
	bad |= buf_printf(&b, "# HELP draftd_api_requests_total API requests answered, by"
			      " status code.\n# TYPE draftd_api_requests_total counter\n");
	for (i = 0; i <= ARRAY_SIZE(api_codes); i++) {
		char code[16];

		if (i < ARRAY_SIZE(api_codes))
			snprintf(code, sizeof(code), "%u", api_codes[i]);
		else
			snprintf(code, sizeof(code), "other");
		bad |= buf_printf(&b, "draftd_api_requests_total{code=\"%s\"} %lu\n", code,
				  atomic_load(&api_code_counts[i]));
	}
	json_decref(m);
	if (bad != 0) {
		buf_free(&b);
		api_error(resp, 500, "internal", "metrics too large");
		return;
	}
	resp->status = 200;
	resp->text_len = b.len;
	resp->text = buf_steal(&b);
	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
}
