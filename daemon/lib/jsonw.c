/* SPDX-License-Identifier: MIT */
/* JSON text into a buf: strings escaped as jansson escapes them. */
#include "daemon/lib/jsonw.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "daemon/lib/utf8.h"

#define JSONW_ONES  0x0101010101010101ull
#define JSONW_HIGHS 0x8080808080808080ull

/* The 8 bytes at p are printable ASCII other than '"' and '\\' (each
 * test is the exact "has a zero byte" / "has a byte < n" word trick). */
static bool jsonw_plain8(const unsigned char *p)
{
	uint64_t w, q, bs;

	memcpy(&w, p, sizeof(w));
	q = w ^ (JSONW_ONES * '"');
	bs = w ^ (JSONW_ONES * '\\');
	return ((w | ((w - JSONW_ONES * 0x20) & ~w) | ((q - JSONW_ONES) & ~q) |
		 ((bs - JSONW_ONES) & ~bs)) &
		JSONW_HIGHS) == 0;
}

int jsonw_strn(struct buf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;
	uint32_t cp;

	if (buf_append(b, "\"", 1) < 0)
		return -1;
	while (i < len) {
		unsigned char c = p[i];
		char esc[8];
		size_t n;

		/* plain ASCII, most of any text: eight bytes at a time, then
		 * one at a time, without a call */
		if (i + 8 <= len && jsonw_plain8(p + i)) {
			i += 8;
			run += 8;
			continue;
		}
		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			i++;
			run++;
			continue;
		}
		if (c >= 0x80) {
			n = utf8_decode(p + i, len - i, &cp);
			if (n == 0)
				return -1;
			i += n;
			run += n;
			continue;
		}
		/* the plain run before this byte, then its escape */
		if (buf_append(b, s + i - run, run) < 0)
			return -1;
		run = 0;
		n = 2;
		switch (c) {
		case '"':
			memcpy(esc, "\\\"", 2);
			break;
		case '\\':
			memcpy(esc, "\\\\", 2);
			break;
		case '\b':
			memcpy(esc, "\\b", 2);
			break;
		case '\f':
			memcpy(esc, "\\f", 2);
			break;
		case '\n':
			memcpy(esc, "\\n", 2);
			break;
		case '\r':
			memcpy(esc, "\\r", 2);
			break;
		case '\t':
			memcpy(esc, "\\t", 2);
			break;
		default:
			n = (size_t)snprintf(esc, sizeof(esc), "\\u%04X", c);
			break;
		}
		if (buf_append(b, esc, n) < 0)
			return -1;
		i++;
	}
	if (buf_append(b, s + i - run, run) < 0)
		return -1;
	return buf_append(b, "\"", 1);
}

int jsonw_str(struct buf *b, const char *s)
{
	if (s == NULL)
		return buf_append(b, "null", 4);
	return jsonw_strn(b, s, strlen(s));
}

int jsonw_int(struct buf *b, long long v)
{
	char digits[24];
	size_t n = sizeof(digits);
	/* as printf's %lld, without its format parsing (a few per document) */
	unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;

	do {
		digits[--n] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	if (v < 0)
		digits[--n] = '-';
	return buf_append(b, digits + n, sizeof(digits) - n);
}

int jsonw_bool(struct buf *b, bool v)
{
	return buf_append_str(b, v ? "true" : "false");
}

int jsonw_key(struct buf *b, const char *key)
{
	return buf_append(b, "\"", 1) < 0 || buf_append_str(b, key) < 0 ||
			       buf_append(b, "\":", 2) < 0
		       ? -1
		       : 0;
}
