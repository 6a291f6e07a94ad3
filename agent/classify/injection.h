/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_INJECTION_H
#define DRAFTD_INJECTION_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Prompt-injection screening: flags mail that tries to instruct the
 * assistant instead of asking the business something. A suspected message
 * is still answered (by a human); the flag keeps it from auto-reply and
 * tells the reviewer why. Deterministic patterns in en/de/es/fr, run on
 * folded text (case, accents, zero-width characters), so that split or
 * disguised words still match. */

#define INJECTION_REASONS_MAX     16
#define INJECTION_ATTACHMENTS_MAX 64 /* names looked at */

struct injection_input {
	const char *subject;
	const char *text;               /* the new text */
	const char *full_text;          /* every text part, hidden HTML included (or NULL) */
	const char *const *attachments; /* file names; NULL entries skipped */
	size_t attachments_count;
	const char *sender;   /* addr-spec of From */
	const char *reply_to; /* addr-spec of Reply-To, or NULL */
	/* the company's own addresses or bare domains: never a redirect */
	const char *const *own_addresses;
	size_t own_count;
	unsigned mime_flags; /* MIME_FLAG_* of agent/mime/mime.h */
};

/* Reason names (static strings), in this order when several apply:
 *   role_marker            SYSTEM:/### system/<|im_start|>/[INST] blocks
 *   ignore_instructions    "ignore (all) previous instructions" and kin
 *   role_override          "you are now ...", "pretend to be"
 *   approval_bypass        "auto-send is enabled", "no approval needed"
 *   assistant_address      "note to the mail assistant"
 *   data_request           asks for customer lists, other customers' data, what
 *                          "the last customer" was told, or the prompt
 *   dictated_reply         dictates what the reply must say ("in your reply,
 *                          please write ...", "confirm in writing")
 *   payment_change         announces new bank or payment details
 *   recipient_redirect     send/forward/cc to an address not the sender's
 *   exfiltration_link      markdown image / link with a query to fill in
 *   hidden_text            zero-width characters or hidden HTML (mime flag)
 *   subject_instruction    one of the above in the Subject
 *   attachment_instruction one of the above in an attachment's file name */
struct injection_result {
	bool suspected;
	const char *reasons[INJECTION_REASONS_MAX];
	size_t reasons_count;
};

/* Scans one message. Returns 1 suspected, 0 clean, -1 out of memory or a
 * pattern failed to compile (out is then "suspected" with reason "error",
 * so a failure never lets a message through as clean). Thread-safe. */
int injection_scan(const struct injection_input *in, struct injection_result *out);

/* Whether result has the reason name. */
bool injection_has(const struct injection_result *result, const char *name);

/* The reasons as a JSON array of strings (new reference), or NULL. */
json_t *injection_reasons_json(const struct injection_result *result);

#endif
