/* Assignment: who looks after a message. Taking, handing on and round
 * robin all end in one guarded update and its audit row. */
#include "daemon/store/store_workspace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/store_audit.h"
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

int store_assign(struct store *store, const char *id, const char *person, bool expect_set,
		 const char *expect, const char *actor, json_t **result_r)
{
	const char *params[3] = {id, person, actor};
	json_t *cur = NULL, *before = NULL, *after = NULL;
	const char *holder;
	bool in_tx = false;
	int r, ret = -1;

	if (store_command(store, "BEGIN") < 0)
		goto out;
	in_tx = true;
	r = store_review_one(store, "assign lock",
			     "SELECT " ASSIGN_JSON "::text FROM messages m WHERE m.id = $1::bigint"
			     " FOR UPDATE",
			     1, params, &cur);
	if (r <= 0) {
		ret = r;
		goto out;
	}
	holder = json_string_value(json_object_get(cur, "assigned_to"));
	if (expect_set && !same(holder, expect)) {
		*result_r = cur;
		cur = NULL;
		ret = 2;
		goto out;
	}
	if (same(holder, person)) {
		*result_r = cur;
		cur = NULL;
		ret = 1;
		goto out;
	}
	r = store_review_one(
		store, "assign",
		"UPDATE messages m SET assigned_to = $2, assigned_at = CASE WHEN $2::text"
		" IS NULL THEN NULL ELSE now() END, assigned_by = CASE WHEN $2::text IS"
		" NULL THEN NULL ELSE $3 END WHERE m.id = $1::bigint RETURNING " ASSIGN_JSON
		"::text",
		3, params, &after);
	if (r <= 0)
		goto out;
	before = json_pack("{s:s?}", "assigned_to", holder);
	json_t *a = json_pack("{s:s?}", "assigned_to", person);

	if (before == NULL || a == NULL ||
	    store_audit_append(store, actor, "message.assign", "message", id, before, a) < 0) {
		json_decref(a);
		goto out;
	}
	json_decref(a);
	in_tx = false; /* a failed commit rolls back itself */
	if (store_review_commit(store) < 0)
		goto out;
	*result_r = after;
	after = NULL;
	ret = 1;
out:
	if (in_tx)
		store_rollback(store);
	json_decref(cur);
	json_decref(before);
	json_decref(after);
	return ret;
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

int store_assign_round_robin(struct store *store, const char *id, const char *category,
			     const char *const *people, unsigned int count)
{
	char list[4096];
	const char *params[3] = {id, category, list};
	json_t *got = NULL;
	size_t used = 0;
	unsigned int i;
	bool in_tx = false;
	int r, ret = -1;

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
	if (store_command(store, "BEGIN") < 0)
		goto out;
	in_tx = true;
	/* the rotation row is the category's lock: two workers finishing two
	 * messages of one category at once hand them to two people */
	r = store_review_one(
		store, "round robin",
		"WITH p AS (SELECT x, n FROM unnest(string_to_array($3, ',')) WITH ORDINALITY AS"
		" u(x, n)), rot AS (INSERT INTO assign_rotation (category, last_person) VALUES ($2,"
		" '') ON CONFLICT (category) DO UPDATE SET updated_at = now() RETURNING"
		" last_person), nxt AS (SELECT coalesce((SELECT p2.x FROM p p1, p p2, rot WHERE"
		" p1.x = rot.last_person AND p2.n = p1.n % (SELECT count(*) FROM p) + 1), (SELECT x"
		" FROM p WHERE n = 1)) AS person), upd AS (UPDATE messages m SET assigned_to ="
		" nxt.person, assigned_at = now(), assigned_by = 'round-robin', round_robin_at ="
		" now() FROM nxt WHERE m.id = $1::bigint AND m.assigned_to IS NULL AND"
		" m.round_robin_at IS NULL AND m.status = 'open' RETURNING m.id,"
		" m.assigned_to) SELECT json_build_object('person', assigned_to)::text FROM upd",
		3, params, &got);
	if (r <= 0) {
		ret = r;
		goto out;
	}
	{
		const char *person = json_string_value(json_object_get(got, "person"));
		const char *p2[2] = {category, person};
		json_t *after =
			json_pack("{s:s?,s:s}", "assigned_to", person, "category", category);
		PGresult *res =
			store_exec(store, "rotation",
				   "UPDATE assign_rotation SET last_person = $2, updated_at ="
				   " now() WHERE category = $1",
				   2, p2);
		int a = after == NULL || res == NULL
				? -1
				: store_audit_append(store, "round-robin", "message.assign",
						     "message", id, NULL, after);

		PQclear(res);
		json_decref(after);
		if (a < 0)
			goto out;
	}
	in_tx = false; /* a failed commit rolls back itself */
	if (store_review_commit(store) < 0)
		goto out;
	ret = 1;
out:
	if (in_tx)
		store_rollback(store);
	json_decref(got);
	return ret;
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
