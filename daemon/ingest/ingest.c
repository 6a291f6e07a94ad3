/* SPDX-License-Identifier: MIT */
/* From fetched bytes to the row ingest stores. */
#include "daemon/ingest/ingest.h"

#include <gnutls/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/screen/screen.h"
#include "agent/text/lang.h"
#include "daemon/lib/buf.h"

/* Feeds the hash through a small staging buffer: no allocation per message. */
struct hash_feed {
	gnutls_hash_hd_t h;
	char buf[1024];
	size_t n;
};

static void feed_byte(struct hash_feed *f, char c)
{
	if (f->n == sizeof(f->buf)) {
		gnutls_hash(f->h, f->buf, f->n);
		f->n = 0;
	}
	f->buf[f->n++] = c;
}

static void feed_str(struct hash_feed *f, const char *s)
{
	for (; *s != '\0'; s++)
		feed_byte(f, *s);
}

/* n bytes at once: the same stream as n feed_byte() calls. */
static void feed_run(struct hash_feed *f, const char *s, size_t n)
{
	if (n <= sizeof(f->buf) - f->n) {
		memcpy(f->buf + f->n, s, n);
		f->n += n;
		return;
	}
	gnutls_hash(f->h, f->buf, f->n);
	f->n = 0;
	if (n < sizeof(f->buf)) {
		memcpy(f->buf, s, n);
		f->n = n;
		return;
	}
	gnutls_hash(f->h, s, n);
}

static bool identity_header(const char *name, size_t len)
{
	static const char *const names[] = {
		"message-id",
		"from",
		"sender",
		"to",
		"cc",
		"reply-to",
		"subject",
		"date",
		"in-reply-to",
		"references",
		"mime-version",
		"content-type",
		"content-transfer-encoding",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strlen(names[i]) == len && strncasecmp(names[i], name, len) == 0)
			return true;
	}
	return false;
}

/* Hashes "name:value\n" with the value unfolded and its white space collapsed. */
static void feed_field(struct hash_feed *f, const char *field, size_t len, size_t colon)
{
	bool space = false, started = false;

	for (size_t i = 0; i < colon; i++) {
		char c = field[i];

		if (c == ' ' || c == '\t')
			continue;
		feed_byte(f, (char)(c >= 'A' && c <= 'Z' ? c + 32 : c));
	}
	feed_byte(f, ':');
	for (size_t i = colon + 1; i < len; i++) {
		char c = field[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			space = started;
			continue;
		}
		if (space)
			feed_byte(f, ' ');
		space = false;
		started = true;
		feed_byte(f, c);
	}
	feed_byte(f, '\n');
}

int ingest_content_hash(const char *raw, size_t len, unsigned char out[32])
{
	struct hash_feed f;
	bool has_mid = false;
	size_t p = 0;

	f.n = 0;
	if (gnutls_hash_init(&f.h, GNUTLS_DIG_SHA256) < 0)
		return 0;
	while (p < len) {
		size_t start = p, colon;
		const char *nl, *c;

		if (raw[p] == '\n') {
			p++;
			break;
		}
		if (raw[p] == '\r' && p + 1 < len && raw[p + 1] == '\n') {
			p += 2;
			break;
		}
		for (;;) {
			nl = memchr(raw + p, '\n', len - p);
			if (nl == NULL) {
				p = len;
				break;
			}
			p = (size_t)(nl - raw) + 1;
			if (p < len && (raw[p] == ' ' || raw[p] == '\t'))
				continue;
			break;
		}
		c = memchr(raw + start, ':', p - start);
		if (c == NULL)
			continue;
		colon = (size_t)(c - (raw + start));
		while (colon > 0 &&
		       (raw[start + colon - 1] == ' ' || raw[start + colon - 1] == '\t'))
			colon--;
		if (!identity_header(raw + start, colon))
			continue;
		if (colon == 10 && strncasecmp(raw + start, "message-id", 10) == 0)
			has_mid = true;
		colon = (size_t)(c - (raw + start));
		feed_field(&f, raw + start, p - start, colon);
	}
	feed_str(&f, "\n");
	/* the body with CRLF read as LF, in runs up to each CR: byte by byte
	 * it was half of this function's time */
	while (p < len) {
		const char *cr = memchr(raw + p, '\r', len - p);
		size_t end = cr == NULL ? len : (size_t)(cr - raw);

		feed_run(&f, raw + p, end - p);
		if (cr == NULL)
			break;
		if (end + 1 >= len || raw[end + 1] != '\n')
			feed_byte(&f, '\r');
		p = end + 1;
	}
	gnutls_hash(f.h, f.buf, f.n);
	gnutls_hash_deinit(f.h, out);
	return has_mid ? 1 : 0;
}

/* The quoted history and the signature, both kept, in one column. */
static char *ingest_quoted(const struct mime_message *msg)
{
	struct buf b;

	buf_init(&b, strlen(msg->quoted) + strlen(msg->signature) + 16);
	if (buf_append_str(&b, msg->quoted) < 0 ||
	    (msg->signature[0] != '\0' &&
	     (buf_append_str(&b, b.len > 0 ? "\n-- \n" : "-- \n") < 0 ||
	      buf_append_str(&b, msg->signature) < 0))) {
		buf_free(&b);
		return NULL;
	}
	if (b.data == NULL)
		return strdup("");
	return buf_steal(&b);
}

/* Points the row's strings at the parsed message and the fields built from it. */
static void ingest_row_fill(struct ingest_msg *m)
{
	const struct mime_message *mm = m->mime;

	m->row.message_id = mm->message_id;
	m->row.sender = mm->from_addr;
	m->row.sender_name = mm->from_name;
	m->row.reply_to = mm->reply_to;
	m->row.subject = mm->subject;
	m->row.date_epoch = mm->date_epoch;
	m->row.date_raw = mm->date_raw;
	m->row.in_reply_to = mm->in_reply_to;
	m->row.references = mm->references;
	m->row.text = mm->text;
	m->row.quoted = m->quoted;
	m->row.headers_json = m->headers_json;
	m->row.attachments_json = m->attachments_json;
}

int ingest_prepare(const struct imap_msg *m, const struct mime_limits *limits,
		   struct ingest_msg *out, struct error *err)
{
	struct screen_result sr;
	int r;

	memset(out, 0, sizeof(*out));
	out->row.uid = m->uid;
	out->header_bytes = m->data;
	out->header_len = m->len;
	out->row.raw = m->header_only ? NULL : m->data;
	out->row.raw_len = m->header_only ? 0 : m->len;
	out->row.raw_size = m->size > m->len ? m->size : m->len;
	gnutls_hash_fast(GNUTLS_DIG_SHA256, m->data, m->len, out->row.sha256);
	out->row.has_content_sha256 =
		ingest_content_hash(m->data, m->len, out->row.content_sha256) == 1;
	r = mime_parse(m->data, m->len, limits, &out->mime, NULL);
	if (out->mime == NULL) {
		error_set(err, "out of memory parsing a message");
		goto fail;
	}
	/* a crossed limit is in the flags: stored, routed to a human (no
	 * parse kept for such mail: the pipeline handles it from raw) */
	if (m->header_only)
		out->mime->flags |= MIME_FLAG_OVERSIZED;
	out->row.is_oversized = (out->mime->flags & MIME_FLAG_OVERSIZED) != 0;
	out->row.injection_suspect = (out->mime->flags & MIME_FLAG_HIDDEN_TEXT) != 0;
	if (screen_message(out->mime, &sr) == 1) {
		out->row.screen_reason = sr.code;
		out->row.human = sr.action == SCREEN_HUMAN;
		memcpy(out->screen_detail, sr.detail, sizeof(out->screen_detail));
		out->row.is_bulk = sr.reason == SCREEN_BULK || sr.reason == SCREEN_LIST;
		out->row.is_auto_submitted =
			sr.reason == SCREEN_AUTO_SUBMITTED || sr.reason == SCREEN_BOUNCE;
	}
	if (out->mime->auto_submitted != NULL &&
	    strncasecmp(out->mime->auto_submitted + strspn(out->mime->auto_submitted, " \t"), "no",
			2) != 0)
		out->row.is_auto_submitted = true;
	out->headers_json = mime_headers_json(out->mime, limits->max_header_size);
	out->attachments_json = mime_attachments_json(out->mime);
	out->quoted = ingest_quoted(out->mime);
	if (out->headers_json == NULL || out->attachments_json == NULL || out->quoted == NULL) {
		error_set(err, "out of memory");
		goto fail;
	}
	/* the pipeline reads this instead of parsing raw again; NULL (not
	 * UTF-8 somewhere, no memory) only costs it that parse */
	if (r == 0 && !m->header_only) {
		out->parsed = mime_message_to_json(out->mime, limits);
		out->row.parsed = out->parsed;
		out->row.parsed_version = MIME_PARSED_VERSION;
		/* the same guess the pipeline makes from this parse: stored
		 * now, the search vector is built once, at insert, and the
		 * pipeline's update finds the language unchanged */
		out->row.language = lang_detect_message(out->mime->subject, out->mime->text);
	}
	ingest_row_fill(out);
	return 0;
fail:
	ingest_msg_clear(out);
	return -1;
}

void ingest_msg_clear(struct ingest_msg *m)
{
	mime_message_free(&m->mime);
	free(m->headers_json);
	free(m->attachments_json);
	free(m->quoted);
	free(m->parsed);
	memset(m, 0, sizeof(*m));
}
