/* SPDX-License-Identifier: MIT */
/* GET /mailboxes, POST /mailboxes/{name}/poll. */
#include "ui-api/api.h"

void api_mailboxes_list(struct api_request *req, struct api_response *resp)
{
	struct store *store;
	json_t *result = NULL;

	if (api_query_check(req, resp, NULL) < 0 || (store = api_store(req, resp)) == NULL)
		return;
	if (store_mailboxes_list(store, &result) < 0)
		api_error_store(resp, store);
	else
		api_reply(resp, 200, result);
}

void api_mailboxes_poll(struct api_request *req, struct api_response *resp)
{
	struct store *store;
	json_t *detail = NULL;
	enum review_result r;

	if (api_query_check(req, resp, NULL) < 0 || (store = api_store(req, resp)) == NULL)
		return;
	r = store_mailbox_request_poll(store, req->params[0], req->actor, &detail);
	api_review_reply(resp, store, r, detail, "mailbox");
	if (r == REVIEW_OK)
		resp->status = 202;
}
