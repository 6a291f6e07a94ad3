/* SPDX-License-Identifier: MIT */
/* Addresses and UTF-8 for the replies we compose: parsed strictly, so no
 * header or recipient can be smuggled in through a draft. */
#include "daemon/mail/mail_compose.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/mail/mail_int.h"
#include "daemon/lib/utf8.h"
#include "daemon/lib/util.h"

size_t mail_utf8_seq_len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if ((c & 0xE0) == 0xC0)
		return 2;
	if ((c & 0xF0) == 0xE0)
		return 3;
	if ((c & 0xF8) == 0xF0)
		return 4;
	return 0;
}

bool mail_is_atext(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static bool addr_spec_valid(const char *a)
{
	const char *at = strchr(a, '@'), *p;
	size_t local_len;

	if (at == NULL || strchr(at + 1, '@') != NULL)
		return false;
	local_len = (size_t)(at - a);
	if (local_len == 0 || local_len > 64 || a[0] == '.' || at[-1] == '.')
		return false;
	for (p = a; p < at; p++) {
		if (*p == '.' ? p[1] == '.' : !mail_is_atext((unsigned char)*p))
			return false;
	}
	p = at + 1;
	if (*p == '\0' || strlen(p) > 253)
		return false;
	/* dot-separated labels of letters, digits and inner hyphens */
	while (*p != '\0') {
		const char *label = p;

		while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		       (*p >= '0' && *p <= '9') || *p == '-')
			p++;
		if (p == label || p - label > 63 || *label == '-' || p[-1] == '-')
			return false;
		if (*p == '.' && p[1] != '\0')
			p++;
		else if (*p != '\0')
			return false;
	}
	return true;
}

static const char *trim(const char *s, const char **end_io)
{
	const char *e = *end_io;

	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*end_io = e;
	return s;
}

/* Copies the display name [s, e) into name_r: unquotes a quoted-string and
 * refuses an unquoted one that carries address syntax. */
static int name_parse(const char *s, const char *e, char *name_r, struct error *err)
{
	size_t n = 0;
	const char *p;

	s = trim(s, &e);
	if (s < e && *s == '"') {
		if (e - s < 2 || e[-1] != '"') {
			error_set(err, "unbalanced quotes in the display name");
			return -1;
		}
		for (p = s + 1; p < e - 1; p++) {
			if (*p == '\\' && p + 1 < e - 1)
				p++;
			else if (*p == '"') {
				error_set(err, "text after a quoted display name");
				return -1;
			}
			if (n + 1 >= MAIL_NAME_MAX)
				goto too_long;
			name_r[n++] = *p;
		}
	} else {
		for (p = s; p < e; p++) {
			if (strchr("\",@<>;:\\[]()", *p) != NULL) {
				error_set(err,
					  "special characters (a second address?) in the display "
					  "name");
				return -1;
			}
			if (n + 1 >= MAIL_NAME_MAX)
				goto too_long;
			name_r[n++] = *p;
		}
	}
	name_r[n] = '\0';
	if (!utf8_valid(name_r, n)) {
		error_set(err, "display name is not UTF-8");
		return -1;
	}
	return 0;
too_long:
	error_set(err, "display name too long");
	return -1;
}

int mail_address_parse(const char *text, struct mail_address *addr_r, struct error *err)
{
	const char *s, *e, *lt = NULL, *gt = NULL, *p;
	bool quoted = false;

	memset(addr_r, 0, sizeof(*addr_r));
	if (text == NULL || *text == '\0') {
		error_set(err, "empty address");
		return -1;
	}
	for (p = text; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if ((c < 0x20 && c != '\t') || c == 0x7F) {
			error_set(err, "control character (CR/LF?) in the address");
			return -1;
		}
		if (c == '\\' && quoted && p[1] != '\0') {
			p++;
			continue;
		}
		if (c == '"')
			quoted = !quoted;
		else if (!quoted && c == ',') {
			error_set(err, "more than one address");
			return -1;
		} else if (!quoted && c == '<') {
			if (lt != NULL) {
				error_set(err, "more than one address");
				return -1;
			}
			lt = p;
		} else if (!quoted && c == '>') {
			if (gt != NULL || lt == NULL) {
				error_set(err, "stray '>' in the address");
				return -1;
			}
			gt = p;
		}
	}
	if (quoted) {
		error_set(err, "unbalanced quotes in the address");
		return -1;
	}
	if (lt != NULL) {
		if (gt == NULL) {
			error_set(err, "missing '>' in the address");
			return -1;
		}
		for (p = gt + 1; *p != '\0'; p++) {
			if (*p != ' ' && *p != '\t') {
				error_set(err, "text after the address");
				return -1;
			}
		}
		if (name_parse(text, lt, addr_r->name, err) < 0)
			return -1;
		s = lt + 1;
		e = gt;
	} else {
		s = text;
		e = text + strlen(text);
	}
	s = trim(s, &e);
	if ((size_t)(e - s) >= MAIL_ADDR_MAX) {
		error_set(err, "address too long");
		return -1;
	}
	memcpy(addr_r->addr, s, (size_t)(e - s));
	addr_r->addr[e - s] = '\0';
	if (!addr_spec_valid(addr_r->addr)) {
		error_set(err, "not a valid local@domain address");
		return -1;
	}
	return 0;
}

int mail_address_domain(const char *text, char *out, size_t size)
{
	struct mail_address a;
	const char *at;
	size_t n;

	if (text == NULL || mail_address_parse(text, &a, NULL) < 0)
		return -1;
	at = strrchr(a.addr, '@');
	n = strlen(at + 1);
	if (n + 1 > size)
		return -1;
	for (size_t i = 0; i <= n; i++)
		out[i] = (char)tolower((unsigned char)at[1 + i]);
	return 0;
}
