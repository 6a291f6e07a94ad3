/* SPDX-License-Identifier: MIT */
#include "agent/template/localize.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* The marks of one language: group separator, decimal mark, and where the
 * currency goes. The French group separator is a no-break space, so a
 * figure never breaks over two lines. */
struct loc_marks {
	const char *lang;
	const char *group;
	char decimal;
	bool currency_first;
};

static const struct loc_marks loc_table[] = {
	{"en", ",", '.', true},
	{"de", ".", ',', false},
	{"es", ".", ',', false},
	{"fr", "\xc2\xa0", ',', false},
};

static const char *const loc_months_en[] = {"January",   "February", "March",    "April",
					    "May",       "June",     "July",     "August",
					    "September", "October",  "November", "December"};

static const struct loc_marks *loc_marks(const char *lang)
{
	size_t i;

	for (i = 0; lang != NULL && i < sizeof(loc_table) / sizeof(loc_table[0]); i++) {
		if (strcmp(loc_table[i].lang, lang) == 0)
			return &loc_table[i];
	}
	return &loc_table[0];
}

static int loc_fail(char *out, size_t size)
{
	if (size > 0)
		out[0] = '\0';
	return -1;
}

int loc_number(const char *lang, double v, int decimals, char *out, size_t size)
{
	const struct loc_marks *m = loc_marks(lang);
	char digits[48], frac[8] = "";
	unsigned long long whole, cents;
	size_t n, i, k = 0, glen = strlen(m->group);
	bool neg = v < 0;

	if (!isfinite(v) || fabs(v) >= 1e15)
		return loc_fail(out, size);
	if (neg)
		v = -v;
	if (decimals < 0) {
		/* whole numbers plain, others with what they have (at most two) */
		cents = (unsigned long long)llround(v * 100.0);
		decimals = cents % 100 == 0 ? 0 : cents % 10 == 0 ? 1 : 2;
	}
	if (decimals > 2)
		decimals = 2;
	cents = (unsigned long long)llround(v * 100.0);
	whole = cents / 100;
	if (decimals == 1)
		snprintf(frac, sizeof(frac), "%c%llu", m->decimal, (cents % 100) / 10);
	else if (decimals == 2)
		snprintf(frac, sizeof(frac), "%c%02llu", m->decimal, cents % 100);
	else
		whole = (unsigned long long)llround(v);
	n = (size_t)snprintf(digits, sizeof(digits), "%llu", whole);
	if (size < n + n / 3 * glen + strlen(frac) + 2)
		return loc_fail(out, size);
	if (neg)
		out[k++] = '-';
	for (i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0) {
			memcpy(out + k, m->group, glen);
			k += glen;
		}
		out[k++] = digits[i];
	}
	memcpy(out + k, frac, strlen(frac) + 1);
	return 0;
}

int loc_money(const char *lang, double v, char *out, size_t size)
{
	const struct loc_marks *m = loc_marks(lang);
	char num[64];

	if (loc_number(lang, v, 2, num, sizeof(num)) < 0)
		return loc_fail(out, size);
	if ((size_t)snprintf(out, size, m->currency_first ? "EUR %s" : "%s EUR", num) >= size)
		return loc_fail(out, size);
	return 0;
}

static bool loc_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int loc_date(const char *lang, const char *iso, char *out, size_t size)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y = 0, mo = 0, d = 0, i;

	if (iso == NULL || strlen(iso) < 10)
		return loc_fail(out, size);
	for (i = 0; i < 10; i++) {
		if (i == 4 || i == 7) {
			if (iso[i] != '-')
				return loc_fail(out, size);
		} else if (iso[i] < '0' || iso[i] > '9') {
			return loc_fail(out, size);
		}
	}
	if (iso[10] != '\0' && iso[10] != 'T' && iso[10] != ' ')
		return loc_fail(out, size);
	y = (iso[0] - '0') * 1000 + (iso[1] - '0') * 100 + (iso[2] - '0') * 10 + (iso[3] - '0');
	mo = (iso[5] - '0') * 10 + (iso[6] - '0');
	d = (iso[8] - '0') * 10 + (iso[9] - '0');
	if (mo < 1 || mo > 12 || d < 1 || d > days[mo - 1] + (mo == 2 && loc_leap(y)))
		return loc_fail(out, size);
	if (lang != NULL && strcmp(lang, "de") == 0)
		snprintf(out, size, "%02d.%02d.%04d", d, mo, y);
	else if (lang != NULL && (strcmp(lang, "fr") == 0 || strcmp(lang, "es") == 0))
		snprintf(out, size, "%02d/%02d/%04d", d, mo, y);
	else
		snprintf(out, size, "%d %s %04d", d, loc_months_en[mo - 1], y);
	return 0;
}
