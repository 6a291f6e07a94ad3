/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_STORE_REVIEW_MESSAGES_H
#define DRAFTD_STORE_REVIEW_MESSAGES_H

#include <jansson.h>
#include <stdbool.h>

#include "daemon/store/store.h"

/* The reviewer's read-only view of the messages table: mail that got no
 * draft (state human: the category is off, the mail was oversized, the
 * model could not draft) must be findable and readable. Ids are decimal
 * strings the caller has validated; results are JSON the caller
 * json_decref()s. */

struct review_messages_filter {
	/* NULL: any; else a comma-separated list of pipeline states, where
	 * "human" means the "Needs a human" queue (open, no draft) */
	const char *state;
	const char *status;   /* NULL: any; else a list of open, replied, closed, skipped */
	const char *mailbox;  /* NULL: any */
	const char *assigned; /* NULL: any; "": nobody; else that person */
	const char *after_id; /* keyset cursor: the last id of the previous page */
	bool oldest;          /* oldest first; newest first otherwise */
	unsigned int limit;
};

/* One page of messages (MessageSummary: id, status, queue, state, sender,
 * subject, mailbox, received_at, age_seconds, reason, category, flags,
 * draft_ids, live and reply draft, close fields). *next_r is the id to continue after (a new
 * string, free() it) or NULL on the last page. Returns 0 or -1. */
int store_review_messages_list(struct store *store, const struct review_messages_filter *filter,
			       json_t **messages_r, char **next_r)
	__attribute__((warn_unused_result));
/* One message as text with its headers, attachments, flags, the pipeline's
 * record, its pipeline job and its drafts (id, status). Returns 1, 0 when
 * absent, -1. */
int store_review_message_get(struct store *store, const char *id, json_t **message_r)
	__attribute__((warn_unused_result));

#endif
