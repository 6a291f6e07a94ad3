/* SPDX-License-Identifier: MIT */
/* The headers and attachments columns ingest stores, written as JSON text
 * directly (daemon/lib/jsonw.c) instead of a jansson object built and
 * dumped per message. The text is the one jansson wrote, byte for byte:
 * object keys in insertion order, compact, the same escapes, the same
 * headers and attachments left out. */
#include "agent/mime/mime.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/lib/buf.h"
#include "daemon/lib/jsonw.h"
#include "daemon/lib/utf8.h"

/* Escapes can make a byte six ("\u0001"): the document's ceiling. */
#define MJF_ESCAPE_MAX 6

/* FNV-1a: the kept names' set, keyed by name. */
static uint64_t mjf_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/* The set of names kept so far: open addressing over header indexes. */
struct mjf_set {
	size_t *slot; /* SIZE_MAX: empty */
	size_t mask;
};

static int mjf_set_init(struct mjf_set *set, size_t count)
{
	size_t n = 16;

	while (n < 2 * count)
		n *= 2;
	set->slot = malloc(n * sizeof(*set->slot));
	if (set->slot == NULL)
		return -1;
	memset(set->slot, 0xff, n * sizeof(*set->slot));
	set->mask = n - 1;
	return 0;
}

/* Whether name is in the set; when not and add is set, adds index i. */
static bool mjf_set_has(struct mjf_set *set, const struct mime_header *h, const char *name,
			size_t i, bool add)
{
	size_t k = (size_t)mjf_hash(name) & set->mask;

	while (set->slot[k] != SIZE_MAX) {
		if (strcmp(h[set->slot[k]].name, name) == 0)
			return true;
		k = (k + 1) & set->mask;
	}
	if (add)
		set->slot[k] = i;
	return false;
}

char *mime_headers_json(const struct mime_message *msg, size_t max)
{
	struct mjf_set set = {NULL, 0};
	struct buf b;
	size_t total = 2, i;
	bool first = true;
	char *out = NULL;

	buf_init(&b, (max < SIZE_MAX / MJF_ESCAPE_MAX ? max * MJF_ESCAPE_MAX : max) + 16);
	if (mjf_set_init(&set, msg->headers_count) < 0 || buf_append(&b, "{", 1) < 0)
		goto out;
	for (i = 0; i < msg->headers_count; i++) {
		const struct mime_header *h = &msg->headers[i];
		size_t nl = strlen(h->name), vl = h->value != NULL ? strlen(h->value) : 0;
		size_t n = nl + vl + 8;

		if (mjf_set_has(&set, msg->headers, h->name, i, false))
			continue;
		if (total + n > max)
			break;
		if (h->value == NULL || !utf8_valid(h->name, nl) || !utf8_valid(h->value, vl))
			continue; /* not UTF-8 after all: leave it out */
		if ((!first && buf_append(&b, ",", 1) < 0) || jsonw_strn(&b, h->name, nl) < 0 ||
		    buf_append(&b, ":", 1) < 0 || jsonw_strn(&b, h->value, vl) < 0)
			goto out;
		(void)mjf_set_has(&set, msg->headers, h->name, i, true);
		first = false;
		total += n;
	}
	if (buf_append(&b, "}", 1) < 0)
		goto out;
	out = buf_steal(&b);
out:
	buf_free(&b);
	free(set.slot);
	return out;
}

/* One attachment's object, or nothing when a string is not UTF-8 (jansson's
 * json_pack() refused it). Returns 0 or -1 out of memory. */
static int mjf_attachment(struct buf *b, const struct mime_attachment *a, bool *first)
{
	if ((a->filename != NULL && !utf8_valid(a->filename, strlen(a->filename))) ||
	    (a->content_type != NULL && !utf8_valid(a->content_type, strlen(a->content_type))))
		return 0;
	if ((!*first && buf_append(b, ",", 1) < 0) || buf_append(b, "{", 1) < 0 ||
	    jsonw_key(b, "filename") < 0 || jsonw_str(b, a->filename) < 0 ||
	    buf_append(b, ",", 1) < 0 || jsonw_key(b, "content_type") < 0 ||
	    jsonw_str(b, a->content_type) < 0 || buf_append(b, ",", 1) < 0 ||
	    jsonw_key(b, "size") < 0 || jsonw_int(b, (long long)a->size) < 0 ||
	    buf_append(b, "}", 1) < 0)
		return -1;
	*first = false;
	return 0;
}

char *mime_attachments_json(const struct mime_message *msg)
{
	struct buf b;
	bool first = true;
	char *out = NULL;

	buf_init(&b, SIZE_MAX / 2);
	if (buf_append(&b, "[", 1) < 0)
		goto out;
	for (size_t i = 0; i < msg->attachments_count; i++) {
		if (mjf_attachment(&b, &msg->attachments[i], &first) < 0)
			goto out;
	}
	if (buf_append(&b, "]", 1) < 0)
		goto out;
	out = buf_steal(&b);
out:
	buf_free(&b);
	return out;
}
