/* SPDX-License-Identifier: MIT */
#include "daemon/store/store_people.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/store_private.h"
#include "daemon/store/store_txn.h"

bool person_login_valid(const char *login)
{
	size_t n = strlen(login);

	return n > 0 && n <= PERSON_LOGIN_MAX &&
	       strspn(login,
		      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._@-") == n;
}

struct person_create {
	const char *params[5]; /* login, display_name, email, role, password_hash */
	long long *id_r;
};

/* 0: the login is taken */
static int person_create_body(struct store *store, struct store_txn *txn, void *ctx)
{
	struct person_create *c = ctx;
	PGresult *res;
	int ret = -1;

	res = store_exec(store, "person create",
			 "INSERT INTO people (login, display_name, email, role, password_hash)"
			 " VALUES ($1, coalesce($2, ''), $3, $4, $5)"
			 " ON CONFLICT ((lower(login))) DO NOTHING RETURNING id",
			 5, c->params);
	if (res == NULL)
		goto out;
	if (PQntuples(res) != 1) {
		ret = store_txn_refuse(txn, "login_taken");
		goto out;
	}
	*c->id_r = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	/* never the hash: the audit log is read by admins */
	txn->action = "person.create";
	txn->after = json_pack("{s:s, s:s, s:s?, s:b}", "login", c->params[0], "role", c->params[3],
			       "email", c->params[2], "password", c->params[4] != NULL);
	if (store_txn_object(store, txn, "person", c->params[0]) < 0)
		goto out;
	ret = 1;
out:
	PQclear(res);
	return ret;
}

int store_person_create(struct store *store, const char *login, const char *display_name,
			const char *email, const char *role, const char *password_hash,
			const char *actor, long long *id_r)
{
	struct store_txn txn = {.actor = actor};
	struct person_create c = {{login, display_name, email, role, password_hash}, id_r};
	int ret;

	*id_r = 0;
	ret = store_txn_run(store, &txn, person_create_body, &c);
	if (ret != 1)
		*id_r = 0;
	return ret;
}

int store_person_get(struct store *store, const char *login, struct store_person *person_r)
{
	const char *params[1] = {login};
	PGresult *res;
	int ret = 0;

	memset(person_r, 0, sizeof(*person_r));
	res = store_exec(
		store, "person get",
		"SELECT id, login, role, coalesce(password_hash, ''), disabled_at IS NOT NULL,"
		" left(display_name, 32)"
		" FROM people WHERE lower(login) = lower($1)",
		1, params);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1) {
		person_r->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		snprintf(person_r->login, sizeof(person_r->login), "%s", PQgetvalue(res, 0, 1));
		snprintf(person_r->role, sizeof(person_r->role), "%s", PQgetvalue(res, 0, 2));
		snprintf(person_r->password_hash, sizeof(person_r->password_hash), "%s",
			 PQgetvalue(res, 0, 3));
		person_r->disabled = strcmp(PQgetvalue(res, 0, 4), "t") == 0;
		snprintf(person_r->display_name, sizeof(person_r->display_name), "%s",
			 PQgetvalue(res, 0, 5));
		ret = 1;
	}
	PQclear(res);
	return ret;
}

/* Ends every live session of person id (text) inside the caller's
 * transaction; *ended_r is how many. */
static int sessions_end_person(struct store *store, const char *id, long long *ended_r)
{
	const char *params[1] = {id};
	PGresult *res;

	res = store_exec(
		store, "sessions end",
		"UPDATE sessions SET ended_at = now() WHERE person_id = $1 AND ended_at IS NULL", 1,
		params);
	if (res == NULL)
		return -1;
	*ended_r = strtoll(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return 0;
}

/* A change to one person: the UPDATE (params $1 login, $2 the new value;
 * it returns id, login), then optionally ending their sessions. */
struct person_change {
	const char *what, *sql, *action, *field;
	const char *params[2];
	bool value, end_sessions;
};

/* 0: no such person (or nothing to change) */
static int person_change_body(struct store *store, struct store_txn *txn, void *ctx)
{
	struct person_change *c = ctx;
	PGresult *res;
	long long ended = 0;
	int ret = -1;

	res = store_exec(store, c->what, c->sql, 2, c->params);
	if (res == NULL)
		goto out;
	if (PQntuples(res) != 1) {
		ret = store_txn_refuse(txn, "not_found");
		goto out;
	}
	if (c->end_sessions && sessions_end_person(store, PQgetvalue(res, 0, 0), &ended) < 0)
		goto out;
	txn->action = c->action;
	txn->after = json_pack("{s:s, s:b, s:I}", "login", PQgetvalue(res, 0, 1), c->field,
			       c->value, "sessions_ended", (json_int_t)ended);
	if (store_txn_object(store, txn, "person", PQgetvalue(res, 0, 1)) < 0)
		goto out;
	ret = 1;
out:
	PQclear(res);
	return ret;
}

int store_person_set_password(struct store *store, const char *login, const char *password_hash,
			      bool end_sessions, const char *actor)
{
	struct store_txn txn = {.actor = actor};
	struct person_change c = {
		.what = "person password",
		.sql = "UPDATE people SET password_hash = $2, updated_at = now()"
		       " WHERE lower(login) = lower($1) RETURNING id, login",
		.action = "person.password",
		.field = "password",
		.params = {login, password_hash},
		.value = password_hash != NULL,
		.end_sessions = end_sessions,
	};

	return store_txn_run(store, &txn, person_change_body, &c);
}

int store_person_set_disabled(struct store *store, const char *login, bool disabled,
			      const char *actor)
{
	struct store_txn txn = {.actor = actor};
	struct person_change c = {
		.what = "person disable",
		.sql = "UPDATE people SET disabled_at = CASE WHEN $2::boolean THEN now() END,"
		       " updated_at = now()"
		       " WHERE lower(login) = lower($1) AND (disabled_at IS NOT NULL) <> "
		       "$2::boolean"
		       " RETURNING id, login",
		.action = disabled ? "person.disable" : "person.enable",
		.field = "disabled",
		.params = {login, disabled ? "true" : "false"},
		.value = disabled,
		.end_sessions = disabled,
	};

	return store_txn_run(store, &txn, person_change_body, &c);
}
