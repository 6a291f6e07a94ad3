/* SPDX-License-Identifier: MIT */
/* GET /drafts, GET /drafts/{id}, claim, release, PATCH. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/lib/util.h"
#include "ui-api/api.h"
#include "ui-api/api_page.h"
#include "ui-api/routes/api_drafts.h"

#define API_LIST_DEFAULT 50
#define API_LIST_MAX     200

/* uncertain: approved drafts whose reply may have been delivered (the
 * outbox's state, daemon/outbox/outbox.c), waiting for a person */
static const char *const api_statuses[] = {"pending",   "claimed",   "approved", "rejected",
					   "sent",      "auto_sent", "failed",   "superseded",
					   "uncertain", NULL};

static bool api_one_of(const char *v, const char *const *list)
{
	for (; *list != NULL; list++) {
		if (strcmp(v, *list) == 0)
			return true;
	}
	return false;
}

/* status=pending,claimed / status=open (pending + claimed) into the store's
 * comma-separated list in out. 0, or -1 with a 400 in resp. */
static int api_status_filter(struct api_response *resp, const char *v, char *out, size_t size)
{
	char word[16];
	size_t len, used = 0;
	const char *add;

	out[0] = '\0';
	for (;;) {
		len = strcspn(v, ",");
		if (len == 0 || len >= sizeof(word))
			goto bad;
		memcpy(word, v, len);
		word[len] = '\0';
		if (strcmp(word, "open") == 0)
			add = "pending,claimed";
		else if (api_one_of(word, api_statuses))
			add = word;
		else
			goto bad;
		if (used + strlen(add) + 2 > size)
			goto bad;
		used += (size_t)snprintf(out + used, size - used, "%s%s", used > 0 ? "," : "", add);
		if (v[len] == '\0')
			return 0;
		v += len + 1;
	}
bad:
	api_error(resp, 400, "bad_parameter",
		  "status must be open or a comma-separated list of pending, claimed, approved,"
		  " rejected, sent, auto_sent, failed, superseded, uncertain");
	return -1;
}

void api_drafts_list(struct api_request *req, struct api_response *resp)
{
	static const char *const allowed[] = {"status", "category", "mailbox",  "q", "limit",
					      "cursor", "order",    "assigned", NULL};
	struct review_filter f;
	const char *status = api_query(req, "status");
	struct api_page page;
	struct store *store;
	char *drafts = NULL, *next = NULL, statuses[128];

	memset(&f, 0, sizeof(f));
	if (api_query_check(req, resp, allowed) < 0)
		return;
	f.category = api_query(req, "category");
	f.mailbox = api_query(req, "mailbox");
	f.q = api_query(req, "q");
	if (status != NULL) {
		if (api_status_filter(resp, status, statuses, sizeof(statuses)) < 0)
			return;
		f.status = statuses;
	}
	if (api_page_filter(resp, "category", f.category) < 0 ||
	    api_page_filter(resp, "mailbox", f.mailbox) < 0 ||
	    api_page_filter(resp, "q", f.q) < 0 || api_assigned_filter(req, resp, &f.assigned) < 0)
		return;
	if (api_page_parse(req, resp, "c1", API_LIST_DEFAULT, API_LIST_MAX, &page) < 0)
		return;
	f.limit = page.limit;
	f.oldest = page.oldest;
	f.after_id = page.after_id;
	if ((store = api_store(req, resp)) == NULL)
		return;
	if (store_review_list(store, &f, &drafts, &next) < 0) {
		api_error_store(resp, store);
		return;
	}
	api_page_reply_text(resp, "drafts", drafts, next, "c1", &page);
	free(next);
}

void api_drafts_get(struct api_request *req, struct api_response *resp)
{
	struct store *store;
	json_t *draft = NULL;
	int r;

	if (api_query_check(req, resp, NULL) < 0 ||
	    api_id_check(resp, req->params[0], "draft") < 0 ||
	    (store = api_store(req, resp)) == NULL)
		return;
	r = store_review_get(store, req->params[0], &draft);
	if (api_found(resp, store, r, "draft") > 0)
		api_reply(resp, 200, draft);
}

/* [review] claim_ttl; a config built without the loader (tests) has 0. */
static unsigned int api_claim_ttl(const struct config *config)
{
	return config->review.claim_ttl > 0 ? config->review.claim_ttl : 120;
}

void api_drafts_claim(struct api_request *req, struct api_response *resp)
{
	static const struct api_field fields[] = {
		{"take_over", API_BOOL, false, 0},
		{NULL, API_STRING, false, 0},
	};
	struct store *store;
	json_t *body = NULL, *detail = NULL;
	enum review_result r;
	bool take_over;

	if (api_query_check(req, resp, NULL) < 0 || api_id_check(resp, req->params[0], "draft") < 0)
		return;
	if ((body = api_body_object(req, resp, fields, true)) == NULL)
		return;
	take_over = json_is_true(json_object_get(body, "take_over"));
	json_decref(body);
	if (take_over && req->role != TOKEN_ROLE_ADMIN) {
		api_error(resp, 403, "forbidden", "only an admin can take over a claim");
		return;
	}
	if ((store = api_store(req, resp)) == NULL)
		return;
	r = store_review_claim(store, req->params[0], req->actor, api_claim_ttl(req->config),
			       take_over, &detail);
	api_review_reply(resp, store, r, detail, "draft");
}

void api_drafts_heartbeat(struct api_request *req, struct api_response *resp)
{
	struct store *store;
	json_t *detail = NULL;
	enum review_result r;

	if (api_query_check(req, resp, NULL) < 0 ||
	    api_id_check(resp, req->params[0], "draft") < 0 ||
	    (store = api_store(req, resp)) == NULL)
		return;
	r = store_review_heartbeat(store, req->params[0], req->actor, api_claim_ttl(req->config),
				   &detail);
	api_review_reply(resp, store, r, detail, "draft");
}

void api_drafts_release(struct api_request *req, struct api_response *resp)
{
	struct store *store;
	json_t *detail = NULL;
	enum review_result r;

	if (api_query_check(req, resp, NULL) < 0 ||
	    api_id_check(resp, req->params[0], "draft") < 0 ||
	    (store = api_store(req, resp)) == NULL)
		return;
	r = store_review_release(store, req->params[0], req->actor, req->role == TOKEN_ROLE_ADMIN,
				 &detail);
	api_review_reply(resp, store, r, detail, "draft");
}

void api_drafts_patch(struct api_request *req, struct api_response *resp)
{
	static const struct api_field fields[] = {
		{"subject", API_STRING, false, 998},
		{"body", API_STRING, false, 0},
		{"recipient", API_STRING, false, API_ADDRESS_MAX},
		{"cc", API_STRING, false, 4 * API_ADDRESS_MAX},
		{NULL, API_STRING, false, 0},
	};
	const char *if_match = api_header(req, "If-Match");
	struct review_patch patch;
	struct store *store;
	json_t *body = NULL, *draft = NULL, *detail = NULL;
	char version[16];
	struct error why;
	enum review_result r;
	int g;

	if (api_query_check(req, resp, NULL) < 0 || api_id_check(resp, req->params[0], "draft") < 0)
		return;
	if (if_match == NULL) {
		api_error(resp, 428, "precondition_required",
			  "PATCH needs If-Match: <version> (the draft's version field)");
		return;
	}
	if (api_if_match(if_match, version, sizeof(version)) < 0) {
		api_error(resp, 400, "bad_header", "If-Match must be the draft's version number");
		return;
	}
	if ((body = api_body_object(req, resp, fields, false)) == NULL)
		return;
	if (json_object_size(body) == 0) {
		api_error(resp, 400, "bad_request",
			  "nothing to change: give subject, body, recipient or cc");
		goto out;
	}
	memset(&patch, 0, sizeof(patch));
	patch.subject = api_field_str(body, "subject");
	patch.body = api_field_str(body, "body");
	patch.recipient = api_field_str(body, "recipient");
	patch.cc = api_field_str(body, "cc");
	patch.version = version;
	patch.claim_ttl = api_claim_ttl(req->config);
	if ((store = api_store(req, resp)) == NULL)
		goto out;
	if (patch.recipient != NULL || patch.cc != NULL) {
		g = store_review_get(store, req->params[0], &draft);
		if (g <= 0) {
			api_review_reply(resp, store, g < 0 ? REVIEW_ERROR : REVIEW_NOT_FOUND, NULL,
					 "draft");
			goto out;
		}
		if (api_recipients_check(json_object_get(draft, "message"), patch.recipient,
					 patch.cc, &why) < 0) {
			api_error(resp, 400, "recipient_policy", "%s", error_msg(&why));
			goto out;
		}
	}
	r = store_review_patch(store, req->params[0], req->actor, &patch, &detail);
	api_review_reply(resp, store, r, detail, "draft");
out:
	json_decref(body);
	json_decref(draft);
}
