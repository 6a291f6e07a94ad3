/* SPDX-License-Identifier: MIT */
/* Issue 14: the classifier's retrain off the hot path. Worker 0 looks for
 * reviewer decisions every AGENT_RETRAIN_SECS; it reads the examples only
 * when a decision changed them (the generation of migration 0255), and
 * then reads only the examples (drafts_classifier_idx), not every draft. */
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "agent/classify/bayes.h"
#include "agent/pipeline/agent.h"
#include "daemon/config/config.h"
#include "daemon/store/store.h"
#include "tests/unit/harness.h"

/* drafts mostly pending, a few decided: the bench's shape at a small size */
enum { RT_DRAFTS = 2000, RT_APPROVED = 40, RT_CORRECTED = 10 };
#define RT_T0 1000000ull
#define RT_MS ((uint64_t)AGENT_RETRAIN_SECS * 1000)

static const char *db_url;
static struct store *store;
static struct config *config;

static int rt_sql(const char *sql)
{
	PGconn *conn = PQconnectdb(db_url);
	PGresult *res = PQexec(conn, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;

	if (!ok)
		fprintf(stderr, "\nclassifier retrain: %s: %s", sql, PQerrorMessage(conn));
	PQclear(res);
	PQfinish(conn);
	return ok;
}

static int rt_init(void)
{
	struct config_errors errors;
	struct error err;
	char sql[1024], text[512];
	const char *path;

	db_url = test_store_database("draftd_test_classifier_retrain", NULL);
	if (db_url == NULL || store_open(db_url, 5, &store, &err) < 0)
		return -1;
	snprintf(sql, sizeof(sql),
		 "INSERT INTO mailboxes (name, imap_url, imap_user) VALUES ('rt', 'imap://h', 'u');"
		 "INSERT INTO messages (mailbox_id, uidvalidity, uid, sha256, raw_size, subject,"
		 " text_body, sender) SELECT 1, 1, i, sha256(i::text::bytea), 10, 'order ' || i,"
		 " 'where is my order ' || i, 'c@x.example' FROM generate_series(1, %d) i;"
		 "INSERT INTO drafts (message_id, category, body) SELECT id,"
		 " (ARRAY['order_status', 'stock_inquiry'])[1 + id %% 2], 'x' FROM messages;"
		 "UPDATE drafts SET status = 'approved', reviewer = 'alice', decided_at = now()"
		 " WHERE id %% %d = 7;"
		 "UPDATE drafts SET status = 'rejected', corrected_category = 'invoice_copy',"
		 " reviewer = 'bob', decided_at = now() WHERE id %% %d = 11;"
		 "ANALYZE drafts; ANALYZE messages",
		 RT_DRAFTS, RT_DRAFTS / RT_APPROVED, RT_DRAFTS / RT_CORRECTED);
	if (!rt_sql(sql))
		return -1;
	snprintf(text, sizeof(text),
		 "[database]\nurl = %s\n[model]\nbackend = builtin\ntemplates_dir = %s/deploy/"
		 "templates\n[log]\nlevel = warn\n",
		 db_url, test_src_dir());
	path = test_write_file("classifier_retrain.conf", text);
	if (path == NULL || config_load(path, &config, &errors) < 0) {
		for (size_t i = 0; path != NULL && i < errors.count; i++)
			fprintf(stderr, "classifier retrain: %s\n", errors.lines[i]);
		if (path != NULL)
			config_errors_free(&errors);
		return -1;
	}
	return 0;
}

static int rt_cleanup(void)
{
	store_close(&store);
	config_unref(&config);
	return 0;
}

static struct agent *rt_agent(void)
{
	struct agent *a = NULL;
	struct error err;

	if (agent_open(config, &a, &err) < 0)
		fprintf(stderr, "\nclassifier retrain: %s\n", error_msg(&err));
	return a;
}

/* store_classifier_examples()'s statement reads the examples, not the drafts. */
static void test_examples_read_only_themselves(void)
{
	bool seq = false;
	double rows = test_plan_rows(db_url,
				     "SELECT jsonb_build_object('text', coalesce(subject, '') ||"
				     " E'\\n' || coalesce(text_body, ''), 'category', category)"
				     " FROM classifier_examples ORDER BY id DESC LIMIT 20000",
				     "drafts", &seq);

	CU_ASSERT_FATAL(rows >= 0);
	if (seq || rows > RT_APPROVED + RT_CORRECTED)
		fprintf(stderr, "\nclassifier retrain: the examples read %.0f drafts%s\n", rows,
			seq ? " (a sequential scan)" : "");
	CU_ASSERT(!seq);
	CU_ASSERT_EQUAL(rows, RT_APPROVED + RT_CORRECTED);
}

/* No decision since the last training: the look reads the generation and
 * not the examples (with the view renamed away, reading them fails). */
static void test_no_decision_no_examples_read(void)
{
	struct agent *a = rt_agent(), *fresh = rt_agent();
	struct bayes_model *before;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fresh);
	CU_ASSERT_EQUAL(agent_retrain_due(a, store, RT_T0), 1);
	before = a->bayes;
	CU_ASSERT_PTR_NOT_NULL(before);
	CU_ASSERT_FATAL(
		rt_sql("ALTER VIEW classifier_examples RENAME TO classifier_examples_away"));
	/* edits and claims of pending drafts are no decision */
	CU_ASSERT(rt_sql("UPDATE drafts SET body = 'edited', claimed_by = 'carol', claim_expires ="
			 " now() + interval '2 minutes', status = 'claimed' WHERE id = 1"));
	CU_ASSERT_EQUAL(agent_retrain_due(a, store, RT_T0 + RT_MS), 0);
	CU_ASSERT_PTR_EQUAL(a->bayes, before);
	/* the control: an agent with no model must read them, and cannot */
	CU_ASSERT_EQUAL(agent_retrain_due(fresh, store, RT_T0), -1);
	CU_ASSERT(rt_sql("ALTER VIEW classifier_examples_away RENAME TO classifier_examples"));
	CU_ASSERT(rt_sql("UPDATE drafts SET body = 'x', claimed_by = NULL, claim_expires = NULL,"
			 " status = 'pending' WHERE id = 1"));
	agent_unref(&fresh);
	agent_unref(&a);
}

/* A decision reaches the model at the next look, AGENT_RETRAIN_SECS at
 * most after it was made, and not before that look. */
static void test_decision_reaches_the_model(void)
{
	struct agent *a = rt_agent(), *reloaded;
	size_t corrected, all;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL_FATAL(agent_retrain_due(a, store, RT_T0), 1);
	corrected = bayes_class_examples(a->bayes, "invoice_copy");
	all = bayes_examples(a->bayes);
	CU_ASSERT_EQUAL(all, RT_APPROVED + RT_CORRECTED);
	CU_ASSERT_EQUAL(corrected, RT_CORRECTED);
	/* a rejection with a corrected category */
	CU_ASSERT(rt_sql("UPDATE drafts SET status = 'rejected', corrected_category ="
			 " 'invoice_copy', reviewer = 'carol', decided_at = now() WHERE id = 2"));
	CU_ASSERT_EQUAL(agent_retrain_due(a, store, RT_T0 + RT_MS - 1), 0);
	CU_ASSERT_EQUAL(bayes_class_examples(a->bayes, "invoice_copy"), corrected);
	CU_ASSERT_EQUAL(agent_retrain_due(a, store, RT_T0 + RT_MS), 1);
	CU_ASSERT_EQUAL(bayes_class_examples(a->bayes, "invoice_copy"), corrected + 1);
	/* approved then sent: the same example, nothing to learn */
	CU_ASSERT(rt_sql("UPDATE drafts SET status = 'sent' WHERE id = 7"));
	CU_ASSERT_EQUAL(agent_retrain_due(a, store, RT_T0 + 2 * RT_MS), 0);
	/* an approval undone (pending again) takes the example out */
	CU_ASSERT(rt_sql("UPDATE drafts SET status = 'pending', reviewer = NULL,"
			 " decided_at = NULL WHERE id = 57"));
	CU_ASSERT_EQUAL(agent_retrain_due(a, store, RT_T0 + 3 * RT_MS), 1);
	CU_ASSERT_EQUAL(bayes_examples(a->bayes), all);
	/* a new agent (a reload) trains at its first look */
	reloaded = rt_agent();
	CU_ASSERT_PTR_NOT_NULL_FATAL(reloaded);
	CU_ASSERT_EQUAL(agent_retrain_due(reloaded, store, RT_T0 + 3 * RT_MS), 1);
	CU_ASSERT_EQUAL(bayes_examples(reloaded->bayes), all);
	agent_unref(&reloaded);
	agent_unref(&a);
}

static const struct test_case classifier_retrain_cases[] = {
	{"the examples' statement reads the examples, not every draft",
	 test_examples_read_only_themselves},
	{"no decision since the last training: the examples are not read",
	 test_no_decision_no_examples_read},
	{"a decision reaches the model at the next look, not before",
	 test_decision_reaches_the_model},
	{NULL, NULL},
};

TEST_SUITE("classifier_retrain", rt_init, rt_cleanup, classifier_retrain_cases)
