/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_STORE_REVIEW_H
#define DRAFTD_STORE_REVIEW_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "daemon/config/config.h"
#include "daemon/store/store.h"

/* The reviewer's side of the drafts table and its neighbours: listing,
 * claiming, editing, approving (with the outbox row), rejecting, asking for
 * a new draft, categories, statistics, mailbox state and the counts behind
 * /metrics. Every change is audited in the same transaction. Ids are
 * decimal strings the caller has validated. Results are JSON built by
 * Postgres (timestamps in ISO 8601 UTC); the caller json_decref()s them. */

/* What a state-changing call found. Conflict and stale results come with a
 * JSON detail (the claim holder, the current status or version). */
enum review_result {
	REVIEW_ERROR = -1,    /* database error: store_error() */
	REVIEW_NOT_FOUND = 0, /* no such draft, message, category or mailbox */
	REVIEW_OK = 1,
	REVIEW_CONFLICT = 2, /* claimed by someone else, or the wrong status; a detail's
			      * "conflict" names the reason (store_outcome.h) */
	REVIEW_STALE = 3,    /* If-Match version is not the current one */
	REVIEW_INVALID = 4,  /* a value the database would not take (detail says) */
	REVIEW_REPLAY = 5,   /* approve: already approved; the result is the earlier one */
};

struct review_filter {
	/* NULL: any; else a comma-separated list of statuses (no spaces);
	 * "pending" includes expired claims */
	const char *status;
	const char *category;
	const char *mailbox;
	const char *q;        /* substring of subject, sender or body, case-insensitive */
	const char *after_id; /* keyset cursor: the last id of the previous page */
	/* the message's assignee: NULL any, "" nobody, else that person */
	const char *assigned;
	bool oldest; /* oldest first; newest first otherwise */
	unsigned int limit;
};

/* One page of drafts (summary fields) as the text of a JSON array, built
 * by PostgreSQL, in *page_r. *next_r is the id to continue after or NULL on
 * the last page. Both are new strings (free() them). Returns 0 or -1. */
int store_review_list(struct store *store, const struct review_filter *filter, char **page_r,
		      char **next_r) __attribute__((warn_unused_result));
/* One draft with every field, "message" (the original) and "history" (its
 * audit rows). Returns 1, 0 when absent, -1. */
int store_review_get(struct store *store, const char *id, json_t **draft_r)
	__attribute__((warn_unused_result));

/* Takes or renews the claim for who for ttl seconds; take_over (admins)
 * takes it from someone else (audited draft.take_over with the holder).
 * Returns REVIEW_OK with the claim in *result_r, REVIEW_NOT_FOUND,
 * REVIEW_CONFLICT with the detail ("claimed", "superseded", "wrong_status")
 * in *result_r, or REVIEW_ERROR. */
enum review_result store_review_claim(struct store *store, const char *id, const char *who,
				      unsigned int ttl, bool take_over, json_t **result_r)
	__attribute__((warn_unused_result));
/* Renews who's own claim for ttl seconds (also one that ran out while
 * nobody else took it); never takes one. Returns as store_review_claim(),
 * the conflict "not_holder" when someone else holds it. */
enum review_result store_review_heartbeat(struct store *store, const char *id, const char *who,
					  unsigned int ttl, json_t **result_r)
	__attribute__((warn_unused_result));
/* Drops who's claim (any claim when force). Returns as
 * store_review_claim(). */
enum review_result store_review_release(struct store *store, const char *id, const char *who,
					bool force, json_t **result_r)
	__attribute__((warn_unused_result));

struct review_patch {
	const char *subject, *body, *recipient, *cc; /* NULL: unchanged; cc "" clears */
	const char *version;                         /* the If-Match value */
	unsigned int claim_ttl;                      /* the save claims the draft this long */
};
/* Edits a pending/claimed draft not held by someone else, claims it for
 * who, bumps version and audits the changed fields (before/after).
 * Returns REVIEW_OK with the draft in *result_r, REVIEW_NOT_FOUND,
 * REVIEW_CONFLICT with the detail, REVIEW_STALE with the saved fields
 * (nothing is lost: the caller can show both texts), or REVIEW_ERROR. */
enum review_result store_review_patch(struct store *store, const char *id, const char *who,
				      const struct review_patch *patch, json_t **result_r)
	__attribute__((warn_unused_result));

struct review_approve {
	const char *subject, *body; /* the final edit, NULL: as stored */
	const char *idempotency_key;
	const char *fallback_domain; /* for the Message-ID when the mailbox row has no address */
	unsigned int send_delay;     /* seconds the reply waits in the outbox (undo) */
};
/* In one transaction: status approved, reviewer, final_body, edit_distance,
 * the outbox row with a new Message-ID, the audit row. Returns REVIEW_OK
 * with the decision in *result_r, REVIEW_REPLAY with the earlier decision
 * for an already approved (or sent) draft (nothing written; the
 * outbox_draft_key constraint backs "never two outbox rows"),
 * REVIEW_NOT_FOUND, REVIEW_CONFLICT with the detail, or REVIEW_ERROR. */
enum review_result store_review_approve(struct store *store, const char *id, const char *who,
					const struct review_approve *approve, json_t **result_r)
	__attribute__((warn_unused_result));
/* Rejects with a reason and an optional corrected category (must be in
 * the categories table). The message never drops: with a category it is
 * drafted again for it, without one it goes under "Needs a human".
 * Returns REVIEW_OK with the decision in *result_r, REVIEW_NOT_FOUND,
 * REVIEW_CONFLICT with the detail, REVIEW_INVALID for an unknown category,
 * or REVIEW_ERROR. */
enum review_result store_review_reject(struct store *store, const char *id, const char *who,
				       const char *reason, const char *category, json_t **result_r)
	__attribute__((warn_unused_result));
/* Recalls an approved reply the outbox has not started on: the outbox row
 * goes, the draft is pending again (claimed by who for claim_ttl) with the
 * approved text as its body. Returns REVIEW_OK with the decision in
 * *result_r, REVIEW_NOT_FOUND, REVIEW_CONFLICT with the decision (and
 * "conflict": "too_late" once a try started), or REVIEW_ERROR. */
enum review_result store_review_undo(struct store *store, const char *id, const char *who,
				     unsigned int claim_ttl, json_t **result_r)
	__attribute__((warn_unused_result));

/* Inserts the config's [category NAME] sections, then the classifier's
 * built-in categories (builtin, NULL-terminated, may be NULL) that the
 * table lacks, with the defaults (existing rows win: changes made over REST
 * survive restarts). 0 or -1. */
int store_categories_seed(struct store *store, const struct config *config,
			  const char *const *builtin) __attribute__((warn_unused_result));
/* {"categories":[...]} ordered by name. 0 or -1. */
int store_categories_list(struct store *store, json_t **result_r)
	__attribute__((warn_unused_result));
/* Sets the given fields of a category (changes: a validated object with any
 * of mode, threshold, audit_sample_rate, min_samples, target_rate,
 * promotion) and audits before/after. Returns REVIEW_OK with the category
 * in *result_r, REVIEW_NOT_FOUND, or REVIEW_ERROR. */
enum review_result store_category_update(struct store *store, const char *name,
					 const json_t *changes, const char *who, json_t **result_r)
	__attribute__((warn_unused_result));

/* {"categories":[...],"reviewers":[...]}: drafted, reviewed, approved
 * unchanged (edit distance <= unchanged_threshold, a multiple of 0.01),
 * approved edited, rejected, mean edit distance, median seconds to
 * decision (from a histogram, within 5%); decisions by people only
 * (reviewer 'auto' is the decide step). Read from the statistics
 * rollups. 0 or -1. */
int store_review_stats(struct store *store, double unchanged_threshold, json_t **result_r)
	__attribute__((warn_unused_result));
/* Recomputes the statistics rollups from the drafts (draft_rollup_rebuild()
 * and the promotion evidence's promo_rollup_rebuild(), in one transaction
 * that locks out writers of drafts while it runs); *rows_r: rows written.
 * 0 or -1. */
int store_rollup_rebuild(struct store *store, uint64_t *rows_r) __attribute__((warn_unused_result));
/* {"mailboxes":[...]} with poll state and errors. 0 or -1. */
int store_mailboxes_list(struct store *store, json_t **result_r)
	__attribute__((warn_unused_result));
/* Sets poll_requested_at = now() (the poller polls early) and audits it.
 * Returns REVIEW_OK with the mailbox in *result_r, REVIEW_NOT_FOUND, or
 * REVIEW_ERROR. */
enum review_result store_mailbox_request_poll(struct store *store, const char *name,
					      const char *who, json_t **result_r)
	__attribute__((warn_unused_result));
/* Counts for /metrics: {"messages":{state:n},"drafts":{status:n},
 * "jobs":{state:n},"jobs_ready":n,"decisions":{decision:n},"outbox":{state:n}}.
 * 0 or -1. */
int store_review_metrics(struct store *store, json_t **result_r)
	__attribute__((warn_unused_result));

#endif
