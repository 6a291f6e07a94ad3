#include "daemon/mail_compose.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/util.h"

#define LINE_SOFT_MAX 78
#define MSGID_MAX     250
#define REFS_MAX_IDS  64
/* Raw bytes per RFC 2047 encoded-word: 39 bytes -> 52 base64 chars -> a
 * 64-char word, so "Subject: " + word stays under 78 columns. */
#define EWORD_RAW_MAX 39

static _Thread_local char compose_error[200];

static const char *compose_fail(const char *field, const char *reason)
{
	snprintf(compose_error, sizeof(compose_error), "%s: %s", field, reason);
	return compose_error;
}

static size_t utf8_seq_len(unsigned char c)
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

/* Length of the valid UTF-8 sequence at p (at most avail bytes), or 0. */
static size_t utf8_valid_at(const unsigned char *p, size_t avail)
{
	static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
	size_t n = utf8_seq_len(p[0]), i;
	uint32_t cp;

	if (n == 0 || n > avail)
		return 0;
	if (n == 1)
		return 1;
	cp = p[0] & (0x7F >> n);
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

bool mail_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		n = utf8_valid_at(p + i, len - i);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

static bool is_atext(int c)
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
		if (*p == '.' ? p[1] == '.' : !is_atext((unsigned char)*p))
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
static int name_parse(const char *s, const char *e, char *name_r, const char **error_r)
{
	size_t n = 0;
	const char *p;

	s = trim(s, &e);
	if (s < e && *s == '"') {
		if (e - s < 2 || e[-1] != '"') {
			*error_r = "unbalanced quotes in the display name";
			return -1;
		}
		for (p = s + 1; p < e - 1; p++) {
			if (*p == '\\' && p + 1 < e - 1)
				p++;
			else if (*p == '"') {
				*error_r = "text after a quoted display name";
				return -1;
			}
			if (n + 1 >= MAIL_NAME_MAX)
				goto too_long;
			name_r[n++] = *p;
		}
	} else {
		for (p = s; p < e; p++) {
			if (strchr("\",@<>;:\\[]()", *p) != NULL) {
				*error_r = "special characters (a second address?) in the display "
					   "name";
				return -1;
			}
			if (n + 1 >= MAIL_NAME_MAX)
				goto too_long;
			name_r[n++] = *p;
		}
	}
	name_r[n] = '\0';
	if (!mail_utf8_valid(name_r, n)) {
		*error_r = "display name is not UTF-8";
		return -1;
	}
	return 0;
too_long:
	*error_r = "display name too long";
	return -1;
}

int mail_address_parse(const char *text, struct mail_address *addr_r, const char **error_r)
{
	const char *s, *e, *lt = NULL, *gt = NULL, *p;
	bool quoted = false;

	memset(addr_r, 0, sizeof(*addr_r));
	if (text == NULL || *text == '\0') {
		*error_r = "empty address";
		return -1;
	}
	for (p = text; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if ((c < 0x20 && c != '\t') || c == 0x7F) {
			*error_r = "control character (CR/LF?) in the address";
			return -1;
		}
		if (c == '\\' && quoted && p[1] != '\0') {
			p++;
			continue;
		}
		if (c == '"')
			quoted = !quoted;
		else if (!quoted && c == ',') {
			*error_r = "more than one address";
			return -1;
		} else if (!quoted && c == '<') {
			if (lt != NULL) {
				*error_r = "more than one address";
				return -1;
			}
			lt = p;
		} else if (!quoted && c == '>') {
			if (gt != NULL || lt == NULL) {
				*error_r = "stray '>' in the address";
				return -1;
			}
			gt = p;
		}
	}
	if (quoted) {
		*error_r = "unbalanced quotes in the address";
		return -1;
	}
	if (lt != NULL) {
		if (gt == NULL) {
			*error_r = "missing '>' in the address";
			return -1;
		}
		for (p = gt + 1; *p != '\0'; p++) {
			if (*p != ' ' && *p != '\t') {
				*error_r = "text after the address";
				return -1;
			}
		}
		if (name_parse(text, lt, addr_r->name, error_r) < 0)
			return -1;
		s = lt + 1;
		e = gt;
	} else {
		s = text;
		e = text + strlen(text);
	}
	s = trim(s, &e);
	if ((size_t)(e - s) >= MAIL_ADDR_MAX) {
		*error_r = "address too long";
		return -1;
	}
	memcpy(addr_r->addr, s, (size_t)(e - s));
	addr_r->addr[e - s] = '\0';
	if (!addr_spec_valid(addr_r->addr)) {
		*error_r = "not a valid local@domain address";
		return -1;
	}
	return 0;
}

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
	size_t n = 0, len, skip, avail;

	/* controls out first, so "Re:\r\n Re:" is seen as a stacked prefix */
	while (*p != '\0' && n < MAIL_SUBJECT_MAX) {
		avail = strlen((const char *)p);
		len = utf8_valid_at(p, avail);
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

static int base64_append(struct buf *out, const unsigned char *in, size_t len)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char q[4];
	size_t i;

	for (i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		q[0] = tab[(v >> 18) & 63];
		q[1] = tab[(v >> 12) & 63];
		q[2] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		q[3] = i + 2 < len ? tab[v & 63] : '=';
		if (buf_append(out, q, 4) < 0)
			return -1;
	}
	return 0;
}

/* Appends s as RFC 2047 B encoded-words separated by single spaces (the
 * header folder breaks there), never splitting a UTF-8 character. */
static int eword_append(struct buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i = 0, chunk, n;

	while (i < len) {
		chunk = 0;
		while (i + chunk < len) {
			n = utf8_seq_len(p[i + chunk]);
			if (n == 0)
				n = 1;
			if (chunk + n > EWORD_RAW_MAX)
				break;
			chunk += n;
		}
		if ((i > 0 && buf_append_str(out, " ") < 0) ||
		    buf_append_str(out, "=?UTF-8?B?") < 0 || base64_append(out, p + i, chunk) < 0 ||
		    buf_append_str(out, "?=") < 0)
			return -1;
		i += chunk;
	}
	return 0;
}

static bool needs_eword(const char *s)
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
static int header_append(struct buf *out, const char *name, const char *value)
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

static int address_format(struct buf *out, const struct mail_address *a)
{
	const char *p;

	if (a->name[0] == '\0')
		return buf_append_str(out, a->addr);
	if (needs_eword(a->name)) {
		if (eword_append(out, a->name) < 0)
			return -1;
	} else {
		for (p = a->name; *p != '\0' && (is_atext((unsigned char)*p) || *p == ' '); p++)
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
static int cc_parse(const char *list, struct mail_address *cc, size_t *count_r,
		    const char **error_r)
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
			*error_r = "address too long";
			return -1;
		}
		memcpy(item, start, (size_t)(p - start));
		item[p - start] = '\0';
		if (n == MAIL_CC_MAX) {
			*error_r = "too many addresses";
			return -1;
		}
		if (mail_address_parse(item, &cc[n], error_r) < 0)
			return -1;
		n++;
		if (*p == '\0')
			break;
		start = p + 1;
	}
	*count_r = n;
	return 0;
}

int mail_compose(const struct mail_reply *reply, struct buf *out, struct mail_envelope *env_r,
		 const char **error_r)
{
	struct mail_address from, to, cc[MAIL_CC_MAX];
	struct buf tmp;
	const char *err = NULL;
	size_t ncc = 0, i, blen = reply->body != NULL ? strlen(reply->body) : 0;
	bool has_orig_id;
	int ret = -1;

	buf_init(&tmp, 64 * 1024);
	memset(env_r, 0, sizeof(*env_r));
	if (mail_address_parse(reply->from, &from, &err) < 0) {
		*error_r = compose_fail("From", err);
		goto out;
	}
	if (mail_address_parse(reply->to, &to, &err) < 0) {
		*error_r = compose_fail("To", err);
		goto out;
	}
	if (reply->cc != NULL && reply->cc[0] != '\0' && cc_parse(reply->cc, cc, &ncc, &err) < 0) {
		*error_r = compose_fail("Cc", err);
		goto out;
	}
	if (reply->message_id == NULL ||
	    !msgid_valid(reply->message_id, strlen(reply->message_id), true)) {
		*error_r = compose_fail("Message-ID", "not a valid <id@domain>");
		goto out;
	}
	if (!mail_utf8_valid(reply->body != NULL ? reply->body : "", blen)) {
		*error_r = compose_fail("body", "not valid UTF-8");
		goto out;
	}
	has_orig_id = reply->orig_message_id != NULL &&
		      msgid_valid(reply->orig_message_id, strlen(reply->orig_message_id), false);

	*error_r = compose_fail("message", "larger than the limit");
	if (address_format(&tmp, &from) < 0 || header_append(out, "From", tmp.data) < 0)
		goto out;
	buf_reset(&tmp);
	if (address_format(&tmp, &to) < 0 || header_append(out, "To", tmp.data) < 0)
		goto out;
	if (ncc > 0) {
		buf_reset(&tmp);
		for (i = 0; i < ncc; i++) {
			if ((i > 0 && buf_append_str(&tmp, ", ") < 0) ||
			    address_format(&tmp, &cc[i]) < 0)
				goto out;
		}
		if (header_append(out, "Cc", tmp.data) < 0)
			goto out;
	}
	buf_reset(&tmp);
	if (mail_reply_subject(reply->subject, &tmp) < 0)
		goto out;
	if (needs_eword(tmp.data + 3)) {
		char *plain = buf_steal(&tmp);
		int r;

		/* "Re:" stays readable; the rest becomes encoded-words */
		buf_init(&tmp, 64 * 1024);
		r = buf_append_str(&tmp, "Re: ") < 0 || eword_append(&tmp, plain + 4) < 0 ? -1 : 0;
		free(plain);
		if (r < 0)
			goto out;
	}
	if (header_append(out, "Subject", tmp.data) < 0)
		goto out;
	buf_reset(&tmp);
	if (date_format(reply->date, &tmp) < 0 || header_append(out, "Date", tmp.data) < 0 ||
	    header_append(out, "Message-ID", reply->message_id) < 0)
		goto out;
	if (has_orig_id && header_append(out, "In-Reply-To", reply->orig_message_id) < 0)
		goto out;
	buf_reset(&tmp);
	if (references_build(reply->orig_references, has_orig_id ? reply->orig_message_id : NULL,
			     &tmp) < 0)
		goto out;
	if (tmp.len > 0 && header_append(out, "References", tmp.data) < 0)
		goto out;
	if (reply->is_auto && header_append(out, "Auto-Submitted", "auto-replied") < 0)
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
	*error_r = NULL;
	ret = 0;
out:
	buf_free(&tmp);
	return ret;
}
