/* SPDX-License-Identifier: MIT */
/* The message as the unit of work (issue 11): POST /messages/{id}/draft
 * (regenerate), /reply (a reply a person writes, or a follow-up), /close,
 * /reopen, and GET /backlog. */
#include <stdio.h>
#include <string.h>

#include "daemon/lib/log.h"
#include "daemon/store/store_outcome.h"
#include "daemon/store/store_review_messages.h"
#include "ui-api/api.h"
#include "ui-api/backlog_cache.h"
#include "ui-api/routes/api_drafts.h"

#define API_CLOSE_REASON_MAX    500
#define API_IDEMPOTENCY_KEY_MAX 200

void api_messages_redraft(struct api_request *req, struct api_response *resp)
{
	static const struct api_field fields[] = {
		{"force", API_BOOL, false, 0},
		{NULL, API_STRING, false, 0},
	};
	const char *if_match = api_header(req, "If-Match");
	struct outcome_redraft o;
	struct store *store;
	json_t *body = NULL, *detail = NULL;
	char version[16];
	enum review_result r;

	if (api_query_check(req, resp, NULL) < 0 ||
	    api_id_check(resp, req->params[0], "message") < 0)
		return;
	if (if_match != NULL && api_if_match(if_match, version, sizeof(version)) < 0) {
		api_error(resp, 400, "bad_header", "If-Match must be the live draft's version");
		return;
	}
	if ((body = api_body_object(req, resp, fields, true)) == NULL)
		return;
	memset(&o, 0, sizeof(o));
	o.force = json_is_true(json_object_get(body, "force"));
	o.if_match = if_match != NULL ? version : NULL;
	json_decref(body);
	if ((store = api_store(req, resp)) == NULL)
		return;
	r = store_outcome_redraft(store, req->params[0], req->actor, &o, &detail);
	if (r == REVIEW_OK)
		log_info_kv("message sent back to drafting", "message_id=%s actor=%s",
			    req->params[0], req->actor);
	api_review_reply(resp, store, r, detail, "message");
	if (r == REVIEW_OK)
		resp->status = 202;
}

/* The message being answered: the recipient policy of PATCH checked against
 * it, and its mailbox's domain for the Message-ID (when the mailboxes row
 * has no address). 0, or -1 with resp set. */
static int api_reply_message(struct api_request *req, struct api_response *resp,
			     struct store *store, struct outcome_reply *o, char *domain,
			     size_t size)
{
	const struct mailbox_config *mb;
	json_t *message = NULL;
	const char *at;
	struct error why;
	int g, ret = -1;

	g = store_review_message_get(store, req->params[0], &message);
	if (g <= 0) {
		api_review_reply(resp, store, g < 0 ? REVIEW_ERROR : REVIEW_NOT_FOUND, NULL,
				 "message");
		return -1;
	}
	if ((o->recipient != NULL || o->cc != NULL) &&
	    api_recipients_check(message, o->recipient, o->cc, &why) < 0) {
		api_error(resp, 400, "recipient_policy", "%s", error_msg(&why));
		goto out;
	}
	mb = config_mailbox(req->config,
			    json_string_value(json_object_get(message, "mailbox")) != NULL
				    ? json_string_value(json_object_get(message, "mailbox"))
				    : "");
	at = mb != NULL && mb->address != NULL ? strrchr(mb->address, '@') : NULL;
	if (at != NULL) {
		snprintf(domain, size, "%.*s", (int)strcspn(at + 1, "> \t"), at + 1);
		o->fallback_domain = domain;
	}
	ret = 0;
out:
	json_decref(message);
	return ret;
}

void api_messages_reply(struct api_request *req, struct api_response *resp)
{
	static const struct api_field fields[] = {
		{"body", API_STRING, true, 0},
		{"subject", API_STRING, false, 998},
		{"recipient", API_STRING, false, API_ADDRESS_MAX},
		{"cc", API_STRING, false, 4 * API_ADDRESS_MAX},
		{"follow_up", API_BOOL, false, 0},
		{NULL, API_STRING, false, 0},
	};
	const char *key = api_header(req, "Idempotency-Key");
	struct outcome_reply o;
	struct store *store;
	json_t *body = NULL, *detail = NULL;
	const char *text;
	char domain[256];
	enum review_result r;

	if (api_query_check(req, resp, NULL) < 0 ||
	    api_id_check(resp, req->params[0], "message") < 0)
		return;
	if (key != NULL && (*key == '\0' || strlen(key) > API_IDEMPOTENCY_KEY_MAX)) {
		api_error(resp, 400, "bad_header", "Idempotency-Key must be 1-%d characters",
			  API_IDEMPOTENCY_KEY_MAX);
		return;
	}
	if ((body = api_body_object(req, resp, fields, false)) == NULL)
		return;
	text = api_field_str(body, "body");
	if (text[strspn(text, " \t\r\n")] == '\0') {
		api_error(resp, 400, "missing_field", "body must not be empty");
		goto out;
	}
	memset(&o, 0, sizeof(o));
	o.body = text;
	o.subject = api_field_str(body, "subject");
	o.recipient = api_field_str(body, "recipient");
	o.cc = api_field_str(body, "cc");
	o.follow_up = json_is_true(json_object_get(body, "follow_up"));
	o.send_delay = req->config->review.send_delay;
	o.idempotency_key = key;
	if ((store = api_store(req, resp)) == NULL ||
	    api_reply_message(req, resp, store, &o, domain, sizeof(domain)) < 0)
		goto out;
	r = store_outcome_reply(store, req->params[0], req->actor, &o, &detail);
	if (r == REVIEW_OK)
		log_info_kv(o.follow_up ? "message followed up" : "message answered",
			    "message_id=%s actor=%s", req->params[0], req->actor);
	api_review_reply(resp, store, r, detail, "message");
out:
	json_decref(body);
}

void api_messages_close(struct api_request *req, struct api_response *resp)
{
	static const struct api_field fields[] = {
		{"reason", API_STRING, true, API_CLOSE_REASON_MAX},
		{NULL, API_STRING, false, 0},
	};
	struct store *store;
	json_t *body = NULL, *detail = NULL;
	const char *reason;
	enum review_result r;

	if (api_query_check(req, resp, NULL) < 0 ||
	    api_id_check(resp, req->params[0], "message") < 0 ||
	    (body = api_body_object(req, resp, fields, false)) == NULL)
		return;
	reason = api_field_str(body, "reason");
	if (reason[strspn(reason, " \t\r\n")] == '\0') {
		api_error(resp, 400, "missing_field", "a close needs a reason");
		goto out;
	}
	if ((store = api_store(req, resp)) == NULL)
		goto out;
	r = store_outcome_close(store, req->params[0], req->actor, reason, &detail);
	if (r == REVIEW_OK)
		log_info_kv("message closed", "message_id=%s actor=%s reason=%.200s",
			    req->params[0], req->actor, reason);
	api_review_reply(resp, store, r, detail, "message");
out:
	json_decref(body);
}

void api_messages_reopen(struct api_request *req, struct api_response *resp)
{
	struct store *store;
	json_t *detail = NULL;
	enum review_result r;

	if (api_query_check(req, resp, NULL) < 0 ||
	    api_id_check(resp, req->params[0], "message") < 0 ||
	    (store = api_store(req, resp)) == NULL)
		return;
	r = store_outcome_reopen(store, req->params[0], req->actor, &detail);
	if (r == REVIEW_OK)
		log_info_kv("message reopened", "message_id=%s actor=%s", req->params[0],
			    req->actor);
	api_review_reply(resp, store, r, detail, "message");
}

void api_backlog_get(struct api_request *req, struct api_response *resp)
{
	struct store *store;
	json_t *backlog = NULL;

	if (api_query_check(req, resp, NULL) < 0 || (store = api_store(req, resp)) == NULL)
		return;
	if (backlog_read(store, req->config->api.backlog_max_age, &backlog) < 0)
		api_error_store(resp, store);
	else
		api_reply(resp, 200, backlog);
}
