/* SPDX-License-Identifier: MIT */
/* Encodings of a composed reply: the one "Re:" subject, RFC 2047
 * encoded-words for headers, quoted-printable for the body. */
#include "daemon/mail/mail_compose.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/mail/mail_int.h"
#include "daemon/lib/base64.h"
#include "daemon/lib/utf8.h"
#include "daemon/lib/util.h"

#define LINE_SOFT_MAX 78
/* Raw bytes per RFC 2047 encoded-word: 39 bytes -> 52 base64 chars -> a
 * 64-char word, so "Subject: " + word stays under 78 columns. */
#define EWORD_RAW_MAX 39

static const char *const reply_prefixes[] = {
	"re", "aw", "sv", "vs", "antw", "antwort", "ref", "rif", "res", "odp", "ynt", "atb",
};

/* Length of one reply prefix ("Re:", "AW :", "Re[2]:", "RE(3):") with the
 * blanks after it, or 0. */
static size_t subject_prefix_len(const char *s)
{
	size_t i, n, k;

	for (i = 0; i < ARRAY_SIZE(reply_prefixes); i++) {
		n = strlen(reply_prefixes[i]);
		if (strncasecmp(s, reply_prefixes[i], n) != 0)
			continue;
		if (s[n] == '[' || s[n] == '(') {
			char close = s[n] == '[' ? ']' : ')';

			k = n + 1;
			while (s[k] >= '0' && s[k] <= '9')
				k++;
			if (k == n + 1 || s[k] != close)
				continue;
			n = k + 1;
		}
		while (s[n] == ' ')
			n++;
		if (s[n] == ':')
			n++;
		else if (strncmp(s + n, "\xEF\xBC\x9A", 3) == 0) /* fullwidth colon */
			n += 3;
		else
			continue;
		while (s[n] == ' ' || s[n] == '\t')
			n++;
		return n;
	}
	return 0;
}

int mail_reply_subject(const char *subject, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)(subject != NULL ? subject : "");
	char clean[MAIL_SUBJECT_MAX + 1];
	size_t n = 0, len, skip;
	uint32_t cp;

	/* controls out first, so "Re:\r\n Re:" is seen as a stacked prefix */
	while (*p != '\0' && n < MAIL_SUBJECT_MAX) {
		len = utf8_decode(p, 4, &cp); /* stops at the NUL */
		if (len == 0 || (len == 1 && (*p < 0x20 || *p == 0x7F))) {
			clean[n++] = len == 0 ? '?' : ' ';
			p++;
			continue;
		}
		if (n + len > MAIL_SUBJECT_MAX)
			break;
		memcpy(clean + n, p, len);
		n += len;
		p += len;
	}
	clean[n] = '\0';
	p = (const unsigned char *)clean;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		skip = subject_prefix_len((const char *)p);
		if (skip == 0)
			break;
		p += skip;
	}
	len = strlen((const char *)p);
	while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	if (len == 0)
		return buf_append_str(out, "Re:");
	if (buf_append_str(out, "Re: ") < 0)
		return -1;
	return buf_append(out, p, len);
}

/* Appends s as RFC 2047 B encoded-words separated by single spaces (the
 * header folder breaks there), never splitting a UTF-8 character. */
int mail_eword_append(struct buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i = 0, chunk, n;

	while (i < len) {
		chunk = 0;
		while (i + chunk < len) {
			n = mail_utf8_seq_len(p[i + chunk]);
			if (n == 0)
				n = 1;
			if (chunk + n > EWORD_RAW_MAX)
				break;
			chunk += n;
		}
		if ((i > 0 && buf_append_str(out, " ") < 0) ||
		    buf_append_str(out, "=?UTF-8?B?") < 0 ||
		    base64_append_padded(out, p + i, chunk) < 0 || buf_append_str(out, "?=") < 0)
			return -1;
		i += chunk;
	}
	return 0;
}

bool mail_needs_eword(const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p >= 0x80 || *p < 0x20)
			return true;
	}
	return strstr(s, "=?") != NULL;
}

/* Appends "Name: value\r\n", folding at spaces to keep lines within 78
 * columns where the value allows. The value never holds CR or LF here. */
int mail_header_append(struct buf *out, const char *name, const char *value)
{
	size_t col = strlen(name) + 1, tok;
	const char *p = value, *sp;

	if (buf_printf(out, "%s:", name) < 0)
		return -1;
	for (;;) {
		sp = strchr(p, ' ');
		tok = sp != NULL ? (size_t)(sp - p) : strlen(p);
		if (tok > 0 && col + 1 + tok > LINE_SOFT_MAX && col > strlen(name) + 1) {
			if (buf_append_str(out, "\r\n") < 0)
				return -1;
			col = 0;
		}
		if (buf_append_str(out, " ") < 0 || buf_append(out, p, tok) < 0)
			return -1;
		col += 1 + tok;
		if (sp == NULL)
			break;
		p = sp + 1;
	}
	return buf_append_str(out, "\r\n");
}

int mail_qp_encode(const char *text, size_t len, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, col = 0, tl;
	char tok[3];

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		bool eol = i + 1 == len || text[i + 1] == '\n' || text[i + 1] == '\r';

		if (c == '\r' && i + 1 < len && text[i + 1] == '\n')
			continue;
		if (c == '\n' || c == '\r') {
			if (buf_append_str(out, "\r\n") < 0)
				return -1;
			col = 0;
			continue;
		}
		if (((c == ' ' || c == '\t') && !eol) ||
		    (c >= 33 && c <= 126 && c != '=' && !(c == '.' && col == 0))) {
			tok[0] = (char)c;
			tl = 1;
		} else {
			tok[0] = '=';
			tok[1] = hex[c >> 4];
			tok[2] = hex[c & 15];
			tl = 3;
		}
		/* 75 + the soft break's '=' keeps encoded lines at 76 */
		if (col + tl > 75) {
			if (buf_append_str(out, "=\r\n") < 0)
				return -1;
			col = 0;
			if (tok[0] == '.') {
				tok[0] = '=';
				tok[1] = '2';
				tok[2] = 'E';
				tl = 3;
			}
		}
		if (buf_append(out, tok, tl) < 0)
			return -1;
		col += tl;
	}
	if (col > 0 && buf_append_str(out, "\r\n") < 0)
		return -1;
	return 0;
}
