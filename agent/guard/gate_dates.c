/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/guard/gate_int.h"
#include "daemon/lib/util.h"

/* Dates in a draft that are no date of the facts. The guardrails let a
 * reviewed draft repeat a date the customer wrote; an automatic reply may
 * state only the facts' own dates (ship_date, eta, ...), so a model cannot
 * be talked into promising a delivery day. */

#define GATE_MONTHS                                                                         \
	"(january|february|march|april|may|june|july|august|september|october|november|"    \
	"december|januar|februar|märz|marz|mai|juni|juli|oktober|dezember|enero|febrero|"  \
	"marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|"       \
	"diciembre|janvier|février|fevrier|mars|avril|juin|juillet|août|aout|septembre|"  \
	"octobre|novembre|décembre|decembre|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|okt|" \
	"nov|dec|dez)"

static const struct {
	const char *name;
	int month;
} gate_months[] = {
	{"jan", 1},  {"ene", 1},  {"feb", 2},  {"fev", 2},  {"fév", 2},  {"mar", 3},  {"mär", 3},
	{"apr", 4},  {"abr", 4},  {"avr", 4},  {"may", 5},  {"mai", 5},  {"jun", 6},  {"jui", 6},
	{"jul", 7},  {"aug", 8},  {"ago", 8},  {"aoû", 8},  {"aou", 8},  {"sep", 9},  {"set", 9},
	{"oct", 10}, {"okt", 10}, {"nov", 11}, {"dec", 12}, {"dez", 12}, {"dic", 12}, {"déc", 12},
};

/* The month of a (lower-case) month name: its first three letters, with
 * "juin"/"juillet" told apart. */
static int gate_month(const char *s, size_t n)
{
	size_t i, k;

	if (n >= 4 && strncmp(s, "juil", 4) == 0)
		return 7;
	for (i = 0; i < ARRAY_SIZE(gate_months); i++) {
		k = strlen(gate_months[i].name);
		if (n >= 3 && k <= n && strncmp(s, gate_months[i].name, k) == 0)
			return gate_months[i].month;
	}
	return 0;
}

static int gate_int(const char *s, size_t a, size_t b)
{
	int v = 0;

	if (a == PCRE2_UNSET)
		return 0;
	for (; a < b && v < 100000; a++)
		if (s[a] >= '0' && s[a] <= '9')
			v = v * 10 + (s[a] - '0');
	return v;
}

/* Whether the facts hold the date (y 0: any year). */
static bool gate_date_known(const struct gate_ctx *c, int y, int m, int d)
{
	char want[32];
	const char *p;

	if (y > 0 && y < 100)
		y += 2000;
	if (y > 0) {
		snprintf(want, sizeof(want), "%04d-%02d-%02d", y, m, d);
		return strstr(c->facts_str, want) != NULL;
	}
	snprintf(want, sizeof(want), "-%02d-%02d", m, d);
	for (p = c->facts_str; (p = strstr(p, want)) != NULL; p++)
		if (p - c->facts_str >= 4)
			return true;
	return false;
}

static void gate_date(struct gate_ctx *c, size_t s, size_t e, int y, int m, int d, int alt_m,
		      int alt_d)
{
	if (m < 1 || m > 12 || d < 1 || d > 31)
		return;
	if (gate_date_known(c, y, m, d) || (alt_m > 0 && alt_m <= 12 && alt_d > 0 && alt_d <= 31 &&
					    gate_date_known(c, y, alt_m, alt_d)))
		return;
	gate_flag(c, "%.*s is no date of the facts", (int)(e - s < 40 ? e - s : 40), c->text + s);
}

void gate_dates(struct gate_ctx *c)
{
	static const char *const res[] = {
		"\\b(\\d{4})-(\\d{1,2})-(\\d{1,2})\\b",
		"(?<![\\d.])(\\d{1,2})\\.(\\d{1,2})\\.(\\d{2,4})?(?![\\d,])",
		"\\b(\\d{1,2})/(\\d{1,2})/(\\d{2,4})\\b",
		"\\b(\\d{1,2})(?:st|nd|rd|th|er|\\.)?\\s+(?:of\\s+|de\\s+)?" GATE_MONTHS
		"\\b\\.?(?:,?\\s+(?:de\\s+)?(\\d{4}))?",
		"\\b" GATE_MONTHS "\\b\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?\\b(?:,?\\s+(\\d{4}))?",
	};
	pcre2_match_data *md = pcre2_match_data_create(8, NULL);
	pcre2_code *re;
	PCRE2_SIZE *ov;
	size_t i, off;
	int a, b, y;

	if (md == NULL) {
		c->failed = true;
		return;
	}
	for (i = 0; i < ARRAY_SIZE(res) && !c->failed; i++) {
		re = gate_compile(c, res[i], true);
		for (off = 0;
		     re != NULL && off <= c->len &&
		     regex_match(re, (PCRE2_SPTR)c->lower, c->len, off, 0, md, NULL) >= 0;) {
			ov = pcre2_get_ovector_pointer(md);
			off = ov[1] > off ? ov[1] : off + 1;
			if (i == 0) {
				gate_date(c, ov[0], ov[1], gate_int(c->lower, ov[2], ov[3]),
					  gate_int(c->lower, ov[4], ov[5]),
					  gate_int(c->lower, ov[6], ov[7]), 0, 0);
			} else if (i == 1 || i == 2) {
				a = gate_int(c->lower, ov[2], ov[3]);
				b = gate_int(c->lower, ov[4], ov[5]);
				y = gate_int(c->lower, ov[6], ov[7]);
				/* 03/04: the 3rd of April, or March the 4th */
				gate_date(c, ov[0], ov[1], y, b, a, i == 2 ? a : 0, i == 2 ? b : 0);
			} else if (i == 3) {
				gate_date(c, ov[0], ov[1], gate_int(c->lower, ov[6], ov[7]),
					  gate_month(c->lower + ov[4], ov[5] - ov[4]),
					  gate_int(c->lower, ov[2], ov[3]), 0, 0);
			} else {
				gate_date(c, ov[0], ov[1], gate_int(c->lower, ov[6], ov[7]),
					  gate_month(c->lower + ov[2], ov[3] - ov[2]),
					  gate_int(c->lower, ov[4], ov[5]), 0, 0);
			}
		}
	}
	pcre2_match_data_free(md);
}

void gate_placeholders(struct gate_ctx *c)
{
	static const char *const names[] = {
		"[NAME]", "[ADDRESS]",  "[PHONE]",       "[EMAIL]", "[LINK]",
		"[IBAN]", "[ORDER_ID]", "[TRACKING_ID]", "[SKU]",   "[AMOUNT]",
		"[DATE]", "[NUMBER]",   "[DATA]",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (strstr(c->text, names[i]) != NULL)
			gate_flag(c, "%s: the draft copies a redacted example", names[i]);
}
