/* GET /stats and the mailbox endpoints. */
#include "ui-api/api.h"

void api_stats_get(struct api_request *req, struct api_response *resp)
{
	struct store *store;
	json_t *result = NULL;

	if (api_query_check(req, resp, NULL) < 0 || (store = api_store(req, resp)) == NULL)
		return;
	if (store_review_stats(store, &result) < 0)
		api_error_store(resp, store);
	else
		api_reply(resp, 200, result);
}
