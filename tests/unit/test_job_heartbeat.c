/* SPDX-License-Identifier: MIT */
/* The job heartbeat against the real test Postgres: a held job's short
 * lease is renewed while it is held, so no one else takes it; dropped, it
 * runs out and is taken again; renewal never touches a lease someone else
 * holds now. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/pipeline/job_heartbeat.h"
#include "daemon/store/store.h"
#include "daemon/store/store_jobs.h"
#include "daemon/store/store_pool.h"
#include "daemon/lib/util.h"
#include "tests/unit/harness.h"

static char db_url[512];
static struct store *store;

static void sql_run(const char *sql)
{
	PGconn *conn = PQconnectdb(db_url);

	PQclear(PQexec(conn, sql));
	PQfinish(conn);
}

static int init(void)
{
	const char *url = test_create_database("draftd_test_job_heartbeat");
	struct error err;

	if (url == NULL || str_copy(db_url, sizeof(db_url), url) < 0 ||
	    store_open(db_url, 5, &store, &err) < 0 || store_migrate(store) < 0)
		return -1;
	sql_run("INSERT INTO mailboxes (name, imap_url, imap_user) VALUES ('t', 'imap://h', 'u')");
	sql_run("WITH m AS (INSERT INTO messages (mailbox_id, uidvalidity, uid, sha256, raw_size)"
		" SELECT id, 1, 1, sha256('1'::bytea), 10 FROM mailboxes RETURNING id)"
		" INSERT INTO jobs (message_id) SELECT id FROM m");
	return 0;
}

static int cleanup(void)
{
	store_close(&store);
	return 0;
}

static void test_held_job_keeps_its_lease(void)
{
	struct job_heartbeat *hb = NULL;
	struct store_job a, b;
	const char *owners[1];
	struct error herr;

	CU_ASSERT_EQUAL_FATAL(job_heartbeat_start(db_url, 5, &hb, &herr), 0);
	CU_ASSERT_EQUAL_FATAL(store_job_take(store, "hb:a", 2, &a), 1);
	CU_ASSERT_EQUAL(job_heartbeat_hold(hb, &a, 2), 0);
	/* three leases long: only the heartbeat keeps it */
	sleep(6);
	CU_ASSERT_EQUAL(store_job_take(store, "hb:b", 2, &b), 0);
	job_heartbeat_drop(hb, &a);
	sleep(3);
	CU_ASSERT_EQUAL_FATAL(store_job_take(store, "hb:b", 60, &b), 1);
	CU_ASSERT_EQUAL(b.id, a.id);
	CU_ASSERT_EQUAL(b.attempts, 2);
	/* the old holder's renewal does not touch b's lease */
	owners[0] = "hb:a";
	CU_ASSERT_EQUAL(store_jobs_renew(store, &a.id, owners, 1, 1), 0);
	owners[0] = "hb:b";
	CU_ASSERT_EQUAL(store_jobs_renew(store, &b.id, owners, 1, 60), 1);
	job_heartbeat_stop(&hb);
	CU_ASSERT_PTR_NULL(hb);
}

/* draftd's backends on the test database (this file's store included). */
static long draftd_backends(void)
{
	PGconn *conn = PQconnectdb(db_url);
	PGresult *res = PQexec(conn, "SELECT count(*) FROM pg_stat_activity WHERE datname ="
				     " current_database() AND application_name = 'draftd'");
	long n = PQresultStatus(res) == PGRES_TUPLES_OK ? strtol(PQgetvalue(res, 0, 0), NULL, 10)
							: -1;

	PQclear(res);
	PQfinish(conn);
	return n;
}

/* `draftd run`'s heartbeat renews on the daemon's side pool: the lease is
 * kept as with a connection of its own, and no connection is opened beyond
 * the pool's one (issue 14: it was the sixth connection at scale). */
static void test_pooled_heartbeat_adds_no_connection(void)
{
	struct job_heartbeat *hb = NULL;
	struct store_pool *pool = NULL;
	struct store_job c, d;
	struct error herr;

	sql_run("WITH m AS (INSERT INTO messages (mailbox_id, uidvalidity, uid, sha256, raw_size)"
		" SELECT id, 1, 2, sha256('2'::bytea), 10 FROM mailboxes RETURNING id)"
		" INSERT INTO jobs (message_id) SELECT id FROM m");
	CU_ASSERT_EQUAL_FATAL(store_pool_new(db_url, 5, 1, &pool), 0);
	CU_ASSERT_EQUAL_FATAL(job_heartbeat_start_pooled(pool, &hb, &herr), 0);
	CU_ASSERT_EQUAL_FATAL(store_job_take(store, "hb:c", 2, &c), 1);
	CU_ASSERT_EQUAL(job_heartbeat_hold(hb, &c, 2), 0);
	sleep(4); /* two leases long: renewed on the pool's connection */
	CU_ASSERT_EQUAL(store_job_take(store, "hb:d", 2, &d), 0);
	/* this file's store and the pool's one */
	CU_ASSERT_EQUAL(draftd_backends(), 2);
	job_heartbeat_drop(hb, &c);
	job_heartbeat_stop(&hb);
	store_pool_free(&pool);
}

static const struct test_case job_heartbeat_cases[] = {
	{"a held job's short lease is renewed; dropped, it is taken again",
	 test_held_job_keeps_its_lease},
	/* after the one above: its job stays taken (60 s), this one takes another */
	{"the heartbeat on a pool of one keeps a lease and opens nothing more",
	 test_pooled_heartbeat_adds_no_connection},
	{NULL, NULL},
};

TEST_SUITE("job_heartbeat", init, cleanup, job_heartbeat_cases)
