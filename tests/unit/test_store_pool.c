/* SPDX-License-Identifier: MIT */
/* store_pool against the real test Postgres: never more connections than
 * its size whatever the number of threads, a borrower waits for a returned
 * connection, a killed connection is reconnected on the next borrow. */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/store/store_pool.h"
#include "daemon/store/store_private.h"
#include "tests/unit/harness.h"

#define POOL_DB "draftd_test_store_pool"

static const char *db_url;

static int sp_init(void)
{
	db_url = test_create_database(POOL_DB);
	return db_url == NULL ? -1 : 0;
}

static long long sp_q(const char *sql)
{
	return test_sql_value(db_url, sql);
}

/* Connections to the pool's database other than the one asking. */
static long long sp_connections(void)
{
	return sp_q("SELECT count(*) FROM pg_stat_activity WHERE datname = '" POOL_DB
		    "' AND pid <> pg_backend_pid()");
}

struct sp_worker {
	struct store_pool *pool;
	atomic_int done;
	int failures;
};

static void *sp_borrow_many(void *arg)
{
	struct sp_worker *w = arg;
	struct store *s;
	struct error err;

	for (int i = 0; i < 20; i++) {
		if (store_pool_get(w->pool, &s, &err) < 0 || store_command(s, "SELECT 1") < 0)
			w->failures++;
		store_pool_put(w->pool, &s);
	}
	atomic_fetch_add(&w->done, 1);
	return NULL;
}

static void test_pool_bounded(void)
{
	struct store_pool *pool = NULL;
	struct sp_worker w;
	pthread_t th[12];

	CU_ASSERT_EQUAL_FATAL(store_pool_new(db_url, 5, 2, &pool), 0);
	memset(&w, 0, sizeof(w));
	w.pool = pool;
	for (int i = 0; i < 12; i++)
		CU_ASSERT_EQUAL(pthread_create(&th[i], NULL, sp_borrow_many, &w), 0);
	for (int i = 0; i < 12; i++)
		pthread_join(th[i], NULL);
	CU_ASSERT_EQUAL(w.failures, 0);
	CU_ASSERT_EQUAL(atomic_load(&w.done), 12);
	CU_ASSERT(sp_connections() <= 2);
	store_pool_free(&pool);
	CU_ASSERT_PTR_NULL(pool);
}

static void *sp_borrow_one(void *arg)
{
	struct sp_worker *w = arg;
	struct store *s;
	struct error err;

	if (store_pool_get(w->pool, &s, &err) < 0)
		w->failures++;
	atomic_fetch_add(&w->done, 1);
	store_pool_put(w->pool, &s);
	return NULL;
}

static void test_pool_waits_and_reconnects(void)
{
	struct store_pool *pool = NULL;
	struct store *a = NULL, *b = NULL;
	struct sp_worker w;
	pthread_t th;
	struct error err;

	CU_ASSERT_EQUAL_FATAL(store_pool_new(db_url, 5, 1, &pool), 0);
	memset(&w, 0, sizeof(w));
	w.pool = pool;
	CU_ASSERT_EQUAL_FATAL(store_pool_get(pool, &a, &err), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, sp_borrow_one, &w), 0);
	/* the only connection is out: the second borrower must still wait */
	usleep(200 * 1000);
	CU_ASSERT_EQUAL(atomic_load(&w.done), 0);
	store_pool_put(pool, &a);
	CU_ASSERT_PTR_NULL(a);
	pthread_join(th, NULL);
	CU_ASSERT_EQUAL(atomic_load(&w.done), 1);
	CU_ASSERT_EQUAL(w.failures, 0);
	/* the server drops the idle connection: the next borrow reconnects */
	CU_ASSERT_EQUAL(sp_q("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
			     " WHERE datname = '" POOL_DB "' AND pid <> pg_backend_pid()"),
			1);
	usleep(100 * 1000);
	CU_ASSERT_EQUAL(store_pool_get(pool, &b, &err), 0);
	if (b != NULL)
		CU_ASSERT_EQUAL(store_command(b, "SELECT 1"), 0);
	store_pool_put(pool, &b);
	CU_ASSERT_EQUAL(sp_connections(), 1);
	store_pool_free(&pool);
}

/* Waits (bounded) until n borrowers queue on pool. */
static int sp_until_waiting(struct store_pool *pool, unsigned int n)
{
	for (int i = 0; i < 1000 && store_pool_waiting(pool) < n; i++)
		usleep(5 * 1000);
	return store_pool_waiting(pool) == n ? 0 : -1;
}

struct sp_queued {
	struct store_pool *pool;
	atomic_int *next; /* the order in which borrowers got a connection */
	int rank;
	bool broken; /* give it back inside a transaction: closed, slot passed */
};

static void *sp_borrow_ranked(void *arg)
{
	struct sp_queued *q = arg;
	struct store *s = NULL;
	struct error err;

	if (store_pool_get(q->pool, &s, &err) == 0) {
		q->rank = atomic_fetch_add(q->next, 1);
		usleep(20 * 1000);
		if (q->broken)
			(void)store_command(s, "BEGIN");
	}
	store_pool_put(q->pool, &s);
	return NULL;
}

/* First come, first served: two borrowers queue for the only connection;
 * the thread giving it back asks again at once and gets in line behind
 * them, not ahead (it did, through the idle list, before: the API's tail,
 * issue 14). A connection closed on its way back passes its slot to the
 * next in line, who opens a new one. */
static void test_pool_first_come_first_served(void)
{
	struct store_pool *pool = NULL;
	struct store *s = NULL;
	struct sp_queued q[2];
	atomic_int next = 0;
	pthread_t th[2];
	struct error err;
	int mine = -1;

	CU_ASSERT_EQUAL_FATAL(store_pool_new(db_url, 5, 1, &pool), 0);
	CU_ASSERT_EQUAL_FATAL(store_pool_get(pool, &s, &err), 0);
	for (int i = 0; i < 2; i++) {
		q[i] = (struct sp_queued){
			.pool = pool, .next = &next, .rank = -1, .broken = i == 0};
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, sp_borrow_ranked, &q[i]), 0);
		CU_ASSERT_EQUAL_FATAL(sp_until_waiting(pool, (unsigned int)i + 1), 0);
	}
	store_pool_put(pool, &s);
	if (store_pool_get(pool, &s, &err) == 0) {
		mine = atomic_fetch_add(&next, 1);
		CU_ASSERT_EQUAL(store_command(s, "SELECT 1"), 0);
	}
	store_pool_put(pool, &s);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	CU_ASSERT_EQUAL(q[0].rank, 0);
	CU_ASSERT_EQUAL(q[1].rank, 1);
	CU_ASSERT_EQUAL(mine, 2);
	CU_ASSERT_EQUAL(store_pool_waiting(pool), 0);
	store_pool_free(&pool);
}

/* A connection given back inside a transaction (a caller that forgot its
 * ROLLBACK) is closed, not lent with the transaction still open: the next
 * borrower's statements would otherwise join it (and the API lends one
 * per request). */
static void test_pool_drops_open_transaction(void)
{
	struct store_pool *pool = NULL;
	struct store *a = NULL;
	struct error err;
	int pid_a = 0;

	CU_ASSERT_EQUAL_FATAL(store_pool_new(db_url, 5, 1, &pool), 0);
	CU_ASSERT_EQUAL_FATAL(store_pool_get(pool, &a, &err), 0);
	pid_a = PQbackendPID(a->conn);
	CU_ASSERT_EQUAL(store_command(a, "BEGIN"), 0);
	store_pool_put(pool, &a);
	CU_ASSERT_PTR_NULL(a);
	CU_ASSERT_EQUAL_FATAL(store_pool_get(pool, &a, &err), 0);
	CU_ASSERT_NOT_EQUAL(PQbackendPID(a->conn), pid_a);
	CU_ASSERT_EQUAL(PQtransactionStatus(a->conn), PQTRANS_IDLE);
	store_pool_put(pool, &a);
	store_pool_free(&pool);
}

/* draftd's sessions run without JIT: compiling the statistics queries
 * cost 3-4 s of a 4 s GET /stats at 100k drafts (issue 16 item 6). */
static void test_session_without_jit(void)
{
	struct store_pool *pool = NULL;
	struct store *a = NULL;
	struct error err;
	PGresult *res;

	CU_ASSERT_EQUAL_FATAL(store_pool_new(db_url, 5, 1, &pool), 0);
	CU_ASSERT_EQUAL_FATAL(store_pool_get(pool, &a, &err), 0);
	res = PQexec(a->conn, "SHOW jit");
	CU_ASSERT_EQUAL(PQresultStatus(res), PGRES_TUPLES_OK);
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		CU_ASSERT_STRING_EQUAL(PQgetvalue(res, 0, 0), "off");
	PQclear(res);
	store_pool_put(pool, &a);
	store_pool_free(&pool);
}

/* A database that cannot be reached at all: the first borrow says so in
 * store_open()'s words. */
static void test_pool_unreachable(void)
{
	struct store_pool *pool = NULL;
	struct store *s = NULL;
	struct error err;

	CU_ASSERT_EQUAL_FATAL(
		store_pool_new("postgresql://nobody:hunter2@127.0.0.1:1/x", 2, 1, &pool), 0);
	error_set_retryable(&err, "stale");
	CU_ASSERT_EQUAL(store_pool_get(pool, &s, &err), -1);
	CU_ASSERT_PTR_NULL(s);
	CU_ASSERT_PTR_NOT_NULL(
		strstr(error_msg(&err), "cannot connect to database at 127.0.0.1:1"));
	CU_ASSERT_PTR_NULL(strstr(error_msg(&err), "hunter2"));
	CU_ASSERT_FALSE(err.retryable);
	/* the failed slot is free again: the next try fails the same way, no hang */
	CU_ASSERT_EQUAL(store_pool_get(pool, &s, &err), -1);
	store_pool_free(&pool);
}

/* An idle connection whose database is gone: the reconnect fails and the
 * borrow reports the connection's own error (store_err(), copied whole). */
static void test_pool_reconnect_fails(void)
{
	struct store_pool *pool = NULL;
	struct store *s = NULL;
	struct error err;
	char url[4200];

	snprintf(url, sizeof(url), "%s_gone", db_url);
	sp_q("DROP DATABASE IF EXISTS " POOL_DB "_gone WITH (FORCE)");
	sp_q("CREATE DATABASE " POOL_DB "_gone");
	CU_ASSERT_EQUAL_FATAL(store_pool_new(url, 5, 1, &pool), 0);
	CU_ASSERT_EQUAL_FATAL(store_pool_get(pool, &s, &err), 0);
	store_pool_put(pool, &s);
	sp_q("DROP DATABASE " POOL_DB "_gone WITH (FORCE)");
	usleep(100 * 1000);
	CU_ASSERT_EQUAL(store_pool_get(pool, &s, &err), -1);
	CU_ASSERT_PTR_NULL(s);
	CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&err), "database reconnect: "));
	CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&err), POOL_DB "_gone"));
	store_pool_free(&pool);
}

static const struct test_case pool_cases[] = {
	{"12 threads, size 2: at most 2 connections", test_pool_bounded},
	{"a borrower waits; a dropped connection is reconnected", test_pool_waits_and_reconnects},
	{"first come, first served; a closed connection's slot passes on",
	 test_pool_first_come_first_served},
	{"a connection given back in a transaction is not lent again",
	 test_pool_drops_open_transaction},
	{"sessions run without JIT", test_session_without_jit},
	{"an unreachable database: the borrow says why", test_pool_unreachable},
	{"a reconnect that fails: the connection's error is handed up", test_pool_reconnect_fails},
	{NULL, NULL},
};
TEST_SUITE("store_pool", sp_init, NULL, pool_cases)
