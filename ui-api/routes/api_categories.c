/* SPDX-License-Identifier: MIT */
/* GET /categories, PUT /categories/{name} (admin). */
#include <string.h>

#include "agent/classify/classify.h"
#include "daemon/promotion/promotion.h"
#include "ui-api/api.h"

void api_builtin_categories(const struct config *config, const char **out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; config->agent.builtin_categories && i < classify_builtin_count; i++) {
		/* "none" is no customer request: nothing to list or correct to */
		if (strcmp(classify_builtin_categories[i], "none") != 0 && n + 1 < max)
			out[n++] = classify_builtin_categories[i];
	}
	out[n] = NULL;
}

void api_categories_list(struct api_request *req, struct api_response *resp)
{
	const char *builtin[API_BUILTIN_CATEGORIES_MAX];
	struct store *store;
	json_t *result = NULL;

	if (api_query_check(req, resp, NULL) < 0 || (store = api_store(req, resp)) == NULL)
		return;
	/* the built-in ones are in the table since the API started (api_seed) */
	api_builtin_categories(req->config, builtin, API_BUILTIN_CATEGORIES_MAX);
	if (store_categories_list(store, &result) < 0 ||
	    promotion_categories_decorate(store, req->config, builtin,
					  json_object_get(result, "categories")) < 0) {
		json_decref(result);
		api_error_store(resp, store);
		return;
	}
	api_reply(resp, 200, result);
}

static int api_rate_check(struct api_response *resp, const json_t *body, const char *name)
{
	const json_t *v = json_object_get(body, name);

	if (v != NULL && (json_number_value(v) < 0 || json_number_value(v) > 1)) {
		api_error(resp, 400, "bad_value", "%s must be between 0 and 1", name);
		return -1;
	}
	return 0;
}

/* other, complaint, legal, never_auto = on and categories whose rules keep
 * a person in the loop never go auto, not even by an admin's hand: the same
 * evidence as GET /categories and the promotion pass, so nothing the PUT
 * allows is demoted again half a minute later. 1 with *why_r, 0, -1. */
static int api_never_auto(struct store *store, const struct api_request *req, const char *name,
			  json_t **why_r)
{
	json_t *list = json_pack("[{s:s}]", "name", name);
	json_t *cat = json_array_get(list, 0);
	int ret = -1;

	if (list == NULL)
		return -1;
	if (promotion_categories_decorate(store, req->config, NULL, list) == 0) {
		ret = json_is_true(json_object_get(cat, "never_auto")) ? 1 : 0;
		*why_r = json_incref(json_object_get(cat, "never_auto_reason"));
	}
	json_decref(list);
	return ret;
}

void api_categories_put(struct api_request *req, struct api_response *resp)
{
	static const struct api_field fields[] = {
		{"mode", API_STRING, false, 16},
		{"threshold", API_NUMBER, false, 0},
		{"audit_sample_rate", API_NUMBER, false, 0},
		{"min_samples", API_INTEGER, false, 0},
		{"target_rate", API_NUMBER, false, 0},
		{"promotion", API_STRING, false, 16},
		{NULL, API_STRING, false, 0},
	};
	struct store *store;
	json_t *body, *detail = NULL, *why = NULL;
	const char *mode, *promotion;
	const json_t *min;
	enum category_mode m;
	enum review_result r;
	int never;

	if (api_query_check(req, resp, NULL) < 0 ||
	    (body = api_body_object(req, resp, fields, false)) == NULL)
		return;
	mode = api_field_str(body, "mode");
	promotion = api_field_str(body, "promotion");
	min = json_object_get(body, "min_samples");
	if (json_object_size(body) == 0) {
		api_error(resp, 400, "bad_request", "nothing to change");
		goto out;
	}
	if (mode != NULL && category_mode_parse(mode, &m) < 0) {
		api_error(resp, 400, "bad_value", "mode must be off, draft, shadow or auto");
		goto out;
	}
	if (promotion != NULL && strcmp(promotion, "manual") != 0 &&
	    strcmp(promotion, "automatic") != 0) {
		api_error(resp, 400, "bad_value", "promotion must be manual or automatic");
		goto out;
	}
	if (min != NULL && (json_integer_value(min) < 1 || json_integer_value(min) > 1000000)) {
		api_error(resp, 400, "bad_value", "min_samples must be from 1 to 1000000");
		goto out;
	}
	if (api_rate_check(resp, body, "threshold") < 0 ||
	    api_rate_check(resp, body, "audit_sample_rate") < 0 ||
	    api_rate_check(resp, body, "target_rate") < 0)
		goto out;
	if ((store = api_store(req, resp)) == NULL)
		goto out;
	/* auto, or automatic promotion (shadow to auto later): the same 409 */
	if ((mode != NULL && m == CATEGORY_MODE_AUTO) ||
	    (promotion != NULL && strcmp(promotion, "automatic") == 0)) {
		never = api_never_auto(store, req, req->params[0], &why);
		if (never < 0) {
			api_error_store(resp, store);
			goto out;
		}
		if (never > 0) {
			api_error(resp, 409, "never_auto",
				  "%.100s is never automatic: it can neither be set to auto nor"
				  " promoted to it (%s)",
				  req->params[0], json_string_value(why));
			json_object_set_new(
				json_object_get(resp->json, "error"), "detail",
				json_pack("{s:s, s:O}", "category", req->params[0], "reason", why));
			goto out;
		}
	}
	r = store_category_update(store, req->params[0], body, req->actor, &detail);
	if (r == REVIEW_OK)
		log_info_kv("category changed", "category=%s actor=%s mode=%s promotion=%s",
			    req->params[0], req->actor, mode != NULL ? mode : "unchanged",
			    promotion != NULL ? promotion : "unchanged");
	api_review_reply(resp, store, r, detail, "category");
out:
	json_decref(why);
	json_decref(body);
}
