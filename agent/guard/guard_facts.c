/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/guard/guard_int.h"
#include "agent/text/lang.h"
#include "daemon/lib/util.h"

/* Figures and dates of a draft against the facts. Numbers are matched on the
 * raw text, dates on the folded one (month names without accents). */

#define GUARD_AMOUNTS_MAX 512
#define GUARD_DATES_MAX   128
#define GUARD_QTYS_MAX    128

/* a group separator: ".", ",", "'" or the no-break spaces French uses; the
 * guardrails read NFKC text (agent/text/text_norm.h), where those are plain
 * spaces, so one space before exactly three digits groups too */
#define GUARD_GROUP "(?:[.,']|\xc2\xa0|\xe2\x80\xaf| (?=\\d{3}(?!\\d)))"
#define GUARD_NUM   "(\\d{1,3}(?:" GUARD_GROUP "\\d{3})+(?:[.,]\\d{1,2})?|\\d+(?:[.,]\\d{1,2})?)"
#define GUARD_AMOUNT_RE                                                      \
	"(?:(?:\\bEUR|\xe2\x82\xac)\\s?" GUARD_NUM "|(?<![\\d.,])" GUARD_NUM \
	"\\s?(?:EUR\\b|\xe2\x82\xac|euros?\\b))"
#define GUARD_INT "(?<![\\d.,])(\\d{1,3}(?:" GUARD_GROUP "\\d{3})+|\\d+)(?![.,]?\\d)"
#define GUARD_UNIT                                  \
	"(?:pcs\\.?|pieces|pc\\.?|units|st\xc3\xbc" \
	"ck|stk\\.?|unidades|uds\\.?|pi\xc3\xa8"    \
	"ces)"
#define GUARD_QTY_RE GUARD_INT "\\s*(?:x|\xc3\x97|" GUARD_UNIT ")(?!\\w)"
#define GUARD_STOCK_A_RE                                                                      \
	GUARD_INT "\\s*" GUARD_UNIT "?\\s*(?:(?:are|is|sind|ist|est\xc3\xa1n|son|sont)\\s+)?" \
		  "(?:(?:currently|now|still|derzeit|noch)\\s+)?"                             \
		  "(?:on\\s+hand|in\\s+stock|available|auf\\s+lager|am\\s+lager|"             \
		  "vorr\xc3\xa4tig|verf\xc3\xbc"                                              \
		  "gbar|lieferbar|en\\s+stock|disponibles?|en\\s+existencia)"
#define GUARD_STOCK_B_RE                                                      \
	"(?:stock(?:\\s+level)?|on\\s+hand|bestand|lagerbestand|existencias|" \
	"disponibilit\xc3\xa9)\\s*[:=]\\s*" GUARD_INT
#define GUARD_LEAD_RE                                                                      \
	"(?:lead\\s+time|lieferzeit|plazo(?:\\s+de\\s+entrega)?|d\xc3\xa9lai(?:\\s+de\\s+" \
	"livraison)?)[^\\n]{0,40}?(?<![\\d.,-])(\\d{1,3})\\s*(?:(?:working|business|"      \
	"calendar)\\s+)?(?:days?|tagen?|d\xc3\xad"                                         \
	"as|jours?)\\b"

#define GUARD_MONTHS                                                                        \
	"(january|february|march|april|may|june|july|august|september|october|november|"    \
	"december|januar|februar|marz|mai|juni|juli|oktober|dezember|enero|febrero|marzo|"  \
	"abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre|"   \
	"janvier|fevrier|mars|avril|juin|juillet|aout|septembre|octobre|novembre|decembre|" \
	"jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|okt|nov|dec|dez)"

static const struct {
	const char *name;
	int month;
} guard_month_names[] = {
	{"january", 1},   {"januar", 1},    {"enero", 1},      {"janvier", 1},   {"jan", 1},
	{"february", 2},  {"februar", 2},   {"febrero", 2},    {"fevrier", 2},   {"feb", 2},
	{"march", 3},     {"marz", 3},      {"marzo", 3},      {"mars", 3},      {"mar", 3},
	{"april", 4},     {"abril", 4},     {"avril", 4},      {"apr", 4},       {"may", 5},
	{"mai", 5},       {"mayo", 5},      {"june", 6},       {"juni", 6},      {"junio", 6},
	{"juin", 6},      {"jun", 6},       {"july", 7},       {"juli", 7},      {"julio", 7},
	{"juillet", 7},   {"jul", 7},       {"august", 8},     {"agosto", 8},    {"aout", 8},
	{"aug", 8},       {"september", 9}, {"septiembre", 9}, {"setiembre", 9}, {"septembre", 9},
	{"sept", 9},      {"sep", 9},       {"october", 10},   {"oktober", 10},  {"octubre", 10},
	{"octobre", 10},  {"oct", 10},      {"okt", 10},       {"november", 11}, {"noviembre", 11},
	{"novembre", 11}, {"nov", 11},      {"december", 12},  {"dezember", 12}, {"diciembre", 12},
	{"decembre", 12}, {"dec", 12},      {"dez", 12},
};

struct guard_date {
	int y, m, d; /* y 0: not stated */
	int m2, d2;  /* the other reading of "3/4/2025" (d/m or m/d), 0 when none */
};

struct guard_dates {
	struct guard_date v[GUARD_DATES_MAX];
	size_t n;
};

/* "1,077.50", "1.077,50", "3,95", "20,000" -> value; a separator followed by
 * three digits groups thousands, by one or two it is the decimal mark. */
static int guard_number(const char *s, size_t n, double *v_r)
{
	char digits[48];
	size_t i, k = 0, last = n, tail;

	for (i = 0; i < n; i++)
		if (s[i] == '.' || s[i] == ',')
			last = i;
	tail = last < n ? n - last - 1 : 0;
	for (i = 0; i < n && k + 2 < sizeof(digits); i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits[k++] = s[i];
		else if (i == last && tail > 0 && tail < 3)
			digits[k++] = '.';
	}
	digits[k] = '\0';
	return k > 0 && parse_double(digits, 0, 1e12, v_r) == 0 ? 0 : -1;
}

static const json_t *guard_inventory_found(const struct guard_ctx *c, const char *sku)
{
	const json_t *f = guard_fact(c, "inventory", sku);

	return f != NULL && json_is_true(json_object_get(f, "found")) ? f : NULL;
}

/* Quantities of sku: what the customer asked for, else what the draft
 * states next to it ("200 x", "10 pcs"). */
static size_t guard_quantities(struct guard_ctx *c, pcre2_code *qty_re, const char *sku, double *q,
			       size_t max)
{
	PCRE2_SIZE *ov;
	size_t i, n = 0, off;
	char near[16];
	double v;

	for (i = 0; i < c->in->requested_count && n < max; i++)
		if (strcmp(c->in->requested[i].key, sku) == 0 && c->in->requested[i].quantity > 0)
			q[n++] = (double)c->in->requested[i].quantity;
	if (n > 0 || qty_re == NULL)
		return n;
	for (off = 0;
	     n < max && regex_match(qty_re, (PCRE2_SPTR)c->text, c->len, off, 0, c->md, NULL) >= 0;
	     off = ov[1]) {
		ov = pcre2_get_ovector_pointer(c->md);
		guard_sku_near(c, ov[0], near, sizeof(near));
		if (strcmp(near, sku) == 0 && guard_number(c->text + ov[2], ov[3] - ov[2], &v) == 0)
			q[n++] = v;
	}
	return n;
}

static void guard_add(double *a, size_t *n, double v)
{
	if (*n < GUARD_AMOUNTS_MAX)
		a[(*n)++] = v;
}

void guard_check_amounts(struct guard_ctx *c)
{
	pcre2_code *re = guard_compile(c, GUARD_AMOUNT_RE, true);
	pcre2_code *qty_re = guard_compile(c, GUARD_QTY_RE, true);
	const json_t *list, *e;
	double *ok = calloc(GUARD_AMOUNTS_MAX, sizeof(*ok)), q[GUARD_QTYS_MAX], u, v, lines = 0,
	       lines1 = 0;
	size_t n = 0, i, k, nq, off, g;
	const char *key;
	PCRE2_SIZE *ov;
	bool known;

	if (re == NULL || qty_re == NULL || ok == NULL) {
		c->failed = true;
		goto out;
	}
	json_array_foreach(json_object_get(c->in->facts, "inventory"), i, e)
	{
		key = json_string_value(json_object_get(e, "key"));
		if (key == NULL || !json_is_true(json_object_get(e, "found")) ||
		    !guard_fact_number(e, "unit_price_eur", &u))
			continue;
		guard_add(ok, &n, u);
		nq = guard_quantities(c, qty_re, key, q, GUARD_QTYS_MAX);
		for (k = 0; k < nq; k++)
			guard_add(ok, &n, q[k] * u);
		lines += nq > 0 ? q[0] * u : 0;
		lines1 += (nq > 0 ? q[0] : 1) * u;
	}
	guard_add(ok, &n, lines);
	guard_add(ok, &n, lines1);
	list = json_object_get(c->in->facts, "order");
	json_array_foreach(list, i, e)
	{
		if (json_is_true(json_object_get(e, "found")) &&
		    guard_fact_number(e, "total_eur", &v))
			guard_add(ok, &n, v);
	}
	if (guard_fact_number(json_object_get(c->in->facts, "quote"), "estimated_total_eur", &v))
		guard_add(ok, &n, v);
	for (off = 0; regex_match(re, (PCRE2_SPTR)c->text, c->len, off, 0, c->md, NULL) >= 0;
	     off = ov[1]) {
		ov = pcre2_get_ovector_pointer(c->md);
		g = ov[2] != PCRE2_UNSET ? 2 : 4;
		if (guard_number(c->text + ov[g], ov[g + 1] - ov[g], &v) < 0)
			continue;
		known = false;
		for (k = 0; k < n && !known; k++)
			known = fabs(ok[k] - v) < 0.006;
		if (!known)
			guard_flag(c, "wrong_price",
				   "EUR %.2f matches no price, line or total of the "
				   "facts",
				   v);
	}
out:
	free(ok);
}

/* One stock figure or lead time at pos against the SKU it is next to (or,
 * with none on its line, against every SKU of the facts). */
static void guard_figure(struct guard_ctx *c, pcre2_code *qty_re, size_t pos, double v,
			 const char *field, const char *flag)
{
	const json_t *f, *e;
	double have, q[GUARD_QTYS_MAX];
	size_t i, k, nq;
	char sku[16];
	const char *key;

	guard_sku_near(c, pos, sku, sizeof(sku));
	f = sku[0] != '\0' ? guard_inventory_found(c, sku) : NULL;
	if (sku[0] != '\0' && f == NULL)
		return; /* unknown_sku already says it */
	json_array_foreach(json_object_get(c->in->facts, "inventory"), i, e)
	{
		if (f != NULL && e != f)
			continue;
		key = json_string_value(json_object_get(e, "key"));
		if (key == NULL || !json_is_true(json_object_get(e, "found")) ||
		    !guard_fact_number(e, field, &have))
			continue;
		if (fabs(have - v) < 0.5)
			return;
		/* "all 200 you asked for are in stock" is true when 200 are on hand */
		nq = strcmp(field, "qty_on_hand") == 0
			     ? guard_quantities(c, qty_re, key, q, GUARD_QTYS_MAX)
			     : 0;
		for (k = 0; k < nq; k++)
			if (fabs(q[k] - v) < 0.5 && v <= have)
				return;
	}
	if (f != NULL && guard_fact_number(f, field, &have))
		guard_flag(c, flag, "%s: the draft says %.0f, the facts say %.0f", sku, v, have);
	else
		guard_flag(c, flag, "%.0f matches no %s of the facts", v, field);
}

static void guard_figures(struct guard_ctx *c, const char *regex, const char *field,
			  const char *flag)
{
	pcre2_code *re = guard_compile(c, regex, true);
	pcre2_code *qty_re = guard_compile(c, GUARD_QTY_RE, true);
	pcre2_match_data *md = pcre2_match_data_create(4, NULL);
	PCRE2_SIZE *ov;
	size_t off;
	double v;

	if (re == NULL || qty_re == NULL || md == NULL) {
		c->failed = true;
		goto out;
	}
	for (off = 0; regex_match(re, (PCRE2_SPTR)c->text, c->len, off, 0, md, NULL) >= 0;
	     off = ov[1]) {
		ov = pcre2_get_ovector_pointer(md);
		if (guard_number(c->text + ov[2], ov[3] - ov[2], &v) == 0)
			guard_figure(c, qty_re, ov[2], v, field, flag);
	}
out:
	pcre2_match_data_free(md);
}

void guard_check_stock(struct guard_ctx *c)
{
	guard_figures(c, GUARD_STOCK_A_RE, "qty_on_hand", "wrong_quantity");
	guard_figures(c, GUARD_STOCK_B_RE, "qty_on_hand", "wrong_quantity");
	guard_figures(c, GUARD_LEAD_RE, "lead_time_days", "wrong_lead_time");
}

static int guard_int_at(const char *s, PCRE2_SIZE a, PCRE2_SIZE b)
{
	int v = 0;

	if (a == PCRE2_UNSET)
		return 0;
	for (; a < b && v < 10000; a++)
		v = v * 10 + (s[a] - '0');
	return v;
}

static int guard_month_of(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(guard_month_names) / sizeof(guard_month_names[0]); i++)
		if (strlen(guard_month_names[i].name) == n &&
		    memcmp(guard_month_names[i].name, s, n) == 0)
			return guard_month_names[i].month;
	return 0;
}

static void guard_date_add(struct guard_dates *dates, int y, int m, int d)
{
	if (y > 0 && y < 100)
		y += 2000;
	if (m < 1 || m > 12 || d < 1 || d > 31 || dates->n == GUARD_DATES_MAX)
		return;
	dates->v[dates->n++] = (struct guard_date){y, m, d, 0, 0};
}

/* "05/03/2025" is one date read two ways: it is known when either reading is. */
static void guard_date_add2(struct guard_dates *dates, int y, int m, int d, int m2, int d2)
{
	size_t n = dates->n;

	guard_date_add(dates, y, m, d);
	if (dates->n > n && m2 >= 1 && m2 <= 12 && d2 >= 1 && d2 <= 31) {
		dates->v[n].m2 = m2;
		dates->v[n].d2 = d2;
	} else if (dates->n == n) {
		guard_date_add(dates, y, m2, d2);
	}
}

/* Every date of folded text; "3/4/2025" counts both ways (d/m and m/d). */
static int guard_dates_of(struct guard_ctx *c, const char *text, struct guard_dates *dates)
{
	static const char *const res[] = {
		"\\b(20\\d{2})-(\\d{1,2})-(\\d{1,2})\\b",
		"\\b(\\d{1,2})\\.(\\d{1,2})\\.((?:20)?\\d{2})?(?![\\d.,])",
		"\\b(\\d{1,2})/(\\d{1,2})/((?:20)?\\d{2})\\b",
		"\\b(\\d{1,2})(?:st|nd|rd|th|er|\\.)?\\s+(?:of\\s+|de\\s+)?" GUARD_MONTHS
		"\\b\\.?(?:,?\\s+(?:de\\s+)?(20\\d{2}))?",
		"\\b" GUARD_MONTHS "\\b\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?\\b(?:,?\\s+(20\\d{2}))?",
	};
	pcre2_match_data *md = pcre2_match_data_create(8, NULL);
	size_t len = strlen(text), off, i;
	pcre2_code *re;
	PCRE2_SIZE *ov;
	int a, b, y;

	if (md == NULL)
		return -1;
	for (i = 0; i < sizeof(res) / sizeof(res[0]); i++) {
		re = guard_compile(c, res[i], true);
		if (re == NULL)
			break;
		for (off = 0; regex_match(re, (PCRE2_SPTR)text, len, off, 0, md, NULL) >= 0;
		     off = ov[1]) {
			ov = pcre2_get_ovector_pointer(md);
			if (i == 0) {
				guard_date_add(dates, guard_int_at(text, ov[2], ov[3]),
					       guard_int_at(text, ov[4], ov[5]),
					       guard_int_at(text, ov[6], ov[7]));
			} else if (i == 1 || i == 2) {
				a = guard_int_at(text, ov[2], ov[3]);
				b = guard_int_at(text, ov[4], ov[5]);
				y = guard_int_at(text, ov[6], ov[7]);
				if (i == 2)
					guard_date_add2(dates, y, b, a, a, b);
				else
					guard_date_add(dates, y, b, a);
			} else if (i == 3) {
				guard_date_add(dates, guard_int_at(text, ov[6], ov[7]),
					       guard_month_of(text + ov[4], ov[5] - ov[4]),
					       guard_int_at(text, ov[2], ov[3]));
			} else {
				guard_date_add(dates, guard_int_at(text, ov[6], ov[7]),
					       guard_month_of(text + ov[2], ov[3] - ov[2]),
					       guard_int_at(text, ov[4], ov[5]));
			}
		}
	}
	pcre2_match_data_free(md);
	return c->failed ? -1 : 0;
}

static bool guard_date_one(const struct guard_date *k, int y, int m, int d)
{
	return ((k->m == m && k->d == d) || (k->m2 == m && k->d2 == d && m > 0)) &&
	       (y == 0 || k->y == 0 || k->y == y);
}

static bool guard_date_known(const struct guard_dates *ok, const struct guard_date *d)
{
	size_t i;

	for (i = 0; i < ok->n; i++)
		if (guard_date_one(&ok->v[i], d->y, d->m, d->d) ||
		    (d->m2 > 0 && guard_date_one(&ok->v[i], d->y, d->m2, d->d2)))
			return true;
	return false;
}

void guard_check_dates(struct guard_ctx *c)
{
	static const char *const fields[] = {"ship_date", "eta"};
	struct guard_dates *draft = calloc(1, sizeof(*draft)), *ok = calloc(1, sizeof(*ok));
	char *req = NULL;
	const json_t *e;
	const char *v;
	size_t i, k;
	int y, m, d;

	if (draft == NULL || ok == NULL) {
		c->failed = true;
		goto out;
	}
	json_array_foreach(json_object_get(c->in->facts, "order"), i, e)
	{
		for (k = 0; k < 2; k++) {
			v = json_string_value(json_object_get(e, fields[k]));
			if (v != NULL && sscanf(v, "%4d-%2d-%2d", &y, &m, &d) == 3)
				guard_date_add(ok, y, m, d);
		}
	}
	if (c->in->request_text != NULL) {
		req = lang_fold(c->in->request_text);
		if (req == NULL || guard_dates_of(c, req, ok) < 0) {
			c->failed = true;
			goto out;
		}
	}
	if (guard_dates_of(c, c->folded, draft) < 0)
		goto out;
	for (i = 0; i < draft->n; i++)
		if (!guard_date_known(ok, &draft->v[i]))
			guard_flag(c, "wrong_date", "%04d-%02d-%02d is no date of the facts",
				   draft->v[i].y, draft->v[i].m, draft->v[i].d);
out:
	free(req);
	free(draft);
	free(ok);
}
