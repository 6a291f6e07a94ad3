/* Internal notes on a message: written by colleagues for colleagues. Only
 * this file and the reviewer's REST routes read message_notes; nothing the
 * pipeline, the prompt or the outbox reads it, which is what keeps a note
 * out of every reply and every model request. */
#include "daemon/store/store_workspace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/store_audit.h"
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

int store_notes_add(struct store *store, const char *id, const char *author, const char *body,
		    json_t **note_r)
{
	const char *params[3] = {id, author, body};
	json_t *note = NULL, *after = NULL;
	bool in_tx = false;
	int r, ret = -1;

	if (store_command(store, "BEGIN") < 0)
		goto out;
	in_tx = true;
	r = store_review_one(
		store, "note add",
		"INSERT INTO message_notes AS n (message_id, author, body) SELECT m.id, $2,"
		" $3 FROM messages m WHERE m.id = $1::bigint RETURNING " NOTE_JSON "::text",
		3, params, &note);
	if (r <= 0) {
		ret = r;
		goto out;
	}
	/* the audit row says that a note was written and how long, never what */
	after = json_pack("{s:O?,s:I}", "note_id", json_object_get(note, "id"), "length",
			  (json_int_t)strlen(body));
	if (after == NULL ||
	    store_audit_append(store, author, "message.note", "message", id, NULL, after) < 0)
		goto out;
	in_tx = false; /* a failed commit rolls back itself */
	if (store_review_commit(store) < 0)
		goto out;
	*note_r = note;
	note = NULL;
	ret = 1;
out:
	if (in_tx)
		store_rollback(store);
	json_decref(note);
	json_decref(after);
	return ret;
}
