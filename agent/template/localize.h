/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_LOCALIZE_H
#define DRAFTD_LOCALIZE_H

#include <stddef.h>

/* Numbers, amounts and dates as a reply in a given language writes them
 * (issue 17): en 1,234.50 / EUR 1,234.50 / 11 March 2025; de 1.234,50 /
 * 1.234,50 EUR / 11.03.2025; es 1.234,50 / 1.234,50 EUR / 11/03/2025; fr
 * 1 234,50 (no-break space) / 1 234,50 EUR / 11/03/2025. Any other language
 * is written as en. Pure functions: thread-safe. Each returns 0, or -1 when
 * the value cannot be written (out holds ""). */

/* decimals < 0: none for a whole number, else up to two (1,5 / 1.25). */
int loc_number(const char *lang, double v, int decimals, char *out, size_t size);
/* An amount in euros, two decimals and the currency where the language
 * puts it. */
int loc_money(const char *lang, double v, char *out, size_t size);
/* A date "YYYY-MM-DD" (a longer ISO timestamp is cut to its date); -1 when
 * iso is no valid date. */
int loc_date(const char *lang, const char *iso, char *out, size_t size);

#endif
