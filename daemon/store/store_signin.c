/* SPDX-License-Identifier: MIT */
/* Sign-in beyond people and sessions: lock-out counters, OpenID sign-ins
 * under way, people found by their provider identity, the people list
 * (store_signin.h, migration 0105). */
#include "daemon/store/store_signin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/store_private.h"
#include "daemon/store/store_txn.h"

#define SIGNIN_TIME "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'"

int store_signin_locked(struct store *store, const char *key, uint32_t *retry_after_r)
{
	const char *params[1] = {key};
	PGresult *res;
	int ret = 0;

	*retry_after_r = 0;
	res = store_exec(store, "sign-in locked",
			 "SELECT ceil(extract(epoch FROM locked_until - now()))::bigint"
			 " FROM auth_failures WHERE key = $1 AND locked_until > now()",
			 1, params);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1) {
		long long left = strtoll(PQgetvalue(res, 0, 0), NULL, 10);

		*retry_after_r = left > 0 && left < 86400 * 30 ? (uint32_t)left : 1;
		ret = 1;
	}
	PQclear(res);
	return ret;
}

int store_signin_failed(struct store *store, const char *key, const struct signin_limit *limit)
{
	char failures[16], window[16], lock[16];
	const char *params[4] = {key, failures, window, lock};
	PGresult *res;
	int ret;

	snprintf(failures, sizeof(failures), "%u", limit->failures);
	snprintf(window, sizeof(window), "%u", limit->window_s);
	snprintf(lock, sizeof(lock), "%u", limit->lock_s);
	/* One statement, so two instances counting the same key never lose a
	 * failure: a window that has passed (or a lock that has ended) starts
	 * again at one. */
	res = store_exec(
		store, "sign-in failed",
		"INSERT INTO auth_failures AS f (key, failures, window_start, locked_until)"
		" VALUES ($1, 1, now(), CASE WHEN 1 >= $2::int"
		"  THEN now() + make_interval(secs => $4::int) END)"
		" ON CONFLICT (key) DO UPDATE SET"
		"  failures = CASE WHEN f.window_start < now() - make_interval(secs => $3::int)"
		"   OR f.locked_until <= now() THEN 1 ELSE f.failures + 1 END,"
		"  window_start = CASE WHEN f.window_start < now() - make_interval(secs => $3::int)"
		"   OR f.locked_until <= now() THEN now() ELSE f.window_start END,"
		"  locked_until = CASE WHEN f.locked_until > now() THEN f.locked_until"
		"   WHEN (CASE WHEN f.window_start < now() - make_interval(secs => $3::int)"
		"    OR f.locked_until <= now() THEN 1 ELSE f.failures + 1 END) >= $2::int"
		"   THEN now() + make_interval(secs => $4::int) END"
		" RETURNING locked_until IS NOT NULL AND failures >= $2::int",
		4, params);
	if (res == NULL)
		return -1;
	ret = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0 ? 1 : 0;
	PQclear(res);
	return ret;
}

int store_signin_clear(struct store *store, const char *key)
{
	const char *params[1] = {key};

	return store_exec_void(store, "sign-in clear", "DELETE FROM auth_failures WHERE key = $1",
			       1, params);
}

int store_oidc_pending_put(struct store *store, const char *state_hash, const char *nonce,
			   const char *verifier, const char *return_to)
{
	char age[16];
	const char *params[5] = {state_hash, nonce, verifier, return_to, age};

	snprintf(age, sizeof(age), "%d", OIDC_PENDING_MAX_AGE_S);
	return store_exec_void(store, "oidc pending",
			       "WITH swept AS (DELETE FROM oidc_pending"
			       "  WHERE created_at < now() - make_interval(secs => $5::int))"
			       " INSERT INTO oidc_pending (state_hash, nonce, verifier, return_to)"
			       " VALUES ($1, $2, $3, $4)",
			       5, params);
}

int store_oidc_pending_take(struct store *store, const char *state_hash, char nonce_r[129],
			    char verifier_r[129], char return_to_r[OIDC_RETURN_MAX + 1])
{
	char age[16];
	const char *params[2] = {state_hash, age};
	PGresult *res;
	int ret = 0;

	nonce_r[0] = verifier_r[0] = return_to_r[0] = '\0';
	snprintf(age, sizeof(age), "%d", OIDC_PENDING_MAX_AGE_S);
	res = store_exec(store, "oidc take",
			 "DELETE FROM oidc_pending WHERE state_hash = $1"
			 " RETURNING nonce, verifier, return_to,"
			 " created_at >= now() - make_interval(secs => $2::int)",
			 2, params);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 3), "t") == 0 &&
	    strlen(PQgetvalue(res, 0, 0)) <= 128 && strlen(PQgetvalue(res, 0, 1)) <= 128 &&
	    strlen(PQgetvalue(res, 0, 2)) <= OIDC_RETURN_MAX) {
		snprintf(nonce_r, 129, "%s", PQgetvalue(res, 0, 0));
		snprintf(verifier_r, 129, "%s", PQgetvalue(res, 0, 1));
		snprintf(return_to_r, OIDC_RETURN_MAX + 1, "%s", PQgetvalue(res, 0, 2));
		ret = 1;
	}
	PQclear(res);
	return ret;
}

/* Fills person_r from a row of (id, login, role, password_hash, disabled,
 * display_name). */
static void person_from_row(const PGresult *res, int row, struct store_person *person_r)
{
	memset(person_r, 0, sizeof(*person_r));
	person_r->id = strtoll(PQgetvalue(res, row, 0), NULL, 10);
	snprintf(person_r->login, sizeof(person_r->login), "%s", PQgetvalue(res, row, 1));
	snprintf(person_r->role, sizeof(person_r->role), "%s", PQgetvalue(res, row, 2));
	snprintf(person_r->password_hash, sizeof(person_r->password_hash), "%s",
		 PQgetvalue(res, row, 3));
	person_r->disabled = strcmp(PQgetvalue(res, row, 4), "t") == 0;
	snprintf(person_r->display_name, sizeof(person_r->display_name), "%s",
		 PQgetvalue(res, row, 5));
}

#define PERSON_COLUMNS                                                           \
	"id, login, role, coalesce(password_hash, ''), disabled_at IS NOT NULL," \
	" left(display_name, 32)"

int store_person_by_id(struct store *store, long long id, struct store_person *person_r)
{
	char idt[24];
	const char *params[1] = {idt};
	PGresult *res;
	int ret = 0;

	memset(person_r, 0, sizeof(*person_r));
	snprintf(idt, sizeof(idt), "%lld", id);
	res = store_exec(store, "person by id",
			 "SELECT " PERSON_COLUMNS " FROM people WHERE id = $1::bigint", 1, params);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1) {
		person_from_row(res, 0, person_r);
		ret = 1;
	}
	PQclear(res);
	return ret;
}

/* The existing person with (issuer, subject), updated, inside the
 * transaction; a changed role is the audit row. Returns 1 found, 0 none, -1. */
static int oidc_person_update(struct store *store, struct store_txn *txn,
			      const struct signin_oidc_person *who, struct store_person *person_r)
{
	const char *params[5] = {who->issuer, who->subject, who->display_name, who->email,
				 who->role};
	PGresult *res;
	int ret = -1;

	/* the old role comes back from the FROM row, the new one from people */
	res = store_exec(store, "oidc person",
			 "UPDATE people p SET display_name = coalesce($3, p.display_name),"
			 " email = coalesce($4, p.email), role = coalesce($5, p.role),"
			 " updated_at = now() FROM people o"
			 " WHERE p.oidc_issuer = $1 AND p.oidc_subject = $2 AND o.id = p.id"
			 " RETURNING p.id, p.login, p.role, coalesce(p.password_hash, ''),"
			 " p.disabled_at IS NOT NULL, left(p.display_name, 32), o.role",
			 5, params);
	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		ret = 0;
		goto out;
	}
	person_from_row(res, 0, person_r);
	if (strcmp(PQgetvalue(res, 0, 6), person_r->role) != 0) {
		txn->action = "person.role";
		txn->before = json_pack("{s:s}", "role", PQgetvalue(res, 0, 6));
		txn->after =
			json_pack("{s:s, s:s}", "role", person_r->role, "by", "oidc role claim");
		if (store_txn_object(store, txn, "person", person_r->login) < 0)
			goto out;
	}
	ret = 1;
out:
	PQclear(res);
	return ret;
}

struct oidc_person {
	const struct signin_oidc_person *who;
	struct store_person *person_r;
};

/* 0: a new person whose login someone else has */
static int oidc_person_body(struct store *store, struct store_txn *txn, void *ctx)
{
	struct oidc_person *c = ctx;
	const struct signin_oidc_person *who = c->who;
	const char *params[6] = {who->login,  who->display_name,
				 who->email,  who->role != NULL ? who->role : "reviewer",
				 who->issuer, who->subject};
	PGresult *res = NULL;
	int ret = -1, r;

	r = oidc_person_update(store, txn, who, c->person_r);
	if (r != 0)
		return r;
	res = store_exec(store, "oidc person create",
			 "INSERT INTO people (login, display_name, email, role,"
			 " oidc_issuer, oidc_subject)"
			 " VALUES ($1, coalesce($2, ''), $3, $4, $5, $6)"
			 " ON CONFLICT ((lower(login))) DO NOTHING RETURNING " PERSON_COLUMNS,
			 6, params);
	if (res == NULL)
		goto out;
	if (PQntuples(res) != 1) {
		ret = store_txn_refuse(txn, "login_taken");
		goto out;
	}
	person_from_row(res, 0, c->person_r);
	/* the person is their own actor: nobody else added them */
	txn->actor = c->person_r->login;
	txn->action = "person.create";
	txn->after = json_pack("{s:s, s:s, s:s?, s:s, s:b}", "login", c->person_r->login, "role",
			       c->person_r->role, "email", who->email, "oidc_issuer", who->issuer,
			       "password", 0);
	if (store_txn_object(store, txn, "person", c->person_r->login) < 0)
		goto out;
	ret = 1;
out:
	PQclear(res);
	return ret;
}

int store_signin_oidc_person(struct store *store, const struct signin_oidc_person *who,
			     struct store_person *person_r)
{
	/* a role changed by the claim is recorded as the person's own doing */
	struct store_txn txn = {.actor = who->login};
	struct oidc_person c = {who, person_r};
	int r;

	memset(person_r, 0, sizeof(*person_r));
	r = store_txn_run(store, &txn, oidc_person_body, &c);
	if (r < 0)
		return -1;
	if (r == 0)
		return SIGNIN_OIDC_LOGIN_TAKEN;
	return person_r->disabled ? SIGNIN_OIDC_DISABLED : SIGNIN_OIDC_OK;
}

int store_person_list(struct store *store, json_t **people_r)
{
	PGresult *res;
	json_t *arr;
	int i;

	res = store_exec(store, "person list",
			 "SELECT p.id, p.login, p.display_name, p.email, p.role,"
			 " p.password_hash IS NOT NULL, p.oidc_issuer IS NOT NULL,"
			 " p.disabled_at IS NOT NULL, to_char(p.created_at, " SIGNIN_TIME "),"
			 " to_char((SELECT max(last_seen_at) FROM sessions s"
			 "  WHERE s.person_id = p.id), " SIGNIN_TIME ")"
			 " FROM people p ORDER BY lower(p.login)",
			 0, NULL);
	if (res == NULL)
		return -1;
	arr = json_array();
	for (i = 0; arr != NULL && i < PQntuples(res); i++) {
		json_t *row = json_pack(
			"{s:I, s:s, s:s, s:s?, s:s, s:b, s:b, s:b, s:s, s:s?}", "id",
			(json_int_t)strtoll(PQgetvalue(res, i, 0), NULL, 10), "login",
			PQgetvalue(res, i, 1), "display_name", PQgetvalue(res, i, 2), "email",
			PQgetisnull(res, i, 3) ? NULL : PQgetvalue(res, i, 3), "role",
			PQgetvalue(res, i, 4), "password", strcmp(PQgetvalue(res, i, 5), "t") == 0,
			"sso", strcmp(PQgetvalue(res, i, 6), "t") == 0, "disabled",
			strcmp(PQgetvalue(res, i, 7), "t") == 0, "created_at",
			PQgetvalue(res, i, 8), "last_seen_at",
			PQgetisnull(res, i, 9) ? NULL : PQgetvalue(res, i, 9));

		if (row == NULL || json_array_append_new(arr, row) < 0) {
			json_decref(arr);
			arr = NULL;
		}
	}
	PQclear(res);
	if (arr == NULL) {
		error_set(&store->err, "person list: out of memory");
		return -1;
	}
	*people_r = arr;
	return 0;
}

/* 0: no such person, or the role is that already */
static int person_role_body(struct store *store, struct store_txn *txn, void *ctx)
{
	const char *const *params = ctx;
	PGresult *res;
	int ret = -1;

	res = store_exec(store, "person role",
			 "UPDATE people p SET role = $2, updated_at = now() FROM people o"
			 " WHERE lower(p.login) = lower($1) AND o.id = p.id AND p.role <> $2"
			 " RETURNING p.login, o.role",
			 2, params);
	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		ret = store_txn_refuse(txn, "unchanged");
		goto out;
	}
	txn->action = "person.role";
	txn->before = json_pack("{s:s}", "role", PQgetvalue(res, 0, 1));
	txn->after = json_pack("{s:s}", "role", params[1]);
	if (store_txn_object(store, txn, "person", PQgetvalue(res, 0, 0)) < 0)
		goto out;
	ret = 1;
out:
	PQclear(res);
	return ret;
}

int store_person_set_role(struct store *store, const char *login, const char *role,
			  const char *actor)
{
	struct store_txn txn = {.actor = actor};
	const char *params[2] = {login, role};

	return store_txn_run(store, &txn, person_role_body, params);
}
