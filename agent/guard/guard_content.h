/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_GUARD_CONTENT_H
#define DRAFTD_GUARD_CONTENT_H

#include <jansson.h>
#include <stddef.h>

#include "agent/guard/guard.h"
#include "connectors/keys/keys.h"

/* Content guardrails (issue 17, item 5): what a reply says, beyond whether
 * its figures match the facts (agent/guard/guard.c). Each finding is a flag in
 * the same struct guard_result, so a flagged draft is never sent on its
 * own and the reviewer reads why:
 *
 *   empty_section       a heading or a "Label:" with nothing under it before
 *                       the sign-off or the next heading ("Here is the latest
 *                       on your order:" and then "Kind regards")
 *   unsupported_promise a sentence that promises what the facts do not
 *                       support: shipping now or today, "in stock", for an
 *                       item with nothing on hand, fewer on hand than asked,
 *                       discontinued or unknown; "has shipped" for an order
 *                       that has not
 *   echoes_customer     the reply's answer is only the customer's own data
 *                       (their tracking number, their dates) with no fact of
 *                       ours added
 *   language_fallback   the reply is not in the customer's language (no
 *                       template in it, or a model answered in another)
 *
 * Pure: reads only its input; thread-safe. */

struct guard_content_input {
	const char *body;                /* the draft's body */
	const char *customer_text;       /* what the customer wrote (new text) */
	const char *customer_lang;       /* the classified language, or NULL */
	const char *draft_lang;          /* the backend's language of the reply, or NULL:
					  * then it is detected from the body */
	const char *category;            /* the draft's category, or NULL */
	const json_t *facts;             /* the full facts (agent/pipeline/facts.h) */
	const struct key_hit *requested; /* quantities asked (keys_extract) */
	size_t requested_count;
};

/* Adds the content flags to out (after what guard_check() put there).
 * Returns the number of flags added, or -1 when out of memory (then an
 * "error" flag is added: never treat it as clean). */
int guard_content_check(const struct guard_content_input *in, struct guard_result *out);

#endif
