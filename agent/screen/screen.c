/* SPDX-License-Identifier: MIT */
#include "agent/screen/screen.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "agent/screen/screen_int.h"
#include "daemon/lib/util.h"

static const char *const codes[] = {
	[SCREEN_NONE] = "",
	[SCREEN_BOUNCE] = "bounce",
	[SCREEN_AUTO_SUBMITTED] = "auto_submitted",
	[SCREEN_BULK] = "bulk",
	[SCREEN_LIST] = "list",
	[SCREEN_NULL_SENDER] = "null_sender",
	[SCREEN_NOREPLY_SENDER] = "noreply_sender",
	[SCREEN_OVERSIZED] = "oversized",
	[SCREEN_SPAM] = "spam",
};

const char *screen_reason_code(enum screen_reason reason)
{
	return (size_t)reason < ARRAY_SIZE(codes) ? codes[reason] : "";
}

/* Copies outside text into the detail as printable ASCII, bounded. */
static void safe_copy(char *out, size_t size, const char *s)
{
	size_t o = 0;

	for (; s != NULL && *s != '\0' && o + 1 < size && o < 60; s++)
		out[o++] = (*s >= 0x20 && *s < 0x7F) ? *s : '?';
	out[o] = '\0';
}

static int screened(struct screen_result *r, enum screen_reason reason, const char *what,
		    const char *value)
{
	char v[64];

	safe_copy(v, sizeof(v), value);
	r->reason = reason;
	r->action = reason == SCREEN_OVERSIZED ? SCREEN_HUMAN : SCREEN_SKIP;
	r->code = screen_reason_code(reason);
	if (value != NULL)
		snprintf(r->detail, sizeof(r->detail), "%s: %s", what, v);
	else
		snprintf(r->detail, sizeof(r->detail), "%s", what);
	return 1;
}

/* The first token of a header value ("auto-replied; owner=..." -> "auto-replied"). */
static void first_token(const char *v, char *out, size_t size)
{
	size_t n = 0;

	while (*v == ' ' || *v == '\t')
		v++;
	while (*v != '\0' && *v != ';' && *v != ' ' && *v != '\t' && *v != '(' && n + 1 < size)
		out[n++] = (char)tolower((unsigned char)*v++);
	out[n] = '\0';
}

/* The local part of an address, lower case, without '-', '_' and '.', so
 * "No-Reply", "no_reply" and "do.not.reply" all compare alike. */
static void local_part(const char *addr, char *out, size_t size)
{
	size_t n = 0;

	for (; addr != NULL && *addr != '\0' && *addr != '@' && n + 1 < size; addr++) {
		if (*addr != '-' && *addr != '_' && *addr != '.')
			out[n++] = (char)tolower((unsigned char)*addr);
	}
	out[n] = '\0';
}

static bool bounce_sender(const char *local)
{
	return strcmp(local, "mailerdaemon") == 0 || strcmp(local, "postmaster") == 0;
}

static bool noreply_sender(const char *local)
{
	static const char *const prefixes[] = {"noreply", "donotreply", "dontreply", NULL};
	size_t i;

	for (i = 0; prefixes[i] != NULL; i++) {
		if (strncmp(local, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	}
	return false;
}

static bool is_report(const char *ct)
{
	return ct != NULL &&
	       (strcmp(ct, "multipart/report") == 0 || strcmp(ct, "message/delivery-status") == 0 ||
		strcmp(ct, "message/disposition-notification") == 0);
}

int screen_message(const struct mime_message *m, struct screen_result *r)
{
	return screen_message_with(m, NULL, r);
}

int screen_message_with(const struct mime_message *m, const struct screen_options *opt,
			struct screen_result *r)
{
	static const char *const autoreply_headers[] = {"x-autoreply", "x-autorespond",
							"x-autoresponder", NULL};
	const struct mime_header *spam;
	char local[128], tok[64], what[80];
	const char *v;
	size_t i;

	memset(r, 0, sizeof(*r));
	r->code = "";
	/* first: the mail system's verdict is the most telling reason */
	spam = screen_spam_verdict(m, opt != NULL ? opt->spam_header_pattern : NULL);
	if (spam != NULL) {
		snprintf(what, sizeof(what), "spam verdict %s", spam->name);
		return screened(r, SCREEN_SPAM, what, spam->value);
	}
	local_part(m->from_addr, local, sizeof(local));
	if (is_report(m->content_type))
		return screened(r, SCREEN_BOUNCE, "delivery report", m->content_type);
	if (bounce_sender(local))
		return screened(r, SCREEN_BOUNCE, "sender is a mail system", m->from_addr);
	if (m->auto_submitted != NULL) {
		first_token(m->auto_submitted, tok, sizeof(tok));
		if (strcmp(tok, "no") != 0)
			return screened(r, SCREEN_AUTO_SUBMITTED, "Auto-Submitted",
					m->auto_submitted);
	}
	for (i = 0; autoreply_headers[i] != NULL; i++) {
		v = mime_message_header(m, autoreply_headers[i]);
		if (v != NULL && strcasecmp(v, "no") != 0)
			return screened(r, SCREEN_AUTO_SUBMITTED, autoreply_headers[i], v);
	}
	if (m->precedence != NULL) {
		first_token(m->precedence, tok, sizeof(tok));
		if (strcmp(tok, "bulk") == 0 || strcmp(tok, "junk") == 0)
			return screened(r, SCREEN_BULK, "Precedence", m->precedence);
		if (strcmp(tok, "list") == 0)
			return screened(r, SCREEN_LIST, "Precedence", m->precedence);
		if (strcmp(tok, "auto_reply") == 0 || strcmp(tok, "auto-reply") == 0)
			return screened(r, SCREEN_AUTO_SUBMITTED, "Precedence", m->precedence);
	}
	if (m->list_id != NULL)
		return screened(r, SCREEN_LIST, "List-Id", m->list_id);
	if (m->list_unsubscribe != NULL)
		return screened(r, SCREEN_LIST, "List-Unsubscribe present", NULL);
	if (m->has_return_path && m->return_path != NULL && m->return_path[0] == '\0')
		return screened(r, SCREEN_NULL_SENDER, "empty Return-Path <>", NULL);
	if (noreply_sender(local))
		return screened(r, SCREEN_NOREPLY_SENDER, "no-reply sender", m->from_addr);
	if (m->flags & (MIME_FLAG_OVERSIZED | MIME_FLAG_LIMIT))
		return screened(r, SCREEN_OVERSIZED, "message too large or too complex to read",
				NULL);
	return 0;
}
