/* SPDX-License-Identifier: MIT */
/* Messages for the reviewer: the "needs a human" list and one message. */
#include "daemon/store/store_review_messages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/store_review_int.h"

/* state: the pipeline's states, but "human" is the queue (open, no draft,
 * nothing drafting), whatever stage the pipeline left the message in. */
#define REVIEW_MESSAGES_SELECT                                                        \
	"SELECT m.id, " MESSAGE_SUMMARY_JSON "::text"                                 \
	" FROM messages m JOIN mailboxes mb ON mb.id = m.mailbox_id"                  \
	" WHERE ($1::text IS NULL OR (m.state <> 'human' AND m.state ="               \
	" ANY(string_to_array($1, ','))) OR ('human' = ANY(string_to_array($1, ','))" \
	" AND m.status = 'open' AND " MESSAGE_QUEUE_SQL " = 'human'))"                \
	" AND ($2::text IS NULL OR mb.name = $2)"                                     \
	" AND ($5::text IS NULL OR m.status = ANY(string_to_array($5, ',')))"         \
	" AND " MESSAGE_ASSIGNED_SQL("$6")

int store_review_messages_list(struct store *store, const struct review_messages_filter *filter,
			       json_t **messages_r, char **next_r)
{
	PGresult *res;
	char lim[16];
	const char *params[6];

	/* one more than asked: its presence says there is a next page */
	snprintf(lim, sizeof(lim), "%u", filter->limit + 1);
	params[0] = filter->state;
	params[1] = filter->mailbox;
	params[2] = filter->after_id;
	params[3] = lim;
	params[4] = filter->status;
	params[5] = filter->assigned;
	if (filter->oldest)
		res = store_exec(store, "messages list",
				 REVIEW_MESSAGES_SELECT
				 " AND ($3::bigint IS NULL OR m.id > $3::bigint)"
				 " ORDER BY m.id ASC LIMIT $4::int",
				 6, params);
	else
		res = store_exec(store, "messages list",
				 REVIEW_MESSAGES_SELECT
				 " AND ($3::bigint IS NULL OR m.id < $3::bigint)"
				 " ORDER BY m.id DESC LIMIT $4::int",
				 6, params);
	return store_review_page(store, res, filter->limit, messages_r, next_r);
}

#define REVIEW_MESSAGE_GET_SQL                                                                 \
	"SELECT (" MESSAGE_SUMMARY_JSON "::jsonb || jsonb_build_object("                       \
	" 'headers', json_build_object('from', m.sender, 'to', coalesce(m.headers->>'to',"     \
	" m.headers->>'To'), 'cc', coalesce(m.headers->>'cc', m.headers->>'Cc'), 'reply_to',"  \
	" m.reply_to, 'subject', m.subject, 'date', coalesce(m.date_raw, m.sent_date::text),"  \
	" 'message_id', m.message_id), 'text', m.text_body, 'quoted_text', m.quoted_text,"     \
	" 'attachments', m.attachments, 'raw_size', m.raw_size, 'pipeline', m.pipeline,"       \
	" 'job', (SELECT json_build_object('state', j.state, 'attempts', j.attempts,"          \
	" 'last_error', j.last_error, 'next_attempt_at', j.next_attempt_at) FROM jobs j WHERE" \
	" j.message_id = m.id AND j.stage = 'pipeline'), 'drafts', coalesce((SELECT"           \
	" json_agg(json_build_object('id', d.id, 'status', d.status, 'kind', d.kind,"          \
	" 'origin', d.origin, 'reviewer', d.reviewer, 'created_at', d.created_at) ORDER BY"    \
	" d.id) FROM drafts d WHERE d.message_id = m.id), '[]'::json)))::text"                 \
	" FROM messages m JOIN mailboxes mb ON mb.id = m.mailbox_id WHERE m.id = $1::bigint"

int store_review_message_get(struct store *store, const char *id, json_t **message_r)
{
	const char *params[1] = {id};

	return store_review_one(store, "message get", REVIEW_MESSAGE_GET_SQL, 1, params, message_r);
}
