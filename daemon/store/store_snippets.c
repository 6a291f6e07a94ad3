/* SPDX-License-Identifier: MIT */
/* Snippets: saved replies admins write once per name and language; a
 * reviewer inserts one into a draft, filled from the draft's facts. */
#include "daemon/store/store_workspace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/store_txn.h"
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

struct snippet_change {
	const char *what, *sql, *action, *id;
	const char *const *params;
	int nparams;
	json_t *after; /* the snippet as it is now */
};

/* The snippet's row before (locked), the statement, and the audit row. 0:
 * no such snippet. */
static int snippet_change_body(struct store *store, struct store_txn *txn, void *ctx)
{
	struct snippet_change *c = ctx;
	const char *before_params[1] = {c->id};
	char oid[32];
	int r;

	if (c->id != NULL) {
		r = store_review_one(store, "snippet before",
				     "SELECT " SNIPPET_JSON "::text FROM snippets s WHERE s.id ="
				     " $1::bigint FOR UPDATE",
				     1, before_params, &txn->before);
		if (r <= 0)
			return r < 0 ? -1 : store_txn_refuse(txn, "no_snippet");
	}
	r = store_review_one(store, c->what, c->sql, c->nparams, c->params, &c->after);
	if (r <= 0)
		return r < 0 ? -1 : store_txn_refuse(txn, "no_snippet");
	snprintf(oid, sizeof(oid), "%" JSON_INTEGER_FORMAT,
		 json_integer_value(
			 json_object_get(json_is_object(c->after) ? c->after : txn->before, "id")));
	txn->action = c->action;
	/* a deletion's statement returns the id alone: there is no after */
	txn->after = json_is_object(c->after) ? json_incref(c->after) : NULL;
	return store_txn_object(store, txn, "snippet", oid) < 0 ? -1 : 1;
}

/* 1 with *result_r (may be NULL), 0 (no such snippet), 2 (name and
 * language taken), -1. */
static int snippet_change(struct store *store, struct snippet_change *c, const char *actor,
			  json_t **result_r)
{
	struct store_txn txn = {.actor = actor};
	int r = store_txn_run(store, &txn, snippet_change_body, c);

	if (r < 0 && STORE_UNIQUE_VIOLATION(store))
		r = 2;
	if (r == 1 && result_r != NULL) {
		*result_r = c->after;
		c->after = NULL;
	}
	json_decref(c->after);
	return r;
}

int store_snippet_put(struct store *store, const char *id, const char *name, const char *language,
		      const char *title, const char *body, const char *actor, json_t **snippet_r)
{
	const char *params[6] = {name, language, title, body, actor, id};
	struct snippet_change c = {.id = id, .params = params};

	if (id == NULL) {
		c.what = "snippet create";
		c.sql = "INSERT INTO snippets AS s (name, language, title, body, updated_by)"
			" VALUES ($1, $2, $3, $4, $5) RETURNING " SNIPPET_JSON "::text";
		c.nparams = 5;
		c.action = "snippet.create";
	} else {
		c.what = "snippet update";
		c.sql = "UPDATE snippets AS s SET name = $1, language = $2, title = $3, body = $4,"
			" updated_by = $5, updated_at = now() WHERE s.id = $6::bigint "
			"RETURNING " SNIPPET_JSON "::text";
		c.nparams = 6;
		c.action = "snippet.update";
	}
	return snippet_change(store, &c, actor, snippet_r);
}

int store_snippet_delete(struct store *store, const char *id, const char *actor)
{
	const char *params[1] = {id};
	struct snippet_change c = {
		.what = "snippet delete",
		.sql = "DELETE FROM snippets WHERE id = $1::bigint RETURNING id::text",
		.action = "snippet.delete",
		.id = id,
		.params = params,
		.nparams = 1};

	return snippet_change(store, &c, actor, NULL);
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
