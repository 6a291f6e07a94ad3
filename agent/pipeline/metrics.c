/* SPDX-License-Identifier: MIT */
#include "agent/pipeline/metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "daemon/lib/slot.h"
#include "daemon/lib/util.h"
#include "daemon/metrics/obs.h"

#define METRICS_NAMES_MAX 32 /* distinct outcomes or connectors tracked */

/* Upper bounds of the latency buckets, in milliseconds. */
static const uint64_t bucket_ms[] = {100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000};
#define BUCKETS (ARRAY_SIZE(bucket_ms) + 1) /* the last is +Inf */

struct histogram {
	atomic_uint_fast64_t buckets[BUCKETS];
	atomic_uint_fast64_t sum_ms;
	atomic_uint_fast64_t failures;
};

/* A fixed table of names claimed on first use: no allocation, and a name
 * once claimed never moves, so counting needs no lock. */
struct named {
	struct slot slot; /* first: the name, claimed once (daemon/lib/slot.h) */
	struct histogram h;
	atomic_uint_fast64_t count;
};

static struct histogram model;
static atomic_int model_in_flight;
static struct named outcomes[METRICS_NAMES_MAX];
static struct named connectors[METRICS_NAMES_MAX];
static struct slot_table outcome_slots = SLOT_TABLE_INIT(outcomes);
static struct slot_table connector_slots = SLOT_TABLE_INIT(connectors);

static void histogram_add(struct histogram *h, uint64_t ms, bool ok)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bucket_ms) && ms > bucket_ms[i]; i++)
		;
	atomic_fetch_add(&h->buckets[i], 1);
	atomic_fetch_add(&h->sum_ms, ms);
	if (!ok)
		atomic_fetch_add(&h->failures, 1);
}

/* NULL: table full, the name goes uncounted rather than unbounded */
static struct named *named_get(struct slot_table *table, const char *name)
{
	return (struct named *)slot_get(table, name);
}

void metrics_model_request(uint64_t ms, bool ok)
{
	histogram_add(&model, ms, ok);
}

void metrics_model_in_flight(int delta)
{
	atomic_fetch_add(&model_in_flight, delta);
}

void metrics_pipeline_outcome(const char *outcome)
{
	struct named *n = named_get(&outcome_slots, outcome);

	if (n != NULL)
		atomic_fetch_add(&n->count, 1);
}

void metrics_connector(const char *name, uint64_t ms, bool ok)
{
	struct named *n = named_get(&connector_slots, name);

	if (n != NULL) {
		atomic_fetch_add(&n->count, 1);
		histogram_add(&n->h, ms, ok);
	}
}

/* NAME_bucket{LABELS,le=".."} lines, _sum and _count; labels may be "". */
static int histogram_render(struct buf *b, const char *metric, const char *labels,
			    const struct histogram *h)
{
	uint64_t cumulative = 0;
	const char *sep = labels[0] != '\0' ? "," : "";
	const char *open = labels[0] != '\0' ? "{" : "", *close = labels[0] != '\0' ? "}" : "";
	size_t i;
	int bad = 0;

	for (i = 0; i < BUCKETS; i++) {
		cumulative += atomic_load(&h->buckets[i]);
		if (i < ARRAY_SIZE(bucket_ms))
			bad |= buf_printf(b, "%s_bucket{%s%sle=\"%.3g\"} %llu\n", metric, labels,
					  sep, (double)bucket_ms[i] / 1000.0,
					  (unsigned long long)cumulative);
		else
			bad |= buf_printf(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", metric, labels,
					  sep, (unsigned long long)cumulative);
	}
	bad |= buf_printf(b, "%s_sum%s%s%s %.3f\n%s_count%s%s%s %llu\n", metric, open, labels,
			  close, (double)atomic_load(&h->sum_ms) / 1000.0, metric, open, labels,
			  close, (unsigned long long)cumulative);
	return bad;
}

int metrics_render(struct buf *b)
{
	char labels[128];
	size_t i;
	int bad = 0;

	bad |= buf_append_str(b, "# HELP draftd_model_request_seconds Model requests by duration.\n"
				 "# TYPE draftd_model_request_seconds histogram\n");
	bad |= histogram_render(b, "draftd_model_request_seconds", "", &model);
	bad |= buf_printf(
		b,
		"# HELP draftd_model_errors_total Model requests that gave no draft.\n"
		"# TYPE draftd_model_errors_total counter\ndraftd_model_errors_total %llu\n",
		(unsigned long long)atomic_load(&model.failures));
	bad |= buf_printf(b,
			  "# HELP draftd_model_requests_in_flight Model requests waiting for an"
			  " answer now.\n# TYPE draftd_model_requests_in_flight gauge\n"
			  "draftd_model_requests_in_flight %d\n",
			  atomic_load(&model_in_flight));
	bad |= buf_append_str(b, "# HELP draftd_pipeline_runs_total Pipeline runs by outcome.\n"
				 "# TYPE draftd_pipeline_runs_total counter\n");
	for (i = 0; i < METRICS_NAMES_MAX; i++) {
		if (!atomic_load(&outcomes[i].slot.used))
			continue;
		bad |= buf_append_str(b, "draftd_pipeline_runs_total{outcome=");
		bad |= obs_label_snake(b, outcomes[i].slot.name);
		bad |= buf_printf(b, "} %llu\n",
				  (unsigned long long)atomic_load(&outcomes[i].count));
	}
	bad |= buf_append_str(b, "# HELP draftd_connector_seconds Connector lookups by duration.\n"
				 "# TYPE draftd_connector_seconds histogram\n");
	for (i = 0; i < METRICS_NAMES_MAX; i++) {
		struct buf l;

		if (!atomic_load(&connectors[i].slot.used))
			continue;
		buf_init(&l, sizeof(labels) - 1);
		bad |= buf_append_str(&l, "connector=");
		bad |= obs_label(&l, connectors[i].slot.name);
		if (l.data != NULL)
			str_copy(labels, sizeof(labels), l.data);
		buf_free(&l);
		bad |= histogram_render(b, "draftd_connector_seconds", labels, &connectors[i].h);
	}
	bad |= buf_append_str(
		b, "# HELP draftd_connector_errors_total Connector lookups that failed.\n"
		   "# TYPE draftd_connector_errors_total counter\n");
	for (i = 0; i < METRICS_NAMES_MAX; i++) {
		if (!atomic_load(&connectors[i].slot.used))
			continue;
		bad |= buf_append_str(b, "draftd_connector_errors_total{connector=");
		bad |= obs_label(b, connectors[i].slot.name);
		bad |= buf_printf(b, "} %llu\n",
				  (unsigned long long)atomic_load(&connectors[i].h.failures));
	}
	return bad != 0 ? -1 : 0;
}
