/* SPDX-License-Identifier: MIT */
/* Ingest's per-batch lookup of what the mailbox holds reads rows for the
 * batch, not the mailbox: with the plan a connection caches while the
 * table is small (as a long poll --once or a busy mailbox does), a batch
 * of 10 new mails against 5,000 stored ones reads at most a few rows per
 * mail from messages. Written as EXISTS subqueries it was planned as
 * hashed subplans that read the whole mailbox for every batch. */
#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/lib/buf.h"
#include "daemon/store/store_ingest_int.h"
#include "tests/unit/harness.h"

enum { LK_STORED = 5000, LK_BATCH = 10 };

static PGconn *conn;

static int lk_init(void)
{
	const char *url = test_store_database("draftd_test_ingest_lookup", NULL);

	if (url == NULL)
		return -1;
	conn = PQconnectdb(url);
	return PQstatus(conn) == CONNECTION_OK ? 0 : -1;
}

static int lk_cleanup(void)
{
	PQfinish(conn);
	conn = NULL;
	return 0;
}

static int lk_ok(const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;

	if (!ok)
		fprintf(stderr, "\ningest lookup: %s: %s", sql, PQerrorMessage(conn));
	PQclear(res);
	return ok;
}

/* Rows the plan's nodes on messages returned, over all their loops. */
static double lk_rows(json_t *plan)
{
	json_t *kids = json_object_get(plan, "Plans");
	const char *rel = json_string_value(json_object_get(plan, "Relation Name"));
	double n = 0;
	size_t i;
	json_t *k;

	if (rel != NULL && strcmp(rel, "messages") == 0)
		n += json_number_value(json_object_get(plan, "Actual Rows")) *
		     json_number_value(json_object_get(plan, "Actual Loops"));
	json_array_foreach(kids, i, k) n += lk_rows(k);
	return n;
}

static void test_lookup_reads_the_batch(void)
{
	struct buf sql, args;
	PGresult *res;
	json_t *doc;
	double rows;

	buf_init(&sql, 1u << 20);
	buf_init(&args, 1u << 20);
	CU_ASSERT_FATAL(lk_ok("INSERT INTO mailboxes (name, imap_url, imap_user, folder, address)"
			      " VALUES ('lk', 'imap://x', 'u', 'INBOX', 'lk@example.test')"));
	CU_ASSERT_FATAL(buf_printf(&sql, "PREPARE lk AS %s", store_ingest_lookup_sql) == 0);
	/* the generic plan, made while the mailbox is empty, is the one kept */
	CU_ASSERT_FATAL(lk_ok("SET plan_cache_mode = force_generic_plan"));
	CU_ASSERT_FATAL(lk_ok(sql.data));
	CU_ASSERT_FATAL(lk_ok("EXECUTE lk(1, 1, repeat('ab', 32), '', '1')"));
	CU_ASSERT_FATAL(
		lk_ok("INSERT INTO messages (mailbox_id, uidvalidity, uid, sha256,"
		      " content_sha256, raw_size) SELECT 1, 1, i, sha256(i::text::bytea),"
		      " sha256(('c' || i)::text::bytea), 1 FROM generate_series(1, 5000) i"));
	/* a batch of new mail: new bytes, new UIDs, new content (hex and
	 * digits: safe to write into the statement) */
	CU_ASSERT_FATAL(
		buf_printf(&args,
			   "SELECT string_agg(encode(sha256(('n' || i)::bytea), 'hex'), ','),"
			   " string_agg(encode(sha256(('m' || i)::bytea), 'hex'), ','),"
			   " string_agg((%d + i)::text, ',') FROM generate_series(1, %d) i",
			   LK_STORED, LK_BATCH) == 0);
	res = PQexec(conn, args.data);
	CU_ASSERT_EQUAL_FATAL(PQresultStatus(res), PGRES_TUPLES_OK);
	buf_reset(&sql);
	CU_ASSERT_FATAL(
		buf_printf(
			&sql, "EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE lk(1, 1, '%s', '%s', '%s')",
			PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2)) == 0);
	PQclear(res);
	res = PQexec(conn, sql.data);
	CU_ASSERT_EQUAL_FATAL(PQresultStatus(res), PGRES_TUPLES_OK);
	doc = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	PQclear(res);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	rows = lk_rows(json_object_get(json_array_get(doc, 0), "Plan"));
	if (rows > 3 * LK_BATCH)
		fprintf(stderr, "\ningest lookup: %.0f rows of messages read for %d new mails\n",
			rows, LK_BATCH);
	CU_ASSERT(rows <= 3 * LK_BATCH);
	json_decref(doc);
	buf_free(&sql);
	buf_free(&args);
}

static const struct test_case ingest_lookup_cases[] = {
	{"a batch's lookup reads rows for the batch, not the whole mailbox",
	 test_lookup_reads_the_batch},
	{NULL, NULL},
};
TEST_SUITE("ingest_lookup", lk_init, lk_cleanup, ingest_lookup_cases)
