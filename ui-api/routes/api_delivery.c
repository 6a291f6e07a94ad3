/* SPDX-License-Identifier: MIT */
/* A person's answers to a reply that has not left: "may have been
 * delivered; send again?" on an uncertain one (daemon/outbox/outbox.c), and
 * "retry now" / "send again" on one that failed (issue 18). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "daemon/lib/log.h"
#include "daemon/store/store_outbox.h"
#include "daemon/store/store_review.h"
#include "ui-api/api.h"

/* What both delivery actions check first: no query, a draft id, an empty
 * body, a store, a draft that exists. Returns the store, or NULL with the
 * answer already in resp. */
static struct store *api_delivery_draft(struct api_request *req, struct api_response *resp)
{
	struct store *store;
	json_t *draft = NULL, *body;
	int r;

	if (api_query_check(req, resp, NULL) < 0 || api_id_check(resp, req->params[0], "draft") < 0)
		return NULL;
	body = api_body_object(req, resp, (const struct api_field[]){{NULL, API_STRING, false, 0}},
			       true);
	if (body == NULL)
		return NULL;
	json_decref(body);
	if ((store = api_store(req, resp)) == NULL)
		return NULL;
	r = store_review_get(store, req->params[0], &draft);
	json_decref(draft);
	return api_found(resp, store, r, "draft") > 0 ? store : NULL;
}

static void api_delivery_decide(struct api_request *req, struct api_response *resp, bool send_again)
{
	struct store *store;
	json_t *draft = NULL;
	char state[32];
	int r;

	if ((store = api_delivery_draft(req, resp)) == NULL)
		return;
	r = store_outbox_decide_uncertain(store, req->params[0], req->actor, send_again, state,
					  sizeof(state));
	if (r < 0) {
		api_error_store(resp, store);
		return;
	}
	if (r == 0) {
		api_error(
			resp, 409, "wrong_status",
			"the reply of this draft is %s, not uncertain: there is nothing to decide",
			state);
		return;
	}
	log_info_kv(send_again ? "uncertain reply sent again" : "uncertain reply marked delivered",
		    "draft_id=%s actor=%s", req->params[0], req->actor);
	if (store_review_get(store, req->params[0], &draft) <= 0) {
		api_error_store(resp, store);
		return;
	}
	api_reply(resp, 200, draft);
}

void api_drafts_delivered(struct api_request *req, struct api_response *resp)
{
	api_delivery_decide(req, resp, false);
}

void api_drafts_resend(struct api_request *req, struct api_response *resp)
{
	api_delivery_decide(req, resp, true);
}

/* POST /drafts/{id}/retry: a reply the outbox is retrying goes now; one it
 * gave up on is sent again with the approved text kept. */
void api_drafts_retry(struct api_request *req, struct api_response *resp)
{
	struct store *store;
	json_t *draft = NULL;
	char state[64];
	int r;

	if ((store = api_delivery_draft(req, resp)) == NULL)
		return;
	r = store_outbox_retry(store, req->params[0], req->actor, state, sizeof(state));
	if (r < 0) {
		api_error_store(resp, store);
		return;
	}
	if (r == 0) {
		api_error(resp, 409, "wrong_status",
			  "the reply of this draft is %s: only a reply that failed, or is waiting "
			  "to be tried again, can be retried",
			  state);
		return;
	}
	log_info("api: draft %s: %s by %s", req->params[0],
		 strcmp(state, "failed") == 0 ? "failed reply sent again" : "reply retried now",
		 req->actor);
	if (store_review_get(store, req->params[0], &draft) <= 0) {
		api_error_store(resp, store);
		return;
	}
	api_reply(resp, 200, draft);
}
