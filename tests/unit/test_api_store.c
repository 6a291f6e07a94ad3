/* SPDX-License-Identifier: MIT */
/* The review store under concurrency, on the real test Postgres: racing
 * claims (one wins), racing approvals (one outbox row, the rest replay),
 * a stale version, and reject validation; the queue's listing by status
 * gives what the general listing gives. */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/lib/util.h"
#include "daemon/store/store.h"
#include "daemon/store/store_review.h"
#include "tests/unit/harness.h"

#define RACERS 6

static const char *db_url;

static long long api_count(const char *sql)
{
	return test_sql_value(db_url, sql);
}

static int api_store_init(void)
{
	static const char *const fixtures =
		"INSERT INTO mailboxes (name, imap_url, imap_user, address)"
		" VALUES ('support', 'imap://x', 'u', 'support@harbor.example');"
		"INSERT INTO messages (mailbox_id, uidvalidity, uid, sha256, raw_size, sender)"
		" SELECT 1, 1, g, sha256(g::text::bytea), 1, 'ann@customer.example'"
		" FROM generate_series(1, 3) g;"
		"INSERT INTO drafts (message_id, category, subject, body)"
		" SELECT g, 'stock_inquiry', 'Re: x', 'Hello Ann' FROM generate_series(1, 3) g;"
		"INSERT INTO categories (name) VALUES ('stock_inquiry');";

	db_url = test_store_database("draftd_test_api_store", fixtures);
	return db_url != NULL ? 0 : -1;
}

struct racer {
	const char *draft;
	char who[16];
	bool approve;
	enum review_result result;
	char outbox_id[128];
};

static void *api_racer(void *arg)
{
	struct racer *r = arg;
	struct store *store = NULL;
	struct review_approve approve = {NULL, NULL, NULL, NULL, 0};
	json_t *detail = NULL;
	struct error err;

	r->result = REVIEW_ERROR;
	if (store_open(db_url, 5, &store, &err) < 0)
		return NULL;
	if (r->approve)
		r->result = store_review_approve(store, r->draft, r->who, &approve, &detail);
	else
		r->result = store_review_claim(store, r->draft, r->who, 120, false, &detail);
	snprintf(r->outbox_id, sizeof(r->outbox_id), "%s",
		 json_string_value(json_object_get(json_object_get(detail, "outbox"), "message_id"))
			 ?: "");
	json_decref(detail);
	store_close(&store);
	return NULL;
}

static void api_race(const char *draft, bool approve, struct racer racers[RACERS])
{
	pthread_t threads[RACERS];
	int i;

	for (i = 0; i < RACERS; i++) {
		racers[i].draft = draft;
		racers[i].approve = approve;
		snprintf(racers[i].who, sizeof(racers[i].who), "r%d", i);
		pthread_create(&threads[i], NULL, api_racer, &racers[i]);
	}
	for (i = 0; i < RACERS; i++)
		pthread_join(threads[i], NULL);
}

static void test_claim_race(void)
{
	struct racer racers[RACERS];
	int i, won = 0, lost = 0;

	api_race("1", false, racers);
	for (i = 0; i < RACERS; i++) {
		won += racers[i].result == REVIEW_OK;
		lost += racers[i].result == REVIEW_CONFLICT;
	}
	CU_ASSERT_EQUAL(won, 1);
	CU_ASSERT_EQUAL(lost, RACERS - 1);
	CU_ASSERT_EQUAL(api_count("SELECT count(*) FROM audit_log WHERE action = 'draft.claim'"),
			1);
}

static void test_approve_race(void)
{
	struct racer racers[RACERS];
	int i, ok = 0, replay = 0;

	api_race("2", true, racers);
	for (i = 0; i < RACERS; i++) {
		ok += racers[i].result == REVIEW_OK;
		replay += racers[i].result == REVIEW_REPLAY;
		/* every racer is told the same Message-ID */
		CU_ASSERT_STRING_EQUAL(racers[i].outbox_id, racers[0].outbox_id);
	}
	CU_ASSERT_EQUAL(ok, 1);
	CU_ASSERT_EQUAL(replay, RACERS - 1);
	CU_ASSERT_EQUAL(api_count("SELECT count(*) FROM outbox WHERE draft_id = 2"), 1);
	CU_ASSERT_EQUAL(api_count("SELECT count(*) FROM drafts WHERE id = 2 AND status = 'approved'"
				  " AND edit_distance = 0"),
			1);
}

static void test_patch_and_reject(void)
{
	struct store *store = NULL;
	struct review_patch patch = {NULL, "Hello Ann, edited", NULL, NULL, "1", 120};
	json_t *detail = NULL;
	struct error err;

	CU_ASSERT_EQUAL_FATAL(store_open(db_url, 5, &store, &err), 0);
	CU_ASSERT_EQUAL(store_review_patch(store, "3", "ed", &patch, &detail), REVIEW_OK);
	json_decref(detail);
	detail = NULL;
	/* the same version again is stale now */
	CU_ASSERT_EQUAL(store_review_patch(store, "3", "ed", &patch, &detail), REVIEW_STALE);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(detail, "version")), "2");
	json_decref(detail);
	detail = NULL;
	CU_ASSERT_EQUAL(store_review_patch(store, "999", "ed", &patch, &detail), REVIEW_NOT_FOUND);
	CU_ASSERT_EQUAL(store_review_reject(store, "3", "ed", "no", "nope", &detail),
			REVIEW_INVALID);
	json_decref(detail);
	detail = NULL;
	CU_ASSERT_EQUAL(store_review_reject(store, "3", "ed", "no", "stock_inquiry", &detail),
			REVIEW_OK);
	json_decref(detail);
	detail = NULL;
	CU_ASSERT_EQUAL(store_review_reject(store, "3", "ed", "again", NULL, &detail),
			REVIEW_CONFLICT);
	json_decref(detail);
	CU_ASSERT_EQUAL(api_count("SELECT count(*) FROM drafts WHERE id = 3 AND original_body ="
				  " 'Hello Ann' AND reject_reason = 'no'"),
			1);
	store_close(&store);
}

/* A page with each row's age_seconds taken out (it moves with the clock
 * between two statements); NULL when it does not parse. */
static json_t *api_page_rows(const char *text)
{
	json_t *rows = json_loads(text, 0, NULL);
	json_t *row;
	size_t i;

	json_array_foreach(rows, i, row)
	{
		json_object_del(row, "age_seconds");
	}
	return rows;
}

/* status=pending and status=open without other filters are read by their own
 * statement (per-status index ranges, daemon/store/store_review.c); page
 * after page, in both orders and at several page sizes, it gives the rows
 * and cursors the general statement gives (an empty q, which every row
 * matches, sends the same filter there), over drafts in every state the
 * queue tells apart: pending, claimed and live, claimed and run out, claimed
 * without an expiry, rejected. */
static void test_queue_listing(void)
{
	static const char *const statuses[] = {"pending", "pending,claimed"};
	static const unsigned int limits[] = {1, 4, 50, 200};
	struct store *store = NULL;
	struct error err;
	unsigned int pages = 0, rows = 0;

	CU_ASSERT_EQUAL(
		api_count(
			"WITH m AS (INSERT INTO messages (mailbox_id, uidvalidity, uid, sha256,"
			" raw_size, sender) SELECT 1, 1, g, sha256(g::text::bytea), 1,"
			" 'bo@customer.example' FROM generate_series(100, 159) g RETURNING id),"
			" d AS (INSERT INTO drafts (message_id, category, subject, body, status,"
			" claimed_by, claim_expires) SELECT id, 'stock_inquiry', 'Re: y', 'Hi',"
			" (ARRAY['pending', 'claimed', 'claimed', 'claimed', 'rejected'])[id % 5 + "
			"1],"
			" CASE WHEN id % 5 IN (1, 2) THEN 'x' END, CASE id % 5 WHEN 1 THEN now() +"
			" interval '1 hour' WHEN 2 THEN now() - interval '1 hour' END FROM m"
			" RETURNING 1) SELECT count(*) FROM d"),
		60);
	CU_ASSERT_FATAL(store_open(db_url, 5, &store, &err) == 0);
	for (size_t s = 0; s < ARRAY_SIZE(statuses); s++) {
		for (int oldest = 0; oldest <= 1; oldest++) {
			for (size_t l = 0; l < ARRAY_SIZE(limits); l++) {
				char cursor[32] = "";

				for (;;) {
					struct review_filter f = {
						.status = statuses[s],
						.oldest = oldest == 1,
						.limit = limits[l],
						.after_id = cursor[0] != '\0' ? cursor : NULL};
					struct review_filter g = f;
					char *page_f = NULL, *next_f = NULL, *page_g = NULL,
					     *next_g = NULL;
					json_t *rows_f, *rows_g;

					g.q = "";
					CU_ASSERT_FATAL(store_review_list(store, &f, &page_f,
									  &next_f) == 0);
					CU_ASSERT_FATAL(store_review_list(store, &g, &page_g,
									  &next_g) == 0);
					rows_f = api_page_rows(page_f);
					rows_g = api_page_rows(page_g);
					CU_ASSERT(rows_f != NULL && json_equal(rows_f, rows_g));
					CU_ASSERT((next_f == NULL && next_g == NULL) ||
						  (next_f != NULL && next_g != NULL &&
						   strcmp(next_f, next_g) == 0));
					pages++;
					rows += (unsigned int)json_array_size(rows_f);
					snprintf(cursor, sizeof(cursor), "%s",
						 next_f != NULL ? next_f : "");
					json_decref(rows_f);
					json_decref(rows_g);
					free(page_f);
					free(page_g);
					free(next_f);
					free(next_g);
					if (cursor[0] == '\0' || pages > 500)
						break;
				}
			}
		}
	}
	/* every row of both listings went by once for each order and page size */
	CU_ASSERT_EQUAL((long long)rows,
			8 * api_count("SELECT count(*) FROM drafts WHERE status = 'pending' OR"
				      " (status = 'claimed' AND (claim_expires IS NULL OR"
				      " claim_expires <= now()))") +
				8 * api_count("SELECT count(*) FROM drafts WHERE status IN"
					      " ('pending', 'claimed')"));
	store_close(&store);
}

static const struct test_case api_store_cases[] = {
	{"six claims at once: one wins", test_claim_race},
	{"six approvals at once: one outbox row, five replays", test_approve_race},
	{"stale PATCH, reject validation", test_patch_and_reject},
	{"the queue's listing by status equals the general listing", test_queue_listing},
	{NULL, NULL},
};
TEST_SUITE("api_store", api_store_init, NULL, api_store_cases)
