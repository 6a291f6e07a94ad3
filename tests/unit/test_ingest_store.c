/* store_ingest against the real test Postgres: mailbox upsert, leases
 * (taken, refused, stale holder, lost), one-transaction batches with jobs,
 * redelivery marking, raw-sha256 re-matching, the UIDVALIDITY reset. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/ingest/ingest.h"
#include "daemon/store/store_ingest.h"
#include "tests/unit/harness.h"

static const char *db_url;
static struct store *store;

static int st_init(void)
{
	char err[600];

	db_url = test_create_database("draftd_test_ingest_store");
	if (db_url == NULL || store_open(db_url, 5, &store, err, sizeof(err)) < 0 ||
	    store_migrate(store) < 0)
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
	const char *why;

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
	CU_ASSERT_EQUAL(store_ingest_batch(store, id, "h:2", 5, rows, 1, 1, &c), -1);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM messages"), 0);
	CU_ASSERT_EQUAL(c.stored, 0);

	prep(&msgs[1], 2, redelivered);
	prep(&msgs[2], 3, forged);
	CU_ASSERT_EQUAL(store_ingest_batch(store, id, "h:1", 5, rows, 3, 3, &c), 0);
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
	CU_ASSERT_EQUAL(store_ingest_batch(store, id, "h:1", 6, rows, 3, 12, &c), 0);
	CU_ASSERT_EQUAL(c.stored, 0);
	CU_ASSERT_EQUAL(c.already, 3);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM messages"), 3);
	CU_ASSERT_EQUAL(q("SELECT last_uid FROM mailboxes"), 12);

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

static const struct test_case store_cases[] = {
	{"mailbox, lease, batches, duplicates, UIDVALIDITY", test_store_flow},
	{NULL, NULL},
};
TEST_SUITE("ingest_store", st_init, st_cleanup, store_cases)
