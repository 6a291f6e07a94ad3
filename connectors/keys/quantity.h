/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_QUANTITY_H
#define DRAFTD_QUANTITY_H

#include <stddef.h>

/* Quantities asked for next to the keys a mail mentions, in the layouts
 * customers use: plain lines ("50 x HP-10214", "HP-10214 - 50 pcs",
 * "qty 50"), lists ("- 500 bagues ... réf. HP-30108"), text tables (tab,
 * "|" or aligned columns, as agent/mime/mime_html.c renders HTML tables and as
 * spreadsheets paste), with or without a header row naming the quantity
 * column (qty, quantity, Menge, Anzahl, cantidad, quantité, ...), and
 * numbers and units as en/de/es/fr write them ("1.200", "1,200", "1 200",
 * "1,5", "200 Stück", "50 unidades", "30 pièces", "zwei Stück").
 *
 * Every answer has a confidence: 1 for a labelled or headed figure or one
 * with a unit next to the key, less for what is only likely, 0 for none.
 * Pure functions of their input: thread-safe, no allocation. */

/* Answers below this confidence are not a known quantity: a total built on
 * them would be a guess (issue 17: totals only when every line is known). */
#define QTY_KNOWN 0.5

enum qty_how {
	QTY_NONE = 0,
	QTY_TABLE,     /* the column under a quantity header */
	QTY_LABEL,     /* "qty 50", "Menge: 50" */
	QTY_UNIT,      /* a number with a unit next to the key: "50 x", "50 pcs" */
	QTY_UNIT_NEAR, /* with a unit, other words between: "20 pcs valve ... (HP-1)" */
	QTY_OF,        /* "200 of HP-20115", "200 de HP-..." */
	QTY_CELL,      /* the one number cell of a table row without a header */
	QTY_AFTER,     /* "HP-10214: 50", "HP-10214 - 50" at the end */
	QTY_LEADING,   /* a list item that starts with the number */
	QTY_BARE,      /* a number right before the key, nothing else */
	QTY_LINE,      /* on the line before or after, in the same item */
};

struct qty_answer {
	double quantity; /* 0: none found */
	double confidence;
	enum qty_how how;
};

/* One key mention: text[start, end). Mentions are sorted by start and do
 * not overlap. */
struct qty_span {
	size_t start, end;
};

/* Finds the quantity each of the count mentions asks for, in text[len]
 * (UTF-8, may be invalid). answers_r[i] belongs to mentions[i]. */
void qty_find(const char *text, size_t len, const struct qty_span *mentions, size_t count,
	      struct qty_answer *answers_r);

/* Parses one number as written in en/de/es/fr at s[len] (all of it):
 * "1200", "1.200" and "1,200" and "1 200" (thousands), "1,5" and "2.5"
 * (decimals), "1.200,50", "1,200.50". Returns 0 with *v_r, or -1. */
int qty_parse_number(const char *s, size_t len, double *v_r);

/* The quantity a number word stands for ("zwei", "dozen", "cinq"), folded
 * to lower-case ASCII; 0 when it is none. */
double qty_number_word(const char *word);

const char *qty_how_name(enum qty_how how);

#endif
