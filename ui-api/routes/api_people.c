/* SPDX-License-Identifier: MIT */
/* People for admins (issue 16): GET/POST /people, PATCH /people/{login}.
 * What `draftd user` does, for the admin page; every change audited with the
 * admin's login. */
#include <string.h>
#include <strings.h>

#include "daemon/lib/util.h"
#include "daemon/store/store_people.h"
#include "daemon/store/store_signin.h"
#include "ui-api/api.h"
#include "ui-api/api_token_cache.h"
#include "ui-api/auth/auth_password.h"

/* as `draftd user` (daemon/cmd_user.c) */
#define PEOPLE_PASSWORD_MIN 12

void api_people_list(struct api_request *req, struct api_response *resp)
{
	struct store *store;
	json_t *people = NULL;

	if (api_query_check(req, resp, NULL) < 0)
		return;
	store = api_store(req, resp);
	if (store == NULL)
		return;
	if (store_person_list(store, &people) < 0) {
		api_error_store(resp, store);
		return;
	}
	api_reply(resp, 200, json_pack("{s:o}", "people", people));
}

static bool people_role_valid(const char *role)
{
	return strcmp(role, "reviewer") == 0 || strcmp(role, "admin") == 0;
}

/* The hash of a new password from the body, or "" when none was given.
 * Returns 0, -1 with a 400/500 in resp. */
static int people_password(struct api_response *resp, const char *password, char *hash, size_t size)
{
	struct error err;

	hash[0] = '\0';
	if (password == NULL)
		return 0;
	if (strlen(password) < PEOPLE_PASSWORD_MIN) {
		api_error(resp, 400, "bad_request", "password: at least %d characters",
			  PEOPLE_PASSWORD_MIN);
		return -1;
	}
	if (auth_password_hash(NULL, password, hash, size, &err) < 0) {
		api_error(resp, 400, "bad_request", "password: %s", error_msg(&err));
		return -1;
	}
	return 0;
}

void api_people_create(struct api_request *req, struct api_response *resp)
{
	static const struct api_field fields[] = {
		{"login", API_STRING, true, PERSON_LOGIN_MAX},
		{"role", API_STRING, true, PERSON_ROLE_MAX},
		{"display_name", API_STRING, false, 200},
		{"email", API_STRING, false, 320},
		{"password", API_STRING, false, AUTH_PASSWORD_MAX},
		{NULL, API_STRING, false, 0},
	};
	char hash[AUTH_PASSWORD_ENCODED_MAX];
	const char *login, *role;
	struct store *store;
	json_t *body;
	long long id;
	int r;

	body = api_body_object(req, resp, fields, false);
	if (body == NULL)
		return;
	login = api_field_str(body, "login");
	role = api_field_str(body, "role");
	if (!person_login_valid(login)) {
		api_error(resp, 400, "bad_request", "login: 1-64 of A-Z a-z 0-9 . _ @ -");
		goto out;
	}
	if (!people_role_valid(role)) {
		api_error(resp, 400, "bad_request", "role: reviewer or admin");
		goto out;
	}
	if (people_password(resp, api_field_str(body, "password"), hash, sizeof(hash)) < 0)
		goto out;
	store = api_store(req, resp);
	if (store == NULL)
		goto out;
	r = store_person_create(store, login, api_field_str(body, "display_name"),
				api_field_str(body, "email"), role, hash[0] != '\0' ? hash : NULL,
				req->actor, &id);
	if (r < 0)
		api_error_store(resp, store);
	else if (r == 0)
		api_error(resp, 409, "exists", "a person '%s' exists already", login);
	else
		api_reply(resp, 201,
			  json_pack("{s:I, s:s, s:s, s:b}", "id", (json_int_t)id, "login", login,
				    "role", role, "password", hash[0] != '\0'));
out:
	explicit_bzero(hash, sizeof(hash));
	json_decref(body);
}

void api_people_patch(struct api_request *req, struct api_response *resp)
{
	static const struct api_field fields[] = {
		{"role", API_STRING, false, PERSON_ROLE_MAX},
		{"disabled", API_BOOL, false, 0},
		{"password", API_STRING, false, AUTH_PASSWORD_MAX},
		{NULL, API_STRING, false, 0},
	};
	const char *login = req->params[0], *role;
	char hash[AUTH_PASSWORD_ENCODED_MAX], current[PERSON_LOGIN_MAX + 1];
	struct store_person person;
	struct store *store;
	json_t *body, *disabled;
	int r;

	body = api_body_object(req, resp, fields, false);
	if (body == NULL)
		return;
	role = api_field_str(body, "role");
	disabled = json_object_get(body, "disabled");
	if (role != NULL && !people_role_valid(role)) {
		api_error(resp, 400, "bad_request", "role: reviewer or admin");
		goto out;
	}
	/* an admin who locks themselves out may leave nobody to undo it */
	if (strcasecmp(login, req->actor) == 0 &&
	    (json_is_true(disabled) || (role != NULL && strcmp(role, "admin") != 0))) {
		api_error(resp, 409, "self",
			  "you cannot disable yourself or drop your own admin role");
		goto out;
	}
	if (people_password(resp, api_field_str(body, "password"), hash, sizeof(hash)) < 0)
		goto out;
	store = api_store(req, resp);
	if (store == NULL)
		goto out;
	r = person_login_valid(login) ? store_person_get(store, login, &person) : 0;
	if (api_found(resp, store, r, "person") <= 0)
		goto out;
	/* each change is its own audited transaction; 0 (already so) is fine */
	if ((role != NULL && store_person_set_role(store, person.login, role, req->actor) < 0) ||
	    (disabled != NULL &&
	     store_person_set_disabled(store, person.login, json_is_true(disabled), req->actor) <
		     0) ||
	    (hash[0] != '\0' &&
	     store_person_set_password(store, person.login, hash, true, req->actor) < 0)) {
		api_error_store(resp, store);
		goto out;
	}
	/* a person's tokens act with their role and stop when they are
	 * disabled: this process forgets what it cached at once (others
	 * within [api] token_cache_ttl) */
	if (role != NULL || disabled != NULL)
		api_token_cache_clear();
	/* read again (not into the struct whose login is the key) */
	str_copy(current, sizeof(current), person.login);
	r = store_person_get(store, current, &person);
	if (api_found(resp, store, r, "person") <= 0)
		goto out;
	api_reply(resp, 200,
		  json_pack("{s:I, s:s, s:s, s:b, s:b}", "id", (json_int_t)person.id, "login",
			    person.login, "role", person.role, "disabled", person.disabled,
			    "password", person.password_hash[0] != '\0'));
out:
	explicit_bzero(hash, sizeof(hash));
	json_decref(body);
}
