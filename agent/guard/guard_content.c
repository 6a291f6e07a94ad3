/* SPDX-License-Identifier: MIT */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "agent/guard/guard_content.h"

#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/text/lang.h"
#include "connectors/keys/quantity.h"
#include "daemon/lib/buf.h"
#include "daemon/lib/util.h"
#include "daemon/lib/regex.h"

#define CONTENT_LINE_MAX   1024
#define CONTENT_TOKENS_MAX 32
#define CONTENT_TOKEN_MAX  48

/* Sign-off lines, folded: where a section's content has ended. */
static const char *const content_signoffs[] = {
	"kind regards",
	"best regards",
	"regards",
	"best wishes",
	"sincerely",
	"yours sincerely",
	"yours faithfully",
	"thank you",
	"thanks",
	"cheers",
	"mit freundlichen grussen",
	"freundliche grusse",
	"viele grusse",
	"beste grusse",
	"gruss",
	"atentamente",
	"saludos",
	"un saludo",
	"cordialmente",
	"cordialement",
	"bien cordialement",
	"salutations",
	"meilleures salutations",
	"bien a vous",
	"respectueusement",
};

/* Promises of goods leaving now, folded; checked against the stock. */
static const char content_promise_re[] =
	"\\b(?:ships?|shipped|dispatch(?:ed|es)?|send|sent|deliver(?:ed)?)\\s+(?:out\\s+)?"
	"(?:today|tomorrow|immediately|right away|straight away|now|same day)\\b"
	"|\\bcan\\s+(?:be\\s+)?(?:ship|dispatch|sen[dt]|deliver)(?:ped|ed)?\\s+(?:[\\w'-]+\\s+){0,"
	"2}?"
	"(?:from stock|today|tomorrow|immediately|right away|now)\\b"
	"|\\b(?:in stock|on stock|ready to ship|available (?:now|immediately|from stock|"
	"right away))\\b"
	"|\\b(?:sofort|umgehend|heute|morgen)\\s+(?:[\\w'-]+\\s+){0,3}?(?:lieferbar|versandt|"
	"versandbereit|versendet|verschickt|geliefert)\\b|\\bab lager\\s+(?:lieferbar|versandt|"
	"verfugbar)\\b|\\bauf lager\\b|\\bvorratig\\b"
	"|\\b(?:enviar|enviamos|enviarle|servir|se envia)\\s+(?:[\\w'-]+\\s+){0,4}?(?:hoy|manana|"
	"de inmediato|inmediatamente|ya)\\b|\\ben (?:stock|almacen)\\b|\\bdisponible "
	"(?:de inmediato|inmediatamente|ya|en almacen)\\b"
	"|\\b(?:expedi\\w*|partir|livr\\w*)\\s+(?:[\\w'-]+\\s+){0,3}?(?:aujourd'hui|demain|"
	"immediatement|des maintenant|tout de suite)\\b|\\ben stock\\b|\\bdisponible "
	"(?:immediatement|en stock)\\b|\\bdepuis notre stock\\b";
/* Words that negate a promise before it in its sentence. */
static const char content_negation_re[] =
	"\\b(?:not|no|never|no longer|nicht|kein\\w*|nie|sin|ni|nunca|pas|plus|jamais|aucun\\w*|"
	"out of)\\b";
/* A partial promise names only part of what was asked. */
static const char content_partial_re[] =
	"\\b(?:part of|partly|partially|some of|ein teil|teilweise|una parte|en parte|"
	"une partie|en partie)\\b";
/* "Has shipped" said of an order. */
static const char content_shipped_re[] =
	"\\b(?:has|have|was|were|been)\\s+(?:already\\s+)?(?:shipped|dispatched|sent|delivered)\\b"
	"|\\bis on (?:its|the) way\\b|\\bleft our warehouse\\b|\\bwurde\\s+(?:bereits\\s+)?"
	"(?:versandt|verschickt|zugestellt)\\b|\\bist unterwegs\\b|\\bha sido (?:enviado|"
	"entregado)\\b|\\bse ha enviado\\b|\\bsalio de nuestro almacen\\b|\\ba ete "
	"(?:expediee?|livree?)\\b|\\ba quitte notre entrepot\\b";
#define CONTENT_SKU_RE   "\\bHP[-\\s]?(\\d{5})\\b"
#define CONTENT_ORDER_RE "\\bSO[-\\s]?(\\d{6})\\b"
#define CONTENT_TRACKING_RE \
	"\\b(?:[A-Z]{2}\\d{9,20}|1Z[0-9A-Z]{16}|[A-Z]{2,4}-[A-Z]{2}-\\d{6,}|\\d{12,22})\\b"

struct content_ctx {
	const struct guard_content_input *in;
	struct guard_result *out;
	size_t added;
	bool failed;
};

static void content_flag(struct content_ctx *c, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void content_flag(struct content_ctx *c, const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	c->added += (size_t)guard_result_addv(c->out, name, fmt, ap);
	va_end(ap);
}

static pcre2_code *content_compile(struct content_ctx *c, const char *re, bool caseless)
{
	pcre2_code *code = regex_text(re, caseless ? PCRE2_CASELESS : 0);

	if (code == NULL)
		c->failed = true;
	return code;
}

/* Whether re matches s[len]; *at_r gets the start of the match. */
static bool content_match(pcre2_code *re, const char *s, size_t len, size_t *at_r)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
	bool hit;

	if (md == NULL)
		return false;
	hit = regex_match(re, (PCRE2_SPTR)s, len, 0, 0, md, NULL) >= 0;
	if (hit && at_r != NULL)
		*at_r = pcre2_get_ovector_pointer(md)[0];
	pcre2_match_data_free(md);
	return hit;
}

/* --- empty sections --- */

static void content_trim(const char *s, size_t n, const char **t_r, size_t *n_r)
{
	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	*t_r = s;
	*n_r = n;
}

static bool content_is_heading(const char *t, size_t n)
{
	return n > 0 && n < 160 && (t[n - 1] == ':' || t[0] == '#');
}

static bool content_is_signoff(struct content_ctx *c, const char *t, size_t n)
{
	char line[CONTENT_LINE_MAX], *f;
	size_t i, k;
	bool hit = false;

	snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) - 1 ? n : sizeof(line) - 1), t);
	f = lang_fold(line);
	if (f == NULL) {
		c->failed = true;
		return false;
	}
	for (i = 0; i < ARRAY_SIZE(content_signoffs) && !hit; i++) {
		k = strlen(content_signoffs[i]);
		hit = strncmp(f, content_signoffs[i], k) == 0 &&
		      (f[k] == '\0' || f[k] == ',' || f[k] == '.' || f[k] == '!' || f[k] == ' ');
	}
	free(f);
	return hit;
}

/* A heading or "Label:" line with nothing under it before the sign-off,
 * the next heading or the end. The first line (the greeting, which in
 * Spanish ends in a colon) is no heading. */
static void content_check_sections(struct content_ctx *c)
{
	const char *p = c->in->body, *line, *t, *nt, *q;
	size_t n, tn, nn;
	bool first = true;

	while (p != NULL && *p != '\0') {
		line = p;
		p = strchr(p, '\n');
		n = p != NULL ? (size_t)(p - line) : strlen(line);
		if (p != NULL)
			p++;
		content_trim(line, n, &t, &tn);
		if (tn == 0 || t[0] == '>')
			continue;
		if (first) {
			first = false;
			continue;
		}
		if (!content_is_heading(t, tn))
			continue;
		/* the next line with text */
		nt = NULL;
		nn = 0;
		for (q = p; q != NULL && *q != '\0';) {
			const char *l2 = q;
			size_t n2;

			q = strchr(q, '\n');
			n2 = q != NULL ? (size_t)(q - l2) : strlen(l2);
			if (q != NULL)
				q++;
			content_trim(l2, n2, &nt, &nn);
			if (nn > 0)
				break;
			nt = NULL;
		}
		if (nt == NULL || content_is_heading(nt, nn) || content_is_signoff(c, nt, nn))
			content_flag(c, "empty_section", "\"%.*s\" is followed by nothing",
				     (int)(tn < 120 ? tn : 120), t);
	}
}

/* --- promises --- */

static const json_t *content_fact(const json_t *facts, const char *ns, const char *key)
{
	const json_t *e;
	const char *k;
	size_t i;

	json_array_foreach(json_object_get(facts, ns), i, e)
	{
		k = json_string_value(json_object_get(e, "key"));
		if (k != NULL && strcasecmp(k, key) == 0)
			return e;
	}
	return NULL;
}

static bool content_number(const json_t *o, const char *field, double *v_r)
{
	const json_t *v = json_object_get(o, field);

	if (json_is_number(v)) {
		*v_r = json_number_value(v);
		return true;
	}
	return json_is_string(v) && parse_double(json_string_value(v), -1e12, 1e12, v_r) == 0;
}

/* Whether sentence s[n] writes the number v ("1,200", "1.200", "200"). */
static bool content_has_number(const char *s, size_t n, double v)
{
	size_t i = 0, j;
	double x;

	while (i < n) {
		if (s[i] < '0' || s[i] > '9' || (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9')) {
			i++;
			continue;
		}
		for (j = i; j < n && ((s[j] >= '0' && s[j] <= '9') || s[j] == '.' || s[j] == ',' ||
				      (unsigned char)s[j] == 0xc2 || (unsigned char)s[j] == 0xa0);
		     j++)
			;
		while (j > i && (s[j - 1] < '0' || s[j - 1] > '9'))
			j--;
		if (qty_parse_number(s + i, j - i, &x) == 0 && x == v)
			return true;
		i = j + 1;
	}
	return false;
}

static double content_requested(const struct guard_content_input *in, const char *key)
{
	size_t i;

	for (i = 0; i < in->requested_count; i++) {
		if (strcmp(in->requested[i].key, key) == 0 &&
		    in->requested[i].confidence >= KEYS_QTY_KNOWN)
			return in->requested[i].quantity;
	}
	return 0;
}

/* A promise of goods leaving now in sentence s[n] (original text) about
 * key: flags it when the facts do not back it. */
static void content_promise_sku(struct content_ctx *c, const char *s, size_t n, const char *key,
				bool partial)
{
	const json_t *e = content_fact(c->in->facts, "inventory", key);
	double have, q;

	if (e == NULL || !json_is_true(json_object_get(e, "found"))) {
		content_flag(c, "unsupported_promise", "promises %s now, which is no known item",
			     key);
		return;
	}
	if (json_is_true(json_object_get(e, "discontinued"))) {
		content_flag(c, "unsupported_promise", "promises %s now, but it is discontinued",
			     key);
		return;
	}
	if (!content_number(e, "qty_on_hand", &have)) {
		content_flag(c, "unsupported_promise", "promises %s now, but its stock is unknown",
			     key);
		return;
	}
	if (have <= 0) {
		content_flag(c, "unsupported_promise", "promises %s now, but %.0f are on hand", key,
			     have);
		return;
	}
	q = content_requested(c->in, key);
	if (!partial && q > have && content_has_number(s, n, q) && !content_has_number(s, n, have))
		content_flag(c, "unsupported_promise",
			     "promises all %.0f of %s now, but %.0f are on hand", q, key, have);
}

/* The keys re finds in s[n], canonical with prefix ("HP-", "SO-"). */
static size_t content_keys(pcre2_code *re, const char *prefix, const char *s, size_t n,
			   char keys[][16], size_t max)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
	PCRE2_SIZE *ov;
	size_t off = 0, k = 0;

	if (md == NULL)
		return 0;
	while (k < max && off < n && regex_match(re, (PCRE2_SPTR)s, n, off, 0, md, NULL) > 1) {
		ov = pcre2_get_ovector_pointer(md);
		snprintf(keys[k++], 16, "%s%.*s", prefix, (int)(ov[3] - ov[2]), s + ov[2]);
		off = ov[1];
	}
	pcre2_match_data_free(md);
	return k;
}

struct content_res {
	pcre2_code *promise, *negation, *partial, *shipped, *sku, *order;
};

/* One sentence: its promises against the stock and the orders. para_sku is
 * the SKU last named in the paragraph before it ("" none). */
static void content_sentence(struct content_ctx *c, const struct content_res *re, const char *s,
			     size_t n, char *para_sku)
{
	char keys[8][16], *f, line[CONTENT_LINE_MAX];
	const json_t *e;
	size_t nk, i, at, fn;
	const char *status;

	snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) - 1 ? n : sizeof(line) - 1), s);
	nk = content_keys(re->sku, "HP-", s, n, keys, 8);
	f = lang_fold(line);
	if (f == NULL) {
		c->failed = true;
		return;
	}
	fn = strlen(f);
	if (content_match(re->promise, f, fn, &at) && !content_match(re->negation, f, at, NULL)) {
		bool partial = content_match(re->partial, f, fn, NULL);

		for (i = 0; i < nk; i++)
			content_promise_sku(c, s, n, keys[i], partial);
		if (nk == 0 && para_sku[0] != '\0')
			content_promise_sku(c, s, n, para_sku, partial);
	}
	if (content_match(re->shipped, f, fn, &at) && !content_match(re->negation, f, at, NULL)) {
		char orders[8][16];
		size_t no = content_keys(re->order, "SO-", s, n, orders, 8);

		for (i = 0; i < no; i++) {
			e = content_fact(c->in->facts, "order", orders[i]);
			status = json_string_value(json_object_get(e, "status"));
			if (e != NULL && json_is_true(json_object_get(e, "found")) &&
			    (status == NULL ||
			     (strcmp(status, "shipped") != 0 && strcmp(status, "delivered") != 0)))
				content_flag(c, "unsupported_promise",
					     "says %s has shipped, but its status is %s", orders[i],
					     status != NULL ? status : "unknown");
		}
	}
	if (nk > 0)
		str_copy(para_sku, 16, keys[nk - 1]);
	free(f);
}

static void content_check_promises(struct content_ctx *c)
{
	struct content_res re;
	const char *p = c->in->body, *s;
	char para_sku[16] = "";
	size_t n;

	memset(&re, 0, sizeof(re));
	re.promise = content_compile(c, content_promise_re, true);
	re.negation = content_compile(c, content_negation_re, true);
	re.partial = content_compile(c, content_partial_re, true);
	re.shipped = content_compile(c, content_shipped_re, true);
	re.sku = content_compile(c, CONTENT_SKU_RE, true);
	re.order = content_compile(c, CONTENT_ORDER_RE, true);
	if (c->failed)
		goto out;
	while (*p != '\0') {
		/* a sentence ends at . ! ? ; or a line end; a blank line ends
		 * the paragraph and what it said about an item */
		s = p;
		n = strcspn(p, ".!?;\n");
		p += n;
		/* "3.95" and "1.200" are no sentence ends */
		while (*p == '.' && p[1] >= '0' && p[1] <= '9') {
			p++;
			n = (size_t)(p - s) + strcspn(p, ".!?;\n");
			p = s + n;
		}
		if (n > 0 && s[0] != '>')
			content_sentence(c, &re, s, n, para_sku);
		if (*p == '\n' && p[1] == '\n')
			para_sku[0] = '\0';
		if (*p != '\0')
			p++;
	}
out:
	return; /* C11 wants a statement after a label (clang 14 refuses none) */
}

/* --- the customer's data as the answer --- */

/* Adds the tracking-like tokens and the facts' carrier names found in text
 * (outside quoted lines) to tokens. */
static size_t content_answer_tokens(struct content_ctx *c, pcre2_code *re, const char *text,
				    char tokens[][CONTENT_TOKEN_MAX], size_t max)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
	const json_t *e;
	const char *carrier;
	PCRE2_SIZE *ov;
	size_t off = 0, k = 0, len = strlen(text), i;

	if (md == NULL) {
		c->failed = true;
		return 0;
	}
	while (k < max && regex_match(re, (PCRE2_SPTR)text, len, off, 0, md, NULL) >= 0) {
		ov = pcre2_get_ovector_pointer(md);
		snprintf(tokens[k++], CONTENT_TOKEN_MAX, "%.*s", (int)(ov[1] - ov[0]),
			 text + ov[0]);
		off = ov[1];
	}
	pcre2_match_data_free(md);
	json_array_foreach(json_object_get(c->in->facts, "order"), i, e)
	{
		carrier = json_string_value(json_object_get(e, "carrier"));
		if (k < max && carrier != NULL && carrier[0] != '\0' &&
		    strcasestr(text, carrier) != NULL)
			str_copy(tokens[k++], CONTENT_TOKEN_MAX, carrier);
	}
	return k;
}

/* The draft's answer (tracking numbers, carriers) only repeats what the
 * customer wrote: "your tracking number is JD0146..." to someone who wrote
 * that it does not work. Dates of ours count as something new. */
static void content_check_echo(struct content_ctx *c)
{
	char tokens[CONTENT_TOKENS_MAX][CONTENT_TOKEN_MAX], *dates = NULL;
	pcre2_code *re, *date;
	size_t n, i;

	if (c->in->customer_text == NULL || c->in->body == NULL)
		return;
	re = content_compile(c, CONTENT_TRACKING_RE, false);
	date = content_compile(
		c,
		"\\b\\d{1,2}[./]\\d{1,2}[./]\\d{2,4}\\b|\\b20\\d{2}-\\d{2}-\\d{2}\\b|"
		"\\b\\d{1,2}\\.? (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|"
		"m[aä]r|mai|okt|dez|ene|abr|ago|dic|janv|fevr|avr|juil|aout|sept|"
		"oct|nov|dec)",
		true);
	if (re == NULL || date == NULL)
		goto out;
	n = content_answer_tokens(c, re, c->in->body, tokens, CONTENT_TOKENS_MAX);
	if (n == 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (strcasestr(c->in->customer_text, tokens[i]) == NULL)
			goto out; /* something the customer did not write */
	}
	/* a date of ours (ship date, ETA) is news too */
	dates = lang_fold(c->in->body);
	if (dates == NULL) {
		c->failed = true;
		goto out;
	}
	if (content_match(date, dates, strlen(dates), NULL))
		goto out;
	content_flag(c, "echoes_customer",
		     "the reply's answer is only what the customer wrote (%s) with nothing of ours",
		     tokens[0]);
out:
	free(dates);
}

/* --- language --- */

static void content_check_language(struct content_ctx *c)
{
	const char *want = c->in->customer_lang, *got = c->in->draft_lang;

	if (want == NULL || want[0] == '\0' || c->in->body == NULL || c->in->body[0] == '\0')
		return;
	if (got == NULL || got[0] == '\0')
		got = lang_detect(c->in->body);
	if (strcmp(want, got) == 0)
		return;
	if (c->in->draft_lang != NULL)
		content_flag(c, "language_fallback",
			     "the customer wrote in %s but there is no %s template for %s: the "
			     "reply is in %s",
			     want, want,
			     c->in->category != NULL ? c->in->category : "this category", got);
	else
		content_flag(c, "language_fallback",
			     "the customer wrote in %s but the reply reads as %s", want, got);
}

int guard_content_check(const struct guard_content_input *in, struct guard_result *out)
{
	struct content_ctx c = {.in = in, .out = out};

	if (in->body == NULL)
		return 0;
	content_check_sections(&c);
	content_check_promises(&c);
	content_check_echo(&c);
	content_check_language(&c);
	if (c.failed) {
		content_flag(&c, "error", "the content guardrails could not run (out of memory)");
		return -1;
	}
	return (int)c.added;
}
