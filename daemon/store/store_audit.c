/* SPDX-License-Identifier: MIT */
#include "daemon/store/store_audit.h"

#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/lib/buf.h"
#include "daemon/store/store_private.h"

/* Any constant both the API and `draftd token` use: one chain, one lock. */
#define AUDIT_LOCK_KEY     "7361002"
#define AUDIT_VERIFY_BATCH "1000"

/* The canonical text of a row, the same expression for append and verify. */
#define AUDIT_CANON                                                                       \
	"jsonb_build_object('id', id, 'at', to_char(at AT TIME ZONE 'UTC', "              \
	"'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), 'actor', actor, 'action', action, "        \
	"'object_type', object_type, 'object_id', object_id, 'before', before, 'after', " \
	"after)::text"

static int audit_unhex(const char *hex, unsigned char *out, size_t max, size_t *len_r)
{
	size_t n = strlen(hex), i;

	if (n % 2 != 0 || n / 2 > max)
		return -1;
	for (i = 0; i < n / 2; i++) {
		unsigned int v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	*len_r = n / 2;
	return 0;
}

/* sha256(prev || canon) as lowercase hex in out[65]. */
static int audit_hash(const char *prev_hex, const char *canon, char out[65])
{
	unsigned char prev[32], digest[32];
	unsigned char *input = NULL;
	size_t prev_len = 0, canon_len = strlen(canon), i;
	int ret = -1;

	if (prev_hex != NULL && audit_unhex(prev_hex, prev, sizeof(prev), &prev_len) < 0)
		goto out;
	input = malloc(prev_len + canon_len + 1);
	if (input == NULL)
		goto out;
	memcpy(input, prev, prev_len);
	memcpy(input + prev_len, canon, canon_len);
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, input, prev_len + canon_len, digest) < 0)
		goto out;
	for (i = 0; i < sizeof(digest); i++)
		snprintf(out + 2 * i, 3, "%02x", digest[i]);
	ret = 0;
out:
	free(input);
	return ret;
}

/* The row's canonical text from its values before it exists (AUDIT_CANON
 * over v and the parameters): what store_audit_verify() recomputes. */
#define AUDIT_CANON_NEW                                                                 \
	"jsonb_build_object('id', v.id, 'at', to_char(v.at AT TIME ZONE 'UTC', "        \
	"'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), 'actor', $1::text, 'action', $2::text, " \
	"'object_type', $3::text, 'object_id', $4::text, 'before', v.b, 'after', v.a)::text"

/* Appends, and commits too when commit: one round trip either way. */
static int store_audit_send(struct store *store, const char *actor, const char *action,
			    const char *object_type, const char *object_id, const json_t *before,
			    const json_t *after, bool commit)
{
	struct store_q q[3];
	size_t n = commit ? 3 : 2;
	char *before_s = NULL, *after_s = NULL;
	const char *params[6];
	int ret = -1;

	if (before != NULL && (before_s = json_dumps(before, JSON_COMPACT)) == NULL)
		goto oom;
	if (after != NULL && (after_s = json_dumps(after, JSON_COMPACT)) == NULL)
		goto oom;
	params[0] = actor;
	params[1] = action;
	params[2] = object_type;
	params[3] = object_id;
	params[4] = before_s;
	params[5] = after_s;
	/* The lock is its own statement: the INSERT's snapshot must be taken
	 * after it is granted, or it could read a tail another transaction
	 * has just replaced. Both go in one round trip (the server runs them
	 * in order), and sha256(prev || canon) is computed by the INSERT
	 * itself (issue 14): the chain's lock waits for no network. */
	q[0] = (struct store_q){"audit lock", "SELECT pg_advisory_xact_lock(" AUDIT_LOCK_KEY ")", 0,
				NULL, NULL};
	q[1] = (struct store_q){
		"audit insert",
		"INSERT INTO audit_log (id, at, actor, action, object_type, object_id,"
		" before, after, prev_hash, hash)"
		" SELECT v.id, v.at, $1, $2, $3, $4, v.b, v.a, t.prev,"
		" sha256(coalesce(t.prev, '\\x'::bytea) || convert_to(" AUDIT_CANON_NEW ", 'UTF8'))"
		" FROM (SELECT nextval(pg_get_serial_sequence('audit_log', 'id')) AS id,"
		" now() AS at, $5::jsonb AS b, $6::jsonb AS a) v"
		" LEFT JOIN (SELECT hash AS prev FROM audit_log ORDER BY id DESC LIMIT 1) t"
		" ON true",
		6, params, NULL};
	q[2] = (struct store_q){"commit", "COMMIT", 0, NULL, NULL};
	if (store_exec_many(store, q, n) < 0)
		goto out;
	store_q_clear(q, n);
	ret = 0;
	goto out;
oom:
	error_set(&store->err, "audit: out of memory");
out:
	free(before_s);
	free(after_s);
	return ret;
}

/* AUDIT_CANON_NEW for the rows of a batch (c: the row, r: the values). */
#define AUDIT_CANON_ROW                                                                 \
	"jsonb_build_object('id', v.id, 'at', to_char(now() AT TIME ZONE 'UTC', "       \
	"'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), 'actor', $1::text, 'action', $2::text, " \
	"'object_type', 'message'::text, 'object_id', r.oid, 'before', NULL::jsonb, "   \
	"'after', r.a)::text"

/* Builds the array literal of v[0..n) in b. 0 or -1. */
static int audit_array(struct buf *b, const char *const *v, size_t n)
{
	size_t i;

	if (buf_append(b, "{", 1) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (store_array_add(b, v[i]) < 0)
			return -1;
	}
	return buf_append(b, "}", 1);
}

int store_audit_commit_many(struct store *store, const char *actor, const char *action,
			    const char *const *object_ids, const char *const *afters, size_t n)
{
	struct buf ids, after;
	const char *params[4];
	struct store_q q[3];
	int ret = -1;

	buf_init(&ids, 1024 * 1024);
	buf_init(&after, 64 * 1024 * 1024);
	if (audit_array(&ids, object_ids, n) < 0 || audit_array(&after, afters, n) < 0) {
		error_set(&store->err, "audit: the batch's rows do not fit");
		goto out;
	}
	params[0] = actor;
	params[1] = action;
	params[2] = ids.data;
	params[3] = after.data;
	/* The rows are chained in order by a recursive query, each hashing
	 * the one before it, from the tail read after the lock is granted
	 * (its own statement, as in store_audit_send()): one statement and
	 * one round trip for the whole batch, the lock held for no network. */
	q[0] = (struct store_q){"audit lock", "SELECT pg_advisory_xact_lock(" AUDIT_LOCK_KEY ")", 0,
				NULL, NULL};
	q[1] = (struct store_q){
		"audit insert",
		"WITH RECURSIVE r AS (SELECT u.ord, u.oid, u.a::jsonb AS a"
		" FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS u(oid, a, ord)),"
		" c AS (SELECT 0::bigint AS ord, NULL::bigint AS id, NULL::text AS oid,"
		" NULL::jsonb AS a, NULL::bytea AS prev,"
		" (SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1) AS hash"
		" UNION ALL"
		" SELECT r.ord, v.id, r.oid, r.a, c.hash,"
		" sha256(coalesce(c.hash, '\\x'::bytea) || convert_to(" AUDIT_CANON_ROW ", 'UTF8'))"
		" FROM c JOIN r ON r.ord = c.ord + 1"
		" CROSS JOIN LATERAL (SELECT nextval(pg_get_serial_sequence('audit_log', 'id'))"
		" AS id) v)"
		" INSERT INTO audit_log (id, at, actor, action, object_type, object_id,"
		" before, after, prev_hash, hash)"
		" SELECT id, now(), $1, $2, 'message', oid, NULL, a, prev, hash"
		" FROM c WHERE ord > 0 ORDER BY ord",
		4, params, NULL};
	q[2] = (struct store_q){"commit", "COMMIT", 0, NULL, NULL};
	if (store_exec_many(store, q, 3) < 0)
		goto out;
	store_q_clear(q, 3);
	ret = 0;
out:
	buf_free(&ids);
	buf_free(&after);
	return ret;
}

int store_audit_append(struct store *store, const char *actor, const char *action,
		       const char *object_type, const char *object_id, const json_t *before,
		       const json_t *after)
{
	return store_audit_send(store, actor, action, object_type, object_id, before, after, false);
}

int store_audit_commit(struct store *store, const char *actor, const char *action,
		       const char *object_type, const char *object_id, const json_t *before,
		       const json_t *after)
{
	return store_audit_send(store, actor, action, object_type, object_id, before, after, true);
}

int store_audit_record(struct store *store, const char *actor, const char *action,
		       const char *object_type, const char *object_id, const json_t *before,
		       const json_t *after)
{
	if (store_command(store, "BEGIN") < 0)
		return -1;
	if (store_audit_append(store, actor, action, object_type, object_id, before, after) < 0 ||
	    store_command(store, "COMMIT") < 0) {
		store_rollback(store);
		return -1;
	}
	return 0;
}

int store_audit_verify(struct store *store, long long *rows_r, long long *bad_id_r, char *why,
		       size_t why_size)
{
	PGresult *res = NULL;
	char last_id[32] = "0", prev[65] = "", hash[65];
	long long rows = 0;
	int ret = -1, i, n;

	for (;;) {
		const char *params[1] = {last_id};

		res = store_exec(store, "audit verify",
				 "SELECT id, coalesce(encode(prev_hash, 'hex'), ''),"
				 " encode(hash, 'hex'), " AUDIT_CANON " FROM audit_log"
				 " WHERE id > $1::bigint ORDER BY id LIMIT " AUDIT_VERIFY_BATCH,
				 1, params);
		if (res == NULL)
			goto out;
		n = PQntuples(res);
		if (n == 0)
			break;
		for (i = 0; i < n; i++) {
			const char *id = PQgetvalue(res, i, 0);

			*bad_id_r = strtoll(id, NULL, 10);
			if (strcmp(PQgetvalue(res, i, 1), prev) != 0) {
				snprintf(why, why_size, "prev_hash does not match row before it");
				ret = 0;
				goto out;
			}
			if (audit_hash(prev, PQgetvalue(res, i, 3), hash) < 0 ||
			    strcmp(hash, PQgetvalue(res, i, 2)) != 0) {
				snprintf(why, why_size, "hash does not match the row's content");
				ret = 0;
				goto out;
			}
			snprintf(prev, sizeof(prev), "%s", hash);
			snprintf(last_id, sizeof(last_id), "%s", id);
			rows++;
		}
		PQclear(res);
		res = NULL;
	}
	*bad_id_r = 0;
	ret = 1;
out:
	*rows_r = rows;
	PQclear(res);
	return ret;
}

int store_audit_list(struct store *store, const char *since_id, const char *since_time,
		     const char *object_type, const char *object_id, unsigned int limit,
		     json_t **entries_r)
{
	PGresult *res;
	json_t *arr = NULL;
	char lim[16];
	const char *params[5];
	int i, ret = -1;

	snprintf(lim, sizeof(lim), "%u", limit);
	params[0] = since_id;
	params[1] = since_time;
	params[2] = object_type;
	params[3] = object_id;
	params[4] = lim;
	res = store_exec(store, "audit list",
			 "SELECT json_build_object('id', id, 'at', at, 'actor', actor, 'action',"
			 " action, 'object_type', object_type, 'object_id', object_id, 'before',"
			 " before, 'after', after, 'hash', encode(hash, 'hex'))::text"
			 " FROM audit_log WHERE ($1::bigint IS NULL OR id > $1::bigint)"
			 " AND ($2::timestamptz IS NULL OR at >= $2::timestamptz)"
			 " AND ($3::text IS NULL OR object_type = $3)"
			 " AND ($4::text IS NULL OR object_id = $4)"
			 " ORDER BY id LIMIT $5::int",
			 5, params);
	if (res == NULL)
		return -1;
	arr = json_array();
	for (i = 0; arr != NULL && i < PQntuples(res); i++) {
		json_t *row = json_loads(PQgetvalue(res, i, 0), 0, NULL);

		if (row == NULL || json_array_append_new(arr, row) < 0) {
			error_set(&store->err, "audit list: bad row");
			goto out;
		}
	}
	if (arr == NULL)
		goto out;
	*entries_r = arr;
	arr = NULL;
	ret = 0;
out:
	json_decref(arr);
	PQclear(res);
	return ret;
}
