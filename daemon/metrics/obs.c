/* SPDX-License-Identifier: MIT */
/* Mailbox, SMTP and build metrics (obs.h): fixed tables of atomics. */
#include "daemon/metrics/obs.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "daemon/lib/slot.h"
#include "daemon/lib/util.h"

#define OBS_MAILBOXES_MAX 64
#define OBS_INFO_MAX      512

/* Upper bounds of the SMTP latency buckets, in milliseconds. */
static const uint64_t smtp_bucket_ms[] = {100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000};
#define SMTP_BUCKETS (ARRAY_SIZE(smtp_bucket_ms) + 1) /* the last is +Inf */

static const char *const smtp_result_names[] = {"sent", "temporary_failure", "permanent_failure",
						"uncertain"};

struct obs_mailbox {
	struct slot slot; /* first: the mailbox name, claimed once (daemon/lib/slot.h) */
	atomic_int_fast64_t last_success; /* unix seconds, 0: never */
	atomic_uint_fast64_t polls, poll_errors, idle_errors;
	atomic_bool idle;
};

static pthread_mutex_t obs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct obs_mailbox mailboxes[OBS_MAILBOXES_MAX];
static struct slot_table mailbox_slots = SLOT_TABLE_INIT(mailboxes);
static atomic_uint_fast64_t smtp_buckets[SMTP_BUCKETS];
static atomic_uint_fast64_t smtp_sum_ms;
static atomic_uint_fast64_t smtp_results[ARRAY_SIZE(smtp_result_names)];
static char build_version[OBS_INFO_MAX / 4], build_commit[OBS_INFO_MAX / 4],
	build_libs[OBS_INFO_MAX];

/* NULL: more than OBS_MAILBOXES_MAX mailboxes; the rest go uncounted */
static struct obs_mailbox *obs_mailbox_get(const char *name)
{
	return (struct obs_mailbox *)slot_get(&mailbox_slots, name);
}

void obs_mailbox_poll(const char *mailbox, bool ok)
{
	struct obs_mailbox *m = obs_mailbox_get(mailbox);

	if (m == NULL)
		return;
	atomic_fetch_add(&m->polls, 1);
	if (ok)
		atomic_store(&m->last_success, (int_fast64_t)time(NULL));
	else
		atomic_fetch_add(&m->poll_errors, 1);
}

void obs_mailbox_idle(const char *mailbox, bool idle)
{
	struct obs_mailbox *m = obs_mailbox_get(mailbox);

	if (m != NULL)
		atomic_store(&m->idle, idle);
}

void obs_mailbox_idle_error(const char *mailbox)
{
	struct obs_mailbox *m = obs_mailbox_get(mailbox);

	if (m != NULL)
		atomic_fetch_add(&m->idle_errors, 1);
}

void obs_smtp_send(uint64_t ms, enum obs_smtp_result result)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(smtp_bucket_ms) && ms > smtp_bucket_ms[i]; i++)
		;
	atomic_fetch_add(&smtp_buckets[i], 1);
	atomic_fetch_add(&smtp_sum_ms, ms);
	if ((unsigned int)result < ARRAY_SIZE(smtp_result_names))
		atomic_fetch_add(&smtp_results[result], 1);
}

void obs_build_info(const char *version, const char *commit, const char *libs)
{
	pthread_mutex_lock(&obs_lock);
	str_copy(build_version, sizeof(build_version), version);
	str_copy(build_commit, sizeof(build_commit), commit);
	str_copy(build_libs, sizeof(build_libs), libs);
	pthread_mutex_unlock(&obs_lock);
}

int obs_label(struct buf *b, const char *s)
{
	int bad = buf_append_str(b, "\"");

	for (; *s != '\0' && bad == 0; s++) {
		if (*s == '\\' || *s == '"')
			bad = buf_printf(b, "\\%c", *s);
		else if (*s == '\n')
			bad = buf_append_str(b, "\\n");
		else
			bad = buf_append(b, s, 1);
	}
	return bad | buf_append_str(b, "\"");
}

void obs_snake(const char *s, char *out, size_t size)
{
	bool gap = false;
	size_t n = 0;

	for (; *s != '\0' && n + 2 < size; s++) {
		char c = *s;

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')) {
			if (gap && n > 0)
				out[n++] = '_';
			out[n++] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
			gap = false;
		} else {
			gap = true;
		}
	}
	out[n] = '\0';
	if (n == 0)
		str_copy(out, size, "unknown");
}

int obs_label_snake(struct buf *b, const char *s)
{
	char v[SLOT_NAME_MAX * 2];

	obs_snake(s, v, sizeof(v));
	return buf_printf(b, "\"%s\"", v);
}

/* draftd_build_info{version=..,commit=..,LIB=..} 1 */
static int obs_render_build(struct buf *b)
{
	char libs[OBS_INFO_MAX], *p, *next, *eq;
	int bad = 0;

	pthread_mutex_lock(&obs_lock);
	bad |= buf_append_str(b, "# HELP draftd_build_info The running build: version, commit"
				 " and the run-time versions of its libraries.\n"
				 "# TYPE draftd_build_info gauge\ndraftd_build_info{version=");
	bad |= obs_label(b, build_version[0] != '\0' ? build_version : "unknown");
	bad |= buf_append_str(b, ",commit=");
	bad |= obs_label(b, build_commit[0] != '\0' ? build_commit : "unknown");
	str_copy(libs, sizeof(libs), build_libs);
	pthread_mutex_unlock(&obs_lock);
	for (p = libs; *p != '\0' && bad == 0; p = next) {
		next = p + strcspn(p, ";");
		if (*next == ';')
			*next++ = '\0';
		eq = strchr(p, '=');
		if (eq == NULL)
			continue;
		*eq = '\0';
		bad |= buf_printf(b, ",%s=", p);
		bad |= obs_label(b, eq + 1);
	}
	return bad | buf_append_str(b, "} 1\n");
}

static int obs_render_mailboxes(struct buf *b)
{
	static const struct {
		const char *name, *type, *help;
	} fam[] = {
		{"draftd_mailbox_last_successful_poll_timestamp_seconds", "gauge",
		 "When the mailbox was last polled without an error (unix time, 0: never)."},
		{"draftd_mailbox_polls_total", "counter", "Poll passes of the mailbox."},
		{"draftd_mailbox_poll_errors_total", "counter",
		 "Poll passes that failed (connection, login, FETCH, database)."},
		{"draftd_mailbox_idle", "gauge",
		 "1 while the mailbox's connection waits in IDLE, 0 while it polls."},
		{"draftd_mailbox_idle_errors_total", "counter",
		 "IDLE waits that failed (the connection is dropped and reopened)."},
	};
	size_t f, i;
	int bad = 0;

	for (f = 0; f < ARRAY_SIZE(fam); f++) {
		bad |= buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", fam[f].name, fam[f].help,
				  fam[f].name, fam[f].type);
		for (i = 0; i < OBS_MAILBOXES_MAX; i++) {
			const struct obs_mailbox *m = &mailboxes[i];
			long long v = 0;

			if (!atomic_load(&m->slot.used))
				continue;
			if (f == 0)
				v = (long long)atomic_load(&m->last_success);
			else if (f == 1)
				v = (long long)atomic_load(&m->polls);
			else if (f == 2)
				v = (long long)atomic_load(&m->poll_errors);
			else if (f == 3)
				v = atomic_load(&m->idle) ? 1 : 0;
			else
				v = (long long)atomic_load(&m->idle_errors);
			bad |= buf_printf(b, "%s{mailbox=", fam[f].name);
			bad |= obs_label(b, m->slot.name);
			bad |= buf_printf(b, "} %lld\n", v);
		}
	}
	return bad;
}

static int obs_render_smtp(struct buf *b)
{
	uint64_t cumulative = 0;
	size_t i;
	int bad = 0;

	bad |= buf_append_str(b, "# HELP draftd_smtp_send_seconds SMTP submissions by duration"
				 " (connect to the end of DATA).\n"
				 "# TYPE draftd_smtp_send_seconds histogram\n");
	for (i = 0; i < SMTP_BUCKETS; i++) {
		cumulative += atomic_load(&smtp_buckets[i]);
		if (i < ARRAY_SIZE(smtp_bucket_ms))
			bad |= buf_printf(b, "draftd_smtp_send_seconds_bucket{le=\"%g\"} %llu\n",
					  (double)smtp_bucket_ms[i] / 1000.0,
					  (unsigned long long)cumulative);
		else
			bad |= buf_printf(b, "draftd_smtp_send_seconds_bucket{le=\"+Inf\"} %llu\n",
					  (unsigned long long)cumulative);
	}
	bad |= buf_printf(
		b, "draftd_smtp_send_seconds_sum %.3f\ndraftd_smtp_send_seconds_count %llu\n",
		(double)atomic_load(&smtp_sum_ms) / 1000.0, (unsigned long long)cumulative);
	bad |= buf_append_str(b, "# HELP draftd_smtp_sends_total SMTP submissions by result.\n"
				 "# TYPE draftd_smtp_sends_total counter\n");
	for (i = 0; i < ARRAY_SIZE(smtp_result_names); i++)
		bad |= buf_printf(b, "draftd_smtp_sends_total{result=\"%s\"} %llu\n",
				  smtp_result_names[i],
				  (unsigned long long)atomic_load(&smtp_results[i]));
	return bad;
}

int obs_render(struct buf *b)
{
	int bad = 0;

	bad |= obs_render_build(b);
	bad |= obs_render_mailboxes(b);
	bad |= obs_render_smtp(b);
	bad |= obs_render_process(b) < 0;
	return bad != 0 ? -1 : 0;
}
