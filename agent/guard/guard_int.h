/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_GUARD_INT_H
#define DRAFTD_GUARD_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8

#include <pcre2.h>

#include "daemon/lib/regex.h"

#include "agent/guard/guard.h"

/* Shared between guard.c (addresses, links, phrases, keys) and
 * guard_facts.c (figures and dates checked against the facts). */

#define GUARD_SKUS_MAX 64
#define GUARD_SKU_RE   "\\bHP[-\\s]?(\\d{5})\\b"

struct guard_ctx {
	const struct guard_input *in;
	struct guard_result *out;
	const char *text; /* subject "\n" body, bounded */
	size_t len;
	char *folded; /* lang_fold(text) */
	pcre2_match_data *md;
	pcre2_code *sku_re;        /* GUARD_SKU_RE, for guard_sku_near() */
	pcre2_match_data *md_near; /* its own: callers iterate with md */
	bool failed;               /* out of memory or a pattern did not compile */
};

/* Adds a flag (deduplicated; counted as truncated past GUARD_FLAGS_MAX). */
void guard_flag(struct guard_ctx *c, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Compiles regex (caseless, UTF); NULL marks the context failed. */
pcre2_code *guard_compile(struct guard_ctx *c, const char *regex, bool caseless);

/* The facts entry of namespace ns ("inventory", "order") with key, found
 * or not, or NULL. */
const json_t *guard_fact(const struct guard_ctx *c, const char *ns, const char *key);
/* A fact's field as a number (JSON number or numeric string): 1, or 0. */
int guard_fact_number(const json_t *fact, const char *field, double *v_r);

/* Canonical SKU ("HP-20115") of the mention nearest before pos in the same
 * paragraph, else after it on the same line; "" when none. */
void guard_sku_near(const struct guard_ctx *c, size_t pos, char *sku, size_t size);

/* guard_facts.c */
void guard_check_amounts(struct guard_ctx *c);
void guard_check_stock(struct guard_ctx *c);
void guard_check_dates(struct guard_ctx *c);

#endif
