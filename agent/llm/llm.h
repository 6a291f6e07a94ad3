/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_LLM_H
#define DRAFTD_LLM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "agent/llm/draft_output.h"
#include "daemon/lib/error.h"

/* The model client: one ops struct per backend (builtin templates, any
 * OpenAI-compatible server) and a registry, so the pipeline asks for a draft
 * without knowing which backend answers. Only agent/llm/llm.c calls through the
 * ops. Every backend fills the same struct llm_draft. */

struct config;

/* What went wrong with a request; kind decides whether the job is retried. */
enum llm_error_kind {
	LLM_ERROR_NONE = 0,
	LLM_ERROR_CONFIG,    /* bad settings: not retryable */
	LLM_ERROR_TRANSPORT, /* connect refused, reset, ...: retryable */
	LLM_ERROR_TIMEOUT,   /* connect or total timeout: retryable */
	LLM_ERROR_HTTP,      /* an HTTP status other than 200: retryable when 5xx or 429 */
	LLM_ERROR_LOADING,   /* 503 while the server loads its model: retryable */
	LLM_ERROR_BUSY,      /* no free request slot within the timeout: retryable */
	LLM_ERROR_CIRCUIT,   /* the circuit breaker is open: retryable later */
	LLM_ERROR_INVALID,   /* the answer failed validation (also: truncated, oversize) */
	LLM_ERROR_INTERNAL,  /* out of memory, template error, ... */
};

/* The one error convention (struct error: the message and whether a later
 * try may succeed) beside what the model client adds: the kind and the
 * HTTP status. */
struct llm_error {
	enum llm_error_kind kind;
	long http_status; /* 0 when there was no HTTP answer */
	struct error err;
};

/* Knobs without a config key yet; zero fields take the defaults below. */
struct llm_tuning {
	unsigned int breaker_failures;    /* consecutive failures that open it: 5 */
	unsigned int breaker_cooldown_ms; /* how long it stays open: 30000 */
	unsigned int connect_timeout_ms;  /* default: min(timeout, 5 s) */
	size_t max_reply_bytes;           /* HTTP reply body cap: 256 KiB */
	unsigned int invalid_retries;     /* extra tries after an invalid answer: 1 */
};

#define LLM_DEFAULT_BREAKER_FAILURES    5
#define LLM_DEFAULT_BREAKER_COOLDOWN_MS 30000
#define LLM_DEFAULT_MAX_REPLY_BYTES     (256 * 1024)

/* One message's input. Every pointer is borrowed for the duration of the call. */
struct llm_request {
	const char *const *categories; /* the allowed categories, in config order */
	size_t categories_count;
	const char *language;       /* "en", "de", ... or NULL when unknown */
	const char *system_prompt;  /* built by agent/llm/prompt.c */
	const char *user_prompt;    /* idem: the delimited, untrusted email text + facts */
	const char *prompt_version; /* NULL: the openai backend hashes the system prompt */
	const json_t *facts;        /* {"inventory":[{...}], "order":[{...}], ...} or NULL */
	const char *category_hint;  /* the classifier's answer (the builtin backend drafts it) */
	double hint_confidence;
	enum llm_confidence_source hint_source;
	const char *customer_name; /* or NULL */
};

/* The start-up probe's verdict. auto_reply_ok is false when the server
 * cannot be reached or ignores the requested output shape: auto-reply must
 * then stay disabled, drafts still go to reviewers. */
struct llm_probe {
	bool reachable;
	bool model_listed; /* the configured model is in GET /v1/models */
	bool structured_ok;
	bool auto_reply_ok;
	char detail[256];
};

struct llm_backend_ops {
	const char *name;
	/* Whether draft() reads the prompts (the builtin templates do not:
	 * the pipeline then builds none, nor reads few-shot examples). */
	bool reads_prompt;
	/* Returns 0 with *priv_r set, or -1 with err filled. */
	int (*open)(const struct config *config, const struct llm_tuning *tuning, void **priv_r,
		    struct llm_error *err);
	/* Returns 0 with probe_r filled (even for a failing server), -1 on internal error. */
	int (*probe)(void *priv, const struct llm_request *req, struct llm_probe *probe_r);
	/* Returns 1 with *draft_r filled, or -1 with err filled. Thread-safe. */
	int (*draft)(void *priv, const struct llm_request *req, struct llm_draft *draft_r,
		     struct llm_error *err);
	void (*close)(void *priv);
};

struct llm {
	const struct llm_backend_ops *ops;
	void *priv;
};

extern const struct llm_backend_ops llm_backend_builtin;
extern const struct llm_backend_ops llm_backend_openai;

/* The backend registered under name, or NULL. */
const struct llm_backend_ops *llm_backend_find(const char *name);

/* Opens the backend selected by config->model.backend; tuning may be NULL.
 * Returns 0 with a new handle in *llm_r, or -1 with err filled. */
int llm_open(const struct config *config, const struct llm_tuning *tuning, struct llm **llm_r,
	     struct llm_error *err) __attribute__((warn_unused_result));
/* Like llm_open() for a backend chosen by name ("builtin", "openai"). */
int llm_open_name(const char *name, const struct config *config, const struct llm_tuning *tuning,
		  struct llm **llm_r, struct llm_error *err) __attribute__((warn_unused_result));

/* Checks that the backend answers in the requested shape and logs the
 * verdict. req supplies the categories (its prompts are not used). Returns 0
 * with *probe_r filled, -1 on internal error. */
int llm_probe(struct llm *llm, const struct llm_request *req, struct llm_probe *probe_r);

/* Whether llm's backend reads llm_request's prompts. */
bool llm_reads_prompt(const struct llm *llm);

/* Drafts a reply. Returns 1 with *draft_r filled (free with
 * llm_draft_clear(); needs_human may be set with a reason, e.g. after an
 * answer failed validation twice), or -1 with err filled and *draft_r zeroed.
 * Thread-safe: workers share one handle. */
int llm_draft(struct llm *llm, const struct llm_request *req, struct llm_draft *draft_r,
	      struct llm_error *err) __attribute__((warn_unused_result));

void llm_draft_clear(struct llm_draft *draft);

/* Closes the backend, frees the handle and clears *llm; NULL is fine. */
void llm_close(struct llm **llm);

/* Fills err (formatting message) and returns -1, for backends. */
int llm_error_set(struct llm_error *err, enum llm_error_kind kind, long http_status,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* A short stable hex digest (FNV-1a 64) of data, for prompt and template
 * versions: out must hold 17 bytes. */
void llm_version_hash(const void *data, size_t len, char out[17]);

#endif
