/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_ANSWER_H
#define DRAFTD_ANSWER_H

#include <jansson.h>

#include "daemon/config/config.h"

/* What a reply must answer, worked out before it is drafted (issue 17,
 * "answer the question asked"), and added to the draft's copy of the facts
 * so the builtin templates and the model see the same thing:
 *
 *   inventory[i]  requested_qty   the quantity asked for (quote.lines), when known
 *                 availability    "all" (the quantity asked can ship now),
 *                                 "partial", "none" (nothing on hand: lead time),
 *                                 "in_stock" / "out_of_stock" (no quantity asked),
 *                                 "discontinued"; absent when stock is unknown
 *                 ship_now_qty,   for "partial" (not with disclosure none)
 *                 later_qty
 *                 line_total_eur  quantity x unit price, when both are known
 *                 name            name_<lang> when the data has one
 *                 qty_on_hand     removed unless disclosure is exact
 *   stock_disclosure              "exact" | "enough" | "none"
 *   request.tracking_problem      the customer says the tracking number does
 *                                 not work (en/de/es/fr)
 *   language                      the reply's language
 *
 * The copy is the draft's only: the facts stored for the reviewer keep every
 * figure. Thread-safe. */

struct answer_input {
	const char *language; /* the reply's: "en", "de", ... */
	const char *text;     /* the customer's new text, for what they ask */
	enum stock_disclosure disclosure;
};

/* Adds the above to facts (a JSON object, changed in place). Returns 0, or
 * -1 when out of memory (facts may then be half-changed: drop it). */
int answer_prepare(json_t *facts, const struct answer_input *in)
	__attribute__((warn_unused_result));

/* Whether text (the customer's) says a tracking number does not work:
 * "the tracking number doesn't work", "Sendungsnummer funktioniert nicht",
 * "el número de seguimiento no funciona", "le numéro de suivi est
 * introuvable". 1 yes, 0 no, -1 out of memory. */
int answer_tracking_problem(const char *text);

const char *answer_disclosure_name(enum stock_disclosure disclosure);

#endif
