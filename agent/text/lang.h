/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_LANG_H
#define DRAFTD_LANG_H

#include <stddef.h>

/* Language guess and the text folding the classifiers share. Pure functions
 * of their input: thread-safe, no global state. */

/* The most bytes of a text any of these functions reads; the rest is ignored
 * (a customer's request is at the top, and the work stays bounded). */
#define LANG_TEXT_MAX (64 * 1024)

/* Guesses the language of text (UTF-8, may be invalid, NULL is fine) from
 * stopwords and letters: "en", "de", "es" or "fr" (static strings); "en"
 * when nothing speaks for another. */
const char *lang_detect(const char *text);

/* Folds text for matching: ASCII and Latin-1 letters lowercased with their
 * accents removed (é->e, ü->u, ß->ss, æ->ae, œ->oe), typographic quotes and
 * dashes to ASCII, zero-width/bidi/soft-hyphen characters dropped, invalid
 * bytes to spaces, other characters kept. Reads at most LANG_TEXT_MAX bytes.
 * Returns a new string (free()) or NULL when out of memory. */
char *lang_fold(const char *text);

#endif
