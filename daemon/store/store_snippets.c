/* Snippets: saved replies admins write once per name and language; a
 * reviewer inserts one into a draft, filled from the draft's facts. */
#include "daemon/store/store_workspace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/store_audit.h"
#include "daemon/store/store_review_int.h"

#define SNIPPET_JSON                                                                        \
	"json_build_object('id', s.id, 'name', s.name, 'language', s.language, 'title',"    \
	" s.title, 'body', s.body, 'updated_by', s.updated_by, 'created_at', s.created_at," \
	" 'updated_at', s.updated_at)"

int store_snippets_list(struct store *store, const char *language, json_t **snippets_r)
{
	const char *params[1] = {language};
	int r = store_review_one(
		store, "snippets list",
		"SELECT coalesce(json_agg(" SNIPPET_JSON " ORDER BY s.name, s.language),"
		" '[]')::text FROM snippets s WHERE $1::text IS NULL OR s.language = $1",
		1, params, snippets_r);

	return r == 1 ? 0 : -1;
}

int store_snippet_get(struct store *store, const char *id, json_t **snippet_r)
{
	const char *params[1] = {id};

	return store_review_one(store, "snippet get",
				"SELECT " SNIPPET_JSON
				"::text FROM snippets s WHERE s.id = $1::bigint",
				1, params, snippet_r);
}

/* One statement that changes a snippet and hands back its JSON, then the
 * audit row, in one transaction. 1, 0 (no row), 2 (name and language
 * taken), -1. */
static int snippet_change(struct store *store, const char *what, const char *sql, int nparams,
			  const char *const *params, const char *actor, const char *action,
			  const char *id, json_t **result_r)
{
	json_t *before = NULL, *after = NULL;
	const char *before_params[1] = {id};
	bool in_tx = false;
	char oid[32];
	int r, ret = -1;

	if (store_command(store, "BEGIN") < 0)
		goto out;
	in_tx = true;
	if (id != NULL) {
		r = store_review_one(store, "snippet before",
				     "SELECT " SNIPPET_JSON "::text FROM snippets s WHERE s.id ="
				     " $1::bigint FOR UPDATE",
				     1, before_params, &before);
		if (r <= 0) {
			ret = r;
			goto out;
		}
	}
	r = store_review_one(store, what, sql, nparams, params, &after);
	if (r <= 0) {
		ret = r < 0 && STORE_UNIQUE_VIOLATION(store) ? 2 : r;
		goto out;
	}
	snprintf(oid, sizeof(oid), "%" JSON_INTEGER_FORMAT,
		 json_integer_value(json_object_get(json_is_object(after) ? after : before, "id")));
	/* a deletion's statement returns the id alone: there is no after */
	if (store_audit_append(store, actor, action, "snippet", oid, before,
			       json_is_object(after) ? after : NULL) < 0)
		goto out;
	in_tx = false; /* a failed commit rolls back itself */
	if (store_review_commit(store) < 0)
		goto out;
	if (result_r != NULL) {
		*result_r = after;
		after = NULL;
	}
	ret = 1;
out:
	if (in_tx)
		store_rollback(store);
	json_decref(before);
	json_decref(after);
	return ret;
}

int store_snippet_put(struct store *store, const char *id, const char *name, const char *language,
		      const char *title, const char *body, const char *actor, json_t **snippet_r)
{
	const char *params[6] = {name, language, title, body, actor, id};

	if (id == NULL)
		return snippet_change(
			store, "snippet create",
			"INSERT INTO snippets AS s (name, language, title, body, updated_by)"
			" VALUES ($1, $2, $3, $4, $5) RETURNING " SNIPPET_JSON "::text",
			5, params, actor, "snippet.create", NULL, snippet_r);
	return snippet_change(
		store, "snippet update",
		"UPDATE snippets AS s SET name = $1, language = $2, title = $3, body = $4,"
		" updated_by = $5, updated_at = now() WHERE s.id = $6::bigint "
		"RETURNING " SNIPPET_JSON "::text",
		6, params, actor, "snippet.update", id, snippet_r);
}

int store_snippet_delete(struct store *store, const char *id, const char *actor)
{
	const char *params[1] = {id};

	return snippet_change(store, "snippet delete",
			      "DELETE FROM snippets WHERE id = $1::bigint RETURNING id::text", 1,
			      params, actor, "snippet.delete", id, NULL);
}

int store_snippet_context(struct store *store, const char *draft_id, json_t **facts_r,
			  char **language_r, char **from_r)
{
	const char *params[1] = {draft_id};
	json_t *ctx = NULL;
	const char *lang, *from;
	int r;

	r = store_review_one(
		store, "snippet context",
		"SELECT json_build_object('facts', d.facts, 'language',"
		" coalesce(d.language, m.language), 'from', coalesce(m.headers->>'from',"
		" m.headers->>'From'))::text FROM drafts d JOIN messages m ON m.id ="
		" d.message_id WHERE d.id = $1::bigint",
		1, params, &ctx);
	if (r <= 0)
		return r;
	lang = json_string_value(json_object_get(ctx, "language"));
	from = json_string_value(json_object_get(ctx, "from"));
	*facts_r = json_incref(json_object_get(ctx, "facts"));
	*language_r = lang != NULL ? strdup(lang) : NULL;
	*from_r = from != NULL ? strdup(from) : NULL;
	json_decref(ctx);
	if (*facts_r == NULL || (lang != NULL && *language_r == NULL) ||
	    (from != NULL && *from_r == NULL)) {
		json_decref(*facts_r);
		free(*language_r);
		free(*from_r);
		return -1;
	}
	return 1;
}
