/* Bearer tokens: "Authorization: Bearer dft_...", looked up by sha256, and
 * GET /me (who the token belongs to). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "daemon/store/store_tokens.h"
#include "ui-api/api.h"

#define API_TOKEN_MAX 128

_Static_assert(API_PRINCIPAL_NAME_MAX == TOKEN_NAME_MAX, "a token name fits the principal");

int api_auth_check(struct api_request *req, struct api_response *resp)
{
	const char *h = api_header(req, MHD_HTTP_HEADER_AUTHORIZATION);
	unsigned char hash[32];
	struct token_auth auth;
	struct store *store;
	size_t len;
	int r;

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0) {
		api_error(resp, 401, "unauthorized",
			  "missing bearer token (Authorization: Bearer <token>)");
		return 0;
	}
	h += 7;
	while (*h == ' ')
		h++;
	len = strlen(h);
	if (len == 0 || len > API_TOKEN_MAX) {
		api_error(resp, 401, "unauthorized", "invalid token");
		return 0;
	}
	if (token_hash(h, hash) < 0) {
		api_error(resp, 500, "internal", "cannot hash the token");
		return -1;
	}
	store = api_store(req, resp);
	if (store == NULL)
		return -1;
	r = store_token_lookup(store, hash, &auth);
	if (r < 0) {
		api_error_store(resp, store);
		return -1;
	}
	if (r == 0 && auth.expired) {
		/* the caller holds the token, so saying it expired tells them
		 * nothing new and saves an operator a puzzle */
		api_error(resp, 401, "token_expired", "token '%s' expired at %s", auth.name,
			  auth.expires_at);
		return 0;
	}
	if (r == 0) {
		api_error(resp, 401, "unauthorized", "invalid or revoked token");
		return 0;
	}
	memset(&req->principal, 0, sizeof(req->principal));
	snprintf(req->principal.name, sizeof(req->principal.name), "%s", auth.name);
	req->principal.role = auth.role;
	req->principal.via = API_VIA_TOKEN;
	snprintf(req->actor, sizeof(req->actor), "%s", req->principal.name);
	req->role = req->principal.role;
	return 1;
}

const struct api_principal *api_principal(const struct api_request *req)
{
	return &req->principal;
}

bool api_principal_is_person(const struct api_principal *p)
{
	return p->via != API_VIA_NONE && p->person_id > 0;
}

void api_me_get(struct api_request *req, struct api_response *resp)
{
	unsigned int ttl = req->config->review.claim_ttl > 0 ? req->config->review.claim_ttl : 120;

	if (api_query_check(req, resp, NULL) < 0)
		return;
	/* what the page works with: who is signed in, the undo window and the
	 * heartbeat */
	api_reply(resp, 200,
		  json_pack("{s:s, s:s, s:s, s:o, s:s, s:{s:i, s:i, s:i}}", "name", req->actor,
			    "display_name", req->principal.display_name, "role",
			    token_role_name(req->role), "person_id",
			    req->principal.person_id > 0 ? json_integer(req->principal.person_id)
							 : json_null(),
			    "via", req->principal.via == API_VIA_SESSION ? "session" : "token",
			    "review", "send_delay_seconds", (int)req->config->review.send_delay,
			    "claim_ttl_seconds", (int)ttl, "heartbeat_seconds",
			    (int)(ttl / 3 > 0 ? ttl / 3 : 1)));
}
