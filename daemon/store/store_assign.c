/* SPDX-License-Identifier: MIT */
/* Assignment: who looks after a message. Taking, handing on and round
 * robin all end in one guarded update and its audit row. */
#include "daemon/store/store_workspace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/store_txn.h"
#include "daemon/store/store_review_int.h"

#define ASSIGN_JSON                                                                  \
	"json_build_object('id', m.id, 'assigned_to', m.assigned_to, 'assigned_at'," \
	" m.assigned_at, 'assigned_by', m.assigned_by, 'status', m.status)"

/* People who may sign in, and service tokens in use (no person behind them,
 * and no person's login as their name): a deployment that has not moved to
 * people yet works by token names. A person's own token acts as them. */
#define ASSIGNEES_SQL                                                                         \
	"SELECT p.login AS name, p.role, 'person' AS kind FROM people p WHERE p.disabled_at"  \
	" IS NULL UNION SELECT t.name, t.role, 'token' FROM api_tokens t WHERE t.revoked_at"  \
	" IS NULL AND t.person_id IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())" \
	" AND NOT EXISTS (SELECT"                                                             \
	" 1 FROM people p WHERE lower(p.login) = lower(t.name))"

static bool same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

struct assign {
	const char *params[3]; /* message id, person (NULL: nobody), actor */
	bool expect_set;
	const char *expect;
	json_t *result;
};

/* 0: no such message ("no_message") or expect did not hold ("expect", with
 * the current assignment in result) */
static int assign_body(struct store *store, struct store_txn *txn, void *ctx)
{
	struct assign *c = ctx;
	const char *holder;
	json_t *after = NULL;
	int r;

	r = store_review_one(store, "assign lock",
			     "SELECT " ASSIGN_JSON "::text FROM messages m WHERE m.id = $1::bigint"
			     " FOR UPDATE",
			     1, c->params, &c->result);
	if (r <= 0)
		return r < 0 ? -1 : store_txn_refuse(txn, "no_message");
	holder = json_string_value(json_object_get(c->result, "assigned_to"));
	if (c->expect_set && !same(holder, c->expect))
		return store_txn_refuse(txn, "expect");
	/* to whoever has it already: nothing changes, nothing is recorded */
	if (same(holder, c->params[1]))
		return 1;
	txn->before = json_pack("{s:s?}", "assigned_to", holder);
	r = store_review_one(
		store, "assign",
		"UPDATE messages m SET assigned_to = $2, assigned_at = CASE WHEN $2::text"
		" IS NULL THEN NULL ELSE now() END, assigned_by = CASE WHEN $2::text IS"
		" NULL THEN NULL ELSE $3 END WHERE m.id = $1::bigint RETURNING " ASSIGN_JSON
		"::text",
		3, c->params, &after);
	if (r <= 0)
		return -1;
	json_decref(c->result);
	c->result = after;
	txn->action = "message.assign";
	txn->after = json_pack("{s:s?}", "assigned_to", c->params[1]);
	if (txn->before == NULL || txn->after == NULL ||
	    store_txn_object(store, txn, "message", c->params[0]) < 0)
		return -1;
	return 1;
}

int store_assign(struct store *store, const char *id, const char *person, bool expect_set,
		 const char *expect, const char *actor, json_t **result_r)
{
	struct store_txn txn = {.actor = actor};
	struct assign c = {
		.params = {id, person, actor}, .expect_set = expect_set, .expect = expect};
	int r = store_txn_run(store, &txn, assign_body, &c);

	if (r == 0 && txn.refused != NULL && strcmp(txn.refused, "expect") == 0)
		r = 2;
	if (r == 1 || r == 2) {
		*result_r = c.result;
		c.result = NULL;
	}
	json_decref(c.result);
	return r;
}

int store_assignee_exists(struct store *store, const char *name)
{
	const char *params[1] = {name};
	PGresult *res =
		store_exec(store, "assignee",
			   "SELECT 1 FROM (" ASSIGNEES_SQL ") x WHERE x.name = $1", 1, params);
	int ret;

	if (res == NULL)
		return -1;
	ret = PQntuples(res) > 0 ? 1 : 0;
	PQclear(res);
	return ret;
}

int store_assignees_list(struct store *store, json_t **people_r)
{
	int r = store_review_one(
		store, "assignees",
		"SELECT coalesce(json_agg(json_build_object('name', x.name, 'role',"
		" x.role, 'kind', x.kind, 'open', (SELECT count(*) FROM messages m"
		" WHERE m.assigned_to = x.name AND m.status = 'open')) ORDER BY"
		" x.name), '[]')::text FROM (" ASSIGNEES_SQL ") x",
		0, NULL, people_r);

	return r == 1 ? 0 : -1;
}

struct round_robin {
	const char *params[3]; /* message id, category, the people comma-separated */
};

/* 0: nothing to do ("nothing") */
static int round_robin_body(struct store *store, struct store_txn *txn, void *ctx)
{
	struct round_robin *c = ctx;
	json_t *got = NULL;
	const char *person;
	const char *p2[2];
	int r, ret = -1;

	/* the rotation row is the category's lock: two workers finishing two
	 * messages of one category at once hand them to two people */
	r = store_review_one(
		store, "round robin",
		"WITH p AS (SELECT x, row_number() OVER (ORDER BY o) AS n FROM"
		" unnest(string_to_array($3, ',')) WITH ORDINALITY AS u(x, o) WHERE x IN (SELECT"
		" name FROM (" ASSIGNEES_SQL
		") a)), rot AS (INSERT INTO assign_rotation (category, last_person) VALUES ($2,"
		" '') ON CONFLICT (category) DO UPDATE SET updated_at = now() RETURNING"
		" last_person), nxt AS (SELECT coalesce((SELECT p2.x FROM p p1, p p2, rot WHERE"
		" p1.x = rot.last_person AND p2.n = p1.n % (SELECT count(*) FROM p) + 1), (SELECT x"
		" FROM p WHERE n = 1)) AS person), upd AS (UPDATE messages m SET assigned_to ="
		" nxt.person, assigned_at = now(), assigned_by = 'round-robin', round_robin_at ="
		" now() FROM nxt WHERE nxt.person IS NOT NULL AND m.id = $1::bigint AND"
		" m.assigned_to IS NULL AND"
		" m.round_robin_at IS NULL AND m.status = 'open' RETURNING m.id,"
		" m.assigned_to) SELECT json_build_object('person', assigned_to)::text FROM upd",
		3, c->params, &got);
	if (r <= 0) {
		ret = r < 0 ? -1 : store_txn_refuse(txn, "nothing");
		goto out;
	}
	person = json_string_value(json_object_get(got, "person"));
	p2[0] = c->params[1];
	p2[1] = person;
	if (store_exec_void(store, "rotation",
			    "UPDATE assign_rotation SET last_person = $2, updated_at = now() WHERE"
			    " category = $1",
			    2, p2) < 0)
		goto out;
	txn->action = "message.assign";
	txn->after = json_pack("{s:s?,s:s}", "assigned_to", person, "category", c->params[1]);
	if (txn->after == NULL || store_txn_object(store, txn, "message", c->params[0]) < 0)
		goto out;
	ret = 1;
out:
	json_decref(got);
	return ret;
}

int store_assign_round_robin(struct store *store, const char *id, const char *category,
			     const char *const *people, unsigned int count)
{
	struct store_txn txn = {.actor = "round-robin"};
	struct round_robin c;
	char list[4096];
	size_t used = 0;
	unsigned int i;

	if (count == 0)
		return 0;
	list[0] = '\0';
	for (i = 0; i < count; i++) {
		int n = snprintf(list + used, sizeof(list) - used, "%s%s", i > 0 ? "," : "",
				 people[i]);

		if (n < 0 || (size_t)n >= sizeof(list) - used)
			return -1; /* config_finish caps the list well below this */
		used += (size_t)n;
	}
	c.params[0] = id;
	c.params[1] = category;
	c.params[2] = list;
	return store_txn_run(store, &txn, round_robin_body, &c);
}

int store_assign_candidate(struct store *store, const char *id, char *category, size_t size)
{
	const char *params[1] = {id};
	PGresult *res = store_exec(store, "assign candidate",
				   "SELECT " MESSAGE_CATEGORY_SQL " FROM messages m WHERE m.id ="
				   " $1::bigint AND m.status = 'open' AND m.assigned_to IS NULL AND"
				   " m.round_robin_at IS NULL",
				   1, params);
	int ret = 0;

	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)) {
		snprintf(category, size, "%s", PQgetvalue(res, 0, 0));
		ret = 1;
	}
	PQclear(res);
	return ret;
}
