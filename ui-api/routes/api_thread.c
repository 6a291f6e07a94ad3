/* SPDX-License-Identifier: MIT */
/* The whole conversation (issue 16 item 2) and internal notes (item 3):
 * GET /messages/{id}/thread, GET and POST /messages/{id}/notes. */
#include <stdio.h>
#include <string.h>

#include "daemon/store/store_workspace.h"
#include "ui-api/api.h"

/* Most messages of each history list (same address, same domain). */
#define API_HISTORY_MAX 20
/* A note's longest text (the table's check says the same). */
#define API_NOTE_MAX 10000

/* Domains many unrelated people share: "the customer's other conversations
 * from the same domain" would list strangers' mail there. */
static const char *const api_shared_domains[] = {
	"gmail.com",  "googlemail.com", "outlook.com",  "hotmail.com",    "live.com",
	"msn.com",    "yahoo.com",      "yahoo.de",     "yahoo.fr",       "yahoo.es",
	"icloud.com", "me.com",         "mac.com",      "aol.com",        "gmx.de",
	"gmx.net",    "gmx.at",         "web.de",       "t-online.de",    "freenet.de",
	"posteo.de",  "mailbox.org",    "proton.me",    "protonmail.com", "orange.fr",
	"free.fr",    "laposte.net",    "sfr.fr",       "wanadoo.fr",     "telefonica.net",
	"hotmail.es", "hotmail.fr",     "hotmail.de",   "outlook.de",     "yandex.ru",
	"mail.ru",    "zoho.com",       "fastmail.com", "hey.com",        "mail.com",
	NULL,
};

void api_messages_thread(struct api_request *req, struct api_response *resp)
{
	struct store *store;
	json_t *thread = NULL;
	int r;

	if (api_query_check(req, resp, NULL) < 0 ||
	    api_id_check(resp, req->params[0], "message") < 0 ||
	    (store = api_store(req, resp)) == NULL)
		return;
	r = store_thread_get(store, req->params[0], api_shared_domains, API_HISTORY_MAX, &thread);
	if (api_found(resp, store, r, "message") > 0)
		api_reply(resp, 200, thread);
}

void api_notes_list(struct api_request *req, struct api_response *resp)
{
	struct store *store;
	json_t *notes = NULL;
	int r;

	if (api_query_check(req, resp, NULL) < 0 ||
	    api_id_check(resp, req->params[0], "message") < 0 ||
	    (store = api_store(req, resp)) == NULL)
		return;
	r = store_notes_list(store, req->params[0], &notes);
	if (api_found(resp, store, r, "message") > 0)
		api_reply(resp, 200, json_pack("{s:o}", "notes", notes));
}

/* A note is for colleagues: it is never part of a reply nor of a prompt,
 * because nothing that writes either reads the notes table. */
void api_notes_add(struct api_request *req, struct api_response *resp)
{
	static const struct api_field fields[] = {
		{"body", API_STRING, true, API_NOTE_MAX},
		{NULL, API_STRING, false, 0},
	};
	struct store *store;
	json_t *body = NULL, *note = NULL;
	const char *text, *p;
	int r;

	if (api_query_check(req, resp, NULL) < 0 ||
	    api_id_check(resp, req->params[0], "message") < 0 ||
	    (body = api_body_object(req, resp, fields, false)) == NULL)
		return;
	text = api_field_str(body, "body");
	for (p = text; *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'; p++)
		;
	if (*p == '\0') {
		api_error(resp, 400, "bad_value", "field 'body' is empty: a note needs some text");
		goto out;
	}
	if ((store = api_store(req, resp)) == NULL)
		goto out;
	r = store_notes_add(store, req->params[0], api_principal(req)->name, text, &note);
	if (api_found(resp, store, r, "message") > 0)
		api_reply(resp, 201, note);
out:
	json_decref(body);
}
