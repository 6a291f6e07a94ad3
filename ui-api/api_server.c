/* The REST server: libmicrohttpd with a thread pool (handlers block on
 * libpq, so each pool thread has its own database connection), the [api]
 * limits, optional TLS, and the service_api entry of `draftd run`. */
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "agent/facts.h"
#include "daemon/buf.h"
#include "daemon/daemon.h"
#include "daemon/log.h"
#include "daemon/store_review.h"
#include "daemon/util.h"
#include "ui-api/api.h"

#define API_CONNECTION_MEMORY  (64 * 1024) /* request line + headers */
#define API_CONNECTION_TIMEOUT 30          /* seconds idle before a connection is dropped */
#define API_CONNECTION_LIMIT   512
#define API_TLS_FILE_MAX       (256 * 1024)

#define API_CSP_API "default-src 'none'; frame-ancestors 'none'"
#define API_CSP_WEB                                                                       \
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " \
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "    \
	"frame-ancestors 'none'"

struct api_server {
	struct MHD_Daemon *mhd;
	struct daemon *daemon;
	char *tls_cert, *tls_key;
	unsigned int max_body;
};

/* One body being uploaded. */
struct api_upload {
	struct buf body;
	bool too_big;
};

/* Set at start, cleared at stop; handlers only run in between. */
static struct facts_sources *api_facts;

struct facts_sources *api_facts_sources(void)
{
	return api_facts;
}

static pthread_once_t api_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t api_store_key;
static __thread struct store *api_tls_store;
static pthread_mutex_t api_url_lock = PTHREAD_MUTEX_INITIALIZER;
static char *api_db_url;
static unsigned int api_db_timeout = 5;

static void api_store_destroy(void *p)
{
	struct store *store = p;

	store_close(&store);
}

static void api_key_init(void)
{
	pthread_key_create(&api_store_key, api_store_destroy);
}

void api_store_configure(const char *url, unsigned int connect_timeout)
{
	pthread_mutex_lock(&api_url_lock);
	free(api_db_url);
	api_db_url = str_dup(url);
	api_db_timeout = connect_timeout;
	pthread_mutex_unlock(&api_url_lock);
}

void api_store_close(void)
{
	pthread_once(&api_key_once, api_key_init);
	pthread_setspecific(api_store_key, NULL);
	store_close(&api_tls_store);
}

struct store *api_store(struct api_request *req, struct api_response *resp)
{
	char err[600];
	char *url;
	unsigned int timeout;
	int r;

	(void)req;
	pthread_once(&api_key_once, api_key_init);
	if (api_tls_store != NULL) {
		if (store_ensure(api_tls_store) == 0)
			return api_tls_store;
		log_warn("api: %s", store_error(api_tls_store));
		api_error(resp, 503, "unavailable", "database unreachable");
		return NULL;
	}
	pthread_mutex_lock(&api_url_lock);
	url = str_dup(api_db_url);
	timeout = api_db_timeout;
	pthread_mutex_unlock(&api_url_lock);
	r = url != NULL ? store_open(url, timeout, &api_tls_store, err, sizeof(err)) : -1;
	free(url);
	if (r < 0) {
		log_warn("api: %s", url != NULL ? err : "no database configured");
		api_error(resp, 503, "unavailable", "database unreachable");
		return NULL;
	}
	pthread_setspecific(api_store_key, api_tls_store);
	return api_tls_store;
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
}

static enum MHD_Result api_send(struct MHD_Connection *conn, struct api_response *resp)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (resp->json != NULL) {
		char *text = json_dumps(resp->json, JSON_COMPACT | JSON_ENCODE_ANY);

		if (text == NULL)
			return MHD_NO;
		r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
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

static enum MHD_Result api_access(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct api_server *server = cls;
	struct api_upload *up = *con_cls;
	struct api_response resp = {.status = 500};
	struct api_request req;
	enum MHD_Result ret;

	(void)version;
	if (up == NULL) {
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);
		uint64_t len;

		up = calloc(1, sizeof(*up));
		if (up == NULL)
			return MHD_NO;
		buf_init(&up->body, server->max_body);
		*con_cls = up;
		if (cl != NULL && (parse_u64(cl, UINT64_MAX, &len) < 0 || len > server->max_body)) {
			/* refuse before reading it; MHD closes the connection after */
			api_error(&resp, 413, "too_large", "request body is larger than %u bytes",
				  server->max_body);
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
	if (up->too_big) {
		api_error(&resp, 413, "too_large", "request body is larger than %u bytes",
			  server->max_body);
	} else {
		memset(&req, 0, sizeof(req));
		req.conn = conn;
		req.method = method;
		req.path = url;
		req.body = up->body.data != NULL ? up->body.data : "";
		req.body_len = up->body.len;
		req.config = daemon_config(server->daemon);
		api_router_dispatch(&req, &resp);
		config_unref(&req.config);
	}
	log_debug("api: %s %s -> %u", method, url, resp.status);
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

/* "host:port", "[v6]:port" -> a bound address. */
static int api_resolve(const char *listen, struct addrinfo **ai_r, const char **error_r)
{
	char host[256];
	const char *colon = strrchr(listen, ':'), *h = listen;
	size_t hlen;
	struct addrinfo hints;

	if (colon == NULL) {
		*error_r = "[api] listen must be HOST:PORT";
		return -1;
	}
	hlen = (size_t)(colon - listen);
	if (hlen >= 2 && listen[0] == '[' && listen[hlen - 1] == ']') {
		h++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(host)) {
		*error_r = "[api] listen has a bad host";
		return -1;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (getaddrinfo(host, colon + 1, &hints, ai_r) != 0) {
		*error_r = "[api] listen: cannot resolve the host or bad port";
		return -1;
	}
	return 0;
}

static void api_server_free(struct api_server *server)
{
	if (server == NULL)
		return;
	secret_free(&server->tls_key);
	free(server->tls_cert);
	free(server);
}

static int api_seed(const struct config *config, const char **error_r)
{
	const char *builtin[API_BUILTIN_CATEGORIES_MAX];
	struct store *store = NULL;
	char err[600];
	int ret = -1;

	if (store_open(config->database.url, config->database.connect_timeout, &store, err,
		       sizeof(err)) < 0) {
		log_error("api: %s", err);
		*error_r = "cannot connect to the database";
		return -1;
	}
	api_builtin_categories(config, builtin, API_BUILTIN_CATEGORIES_MAX);
	if (store_categories_seed(store, config, builtin) < 0) {
		log_error("api: %s", store_error(store));
		*error_r = "cannot seed the categories table";
		goto out;
	}
	ret = 0;
out:
	store_close(&store);
	return ret;
}

static int api_start(struct daemon *daemon, void **priv_r, const char **error_r)
{
	struct config *config = daemon_config(daemon);
	struct api_server *server = calloc(1, sizeof(*server));
	struct addrinfo *ai = NULL;
	unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	size_t len;
	int ret = -1;

	if (server == NULL) {
		*error_r = "out of memory";
		goto out;
	}
	server->daemon = daemon;
	server->max_body = config->api.max_body;
	if (api_resolve(config->api.listen, &ai, error_r) < 0)
		goto out;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (config->api.tls_cert != NULL) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			*error_r = "this libmicrohttpd has no TLS support";
			goto out;
		}
		if (file_read_all(config->api.tls_cert, API_TLS_FILE_MAX, &server->tls_cert, &len,
				  error_r) < 0 ||
		    file_read_all(config->api.tls_key, API_TLS_FILE_MAX, &server->tls_key, &len,
				  error_r) < 0)
			goto out;
		flags |= MHD_USE_TLS;
	}
	if (api_seed(config, error_r) < 0)
		goto out;
	api_store_configure(config->database.url, config->database.connect_timeout);
	{
		char err[300];

		/* without connectors approve answers 409 unless forced: safe */
		if (facts_open(config, &api_facts, err, sizeof(err)) < 0)
			log_warn("api: facts re-check unavailable: %s", err);
	}
	server->mhd = MHD_start_daemon(
		flags, 0, NULL, NULL, api_access, server, MHD_OPTION_EXTERNAL_LOGGER, api_mhd_log,
		NULL, MHD_OPTION_SOCK_ADDR, ai->ai_addr, MHD_OPTION_THREAD_POOL_SIZE,
		config->api.threads, MHD_OPTION_CONNECTION_LIMIT, API_CONNECTION_LIMIT,
		MHD_OPTION_CONNECTION_TIMEOUT, API_CONNECTION_TIMEOUT,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)API_CONNECTION_MEMORY,
		MHD_OPTION_NOTIFY_COMPLETED, api_completed, NULL,
		server->tls_cert != NULL ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END,
		server->tls_cert, MHD_OPTION_HTTPS_MEM_KEY, server->tls_key, MHD_OPTION_END);
	if (server->mhd == NULL) {
		facts_close(&api_facts);
		*error_r = "cannot listen on [api] listen (address in use or bad TLS files?)";
		goto out;
	}
	log_info("api: listening on %s%s (%u threads)", config->api.listen,
		 server->tls_cert != NULL ? " with TLS" : "", config->api.threads);
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

	/* waits for the pool threads; their connections close on thread exit */
	MHD_stop_daemon(server->mhd);
	facts_close(&api_facts);
	api_server_free(server);
}

extern const struct service_ops service_api;
const struct service_ops service_api = {
	.name = "api",
	.start = api_start,
	.stop = api_stop,
};
