/* SPDX-License-Identifier: MIT */
#include "agent/llm/llm.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config/config.h"
#include "daemon/lib/log.h"
#include "daemon/lib/util.h"

/* Adding a backend: one file exporting its ops, one line here. */
static const struct llm_backend_ops *const llm_backends[] = {
	&llm_backend_builtin,
	&llm_backend_openai,
};

const struct llm_backend_ops *llm_backend_find(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < ARRAY_SIZE(llm_backends); i++) {
		if (strcmp(llm_backends[i]->name, name) == 0)
			return llm_backends[i];
	}
	return NULL;
}

int llm_error_set(struct llm_error *err, enum llm_error_kind kind, long http_status,
		  const char *fmt, ...)
{
	char msg[ERROR_MAX];
	bool retryable;
	va_list ap;

	switch (kind) {
	case LLM_ERROR_TRANSPORT:
	case LLM_ERROR_TIMEOUT:
	case LLM_ERROR_LOADING:
	case LLM_ERROR_BUSY:
	case LLM_ERROR_CIRCUIT:
		retryable = true;
		break;
	case LLM_ERROR_HTTP:
		retryable = http_status >= 500 || http_status == 429;
		break;
	default:
		retryable = false;
		break;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err->kind = kind;
	err->http_status = http_status;
	if (retryable)
		error_set_retryable(&err->err, "%s", msg);
	else
		error_set(&err->err, "%s", msg);
	return -1;
}

void llm_version_hash(const void *data, size_t len, char out[17])
{
	const unsigned char *p = data;
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

int llm_open_name(const char *name, const struct config *config, const struct llm_tuning *tuning,
		  struct llm **llm_r, struct llm_error *err)
{
	const struct llm_backend_ops *ops = llm_backend_find(name);
	struct llm *llm = NULL;
	int ret = -1;

	memset(err, 0, sizeof(*err));
	*llm_r = NULL;
	if (ops == NULL) {
		llm_error_set(err, LLM_ERROR_CONFIG, 0, "unknown model backend \"%s\"",
			      name != NULL ? name : "");
		goto out;
	}
	llm = calloc(1, sizeof(*llm));
	if (llm == NULL) {
		llm_error_set(err, LLM_ERROR_INTERNAL, 0, "out of memory");
		goto out;
	}
	llm->ops = ops;
	if (ops->open(config, tuning, &llm->priv, err) < 0)
		goto out;
	*llm_r = llm;
	llm = NULL;
	ret = 0;
out:
	free(llm);
	return ret;
}

int llm_open(const struct config *config, const struct llm_tuning *tuning, struct llm **llm_r,
	     struct llm_error *err)
{
	const char *name = config->model.backend == MODEL_BACKEND_OPENAI ? "openai" : "builtin";

	return llm_open_name(name, config, tuning, llm_r, err);
}

int llm_probe(struct llm *llm, const struct llm_request *req, struct llm_probe *probe_r)
{
	int ret;

	memset(probe_r, 0, sizeof(*probe_r));
	ret = llm->ops->probe(llm->priv, req, probe_r);
	if (ret < 0)
		log_error_kv("model probe failed", "backend=%s detail=%s", llm->ops->name,
			     probe_r->detail);
	else if (!probe_r->auto_reply_ok)
		log_warn_kv("model probe: automatic replies must stay disabled",
			    "backend=%s reachable=%d structured=%d detail=%s", llm->ops->name,
			    probe_r->reachable, probe_r->structured_ok, probe_r->detail);
	else
		log_info_kv("model probe ok", "backend=%s model_listed=%d", llm->ops->name,
			    probe_r->model_listed);
	return ret;
}

bool llm_reads_prompt(const struct llm *llm)
{
	return llm->ops->reads_prompt;
}

int llm_draft(struct llm *llm, const struct llm_request *req, struct llm_draft *draft_r,
	      struct llm_error *err)
{
	int ret;

	memset(err, 0, sizeof(*err));
	memset(draft_r, 0, sizeof(*draft_r));
	ret = llm->ops->draft(llm->priv, req, draft_r, err);
	if (ret < 0)
		draft_output_clear(draft_r);
	return ret;
}

void llm_draft_clear(struct llm_draft *draft)
{
	draft_output_clear(draft);
}

void llm_close(struct llm **llm)
{
	if (llm == NULL || *llm == NULL)
		return;
	(*llm)->ops->close((*llm)->priv);
	free(*llm);
	*llm = NULL;
}
