/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_GUARD_H
#define DRAFTD_GUARD_H

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "connectors/keys/keys.h"

/* Guardrails: deterministic checks of a draft (subject + body) against the
 * facts it may state and the rules, after drafting. Every failure is a
 * named flag with a short explanation for the reviewer; a flagged draft is
 * never sent automatically. Pure: reads only its input, thread-safe.
 *
 * Flags:
 *   empty, too_long          no body / longer than max_length
 *   forbidden_phrase         a phrase of the rules (case/accent-insensitive)
 *   unknown_sku              an HP-NNNNN not among the facts' keys
 *   unknown_order            an SO-NNNNNN not among the facts' keys
 *   order_not_senders        an order whose customer_email is not the
 *                            customer's address or domain
 *   wrong_quantity           a stock figure next to a SKU that is not its
 *                            qty_on_hand (a requested quantity that is on
 *                            hand may be stated: "all 200 are in stock")
 *   wrong_lead_time          a lead time in days not the SKU's
 *   wrong_price              an EUR amount that is no unit price, no
 *                            quantity x price of a line, no order total, no
 *                            sum of the lines and no quote total
 *   wrong_date               a date that is no ship_date/eta of the facts
 *                            and not one the customer wrote
 *   wrong_tracking           a tracking-number-like token not in the facts
 *   url_not_allowed          a URL whose host is not on the allow-list
 *   foreign_address          an e-mail address other than the customer's
 *                            and the company's */

#define GUARD_FLAGS_MAX          32
#define GUARD_FLAG_NAME_MAX      24
#define GUARD_DETAIL_MAX         200
#define GUARD_DEFAULT_MAX_LENGTH 8000
/* The most bytes of subject and body looked at (past it: too_long). */
#define GUARD_TEXT_MAX (64 * 1024)

struct guard_input {
	const char *subject;
	const char *body;
	const char *customer; /* addr-spec of From */
	const char *reply_to; /* addr-spec of Reply-To, or NULL */
	/* the company's addresses ("support@x.example", also as "Support
	 * <support@x.example>") or domains ("x.example") */
	const char *const *company;
	size_t company_count;
	/* {"inventory":[{"key","found",...}], "order":[...], "quote":{...}}: the
	 * shape of rules_input.facts (connectors/rules/rules.h); numbers may be JSON
	 * numbers or numeric strings */
	const json_t *facts;
	const json_t *forbidden_phrases; /* array of strings, or NULL */
	const char *const *url_allow;    /* host names; subdomains allowed */
	size_t url_allow_count;
	size_t max_length; /* body bytes; 0: GUARD_DEFAULT_MAX_LENGTH */
	/* what the customer asked for (keys_extract() of the mail): quantities
	 * for line prices, and the customer's own text for dates they gave */
	const struct key_hit *requested;
	size_t requested_count;
	const char *request_text;
};

struct guard_flag {
	char name[GUARD_FLAG_NAME_MAX];
	char detail[GUARD_DETAIL_MAX];
};

struct guard_result {
	struct guard_flag flags[GUARD_FLAGS_MAX];
	size_t count;
	bool truncated; /* more flags than GUARD_FLAGS_MAX */
};

/* Checks the draft. Returns the number of flags (0: clean), or -1 when out
 * of memory (out then holds one flag "error": never treat -1 as clean).
 * Thread-safe. */
int guard_check(const struct guard_input *in, struct guard_result *out);

/* Adds the flag name with the detail fmt formats from ap (both cut to
 * their fields' sizes), unless result holds the same name and detail
 * already; when result is full it is only marked truncated. Returns 1
 * when the flag was added, 0 when not. (The guardrails, the gates and
 * the content guardrails all add their flags through it.) */
int guard_result_addv(struct guard_result *result, const char *name, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Whether the host host[0..n) (trailing dots ignored) is one of the
 * allow-list's count entries or a subdomain of one, in any ASCII case. A
 * host with a byte outside ASCII never is (the entries are ASCII: such a
 * host is a look-alike); NULL and empty entries allow nothing. The
 * guardrails (url_not_allowed) and the links gate both ask this. */
bool guard_host_allowed(const char *const *allow, size_t count, const char *host, size_t n);

/* Whether the e-mail address a[0..n) is one of ours: equal, in any ASCII
 * case, to one of own's count entries (an address alone or as "Name
 * <address>"), or its domain equal to an entry without '@' (a domain).
 * NULL entries are skipped. The guardrails (foreign_address) and the
 * addresses gate both ask this. */
bool guard_addr_ours(const char *const *own, size_t count, const char *a, size_t n);

/* Whether result has a flag called name. */
bool guard_has(const struct guard_result *result, const char *name);

/* [{"flag": name, "detail": text}] (new reference), or NULL. */
json_t *guard_result_json(const struct guard_result *result);

#endif
