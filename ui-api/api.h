/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_API_H
#define DRAFTD_API_H

/* The REST server's shared pieces (ui-api/ only). A request is read whole
 * (body capped at [api] max_body) by api_server.c, routed by api_router.c
 * (which also checks the bearer token and role), and answered by one
 * handler that fills a struct api_response. Handlers run on the server's
 * pool threads and may block on the database. */

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/config/config.h"
#include "daemon/store/store.h"
#include "daemon/store/store_review.h"
#include "daemon/store/store_tokens.h"

#define API_PREFIX          "/api/v1"
#define API_MAX_PATH_PARAMS 2

struct api_server;

/* Who made a request (issue 16), as the router established it before the
 * handler runs: a person signed in with a session cookie, or an API token
 * (tied to a person, or naming a service such as "ci-export"). Handlers that
 * record who did something (audit rows, assignment, notes) take name, and
 * person_id where a person is meant; role gates admin-only things. */
enum api_principal_via {
	API_VIA_NONE = 0, /* a public route: nobody checked */
	API_VIA_TOKEN,    /* Authorization: Bearer dft_... */
	API_VIA_SESSION,  /* the page's session cookie */
};

#define API_PRINCIPAL_NAME_MAX    64 /* PERSON_LOGIN_MAX == TOKEN_NAME_MAX */
#define API_PRINCIPAL_DISPLAY_MAX 128

struct api_principal {
	long long person_id; /* people.id; 0 for a service token (no person behind it) */
	/* the person's login, or the service token's name: what audit rows say */
	char name[API_PRINCIPAL_NAME_MAX + 1];
	char display_name[API_PRINCIPAL_DISPLAY_MAX + 1]; /* "" when none was given */
	enum token_role role;
	enum api_principal_via via;
};

struct api_request {
	struct api_server *server; /* the running API (api_server.c); NULL in unit tests */
	struct MHD_Connection *conn;
	const char *method;
	const char *path;
	const char *params[API_MAX_PATH_PARAMS]; /* {id} / {name} segments, in order */
	const char *body;
	size_t body_len;
	struct config *config;
	/* set by the router once the token or session checks out */
	struct api_principal principal;
	/* copies of principal.name and principal.role, kept for the handlers
	 * written before people existed */
	char actor[TOKEN_NAME_MAX + 1];
	enum token_role role;
	/* the session's id (hex SHA-256 of the cookie) when via is
	 * API_VIA_SESSION, else "" */
	char session_id[65];
	/* the database connection borrowed from the server's pool by the
	 * first api_store() of this request, given back after the response */
	struct store *store;
	uint64_t pool_wait_us; /* how long that borrow waited for a free connection */
	uint64_t store_at_us;  /* when it got it (monotonic) */
};

/* api_auth.c: who made the request (never NULL; via is API_VIA_NONE on a
 * public route). The one way the rest of the API asks. */
const struct api_principal *api_principal(const struct api_request *req);
/* True when the principal is a person (signed in, or by a token of theirs),
 * not a service token: only people can be assigned work or write notes. */
bool api_principal_is_person(const struct api_principal *p);

struct api_response {
	unsigned int status;
	json_t *json; /* the body as JSON, or */
	char *text;   /* a text body (owned unless text_static) */
	size_t text_len;
	bool text_static;
	const char *content_type;
	const char *allow;        /* the Allow header of a 405 */
	bool replayed;            /* Idempotent-Replayed: true */
	bool close;               /* Connection: close (a request that cannot be trusted further) */
	bool static_file;         /* the web page's CSP instead of the API's */
	char set_cookie[256];     /* a Set-Cookie header, "" for none */
	char location[2048];      /* a Location header (redirects), "" for none */
	unsigned int retry_after; /* a Retry-After header in seconds, 0 for none */
	uint64_t handled_us;      /* the handler's time (Server-Timing: app), 0 for none */
	/* of that, the wait for a database connection (Server-Timing: pool) and
	 * the time one was held (db); 0 and 0 when none was used */
	uint64_t pool_us, db_us;
};

typedef void api_handler_fn(struct api_request *req, struct api_response *resp);

/* api_server.c: the request's database connection, borrowed on first use
 * from the server's pool of [api] threads connections (waiting while all
 * are lent) and reconnected when broken; the same one for the rest of the
 * request. NULL when the database is unreachable (the response is then
 * already a 503). */
struct store *api_store(struct api_request *req, struct api_response *resp);

/* api_server.c: the connectors approve re-checks facts through (opened at
 * start), or NULL when they could not be opened. */
struct facts_sources *api_facts_sources(const struct api_request *req);

/* api_router.c: routes req, checks auth and fills resp. */
void api_router_dispatch(struct api_request *req, struct api_response *resp);

/* api_json.c: responses and input validation. */
/* Sets a JSON body; takes over json (NULL: out of memory becomes a 500). */
void api_reply(struct api_response *resp, unsigned int status, json_t *json);
/* {"error":{"code":code,"message":...}} with status. */
void api_error(struct api_response *resp, unsigned int status, const char *code, const char *fmt,
	       ...) __attribute__((format(printf, 4, 5)));
/* A 500 that logs the store's error (never sent to the client). */
void api_error_store(struct api_response *resp, struct store *store);

enum api_type { API_STRING, API_NUMBER, API_INTEGER, API_BOOL };
struct api_field {
	const char *name;
	enum api_type type;
	bool required;
	size_t max_len; /* strings: most bytes (0: no limit beyond the body cap) */
};
/* Parses the body as a JSON object holding only the fields listed, each of
 * its type. An empty body is an empty object when allow_empty. Returns the
 * object (json_decref it), or NULL with a 400 in resp. */
json_t *api_body_object(struct api_request *req, struct api_response *resp,
			const struct api_field *fields, bool allow_empty);
/* A string field of a validated object, or NULL. */
const char *api_field_str(const json_t *obj, const char *name);
/* Refuses (400) any query parameter not in allowed (NULL-terminated).
 * Returns 0 when fine, -1 with resp set. */
int api_query_check(struct api_request *req, struct api_response *resp, const char *const *allowed);
/* A query parameter, or NULL. */
const char *api_query(struct api_request *req, const char *name);
/* A request header, or NULL. */
const char *api_header(struct api_request *req, const char *name);
/* The version in an If-Match header: 3, "3" or W/"3". 0 with version[],
 * or -1 when it is not a version number. */
int api_if_match(const char *h, char *version, size_t size);
/* Checks a path id is a positive decimal without leading zeros that fits a
 * bigint; 0, or -1 with a 404 (no such what) in resp. */
int api_id_check(struct api_response *resp, const char *id, const char *what);

/* For the result r of a store call that looked up what (-1 error, 0 not
 * found, above 0 found): -1 answers the store's error (500), 0 a 404 "no
 * such what"; returns r, so that the caller goes on only when it is above
 * 0. */
int api_found(struct api_response *resp, struct store *store, int r, const char *what);

/* Answers a store_review_*() result: 404, 409 with the detail, 412, 400,
 * 500, or 200 with the detail (taken over). what names the object. */
void api_review_reply(struct api_response *resp, struct store *store, enum review_result r,
		      json_t *detail, const char *what);

/* api_auth.c: checks the Authorization header, or else the session cookie.
 * Returns 1 with req->principal (and actor, role) set, 0 with a 401 in resp,
 * -1 with a 500/503 in resp. */
int api_auth_check(struct api_request *req, struct api_response *resp);
/* api_auth.c: a state-changing request made with a session cookie must come
 * from this page: the X-CSRF-Token header must be the session's token and an
 * Origin header, when sent, this server's. Returns 1 when fine (also for
 * tokens and safe methods), 0 with a 403 in resp, -1 with a 500 in resp. */
int api_csrf_check(struct api_request *req, struct api_response *resp);
/* api_auth.c: the CSRF token of req's session into token_r[44]. Returns 0,
 * -1 with a 500/503 in resp. */
int api_csrf_token(struct api_request *req, struct api_response *resp, char token_r[44]);
/* api_auth.c: false when the request says it comes from another site (an
 * Origin that is not this server's, or Sec-Fetch-Site: cross-site). */
bool api_same_origin(struct api_request *req);
/* api_auth.c: the client's address as text into out[size] ("unknown" when
 * it cannot be told). */
void api_client_addr(struct api_request *req, char *out, size_t size);

#define API_SESSION_COOKIE "draftd_session"
/* api_server.c: the CSRF key every instance shares (auth_keys, loaded once).
 * Returns 0 with key_r[32], -1 with a 500/503 in resp. */
int api_csrf_key(struct api_request *req, struct api_response *resp, unsigned char key_r[32]);
/* api_server.c: true when the API is served over TLS. */
bool api_is_tls(const struct api_request *req);

/* metrics_db.c: counts one answered request by status code. */
void api_metrics_count(unsigned int status);

struct addrinfo;
/* api_server.c: "host:port" or "[v6]:port" -> an address to bind (free it
 * with freeaddrinfo()). Returns 0, or -1 with a static reason. */
int api_listen_resolve(const char *listen, struct addrinfo **ai_r, struct error *err);

/* api_health.c: schemas/openapi.yaml as compiled in (.incbin: rebuild
 * api_health.o after editing the YAML; the api_openapi suite checks). */
const char *api_openapi_document(void);

/* api_categories.c: the classifier's built-in categories ("none" left out)
 * into out (at most max - 1 and a NULL), none when [agent]
 * builtin_categories is off. */
#define API_BUILTIN_CATEGORIES_MAX 32
void api_builtin_categories(const struct config *config, const char **out, size_t max);

/* The handlers, one file per resource. */
api_handler_fn api_me_get, api_drafts_list, api_drafts_get, api_drafts_claim, api_drafts_release,
	api_drafts_patch, api_drafts_approve, api_drafts_reject, api_messages_redraft,
	api_messages_list, api_messages_get, api_categories_list, api_categories_put, api_stats_get,
	api_mailboxes_list, api_mailboxes_poll, api_audit_list, api_health_live, api_health_ready,
	api_health_openapi, api_static_get, api_auto_get, api_auto_post, api_samples_list,
	api_samples_judge, api_drafts_heartbeat, api_drafts_undo, api_messages_reply,
	api_messages_close, api_messages_reopen, api_backlog_get;
/* Issue 16's workspace: api_thread.c (thread, notes), api_assign.c,
 * api_snippets.c, api_search.c. */
api_handler_fn api_messages_thread, api_notes_list, api_notes_add, api_messages_assign,
	api_assignees_list, api_snippets_list, api_snippets_create, api_snippets_update,
	api_snippets_delete, api_snippets_render, api_search;
/* api_assign.c: ?assigned= of a listing: "me" (the caller), "none" (nobody)
 * or a name, into *assigned_r (NULL when absent; "" for nobody). 0, or -1
 * with a 400 in resp. */
int api_assigned_filter(struct api_request *req, struct api_response *resp,
			const char **assigned_r);
/* routes/api_signin.c: sign-in, sign-out and what the sign-in form offers;
 * routes/api_people.c: people for admins; routes/api_oidc.c: single sign-on. */
api_handler_fn api_signin_info, api_signin_login, api_signin_logout, api_people_list,
	api_people_create, api_people_patch, api_oidc_start, api_oidc_callback;
/* api_delivery.c: an uncertain reply marked delivered, or sent again. */
api_handler_fn api_drafts_delivered, api_drafts_resend, api_drafts_retry;

#endif
