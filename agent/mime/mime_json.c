/* SPDX-License-Identifier: MIT */
/* A parsed message as one JSON document: ingest parses each message once and
 * stores this beside raw, so the pipeline reads it instead of parsing raw a
 * second time (issue 14). The document names the parser version and the
 * limits it was made with; a reader with other ones ignores it and parses
 * raw, which stays the source of truth. */
#include "agent/mime/mime.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/lib/buf.h"
#include "daemon/lib/jsonw.h"

/* The string fields, in the document under these keys. */
static const struct {
	const char *key;
	size_t off;
	bool never_null; /* mime_parse() guarantees a string ("" at least) */
} mj_strings[] = {
	{"from_addr", offsetof(struct mime_message, from_addr), false},
	{"from_name", offsetof(struct mime_message, from_name), false},
	{"reply_to", offsetof(struct mime_message, reply_to), false},
	{"to", offsetof(struct mime_message, to), false},
	{"cc", offsetof(struct mime_message, cc), false},
	{"subject", offsetof(struct mime_message, subject), false},
	{"date_raw", offsetof(struct mime_message, date_raw), false},
	{"message_id", offsetof(struct mime_message, message_id), false},
	{"in_reply_to", offsetof(struct mime_message, in_reply_to), false},
	{"references", offsetof(struct mime_message, references), false},
	{"auto_submitted", offsetof(struct mime_message, auto_submitted), false},
	{"precedence", offsetof(struct mime_message, precedence), false},
	{"list_id", offsetof(struct mime_message, list_id), false},
	{"list_unsubscribe", offsetof(struct mime_message, list_unsubscribe), false},
	{"return_path", offsetof(struct mime_message, return_path), false},
	{"content_type", offsetof(struct mime_message, content_type), false},
	{"text", offsetof(struct mime_message, text), true},
	{"quoted", offsetof(struct mime_message, quoted), true},
	{"signature", offsetof(struct mime_message, signature), true},
	{"full_text", offsetof(struct mime_message, full_text), true},
};

#define MJ_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static char **mj_field(struct mime_message *m, size_t i)
{
	return (char **)(void *)((char *)m + mj_strings[i].off);
}

/* The limits a document was made with, as the reader compares them. */
static json_t *mj_limits(const struct mime_limits *l)
{
	return json_pack("[I,I,I,I,I]", (json_int_t)l->max_message_size, (json_int_t)l->max_depth,
			 (json_int_t)l->max_parts, (json_int_t)l->max_header_size,
			 (json_int_t)l->max_text_size);
}

/* The attachments as [filename, content_type, size] rows. */
static int mj_attachments(struct buf *b, const struct mime_message *m)
{
	if (buf_append(b, "[", 1) < 0)
		return -1;
	for (size_t i = 0; i < m->attachments_count; i++) {
		const struct mime_attachment *at = &m->attachments[i];

		if (buf_append_str(b, i > 0 ? ",[" : "[") < 0 || jsonw_str(b, at->filename) < 0 ||
		    buf_append(b, ",", 1) < 0 || jsonw_str(b, at->content_type) < 0 ||
		    buf_append(b, ",", 1) < 0 || jsonw_int(b, (long long)at->size) < 0 ||
		    buf_append(b, "]", 1) < 0)
			return -1;
	}
	return buf_append(b, "]", 1);
}

/* The headers as [name, value] rows (both always strings). */
static int mj_headers(struct buf *b, const struct mime_message *m)
{
	if (buf_append(b, "[", 1) < 0)
		return -1;
	for (size_t i = 0; i < m->headers_count; i++) {
		const struct mime_header *h = &m->headers[i];

		if (h->name == NULL || h->value == NULL ||
		    buf_append_str(b, i > 0 ? ",[" : "[") < 0 || jsonw_str(b, h->name) < 0 ||
		    buf_append(b, ",", 1) < 0 || jsonw_str(b, h->value) < 0 ||
		    buf_append(b, "]", 1) < 0)
			return -1;
	}
	return buf_append(b, "]", 1);
}

/* Written directly as text (daemon/lib/jsonw.c): building a jansson tree
 * and dumping it was a fifth of ingest's CPU. The text is the one
 * json_dumps(JSON_COMPACT) made of that tree, and mime_message_from_json()
 * reads it with jansson as before. */
char *mime_message_to_json(const struct mime_message *m, const struct mime_limits *limits)
{
	struct buf b;
	/* escapes can make text up to six times longer; a document over this
	 * is not kept (the pipeline parses raw instead) */
	size_t max = limits->max_message_size < SIZE_MAX / 8 - (1u << 20)
			     ? 6 * limits->max_message_size + (1u << 20)
			     : SIZE_MAX / 2;

	buf_init(&b, max);
	if (buf_printf(&b, "{\"v\":%d,\"limits\":[%lld,%lld,%lld,%lld,%lld]", MIME_PARSED_VERSION,
		       (long long)limits->max_message_size, (long long)limits->max_depth,
		       (long long)limits->max_parts, (long long)limits->max_header_size,
		       (long long)limits->max_text_size) < 0)
		goto fail;
	for (size_t i = 0; i < MJ_COUNT(mj_strings); i++) {
		if (buf_append(&b, ",", 1) < 0 || jsonw_key(&b, mj_strings[i].key) < 0 ||
		    jsonw_str(&b, *mj_field((struct mime_message *)(void *)m, i)) < 0)
			goto fail;
	}
	if (buf_append(&b, ",", 1) < 0 || jsonw_key(&b, "has_return_path") < 0 ||
	    jsonw_bool(&b, m->has_return_path) < 0 || buf_append(&b, ",", 1) < 0 ||
	    jsonw_key(&b, "date_epoch") < 0 || jsonw_int(&b, (long long)m->date_epoch) < 0 ||
	    buf_append(&b, ",", 1) < 0 || jsonw_key(&b, "flags") < 0 ||
	    jsonw_int(&b, (long long)m->flags) < 0 || buf_append(&b, ",", 1) < 0 ||
	    jsonw_key(&b, "attachments") < 0 || mj_attachments(&b, m) < 0 ||
	    buf_append(&b, ",", 1) < 0 || jsonw_key(&b, "headers") < 0 || mj_headers(&b, m) < 0 ||
	    buf_append(&b, "}", 1) < 0)
		goto fail;
	return buf_steal(&b);
fail:
	buf_free(&b);
	return NULL;
}

/* A string or null member into *dst (strdup). 1 set, 0 wrong shape, -1 out of memory. */
static int mj_take_str(const json_t *v, bool never_null, char **dst)
{
	if (json_is_null(v) && !never_null)
		return 1;
	if (!json_is_string(v))
		return 0;
	*dst = strdup(json_string_value(v));
	return *dst == NULL ? -1 : 1;
}

static int mj_take_size(const json_t *v, size_t *dst)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return 0;
	*dst = (size_t)json_integer_value(v);
	return 1;
}

static int mj_read_attachments(const json_t *a, size_t max, struct mime_message *m)
{
	size_t n = json_array_size(a);
	int r = 1;

	if (!json_is_array(a) || n > max)
		return 0;
	if (n == 0)
		return 1;
	m->attachments = calloc(n, sizeof(*m->attachments));
	if (m->attachments == NULL)
		return -1;
	for (size_t i = 0; r == 1 && i < n; i++) {
		const json_t *e = json_array_get(a, i);
		struct mime_attachment *at = &m->attachments[i];

		if (!json_is_array(e) || json_array_size(e) != 3)
			return 0;
		m->attachments_count = i + 1;
		r = mj_take_str(json_array_get(e, 0), false, &at->filename);
		if (r == 1)
			r = mj_take_str(json_array_get(e, 1), false, &at->content_type);
		if (r == 1)
			r = mj_take_size(json_array_get(e, 2), &at->size);
	}
	return r;
}

static int mj_read_headers(const json_t *a, struct mime_message *m)
{
	size_t n = json_array_size(a);
	int r = 1;

	if (!json_is_array(a) || n > MIME_HEADERS_MAX)
		return 0;
	if (n == 0)
		return 1;
	m->headers = calloc(n, sizeof(*m->headers));
	if (m->headers == NULL)
		return -1;
	m->headers_cap = n;
	for (size_t i = 0; r == 1 && i < n; i++) {
		const json_t *e = json_array_get(a, i);

		if (!json_is_array(e) || json_array_size(e) != 2)
			return 0;
		m->headers_count = i + 1;
		r = mj_take_str(json_array_get(e, 0), true, &m->headers[i].name);
		if (r == 1)
			r = mj_take_str(json_array_get(e, 1), true, &m->headers[i].value);
	}
	return r;
}

/* The document's members into m. 1, 0 wrong shape, -1 out of memory. */
static int mj_read(const json_t *o, const struct mime_limits *limits, struct mime_message *m)
{
	const json_t *v;
	int r = 1;

	for (size_t i = 0; r == 1 && i < MJ_COUNT(mj_strings); i++) {
		v = json_object_get(o, mj_strings[i].key);
		r = v == NULL ? 0 : mj_take_str(v, mj_strings[i].never_null, mj_field(m, i));
	}
	if (r != 1)
		return r;
	v = json_object_get(o, "has_return_path");
	if (!json_is_boolean(v))
		return 0;
	m->has_return_path = json_is_true(v);
	v = json_object_get(o, "date_epoch");
	if (!json_is_integer(v))
		return 0;
	m->date_epoch = json_integer_value(v);
	v = json_object_get(o, "flags");
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > (json_int_t)UINT32_MAX)
		return 0;
	m->flags = (unsigned)json_integer_value(v);
	r = mj_read_attachments(json_object_get(o, "attachments"), limits->max_parts, m);
	if (r == 1)
		r = mj_read_headers(json_object_get(o, "headers"), m);
	return r;
}

int mime_message_from_json(const char *doc, size_t len, const struct mime_limits *limits,
			   struct mime_message **msg_r)
{
	json_t *o = NULL, *lim = NULL;
	struct mime_message *m = NULL;
	int ret = 0;

	*msg_r = NULL;
	o = json_loadb(doc, len, 0, NULL);
	if (!json_is_object(o) ||
	    json_integer_value(json_object_get(o, "v")) != MIME_PARSED_VERSION)
		goto out;
	/* parsed under other limits: the texts may be cut elsewhere */
	lim = mj_limits(limits);
	if (lim == NULL) {
		ret = -1;
		goto out;
	}
	if (!json_equal(lim, json_object_get(o, "limits")))
		goto out;
	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		ret = -1;
		goto out;
	}
	ret = mj_read(o, limits, m);
	if (ret == 1) {
		*msg_r = m;
		m = NULL;
	}
out:
	mime_message_free(&m);
	json_decref(lim);
	json_decref(o);
	return ret;
}
