/* SPDX-License-Identifier: MIT */
/* The route table: method + path pattern -> handler and who may call it. */
#include <stdio.h>
#include <string.h>

#include "daemon/lib/util.h"
#include "ui-api/api.h"

enum api_access { API_PUBLIC, API_ANY_ROLE, API_ADMIN };

struct api_route {
	const char *method;
	const char *pattern; /* "{}" matches one non-empty path segment */
	api_handler_fn *handler;
	enum api_access access;
};

static const struct api_route api_routes[] = {
	{"GET", "/healthz", api_health_live, API_PUBLIC},
	{"GET", API_PREFIX "/healthz", api_health_live, API_PUBLIC},
	{"GET", "/readyz", api_health_ready, API_ANY_ROLE},
	{"GET", API_PREFIX "/readyz", api_health_ready, API_ANY_ROLE},
	{"GET", API_PREFIX "/openapi.yaml", api_health_openapi, API_PUBLIC},
	{"GET", API_PREFIX "/me", api_me_get, API_ANY_ROLE},
	{"GET", API_PREFIX "/auth", api_signin_info, API_PUBLIC},
	{"POST", API_PREFIX "/auth/login", api_signin_login, API_PUBLIC},
	{"POST", API_PREFIX "/auth/logout", api_signin_logout, API_ANY_ROLE},
	{"GET", API_PREFIX "/auth/oidc/start", api_oidc_start, API_PUBLIC},
	{"GET", API_PREFIX "/auth/oidc/callback", api_oidc_callback, API_PUBLIC},
	{"GET", API_PREFIX "/people", api_people_list, API_ADMIN},
	{"POST", API_PREFIX "/people", api_people_create, API_ADMIN},
	{"PATCH", API_PREFIX "/people/{}", api_people_patch, API_ADMIN},
	{"GET", API_PREFIX "/drafts", api_drafts_list, API_ANY_ROLE},
	{"GET", API_PREFIX "/drafts/{}", api_drafts_get, API_ANY_ROLE},
	{"PATCH", API_PREFIX "/drafts/{}", api_drafts_patch, API_ANY_ROLE},
	{"POST", API_PREFIX "/drafts/{}/claim", api_drafts_claim, API_ANY_ROLE},
	{"POST", API_PREFIX "/drafts/{}/release", api_drafts_release, API_ANY_ROLE},
	{"POST", API_PREFIX "/drafts/{}/heartbeat", api_drafts_heartbeat, API_ANY_ROLE},
	{"POST", API_PREFIX "/drafts/{}/approve", api_drafts_approve, API_ANY_ROLE},
	{"POST", API_PREFIX "/drafts/{}/undo", api_drafts_undo, API_ANY_ROLE},
	{"POST", API_PREFIX "/drafts/{}/reject", api_drafts_reject, API_ANY_ROLE},
	{"POST", API_PREFIX "/drafts/{}/delivered", api_drafts_delivered, API_ANY_ROLE},
	{"POST", API_PREFIX "/drafts/{}/resend", api_drafts_resend, API_ANY_ROLE},
	{"POST", API_PREFIX "/drafts/{}/retry", api_drafts_retry, API_ANY_ROLE},
	{"GET", API_PREFIX "/messages", api_messages_list, API_ANY_ROLE},
	{"GET", API_PREFIX "/messages/{}", api_messages_get, API_ANY_ROLE},
	{"POST", API_PREFIX "/messages/{}/draft", api_messages_redraft, API_ANY_ROLE},
	{"POST", API_PREFIX "/messages/{}/reply", api_messages_reply, API_ANY_ROLE},
	{"POST", API_PREFIX "/messages/{}/close", api_messages_close, API_ANY_ROLE},
	{"POST", API_PREFIX "/messages/{}/reopen", api_messages_reopen, API_ANY_ROLE},
	{"GET", API_PREFIX "/backlog", api_backlog_get, API_ANY_ROLE},
	{"GET", API_PREFIX "/categories", api_categories_list, API_ANY_ROLE},
	{"PUT", API_PREFIX "/categories/{}", api_categories_put, API_ADMIN},
	{"GET", API_PREFIX "/stats", api_stats_get, API_ANY_ROLE},
	{"GET", API_PREFIX "/auto", api_auto_get, API_ANY_ROLE},
	{"POST", API_PREFIX "/auto", api_auto_post, API_ADMIN},
	{"GET", API_PREFIX "/samples", api_samples_list, API_ANY_ROLE},
	{"POST", API_PREFIX "/samples/{}", api_samples_judge, API_ANY_ROLE},
	{"GET", API_PREFIX "/mailboxes", api_mailboxes_list, API_ANY_ROLE},
	{"POST", API_PREFIX "/mailboxes/{}/poll", api_mailboxes_poll, API_ANY_ROLE},
	{"GET", API_PREFIX "/audit", api_audit_list, API_ADMIN},
	/* issue 16: the reviewer's workspace */
	{"GET", API_PREFIX "/messages/{}/thread", api_messages_thread, API_ANY_ROLE},
	{"GET", API_PREFIX "/messages/{}/notes", api_notes_list, API_ANY_ROLE},
	{"POST", API_PREFIX "/messages/{}/notes", api_notes_add, API_ANY_ROLE},
	{"POST", API_PREFIX "/messages/{}/assign", api_messages_assign, API_ANY_ROLE},
	{"GET", API_PREFIX "/assignees", api_assignees_list, API_ANY_ROLE},
	{"GET", API_PREFIX "/snippets", api_snippets_list, API_ANY_ROLE},
	{"POST", API_PREFIX "/snippets", api_snippets_create, API_ADMIN},
	{"PUT", API_PREFIX "/snippets/{}", api_snippets_update, API_ADMIN},
	{"DELETE", API_PREFIX "/snippets/{}", api_snippets_delete, API_ADMIN},
	{"GET", API_PREFIX "/drafts/{}/snippets/{}", api_snippets_render, API_ANY_ROLE},
	{"GET", API_PREFIX "/search", api_search, API_ANY_ROLE},
};

/* Matches path against pattern, storing up to API_MAX_PATH_PARAMS segment
 * copies in params (each at most 255 bytes). */
static bool api_match(const char *pattern, const char *path, char params[][256], size_t *n_r)
{
	size_t n = 0;

	while (*pattern != '\0' && *path != '\0') {
		if (strncmp(pattern, "{}", 2) == 0) {
			size_t len = strcspn(path, "/");

			if (len == 0 || len >= 256 || n == API_MAX_PATH_PARAMS)
				return false;
			memcpy(params[n], path, len);
			params[n++][len] = '\0';
			path += len;
			pattern += 2;
			continue;
		}
		if (*pattern != *path)
			return false;
		pattern++;
		path++;
	}
	/* a trailing slash is the same resource */
	if (*pattern == '\0' && path[0] == '/' && path[1] == '\0')
		path++;
	*n_r = n;
	return *pattern == '\0' && *path == '\0';
}

void api_router_dispatch(struct api_request *req, struct api_response *resp)
{
	char params[API_MAX_PATH_PARAMS][256];
	char allow[64] = "";
	const struct api_route *route = NULL;
	size_t i, j, n;
	bool is_api = strncmp(req->path, "/api/", 5) == 0 || strcmp(req->path, "/api") == 0;

	for (i = 0; i < ARRAY_SIZE(api_routes); i++) {
		if (!api_match(api_routes[i].pattern, req->path, params, &n))
			continue;
		if (strcmp(api_routes[i].method, req->method) == 0) {
			route = &api_routes[i];
			break;
		}
		if (strstr(allow, api_routes[i].method) == NULL) {
			size_t len = strlen(allow);

			snprintf(allow + len, sizeof(allow) - len, "%s%s", len > 0 ? ", " : "",
				 api_routes[i].method);
		}
	}
	if (route == NULL && allow[0] != '\0') {
		static __thread char allow_hdr[64];

		str_copy(allow_hdr, sizeof(allow_hdr), allow);
		resp->allow = allow_hdr;
		api_error(resp, 405, "method_not_allowed", "%s is not allowed here (allowed: %s)",
			  req->method, allow);
		return;
	}
	if (route == NULL && !is_api && req->path[0] == '/' &&
	    (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0)) {
		api_static_get(req, resp);
		return;
	}
	if (route == NULL) {
		api_error(resp, 404, "not_found", "no such endpoint");
		return;
	}
	for (j = 0; j < n; j++)
		req->params[j] = params[j];
	if (route->access != API_PUBLIC) {
		if (api_auth_check(req, resp) <= 0 || api_csrf_check(req, resp) <= 0)
			return;
		if (route->access == API_ADMIN && req->role != TOKEN_ROLE_ADMIN) {
			api_error(resp, 403, "forbidden", "this needs an admin (you are %s)",
				  token_role_name(req->role));
			return;
		}
	}
	route->handler(req, resp);
	for (j = 0; j < n; j++)
		req->params[j] = NULL;
}
