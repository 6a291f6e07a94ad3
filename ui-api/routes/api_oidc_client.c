/* SPDX-License-Identifier: MIT */
/* OpenID Connect over HTTP: discovery, JWKS, the code exchange
 * (api_oidc_client.h). Every answer is bounded (64 KiB), every request has a
 * 10 s timeout, redirects are not followed, and https is verified (plain http
 * only where the config allowed a loopback issuer). */
#include "ui-api/routes/api_oidc_client.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/lib/buf.h"
#include "daemon/lib/util.h"
#include "ui-api/auth/oidc_jwks.h"

#define OIDC_HTTP_MAX        (64 * 1024)
#define OIDC_HTTP_TIMEOUT_MS 10000L
#define OIDC_DISCOVERY_TTL   3600

static struct {
	pthread_mutex_t lock;
	char issuer[OIDC_URL_MAX];
	char authorize[OIDC_URL_MAX], token[OIDC_URL_MAX], jwks_uri[OIDC_URL_MAX];
	time_t fetched;
	struct oidc_jwks *jwks;
} oidc_cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

static size_t oidc_write(char *data, size_t size, size_t n, void *ctx)
{
	struct buf *b = ctx;

	return buf_append(b, data, size * n) < 0 ? 0 : size * n;
}

/* GET url (post NULL) or POST the form post with HTTP Basic client
 * credentials. Returns the HTTP status with body_r (a NUL-terminated buffer),
 * or -1 with err. */
static long oidc_http(const struct config *c, const char *url, const char *post, struct buf *body_r,
		      struct error *err)
{
	CURL *curl = curl_easy_init();
	struct curl_slist *headers = NULL;
	long status = -1;
	CURLcode rc;

	buf_init(body_r, OIDC_HTTP_MAX);
	if (curl == NULL) {
		error_set(err, "out of memory");
		return -1;
	}
	headers = curl_slist_append(headers, "Accept: application/json");
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, OIDC_HTTP_TIMEOUT_MS);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, OIDC_HTTP_TIMEOUT_MS);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, oidc_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, body_r);
	if (post != NULL) {
		/* client_secret_basic: the secret never sits in a logged body */
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, post);
		curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(curl, CURLOPT_USERNAME, c->oidc.client_id);
		curl_easy_setopt(curl, CURLOPT_PASSWORD,
				 c->oidc.client_secret != NULL ? c->oidc.client_secret : "");
	}
	rc = curl_easy_perform(curl);
	if (rc != CURLE_OK)
		error_set(err, "%s: %s", url,
			  rc == CURLE_WRITE_ERROR ? "answer larger than 64 KiB"
						  : curl_easy_strerror(rc));
	else
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (rc == CURLE_OK && buf_append(body_r, "", 1) < 0) {
		error_set(err, "%s: answer larger than 64 KiB", url);
		status = -1;
	}
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	return status;
}

static int oidc_copy_url(const json_t *doc, const char *name, char *out, struct error *err)
{
	const char *v = json_string_value(json_object_get(doc, name));

	if (v == NULL || strlen(v) >= OIDC_URL_MAX ||
	    (strncmp(v, "https://", 8) != 0 && strncmp(v, "http://", 7) != 0)) {
		error_set(err, "discovery: no usable %s", name);
		return -1;
	}
	str_copy(out, OIDC_URL_MAX, v);
	return 0;
}

/* Fetches the JWKS at the cached jwks_uri into the cache. Lock held. */
static int oidc_fetch_jwks(const struct config *c, struct error *err)
{
	struct oidc_jwks *jwks = NULL;
	struct buf body;
	long status;
	int ret = -1;

	status = oidc_http(c, oidc_cache.jwks_uri, NULL, &body, err);
	if (status < 0)
		goto out;
	if (status != 200) {
		error_set(err, "JWKS: HTTP %ld", status);
		goto out;
	}
	if (oidc_jwks_parse(body.data, body.len - 1, &jwks, err) < 0) {
		error_prefix(err, "JWKS");
		goto out;
	}
	oidc_jwks_free(&oidc_cache.jwks);
	oidc_cache.jwks = jwks;
	ret = 0;
out:
	buf_free(&body);
	return ret;
}

/* Makes sure the discovery document (and a JWKS) is cached and fresh. Lock
 * held. */
static int oidc_discover(const struct config *c, struct error *err)
{
	char url[OIDC_URL_MAX + 64];
	const char *iss;
	struct buf body;
	json_t *doc = NULL;
	long status;
	int ret = -1;

	if (strcmp(oidc_cache.issuer, c->oidc.issuer) == 0 && oidc_cache.jwks != NULL &&
	    time(NULL) - oidc_cache.fetched < OIDC_DISCOVERY_TTL)
		return 0;
	/* OIDC Discovery 4: ISSUER + /.well-known/..., no doubled slash */
	snprintf(url, sizeof(url), "%s%s.well-known/openid-configuration", c->oidc.issuer,
		 c->oidc.issuer[strlen(c->oidc.issuer) - 1] == '/' ? "" : "/");
	status = oidc_http(c, url, NULL, &body, err);
	if (status < 0)
		goto out;
	if (status != 200) {
		error_set(err, "discovery %s: HTTP %ld", url, status);
		goto out;
	}
	doc = json_loads(body.data, JSON_REJECT_DUPLICATES, NULL);
	iss = json_string_value(json_object_get(doc, "issuer"));
	/* Discovery 4.3: the document's issuer must be the one we asked */
	if (iss == NULL || strcmp(iss, c->oidc.issuer) != 0) {
		error_set(err, "discovery: issuer is %s%s%s, not [oidc] issuer",
			  iss != NULL ? "'" : "", iss != NULL ? iss : "missing",
			  iss != NULL ? "'" : "");
		goto out;
	}
	if (oidc_copy_url(doc, "authorization_endpoint", oidc_cache.authorize, err) < 0 ||
	    oidc_copy_url(doc, "token_endpoint", oidc_cache.token, err) < 0 ||
	    oidc_copy_url(doc, "jwks_uri", oidc_cache.jwks_uri, err) < 0)
		goto out;
	str_copy(oidc_cache.issuer, sizeof(oidc_cache.issuer), c->oidc.issuer);
	if (oidc_fetch_jwks(c, err) < 0) {
		oidc_cache.issuer[0] = '\0';
		goto out;
	}
	oidc_cache.fetched = time(NULL);
	ret = 0;
out:
	json_decref(doc);
	buf_free(&body);
	return ret;
}

int oidc_client_authorize_url(const struct config *c, char *url_r, size_t size, struct error *err)
{
	int ret;

	pthread_mutex_lock(&oidc_cache.lock);
	ret = oidc_discover(c, err);
	if (ret == 0)
		str_copy(url_r, size, oidc_cache.authorize);
	pthread_mutex_unlock(&oidc_cache.lock);
	return ret;
}

/* The form body of the code exchange into out (a buf). */
static int oidc_token_form(const char *code, const char *verifier, const char *redirect_uri,
			   struct buf *out)
{
	char *c = curl_easy_escape(NULL, code, 0), *r = curl_easy_escape(NULL, redirect_uri, 0);
	char *v = curl_easy_escape(NULL, verifier, 0);
	int ret = -1;

	buf_init(out, 8192);
	if (c != NULL && r != NULL && v != NULL &&
	    buf_printf(out,
		       "grant_type=authorization_code&code=%s&redirect_uri=%s&code_verifier=%s", c,
		       r, v) == 0)
		ret = 0;
	curl_free(c);
	curl_free(r);
	curl_free(v);
	return ret;
}

int oidc_client_sign_in(const struct config *c, const char *code, const char *verifier,
			const char *redirect_uri, const struct oidc_expect *expect,
			struct oidc_identity *id_r, struct error *err)
{
	char token_url[OIDC_URL_MAX];
	struct buf form, body;
	const char *id_token;
	struct error why = {0};
	json_t *doc = NULL;
	long status;
	int ret = -1, r;

	buf_init(&body, OIDC_HTTP_MAX);
	if (oidc_token_form(code, verifier, redirect_uri, &form) < 0) {
		error_set(err, "out of memory");
		goto out;
	}
	pthread_mutex_lock(&oidc_cache.lock);
	r = oidc_discover(c, err);
	str_copy(token_url, sizeof(token_url), oidc_cache.token);
	pthread_mutex_unlock(&oidc_cache.lock);
	if (r < 0) {
		ret = 0;
		goto out;
	}
	buf_free(&body);
	status = oidc_http(c, token_url, form.data, &body, err);
	if (status < 0) {
		ret = 0;
		goto out;
	}
	doc = json_loads(body.data, JSON_REJECT_DUPLICATES, NULL);
	if (status != 200) {
		const char *e = json_string_value(json_object_get(doc, "error"));

		error_set(err, "token endpoint: HTTP %ld%s%.100s", status, e != NULL ? ": " : "",
			  e != NULL ? e : "");
		ret = 0;
		goto out;
	}
	id_token = json_string_value(json_object_get(doc, "id_token"));
	if (id_token == NULL) {
		error_set(err, "token endpoint: no id_token in the answer");
		ret = 0;
		goto out;
	}
	pthread_mutex_lock(&oidc_cache.lock);
	r = oidc_token_validate(id_token, oidc_cache.jwks, expect, id_r, &why);
	/* a key we do not know yet: the provider may have rotated; once */
	if (r == 0 && strcmp(error_msg(&why), oidc_error_unknown_kid) == 0 &&
	    oidc_fetch_jwks(c, err) == 0)
		r = oidc_token_validate(id_token, oidc_cache.jwks, expect, id_r, &why);
	pthread_mutex_unlock(&oidc_cache.lock);
	if (r <= 0)
		error_set(err, "ID token refused: %s",
			  error_msg(&why)[0] != '\0' ? error_msg(&why) : "?");
	ret = r;
out:
	json_decref(doc);
	buf_free(&form);
	buf_free(&body);
	return ret;
}
