/* SPDX-License-Identifier: MIT */
/* The pipeline's store against the real test Postgres: job leases, retries,
 * dead jobs, one completion per job, the stored result with its audit row,
 * and the reviewer decisions the classifier learns from. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/store/store.h"
#include "daemon/store/store_jobs.h"
#include "daemon/store/store_fewshot.h"
#include "daemon/store/store_pipeline.h"
#include "daemon/store/store_private.h"
#include "tests/unit/harness.h"

static const char *db_url;
static struct store *store;

static long long sql_value(const char *sql)
{
	return test_sql_value(db_url, sql);
}

static void sql_run(const char *sql)
{
	PGconn *conn = PQconnectdb(db_url);

	PQclear(PQexec(conn, sql));
	PQfinish(conn);
}

/* A mailbox and one message with a queued job per call; returns the message id. */
static long long add_message(const char *subject, const char *body)
{
	static int n;
	char sql[1024];

	n++;
	sql_run("INSERT INTO mailboxes (name, imap_url, imap_user) VALUES ('t', 'imap://h', 'u')"
		" ON CONFLICT DO NOTHING");
	/* lint-ok: identifier */ snprintf(
		sql, sizeof(sql),
		"WITH m AS (INSERT INTO messages (mailbox_id, uidvalidity, uid, sha256, raw_size,"
		" subject, text_body, sender) SELECT id, 1, %d, sha256('%d'::bytea), 10, '%s', "
		"'%s',"
		" 'c@x.example' FROM mailboxes WHERE name = 't' RETURNING id)"
		" INSERT INTO jobs (message_id) SELECT id FROM m RETURNING message_id",
		n, n, subject, body);
	return sql_value(sql);
}

static int init(void)
{
	struct error err;

	db_url = test_create_database("draftd_test_store_pipeline");
	if (db_url == NULL || store_open(db_url, 5, &store, &err) < 0 || store_migrate(store) < 0)
		return -1;
	return 0;
}

static int cleanup(void)
{
	store_close(&store);
	return 0;
}

static void test_take_and_complete_once(void)
{
	struct store_job a, b;
	long long msg = add_message("one", "body");

	CU_ASSERT_EQUAL_FATAL(store_job_take(store, "w1:1", 60, &a), 1);
	CU_ASSERT_EQUAL(a.message_id, msg);
	CU_ASSERT_EQUAL(a.attempts, 1);
	/* held: nobody else gets it */
	CU_ASSERT_EQUAL(store_job_take(store, "w2:1", 60, &b), 0);
	CU_ASSERT_EQUAL(store_command(store, "BEGIN"), 0);
	CU_ASSERT_EQUAL(store_job_complete(store, &a), 1);
	CU_ASSERT_EQUAL(store_command(store, "COMMIT"), 0);
	CU_ASSERT_EQUAL(store_job_take(store, "w2:2", 60, &b), 0);
}

static void test_expired_lease_is_taken_again(void)
{
	struct store_job a, b;

	add_message("two", "body");
	CU_ASSERT_EQUAL_FATAL(store_job_take(store, "w1:2", 1, &a), 1);
	sleep(2);
	CU_ASSERT_EQUAL_FATAL(store_job_take(store, "w2:3", 60, &b), 1);
	CU_ASSERT_EQUAL(b.id, a.id);
	CU_ASSERT_EQUAL(b.attempts, 2);
	/* the first holder lost its lease: its completion must not count */
	CU_ASSERT_EQUAL(store_command(store, "BEGIN"), 0);
	CU_ASSERT_EQUAL(store_job_complete(store, &a), 0);
	store_rollback(store);
	CU_ASSERT_EQUAL(store_command(store, "BEGIN"), 0);
	CU_ASSERT_EQUAL(store_job_complete(store, &b), 1);
	CU_ASSERT_EQUAL(store_command(store, "COMMIT"), 0);
}

static void test_fail_retries_then_dead(void)
{
	struct store_job j;
	char sql[256];
	long long msg = add_message("three", "body");

	CU_ASSERT_EQUAL_FATAL(store_job_take(store, "w1:4", 60, &j), 1);
	CU_ASSERT_EQUAL(store_job_fail(store, &j, 2, 1, "model down"), 1);
	/* backed off: not ready yet */
	CU_ASSERT_EQUAL(store_job_take(store, "w1:5", 60, &j), 0);
	sql_run("UPDATE jobs SET next_attempt_at = now() WHERE state = 'queued'");
	CU_ASSERT_EQUAL_FATAL(store_job_take(store, "w1:6", 60, &j), 1);
	CU_ASSERT_EQUAL(store_job_fail(store, &j, 2, 1, "model down again"), 0);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM messages m JOIN jobs j ON j.message_id = m.id"
		 " WHERE m.id = %lld AND m.state = 'failed' AND j.state = 'dead'"
		 " AND j.last_error = 'model down again'",
		 msg);
	CU_ASSERT_EQUAL(sql_value(sql), 1);
}

static void test_finish_stores_draft_and_audit(void)
{
	struct pipeline_result r;
	struct store_job j;
	int64_t draft_id = 0;
	json_t *empty = json_array(), *obj = json_object();
	long long msg = add_message("four", "body");

	CU_ASSERT_EQUAL_FATAL(store_job_take(store, "w1:7", 60, &j), 1);
	CU_ASSERT_EQUAL(j.message_id, msg);
	memset(&r, 0, sizeof(r));
	r.message_state = "drafted";
	r.language = "en";
	r.record = obj;
	r.has_draft = true;
	r.status = "pending";
	r.decision = "pending";
	r.category = "stock_inquiry";
	r.confidence = 0.8;
	r.confidence_source = "keywords";
	r.subject = "Re: four";
	r.body = "It's in stock; O'Brien says hi.";
	r.recipient = "c@x.example";
	r.facts = obj;
	r.rule_hits = empty;
	r.guardrail_flags = empty;
	r.notes = empty;
	r.decision_reasons = empty;
	CU_ASSERT_EQUAL(store_pipeline_finish(store, &j, j.message_id, &r, &draft_id), 1);
	CU_ASSERT_TRUE(draft_id > 0);
	CU_ASSERT_EQUAL(sql_value("SELECT count(*) FROM drafts WHERE body = 'It''s in stock;"
				  " O''Brien says hi.' AND status = 'pending'"),
			1);
	CU_ASSERT_EQUAL(sql_value("SELECT count(*) FROM audit_log WHERE actor = 'pipeline'"
				  " AND action = 'message.decide'"),
			1);
	/* the same job again: the lease is gone, nothing is stored twice */
	CU_ASSERT_EQUAL(store_pipeline_finish(store, &j, j.message_id, &r, &draft_id), 0);
	CU_ASSERT_EQUAL(sql_value("SELECT count(*) FROM drafts"), 1);
	json_decref(empty);
	json_decref(obj);
}

static void test_reviewer_decisions_feed_the_classifier(void)
{
	json_t *examples, *bodies;
	json_int_t id;

	sql_run("UPDATE drafts SET status = 'approved', edit_distance = 0, decided_at = now()");
	sql_run("INSERT INTO drafts (message_id, category, status, corrected_category, body)"
		" SELECT id, 'other', 'rejected', 'invoice_copy', 'x' FROM messages"
		" WHERE subject = 'three'");
	examples = store_classifier_examples(store, 100);
	CU_ASSERT_PTR_NOT_NULL_FATAL(examples);
	CU_ASSERT_EQUAL(json_array_size(examples), 2);
	/* newest first: the rejected one, with its corrected category */
	CU_ASSERT_STRING_EQUAL(
		json_string_value(json_object_get(json_array_get(examples, 0), "category")),
		"invoice_copy");
	json_decref(examples);
	bodies = store_fewshot_candidates(store, "stock_inquiry", 3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bodies);
	CU_ASSERT_EQUAL_FATAL(json_array_size(bodies), 1);
	id = json_integer_value(json_object_get(json_array_get(bodies, 0), "draft_id"));
	json_decref(bodies);
	/* once recorded (redacted), a reply is no candidate any more */
	CU_ASSERT_EQUAL(store_fewshot_put(store, id, "stock_inquiry", "Dear [NAME], ...", "r1"), 0);
	bodies = store_fewshot_candidates(store, "stock_inquiry", 3);
	CU_ASSERT_EQUAL(json_array_size(bodies), 0);
	json_decref(bodies);
	bodies = store_fewshot_examples(store, "stock_inquiry", 3);
	CU_ASSERT_EQUAL(json_array_size(bodies), 1);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(bodies, 0)), "Dear [NAME], ...");
	json_decref(bodies);
}

/* Migration 0220: a draft row of a few KB stays in its heap page as it is
 * (no pglz, no TOAST insert), what is compressed uses lz4 where the server
 * has it, and messages leave room for the pipeline's HOT update. */
static void test_pipeline_storage(void)
{
	long long id = add_message("storage", "a body");
	char sql[512];

	/* lint-ok: identifier */ snprintf(
		sql, sizeof(sql),
		"INSERT INTO drafts (message_id, subject, body, facts) SELECT %lld, 'Re: storage',"
		" string_agg('word' || g, ' '), jsonb_build_object('text', repeat('fact ', 200))"
		" FROM generate_series(1, 150) g",
		id);
	sql_run(sql);
	/* stored inline and uncompressed: the row's values are their full size */
	CU_ASSERT_EQUAL(sql_value("SELECT count(*) FROM drafts WHERE subject = 'Re: storage'"
				  " AND pg_column_compression(body) IS NULL"
				  " AND pg_column_compression(facts) IS NULL"
				  " AND pg_column_compression(search_tsv) IS NULL"),
			1);
	CU_ASSERT_EQUAL(sql_value("SELECT count(*) FROM pg_class WHERE relname IN ('drafts',"
				  " 'messages') AND ('toast_tuple_target=8160' = ANY (reloptions)"
				  " OR 'fillfactor=50' = ANY (reloptions))"),
			2);
	CU_ASSERT_EQUAL(
		sql_value("SELECT count(*) FROM pg_attribute WHERE (attrelid = 'drafts'::regclass"
			  " AND attname IN ('body', 'facts', 'search_tsv') OR attrelid ="
			  " 'messages'::regclass AND attname = 'pipeline')"
			  " AND attcompression = (CASE WHEN EXISTS (SELECT 1 FROM pg_settings"
			  " WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals))"
			  " THEN 'l' ELSE '' END)"),
		4);
}

static const struct test_case store_pipeline_cases[] = {
	{"a job is taken by one worker and completed once", test_take_and_complete_once},
	{"an expired lease is taken again, the old holder loses",
	 test_expired_lease_is_taken_again},
	{"failures back off, then the job is dead and the message failed",
	 test_fail_retries_then_dead},
	{"finishing stores the draft and its audit row, once", test_finish_stores_draft_and_audit},
	{"reviewer decisions feed the classifier and few-shot",
	 test_reviewer_decisions_feed_the_classifier},
	{"a draft row is stored inline, uncompressed; room for HOT updates (0220)",
	 test_pipeline_storage},
	{NULL, NULL},
};

TEST_SUITE("store_pipeline", init, cleanup, store_pipeline_cases)
