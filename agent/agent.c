#include "agent/agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/bayes.h"
#include "agent/facts.h"
#include "connectors/rules.h"
#include "daemon/log.h"
#include "daemon/util.h"

/* The categories draftd knows without configuration: the corpus's eight. */
static const char *const default_categories[] = {
	"stock_inquiry",  "order_status", "quote_request", "return_request",
	"address_change", "invoice_copy", "complaint",     "other",
};

static int agent_categories(struct agent *a)
{
	const struct config *c = a->config;
	size_t i,
		n = c->categories_count > 0 ? c->categories_count : ARRAY_SIZE(default_categories);

	a->categories = calloc(n + 1, sizeof(*a->categories));
	if (a->categories == NULL)
		return -1;
	for (i = 0; i < n; i++)
		a->categories[i] =
			c->categories_count > 0 ? c->categories[i].name : default_categories[i];
	a->categories[n] = "none";
	a->categories_count = n + 1;
	return 0;
}

static void agent_free(struct agent *a)
{
	facts_close(&a->facts);
	rules_free(&a->rules);
	llm_close(&a->llm);
	bayes_free(&a->bayes);
	free(a->categories);
	config_unref(&a->config);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

int agent_open(struct config *config, struct agent **agent_r, char *error, size_t error_size)
{
	struct llm_request probe_req;
	struct llm_tuning tuning;
	struct llm_error lerr;
	struct agent *a;
	char why[512];
	int ret = -1;

	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		snprintf(error, error_size, "out of memory");
		return -1;
	}
	pthread_mutex_init(&a->lock, NULL);
	a->refcount = 1;
	a->config = config_ref(config);
	if (agent_categories(a) < 0) {
		snprintf(error, error_size, "out of memory");
		goto out;
	}
	if (facts_open(config, &a->facts, why, sizeof(why)) < 0) {
		snprintf(error, error_size, "connectors: %s", why);
		goto out;
	}
	if (config->agent.rules_file != NULL &&
	    rules_load_file(config->agent.rules_file, &a->rules, why, sizeof(why)) < 0) {
		snprintf(error, error_size, "rules %s: %s", config->agent.rules_file, why);
		goto out;
	}
	memset(&tuning, 0, sizeof(tuning));
	tuning.breaker_failures = config->model.breaker_failures;
	tuning.breaker_cooldown_ms = config->model.breaker_cooldown * 1000;
	tuning.connect_timeout_ms = config->model.connect_timeout * 1000;
	tuning.max_reply_bytes = config->model.max_reply_size;
	tuning.invalid_retries = 1;
	if (llm_open(config, &tuning, &a->llm, &lerr) < 0) {
		snprintf(error, error_size, "model backend: %s", lerr.message);
		goto out;
	}
	memset(&probe_req, 0, sizeof(probe_req));
	probe_req.categories = a->categories;
	probe_req.categories_count = a->categories_count;
	if (llm_probe(a->llm, &probe_req, &a->probe) < 0) {
		snprintf(error, error_size, "model probe failed");
		goto out;
	}
	a->auto_ok = a->probe.auto_reply_ok;
	if (!a->auto_ok)
		log_warn("model backend failed its probe (%s): automatic replies are disabled",
			 a->probe.detail);
	*agent_r = a;
	a = NULL;
	ret = 0;
out:
	if (a != NULL)
		agent_free(a);
	return ret;
}

struct agent *agent_ref(struct agent *agent)
{
	__atomic_add_fetch(&agent->refcount, 1, __ATOMIC_SEQ_CST);
	return agent;
}

void agent_unref(struct agent **agent)
{
	if (*agent == NULL)
		return;
	if (__atomic_sub_fetch(&(*agent)->refcount, 1, __ATOMIC_SEQ_CST) == 0)
		agent_free(*agent);
	*agent = NULL;
}

void agent_set_bayes(struct agent *agent, struct bayes_model *model)
{
	struct bayes_model *old;

	pthread_mutex_lock(&agent->lock);
	old = agent->bayes;
	agent->bayes = model;
	pthread_mutex_unlock(&agent->lock);
	bayes_free(&old);
}
