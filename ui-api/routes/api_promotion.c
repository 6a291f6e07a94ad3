/* SPDX-License-Identifier: MIT */
/* The automatic-reply switch (GET/POST /auto) and the post-send samples
 * (GET /samples, POST /samples/{id}). */
#include <string.h>

#include "daemon/store/store_promotion.h"
#include "daemon/lib/util.h"
#include "ui-api/api.h"

#define API_NOTE_MAX        2000
#define API_SAMPLES_MAX     500
#define API_SAMPLES_DEFAULT 100

void api_auto_get(struct api_request *req, struct api_response *resp)
{
	struct store *store;
	int on;

	if (api_query_check(req, resp, NULL) < 0 || (store = api_store(req, resp)) == NULL)
		return;
	on = store_auto_enabled(store);
	if (on < 0)
		api_error_store(resp, store);
	else
		api_reply(resp, 200, json_pack("{s:b}", "enabled", on == 1));
}

void api_auto_post(struct api_request *req, struct api_response *resp)
{
	static const struct api_field fields[] = {
		{"enabled", API_BOOL, true, 0},
		{NULL, API_STRING, false, 0},
	};
	struct store *store;
	json_t *body;
	bool enabled;
	long held = 0;

	if (api_query_check(req, resp, NULL) < 0 ||
	    (body = api_body_object(req, resp, fields, false)) == NULL)
		return;
	enabled = json_is_true(json_object_get(body, "enabled"));
	json_decref(body);
	if ((store = api_store(req, resp)) == NULL)
		return;
	/* returns once no automatic reply can be sent any more (when off) */
	if (store_auto_set(store, enabled, req->actor, &held) < 0) {
		api_error_store(resp, store);
		return;
	}
	log_warn_kv(enabled ? "automatic replies switched on" : "automatic replies switched off",
		    "actor=%s count=%ld", req->actor, held);
	api_reply(resp, 200,
		  json_pack("{s:b, s:I}", "enabled", enabled, "held_back", (json_int_t)held));
}

void api_samples_list(struct api_request *req, struct api_response *resp)
{
	static const char *const allowed[] = {"pending", "limit", NULL};
	const char *pending = api_query(req, "pending"), *limit = api_query(req, "limit");
	struct store *store;
	json_t *result = NULL;
	bool only = false;
	uint64_t n = API_SAMPLES_DEFAULT;

	if (api_query_check(req, resp, allowed) < 0)
		return;
	if (pending != NULL && parse_bool(pending, &only) < 0) {
		api_error(resp, 400, "bad_value", "pending must be true or false");
		return;
	}
	if (limit != NULL && (parse_u64(limit, API_SAMPLES_MAX, &n) < 0 || n < 1)) {
		api_error(resp, 400, "bad_value", "limit must be an integer from 1 to %d",
			  API_SAMPLES_MAX);
		return;
	}
	if ((store = api_store(req, resp)) == NULL)
		return;
	if (store_samples_list(store, only, (unsigned int)n, &result) < 0)
		api_error_store(resp, store);
	else
		api_reply(resp, 200, result);
}

void api_samples_judge(struct api_request *req, struct api_response *resp)
{
	static const struct api_field fields[] = {
		{"verdict", API_STRING, true, 8},
		{"note", API_STRING, false, API_NOTE_MAX},
		{NULL, API_STRING, false, 0},
	};
	struct store *store;
	json_t *body, *detail = NULL;
	const char *verdict;
	enum review_result r;

	if (api_query_check(req, resp, NULL) < 0 ||
	    api_id_check(resp, req->params[0], "draft") < 0 ||
	    (body = api_body_object(req, resp, fields, false)) == NULL)
		return;
	verdict = api_field_str(body, "verdict");
	if (strcmp(verdict, "fine") != 0 && strcmp(verdict, "bad") != 0) {
		api_error(resp, 400, "bad_value", "verdict must be fine or bad");
		goto out;
	}
	if ((store = api_store(req, resp)) == NULL)
		goto out;
	r = store_sample_verdict(store, req->params[0], verdict, api_field_str(body, "note"),
				 req->actor, &detail);
	if (r == REVIEW_OK)
		log_info_kv("sample judged", "draft_id=%s actor=%s verdict=%s", req->params[0],
			    req->actor, verdict);
	api_review_reply(resp, store, r, detail, "sample");
out:
	json_decref(body);
}
