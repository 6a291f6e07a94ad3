/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_REDACT_H
#define DRAFTD_REDACT_H

#include <jansson.h>

/* Few-shot examples without anybody's data. An approved reply becomes an
 * example for later prompts only through redact_example(), before it is
 * stored as one: every value of the facts it was written from, its
 * recipient's address, name and company, and everything shaped like a
 * name, street address, phone number, e-mail address, link, IBAN, order or
 * tracking id, SKU, amount or date is replaced by a typed placeholder
 * ([NAME], [ADDRESS], [PHONE], [EMAIL], [LINK], [IBAN], [ORDER_ID],
 * [TRACKING_ID], [SKU], [AMOUNT], [DATE]), and any digit left becomes
 * [NUMBER]. A result that still holds one of the known values is refused:
 * the example is dropped, never used half-redacted. */

#define REDACT_VERSION "r1"
#define REDACT_MAX     (16 * 1024)

struct redact_context {
	const char *recipient; /* the address the reply went to */
	const char *sender;    /* the customer's From address */
	const char *from;      /* the customer's From header as written, or NULL */
	const json_t *facts;   /* the facts the reply was drafted from, or NULL */
};

/* A new redacted copy of body (at most REDACT_MAX bytes of it), or NULL
 * when it cannot be made safe (*refused_r set to 1) or memory ran out
 * (*refused_r 0). Thread-safe. */
char *redact_example(const char *body, const struct redact_context *ctx, int *refused_r);

#endif
