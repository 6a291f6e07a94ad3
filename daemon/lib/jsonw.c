/* SPDX-License-Identifier: MIT */
/* JSON text into a buf: strings escaped as jansson escapes them. */
#include "daemon/lib/jsonw.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "daemon/lib/utf8.h"

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

		/* plain ASCII, most of any text, without a call per byte */
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
		switch (c) {
		case '"':
			memcpy(esc, "\\\"", 3);
			break;
		case '\\':
			memcpy(esc, "\\\\", 3);
			break;
		case '\b':
			memcpy(esc, "\\b", 3);
			break;
		case '\f':
			memcpy(esc, "\\f", 3);
			break;
		case '\n':
			memcpy(esc, "\\n", 3);
			break;
		case '\r':
			memcpy(esc, "\\r", 3);
			break;
		case '\t':
			memcpy(esc, "\\t", 3);
			break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04X", c);
			break;
		}
		if (buf_append_str(b, esc) < 0)
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
	return buf_printf(b, "%lld", v);
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
