/* GET /messages?state=human and GET /messages/{id}: the mail that got no
 * draft, so a reviewer can read it and ask for one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store_review_messages.h"
#include "daemon/util.h"
#include "ui-api/api.h"

#define API_MESSAGES_DEFAULT 50
#define API_MESSAGES_MAX     200
#define API_MAILBOX_MAX      200

static const char *const api_message_states[] = {"new",   "processing", "drafted", "skipped",
						 "human", "failed",     NULL};

/* state=human or state=human,failed into out (checked against the known
 * states). 0, or -1 with a 400 in resp. */
static int api_state_filter(struct api_response *resp, const char *v, char *out, size_t size)
{
	size_t len, used = 0, i;

	for (;;) {
		len = strcspn(v, ",");
		for (i = 0; api_message_states[i] != NULL; i++) {
			if (strlen(api_message_states[i]) == len &&
			    strncmp(api_message_states[i], v, len) == 0)
				break;
		}
		if (len == 0 || api_message_states[i] == NULL || used + len + 2 > size)
			break;
		used += (size_t)snprintf(out + used, size - used, "%s%s", used > 0 ? "," : "",
					 api_message_states[i]);
		if (v[len] == '\0')
			return 0;
		v += len + 1;
	}
	api_error(resp, 400, "bad_parameter",
		  "state must be a comma-separated list of new, processing, drafted, skipped,"
		  " human, failed");
	return -1;
}

/* Cursors are "m1" + order letter + the last id, like the drafts list's. */
static int api_messages_cursor(const char *cursor, bool oldest, char *id, size_t size)
{
	uint64_t v;

	if (strncmp(cursor, "m1", 2) != 0 || cursor[2] != (oldest ? 'o' : 'n') ||
	    parse_u64(cursor + 3, INT64_MAX, &v) < 0)
		return -1;
	snprintf(id, size, "%llu", (unsigned long long)v);
	return 0;
}

void api_messages_list(struct api_request *req, struct api_response *resp)
{
	static const char *const allowed[] = {"state", "mailbox", "limit", "cursor", "order", NULL};
	struct review_messages_filter f;
	const char *state = api_query(req, "state"), *limit = api_query(req, "limit");
	const char *cursor = api_query(req, "cursor"), *order = api_query(req, "order");
	struct store *store;
	json_t *messages = NULL;
	char *next = NULL, after[32], next_cursor[40], states[128];
	uint64_t v;

	memset(&f, 0, sizeof(f));
	if (api_query_check(req, resp, allowed) < 0)
		return;
	if (state != NULL) {
		if (api_state_filter(resp, state, states, sizeof(states)) < 0)
			return;
		f.state = states;
	}
	f.mailbox = api_query(req, "mailbox");
	if (f.mailbox != NULL && (*f.mailbox == '\0' || strlen(f.mailbox) > API_MAILBOX_MAX)) {
		api_error(resp, 400, "bad_parameter", "mailbox must be 1-%d characters",
			  API_MAILBOX_MAX);
		return;
	}
	f.limit = API_MESSAGES_DEFAULT;
	if (limit != NULL) {
		if (parse_u64(limit, UINT64_MAX, &v) < 0 || v < 1 || v > API_MESSAGES_MAX) {
			api_error(resp, 400, "bad_parameter",
				  "limit must be an integer from 1 to %d", API_MESSAGES_MAX);
			return;
		}
		f.limit = (unsigned int)v;
	}
	if (order != NULL && strcmp(order, "oldest") != 0 && strcmp(order, "newest") != 0) {
		api_error(resp, 400, "bad_parameter", "order must be newest or oldest");
		return;
	}
	f.oldest = order != NULL && strcmp(order, "oldest") == 0;
	if (cursor != NULL) {
		if (api_messages_cursor(cursor, f.oldest, after, sizeof(after)) < 0) {
			api_error(resp, 400, "bad_parameter",
				  "cursor is not one this listing handed out");
			return;
		}
		f.after_id = after;
	}
	if ((store = api_store(req, resp)) == NULL)
		return;
	if (store_review_messages_list(store, &f, &messages, &next) < 0) {
		api_error_store(resp, store);
		return;
	}
	if (next != NULL)
		snprintf(next_cursor, sizeof(next_cursor), "m1%c%s", f.oldest ? 'o' : 'n', next);
	api_reply(resp, 200,
		  json_pack("{s:o, s:s?}", "messages", messages, "next_cursor",
			    next != NULL ? next_cursor : NULL));
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
	if (r < 0)
		api_error_store(resp, store);
	else if (r == 0)
		api_error(resp, 404, "not_found", "no such message");
	else
		api_reply(resp, 200, message);
}
