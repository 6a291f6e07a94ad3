/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_GATE_INT_H
#define DRAFTD_GATE_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8

#include <pcre2.h>

#include <stdbool.h>

#include "daemon/lib/regex.h"

#include "agent/guard/gate.h"

/* Shared by gate.c (table, driver) and the gate_*.c files. */

struct gate_ctx {
	const struct gate_input *in;
	struct guard_result *out;
	const char *name; /* the gate running now */
	char *text;       /* subject "\n" body, normalised */
	size_t len;
	char *lower;        /* text in lower case (ASCII), same offsets */
	char *customer;     /* customer_text normalised, lower case */
	char *facts_str;    /* every string of the facts, normalised, "\n"-separated */
	char *trusted;      /* in->trusted normalised, lower case, or NULL */
	size_t subject_end; /* text[0..subject_end) is the subject */
	pcre2_match_data *md;
	int added;
	bool failed;
};

/* Adds a flag named after the running gate (deduplicated). */
void gate_flag(struct gate_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Compiles regex (UTF, Unicode properties; caseless when asked). NULL
 * marks the context failed. */
pcre2_code *gate_compile(struct gate_ctx *c, const char *regex, bool caseless);

/* Calls fn(c, start, end, group1_start, group1_end) for every match of re
 * in the text (lower case when on_lower). */
void gate_each(struct gate_ctx *c, pcre2_code *re, bool on_lower,
	       void (*fn)(struct gate_ctx *c, size_t s, size_t e, size_t g1s, size_t g1e));

/* One alternative of a pattern "a0|a1|..." that gate_each_alt() runs as
 * its parts. need: lower-case literals one of which every match of re
 * contains (NULL-terminated; NULL when none is known), looked for in the
 * lower-case text first so an alternative that cannot match is not run;
 * need_word: the literal starts a word (no ASCII letter or digit before
 * it). The literals hold because the text is NFKC: no character outside
 * ASCII matches an ASCII letter caselessly there (the Kelvin sign and the
 * long s are mapped to K and s). */
struct gate_alt {
	const char *re;
	const char *const *need;
	bool need_word;
};

/* What gate_each() does for the one pattern "alts[0].re|alts[1].re|...",
 * match for match (the leftmost, and at one place the first alternative
 * that matches there), with each alternative its own regex: a pattern of
 * alternatives each starting its own way leaves PCRE2 no start-of-match
 * optimisation, so the parts run several times faster than their union. At
 * most GATE_ALTS_MAX alternatives; group 1 is each alternative's own (the
 * union written with a branch reset, "(?|a0|a1|...)"), unset where it has
 * none. In the lower-case text when on_lower. */
#define GATE_ALTS_MAX 16
void gate_each_alt(struct gate_ctx *c, const struct gate_alt *alts, size_t n, bool caseless,
		   bool on_lower,
		   void (*fn)(struct gate_ctx *c, size_t s, size_t e, size_t g1s, size_t g1e));

/* Whether the bytes s[n] (any case) occur in the customer's own text. */
bool gate_customer_wrote(const struct gate_ctx *c, const char *s, size_t n);
/* Whether the bytes s[n] (any case) occur in the operator's own wording. */
bool gate_trusted(const struct gate_ctx *c, const char *s, size_t n);
/* Whether the digits of s[n] (at least 7) occur in one string of the facts. */
bool gate_digits_in_facts(const struct gate_ctx *c, const char *s, size_t n);
/* Whether the digits of s[n] and of phone end alike (at least 7 of them). */
bool gate_digits_match(const char *s, size_t n, const char *phone);
/* Whether s[n] (any case, spaces ignored) is a whole string of the facts. */
bool gate_in_facts(const struct gate_ctx *c, const char *s, size_t n);

/* gate_links.c */
void gate_links(struct gate_ctx *c);
void gate_lookalike(struct gate_ctx *c);
void gate_addresses(struct gate_ctx *c);
/* gate_money.c */
void gate_payment(struct gate_ctx *c);
void gate_promise(struct gate_ctx *c);
void gate_amounts(struct gate_ctx *c);
/* gate_dates.c */
void gate_dates(struct gate_ctx *c);
void gate_placeholders(struct gate_ctx *c);
/* gate_personal.c */
void gate_phones(struct gate_ctx *c);
void gate_personal(struct gate_ctx *c);
/* gate_personal's patterns, for tests/unit/test_gate_alt.c */
extern const struct gate_alt gate_street_alts[];
extern const size_t gate_street_alts_count;
extern const struct gate_alt gate_name_alts[];
extern const size_t gate_name_alts_count;
/* gate_money's */
extern const struct gate_alt gate_promise_alts[];
extern const size_t gate_promise_alts_count;
extern const struct gate_alt gate_amount_alts[];
extern const size_t gate_amount_alts_count;

#endif
