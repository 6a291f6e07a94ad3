/* SPDX-License-Identifier: MIT */
/* GET /messages (?status=open..., ?state=human: "Needs a human") and GET
 * /messages/{id}: every customer message with its status and queue, so the
 * mail without a draft can be read, answered or closed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/store_review_messages.h"
#include "daemon/lib/util.h"
#include "ui-api/api.h"
#include "ui-api/api_page.h"

#define API_MESSAGES_DEFAULT 50
#define API_MESSAGES_MAX     200

static const char *const api_message_states[] = {"new",   "processing", "drafted", "skipped",
						 "human", "failed",     NULL};

static const char *const api_message_statuses[] = {"open", "replied", "closed", "skipped", NULL};

/* state=human or status=open,closed into out (checked against names).
 * 0, or -1 with a 400 in resp. */
static int api_list_filter(struct api_response *resp, const char *what, const char *v,
			   const char *const *names, char *out, size_t size)
{
	size_t len, used = 0, i;

	for (;;) {
		len = strcspn(v, ",");
		for (i = 0; names[i] != NULL; i++) {
			if (strlen(names[i]) == len && strncmp(names[i], v, len) == 0)
				break;
		}
		if (len == 0 || names[i] == NULL || used + len + 2 > size)
			break;
		used += (size_t)snprintf(out + used, size - used, "%s%s", used > 0 ? "," : "",
					 names[i]);
		if (v[len] == '\0')
			return 0;
		v += len + 1;
	}
	if (names == api_message_statuses)
		api_error(resp, 400, "bad_parameter",
			  "%s must be a comma-separated list of open, replied, closed, skipped",
			  what);
	else
		api_error(resp, 400, "bad_parameter",
			  "%s must be a comma-separated list of new, processing, drafted, skipped,"
			  " human, failed",
			  what);
	return -1;
}

/* Cursors are "m1" + order letter + the last id, like the drafts list's. */
void api_messages_list(struct api_request *req, struct api_response *resp)
{
	static const char *const allowed[] = {"state",  "status", "mailbox",  "limit",
					      "cursor", "order",  "assigned", NULL};
	struct review_messages_filter f;
	const char *state = api_query(req, "state"), *status = api_query(req, "status");
	struct api_page page;
	struct store *store;
	json_t *messages = NULL;
	char *next = NULL, states[128], statuses[64];

	memset(&f, 0, sizeof(f));
	if (api_query_check(req, resp, allowed) < 0)
		return;
	if (state != NULL) {
		if (api_list_filter(resp, "state", state, api_message_states, states,
				    sizeof(states)) < 0)
			return;
		f.state = states;
	}
	if (status != NULL) {
		if (api_list_filter(resp, "status", status, api_message_statuses, statuses,
				    sizeof(statuses)) < 0)
			return;
		f.status = statuses;
	}
	f.mailbox = api_query(req, "mailbox");
	if (api_page_filter(resp, "mailbox", f.mailbox) < 0 ||
	    api_assigned_filter(req, resp, &f.assigned) < 0)
		return;
	if (api_page_parse(req, resp, "m1", API_MESSAGES_DEFAULT, API_MESSAGES_MAX, &page) < 0)
		return;
	f.limit = page.limit;
	f.oldest = page.oldest;
	f.after_id = page.after_id;
	if ((store = api_store(req, resp)) == NULL)
		return;
	if (store_review_messages_list(store, &f, &messages, &next) < 0) {
		api_error_store(resp, store);
		return;
	}
	api_page_reply(resp, "messages", messages, next, "m1", &page);
	free(next);
}

void api_messages_get(struct api_request *req, struct api_response *resp)
{
	struct store *store;
	json_t *message = NULL;
	int r;

	if (api_query_check(req, resp, NULL) < 0 ||
	    api_id_check(resp, req->params[0], "message") < 0 ||
	    (store = api_store(req, resp)) == NULL)
		return;
	r = store_review_message_get(store, req->params[0], &message);
	if (api_found(resp, store, r, "message") > 0)
		api_reply(resp, 200, message);
}
