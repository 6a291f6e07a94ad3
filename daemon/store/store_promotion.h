/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_STORE_PROMOTION_H
#define DRAFTD_STORE_PROMOTION_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "daemon/store/store.h"
#include "daemon/store/store_review.h"

/* What promotion and demotion read and write (daemon/promotion/,
 * ui-api/routes/api_promotion.c, the pipeline's loop limits, the outbox sender's
 * gate): the global automatic-reply switch, per-category evidence, mode
 * changes made by draftd itself, post-send samples and customer replies on
 * automatically answered threads. Every change is audited in the same
 * transaction. */

/* The kill switch. 1 when automatic replies are enabled, 0 when switched
 * off, -1 on error. A database without the settings row counts as on. */
int store_auto_enabled(struct store *store) __attribute__((warn_unused_result));

/* Switches automatic replies on or off for every instance (audited as
 * auto.on / auto.off by who). Switching off also puts every unsent
 * automatic reply back into review (pending drafts), then waits until no
 * outbox sender is inside an automatic send any more (the exclusive side of
 * the gate below) and sweeps again: when it returns 0, no automatic reply
 * can be sent until the switch is on again. *held_r counts the replies put
 * back. Returns 0 or -1. */
int store_auto_set(struct store *store, bool enabled, const char *who, long *held_r)
	__attribute__((warn_unused_result));

/* While the switch is off, puts automatic replies still waiting in the
 * outbox back into review (the pipeline may have queued one as the switch
 * flipped). *moved_r counts them. Returns 0 or -1. */
int store_auto_hold_back(struct store *store, const char *who, long *moved_r)
	__attribute__((warn_unused_result));

/* The outbox sender's side of the switch: a shared session lock held from
 * before it claims a row until the row's try ended, so store_auto_set()
 * can wait for tries that claimed before the switch went off. 0 or -1. */
int store_auto_gate_enter(struct store *store) __attribute__((warn_unused_result));
void store_auto_gate_leave(struct store *store);

/* Per-category evidence over the last window_s seconds, one JSON object
 * per category (the categories table's and any drafted one), ordered by
 * name: the row's settings (mode, promotion, min_samples, target_rate,
 * audit_sample_rate, promoted_at, demoted_at, demote_reason) and counts
 * (drafted, reviewed, approved_unchanged with edit distance <= threshold,
 * approved_edited, rejected, rejected_wrong, rejection_reasons {reason: n},
 * never_auto_hits, shadow_drafts, shadow_would_auto, shadow_agreed,
 * shadow_edited, shadow_rejected, shadow_would_auto_reviewed,
 * auto_replies, samples, samples_fine, samples_bad, and post_reviewed,
 * post_unchanged, post_wrong, post_fine, post_bad since promoted_at).
 * A rejection is "wrong" when it names a corrected category or its reason
 * starts with "wrong". Returns 0 with *rows_r (an array) or -1. */
int store_promotion_counts(struct store *store, unsigned int window_s, double threshold,
			   json_t **rows_r) __attribute__((warn_unused_result));

/* Changes category's mode from from_mode to to_mode on draftd's own account
 * (promotion or demotion), stamping promoted_at or demoted_at with reason,
 * audited as category.promote / category.demote by actor with evidence
 * (not taken over; may be NULL). Returns 1 when changed, 0 when the
 * category was not in from_mode (NULL: any mode but to_mode), -1. */
int store_category_set_mode(struct store *store, const char *category, const char *from_mode,
			    const char *to_mode, const char *actor, const char *reason,
			    const json_t *evidence) __attribute__((warn_unused_result));

/* {"samples":[...]}: sampled automatic replies, newest first, with their
 * text, recipient, when sent, and verdict (NULL while unjudged); only the
 * unjudged ones when pending_only. At most limit. 0 or -1. */
int store_samples_list(struct store *store, bool pending_only, unsigned int limit,
		       json_t **result_r) __attribute__((warn_unused_result));

/* Records who's verdict ("fine" or "bad") with an optional note on sampled
 * draft id (audited sample.verdict). "bad" demotes the draft's category from
 * auto to draft in the same transaction (audited category.demote). Returns
 * REVIEW_OK with the sample in *result_r, REVIEW_NOT_FOUND (no such sampled
 * draft), REVIEW_CONFLICT with who judged it (already judged), or
 * REVIEW_ERROR. */
enum review_result store_sample_verdict(struct store *store, const char *id, const char *verdict,
					const char *note, const char *who, json_t **result_r)
	__attribute__((warn_unused_result));

/* Demotes every auto category to draft with reason (audited, by actor) in
 * one transaction. Returns how many, or -1. */
int store_category_demote_all(struct store *store, const char *actor, const char *reason)
	__attribute__((warn_unused_result));

/* Customer replies not yet looked at on threads we answered automatically
 * (In-Reply-To or References naming a sent automatic reply's Message-ID,
 * received within window_s of it): [{"message":id, "draft":id,
 * "category":..., "text":...}], oldest first. 0 or -1. */
int store_auto_thread_replies(struct store *store, unsigned int window_s, json_t **rows_r)
	__attribute__((warn_unused_result));

/* Records that reply message_id (on draft_id's thread) was looked at, and
 * when demote, demotes category from auto to draft with reason (audited).
 * 0 or -1. */
int store_auto_thread_record(struct store *store, int64_t message_id, int64_t draft_id,
			     const char *category, bool demote, const char *reason)
	__attribute__((warn_unused_result));

#endif
