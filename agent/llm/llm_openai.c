/* SPDX-License-Identifier: MIT */
#include <curl/curl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/llm/llm.h"
#include "agent/llm/llm_openai.h"
#include "agent/llm/llm_pool.h"
#include "daemon/lib/buf.h"
#include "daemon/config/config.h"
#include "daemon/lib/log.h"
#include "daemon/lib/util.h"

/* The backend for any OpenAI-compatible chat-completions server (llama.cpp
 * llama-server, vLLM, Ollama). One curl easy handle per request, a counting
 * semaphore sized to the server's slots, a circuit breaker, one retry when
 * an answer fails validation. */

struct openai {
	char *base_url; /* without a trailing "/" or "/v1" */
	char *model;
	char *api_key;
	long timeout_ms;
	long connect_timeout_ms;
	unsigned int max_tokens;
	unsigned int seed;
	size_t max_reply;
	unsigned int invalid_retries;
	struct openai_gate gate;
	struct llm_pool *pool; /* keep-alive connections, max_in_flight of them */
};

static pthread_once_t openai_curl_once = PTHREAD_ONCE_INIT;

static void openai_curl_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void openai_close(void *priv)
{
	struct openai *o = priv;

	if (o == NULL)
		return;
	llm_pool_close(&o->pool);
	openai_gate_destroy(&o->gate);
	free(o->base_url);
	free(o->model);
	secret_free(&o->api_key);
	free(o);
}

static int openai_open(const struct config *config, const struct llm_tuning *tuning, void **priv_r,
		       struct llm_error *err)
{
	const struct llm_tuning none = {0};
	struct openai *o = NULL;
	size_t len;
	int ret = -1;

	if (tuning == NULL)
		tuning = &none;
	if (config->model.base_url == NULL || config->model.base_url[0] == '\0') {
		llm_error_set(err, LLM_ERROR_CONFIG, 0, "model.base_url is not set");
		goto out;
	}
	if (strncmp(config->model.base_url, "http://", 7) != 0 &&
	    strncmp(config->model.base_url, "https://", 8) != 0) {
		llm_error_set(err, LLM_ERROR_CONFIG, 0,
			      "model.base_url must be http:// or https://");
		goto out;
	}
	pthread_once(&openai_curl_once, openai_curl_init);
	o = calloc(1, sizeof(*o));
	if (o == NULL || (o->base_url = strdup(config->model.base_url)) == NULL ||
	    (o->model = strdup(config->model.model != NULL ? config->model.model : "default")) ==
		    NULL ||
	    (config->model.api_key != NULL &&
	     (o->api_key = strdup(config->model.api_key)) == NULL)) {
		llm_error_set(err, LLM_ERROR_INTERNAL, 0, "out of memory");
		goto out;
	}
	/* Accept ".../", ".../v1" and ".../v1/": the paths below add "/v1/...". */
	len = strlen(o->base_url);
	while (len > 0 && o->base_url[len - 1] == '/')
		o->base_url[--len] = '\0';
	if (len >= 3 && strcmp(o->base_url + len - 3, "/v1") == 0)
		o->base_url[len - 3] = '\0';
	o->timeout_ms = (long)(config->model.timeout > 0 ? config->model.timeout : 60) * 1000;
	o->connect_timeout_ms = tuning->connect_timeout_ms > 0 ? (long)tuning->connect_timeout_ms
				: o->timeout_ms < 5000         ? o->timeout_ms
							       : 5000;
	o->max_tokens = config->model.max_tokens > 0 ? config->model.max_tokens : 1024;
	o->seed = config->model.seed;
	o->max_reply =
		tuning->max_reply_bytes > 0 ? tuning->max_reply_bytes : LLM_DEFAULT_MAX_REPLY_BYTES;
	o->invalid_retries = tuning->invalid_retries > 0 ? tuning->invalid_retries : 1;
	if (openai_gate_init(
		    &o->gate, config->model.max_in_flight > 0 ? config->model.max_in_flight : 1,
		    tuning->breaker_failures > 0 ? tuning->breaker_failures
						 : LLM_DEFAULT_BREAKER_FAILURES,
		    tuning->breaker_cooldown_ms > 0 ? tuning->breaker_cooldown_ms
						    : LLM_DEFAULT_BREAKER_COOLDOWN_MS) < 0) {
		llm_error_set(err, LLM_ERROR_INTERNAL, 0, "cannot create the request gate");
		goto out;
	}
	if (llm_pool_open(config->model.max_in_flight > 0 ? config->model.max_in_flight : 1,
			  &o->pool) < 0) {
		llm_error_set(err, LLM_ERROR_INTERNAL, 0, "cannot start the connection pool");
		goto out;
	}
	*priv_r = o;
	o = NULL;
	ret = 0;
out:
	openai_close(o);
	return ret;
}

struct openai_sink {
	struct buf *body;
	bool too_big;
};

static size_t openai_write(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct openai_sink *sink = ctx;

	if (buf_append(sink->body, data, size * nmemb) < 0) {
		sink->too_big = true;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	return size * nmemb;
}

/* One HTTP exchange. post NULL means GET. Returns 0 with *status_r and the
 * body in *body (any status), or -1 with err (transport, timeout, a
 * truncated or oversize reply). */
static int openai_http(const struct openai *o, const char *path, const char *post, long timeout_ms,
		       long *status_r, struct buf *body, struct llm_error *err)
{
	struct openai_sink sink = {body, false};
	struct curl_slist *headers = NULL;
	char url[2048], auth[4200];
	CURL *curl = NULL;
	CURLcode rc;
	int ret = -1;

	buf_reset(body);
	if ((size_t)snprintf(url, sizeof(url), "%s%s", o->base_url, path) >= sizeof(url)) {
		llm_error_set(err, LLM_ERROR_CONFIG, 0, "model.base_url is too long");
		goto out;
	}
	curl = curl_easy_init();
	if (curl == NULL) {
		llm_error_set(err, LLM_ERROR_INTERNAL, 0, "curl_easy_init failed");
		goto out;
	}
	headers = curl_slist_append(headers, "Accept: application/json");
	headers = curl_slist_append(headers, "Expect:");
	if (post != NULL)
		headers = curl_slist_append(headers, "Content-Type: application/json");
	if (o->api_key != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", o->api_key);
		headers = curl_slist_append(headers, auth);
		explicit_bzero(auth, sizeof(auth));
	}
	if (headers == NULL) {
		llm_error_set(err, LLM_ERROR_INTERNAL, 0, "out of memory");
		goto out;
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, openai_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
	if (post != NULL)
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, post);
	rc = llm_pool_perform(o->pool, curl);
	if (sink.too_big) {
		llm_error_set(err, LLM_ERROR_INVALID, 0, "reply exceeds %zu bytes", body->max);
		goto out;
	}
	switch (rc) {
	case CURLE_OK:
		break;
	case CURLE_OPERATION_TIMEDOUT:
		llm_error_set(err, LLM_ERROR_TIMEOUT, 0, "no answer within %ld ms", timeout_ms);
		goto out;
	case CURLE_PARTIAL_FILE:
		llm_error_set(err, LLM_ERROR_INVALID, 0, "reply truncated: %s",
			      curl_easy_strerror(rc));
		goto out;
	default:
		llm_error_set(err, LLM_ERROR_TRANSPORT, 0, "%s", curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status_r);
	ret = 0;
out:
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	return ret;
}

/* The request body: messages, temperature 0, seed, max_tokens, logprobs and
 * the nested json_schema response_format (llama.cpp ignores a flat one). */
static char *openai_request_body(const struct openai *o, const char *const *categories,
				 size_t count, const char *system, const char *user,
				 unsigned int max_tokens)
{
	json_t *req = NULL, *schema = NULL;
	char *text = NULL;

	schema = openai_schema(categories, count);
	if (schema == NULL)
		goto out;
	req = json_pack("{s:s, s:[{s:s, s:s}, {s:s, s:s}], s:i, s:I, s:I, s:b, s:i, s:b, "
			"s:{s:s, s:{s:s, s:b, s:O}}}",
			"model", o->model, "messages", "role", "system", "content",
			system != NULL ? system : "", "role", "user", "content",
			user != NULL ? user : "", "temperature", 0, "seed", (json_int_t)o->seed,
			"max_tokens", (json_int_t)max_tokens, "logprobs", 1, "top_logprobs", 1,
			"stream", 0, "response_format", "type", "json_schema", "json_schema",
			"name", "draft", "strict", 1, "schema", schema);
	if (req == NULL)
		goto out;
	text = json_dumps(req, JSON_COMPACT);
out:
	json_decref(schema);
	json_decref(req);
	return text;
}

/* exp(sum of the logprobs of the tokens spelling the category value), when
 * the server returned choices[0].logprobs.content and its tokens line up
 * with the content. Returns 1 with *conf_r, or 0 when not available. */
static int openai_logprob_confidence(const json_t *choice, const char *content,
				     const char *category, double *conf_r)
{
	const json_t *lp = json_object_get(json_object_get(choice, "logprobs"), "content"), *tok;
	const char *p = strstr(content, "\"category\""), *text;
	size_t start, end, off = 0, tlen, i, used = 0;
	double sum = 0.0;

	if (!json_is_array(lp) || json_array_size(lp) == 0 || p == NULL)
		return 0;
	p += strlen("\"category\"");
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	if (*p++ != ':')
		return 0;
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	if (*p++ != '"' || strncmp(p, category, strlen(category)) != 0)
		return 0;
	start = (size_t)(p - content);
	end = start + strlen(category);
	json_array_foreach(lp, i, tok)
	{
		text = json_string_value(json_object_get(tok, "token"));
		if (text == NULL || !json_is_number(json_object_get(tok, "logprob")))
			return 0;
		tlen = strlen(text);
		if (off < end && off + tlen > start) {
			sum += json_number_value(json_object_get(tok, "logprob"));
			used++;
		}
		off += tlen;
	}
	if (off != strlen(content) || used == 0 || !isfinite(sum))
		return 0;
	*conf_r = exp(sum);
	if (*conf_r > 1.0)
		*conf_r = 1.0;
	return 1;
}

/* The "error.message" of an OpenAI error reply (e.g. llama.cpp's "the request
 * exceeds the available context size"), printable ASCII only, for the log. */
static void openai_server_error(const struct buf *reply, char *out, size_t size)
{
	json_t *root = json_loadb(reply->data, reply->len, 0, NULL);
	const char *msg =
		json_string_value(json_object_get(json_object_get(root, "error"), "message"));
	size_t i, o = 0;

	for (i = 0; msg != NULL && msg[i] != '\0' && o + 1 < size; i++)
		out[o++] = msg[i] >= 0x20 && msg[i] < 0x7f && msg[i] != '"' ? msg[i] : '?';
	out[o] = '\0';
	json_decref(root);
}

/* One chat completion, validated. Returns 0 with *d filled, or -1 with err
 * (kind INVALID when the server answered but the answer is unusable). */
static int openai_once(const struct openai *o, const char *const *categories, size_t count,
		       const char *body_text, struct buf *reply, struct llm_draft *d,
		       struct llm_error *err)
{
	json_error_t jerr;
	json_t *root = NULL, *choice, *content;
	const char *finish, *model;
	char reason[256], detail[128];
	long status = 0;
	double conf;
	int ret = -1;

	if (openai_http(o, "/v1/chat/completions", body_text, o->timeout_ms, &status, reply, err) <
	    0)
		goto out;
	if (status == 503) {
		llm_error_set(err, LLM_ERROR_LOADING, status, "HTTP 503: the server is loading");
		goto out;
	}
	if (status != 200) {
		openai_server_error(reply, detail, sizeof(detail));
		llm_error_set(err, LLM_ERROR_HTTP, status, "HTTP %ld from the model server%s%s",
			      status, detail[0] != '\0' ? ": " : "", detail);
		goto out;
	}
	root = json_loadb(reply->data, reply->len, 0, &jerr);
	if (!json_is_object(root)) {
		llm_error_set(err, LLM_ERROR_INVALID, status, "reply is not a JSON object: %s",
			      root == NULL ? jerr.text : "other type");
		goto out;
	}
	choice = json_array_get(json_object_get(root, "choices"), 0);
	content = json_object_get(json_object_get(choice, "message"), "content");
	if (!json_is_string(content)) {
		llm_error_set(err, LLM_ERROR_INVALID, status, "no choices[0].message.content");
		goto out;
	}
	finish = json_string_value(json_object_get(choice, "finish_reason"));
	if (finish != NULL && strcmp(finish, "length") == 0) {
		llm_error_set(err, LLM_ERROR_INVALID, status, "answer cut off at max_tokens");
		goto out;
	}
	if (draft_output_parse(json_string_value(content), json_string_length(content), categories,
			       count, d, reason, sizeof(reason)) < 0) {
		llm_error_set(err, LLM_ERROR_INVALID, status, "%s", reason);
		goto out;
	}
	if (openai_logprob_confidence(choice, json_string_value(content), d->category, &conf) > 0) {
		d->confidence = conf;
		d->confidence_source = LLM_CONFIDENCE_LOGPROBS;
	}
	model = json_string_value(json_object_get(root, "model"));
	d->model = strdup(model != NULL ? model : o->model);
	if (d->model == NULL) {
		llm_error_set(err, LLM_ERROR_INTERNAL, 0, "out of memory");
		goto out;
	}
	ret = 0;
out:
	if (ret < 0)
		draft_output_clear(d);
	json_decref(root);
	return ret;
}

static int openai_needs_human(struct llm_draft *d, const struct llm_request *req, const char *model,
			      const char *reason)
{
	char why[DRAFT_OUTPUT_MAX_REASON];

	snprintf(why, sizeof(why), "the model's answer was invalid twice: %s", reason);
	d->category = strdup(req->category_hint != NULL ? req->category_hint : "other");
	d->confidence = 0.0;
	d->confidence_source = LLM_CONFIDENCE_MODEL;
	d->subject = strdup("");
	d->body = strdup("");
	d->facts_used = json_array();
	d->needs_human = true;
	d->needs_human_reason = strdup(why);
	d->model = strdup(model);
	return d->category != NULL && d->subject != NULL && d->body != NULL &&
			       d->facts_used != NULL && d->needs_human_reason != NULL &&
			       d->model != NULL
		       ? 0
		       : -1;
}

static int openai_draft(void *priv, const struct llm_request *req, struct llm_draft *d,
			struct llm_error *err)
{
	struct openai *o = priv;
	struct buf reply;
	char *body_text = NULL, hash[17], invalid[ERROR_MAX] = "";
	unsigned int attempt;
	bool slot = false;
	int ret = -1;

	buf_init(&reply, o->max_reply);
	if (openai_gate_enter(&o->gate, o->timeout_ms, err) < 0)
		goto out;
	slot = true;
	body_text = openai_request_body(o, req->categories, req->categories_count,
					req->system_prompt, req->user_prompt, o->max_tokens);
	if (body_text == NULL) {
		llm_error_set(err, LLM_ERROR_INTERNAL, 0, "cannot build the request");
		openai_gate_result(&o->gate, true);
		goto out;
	}
	for (attempt = 0; attempt <= o->invalid_retries; attempt++) {
		memset(err, 0, sizeof(*err));
		if (openai_once(o, req->categories, req->categories_count, body_text, &reply, d,
				err) == 0) {
			openai_gate_result(&o->gate, true);
			ret = 1;
			break;
		}
		if (err->kind != LLM_ERROR_INVALID) {
			openai_gate_result(&o->gate, false);
			goto out;
		}
		/* The server is alive; its answer is not usable: ask again once. */
		openai_gate_result(&o->gate, true);
		log_warn_kv("model answer invalid", "attempt=%u reason=%s", attempt + 1,
			    error_msg(&err->err));
		str_copy(invalid, sizeof(invalid), error_msg(&err->err));
	}
	if (ret != 1) {
		memset(err, 0, sizeof(*err));
		if (openai_needs_human(d, req, o->model, invalid) < 0) {
			llm_error_set(err, LLM_ERROR_INTERNAL, 0, "out of memory");
			goto out;
		}
		ret = 1;
	}
	if (req->prompt_version != NULL) {
		d->prompt_version = strdup(req->prompt_version);
	} else {
		llm_version_hash(req->system_prompt != NULL ? req->system_prompt : "",
				 req->system_prompt != NULL ? strlen(req->system_prompt) : 0, hash);
		d->prompt_version = strdup(hash);
	}
	if (d->prompt_version == NULL) {
		llm_error_set(err, LLM_ERROR_INTERNAL, 0, "out of memory");
		ret = -1;
	}
out:
	if (slot)
		openai_gate_leave(&o->gate);
	free(body_text);
	buf_free(&reply);
	return ret;
}

static void openai_probe_models(const struct openai *o, struct buf *reply, struct llm_probe *probe)
{
	json_t *root, *item;
	size_t i;

	root = json_loadb(reply->data, reply->len, 0, NULL);
	json_array_foreach(json_object_get(root, "data"), i, item)
	{
		if (json_is_string(json_object_get(item, "id")) &&
		    strcmp(json_string_value(json_object_get(item, "id")), o->model) == 0)
			probe->model_listed = true;
	}
	json_decref(root);
}

static int openai_probe(void *priv, const struct llm_request *req, struct llm_probe *probe)
{
	static const char *const fallback[] = {"other"};
	struct openai *o = priv;
	struct llm_draft d = {0};
	struct llm_error err = {0};
	struct buf reply;
	char *body_text = NULL;
	const char *const *cats =
		req != NULL && req->categories_count > 0 ? req->categories : fallback;
	size_t count = req != NULL && req->categories_count > 0 ? req->categories_count : 1;
	char user[256];
	long status = 0;
	int ret = 0;

	buf_init(&reply, o->max_reply);
	if (openai_http(o, "/v1/models", NULL, o->timeout_ms, &status, &reply, &err) < 0) {
		snprintf(probe->detail, sizeof(probe->detail), "GET /v1/models: %.200s",
			 error_msg(&err.err));
		goto out;
	}
	probe->reachable = true;
	if (status != 200) {
		snprintf(probe->detail, sizeof(probe->detail), "GET /v1/models: HTTP %ld", status);
		goto out;
	}
	openai_probe_models(o, &reply, probe);
	snprintf(user, sizeof(user),
		 "Health check. Answer with category \"%s\", confidence 1, subject \"probe\", "
		 "body \"ok\", facts_used [], needs_human false, needs_human_reason \"\".",
		 cats[0]);
	body_text =
		openai_request_body(o, cats, count, "Answer with the JSON object only.", user, 256);
	if (body_text == NULL) {
		ret = -1;
		snprintf(probe->detail, sizeof(probe->detail), "cannot build the probe request");
		goto out;
	}
	if (openai_once(o, cats, count, body_text, &reply, &d, &err) < 0) {
		snprintf(probe->detail, sizeof(probe->detail),
			 "structured output not honoured: %.200s", error_msg(&err.err));
		goto out;
	}
	probe->structured_ok = true;
	probe->auto_reply_ok = true;
	snprintf(probe->detail, sizeof(probe->detail), "structured output ok, model %s", d.model);
out:
	draft_output_clear(&d);
	free(body_text);
	buf_free(&reply);
	return ret;
}

const struct llm_backend_ops llm_backend_openai = {
	.name = "openai",
	.reads_prompt = true,
	.open = openai_open,
	.probe = openai_probe,
	.draft = openai_draft,
	.close = openai_close,
};
