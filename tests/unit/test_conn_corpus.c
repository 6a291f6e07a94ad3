/* SPDX-License-Identifier: MIT */
#include "test_conn_corpus.h"

#include <ctype.h>
#include <iconv.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/mime/mime.h"
#include "daemon/lib/buf.h"
#include "daemon/lib/util.h"

#define CORPUS_MAX       (1024 * 1024)
#define CORPUS_DEPTH_MAX 8

static int corpus_unhex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void corpus_qp(const char *s, size_t len, bool underscore, struct buf *out)
{
	size_t i;
	char c;

	for (i = 0; i < len; i++) {
		c = s[i];
		if (c == '=' && i + 2 < len + 1 && i + 1 < len &&
		    (s[i + 1] == '\n' || s[i + 1] == '\r')) {
			i++;
			if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n')
				i++;
			continue;
		}
		if (c == '=' && i + 2 < len && corpus_unhex(s[i + 1]) >= 0 &&
		    corpus_unhex(s[i + 2]) >= 0) {
			c = (char)(corpus_unhex(s[i + 1]) * 16 + corpus_unhex(s[i + 2]));
			i += 2;
		} else if (c == '_' && underscore) {
			c = ' ';
		}
		(void)!buf_append(out, &c, 1);
	}
}

static void corpus_b64(const char *s, size_t len, struct buf *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned int acc = 0, bits = 0;
	const char *p;
	size_t i;
	char c;

	for (i = 0; i < len; i++) {
		if (s[i] == '=')
			break;
		p = strchr(a, s[i]);
		if (p == NULL || s[i] == '\0')
			continue;
		acc = (acc << 6) | (unsigned int)(p - a);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			c = (char)((acc >> bits) & 0xff);
			(void)!buf_append(out, &c, 1);
		}
	}
}

/* Converts charset to UTF-8 in place; unknown charsets are left alone. */
static void corpus_to_utf8(const char *charset, struct buf *b)
{
	struct buf out;
	iconv_t cd;
	char *in, *o, tmp[4096];
	size_t inleft, oleft;

	if (charset == NULL || strcasecmp(charset, "utf-8") == 0 ||
	    strcasecmp(charset, "us-ascii") == 0)
		return;
	cd = iconv_open("UTF-8", charset);
	if (cd == (iconv_t)-1)
		return;
	buf_init(&out, CORPUS_MAX);
	in = b->data;
	inleft = b->len;
	while (inleft > 0) {
		o = tmp;
		oleft = sizeof(tmp);
		if (iconv(cd, &in, &inleft, &o, &oleft) == (size_t)-1 && o == tmp) {
			in++;
			inleft--;
		}
		(void)!buf_append(&out, tmp, sizeof(tmp) - oleft);
	}
	iconv_close(cd);
	buf_free(b);
	*b = out;
}

/* Decodes RFC 2047 encoded words; whitespace between two words is dropped. */
static char *corpus_rfc2047(const char *s)
{
	struct buf out, word;
	const char *p = s, *q, *e, *t, *end;
	char charset[64];
	bool last_word = false;

	buf_init(&out, CORPUS_MAX);
	while (*p != '\0') {
		q = strstr(p, "=?");
		if (q == NULL) {
			(void)!buf_append_str(&out, p);
			break;
		}
		e = strchr(q + 2, '?');
		t = e != NULL ? e + 2 : NULL;
		end = t != NULL && e[1] != '\0' && e[2] == '?' ? strstr(t + 1, "?=") : NULL;
		if (end == NULL) {
			(void)!buf_append(&out, p, (size_t)(q - p) + 2);
			p = q + 2;
			continue;
		}
		/* only whitespace between two encoded words is ignored */
		if (!(last_word && strspn(p, " \t\r\n") >= (size_t)(q - p)))
			(void)!buf_append(&out, p, (size_t)(q - p));
		snprintf(charset, sizeof(charset), "%.*s", (int)(e - q - 2), q + 2);
		if (strchr(charset, '*') != NULL)
			*strchr(charset, '*') = '\0';
		buf_init(&word, CORPUS_MAX);
		if (e[1] == 'b' || e[1] == 'B')
			corpus_b64(t + 1, (size_t)(end - t - 1), &word);
		else
			corpus_qp(t + 1, (size_t)(end - t - 1), true, &word);
		corpus_to_utf8(charset, &word);
		(void)!buf_append(&out, word.data != NULL ? word.data : "", word.len);
		buf_free(&word);
		p = end + 2;
		last_word = true;
	}
	return buf_steal(&out);
}

/* A header parameter (boundary, charset, name, filename) or NULL; heap. */
static char *corpus_param(const char *value, const char *name)
{
	size_t n = strlen(name);
	const char *p = value, *s;
	char *r;

	while ((p = strcasestr(p, name)) != NULL) {
		if ((p == value || p[-1] == ';' || isspace((unsigned char)p[-1])) && p[n] == '=') {
			s = p + n + 1;
			if (*s == '"') {
				s++;
				r = strndup(s, strcspn(s, "\""));
			} else {
				r = strndup(s, strcspn(s, "; \t\r\n"));
			}
			return r;
		}
		p += n;
	}
	return NULL;
}

/* Splits a header block into names/values (unfolded); returns the body. */
static const char *corpus_headers(const char *s, const char *end, char **names, char **values,
				  size_t *count, size_t max)
{
	struct buf v;
	const char *line, *nl, *colon;

	while (s < end) {
		line = s;
		nl = memchr(s, '\n', (size_t)(end - s));
		if (nl == NULL)
			nl = end;
		if (nl == line || (nl == line + 1 && *line == '\r'))
			return nl < end ? nl + 1 : end;
		colon = memchr(line, ':', (size_t)(nl - line));
		s = nl < end ? nl + 1 : end;
		if (colon == NULL)
			continue;
		buf_init(&v, CORPUS_MAX);
		(void)!buf_append(&v, colon + 1, (size_t)(nl - colon - 1));
		while (s < end && (*s == ' ' || *s == '\t')) {
			nl = memchr(s, '\n', (size_t)(end - s));
			if (nl == NULL)
				nl = end;
			(void)!buf_append(&v, s, (size_t)(nl - s));
			s = nl < end ? nl + 1 : end;
		}
		if (*count < max) {
			char *raw = buf_steal(&v), *t = raw, *c;
			size_t i;

			for (c = raw; *c != '\0'; c++)
				if (*c == '\r' || *c == '\n' || *c == '\t')
					*c = ' ';
			while (*t == ' ')
				t++;
			i = strlen(t);
			while (i > 0 && t[i - 1] == ' ')
				t[--i] = '\0';
			names[*count] = strndup(line, (size_t)(colon - line));
			for (c = names[*count]; *c != '\0'; c++)
				*c = (char)tolower((unsigned char)*c);
			values[*count] = corpus_rfc2047(t);
			(*count)++;
			free(raw);
		} else {
			buf_free(&v);
		}
	}
	return end;
}

static const char *corpus_find(char **names, char **values, size_t count, const char *name)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (strcmp(names[i], name) == 0)
			return values[i];
	return NULL;
}

/* Appends the text of HTML with tags dropped and a few entities decoded. */
static void corpus_strip_html(const char *s, size_t len, struct buf *out)
{
	static const struct {
		const char *ent, *text;
	} ents[] = {{"&nbsp;", " "},  {"&amp;", "&"},        {"&lt;", "<"},        {"&gt;", ">"},
		    {"&quot;", "\""}, {"&#8211;", "\u2013"}, {"&euro;", "\u20ac"}, {"&#39;", "'"}};
	size_t i, k;

	for (i = 0; i < len; i++) {
		if (s[i] == '<') {
			while (i < len && s[i] != '>')
				i++;
			/* a tag separates words: "<td>SO-1</td><td>HP-2" */
			(void)!buf_append(out, " ", 1);
			continue;
		}
		if (s[i] == '&') {
			for (k = 0; k < ARRAY_SIZE(ents); k++) {
				size_t n = strlen(ents[k].ent);
				if (i + n <= len && strncasecmp(s + i, ents[k].ent, n) == 0) {
					(void)!buf_append_str(out, ents[k].text);
					i += n - 1;
					break;
				}
			}
			if (k < ARRAY_SIZE(ents))
				continue;
		}
		(void)!buf_append(out, s + i, 1);
	}
}

static void corpus_part(struct corpus_msg *msg, const char *s, const char *end, int depth);

static void corpus_multipart(struct corpus_msg *msg, const char *body, const char *end,
			     const char *boundary, int depth)
{
	char delim[256];
	const char *p, *next, *start;
	size_t dl;

	dl = (size_t)snprintf(delim, sizeof(delim), "--%s", boundary);
	p = memmem(body, (size_t)(end - body), delim, dl);
	while (p != NULL) {
		start = p + dl;
		if (start + 1 < end && start[0] == '-' && start[1] == '-')
			break;
		start = memchr(start, '\n', (size_t)(end - start));
		if (start == NULL)
			break;
		start++;
		next = memmem(start, (size_t)(end - start), delim, dl);
		corpus_part(msg, start, next != NULL ? next : end, depth + 1);
		p = next;
	}
}

static void corpus_part(struct corpus_msg *msg, const char *s, const char *end, int depth)
{
	char *names[CORPUS_HEADERS_MAX], *values[CORPUS_HEADERS_MAX];
	char *boundary = NULL, *charset = NULL, *name = NULL;
	const char *ct, *cte, *cd, *body;
	size_t count = 0, i;
	struct buf raw;

	if (depth > CORPUS_DEPTH_MAX)
		return;
	body = corpus_headers(s, end, names, values, &count, CORPUS_HEADERS_MAX);
	ct = corpus_find(names, values, count, "content-type");
	cte = corpus_find(names, values, count, "content-transfer-encoding");
	cd = corpus_find(names, values, count, "content-disposition");
	if (ct == NULL)
		ct = "text/plain";
	name = cd != NULL ? corpus_param(cd, "filename") : NULL;
	if (name == NULL)
		name = corpus_param(ct, "name");
	if (strncasecmp(ct, "multipart/", 10) == 0) {
		boundary = corpus_param(ct, "boundary");
		if (boundary != NULL)
			corpus_multipart(msg, body, end, boundary, depth);
		goto out;
	}
	if (name != NULL && msg->attachments_count < CORPUS_ATTACH_MAX &&
	    (cd == NULL || strncasecmp(cd, "attachment", 10) == 0 ||
	     strncasecmp(ct, "text/", 5) != 0))
		msg->attachments[msg->attachments_count++] = corpus_rfc2047(name);
	if (strncasecmp(ct, "text/plain", 10) != 0 && strncasecmp(ct, "text/html", 9) != 0)
		goto out;
	if (cd != NULL && strncasecmp(cd, "attachment", 10) == 0)
		goto out;
	buf_init(&raw, CORPUS_MAX);
	if (cte != NULL && strcasecmp(cte, "quoted-printable") == 0)
		corpus_qp(body, (size_t)(end - body), false, &raw);
	else if (cte != NULL && strcasecmp(cte, "base64") == 0)
		corpus_b64(body, (size_t)(end - body), &raw);
	else
		(void)!buf_append(&raw, body, (size_t)(end - body));
	charset = corpus_param(ct, "charset");
	corpus_to_utf8(charset, &raw);
	{
		struct buf all;

		buf_init(&all, CORPUS_MAX);
		if (msg->body != NULL)
			(void)!buf_printf(&all, "%s\n", msg->body);
		if (strncasecmp(ct, "text/html", 9) == 0)
			corpus_strip_html(raw.data != NULL ? raw.data : "", raw.len, &all);
		else
			(void)!buf_append(&all, raw.data != NULL ? raw.data : "", raw.len);
		free(msg->body);
		msg->body = buf_steal(&all);
	}
	buf_free(&raw);
out:
	for (i = 0; i < count; i++) {
		if (depth == 0 && msg->headers_count < CORPUS_HEADERS_MAX) {
			msg->header_names[msg->headers_count] = names[i];
			msg->header_values[msg->headers_count++] = values[i];
		} else {
			free(names[i]);
			free(values[i]);
		}
	}
	free(boundary);
	free(charset);
	free(name);
}

/* The lower-case addr-spec of an address header value. */
static char *corpus_addr(const char *v)
{
	const char *lt = v != NULL ? strrchr(v, '<') : NULL;
	char *r, *c;

	if (v == NULL)
		return NULL;
	r = lt != NULL ? strndup(lt + 1, strcspn(lt + 1, ">")) : strndup(v, strcspn(v, " \t"));
	for (c = r; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	return r;
}

int corpus_msg_read(const char *path, struct corpus_msg *msg)
{
	const char *base, *ct;
	char *data = NULL, *c;
	size_t len;

	memset(msg, 0, sizeof(*msg));
	if (file_read_all(path, CORPUS_MAX, &data, &len, NULL) < 0)
		return -1;
	base = strrchr(path, '/');
	msg->file = strdup(base != NULL ? base + 1 : path);
	corpus_part(msg, data, data + len, 0);
	msg->from = corpus_addr(corpus_msg_header(msg, "from"));
	msg->reply_to = corpus_addr(corpus_msg_header(msg, "reply-to"));
	msg->subject = str_dup(corpus_msg_header(msg, "subject"));
	msg->message_id = str_dup(corpus_msg_header(msg, "message-id"));
	ct = corpus_msg_header(msg, "content-type");
	msg->content_type = strndup(ct != NULL ? ct : "text/plain",
				    strcspn(ct != NULL ? ct : "text/plain", "; \t"));
	for (c = msg->content_type; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	if (msg->body == NULL)
		msg->body = strdup("");
	free(data);
	return 0;
}

int corpus_msg_read_mime(const char *path, struct corpus_msg *msg)
{
	struct mime_message *m = NULL;
	struct mime_limits limits;
	const char *base;
	char *data = NULL;
	size_t len, i;
	int ret = -1;

	memset(msg, 0, sizeof(*msg));
	if (file_read_all(path, CORPUS_MAX, &data, &len, NULL) < 0)
		return -1;
	mime_limits_default(&limits);
	if (mime_parse(data, len, &limits, &m, NULL) < 0)
		goto out;
	base = strrchr(path, '/');
	msg->file = strdup(base != NULL ? base + 1 : path);
	for (i = 0; i < m->headers_count && i < CORPUS_HEADERS_MAX; i++) {
		msg->header_names[i] = str_dup(m->headers[i].name);
		msg->header_values[i] = str_dup(m->headers[i].value);
		msg->headers_count++;
	}
	for (i = 0; i < m->attachments_count && msg->attachments_count < CORPUS_ATTACH_MAX; i++) {
		if (m->attachments[i].filename != NULL)
			msg->attachments[msg->attachments_count++] =
				str_dup(m->attachments[i].filename);
	}
	msg->from = str_dup(m->from_addr);
	msg->reply_to = str_dup(m->reply_to);
	msg->subject = str_dup(m->subject);
	msg->message_id = str_dup(m->message_id);
	msg->content_type = str_dup(m->content_type != NULL ? m->content_type : "text/plain");
	msg->body = str_dup(m->full_text != NULL ? m->full_text : "");
	ret = 0;
out:
	mime_message_free(&m);
	free(data);
	return ret;
}

void corpus_msg_free(struct corpus_msg *msg)
{
	size_t i;

	for (i = 0; i < msg->headers_count; i++) {
		free(msg->header_names[i]);
		free(msg->header_values[i]);
	}
	for (i = 0; i < msg->attachments_count; i++)
		free(msg->attachments[i]);
	free(msg->file);
	free(msg->from);
	free(msg->reply_to);
	free(msg->subject);
	free(msg->message_id);
	free(msg->content_type);
	free(msg->body);
	memset(msg, 0, sizeof(*msg));
}

const char *corpus_msg_header(const struct corpus_msg *msg, const char *name)
{
	return corpus_find((char **)msg->header_names, (char **)msg->header_values,
			   msg->headers_count, name);
}

json_t *corpus_labels(const char *corpus_dir)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/labels.json", corpus_dir);
	return json_load_file(path, 0, NULL);
}
