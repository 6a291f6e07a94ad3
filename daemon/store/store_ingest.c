/* SPDX-License-Identifier: MIT */
/* Ingest's tables: mailboxes (rows, leases, checkpoint), messages, jobs. */
#include "daemon/store/store_ingest.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/lib/log.h"
#include "daemon/store/store_ingest_int.h"
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
		" pending_uids = CASE WHEN (mailboxes.imap_url, mailboxes.imap_user,"
		"   mailboxes.folder) IS DISTINCT FROM (EXCLUDED.imap_url, EXCLUDED.imap_user,"
		"   EXCLUDED.folder) THEN '{}' ELSE mailboxes.pending_uids END,"
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
		error_set(&store->err, "mailbox upsert: no id returned");
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

	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	return store_exec_void(store, "mailbox lease release", sql, 2, params);
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
		error_set(&store->err, "mailbox checkpoint: no such mailbox");
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
		error_set(&store->err, "%s: this instance no longer holds the mailbox lease", what);
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
	static const char reset[] =
		"UPDATE mailboxes SET uidvalidity = $2, last_uid = 0,"
		" pending_uids = '{}', updated_at = now() WHERE id = $1 AND lease_owner = $3"
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

const char *store_ingest_text(const char *s, char **owned)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len, i, n;
	char *copy;

	if (s == NULL)
		return NULL;
	len = strlen(s);
	for (i = 0; i < len; i += n) {
		uint64_t w;

		/* ASCII, most of the text, parse and headers: eight bytes at a time */
		if (i + 8 <= len) {
			memcpy(&w, p + i, sizeof(w));
			if ((w & 0x8080808080808080ull) == 0) {
				n = 8;
				continue;
			}
		}
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

int store_ingest_poll_result(struct store *store, int64_t id, const char *error)
{
	static const char ok[] = "UPDATE mailboxes SET last_poll_at = now(), last_error = NULL"
				 " WHERE id = $1";
	static const char bad[] = "UPDATE mailboxes SET last_error = $2, last_error_at = now()"
				  " WHERE id = $1";
	char idbuf[24], *owned = NULL;
	const char *params[2] = {idbuf, store_ingest_text(error, &owned)};
	int ret;

	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	ret = store_exec_void(store, "mailbox poll result", error == NULL ? ok : bad,
			      error == NULL ? 1 : 2, params);
	free(owned);
	return ret;
}

long store_ingest_poll_requests(struct store *store, int64_t *ids_r, size_t max)
{
	PGresult *res;
	long n = 0;
	uint64_t v;

	res = store_exec(store, "mailbox poll requests",
			 "SELECT id FROM mailboxes"
			 " WHERE poll_requested_at > coalesce(last_poll_at, '-infinity')"
			 " ORDER BY id",
			 0, NULL);
	if (res == NULL)
		return -1;
	for (int i = 0; i < PQntuples(res) && (size_t)n < max; i++) {
		if (parse_u64(PQgetvalue(res, i, 0), INT64_MAX, &v) == 0)
			ids_r[n++] = (int64_t)v;
	}
	PQclear(res);
	return n;
}
