/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_AUTH_B64_H
#define DRAFTD_AUTH_B64_H

#include <stddef.h>

/* Base64 without padding (RFC 4648): the URL-safe alphabet for tokens, JWTs
 * and PKCE, the standard one for PHC password strings. Decoding is strict, so
 * one value has exactly one text: no padding, no whitespace, no character of
 * the other alphabet, and the unused low bits of the last character are zero. */

enum auth_b64_alphabet {
	AUTH_B64_URL = 0,
	AUTH_B64_STD,
};

/* Characters (without the NUL) that n bytes encode to. */
size_t auth_b64_len(size_t n);

/* Encodes in[n] into out[size] and terminates it. Returns 0, -1 when out is
 * too small (out is then an empty string). */
int auth_b64_encode(enum auth_b64_alphabet alphabet, const void *in, size_t n, char *out,
		    size_t size) __attribute__((warn_unused_result));

/* Decodes text[len] into out[size]; *n_r is the byte count. Returns 0, -1 when
 * the text is not canonical base64 of that alphabet or does not fit. */
int auth_b64_decode(enum auth_b64_alphabet alphabet, const char *text, size_t len,
		    unsigned char *out, size_t size, size_t *n_r)
	__attribute__((warn_unused_result));

#endif
