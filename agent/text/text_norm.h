/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_TEXT_NORM_H
#define DRAFTD_TEXT_NORM_H

#include <stdbool.h>
#include <stddef.h>

/* The one form every deterministic check of model output reads: Unicode
 * NFKC (fullwidth "＠" becomes "@", "ｅｘａｍｐｌｅ" becomes "example", ligatures
 * and superscripts their letters) with every format character (general
 * category Cf: zero-width spaces and joiners, bidi controls, soft hyphens,
 * tag characters) removed, so text disguised for a reader or a pattern reads
 * as what it says. Built on libunistring's u8_normalize(UNINORM_NFKC). */

#define TEXT_NORM_MAX (256 * 1024)

/* A new NUL-terminated normalised copy of the first max bytes of s (at most
 * TEXT_NORM_MAX); invalid UTF-8 bytes become U+FFFD. Returns NULL when out of
 * memory. Thread-safe. */
char *text_norm(const char *s, size_t max);

/* The script of code point c as a small number: 0 for characters of no
 * particular script (digits, punctuation, marks, spaces), else a distinct
 * id per script (Latin, Cyrillic, Greek, ...). For homoglyph checks. */
int text_script(unsigned int c);

/* Whether the UTF-8 word w[len] mixes letters of two scripts ("pаypal" with
 * a Cyrillic "а"): a look-alike, never a real word of one language. */
bool text_mixed_script(const char *w, size_t len);

#endif
