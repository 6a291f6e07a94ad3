/* SPDX-License-Identifier: MIT */
/* The REST server: libmicrohttpd with a thread per connection (handlers
 * block on libpq: with a pool of threads each multiplexing connections, one
 * slow GET /stats held up every keep-alive connection its thread served),
 * a pool of [api] threads database connections lent out per request and
 * one of API_BACKGROUND_CONNECTIONS for the refreshers, the [api] limits,
 * optional TLS, and the service_api entry of `draftd run`. */
#include <limits.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "agent/pipeline/facts.h"
#include "daemon/lib/buf.h"
#include "daemon/lib/credential.h"
#include "daemon/service/daemon.h"
#include "daemon/lib/log.h"
#include "daemon/store/store_people.h"
#include "daemon/store/store_pool.h"
#include "daemon/store/store_review.h"
#include "daemon/lib/util.h"
#include "ui-api/auth/auth_session.h"
#include "ui-api/api.h"
#include "ui-api/api_server.h"
#include "ui-api/api_token_refresh.h"
#include "ui-api/backlog_cache.h"
#include "ui-api/json_reals.h"

#define API_CONNECTION_MEMORY  (64 * 1024) /* request line + headers */
#define API_CONNECTION_TIMEOUT 30          /* seconds idle before a connection is dropped */
#define API_CONNECTION_LIMIT   512
#define API_TLS_FILE_MAX       (256 * 1024)
/* the backlog's and the token cache's refreshers, one connection each, so
 * neither ever waits for the other nor makes a request wait for theirs */
#define API_BACKGROUND_CONNECTIONS 2

#define API_CSP_API "default-src 'none'; frame-ancestors 'none'"
#define API_CSP_WEB                                                                       \
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " \
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "    \
	"frame-ancestors 'none'"

static int api_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Everything one running API holds; handlers reach it through
 * api_request.server. */
struct api_server {
	struct MHD_Daemon *mhd;
	struct daemon *daemon;
	char *tls_cert, *tls_key;
	unsigned int max_body;
	/* the connectors approve re-checks facts through; NULL when they could
	 * not be opened */
	struct facts_sources *facts;
	/* the database connections requests borrow ([api] threads of them,
	 * opened on first use): a connection's thread lives only as long as
	 * its HTTP connection, so connections are not tied to threads */
	struct store_pool *db;
	/* the refreshers' connections (opened on first use): a refresher that
	 * borrowed one of db's made a request wait behind its computation
	 * whenever [api] threads requests ran at once */
	struct store_pool *background;
	/* keeps the shared backlog answer fresh while pages ask for it
	 * (ui-api/backlog_cache.h), with a connection from background */
	struct backlog_refresher *backlog;
	/* looks up the tokens requests use ahead of their cache entries' end
	 * (ui-api/api_token_refresh.h), with a connection from background */
	struct api_token_refresher *tokens;
	/* the shared CSRF key, read from auth_keys on first use */
	pthread_mutex_t csrf_lock;
	bool csrf_loaded;
	unsigned char csrf_key[32];
};

/* One body being uploaded. */
struct api_upload {
	struct buf body;
	bool too_big;
	uint64_t started_ms; /* when the request's headers were read */
};

/* Every request at info, as an access log would have it: who (the token's
 * or person's name, never the token), what, the status and how long it
 * took. The path is the decoded one, without the query string. */
static void api_log_request(struct MHD_Connection *conn, const char *method, const char *url,
			    unsigned int status, const char *actor, uint64_t started_ms)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char client[INET6_ADDRSTRLEN] = "unknown";

	if (ci != NULL && ci->client_addr != NULL) {
		const struct sockaddr *sa = ci->client_addr;

		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET,
				  &((const struct sockaddr_in *)(const void *)sa)->sin_addr, client,
				  sizeof(client));
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6,
				  &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
				  client, sizeof(client));
	}
	log_info_kv("request",
		    "method=%.16s path=%.300s status=%u duration_ms=%llu actor=%s client=%s",
		    method, url, status, (unsigned long long)(time_mono_ms() - started_ms),
		    actor != NULL && actor[0] != '\0' ? actor : "-", client);
}

struct facts_sources *api_facts_sources(const struct api_request *req)
{
	return req->server != NULL ? req->server->facts : NULL;
}

int api_csrf_key(struct api_request *req, struct api_response *resp, unsigned char key_r[32])
{
	struct api_server *server = req->server;
	unsigned char candidate[32];
	struct store *store;
	int ret = -1;

	if (server == NULL) {
		api_error(resp, 503, "unavailable", "no server");
		return -1;
	}
	pthread_mutex_lock(&server->csrf_lock);
	if (server->csrf_loaded) {
		memcpy(key_r, server->csrf_key, 32);
		pthread_mutex_unlock(&server->csrf_lock);
		return 0;
	}
	pthread_mutex_unlock(&server->csrf_lock);
	/* the connection outside the lock: a thread holding the lock must not
	 * wait for the pool while the pool's borrowers wait for the lock */
	store = api_store(req, resp);
	if (store == NULL)
		return -1;
	pthread_mutex_lock(&server->csrf_lock);
	if (!server->csrf_loaded) {
		if (auth_csrf_key_new(candidate) < 0) {
			api_error(resp, 500, "internal", "random generator failed");
			goto out;
		}
		if (store_auth_key(store, "csrf", candidate, server->csrf_key) < 0) {
			api_error_store(resp, store);
			goto out;
		}
		explicit_bzero(candidate, sizeof(candidate));
		server->csrf_loaded = true;
	}
	memcpy(key_r, server->csrf_key, 32);
	ret = 0;
out:
	pthread_mutex_unlock(&server->csrf_lock);
	return ret;
}

bool api_is_tls(const struct api_request *req)
{
	return req->server != NULL && req->server->tls_cert != NULL;
}

/* Microseconds on the monotonic clock, for Server-Timing. */
static uint64_t api_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

struct store *api_store(struct api_request *req, struct api_response *resp)
{
	struct api_server *server = req->server;
	struct error err;
	uint64_t asked_us;

	if (req->store != NULL)
		return req->store;
	if (server == NULL || server->db == NULL) {
		log_warn("api: no database configured");
		api_error(resp, 503, "unavailable", "database unreachable");
		return NULL;
	}
	asked_us = api_now_us();
	if (store_pool_get(server->db, &req->store, &err) < 0) {
		log_warn("api: %s", error_msg(&err));
		api_error(resp, 503, "unavailable", "database unreachable");
		return NULL;
	}
	req->store_at_us = api_now_us();
	req->pool_wait_us = req->store_at_us - asked_us;
	return req->store;
}

static void api_add_headers(struct MHD_Response *r, const struct api_response *resp)
{
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Content-Security-Policy",
				resp->static_file ? API_CSP_WEB : API_CSP_API);
	if (!resp->static_file)
		MHD_add_response_header(r, "Cache-Control", "no-store");
	if (resp->content_type != NULL)
		MHD_add_response_header(r, "Content-Type", resp->content_type);
	if (resp->allow != NULL)
		MHD_add_response_header(r, "Allow", resp->allow);
	if (resp->replayed)
		MHD_add_response_header(r, "Idempotent-Replayed", "true");
	if (resp->close)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	if (resp->set_cookie[0] != '\0')
		MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, resp->set_cookie);
	if (resp->location[0] != '\0')
		MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, resp->location);
	if (resp->retry_after > 0) {
		char secs[16];

		snprintf(secs, sizeof(secs), "%u", resp->retry_after);
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, secs);
	}
	if (resp->handled_us > 0) {
		/* the handler's time, database included: the page's Resource
		 * Timing tells server time from network and queueing by it; of
		 * it, the wait for a database connection and the time one was
		 * held, which tell a slow request's database from its queue */
		char timing[128];
		int n = snprintf(timing, sizeof(timing), "app;dur=%llu.%03llu",
				 (unsigned long long)(resp->handled_us / 1000),
				 (unsigned long long)(resp->handled_us % 1000));

		if (resp->db_us > 0 && n > 0 && (size_t)n < sizeof(timing))
			snprintf(timing + n, sizeof(timing) - (size_t)n,
				 ", pool;dur=%llu.%03llu, db;dur=%llu.%03llu",
				 (unsigned long long)(resp->pool_us / 1000),
				 (unsigned long long)(resp->pool_us % 1000),
				 (unsigned long long)(resp->db_us / 1000),
				 (unsigned long long)(resp->db_us % 1000));
		MHD_add_response_header(r, "Server-Timing", timing);
	}
}

static enum MHD_Result api_send(struct MHD_Connection *conn, struct api_response *resp)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (resp->json != NULL) {
		char *text = json_dumps(resp->json, JSON_COMPACT | JSON_ENCODE_ANY);

		if (text == NULL)
			return MHD_NO;
		/* 4.788, not 4.7880000000000003: the same doubles, shorter */
		r = MHD_create_response_from_buffer(json_reals_shortest(text), text,
						    MHD_RESPMEM_MUST_FREE);
		resp->content_type = "application/json; charset=utf-8";
	} else if (resp->text != NULL) {
		r = MHD_create_response_from_buffer(resp->text_len, resp->text,
						    resp->text_static ? MHD_RESPMEM_PERSISTENT
								      : MHD_RESPMEM_MUST_FREE);
		if (!resp->text_static)
			resp->text = NULL; /* MHD frees it */
	} else {
		r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	}
	if (r == NULL)
		return MHD_NO;
	api_add_headers(r, resp);
	ret = MHD_queue_response(conn, resp->status, r);
	MHD_destroy_response(r);
	api_metrics_count(resp->status);
	return ret;
}

static void api_response_free(struct api_response *resp)
{
	json_decref(resp->json);
	if (!resp->text_static)
		free(resp->text);
}

/* What the framing headers of a request say. */
struct api_framing {
	unsigned int lengths;   /* Content-Length headers */
	unsigned int encodings; /* Transfer-Encoding headers */
	bool lengths_differ;
	bool not_chunked; /* a Transfer-Encoding other than exactly "chunked" */
	char length[32];  /* the first Content-Length */
};

static enum MHD_Result api_framing_header(void *cls, enum MHD_ValueKind kind, const char *key,
					  const char *value)
{
	struct api_framing *f = cls;

	(void)kind;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		if (f->lengths++ == 0)
			str_copy(f->length, sizeof(f->length), value);
		else if (strcmp(f->length, value) != 0)
			f->lengths_differ = true;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
		f->encodings++;
		if (strcasecmp(value, "chunked") != 0)
			f->not_chunked = true;
	}
	return MHD_YES;
}

/* Refuses a request whose body length two parties could read differently
 * (RFC 9112 6.1 and 6.3: request smuggling through a proxy in front of us):
 * Content-Length together with Transfer-Encoding, conflicting or malformed
 * Content-Length values, or a coding other than chunked. libmicrohttpd
 * 0.9.75 would go by Transfer-Encoding alone and by the first length, and
 * read the rest of the bytes as the next request. Returns 0 when the framing
 * is sound, -1 with a 400 that closes the connection in resp. */
static int api_framing_check(struct MHD_Connection *conn, unsigned int max_body,
			     struct api_response *resp)
{
	struct api_framing f;
	uint64_t len = 0;

	memset(&f, 0, sizeof(f));
	MHD_get_connection_values(conn, MHD_HEADER_KIND, api_framing_header, &f);
	if (f.lengths > 0 && f.encodings > 0)
		api_error(resp, 400, "bad_request",
			  "Content-Length and Transfer-Encoding together are refused");
	else if (f.encodings > 1 || f.not_chunked)
		api_error(resp, 400, "bad_request", "only Transfer-Encoding: chunked is accepted");
	else if (f.lengths_differ || (f.lengths > 0 && parse_u64(f.length, UINT64_MAX, &len) < 0))
		api_error(resp, 400, "bad_request", "conflicting or malformed Content-Length");
	else if (f.lengths > 0 && len > max_body)
		api_error(resp, 413, "too_large", "request body is larger than %u bytes", max_body);
	else
		return 0;
	resp->close = true;
	return -1;
}

/* Percent-decoding of the path and the query (MHD_OPTION_UNESCAPE_CALLBACK):
 * like libmicrohttpd's own, except that %00 stays as it is. Decoded, a NUL
 * would cut the C string short and /api/v1/drafts/1%00 would be draft 1. */
static size_t api_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	size_t r = 0, w = 0;
	int hi, lo;

	(void)cls;
	(void)conn;
	while (s[r] != '\0') {
		if (s[r] == '%' && (hi = api_hexval(s[r + 1])) >= 0 &&
		    (lo = api_hexval(s[r + 2])) >= 0 && (hi | lo) != 0) {
			s[w++] = (char)(hi * 16 + lo);
			r += 3;
		} else {
			s[w++] = s[r++];
		}
	}
	s[w] = '\0';
	return w;
}

static enum MHD_Result api_access(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct api_server *server = cls;
	struct api_upload *up = *con_cls;
	struct api_response resp = {.status = 500};
	struct api_request req;
	enum MHD_Result ret;
	uint64_t handled_us;

	(void)version;
	if (up == NULL) {
		up = calloc(1, sizeof(*up));
		if (up == NULL)
			return MHD_NO;
		buf_init(&up->body, server->max_body);
		up->started_ms = time_mono_ms();
		*con_cls = up;
		if (api_framing_check(conn, server->max_body, &resp) < 0) {
			/* refused before the body is read; the connection closes after */
			api_log_request(conn, method, url, resp.status, NULL, up->started_ms);
			ret = api_send(conn, &resp);
			api_response_free(&resp);
			return ret;
		}
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (!up->too_big && buf_append(&up->body, upload_data, *upload_data_size) < 0)
			up->too_big = true;
		*upload_data_size = 0;
		return MHD_YES;
	}
	memset(&req, 0, sizeof(req));
	if (up->too_big) {
		api_error(&resp, 413, "too_large", "request body is larger than %u bytes",
			  server->max_body);
	} else {
		req.conn = conn;
		req.method = method;
		req.path = url;
		req.body = up->body.data != NULL ? up->body.data : "";
		req.body_len = up->body.len;
		req.config = daemon_config(server->daemon);
		req.server = server;
		handled_us = api_now_us();
		api_router_dispatch(&req, &resp);
		config_unref(&req.config);
		if (req.store != NULL) {
			resp.pool_us = req.pool_wait_us;
			resp.db_us = api_now_us() - req.store_at_us;
			if (resp.db_us == 0)
				resp.db_us = 1;
		}
		store_pool_put(server->db, &req.store);
		resp.handled_us = api_now_us() - handled_us;
		if (resp.handled_us == 0)
			resp.handled_us = 1;
	}
	api_log_request(conn, method, url, resp.status, req.actor, up->started_ms);
	ret = api_send(conn, &resp);
	api_response_free(&resp);
	return ret;
}

static void api_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			  enum MHD_RequestTerminationCode toe)
{
	struct api_upload *up = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (up != NULL) {
		buf_free(&up->body);
		free(up);
		*con_cls = NULL;
	}
}

static void api_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_warn("api: %s", line);
}

int api_listen_resolve(const char *listen, struct addrinfo **ai_r, struct error *err)
{
	char host[256];
	const char *colon = strrchr(listen, ':'), *h = listen;
	size_t hlen;
	struct addrinfo hints;

	if (colon == NULL) {
		error_set(err, "listen must be HOST:PORT");
		return -1;
	}
	hlen = (size_t)(colon - listen);
	if (hlen >= 2 && listen[0] == '[' && listen[hlen - 1] == ']') {
		h++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(host)) {
		error_set(err, "listen has a bad host");
		return -1;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (getaddrinfo(host, colon + 1, &hints, ai_r) != 0) {
		error_set(err, "listen: cannot resolve the host or bad port");
		return -1;
	}
	return 0;
}

static void api_server_free(struct api_server *server)
{
	if (server == NULL)
		return;
	backlog_refresher_stop(&server->backlog); /* before the pool they borrow from */
	api_token_refresher_stop(&server->tokens);
	facts_close(&server->facts);
	pthread_mutex_destroy(&server->csrf_lock);
	explicit_bzero(server->csrf_key, sizeof(server->csrf_key));
	store_pool_free(&server->db);
	store_pool_free(&server->background);
	secret_free(&server->tls_key);
	free(server->tls_cert);
	free(server);
}

/* The backlog refresher's connection: one of the background pool's, never
 * one a request could be waiting for, given back after each computation. */
static int api_backlog_acquire(void *ctx, void **conn_r)
{
	struct api_server *server = ctx;
	struct store *store = NULL;
	struct error err;

	if (store_pool_get(server->background, &store, &err) < 0) {
		log_debug("api: backlog refresh: %s", error_msg(&err));
		return -1;
	}
	*conn_r = store;
	return 0;
}

static void api_backlog_release(void *ctx, void **conn)
{
	struct api_server *server = ctx;
	struct store *store = *conn;

	store_pool_put(server->background, &store);
	*conn = NULL;
}

/* The token refresher's lookup, on a background connection. */
static int api_token_lookup_background(void *ctx, const unsigned char hash[32],
				       struct token_auth *auth_r)
{
	struct api_server *server = ctx;
	struct store *store = NULL;
	struct error err;
	int r;

	if (store_pool_get(server->background, &store, &err) < 0) {
		log_debug("api: token refresh: %s", error_msg(&err));
		return -1;
	}
	r = store_token_lookup(store, hash, auth_r);
	if (r < 0)
		log_debug("api: token refresh: %s", store_error(store));
	store_pool_put(server->background, &store);
	return r;
}

static unsigned int api_token_ttl(void *ctx)
{
	struct api_server *server = ctx;
	struct config *config = daemon_config(server->daemon);
	unsigned int ttl = config->api.token_cache_ttl;

	config_unref(&config);
	return ttl;
}

static int api_seed(const struct config *config, struct error *err)
{
	const char *builtin[API_BUILTIN_CATEGORIES_MAX];
	struct store *store = NULL;
	struct error db_err;
	int ret = -1;

	if (store_open(config->database.url, config->database.connect_timeout, &store, &db_err) <
	    0) {
		log_error("api: %s", error_msg(&db_err));
		error_set(err, "cannot connect to the database");
		return -1;
	}
	api_builtin_categories(config, builtin, API_BUILTIN_CATEGORIES_MAX);
	if (store_categories_seed(store, config, builtin) < 0) {
		log_error("api: %s", store_error(store));
		error_set(err, "cannot seed the categories table");
		goto out;
	}
	ret = 0;
out:
	store_close(&store);
	return ret;
}

/* A PEM file named by [api] tls_cert/tls_key: a path, or a systemd
 * credential (daemon/lib/credential.h), as every secret file is. */
static int api_read_pem(const char *value, char **data_r, struct error *err)
{
	char path[PATH_MAX];
	size_t len;

	if (credential_path(value, path, sizeof(path), err) < 0)
		return -1;
	if (file_read_all(path, API_TLS_FILE_MAX, data_r, &len, err) < 0) {
		return -1;
	}
	return 0;
}

static int api_start(struct daemon *daemon, void **priv_r, struct error *err)
{
	struct backlog_source backlog_source = {
		.compute = backlog_compute_store,
		.acquire = api_backlog_acquire,
		.release = api_backlog_release,
	};
	struct token_refresh_source token_source = {
		.lookup = api_token_lookup_background,
		.ttl_s = api_token_ttl,
	};
	struct config *config = daemon_config(daemon);
	struct api_server *server = calloc(1, sizeof(*server));
	struct addrinfo *ai = NULL;
	unsigned int flags =
		MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
	int ret = -1;

	if (server == NULL) {
		error_set(err, "out of memory");
		goto out;
	}
	server->daemon = daemon;
	server->max_body = config->api.max_body;
	pthread_mutex_init(&server->csrf_lock, NULL);
	if (api_listen_resolve(config->api.listen, &ai, err) < 0)
		goto out;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (config->api.tls_cert != NULL) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			error_set(err, "this libmicrohttpd has no TLS support");
			goto out;
		}
		if (api_read_pem(config->api.tls_cert, &server->tls_cert, err) < 0 ||
		    api_read_pem(config->api.tls_key, &server->tls_key, err) < 0)
			goto out;
		flags |= MHD_USE_TLS;
	}
	if (api_seed(config, err) < 0)
		goto out;
	if (store_pool_new(config->database.url, config->database.connect_timeout,
			   config->api.threads, &server->db) < 0 ||
	    store_pool_new(config->database.url, config->database.connect_timeout,
			   API_BACKGROUND_CONNECTIONS, &server->background) < 0) {
		error_set(err, "out of memory");
		goto out;
	}
	{
		struct error facts_err;

		/* without connectors approve answers 409 unless forced: safe */
		if (facts_open(config, &server->facts, &facts_err) < 0)
			log_warn("api: facts re-check unavailable: %s", error_msg(&facts_err));
	}
	server->mhd = MHD_start_daemon(
		flags, 0, NULL, NULL, api_access, server, MHD_OPTION_EXTERNAL_LOGGER, api_mhd_log,
		NULL, MHD_OPTION_SOCK_ADDR, ai->ai_addr, MHD_OPTION_CONNECTION_LIMIT,
		API_CONNECTION_LIMIT, MHD_OPTION_CONNECTION_TIMEOUT, API_CONNECTION_TIMEOUT,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)API_CONNECTION_MEMORY,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, config->api.max_connections_per_client,
		MHD_OPTION_UNESCAPE_CALLBACK, api_unescape, NULL, MHD_OPTION_NOTIFY_COMPLETED,
		api_completed, NULL,
		server->tls_cert != NULL ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END,
		server->tls_cert, MHD_OPTION_HTTPS_MEM_KEY, server->tls_key, MHD_OPTION_END);
	if (server->mhd == NULL) {
		error_set(err, "cannot listen on [api] listen (address in use or bad TLS files?)");
		goto out;
	}
	backlog_source.ctx = server;
	if (backlog_refresher_start(config->api.backlog_max_age, &backlog_source,
				    &server->backlog) < 0)
		log_warn("api: no backlog refresher thread: requests compute the backlog");
	token_source.ctx = server;
	if (api_token_refresher_start(&token_source, &server->tokens) < 0)
		log_warn("api: no token refresher thread: requests look tokens up when their"
			 " cache entries end");
	log_info("api: listening on %s%s (a thread per connection, %u database connections)",
		 config->api.listen, server->tls_cert != NULL ? " with TLS" : "",
		 config->api.threads);
	*priv_r = server;
	server = NULL;
	ret = 0;
out:
	if (ai != NULL)
		freeaddrinfo(ai);
	api_server_free(server);
	config_unref(&config);
	return ret;
}

static void api_stop(void *priv)
{
	struct api_server *server = priv;

	/* no more refreshes (the one running ends first), then the
	 * connections' threads, which give their database connections back
	 * before they end */
	backlog_refresher_stop(&server->backlog);
	api_token_refresher_stop(&server->tokens);
	MHD_stop_daemon(server->mhd);
	api_server_free(server);
}

const struct service_ops service_api = {
	.name = "api",
	.start = api_start,
	.stop = api_stop,
};
