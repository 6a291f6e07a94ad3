/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_QUANTITY_INT_H
#define DRAFTD_QUANTITY_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "connectors/keys/quantity.h"

/* Shared by quantity.c (layouts, tables) and quantity_scan.c (tokens,
 * numbers, word lists). */

#define QTY_TOKENS_MAX 96
#define QTY_WORD_MAX   24

enum qty_tok_type { QT_NUM, QT_WORD, QT_PUNCT };

struct qty_tok {
	enum qty_tok_type type;
	double value;            /* QT_NUM; a number word's value for QT_WORD */
	bool code;               /* a number that is part of a code, date, size or price */
	char word[QTY_WORD_MAX]; /* folded word, or the punctuation character */
};

/* The tokens of one stretch of text. */
struct qty_scan {
	const char *text;
	size_t len;
	struct qty_tok tok[QTY_TOKENS_MAX];
	size_t n;
};

/* Tokenizes text[from, to) into sc (at most QTY_TOKENS_MAX tokens). */
void qty_tokenize(struct qty_scan *sc, size_t from, size_t to);
/* Folds the word at s[n] into out: lower-case ASCII, Latin-1 accents off. */
void qty_fold(const char *s, size_t n, char *out, size_t size);
bool qty_word_in(const char *word, const char *const *list, size_t n);

/* A quantity at tok[i]: a number that is no code, or a number word with a
 * unit after it. *unit_r: a unit follows (*measure_r: m, kg, l). Returns
 * the value, or 0. */
double qty_item(const struct qty_scan *sc, size_t i, size_t end, bool *unit_r, bool *measure_r);
bool qty_is_unit(const struct qty_tok *t);
bool qty_is_measure(const struct qty_tok *t);
/* Words and marks that may stand between a quantity and its key. */
bool qty_is_connector(const struct qty_tok *t);
/* "qty", "Menge", "cantidad", ... */
bool qty_is_label(const struct qty_tok *t);
/* A word that heads a quantity column: the labels, "Stück", "pcs", ... */
bool qty_is_header_word(const char *word);

#endif
