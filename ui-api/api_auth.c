/* SPDX-License-Identifier: MIT */
/* Who makes a request: "Authorization: Bearer dft_..." (API tokens, looked up
 * by sha256) or the page's session cookie (issue 16), the CSRF check for
 * cookie requests, and GET /me. */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "daemon/lib/util.h"
#include "daemon/store/store_people.h"
#include "daemon/store/store_tokens.h"
#include "ui-api/api.h"
#include "ui-api/api_token_cache.h"
#include "ui-api/auth/auth_session.h"

#define API_TOKEN_MAX 128

_Static_assert(API_PRINCIPAL_NAME_MAX == TOKEN_NAME_MAX, "a token name fits the principal");
_Static_assert(API_PRINCIPAL_NAME_MAX == PERSON_LOGIN_MAX, "a login fits the principal");
_Static_assert(AUTH_CSRF_TOKEN_LEN + 1 == 44, "api_csrf_token's buffer");

static void api_principal_set(struct api_request *req, long long person_id, const char *name,
			      const char *display_name, enum token_role role,
			      enum api_principal_via via)
{
	memset(&req->principal, 0, sizeof(req->principal));
	req->principal.person_id = person_id;
	str_copy(req->principal.name, sizeof(req->principal.name), name);
	str_copy(req->principal.display_name, sizeof(req->principal.display_name), display_name);
	req->principal.role = role;
	req->principal.via = via;
	str_copy(req->actor, sizeof(req->actor), req->principal.name);
	req->role = role;
}

static int api_auth_token(struct api_request *req, struct api_response *resp, const char *h)
{
	unsigned char hash[32];
	struct token_auth auth;
	struct store *store;
	uint64_t looked_ms;
	size_t len;
	int r;

	if (strncasecmp(h, "Bearer ", 7) != 0) {
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
	looked_ms = time_mono_ms();
	if (api_token_cache_get(hash, looked_ms, time(NULL), &auth) == 1)
		goto live;
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
	/* kept from before the lookup: a revocation after its snapshot is
	 * refused within the TTL of the revocation */
	api_token_cache_put(hash, &auth, req->config->api.token_cache_ttl, looked_ms, time(NULL));
live:
	/* a person's token acts as the person: audit rows name them */
	if (auth.person_id > 0)
		api_principal_set(req, auth.person_id, auth.person, auth.display_name, auth.role,
				  API_VIA_TOKEN);
	else
		api_principal_set(req, 0, auth.name, "", auth.role, API_VIA_TOKEN);
	return 1;
}

static int api_auth_session(struct api_request *req, struct api_response *resp, const char *cookie)
{
	const struct config *c = req->config;
	struct store_session sess;
	enum token_role role;
	struct store *store;
	char id[AUTH_SESSION_ID_LEN + 1];
	int r;

	r = auth_session_id(cookie, id);
	if (r < 0) {
		api_error(resp, 500, "internal", "cannot hash the session");
		return -1;
	}
	if (r == 0) {
		api_error(resp, 401, "unauthorized", "not signed in (malformed session cookie)");
		return 0;
	}
	store = api_store(req, resp);
	if (store == NULL)
		return -1;
	r = store_session_use(store, id, c->auth.session_idle, c->auth.session_max, &sess);
	if (r < 0) {
		api_error_store(resp, store);
		return -1;
	}
	if (r == 0 || token_role_parse(sess.role, &role) < 0) {
		api_error(
			resp, 401, "session_expired",
			"your session has ended (signed out, expired or disabled): sign in again");
		return 0;
	}
	api_principal_set(req, sess.person_id, sess.login, sess.display_name, role,
			  API_VIA_SESSION);
	str_copy(req->session_id, sizeof(req->session_id), id);
	return 1;
}

int api_auth_check(struct api_request *req, struct api_response *resp)
{
	const char *h = api_header(req, MHD_HTTP_HEADER_AUTHORIZATION);
	const char *cookie = NULL;

	/* a bearer token wins: automation never carries the page's cookie */
	if (h != NULL)
		return api_auth_token(req, resp, h);
	if (req->conn != NULL)
		cookie =
			MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, API_SESSION_COOKIE);
	if (cookie != NULL && cookie[0] != '\0')
		return api_auth_session(req, resp, cookie);
	api_error(resp, 401, "unauthorized",
		  "not signed in (sign in on the page, or send Authorization: Bearer <token>)");
	return 0;
}

/* True when host (a Host or X-Forwarded-Host value; only its first entry)
 * is origin_host. */
static bool api_host_is(const char *host, const char *origin_host)
{
	size_t n;

	if (host == NULL)
		return false;
	n = strcspn(host, ", ");
	return n == strlen(origin_host) && strncasecmp(host, origin_host, n) == 0;
}

bool api_same_origin(struct api_request *req)
{
	const char *origin = api_header(req, "Origin");
	const char *site = api_header(req, "Sec-Fetch-Site");
	const char *rest;

	if (site != NULL && strcasecmp(site, "cross-site") == 0)
		return false;
	if (origin == NULL)
		return true; /* not a browser, or a same-origin GET */
	if (strncmp(origin, "https://", 8) == 0)
		rest = origin + 8;
	else if (strncmp(origin, "http://", 7) == 0)
		rest = origin + 7;
	else
		return false; /* "null" (a sandboxed or file page) and the like */
	/* Behind a reverse proxy the browser's host is in X-Forwarded-Host. A
	 * page of another site cannot set that header on a form post, and a
	 * script sending it needs a CORS preflight we never answer. */
	return api_host_is(api_header(req, MHD_HTTP_HEADER_HOST), rest) ||
	       api_host_is(api_header(req, "X-Forwarded-Host"), rest);
}

int api_csrf_token(struct api_request *req, struct api_response *resp, char token_r[44])
{
	unsigned char key[AUTH_CSRF_KEY_LEN];
	int ret = -1;

	if (api_csrf_key(req, resp, key) < 0)
		return -1;
	if (auth_csrf_token(key, req->session_id, token_r) < 0)
		api_error(resp, 500, "internal", "cannot compute the CSRF token");
	else
		ret = 0;
	explicit_bzero(key, sizeof(key));
	return ret;
}

int api_csrf_check(struct api_request *req, struct api_response *resp)
{
	unsigned char key[AUTH_CSRF_KEY_LEN];
	int r;

	if (req->principal.via != API_VIA_SESSION || strcmp(req->method, "GET") == 0 ||
	    strcmp(req->method, "HEAD") == 0)
		return 1;
	if (!api_same_origin(req)) {
		api_error(resp, 403, "cross_site",
			  "refused: this request came from another site (Origin %s)",
			  api_header(req, "Origin") != NULL ? "differs" : "missing");
		return 0;
	}
	if (api_csrf_key(req, resp, key) < 0)
		return -1;
	r = auth_csrf_check(key, req->session_id, api_header(req, "X-CSRF-Token"));
	explicit_bzero(key, sizeof(key));
	if (r < 0) {
		api_error(resp, 500, "internal", "cannot compute the CSRF token");
		return -1;
	}
	if (r == 0) {
		api_error(resp, 403, "csrf",
			  "missing or wrong X-CSRF-Token header (the page sends it; reload it)");
		return 0;
	}
	return 1;
}

void api_client_addr(struct api_request *req, char *out, size_t size)
{
	const union MHD_ConnectionInfo *info = NULL;
	socklen_t len;

	str_copy(out, size, "unknown");
	if (req->conn != NULL)
		info = MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (info == NULL || info->client_addr == NULL)
		return;
	len = info->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						       : sizeof(struct sockaddr_in);
	if (getnameinfo(info->client_addr, len, out, (socklen_t)size, NULL, 0, NI_NUMERICHOST) != 0)
		str_copy(out, size, "unknown");
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
	char csrf[AUTH_CSRF_TOKEN_LEN + 1] = "";

	if (api_query_check(req, resp, NULL) < 0)
		return;
	/* the page reads the CSRF token here: the cookie itself is HttpOnly */
	if (req->principal.via == API_VIA_SESSION && api_csrf_token(req, resp, csrf) < 0)
		return;
	/* what the page works with: who is signed in, the undo window and the
	 * heartbeat */
	api_reply(resp, 200,
		  json_pack("{s:s, s:s, s:s, s:o, s:s, s:s?, s:{s:i, s:i, s:i}}", "name",
			    req->actor, "display_name", req->principal.display_name, "role",
			    token_role_name(req->role), "person_id",
			    req->principal.person_id > 0 ? json_integer(req->principal.person_id)
							 : json_null(),
			    "via", req->principal.via == API_VIA_SESSION ? "session" : "token",
			    "csrf_token", csrf[0] != '\0' ? csrf : NULL, "review",
			    "send_delay_seconds", (int)req->config->review.send_delay,
			    "claim_ttl_seconds", (int)ttl, "heartbeat_seconds",
			    (int)(ttl / 3 > 0 ? ttl / 3 : 1)));
}
