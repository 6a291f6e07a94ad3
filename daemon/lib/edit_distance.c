/* SPDX-License-Identifier: MIT */
#include "daemon/lib/edit_distance.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A line that starts the quoted history of a reply. */
static bool ed_history_line(const char *line, size_t len)
{
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\r' || line[len - 1] == '\t'))
		len--;
	if (len >= 6 && strncmp(line + len - 6, "wrote:", 6) == 0 && len > 3 &&
	    strncmp(line, "On ", 3) == 0)
		return true;
	return len >= 20 && memmem(line, len, "-----Original Message-----", 26) != NULL;
}

char *edit_distance_normalize(const char *text)
{
	size_t n = text != NULL ? strlen(text) : 0, o = 0;
	const char *p = text, *end = text + n;
	char *out = malloc(n + 1);
	bool space = false;

	if (out == NULL)
		return NULL;
	while (p != NULL && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		size_t i = 0;

		while (i < len && (p[i] == ' ' || p[i] == '\t'))
			i++;
		if (ed_history_line(p, len))
			break;
		if (i < len && p[i] == '>') {
			p = nl != NULL ? nl + 1 : end;
			continue;
		}
		for (i = 0; i < len; i++) {
			unsigned char c = (unsigned char)p[i];

			if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
				space = true;
				continue;
			}
			if (space && o > 0)
				out[o++] = ' ';
			space = false;
			out[o++] = (char)c;
		}
		space = true; /* the newline itself */
		p = nl != NULL ? nl + 1 : end;
	}
	out[o] = '\0';
	return out;
}

/* UTF-8 to code points; invalid bytes count as one code point each. */
static uint32_t *ed_decode(const char *s, size_t *n_r)
{
	size_t len = strlen(s), i = 0, n = 0;
	uint32_t *cp = malloc((len + 1) * sizeof(*cp));

	if (cp == NULL)
		return NULL;
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		size_t extra = c >= 0xf0 && c < 0xf8 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
		uint32_t v = extra == 3 ? c & 0x07u : extra == 2 ? c & 0x0fu : c & 0x1fu;
		size_t k;

		if (c < 0x80 || c >= 0xf8 || extra == 0) {
			cp[n++] = c;
			i++;
			continue;
		}
		for (k = 1; k <= extra; k++) {
			if (i + k >= len || ((unsigned char)s[i + k] & 0xc0) != 0x80)
				break;
			v = v << 6 | ((unsigned char)s[i + k] & 0x3fu);
		}
		if (k <= extra) {
			cp[n++] = c;
			i++;
			continue;
		}
		cp[n++] = v;
		i += extra + 1;
	}
	*n_r = n;
	return cp;
}

static size_t ed_min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;

	return m < c ? m : c;
}

/* Levenshtein within |i - j| <= band (band >= |n - m|), two rows. */
static size_t ed_levenshtein(const uint32_t *a, size_t n, const uint32_t *b, size_t m, size_t band)
{
	const size_t inf = SIZE_MAX / 2;
	size_t *prev = malloc((m + 1) * sizeof(*prev)), *cur = malloc((m + 1) * sizeof(*cur));
	size_t i, j, d = n > m ? n : m;

	if (prev == NULL || cur == NULL)
		goto out;
	for (j = 0; j <= m; j++)
		prev[j] = j <= band ? j : inf;
	for (i = 1; i <= n; i++) {
		size_t lo = i > band ? i - band : 0, hi = i + band < m ? i + band : m, *t;

		/* only the band's edges need resetting: time stays n * band */
		if (lo == 0)
			cur[0] = i;
		else
			cur[lo - 1] = inf;
		for (j = lo > 0 ? lo : 1; j <= hi; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);

			cur[j] = ed_min3(prev[j] + 1, cur[j - 1] + 1, sub);
		}
		if (hi < m)
			cur[hi + 1] = inf;
		t = prev;
		prev = cur;
		cur = t;
	}
	d = prev[m] < d ? prev[m] : d;
out:
	free(prev);
	free(cur);
	return d;
}

double edit_distance_normalized(const char *a, const char *b)
{
	char *na = edit_distance_normalize(a), *nb = edit_distance_normalize(b);
	uint32_t *ca = NULL, *cb = NULL;
	size_t n = 0, m = 0, pre = 0, suf = 0, longest, band, dist;
	double result = 1.0;

	if (na == NULL || nb == NULL || (ca = ed_decode(na, &n)) == NULL ||
	    (cb = ed_decode(nb, &m)) == NULL)
		goto out;
	longest = n > m ? n : m;
	if (longest == 0) {
		result = 0.0;
		goto out;
	}
	while (pre < n && pre < m && ca[pre] == cb[pre])
		pre++;
	while (suf < n - pre && suf < m - pre && ca[n - 1 - suf] == cb[m - 1 - suf])
		suf++;
	n -= pre + suf;
	m -= pre + suf;
	if (n == 0 || m == 0) {
		dist = n + m;
	} else {
		size_t wide = n > m ? n : m, diff = n > m ? n - m : m - n;

		band = EDIT_DISTANCE_MAX_CELLS / wide / 2;
		if (band >= wide || (double)n * (double)m <= EDIT_DISTANCE_MAX_CELLS)
			band = wide;
		if (band < diff)
			band = diff;
		dist = ed_levenshtein(ca + pre, n, cb + pre, m, band);
	}
	result = (double)dist / (double)longest;
	if (result > 1.0)
		result = 1.0;
out:
	free(na);
	free(nb);
	free(ca);
	free(cb);
	return result;
}
