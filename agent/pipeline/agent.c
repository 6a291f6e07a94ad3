/* SPDX-License-Identifier: MIT */
#include "agent/pipeline/agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/classify/bayes.h"
#include "agent/classify/classify.h"
#include "agent/pipeline/facts.h"
#include "connectors/rules/rules.h"
#include "daemon/store/store_pipeline.h"
#include "daemon/lib/log.h"
#include "daemon/lib/util.h"

/* The category names the model may answer with, "none" last: the
 * classifier's set, so both speak of the same categories. */
static int agent_categories(struct agent *a, struct error *err)
{
	const struct config *c = a->config;
	size_t i, n;

	/* the built-in eight stay unless the config says otherwise; none always exists */
	if (classify_set_new(c->categories, c->categories_count, c->agent.builtin_categories,
			     &a->classes, err) < 0)
		return -1;
	n = classify_set_count(a->classes);
	a->categories = calloc(n, sizeof(*a->categories));
	if (a->categories == NULL) {
		error_set(err, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++)
		a->categories[i] = classify_set_name(a->classes, i);
	a->categories_count = n;
	return 0;
}

static void agent_free(struct agent *a)
{
	facts_close(&a->facts);
	rules_free(&a->rules);
	llm_close(&a->llm);
	bayes_free(&a->bayes);
	classify_set_free(&a->classes);
	free(a->categories);
	config_unref(&a->config);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

int agent_open(struct config *config, struct agent **agent_r, struct error *err)
{
	struct llm_request probe_req;
	struct llm_tuning tuning;
	struct llm_error lerr;
	struct agent *a;
	int ret = -1;

	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		error_set(err, "out of memory");
		return -1;
	}
	pthread_mutex_init(&a->lock, NULL);
	a->refcount = 1;
	a->config = config_ref(config);
	if (agent_categories(a, err) < 0) {
		error_prefix(err, "categories");
		goto out;
	}
	if (facts_open(config, &a->facts, err) < 0) {
		error_prefix(err, "connectors");
		goto out;
	}
	if (config->agent.rules_file != NULL &&
	    rules_load_file(config->agent.rules_file, &a->rules, err) < 0) {
		char what[ERROR_MAX];

		snprintf(what, sizeof(what), "rules %s", config->agent.rules_file);
		error_prefix(err, what);
		goto out;
	}
	memset(&tuning, 0, sizeof(tuning));
	tuning.breaker_failures = config->model.breaker_failures;
	tuning.breaker_cooldown_ms = config->model.breaker_cooldown * 1000;
	tuning.connect_timeout_ms = config->model.connect_timeout * 1000;
	tuning.max_reply_bytes = config->model.max_reply_size;
	tuning.invalid_retries = 1;
	if (llm_open(config, &tuning, &a->llm, &lerr) < 0) {
		error_set(err, "model backend: %s", error_msg(&lerr.err));
		goto out;
	}
	memset(&probe_req, 0, sizeof(probe_req));
	probe_req.categories = a->categories;
	probe_req.categories_count = a->categories_count;
	if (llm_probe(a->llm, &probe_req, &a->probe) < 0) {
		error_set(err, "model probe failed");
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

int agent_retrain(struct agent *agent, struct store *store)
{
	struct bayes_example *examples = NULL;
	struct bayes_model *model = NULL;
	json_t *rows = store_classifier_examples(store, BAYES_EXAMPLES_MAX);
	const json_t *e;
	struct error why;
	size_t i, n = 0;
	int ret = -1;

	if (rows == NULL) {
		log_error("classifier: %s", store_error(store));
		return -1;
	}
	examples = calloc(json_array_size(rows) + 1, sizeof(*examples));
	if (examples == NULL)
		goto out;
	json_array_foreach(rows, i, e)
	{
		examples[n].text = json_string_value(json_object_get(e, "text"));
		examples[n].category = json_string_value(json_object_get(e, "category"));
		if (examples[n].text != NULL && examples[n].category != NULL)
			n++;
	}
	if (bayes_train(examples, n, &model, &why) < 0) {
		log_error("classifier training failed: %s", error_msg(&why));
		goto out;
	}
	agent_set_bayes(agent, model);
	log_debug("classifier trained on %zu reviewer decisions", n);
	ret = (int)n;
out:
	free(examples);
	json_decref(rows);
	return ret;
}

int agent_retrain_due(struct agent *agent, struct store *store, uint64_t now_ms)
{
	uint64_t generation;

	if (agent->retrain_checked &&
	    now_ms - agent->retrain_checked_ms < (uint64_t)AGENT_RETRAIN_SECS * 1000)
		return 0;
	agent->retrain_checked = true;
	agent->retrain_checked_ms = now_ms;
	if (store_classifier_generation(store, &generation) < 0) {
		log_error("classifier: %s", store_error(store));
		return -1;
	}
	if (agent->trained_known && generation == agent->trained_generation)
		return 0;
	/* the examples are read after the generation: a decision made between
	 * the two is in this model and causes one more retrain, never none */
	if (agent_retrain(agent, store) < 0)
		return -1;
	agent->trained_generation = generation;
	agent->trained_known = true;
	return 1;
}

json_t *agent_probe_json(const struct agent *agent)
{
	const struct config *c = agent->config;

	return json_pack(
		"{s:s, s:s, s:b, s:b, s:b, s:s}", "backend",
		c->model.backend == MODEL_BACKEND_OPENAI ? "openai" : "builtin", "model",
		c->model.backend == MODEL_BACKEND_OPENAI && c->model.model != NULL ? c->model.model
										   : "builtin",
		"auto_reply_ok", agent->auto_ok, "reachable", agent->probe.reachable,
		"structured_ok", agent->probe.structured_ok, "detail", agent->probe.detail);
}
