/* SPDX-License-Identifier: MIT */
/* Issue 11 in the store, on the real test Postgres: the database refuses a
 * second live draft and a second reply; approving a superseded draft is a
 * conflict naming the live one; a reply after the message was replied is a
 * conflict unless it is a follow-up; undo works until the outbox sender
 * claims the row and never after; a draft the pipeline finishes for a
 * message a person closed meanwhile is kept superseded and nothing is
 * queued; a message a person reopened is never skipped again. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/store.h"
#include "daemon/store/store_jobs.h"
#include "daemon/store/store_outbox.h"
#include "daemon/store/store_outcome.h"
#include "daemon/store/store_pipeline.h"
#include "daemon/store/store_review.h"
#include "tests/unit/harness.h"

static const char *db_url;
static struct store *store;

static long long sql_value(const char *sql)
{
	return test_sql_value(db_url, sql);
}

/* 0 when sql ran, else the SQLSTATE's first two digits as a number. */
static int sql_run(const char *sql)
{
	PGconn *conn = PQconnectdb(db_url);
	PGresult *res = PQexec(conn, sql);
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	int ret = -1;

	if (PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK)
		ret = 0;
	else if (state != NULL && strlen(state) == 5)
		ret = (state[0] - '0') * 10 + (state[1] - '0');

	PQclear(res);
	PQfinish(conn);
	return ret;
}

static int init(void)
{
	struct error err;

	db_url = test_create_database("draftd_test_store_outcome");
	if (db_url == NULL || store_open(db_url, 5, &store, &err) < 0 || store_migrate(store) < 0)
		return -1;
	/* messages 1..6, each with one pending draft (ids 1..6) */
	return sql_run(
		"INSERT INTO mailboxes (name, imap_url, imap_user, address)"
		" VALUES ('support', 'imap://x', 'u', 'support@harbor.example');"
		"INSERT INTO messages (mailbox_id, uidvalidity, uid, sha256, raw_size,"
		" sender, subject, message_id) SELECT 1, 1, g, sha256(g::text::bytea), 1,"
		" 'ann@customer.example', 'Stock ' || g, '<m' || g || '@customer.example>'"
		" FROM generate_series(1, 6) g;"
		"INSERT INTO drafts (message_id, category, subject, body, recipient)"
		" SELECT g, 'stock_inquiry', 'Stock ' || g, 'Hello Ann', 'ann@customer.example'"
		" FROM generate_series(1, 6) g;"
		"INSERT INTO categories (name) VALUES ('stock_inquiry');");
}

static int cleanup(void)
{
	store_close(&store);
	return 0;
}

static const char *conflict_code(const json_t *detail)
{
	const char *c = json_string_value(json_object_get(detail, "conflict"));

	return c != NULL ? c : "";
}

static void test_database_refuses_second_live_draft_and_reply(void)
{
	/* 23505: unique_violation */
	CU_ASSERT_EQUAL(sql_run("INSERT INTO drafts (message_id, body) VALUES (1, 'second')"), 23);
	CU_ASSERT_EQUAL(sql_run("UPDATE drafts SET status = 'sent' WHERE id = 1"), 0);
	CU_ASSERT_EQUAL(sql_run("INSERT INTO drafts (message_id, body, status) VALUES (1, 'x',"
				" 'approved')"),
			23);
	/* a follow-up is the recorded exception */
	CU_ASSERT_EQUAL(sql_run("INSERT INTO drafts (message_id, body, status, kind) VALUES (1,"
				" 'later', 'sent', 'follow_up')"),
			0);
	/* a closed message has its reason */
	CU_ASSERT_EQUAL(sql_run("UPDATE messages SET closed_at = now(), closed_by = 'x'"
				" WHERE id = 6"),
			23);
	CU_ASSERT_EQUAL(sql_value("SELECT count(*) FROM messages WHERE status = 'open'"), 6);
}

static void test_approve_superseded_and_second_reply(void)
{
	struct outcome_redraft redraft = {NULL, false};
	struct review_approve approve = {NULL, NULL, NULL, NULL, 0};
	json_t *detail = NULL;
	long long live;

	CU_ASSERT_EQUAL(store_outcome_redraft(store, "2", "ed", &redraft, &detail), REVIEW_OK);
	json_decref(detail);
	detail = NULL;
	CU_ASSERT_EQUAL(sql_value("SELECT count(*) FROM drafts WHERE id = 2 AND status ="
				  " 'superseded' AND superseded_by = 'ed'"),
			1);
	/* the pipeline's new draft */
	CU_ASSERT_EQUAL(sql_run("INSERT INTO drafts (message_id, body) VALUES (2, 'new')"), 0);
	live = sql_value("SELECT id FROM drafts WHERE message_id = 2 AND status = 'pending'");
	CU_ASSERT_EQUAL(store_review_approve(store, "2", "ed", &approve, &detail), REVIEW_CONFLICT);
	CU_ASSERT_STRING_EQUAL(conflict_code(detail), "superseded");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(detail, "live_draft_id")), live);
	json_decref(detail);
	detail = NULL;
	/* message 1 has its reply: a pending draft of it cannot be approved */
	CU_ASSERT_EQUAL(sql_run("UPDATE messages SET replied_at = now(), reply_draft_id = 1"
				" WHERE id = 1;"
				"INSERT INTO drafts (message_id, body) VALUES (1, 'again')"),
			0);
	live = sql_value("SELECT id FROM drafts WHERE message_id = 1 AND status = 'pending'");
	{
		char id[24];

		snprintf(id, sizeof(id), "%lld", live);
		CU_ASSERT_EQUAL(store_review_approve(store, id, "ed", &approve, &detail),
				REVIEW_CONFLICT);
		CU_ASSERT_STRING_EQUAL(conflict_code(detail), "already_replied");
		json_decref(detail);
		detail = NULL;
	}
	CU_ASSERT_EQUAL(sql_value("SELECT count(*) FROM outbox"), 0);
}

static void test_reply_then_follow_up(void)
{
	struct outcome_reply reply = {
		NULL, "Hello Ann, written by hand", NULL, NULL, false, 0, "k-3", NULL};
	json_t *detail = NULL, *again = NULL;

	CU_ASSERT_EQUAL(store_outcome_reply(store, "3", "ed", &reply, &detail), REVIEW_OK);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(detail, "origin")), "person");
	/* the same key again replays the first answer */
	CU_ASSERT_EQUAL(store_outcome_reply(store, "3", "ed", &reply, &again), REVIEW_REPLAY);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(detail, "id")),
			json_integer_value(json_object_get(again, "id")));
	json_decref(detail);
	json_decref(again);
	detail = NULL;
	CU_ASSERT_EQUAL(sql_value("SELECT count(*) FROM drafts WHERE id = 3 AND status ="
				  " 'superseded'"),
			1);
	/* sent: the message is replied; a second reply is refused */
	CU_ASSERT_EQUAL(sql_run("UPDATE drafts SET status = 'sent' WHERE message_id = 3 AND"
				" origin = 'person';"
				"UPDATE messages SET replied_at = now() WHERE id = 3"),
			0);
	reply.idempotency_key = NULL;
	CU_ASSERT_EQUAL(store_outcome_reply(store, "3", "ed", &reply, &detail), REVIEW_CONFLICT);
	CU_ASSERT_STRING_EQUAL(conflict_code(detail), "already_replied");
	json_decref(detail);
	detail = NULL;
	reply.follow_up = true;
	CU_ASSERT_EQUAL(store_outcome_reply(store, "3", "ed", &reply, &detail), REVIEW_OK);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(detail, "kind")), "follow_up");
	json_decref(detail);
	detail = NULL;
	/* a follow-up on a message without a reply is refused */
	CU_ASSERT_EQUAL(store_outcome_reply(store, "4", "ed", &reply, &detail), REVIEW_CONFLICT);
	CU_ASSERT_STRING_EQUAL(conflict_code(detail), "not_replied");
	json_decref(detail);
}

static void test_undo_until_the_sender_claims(void)
{
	struct review_approve approve = {NULL, "Edited before approving", NULL, NULL, 0};
	struct outbox_item item;
	json_t *detail = NULL;

	CU_ASSERT_EQUAL(store_review_approve(store, "4", "ed", &approve, &detail), REVIEW_OK);
	json_decref(detail);
	detail = NULL;
	CU_ASSERT_EQUAL(store_review_undo(store, "4", "ed", 60, &detail), REVIEW_OK);
	json_decref(detail);
	detail = NULL;
	CU_ASSERT_EQUAL(sql_value("SELECT count(*) FROM drafts WHERE id = 4 AND status ="
				  " 'claimed' AND body = 'Edited before approving'"
				  " AND final_body IS NULL AND claimed_by = 'ed'"),
			1);
	CU_ASSERT_EQUAL(sql_value("SELECT count(*) FROM outbox WHERE draft_id = 4"), 0);
	CU_ASSERT_EQUAL(store_review_undo(store, "4", "ed", 60, &detail), REVIEW_CONFLICT);
	json_decref(detail);
	detail = NULL;
	/* approved again; the sender claims it: too late to undo */
	CU_ASSERT_EQUAL(store_review_approve(store, "4", "ed", &approve, &detail), REVIEW_OK);
	json_decref(detail);
	detail = NULL;
	CU_ASSERT_EQUAL(sql_run("UPDATE outbox SET state = 'sent' WHERE draft_id <> 4"), 0);
	CU_ASSERT_EQUAL_FATAL(store_outbox_claim(store, "test:1", 60, &item), 1);
	CU_ASSERT_EQUAL(item.draft_id, 4);
	CU_ASSERT_EQUAL(store_review_undo(store, "4", "ed", 60, &detail), REVIEW_CONFLICT);
	CU_ASSERT_STRING_EQUAL(conflict_code(detail), "too_late");
	json_decref(detail);
	CU_ASSERT_EQUAL(store_outbox_sent(store, &item, "a note"), 0);
	store_outbox_item_free(&item);
	/* the send is audited with its details (the recovery note included) */
	CU_ASSERT_EQUAL(sql_value("SELECT count(*) FROM audit_log WHERE action = 'send' AND"
				  " object_id = '4' AND after->>'note' = 'a note' AND"
				  " (after->>'outbox_id')::bigint > 0"),
			1);
	CU_ASSERT_EQUAL(sql_value("SELECT count(*) FROM messages WHERE id = 4 AND status ="
				  " 'replied' AND reply_draft_id = 4"),
			1);
}

/* A pipeline result with a draft that would be sent automatically. */
static void auto_result(struct pipeline_result *r)
{
	memset(r, 0, sizeof(*r));
	r->message_state = "drafted";
	r->has_draft = true;
	r->status = "approved";
	r->decision = "auto";
	r->category = "stock_inquiry";
	r->body = "Automatic";
	r->outbox_message_id = "<auto-5@harbor.example>";
}

static void test_pipeline_after_close_and_reopen(void)
{
	struct pipeline_result r;
	struct store_job job;
	json_t *detail = NULL;
	int64_t draft = 0;

	CU_ASSERT_EQUAL(store_outcome_close(store, "5", "ed", "answered by phone", &detail),
			REVIEW_OK);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(detail, "status")), "closed");
	json_decref(detail);
	detail = NULL;
	CU_ASSERT_EQUAL(sql_run("UPDATE jobs SET state = 'done';"
				"INSERT INTO jobs (message_id) VALUES (5)"),
			0);
	CU_ASSERT_EQUAL_FATAL(store_job_take(store, "w", 60, &job), 1);
	auto_result(&r);
	CU_ASSERT_EQUAL(store_pipeline_finish(store, &job, 5, &r, &draft), 1);
	CU_ASSERT_EQUAL(sql_value("SELECT count(*) FROM drafts WHERE message_id = 5 AND status"
				  " = 'superseded' AND superseded_by = 'pipeline'"),
			1);
	CU_ASSERT_EQUAL(sql_value("SELECT count(*) FROM outbox o JOIN drafts d ON d.id ="
				  " o.draft_id WHERE d.message_id = 5"),
			0);
	CU_ASSERT_EQUAL(sql_value("SELECT count(*) FROM messages WHERE id = 5 AND status ="
				  " 'closed'"),
			1);
	/* reopened by a person: screening no longer skips it */
	CU_ASSERT_EQUAL(store_outcome_reopen(store, "5", "ed", &detail), REVIEW_OK);
	json_decref(detail);
	CU_ASSERT_EQUAL(sql_run("UPDATE jobs SET state = 'queued' WHERE message_id = 5"), 0);
	CU_ASSERT_EQUAL_FATAL(store_job_take(store, "w", 60, &job), 1);
	memset(&r, 0, sizeof(r));
	r.message_state = "skipped";
	CU_ASSERT_EQUAL(store_pipeline_finish(store, &job, 5, &r, &draft), 1);
	CU_ASSERT_EQUAL(
		sql_value("SELECT count(*) FROM messages WHERE id = 5 AND status ="
			  " 'open' AND state = 'human' AND human_reason LIKE 'reopened by ed%'"),
		1);
}

static const struct test_case store_outcome_cases[] = {
	{"the database refuses a second live draft and a second reply",
	 test_database_refuses_second_live_draft_and_reply},
	{"approving a superseded draft names the live one; no second reply",
	 test_approve_superseded_and_second_reply},
	{"a reply by a person, its replay, the second reply refused, a follow-up",
	 test_reply_then_follow_up},
	{"undo keeps the edit until the sender claims the reply",
	 test_undo_until_the_sender_claims},
	{"the pipeline after a close, and after a reopen", test_pipeline_after_close_and_reopen},
	{NULL, NULL},
};
TEST_SUITE("store_outcome", init, cleanup, store_outcome_cases)
