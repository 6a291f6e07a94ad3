/* SPDX-License-Identifier: MIT */
#include <curl/curl.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/llm/llm.h"
#include "agent/llm/llm_openai.h"
#include "daemon/lib/buf.h"
#include "daemon/config/config.h"
#include "daemon/lib/util.h"
#include "harness.h"

/* Runs the openai backend against tests/fakes/openai_server.py, which speaks
 * the chat-completions protocol and fails on demand. */

static pid_t fake_pid = -1;
static char fake_url[64];

static const char *const cats[] = {
	"stock_inquiry",  "order_status", "quote_request", "return_request",
	"address_change", "invoice_copy", "complaint",     "other",
};

static const char facts_text[] =
	"{\"inventory\":[{\"sku\":\"HP-20115\",\"name\":\"Deep groove ball bearing 6204-2RS\","
	"\"qty_on_hand\":1200,\"unit_price_eur\":3.95,\"lead_time_days\":3,\"discontinued\":false}]"
	"}";

static size_t fake_sink(char *data, size_t size, size_t n, void *ctx)
{
	return buf_append(ctx, data, size * n) == 0 ? size * n : 0;
}

/* GET (body NULL) or POST to the fake; returns its JSON answer or NULL. */
static json_t *fake_call(const char *path, const char *body)
{
	struct buf out;
	char url[256];
	CURL *curl = curl_easy_init();
	json_t *j = NULL;

	buf_init(&out, 1 << 20);
	snprintf(url, sizeof(url), "%s%s", fake_url, path);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 5L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, fake_sink);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &out);
	if (body != NULL)
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	if (curl_easy_perform(curl) == CURLE_OK)
		j = json_loadb(out.data, out.len, 0, NULL);
	curl_easy_cleanup(curl);
	buf_free(&out);
	return j;
}

static void fake_mode(const char *mode)
{
	char body[128];

	snprintf(body, sizeof(body), "{\"mode\":\"%s\"}", mode);
	json_decref(fake_call("/_control", body));
}

static json_int_t fake_requests(void)
{
	json_t *j = fake_call("/_requests", NULL);
	json_int_t n = json_integer_value(json_object_get(j, "requests"));

	json_decref(j);
	return n;
}

static struct llm *openai_open_cfg(const char *base_url, unsigned int timeout,
				   const struct llm_tuning *tuning)
{
	struct config config;
	struct llm_error err;
	struct llm *llm = NULL;

	memset(&config, 0, sizeof(config));
	config.model.backend = MODEL_BACKEND_OPENAI;
	config.model.base_url = (char *)base_url;
	config.model.model = "fake-model";
	config.model.api_key = "sk-test";
	config.model.timeout = timeout;
	config.model.max_tokens = 512;
	config.model.seed = 42;
	config.model.max_in_flight = 2;
	if (llm_open(&config, tuning, &llm, &err) < 0)
		fprintf(stderr, "\n  llm_open: %s\n", error_msg(&err.err));
	return llm;
}

/* One draft with "FAKE_MODE=<mode>" in the user prompt. */
static int draft_mode(struct llm *llm, const char *mode, struct llm_draft *d, struct llm_error *err)
{
	char user[1024];
	json_t *facts = json_loads(facts_text, 0, NULL);
	struct llm_request req = {
		.categories = cats,
		.categories_count = 8,
		.language = "en",
		.system_prompt = "You draft replies for Harbor Parts Co.",
		.user_prompt = user,
		.facts = facts,
		.category_hint = "stock_inquiry",
	};
	int r;

	snprintf(user, sizeof(user), "<email>Is HP-20115 in stock?</email>\nFACTS %s\nFAKE_MODE=%s",
		 facts_text, mode);
	r = llm_draft(llm, &req, d, err);
	json_decref(facts);
	return r;
}

static void test_valid_and_request_shape(void)
{
	char base[96];
	struct llm *llm;
	struct llm_draft d;
	struct llm_error err;
	json_t *req, *rf, *schema, *want_enum, *j;
	const char *first_key;

	snprintf(base, sizeof(base), "%s/v1/", fake_url); /* a trailing /v1/ is accepted */
	llm = openai_open_cfg(base, 5, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(llm);
	CU_ASSERT_EQUAL_FATAL(draft_mode(llm, "valid", &d, &err), 1);
	CU_ASSERT_STRING_EQUAL(d.category, "stock_inquiry");
	CU_ASSERT_DOUBLE_EQUAL(d.confidence, 0.5, 1e-9);
	CU_ASSERT_EQUAL(d.confidence_source, LLM_CONFIDENCE_MODEL);
	CU_ASSERT_STRING_EQUAL(d.subject, "Re: your inquiry");
	CU_ASSERT(strstr(d.body, "HP-20115 (Deep groove ball bearing 6204-2RS): 1200 on hand, EUR "
				 "3.95 per unit") != NULL);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(d.facts_used, 0)),
			       "inventory:HP-20115");
	CU_ASSERT_FALSE(d.needs_human);
	CU_ASSERT_STRING_EQUAL(d.model, "fake-model");
	CU_ASSERT(d.prompt_version != NULL && strlen(d.prompt_version) == 16);
	llm_draft_clear(&d);

	req = fake_call("/_last_request", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(req);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(req, "model")), "fake-model");
	CU_ASSERT(json_is_integer(json_object_get(req, "temperature")) &&
		  json_integer_value(json_object_get(req, "temperature")) == 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(req, "seed")), 42);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(req, "max_tokens")), 512);
	CU_ASSERT(json_is_true(json_object_get(req, "logprobs")));
	CU_ASSERT_STRING_EQUAL(
		json_string_value(json_object_get(
			json_array_get(json_object_get(req, "messages"), 0), "role")),
		"system");
	rf = json_object_get(req, "response_format");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(rf, "type")), "json_schema");
	CU_ASSERT_PTR_NULL(json_object_get(rf, "schema")); /* the nested form, never flat */
	j = json_object_get(rf, "json_schema");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "name")), "draft");
	CU_ASSERT(json_is_true(json_object_get(j, "strict")));
	schema = json_object_get(j, "schema");
	want_enum = json_pack("[s,s,s,s,s,s,s,s]", cats[0], cats[1], cats[2], cats[3], cats[4],
			      cats[5], cats[6], cats[7]);
	CU_ASSERT(json_equal(
		json_object_get(json_object_get(json_object_get(schema, "properties"), "category"),
				"enum"),
		want_enum));
	first_key = json_object_iter_key(json_object_iter(json_object_get(schema, "properties")));
	CU_ASSERT(first_key != NULL && strcmp(first_key, "category") == 0);
	j = fake_call("/_requests", NULL);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "authorization")),
			       "Bearer sk-test");
	json_decref(j);
	json_decref(want_enum);
	json_decref(req);
	llm_close(&llm);
}

static void test_logprobs_confidence(void)
{
	struct llm *llm = openai_open_cfg(fake_url, 5, NULL);
	struct llm_draft d;
	struct llm_error err;

	CU_ASSERT_PTR_NOT_NULL_FATAL(llm);
	CU_ASSERT_EQUAL_FATAL(draft_mode(llm, "logprobs", &d, &err), 1);
	CU_ASSERT_EQUAL(d.confidence_source, LLM_CONFIDENCE_LOGPROBS);
	CU_ASSERT_DOUBLE_EQUAL(d.confidence, exp(-0.1), 1e-6);
	llm_draft_clear(&d);
	llm_close(&llm);
}

static void test_wrong_price_passes_schema(void)
{
	struct llm *llm = openai_open_cfg(fake_url, 5, NULL);
	struct llm_draft d;
	struct llm_error err;

	/* Well-formed but wrong: validation passes it on, the guardrails judge prices. */
	CU_ASSERT_PTR_NOT_NULL_FATAL(llm);
	CU_ASSERT_EQUAL_FATAL(draft_mode(llm, "wrong_price", &d, &err), 1);
	CU_ASSERT(strstr(d.body, "EUR 4.95 per unit") != NULL);
	CU_ASSERT_FALSE(d.needs_human);
	llm_draft_clear(&d);
	llm_close(&llm);
}

static void test_invalid_answers(void)
{
	static const struct {
		const char *mode, *reason;
	} cases[] = {
		{"invalid_json", "the model's answer was invalid twice: not JSON"},
		{"wrong_enum",
		 "the model's answer was invalid twice: category \"refund_everything\" "
		 "is not one of the configured categories"},
		{"flat", "the model's answer was invalid twice: not JSON"},
		{"truncated", "the model's answer was invalid twice: reply truncated"},
		{"huge", "the model's answer was invalid twice: reply exceeds 262144 bytes"},
	};
	struct llm *llm = openai_open_cfg(fake_url, 10, NULL);
	struct llm_draft d;
	struct llm_error err;
	json_int_t before;
	size_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(llm);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		before = fake_requests();
		CU_ASSERT_EQUAL_FATAL(draft_mode(llm, cases[i].mode, &d, &err), 1);
		if (strncmp(d.needs_human_reason, cases[i].reason, strlen(cases[i].reason)) != 0)
			fprintf(stderr, "\n  mode %s: reason \"%s\"\n", cases[i].mode,
				d.needs_human_reason);
		CU_ASSERT_TRUE(d.needs_human);
		CU_ASSERT(strncmp(d.needs_human_reason, cases[i].reason, strlen(cases[i].reason)) ==
			  0);
		CU_ASSERT_STRING_EQUAL(d.body, "");
		CU_ASSERT_STRING_EQUAL(d.category, "stock_inquiry"); /* the classifier's hint */
		CU_ASSERT_EQUAL(fake_requests() - before, 2);        /* one retry */
		llm_draft_clear(&d);
	}
	llm_close(&llm);
}

static void test_http_errors(void)
{
	static const struct {
		const char *mode;
		enum llm_error_kind kind;
		long status;
	} cases[] = {
		{"http500", LLM_ERROR_HTTP, 500},
		{"loading503", LLM_ERROR_LOADING, 503},
	};
	struct llm *llm = openai_open_cfg(fake_url, 5, NULL);
	struct llm_draft d;
	struct llm_error err;
	json_int_t before;
	size_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(llm);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		before = fake_requests();
		CU_ASSERT_EQUAL(draft_mode(llm, cases[i].mode, &d, &err), -1);
		CU_ASSERT_EQUAL(err.kind, cases[i].kind);
		CU_ASSERT_EQUAL(err.http_status, cases[i].status);
		CU_ASSERT_TRUE(err.err.retryable);
		CU_ASSERT_PTR_NULL(d.body);
		CU_ASSERT_EQUAL(fake_requests() - before, 1); /* the job queue retries, later */
	}
	CU_ASSERT_EQUAL(draft_mode(llm, "http500", &d, &err), -1);
	CU_ASSERT_STRING_EQUAL(error_msg(&err.err),
			       "HTTP 500 from the model server: internal error");
	llm_close(&llm);
}

static void test_timeout(void)
{
	struct llm *llm = openai_open_cfg(fake_url, 1, NULL);
	struct llm_draft d;
	struct llm_error err;
	uint64_t start, took;

	CU_ASSERT_PTR_NOT_NULL_FATAL(llm);
	start = time_mono_ms();
	CU_ASSERT_EQUAL(draft_mode(llm, "hang", &d, &err), -1);
	took = time_mono_ms() - start;
	CU_ASSERT_EQUAL(err.kind, LLM_ERROR_TIMEOUT);
	CU_ASSERT_TRUE(err.err.retryable);
	CU_ASSERT(took >= 900 && took < 3000);
	llm_close(&llm);
}

static void test_circuit_breaker(void)
{
	const struct llm_tuning tuning = {.breaker_failures = 3, .breaker_cooldown_ms = 400};
	struct llm *llm = openai_open_cfg(fake_url, 5, &tuning);
	struct llm_draft d;
	struct llm_error err;
	json_int_t before;
	int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(llm);
	for (i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(draft_mode(llm, "http500", &d, &err), -1);
		CU_ASSERT_EQUAL(err.kind, LLM_ERROR_HTTP);
	}
	/* open: refused without asking the server */
	before = fake_requests();
	CU_ASSERT_EQUAL(draft_mode(llm, "valid", &d, &err), -1);
	CU_ASSERT_EQUAL(err.kind, LLM_ERROR_CIRCUIT);
	CU_ASSERT_TRUE(err.err.retryable);
	CU_ASSERT_EQUAL(fake_requests(), before);
	/* half-open: one trial; it fails, so the circuit opens again at once */
	usleep(450 * 1000);
	CU_ASSERT_EQUAL(draft_mode(llm, "http500", &d, &err), -1);
	CU_ASSERT_EQUAL(err.kind, LLM_ERROR_HTTP);
	CU_ASSERT_EQUAL(draft_mode(llm, "valid", &d, &err), -1);
	CU_ASSERT_EQUAL(err.kind, LLM_ERROR_CIRCUIT);
	/* half-open again: the trial succeeds and closes it */
	usleep(450 * 1000);
	CU_ASSERT_EQUAL(draft_mode(llm, "valid", &d, &err), 1);
	llm_draft_clear(&d);
	CU_ASSERT_EQUAL(draft_mode(llm, "http500", &d, &err), -1);
	CU_ASSERT_EQUAL(err.kind, LLM_ERROR_HTTP); /* closed: one failure does not open it */
	CU_ASSERT_EQUAL(draft_mode(llm, "valid", &d, &err), 1);
	llm_draft_clear(&d);
	llm_close(&llm);
}

static void test_gate_slots(void)
{
	struct openai_gate gate;
	struct llm_error err;

	CU_ASSERT_EQUAL_FATAL(openai_gate_init(&gate, 2, 5, 1000), 0);
	CU_ASSERT_EQUAL(openai_gate_enter(&gate, 50, &err), 0);
	CU_ASSERT_EQUAL(openai_gate_enter(&gate, 50, &err), 0);
	memset(&err, 0, sizeof(err));
	CU_ASSERT_EQUAL(openai_gate_enter(&gate, 50, &err), -1);
	CU_ASSERT_EQUAL(err.kind, LLM_ERROR_BUSY);
	openai_gate_leave(&gate);
	CU_ASSERT_EQUAL(openai_gate_enter(&gate, 50, &err), 0);
	openai_gate_leave(&gate);
	openai_gate_leave(&gate);
	openai_gate_destroy(&gate);
}

struct worker {
	struct llm *llm;
	int result;
};

static void *draft_worker(void *arg)
{
	struct worker *w = arg;
	struct llm_draft d;
	struct llm_error err;

	w->result = draft_mode(w->llm, "valid FAKE_DELAY_MS=150", &d, &err);
	llm_draft_clear(&d);
	return NULL;
}

static void test_in_flight_cap(void)
{
	struct llm *llm = openai_open_cfg(fake_url, 5, NULL); /* max_in_flight 2 */
	struct worker workers[6];
	pthread_t threads[6];
	json_t *j;
	size_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(llm);
	for (i = 0; i < 6; i++) {
		workers[i] = (struct worker){llm, 0};
		CU_ASSERT_EQUAL_FATAL(pthread_create(&threads[i], NULL, draft_worker, &workers[i]),
				      0);
	}
	for (i = 0; i < 6; i++) {
		pthread_join(threads[i], NULL);
		CU_ASSERT_EQUAL(workers[i].result, 1);
	}
	j = fake_call("/_requests", NULL);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "max_in_flight")), 2);
	json_decref(j);
	llm_close(&llm);
}

/* Requests go over kept-alive connections, at most max_in_flight of them,
 * whichever thread sends (each request opened its own before). */
static void test_keep_alive(void)
{
	struct llm *llm = openai_open_cfg(fake_url, 5, NULL); /* max_in_flight 2 */
	struct worker workers[6];
	pthread_t threads[6];
	struct llm_draft d;
	struct llm_error err;
	json_t *j;
	json_int_t before;
	size_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(llm);
	j = fake_call("/_requests", NULL);
	before = json_integer_value(json_object_get(j, "connections"));
	json_decref(j);
	for (i = 0; i < 6; i++) {
		workers[i] = (struct worker){llm, 0};
		CU_ASSERT_EQUAL_FATAL(pthread_create(&threads[i], NULL, draft_worker, &workers[i]),
				      0);
	}
	for (i = 0; i < 6; i++) {
		pthread_join(threads[i], NULL);
		CU_ASSERT_EQUAL(workers[i].result, 1);
	}
	for (i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(draft_mode(llm, "valid", &d, &err), 1);
		llm_draft_clear(&d);
	}
	j = fake_call("/_requests", NULL);
	/* the fake_call()s themselves are one connection each */
	CU_ASSERT(json_integer_value(json_object_get(j, "connections")) - before <= 2 + 1);
	json_decref(j);
	llm_close(&llm);
}

static void test_probe(void)
{
	struct llm_request req = {.categories = cats, .categories_count = 8};
	struct llm_probe probe;
	struct llm *llm = openai_open_cfg(fake_url, 2, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(llm);
	CU_ASSERT_EQUAL(llm_probe(llm, &req, &probe), 0);
	CU_ASSERT_TRUE(probe.reachable);
	CU_ASSERT_TRUE(probe.model_listed);
	CU_ASSERT_TRUE(probe.structured_ok);
	CU_ASSERT_TRUE(probe.auto_reply_ok);

	fake_mode("flat"); /* a server that ignores response_format */
	CU_ASSERT_EQUAL(llm_probe(llm, &req, &probe), 0);
	CU_ASSERT_TRUE(probe.reachable);
	CU_ASSERT_FALSE(probe.structured_ok);
	CU_ASSERT_FALSE(probe.auto_reply_ok);
	CU_ASSERT(strstr(probe.detail, "structured output not honoured: not JSON") != NULL);

	fake_mode("loading503");
	CU_ASSERT_EQUAL(llm_probe(llm, &req, &probe), 0);
	CU_ASSERT_FALSE(probe.auto_reply_ok);
	CU_ASSERT_STRING_EQUAL(probe.detail, "GET /v1/models: HTTP 503");
	fake_mode("valid");
	llm_close(&llm);

	llm = openai_open_cfg("http://127.0.0.1:1", 2, NULL); /* nothing listens there */
	CU_ASSERT_PTR_NOT_NULL_FATAL(llm);
	CU_ASSERT_EQUAL(llm_probe(llm, &req, &probe), 0);
	CU_ASSERT_FALSE(probe.reachable);
	CU_ASSERT_FALSE(probe.auto_reply_ok);
	llm_close(&llm);
}

static void test_schema_matches_file(void)
{
	char path[4096];
	json_t *file, *built;

	snprintf(path, sizeof(path), "%s/schemas/model_output.schema.json", test_src_dir());
	file = json_load_file(path, 0, NULL);
	built = openai_schema(NULL, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(file);
	CU_ASSERT(json_equal(file, built));
	json_decref(file);
	json_decref(built);
}

static void test_open_errors(void)
{
	struct config config;
	struct llm_error err;
	struct llm *llm = NULL;

	memset(&config, 0, sizeof(config));
	config.model.backend = MODEL_BACKEND_OPENAI;
	CU_ASSERT_EQUAL(llm_open(&config, NULL, &llm, &err), -1);
	CU_ASSERT_STRING_EQUAL(error_msg(&err.err), "model.base_url is not set");
	config.model.base_url = "ftp://model";
	CU_ASSERT_EQUAL(llm_open(&config, NULL, &llm, &err), -1);
	CU_ASSERT_EQUAL(err.kind, LLM_ERROR_CONFIG);
	CU_ASSERT_PTR_NULL(llm);
}

static int openai_init(void)
{
	char script[4096], portfile[4096], log[4096], *text = NULL;
	uint64_t port = 0;
	size_t len;
	int i, fd;

	snprintf(script, sizeof(script), "%s/tests/fakes/openai_server.py", test_src_dir());
	snprintf(portfile, sizeof(portfile), "%s.port", test_write_file("llm_openai_fake", ""));
	snprintf(log, sizeof(log), "%s.log", test_write_file("llm_openai_fake", ""));
	unlink(portfile);
	fake_pid = fork();
	if (fake_pid < 0)
		return -1;
	if (fake_pid == 0) {
		fd = open("/dev/null", O_RDONLY);
		dup2(fd, 0);
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 1);
		dup2(fd, 2);
		execl("/usr/bin/python3", "python3", script, "--port", "0", "--port-file", portfile,
		      "--hang-seconds", "4", (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 100 && port == 0; i++) {
		usleep(100 * 1000);
		if (file_read_all(portfile, 64, &text, &len, NULL) == 0) {
			text[strcspn(text, "\n")] = '\0';
			if (parse_u64(text, 65535, &port) < 0)
				port = 0;
			free(text);
		}
		if (waitpid(fake_pid, NULL, WNOHANG) == fake_pid) {
			fake_pid = -1;
			fprintf(stderr, "fake model server exited; see %s\n", log);
			return -1;
		}
	}
	if (port == 0)
		return -1;
	snprintf(fake_url, sizeof(fake_url), "http://127.0.0.1:%u", (unsigned int)port);
	return 0;
}

static int openai_cleanup(void)
{
	if (fake_pid > 0) {
		kill(fake_pid, SIGTERM);
		waitpid(fake_pid, NULL, 0);
		fake_pid = -1;
	}
	return 0;
}

static const struct test_case llm_openai_cases[] = {
	{"valid answer fills the draft; request shape", test_valid_and_request_shape},
	{"logprobs give the confidence", test_logprobs_confidence},
	{"a wrong price is still well-formed", test_wrong_price_passes_schema},
	{"invalid answers: one retry, then a human", test_invalid_answers},
	{"HTTP 500 and 503 loading are retryable errors", test_http_errors},
	{"a hanging server times out", test_timeout},
	{"circuit breaker opens, half-opens, closes", test_circuit_breaker},
	{"request slots are capped", test_gate_slots},
	{"concurrent drafts never exceed max_in_flight", test_in_flight_cap},
	{"requests share max_in_flight kept-alive connections", test_keep_alive},
	{"probe disables auto-reply for a flat server", test_probe},
	{"the sent schema is schemas/model_output.schema.json", test_schema_matches_file},
	{"bad settings are refused at open", test_open_errors},
	{NULL, NULL},
};

TEST_SUITE("llm_openai", openai_init, openai_cleanup, llm_openai_cases)
