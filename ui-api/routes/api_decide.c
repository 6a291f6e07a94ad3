/* SPDX-License-Identifier: MIT */
/* POST /drafts/{id}/approve, /drafts/{id}/undo, /drafts/{id}/reject. */
#include <stdio.h>
#include <string.h>

#include "agent/pipeline/facts.h"
#include "daemon/lib/log.h"
#include "daemon/mail/mail_compose.h"
#include "ui-api/api.h"

#define API_IDEMPOTENCY_KEY_MAX 200
#define API_REASON_MAX          2000

/* The domain of the mailbox's configured address ("Support <s@example.com>"
 * too) in buf, for the Message-ID when the mailboxes row has none. */
static const char *api_mailbox_domain(const struct config *config, const char *mailbox, char *buf,
				      size_t size)
{
	const struct mailbox_config *mb = mailbox != NULL ? config_mailbox(config, mailbox) : NULL;

	if (mb == NULL || mail_address_domain(mb->address, buf, size) < 0)
		return NULL;
	return buf;
}

/* Looks the draft's facts up again through the connectors. Returns 0 when
 * they still hold (or there are none), 1 with a 409 in resp when something
 * changed or cannot be confirmed. */
static int api_facts_check(const struct api_request *req, struct api_response *resp,
			   const json_t *draft)
{
	const json_t *facts = json_object_get(draft, "facts");
	struct facts_sources *sources = api_facts_sources(req);
	json_t *changes = NULL;
	int r;

	if (!json_is_object(facts) || json_object_size(facts) == 0)
		return 0;
	if (sources == NULL) {
		api_error(resp, 409, "facts_unconfirmed",
			  "the connectors are not available to re-check this draft's facts;"
			  " approve with \"force\": true to send anyway");
		return 1;
	}
	r = facts_recheck(sources, facts, &changes);
	if (r == 0) {
		json_decref(changes);
		return 0;
	}
	if (r > 0)
		api_error(resp, 409, "facts_changed",
			  "facts changed since the draft was written; review them, or approve"
			  " with \"force\": true");
	else
		api_error(resp, 409, "facts_unconfirmed",
			  "a connector failed while re-checking the facts; approve with"
			  " \"force\": true to send anyway");
	json_object_set_new(json_object_get(resp->json, "error"), "detail",
			    changes != NULL ? changes : json_array());
	return 1;
}

void api_drafts_approve(struct api_request *req, struct api_response *resp)
{
	static const struct api_field fields[] = {
		{"body", API_STRING, false, 0},
		{"subject", API_STRING, false, 998},
		{"force", API_BOOL, false, 0},
		{NULL, API_STRING, false, 0},
	};
	const char *key = api_header(req, "Idempotency-Key");
	struct review_approve approve;
	char domain[256];
	struct store *store;
	json_t *body = NULL, *draft = NULL, *detail = NULL;
	const char *status;
	enum review_result r;
	int g;

	if (api_query_check(req, resp, NULL) < 0 || api_id_check(resp, req->params[0], "draft") < 0)
		return;
	if (key != NULL && (*key == '\0' || strlen(key) > API_IDEMPOTENCY_KEY_MAX)) {
		api_error(resp, 400, "bad_header", "Idempotency-Key must be 1-%d characters",
			  API_IDEMPOTENCY_KEY_MAX);
		return;
	}
	if ((body = api_body_object(req, resp, fields, true)) == NULL ||
	    (store = api_store(req, resp)) == NULL)
		goto out;
	g = store_review_get(store, req->params[0], &draft);
	if (g <= 0) {
		api_review_reply(resp, store, g < 0 ? REVIEW_ERROR : REVIEW_NOT_FOUND, NULL,
				 "draft");
		goto out;
	}
	/* Re-check facts only for a draft about to be approved: a replay of an
	 * earlier approval must not be refused because stock moved since. */
	status = json_string_value(json_object_get(draft, "status"));
	if (status != NULL && (strcmp(status, "pending") == 0 || strcmp(status, "claimed") == 0) &&
	    !json_is_true(json_object_get(body, "force")) && api_facts_check(req, resp, draft) != 0)
		goto out;
	memset(&approve, 0, sizeof(approve));
	approve.body = api_field_str(body, "body");
	approve.subject = api_field_str(body, "subject");
	approve.idempotency_key = key;
	approve.fallback_domain = api_mailbox_domain(
		req->config, json_string_value(json_object_get(draft, "mailbox")), domain,
		sizeof(domain));
	approve.send_delay = req->config->review.send_delay;
	r = store_review_approve(store, req->params[0], req->actor, &approve, &detail);
	if (r == REVIEW_OK)
		log_info_kv("draft approved", "draft_id=%s actor=%s", req->params[0], req->actor);
	api_review_reply(resp, store, r, detail, "draft");
out:
	json_decref(body);
	json_decref(draft);
}

void api_drafts_reject(struct api_request *req, struct api_response *resp)
{
	static const struct api_field fields[] = {
		{"reason", API_STRING, true, API_REASON_MAX},
		{"category", API_STRING, false, 100},
		{NULL, API_STRING, false, 0},
	};
	struct store *store;
	json_t *body = NULL, *detail = NULL;
	const char *reason;
	enum review_result r;

	if (api_query_check(req, resp, NULL) < 0 || api_id_check(resp, req->params[0], "draft") < 0)
		return;
	if ((body = api_body_object(req, resp, fields, false)) == NULL)
		return;
	reason = api_field_str(body, "reason");
	if (reason[strspn(reason, " \t\r\n")] == '\0') {
		api_error(resp, 400, "missing_field", "reason must not be empty");
		goto out;
	}
	if ((store = api_store(req, resp)) == NULL)
		goto out;
	r = store_review_reject(store, req->params[0], req->actor, reason,
				api_field_str(body, "category"), &detail);
	if (r == REVIEW_OK)
		log_info_kv("draft rejected", "draft_id=%s actor=%s reason=%.200s category=%.100s",
			    req->params[0], req->actor, reason, api_field_str(body, "category"));
	if (r == REVIEW_INVALID) {
		api_error(resp, 400, "unknown_category",
			  "category '%.100s' is not one of the categories (GET /categories)",
			  api_field_str(body, "category"));
		json_decref(detail);
		goto out;
	}
	api_review_reply(resp, store, r, detail, "draft");
out:
	json_decref(body);
}

void api_drafts_undo(struct api_request *req, struct api_response *resp)
{
	struct store *store;
	json_t *detail = NULL;
	enum review_result r;
	unsigned int ttl = req->config->review.claim_ttl;

	if (api_query_check(req, resp, NULL) < 0 ||
	    api_id_check(resp, req->params[0], "draft") < 0 ||
	    (store = api_store(req, resp)) == NULL)
		return;
	r = store_review_undo(store, req->params[0], req->actor, ttl > 0 ? ttl : 120, &detail);
	if (r == REVIEW_OK)
		log_info_kv("draft recalled (undo)", "draft_id=%s actor=%s", req->params[0],
			    req->actor);
	api_review_reply(resp, store, r, detail, "draft");
}
