/* SPDX-License-Identifier: MIT */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/connector.h"
#include "daemon/config/config_check.h"
#include "daemon/lib/buf.h"
#include "daemon/lib/log.h"
#include "daemon/lib/util.h"

/* An HTTP/JSON API, one GET (or POST) per key:
 *   url = https://erp.lan/api/items/{key}
 *   token_file = /etc/draftd/erp.token     (sent as "Authorization: Bearer ...")
 *   header.X-Tenant = acme                 (any extra request header)
 *   method = POST                          (sends {"key": KEY} instead)
 *   field.qty_on_hand = /stock/available   (RFC 6901 JSON pointers)
 * The key is percent-encoded (everything but letters, digits, '-', '_' and
 * '~', so "../x" cannot climb the path and "?" or "#" cannot start a query).
 * 404 means "no such key", a real answer; any other failure (timeout, other
 * status, invalid JSON, a body over max_response, a missing field) makes
 * every key of the call unknown. TLS verification is always on; ca_file
 * adds a private CA. Redirects are not followed. */

#define HTTP_RESPONSE_DEFAULT (1024 * 1024)
#define HTTP_RESPONSE_MAX     (64 * 1024 * 1024)
#define HTTP_FIELDS_MAX       64

static const char *const http_options[] = {
	"url",         "method",       "header.", "token_file", "auth_header",
	"auth_scheme", "max_response", "ca_file", "field.",     NULL};
static const char *const http_required[] = {"url", NULL};

struct http_conn {
	char *url;
	bool post;
	struct curl_slist *headers;
	char *ca_file;
	size_t max_response;
	char *fields[HTTP_FIELDS_MAX];
	char *pointers[HTTP_FIELDS_MAX];
	size_t fields_count;
	CURL *curl; /* kept for connection reuse; the connector's mutex guards it */
};

static int http_validate(const struct connector_config *config, struct error *err)
{
	const char *method = conn_option(config, "method", NULL);
	/* POST sends the key in the body; GET needs it in the URL */
	bool post = method != NULL && strcmp(method, "POST") == 0;
	static const char *const http_schemes[] = {"http", "https", NULL};
	const struct config_kv *kv;
	struct error url_err;
	uint64_t v;
	size_t i;

	for (i = 0; i < config->options_count; i++) {
		kv = &config->options[i];
		if (strcmp(kv->key, "url") == 0 &&
		    ((strncmp(kv->value, "http://", 7) != 0 &&
		      strncmp(kv->value, "https://", 8) != 0) ||
		     (!post && strstr(kv->value, "{key}") == NULL))) {
			error_set(err, "line %u: url must be http(s)://... and contain {key}",
				  kv->line);
			return -1;
		}
		if (strcmp(kv->key, "url") == 0 &&
		    config_check_url(kv->value, http_schemes, &url_err) < 0) {
			error_set(err, "line %u: url: %s", kv->line, error_msg(&url_err));
			return -1;
		}
		if (strcmp(kv->key, "method") == 0 && strcmp(kv->value, "GET") != 0 &&
		    strcmp(kv->value, "POST") != 0) {
			error_set(err, "line %u: method must be GET or POST", kv->line);
			return -1;
		}
		if ((strncmp(kv->key, "header.", 7) == 0 || strcmp(kv->key, "auth_header") == 0 ||
		     strcmp(kv->key, "auth_scheme") == 0) &&
		    strpbrk(kv->value, "\r\n") != NULL) {
			error_set(err, "line %u: %s holds a line break", kv->line, kv->key);
			return -1;
		}
		if (strcmp(kv->key, "max_response") == 0 &&
		    (parse_u64(kv->value, HTTP_RESPONSE_MAX, &v) < 0 || v == 0)) {
			error_set(err, "line %u: max_response must be 1..%d bytes", kv->line,
				  HTTP_RESPONSE_MAX);
			return -1;
		}
		if (strncmp(kv->key, "field.", 6) == 0 && kv->value[0] != '/' &&
		    kv->value[0] != '\0') {
			error_set(err,
				  "line %u: %s must be a JSON pointer (\"/a/b\", or empty for the "
				  "whole document)",
				  kv->line, kv->key);
			return -1;
		}
	}
	return 0;
}

static void http_close(void *priv)
{
	struct http_conn *c = priv;
	size_t i;

	if (c == NULL)
		return;
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	/* the auth header holds the token */
	for (struct curl_slist *h = c->headers; h != NULL; h = h->next)
		memset(h->data, 0, strlen(h->data));
	curl_slist_free_all(c->headers);
	for (i = 0; i < c->fields_count; i++) {
		free(c->fields[i]);
		free(c->pointers[i]);
	}
	free(c->url);
	free(c->ca_file);
	free(c);
}

static int http_open(const struct conn_params *params, void **priv_r, struct error *err)
{
	const struct connector_config *config = params->config;
	const char *v, *auth, *scheme;
	struct error why;
	struct http_conn *c = calloc(1, sizeof(*c));
	struct curl_slist *h;
	unsigned int line = config->line;
	char *token = NULL;
	struct buf b;
	uint64_t max = HTTP_RESPONSE_DEFAULT;
	size_t i;
	int ret = -1;

	buf_init(&b, 8192);
	if (c == NULL)
		goto out;
	c->url = str_dup(conn_option(config, "url", NULL));
	v = conn_option(config, "method", NULL);
	c->post = v != NULL && strcmp(v, "POST") == 0;
	c->ca_file = str_dup(conn_option(config, "ca_file", NULL));
	if ((v = conn_option(config, "max_response", NULL)) != NULL)
		(void)!parse_u64(v, HTTP_RESPONSE_MAX, &max);
	c->max_response = (size_t)max;
	h = curl_slist_append(NULL, "Accept: application/json");
	if (h == NULL)
		goto out;
	c->headers = h;
	for (i = 0; i < config->options_count; i++) {
		const struct config_kv *kv = &config->options[i];

		if (strncmp(kv->key, "header.", 7) == 0) {
			buf_reset(&b);
			if (buf_printf(&b, "%s: %s", kv->key + 7, kv->value) < 0 ||
			    (h = curl_slist_append(c->headers, b.data)) == NULL)
				goto out;
			c->headers = h;
		} else if (strncmp(kv->key, "field.", 6) == 0) {
			if (c->fields_count == HTTP_FIELDS_MAX) {
				error_set(err, "line %u: more than %d fields", kv->line,
					  HTTP_FIELDS_MAX);
				goto out;
			}
			c->fields[c->fields_count] = str_dup(kv->key + 6);
			c->pointers[c->fields_count++] = str_dup(kv->value);
		}
	}
	if ((v = conn_option(config, "token_file", &line)) != NULL) {
		if (secret_read_file(v, &token, &why) < 0) {
			error_set(err, "line %u: token_file %s: %s", line, v, error_msg(&why));
			goto out;
		}
		auth = conn_option(config, "auth_header", NULL);
		scheme = conn_option(config, "auth_scheme", NULL);
		buf_reset(&b);
		if (strpbrk(token, "\r\n") != NULL) {
			error_set(err, "line %u: token_file %s holds a line break", line, v);
			goto out;
		}
		if (buf_printf(&b, "%s: %s%s%s", auth != NULL ? auth : "Authorization",
			       scheme != NULL ? scheme : "Bearer",
			       scheme != NULL && scheme[0] == '\0' ? "" : " ", token) < 0 ||
		    (h = curl_slist_append(c->headers, b.data)) == NULL)
			goto out;
		c->headers = h;
	}
	c->curl = curl_easy_init();
	if (c->curl == NULL)
		goto out;
	*priv_r = c;
	c = NULL;
	ret = 0;
out:
	if (b.data != NULL)
		memset(b.data, 0, b.len);
	buf_free(&b);
	secret_free(&token);
	http_close(c);
	return ret;
}

/* Percent-encodes key for a path segment; only unreserved characters but
 * '.' pass, so no key can name "..", a query or a fragment. */
static int http_escape(struct buf *b, const char *key)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	char enc[3];

	for (p = (const unsigned char *)key; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '~') {
			if (buf_append(b, p, 1) < 0)
				return -1;
			continue;
		}
		enc[0] = '%';
		enc[1] = hex[*p >> 4];
		enc[2] = hex[*p & 15];
		if (buf_append(b, enc, 3) < 0)
			return -1;
	}
	return 0;
}

static int http_url(const char *tmpl, const char *key, struct buf *b)
{
	const char *p = tmpl, *k;

	while ((k = strstr(p, "{key}")) != NULL) {
		if (buf_append(b, p, (size_t)(k - p)) < 0 || http_escape(b, key) < 0)
			return -1;
		p = k + 5;
	}
	return buf_append_str(b, p);
}

static size_t http_write(char *data, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	/* returning short makes curl stop with CURLE_WRITE_ERROR: the cap */
	return buf_append(b, data, size * n) < 0 ? 0 : size * n;
}

/* RFC 6901: "/a/b~1c/0" -> a, "b/c", index 0. Returns a borrowed value or NULL. */
static json_t *http_pointer(json_t *doc, const char *ptr)
{
	char token[256];
	const char *p = ptr, *end;
	size_t n, i, o;
	uint64_t idx;

	while (*p == '/' && doc != NULL) {
		p++;
		end = p + strcspn(p, "/");
		n = (size_t)(end - p);
		if (n >= sizeof(token))
			return NULL;
		for (i = 0, o = 0; i < n; i++) {
			if (p[i] == '~' && i + 1 < n && (p[i + 1] == '0' || p[i + 1] == '1')) {
				token[o++] = p[i + 1] == '0' ? '~' : '/';
				i++;
			} else {
				token[o++] = p[i];
			}
		}
		token[o] = '\0';
		if (json_is_object(doc))
			doc = json_object_get(doc, token);
		else if (json_is_array(doc) && parse_u64(token, SIZE_MAX, &idx) == 0)
			doc = json_array_get(doc, (size_t)idx);
		else
			return NULL;
		p = end;
	}
	return *p == '\0' ? doc : NULL;
}

/* One request. Returns 1 with *fact_r, 0 for not found, -1 with error. */
static int http_one(struct http_conn *c, const char *key, unsigned int timeout_ms, json_t **fact_r,
		    struct error *err)
{
	struct buf url, body, post;
	json_error_t jerr;
	json_t *doc = NULL, *fact = NULL, *v;
	long status = 0;
	CURLcode rc;
	size_t i;
	int ret = -1;

	buf_init(&url, 8192);
	buf_init(&body, c->max_response);
	buf_init(&post, CONN_KEY_MAX * 8);
	if (http_url(c->url, key, &url) < 0) {
		error_set(err, "URL too long");
		goto out;
	}
	curl_easy_reset(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_URL, url.data);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->ca_file != NULL)
		curl_easy_setopt(c->curl, CURLOPT_CAINFO, c->ca_file);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, http_write);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &body);
	if (c->post) {
		json_t *k = json_pack("{s:s}", "key", key);
		char *s = k != NULL ? json_dumps(k, JSON_COMPACT) : NULL;

		json_decref(k);
		if (s == NULL || buf_append_str(&post, s) < 0) {
			free(s);
			goto out;
		}
		free(s);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, post.data);
	}
	rc = curl_easy_perform(c->curl);
	if (rc == CURLE_WRITE_ERROR) {
		error_set(err, "response larger than max_response (%zu bytes)", c->max_response);
		goto out;
	}
	if (rc != CURLE_OK) {
		error_set(err, "%s", curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status == 404) {
		ret = 0;
		goto out;
	}
	if (status != 200) {
		error_set(err, "HTTP %ld", status);
		goto out;
	}
	doc = json_loadb(body.data != NULL ? body.data : "", body.len, 0, &jerr);
	if (doc == NULL) {
		error_set(err, "invalid JSON in the response: %s", jerr.text);
		goto out;
	}
	if (c->fields_count == 0) {
		fact = json_incref(doc);
	} else {
		fact = json_object();
		for (i = 0; i < c->fields_count; i++) {
			v = http_pointer(doc, c->pointers[i]);
			if (v == NULL) {
				error_set(err, "response has no %s (field %s)", c->pointers[i],
					  c->fields[i]);
				goto out;
			}
			json_object_set(fact, c->fields[i], v);
		}
	}
	if (!json_is_object(fact)) {
		error_set(err, "the response is not a JSON object");
		goto out;
	}
	*fact_r = fact;
	fact = NULL;
	ret = 1;
out:
	json_decref(fact);
	json_decref(doc);
	buf_free(&url);
	buf_free(&body);
	buf_free(&post);
	return ret;
}

static int http_lookup(void *priv, const char *const *keys, size_t count, unsigned int timeout_ms,
		       json_t **facts_r, struct error *err)
{
	struct http_conn *c = priv;
	size_t i;

	for (i = 0; i < count; i++) {
		if (http_one(c, keys[i], timeout_ms, &facts_r[i], err) < 0) {
			for (; i > 0; i--) {
				json_decref(facts_r[i - 1]);
				facts_r[i - 1] = NULL;
			}
			return -1;
		}
	}
	return 0;
}

const struct connector_ops connector_http = {
	.name = "http",
	.options = http_options,
	.required = http_required,
	.validate = http_validate,
	.open = http_open,
	.lookup = http_lookup,
	.close = http_close,
};
