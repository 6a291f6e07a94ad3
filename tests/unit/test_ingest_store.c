/* SPDX-License-Identifier: MIT */
/* store_ingest against the real test Postgres: mailbox upsert, leases
 * (taken, refused, stale holder, lost), one-transaction batches with jobs,
 * redelivery marking, raw-sha256 re-matching, the UIDVALIDITY reset. */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/ingest/ingest.h"
#include "daemon/store/store_ingest.h"
#include "tests/unit/harness.h"

static const char *db_url;
static struct store *store;

static int st_init(void)
{
	struct error err;

	db_url = test_create_database("draftd_test_ingest_store");
	if (db_url == NULL || store_open(db_url, 5, &store, &err) < 0 || store_migrate(store) < 0)
		return -1;
	return 0;
}

static int st_cleanup(void)
{
	store_close(&store);
	return 0;
}

static long long q(const char *sql)
{
	return test_sql_value(db_url, sql);
}

static struct mailbox_config mb = {
	.name = (char *)"unit",
	.url = (char *)"imap://127.0.0.1:1",
	.user = (char *)"u",
	.password = (char *)"never-stored",
	.folder = (char *)"INBOX",
	.address = (char *)"s@example.test",
	.poll_interval = 60,
	.idle = true,
};

static const char orig[] = "Received: a\nFrom: a@example.test\nDate: Mon, 10 Mar 2025 08:00:00 "
			   "+0000\nMessage-ID: <x@example.test>\nSubject: hi\n\nbody\n";
static const char redelivered[] = "Received: b\nReceived: c\nFrom: a@example.test\nDate: Mon, 10 "
				  "Mar 2025 08:00:00 +0000\nMessage-ID: <x@example.test>\n"
				  "Subject: hi\n\nbody\n";
static const char forged[] = "From: a@example.test\nDate: Mon, 10 Mar 2025 08:00:00 +0000\n"
			     "Message-ID: <x@example.test>\nSubject: hi\n\nother body\n";

static void prep(struct ingest_msg *im, uint32_t uid, const char *raw)
{
	struct mime_limits limits;
	struct imap_msg m = {.uid = uid, .data = (char *)raw, .len = strlen(raw)};
	struct error why;

	m.size = (uint32_t)m.len;
	mime_limits_default(&limits);
	CU_ASSERT_EQUAL_FATAL(ingest_prepare(&m, &limits, im, &why), 0);
}

static void test_store_flow(void)
{
	struct ingest_msg msgs[3];
	const struct store_ingest_msg *rows[3] = {&msgs[0].row, &msgs[1].row, &msgs[2].row};
	struct store_ingest_counts c = {0, 0, 0, 0};
	char holder[160];
	int64_t id = 0, id2 = 0;
	uint32_t uv = 1, last = 1;

	CU_ASSERT_EQUAL_FATAL(store_ingest_mailbox(store, &mb, &id), 0);
	CU_ASSERT_EQUAL(store_ingest_mailbox(store, &mb, &id2), 0);
	CU_ASSERT_EQUAL(id, id2);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM mailboxes WHERE secret_ref LIKE '%never%'"), 0);
	CU_ASSERT_EQUAL(store_ingest_checkpoint(store, id, &uv, &last), 0);
	CU_ASSERT_EQUAL(uv, 0);
	CU_ASSERT_EQUAL(last, 0);

	CU_ASSERT_EQUAL(store_ingest_lease_take(store, id, "h:1", 60, NULL, holder, 160), 1);
	CU_ASSERT_EQUAL(store_ingest_lease_take(store, id, "h:1", 60, NULL, holder, 160), 1);
	CU_ASSERT_EQUAL(store_ingest_lease_take(store, id, "h:2", 60, NULL, holder, 160), 0);
	CU_ASSERT_STRING_EQUAL(holder, "h:1");
	/* a batch by someone without the lease changes nothing */
	prep(&msgs[0], 1, orig);
	CU_ASSERT_EQUAL(store_ingest_batch(store, id, "h:2", 5, rows, 1, 0, 1, &c), -1);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM messages"), 0);
	CU_ASSERT_EQUAL(c.stored, 0);

	prep(&msgs[1], 2, redelivered);
	prep(&msgs[2], 3, forged);
	CU_ASSERT_EQUAL(store_ingest_batch(store, id, "h:1", 5, rows, 3, 0, 3, &c), 0);
	CU_ASSERT_EQUAL(c.stored, 3);
	CU_ASSERT_EQUAL(c.duplicates, 1);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM messages WHERE uid = 2 AND is_duplicate AND "
			  "screen_reason = 'duplicate' AND state = 'skipped' AND duplicate_of = "
			  "(SELECT id FROM messages WHERE uid = 1)"),
			1);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM messages WHERE uid = 3 AND NOT is_duplicate AND "
			  "state = 'new'"),
			1);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM jobs WHERE stage = 'pipeline' AND state = "
			  "'queued'"),
			2);
	CU_ASSERT_EQUAL(store_ingest_checkpoint(store, id, &uv, &last), 0);
	CU_ASSERT_EQUAL(uv, 5);
	CU_ASSERT_EQUAL(last, 3);

	/* UIDVALIDITY 5 -> 6: the same bytes under new UIDs are not stored again */
	CU_ASSERT_EQUAL(store_ingest_uidvalidity_reset(store, id, "h:1", 5, 6), 0);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM mailbox_events WHERE kind = "
			  "'uidvalidity_changed' AND detail = '{\"old\": 5, \"new\": 6}'"),
			1);
	for (int i = 0; i < 3; i++)
		msgs[i].row.uid = (uint32_t)(10 + i);
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(store_ingest_batch(store, id, "h:1", 6, rows, 3, 0, 12, &c), 0);
	CU_ASSERT_EQUAL(c.stored, 0);
	CU_ASSERT_EQUAL(c.already, 3);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM messages"), 3);
	CU_ASSERT_EQUAL(q("SELECT last_uid FROM mailboxes"), 12);

	/* the poller renews the lease in the batch's own UPDATE (lease_ttl),
	 * not in a transaction of its own; 0 leaves the lease alone */
	CU_ASSERT_EQUAL(q("WITH u AS (UPDATE mailboxes SET lease_expires = now() + interval "
			  "'5 seconds' RETURNING 1) SELECT count(*) FROM u"),
			1);
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(store_ingest_batch(store, id, "h:1", 6, rows, 3, 12, 13, &c), 0);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM mailboxes WHERE lease_expires < now() + "
			  "interval '10 seconds'"),
			1);
	CU_ASSERT_EQUAL(
		store_ingest_batch_ordered(store, id, "h:1", 6, rows, 3, 13, 14, NULL, 600, &c), 0);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM mailboxes WHERE lease_owner = 'h:1' AND "
			  "lease_expires > now() + interval '590 seconds'"),
			1);
	CU_ASSERT_EQUAL(q("SELECT last_uid FROM mailboxes"), 14);
	CU_ASSERT_EQUAL(c.already, 6);

	/* a stale holder named by the caller is taken over; release frees it */
	CU_ASSERT_EQUAL(store_ingest_lease_take(store, id, "h:2", 60, "h:1", holder, 160), 1);
	CU_ASSERT_EQUAL(store_ingest_lease_release(store, id, "h:2"), 0);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM mailboxes WHERE lease_owner IS NULL"), 1);
	CU_ASSERT_EQUAL(store_ingest_poll_result(store, id, "LOGIN refused"), 0);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM mailboxes WHERE last_error = 'LOGIN refused'"), 1);

	/* another folder in the config restarts the checkpoint */
	mb.folder = (char *)"Other";
	CU_ASSERT_EQUAL(store_ingest_mailbox(store, &mb, &id2), 0);
	mb.folder = (char *)"INBOX";
	CU_ASSERT_EQUAL(q("SELECT last_uid FROM mailboxes"), 0);
	for (int i = 0; i < 3; i++)
		ingest_msg_clear(&msgs[i]);
}

/* The COPY batch: identical bytes twice in one batch are stored once; a
 * redelivery whose original came in an earlier batch, or earlier in the
 * same batch after a stored original, points at the original; a failed
 * batch leaves nothing, and the next batch on the same connection works. */
static void test_store_copy_batch(void)
{
	static const char again[] = "Received: d\nFrom: a@example.test\nDate: Mon, 10 Mar 2025 "
				    "08:00:00 +0000\nMessage-ID: <x@example.test>\nSubject: hi\n\n"
				    "body\n";
	static const char odd[] =
		"From: b@example.test\nMessage-ID: <odd@example.test>\n"
		"Date: Fri, 1 Jan 12000 00:00:00 +0000\nSubject: \xff\xfe caf\xc3\xa9"
		"\n\nbody \xc3\n";
	struct mailbox_config mb2 = mb;
	struct ingest_msg msgs[5];
	const struct store_ingest_msg *rows[5];
	struct store_ingest_counts c = {0, 0, 0, 0};
	char holder[160];
	int64_t id = 0;

	mb2.name = (char *)"copy";
	CU_ASSERT_EQUAL_FATAL(store_ingest_mailbox(store, &mb2, &id), 0);
	CU_ASSERT_EQUAL_FATAL(store_ingest_lease_take(store, id, "h:9", 60, NULL, holder, 160), 1);
	for (int i = 0; i < 5; i++)
		rows[i] = &msgs[i].row;
	/* batch 1: orig at UID 1, the same bytes at UID 2, a NULL (expunged) */
	prep(&msgs[0], 1, orig);
	prep(&msgs[1], 2, orig);
	rows[2] = NULL;
	prep(&msgs[3], 4, odd);
	CU_ASSERT_EQUAL(store_ingest_batch(store, id, "h:9", 7, rows, 4, 0, 4, &c), 0);
	CU_ASSERT_EQUAL(c.stored, 2);
	CU_ASSERT_EQUAL(c.already, 1);
	CU_ASSERT_EQUAL(c.duplicates, 0);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id"
			  " WHERE b.name = 'copy' AND m.uid IN (1, 4)"),
			2);
	/* bad UTF-8 cleaned, a year past 9999 kept raw only, bytes intact */
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM messages WHERE message_id = '<odd@example.test>'"
			  " AND sent_date IS NULL AND date_raw LIKE '%12000%'"
			  " AND subject LIKE '%caf%' AND raw_size = length(raw)"
			  " AND sha256 = sha256(raw)"),
			1);
	/* batch 2: a redelivery of the stored orig (UID 5), then a second
	 * redelivery with other trace headers (UID 6): both point at UID 1 */
	ingest_msg_clear(&msgs[0]);
	ingest_msg_clear(&msgs[1]);
	ingest_msg_clear(&msgs[3]);
	prep(&msgs[0], 5, redelivered);
	prep(&msgs[1], 6, again);
	rows[2] = &msgs[2].row;
	CU_ASSERT_EQUAL(store_ingest_batch(store, id, "h:9", 7, rows, 2, 4, 6, &c), 0);
	CU_ASSERT_EQUAL(c.stored, 4);
	CU_ASSERT_EQUAL(c.duplicates, 2);
	CU_ASSERT_EQUAL(
		q("SELECT count(*) FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id"
		  " WHERE b.name = 'copy' AND m.uid IN (5, 6) AND m.is_duplicate"
		  " AND m.state = 'skipped' AND m.duplicate_of = (SELECT m1.id FROM messages"
		  " m1 WHERE m1.mailbox_id = b.id AND m1.uid = 1)"),
		2);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM jobs j JOIN messages m ON m.id = j.message_id"
			  " JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.name = 'copy'"),
			2);
	/* a batch that fails (lease lost) leaves nothing; the next one works */
	ingest_msg_clear(&msgs[0]);
	ingest_msg_clear(&msgs[1]);
	prep(&msgs[0], 7, forged);
	CU_ASSERT_EQUAL(store_ingest_batch(store, id, "h:other", 7, rows, 1, 6, 7, &c), -1);
	CU_ASSERT_EQUAL(q("SELECT last_uid FROM mailboxes WHERE name = 'copy'"), 6);
	CU_ASSERT_EQUAL(store_ingest_batch(store, id, "h:9", 7, rows, 1, 6, 7, &c), 0);
	CU_ASSERT_EQUAL(c.stored, 5);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id"
			  " WHERE b.name = 'copy' AND m.uid = 7 AND m.state = 'new'"),
			1);
	CU_ASSERT_EQUAL(q("SELECT last_uid FROM mailboxes WHERE name = 'copy'"), 7);
	/* raw goes out of line uncompressed (migration 0130) */
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM pg_attribute WHERE attrelid = 'messages'::regclass"
			  " AND attname = 'raw' AND attstorage = 'e'"),
			1);
	ingest_msg_clear(&msgs[0]);
}

struct racer {
	int64_t id;
	const struct store_ingest_msg *const *rows;
	size_t n;
	struct store_ingest_counts c;
	int r;
};

static void *race_batch(void *arg)
{
	struct racer *x = arg;

	x->r = store_ingest_batch(store, x->id, "h:race", 3, x->rows, x->n, 0, 9, &x->c);
	return NULL;
}

/* Another session stores a message under a UID of the batch after the
 * batch's lookup (a lease taken over while the old holder still wrote):
 * the batch's COPY waits for that session, fails on the unique UID when it
 * commits, and the batch is tried again, leaving that row alone and
 * storing the rest once. */
static void test_store_copy_race(void)
{
	struct mailbox_config mb3 = mb;
	struct ingest_msg msgs[2];
	const struct store_ingest_msg *rows[2] = {&msgs[0].row, &msgs[1].row};
	struct racer x = {0, rows, 2, {0, 0, 0, 0}, -1};
	char holder[160];
	PGconn *other = PQconnectdb(db_url);
	PGresult *res;
	pthread_t t;
	int waited = 0;

	mb3.name = (char *)"race";
	CU_ASSERT_EQUAL_FATAL(store_ingest_mailbox(store, &mb3, &x.id), 0);
	CU_ASSERT_EQUAL_FATAL(store_ingest_lease_take(store, x.id, "h:race", 60, NULL, holder, 160),
			      1);
	CU_ASSERT_EQUAL_FATAL(PQstatus(other), CONNECTION_OK);
	prep(&msgs[0], 8, orig);
	prep(&msgs[1], 9, forged);
	res = PQexec(other, "BEGIN");
	PQclear(res);
	res = PQexec(other, "INSERT INTO messages (mailbox_id, uidvalidity, uid, sha256, raw_size)"
			    " SELECT id, 3, 9, sha256('someone else'), 12 FROM mailboxes"
			    " WHERE name = 'race'");
	CU_ASSERT_EQUAL_FATAL(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);
	pthread_create(&t, NULL, race_batch, &x);
	/* until the batch's COPY waits for the other session (no time limit
	 * judged: a bound only so a broken build cannot hang the suite) */
	while (waited++ < 6000 &&
	       q("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
		 " AND query LIKE 'COPY messages%'") != 1) {
		struct timespec ts = {0, 10 * 1000 * 1000};

		nanosleep(&ts, NULL);
	}
	CU_ASSERT(waited < 6000);
	res = PQexec(other, "COMMIT");
	PQclear(res);
	pthread_join(t, NULL);
	PQfinish(other);
	CU_ASSERT_EQUAL(x.r, 0);
	CU_ASSERT_EQUAL(x.c.stored, 1);
	CU_ASSERT_EQUAL(x.c.already, 1);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id"
			  " WHERE b.name = 'race' AND (m.uid = 8 AND m.state = 'new'"
			  " OR m.uid = 9 AND m.sha256 = sha256('someone else'))"),
			2);
	CU_ASSERT_EQUAL(q("SELECT last_uid FROM mailboxes WHERE name = 'race'"), 9);
	ingest_msg_clear(&msgs[0]);
	ingest_msg_clear(&msgs[1]);
}

/* Migration 0250: ingest indexes for search the mail that gets no
 * pipeline job (screened, redeliveries) and only that (the pipeline indexes
 * the rest); the texts ingest writes are compressed with lz4 where the
 * server has it (0160). */
static void test_store_ingest_schema(void)
{
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM messages m WHERE (m.screen_reason IS NULL)"
			  " = EXISTS (SELECT 1 FROM message_search s WHERE s.message_id = m.id)"),
			0);
	CU_ASSERT(q("SELECT count(*) FROM message_search") > 0);
	CU_ASSERT(q("SELECT count(*) FROM messages WHERE screen_reason IS NULL") > 0);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM pg_attribute WHERE attrelid = 'messages'::regclass"
			  " AND attname IN ('parsed', 'text_body', 'quoted_text', 'headers')"
			  " AND attcompression = (CASE WHEN EXISTS (SELECT 1 FROM pg_settings"
			  " WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals))"
			  " THEN 'l' ELSE '' END)"),
			4);
}

static const struct test_case store_cases[] = {
	{"mailbox, lease, batches, duplicates, UIDVALIDITY", test_store_flow},
	{"COPY batches: duplicates inside and across, failure", test_store_copy_batch},
	{"a row stored meanwhile by another session: the batch is tried again",
	 test_store_copy_race},
	{"search vector at ingest for mail without a job only; lz4 texts",
	 test_store_ingest_schema},
	{NULL, NULL},
};
TEST_SUITE("ingest_store", st_init, st_cleanup, store_cases)
