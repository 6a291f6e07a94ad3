/* SPDX-License-Identifier: MIT */
#include "ui-api/api_page.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/lib/buf.h"
#include "daemon/lib/util.h"

int api_page_parse(struct api_request *req, struct api_response *resp, const char *prefix,
		   unsigned int def, unsigned int max, struct api_page *page)
{
	const char *limit = api_query(req, "limit"), *order = api_query(req, "order");
	const char *cursor = api_query(req, "cursor");
	size_t plen = strlen(prefix);
	uint64_t v;

	memset(page, 0, sizeof(*page));
	page->limit = def;
	if (limit != NULL) {
		if (parse_u64(limit, UINT64_MAX, &v) < 0 || v < 1 || v > max) {
			api_error(resp, 400, "bad_parameter",
				  "limit must be an integer from 1 to %u", max);
			return -1;
		}
		page->limit = (unsigned int)v;
	}
	if (order != NULL && strcmp(order, "oldest") != 0 && strcmp(order, "newest") != 0) {
		api_error(resp, 400, "bad_parameter", "order must be newest or oldest");
		return -1;
	}
	page->oldest = order != NULL && strcmp(order, "oldest") == 0;
	if (cursor != NULL) {
		if (strncmp(cursor, prefix, plen) != 0 ||
		    cursor[plen] != (page->oldest ? 'o' : 'n') ||
		    parse_u64(cursor + plen + 1, INT64_MAX, &v) < 0) {
			api_error(resp, 400, "bad_parameter",
				  "cursor is not one this listing handed out");
			return -1;
		}
		snprintf(page->after, sizeof(page->after), "%llu", (unsigned long long)v);
		page->after_id = page->after;
	}
	return 0;
}

int api_page_filter(struct api_response *resp, const char *name, const char *value)
{
	if (value != NULL && (*value == '\0' || strlen(value) > API_PAGE_FILTER_MAX)) {
		api_error(resp, 400, "bad_parameter", "%s must be 1-%d characters", name,
			  API_PAGE_FILTER_MAX);
		return -1;
	}
	return 0;
}

void api_page_reply(struct api_response *resp, const char *key, json_t *items, const char *next,
		    const char *prefix, const struct api_page *page)
{
	char cursor[48];

	if (next != NULL)
		snprintf(cursor, sizeof(cursor), "%s%c%s", prefix, page->oldest ? 'o' : 'n', next);
	api_reply(
		resp, 200,
		json_pack("{s:o, s:s?}", key, items, "next_cursor", next != NULL ? cursor : NULL));
}

void api_page_reply_text(struct api_response *resp, const char *key, char *items, const char *next,
			 const char *prefix, const struct api_page *page)
{
	struct buf b;
	char cursor[64];

	/* key and cursor are ours (a word, a prefix and digits): no escaping */
	if (next != NULL)
		snprintf(cursor, sizeof(cursor), "\"%s%c%s\"", prefix, page->oldest ? 'o' : 'n',
			 next);
	else
		snprintf(cursor, sizeof(cursor), "null");
	buf_init(&b, strlen(items) + strlen(key) + sizeof(cursor) + 32);
	if (buf_append_str(&b, "{\"") < 0 || buf_append_str(&b, key) < 0 ||
	    buf_append_str(&b, "\":") < 0 || buf_append_str(&b, items) < 0 ||
	    buf_append_str(&b, ",\"next_cursor\":") < 0 || buf_append_str(&b, cursor) < 0 ||
	    buf_append_str(&b, "}") < 0) {
		buf_free(&b);
		free(items);
		api_error(resp, 500, "internal", "out of memory");
		return;
	}
	free(items);
	resp->status = 200;
	resp->text_len = b.len;
	resp->text = buf_steal(&b);
	resp->content_type = "application/json; charset=utf-8";
}
