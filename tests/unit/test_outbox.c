/* SPDX-License-Identifier: MIT */
/* The outbox sender's pure parts (retry schedule, who the reply goes to)
 * and its store against the real Postgres: a claimed row is invisible to
 * other senders while its holder lives, is recovered at once when the
 * holder's connection dies (a crash), and failure/sent update row, draft
 * and audit log. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/outbox/outbox.h"
#include "daemon/store/store.h"
#include "daemon/store/store_outbox.h"
#include "tests/unit/harness.h"

static const char *db_url;

static void test_retry_delay(void)
{
	static const unsigned int cases[][2] = {
		{0, 5}, {1, 5}, {2, 10}, {3, 20}, {10, 2560}, {11, 3600}, {40, 3600},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CU_ASSERT_EQUAL(outbox_retry_delay(cases[i][0]), cases[i][1]);
}

struct rcpt_case {
	char *recipient;
	char *reply_to;
	char *sender;
	const char *want; /* NULL: refused */
};

static void test_compose_recipient(void)
{
	static const struct rcpt_case cases[] = {
		{"Override <o@example.org>", "r@example.org", "s@example.org", "o@example.org"},
		{NULL, "Reply <r@example.org>", "s@example.org", "r@example.org"},
		{"", "", "Sender <s@example.org>", "s@example.org"},
		{NULL, NULL, NULL, NULL},
		{NULL, "r@example.org, x@evil.example", "s@example.org", NULL},
	};
	struct mailbox_config mb = {.name = "support", .address = "Support <support@example.com>"};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct outbox_item item = {
			.message_id = "<ours@example.com>",
			.recipient = cases[i].recipient,
			.orig_reply_to = cases[i].reply_to,
			.orig_sender = cases[i].sender,
			.orig_subject = "RE: stock HP-12345",
			.subject = "",
			.body = "ok",
			.is_auto = i == 0,
		};
		struct mail_envelope env;
		struct error err;
		struct buf b;
		int r;

		buf_init(&b, MAIL_MESSAGE_MAX);
		r = outbox_compose(&item, &mb, 1700000000, &b, &env, &err);
		if (cases[i].want == NULL) {
			CU_ASSERT_EQUAL(r, -1);
		} else {
			CU_ASSERT_EQUAL_FATAL(r, 0);
			CU_ASSERT_STRING_EQUAL(env.rcpt[0], cases[i].want);
			CU_ASSERT_STRING_EQUAL(env.from, "support@example.com");
			CU_ASSERT_PTR_NOT_NULL(
				strstr(b.data, "\r\nSubject: Re: stock HP-12345\r\n"));
			CU_ASSERT_EQUAL(strstr(b.data, "\r\nAuto-Submitted: auto-replied\r\n") !=
						NULL,
					i == 0);
		}
		buf_free(&b);
	}
}

static int outbox_init(void)
{
	struct store *store = NULL;
	struct error err;
	PGconn *conn;
	PGresult *res;
	int ok;

	db_url = test_create_database("draftd_test_outbox");
	if (db_url == NULL || store_open(db_url, 5, &store, &err) < 0)
		return -1;
	ok = store_migrate(store) >= 0;
	store_close(&store);
	if (!ok)
		return -1;
	conn = PQconnectdb(db_url);
	res = PQexec(
		conn,
		"INSERT INTO mailboxes (name, imap_url, imap_user, address)"
		" VALUES ('support', 'imap://x', 'x', 'support@example.com');"
		"INSERT INTO messages (mailbox_id, uidvalidity, uid, message_id, sha256, sender,"
		" subject, raw_size) VALUES (1, 7, 3, '<o@x>', sha256('a'), 'a@b.example',"
		" 'Hi', 1);"
		"INSERT INTO drafts (message_id, body, status) VALUES (1, 'b', 'approved');"
		"INSERT INTO outbox (draft_id, message_id, is_auto) VALUES (1, '<m@x>', true);");
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "outbox: %s", PQerrorMessage(conn));
	PQclear(res);
	PQfinish(conn);
	return ok ? 0 : -1;
}

static char *query_value(const char *sql)
{
	PGconn *conn = PQconnectdb(db_url);
	PGresult *res = PQexec(conn, sql);
	char *v = NULL;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		v = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	PQfinish(conn);
	return v;
}

static void assert_query(const char *sql, const char *want)
{
	char *v = query_value(sql);

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	if (strcmp(v, want) != 0)
		fprintf(stderr, "%s: got '%s', want '%s'\n", sql, v, want);
	CU_ASSERT_STRING_EQUAL(v, want);
	free(v);
}

static struct store *open_store(void)
{
	struct store *s = NULL;
	struct error err;

	CU_ASSERT_EQUAL(store_open(db_url, 5, &s, &err), 0);
	return s;
}

static void test_claim_lease_and_recovery(void)
{
	struct store *a = open_store(), *b = open_store(), *c = open_store();
	struct outbox_item item, other;
	int tries, r = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL_FATAL(store_outbox_claim(a, "a:1", 60, &item), 1);
	CU_ASSERT_EQUAL(item.attempts, 1);
	CU_ASSERT_FALSE(item.recovering);
	CU_ASSERT_TRUE(item.is_auto);
	CU_ASSERT_STRING_EQUAL(item.message_id, "<m@x>");
	CU_ASSERT_STRING_EQUAL(item.mailbox, "support");
	CU_ASSERT_STRING_EQUAL(item.orig_message_id, "<o@x>");
	CU_ASSERT_EQUAL(item.orig_uid, 3);
	CU_ASSERT_EQUAL(item.orig_uidvalidity, 7);
	assert_query("SELECT state || ' ' || locked_by FROM outbox", "sending a:1");
	/* a live holder keeps it */
	CU_ASSERT_EQUAL(store_outbox_claim(b, "b:1", 60, &other), 0);
	CU_ASSERT_EQUAL(store_outbox_smtp_started(a, &item), 0);
	store_outbox_item_free(&item);
	/* the holder "crashes": its connection and advisory lock go away. The
	 * server ends the session a moment after the client closes it, so the
	 * lock may outlive store_close() briefly: retry for up to 5 s. */
	store_close(&a);
	for (tries = 0; tries < 100 && (r = store_outbox_claim(b, "b:1", 60, &item)) == 0; tries++)
		usleep(50 * 1000);
	CU_ASSERT_EQUAL_FATAL(r, 1);
	CU_ASSERT_TRUE(item.recovering);
	CU_ASSERT_TRUE(item.smtp_started);
	CU_ASSERT_EQUAL(item.attempts, 2);
	CU_ASSERT_EQUAL(store_outbox_claim(c, "c:1", 60, &other), 0);
	/* a failed try: pending again, not due before its backoff */
	CU_ASSERT_EQUAL(store_outbox_failed(b, &item, "smtp: down", false, 300), 0);
	assert_query("SELECT state || ' ' || (smtp_started_at IS NULL) || ' ' || last_error ||"
		     " ' ' || (next_attempt_at > now() + interval '200 seconds') FROM outbox",
		     "pending true smtp: down true");
	CU_ASSERT_EQUAL(store_outbox_claim(c, "c:1", 60, &other), 0);
	store_outbox_item_free(&item);
	/* due now: claimed normally, then sent */
	free(query_value("UPDATE outbox SET next_attempt_at = now() RETURNING id"));
	CU_ASSERT_EQUAL_FATAL(store_outbox_claim(c, "c:1", 60, &item), 1);
	CU_ASSERT_FALSE(item.recovering);
	CU_ASSERT_EQUAL(item.attempts, 3);
	CU_ASSERT_EQUAL(store_outbox_sent(c, &item, NULL), 0);
	assert_query(
		"SELECT o.state || ' ' || d.status || ' ' || (o.sent_at IS NOT NULL) FROM outbox"
		" o JOIN drafts d ON d.id = o.draft_id",
		"sent auto_sent true");
	assert_query("SELECT count(*) FROM audit_log WHERE action = 'send' AND object_id = '1'",
		     "1");
	/* the lock was released: nothing held by this session any more */
	assert_query("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 7303",
		     "0");
	CU_ASSERT_EQUAL(store_outbox_claim(b, "b:1", 60, &other), 0);
	store_outbox_item_free(&item);
	store_close(&b);
	store_close(&c);
}

static const struct test_case outbox_cases[] = {
	{"retry delays double up to the cap", test_retry_delay},
	{"To is the draft's recipient, else Reply-To, else From", test_compose_recipient},
	{"claim lease, crash recovery, failure and sent", test_claim_lease_and_recovery},
	{NULL, NULL},
};

TEST_SUITE("outbox", outbox_init, NULL, outbox_cases)
