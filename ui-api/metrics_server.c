/* SPDX-License-Identifier: MIT */
/* The /metrics listener ([metrics] listen): Prometheus scrapes it without a
 * token, so it answers GET /metrics and nothing else, on loopback unless the
 * operator says otherwise, one thread borrowing the daemon's side connection
 * for a scrape's queries (daemon_side_pool(): no connection of its own). When
 * the database is down the scrape still answers, with draftd_database_up 0
 * and this process's own counters, so the alert says what is wrong. */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "agent/pipeline/metrics.h"
#include "daemon/lib/buf.h"
#include "daemon/lib/log.h"
#include "daemon/lib/util.h"
#include "daemon/metrics/obs.h"
#include "daemon/store/store_pool.h"
#include "ui-api/api.h"
#include "ui-api/metrics_server.h"

#define METRICS_MAX         (1024 * 1024)
#define METRICS_CONNECTIONS 16
#define METRICS_TIMEOUT     30 /* seconds idle before a connection is dropped */

struct metrics_server {
	struct MHD_Daemon *mhd;
	struct store_pool *pool;      /* the daemon's side pool, borrowed per scrape */
	unsigned int backlog_max_age; /* [api] backlog_max_age: the API's answer shared */
};

static const char metrics_content_type[] = "text/plain; version=0.0.4; charset=utf-8";

/* The database's families, or draftd_database_up 0 when it cannot answer. */
static int metrics_render_database(struct metrics_server *ms, struct buf *b)
{
	struct store *store = NULL;
	struct error err;
	size_t mark = b->len;
	int up = 0, bad = 0;

	if (store_pool_get(ms->pool, &store, &err) < 0)
		log_warn("metrics: %s", error_msg(&err));
	else if (metrics_database(b, store, ms->backlog_max_age) < 0)
		log_warn("metrics: %s", store_error(store));
	else
		up = 1;
	store_pool_put(ms->pool, &store);
	if (!up) /* half a family would be a broken scrape: drop what was written */
		b->len = mark;
	bad |= buf_printf(b,
			  "# HELP draftd_database_up 1 when the database answered this scrape.\n"
			  "# TYPE draftd_database_up gauge\ndraftd_database_up %d\n",
			  up);
	return bad;
}

static enum MHD_Result metrics_reply(struct MHD_Connection *conn, unsigned int status,
				     const char *allow, char *text, size_t len, bool owned)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		len, text, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (r == NULL) {
		if (owned)
			free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", metrics_content_type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (allow != NULL)
		MHD_add_response_header(r, "Allow", allow);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result metrics_access(void *cls, struct MHD_Connection *conn, const char *url,
				      const char *method, const char *version,
				      const char *upload_data, size_t *upload_data_size,
				      void **con_cls)
{
	static char not_found[] = "not found: scrape /metrics\n";
	static char not_allowed[] = "method not allowed\n";
	static char too_large[] = "metrics too large\n";
	struct metrics_server *ms = cls;
	uint64_t started = time_mono_ms();
	struct buf b;
	int bad = 0;

	(void)version;
	(void)upload_data;
	if (*con_cls == NULL) { /* the headers: wait for the end of the request */
		*con_cls = ms;
		return MHD_YES;
	}
	if (*upload_data_size > 0) { /* a body is not read */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/metrics") != 0)
		return metrics_reply(conn, 404, NULL, not_found, strlen(not_found), false);
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return metrics_reply(conn, 405, "GET, HEAD", not_allowed, strlen(not_allowed),
				     false);
	buf_init(&b, METRICS_MAX);
	bad |= obs_render(&b);
	bad |= metrics_render(&b);
	bad |= metrics_api_requests(&b);
	bad |= metrics_render_database(ms, &b);
	bad |= buf_printf(&b,
			  "# HELP draftd_scrape_duration_seconds How long this scrape took.\n"
			  "# TYPE draftd_scrape_duration_seconds gauge\n"
			  "draftd_scrape_duration_seconds %.3f\n",
			  (double)(time_mono_ms() - started) / 1000.0);
	if (bad != 0 || b.data == NULL) {
		buf_free(&b);
		return metrics_reply(conn, 500, NULL, too_large, strlen(too_large), false);
	}
	{
		size_t len = b.len;

		return metrics_reply(conn, 200, NULL, buf_steal(&b), len, true);
	}
}

static void metrics_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_warn("metrics: %s", line);
}

static void metrics_server_free(struct metrics_server *ms)
{
	if (ms == NULL)
		return;
	free(ms);
}

static int metrics_start(struct daemon *daemon, void **priv_r, struct error *err)
{
	struct config *config = daemon_config(daemon);
	struct metrics_server *ms = NULL;
	struct addrinfo *ai = NULL;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	/* the default is tried, not required: a second draftd on the host (or
	 * a test) must not fail to start because the first holds the port */
	bool configured = config_key_line(config, "metrics", NULL, "listen") > 0;
	int ret = -1;

	*priv_r = NULL;
	if (strcmp(config->metrics.listen, "off") == 0) {
		log_info("metrics: [metrics] listen = off: no /metrics listener");
		ret = 0;
		goto out;
	}
	ms = calloc(1, sizeof(*ms));
	if (ms == NULL) {
		error_set(err, "out of memory");
		goto out;
	}
	ms->pool = daemon_side_pool(daemon);
	ms->backlog_max_age = config->api.backlog_max_age;
	if (api_listen_resolve(config->metrics.listen, &ai, err) < 0)
		goto out;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	ms->mhd = MHD_start_daemon(flags, 0, NULL, NULL, metrics_access, ms,
				   MHD_OPTION_EXTERNAL_LOGGER, metrics_mhd_log, NULL,
				   MHD_OPTION_SOCK_ADDR, ai->ai_addr, MHD_OPTION_CONNECTION_LIMIT,
				   METRICS_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
				   METRICS_TIMEOUT, MHD_OPTION_END);
	if (ms->mhd == NULL) {
		if (configured) {
			error_set(err, "cannot listen on [metrics] listen (address in use?)");
			goto out;
		}
		log_warn("metrics: cannot listen on %s (the default; in use?): no /metrics; set"
			 " [metrics] listen",
			 config->metrics.listen);
		ret = 0;
		goto out;
	}
	log_info("metrics: listening on %s", config->metrics.listen);
	*priv_r = ms;
	ms = NULL;
	ret = 0;
out:
	if (ai != NULL)
		freeaddrinfo(ai);
	metrics_server_free(ms);
	config_unref(&config);
	return ret;
}

static void metrics_stop(void *priv)
{
	struct metrics_server *ms = priv;

	if (ms == NULL)
		return;
	MHD_stop_daemon(ms->mhd);
	metrics_server_free(ms);
}

const struct service_ops service_metrics = {
	.name = "metrics",
	.start = metrics_start,
	.stop = metrics_stop,
};
