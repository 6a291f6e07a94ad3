/* SPDX-License-Identifier: MIT */
#include "ui-api/json_reals.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REAL_MAX 40 /* "%.17g" of a double with a sign and exponent: 24 + a margin */

static bool is_number_char(char c)
{
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

/* Whether the number tok (len bytes) is a real: a fraction or an exponent. */
static bool is_real(const char *tok, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (tok[i] == '.' || tok[i] == 'e' || tok[i] == 'E')
			return true;
	return false;
}

/* The shortest text for the real number tok (len bytes) in out (at most
 * len bytes, as the shortest is never longer); its length, or 0 to keep
 * tok as it is. */
static size_t real_shortest(const char *tok, size_t len, char out[REAL_MAX])
{
	char in[REAL_MAX], *end;
	double d;
	int p, n = 0;

	if (len >= REAL_MAX)
		return 0;
	memcpy(in, tok, len);
	in[len] = '\0';
	d = strtod(in, &end);
	if (*end != '\0')
		return 0;
	for (p = 15; p <= 17; p++) {
		n = snprintf(out, REAL_MAX, "%.*g", p, d);
		if (n > 0 && n < REAL_MAX && strtod(out, NULL) == d)
			break;
	}
	if (p > 17 || n <= 0 || n >= REAL_MAX - 2)
		return 0;
	if (strpbrk(out, ".eEn") == NULL) { /* still a real, as jansson writes it */
		memcpy(out + n, ".0", 3);
		n += 2;
	}
	return (size_t)n <= len ? (size_t)n : 0;
}

unsigned long json_reals_shortest(char *text)
{
	size_t r = 0, w = 0;
	bool in_string = false;

	while (text[r] != '\0') {
		char c = text[r];

		if (in_string) {
			if (c == '\\' && text[r + 1] != '\0') {
				text[w++] = text[r++]; /* the escaped character is copied next */
			} else if (c == '"') {
				in_string = false;
			}
			text[w++] = text[r++];
		} else if (c == '"') {
			in_string = true;
			text[w++] = text[r++];
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			char out[REAL_MAX];
			size_t start = r, len, n;

			while (text[r] != '\0' && is_number_char(text[r]))
				r++;
			len = r - start;
			n = is_real(text + start, len) ? real_shortest(text + start, len, out) : 0;
			if (n > 0) {
				memcpy(text + w, out, n);
				w += n;
			} else {
				memmove(text + w, text + start, len);
				w += len;
			}
		} else {
			text[w++] = text[r++];
		}
	}
	text[w] = '\0';
	return (unsigned long)w;
}
