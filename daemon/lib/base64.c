/* SPDX-License-Identifier: MIT */
#include "daemon/lib/base64.h"

#include <stdbool.h>
#include <string.h>

static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static const char *b64_table(enum base64_alphabet alphabet)
{
	return alphabet == BASE64_STD ? b64_std : b64_url;
}

/* The 6-bit value of c, or -1 when c is not in the alphabet. */
static int b64_value(enum base64_alphabet alphabet, unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (alphabet == BASE64_STD ? '+' : '-'))
		return 62;
	if (c == (alphabet == BASE64_STD ? '/' : '_'))
		return 63;
	return -1;
}

/* The 4 characters of k (1 to 3) bytes at p; with pad, '=' for the
 * characters k bytes do not reach, else those are not written. Returns the
 * characters written. */
static size_t b64_quad(const char *t, const unsigned char *p, size_t k, bool pad, char q[4])
{
	unsigned int v = (unsigned int)p[0] << 16;
	size_t o = 0;

	if (k > 1)
		v |= (unsigned int)p[1] << 8;
	if (k > 2)
		v |= p[2];
	q[o++] = t[(v >> 18) & 63];
	q[o++] = t[(v >> 12) & 63];
	if (k > 1)
		q[o++] = t[(v >> 6) & 63];
	else if (pad)
		q[o++] = '=';
	if (k > 2)
		q[o++] = t[v & 63];
	else if (pad)
		q[o++] = '=';
	return o;
}

size_t base64_len(size_t n)
{
	return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

int base64_encode(enum base64_alphabet alphabet, const void *in, size_t n, char *out, size_t size)
{
	const unsigned char *p = in;
	const char *t = b64_table(alphabet);
	size_t i, o = 0;

	if (size == 0)
		return -1;
	out[0] = '\0';
	if (n > (((size_t)-1) - 1) / 4 * 3 - 3 || base64_len(n) + 1 > size)
		return -1;
	for (i = 0; i < n; i += 3)
		o += b64_quad(t, p + i, n - i < 3 ? n - i : 3, false, out + o);
	out[o] = '\0';
	return 0;
}

int base64_decode(enum base64_alphabet alphabet, const char *text, size_t len, unsigned char *out,
		  size_t size, size_t *n_r)
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

int base64_append_padded(struct buf *out, const void *in, size_t n)
{
	const unsigned char *p = in;
	char q[4];
	size_t i;

	for (i = 0; i < n; i += 3) {
		b64_quad(b64_std, p + i, n - i < 3 ? n - i : 3, true, q);
		if (buf_append(out, q, 4) < 0)
			return -1;
	}
	return 0;
}

int base64_decode_padded(const char *text, size_t len, unsigned char *out, size_t size, size_t *n_r)
{
	size_t pad = 0;

	*n_r = 0;
	if (len % 4 != 0)
		return -1;
	while (pad < 2 && pad < len && text[len - 1 - pad] == '=')
		pad++;
	/* what is left is the unpadded form, which refuses any other '=' */
	return base64_decode(BASE64_STD, text, len - pad, out, size, n_r);
}
