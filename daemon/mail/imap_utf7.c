/* SPDX-License-Identifier: MIT */
/* Modified UTF-7 (RFC 3501 5.1.3) for IMAP mailbox names. */
#include "daemon/mail/imap_utf7.h"

#include <string.h>

#include <stdbool.h>
#include <stdint.h>

#include "daemon/lib/utf8.h"

/* RFC 3501's modified BASE64: "," where RFC 4648 has "/". */
static const char mb64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/* A bounded writer: once full, it only remembers that it overflowed. */
struct utf7_out {
	char *p;
	size_t size, len;
	bool over;
};

static void out_put(struct utf7_out *o, char c)
{
	if (o->len + 1 >= o->size) {
		o->over = true;
		return;
	}
	o->p[o->len++] = c;
}

static bool is_direct(unsigned char c)
{
	return c >= 0x20 && c <= 0x7e;
}

static void out_utf8(struct utf7_out *o, uint32_t cp)
{
	if (cp < 0x80) {
		out_put(o, (char)cp);
	} else if (cp < 0x800) {
		out_put(o, (char)(0xC0 | (cp >> 6)));
		out_put(o, (char)(0x80 | (cp & 0x3F)));
	} else if (cp < 0x10000) {
		out_put(o, (char)(0xE0 | (cp >> 12)));
		out_put(o, (char)(0x80 | ((cp >> 6) & 0x3F)));
		out_put(o, (char)(0x80 | (cp & 0x3F)));
	} else {
		out_put(o, (char)(0xF0 | (cp >> 18)));
		out_put(o, (char)(0x80 | ((cp >> 12) & 0x3F)));
		out_put(o, (char)(0x80 | ((cp >> 6) & 0x3F)));
		out_put(o, (char)(0x80 | (cp & 0x3F)));
	}
}

/* BASE64 state of one "&...-" run: bits not yet written, at most 21. */
struct utf7_bits {
	uint32_t bits;
	unsigned int n;
};

static void push_unit(struct utf7_out *o, struct utf7_bits *b, uint32_t unit)
{
	b->bits = (b->bits << 16) | unit;
	b->n += 16;
	while (b->n >= 6) {
		b->n -= 6;
		out_put(o, mb64[(b->bits >> b->n) & 0x3F]);
	}
	b->bits &= (1u << b->n) - 1;
}

static int utf7_encode(const char *utf8, char *out, size_t size, const char **error_r)
{
	const unsigned char *s = (const unsigned char *)utf8;
	struct utf7_out o = {.p = out, .size = size};

	while (*s != '\0') {
		struct utf7_bits b = {0, 0};

		if (is_direct(*s)) {
			out_put(&o, (char)*s);
			if (*s++ == '&')
				out_put(&o, '-');
			continue;
		}
		/* one run for every character up to the next printable one */
		out_put(&o, '&');
		while (*s != '\0' && !is_direct(*s)) {
			uint32_t cp;
			size_t n = utf8_decode(s, 4, &cp); /* stops at the NUL */

			if (n == 0) {
				*error_r = "not valid UTF-8";
				return -1;
			}
			s += n;
			if (cp >= 0x10000) {
				push_unit(&o, &b, 0xD800 + ((cp - 0x10000) >> 10));
				push_unit(&o, &b, 0xDC00 + ((cp - 0x10000) & 0x3FF));
			} else {
				push_unit(&o, &b, cp);
			}
		}
		if (b.n > 0)
			out_put(&o, mb64[(b.bits << (6 - b.n)) & 0x3F]);
		out_put(&o, '-');
	}
	if (size == 0 || o.over) {
		*error_r = "mailbox name too long";
		return -1;
	}
	out[o.len] = '\0';
	return 0;
}

static int mb64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == ',')
		return 63;
	return -1;
}

/* Decodes the run after "&" (not "&-") at *sp up to and past its "-". */
static int decode_run(const unsigned char **sp, struct utf7_out *o, const char **error_r)
{
	const unsigned char *s = *sp;
	struct utf7_bits b = {0, 0};
	uint32_t high = 0;
	size_t units = 0;

	for (; *s != '-'; s++) {
		int v = mb64_value(*s);
		uint32_t u;

		if (*s == '\0') {
			*error_r = "unterminated &...- sequence";
			return -1;
		}
		if (v < 0) {
			*error_r = "character outside modified BASE64 in an &...- sequence";
			return -1;
		}
		b.bits = (b.bits << 6) | (uint32_t)v;
		b.n += 6;
		if (b.n < 16)
			continue;
		b.n -= 16;
		u = (b.bits >> b.n) & 0xFFFF;
		b.bits &= (1u << b.n) - 1;
		units++;
		if (high != 0) {
			if (u < 0xDC00 || u > 0xDFFF)
				goto unpaired;
			out_utf8(o, 0x10000 + ((high - 0xD800) << 10) + (u - 0xDC00));
			high = 0;
		} else if (u >= 0xD800 && u <= 0xDBFF) {
			high = u;
		} else if (u >= 0xDC00 && u <= 0xDFFF) {
			goto unpaired;
		} else if (u == 0 || (u >= 0x20 && u <= 0x7e)) {
			*error_r = u == 0 ? "NUL in an &...- sequence"
					  : "printable US-ASCII encoded in an &...- sequence";
			return -1;
		} else {
			out_utf8(o, u);
		}
	}
	if (units == 0 || b.n >= 6) {
		*error_r = "&...- sequence ends inside a UTF-16 unit";
		return -1;
	}
	if (b.bits != 0) {
		*error_r = "non-zero padding bits in an &...- sequence";
		return -1;
	}
	if (high != 0)
		goto unpaired;
	*sp = s + 1;
	return 0;
unpaired:
	*error_r = "unpaired UTF-16 surrogate in an &...- sequence";
	return -1;
}

static int utf7_decode(const char *mutf7, char *out, size_t size, const char **error_r)
{
	const unsigned char *s = (const unsigned char *)mutf7, *run_end = NULL;
	struct utf7_out o = {.p = out, .size = size};

	/* either form within the bound, so that a name taken from LIST can be
	 * encoded again for SELECT (its UTF-8 may be far shorter) */
	if (strnlen(mutf7, IMAP_UTF7_NAME_MAX) >= IMAP_UTF7_NAME_MAX) {
		*error_r = "mailbox name too long";
		return -1;
	}
	while (*s != '\0') {
		if (!is_direct(*s)) {
			*error_r = "byte outside printable US-ASCII (not modified UTF-7)";
			return -1;
		}
		if (*s != '&') {
			out_put(&o, (char)*s++);
			continue;
		}
		if (s[1] == '-') {
			out_put(&o, '&');
			s += 2;
			continue;
		}
		/* the encoder makes one run of consecutive characters, never two */
		if (s == run_end) {
			*error_r = "two &...- sequences in a row";
			return -1;
		}
		s++;
		if (decode_run(&s, &o, error_r) < 0)
			return -1;
		run_end = s;
	}
	if (size == 0 || o.over) {
		*error_r = "mailbox name too long";
		return -1;
	}
	out[o.len] = '\0';
	return 0;
}

int imap_utf7_encode(const char *utf8, char *out, size_t size, struct error *err)
{
	const char *why = NULL;

	if (utf7_encode(utf8, out, size, &why) < 0) {
		error_set(err, "%s", why);
		return -1;
	}
	return 0;
}

int imap_utf7_decode(const char *mutf7, char *out, size_t size, struct error *err)
{
	const char *why = NULL;

	if (utf7_decode(mutf7, out, size, &why) < 0) {
		error_set(err, "%s", why);
		return -1;
	}
	return 0;
}
