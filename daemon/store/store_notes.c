/* SPDX-License-Identifier: MIT */
/* Internal notes on a message: written by colleagues for colleagues. Only
 * this file and the reviewer's REST routes read message_notes; nothing the
 * pipeline, the prompt or the outbox reads it, which is what keeps a note
 * out of every reply and every model request. */
#include "daemon/store/store_workspace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/store_txn.h"
#include "daemon/store/store_review_int.h"

#define NOTE_JSON                                                                       \
	"json_build_object('id', n.id, 'message_id', n.message_id, 'author', n.author," \
	" 'body', n.body, 'created_at', n.created_at)"

int store_notes_list(struct store *store, const char *id, json_t **notes_r)
{
	const char *params[1] = {id};

	return store_review_one(store, "notes list",
				"SELECT coalesce((SELECT json_agg(" NOTE_JSON " ORDER BY n.id) FROM"
				" message_notes n WHERE n.message_id = m.id), '[]')::text FROM"
				" messages m WHERE m.id = $1::bigint",
				1, params, notes_r);
}

struct note_add {
	const char *params[3]; /* message id, author, body */
	json_t *note;
};

/* 0: no such message */
static int note_add_body(struct store *store, struct store_txn *txn, void *ctx)
{
	struct note_add *c = ctx;
	int r = store_review_one(
		store, "note add",
		"INSERT INTO message_notes AS n (message_id, author, body) SELECT m.id,"
		" $2, $3 FROM messages m WHERE m.id = $1::bigint RETURNING " NOTE_JSON "::text",
		3, c->params, &c->note);

	if (r <= 0)
		return r < 0 ? -1 : store_txn_refuse(txn, "no_message");
	/* the audit row says that a note was written and how long, never what */
	txn->action = "message.note";
	txn->after = json_pack("{s:O?,s:I}", "note_id", json_object_get(c->note, "id"), "length",
			       (json_int_t)strlen(c->params[2]));
	if (txn->after == NULL || store_txn_object(store, txn, "message", c->params[0]) < 0)
		return -1;
	return 1;
}

int store_notes_add(struct store *store, const char *id, const char *author, const char *body,
		    json_t **note_r)
{
	struct store_txn txn = {.actor = author};
	struct note_add c = {.params = {id, author, body}};
	int r = store_txn_run(store, &txn, note_add_body, &c);

	if (r == 1) {
		*note_r = c.note;
		c.note = NULL;
	}
	json_decref(c.note);
	return r;
}
