/* SPDX-License-Identifier: MIT */
/* Ingest writes every index of messages for every stored message, so each
 * one must have a reader (migration 0230 dropped two that had none). The
 * list below names the reader of each; a new index needs a line here. The
 * lookups that lost an index keep one: the thread page's "same address"
 * list reads rows of that address, not the table. */
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/harness.h"

enum { IX_STORED = 5000, IX_SENDERS = 500, IX_LIMIT = 20 };

static PGconn *conn;
static const char *ix_url;

/* Every index of messages and who reads it. */
static const char *const ix_expected[] = {
	"messages_assigned_idx",       /* a person's list (store_assign.c) */
	"messages_content_sha256_idx", /* ingest's redelivery probe */
	"messages_mailbox_sha256_key", /* UNIQUE: the same bytes once */
	"messages_mailbox_uid_key",    /* UNIQUE: a UID once per UIDVALIDITY */
	"messages_open_idx",           /* open messages, the backlog */
	"messages_pkey",
	"messages_replied_at_idx",     /* the statistics' windows */
	"messages_sender_domain_idx",  /* the thread page: same domain */
	"messages_status_idx",         /* lists by status */
	"messages_thread_ids_idx",     /* the thread: Message-IDs (GIN) */
	"messages_thread_subject_idx", /* the thread: same address (+ subject) */
};

static int ix_init(void)
{
	ix_url = test_store_database("draftd_test_ingest_indexes", NULL);
	if (ix_url == NULL)
		return -1;
	conn = PQconnectdb(ix_url);
	return PQstatus(conn) == CONNECTION_OK ? 0 : -1;
}

static int ix_cleanup(void)
{
	PQfinish(conn);
	conn = NULL;
	return 0;
}

static int ix_ok(const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;

	if (!ok)
		fprintf(stderr, "\ningest indexes: %s: %s", sql, PQerrorMessage(conn));
	PQclear(res);
	return ok;
}

static void test_every_index_has_a_reader(void)
{
	size_t n = sizeof(ix_expected) / sizeof(ix_expected[0]);
	PGresult *res = PQexec(conn, "SELECT indexname FROM pg_indexes WHERE schemaname ="
				     " current_schema() AND tablename = 'messages' ORDER BY 1");
	int rows;

	CU_ASSERT_EQUAL_FATAL(PQresultStatus(res), PGRES_TUPLES_OK);
	rows = PQntuples(res);
	for (int i = 0; i < rows; i++) {
		const char *name = PQgetvalue(res, i, 0);
		bool known = false;

		for (size_t j = 0; j < n && !known; j++)
			known = strcmp(name, ix_expected[j]) == 0;
		if (!known)
			fprintf(stderr, "\ningest indexes: %s has no reader listed\n", name);
		CU_ASSERT(known);
	}
	CU_ASSERT_EQUAL(rows, (int)n);
	PQclear(res);
}

/* The shape of store_thread.c's "same address" list. */
static void test_same_address_reads_the_address(void)
{
	char sql[512];
	bool seq = false;
	double rows;

	CU_ASSERT_FATAL(ix_ok("INSERT INTO mailboxes (name, imap_url, imap_user, folder, address)"
			      " VALUES ('ix', 'imap://x', 'u', 'INBOX', 'ix@example.test')"));
	snprintf(sql, sizeof(sql),
		 "INSERT INTO messages (mailbox_id, uidvalidity, uid, sha256, raw_size, sender,"
		 " subject) SELECT 1, 1, i, sha256(i::text::bytea), 1, 'Customer' || (i %% %d)"
		 " || '@Example.test', 'order ' || i FROM generate_series(1, %d) i",
		 IX_SENDERS, IX_STORED);
	CU_ASSERT_FATAL(ix_ok(sql));
	CU_ASSERT_FATAL(ix_ok("ANALYZE messages"));
	snprintf(sql, sizeof(sql),
		 "SELECT m.id FROM messages m WHERE"
		 " lower(m.sender) = 'customer7@example.test' AND m.id <> 7 AND NOT"
		 " m.is_duplicate ORDER BY m.id + 0 DESC LIMIT %d",
		 IX_LIMIT);
	rows = test_plan_rows(ix_url, sql, "messages", &seq);
	CU_ASSERT_FATAL(rows >= 0);
	if (seq || rows > 2.0 * IX_STORED / IX_SENDERS)
		fprintf(stderr, "\ningest indexes: same address read %.0f rows%s\n", rows,
			seq ? " (a sequential scan)" : "");
	CU_ASSERT(!seq);
	CU_ASSERT(rows <= 2.0 * IX_STORED / IX_SENDERS);
}

static const struct test_case ingest_indexes_cases[] = {
	{"every index of messages has a reader", test_every_index_has_a_reader},
	{"the same-address lookup reads that address's rows, not the table",
	 test_same_address_reads_the_address},
	{NULL, NULL},
};
TEST_SUITE("ingest_indexes", ix_init, ix_cleanup, ingest_indexes_cases)
