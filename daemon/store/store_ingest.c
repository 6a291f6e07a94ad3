/* Ingest's tables: mailboxes (rows, leases, checkpoint), messages, jobs. */
#include "daemon/store/store_ingest.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/lib/log.h"
#include "daemon/store/store_private.h"
#include "daemon/lib/util.h"

int store_ingest_mailbox(struct store *store, const struct mailbox_config *mb, int64_t *id_r)
{
	static const char sql[] =
		"INSERT INTO mailboxes (name, imap_url, imap_user, secret_ref, folder, address,"
		" poll_interval, idle) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
		" ON CONFLICT (name) DO UPDATE SET"
		" uidvalidity = CASE WHEN (mailboxes.imap_url, mailboxes.imap_user, "
		"mailboxes.folder)"
		"   IS DISTINCT FROM (EXCLUDED.imap_url, EXCLUDED.imap_user, EXCLUDED.folder)"
		"   THEN NULL ELSE mailboxes.uidvalidity END,"
		" last_uid = CASE WHEN (mailboxes.imap_url, mailboxes.imap_user, mailboxes.folder)"
		"   IS DISTINCT FROM (EXCLUDED.imap_url, EXCLUDED.imap_user, EXCLUDED.folder)"
		"   THEN 0 ELSE mailboxes.last_uid END,"
		" imap_url = EXCLUDED.imap_url, imap_user = EXCLUDED.imap_user,"
		" secret_ref = EXCLUDED.secret_ref, folder = EXCLUDED.folder,"
		" address = EXCLUDED.address, poll_interval = EXCLUDED.poll_interval,"
		" idle = EXCLUDED.idle, updated_at = now() RETURNING id";
	char interval[16], secret[600];
	const char *params[8];
	PGresult *res;
	uint64_t id;
	int ret = -1;

	snprintf(interval, sizeof(interval), "%u", mb->poll_interval);
	/* where the password comes from, never the password */
	if (mb->password_file != NULL)
		snprintf(secret, sizeof(secret), "file:%s", mb->password_file);
	else
		snprintf(secret, sizeof(secret), "config");
	params[0] = mb->name;
	params[1] = mb->url;
	params[2] = mb->user;
	params[3] = secret;
	params[4] = mb->folder != NULL ? mb->folder : "INBOX";
	params[5] = mb->address;
	params[6] = interval;
	params[7] = mb->idle ? "true" : "false";
	res = store_exec(store, "mailbox upsert", sql, 8, params);
	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1 || parse_u64(PQgetvalue(res, 0, 0), INT64_MAX, &id) < 0) {
		snprintf(store->error, sizeof(store->error), "mailbox upsert: no id returned");
		goto out;
	}
	*id_r = (int64_t)id;
	ret = 0;
out:
	PQclear(res);
	return ret;
}

int store_ingest_lease_take(struct store *store, int64_t id, const char *owner, unsigned int ttl_s,
			    const char *stale_owner, char *holder_r, size_t holder_size)
{
	static const char take[] =
		"UPDATE mailboxes SET lease_owner = $2,"
		" lease_expires = now() + make_interval(secs => $3::int), updated_at = now()"
		" WHERE id = $1 AND (lease_owner IS NULL OR lease_owner = $2"
		" OR lease_expires IS NULL OR lease_expires < now() OR lease_owner = $4)"
		" RETURNING id";
	static const char who[] = "SELECT lease_owner FROM mailboxes WHERE id = $1";
	char idbuf[24], ttl[16];
	const char *params[4] = {idbuf, owner, ttl, stale_owner};
	PGresult *res;
	int ret = -1;

	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	snprintf(ttl, sizeof(ttl), "%u", ttl_s);
	res = store_exec(store, "mailbox lease", take, 4, params);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1) {
		ret = 1;
		goto out;
	}
	PQclear(res);
	res = store_exec(store, "mailbox lease holder", who, 1, params);
	if (res == NULL)
		return -1;
	str_copy(holder_r, holder_size,
		 PQntuples(res) == 1 && !PQgetisnull(res, 0, 0) ? PQgetvalue(res, 0, 0) : "?");
	ret = 0;
out:
	PQclear(res);
	return ret;
}

int store_ingest_lease_release(struct store *store, int64_t id, const char *owner)
{
	static const char sql[] = "UPDATE mailboxes SET lease_owner = NULL, lease_expires = NULL"
				  " WHERE id = $1 AND lease_owner = $2";
	char idbuf[24];
	const char *params[2] = {idbuf, owner};
	PGresult *res;

	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	res = store_exec(store, "mailbox lease release", sql, 2, params);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int store_ingest_checkpoint(struct store *store, int64_t id, uint32_t *uidvalidity_r,
			    uint32_t *last_uid_r)
{
	static const char sql[] =
		"SELECT COALESCE(uidvalidity, 0), last_uid FROM mailboxes WHERE id = $1";
	char idbuf[24];
	const char *params[1] = {idbuf};
	PGresult *res;
	uint64_t v, u;
	int ret = -1;

	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	res = store_exec(store, "mailbox checkpoint", sql, 1, params);
	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1 || parse_u64(PQgetvalue(res, 0, 0), UINT32_MAX, &v) < 0 ||
	    parse_u64(PQgetvalue(res, 0, 1), UINT32_MAX, &u) < 0) {
		snprintf(store->error, sizeof(store->error), "mailbox checkpoint: no such mailbox");
		goto out;
	}
	*uidvalidity_r = (uint32_t)v;
	*last_uid_r = (uint32_t)u;
	ret = 0;
out:
	PQclear(res);
	return ret;
}

/* Runs sql with every step checked; on failure the caller rolls back. */
static int si_exec_expect(struct store *store, const char *what, const char *sql, int n,
			  const char *const *params, bool need_row)
{
	PGresult *res = store_exec(store, what, sql, n, params);
	int ok;

	if (res == NULL)
		return -1;
	ok = !need_row || PQntuples(res) > 0;
	PQclear(res);
	if (!ok) {
		snprintf(store->error, sizeof(store->error),
			 "%s: this instance no longer holds the mailbox lease", what);
		return -1;
	}
	return 0;
}

int store_ingest_uidvalidity_reset(struct store *store, int64_t id, const char *owner,
				   uint32_t old_uidvalidity, uint32_t new_uidvalidity)
{
	static const char event[] =
		"INSERT INTO mailbox_events (mailbox_id, kind, detail) VALUES ($1,"
		" 'uidvalidity_changed', jsonb_build_object('old', $2::bigint, 'new', $3::bigint))";
	static const char reset[] = "UPDATE mailboxes SET uidvalidity = $2, last_uid = 0,"
				    " updated_at = now() WHERE id = $1 AND lease_owner = $3"
				    " RETURNING id";
	char idbuf[24], oldbuf[16], newbuf[16];
	const char *params[3] = {idbuf, oldbuf, newbuf};
	const char *rparams[3] = {idbuf, newbuf, owner};

	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	snprintf(oldbuf, sizeof(oldbuf), "%u", old_uidvalidity);
	snprintf(newbuf, sizeof(newbuf), "%u", new_uidvalidity);
	if (store_command(store, "BEGIN") < 0)
		return -1;
	if (si_exec_expect(store, "uidvalidity event", event, 3, params, false) < 0 ||
	    si_exec_expect(store, "uidvalidity reset", reset, 3, rparams, true) < 0 ||
	    store_command(store, "COMMIT") < 0) {
		store_rollback(store);
		return -1;
	}
	return 0;
}

/* Text for Postgres must be valid UTF-8 without NULs; the MIME module
 * promises that, but one bad byte must not block a mailbox forever. Returns
 * s itself when clean, else a cleaned copy put in *owned. */
static const char *si_text(const char *s, char **owned)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len, i, n;
	char *copy;

	if (s == NULL)
		return NULL;
	len = strlen(s);
	for (i = 0; i < len; i += n) {
		n = p[i] < 0x80             ? 1
		    : (p[i] & 0xe0) == 0xc0 ? 2
		    : (p[i] & 0xf0) == 0xe0 ? 3
		    : (p[i] & 0xf8) == 0xf0 ? 4
					    : 0;
		if (n == 0 || i + n > len)
			break;
		for (size_t k = 1; k < n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				n = 0;
		}
		if (n == 0 || (n == 2 && p[i] < 0xc2))
			break;
	}
	if (i >= len)
		return s;
	copy = strdup(s);
	if (copy == NULL)
		return "";
	for (; i < len; i++) {
		if (p[i] >= 0x80)
			copy[i] = '?';
	}
	*owned = copy;
	return copy;
}

enum { SI_NPARAMS = 28 };

/* Inserts one message (and its job); 1 inserted, 0 already there, -1 error. */
static int si_insert(struct store *store, const char *idbuf, const char *uvbuf,
		     const struct store_ingest_msg *m, struct store_ingest_counts *c)
{
	static const char find_dup[] =
		"SELECT COALESCE(duplicate_of, id) FROM messages WHERE mailbox_id = $1"
		" AND content_sha256 = $2 AND sha256 <> $3 ORDER BY id LIMIT 1";
	static const char insert[] =
		"INSERT INTO messages (mailbox_id, uidvalidity, uid, message_id, sha256,"
		" content_sha256, sender, reply_to, subject, sent_date, date_raw, in_reply_to,"
		" \"references\", headers, text_body, quoted_text, attachments, raw, raw_size,"
		" is_bulk, is_auto_submitted, is_oversized, injection_suspect, is_duplicate,"
		" duplicate_of, screen_reason, state, sender_name) VALUES ($1, $2, $3, $4, $5, $6,"
		" $7, $8, $9, to_timestamp($10::double precision), $11, $12, $13, $14::jsonb, $15,"
		" $16, $17::jsonb, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28)"
		" ON CONFLICT DO NOTHING RETURNING id";
	static const char job[] = "INSERT INTO jobs (message_id) VALUES ($1)";
	const char *v[SI_NPARAMS];
	int len[SI_NPARAMS] = {0}, fmt[SI_NPARAMS] = {0};
	char *owned[SI_NPARAMS] = {NULL};
	char uidbuf[16], datebuf[24], sizebuf[24], dupbuf[24] = "";
	const char *state, *reason = m->screen_reason;
	PGresult *res = NULL;
	int ret = -1;

	snprintf(uidbuf, sizeof(uidbuf), "%u", m->uid);
	snprintf(sizebuf, sizeof(sizebuf), "%zu", m->raw_size);
	/* to_timestamp() refuses years past 9999: such a Date is kept raw only */
	if (m->date_epoch >= 0 && m->date_epoch < 253402300800LL)
		snprintf(datebuf, sizeof(datebuf), "%lld", m->date_epoch);
	else
		datebuf[0] = '\0';
	if (m->has_content_sha256) {
		const char *p[3] = {idbuf, (const char *)m->content_sha256,
				    (const char *)m->sha256};
		const int pl[3] = {0, 32, 32}, pf[3] = {0, 1, 1};

		res = PQexecParams(store->conn, find_dup, 3, NULL, p, pl, pf, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			store_set_error(store, "find redelivery", res);
			goto out;
		}
		if (PQntuples(res) == 1)
			str_copy(dupbuf, sizeof(dupbuf), PQgetvalue(res, 0, 0));
		PQclear(res);
		res = NULL;
	}
	if (dupbuf[0] != '\0')
		reason = "duplicate";
	state = reason == NULL ? "new" : (m->human && dupbuf[0] == '\0') ? "human" : "skipped";
	v[0] = idbuf;
	v[1] = uvbuf;
	v[2] = uidbuf;
	v[3] = si_text(m->message_id, &owned[3]);
	v[4] = (const char *)m->sha256;
	len[4] = 32;
	fmt[4] = 1;
	v[5] = m->has_content_sha256 ? (const char *)m->content_sha256 : NULL;
	len[5] = 32;
	fmt[5] = 1;
	v[6] = si_text(m->sender, &owned[6]);
	v[7] = si_text(m->reply_to, &owned[7]);
	v[8] = si_text(m->subject, &owned[8]);
	v[9] = datebuf[0] != '\0' ? datebuf : NULL;
	v[10] = si_text(m->date_raw, &owned[10]);
	v[11] = si_text(m->in_reply_to, &owned[11]);
	v[12] = si_text(m->references, &owned[12]);
	v[13] = m->headers_json;
	v[14] = si_text(m->text, &owned[14]);
	v[15] = si_text(m->quoted, &owned[15]);
	v[16] = m->attachments_json;
	v[17] = m->raw;
	len[17] = (int)m->raw_len;
	fmt[17] = 1;
	v[18] = sizebuf;
	v[19] = m->is_bulk ? "true" : "false";
	v[20] = m->is_auto_submitted ? "true" : "false";
	v[21] = m->is_oversized ? "true" : "false";
	v[22] = m->injection_suspect ? "true" : "false";
	v[23] = dupbuf[0] != '\0' ? "true" : "false";
	v[24] = dupbuf[0] != '\0' ? dupbuf : NULL;
	v[25] = reason;
	v[26] = state;
	v[27] = si_text(m->sender_name, &owned[27]);
	res = PQexecParams(store->conn, insert, SI_NPARAMS, NULL, v, len, fmt, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		store_set_error(store, "insert message", res);
		goto out;
	}
	if (PQntuples(res) == 0) {
		c->already++;
		ret = 0;
		goto out;
	}
	if (reason == NULL) {
		const char *jp[1] = {PQgetvalue(res, 0, 0)};
		PGresult *jr = store_exec(store, "insert job", job, 1, jp);

		if (jr == NULL)
			goto out;
		PQclear(jr);
	}
	c->stored++;
	if (dupbuf[0] != '\0')
		c->duplicates++;
	else if (reason != NULL)
		c->screened++;
	ret = 1;
out:
	PQclear(res);
	for (int i = 0; i < SI_NPARAMS; i++)
		free(owned[i]);
	return ret;
}

int store_ingest_batch(struct store *store, int64_t id, const char *owner, uint32_t uidvalidity,
		       const struct store_ingest_msg *const *msgs, size_t count, uint32_t upto_uid,
		       struct store_ingest_counts *counts)
{
	static const char advance[] =
		"UPDATE mailboxes SET uidvalidity = $2, last_uid = GREATEST(last_uid, $3::bigint),"
		" last_poll_at = now(), updated_at = now() WHERE id = $1 AND lease_owner = $4"
		" RETURNING id";
	struct store_ingest_counts c = {0, 0, 0, 0};
	char idbuf[24], uvbuf[16], uptobuf[16];
	const char *params[4] = {idbuf, uvbuf, uptobuf, owner};

	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	snprintf(uvbuf, sizeof(uvbuf), "%u", uidvalidity);
	snprintf(uptobuf, sizeof(uptobuf), "%u", upto_uid);
	if (store_command(store, "BEGIN") < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		if (msgs[i] == NULL)
			continue; /* expunged before we fetched it */
		if (si_insert(store, idbuf, uvbuf, msgs[i], &c) < 0)
			goto fail;
	}
	if (si_exec_expect(store, "advance checkpoint", advance, 4, params, true) < 0 ||
	    store_command(store, "COMMIT") < 0)
		goto fail;
	counts->stored += c.stored;
	counts->duplicates += c.duplicates;
	counts->already += c.already;
	counts->screened += c.screened;
	return 0;
fail:
	store_rollback(store);
	return -1;
}

int store_ingest_poll_result(struct store *store, int64_t id, const char *error)
{
	static const char ok[] = "UPDATE mailboxes SET last_poll_at = now(), last_error = NULL"
				 " WHERE id = $1";
	static const char bad[] = "UPDATE mailboxes SET last_error = $2, last_error_at = now()"
				  " WHERE id = $1";
	char idbuf[24], *owned = NULL;
	const char *params[2] = {idbuf, si_text(error, &owned)};
	PGresult *res;

	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	res = store_exec(store, "mailbox poll result", error == NULL ? ok : bad,
			 error == NULL ? 1 : 2, params);
	free(owned);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int store_ingest_poll_requested(struct store *store, int64_t id)
{
	char idbuf[24];
	const char *params[1] = {idbuf};
	PGresult *res;
	int r;

	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	res = store_exec(store, "mailbox poll request",
			 "SELECT poll_requested_at > coalesce(last_poll_at, '-infinity')"
			 " FROM mailboxes WHERE id = $1",
			 1, params);
	if (res == NULL)
		return -1;
	r = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0 ? 1 : 0;
	PQclear(res);
	return r;
}
