/* SPDX-License-Identifier: MIT */
/* Search (issue 16 item 5): GET /search over every message and reply, with
 * filters; newest first, keyset pages like the other listings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/lib/util.h"
#include "daemon/store/store_workspace.h"
#include "ui-api/api.h"
#include "ui-api/api_page.h"

#define API_SEARCH_DEFAULT 25
#define API_SEARCH_MAX     100

/* YYYY-MM-DD with a month and day that exist in some year. */
static bool api_date_ok(const char *s)
{
	uint64_t y, m, d;
	char part[5];

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	memcpy(part, s, 4);
	part[4] = '\0';
	if (parse_u64(part, 9999, &y) < 0 || y < 1970)
		return false;
	memcpy(part, s + 5, 2);
	part[2] = '\0';
	if (parse_u64(part, 12, &m) < 0 || m < 1)
		return false;
	memcpy(part, s + 8, 2);
	if (parse_u64(part, 31, &d) < 0 || d < 1)
		return false;
	return !((m == 4 || m == 6 || m == 9 || m == 11) && d > 30) && !(m == 2 && d > 29);
}

/* status: a comma-separated list of open, replied, closed, skipped. */
static bool api_statuses_ok(const char *v)
{
	static const char *const names[] = {"open", "replied", "closed", "skipped", NULL};
	size_t len, i;

	for (;;) {
		len = strcspn(v, ",");
		for (i = 0; names[i] != NULL; i++) {
			if (strlen(names[i]) == len && strncmp(names[i], v, len) == 0)
				break;
		}
		if (len == 0 || names[i] == NULL)
			return false;
		if (v[len] == '\0')
			return true;
		v += len + 1;
	}
}

void api_search(struct api_request *req, struct api_response *resp)
{
	static const char *const allowed[] = {"q",      "status", "category", "mailbox",
					      "person", "from",   "to",       "limit",
					      "cursor", "order",  NULL};
	struct search_filter f;
	struct api_page page;
	struct store *store;
	json_t *messages = NULL;
	char *next = NULL;

	memset(&f, 0, sizeof(f));
	if (api_query_check(req, resp, allowed) < 0)
		return;
	f.q = api_query(req, "q");
	f.status = api_query(req, "status");
	f.category = api_query(req, "category");
	f.mailbox = api_query(req, "mailbox");
	f.person = api_query(req, "person");
	f.from = api_query(req, "from");
	f.to = api_query(req, "to");
	if (f.q != NULL && f.q[0] == '\0')
		f.q = NULL; /* an empty box searches for everything the filters let through */
	if (api_page_filter(resp, "q", f.q) < 0 ||
	    api_page_filter(resp, "category", f.category) < 0 ||
	    api_page_filter(resp, "mailbox", f.mailbox) < 0 ||
	    api_page_filter(resp, "person", f.person) < 0)
		return;
	if (f.status != NULL && !api_statuses_ok(f.status)) {
		api_error(
			resp, 400, "bad_parameter",
			"status must be a comma-separated list of open, replied, closed, skipped");
		return;
	}
	if ((f.from != NULL && !api_date_ok(f.from)) || (f.to != NULL && !api_date_ok(f.to))) {
		api_error(resp, 400, "bad_parameter", "from and to must be dates as YYYY-MM-DD");
		return;
	}
	if (f.person != NULL && strcmp(f.person, "me") == 0)
		f.person = api_principal(req)->name;
	if (api_page_parse(req, resp, "s1", API_SEARCH_DEFAULT, API_SEARCH_MAX, &page) < 0)
		return;
	if (page.oldest) {
		api_error(resp, 400, "bad_parameter", "search lists the newest first only");
		return;
	}
	f.limit = page.limit;
	f.after_id = page.after_id;
	if ((store = api_store(req, resp)) == NULL)
		return;
	if (store_search(store, &f, &messages, &next) < 0) {
		api_error_store(resp, store);
		return;
	}
	api_page_reply(resp, "messages", messages, next, "s1", &page);
	free(next);
}
