/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_STORE_OUTCOME_H
#define DRAFTD_STORE_OUTCOME_H

#include <jansson.h>
#include <stdbool.h>

#include "daemon/store/store.h"
#include "daemon/store/store_review.h"

/* Decisions about a customer's message as a whole (issue 11): regenerate
 * its draft, answer it with a reply a person wrote (or a follow-up), close
 * it with a reason, reopen it; and the backlog they leave. Each runs in one
 * transaction that locks the message first, supersedes its live draft where
 * the decision replaces it, and is audited. Ids are decimal strings the
 * caller validated; results are JSON the caller json_decref()s. A
 * REVIEW_CONFLICT detail carries "conflict": the reason's code (superseded,
 * already_replied, sending, draft_edited, message_closed, not_replied,
 * claimed, busy, wrong_status). */

struct outcome_redraft {
	const char *if_match; /* the live draft's version the caller saw, or NULL */
	bool force;           /* replace a live draft even when it carries edits */
};
/* Regenerate: supersedes the live draft and queues the pipeline again.
 * Returns REVIEW_OK with the job and the message in *result_r,
 * REVIEW_NOT_FOUND, REVIEW_CONFLICT with the detail, REVIEW_STALE when
 * if_match is not the live draft's version, or REVIEW_ERROR. */
enum review_result store_outcome_redraft(struct store *store, const char *message_id,
					 const char *who, const struct outcome_redraft *redraft,
					 json_t **result_r) __attribute__((warn_unused_result));

struct outcome_reply {
	const char *subject, *body, *recipient, *cc; /* subject NULL: the customer's */
	bool follow_up;
	unsigned int send_delay; /* seconds before the outbox sends it */
	const char *idempotency_key;
	const char *fallback_domain; /* for the Message-ID when the mailbox has no address */
};
/* Answers the message with a reply a person wrote: a draft of origin
 * person, approved by who, queued in the outbox. Returns REVIEW_OK with the
 * decision in *result_r, REVIEW_REPLAY with the first result for a repeat
 * with the same idempotency key, REVIEW_NOT_FOUND, REVIEW_CONFLICT with the
 * detail, or REVIEW_ERROR. */
enum review_result store_outcome_reply(struct store *store, const char *message_id, const char *who,
				       const struct outcome_reply *reply, json_t **result_r)
	__attribute__((warn_unused_result));

/* Closes an open message with a reason. Returns REVIEW_OK with the message
 * summary in *result_r, REVIEW_NOT_FOUND, REVIEW_CONFLICT with the detail,
 * or REVIEW_ERROR. */
enum review_result store_outcome_close(struct store *store, const char *message_id, const char *who,
				       const char *reason, json_t **result_r)
	__attribute__((warn_unused_result));
/* Reopens a closed or skipped message: open, under "Needs a human".
 * Returns as store_outcome_close(). */
enum review_result store_outcome_reopen(struct store *store, const char *message_id,
					const char *who, json_t **result_r)
	__attribute__((warn_unused_result));

/* {computed_at (the snapshot's time), open, review, sending, drafting,
 * human, oldest_open_at, oldest_open_age_seconds, by_status: {open,
 * replied, closed, skipped}}, computed now (the API and the metrics read it
 * through ui-api/backlog_cache.h). 0 or -1. */
int store_outcome_backlog(struct store *store, json_t **result_r)
	__attribute__((warn_unused_result));
/* First-response time (message received to its reply sent) of the replies
 * sent in the last window_s seconds: {"overall": {replied, median_seconds,
 * p90_seconds, mean_seconds}, "categories": {name: {...}}}. 0 or -1. */
int store_outcome_first_response(struct store *store, unsigned int window_s, json_t **result_r)
	__attribute__((warn_unused_result));

#endif
