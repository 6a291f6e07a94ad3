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

#include "daemon/config/config.h"
#include "daemon/store/store.h"
#include "daemon/store/store_review.h"
#include "daemon/store/store_tokens.h"

#define API_PREFIX          "/api/v1"
#define API_MAX_PATH_PARAMS 2

struct api_server;

struct api_request {
	struct api_server *server; /* the running API (api_server.c); NULL in unit tests */
	struct MHD_Connection *conn;
	const char *method;
	const char *path;
	const char *params[API_MAX_PATH_PARAMS]; /* {id} / {name} segments, in order */
	const char *body;
	size_t body_len;
	struct config *config;
	/* set by the router once the token checks out */
	char actor[TOKEN_NAME_MAX + 1];
	enum token_role role;
};

struct api_response {
	unsigned int status;
	json_t *json; /* the body as JSON, or */
	char *text;   /* a text body (owned unless text_static) */
	size_t text_len;
	bool text_static;
	const char *content_type;
	const char *allow; /* the Allow header of a 405 */
	bool replayed;     /* Idempotent-Replayed: true */
	bool close;        /* Connection: close (a request that cannot be trusted further) */
	bool static_file;  /* the web page's CSP instead of the API's */
};

typedef void api_handler_fn(struct api_request *req, struct api_response *resp);

/* api_server.c: this thread's database connection to req->server's
 * database, opened on first use and reconnected when broken. NULL when the
 * database is unreachable (the response is then already a 503). */
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

/* Answers a store_review_*() result: 404, 409 with the detail, 412, 400,
 * 500, or 200 with the detail (taken over). what names the object. */
void api_review_reply(struct api_response *resp, struct store *store, enum review_result r,
		      json_t *detail, const char *what);

/* api_auth.c: checks the Authorization header. Returns 1 with req->actor
 * and req->role set, 0 with a 401 in resp, -1 with a 500/503 in resp. */
int api_auth_check(struct api_request *req, struct api_response *resp);

/* api_metrics.c: counts one answered request by status code. */
void api_metrics_count(unsigned int status);

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
	api_health_openapi, api_metrics_get, api_static_get, api_auto_get, api_auto_post,
	api_samples_list, api_samples_judge, api_drafts_heartbeat, api_drafts_undo,
	api_messages_reply, api_messages_close, api_messages_reopen, api_backlog_get;
/* api_delivery.c: an uncertain reply marked delivered, or sent again. */
api_handler_fn api_drafts_delivered, api_drafts_resend, api_drafts_retry;

#endif
