/* SPDX-License-Identifier: MIT */
#include "daemon/store/store_tokens.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <string.h>

#include "daemon/lib/base64.h"
#include "daemon/store/store_private.h"
#include "daemon/store/store_txn.h"

int token_generate(char out[64])
{
	unsigned char raw[32];
	size_t o = strlen(TOKEN_PREFIX);
	int ret;

	if (gnutls_rnd(GNUTLS_RND_KEY, raw, sizeof(raw)) < 0)
		return -1;
	memcpy(out, TOKEN_PREFIX, o);
	/* 32 bytes are 43 characters */
	ret = base64_encode(BASE64_URL, raw, sizeof(raw), out + o, 64 - o);
	gnutls_memset(raw, 0, sizeof(raw));
	return ret;
}

int token_hash(const char *token, unsigned char hash[32])
{
	return gnutls_hash_fast(GNUTLS_DIG_SHA256, token, strlen(token), hash) < 0 ? -1 : 0;
}

const char *token_role_name(enum token_role role)
{
	return role == TOKEN_ROLE_ADMIN ? "admin" : "reviewer";
}

int token_role_parse(const char *name, enum token_role *role_r)
{
	if (strcmp(name, "reviewer") == 0)
		*role_r = TOKEN_ROLE_REVIEWER;
	else if (strcmp(name, "admin") == 0)
		*role_r = TOKEN_ROLE_ADMIN;
	else
		return -1;
	return 0;
}

bool token_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > TOKEN_NAME_MAX)
		return false;
	return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._@-") ==
	       n;
}

static void token_hex(const unsigned char hash[32], char hex[65])
{
	size_t i;

	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", hash[i]);
}

struct token_create {
	const char *params[5];
	const char *person; /* the login, or NULL: a service token */
	char person_id[24];
	char *expires_at_r;
};

/* 0: the name is taken (ON CONFLICT DO NOTHING returned no row), or there is
 * no enabled person with that login */
static int token_create_body(struct store *store, struct store_txn *txn, void *ctx)
{
	struct token_create *c = ctx;
	PGresult *res = NULL;
	int ret = -1;

	if (c->person != NULL) {
		const char *p1[1] = {c->person};

		/* FOR SHARE: the person cannot be disabled half-way through */
		res = store_exec(store, "token person",
				 "SELECT id FROM people WHERE lower(login) = lower($1)"
				 " AND disabled_at IS NULL FOR SHARE",
				 1, p1);
		if (res == NULL)
			goto out;
		if (PQntuples(res) != 1) {
			ret = store_txn_refuse(txn, "no_person");
			goto out;
		}
		snprintf(c->person_id, sizeof(c->person_id), "%s", PQgetvalue(res, 0, 0));
		c->params[4] = c->person_id;
		PQclear(res);
		res = NULL;
	}
	/* a NULL $4 makes the product, and so expires_at, NULL: never */
	res = store_exec(
		store, "token create",
		"INSERT INTO api_tokens (name, role, token_hash, expires_at, person_id)"
		" VALUES ($1, $2, decode($3, 'hex'), now() + $4::bigint * interval '1 second',"
		" $5::bigint) ON CONFLICT (name) DO NOTHING"
		" RETURNING to_char(expires_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
		5, c->params);
	if (res == NULL)
		goto out;
	if (PQntuples(res) != 1) {
		ret = store_txn_refuse(txn, "name_taken");
		goto out;
	}
	if (!PQgetisnull(res, 0, 0))
		snprintf(c->expires_at_r, TOKEN_TIME_MAX, "%s", PQgetvalue(res, 0, 0));
	txn->action = "token.create";
	txn->after = json_pack("{s:s, s:s, s:s?, s:s?}", "name", c->params[0], "role", c->params[1],
			       "expires_at", c->expires_at_r[0] != '\0' ? c->expires_at_r : NULL,
			       "person", c->person);
	if (store_txn_object(store, txn, "token", c->params[0]) < 0)
		goto out;
	ret = 1;
out:
	PQclear(res);
	return ret;
}

int store_token_create(struct store *store, const char *name, enum token_role role,
		       const unsigned char hash[32], uint64_t expires_in, const char *person,
		       const char *actor, char *expires_at_r)
{
	struct store_txn txn = {.actor = actor};
	struct token_create c = {.expires_at_r = expires_at_r, .person = person};
	char hex[65], secs[24];
	int r;

	token_hex(hash, hex);
	snprintf(secs, sizeof(secs), "%llu", (unsigned long long)expires_in);
	c.params[0] = name;
	c.params[1] = token_role_name(role);
	c.params[2] = hex;
	c.params[3] = expires_in > 0 ? secs : NULL;
	c.params[4] = NULL;
	expires_at_r[0] = '\0';
	r = store_txn_run(store, &txn, token_create_body, &c);
	if (r == 0 && txn.refused != NULL && strcmp(txn.refused, "no_person") == 0)
		return 2;
	return r;
}

/* 0: no live token of that name */
static int token_revoke_body(struct store *store, struct store_txn *txn, void *ctx)
{
	const char *name = ctx;
	const char *params[1] = {name};
	PGresult *res;
	int ret = -1;

	res = store_exec(store, "token revoke",
			 "UPDATE api_tokens SET revoked_at = now()"
			 " WHERE name = $1 AND revoked_at IS NULL RETURNING role",
			 1, params);
	if (res == NULL)
		goto out;
	if (PQntuples(res) != 1) {
		ret = store_txn_refuse(txn, "not_found");
		goto out;
	}
	txn->action = "token.revoke";
	txn->after = json_pack("{s:s, s:s, s:b}", "name", name, "role", PQgetvalue(res, 0, 0),
			       "revoked", 1);
	if (store_txn_object(store, txn, "token", name) < 0)
		goto out;
	ret = 1;
out:
	PQclear(res);
	return ret;
}

int store_token_revoke(struct store *store, const char *name, const char *actor)
{
	struct store_txn txn = {.actor = actor};

	return store_txn_run(store, &txn, token_revoke_body, (void *)name);
}

int store_token_lookup(struct store *store, const unsigned char hash[32], struct token_auth *auth_r)
{
	PGresult *res;
	char hex[65], stored[65];
	const char *params[1] = {hex};
	unsigned char diff = 0;
	size_t i;
	int ret = 0;

	memset(auth_r, 0, sizeof(*auth_r));
	token_hex(hash, hex);
	/* One round trip: the data-modifying CTE runs whether or not the
	 * outer query reads it, and only touches a live token whose last use
	 * is over a minute old. */
	res = store_exec(store, "token lookup",
			 "WITH t AS (SELECT a.id, a.name,"
			 "  CASE WHEN p.role = 'reviewer' THEN 'reviewer' ELSE a.role END AS role,"
			 "  encode(a.token_hash, 'hex') AS h, a.expires_at,"
			 "  a.expires_at IS NOT NULL AND a.expires_at <= now() AS expired,"
			 "  p.id AS pid, p.login, left(p.display_name, 32) AS display_name"
			 "  FROM api_tokens a LEFT JOIN people p ON p.id = a.person_id"
			 "  WHERE a.token_hash = decode($1, 'hex') AND a.revoked_at IS NULL"
			 "  AND p.disabled_at IS NULL),"
			 " u AS (UPDATE api_tokens a SET last_used_at = now() FROM t"
			 "  WHERE a.id = t.id AND NOT t.expired AND (a.last_used_at IS NULL"
			 "  OR a.last_used_at < now() - interval '1 minute'))"
			 " SELECT name, role, h, expired, to_char(expires_at, "
			 "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), pid, login, display_name FROM t",
			 1, params);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1 && strlen(PQgetvalue(res, 0, 2)) == 64) {
		/* The index found it; compare anyway without an early exit so the
		 * answer never depends on where two hashes first differ. */
		memcpy(stored, PQgetvalue(res, 0, 2), 65);
		for (i = 0; i < 64; i++)
			diff |= (unsigned char)(stored[i] ^ hex[i]);
		if (diff == 0 && token_role_parse(PQgetvalue(res, 0, 1), &auth_r->role) == 0) {
			snprintf(auth_r->name, sizeof(auth_r->name), "%s", PQgetvalue(res, 0, 0));
			if (!PQgetisnull(res, 0, 4))
				snprintf(auth_r->expires_at, sizeof(auth_r->expires_at), "%s",
					 PQgetvalue(res, 0, 4));
			auth_r->expired = strcmp(PQgetvalue(res, 0, 3), "t") == 0;
			if (!PQgetisnull(res, 0, 5)) {
				auth_r->person_id = strtoll(PQgetvalue(res, 0, 5), NULL, 10);
				snprintf(auth_r->person, sizeof(auth_r->person), "%s",
					 PQgetvalue(res, 0, 6));
				snprintf(auth_r->display_name, sizeof(auth_r->display_name), "%s",
					 PQgetvalue(res, 0, 7));
			}
			ret = auth_r->expired ? 0 : 1;
		}
	}
	PQclear(res);
	return ret;
}

int store_token_list(struct store *store, json_t **tokens_r)
{
	static const char sql[] =
		"SELECT name, role, to_char(created_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
		" to_char(revoked_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
		" to_char(expires_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
		" to_char(last_used_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
		" (SELECT login FROM people p WHERE p.id = person_id)"
		" FROM api_tokens ORDER BY name";

	PGresult *res;
	json_t *arr;
	int i;

	res = store_exec(store, "token list", sql, 0, NULL);
	if (res == NULL)
		return -1;
	arr = json_array();
	for (i = 0; arr != NULL && i < PQntuples(res); i++) {
		json_array_append_new(
			arr,
			json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?}", "name",
				  PQgetvalue(res, i, 0), "role", PQgetvalue(res, i, 1),
				  "created_at", PQgetvalue(res, i, 2), "revoked_at",
				  PQgetisnull(res, i, 3) ? NULL : PQgetvalue(res, i, 3),
				  "expires_at",
				  PQgetisnull(res, i, 4) ? NULL : PQgetvalue(res, i, 4),
				  "last_used_at",
				  PQgetisnull(res, i, 5) ? NULL : PQgetvalue(res, i, 5), "person",
				  PQgetisnull(res, i, 6) ? NULL : PQgetvalue(res, i, 6)));
	}
	PQclear(res);
	if (arr == NULL) {
		error_set(&store->err, "token list: out of memory");
		return -1;
	}
	*tokens_r = arr;
	return 0;
}
