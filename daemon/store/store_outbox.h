/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_STORE_OUTBOX_H
#define DRAFTD_STORE_OUTBOX_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/store/store.h"

/* The outbox rows the sender works through. A row is 'pending' until a
 * sender claims it; the claim commits 'sending' (attempts + 1) before any
 * network I/O and takes a session advisory lock on the row, so a row left
 * 'sending' by a crashed process (its connection, and with it the lock, is
 * gone) is claimable again at once, while a live sender's row never is. */

/* A claimed row with what composing the reply needs. Strings are owned
 * (store_outbox_item_free()); optional ones may be NULL. */
struct outbox_item {
	int64_t id;
	int64_t draft_id;
	char *message_id; /* ours, fixed at approval */
	bool is_auto;
	unsigned int attempts;    /* including this one */
	bool recovering;          /* was 'sending': a previous try crashed */
	bool smtp_started;        /* ... and had begun its SMTP transaction */
	unsigned int sent_checks; /* an uncertain reply's checks of Sent, this one included */
	char *mailbox;            /* mailboxes.name: the config section */
	char *orig_message_id;
	char *orig_references;
	char *orig_sender;
	char *orig_sender_name; /* its display name (UTF-8), NULL when none */
	char *orig_date;        /* the original's Date header, for the quote */
	char *orig_text;        /* what the customer wrote (text_body) */
	char *orig_quoted;      /* the history they quoted, and their signature */
	char *reviewer;         /* who approved it, NULL for an automatic reply */
	char *orig_reply_to;
	char *orig_subject;
	uint32_t orig_uid;
	uint32_t orig_uidvalidity;
	char *subject;   /* the draft's; may be empty */
	char *body;      /* final_body, else body */
	char *recipient; /* the draft's override, NULL: reply to the original */
	char *cc;
};

/* Claims the next due row for owner ("host:pid") and commits it as
 * 'sending'; lease_s is recorded as locked_until for operators. Returns 1
 * with *item_r filled, 0 when nothing is due, -1 with store_error(). The
 * caller must end the claim with one of the calls below, which also drop the
 * advisory lock. */
int store_outbox_claim(struct store *store, const char *owner, unsigned int lease_s,
		       struct outbox_item *item_r) __attribute__((warn_unused_result));

/* Marks the row sent and the draft sent (auto_sent for automatic replies),
 * audited, in one transaction; note goes into the audit row (NULL: none).
 * Returns 0 or -1. */
int store_outbox_sent(struct store *store, const struct outbox_item *item, const char *note)
	__attribute__((warn_unused_result));

/* Records a failed try: back to 'pending' due in retry_s seconds, or, when
 * final, 'failed' with the draft 'failed' (audited). error is one line
 * without message content. Returns 0 or -1. */
int store_outbox_failed(struct store *store, const struct outbox_item *item, const char *error,
			bool final, unsigned int retry_s) __attribute__((warn_unused_result));

/* Commits "this try's SMTP transaction starts now" (autocommit), so a
 * crash before it is known not to have sent anything. Returns 0 or -1. */
int store_outbox_smtp_started(struct store *store, const struct outbox_item *item)
	__attribute__((warn_unused_result));

/* The reply may have been delivered (the whole message reached the server
 * without a final reply, or a crashed try had started SMTP): the claimed row
 * becomes 'uncertain' (audited send_uncertain, error kept) and is never sent
 * again on its own; its first check of the Sent folder is due in check_in_s.
 * Drops the claim's lock. Returns 0 (also when the row was no longer
 * 'sending') or -1. */
int store_outbox_uncertain(struct store *store, const struct outbox_item *item, const char *error,
			   unsigned int check_in_s) __attribute__((warn_unused_result));

/* Claims the next uncertain row whose check is due and moves its next check
 * out in the same commit (base_s, doubling, none after max_checks). The item
 * holds no lock. Returns 1 with *item_r, 0 when none is due, -1. */
int store_outbox_claim_check(struct store *store, unsigned int max_checks, unsigned int base_s,
			     struct outbox_item *item_r) __attribute__((warn_unused_result));

/* The Sent folder shows the server took an uncertain reply: row and draft
 * sent, audited (send.confirmed by "outbox") with note. Returns 1, 0 when
 * the row is no longer uncertain (a person decided first), -1. */
int store_outbox_uncertain_sent(struct store *store, const struct outbox_item *item,
				const char *note) __attribute__((warn_unused_result));

/* A person's answer about draft_id's uncertain reply: delivered (row and
 * draft sent) or send_again (row pending, due now, tries counted afresh),
 * audited as send.confirmed / send.again with actor. Returns 1 done, 0 when
 * the draft has no uncertain reply (*state_r: its outbox state, or "none"),
 * -1. */
int store_outbox_decide_uncertain(struct store *store, const char *draft_id, const char *actor,
				  bool send_again, char *state_r, size_t state_size)
	__attribute__((warn_unused_result));

/* A person's answer to a stuck reply of draft_id, audited with actor: one
 * the outbox is still retrying (pending after failed tries) is tried now
 * (send.retry_now); one it gave up on (failed) is sent again with the
 * approved text kept: the draft approved again, a fresh count of tries, the
 * message out of "Needs a human" (send.again). Returns 1 done (*state_r: the
 * state it was in, "pending" or "failed"), 0 when there is nothing to retry
 * (*state_r: the outbox state, "none" without a row, or "superseded by
 * draft N" when another draft of the message took its place), -1. */
int store_outbox_retry(struct store *store, const char *draft_id, const char *actor, char *state_r,
		       size_t state_size) __attribute__((warn_unused_result));

void store_outbox_item_free(struct outbox_item *item);

#endif
