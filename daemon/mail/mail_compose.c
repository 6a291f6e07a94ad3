/* SPDX-License-Identifier: MIT */
#include "daemon/mail/mail_compose.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/mail/mail_int.h"
#include "daemon/lib/utf8.h"
#include "daemon/lib/util.h"

#define MSGID_MAX    250
#define REFS_MAX_IDS 64

/* A composing error names the field: "To: more than one address". */
static void compose_fail(struct error *err, const char *field, const char *reason)
{
	error_set(err, "%s: %s", field, reason);
}

static int address_format(struct buf *out, const struct mail_address *a)
{
	const char *p;

	if (a->name[0] == '\0')
		return buf_append_str(out, a->addr);
	if (mail_needs_eword(a->name)) {
		if (mail_eword_append(out, a->name) < 0)
			return -1;
	} else {
		for (p = a->name; *p != '\0' && (mail_is_atext((unsigned char)*p) || *p == ' ');
		     p++)
			;
		if (*p == '\0') {
			if (buf_append_str(out, a->name) < 0)
				return -1;
		} else {
			if (buf_append_str(out, "\"") < 0)
				return -1;
			for (p = a->name; *p != '\0'; p++) {
				if ((*p == '"' || *p == '\\') && buf_append_str(out, "\\") < 0)
					return -1;
				if (buf_append(out, p, 1) < 0)
					return -1;
			}
			if (buf_append_str(out, "\"") < 0)
				return -1;
		}
	}
	return buf_printf(out, " <%s>", a->addr);
}

/* A msg-id "<...>" of printable ASCII without blanks, quotes or brackets
 * inside; ours must also carry an '@'. */
static bool msgid_valid(const char *s, size_t len, bool strict)
{
	size_t i;

	if (len < 3 || len > MSGID_MAX || s[0] != '<' || s[len - 1] != '>')
		return false;
	for (i = 1; i < len - 1; i++) {
		if (s[i] <= 0x20 || s[i] >= 0x7F || strchr("<>\"\\", s[i]) != NULL)
			return false;
	}
	return !strict || memchr(s, '@', len) != NULL;
}

/* References: the original's ids plus its Message-ID; when longer than
 * MAIL_REFERENCES_MAX, the oldest ids after the first are dropped (RFC 5322
 * 3.6.4: the first one names the thread's root). */
static int references_build(const char *orig_refs, const char *orig_id, struct buf *out)
{
	const char *ids[REFS_MAX_IDS + 1], *p = orig_refs != NULL ? orig_refs : "", *e;
	size_t lens[REFS_MAX_IDS + 1], count = 0, total = 0, i;

	while ((p = strchr(p, '<')) != NULL) {
		e = strchr(p, '>');
		if (e == NULL)
			break;
		if (msgid_valid(p, (size_t)(e - p + 1), false)) {
			if (count == REFS_MAX_IDS) {
				/* keep the root, drop the oldest of the rest */
				memmove(ids + 1, ids + 2, (count - 2) * sizeof(ids[0]));
				memmove(lens + 1, lens + 2, (count - 2) * sizeof(lens[0]));
				count--;
			}
			ids[count] = p;
			lens[count++] = (size_t)(e - p + 1);
		}
		p = e + 1;
	}
	if (orig_id != NULL && msgid_valid(orig_id, strlen(orig_id), false) &&
	    (count == 0 || lens[count - 1] != strlen(orig_id) ||
	     memcmp(ids[count - 1], orig_id, lens[count - 1]) != 0)) {
		ids[count] = orig_id;
		lens[count++] = strlen(orig_id);
	}
	for (i = 0; i < count; i++)
		total += lens[i] + 1;
	while (total > MAIL_REFERENCES_MAX && count > 2) {
		total -= lens[1] + 1;
		memmove(ids + 1, ids + 2, (count - 2) * sizeof(ids[0]));
		memmove(lens + 1, lens + 2, (count - 2) * sizeof(lens[0]));
		count--;
	}
	for (i = 0; i < count; i++) {
		if ((i > 0 && buf_append_str(out, " ") < 0) || buf_append(out, ids[i], lens[i]) < 0)
			return -1;
	}
	return 0;
}

static int date_format(time_t t, struct buf *out)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	return buf_printf(out, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday],
			  tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
			  tm.tm_sec);
}

/* Splits a Cc list at commas outside quotes and angle brackets. */
static int cc_parse(const char *list, struct mail_address *cc, size_t *count_r, struct error *err)
{
	char item[MAIL_ADDR_MAX + MAIL_NAME_MAX + 8];
	const char *p = list, *start = list;
	bool quoted = false, angle = false;
	size_t n = 0;

	for (;; p++) {
		if (*p == '"' && (p == list || p[-1] != '\\'))
			quoted = !quoted;
		else if (!quoted && *p == '<')
			angle = true;
		else if (!quoted && *p == '>')
			angle = false;
		if (*p != '\0' && (quoted || angle || *p != ','))
			continue;
		if ((size_t)(p - start) >= sizeof(item)) {
			error_set(err, "address too long");
			return -1;
		}
		memcpy(item, start, (size_t)(p - start));
		item[p - start] = '\0';
		if (n == MAIL_CC_MAX) {
			error_set(err, "too many addresses");
			return -1;
		}
		if (mail_address_parse(item, &cc[n], err) < 0)
			return -1;
		n++;
		if (*p == '\0')
			break;
		start = p + 1;
	}
	*count_r = n;
	return 0;
}

/* Puts name on a parsed address: always (replace), or only when it has
 * none. Names keep their letters (UTF-8, RFC 2047 on the wire); control
 * characters and invalid UTF-8 are refused. Returns 0 or -1. */
static int compose_name(struct mail_address *a, const char *name, bool replace)
{
	size_t len;

	if (name == NULL || name[0] == '\0' || (!replace && a->name[0] != '\0'))
		return 0;
	len = strlen(name);
	if (len >= sizeof(a->name) || !utf8_valid(name, len))
		return -1;
	for (const char *p = name; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return -1;
	}
	memcpy(a->name, name, len + 1);
	return 0;
}

int mail_compose(const struct mail_reply *reply, struct buf *out, struct mail_envelope *env_r,
		 struct error *err)
{
	struct mail_address from, to, cc[MAIL_CC_MAX];
	struct buf tmp;
	size_t ncc = 0, i, blen = reply->body != NULL ? strlen(reply->body) : 0;
	bool has_orig_id;
	int ret = -1;

	buf_init(&tmp, 64 * 1024);
	memset(env_r, 0, sizeof(*env_r));
	if (mail_address_parse(reply->from, &from, err) < 0) {
		error_prefix(err, "From");
		goto out;
	}
	if (mail_address_parse(reply->to, &to, err) < 0) {
		error_prefix(err, "To");
		goto out;
	}
	if (compose_name(&from, reply->from_name, true) < 0) {
		compose_fail(err, "From display name", "not valid UTF-8 or has control characters");
		goto out;
	}
	/* the customer's own name, from their mail: a bad one is left out */
	(void)compose_name(&to, reply->to_name, false);
	if (reply->cc != NULL && reply->cc[0] != '\0' && cc_parse(reply->cc, cc, &ncc, err) < 0) {
		error_prefix(err, "Cc");
		goto out;
	}
	if (reply->message_id == NULL ||
	    !msgid_valid(reply->message_id, strlen(reply->message_id), true)) {
		compose_fail(err, "Message-ID", "not a valid <id@domain>");
		goto out;
	}
	if (!utf8_valid(reply->body != NULL ? reply->body : "", blen)) {
		compose_fail(err, "body", "not valid UTF-8");
		goto out;
	}
	has_orig_id = reply->orig_message_id != NULL &&
		      msgid_valid(reply->orig_message_id, strlen(reply->orig_message_id), false);

	compose_fail(err, "message", "larger than the limit");
	if (address_format(&tmp, &from) < 0 || mail_header_append(out, "From", tmp.data) < 0)
		goto out;
	buf_reset(&tmp);
	if (address_format(&tmp, &to) < 0 || mail_header_append(out, "To", tmp.data) < 0)
		goto out;
	if (ncc > 0) {
		buf_reset(&tmp);
		for (i = 0; i < ncc; i++) {
			if ((i > 0 && buf_append_str(&tmp, ", ") < 0) ||
			    address_format(&tmp, &cc[i]) < 0)
				goto out;
		}
		if (mail_header_append(out, "Cc", tmp.data) < 0)
			goto out;
	}
	buf_reset(&tmp);
	if (mail_reply_subject(reply->subject, &tmp) < 0)
		goto out;
	if (mail_needs_eword(tmp.data + 3)) {
		char *plain = buf_steal(&tmp);
		int r;

		/* "Re:" stays readable; the rest becomes encoded-words */
		buf_init(&tmp, 64 * 1024);
		r = buf_append_str(&tmp, "Re: ") < 0 || mail_eword_append(&tmp, plain + 4) < 0 ? -1
											       : 0;
		free(plain);
		if (r < 0)
			goto out;
	}
	if (mail_header_append(out, "Subject", tmp.data) < 0)
		goto out;
	buf_reset(&tmp);
	if (date_format(reply->date, &tmp) < 0 || mail_header_append(out, "Date", tmp.data) < 0 ||
	    mail_header_append(out, "Message-ID", reply->message_id) < 0)
		goto out;
	if (has_orig_id && mail_header_append(out, "In-Reply-To", reply->orig_message_id) < 0)
		goto out;
	buf_reset(&tmp);
	if (references_build(reply->orig_references, has_orig_id ? reply->orig_message_id : NULL,
			     &tmp) < 0)
		goto out;
	if (tmp.len > 0 && mail_header_append(out, "References", tmp.data) < 0)
		goto out;
	if (reply->is_auto && mail_header_append(out, "Auto-Submitted", "auto-replied") < 0)
		goto out;
	if (buf_append_str(out, "MIME-Version: 1.0\r\n"
				"Content-Type: text/plain; charset=UTF-8\r\n"
				"Content-Transfer-Encoding: quoted-printable\r\n\r\n") < 0 ||
	    mail_qp_encode(reply->body != NULL ? reply->body : "", blen, out) < 0)
		goto out;

	str_copy(env_r->from, sizeof(env_r->from), from.addr);
	str_copy(env_r->rcpt[0], sizeof(env_r->rcpt[0]), to.addr);
	for (i = 0; i < ncc; i++)
		str_copy(env_r->rcpt[i + 1], sizeof(env_r->rcpt[i + 1]), cc[i].addr);
	env_r->rcpt_count = 1 + ncc;
	error_clear(err);
	ret = 0;
out:
	buf_free(&tmp);
	return ret;
}
