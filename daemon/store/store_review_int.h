/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_STORE_REVIEW_INT_H
#define DRAFTD_STORE_REVIEW_INT_H

/* Shared by daemon/store/store_review*.c, store_promotion*.c and store_metrics.c only. */

#include "daemon/store/store_private.h"
#include "daemon/store/store_review.h"

/* Runs sql and returns its single JSON value (first row, first column).
 * 1 with *json_r, 0 when there is no row, -1. */
int store_review_one(struct store *store, const char *what, const char *sql, int nparams,
		     const char *const *params, json_t **json_r);
/* Commits, or rolls back and returns -1. */
int store_review_commit(struct store *store);

/* A listing's page from res (column 0 the id, column 1 the row's JSON; one
 * row more than limit when a next page exists): the rows as a new array in
 * *items_r and the last id handed out in *next_r (strdup'ed) or NULL. Takes
 * res (PQclear'ed) and returns 0, or -1 (NULL res included). */
int store_review_page(struct store *store, PGresult *res, unsigned int limit, json_t **items_r,
		      char **next_r);

/* The decision JSON of a draft (the Decision schema, with its outbox row and
 * the message's outcome). REVIEW_OK, REVIEW_NOT_FOUND or REVIEW_ERROR. */
enum review_result store_review_decision(struct store *store, const char *draft_id,
					 json_t **result_r);
/* "<32 hex random>.<unix time>@domain" for a reply, fixed at approval so a
 * resend after a crash carries the same Message-ID; domain from address,
 * else fallback. 0 or -1. */
int store_review_message_id(const char *address, const char *fallback, char *out, size_t size);

/* SQL over "messages m" shared by the listings and the decisions (issue
 * 11: the message is the unit of work). A live draft is the one a reviewer
 * works on or the outbox is about to send (at most one: drafts_one_live). */
#define MESSAGE_LIVE_STATUSES_SQL "('pending', 'claimed', 'approved')"
#define MESSAGE_LIVE_SQL                                                       \
	"(SELECT d.id FROM drafts d WHERE d.message_id = m.id AND d.status IN" \
	" " MESSAGE_LIVE_STATUSES_SQL ")"
/* A pipeline job "j" still drafting its message. */
#define MESSAGE_JOB_DRAFTING_SQL "j.stage = 'pipeline' AND j.state IN ('queued', 'running')"
/* The queue rule, written once: where an open message waits (review,
 * sending, drafting or human), NULL for one that is not open. Each caller
 * states the four facts as SQL conditions over its own rows, in this
 * order: its approved live draft's send is uncertain (a person must look:
 * human), it has an approved live draft (sending), a pending or claimed
 * one (review), a pipeline job drafting it (drafting); else human. The
 * per-message read below asks them with probes, the set-based backlog
 * (store_outcome_backlog()) with joins; tests/integration/backlog_sql.sh
 * holds both to the same counts. */
#define MESSAGE_QUEUE_RULE_SQL(uncertain, approved, review, drafting)                           \
	"CASE WHEN m.status <> 'open' THEN NULL WHEN " uncertain " THEN 'human' WHEN " approved \
	" THEN 'sending' WHEN " review " THEN 'review' WHEN " drafting " THEN"                  \
	" 'drafting' ELSE 'human' END"
/* The queue of one message "m", by probes (the listings, the decisions). */
#define MESSAGE_QUEUE_SQL                                                                    \
	MESSAGE_QUEUE_RULE_SQL(                                                              \
		"EXISTS (SELECT 1 FROM drafts d JOIN outbox o ON o.draft_id = d.id WHERE"    \
		" d.message_id = m.id AND d.status = 'approved' AND o.state = 'uncertain')", \
		"EXISTS (SELECT 1 FROM drafts d WHERE d.message_id = m.id AND d.status ="    \
		" 'approved')",                                                              \
		"EXISTS (SELECT 1 FROM drafts d WHERE d.message_id = m.id AND d.status IN"   \
		" ('pending', 'claimed'))",                                                  \
		"EXISTS (SELECT 1 FROM jobs j WHERE j.message_id = m.id "                    \
		"AND " MESSAGE_JOB_DRAFTING_SQL ")")
/* Why it needs a person (the latest event first) or why it was skipped. */
#define MESSAGE_REASON_SQL "coalesce(m.human_reason, m.pipeline->>'reason', m.screen_reason)"
/* The latest category: a reviewer's correction, the last draft's, the
 * classifier's. */
#define MESSAGE_CATEGORY_SQL                                                          \
	"coalesce(m.forced_category, (SELECT coalesce(d.corrected_category,"          \
	" d.category) FROM drafts d WHERE d.message_id = m.id AND d.origin = 'model'" \
	" ORDER BY d.id DESC LIMIT 1), m.pipeline->'classification'->>'category')"
/* ?assigned= of the listings, as parameter p: NULL any, "" nobody, else
 * that person (issue 16). */
#define MESSAGE_ASSIGNED_SQL(p)                                             \
	"(" p "::text IS NULL OR (" p " = '' AND m.assigned_to IS NULL) OR" \
	" m.assigned_to = " p ")"
/* A message as the listings show it (MessageSummary in the OpenAPI
 * document); needs "mailboxes mb" joined. */
#define MESSAGE_SUMMARY_JSON                                                                    \
	"json_build_object('id', m.id, 'status', m.status, 'queue', " MESSAGE_QUEUE_SQL         \
	", 'state', m.state, 'sender', m.sender, 'subject', m.subject, 'mailbox', mb.name,"     \
	" 'received_at', m.received_at, 'age_seconds', floor(extract(epoch FROM now() -"        \
	" m.received_at)), 'reason', " MESSAGE_REASON_SQL ", 'category', " MESSAGE_CATEGORY_SQL \
	", 'language', m.language, 'flags', json_build_object('bulk', m.is_bulk,"               \
	" 'auto_submitted', m.is_auto_submitted, 'oversized', m.is_oversized,"                  \
	" 'injection_suspect', m.injection_suspect, 'duplicate', m.is_duplicate),"              \
	" 'draft_ids', coalesce((SELECT json_agg(d.id ORDER BY d.id) FROM drafts d"             \
	" WHERE d.message_id = m.id), '[]'::json), 'live_draft_id', " MESSAGE_LIVE_SQL          \
	", 'reply_draft_id', m.reply_draft_id, 'replied_at', m.replied_at, 'follow_ups',"       \
	" (SELECT count(*) FROM drafts d WHERE d.message_id = m.id AND d.kind = 'follow_up'"    \
	" AND d.status IN ('sent', 'auto_sent')), 'close_reason', m.close_reason,"              \
	" 'closed_by', m.closed_by, 'closed_at', m.closed_at, 'assigned_to', m.assigned_to)"
/* An outbox row "o" for the page: when it goes and whether Undo works. */
#define OUTBOX_JSON                                                                       \
	"json_build_object('message_id', o.message_id, 'state', o.state, 'attempts',"     \
	" o.attempts, 'last_error', o.last_error, 'created_at', o.created_at, 'sent_at'," \
	" o.sent_at, 'send_at', CASE WHEN o.state = 'pending' AND o.attempts = 0 THEN"    \
	" o.next_attempt_at END, 'seconds_left', CASE WHEN o.state = 'pending' AND"       \
	" o.attempts = 0 THEN greatest(0, ceil(extract(epoch FROM o.next_attempt_at -"    \
	" now())))::int END, 'can_undo', o.state = 'pending' AND o.attempts = 0)"

/* The message a decision is about, as seen once its row is locked. */
struct outcome_msg {
	char id[24];
	char status[16];       /* open, replied, closed, skipped */
	char live_id[24];      /* the live draft, "" when none */
	char live_status[16];  /* pending, claimed or approved */
	char live_holder[128]; /* an unexpired claim's holder, "" when none */
	char live_version[16];
	char live_edited_by[128]; /* who saved an edit of the live draft, "" when none */
	bool live_edited;
	char reply_id[24]; /* the reply that left, "" when none */
	bool job_running;  /* a worker holds the pipeline job now */
};

/* Inside a transaction: locks the message (by message_id, or the message of
 * draft_id when message_id is NULL) until the transaction ends and reads
 * its state after the lock. Message-level decisions take this lock before
 * any draft row, so they serialise per message. 1 with *m_r, 0 when absent,
 * -1. */
int store_outcome_lock(struct store *store, const char *message_id, const char *draft_id,
		       struct outcome_msg *m_r) __attribute__((warn_unused_result));
/* Inside the locked transaction: the live pending/claimed draft becomes
 * superseded by who (audited draft.supersede with why). 0 or -1. */
int store_outcome_supersede(struct store *store, const char *draft_id, const char *who,
			    const char *why) __attribute__((warn_unused_result));
/* Inside the locked transaction: queues the message's pipeline job again
 * (attempts 0); *job_r (may be NULL) gets the job's JSON. 0 or -1. */
int store_outcome_requeue(struct store *store, const char *message_id, json_t **job_r)
	__attribute__((warn_unused_result));
/* After commit: {id, status, queue, reason, live_draft_id} of the message
 * (ReviewOutcome), NULL on error. */
json_t *store_outcome_json(struct store *store, const char *message_id);
/* A 409 detail naming the conflict (api_review_reply() uses "conflict" as
 * the error code) with the message's facts; NULL when out of memory. */
json_t *store_outcome_conflict(const char *code, const struct outcome_msg *m);

/* The outbox sender's side, inside its transaction: first lock the draft's
 * message (the same order as the decisions), then record the outcome of a
 * send: sent/auto_sent makes a reply replied, failed puts the message
 * under "Needs a human" with error. 0 or -1. */
int store_outcome_lock_for_draft(struct store *store, const char *draft_id)
	__attribute__((warn_unused_result));
int store_outcome_after_send(struct store *store, const char *draft_id, const char *draft_status,
			     const char *error) __attribute__((warn_unused_result));

/* How many elements of a rollup's edit-distance histogram (0.01 steps)
 * count as unchanged at threshold t (a multiple of 0.01: the config
 * refuses others; any other t is rounded down to one). */
unsigned int store_rollup_unchanged_elems(double t);

#endif
