/* SPDX-License-Identifier: MIT */
/* Sign-in sessions and the shared auth keys (declared in store_people.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/store_people.h"
#include "daemon/store/store_private.h"

int store_session_create(struct store *store, const char *session_id, long long person_id,
			 uint32_t idle_s, uint32_t absolute_s, const char *client_addr)
{
	char person[24], idle[16], absolute[16];
	const char *params[5] = {session_id, person, idle, absolute, client_addr};
	PGresult *res;
	int ret;

	snprintf(person, sizeof(person), "%lld", person_id);
	snprintf(idle, sizeof(idle), "%u", idle_s);
	snprintf(absolute, sizeof(absolute), "%u", absolute_s);
	res = store_exec(
		store, "session create",
		"INSERT INTO sessions (id, person_id, expires_at, client_addr)"
		" SELECT $1, id, now() + make_interval(secs => least($3::int, $4::int)), $5"
		" FROM people WHERE id = $2 AND disabled_at IS NULL",
		5, params);
	if (res == NULL)
		return -1;
	ret = strcmp(PQcmdTuples(res), "1") == 0 ? 1 : 0;
	PQclear(res);
	return ret;
}

int store_session_use(struct store *store, const char *session_id, uint32_t idle_s,
		      uint32_t absolute_s, struct store_session *session_r)
{
	char idle[16], absolute[16];
	const char *params[3] = {session_id, idle, absolute};
	const char *stored;
	unsigned char diff = 0;
	PGresult *res;
	size_t i, n;
	int ret = 0;

	memset(session_r, 0, sizeof(*session_r));
	snprintf(idle, sizeof(idle), "%u", idle_s);
	snprintf(absolute, sizeof(absolute), "%u", absolute_s);
	res = store_exec(store, "session use",
			 "UPDATE sessions s SET last_seen_at = now(),"
			 " expires_at = least(s.created_at + make_interval(secs => $3::int),"
			 "                    now() + make_interval(secs => $2::int))"
			 " FROM people p"
			 " WHERE s.id = $1 AND s.person_id = p.id AND s.ended_at IS NULL"
			 " AND s.expires_at > now() AND p.disabled_at IS NULL"
			 " RETURNING s.id, p.id, p.login, p.role,"
			 " extract(epoch FROM s.created_at)::bigint,"
			 " extract(epoch FROM s.last_seen_at)::bigint,"
			 " extract(epoch FROM s.expires_at)::bigint, left(p.display_name, 32)",
			 3, params);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1) {
		/* the index found it; compare again without an early exit */
		stored = PQgetvalue(res, 0, 0);
		n = strlen(session_id);
		diff = strlen(stored) == n ? 0 : 1;
		for (i = 0; diff == 0 && i < n; i++)
			diff |= (unsigned char)(stored[i] ^ session_id[i]);
		if (diff == 0) {
			session_r->person_id = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
			snprintf(session_r->login, sizeof(session_r->login), "%s",
				 PQgetvalue(res, 0, 2));
			snprintf(session_r->role, sizeof(session_r->role), "%s",
				 PQgetvalue(res, 0, 3));
			session_r->created = strtoll(PQgetvalue(res, 0, 4), NULL, 10);
			session_r->last_seen = strtoll(PQgetvalue(res, 0, 5), NULL, 10);
			session_r->expires = strtoll(PQgetvalue(res, 0, 6), NULL, 10);
			snprintf(session_r->display_name, sizeof(session_r->display_name), "%s",
				 PQgetvalue(res, 0, 7));
			ret = 1;
		}
	}
	PQclear(res);
	return ret;
}

int store_session_end(struct store *store, const char *session_id)
{
	const char *params[1] = {session_id};
	PGresult *res;
	int ret;

	res = store_exec(store, "session end",
			 "UPDATE sessions SET ended_at = now()"
			 " WHERE id = $1 AND ended_at IS NULL AND expires_at > now()",
			 1, params);
	if (res == NULL)
		return -1;
	ret = strcmp(PQcmdTuples(res), "1") == 0 ? 1 : 0;
	PQclear(res);
	return ret;
}

static int unhex(const char *hex, unsigned char *out, size_t n)
{
	size_t i;
	unsigned int v;

	if (strlen(hex) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	return 0;
}

int store_auth_key(struct store *store, const char *name, const unsigned char candidate[32],
		   unsigned char key_r[32])
{
	char hex[65];
	const char *params[2] = {name, hex};
	PGresult *res;
	size_t i;
	int ret = -1;

	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", candidate[i]);
	/* DO NOTHING returns no row when another instance stored its key first:
	 * read back whichever is stored */
	if (store_exec_void(store, "auth key",
			    "INSERT INTO auth_keys (name, secret) VALUES ($1, decode($2, 'hex'))"
			    " ON CONFLICT (name) DO NOTHING",
			    2, params) < 0)
		return -1;
	res = store_exec(store, "auth key",
			 "SELECT encode(secret, 'hex') FROM auth_keys WHERE name = $1", 1, params);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1 && unhex(PQgetvalue(res, 0, 0), key_r, 32) == 0)
		ret = 0;
	else
		store_set_error(store, "auth key: unreadable", NULL);
	PQclear(res);
	explicit_bzero(hex, sizeof(hex));
	return ret;
}
