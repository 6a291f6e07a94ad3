/* SPDX-License-Identifier: MIT */
/* Single sign-on (issue 16): GET /auth/oidc/start sends the browser to the
 * provider with PKCE S256, state and nonce (kept server-side in oidc_pending,
 * keyed by the state's hash, so any instance can finish the sign-in); GET
 * /auth/oidc/callback exchanges the code, validates the ID token
 * (ui-api/auth/oidc_token.c), finds or adds the person and starts a session.
 * Both end in a redirect: the browser is on a full-page navigation. Errors go
 * back to the page as /?signin_error=CODE, which it explains. */
#include <gnutls/crypto.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "daemon/lib/buf.h"
#include "daemon/lib/log.h"
#include "daemon/lib/util.h"
#include "daemon/store/store_signin.h"
#include "ui-api/api.h"
#include "ui-api/auth/oidc_pkce.h"
#include "ui-api/auth/oidc_token.h"
#include "ui-api/routes/api_oidc_client.h"
#include "ui-api/routes/api_signin.h"

#define OIDC_CALLBACK_PATH API_PREFIX "/auth/oidc/callback"

static void oidc_redirect(struct api_response *resp, const char *where)
{
	str_copy(resp->location, sizeof(resp->location), where);
	api_reply(resp, 303, json_pack("{s:s}", "location", where));
}

/* Back to the page with an error code it explains; the detail goes to the
 * log only (it may name the provider's internals). */
static void oidc_fail(struct api_response *resp, const char *code, const char *detail)
{
	char where[128];

	log_warn("api: single sign-on refused (%s): %s", code, detail);
	snprintf(where, sizeof(where), "/?signin_error=%s", code);
	oidc_redirect(resp, where);
}

/* [oidc] redirect_uri, else http(s)://Host/api/v1/auth/oidc/callback. */
static int oidc_redirect_uri(struct api_request *req, char *out, size_t size)
{
	const char *host = api_header(req, MHD_HTTP_HEADER_HOST);

	if (req->config->oidc.redirect_uri != NULL) {
		str_copy(out, size, req->config->oidc.redirect_uri);
		return 0;
	}
	if (host == NULL || host[0] == '\0' || strlen(host) > 255 ||
	    strpbrk(host, "/?#@\\ \t\r\n") != NULL)
		return -1;
	snprintf(out, size, "%s://%s%s", api_is_tls(req) ? "https" : "http", host,
		 OIDC_CALLBACK_PATH);
	return 0;
}

static int oidc_state_hash(const char *state, char hex_r[65])
{
	unsigned char digest[32];
	size_t i;

	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, state, strlen(state), digest) < 0)
		return -1;
	for (i = 0; i < 32; i++)
		snprintf(hex_r + 2 * i, 3, "%02x", digest[i]);
	return 0;
}

/* Appends "&name=escaped value" to url. */
static int oidc_param(struct buf *url, const char *name, const char *value)
{
	size_t i;
	int r = buf_printf(url, "&%s=", name);

	/* RFC 3986 unreserved passes; everything else percent-encoded */
	for (i = 0; r == 0 && value[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)value[i];

		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch) != NULL)
			r = buf_append(url, &value[i], 1);
		else
			r = buf_printf(url, "%%%02X", ch);
	}
	return r;
}

void api_oidc_start(struct api_request *req, struct api_response *resp)
{
	static const char *const allowed[] = {NULL};
	const struct config *c = req->config;
	char verifier[OIDC_PKCE_VERIFIER_LEN + 1], challenge[OIDC_PKCE_CHALLENGE_LEN + 1];
	char state[OIDC_RANDOM_LEN + 1], nonce[OIDC_RANDOM_LEN + 1], state_hash[65];
	char authorize[OIDC_URL_MAX], redirect[OIDC_URL_MAX];
	struct error err = {0};
	struct store *store;
	struct buf url;

	buf_init(&url, sizeof(resp->location) - 1);
	if (api_query_check(req, resp, allowed) < 0)
		goto out;
	if (c->oidc.issuer == NULL) {
		api_error(resp, 404, "not_found", "single sign-on is not configured ([oidc])");
		goto out;
	}
	if (oidc_redirect_uri(req, redirect, sizeof(redirect)) < 0) {
		api_error(resp, 400, "bad_request",
			  "no usable Host header: set [oidc] redirect_uri");
		goto out;
	}
	if (oidc_client_authorize_url(c, authorize, sizeof(authorize), &err) < 0) {
		oidc_fail(resp, "provider_unreachable", error_msg(&err));
		goto out;
	}
	if (oidc_pkce_verifier(verifier) < 0 || oidc_pkce_challenge(verifier, challenge) < 0 ||
	    oidc_state_new(state) < 0 || oidc_nonce_new(nonce) < 0 ||
	    oidc_state_hash(state, state_hash) < 0) {
		api_error(resp, 500, "internal", "random generator failed");
		goto out;
	}
	store = api_store(req, resp);
	if (store == NULL)
		goto out;
	if (store_oidc_pending_put(store, state_hash, nonce, verifier, "/") < 0) {
		api_error_store(resp, store);
		goto out;
	}
	if (buf_printf(&url, "%s%sresponse_type=code", authorize,
		       strchr(authorize, '?') != NULL ? "&" : "?") < 0 ||
	    oidc_param(&url, "client_id", c->oidc.client_id) < 0 ||
	    oidc_param(&url, "redirect_uri", redirect) < 0 ||
	    oidc_param(&url, "scope", "openid email profile") < 0 ||
	    oidc_param(&url, "state", state) < 0 || oidc_param(&url, "nonce", nonce) < 0 ||
	    oidc_param(&url, "code_challenge", challenge) < 0 ||
	    oidc_param(&url, "code_challenge_method", "S256") < 0 || buf_append(&url, "", 1) < 0) {
		api_error(resp, 500, "internal", "the provider's sign-in URL is too long");
		goto out;
	}
	oidc_redirect(resp, url.data);
out:
	buf_free(&url);
	explicit_bzero(verifier, sizeof(verifier));
}

/* The draftd role from the provider's role claim values: admin wins. NULL
 * when none of them is a draftd role. */
static const char *oidc_role(const struct oidc_identity *id)
{
	const char *role = NULL;
	size_t i;

	for (i = 0; i < id->role_count; i++) {
		if (strcmp(id->roles[i], "admin") == 0 || strcmp(id->roles[i], "draftd-admin") == 0)
			return "admin";
		if (strcmp(id->roles[i], "reviewer") == 0 ||
		    strcmp(id->roles[i], "draftd-reviewer") == 0)
			role = "reviewer";
	}
	return role;
}

/* A login for a new person: the email when it is one (and fits), else
 * "sso-" and the start of the subject's allowed characters. */
static void oidc_login(const struct oidc_identity *id, char *out, size_t size)
{
	size_t i, n = 0;

	if (id->email[0] != '\0' && person_login_valid(id->email)) {
		str_copy(out, size, id->email);
		return;
	}
	n = (size_t)snprintf(out, size, "sso-");
	for (i = 0; id->sub[i] != '\0' && n + 1 < size && n < PERSON_LOGIN_MAX; i++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._@-",
			   id->sub[i]) != NULL)
			out[n++] = id->sub[i];
	out[n] = '\0';
}

void api_oidc_callback(struct api_request *req, struct api_response *resp)
{
	static const char *const allowed[] = {
		"code", "state", "error", "error_description", "session_state", "iss", NULL};
	const struct config *c = req->config;
	const char *code = api_query(req, "code"), *state = api_query(req, "state");
	char nonce[129], verifier[129], back[OIDC_RETURN_MAX + 1], state_hash[65];
	char redirect[OIDC_URL_MAX], err[400], login[PERSON_LOGIN_MAX + 1];
	struct oidc_identity id;
	struct error refused = {0};
	struct oidc_expect expect;
	struct store_person person;
	struct signin_oidc_person who;
	struct store *store;
	int r;

	if (api_query_check(req, resp, allowed) < 0)
		return;
	if (c->oidc.issuer == NULL) {
		api_error(resp, 404, "not_found", "single sign-on is not configured ([oidc])");
		return;
	}
	if (api_query(req, "error") != NULL) {
		/* the person cancelled, or the provider refused them */
		snprintf(err, sizeof(err), "the provider answered error=%.100s",
			 api_query(req, "error"));
		oidc_fail(resp, "provider_refused", err);
		return;
	}
	if (code == NULL || state == NULL || strlen(state) > 128 || strlen(code) > 2048) {
		oidc_fail(resp, "bad_callback", "code or state missing or too long");
		return;
	}
	store = api_store(req, resp);
	if (store == NULL)
		return;
	if (oidc_state_hash(state, state_hash) < 0) {
		api_error(resp, 500, "internal", "cannot hash the state");
		return;
	}
	/* used once: a replayed or forged callback finds nothing */
	r = store_oidc_pending_take(store, state_hash, nonce, verifier, back);
	if (r < 0) {
		api_error_store(resp, store);
		return;
	}
	if (r == 0) {
		oidc_fail(resp, "expired", "unknown, used or expired state");
		return;
	}
	if (oidc_redirect_uri(req, redirect, sizeof(redirect)) < 0) {
		oidc_fail(resp, "bad_callback", "no usable Host header");
		goto out;
	}
	memset(&expect, 0, sizeof(expect));
	expect.issuer = c->oidc.issuer;
	expect.client_id = c->oidc.client_id;
	expect.nonce = nonce;
	expect.now = (int64_t)time(NULL);
	expect.skew_s = OIDC_SKEW_DEFAULT_S;
	expect.role_claim = c->oidc.role_claim;
	r = oidc_client_sign_in(c, code, verifier, redirect, &expect, &id, &refused);
	if (r <= 0) {
		oidc_fail(resp, "token_refused", error_msg(&refused));
		goto out;
	}
	memset(&who, 0, sizeof(who));
	who.issuer = c->oidc.issuer;
	who.subject = id.sub;
	oidc_login(&id, login, sizeof(login));
	who.login = login;
	who.display_name = id.name[0] != '\0' ? id.name : NULL;
	who.email = id.email[0] != '\0' ? id.email : NULL;
	who.role = c->oidc.role_claim != NULL ? oidc_role(&id) : NULL;
	if (c->oidc.role_claim != NULL && who.role == NULL) {
		snprintf(err, sizeof(err), "'%s' has no draftd role in claim '%s'", login,
			 c->oidc.role_claim);
		oidc_fail(resp, "no_role", err);
		goto out;
	}
	r = store_signin_oidc_person(store, &who, &person);
	if (r < 0) {
		api_error_store(resp, store);
		goto out;
	}
	if (r == SIGNIN_OIDC_DISABLED || r == SIGNIN_OIDC_LOGIN_TAKEN) {
		snprintf(err, sizeof(err), "'%s': %s", login,
			 r == SIGNIN_OIDC_DISABLED ? "disabled" : "login taken by another person");
		oidc_fail(resp, r == SIGNIN_OIDC_DISABLED ? "account_disabled" : "login_taken",
			  err);
		goto out;
	}
	r = api_signin_start(req, resp, &person, "oidc");
	if (r == 0) {
		json_decref(resp->json);
		resp->json = NULL;
		oidc_fail(resp, "account_disabled", "disabled while signing in");
	}
	if (r == 1)
		oidc_redirect(resp, back[0] == '/' && back[1] != '/' ? back : "/");
out:
	explicit_bzero(verifier, sizeof(verifier));
}
