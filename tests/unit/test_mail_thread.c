/* SPDX-License-Identifier: MIT */
/* The thread keys computed in C (daemon/mail/mail_thread.c) against the SQL
 * functions the trigger uses (migration 0195), seeded and replayable:
 * random and hostile header values (angle brackets, commas, folding,
 * duplicates, long lists cut at 20,000 characters, reply and forward
 * prefixes in several languages and cases, [tags], non-ASCII letters and
 * whitespace). Then the stored rows: ingest's COPY carries the C keys and
 * they equal what the SQL computes; a writer that does not send them gets
 * them from the trigger, and an update of the headers recomputes them.
 * DRAFTD_TEST_SEED replays a run (printed on a failure);
 * DRAFTD_THREAD_ROUNDS sets the number of random cases (default 2000,
 * 20000 under make test-long). */
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/lib/buf.h"
#include "daemon/lib/util.h"
#include "daemon/mail/mail_thread.h"
#include "daemon/store/store_ingest.h"
#include "tests/unit/harness.h"

#define ROUNDS_DEFAULT 2000
#define ROUNDS_LONG    20000

static const char *db_url;
static PGconn *conn;
static uint64_t rnd_state;

static int mt_init(void)
{
	db_url = test_store_database("draftd_test_mail_thread", NULL);
	if (db_url == NULL)
		return -1;
	conn = PQconnectdb(db_url);
	return PQstatus(conn) == CONNECTION_OK ? 0 : -1;
}

static int mt_cleanup(void)
{
	PQfinish(conn);
	conn = NULL;
	return 0;
}

static unsigned int rnd_below(unsigned int n)
{
	return (unsigned int)(test_rand(&rnd_state) % n);
}

/* The C keys as one comparable string: ids joined by \x01, then \x02 and
 * the subject. */
static char *c_keys(const char *mid, const char *irt, const char *refs, const char *subj)
{
	struct buf b;
	char **ids = NULL, *s = NULL;
	size_t n = 0;
	int ok = 0;

	buf_init(&b, 1u << 24);
	if (mail_thread_ids(mid, irt, refs, &ids, &n) < 0 ||
	    (s = mail_thread_subject(subj)) == NULL)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (buf_printf(&b, "%s%s", i > 0 ? "\x01" : "", ids[i]) < 0)
			goto out;
	}
	ok = buf_printf(&b, "\x02%s", s) == 0;
out:
	if (!ok)
		buf_free(&b); /* NULL: reported as a difference */
	free(ids);
	free(s);
	return b.data;
}

/* The same string from the SQL functions (NULL on a database error). */
static char *sql_keys(const char *mid, const char *irt, const char *refs, const char *subj)
{
	const char *p[4] = {mid, irt, refs, subj};
	PGresult *res = PQexecParams(
		conn,
		"SELECT array_to_string(draftd_msgid_list(coalesce($1, '') || ' ' ||"
		" coalesce($2, '') || ' ' || coalesce($3, '')), E'\\x01') || E'\\x02' ||"
		" draftd_thread_subject($4)",
		4, NULL, p, NULL, NULL, 0);
	char *out = NULL;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		out = strdup(PQgetvalue(res, 0, 0));
	else
		fprintf(stderr, "mail_thread: %s", PQerrorMessage(conn));
	PQclear(res);
	return out;
}

static void check_known(const char *subject, const char *want)
{
	char *got = mail_thread_subject(subject);

	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	if (strcmp(got, want) != 0)
		fprintf(stderr, "\nthread subject of \"%s\": \"%s\", want \"%s\"\n", subject, got,
			want);
	CU_ASSERT_STRING_EQUAL(got, want);
	free(got);
}

static void test_known(void)
{
	char **ids = NULL;
	size_t n = 0;

	check_known("Re: AW: Fwd: Bestellung 5", "bestellung 5");
	check_known("RE [3] : [EXT] fw: Hi", "hi");
	check_known("  [ticket #5]re:x", "x");
	check_known("Ref: Antw:  Ärger ÜBER Œuvre", "ärger über œuvre");
	check_known("Reply: no", "reply: no");
	check_known("re[x]: kept", "re[x]: kept");
	check_known("[unclosed Re: x", "[unclosed re: x");
	check_known("SV: ÀÞ×ŸÖ", "àþ×ÿö");
	check_known(NULL, "");
	CU_ASSERT_EQUAL_FATAL(mail_thread_ids("<a@b>", "<c@d>, <a@b>",
					      "x <e@f><g@h> @x y@ bad <@@@> q@r@s", &ids, &n),
			      0);
	CU_ASSERT_EQUAL_FATAL(n, 6);
	CU_ASSERT_STRING_EQUAL(ids[0], "@@@");
	CU_ASSERT_STRING_EQUAL(ids[1], "a@b");
	CU_ASSERT_STRING_EQUAL(ids[5], "q@r@s");
	CU_ASSERT_PTR_NULL(ids[6]);
	free(ids);
}

/* One random piece of a hostile header value. Returns 0 or -1 (full). */
static int piece(struct buf *b)
{
	static const char *const bits[] = {
		"<",      ">",       ",",       " ",         "\t",     "\r\n ", "@",     "@@",
		"a",      "Z",       "x.y",     "é",         "Ä",      "ÿ",     "×",     "Œ",
		"Ÿ",      "ß",       "\u3000",  "\u00a0",    "\u2028", "Ω",     "Ж",     "😀",
		"Re:",    "RE :",    "re[2]:",  "Re [12] :", "AW:",    "Aw:",   "Fwd:",  "FW:",
		"fw[x]:", "WG:",     "SV:",     "TR:",       "RV:",    "R:",    "Antw:", "Ref:",
		"[tag]",  "[",       "]",       "[]",        ":",      "0",     "123",   "ref",
		"<a@b>",  "<x@y.z>", "c@d,e@f", "\v",        "\f",     "Ｒｅ:", "İ",     "K",
	};
	unsigned int k = rnd_below(8);

	if (k < 6) {
		return buf_append_str(b, bits[rnd_below(sizeof(bits) / sizeof(bits[0]))]);
	} else if (k == 6) {
		char c = (char)(' ' + rnd_below(95)); /* printable ASCII */

		return buf_append(b, &c, 1);
	} else {
		/* any code point but NUL, controls below space and surrogates */
		static const uint32_t top[] = {0x7f, 0x7ff, 0xffff, 0x10ffff};
		uint32_t cp = 0x20 + rnd_below(top[rnd_below(4)] - 0x1f);
		char u[4];
		size_t n;

		if (cp >= 0xd800 && cp <= 0xdfff)
			cp = 'q';
		if (cp < 0x80) {
			u[0] = (char)cp;
			n = 1;
		} else if (cp < 0x800) {
			u[0] = (char)(0xc0 | (cp >> 6));
			u[1] = (char)(0x80 | (cp & 0x3f));
			n = 2;
		} else if (cp < 0x10000) {
			u[0] = (char)(0xe0 | (cp >> 12));
			u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
			u[2] = (char)(0x80 | (cp & 0x3f));
			n = 3;
		} else {
			u[0] = (char)(0xf0 | (cp >> 18));
			u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
			u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
			u[3] = (char)(0x80 | (cp & 0x3f));
			n = 4;
		}
		return buf_append(b, u, n);
	}
}

/* A random header value, NULL one time in eight; now and then long enough
 * to be cut (Message-ID lists past 20,000 characters, subjects past 998). */
static char *value(struct buf *b, unsigned int long_len)
{
	unsigned int len =
		rnd_below(16) == 0 ? long_len + rnd_below(long_len / 4 + 1) : rnd_below(24);

	buf_free(b);
	buf_init(b, 1u << 24);
	if (rnd_below(8) == 0)
		return NULL;
	if (buf_append_str(b, "") < 0)
		return NULL;
	for (unsigned int i = 0; i < len; i++) {
		/* real-looking ids, with repeats among them, or a hostile piece */
		int r = rnd_below(3) == 0 ? buf_printf(b, "<%c%u@h%u.test>", 'a' + rnd_below(3),
						       rnd_below(50), rnd_below(3))
					  : piece(b);

		if (r < 0)
			break;
	}
	return b->data;
}

/* Every code point of U+0020..U+07FF (the fold's table lives there) in
 * subjects of 900 characters, each compared whole. */
static void test_fold_all(void)
{
	struct buf b;
	unsigned int bad = 0;

	buf_init(&b, 1u << 20);
	for (uint32_t cp = 0x20; cp < 0x800 && bad == 0; cp += 900) {
		char *c, *q;

		buf_reset(&b);
		for (uint32_t k = cp; k < cp + 900 && k < 0x800; k++) {
			char u[2] = {(char)(0xc0 | (k >> 6)), (char)(0x80 | (k & 0x3f))};

			if (k < 0x80)
				u[1] = (char)k;
			CU_ASSERT_EQUAL_FATAL(
				buf_append(&b, k < 0x80 ? u + 1 : u, k < 0x80 ? 1 : 2), 0);
		}
		c = c_keys(NULL, NULL, NULL, b.data);
		q = sql_keys(NULL, NULL, NULL, b.data);
		CU_ASSERT_PTR_NOT_NULL_FATAL(q);
		bad += c == NULL || strcmp(c, q) != 0;
		free(c);
		free(q);
	}
	buf_free(&b);
	CU_ASSERT_EQUAL(bad, 0);
}

static void test_random(void)
{
	uint64_t seed = 0, rounds = 0;
	const char *s = getenv("DRAFTD_TEST_SEED");
	struct buf v[4];
	unsigned int bad = 0;

	if (s == NULL || parse_u64(s, UINT64_MAX, &seed) < 0 || seed == 0)
		seed = ((uint64_t)time(NULL) << 16) ^ (uint64_t)clock() ^ 0x9e3779b97f4a7c15ULL;
	s = getenv("DRAFTD_THREAD_ROUNDS");
	if (s == NULL || parse_u64(s, 10000000, &rounds) < 0 || rounds == 0)
		rounds = getenv("DRAFTD_TEST_LONG") != NULL ? ROUNDS_LONG : ROUNDS_DEFAULT;
	rnd_state = seed;
	for (int i = 0; i < 4; i++)
		buf_init(&v[i], 1u << 24);
	for (uint64_t r = 0; r < rounds && bad < 3; r++) {
		const char *mid = value(&v[0], 400), *irt = value(&v[1], 400);
		const char *refs = value(&v[2], 7000), *subj = value(&v[3], 500);
		char *c = c_keys(mid, irt, refs, subj), *q = sql_keys(mid, irt, refs, subj);

		CU_ASSERT_PTR_NOT_NULL_FATAL(q);
		if (c == NULL || strcmp(c, q) != 0) {
			fprintf(stderr,
				"\nmail_thread: seed %" PRIu64 " round %" PRIu64
				" (replay: DRAFTD_TEST_SEED=%" PRIu64 "): C and SQL differ for"
				" subject \"%.200s\": C \"%.300s\", SQL \"%.300s\"\n",
				seed, r, seed, subj != NULL ? subj : "(null)", c != NULL ? c : "",
				q);
			bad++;
		}
		free(c);
		free(q);
	}
	for (int i = 0; i < 4; i++)
		buf_free(&v[i]);
	CU_ASSERT_EQUAL(bad, 0);
}

static long long q1(const char *sql)
{
	return test_sql_value(db_url, sql);
}

/* Rows through ingest's COPY carry keys equal to the SQL's; a plain INSERT
 * gets them from the trigger; an UPDATE of the subject recomputes them. */
static void test_stored(void)
{
	static const struct mailbox_config mb = {
		.name = (char *)"thread",
		.url = (char *)"imap://127.0.0.1:1",
		.user = (char *)"u",
		.folder = (char *)"INBOX",
		.address = (char *)"s@example.test",
		.poll_interval = 60,
	};
	enum { ROWS = 60 };
	struct store_ingest_msg m[ROWS];
	const struct store_ingest_msg *rows[ROWS];
	struct store_ingest_counts c = {0, 0, 0, 0};
	struct buf v[ROWS][4];
	struct store *store = NULL;
	struct error err;
	char holder[64];
	int64_t id = 0;

	rnd_state = 0x5eed0195u;
	CU_ASSERT_EQUAL_FATAL(store_open(db_url, 2, &store, &err), 0);
	CU_ASSERT_EQUAL_FATAL(store_ingest_mailbox(store, &mb, &id), 0);
	CU_ASSERT_EQUAL_FATAL(store_ingest_lease_take(store, id, "t:1", 60, NULL, holder, 64), 1);
	memset(m, 0, sizeof(m));
	for (int i = 0; i < ROWS; i++) {
		for (int k = 0; k < 4; k++)
			buf_init(&v[i][k], 1u << 24);
		m[i].uid = (uint32_t)(i + 1);
		m[i].raw = "x";
		m[i].raw_len = m[i].raw_size = 1;
		m[i].sha256[0] = (unsigned char)i;
		m[i].sha256[1] = 0x95;
		m[i].date_epoch = -1;
		m[i].message_id = value(&v[i][0], 300);
		m[i].in_reply_to = value(&v[i][1], 300);
		m[i].references = value(&v[i][2], 7000);
		m[i].subject = value(&v[i][3], 500);
		m[i].screen_reason = "list";
		rows[i] = &m[i];
	}
	CU_ASSERT_EQUAL(store_ingest_batch(store, id, "t:1", 1, rows, ROWS, 0, ROWS, &c), 0);
	CU_ASSERT_EQUAL(c.stored, ROWS);
	CU_ASSERT_EQUAL(q1("SELECT count(*) FROM messages WHERE thread_ids = draftd_msgid_list("
			   "coalesce(message_id, '') || ' ' || coalesce(in_reply_to, '') || ' ' ||"
			   " coalesce(\"references\", '')) AND thread_subject ="
			   " draftd_thread_subject(subject)"),
			ROWS);
	CU_ASSERT_EQUAL(q1("INSERT INTO messages (mailbox_id, uidvalidity, uid, sha256, raw_size,"
			   " message_id, \"references\", subject) SELECT id, 1, 1000,"
			   " sha256('z'::bytea), 1, '<m@x>', '<r@x> <m@x>', 'AW: Re: Rechnung' "
			   "FROM mailboxes"
			   " WHERE name = 'thread' RETURNING 1"),
			1);
	CU_ASSERT_EQUAL(q1("SELECT count(*) FROM messages WHERE uid = 1000 AND thread_ids ="
			   " '{m@x,r@x}' AND thread_subject = 'rechnung'"),
			1);
	CU_ASSERT_EQUAL(q1("WITH u AS (UPDATE messages SET subject = 'WG: Lieferung', in_reply_to"
			   " = '<i@x>' WHERE uid = 1000 RETURNING 1) SELECT count(*) FROM u"),
			1);
	CU_ASSERT_EQUAL(q1("SELECT count(*) FROM messages WHERE uid = 1000 AND thread_ids ="
			   " '{i@x,m@x,r@x}' AND thread_subject = 'lieferung'"),
			1);
	for (int i = 0; i < ROWS; i++)
		for (int k = 0; k < 4; k++)
			buf_free(&v[i][k]);
	store_close(&store);
}

static const struct test_case mail_thread_cases[] = {
	{"known subjects and Message-ID lists", test_known},
	{"case folding of U+0020..U+07FF equals the SQL's", test_fold_all},
	{"C keys equal the SQL functions over random hostile headers (seeded)", test_random},
	{"ingest's COPY stores the C keys; other writers get the trigger's", test_stored},
	{NULL, NULL},
};
TEST_SUITE("mail_thread", mt_init, mt_cleanup, mail_thread_cases)
