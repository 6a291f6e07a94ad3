/* SPDX-License-Identifier: MIT */
/* Storing one fetched batch: COPY (binary) into a per-connection staging
 * table, then one set-based statement that inserts the messages, marks the
 * redeliveries, queues the jobs and moves the checkpoint, all in the batch's
 * transaction. A row at a time cost three statements (each parsed and
 * planned) and a round trip each per message; this is four round trips per
 * batch whatever its size. */
#include "daemon/store/store_ingest.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/lib/buf.h"
#include "daemon/lib/util.h"
#include "daemon/store/store_ingest_int.h"
#include "daemon/store/store_private.h"

/* The most one row's fields other than raw may take in the COPY stream:
 * text, quoted text and headers are bounded by the MIME limits well below. */
#define SIB_ROW_MAX (64u * 1024 * 1024)

/* Lives until the connection closes and is emptied at every commit; raw is
 * stored uncompressed (mail rarely compresses, and pglz tried anyway). */
static const char sib_stage[] =
	"CREATE TEMP TABLE ingest_stage ("
	" ord integer NOT NULL, uid bigint NOT NULL, message_id text, sha256 bytea NOT NULL,"
	" content_sha256 bytea, sender text, reply_to text, subject text, sent_epoch bigint,"
	" date_raw text, in_reply_to text, refs text, headers text, text_body text,"
	" quoted_text text, attachments text, raw_size bigint NOT NULL, is_bulk boolean,"
	" is_auto_submitted boolean, is_oversized boolean, injection_suspect boolean,"
	" screen_reason text, human boolean, sender_name text, parsed text, parsed_version integer,"
	" raw bytea) ON COMMIT DELETE ROWS";
static const char sib_stage_raw[] =
	"ALTER TABLE ingest_stage ALTER COLUMN raw SET STORAGE EXTERNAL";

static const char sib_copy[] =
	"COPY ingest_stage (ord, uid, message_id, sha256, content_sha256, sender, reply_to,"
	" subject, sent_epoch, date_raw, in_reply_to, refs, headers, text_body, quoted_text,"
	" attachments, raw_size, is_bulk, is_auto_submitted, is_oversized, injection_suspect,"
	" screen_reason, human, sender_name, parsed, parsed_version, raw) FROM STDIN (FORMAT "
	"binary)";
enum { SIB_FIELDS = 27 };

/* The staged rows in, the counts out. Identical bytes twice in the batch
 * are stored once (DISTINCT ON sha256, as ON CONFLICT does across
 * batches). A redelivery is a row whose content hash matches a stored
 * message with other bytes (duplicate_of: that message's original), or an
 * earlier row of this batch (duplicate_of: the id that row got). Rows
 * already stored (same bytes or same UID) are left alone. Jobs go to every
 * inserted row that is neither screened nor a redelivery. The checkpoint
 * moves only while owner holds the lease: leased = 0 means roll back. */
static const char sib_insert[] =
	"WITH st AS ("
	"  SELECT DISTINCT ON (sha256) * FROM ingest_stage ORDER BY sha256, ord"
	"), s AS ("
	"  SELECT st.*, CASE WHEN st.content_sha256 IS NULL THEN NULL ELSE"
	"    (SELECT COALESCE(m.duplicate_of, m.id) FROM messages m WHERE m.mailbox_id = $1"
	"      AND m.content_sha256 = st.content_sha256 AND m.sha256 <> st.sha256"
	"      ORDER BY m.id LIMIT 1) END AS stored_dup,"
	"   CASE WHEN st.content_sha256 IS NULL THEN st.ord ELSE"
	"    min(st.ord) OVER (PARTITION BY st.content_sha256) END AS first_ord"
	"  FROM st"
	"), ins1 AS ("
	"  INSERT INTO messages (mailbox_id, uidvalidity, uid, message_id, sha256,"
	"   content_sha256, sender, reply_to, subject, sent_date, date_raw, in_reply_to,"
	"   \"references\", headers, text_body, quoted_text, attachments, raw, raw_size,"
	"   is_bulk, is_auto_submitted, is_oversized, injection_suspect, is_duplicate,"
	"   duplicate_of, screen_reason, state, sender_name, parsed, parsed_version)"
	"  SELECT $1, $2, uid, message_id, sha256, content_sha256, sender, reply_to, subject,"
	"   to_timestamp(sent_epoch), date_raw, in_reply_to, refs, headers::jsonb, text_body,"
	"   quoted_text, attachments::jsonb, raw, raw_size, is_bulk, is_auto_submitted,"
	"   is_oversized, injection_suspect, stored_dup IS NOT NULL, stored_dup,"
	"   CASE WHEN stored_dup IS NOT NULL THEN 'duplicate' ELSE screen_reason END,"
	"   CASE WHEN stored_dup IS NOT NULL THEN 'skipped' WHEN screen_reason IS NULL THEN 'new'"
	"    WHEN human THEN 'human' ELSE 'skipped' END, sender_name, parsed, parsed_version"
	"  FROM s WHERE stored_dup IS NOT NULL OR first_ord = ord ORDER BY ord"
	"  ON CONFLICT DO NOTHING RETURNING id, sha256, screen_reason"
	"), ins2 AS ("
	/* a later copy in this batch: a duplicate of the first when that one
	 * went in; were it refused (its UID taken by other bytes), this row is
	 * stored as mail of its own rather than lost */
	"  INSERT INTO messages (mailbox_id, uidvalidity, uid, message_id, sha256,"
	"   content_sha256, sender, reply_to, subject, sent_date, date_raw, in_reply_to,"
	"   \"references\", headers, text_body, quoted_text, attachments, raw, raw_size,"
	"   is_bulk, is_auto_submitted, is_oversized, injection_suspect, is_duplicate,"
	"   duplicate_of, screen_reason, state, sender_name, parsed, parsed_version)"
	"  SELECT $1, $2, s.uid, s.message_id, s.sha256, s.content_sha256, s.sender,"
	"   s.reply_to, s.subject, to_timestamp(s.sent_epoch), s.date_raw, s.in_reply_to, s.refs,"
	"   s.headers::jsonb, s.text_body, s.quoted_text, s.attachments::jsonb, s.raw,"
	"   s.raw_size, s.is_bulk, s.is_auto_submitted, s.is_oversized, s.injection_suspect,"
	"   f.id IS NOT NULL, f.id,"
	"   CASE WHEN f.id IS NOT NULL THEN 'duplicate' ELSE s.screen_reason END,"
	"   CASE WHEN f.id IS NOT NULL THEN 'skipped' WHEN s.screen_reason IS NULL THEN 'new'"
	"    WHEN s.human THEN 'human' ELSE 'skipped' END, s.sender_name, s.parsed,"
	"   s.parsed_version"
	"  FROM s JOIN s f0 ON f0.ord = s.first_ord LEFT JOIN ins1 f ON f.sha256 = f0.sha256"
	"  WHERE s.stored_dup IS NULL AND s.first_ord <> s.ord ORDER BY s.ord"
	"  ON CONFLICT DO NOTHING RETURNING id, screen_reason"
	"), j AS ("
	"  INSERT INTO jobs (message_id)"
	"  SELECT id FROM ins1 WHERE screen_reason IS NULL"
	"  UNION ALL SELECT id FROM ins2 WHERE screen_reason IS NULL RETURNING 1"
	"), adv AS ("
	"  UPDATE mailboxes SET uidvalidity = $2, last_uid = GREATEST(last_uid, $3::bigint),"
	"   last_poll_at = now(), updated_at = now() WHERE id = $1 AND lease_owner = $4"
	"  RETURNING id"
	")"
	" SELECT (SELECT count(*) FROM ins1) + (SELECT count(*) FROM ins2),"
	"  (SELECT count(*) FROM ins1 WHERE screen_reason = 'duplicate')"
	"   + (SELECT count(*) FROM ins2 WHERE screen_reason = 'duplicate'),"
	"  (SELECT count(*) FROM j), (SELECT count(*) FROM adv)";

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

/* The fields of one row up to raw's length word, in sib_copy's order. */
static int sib_row(struct buf *b, unsigned int ord, const struct store_ingest_msg *m)
{
	uint16_t nf = htons(SIB_FIELDS);
	/* to_timestamp() refuses years past 9999: such a Date is kept raw only */
	bool dated = m->date_epoch >= 0 && m->date_epoch < 253402300800LL;
	uint32_t rawlen = htonl(m->raw != NULL ? (uint32_t)m->raw_len : UINT32_MAX);

	if (buf_append(b, &nf, 2) < 0 || sib_int4(b, ord) < 0 || sib_int8(b, m->uid) < 0 ||
	    sib_text(b, m->message_id) < 0 || sib_field(b, m->sha256, 32) < 0 ||
	    sib_field(b, m->has_content_sha256 ? m->content_sha256 : NULL, 32) < 0 ||
	    sib_text(b, m->sender) < 0 || sib_text(b, m->reply_to) < 0 ||
	    sib_text(b, m->subject) < 0)
		return -1;
	if ((dated ? sib_int8(b, m->date_epoch) : sib_field(b, NULL, 0)) < 0 ||
	    sib_text(b, m->date_raw) < 0 || sib_text(b, m->in_reply_to) < 0 ||
	    sib_text(b, m->references) < 0 || sib_text(b, m->headers_json) < 0 ||
	    sib_text(b, m->text) < 0 || sib_text(b, m->quoted) < 0 ||
	    sib_text(b, m->attachments_json) < 0 || sib_int8(b, (int64_t)m->raw_size) < 0 ||
	    sib_bool(b, m->is_bulk) < 0 || sib_bool(b, m->is_auto_submitted) < 0 ||
	    sib_bool(b, m->is_oversized) < 0 || sib_bool(b, m->injection_suspect) < 0 ||
	    sib_text(b, m->screen_reason) < 0 || sib_bool(b, m->human) < 0 ||
	    sib_text(b, m->sender_name) < 0 ||
	    sib_field(b, m->parsed, m->parsed != NULL ? strlen(m->parsed) : 0) < 0 ||
	    (m->parsed != NULL ? sib_int4(b, (uint32_t)m->parsed_version) : sib_field(b, NULL, 0)) <
		    0 ||
	    buf_append(b, &rawlen, 4) < 0)
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

/* Streams msgs into ingest_stage: each row's small fields from one buffer,
 * raw straight from the fetched bytes (no copy of the batch in memory).
 * Returns the rows staged, or -1 (the COPY is ended with an error). */
static long sib_stage_rows(struct store *store, const struct store_ingest_msg *const *msgs,
			   size_t count)
{
	static const char header[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
	static const char trailer[2] = {'\377', '\377'};
	struct buf b;
	PGresult *res;
	long staged = 0;
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
		if (msgs[i] == NULL)
			continue; /* expunged before we fetched it */
		buf_reset(&b);
		if (sib_row(&b, (unsigned int)i, msgs[i]) < 0) {
			error_set(&store->err, "ingest COPY: UID %u: a field is too large",
				  msgs[i]->uid);
			goto end;
		}
		if (sib_put(store, b.data, b.len) < 0 ||
		    (msgs[i]->raw != NULL && sib_put(store, msgs[i]->raw, msgs[i]->raw_len) < 0))
			goto end;
		staged++;
	}
	if (sib_put(store, trailer, sizeof(trailer)) < 0)
		goto end;
	ok = 1;
end:
	buf_free(&b);
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
	return ok ? staged : -1;
}

static int sib_count(const PGresult *res, int col, unsigned int *v_r)
{
	uint64_t v;

	if (parse_u64(PQgetvalue(res, 0, col), UINT32_MAX, &v) < 0)
		return -1;
	*v_r = (unsigned int)v;
	return 0;
}

int store_ingest_batch(struct store *store, int64_t id, const char *owner, uint32_t uidvalidity,
		       const struct store_ingest_msg *const *msgs, size_t count, uint32_t upto_uid,
		       struct store_ingest_counts *counts)
{
	struct store_ingest_counts c = {0, 0, 0, 0};
	char idbuf[24], uvbuf[16], uptobuf[16];
	const char *params[4] = {idbuf, uvbuf, uptobuf, owner};
	unsigned int jobs, leased;
	PGresult *res = NULL;
	long staged;
	int ret = -1;

	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	snprintf(uvbuf, sizeof(uvbuf), "%u", uidvalidity);
	snprintf(uptobuf, sizeof(uptobuf), "%u", upto_uid);
	if (store_command(store, "BEGIN") < 0)
		return -1;
	/* in the transaction: a failed batch takes the table's creation with it */
	if (!store->ingest_stage &&
	    (store_command(store, sib_stage) < 0 || store_command(store, sib_stage_raw) < 0))
		goto out;
	staged = sib_stage_rows(store, msgs, count);
	if (staged < 0)
		goto out;
	res = store_exec(store, "store batch", sib_insert, 4, params);
	if (res == NULL)
		goto out;
	if (PQntuples(res) != 1 || sib_count(res, 0, &c.stored) < 0 ||
	    sib_count(res, 1, &c.duplicates) < 0 || sib_count(res, 2, &jobs) < 0 ||
	    sib_count(res, 3, &leased) < 0) {
		error_set(&store->err, "store batch: unexpected answer");
		goto out;
	}
	if (leased != 1) {
		error_set(&store->err,
			  "advance checkpoint: this instance no longer holds the mailbox lease");
		goto out;
	}
	if (store_command(store, "COMMIT") < 0)
		goto out;
	store->ingest_stage = true;
	c.already = (unsigned int)staged - c.stored;
	c.screened = c.stored - c.duplicates - jobs;
	counts->stored += c.stored;
	counts->duplicates += c.duplicates;
	counts->already += c.already;
	counts->screened += c.screened;
	ret = 0;
out:
	PQclear(res);
	if (ret < 0)
		store_rollback(store);
	return ret;
}
