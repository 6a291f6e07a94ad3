/* SPDX-License-Identifier: MIT */
/* The thread keys in C: the same answers as migration 0195's SQL functions,
 * whose regular expressions are spelled out here as the scans they amount
 * to (both read under the "C" collation: ASCII whitespace and digits). */
#include "daemon/mail/mail_thread.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* left(v, N) of the SQL forms: characters, not bytes. */
#define THREAD_IDS_MAX_CHARS     20000
#define THREAD_SUBJECT_MAX_CHARS 998

/* PostgreSQL's \s under the C collation. */
static bool th_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* The bytes of s's first max characters (s is valid UTF-8). */
static size_t th_cut(const char *s, size_t len, size_t max)
{
	size_t chars = 0, i;

	for (i = 0; i < len; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80 && chars++ == max)
			break;
	}
	return i;
}

struct th_span {
	const char *p;
	size_t n;
};

/* Bytewise, shorter first on a common prefix: the "C" collation's order. */
static int th_span_cmp(const void *a, const void *b)
{
	const struct th_span *x = a, *y = b;
	int c = memcmp(x->p, y->p, x->n < y->n ? x->n : y->n);

	return c != 0 ? c : (x->n > y->n) - (x->n < y->n);
}

/* '<?([^<>\s,]+@[^<>\s,]+)>?' captures whole runs of the class: a run
 * matches from its first character exactly when an '@' sits inside it
 * (neither first nor last), and then to its end; any later start inside
 * the run sees fewer inner positions. */
static bool th_delim(unsigned char c)
{
	return c == '<' || c == '>' || c == ',' || th_space(c);
}

static bool th_run_matches(const char *p, size_t n)
{
	return n >= 3 && memchr(p + 1, '@', n - 2) != NULL;
}

int mail_thread_ids(const char *message_id, const char *in_reply_to, const char *references,
		    char ***ids_r, size_t *count_r)
{
	const char *part[3] = {message_id != NULL ? message_id : "",
			       in_reply_to != NULL ? in_reply_to : "",
			       references != NULL ? references : ""};
	char *all = NULL, **out = NULL, *str;
	struct th_span *runs = NULL;
	size_t len = 0, used = 0, n = 0, kept = 0, bytes = 0, i;
	int ret = -1;

	for (i = 0; i < 3; i++)
		len += strlen(part[i]) + 1;
	all = malloc(len);
	runs = malloc((len / 2 + 1) * sizeof(*runs));
	if (all == NULL || runs == NULL)
		goto out;
	for (i = 0; i < 3; i++) {
		size_t k = strlen(part[i]);

		memcpy(all + used, part[i], k);
		used += k;
		if (i < 2)
			all[used++] = ' ';
	}
	len = th_cut(all, used, THREAD_IDS_MAX_CHARS);
	for (i = 0; i < len;) {
		size_t start;

		while (i < len && th_delim((unsigned char)all[i]))
			i++;
		start = i;
		while (i < len && !th_delim((unsigned char)all[i]))
			i++;
		if (th_run_matches(all + start, i - start))
			runs[n++] = (struct th_span){all + start, i - start};
	}
	qsort(runs, n, sizeof(*runs), th_span_cmp);
	for (i = 0; i < n; i++) {
		if (kept > 0 && th_span_cmp(&runs[kept - 1], &runs[i]) == 0)
			continue;
		runs[kept++] = runs[i];
		bytes += runs[i].n + 1;
	}
	out = malloc((kept + 1) * sizeof(*out) + bytes);
	if (out == NULL)
		goto out;
	str = (char *)(out + kept + 1);
	for (i = 0; i < kept; i++) {
		out[i] = str;
		memcpy(str, runs[i].p, runs[i].n);
		str[runs[i].n] = '\0';
		str += runs[i].n + 1;
	}
	out[kept] = NULL;
	*ids_r = out;
	*count_r = kept;
	out = NULL;
	ret = 0;
out:
	free(out);
	free(runs);
	free(all);
	return ret;
}

/* lower(translate(v, 'ÀÁ…ÞŒŸ', 'àá…þœÿ') COLLATE "C"), in place: every
 * mapping keeps the byte length. */
static void th_fold(unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (unsigned char)(s[i] + ('a' - 'A'));
		else if (s[i] == 0xc3 && i + 1 < len && s[i + 1] >= 0x80 && s[i + 1] <= 0x9e &&
			 s[i + 1] != 0x97)
			s[++i] += 0x20; /* U+00C0..U+00DE except U+00D7 (×) */
		else if (s[i] == 0xc5 && i + 1 < len && s[i + 1] == 0x92)
			s[++i] = 0x93; /* Œ -> œ */
		else if (s[i] == 0xc5 && i + 1 < len && s[i + 1] == 0xb8) {
			s[i++] = 0xc3; /* Ÿ -> ÿ */
			s[i] = 0xbf;
		}
	}
}

static size_t th_skip_space(const unsigned char *s, size_t i, size_t len)
{
	while (i < len && th_space(s[i]))
		i++;
	return i;
}

/* One "(re|aw|fwd?|wg|sv|tr|rv|r|antw|ref)(\s*\[\d+\])?\s*:" at i: its end,
 * or 0. At most one word can lead to a colon (each longer word continues a
 * shorter one with a letter, which neither '[' nor ':' nor a space is). */
static size_t th_reply_word(const unsigned char *s, size_t i, size_t len)
{
	static const char *const words[] = {"re", "aw", "fwd", "fw",   "wg", "sv",
					    "tr", "rv", "r",   "antw", "ref"};

	for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
		size_t wl = strlen(words[w]), j, d;

		if (len - i < wl || memcmp(s + i, words[w], wl) != 0)
			continue;
		j = th_skip_space(s, i + wl, len);
		if (j < len && s[j] == '[') {
			for (d = j + 1; d < len && s[d] >= '0' && s[d] <= '9'; d++)
				;
			if (d > j + 1 && d < len && s[d] == ']')
				j = th_skip_space(s, d + 1, len);
		}
		if (j < len && s[j] == ':')
			return j + 1;
	}
	return 0;
}

/* The end of the longest '^(\s*(WORD…:|\[[^]]*\]))+' match, 0 for none:
 * each unit's extent is forced, so taking units while one fits is the
 * longest match. */
static size_t th_prefix_end(const unsigned char *s, size_t len)
{
	size_t end = 0;

	for (;;) {
		size_t i = th_skip_space(s, end, len), next = 0;

		if (i < len && s[i] == '[') {
			const unsigned char *close = memchr(s + i + 1, ']', len - i - 1);

			if (close != NULL)
				next = (size_t)(close - s) + 1;
		} else if (i < len) {
			next = th_reply_word(s, i, len);
		}
		if (next == 0)
			return end;
		end = next;
	}
}

char *mail_thread_subject(const char *subject)
{
	const char *v = subject != NULL ? subject : "";
	size_t len = th_cut(v, strlen(v), THREAD_SUBJECT_MAX_CHARS), start, stop;
	unsigned char *s = malloc(len + 1);

	if (s == NULL)
		return NULL;
	memcpy(s, v, len);
	s[len] = '\0';
	th_fold(s, len);
	start = th_prefix_end(s, len);
	stop = len;
	while (start < stop && s[start] == ' ')
		start++;
	while (stop > start && s[stop - 1] == ' ')
		stop--;
	memmove(s, s + start, stop - start);
	s[stop - start] = '\0';
	return (char *)s;
}
