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

/* A message's subject and text as one text, "subject\ntext", each read up to
 * LANG_TEXT_MAX bytes (NULL reads as ""): what the classifier and the
 * language guess read. Returns a new string (free()) or NULL when out of
 * memory. */
char *lang_join(const char *subject, const char *text);

/* lang_detect(lang_join(subject, text)): the language the pipeline drafts
 * in, so that ingest can store it with the row (the search vector is then
 * built once, at insert) and the pipeline finds it unchanged. NULL when out
 * of memory. */
const char *lang_detect_message(const char *subject, const char *text);

/* Folds text for matching: ASCII and Latin-1 letters lowercased with their
 * accents removed (é->e, ü->u, ß->ss, æ->ae, œ->oe), typographic quotes and
 * dashes to ASCII, zero-width/bidi/soft-hyphen characters dropped, invalid
 * bytes to spaces, other characters kept. Reads at most LANG_TEXT_MAX bytes.
 * Returns a new string (free()) or NULL when out of memory. */
char *lang_fold(const char *text);

#endif
