/* SPDX-License-Identifier: MIT */
/* Ingest exactly once, model-based and seeded: random batches of a random
 * IMAP folder (the same bytes at several UIDs, redeliveries with other
 * trace headers, bulk mail, expunged UIDs) go through store_ingest_batch()
 * with random batch sizes, batches refused for a lost lease, and ranges
 * fetched again below the checkpoint (a crash between the write and the
 * checkpoint's use). After every step the database must hold what the
 * folder implies, whatever the order of events:
 *  - every distinct byte string of the folder read so far once, at its
 *    first UID; nothing else; a refused batch changes nothing;
 *  - in each content group (same content hash, other bytes) the first row
 *    by id is the original and every other one a redelivery pointing at it,
 *    skipped, with no job;
 *  - exactly one pipeline job per stored row that is neither screened nor a
 *    redelivery; the checkpoint is the highest UID of a committed batch;
 *  - the counts the calls returned add up to the rows stored.
 * DRAFTD_TEST_SEED replays a run (printed on a failure); DRAFTD_TEST_STEPS
 * sets the steps (make test-long runs many more). */
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/ingest/ingest.h"
#include "daemon/lib/util.h"
#include "daemon/store/store_ingest.h"
#include "tests/unit/harness.h"

#define STEPS_DEFAULT 40
#define FOLDER_MAX    400
#define POOL          24

static const char *db_url;
static struct store *store;
static PGconn *check_conn; /* the checks' own session */
static uint64_t rnd_state;

static uint64_t rnd(void)
{
	return test_rand(&rnd_state);
}

static unsigned int rnd_below(unsigned int n)
{
	return (unsigned int)(rnd() % n);
}

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *s = getenv(name);
	uint64_t v = 0;

	if (s != NULL && parse_u64(s, UINT64_MAX, &v) == 0 && v != 0)
		return v;
	return dflt;
}

static int im_init(void)
{
	struct error err;

	db_url = test_create_database("draftd_test_ingest_model");
	if (db_url == NULL || store_open(db_url, 5, &store, &err) < 0 || store_migrate(store) < 0)
		return -1;
	check_conn = PQconnectdb(db_url);
	return PQstatus(check_conn) == CONNECTION_OK ? 0 : -1;
}

static int im_cleanup(void)
{
	PQfinish(check_conn);
	check_conn = NULL;
	store_close(&store);
	return 0;
}

/* The folder on the server: UID i + 1 holds message body[i] (a content
 * group) in trace variant var[i]; identical (group, variant) pairs are the
 * same bytes. */
struct folder {
	unsigned int n;
	unsigned int group[FOLDER_MAX], var[FOLDER_MAX];
	bool expunged[FOLDER_MAX];
	char *raw[FOLDER_MAX];
};

static char *im_raw(unsigned int group, unsigned int var)
{
	char *s = NULL;
	/* every fourth group is bulk mail: stored, screened, no job */
	int r = asprintf(
		&s,
		"Received: from relay%u.example (relay%u.example [192.0.2.%u])\n"
		"From: c%u@customer.example\nTo: support@example.test\n"
		"Date: Mon, 10 Mar 2025 08:%02u:00 +0000\nMessage-ID: <g%u@customer.example>\n"
		"Subject: question %u\n%s\nWhere is order SO-%u?\n",
		var, var, var + 1, group, group % 60, group, group,
		group % 4 == 3 ? "Precedence: bulk\n" : "", 100000 + group);

	return r < 0 ? NULL : s;
}

static void im_folder(struct folder *f, unsigned int n)
{
	memset(f, 0, sizeof(*f));
	f->n = n;
	for (unsigned int i = 0; i < n; i++) {
		f->group[i] = rnd_below(POOL);
		f->var[i] = rnd_below(3);
		f->expunged[i] = rnd_below(20) == 0;
		f->raw[i] = im_raw(f->group[i], f->var[i]);
	}
}

static void im_folder_free(struct folder *f)
{
	for (unsigned int i = 0; i < f->n; i++)
		free(f->raw[i]);
}

/* Stores UIDs [from, to] (1-based) as one batch; owner may be a stranger. */
static int im_batch(const struct folder *f, int64_t id, const char *owner, unsigned int from,
		    unsigned int to, struct store_ingest_counts *c)
{
	struct ingest_msg *msgs = calloc(to - from + 1, sizeof(*msgs));
	const struct store_ingest_msg **rows = calloc(to - from + 1, sizeof(*rows));
	struct mime_limits limits;
	int r = -1;

	mime_limits_default(&limits);
	if (msgs == NULL || rows == NULL)
		goto out;
	for (unsigned int u = from; u <= to; u++) {
		struct imap_msg m = {.uid = u, .data = f->raw[u - 1], .len = strlen(f->raw[u - 1])};
		struct error why;

		m.size = (uint32_t)m.len;
		if (f->expunged[u - 1])
			continue;
		if (ingest_prepare(&m, &limits, &msgs[u - from], &why) < 0)
			goto out;
		rows[u - from] = &msgs[u - from].row;
	}
	r = store_ingest_batch(store, id, owner, 1, rows, to - from + 1, from - 1, to, c);
out:
	for (unsigned int i = 0; msgs != NULL && i <= to - from; i++)
		ingest_msg_clear(&msgs[i]);
	free(msgs);
	free(rows);
	return r;
}

/* The only value sql returns with $1 = the mailbox id and, unless p2 is
 * NULL, $2 = p2 (text), as a number; -1 when there is none. */
static long long im_value(int64_t id, const char *sql, const char *p2)
{
	char idbuf[24];
	const char *params[2] = {idbuf, p2};
	PGresult *res;
	uint64_t v = 0;
	long long r = -1;

	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	res = PQexecParams(check_conn, sql, p2 != NULL ? 2 : 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
	    !PQgetisnull(res, 0, 0) && parse_u64(PQgetvalue(res, 0, 0), INT64_MAX, &v) == 0)
		r = (long long)v;
	PQclear(res);
	return r;
}

/* What the database must hold once UIDs 1..upto were read: 0 when it
 * does, else the first difference in why[]. */
static int im_check(const struct folder *f, int64_t id, unsigned int upto,
		    const struct store_ingest_counts *c, char *why, size_t size)
{
	char list[FOLDER_MAX * 8 + 8] = "";
	size_t used = 0;
	unsigned int want = 0, jobs = 0;
	long long got;

	for (unsigned int u = 1; u <= upto; u++) {
		bool first = !f->expunged[u - 1];

		for (unsigned int e = 1; first && e < u; e++)
			first = f->expunged[e - 1] || strcmp(f->raw[e - 1], f->raw[u - 1]) != 0;
		if (!first)
			continue;
		want++;
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%u", used ? "," : "",
					 u);
	}
	/* every first copy of its bytes, and nothing else */
	got = im_value(id,
		       "SELECT count(*) FROM messages WHERE mailbox_id = $1 AND"
		       " uid = ANY (string_to_array($2, ',')::bigint[])",
		       list);
	if (got != want) {
		snprintf(why, size, "%lld of the %u first copies stored", got, want);
		return -1;
	}
	got = im_value(id, "SELECT count(*) FROM messages WHERE mailbox_id = $1", NULL);
	if (got != want || c->stored != want) {
		snprintf(why, size, "%lld rows stored (counted %u), the folder implies %u", got,
			 c->stored, want);
		return -1;
	}
	/* per content group: the first by id is the original, the rest point at it */
	got = im_value(id,
		       "SELECT count(*) FROM (SELECT id, is_duplicate, duplicate_of, state,"
		       " first_value(id) OVER (PARTITION BY content_sha256 ORDER BY id) AS o"
		       " FROM messages WHERE mailbox_id = $1) x"
		       " WHERE (id = o AND is_duplicate) OR (id <> o AND (NOT is_duplicate"
		       " OR duplicate_of IS DISTINCT FROM o OR state <> 'skipped'))",
		       NULL);
	if (got != 0) {
		snprintf(why, size, "%lld rows break the original/redelivery rule", got);
		return -1;
	}
	got = im_value(id,
		       "SELECT count(*) FROM messages m WHERE m.mailbox_id = $1 AND"
		       " (SELECT count(*) FROM jobs j WHERE j.message_id = m.id) <>"
		       " (CASE WHEN m.screen_reason IS NULL THEN 1 ELSE 0 END)",
		       NULL);
	if (got != 0) {
		snprintf(why, size, "%lld rows without exactly the jobs they need", got);
		return -1;
	}
	jobs = (unsigned int)im_value(id,
				      "SELECT count(*) FROM messages WHERE mailbox_id = $1"
				      " AND screen_reason IS NULL",
				      NULL);
	if (c->stored - c->duplicates - c->screened != jobs) {
		snprintf(why, size, "counts: stored %u - duplicates %u - screened %u != %u jobs",
			 c->stored, c->duplicates, c->screened, jobs);
		return -1;
	}
	if (im_value(id, "SELECT last_uid FROM mailboxes WHERE id = $1", NULL) != upto) {
		snprintf(why, size, "checkpoint is not %u", upto);
		return -1;
	}
	return 0;
}

static void test_ingest_model(void)
{
	uint64_t seed =
		env_u64("DRAFTD_TEST_SEED",
			((uint64_t)time(NULL) << 16) ^ (uint64_t)clock() ^ 0x9e3779b97f4a7c15ULL);
	unsigned int steps = (unsigned int)env_u64("DRAFTD_TEST_STEPS", STEPS_DEFAULT);
	unsigned int runs = steps / 20 > 0 ? steps / 20 : 1;
	char why[256] = "";
	int bad = 0;

	rnd_state = seed;
	for (unsigned int run = 0; run < runs && bad == 0; run++) {
		struct mailbox_config mb = {
			.url = (char *)"imap://127.0.0.1:1",
			.user = (char *)"u",
			.folder = (char *)"INBOX",
			.address = (char *)"s@example.test",
			.poll_interval = 60,
		};
		struct store_ingest_counts c = {0, 0, 0, 0};
		struct folder *f = malloc(sizeof(*f));
		char name[32], holder[160];
		unsigned int upto = 0;
		int64_t id = 0;

		snprintf(name, sizeof(name), "model%u", run);
		mb.name = name;
		if (f == NULL || store_ingest_mailbox(store, &mb, &id) < 0 ||
		    store_ingest_lease_take(store, id, "h:model", 600, NULL, holder, 160) != 1) {
			free(f);
			CU_FAIL("setup");
			return;
		}
		im_folder(f, 20 + rnd_below(FOLDER_MAX - 20));
		for (unsigned int s = 0; s < 20 && upto < f->n && bad == 0; s++) {
			unsigned int from = upto + 1, to;
			int kind = (int)rnd_below(10);

			if (kind == 0 && upto > 0)
				from = 1 + rnd_below(upto); /* read again below the checkpoint */
			to = from + rnd_below(60);
			to = to > f->n ? f->n : to;
			if (kind == 1) { /* lease lost: refused, nothing changes */
				struct store_ingest_counts before = c;

				if (im_batch(f, id, "h:stranger", from, to, &c) != -1 ||
				    memcmp(&before, &c, sizeof(c)) != 0) {
					snprintf(why, sizeof(why), "a stranger's batch was taken");
					bad = 1;
				}
			} else if (im_batch(f, id, "h:model", from, to, &c) < 0) {
				snprintf(why, sizeof(why), "batch %u-%u failed: %s", from, to,
					 store_error(store));
				bad = 1;
			} else if (to > upto) {
				upto = to;
			}
			if (bad == 0 && im_check(f, id, upto, &c, why, sizeof(why)) < 0)
				bad = 1;
			if (bad != 0)
				fprintf(stderr,
					"\ningest model: seed %" PRIu64 " run %u step %u (replay: "
					"DRAFTD_TEST_SEED=%" PRIu64 "): %s\n",
					seed, run, s, seed, why);
		}
		im_folder_free(f);
		free(f);
	}
	CU_ASSERT_EQUAL(bad, 0);
}

static const struct test_case model_cases[] = {
	{"random folders and batches: every mail once, redeliveries marked (seeded)",
	 test_ingest_model},
	{NULL, NULL},
};
TEST_SUITE("ingest_model", im_init, im_cleanup, model_cases)
