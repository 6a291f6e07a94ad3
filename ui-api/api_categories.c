/* GET /categories, PUT /categories/{name} (admin). */
#include <string.h>

#include "agent/promotion.h"
#include "ui-api/api.h"

void api_categories_list(struct api_request *req, struct api_response *resp)
{
	struct store *store;
	json_t *result = NULL;

	if (api_query_check(req, resp, NULL) < 0 || (store = api_store(req, resp)) == NULL)
		return;
	if (store_categories_list(store, &result) < 0)
		api_error_store(resp, store);
	else
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

/* complaint, legal and categories configured never_auto never go auto,
 * not even by an admin's hand (rule-based never_auto shows in /stats). */
static bool api_never_auto(const struct api_request *req, const char *name)
{
	const struct category_config *cc = config_category(req->config, name);
	struct promo_counts c;
	struct promo_policy p;

	memset(&c, 0, sizeof(c));
	memset(&p, 0, sizeof(p));
	p.name = name;
	p.mode = "draft";
	p.never_auto = cc != NULL && cc->never_auto;
	return promo_never_auto(&c, &p);
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
	json_t *body, *detail = NULL;
	const char *mode, *promotion;
	const json_t *min;
	enum category_mode m;
	enum review_result r;

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
	if (mode != NULL && m == CATEGORY_MODE_AUTO && api_never_auto(req, req->params[0])) {
		api_error(resp, 409, "never_auto",
			  "%s is never_auto: it can never reply automatically", req->params[0]);
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
	r = store_category_update(store, req->params[0], body, req->actor, &detail);
	api_review_reply(resp, store, r, detail, "category");
out:
	json_decref(body);
}
