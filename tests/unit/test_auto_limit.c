/* SPDX-License-Identifier: MIT */
/* The loop and flood limits counted inside the queuing transaction
 * (daemon/store/store_auto_limit.c) against the real test Postgres: a second
 * transaction waits for the first and then sees its reply; the kill switch
 * and thread roots; and a seeded model-based test where worker threads with
 * their own connections queue automatic replies for random senders and
 * threads under a random cap, crashing at random points, after which no
 * sender, thread or hour got more than its limit and every held-back draft
 * names a limit that a committed reply really reached.
 * DRAFTD_TEST_SEED=N replays one run; DRAFTD_TEST_LONG=1 runs more seeds. */
#include <inttypes.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/store/store.h"
#include "daemon/store/store_auto_limit.h"
#include "daemon/store/store_jobs.h"
#include "daemon/store/store_metrics.h"
#include "daemon/store/store_pipeline.h"
#include "daemon/store/store_promotion.h"
#include "daemon/store/store_private.h"
#include "daemon/lib/util.h"
#include "tests/unit/harness.h"

#define MODEL_MESSAGES_MAX 64
#define MODEL_WORKERS      4

static char db_url[512];
static struct store *store;

static long long sql_value(const char *sql)
{
	return test_sql_value(db_url, sql);
}

static int sql_run(const char *sql)
{
	PGconn *conn = PQconnectdb(db_url);
	PGresult *res = PQexec(conn, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;

	if (!ok)
		fprintf(stderr, "sql: %s\n", PQerrorMessage(conn));
	PQclear(res);
	PQfinish(conn);
	return ok ? 0 : -1;
}

static void reset_tables(void)
{
	sql_run("TRUNCATE audit_log, auto_thread_replies, outbox, drafts, jobs, messages CASCADE");
	sql_run("UPDATE settings SET value = 'true' WHERE key = 'auto_enabled'");
	sql_run("INSERT INTO mailboxes (name, imap_url, imap_user) VALUES ('t', 'imap://h', 'u')"
		" ON CONFLICT DO NOTHING");
}

/* One message with a queued job; returns its id. */
static long long add_message(int n, const char *sender, const char *references)
{
	char sql[1024];

	/* lint-ok: identifier */ snprintf(
		sql, sizeof(sql),
		"WITH m AS (INSERT INTO messages (mailbox_id, uidvalidity, uid, sha256, raw_size,"
		" sender, message_id, \"references\") SELECT id, 1, %d, sha256('%d'::bytea), 10,"
		" '%s', '<m%d@x.example>', %s%s%s FROM mailboxes WHERE name = 't' RETURNING id)"
		" INSERT INTO jobs (message_id) SELECT id FROM m RETURNING message_id",
		n, n, sender, n, references != NULL ? "'" : "",
		references != NULL ? references : "NULL", references != NULL ? "'" : "");
	return sql_value(sql);
}

static int init(void)
{
	const char *url;
	struct error err;

	url = test_create_database("draftd_test_auto_limit");
	if (url == NULL || str_copy(db_url, sizeof(db_url), url) < 0 ||
	    store_open(db_url, 5, &store, &err) < 0 || store_migrate(store) < 0)
		return -1;
	return 0;
}

static int cleanup(void)
{
	store_close(&store);
	return 0;
}

/* An automatic reply to sender for job, as the pipeline builds it. */
struct auto_result {
	struct pipeline_result r;
	struct auto_limit limit;
	json_t *record, *reasons, *empty;
	char outbox_id[64];
};

static void auto_result_init(struct auto_result *a, const struct store_job *job, const char *sender,
			     unsigned int cap)
{
	memset(a, 0, sizeof(*a));
	a->record = json_object();
	a->reasons = json_array();
	a->empty = json_array();
	snprintf(a->outbox_id, sizeof(a->outbox_id), "<draftd.%" PRId64 "@t.example>",
		 job->message_id);
	a->limit.message_id = job->message_id;
	a->limit.recipient = sender;
	a->limit.sender = sender;
	a->limit.period_s = 86400;
	a->limit.sender_limit = 1;
	a->limit.hourly_cap = cap;
	a->r.message_state = "drafted";
	a->r.language = "en";
	a->r.record = a->record;
	a->r.has_draft = true;
	a->r.status = "approved";
	a->r.decision = "auto";
	a->r.category = "stock_inquiry";
	a->r.confidence = 1;
	a->r.confidence_source = "keywords";
	a->r.subject = "Re: stock";
	a->r.body = "In stock.";
	a->r.recipient = sender;
	a->r.facts = a->record;
	a->r.rule_hits = a->empty;
	a->r.guardrail_flags = a->empty;
	a->r.notes = a->empty;
	a->r.decision_reasons = a->reasons;
	a->r.outbox_message_id = a->outbox_id;
	a->r.auto_limit = &a->limit;
}

static void auto_result_clear(struct auto_result *a)
{
	json_decref(a->record);
	json_decref(a->reasons);
	json_decref(a->empty);
}

static int finish_auto(struct store *s, const char *worker, const char *sender, unsigned int cap,
		       const char **held_r)
{
	struct store_job job;
	struct auto_result a;
	int64_t draft_id;
	int r;

	if (store_job_take(s, worker, 60, &job) != 1)
		return -1;
	auto_result_init(&a, &job, sender, cap);
	r = store_pipeline_finish(s, &job, job.message_id, &a.r, &draft_id);
	*held_r = a.r.held_back;
	auto_result_clear(&a);
	return r;
}

static void test_second_reply_to_a_sender_is_held_back(void)
{
	const char *held = NULL;

	reset_tables();
	add_message(1, "ann@x.example", NULL);
	add_message(2, "ANN@x.example", NULL);
	CU_ASSERT_EQUAL(finish_auto(store, "w:1", "ann@x.example", 0, &held), 1);
	CU_ASSERT_PTR_NULL(held);
	/* the pipeline's earlier count said zero: the one in the transaction decides */
	CU_ASSERT_EQUAL(finish_auto(store, "w:2", "ANN@x.example", 0, &held), 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(held);
	CU_ASSERT_STRING_EQUAL(held, AUTO_LIMIT_SENDER);
	CU_ASSERT_EQUAL(sql_value("SELECT count(*) FROM outbox"), 1);
	CU_ASSERT_EQUAL(sql_value("SELECT count(*) FROM drafts WHERE status = 'pending'"
				  " AND decision = 'pending' AND decision_reasons ? "
				  "'" AUTO_LIMIT_SENDER "'"),
			1);
	CU_ASSERT_EQUAL(sql_value("SELECT count(*) FROM messages WHERE pipeline->>'held_back' = "
				  "'" AUTO_LIMIT_SENDER "'"),
			1);
}

static void test_thread_siblings_share_a_root(void)
{
	const char *held = NULL;

	reset_tables();
	/* different senders, neither names the other, both under one root */
	add_message(1, "a@x.example", "<root@x.example> <p1@x.example>");
	add_message(2, "b@y.example", "<ROOT@x.example>");
	add_message(3, "c@z.example", "<other@x.example>");
	CU_ASSERT_EQUAL(finish_auto(store, "w:1", "a@x.example", 0, &held), 1);
	CU_ASSERT_PTR_NULL(held);
	CU_ASSERT_EQUAL(finish_auto(store, "w:2", "b@y.example", 0, &held), 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(held);
	CU_ASSERT_STRING_EQUAL(held, AUTO_LIMIT_THREAD);
	CU_ASSERT_EQUAL(finish_auto(store, "w:3", "c@z.example", 0, &held), 1);
	CU_ASSERT_PTR_NULL(held);
}

static void test_cap_and_kill_switch(void)
{
	const char *held = NULL;

	reset_tables();
	add_message(1, "a@x.example", NULL);
	add_message(2, "b@x.example", NULL);
	add_message(3, "c@x.example", NULL);
	CU_ASSERT_EQUAL(finish_auto(store, "w:1", "a@x.example", 1, &held), 1);
	CU_ASSERT_PTR_NULL(held);
	CU_ASSERT_EQUAL(finish_auto(store, "w:2", "b@x.example", 1, &held), 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(held);
	CU_ASSERT_STRING_EQUAL(held, AUTO_LIMIT_HOURLY);
	sql_run("UPDATE settings SET value = 'false' WHERE key = 'auto_enabled'");
	CU_ASSERT_EQUAL(finish_auto(store, "w:3", "c@x.example", 0, &held), 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(held);
	CU_ASSERT_STRING_EQUAL(held, AUTO_LIMIT_DISABLED);
	CU_ASSERT_EQUAL(sql_value("SELECT count(*) FROM outbox"), 1);
}

/* Every reader of the kill switch (the pipeline's gate, the promotion
 * pass and the API through store_auto_enabled(), the limits' locked read,
 * /metrics) says the same of whatever its row holds: off only for false. */
static void test_kill_switch_readers_agree(void)
{
	static const struct {
		const char *value; /* NULL: no row */
		int on;
	} cases[] = {{"'true'", 1}, {"'false'", 0}, {"'\"false\"'", 1},
		     {"'null'", 1}, {"'0'", 1},     {NULL, 1}};
	char sql[160];
	json_t *ops = NULL;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		if (cases[i].value != NULL)
			snprintf(sql, sizeof(sql),
				 "INSERT INTO settings (key, value) VALUES ('auto_enabled', %s)"
				 " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
				 cases[i].value);
		else
			snprintf(sql, sizeof(sql),
				 "DELETE FROM settings WHERE key = 'auto_enabled'");
		CU_ASSERT_EQUAL_FATAL(sql_run(sql), 0);
		CU_ASSERT_EQUAL(store_auto_enabled(store), cases[i].on);
		CU_ASSERT_EQUAL(store_command(store, "BEGIN"), 0);
		CU_ASSERT_EQUAL(store_auto_switch(store, true), cases[i].on);
		CU_ASSERT_EQUAL(store_command(store, "ROLLBACK"), 0);
		CU_ASSERT_EQUAL_FATAL(store_metrics_ops(store, &ops), 0);
		CU_ASSERT_EQUAL(json_is_true(json_object_get(ops, "auto_enabled")),
				cases[i].on == 1);
		json_decref(ops);
		ops = NULL;
	}
	CU_ASSERT_EQUAL(
		sql_run("INSERT INTO settings (key, value) VALUES ('auto_enabled', 'true')"), 0);
}

struct racer {
	struct store *store;
	struct store_job job;
	int result;
	const char *reason;
};

static void *racer_main(void *arg)
{
	struct racer *r = arg;
	struct auto_limit limit;

	memset(&limit, 0, sizeof(limit));
	limit.message_id = r->job.message_id;
	limit.recipient = limit.sender = "race@x.example";
	limit.period_s = 86400;
	limit.sender_limit = 1;
	r->result = -1;
	if (store_command(r->store, "BEGIN") == 0) {
		r->result = store_auto_limit_tx(r->store, &limit, &r->reason);
		store_rollback(r->store);
	}
	return NULL;
}

/* Two transactions for one sender, the second started while the first has
 * counted zero but not committed yet: the second waits on the lock and then
 * counts the first's reply. */
static void test_concurrent_transaction_waits_and_sees_the_first(void)
{
	struct store *other = NULL;
	struct racer racer;
	const char *held = NULL;
	struct store_job job;
	struct auto_result a;
	pthread_t t;
	struct error err;
	int i, waiting = 0;

	reset_tables();
	add_message(1, "race@x.example", NULL);
	add_message(2, "race@x.example", NULL);
	CU_ASSERT_EQUAL_FATAL(store_open(db_url, 5, &other, &err), 0);
	CU_ASSERT_EQUAL_FATAL(store_job_take(store, "w:1", 60, &job), 1);
	memset(&racer, 0, sizeof(racer));
	racer.store = other;
	CU_ASSERT_EQUAL_FATAL(store_job_take(other, "w:2", 60, &racer.job), 1);

	/* the first: locks, counts zero, queues; not committed yet */
	auto_result_init(&a, &job, "race@x.example", 0);
	CU_ASSERT_EQUAL_FATAL(store_command(store, "BEGIN"), 0);
	CU_ASSERT_EQUAL(store_auto_limit_tx(store, &a.limit, &held), 1);
	PQclear(store_exec(store, "queueing",
			   "WITH d AS (INSERT INTO drafts (message_id, recipient, status)"
			   " SELECT message_id, 'race@x.example', 'approved' FROM jobs"
			   " WHERE locked_by = 'w:1' RETURNING id)"
			   " INSERT INTO outbox (draft_id, message_id, is_auto)"
			   " SELECT id, '<race@t.example>', true FROM d",
			   0, NULL));
	pthread_create(&t, NULL, racer_main, &racer);
	/* the second blocks on the advisory lock (seen in pg_locks, no timing) */
	for (i = 0; i < 600 && !waiting; i++) {
		waiting = sql_value("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
				    " AND NOT granted AND classid = 7313") == 1;
		if (!waiting)
			usleep(50 * 1000);
	}
	CU_ASSERT_TRUE(waiting);
	CU_ASSERT_EQUAL(store_command(store, "COMMIT"), 0);
	pthread_join(t, NULL);
	CU_ASSERT_EQUAL(racer.result, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(racer.reason);
	CU_ASSERT_STRING_EQUAL(racer.reason, AUTO_LIMIT_SENDER);
	auto_result_clear(&a);
	store_close(&other);
}

/* --- the model-based test --- */

struct model_msg {
	long long id;
	char sender[64];
	char references[64];     /* "" when none */
	unsigned int crash_plan; /* bit 0: crash after taking, bit 1: crash mid-queue */
};

struct model {
	unsigned int seed;
	unsigned int cap;
	size_t count;
	struct model_msg msgs[MODEL_MESSAGES_MAX];
	atomic_int crashes;
	atomic_int errors;
};

static const struct model_msg *model_find(const struct model *m, long long id)
{
	size_t i;

	for (i = 0; i < m->count; i++)
		if (m->msgs[i].id == id)
			return &m->msgs[i];
	return NULL;
}

/* A crash decided by the plan: only the first attempt of a message crashes,
 * so every message is finished in the end. */
static bool model_crash(const struct model_msg *msg, int attempts, unsigned int bit)
{
	return attempts == 1 && (msg->crash_plan & bit) != 0;
}

struct model_worker {
	struct model *model;
	unsigned int index;
};

static void *model_worker_main(void *arg)
{
	struct model_worker *w = arg;
	struct model *m = w->model;
	struct store *s = NULL;
	struct store_job job;
	struct auto_result a;
	const struct model_msg *msg;
	const char *held;
	struct error err;
	char id[64];
	int64_t draft_id;
	unsigned int take = 0;
	int r, idle = 0;

	while (idle < 100) {
		if (s == NULL && store_open(db_url, 5, &s, &err) < 0) {
			atomic_fetch_add(&m->errors, 1);
			break;
		}
		snprintf(id, sizeof(id), "model:w%u:%u", w->index, take++);
		/* a 1 s lease: a crashed worker's job comes back soon */
		r = store_job_take(s, id, 1, &job);
		if (r < 0) {
			atomic_fetch_add(&m->errors, 1);
			break;
		}
		if (r == 0) {
			if (sql_value("SELECT count(*) FROM jobs WHERE state <> 'done'") == 0)
				break;
			idle++;
			usleep(50 * 1000);
			continue;
		}
		idle = 0;
		msg = model_find(m, job.message_id);
		if (msg == NULL) {
			atomic_fetch_add(&m->errors, 1);
			break;
		}
		auto_result_init(&a, &job, msg->sender, m->cap);
		if (model_crash(msg, job.attempts, 1)) {
			/* dies after taking the job: its lease runs out */
			atomic_fetch_add(&m->crashes, 1);
			store_close(&s);
		} else if (model_crash(msg, job.attempts, 2)) {
			/* dies holding the limit locks, mid-transaction */
			atomic_fetch_add(&m->crashes, 1);
			if (store_command(s, "BEGIN") == 0 &&
			    store_auto_limit_tx(s, &a.limit, &held) < 0)
				atomic_fetch_add(&m->errors, 1);
			store_close(&s);
		} else if (store_pipeline_finish(s, &job, job.message_id, &a.r, &draft_id) < 0) {
			atomic_fetch_add(&m->errors, 1);
		}
		auto_result_clear(&a);
	}
	store_close(&s);
	return NULL;
}

static void model_plan(struct model *m, unsigned int seed)
{
	unsigned int st = seed;
	size_t i;
	int senders, threads;

	memset(m, 0, sizeof(*m));
	m->seed = seed;
	m->count = 12 + (size_t)(rand_r(&st) % (MODEL_MESSAGES_MAX - 12));
	senders = 1 + rand_r(&st) % 6;
	threads = 1 + rand_r(&st) % 6;
	m->cap = rand_r(&st) % 3 == 0 ? 0 : 1 + (unsigned int)(rand_r(&st) % 5);
	for (i = 0; i < m->count; i++) {
		snprintf(m->msgs[i].sender, sizeof(m->msgs[i].sender), "s%d@x.example",
			 rand_r(&st) % senders);
		/* a third start their own thread */
		if (rand_r(&st) % 3 != 0)
			snprintf(m->msgs[i].references, sizeof(m->msgs[i].references),
				 "<t%d@x.example>", rand_r(&st) % threads);
		m->msgs[i].crash_plan =
			rand_r(&st) % 5 == 0 ? 1u + (unsigned int)(rand_r(&st) % 2) : 0u;
	}
}

/* Checks every invariant; prints each broken one with the seed. */
static int model_check(const struct model *m)
{
	char q[1024];
	long long v;
	int bad = 0;

#define MODEL_EXPECT(cond, what)                                                               \
	do {                                                                                   \
		if (!(cond)) {                                                                 \
			fprintf(stderr, "auto_limit model: seed %u (cap %u, %zu mails): %s\n", \
				m->seed, m->cap, m->count, what);                              \
			bad++;                                                                 \
		}                                                                              \
	} while (0)

	MODEL_EXPECT(atomic_load(&m->errors) == 0, "a worker hit an error");
	MODEL_EXPECT(sql_value("SELECT count(*) FROM jobs WHERE state = 'done'") ==
			     (long long)m->count,
		     "not every job is done");
	MODEL_EXPECT(sql_value("SELECT count(*) FROM drafts") == (long long)m->count,
		     "not exactly one draft per mail");
	MODEL_EXPECT(sql_value("SELECT count(*) FROM (SELECT d.recipient FROM outbox o"
			       " JOIN drafts d ON d.id = o.draft_id GROUP BY 1"
			       " HAVING count(*) > 1) x") == 0,
		     "a sender got more than one automatic reply");
	MODEL_EXPECT(sql_value("SELECT count(*) FROM (SELECT draftd_thread_root(a.\"references\","
			       " a.in_reply_to, a.message_id) FROM outbox o"
			       " JOIN drafts d ON d.id = o.draft_id"
			       " JOIN messages a ON a.id = d.message_id GROUP BY 1"
			       " HAVING count(*) > 1) x") == 0,
		     "a thread got more than one automatic reply");
	v = sql_value("SELECT count(*) FROM outbox");
	MODEL_EXPECT(m->cap == 0 || v <= (long long)m->cap, "more replies than the hourly cap");
	MODEL_EXPECT(v >= 1, "no automatic reply at all");
	/* nothing held back without cause: each reason names a limit that a
	 * committed reply really reached */
	MODEL_EXPECT(
		sql_value("SELECT count(*) FROM drafts d WHERE d.decision_reasons ? "
			  "'" AUTO_LIMIT_SENDER "' AND NOT EXISTS (SELECT 1 FROM outbox o"
			  " JOIN drafts e ON e.id = o.draft_id WHERE e.recipient = d.recipient)") ==
			0,
		"held back for a sender that got no reply");
	MODEL_EXPECT(
		sql_value(
			"SELECT count(*) FROM drafts d JOIN messages m ON m.id = d.message_id"
			" WHERE d.decision_reasons ? '" AUTO_LIMIT_THREAD "' AND NOT EXISTS"
			" (SELECT 1 FROM outbox o JOIN drafts e ON e.id = o.draft_id"
			" JOIN messages a ON a.id = e.message_id"
			" WHERE draftd_thread_root(a.\"references\", a.in_reply_to, a.message_id)"
			" = draftd_thread_root(m.\"references\", m.in_reply_to, m.message_id))") ==
			0,
		"held back for a thread that got no reply");
	snprintf(q, sizeof(q),
		 "SELECT count(*) FROM drafts WHERE decision_reasons ? '" AUTO_LIMIT_HOURLY
		 "' AND (SELECT count(*) FROM outbox) < %u",
		 m->cap);
	MODEL_EXPECT(sql_value(q) == 0, "held back by a cap that was not reached");
	MODEL_EXPECT(sql_value("SELECT count(*) FROM drafts WHERE status = 'pending'"
			       " AND jsonb_array_length(decision_reasons) = 0") == 0,
		     "a draft held back without a reason");
#undef MODEL_EXPECT
	return bad;
}

static void test_model_random_floods_with_crashes(void)
{
	struct model *m = calloc(1, sizeof(*m));
	struct model_worker workers[MODEL_WORKERS];
	pthread_t threads[MODEL_WORKERS];
	const char *env = getenv("DRAFTD_TEST_SEED");
	const char *lng = getenv("DRAFTD_TEST_LONG");
	unsigned int seed, runs, run, w;
	uint64_t v;
	size_t i;
	int bad = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	runs = lng != NULL && strcmp(lng, "1") == 0 ? 25 : 3;
	seed = (unsigned int)time(NULL);
	if (env != NULL && parse_u64(env, UINT32_MAX, &v) == 0) {
		seed = (unsigned int)v;
		runs = 1;
	}
	for (run = 0; run < runs && bad == 0; run++, seed++) {
		model_plan(m, seed);
		reset_tables();
		for (i = 0; i < m->count; i++) {
			m->msgs[i].id = add_message(
				(int)i + 1, m->msgs[i].sender,
				m->msgs[i].references[0] != '\0' ? m->msgs[i].references : NULL);
			CU_ASSERT_TRUE_FATAL(m->msgs[i].id > 0);
		}
		for (w = 0; w < MODEL_WORKERS; w++) {
			workers[w].model = m;
			workers[w].index = w;
			pthread_create(&threads[w], NULL, model_worker_main, &workers[w]);
		}
		for (w = 0; w < MODEL_WORKERS; w++)
			pthread_join(threads[w], NULL);
		bad = model_check(m);
		if (bad > 0)
			fprintf(stderr, "auto_limit model: replay with DRAFTD_TEST_SEED=%u\n",
				seed);
	}
	CU_ASSERT_EQUAL(bad, 0);
	free(m);
}

static const struct test_case auto_limit_cases[] = {
	{"a second automatic reply to a sender is held back in the transaction",
	 test_second_reply_to_a_sender_is_held_back},
	{"mails on one thread share its root", test_thread_siblings_share_a_root},
	{"the hourly cap and the kill switch hold replies back", test_cap_and_kill_switch},
	{"every reader of the kill switch says the same of its row",
	 test_kill_switch_readers_agree},
	{"a concurrent transaction waits for the first and counts its reply",
	 test_concurrent_transaction_waits_and_sees_the_first},
	{"model: random floods, senders, threads, caps and crashes keep every limit",
	 test_model_random_floods_with_crashes},
	{NULL, NULL},
};

TEST_SUITE("auto_limit", init, cleanup, auto_limit_cases)
