/* SPDX-License-Identifier: MIT */
/* Assignment (issue 16 item 4): POST /messages/{id}/assign hands a message
 * to a person, takes it, or gives it back; GET /assignees lists who can
 * have one. Reviewers may hand messages on (as in Help Scout and Front);
 * every change is an audit row naming who did it. */
#include <stdio.h>
#include <string.h>

#include "daemon/store/store_workspace.h"
#include "ui-api/api.h"
#include "ui-api/api_page.h"

#define API_PERSON_MAX 128

void api_messages_assign(struct api_request *req, struct api_response *resp)
{
	static const struct api_field fields[] = {
		{"to", API_STRING, true, API_PERSON_MAX},
		{"expect", API_STRING, false, API_PERSON_MAX},
		{NULL, API_STRING, false, 0},
	};
	struct store *store;
	json_t *body = NULL, *result = NULL;
	const char *to, *expect;
	int r;

	if (api_query_check(req, resp, NULL) < 0 ||
	    api_id_check(resp, req->params[0], "message") < 0 ||
	    (body = api_body_object(req, resp, fields, false)) == NULL)
		return;
	/* "" is nobody, in "to" and in "expect" alike */
	to = api_field_str(body, "to");
	expect = api_field_str(body, "expect");
	if ((store = api_store(req, resp)) == NULL)
		goto out;
	if (to[0] != '\0' && strcmp(to, api_principal(req)->name) != 0) {
		r = store_assignee_exists(store, to);
		if (r < 0) {
			api_error_store(resp, store);
			goto out;
		}
		if (r == 0) {
			api_error(
				resp, 400, "unknown_person",
				"'%.128s' is no one a message can be assigned to (GET /assignees)",
				to);
			goto out;
		}
	}
	r = store_assign(store, req->params[0], to[0] != '\0' ? to : NULL, expect != NULL,
			 expect != NULL && expect[0] != '\0' ? expect : NULL,
			 api_principal(req)->name, &result);
	if (api_found(resp, store, r, "message") <= 0)
		goto out;
	if (r == 2) {
		const char *holder = json_string_value(json_object_get(result, "assigned_to"));

		api_error(resp, 409, "conflict", "the message is assigned to %s now",
			  holder != NULL ? holder : "nobody");
		json_object_set_new(json_object_get(resp->json, "error"), "detail", result);
		result = NULL;
	} else {
		api_reply(resp, 200, result);
		result = NULL;
	}
out:
	json_decref(result);
	json_decref(body);
}

int api_assigned_filter(struct api_request *req, struct api_response *resp, const char **assigned_r)
{
	const char *v = api_query(req, "assigned");

	*assigned_r = NULL;
	if (v == NULL)
		return 0;
	if (api_page_filter(resp, "assigned", v) < 0)
		return -1;
	if (strcmp(v, "me") == 0)
		*assigned_r = api_principal(req)->name;
	else if (strcmp(v, "none") == 0)
		*assigned_r = "";
	else
		*assigned_r = v;
	return 0;
}

void api_assignees_list(struct api_request *req, struct api_response *resp)
{
	struct store *store;
	json_t *people = NULL;

	if (api_query_check(req, resp, NULL) < 0 || (store = api_store(req, resp)) == NULL)
		return;
	if (store_assignees_list(store, &people) < 0)
		api_error_store(resp, store);
	else
		api_reply(resp, 200, json_pack("{s:o}", "people", people));
}
