/* SPDX-License-Identifier: MIT */
#include "agent/guard/trust.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "daemon/lib/util.h"

#define TRUST_VALUE_MAX  2048
#define TRUST_OR_NONE(s) ((s) != NULL ? (s) : "(none)")

const char *trust_recipient(const struct mime_message *msg, bool injection)
{
	if (msg->reply_to != NULL && msg->reply_to[0] != '\0' && !injection)
		return msg->reply_to;
	return msg->from_addr;
}

static void trust_flag(struct guard_result *out, int *added, const char *name, const char *detail)
{
	struct guard_flag f;
	size_t i;

	str_copy(f.name, sizeof(f.name), name);
	str_copy(f.detail, sizeof(f.detail), detail);
	for (i = 0; i < out->count; i++)
		if (strcmp(out->flags[i].name, f.name) == 0)
			return;
	if (out->count == GUARD_FLAGS_MAX) {
		out->truncated = true;
		return;
	}
	out->flags[out->count++] = f;
	(*added)++;
}

static const char *trust_domain(const char *addr)
{
	const char *at = addr != NULL ? strrchr(addr, '@') : NULL;

	return at != NULL ? at + 1 : NULL;
}

/* value without (comments) and "quoted strings", lower case, into out. */
static void trust_strip(const char *value, char *out, size_t size)
{
	size_t o = 0;
	int depth = 0;
	bool quoted = false;

	for (; *value != '\0' && o + 1 < size; value++) {
		if (!quoted && *value == '(') {
			depth++;
		} else if (!quoted && *value == ')' && depth > 0) {
			depth--;
			out[o++] = ' ';
		} else if (depth == 0 && *value == '"') {
			quoted = !quoted;
			out[o++] = ' ';
		} else if (depth == 0 && !quoted) {
			out[o++] = (char)tolower((unsigned char)*value);
		} else if (*value == '\\' && value[1] != '\0') {
			value++;
		}
	}
	out[o] = '\0';
}

/* Whether text has "method = fail" as a whole result token. */
static bool trust_result(const char *text, const char *method)
{
	size_t n = strlen(method);
	const char *p = text, *v;

	while ((p = strstr(p, method)) != NULL) {
		v = p + n;
		if ((p == text || !(isalnum((unsigned char)p[-1]) || p[-1] == '.' || p[-1] == '-' ||
				    p[-1] == '_'))) {
			while (*v == ' ' || *v == '\t')
				v++;
			if (*v == '=') {
				v++;
				while (*v == ' ' || *v == '\t')
					v++;
				if (strncmp(v, "fail", 4) == 0 &&
				    !(isalnum((unsigned char)v[4]) || v[4] == '-' || v[4] == '_'))
					return true;
			}
		}
		p += n;
	}
	return false;
}

bool trust_auth_failed(const char *value, char *id, size_t size)
{
	char text[TRUST_VALUE_MAX];
	const char *p;
	size_t n;

	trust_strip(value != NULL ? value : "", text, sizeof(text));
	p = text + strspn(text, " \t\r\n");
	n = strcspn(p, " \t\r\n;");
	snprintf(id, size, "%.*s", (int)n, p);
	/* the results come after the first ';' (the authserv-id and version before) */
	p = strchr(p, ';');
	if (p == NULL)
		return false;
	return trust_result(p, "dmarc") || trust_result(p, "spf");
}

int trust_check(const struct mime_message *msg, const char *recipient, const char *authserv_id,
		struct guard_result *out)
{
	const char *from_dom = trust_domain(msg->from_addr), *rt_dom = trust_domain(msg->reply_to);
	char id[256], detail[512];
	size_t i;
	int added = 0;
	bool failed;

	if (msg->reply_to != NULL && msg->reply_to[0] != '\0' &&
	    (from_dom == NULL || rt_dom == NULL || strcasecmp(from_dom, rt_dom) != 0)) {
		snprintf(detail, sizeof(detail),
			 "Reply-To %.80s is in another domain than From %.80s: a person checks "
			 "who gets the reply",
			 msg->reply_to, TRUST_OR_NONE(msg->from_addr));
		trust_flag(out, &added, "reply_to_elsewhere", detail);
	}
	for (i = 0; i < msg->headers_count; i++) {
		if (strcmp(msg->headers[i].name, "authentication-results") != 0)
			continue;
		failed = trust_auth_failed(msg->headers[i].value, id, sizeof(id));
		/* a configured id: only that server's header counts; else the
		 * topmost, the one the receiving server added last */
		if (authserv_id != NULL && authserv_id[0] != '\0' &&
		    strcasecmp(id, authserv_id) != 0)
			continue;
		if (failed) {
			snprintf(detail, sizeof(detail),
				 "the receiving server (%.60s) reports dmarc=fail or spf=fail for "
				 "From %.80s: it may be forged",
				 id, TRUST_OR_NONE(msg->from_addr));
			trust_flag(out, &added, "sender_auth_failed", detail);
		}
		break;
	}
	if (recipient == NULL || msg->from_addr == NULL ||
	    strcasecmp(recipient, msg->from_addr) != 0) {
		snprintf(detail, sizeof(detail),
			 "the reply would go to %.80s, not to the sender %.80s",
			 TRUST_OR_NONE(recipient), TRUST_OR_NONE(msg->from_addr));
		trust_flag(out, &added, "recipient_not_sender", detail);
	}
	return added;
}
