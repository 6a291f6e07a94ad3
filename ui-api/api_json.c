/* SPDX-License-Identifier: MIT */
/* JSON responses, error bodies and request validation. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "daemon/lib/log.h"
#include "daemon/lib/utf8.h"
#include "daemon/lib/util.h"
#include "ui-api/api.h"

void api_reply(struct api_response *resp, unsigned int status, json_t *json)
{
	json_decref(resp->json);
	resp->json = json;
	resp->status = status;
	if (json == NULL)
		api_error(resp, 500, "internal", "out of memory");
}

/* Error texts quote the client (a JSON parser's complaint, a field name cut
 * at 64 bytes): a byte that is not UTF-8 would make the error body itself
 * fail to build, so it becomes '?'. */
static void api_utf8_scrub(char *msg)
{
	unsigned char *s = (unsigned char *)msg;
	uint32_t cp;
	size_t n;

	while (*s != '\0') {
		n = utf8_decode(s, 4, &cp); /* stops at the NUL */
		if (n == 0) {
			*s++ = '?';
			continue;
		}
		s += n;
	}
}

void api_error(struct api_response *resp, unsigned int status, const char *code, const char *fmt,
	       ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	api_utf8_scrub(msg);
	json_decref(resp->json);
	resp->status = status;
	resp->json = json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", msg);
}

void api_error_store(struct api_response *resp, struct store *store)
{
	log_error("api: %s", store_error(store));
	api_error(resp, 500, "internal", "database error (logged on the server)");
}

static const char *api_type_name(enum api_type type)
{
	switch (type) {
	case API_STRING:
		return "a string";
	case API_NUMBER:
		return "a number";
	case API_INTEGER:
		return "an integer";
	case API_BOOL:
		return "true or false";
	}
	return "?";
}

static bool api_type_ok(const json_t *v, enum api_type type)
{
	switch (type) {
	case API_STRING:
		return json_is_string(v);
	case API_NUMBER:
		return json_is_number(v);
	case API_INTEGER:
		return json_is_integer(v);
	case API_BOOL:
		return json_is_boolean(v);
	}
	return false;
}

json_t *api_body_object(struct api_request *req, struct api_response *resp,
			const struct api_field *fields, bool allow_empty)
{
	json_error_t err;
	json_t *obj, *v;
	const char *key;
	const struct api_field *f;

	if (req->body_len == 0) {
		if (allow_empty)
			return json_object();
		api_error(resp, 400, "bad_request", "a JSON object body is required");
		return NULL;
	}
	obj = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &err);
	if (obj == NULL) {
		api_error(resp, 400, "bad_json", "malformed JSON at line %d column %d: %s",
			  err.line, err.column, err.text);
		return NULL;
	}
	if (!json_is_object(obj)) {
		api_error(resp, 400, "bad_request", "the body must be a JSON object");
		goto bad;
	}
	json_object_foreach(obj, key, v)
	{
		for (f = fields; f->name != NULL; f++) {
			if (strcmp(f->name, key) == 0)
				break;
		}
		if (f->name == NULL) {
			api_error(resp, 400, "unknown_field", "unknown field '%.64s'", key);
			goto bad;
		}
		if (!api_type_ok(v, f->type)) {
			api_error(resp, 400, "wrong_type", "field '%s' must be %s", f->name,
				  api_type_name(f->type));
			goto bad;
		}
		if (f->type == API_STRING && f->max_len > 0 && json_string_length(v) > f->max_len) {
			api_error(resp, 400, "too_long", "field '%s' is longer than %zu bytes",
				  f->name, f->max_len);
			goto bad;
		}
		if (f->type == API_STRING &&
		    strlen(json_string_value(v)) != json_string_length(v)) {
			api_error(resp, 400, "bad_value", "field '%s' contains a NUL character",
				  f->name);
			goto bad;
		}
	}
	for (f = fields; f->name != NULL; f++) {
		if (f->required && json_object_get(obj, f->name) == NULL) {
			api_error(resp, 400, "missing_field", "field '%s' is required", f->name);
			goto bad;
		}
	}
	return obj;
bad:
	json_decref(obj);
	return NULL;
}

const char *api_field_str(const json_t *obj, const char *name)
{
	return json_string_value(json_object_get(obj, name));
}

struct api_query_scan {
	const char *const *allowed;
	const char *bad;
};

static enum MHD_Result api_query_iter(void *cls, enum MHD_ValueKind kind, const char *key,
				      const char *value)
{
	struct api_query_scan *scan = cls;
	size_t i;

	(void)kind;
	(void)value;
	for (i = 0; scan->allowed != NULL && scan->allowed[i] != NULL; i++) {
		if (strcmp(scan->allowed[i], key) == 0)
			return MHD_YES;
	}
	scan->bad = key;
	return MHD_NO;
}

int api_query_check(struct api_request *req, struct api_response *resp, const char *const *allowed)
{
	struct api_query_scan scan = {allowed, NULL};

	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, api_query_iter, &scan);
	if (scan.bad != NULL) {
		api_error(resp, 400, "unknown_parameter", "unknown query parameter '%.64s'",
			  scan.bad);
		return -1;
	}
	return 0;
}

const char *api_query(struct api_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *api_header(struct api_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

int api_id_check(struct api_response *resp, const char *id, const char *what)
{
	uint64_t v;

	/* one spelling per id: "01", "1abc" or "1%00" name no draft, and never
	 * draft 1 (a resource is not found under a second name) */
	if (id[0] < '1' || id[0] > '9' || parse_u64(id, INT64_MAX, &v) < 0) {
		api_error(resp, 404, "not_found", "no such %s", what);
		return -1;
	}
	return 0;
}

int api_found(struct api_response *resp, struct store *store, int r, const char *what)
{
	if (r < 0)
		api_error_store(resp, store);
	else if (r == 0)
		api_error(resp, 404, "not_found", "no such %s", what);
	return r;
}

/* The message of a 409 by its reason (the detail's "conflict"). */
static const struct {
	const char *code, *text;
} api_conflicts[] = {
	{"superseded", "superseded by a newer draft, a reply a person wrote or a close"
		       " (detail.live_draft_id names the live draft)"},
	{"already_replied", "the message already has its reply (detail.reply_draft_id);"
			    " a second one only as a follow-up"},
	{"sending", "a reply to the message waits in the outbox: undo it first"},
	{"draft_edited", "the live draft carries saved edits: confirm with force or If-Match"
			 " to replace them"},
	{"message_closed", "the message is closed: reopen it first"},
	{"not_replied", "the message has no reply yet: nothing to follow up"},
	{"too_late", "the outbox has started sending it: it can no longer be undone"},
	{"not_holder", "you do not hold its claim (detail.claimed_by)"},
	{"busy", "a worker is drafting it right now"},
};

static void api_conflict(struct api_response *resp, json_t *detail, const char *what)
{
	const char *holder = json_string_value(json_object_get(detail, "claimed_by"));
	const char *status = json_string_value(json_object_get(detail, "status"));
	const char *code = json_string_value(json_object_get(detail, "conflict"));
	json_t *err;
	size_t i;

	for (i = 0; code != NULL && i < sizeof(api_conflicts) / sizeof(api_conflicts[0]); i++) {
		if (strcmp(code, api_conflicts[i].code) == 0)
			break;
	}
	if (code != NULL && i < sizeof(api_conflicts) / sizeof(api_conflicts[0]))
		api_error(resp, 409, api_conflicts[i].code, "%s: %s", what, api_conflicts[i].text);
	else if (holder != NULL && (code == NULL || strcmp(code, "claimed") == 0))
		api_error(resp, 409, "claimed", "%s is claimed by %s until %s", what, holder,
			  json_string_value(json_object_get(detail, "claim_expires")) != NULL
				  ? json_string_value(json_object_get(detail, "claim_expires"))
				  : "its claim runs out");
	else if (status != NULL)
		api_error(resp, 409, "wrong_status", "%s is %s", what, status);
	else if (code != NULL && strcmp(code, "wrong_status") == 0)
		api_error(resp, 409, "wrong_status", "%s is %s", what,
			  json_string_value(json_object_get(detail, "message_status")) != NULL
				  ? json_string_value(json_object_get(detail, "message_status"))
				  : "not in a state for this");
	else
		api_error(resp, 409, "conflict", "%s is busy", what);
	err = json_object_get(resp->json, "error");
	if (err != NULL && detail != NULL) {
		json_object_del(detail, "conflict");
		json_object_set(err, "detail", detail);
	}
}

void api_review_reply(struct api_response *resp, struct store *store, enum review_result r,
		      json_t *detail, const char *what)
{
	switch (r) {
	case REVIEW_ERROR:
		api_error_store(resp, store);
		break;
	case REVIEW_NOT_FOUND:
		api_error(resp, 404, "not_found", "no such %s", what);
		break;
	case REVIEW_CONFLICT:
		api_conflict(resp, detail, what);
		break;
	case REVIEW_STALE:
		api_error(resp, 412, "stale_version",
			  "%s was changed meanwhile: current version is %s", what,
			  json_string_value(json_object_get(detail, "version")));
		if (detail != NULL)
			json_object_set(json_object_get(resp->json, "error"), "detail", detail);
		break;
	case REVIEW_INVALID:
		api_error(resp, 400, "bad_value", "%s: a value is not accepted", what);
		if (detail != NULL)
			json_object_set(json_object_get(resp->json, "error"), "detail", detail);
		break;
	case REVIEW_REPLAY:
		resp->replayed = true;
		/* fall through */
	case REVIEW_OK:
		api_reply(resp, 200, detail);
		return;
	}
	json_decref(detail);
}

int api_if_match(const char *h, char *version, size_t size)
{
	size_t n;
	uint64_t v;

	if (strncmp(h, "W/", 2) == 0)
		h += 2;
	n = strlen(h);
	if (n >= 2 && h[0] == '"' && h[n - 1] == '"') {
		h++;
		n -= 2;
	}
	if (n == 0 || n >= size)
		return -1;
	memcpy(version, h, n);
	version[n] = '\0';
	return parse_u64(version, INT32_MAX, &v) < 0 ? -1 : 0;
}
