/* SPDX-License-Identifier: MIT */
#include "agent/mime/mime_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/lib/util.h"

/* Splitting what the customer wrote from what they quoted and from their
 * signature. Heuristics from what mail clients write; when in doubt a line
 * stays in the new text, since losing the customer's words is worse than
 * keeping a footer. */

enum line_kind { LINE_NEW, LINE_QUOTED, LINE_SIG };

struct line {
	const char *p;
	size_t len;
	enum line_kind kind;
};

/* A line copied into a NUL-terminated, trimmed buffer for pattern tests. */
static void line_text(const struct line *l, char *out, size_t size)
{
	size_t s = 0, e = l->len, n;

	while (s < e && isspace((unsigned char)l->p[s]))
		s++;
	while (e > s && isspace((unsigned char)l->p[e - 1]))
		e--;
	n = e - s < size - 1 ? e - s : size - 1;
	memcpy(out, l->p + s, n);
	out[n] = '\0';
}

static bool blank(const struct line *l)
{
	size_t i;

	for (i = 0; i < l->len; i++) {
		if (!isspace((unsigned char)l->p[i]))
			return false;
	}
	return true;
}

static bool starts_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static bool quoted_line(const struct line *l)
{
	size_t i = 0;

	while (i < l->len && i < 3 && l->p[i] == ' ')
		i++;
	return i < l->len && l->p[i] == '>';
}

/* "On <date>, X wrote:" and its sisters in the languages we see. */
static bool attribution(const char *t)
{
	static const char *const openers[] = {"On ", "Am ", "El ", "Le ",
					      "Op ", "Il ", "Em ", NULL};
	static const char *const verbs[] = {"wrote",   "schrieb",  "escribi", "a écrit", "schreef",
					    "scritto", "escreveu", "writes",  NULL};
	size_t len = strlen(t), i;
	bool opener = false;

	if (len < 8 || len > 400 || t[len - 1] != ':')
		return false;
	for (i = 0; openers[i] != NULL && !opener; i++)
		opener = strncmp(t, openers[i], strlen(openers[i])) == 0;
	if (!opener)
		return false;
	for (i = 0; verbs[i] != NULL; i++) {
		if (strcasestr(t, verbs[i]) != NULL)
			return true;
	}
	return false;
}

/* Outlook and friends quote without ">": everything from here on is history. */
static bool history_start(const struct line *lines, size_t n, size_t i)
{
	static const char *const markers[] = {
		"-----Original Message-----",        "----- Original Message -----",
		"-----Ursprüngliche Nachricht-----", "-----Mensaje original-----",
		"-----Message d'origine-----",       "-----Messaggio originale-----",
		"---------- Forwarded message",      NULL};
	static const char *const from[] = {"From:", "Von:", "De:", "Da:", "Van:", NULL};
	static const char *const sent[] = {"Sent:",  "Date:",  "Gesendet:", "Datum:", "Enviado:",
					   "Envoyé", "Fecha:", "Inviato:",  NULL};
	char t[512], u[512];
	size_t j, k, m;

	line_text(&lines[i], t, sizeof(t));
	for (k = 0; markers[k] != NULL; k++) {
		if (starts_ci(t, markers[k]) && !starts_ci(t, "---------- Forwarded"))
			return true;
	}
	if (strspn(t, "_") >= 10 && t[strspn(t, "_")] == '\0' && i + 1 < n) {
		line_text(&lines[i + 1], u, sizeof(u));
		for (k = 0; from[k] != NULL; k++) {
			if (starts_ci(u, from[k]))
				return true;
		}
	}
	for (k = 0; from[k] != NULL; k++) {
		if (!starts_ci(t, from[k]))
			continue;
		for (j = i + 1; j < n && j <= i + 4; j++) {
			line_text(&lines[j], u, sizeof(u));
			for (m = 0; sent[m] != NULL; m++) {
				if (starts_ci(u, sent[m]))
					return true;
			}
		}
	}
	return false;
}

static bool sig_delimiter(const char *t, const struct line *l)
{
	static const char *const mobile[] = {"Sent from my ",     "Von meinem ",
					     "Enviado desde mi ", "Envoyé de mon ",
					     "Get Outlook for ",  NULL};
	size_t k;

	if ((l->len == 3 && memcmp(l->p, "-- ", 3) == 0) ||
	    (l->len == 2 && memcmp(l->p, "--", 2) == 0))
		return true;
	for (k = 0; mobile[k] != NULL; k++) {
		if (starts_ci(t, mobile[k]) && strlen(t) < 80)
			return true;
	}
	return false;
}

static bool disclaimer(const char *t)
{
	static const char *const starts[] = {"CONFIDENTIALITY",
					     "DISCLAIMER",
					     "Disclaimer:",
					     "Please consider the environment",
					     "IMPORTANT NOTICE",
					     "Diese E-Mail enthält vertrauliche",
					     "Este mensaje y sus anexos",
					     "Ce message et",
					     NULL};
	size_t k;

	for (k = 0; starts[k] != NULL; k++) {
		if (starts_ci(t, starts[k]))
			return true;
	}
	return (starts_ci(t, "This e-mail") || starts_ci(t, "This email") ||
		starts_ci(t, "This message")) &&
	       (strcasestr(t, "confidential") != NULL || strcasestr(t, "intended") != NULL ||
		strcasestr(t, "privileged") != NULL);
}

static bool separator(const char *t)
{
	size_t n = strlen(t);

	return n >= 5 && (strspn(t, "-") == n || strspn(t, "_") == n || strspn(t, "=") == n ||
			  strspn(t, "*") == n);
}

/* Marks quoted lines, attributions and Outlook history. */
static void mark_quotes(struct line *lines, size_t n)
{
	char t[512], u[512], joined[1030];
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (quoted_line(&lines[i])) {
			lines[i].kind = LINE_QUOTED;
			continue;
		}
		if (history_start(lines, n, i)) {
			for (j = i; j < n; j++)
				lines[j].kind = LINE_QUOTED;
			return;
		}
		line_text(&lines[i], t, sizeof(t));
		if (attribution(t)) {
			lines[i].kind = LINE_QUOTED;
		} else if (i + 2 < n && !quoted_line(&lines[i + 1]) && quoted_line(&lines[i + 2])) {
			/* an attribution wrapped over two lines */
			line_text(&lines[i + 1], u, sizeof(u));
			snprintf(joined, sizeof(joined), "%s %s", t, u);
			if (attribution(joined)) {
				lines[i].kind = LINE_QUOTED;
				lines[i + 1].kind = LINE_QUOTED;
				i++;
			}
		}
	}
}

/* Marks the signature: from a "-- " line or mobile footer, or from the
 * paragraph holding a disclaimer (never the first paragraph). */
static void mark_signature(struct line *lines, size_t n)
{
	char t[512];
	size_t i, j, start = n, para = 0, first_text = n;

	for (i = 0; i < n && start == n; i++) {
		if (lines[i].kind != LINE_NEW)
			continue;
		if (blank(&lines[i])) {
			para = i + 1;
			continue;
		}
		if (first_text == n)
			first_text = i;
		line_text(&lines[i], t, sizeof(t));
		if (sig_delimiter(t, &lines[i])) {
			start = i;
		} else if (disclaimer(t) && para > first_text) {
			start = para;
			/* take a separator line right above along */
			for (j = para; j > 0; j--) {
				line_text(&lines[j - 1], t, sizeof(t));
				if (t[0] == '\0')
					continue;
				if (separator(t) && lines[j - 1].kind == LINE_NEW)
					start = j - 1;
				break;
			}
		}
	}
	for (i = start; i < n; i++) {
		if (lines[i].kind == LINE_NEW)
			lines[i].kind = LINE_SIG;
	}
}

/* Joins the lines of one kind, dropping leading, trailing and repeated
 * blank lines; a blank line marks where other text was cut out. */
static char *collect(const struct line *lines, size_t n, enum line_kind kind)
{
	struct buf b;
	unsigned flags = 0;
	bool gap = false, ok = true;
	size_t i;

	buf_init(&b, (size_t)-1 / 2);
	for (i = 0; i < n && ok; i++) {
		if (lines[i].kind != kind || blank(&lines[i])) {
			gap = gap || lines[i].kind == kind || kind == LINE_NEW;
			continue;
		}
		if (b.len > 0)
			ok = mime_text_append(&b, gap ? "\n\n" : "\n", gap ? 2 : 1, &flags) == 0;
		if (ok)
			ok = mime_text_append(&b, lines[i].p, lines[i].len, &flags) == 0;
		gap = false;
	}
	if (!ok) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

int mime_split_text(const char *text, char **new_r, char **quoted_r, char **sig_r)
{
	struct line *lines = NULL;
	const char *p = text, *nl;
	char *nw = NULL, *qu = NULL, *sg = NULL;
	size_t n = 0, cap = 1, i;
	int ret = -1;

	for (i = 0; text[i] != '\0'; i++)
		cap += text[i] == '\n';
	lines = calloc(cap, sizeof(*lines));
	if (lines == NULL)
		return -1;
	while (*p != '\0' && n < cap) {
		nl = strchr(p, '\n');
		lines[n].p = p;
		lines[n].len = nl == NULL ? strlen(p) : (size_t)(nl - p);
		while (lines[n].len > 0 && p[lines[n].len - 1] == ' ' &&
		       !(lines[n].len == 3 && memcmp(p, "-- ", 3) == 0))
			lines[n].len--;
		lines[n].kind = LINE_NEW;
		n++;
		p = nl == NULL ? p + strlen(p) : nl + 1;
	}
	mark_quotes(lines, n);
	mark_signature(lines, n);
	nw = collect(lines, n, LINE_NEW);
	qu = collect(lines, n, LINE_QUOTED);
	sg = collect(lines, n, LINE_SIG);
	if (nw == NULL || qu == NULL || sg == NULL)
		goto out;
	*new_r = nw;
	*quoted_r = qu;
	*sig_r = sg;
	nw = qu = sg = NULL;
	ret = 0;
out:
	free(nw);
	free(qu);
	free(sg);
	free(lines);
	return ret;
}
