/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_GATE_H
#define DRAFTD_GATE_H

#include <jansson.h>
#include <stddef.h>

#include "agent/guard/guard.h"

/* Output gates: deterministic checks of a draft that stand between a model
 * that may have been talked into anything and an automatic send. They read
 * the draft after text_norm() (NFKC, format characters removed), so a
 * fullwidth "＠", a zero-width space inside a word or a ligature changes
 * nothing. Every gate is one row of gate_table[] (gate.c): its flag name,
 * what it stops and how; deploy/SECURITY.md shows the same table. A flag is
 * a guardrail flag: the draft waits for a reviewer, who sees the reason.
 * Pure and thread-safe. */

struct gate_input {
	const char *subject;
	const char *body;
	const char *customer;      /* addr-spec of From */
	const char *customer_name; /* From's display name, or NULL */
	/* what the customer wrote (new text and signature): their own street
	 * address and names they mention are not someone else's data */
	const char *customer_text;
	const char *const *own; /* the mailboxes' addresses */
	size_t own_count;
	const char *const *url_allow; /* host names; subdomains allowed */
	size_t url_allow_count;
	const char *const *phones; /* [agent] signature_phones */
	size_t phones_count;
	const json_t *facts; /* as in struct guard_input */
	/* the operator's own wording the draft was made from (a built-in
	 * template), or NULL: a payment or money phrase found there is the
	 * business's policy, not something a model was talked into */
	const char *trusted;
};

struct gate_ctx;

struct gate {
	const char *name;  /* the flag it raises */
	const char *stops; /* what it keeps from going out on its own */
	const char *how;   /* how it decides, for the reviewer and the docs */
	void (*check)(struct gate_ctx *c);
};

extern const struct gate gate_table[];
extern const size_t gate_table_count;

/* Runs every gate on the draft and appends their flags to out (not
 * cleared first; a flag already there is not added twice). Returns the
 * number of flags added, or -1 when out of memory (out then holds an
 * "error" flag: never treat -1 as clean). */
int gate_check(const struct gate_input *in, struct guard_result *out);

#endif
