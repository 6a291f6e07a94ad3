/* SPDX-License-Identifier: MIT */
/* daemon/store_people (people, sessions, auth keys; migration 0100) against
 * the real test Postgres, plus a seeded model-based run: random sign-ins,
 * uses, sign-outs, password changes, disables and crashes (a dropped
 * connection mid-transaction, a reconnect), each checked against a model of
 * which sessions must be live. A failing run prints its seed; replay it with
 * DRAFTD_TEST_SEED=N (DRAFTD_TEST_STEPS=N for a longer run). */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/store/store.h"
#include "daemon/store/store_audit.h"
#include "daemon/store/store_people.h"
#include "tests/unit/harness.h"
#include "ui-api/auth/auth_password.h"
#include "ui-api/auth/auth_session.h"

#define IDLE 3600
#define ABS  86400

static const char *db_url;
static struct store *store;

static int people_init(void)
{
	struct error err;

	db_url = test_create_database("draftd_test_people");
	if (db_url == NULL || store_open(db_url, 5, &store, &err) < 0)
		return -1;
	return store_migrate(store) >= 0 ? 0 : -1;
}

static int people_cleanup(void)
{
	store_close(&store);
	return 0;
}

static void sql(const char *text)
{
	PGconn *conn = PQconnectdb(db_url);
	PGresult *res = PQexec(conn, text);

	CU_ASSERT_EQUAL(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);
	PQfinish(conn);
}

static void test_person_create(void)
{
	char hash[AUTH_PASSWORD_ENCODED_MAX];
	const struct auth_password_params fast = {64, 1, 1};
	struct store_person p;
	struct error error = {0};
	long long id = 0, id2 = 0;
	long long rows, bad;
	char why[200];

	CU_ASSERT_EQUAL_FATAL(auth_password_hash(&fast, "alice pw", hash, sizeof(hash), &error), 0);
	CU_ASSERT_EQUAL(store_person_create(store, "Alice", "Alice A.", "alice@example.org",
					    "reviewer", hash, "ada", &id),
			1);
	CU_ASSERT_TRUE(id > 0);
	/* one person per login in any letter case */
	CU_ASSERT_EQUAL(store_person_create(store, "alice", NULL, NULL, "admin", NULL, "ada", &id2),
			0);
	CU_ASSERT_EQUAL(store_person_get(store, "ALICE", &p), 1);
	CU_ASSERT_EQUAL(p.id, id);
	CU_ASSERT_STRING_EQUAL(p.login, "Alice");
	CU_ASSERT_STRING_EQUAL(p.role, "reviewer");
	CU_ASSERT_FALSE(p.disabled);
	CU_ASSERT_EQUAL(auth_password_verify(p.password_hash, "alice pw", &error), 1);
	CU_ASSERT_EQUAL(store_person_get(store, "nobody", &p), 0);
	/* the schema refuses a role or login draftd does not know, and a hash
	 * that is not Argon2id */
	CU_ASSERT_EQUAL(store_person_create(store, "eve", NULL, NULL, "root", NULL, "ada", &id2),
			-1);
	CU_ASSERT_EQUAL(
		store_person_create(store, "e ve", NULL, NULL, "reviewer", NULL, "ada", &id2), -1);
	CU_ASSERT_EQUAL(
		store_person_create(store, "eve", NULL, NULL, "reviewer", "plain", "ada", &id2),
		-1);
	CU_ASSERT_TRUE(person_login_valid("ada.l@example-1"));
	CU_ASSERT_FALSE(person_login_valid("ada l"));
	CU_ASSERT_FALSE(person_login_valid(""));
	/* audited, naming who did it, never with the hash */
	CU_ASSERT_EQUAL(store_audit_verify(store, &rows, &bad, why, sizeof(why)), 1);
	{
		json_t *rows_j = NULL;
		char *text;

		CU_ASSERT_EQUAL_FATAL(
			store_audit_list(store, NULL, NULL, "person", "Alice", 10, &rows_j), 0);
		CU_ASSERT_EQUAL(json_array_size(rows_j), 1);
		text = json_dumps(rows_j, 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"actor\": \"ada\""));
		CU_ASSERT_PTR_NULL(strstr(text, "argon2id"));
		free(text);
		json_decref(rows_j);
	}
}

static void test_session_life(void)
{
	char token[AUTH_SESSION_TOKEN_LEN + 1], sid[AUTH_SESSION_ID_LEN + 1];
	struct store_session s;
	struct store_person p;
	long long id;

	CU_ASSERT_EQUAL_FATAL(
		store_person_create(store, "bob", "Bob", NULL, "admin", NULL, "cli", &id), 1);
	CU_ASSERT_EQUAL_FATAL(auth_session_new(token, sid), 0);
	CU_ASSERT_EQUAL(store_session_create(store, sid, id, IDLE, ABS, "127.0.0.1"), 1);
	CU_ASSERT_EQUAL(store_session_use(store, sid, IDLE, ABS, &s), 1);
	CU_ASSERT_EQUAL(s.person_id, id);
	CU_ASSERT_STRING_EQUAL(s.login, "bob");
	CU_ASSERT_STRING_EQUAL(s.role, "admin");
	CU_ASSERT_TRUE(s.expires > s.last_seen && s.expires <= s.created + ABS);
	/* a token is not an id: what the cookie carries never finds a row */
	CU_ASSERT_EQUAL(store_session_use(store, token, IDLE, ABS, &s), 0);
	/* the id column takes only hex SHA-256 */
	CU_ASSERT_EQUAL(store_session_create(store, token, id, IDLE, ABS, NULL), -1);
	/* expired (the row's clock moved back instead of waiting) */
	sql("UPDATE sessions SET expires_at = now() - interval '1 second'");
	CU_ASSERT_EQUAL(store_session_use(store, sid, IDLE, ABS, &s), 0);
	CU_ASSERT_EQUAL(store_session_end(store, sid), 0);
	/* using a session moves expires on, never past the absolute end */
	CU_ASSERT_EQUAL_FATAL(auth_session_new(token, sid), 0);
	CU_ASSERT_EQUAL(store_session_create(store, sid, id, IDLE, ABS, NULL), 1);
	sql("UPDATE sessions SET created_at = now() - interval '86390 seconds'");
	CU_ASSERT_EQUAL(store_session_use(store, sid, IDLE, ABS, &s), 1);
	CU_ASSERT_TRUE(s.expires <= s.created + ABS);
	CU_ASSERT_TRUE(s.expires - s.last_seen <= 10);
	/* sign-out */
	CU_ASSERT_EQUAL(store_session_end(store, sid), 1);
	CU_ASSERT_EQUAL(store_session_use(store, sid, IDLE, ABS, &s), 0);
	/* a disabled person gets no session */
	CU_ASSERT_EQUAL(store_person_set_disabled(store, "bob", true, "cli"), 1);
	CU_ASSERT_EQUAL(store_person_set_disabled(store, "bob", true, "cli"), 0);
	CU_ASSERT_EQUAL_FATAL(auth_session_new(token, sid), 0);
	CU_ASSERT_EQUAL(store_session_create(store, sid, id, IDLE, ABS, NULL), 0);
	CU_ASSERT_EQUAL(store_person_get(store, "bob", &p), 1);
	CU_ASSERT_TRUE(p.disabled);
	CU_ASSERT_EQUAL(store_session_create(store, sid, 999999, IDLE, ABS, NULL), 0);
}

static void test_auth_key(void)
{
	unsigned char a[32], b[32], k1[32], k2[32];

	memset(a, 0xaa, sizeof(a));
	memset(b, 0xbb, sizeof(b));
	CU_ASSERT_EQUAL(store_auth_key(store, "csrf", a, k1), 0);
	CU_ASSERT_EQUAL(memcmp(k1, a, 32), 0);
	/* a second instance with its own candidate gets the first one's key */
	CU_ASSERT_EQUAL(store_auth_key(store, "csrf", b, k2), 0);
	CU_ASSERT_EQUAL(memcmp(k2, a, 32), 0);
	CU_ASSERT_EQUAL(store_auth_key(store, "other", b, k2), 0);
	CU_ASSERT_EQUAL(memcmp(k2, b, 32), 0);
}

/* The model: which person each session belongs to and whether it is live. */
#define M_PEOPLE   3
#define M_SESSIONS 24

struct model {
	long long person_id[M_PEOPLE];
	bool disabled[M_PEOPLE];
	char sid[M_SESSIONS][AUTH_SESSION_ID_LEN + 1];
	int owner[M_SESSIONS];
	bool live[M_SESSIONS];
	int count;
};

static const char *m_login(int p)
{
	static const char *names[M_PEOPLE] = {"m-ann", "m-ben", "m-cy"};

	return names[p];
}

/* A crash mid-transaction: a connection starts ending every session and
 * disabling everyone, then dies without COMMIT. Nothing may change. */
static void crash_mid_transaction(void)
{
	PGconn *conn = PQconnectdb(db_url);

	PQclear(PQexec(conn, "BEGIN"));
	PQclear(PQexec(conn, "UPDATE sessions SET ended_at = now()"));
	PQclear(PQexec(conn, "UPDATE people SET disabled_at = now()"));
	PQfinish(conn);
}

/* One step; returns false (after printing what) when the store disagrees. */
static bool model_step(struct model *m, unsigned int *seed, int step)
{
	struct error err;
	char token[AUTH_SESSION_TOKEN_LEN + 1];
	struct store_session s;
	int op = rand_r(seed) % 8, p = rand_r(seed) % M_PEOPLE, i, r = 0, want = 0;
	bool end = false;

	i = m->count > 0 ? rand_r(seed) % m->count : 0;
	switch (op) {
	case 0:
	case 1: /* sign in */
		if (m->count == M_SESSIONS || auth_session_new(token, m->sid[m->count]) < 0)
			return true;
		r = store_session_create(store, m->sid[m->count], m->person_id[p], IDLE, ABS, NULL);
		want = m->disabled[p] ? 0 : 1;
		m->owner[m->count] = p;
		m->live[m->count++] = want == 1;
		break;
	case 2:
	case 3: /* a request */
		if (m->count == 0)
			return true;
		r = store_session_use(store, m->sid[i], IDLE, ABS, &s);
		want = m->live[i] ? 1 : 0;
		if (r == 1 && s.person_id != m->person_id[m->owner[i]])
			r = 9;
		break;
	case 4: /* sign-out */
		if (m->count == 0)
			return true;
		r = store_session_end(store, m->sid[i]);
		want = m->live[i] ? 1 : 0;
		m->live[i] = false;
		break;
	case 5: /* password change, which signs out everywhere, or a rehash, which does not */
		end = rand_r(seed) % 2 == 0;
		r = store_person_set_password(store, m_login(p), NULL, end, "model");
		want = 1;
		break;
	case 6: /* disable (signs out everywhere) or enable */
		r = store_person_set_disabled(store, m_login(p), !m->disabled[p], "model");
		want = 1;
		m->disabled[p] = !m->disabled[p];
		end = m->disabled[p];
		break;
	default: /* a crash, then a restart (new connection) */
		crash_mid_transaction();
		store_close(&store);
		if (store_open(db_url, 5, &store, &err) < 0)
			r = -1;
		want = 0;
		break;
	}
	for (i = 0; end && i < m->count; i++) {
		if (m->owner[i] == p)
			m->live[i] = false;
	}
	if (r != want) {
		printf("\n  step %d: op %d person %d session %d: store %d, model %d\n", step, op, p,
		       i, r, want);
		return false;
	}
	return true;
}

static void test_people_model(void)
{
	const char *env = getenv("DRAFTD_TEST_SEED"), *steps_env = getenv("DRAFTD_TEST_STEPS");
	unsigned int seed =
		env != NULL ? (unsigned int)strtoul(env, NULL, 10) : (unsigned int)time(NULL);
	unsigned int seed0 = seed;
	int steps = steps_env != NULL ? (int)strtol(steps_env, NULL, 10) : 300, step, p, i;
	struct store_session s;
	struct model m;
	bool ok = true;

	memset(&m, 0, sizeof(m));
	for (p = 0; p < M_PEOPLE; p++)
		CU_ASSERT_EQUAL_FATAL(store_person_create(store, m_login(p), NULL, NULL, "reviewer",
							  NULL, "model", &m.person_id[p]),
				      1);
	for (step = 0; ok && step < steps; step++)
		ok = model_step(&m, &seed, step);
	/* the invariant at the end: live in the store exactly when in the model */
	for (i = 0; ok && i < m.count; i++) {
		int r = store_session_use(store, m.sid[i], IDLE, ABS, &s);

		if (r != (m.live[i] ? 1 : 0)) {
			printf("\n  final: session %d store %d model %d\n", i, r, m.live[i]);
			ok = false;
		}
		if (r == 1 && m.disabled[m.owner[i]])
			ok = false;
	}
	if (!ok)
		printf("  people model failed after %d steps: replay with DRAFTD_TEST_SEED=%u\n",
		       step, seed0);
	CU_ASSERT_TRUE(ok);
}

static const struct test_case store_people_cases[] = {
	{"people: create, one login in any case, schema refusals, audited", test_person_create},
	{"sessions: create, use, expiry, absolute end, sign-out, disabled person",
	 test_session_life},
	{"auth keys: the first instance's key wins", test_auth_key},
	{"model: random sign-ins, uses, sign-outs, password changes, disables, crashes",
	 test_people_model},
	{NULL, NULL},
};

TEST_SUITE("store_people", people_init, people_cleanup, store_people_cases)
