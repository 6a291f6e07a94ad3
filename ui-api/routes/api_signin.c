/* SPDX-License-Identifier: MIT */
/* Signing in to the page with a password, signing out, and what the sign-in
 * form offers (issue 16). Sessions: ui-api/auth/auth_session.c (token in an
 * HttpOnly SameSite=Strict cookie, only its SHA-256 stored); the lock-out
 * counts failures per account and per client address in the database, so
 * every instance sees the same counts. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "daemon/lib/log.h"
#include "daemon/lib/util.h"
#include "daemon/store/store_audit.h"
#include "daemon/store/store_people.h"
#include "daemon/store/store_signin.h"
#include "ui-api/api.h"
#include "ui-api/auth/auth_password.h"
#include "ui-api/auth/auth_session.h"
#include "ui-api/routes/api_signin.h"

#define SIGNIN_KEY_MAX 128

void api_signin_info(struct api_request *req, struct api_response *resp)
{
	const struct config *c = req->config;

	if (api_query_check(req, resp, NULL) < 0)
		return;
	api_reply(resp, 200,
		  json_pack("{s:b, s:b, s:s?}", "password", 1, "oidc", c->oidc.issuer != NULL,
			    "oidc_button", c->oidc.issuer != NULL ? c->oidc.button : NULL));
}

int api_signin_start(struct api_request *req, struct api_response *resp,
		     const struct store_person *person, const char *via)
{
	const struct config *c = req->config;
	char token[AUTH_SESSION_TOKEN_LEN + 1], id[AUTH_SESSION_ID_LEN + 1], addr[64];
	enum token_role role;
	struct store *store;
	json_t *after = NULL;
	int r, ret = -1;

	if (token_role_parse(person->role, &role) < 0) {
		api_error(resp, 500, "internal", "person '%s' has an unknown role", person->login);
		return -1;
	}
	store = api_store(req, resp);
	if (store == NULL)
		return -1;
	if (auth_session_new(token, id) < 0) {
		api_error(resp, 500, "internal", "random generator failed");
		goto out;
	}
	api_client_addr(req, addr, sizeof(addr));
	r = store_session_create(store, id, person->id, c->auth.session_idle, c->auth.session_max,
				 addr);
	if (r < 0) {
		api_error_store(resp, store);
		goto out;
	}
	if (r == 0) {
		api_error(resp, 403, "account_disabled", "this account is disabled");
		ret = 0;
		goto out;
	}
	after = json_pack("{s:s, s:s}", "via", via, "address", addr);
	if (store_audit_record(store, person->login, "person.signin", "person", person->login, NULL,
			       after) < 0) {
		api_error_store(resp, store);
		goto out;
	}
	/* Max-Age: the absolute end; the server ends idle sessions itself */
	snprintf(resp->set_cookie, sizeof(resp->set_cookie),
		 "%s=%s; Path=/; Max-Age=%u; HttpOnly; SameSite=Strict%s", API_SESSION_COOKIE,
		 token, c->auth.session_max,
		 api_is_tls(req) || c->auth.cookie_secure ? "; Secure" : "");
	memset(&req->principal, 0, sizeof(req->principal));
	req->principal.person_id = person->id;
	str_copy(req->principal.name, sizeof(req->principal.name), person->login);
	str_copy(req->principal.display_name, sizeof(req->principal.display_name),
		 person->display_name);
	req->principal.role = role;
	req->principal.via = API_VIA_SESSION;
	str_copy(req->actor, sizeof(req->actor), person->login);
	req->role = role;
	str_copy(req->session_id, sizeof(req->session_id), id);
	log_info("api: %s signed in (%s) from %s", person->login, via, addr);
	ret = 1;
out:
	json_decref(after);
	explicit_bzero(token, sizeof(token));
	return ret;
}

/* "login:alice" (lower case: Alice and alice are one account) and
 * "addr:192.0.2.1". */
static void signin_keys(struct api_request *req, const char *login, char *login_key, char *addr_key)
{
	char addr[64];
	size_t i, n;

	n = (size_t)snprintf(login_key, SIGNIN_KEY_MAX, "login:%s", login);
	for (i = 6; i < n && i < SIGNIN_KEY_MAX; i++)
		login_key[i] = (char)tolower((unsigned char)login_key[i]);
	api_client_addr(req, addr, sizeof(addr));
	snprintf(addr_key, SIGNIN_KEY_MAX, "addr:%s", addr);
}

/* Refuses (429) when the account or the address is locked. Returns 1 go on,
 * 0 locked, -1. */
static int signin_lock_check(struct store *store, struct api_response *resp, const char *login_key,
			     const char *addr_key)
{
	uint32_t a = 0, b = 0;
	int r1, r2;

	r1 = store_signin_locked(store, login_key, &a);
	r2 = r1 < 0 ? -1 : store_signin_locked(store, addr_key, &b);
	if (r1 < 0 || r2 < 0) {
		api_error_store(resp, store);
		return -1;
	}
	if (r1 == 0 && r2 == 0)
		return 1;
	resp->retry_after = a > b ? a : b;
	api_error(resp, 429, "locked",
		  "too many failed sign-ins for this %s: try again in %u minute%s, or ask an"
		  " admin to set a new password",
		  r1 == 1 ? "account" : "address", (resp->retry_after + 59) / 60,
		  (resp->retry_after + 59) / 60 == 1 ? "" : "s");
	return 0;
}

static int signin_failed(struct api_request *req, struct store *store, const char *login,
			 const char *login_key, const char *addr_key)
{
	const struct config *c = req->config;
	struct signin_limit account = {c->auth.lockout_failures, c->auth.lockout_window,
				       c->auth.lockout_duration};
	struct signin_limit address = {c->auth.lockout_address_failures, c->auth.lockout_window,
				       c->auth.lockout_duration};
	int r1, r2;

	r1 = store_signin_failed(store, login_key, &account);
	r2 = store_signin_failed(store, addr_key, &address);
	if (r1 < 0 || r2 < 0)
		return -1;
	/* one line an operator (or fail2ban) can act on; never the password */
	log_warn("api: failed sign-in for '%s' from %s%s%s", login, addr_key + 5,
		 r1 == 1 ? " (account locked)" : "", r2 == 1 ? " (address locked)" : "");
	return 0;
}

void api_signin_login(struct api_request *req, struct api_response *resp)
{
	static const struct api_field fields[] = {
		{"login", API_STRING, true, PERSON_LOGIN_MAX},
		{"password", API_STRING, true, AUTH_PASSWORD_MAX},
		{NULL, API_STRING, false, 0},
	};
	char login_key[SIGNIN_KEY_MAX], addr_key[SIGNIN_KEY_MAX];
	char csrf[AUTH_CSRF_TOKEN_LEN + 1];
	struct store_person person;
	const char *login, *password;
	struct error err;
	struct store *store;
	json_t *body = NULL;
	int r, found;

	if (!api_same_origin(req)) {
		api_error(resp, 403, "cross_site", "refused: a sign-in from another site");
		return;
	}
	body = api_body_object(req, resp, fields, false);
	if (body == NULL)
		return;
	login = api_field_str(body, "login");
	password = api_field_str(body, "password");
	store = api_store(req, resp);
	if (store == NULL)
		goto out;
	signin_keys(req, login, login_key, addr_key);
	if (signin_lock_check(store, resp, login_key, addr_key) <= 0)
		goto out;
	found = person_login_valid(login) ? store_person_get(store, login, &person) : 0;
	if (found < 0) {
		api_error_store(resp, store);
		goto out;
	}
	if (found == 1 && person.password_hash[0] != '\0') {
		r = auth_password_verify(person.password_hash, password, &err);
		if (r < 0)
			log_warn("api: person '%s': stored password hash unusable: %s", login,
				 error_msg(&err));
	} else {
		/* the same work for a name without an account or a password */
		auth_password_verify_dummy(password);
		r = 0;
	}
	if (r != 1) {
		if (signin_failed(req, store, login, login_key, addr_key) < 0) {
			api_error_store(resp, store);
			goto out;
		}
		api_error(resp, 401, "invalid_credentials", "wrong login or password");
		goto out;
	}
	if (person.disabled) {
		api_error(resp, 403, "account_disabled",
			  "this account is disabled: ask an admin (draftd user enable)");
		goto out;
	}
	if (store_signin_clear(store, login_key) < 0) {
		api_error_store(resp, store);
		goto out;
	}
	/* hashes made with older parameters are redone while we have the password */
	if (auth_password_needs_rehash(person.password_hash, NULL, &err) == 1) {
		char hash[AUTH_PASSWORD_ENCODED_MAX];

		if (auth_password_hash(NULL, password, hash, sizeof(hash), &err) == 0 &&
		    store_person_set_password(store, person.login, hash, false, person.login) < 0)
			log_warn("api: rehash for '%s': %s", person.login, store_error(store));
	}
	if (api_signin_start(req, resp, &person, "password") <= 0 ||
	    api_csrf_token(req, resp, csrf) < 0)
		goto out;
	api_reply(resp, 200,
		  json_pack("{s:s, s:s, s:s, s:I, s:s}", "name", person.login, "display_name",
			    person.display_name, "role", person.role, "person_id",
			    (json_int_t)person.id, "csrf_token", csrf));
out:
	json_decref(body);
}

void api_signin_logout(struct api_request *req, struct api_response *resp)
{
	struct store *store;
	json_t *after = NULL;

	if (req->principal.via != API_VIA_SESSION) {
		api_error(resp, 400, "not_a_session",
			  "signed in with an API token: there is no session to end"
			  " (revoke the token with draftd token revoke)");
		return;
	}
	store = api_store(req, resp);
	if (store == NULL)
		return;
	after = json_pack("{s:s}", "via", "sign-out");
	if (store_session_end(store, req->session_id) < 0 ||
	    store_audit_record(store, req->actor, "person.signout", "person", req->actor, NULL,
			       after) < 0) {
		api_error_store(resp, store);
		goto out;
	}
	snprintf(resp->set_cookie, sizeof(resp->set_cookie),
		 "%s=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict%s", API_SESSION_COOKIE,
		 api_is_tls(req) || req->config->auth.cookie_secure ? "; Secure" : "");
	api_reply(resp, 200, json_pack("{s:b}", "signed_out", 1));
out:
	json_decref(after);
}
