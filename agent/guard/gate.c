/* SPDX-License-Identifier: MIT */
#include "agent/guard/gate_int.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/text/text_norm.h"
#include "daemon/lib/buf.h"
#include "daemon/lib/util.h"

#define GATE_FACTS_MAX (64 * 1024)

/* Every output gate, in the order they run. deploy/SECURITY.md shows this
 * table; tests/unit/test_gate.c checks the two name the same gates. */
const struct gate gate_table[] = {
	{"link_not_allowed",
	 "links and domains the company does not own: phishing pages, fake refund portals",
	 "every host of a URL (any scheme), of www.NAME and of a bare domain (name.tld/path, a "
	 "known top-level domain, punycode xn--) must be on [agent] url_allow (subdomains "
	 "included); a host with non-ASCII letters never is",
	 gate_links},
	{"lookalike_text", "look-alike words (homoglyphs): a Cyrillic \"а\" inside a Latin name",
	 "a word whose letters come from two scripts (Latin and Cyrillic, Greek, ...)",
	 gate_lookalike},
	{"address_not_allowed", "e-mail addresses of anyone but the customer and the mailbox",
	 "every address (also written \"name [at] domain\" or with a fullwidth @) must be the "
	 "customer's From address or one of the mailboxes' own addresses",
	 gate_addresses},
	{"phone_not_allowed", "phone numbers (WhatsApp, a \"hotline\") that are not the company's",
	 "every run of 7 to 15 digits written as a phone number must be a string of the facts "
	 "or one of [agent] signature_phones",
	 gate_phones},
	{"payment_details", "new bank details, IBANs, requests to pay or wire money elsewhere",
	 "an IBAN-shaped token that is not in the facts, a BIC after \"BIC\"/\"SWIFT\", or "
	 "payment words (bank details, wire, transfer the amount, Bankverbindung, "
	 "transferencia, virement, ...) in en/de/es/fr",
	 gate_payment},
	{"money_promise", "discounts, refunds, credits, free goods and other money promises",
	 "percentages and promise words (discount, refund, credit note, free of charge, "
	 "voucher, Rabatt, Gutschrift, descuento, reembolso, remise, remboursement, ...); the "
	 "facts never hold a promise, so none may go out without a person",
	 gate_promise},
	{"amount_not_in_facts", "prices in other currencies than the facts' euros",
	 "an amount in $, USD, GBP, CHF, ... whose number is no number of the facts (euro "
	 "amounts are checked by the wrong_price guardrail)",
	 gate_amounts},
	{"date_not_in_facts", "delivery dates and deadlines the business never gave",
	 "every date (2026-12-24, 24.12., 12/24/2026, 24 December, Dec 24, in en/de/es/fr) must "
	 "be a date of the facts (ship_date, eta, ...), even one the customer asked for",
	 gate_dates},
	{"example_copied",
	 "a reply pasted from the redacted examples (\"what you told the last "
	 "customer\")",
	 "a placeholder of the few-shot redactor ([NAME], [ADDRESS], [ORDER_ID], ...) in the "
	 "draft",
	 gate_placeholders},
	{"personal_data", "names and street addresses of anyone but the customer",
	 "a street address or postcode + town, a name after a salutation or an honorific "
	 "(Dear, Mr, Frau, Sr., Mme, ...) must be the customer's display name or appear in "
	 "what the customer wrote",
	 gate_personal},
};
const size_t gate_table_count = ARRAY_SIZE(gate_table);

void gate_flag(struct gate_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	c->added += guard_result_addv(c->out, c->name, fmt, ap);
	va_end(ap);
}

pcre2_code *gate_compile(struct gate_ctx *c, const char *regex, bool caseless)
{
	pcre2_code *re = regex_text(regex, (caseless ? PCRE2_CASELESS : 0) | PCRE2_UCP);

	if (re == NULL)
		c->failed = true;
	return re;
}

void gate_each(struct gate_ctx *c, pcre2_code *re, bool on_lower,
	       void (*fn)(struct gate_ctx *c, size_t s, size_t e, size_t g1s, size_t g1e))
{
	const char *t = on_lower ? c->lower : c->text;
	PCRE2_SIZE *ov;
	size_t off;
	size_t s, e, g1s, g1e;

	if (re == NULL)
		return;
	for (off = 0;
	     off <= c->len && regex_match(re, (PCRE2_SPTR)t, c->len, off, 0, c->md, NULL) >= 0;) {
		ov = pcre2_get_ovector_pointer(c->md);
		/* copied out: fn may match with c->md itself */
		s = ov[0];
		e = ov[1];
		g1s = ov[2];
		g1e = ov[3];
		off = e > off ? e : off + 1;
		fn(c, s, e, g1s, g1e);
	}
}

/* Whether the lower-case text holds one of a's literals (true when a has
 * none). */
static bool gate_need_found(const struct gate_ctx *c, const struct gate_alt *a)
{
	const char *p;
	unsigned char before;

	if (a->need == NULL)
		return true;
	for (size_t i = 0; a->need[i] != NULL; i++) {
		for (p = strstr(c->lower, a->need[i]); p != NULL; p = strstr(p + 1, a->need[i])) {
			before = p > c->lower ? (unsigned char)p[-1] : ' ';
			if (!a->need_word ||
			    !((before >= 'a' && before <= 'z') || (before >= '0' && before <= '9')))
				return true;
		}
	}
	return false;
}

void gate_each_alt(struct gate_ctx *c, const struct gate_alt *alts, size_t n, bool caseless,
		   bool on_lower,
		   void (*fn)(struct gate_ctx *c, size_t s, size_t e, size_t g1s, size_t g1e))
{
	const char *t = on_lower ? c->lower : c->text;
	pcre2_code *re[GATE_ALTS_MAX];
	bool live[GATE_ALTS_MAX];
	PCRE2_SIZE *ov;
	size_t i, best, off, s = 0, e = 0, g1s = 0, g1e = 0;
	int rc;

	if (n > GATE_ALTS_MAX) {
		c->failed = true;
		return;
	}
	for (i = 0; i < n; i++) {
		re[i] = gate_compile(c, alts[i].re, caseless);
		live[i] = re[i] != NULL && gate_need_found(c, &alts[i]);
	}
	for (off = 0; off <= c->len && !c->failed;) {
		best = n;
		for (i = 0; i < n; i++) {
			if (!live[i])
				continue;
			/* no match from off: none from any later offset either */
			rc = regex_match(re[i], (PCRE2_SPTR)t, c->len, off, 0, c->md, NULL);
			if (rc < 0) {
				live[i] = false;
				continue;
			}
			ov = pcre2_get_ovector_pointer(c->md);
			/* the leftmost; on a tie the earlier alternative, as in a|b */
			if (best == n || ov[0] < s) {
				best = i;
				s = ov[0];
				e = ov[1];
				/* past the pattern's groups the ovector holds what an
				 * earlier match left: unset, as in the union */
				g1s = rc >= 2 ? ov[2] : PCRE2_UNSET;
				g1e = rc >= 2 ? ov[3] : PCRE2_UNSET;
			}
		}
		if (best == n)
			break;
		off = e > off ? e : off + 1;
		fn(c, s, e, g1s, g1e);
	}
}

/* The digits of s[n] into out (at most size-1). */
static size_t gate_digits(const char *s, size_t n, char *out, size_t size);

bool gate_digits_match(const char *s, size_t n, const char *phone)
{
	char a[64], b[64];
	size_t na = gate_digits(s, n, a, sizeof(a)),
	       nb = gate_digits(phone, strlen(phone), b, sizeof(b));
	size_t m = na < nb ? na : nb;

	/* "+49 40 1234567" and "040 1234567": the same line when the
	 * subscriber part (the last 7 digits or more) agrees */
	return m >= 7 && memcmp(a + na - m, b + nb - m, m) == 0;
}

/* A lower-case (ASCII letters) copy, same length. */
static char *gate_lower(const char *s, size_t n)
{
	char *l = malloc(n + 1);
	size_t i;

	if (l == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		l[i] = (char)tolower((unsigned char)s[i]);
	l[n] = '\0';
	return l;
}

/* Whether the bytes s[n] (any case) occur in hay, a lower-case text. */
static bool gate_lower_in(const char *hay, const char *s, size_t n)
{
	char *l;
	bool found;

	if (n == 0 || hay == NULL)
		return false;
	l = gate_lower(s, n);
	found = l != NULL && strstr(hay, l) != NULL;
	free(l);
	return found;
}

bool gate_customer_wrote(const struct gate_ctx *c, const char *s, size_t n)
{
	return gate_lower_in(c->customer, s, n);
}

bool gate_trusted(const struct gate_ctx *c, const char *s, size_t n)
{
	return gate_lower_in(c->trusted, s, n);
}

/* The digits of s[n] into out (at most size-1). */
static size_t gate_digits(const char *s, size_t n, char *out, size_t size)
{
	size_t i, k = 0;

	for (i = 0; i < n && k + 1 < size; i++)
		if (s[i] >= '0' && s[i] <= '9')
			out[k++] = s[i];
	out[k] = '\0';
	return k;
}

bool gate_digits_in_facts(const struct gate_ctx *c, const char *s, size_t n)
{
	char want[64], line[512];
	const char *p = c->facts_str, *nl;
	size_t len;

	if (gate_digits(s, n, want, sizeof(want)) < 7 || p == NULL)
		return false;
	for (; *p != '\0'; p = *nl != '\0' ? nl + 1 : nl) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		len = (size_t)(nl - p) < sizeof(line) ? (size_t)(nl - p) : sizeof(line) - 1;
		gate_digits(p, len, line, sizeof(line));
		if (strstr(line, want) != NULL)
			return true;
	}
	return false;
}

bool gate_in_facts(const struct gate_ctx *c, const char *s, size_t n)
{
	char want[128], line[128];
	const char *p = c->facts_str, *nl;
	size_t i, k = 0, len;

	for (i = 0; i < n && k + 1 < sizeof(want); i++)
		if (s[i] != ' ')
			want[k++] = (char)tolower((unsigned char)s[i]);
	want[k] = '\0';
	if (k == 0 || p == NULL)
		return false;
	for (; *p != '\0'; p = *nl != '\0' ? nl + 1 : nl) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		for (len = 0, i = 0; p + i < nl && len + 1 < sizeof(line); i++)
			if (p[i] != ' ')
				line[len++] = (char)tolower((unsigned char)p[i]);
		line[len] = '\0';
		if (strcmp(line, want) == 0)
			return true;
	}
	return false;
}

/* Every string (and integer) of the facts, one per line, normalised. */
static int gate_facts_strings(const json_t *v, struct buf *b)
{
	const char *key;
	json_t *e;
	size_t i;

	if (json_is_string(v)) {
		if (buf_append(b, json_string_value(v), strcspn(json_string_value(v), "\n")) < 0 ||
		    buf_append(b, "\n", 1) < 0)
			return -1;
	} else if (json_is_integer(v)) {
		if (buf_printf(b, "%lld\n", (long long)json_integer_value(v)) < 0)
			return -1;
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e)
		{
			if (gate_facts_strings(e, b) < 0)
				return -1;
		}
	} else if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, e)
		{
			if (gate_facts_strings(e, b) < 0)
				return -1;
		}
	}
	return 0;
}

static int gate_prepare(struct gate_ctx *c)
{
	const struct gate_input *in = c->in;
	struct buf b;
	char *raw = NULL, *tmp = NULL;
	int ret = -1;

	buf_init(&b, 2 * GUARD_TEXT_MAX + 2);
	if (buf_append(&b, in->subject != NULL ? in->subject : "",
		       strnlen(in->subject != NULL ? in->subject : "", GUARD_TEXT_MAX)) < 0 ||
	    buf_append(&b, "\n", 1) < 0 ||
	    buf_append(&b, in->body != NULL ? in->body : "",
		       strnlen(in->body != NULL ? in->body : "", GUARD_TEXT_MAX)) < 0)
		goto out;
	raw = buf_steal(&b);
	c->text = text_norm(raw, TEXT_NORM_MAX);
	if (c->text == NULL)
		goto out;
	c->len = strlen(c->text);
	/* a subject is one line (unfolded); the body starts after it */
	c->subject_end = strcspn(c->text, "\n");
	c->lower = gate_lower(c->text, c->len);
	tmp = text_norm(in->customer_text, TEXT_NORM_MAX);
	if (c->lower == NULL || tmp == NULL)
		goto out;
	c->customer = gate_lower(tmp, strlen(tmp));
	free(tmp);
	tmp = NULL;
	if (in->trusted != NULL) {
		tmp = text_norm(in->trusted, TEXT_NORM_MAX);
		c->trusted = tmp != NULL ? gate_lower(tmp, strlen(tmp)) : NULL;
		if (c->trusted == NULL)
			goto out;
	}
	buf_init(&b, GATE_FACTS_MAX);
	/* facts past the cap are dropped: fewer allowed values, never more */
	(void)gate_facts_strings(in->facts, &b);
	free(tmp);
	tmp = buf_steal(&b);
	c->facts_str = tmp != NULL ? text_norm(tmp, TEXT_NORM_MAX) : NULL;
	c->md = pcre2_match_data_create(8, NULL);
	if (c->customer == NULL || c->facts_str == NULL || c->md == NULL)
		goto out;
	ret = 0;
out:
	buf_free(&b);
	free(raw);
	free(tmp);
	return ret;
}

int gate_check(const struct gate_input *in, struct guard_result *out)
{
	struct gate_ctx c;
	size_t i;

	memset(&c, 0, sizeof(c));
	c.in = in;
	c.out = out;
	if (gate_prepare(&c) < 0) {
		c.failed = true;
		goto out;
	}
	for (i = 0; i < gate_table_count && !c.failed; i++) {
		c.name = gate_table[i].name;
		gate_table[i].check(&c);
	}
out:
	if (c.failed) {
		c.name = "error";
		gate_flag(&c, "the output gates could not run (out of memory)");
	}
	pcre2_match_data_free(c.md);
	free(c.text);
	free(c.lower);
	free(c.customer);
	free(c.facts_str);
	free(c.trusted);
	return c.failed ? -1 : c.added;
}
