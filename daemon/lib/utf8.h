/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_UTF8_H
#define DRAFTD_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* UTF-8 as jansson and PostgreSQL take it, decoded one way for the whole
 * code base (JSON written and read, mail headers, logs, IMAP folder names,
 * the text scanners). Pure, thread-safe. */

/* The UTF-8 sequence at s, reading at most avail bytes and none after a
 * byte that does not continue it (so any avail is safe on a NUL-terminated
 * string): its length (1 to 4) with the code point in *cp_r, or 0 when it
 * is none: a stray or truncated byte, an overlong form, a surrogate, a
 * code point past U+10FFFF. avail must be at least 1. */
size_t utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp_r);

/* utf8_decode() for text scanned for words and numbers: a byte that starts
 * no valid sequence is U+FFFD of length 1, and the scan goes on after it. */
size_t utf8_decode_lax(const unsigned char *s, size_t avail, uint32_t *cp_r);

/* Whether s[0..len) is valid UTF-8 throughout (NUL bytes included). */
bool utf8_valid(const char *s, size_t len);

/* Makes the NUL-terminated s valid UTF-8 in place: each byte that starts no
 * valid sequence (a stray byte, or a character cut by a bounded copy)
 * becomes '?'. Text that goes into JSON, which refuses anything else. */
void utf8_scrub(char *s);

#endif
