/* SPDX-License-Identifier: MIT */
/* Spam verdicts the mail system already wrote into the headers: SpamAssassin,
 * Rspamd, Microsoft 365, and a header pattern of the administrator's. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <pcre2.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "agent/screen/screen.h"
#include "agent/screen/screen_int.h"
#include "daemon/lib/util.h"
#include "daemon/lib/regex.h"

/* The longest "Name: value" a pattern is matched against. */
#define SPAM_LINE_MAX (MIME_HEADER_VALUE_MAX + 128)

/* "Yes" as the first word of v: "YES", "Yes, score=7.9 required=5.0". */
static bool first_word_yes(const char *v)
{
	v += strspn(v, " \t");
	return strncasecmp(v, "yes", 3) == 0 &&
	       (v[3] == '\0' || v[3] == ',' || v[3] == ' ' || v[3] == '\t' || v[3] == ';');
}

/* A Spam Confidence Level (-1..9) at v; -2 when there is none. */
static int scl_value(const char *v)
{
	int sign = 1, n = 0;

	v += strspn(v, " \t");
	if (*v == '-') {
		sign = -1;
		v++;
	}
	if (!isdigit((unsigned char)*v) || isdigit((unsigned char)v[1]))
		return -2;
	n = *v - '0';
	return sign * n;
}

static bool rspamd_spam(const char *v)
{
	static const char *const actions[] = {"reject", "add header", "rewrite subject"};
	size_t n;

	v += strspn(v, " \t");
	n = strlen(v);
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++) {
		if (n == strlen(actions[i]) && strncasecmp(v, actions[i], n) == 0)
			return true;
	}
	return false;
}

/* The SCL in Exchange Online Protection's report ("...;SCL:5;SRV:;..."). */
static bool forefront_spam(const char *v)
{
	for (const char *p = v; (p = strstr(p, "SCL:")) != NULL; p += 4) {
		if (p == v || p[-1] == ';' || p[-1] == ' ')
			return scl_value(p + 4) >= 5;
	}
	return false;
}

/* The built-in verdicts: which header said spam, or NULL. */
static const struct mime_header *builtin_verdict(const struct mime_message *m)
{
	for (size_t i = 0; i < m->headers_count; i++) {
		const struct mime_header *h = &m->headers[i];
		const char *n = h->name, *v = h->value != NULL ? h->value : "";

		if ((strcmp(n, "x-spam-flag") == 0 && first_word_yes(v)) ||
		    (strcmp(n, "x-spam-status") == 0 && first_word_yes(v)) ||
		    (strcmp(n, "x-rspamd-action") == 0 && rspamd_spam(v)) ||
		    (strcmp(n, "x-ms-exchange-organization-scl") == 0 && scl_value(v) >= 5) ||
		    (strcmp(n, "x-forefront-antispam-report") == 0 && forefront_spam(v)))
			return h;
	}
	return NULL;
}

/* The first header whose "Name: value" the pattern matches, or NULL. The
 * pattern is compiled once per process (daemon/lib/regex.h); check-config
 * (config_finish.c) has refused one that does not compile, which here would
 * match nothing. */
static const struct mime_header *pattern_verdict(const struct mime_message *m, const char *pattern)
{
	const struct mime_header *found = NULL;
	pcre2_match_data *md = NULL;
	pcre2_code *re = regex_text(pattern, PCRE2_CASELESS);

	if (re == NULL || (md = pcre2_match_data_create_from_pattern(re, NULL)) == NULL)
		goto out;
	for (size_t i = 0; i < m->headers_count && found == NULL; i++) {
		char buf[SPAM_LINE_MAX];
		int n = snprintf(buf, sizeof(buf), "%s: %s", m->headers[i].name,
				 m->headers[i].value != NULL ? m->headers[i].value : "");

		if (n < 0)
			continue;
		if ((size_t)n >= sizeof(buf))
			n = (int)sizeof(buf) - 1;
		if (regex_match(re, (PCRE2_SPTR)buf, (size_t)n, 0, 0, md, NULL) >= 0)
			found = &m->headers[i];
	}
out:
	pcre2_match_data_free(md);
	return found;
}

const struct mime_header *screen_spam_verdict(const struct mime_message *m, const char *pattern)
{
	const struct mime_header *h = builtin_verdict(m);

	if (h == NULL && pattern != NULL && *pattern != '\0')
		h = pattern_verdict(m, pattern);
	return h;
}
