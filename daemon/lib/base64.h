/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_BASE64_H
#define DRAFTD_BASE64_H

#include <stddef.h>

#include "daemon/lib/buf.h"

/* Base64 (RFC 4648), one codec for the whole code base. Without padding:
 * the URL-safe alphabet for API tokens, session and CSRF tokens, JWTs and
 * PKCE, the standard one for PHC password strings. With padding, standard
 * alphabet: MIME encoded-words and SASL. Decoding is strict, so one value
 * has exactly one text: no whitespace, no character of the other alphabet,
 * padding only where its form has it, and the unused low bits of the last
 * character are zero. (IMAP's modified base64, daemon/mail/imap_utf7.c, is
 * a form of UTF-7, not of this.) */

enum base64_alphabet {
	BASE64_URL = 0,
	BASE64_STD,
};

/* Characters (without the NUL) that n bytes encode to. */
size_t base64_len(size_t n);

/* Encodes in[n] into out[size] and terminates it. Returns 0, -1 when out is
 * too small (out is then an empty string). */
int base64_encode(enum base64_alphabet alphabet, const void *in, size_t n, char *out, size_t size)
	__attribute__((warn_unused_result));

/* Decodes text[len] into out[size]; *n_r is the byte count. Returns 0, -1 when
 * the text is not canonical base64 of that alphabet or does not fit. */
int base64_decode(enum base64_alphabet alphabet, const char *text, size_t len, unsigned char *out,
		  size_t size, size_t *n_r) __attribute__((warn_unused_result));

/* in[n] in the standard alphabet with padding ('=' to a multiple of 4),
 * appended to out. Returns 0, -1 when out's ceiling is crossed. */
int base64_append_padded(struct buf *out, const void *in, size_t n)
	__attribute__((warn_unused_result));

/* Decodes text[len], the standard alphabet with padding, into out[size];
 * *n_r is the byte count. Returns 0, -1 when the text is not canonical
 * (a length not a multiple of 4, '=' but at the end, more than two) or does
 * not fit. */
int base64_decode_padded(const char *text, size_t len, unsigned char *out, size_t size, size_t *n_r)
	__attribute__((warn_unused_result));

#endif
