/* SPDX-License-Identifier: MIT */
/* Batches of one pass committing out of UID order (`poll --once` stores on
 * two connections, migration 0240), against the real test Postgres: the
 * checkpoint moves only over a contiguous prefix of committed batches; a
 * crash of the lower batch after the upper one committed leaves the
 * checkpoint below both, and the next pass stores every mail exactly once;
 * two batches finishing at the same moment both count. */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/ingest/ingest.h"
#include "daemon/store/store_ingest.h"
#include "tests/unit/harness.h"

#define ORDER_MSGS 9

static const char *db_url;
static struct store *store;

static int ord_init(void)
{
	struct error err;

	db_url = test_create_database("draftd_test_ingest_order");
	if (db_url == NULL || store_open(db_url, 5, &store, &err) < 0 || store_migrate(store) < 0)
		return -1;
	return 0;
}

static int ord_cleanup(void)
{
	store_close(&store);
	return 0;
}

static long long q(const char *sql)
{
	return test_sql_value(db_url, sql);
}

/* The one text value sql returns, in out[size] ("" when none). */
static void q_text(const char *sql, char *out, size_t size)
{
	PGconn *c = PQconnectdb(db_url);
	PGresult *res = PQexec(c, sql);

	out[0] = '\0';
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		snprintf(out, size, "%s", PQgetvalue(res, 0, 0));
	else
		snprintf(out, size, "error: %s", PQerrorMessage(c));
	PQclear(res);
	PQfinish(c);
}

/* The checkpoint after a batch (after, upto] commits, from the stored last
 * UID and pending ranges: every way the ranges can meet. */
static void test_order_ranges(void)
{
	static const struct {
		long long last;
		const char *pending, *want;
		long long after, upto;
	} cases[] = {
		{0, "{}", "3 {}", 0, 3},                   /* in order */
		{0, "{}", "0 {[4,7)}", 3, 6},              /* above a gap: waits */
		{0, "{[4,7)}", "6 {}", 0, 3},              /* the gap closes */
		{0, "{[4,7)}", "6 {}", 0, 5},              /* a rerun overlaps it */
		{0, "{[4,7)}", "2 {[4,7)}", 0, 2},         /* still a gap */
		{2, "{[4,7)}", "6 {}", 2, 3},              /* closed by a second batch */
		{10, "{}", "10 {}", 0, 5},                 /* read again below */
		{0, "{[4,7),[9,12)}", "0 {[4,12)}", 6, 8}, /* two pending ranges join */
		{0, "{[4,7),[9,12)}", "6 {[9,12)}", 0, 3}, /* the lower one closes */
		{6, "{[9,12)}", "11 {}", 6, 8},            /* ... then the upper */
		{7, "{[4,7)}", "7 {}", 7, 7},              /* a stale range below goes */
		{4294967294LL, "{}", "4294967295 {}", 4294967294LL, 4294967295LL}, /* the top */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char sql[512], got[256];

		snprintf(sql, sizeof(sql),
			 "SELECT draftd_uid_checkpoint(%lld, '%s', %lld, %lld) || ' ' ||"
			 " draftd_uid_pending(%lld, '%s', %lld, %lld)",
			 cases[i].last, cases[i].pending, cases[i].after, cases[i].upto,
			 cases[i].last, cases[i].pending, cases[i].after, cases[i].upto);
		q_text(sql, got, sizeof(got));
		if (strcmp(got, cases[i].want) != 0)
			fprintf(stderr, "\n  case %zu: got '%s', want '%s'\n", i, got,
				cases[i].want);
		CU_ASSERT_STRING_EQUAL(got, cases[i].want);
	}
}

static struct mailbox_config mb = {
	.url = (char *)"imap://127.0.0.1:1",
	.user = (char *)"u",
	.password = (char *)"never-stored",
	.folder = (char *)"INBOX",
	.address = (char *)"s@example.test",
	.poll_interval = 60,
	.idle = true,
};

/* Mail uid (1-based) of the folder: distinct bytes and content each. */
struct folder {
	char raw[ORDER_MSGS][160];
	struct ingest_msg msgs[ORDER_MSGS];
};

static void folder_prep(struct folder *f, const char *tag)
{
	struct mime_limits limits;

	mime_limits_default(&limits);
	memset(f, 0, sizeof(*f));
	for (uint32_t u = 1; u <= ORDER_MSGS; u++) {
		struct imap_msg m;
		struct error why;

		snprintf(f->raw[u - 1], sizeof(f->raw[u - 1]),
			 "From: a%u@example.test\nMessage-ID: <%s-%u@example.test>\n"
			 "Subject: question %u\n\nDo you have HP-%u in stock?\n",
			 u, tag, u, u, 21000 + u);
		memset(&m, 0, sizeof(m));
		m.uid = u;
		m.data = f->raw[u - 1];
		m.len = strlen(m.data);
		m.size = (uint32_t)m.len;
		CU_ASSERT_EQUAL_FATAL(ingest_prepare(&m, &limits, &f->msgs[u - 1], &why), 0);
	}
}

static void folder_clear(struct folder *f)
{
	for (int i = 0; i < ORDER_MSGS; i++)
		ingest_msg_clear(&f->msgs[i]);
}

/* One batch: UIDs [from, to] stored as (after, to] on st by owner. */
struct batch {
	struct store *st;
	int64_t id;
	const char *owner;
	struct folder *f;
	uint32_t after, from, to;
	struct store_ingest_counts c;
	int r;
};

static int batch_store(struct batch *b)
{
	const struct store_ingest_msg *rows[ORDER_MSGS];
	size_t n = 0;

	for (uint32_t u = b->from; u <= b->to; u++)
		rows[n++] = &b->f->msgs[u - 1].row;
	b->r = store_ingest_batch(b->st, b->id, b->owner, 1, rows, n, b->after, b->to, &b->c);
	return b->r;
}

static void *batch_main(void *arg)
{
	(void)batch_store(arg);
	return NULL;
}

/* Until n backends of draftd's test database wait for a lock in a
 * statement starting with head (a bound only so that a broken build cannot
 * hang the suite: no time is judged). Returns whether they did. */
static bool wait_locked(int n, const char *head)
{
	char sql[300];

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
		 " AND wait_event_type = 'Lock' AND query LIKE '%s%%'",
		 head);
	for (int i = 0; i < 6000; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};

		if (q(sql) == n)
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

static int64_t mailbox(const char *name, const char *owner)
{
	struct mailbox_config m = mb;
	char holder[160];
	int64_t id = 0;

	m.name = (char *)name;
	CU_ASSERT_EQUAL_FATAL(store_ingest_mailbox(store, &m, &id), 0);
	CU_ASSERT_EQUAL_FATAL(store_ingest_lease_take(store, id, owner, 60, NULL, holder, 160), 1);
	return id;
}

static PGconn *session(const char *sql)
{
	PGconn *c = PQconnectdb(db_url);
	PGresult *res;

	CU_ASSERT_EQUAL_FATAL(PQstatus(c), CONNECTION_OK);
	res = PQexec(c, "BEGIN");
	PQclear(res);
	res = PQexec(c, sql);
	CU_ASSERT_EQUAL(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);
	return c;
}

static void session_end(PGconn *c, const char *how)
{
	PGresult *res = PQexec(c, how);

	PQclear(res);
	PQfinish(c);
}

/* Batch A (UIDs 1-3) is in flight on a second connection, held inside its
 * COPY, when batch B (UIDs 4-6) commits; then A's backend dies (what a
 * kill -9 of draftd leaves: a transaction that never commits). The
 * checkpoint stays at 0 with B's range pending; the next pass, cut into
 * other batches, stores A's mail once, finds B's stored, closes the gap and
 * moves on: every mail stored once, one job each. */
static void test_order_crash(void)
{
	struct folder f;
	struct error err;
	struct batch a = {NULL, 0, "h:o", &f, 0, 1, 3, {0, 0, 0, 0}, -1};
	struct batch b = {store, 0, "h:o", &f, 3, 4, 6, {0, 0, 0, 0}, -1};
	struct batch r1 = {store, 0, "h:o", &f, 0, 1, 5, {0, 0, 0, 0}, -1};
	struct batch r2 = {store, 0, "h:o", &f, 5, 6, ORDER_MSGS, {0, 0, 0, 0}, -1};
	PGconn *holder;
	pthread_t t;
	char got[256], hex[65], sql[400];

	folder_prep(&f, "crash");
	a.id = b.id = r1.id = r2.id = mailbox("crash", "h:o");
	CU_ASSERT_EQUAL_FATAL(store_open(db_url, 5, &a.st, &err), 0);
	/* someone else's uncommitted row with the bytes of UID 2 holds A's COPY */
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", f.msgs[1].row.sha256[i]);
	snprintf(sql, sizeof(sql),
		 "INSERT INTO messages (mailbox_id, uidvalidity, uid, sha256, raw_size)"
		 " SELECT id, 99, 1, decode('%s', 'hex'), 1 FROM mailboxes WHERE name = 'crash'",
		 hex);
	holder = session(sql);
	pthread_create(&t, NULL, batch_main, &a);
	CU_ASSERT_FATAL(wait_locked(1, "COPY messages"));
	/* the upper batch commits first: nothing below it is committed */
	CU_ASSERT_EQUAL(batch_store(&b), 0);
	CU_ASSERT_EQUAL(b.c.stored, 3);
	q_text("SELECT last_uid || ' ' || pending_uids FROM mailboxes WHERE name = 'crash'", got,
	       sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "0 {[4,7)}");
	/* the crash: A's backend goes away before its commit */
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM"
			  " pg_stat_activity WHERE datname = current_database()"
			  " AND query LIKE 'COPY messages%' AND wait_event_type = 'Lock') x"),
			1);
	pthread_join(t, NULL);
	CU_ASSERT_EQUAL(a.r, -1);
	store_close(&a.st);
	session_end(holder, "ROLLBACK");
	q_text("SELECT last_uid || ' ' || pending_uids || ' ' || (SELECT string_agg(uid::text, ','"
	       " ORDER BY uid) FROM messages m WHERE m.mailbox_id = b.id) FROM mailboxes b"
	       " WHERE name = 'crash'",
	       got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "0 {[4,7)} 4,5,6");
	/* the next pass: from the checkpoint, in batches cut elsewhere */
	CU_ASSERT_EQUAL(batch_store(&r1), 0);
	CU_ASSERT_EQUAL(r1.c.stored, 3);
	CU_ASSERT_EQUAL(r1.c.already, 2);
	q_text("SELECT last_uid || ' ' || pending_uids FROM mailboxes WHERE name = 'crash'", got,
	       sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "6 {}");
	CU_ASSERT_EQUAL(batch_store(&r2), 0);
	CU_ASSERT_EQUAL(r2.c.stored, ORDER_MSGS - 6);
	CU_ASSERT_EQUAL(r2.c.already, 1);
	q_text("SELECT last_uid || ' ' || pending_uids || ' ' || count(m.id) || ' '"
	       " || count(DISTINCT m.uid) || ' ' || count(DISTINCT m.sha256) || ' ' ||"
	       " (SELECT count(*) FROM jobs j JOIN messages m2 ON m2.id = j.message_id"
	       "  WHERE m2.mailbox_id = b.id) FROM mailboxes b JOIN messages m ON m.mailbox_id ="
	       " b.id WHERE b.name = 'crash' GROUP BY b.id, b.last_uid, b.pending_uids",
	       got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "9 {} 9 9 9 9");
	folder_clear(&f);
}

/* Two batches reach their checkpoint update at once (held by a session
 * that has the mailbox row locked), the upper one first: the second waits
 * for the first's commit and computes from the row the first left, so the
 * checkpoint ends above both with nothing pending, whichever goes first. */
static void test_order_together(void)
{
	struct folder f;
	struct error err;
	struct batch a = {NULL, 0, "h:t", &f, 0, 1, 4, {0, 0, 0, 0}, -1};
	struct batch b = {NULL, 0, "h:t", &f, 4, 5, ORDER_MSGS, {0, 0, 0, 0}, -1};
	PGconn *holder;
	pthread_t ta, tb;
	char got[256];

	folder_prep(&f, "together");
	a.id = b.id = mailbox("together", "h:t");
	CU_ASSERT_EQUAL_FATAL(store_open(db_url, 5, &a.st, &err), 0);
	CU_ASSERT_EQUAL_FATAL(store_open(db_url, 5, &b.st, &err), 0);
	holder = session("UPDATE mailboxes SET updated_at = now() WHERE name = 'together'");
	pthread_create(&tb, NULL, batch_main, &b);
	CU_ASSERT(wait_locked(1, "WITH j AS"));
	pthread_create(&ta, NULL, batch_main, &a);
	CU_ASSERT(wait_locked(2, "WITH j AS"));
	session_end(holder, "COMMIT");
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	CU_ASSERT_EQUAL(a.r, 0);
	CU_ASSERT_EQUAL(b.r, 0);
	q_text("SELECT last_uid || ' ' || pending_uids || ' ' || (SELECT count(*) FROM messages m"
	       " WHERE m.mailbox_id = b.id) FROM mailboxes b WHERE name = 'together'",
	       got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "9 {} 9");
	store_close(&a.st);
	store_close(&b.st);
	folder_clear(&f);
}

/* A UIDVALIDITY reset forgets the pending ranges with the checkpoint. */
static void test_order_reset(void)
{
	struct folder f;
	struct batch b = {store, 0, "h:r", &f, 3, 4, 6, {0, 0, 0, 0}, -1};
	char got[256];

	folder_prep(&f, "reset");
	b.id = mailbox("reset", "h:r");
	CU_ASSERT_EQUAL(batch_store(&b), 0);
	CU_ASSERT_EQUAL(store_ingest_uidvalidity_reset(store, b.id, "h:r", 1, 2), 0);
	q_text("SELECT last_uid || ' ' || pending_uids FROM mailboxes WHERE name = 'reset'", got,
	       sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "0 {}");
	folder_clear(&f);
}

static const struct test_case order_cases[] = {
	{"checkpoint over contiguous committed ranges only", test_order_ranges},
	{"upper batch committed, lower crashed: next pass stores all once", test_order_crash},
	{"two batches updating the checkpoint at once", test_order_together},
	{"UIDVALIDITY reset clears the pending ranges", test_order_reset},
	{NULL, NULL},
};
TEST_SUITE("ingest_order", ord_init, ord_cleanup, order_cases)
