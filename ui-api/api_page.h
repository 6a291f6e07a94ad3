/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_API_PAGE_H
#define DRAFTD_API_PAGE_H

#include <jansson.h>
#include <stdbool.h>

#include "ui-api/api.h"

/* Keyset pagination shared by the list endpoints (?limit=&order=&cursor=).
 * A cursor is opaque to clients: the listing's prefix, 'o' or 'n' for the
 * order, and the last id handed out, so a cursor from another listing or
 * order is refused instead of silently skipping rows. */
struct api_page {
	unsigned int limit;
	bool oldest;
	const char *after_id; /* NULL, or points into after */
	char after[24];
};

/* Parses the page parameters: limit in 1..max (def when absent), order
 * newest|oldest, cursor. Returns 0, or -1 with a 400 in resp. */
int api_page_parse(struct api_request *req, struct api_response *resp, const char *prefix,
		   unsigned int def, unsigned int max, struct api_page *page)
	__attribute__((warn_unused_result));

/* A listing's text filter (?category=, ?mailbox=, ?q=): absent, or 1 to
 * API_PAGE_FILTER_MAX bytes. Returns 0, or -1 with a 400 naming it in resp. */
#define API_PAGE_FILTER_MAX 200
int api_page_filter(struct api_response *resp, const char *name, const char *value)
	__attribute__((warn_unused_result));

/* Replies 200 {key: items, "next_cursor": cursor or null}; takes items.
 * next is the store's last id when more rows follow, else NULL. */
void api_page_reply(struct api_response *resp, const char *key, json_t *items, const char *next,
		    const char *prefix, const struct api_page *page);

/* The same reply with items the text of a JSON array made by the store,
 * sent as it is; takes items. */
void api_page_reply_text(struct api_response *resp, const char *key, char *items, const char *next,
			 const char *prefix, const struct api_page *page);

#endif
