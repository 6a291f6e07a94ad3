/* SPDX-License-Identifier: MIT */
/* Snippets (issue 16 item 3): saved replies in the reply templates'
 * language (agent/template/template.h), one per name and language. Admins
 * manage them (GET /snippets for everyone, POST, PUT /snippets/{id},
 * DELETE /snippets/{id}); GET /drafts/{id}/snippets/{sid} fills one from
 * the draft's facts, as the builtin backend fills its templates: a line
 * whose fact is unknown is left out, never filled with a guess. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/template/greeting.h"
#include "agent/template/template.h"
#include "daemon/lib/error.h"
#include "daemon/mail/mail_compose.h"
#include "daemon/store/store_workspace.h"
#include "ui-api/api.h"

#define API_SNIPPET_BODY_MAX  20000
#define API_SNIPPET_TITLE_MAX 200
/* A filled snippet's longest text. */
#define API_SNIPPET_OUTPUT_MAX (64 * 1024)

/* name: a-z0-9 then a-z0-9_-, 1-64; language: two letters a-z. */
static bool api_snippet_name_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		bool alnum = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9');

		if (!alnum && (i == 0 || (s[i] != '_' && s[i] != '-')))
			return false;
	}
	return i >= 1 && i <= 64;
}

static bool api_language_ok(const char *s)
{
	return s != NULL && s[0] >= 'a' && s[0] <= 'z' && s[1] >= 'a' && s[1] <= 'z' &&
	       s[2] == '\0';
}

void api_snippets_list(struct api_request *req, struct api_response *resp)
{
	static const char *const allowed[] = {"language", NULL};
	const char *language = api_query(req, "language");
	struct store *store;
	json_t *snippets = NULL;

	if (api_query_check(req, resp, allowed) < 0)
		return;
	if (language != NULL && !api_language_ok(language)) {
		api_error(resp, 400, "bad_parameter",
			  "language must be a two-letter code in lower case (en, de, ...)");
		return;
	}
	if ((store = api_store(req, resp)) == NULL)
		return;
	if (store_snippets_list(store, language, &snippets) < 0)
		api_error_store(resp, store);
	else
		api_reply(resp, 200, json_pack("{s:o}", "snippets", snippets));
}

/* POST /snippets (params[0] NULL) and PUT /snippets/{id}. */
static void api_snippet_put(struct api_request *req, struct api_response *resp, const char *id)
{
	static const struct api_field fields[] = {
		{"name", API_STRING, true, 64},
		{"language", API_STRING, true, 2},
		{"title", API_STRING, false, API_SNIPPET_TITLE_MAX},
		{"body", API_STRING, true, API_SNIPPET_BODY_MAX},
		{NULL, API_STRING, false, 0},
	};
	struct template *tpl = NULL;
	struct store *store;
	json_t *body = NULL, *snippet = NULL;
	const char *name, *language, *title, *text;
	struct error terr = {0};
	int r;

	if (api_query_check(req, resp, NULL) < 0 ||
	    (id != NULL && api_id_check(resp, id, "snippet") < 0) ||
	    (body = api_body_object(req, resp, fields, false)) == NULL)
		return;
	name = api_field_str(body, "name");
	language = api_field_str(body, "language");
	title = api_field_str(body, "title");
	text = api_field_str(body, "body");
	if (!api_snippet_name_ok(name)) {
		api_error(
			resp, 400, "bad_value",
			"field 'name' must be 1-64 of a-z, 0-9, '_' and '-', starting with a letter"
			" or digit");
		goto out;
	}
	if (!api_language_ok(language)) {
		api_error(resp, 400, "bad_value",
			  "field 'language' must be a two-letter code in lower case (en, de, ...)");
		goto out;
	}
	if (text[0] == '\0') {
		api_error(resp, 400, "bad_value", "field 'body' is empty");
		goto out;
	}
	/* the same language as deploy/templates: a mistake is found now, with
	 * its line, not when a reviewer inserts the snippet */
	if (template_parse(text, strlen(text), &tpl, &terr) < 0) {
		api_error(resp, 400, "bad_template", "field 'body': %s", error_msg(&terr));
		goto out;
	}
	if ((store = api_store(req, resp)) == NULL)
		goto out;
	r = store_snippet_put(store, id, name, language, title != NULL ? title : "", text,
			      api_principal(req)->name, &snippet);
	if (api_found(resp, store, r, "snippet") <= 0)
		goto out;
	if (r == 2)
		api_error(resp, 409, "conflict", "a snippet named %s in %s exists already", name,
			  language);
	else
		api_reply(resp, id == NULL ? 201 : 200, snippet);
out:
	template_free(&tpl);
	json_decref(body);
}

void api_snippets_create(struct api_request *req, struct api_response *resp)
{
	api_snippet_put(req, resp, NULL);
}

void api_snippets_update(struct api_request *req, struct api_response *resp)
{
	api_snippet_put(req, resp, req->params[0]);
}

void api_snippets_delete(struct api_request *req, struct api_response *resp)
{
	struct store *store;
	int r;

	if (api_query_check(req, resp, NULL) < 0 ||
	    api_id_check(resp, req->params[0], "snippet") < 0 ||
	    (store = api_store(req, resp)) == NULL)
		return;
	r = store_snippet_delete(store, req->params[0], api_principal(req)->name);
	if (api_found(resp, store, r, "snippet") > 0)
		api_reply(resp, 200, json_pack("{s:s,s:b}", "id", req->params[0], "deleted", 1));
}

/* The root a snippet is filled from: the draft's facts, and the customer's
 * name and greeting name from the From header, as the builtin backend has
 * them. New reference or NULL. */
static json_t *api_snippet_root(const json_t *facts, const char *from)
{
	json_t *root = json_is_object(facts) ? json_deep_copy(facts) : json_object();
	struct mail_address addr;
	char greet[GREETING_NAME_MAX];

	/* a From header that is no single address gives no name: not an error */
	if (root == NULL || from == NULL || mail_address_parse(from, &addr, NULL) < 0)
		return root;
	if (addr.addr[0] != '\0' &&
	    json_object_set_new(root, "customer_email", json_string(addr.addr)) < 0)
		goto bad;
	if (addr.name[0] != '\0' &&
	    json_object_set_new(root, "customer_name", json_string(addr.name)) < 0)
		goto bad;
	if (greeting_name(addr.name, greet, sizeof(greet)) == 1 &&
	    json_object_set_new(root, "greeting_name", json_string(greet)) < 0)
		goto bad;
	return root;
bad:
	json_decref(root);
	return NULL;
}

void api_snippets_render(struct api_request *req, struct api_response *resp)
{
	struct template *tpl = NULL;
	struct store *store;
	json_t *snippet = NULL, *facts = NULL, *root = NULL;
	char *language = NULL, *from = NULL, *out = NULL;
	struct error terr = {0};
	const char *text, *lang;
	int r;

	if (api_query_check(req, resp, NULL) < 0 ||
	    api_id_check(resp, req->params[0], "draft") < 0 ||
	    api_id_check(resp, req->params[1], "snippet") < 0 ||
	    (store = api_store(req, resp)) == NULL)
		return;
	r = store_snippet_get(store, req->params[1], &snippet);
	if (api_found(resp, store, r, "snippet") <= 0)
		goto out;
	r = store_snippet_context(store, req->params[0], &facts, &language, &from);
	if (api_found(resp, store, r, "draft") <= 0)
		goto out;
	text = json_string_value(json_object_get(snippet, "body"));
	lang = json_string_value(json_object_get(snippet, "language"));
	if (text == NULL || template_parse(text, strlen(text), &tpl, &terr) < 0) {
		api_error(resp, 422, "bad_template", "snippet %s: %s", req->params[1],
			  text == NULL ? "no text" : error_msg(&terr));
		goto out;
	}
	if ((root = api_snippet_root(facts, from)) == NULL) {
		api_error(resp, 500, "internal", "out of memory");
		goto out;
	}
	if (template_render(tpl, root, lang, API_SNIPPET_OUTPUT_MAX, &out, NULL, &terr) < 0) {
		api_error(resp, 422, "bad_template", "snippet %s: %s", req->params[1],
			  error_msg(&terr));
		goto out;
	}
	api_reply(resp, 200,
		  json_pack("{s:O,s:O,s:O,s:s,s:s?}", "snippet_id", json_object_get(snippet, "id"),
			    "name", json_object_get(snippet, "name"), "language",
			    json_object_get(snippet, "language"), "text", out, "draft_language",
			    language));
out:
	template_free(&tpl);
	free(out);
	free(language);
	free(from);
	json_decref(root);
	json_decref(facts);
	json_decref(snippet);
}
