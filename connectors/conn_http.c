#include <stdio.h>

#include "connectors/connector.h"

static const char *const http_options[] = {"url", NULL};
static const char *const http_required[] = {"url", NULL};

static int http_open(const struct conn_params *params, void **priv_r, char *error,
		     size_t error_size)
{
	(void)params;
	(void)priv_r;
	snprintf(error, error_size, "http connector not written yet");
	return -1;
}

static int http_lookup(void *priv, const char *const *keys, size_t count, unsigned int timeout_ms,
		       json_t **facts_r, char *error, size_t error_size)
{
	(void)priv, (void)keys, (void)count, (void)timeout_ms, (void)facts_r;
	snprintf(error, error_size, "not written");
	return -1;
}

static void http_close(void *priv)
{
	(void)priv;
}

const struct connector_ops connector_http = {
	.name = "http",
	.options = http_options,
	.required = http_required,
	.open = http_open,
	.lookup = http_lookup,
	.close = http_close,
};
