/* SPDX-License-Identifier: MIT */
#include "ui-api/auth/auth_b64.h"

#include <string.h>

static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static const char *b64_table(enum auth_b64_alphabet alphabet)
{
	return alphabet == AUTH_B64_STD ? b64_std : b64_url;
}

/* The 6-bit value of c, or -1 when c is not in the alphabet. */
static int b64_value(enum auth_b64_alphabet alphabet, unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (alphabet == AUTH_B64_STD ? '+' : '-'))
		return 62;
	if (c == (alphabet == AUTH_B64_STD ? '/' : '_'))
		return 63;
	return -1;
}

size_t auth_b64_len(size_t n)
{
	return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

int auth_b64_encode(enum auth_b64_alphabet alphabet, const void *in, size_t n, char *out,
		    size_t size)
{
	const unsigned char *p = in;
	const char *t = b64_table(alphabet);
	size_t i, o = 0;
	unsigned int v;

	if (size == 0)
		return -1;
	out[0] = '\0';
	if (n > (((size_t)-1) - 1) / 4 * 3 - 3 || auth_b64_len(n) + 1 > size)
		return -1;
	for (i = 0; i + 3 <= n; i += 3) {
		v = (unsigned int)p[i] << 16 | (unsigned int)p[i + 1] << 8 | p[i + 2];
		out[o++] = t[(v >> 18) & 63];
		out[o++] = t[(v >> 12) & 63];
		out[o++] = t[(v >> 6) & 63];
		out[o++] = t[v & 63];
	}
	if (n - i == 1) {
		v = (unsigned int)p[i] << 16;
		out[o++] = t[(v >> 18) & 63];
		out[o++] = t[(v >> 12) & 63];
	} else if (n - i == 2) {
		v = (unsigned int)p[i] << 16 | (unsigned int)p[i + 1] << 8;
		out[o++] = t[(v >> 18) & 63];
		out[o++] = t[(v >> 12) & 63];
		out[o++] = t[(v >> 6) & 63];
	}
	out[o] = '\0';
	return 0;
}

int auth_b64_decode(enum auth_b64_alphabet alphabet, const char *text, size_t len,
		    unsigned char *out, size_t size, size_t *n_r)
{
	size_t i, o = 0, need;
	unsigned int acc = 0;
	int bits = 0, v;

	*n_r = 0;
	/* one leftover character carries 6 bits: never a whole byte */
	if (len % 4 == 1)
		return -1;
	need = len / 4 * 3 + (len % 4 == 0 ? 0 : len % 4 - 1);
	if (need > size)
		return -1;
	for (i = 0; i < len; i++) {
		v = b64_value(alphabet, (unsigned char)text[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6 | (unsigned int)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	/* the bits below the last whole byte must be zero (canonical text) */
	if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
		return -1;
	*n_r = o;
	return 0;
}
