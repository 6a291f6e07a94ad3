/* SPDX-License-Identifier: MIT */
#include "agent/mime/mime.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/mime/mime_int.h"
#include "daemon/config/config.h"
#include "daemon/lib/util.h"

/* A text part is read up to this many times max_text_size: enough for HTML
 * markup around a full text, while a 20 MB "text" part costs nothing. */
#define TEXT_INPUT_FACTOR 32

struct walk {
	const struct mime_limits *lim;
	struct mime_message *msg;
	struct buf body; /* visible text of the parts chosen as the body */
	struct buf full; /* every text part, hidden HTML included */
	size_t att_cap;
	size_t parts;
	unsigned plain_parts, html_parts;
	const char *error; /* a limit crossed */
	bool oom;
};

/* A child entity of a multipart body. */
struct span {
	const char *p;
	size_t len;
};

void mime_limits_default(struct mime_limits *l)
{
	l->max_message_size = 25u * 1024 * 1024;
	l->max_depth = 20;
	l->max_parts = 500;
	l->max_header_size = 64u * 1024;
	l->max_text_size = 64u * 1024;
}

void mime_limits_from_config(const struct config *cfg, struct mime_limits *l)
{
	mime_limits_default(l);
	if (cfg->limits.max_message_size > 0)
		l->max_message_size = cfg->limits.max_message_size;
	if (cfg->limits.max_mime_depth > 0)
		l->max_depth = cfg->limits.max_mime_depth;
	if (cfg->limits.max_mime_parts > 0)
		l->max_parts = cfg->limits.max_mime_parts;
	if (cfg->limits.max_header_size > 0)
		l->max_header_size = cfg->limits.max_header_size;
	if (cfg->limits.max_text_size > 0)
		l->max_text_size = cfg->limits.max_text_size;
}

static int walk_entity(struct walk *w, const char *p, size_t len, size_t depth, bool in_body,
		       const char *default_type);

static int fail_limit(struct walk *w, const char *error)
{
	w->error = error;
	w->msg->flags |= MIME_FLAG_LIMIT;
	return -1;
}

static int fail_oom(struct walk *w)
{
	w->oom = true;
	return -1;
}

static int add_attachment(struct walk *w, const struct mime_part_info *pi, size_t size)
{
	struct mime_message *m = w->msg;
	struct mime_attachment *a;
	size_t cap;

	if (m->attachments_count == w->att_cap) {
		cap = w->att_cap == 0 ? 4 : w->att_cap * 2;
		a = realloc(m->attachments, cap * sizeof(*a));
		if (a == NULL)
			return fail_oom(w);
		m->attachments = a;
		w->att_cap = cap;
	}
	a = &m->attachments[m->attachments_count];
	a->filename = str_dup(pi->filename);
	a->content_type = str_dup(pi->type);
	a->size = size;
	m->attachments_count++;
	if ((pi->filename != NULL && a->filename == NULL) || a->content_type == NULL)
		return fail_oom(w);
	return 0;
}

/* Appends text to b, a blank line apart from what is there. */
static int append_section(struct walk *w, struct buf *b, const struct buf *text)
{
	if (text->len == 0)
		return 0;
	if (b->len > 0 && mime_text_append(b, "\n\n", 2, &w->msg->flags) < 0)
		return fail_oom(w);
	if (mime_text_append(b, text->data, text->len, &w->msg->flags) < 0)
		return fail_oom(w);
	return 0;
}

static bool is_text_body(const struct mime_part_info *pi)
{
	if (strcmp(pi->type, "text/plain") != 0 && strcmp(pi->type, "text/html") != 0)
		return false;
	return !pi->disp_attachment && (pi->filename == NULL || pi->disp_inline);
}

/* Machine reports and other text a human does not write still count for
 * rules, but never as the customer's words. */
static bool is_aux_text(const struct mime_part_info *pi)
{
	if (pi->disp_attachment || pi->filename != NULL)
		return false;
	return strncmp(pi->type, "text/", 5) == 0 ||
	       strcmp(pi->type, "message/delivery-status") == 0 ||
	       strcmp(pi->type, "message/disposition-notification") == 0 ||
	       strcmp(pi->type, "message/feedback-report") == 0;
}

static int walk_text(struct walk *w, const struct mime_part_info *pi, const char *data, size_t len,
		     bool in_body, bool aux)
{
	size_t cap = w->lim->max_text_size * TEXT_INPUT_FACTOR;
	struct buf conv, visible, all;
	unsigned *flags = &w->msg->flags;
	bool html = strcmp(pi->type, "text/html") == 0;
	char *copy = NULL;
	int ret = -1;

	buf_init(&conv, cap);
	buf_init(&visible, w->lim->max_text_size);
	buf_init(&all, w->lim->max_text_size);
	if (len > cap) {
		len = cap;
		*flags |= MIME_FLAG_TRUNCATED;
	}
	if (pi->cte == MIME_CTE_IDENTITY && mime_charset_ascii_or_utf8(pi->charset) &&
	    memchr(data, 0x80, len) != NULL) {
		/* the IMAP server's stand-in for NUL bytes (mime_int.h) */
		copy = malloc(len);
		if (copy == NULL)
			goto oom;
		memcpy(copy, data, len);
		len = mime_text_drop_nul_standins(copy, len);
		data = copy;
	}
	if (mime_text_to_utf8(pi->charset, data, len, &conv, flags) < 0)
		goto oom;
	if (html && !aux) {
		if (mime_html_to_text(conv.data != NULL ? conv.data : "", conv.len, &visible, &all,
				      flags) < 0)
			goto oom;
	} else {
		if (pi->flowed && mime_text_unflow(&conv, pi->delsp) < 0)
			goto oom;
		if (mime_text_append(&all, conv.data, conv.len, flags) < 0)
			goto oom;
		if (!aux && mime_text_append(&visible, conv.data, conv.len, flags) < 0)
			goto oom;
	}
	if (append_section(w, &w->full, &all) < 0)
		goto out;
	if (in_body && !aux) {
		if (html)
			w->html_parts++;
		else
			w->plain_parts++;
		if (append_section(w, &w->body, &visible) < 0)
			goto out;
	}
	ret = 0;
	goto out;
oom:
	ret = fail_oom(w);
out:
	free(copy);
	buf_free(&conv);
	buf_free(&visible);
	buf_free(&all);
	return ret;
}

static int walk_leaf(struct walk *w, const struct mime_part_info *pi, const char *body, size_t len,
		     bool in_body)
{
	bool text = is_text_body(pi), aux = !text && is_aux_text(pi);
	char *data = NULL;
	size_t dlen = len;
	int ret;

	/* an attachment is only sized: decoding its base64 was a quarter of
	 * ingest's CPU */
	if (!text && !aux && pi->cte == MIME_CTE_BASE64)
		return add_attachment(w, pi, mime_part_base64_size(body, len));
	if (pi->cte != MIME_CTE_IDENTITY && mime_part_decode(body, len, pi->cte, &data, &dlen) < 0)
		return fail_oom(w);
	if (text || aux)
		ret = walk_text(w, pi, data != NULL ? data : body, dlen, in_body, aux);
	else
		ret = add_attachment(w, pi, dlen);
	free(data);
	return ret;
}

/* Is p[len] a delimiter line for boundary: "--boundary" or "--boundary--"
 * followed only by white space? Sets *close_r for the closing one. */
static bool is_delimiter(const char *p, size_t len, const char *boundary, size_t blen,
			 bool *close_r)
{
	size_t i;

	if (len < 2 + blen || p[0] != '-' || p[1] != '-' || memcmp(p + 2, boundary, blen) != 0)
		return false;
	i = 2 + blen;
	*close_r = len - i >= 2 && p[i] == '-' && p[i + 1] == '-';
	if (*close_r)
		i += 2;
	for (; i < len; i++) {
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return false;
	}
	return true;
}

/* Splits a multipart body into its children. Returns the number found (0 when
 * there is no delimiter at all), or -1 when there are more than max. Sets
 * *closed when the closing delimiter was seen. */
static long split_parts(const char *p, size_t len, const char *boundary, struct span *kids,
			size_t max, bool *closed)
{
	size_t pos = 0, blen = strlen(boundary), line_len, n = 0, end;
	const char *nl, *start = NULL;
	bool close;

	*closed = false;
	while (pos < len) {
		nl = memchr(p + pos, '\n', len - pos);
		line_len = nl == NULL ? len - pos : (size_t)(nl - (p + pos));
		if (is_delimiter(p + pos, line_len, boundary, blen, &close)) {
			if (start != NULL) {
				/* the line break before a delimiter belongs to it */
				end = pos;
				if (end > (size_t)(start - p) && p[end - 1] == '\n')
					end--;
				if (end > (size_t)(start - p) && p[end - 1] == '\r')
					end--;
				if (n == max)
					return -1;
				kids[n].p = start;
				kids[n].len = end - (size_t)(start - p);
				n++;
			}
			start = nl == NULL ? p + len : nl + 1;
			if (close) {
				*closed = true;
				return (long)n;
			}
		}
		pos = nl == NULL ? len : pos + line_len + 1;
	}
	if (start != NULL && start < p + len) {
		if (n == max)
			return -1;
		kids[n].p = start;
		kids[n].len = (size_t)(p + len - start);
		n++;
	}
	return (long)n;
}

/* Which child of a multipart/alternative is the body: text/plain first,
 * then HTML, then the last nested multipart. */
static long choose_alternative(struct walk *w, const struct span *kids, size_t n)
{
	long plain = -1, html = -1, multi = -1;
	struct mime_part_info pi;
	size_t i, hlen, body;

	for (i = 0; i < n; i++) {
		hlen = mime_header_block_end(kids[i].p, kids[i].len, &body);
		if (hlen > w->lim->max_header_size)
			continue;
		if (mime_part_info_parse(kids[i].p, hlen, "text/plain", &pi) < 0)
			return fail_oom(w);
		if (is_text_body(&pi) && strcmp(pi.type, "text/plain") == 0 && plain < 0)
			plain = (long)i;
		else if (is_text_body(&pi) && strcmp(pi.type, "text/html") == 0 && html < 0)
			html = (long)i;
		else if (strncmp(pi.type, "multipart/", 10) == 0)
			multi = (long)i;
		mime_part_info_free(&pi);
	}
	return plain >= 0 ? plain : html >= 0 ? html : multi;
}

static int walk_multipart(struct walk *w, const struct mime_part_info *pi, const char *body,
			  size_t len, size_t depth, bool in_body)
{
	const char *sub = pi->type + 10;
	struct span *kids = NULL;
	size_t max, i;
	long n, chosen = -2;
	bool closed;
	int ret = 0;

	max = w->lim->max_parts >= w->parts ? w->lim->max_parts - w->parts : 0;
	kids = calloc(max + 1, sizeof(*kids));
	if (kids == NULL)
		return fail_oom(w);
	n = split_parts(body, len, pi->boundary, kids, max, &closed);
	if (n < 0) {
		ret = fail_limit(w, "too many MIME parts");
		goto out;
	}
	if (n == 0) {
		/* no delimiter at all: read the body as text rather than lose it */
		struct mime_part_info text = *pi;

		w->msg->flags |= MIME_FLAG_MALFORMED;
		str_copy(text.type, sizeof(text.type), "text/plain");
		ret = walk_leaf(w, &text, body, len, in_body);
		goto out;
	}
	if (!closed)
		w->msg->flags |= MIME_FLAG_MALFORMED;
	if (strcmp(sub, "alternative") == 0)
		chosen = choose_alternative(w, kids, (size_t)n);
	else if (strcmp(sub, "related") == 0 || strcmp(sub, "report") == 0)
		chosen = 0;
	if (w->oom) {
		ret = -1;
		goto out;
	}
	for (i = 0; i < (size_t)n && ret == 0; i++) {
		bool kid_body = in_body && (chosen == -2 || (long)i == chosen);

		ret = walk_entity(w, kids[i].p, kids[i].len, depth + 1, kid_body,
				  strcmp(sub, "digest") == 0 ? "message/rfc822" : "text/plain");
	}
out:
	free(kids);
	return ret;
}

static int walk_entity(struct walk *w, const char *p, size_t len, size_t depth, bool in_body,
		       const char *default_type)
{
	struct mime_part_info pi;
	size_t hlen, body;
	int ret;

	if (++w->parts > w->lim->max_parts)
		return fail_limit(w, "too many MIME parts");
	if (depth > w->lim->max_depth)
		return fail_limit(w, "MIME nesting too deep");
	hlen = mime_header_block_end(p, len, &body);
	if (hlen > w->lim->max_header_size)
		return fail_limit(w, "MIME part header too large");
	if (mime_part_info_parse(p, hlen, default_type, &pi) < 0)
		return fail_oom(w);
	if (pi.malformed)
		w->msg->flags |= MIME_FLAG_MALFORMED;
	if (depth == 0 && (w->msg->content_type = str_dup(pi.type)) == NULL) {
		ret = fail_oom(w);
	} else if (strncmp(pi.type, "multipart/", 10) == 0) {
		if (pi.boundary == NULL || pi.boundary[0] == '\0') {
			w->msg->flags |= MIME_FLAG_MALFORMED;
			str_copy(pi.type, sizeof(pi.type), "text/plain");
			ret = walk_leaf(w, &pi, p + body, len - body, in_body);
		} else {
			ret = walk_multipart(w, &pi, p + body, len - body, depth, in_body);
		}
	} else {
		/* message/rfc822 lands here too: listed, never read as text */
		ret = walk_leaf(w, &pi, p + body, len - body, in_body);
	}
	mime_part_info_free(&pi);
	return ret;
}

/* Turns the collected text into text, quoted, signature and full_text. */
static int finish(struct walk *w)
{
	struct mime_message *m = w->msg;

	if (mime_text_strip_invisible(&w->body) + mime_text_strip_invisible(&w->full) > 0)
		m->flags |= MIME_FLAG_HIDDEN_TEXT;
	if (w->html_parts > 0 && w->plain_parts == 0)
		m->flags |= MIME_FLAG_HTML_ONLY;
	if (mime_split_text(w->body.data != NULL ? w->body.data : "", &m->text, &m->quoted,
			    &m->signature) < 0)
		return fail_oom(w);
	m->full_text = buf_steal(&w->full);
	return m->full_text == NULL ? fail_oom(w) : 0;
}

int mime_parse(const char *raw, size_t len, const struct mime_limits *limits,
	       struct mime_message **msg_r, struct error *err)
{
	struct walk w = {.lim = limits};
	struct mime_message *m;
	size_t hlen, body;
	int ret = -1;

	*msg_r = NULL;
	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		error_set(err, "out of memory");
		return -1;
	}
	m->date_epoch = -1;
	w.msg = m;
	buf_init(&w.body, limits->max_text_size);
	buf_init(&w.full, limits->max_text_size);

	hlen = mime_header_block_end(raw, len, &body);
	if (hlen > limits->max_header_size) {
		/* keep the fields that fit, cut at a line end */
		hlen = limits->max_header_size;
		while (hlen > 0 && raw[hlen - 1] != '\n')
			hlen--;
		fail_limit(&w, "message header too large");
	}
	if (mime_header_fill(m, raw, hlen) < 0) {
		w.oom = true;
		goto out;
	}
	if (len > limits->max_message_size) {
		m->flags |= MIME_FLAG_OVERSIZED;
		w.error = "message too large";
	}
	if (w.error == NULL)
		ret = walk_entity(&w, raw, len, 0, true, "text/plain");
	if (!w.oom && finish(&w) < 0)
		goto out;
	if (w.error != NULL)
		ret = -1;
out:
	buf_free(&w.body);
	buf_free(&w.full);
	if (w.oom) {
		mime_message_free(&m);
		error_set(err, "out of memory");
		return -1;
	}
	if (ret < 0)
		error_set(err, "%s", w.error);
	*msg_r = m;
	return ret;
}

const char *mime_message_header(const struct mime_message *msg, const char *name)
{
	size_t i;

	for (i = 0; i < msg->headers_count; i++) {
		if (strcasecmp(msg->headers[i].name, name) == 0)
			return msg->headers[i].value;
	}
	return NULL;
}

void mime_message_free(struct mime_message **msg)
{
	struct mime_message *m;
	size_t i;

	if (msg == NULL || *msg == NULL)
		return;
	m = *msg;
	free(m->from_addr);
	free(m->from_name);
	free(m->reply_to);
	free(m->to);
	free(m->cc);
	free(m->subject);
	free(m->date_raw);
	free(m->message_id);
	free(m->in_reply_to);
	free(m->references);
	free(m->auto_submitted);
	free(m->precedence);
	free(m->list_id);
	free(m->list_unsubscribe);
	free(m->return_path);
	free(m->content_type);
	free(m->text);
	free(m->quoted);
	free(m->signature);
	free(m->full_text);
	for (i = 0; i < m->attachments_count; i++) {
		free(m->attachments[i].filename);
		free(m->attachments[i].content_type);
	}
	free(m->attachments);
	for (i = 0; i < m->headers_count; i++) {
		free(m->headers[i].name);
		free(m->headers[i].value);
	}
	free(m->headers);
	free(m);
	*msg = NULL;
}
