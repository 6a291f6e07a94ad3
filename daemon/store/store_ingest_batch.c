/* SPDX-License-Identifier: MIT */
/* Storing one fetched batch in its own transaction: one lookup of what the
 * mailbox already holds (same bytes, same UID, the original of a
 * redelivery) that also reserves the rows' ids, the decision per row in C
 * (store_ingest_plan()), one binary COPY straight into messages, then one
 * statement that queues the jobs and moves the checkpoint under the lease
 * (renewing it for the poller: no commit of its own per batch).
 * The raw bytes are written once, into messages; an earlier version copied
 * the batch into a staging table first and spent more time there (TOAST and
 * compression of every column, twice) than in messages. */
#include "daemon/store/store_ingest.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/lib/buf.h"
#include "daemon/lib/log.h"
#include "daemon/lib/util.h"
#include "daemon/mail/mail_thread.h"
#include "daemon/store/store_ingest_int.h"
#include "daemon/store/store_private.h"

/* The most one row's fields other than raw may take in the COPY stream:
 * text, quoted text, headers and the parse are bounded by the MIME limits
 * well below. */
#define SIB_ROW_MAX (64u * 1024 * 1024)
/* A hex SHA-256 and a comma, per row and hash list of the lookup. */
#define SIB_HEX_ROW 65u
/* Microseconds from the Unix epoch to PostgreSQL's (2000-01-01). */
#define SIB_PG_EPOCH_USEC (946684800LL * 1000000LL)

/* $3: hex sha256 list, $4: hex content_sha256 list ("" for none), $5: UIDs,
 * one entry per row in the batch's order. Rows come back in that order;
 * the ids are reserved in it too (ids of rows not inserted are skipped, as
 * a rolled-back insert skips them). Each probe is a LATERAL ... LIMIT 1 so
 * that it stays an index probe per row: written as EXISTS, the planner
 * turned the first two into hashed subplans reading every row of the
 * mailbox for each batch (a fresh table's statistics make that look cheap),
 * which made a long poll quadratic. */
const char store_ingest_lookup_sql[] =
	"SELECT s.hit IS NOT NULL OR u.hit IS NOT NULL, c.dup, nextval('messages_id_seq')"
	" FROM unnest(string_to_array($3, ','), string_to_array($4, ','),"
	"  string_to_array($5, ',')) WITH ORDINALITY AS x(s, c, u, ord)"
	" CROSS JOIN LATERAL (SELECT decode(x.s, 'hex') AS sha,"
	"  decode(nullif(x.c, ''), 'hex') AS csha, x.u::bigint AS uid) b"
	" LEFT JOIN LATERAL (SELECT 1 AS hit FROM messages m WHERE m.mailbox_id = $1"
	"  AND m.sha256 = b.sha LIMIT 1) s ON true"
	" LEFT JOIN LATERAL (SELECT 1 AS hit FROM messages m WHERE m.mailbox_id = $1"
	"  AND m.uidvalidity = $2 AND m.uid = b.uid LIMIT 1) u ON true"
	" LEFT JOIN LATERAL (SELECT COALESCE(m.duplicate_of, m.id) AS dup FROM messages m"
	"  WHERE b.csha IS NOT NULL AND m.mailbox_id = $1 AND m.content_sha256 = b.csha"
	"  AND m.sha256 <> b.sha ORDER BY m.id LIMIT 1) c ON true"
	" ORDER BY x.ord";

static const char sib_copy[] =
	"COPY messages (id, mailbox_id, uidvalidity, uid, message_id, sha256, content_sha256,"
	" sender, reply_to, subject, sent_date, date_raw, in_reply_to, \"references\", headers,"
	" text_body, quoted_text, attachments, raw_size, is_bulk, is_auto_submitted,"
	" is_oversized, injection_suspect, is_duplicate, duplicate_of, screen_reason, state,"
	" sender_name, parsed, parsed_version, language, thread_ids, thread_subject, raw)"
	" FROM STDIN (FORMAT binary)";
enum { SIB_FIELDS = 34 };
/* pg_type's oid of text: the element type a binary text[] names. */
#define SIB_TEXTOID 25u

/* $5: the ids to queue a job for; $7: the ids that get none (screened,
 * redeliveries), indexed for search now: the pipeline indexes the others
 * (migration 0250). The batch covers the UIDs ($6, $3]; the
 * checkpoint moves only over a contiguous prefix of committed batches (two
 * of a pass may commit out of order: migration 0240), and only while $4
 * holds the lease: leased = 0 means roll back. $8 > 0 renews the lease for
 * $8 seconds in the same UPDATE, as store_ingest_lease_take() would for its
 * holder, without a commit of its own. */
#define SIB_SEARCH STORE_SEARCH_INDEX_SQL("string_to_array($7, ',')::bigint[]")
static const char sib_finish[] =
	"WITH j AS ("
	"  INSERT INTO jobs (message_id) SELECT unnest(string_to_array($5, ',')::bigint[])"
	"  RETURNING 1"
	"), s AS (" SIB_SEARCH "), adv AS ("
	"  UPDATE mailboxes SET uidvalidity = $2,"
	"   last_uid = draftd_uid_checkpoint(last_uid, pending_uids, $6::bigint, $3::bigint),"
	"   pending_uids = draftd_uid_pending(last_uid, pending_uids, $6::bigint, $3::bigint),"
	"   lease_expires = CASE WHEN $8::int > 0 THEN now() + make_interval(secs => $8::int)"
	"    ELSE lease_expires END,"
	"   last_poll_at = now(), updated_at = now() WHERE id = $1 AND lease_owner = $4"
	"  RETURNING id"
	") SELECT (SELECT count(*) FROM j), (SELECT count(*) FROM adv)";

/* COPY's binary format: a field is its length (int32, -1 for NULL) then
 * its bytes, big-endian numbers. */
static int sib_field(struct buf *b, const void *data, size_t len)
{
	uint32_t n = htonl((uint32_t)len);

	if (data == NULL) {
		n = htonl(UINT32_MAX);
		return buf_append(b, &n, 4);
	}
	if (len > INT32_MAX)
		return -1;
	return buf_append(b, &n, 4) < 0 || buf_append(b, data, len) < 0 ? -1 : 0;
}

static int sib_text(struct buf *b, const char *s)
{
	char *owned = NULL;
	const char *clean = store_ingest_text(s, &owned);
	int r = sib_field(b, clean, clean != NULL ? strlen(clean) : 0);

	free(owned);
	return r;
}

/* jsonb's binary form: version 1, then the text (fallback when NULL). */
static int sib_jsonb(struct buf *b, const char *s, const char *fallback)
{
	char *owned = NULL;
	const char *clean = store_ingest_text(s != NULL ? s : fallback, &owned);
	size_t len = strlen(clean);
	uint32_t n = htonl((uint32_t)(len + 1));
	int r = len >= INT32_MAX || buf_append(b, &n, 4) < 0 || buf_append(b, "\1", 1) < 0 ||
				buf_append(b, clean, len) < 0
			? -1
			: 0;

	free(owned);
	return r;
}

static int sib_int8(struct buf *b, int64_t v)
{
	uint32_t half[2] = {htonl((uint32_t)((uint64_t)v >> 32)), htonl((uint32_t)v)};

	return sib_field(b, half, 8);
}

static int sib_int4(struct buf *b, uint32_t v)
{
	uint32_t n = htonl(v);

	return sib_field(b, &n, 4);
}

static int sib_bool(struct buf *b, bool v)
{
	char c = v ? 1 : 0;

	return sib_field(b, &c, 1);
}

/* The thread keys the messages_thread trigger would compute (migration
 * 0195: the trigger only runs for rows that come without them), from the
 * headers as cleaned for the COPY. thread_ids goes as a binary text[]:
 * dimensions, a has-nulls flag, the element type, then per dimension its
 * length and lower bound, then the elements as fields. */
static int sib_thread(struct buf *b, const struct store_ingest_msg *m)
{
	char *owned[4] = {NULL, NULL, NULL, NULL};
	const char *message_id = store_ingest_text(m->message_id, &owned[0]);
	const char *in_reply_to = store_ingest_text(m->in_reply_to, &owned[1]);
	const char *references = store_ingest_text(m->references, &owned[2]);
	const char *subject = store_ingest_text(m->subject, &owned[3]);
	char **ids = NULL, *subj = NULL;
	size_t n = 0, len;
	uint32_t head[6];
	int ret = -1;

	if (mail_thread_ids(message_id, in_reply_to, references, &ids, &n) < 0 ||
	    (subj = mail_thread_subject(subject)) == NULL)
		goto out;
	len = n > 0 ? 20 : 12; /* an empty array has no dimension */
	for (size_t i = 0; i < n; i++)
		len += 4 + strlen(ids[i]);
	if (len > INT32_MAX)
		goto out;
	head[0] = htonl((uint32_t)len);
	head[1] = htonl(n > 0 ? 1 : 0);
	head[2] = htonl(0);
	head[3] = htonl(SIB_TEXTOID);
	head[4] = htonl((uint32_t)n);
	head[5] = htonl(1);
	if (buf_append(b, head, 4 + (n > 0 ? 20 : 12)) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (sib_field(b, ids[i], strlen(ids[i])) < 0)
			goto out;
	}
	if (sib_field(b, subj, strlen(subj)) < 0)
		goto out;
	ret = 0;
out:
	free(ids);
	free(subj);
	for (int i = 0; i < 4; i++)
		free(owned[i]);
	return ret;
}

/* The state a stored row starts in. */
static const char *sib_state(const struct store_ingest_msg *m, int64_t dup_of)
{
	if (dup_of != 0)
		return "skipped";
	if (m->screen_reason == NULL)
		return "new";
	return m->human ? "human" : "skipped";
}

/* The fields of one messages row up to raw's length word, in sib_copy's
 * order. */
static int sib_row(struct buf *b, int64_t mailbox, uint32_t uidvalidity,
		   const struct store_ingest_msg *m, const struct store_ingest_row *r)
{
	uint16_t nf = htons(SIB_FIELDS);
	/* to_timestamp() refused years past 9999: such a Date is kept raw only */
	bool dated = m->date_epoch >= 0 && m->date_epoch < 253402300800LL;
	uint32_t rawlen = htonl(m->raw != NULL ? (uint32_t)m->raw_len : UINT32_MAX);
	const char *reason = r->dup_of != 0 ? "duplicate" : m->screen_reason;

	if (buf_append(b, &nf, 2) < 0 || sib_int8(b, r->id) < 0 || sib_int8(b, mailbox) < 0 ||
	    sib_int8(b, uidvalidity) < 0 || sib_int8(b, m->uid) < 0 ||
	    sib_text(b, m->message_id) < 0 || sib_field(b, m->sha256, 32) < 0 ||
	    sib_field(b, m->has_content_sha256 ? m->content_sha256 : NULL, 32) < 0 ||
	    sib_text(b, m->sender) < 0 || sib_text(b, m->reply_to) < 0 ||
	    sib_text(b, m->subject) < 0)
		return -1;
	if ((dated ? sib_int8(b, m->date_epoch * 1000000LL - SIB_PG_EPOCH_USEC)
		   : sib_field(b, NULL, 0)) < 0 ||
	    sib_text(b, m->date_raw) < 0 || sib_text(b, m->in_reply_to) < 0 ||
	    sib_text(b, m->references) < 0 || sib_jsonb(b, m->headers_json, "{}") < 0 ||
	    sib_text(b, m->text) < 0 || sib_text(b, m->quoted) < 0 ||
	    sib_jsonb(b, m->attachments_json, "[]") < 0 || sib_int8(b, (int64_t)m->raw_size) < 0)
		return -1;
	if (sib_bool(b, m->is_bulk) < 0 || sib_bool(b, m->is_auto_submitted) < 0 ||
	    sib_bool(b, m->is_oversized) < 0 || sib_bool(b, m->injection_suspect) < 0 ||
	    sib_bool(b, r->dup_of != 0) < 0 ||
	    (r->dup_of != 0 ? sib_int8(b, r->dup_of) : sib_field(b, NULL, 0)) < 0 ||
	    sib_text(b, reason) < 0 || sib_text(b, sib_state(m, r->dup_of)) < 0 ||
	    sib_text(b, m->sender_name) < 0 ||
	    sib_field(b, m->parsed, m->parsed != NULL ? strlen(m->parsed) : 0) < 0 ||
	    (m->parsed != NULL ? sib_int4(b, (uint32_t)m->parsed_version) : sib_field(b, NULL, 0)) <
		    0 ||
	    sib_text(b, m->language) < 0 || sib_thread(b, m) < 0 || buf_append(b, &rawlen, 4) < 0)
		return -1;
	return 0;
}

static int sib_put(struct store *store, const void *data, size_t len)
{
	if (len > INT32_MAX || PQputCopyData(store->conn, data, (int)len) != 1) {
		error_set(&store->err, "ingest COPY: %s", PQerrorMessage(store->conn));
		return -1;
	}
	return 0;
}

/* Streams the rows to insert into messages: each row's small fields from
 * one buffer, raw straight from the fetched bytes (no copy of the batch in
 * memory). Returns 0, or -1 (the COPY is ended with an error; a unique
 * violation leaves "23505" in store->sqlstate). */
static int sib_copy_rows(struct store *store, int64_t mailbox, uint32_t uidvalidity,
			 const struct store_ingest_msg *const *msgs,
			 const struct store_ingest_row *rows, size_t count)
{
	static const char header[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
	static const char trailer[2] = {'\377', '\377'};
	struct buf b;
	PGresult *res;
	int ok = 0;

	buf_init(&b, SIB_ROW_MAX);
	res = PQexec(store->conn, sib_copy);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		store_set_error(store, "ingest COPY", res);
		PQclear(res);
		buf_free(&b);
		return -1;
	}
	PQclear(res);
	if (sib_put(store, header, sizeof(header)) < 0)
		goto end;
	for (size_t i = 0; i < count; i++) {
		if (!rows[i].insert)
			continue;
		buf_reset(&b);
		if (sib_row(&b, mailbox, uidvalidity, msgs[i], &rows[i]) < 0) {
			error_set(&store->err, "ingest COPY: UID %u: a field is too large",
				  msgs[i]->uid);
			goto end;
		}
		if (sib_put(store, b.data, b.len) < 0 ||
		    (msgs[i]->raw != NULL && sib_put(store, msgs[i]->raw, msgs[i]->raw_len) < 0))
			goto end;
	}
	if (sib_put(store, trailer, sizeof(trailer)) < 0)
		goto end;
	ok = 1;
end:
	buf_free(&b);
	store->sqlstate[0] = '\0';
	if (PQputCopyEnd(store->conn, ok ? NULL : "draftd: batch abandoned") != 1) {
		error_set(&store->err, "ingest COPY end: %s", PQerrorMessage(store->conn));
		ok = 0;
	}
	while ((res = PQgetResult(store->conn)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && ok) {
			store_set_error(store, "ingest COPY", res);
			ok = 0;
		}
		PQclear(res);
	}
	return ok ? 0 : -1;
}

/* The lookup's three lists for msgs (NULL entries left out). Returns 0, or
 * -1 out of memory. */
static int sib_lists(const struct store_ingest_msg *const *msgs, size_t count, struct buf l[3])
{
	static const char hex[] = "0123456789abcdef";
	bool first = true;

	for (int k = 0; k < 3; k++)
		buf_init(&l[k], count * SIB_HEX_ROW + 16);
	for (size_t i = 0; i < count; i++) {
		char sha[65], csha[65];

		if (msgs[i] == NULL)
			continue;
		for (int j = 0; j < 32; j++) {
			sha[2 * j] = hex[msgs[i]->sha256[j] >> 4];
			sha[2 * j + 1] = hex[msgs[i]->sha256[j] & 15];
			csha[2 * j] = hex[msgs[i]->content_sha256[j] >> 4];
			csha[2 * j + 1] = hex[msgs[i]->content_sha256[j] & 15];
		}
		sha[64] = csha[64] = '\0';
		if (buf_printf(&l[0], "%s%s", first ? "" : ",", sha) < 0 ||
		    buf_printf(&l[1], "%s%s", first ? "" : ",",
			       msgs[i]->has_content_sha256 ? csha : "") < 0 ||
		    buf_printf(&l[2], "%s%u", first ? "" : ",", msgs[i]->uid) < 0)
			return -1;
		first = false;
	}
	for (int k = 0; k < 3; k++) {
		if (l[k].data == NULL && buf_append_str(&l[k], "") < 0)
			return -1;
	}
	return 0;
}

/* Fills rows[].stored, .stored_dup and .id from the lookup. Returns 0 or -1. */
static int sib_lookup_rows(struct store *store, const char *const params[2],
			   const struct store_ingest_msg *const *msgs, size_t count,
			   struct store_ingest_row *rows)
{
	struct buf l[3];
	const char *p[5] = {params[0], params[1], NULL, NULL, NULL};
	PGresult *res = NULL;
	size_t i, n = 0;
	int ret = -1;

	if (sib_lists(msgs, count, l) < 0) {
		error_set(&store->err, "ingest lookup: out of memory");
		goto out;
	}
	p[2] = l[0].data;
	p[3] = l[1].data;
	p[4] = l[2].data;
	res = store_exec(store, "ingest lookup", store_ingest_lookup_sql, 5, p);
	if (res == NULL)
		goto out;
	for (i = 0; i < count; i++) {
		uint64_t id = 0, dup = 0;

		memset(&rows[i], 0, sizeof(rows[i]));
		if (msgs[i] == NULL)
			continue;
		if ((int)n >= PQntuples(res) ||
		    parse_u64(PQgetvalue(res, (int)n, 2), INT64_MAX, &id) < 0 ||
		    (!PQgetisnull(res, (int)n, 1) &&
		     parse_u64(PQgetvalue(res, (int)n, 1), INT64_MAX, &dup) < 0)) {
			error_set(&store->err, "ingest lookup: unexpected answer");
			goto out;
		}
		rows[i].stored = strcmp(PQgetvalue(res, (int)n, 0), "t") == 0;
		rows[i].stored_dup = (int64_t)dup;
		rows[i].id = (int64_t)id;
		n++;
	}
	ret = 0;
out:
	PQclear(res);
	for (int k = 0; k < 3; k++)
		buf_free(&l[k]);
	return ret;
}

/* Microseconds on the monotonic clock: the per-batch debug line says where
 * a writer's time went (its steps, then the commit). */
static uint64_t sib_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int sib_count(const PGresult *res, int col, unsigned int *v_r)
{
	uint64_t v;

	if (parse_u64(PQgetvalue(res, 0, col), UINT32_MAX, &v) < 0)
		return -1;
	*v_r = (unsigned int)v;
	return 0;
}

/* The ids of the inserted rows that get a pipeline job (neither screened
 * nor redeliveries) in ids, of the others in rest. Returns 0 with *jobs_r
 * counted, or -1 out of memory. */
static int sib_job_ids(const struct store_ingest_msg *const *msgs,
		       const struct store_ingest_row *rows, size_t count, struct buf *ids,
		       struct buf *rest, unsigned int *jobs_r)
{
	struct buf *to;

	*jobs_r = 0;
	if (buf_append_str(ids, "") < 0 || buf_append_str(rest, "") < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		if (!rows[i].insert)
			continue;
		to = rows[i].dup_of != 0 || msgs[i]->screen_reason != NULL ? rest : ids;
		if (buf_printf(to, "%s%lld", to->len > 0 ? "," : "", (long long)rows[i].id) < 0)
			return -1;
		*jobs_r += to == ids;
	}
	return 0;
}

/* One attempt at the batch's transaction. Returns 0 with *c filled, or -1
 * (rolled back; store->sqlstate says why). */
static int sib_attempt(struct store *store, int64_t id, const char *const params[6],
		       uint32_t uidvalidity, const struct store_ingest_msg *const *msgs,
		       size_t count, struct store_ingest_row *rows,
		       const struct store_ingest_reserved *reserved, struct store_ingest_counts *c)
{
	struct buf ids, rest;
	const char *p[8] = {params[0], params[1], params[2], params[3],
			    NULL,      params[4], NULL,      params[5]};
	unsigned int jobs = 0, queued, leased;
	PGresult *res = NULL;
	uint64_t t[6];
	int ret = -1;

	t[0] = sib_us();
	buf_init(&ids, count * 24 + 16);
	buf_init(&rest, count * 24 + 16);
	memset(c, 0, sizeof(*c));
	store->sqlstate[0] = '\0';
	if (store_command(store, "BEGIN") < 0)
		goto out;
	if (sib_lookup_rows(store, params, msgs, count, rows) < 0)
		goto out;
	t[1] = sib_us();
	if (reserved != NULL && reserved->fn != NULL)
		reserved->fn(reserved->ctx);
	if (store_ingest_plan(msgs, count, rows) < 0 ||
	    sib_job_ids(msgs, rows, count, &ids, &rest, &jobs) < 0) {
		error_set(&store->err, "store batch: out of memory");
		goto out;
	}
	for (size_t i = 0; i < count; i++) {
		if (msgs[i] != NULL && !rows[i].insert)
			c->already++;
		else if (msgs[i] != NULL) {
			c->stored++;
			c->duplicates += rows[i].dup_of != 0;
		}
	}
	t[2] = sib_us();
	if (c->stored > 0 && sib_copy_rows(store, id, uidvalidity, msgs, rows, count) < 0)
		goto out;
	t[3] = sib_us();
	p[4] = ids.data;
	p[6] = rest.data;
	res = store_exec(store, "store batch", sib_finish, 8, p);
	if (res == NULL)
		goto out;
	if (PQntuples(res) != 1 || sib_count(res, 0, &queued) < 0 ||
	    sib_count(res, 1, &leased) < 0 || queued != jobs) {
		error_set(&store->err, "store batch: unexpected answer");
		goto out;
	}
	if (leased != 1) {
		error_set(&store->err,
			  "advance checkpoint: this instance no longer holds the mailbox lease");
		goto out;
	}
	t[4] = sib_us();
	if (store_command(store, "COMMIT") < 0)
		goto out;
	t[5] = sib_us();
	log_debug("batch of UIDs (%s, %s], %u rows: BEGIN and lookup %llu us, plan %llu us, COPY "
		  "%llu us, "
		  "jobs and checkpoint %llu us, commit %llu us",
		  params[4], params[2], c->stored, (unsigned long long)(t[1] - t[0]),
		  (unsigned long long)(t[2] - t[1]), (unsigned long long)(t[3] - t[2]),
		  (unsigned long long)(t[4] - t[3]), (unsigned long long)(t[5] - t[4]));
	c->screened = c->stored - c->duplicates - jobs;
	ret = 0;
out:
	PQclear(res);
	buf_free(&ids);
	buf_free(&rest);
	if (ret < 0)
		store_rollback(store);
	return ret;
}

int store_ingest_batch(struct store *store, int64_t id, const char *owner, uint32_t uidvalidity,
		       const struct store_ingest_msg *const *msgs, size_t count, uint32_t after_uid,
		       uint32_t upto_uid, struct store_ingest_counts *counts)
{
	return store_ingest_batch_ordered(store, id, owner, uidvalidity, msgs, count, after_uid,
					  upto_uid, NULL, 0, counts);
}

int store_ingest_batch_ordered(struct store *store, int64_t id, const char *owner,
			       uint32_t uidvalidity, const struct store_ingest_msg *const *msgs,
			       size_t count, uint32_t after_uid, uint32_t upto_uid,
			       const struct store_ingest_reserved *reserved, unsigned int lease_ttl,
			       struct store_ingest_counts *counts)
{
	struct store_ingest_counts c;
	struct store_ingest_row *rows = calloc(count > 0 ? count : 1, sizeof(*rows));
	char idbuf[24], uvbuf[16], uptobuf[16], afterbuf[16], ttlbuf[16];
	const char *params[6] = {idbuf, uvbuf, uptobuf, owner, afterbuf, ttlbuf};
	int r = -1;

	if (rows == NULL) {
		error_set(&store->err, "store batch: out of memory");
		return -1;
	}
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	snprintf(uvbuf, sizeof(uvbuf), "%u", uidvalidity);
	snprintf(uptobuf, sizeof(uptobuf), "%u", upto_uid);
	snprintf(afterbuf, sizeof(afterbuf), "%u", after_uid);
	snprintf(ttlbuf, sizeof(ttlbuf), "%u", lease_ttl);
	/* A row stored by someone else between the lookup and the COPY (only
	 * another instance that took the lease over could) breaks a unique
	 * constraint: the second attempt's lookup sees it and leaves it alone. */
	for (int attempt = 0; attempt < 2 && r < 0; attempt++) {
		/* told once: a second attempt's ids come after anyway */
		r = sib_attempt(store, id, params, uidvalidity, msgs, count, rows,
				attempt == 0 ? reserved : NULL, &c);
		if (r < 0 && !STORE_UNIQUE_VIOLATION(store))
			break;
	}
	free(rows);
	if (r < 0)
		return -1;
	counts->stored += c.stored;
	counts->duplicates += c.duplicates;
	counts->already += c.already;
	counts->screened += c.screened;
	return 0;
}
