/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_AGENT_H
#define DRAFTD_AGENT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/llm/llm.h"
#include "daemon/config/config.h"
#include "daemon/lib/error.h"

/* Everything the pipeline needs, built from one config: connectors, rules,
 * the model backend and its probe verdict, the category list, and the naive
 * Bayes model learnt from reviewers (swapped as it is retrained). Built
 * whole or not at all, so a SIGHUP with a broken rules file keeps the old
 * agent. Reference-counted: a worker holds a reference for one job. */

struct facts_sources;
struct rules_set;
struct bayes_model;
struct classify_set;

struct agent {
	struct config *config;
	struct facts_sources *facts;
	struct rules_set *rules; /* NULL when no rules_file is configured */
	struct llm *llm;
	struct llm_probe probe;
	bool auto_ok; /* the backend answered its probe in the requested shape */
	struct classify_set *classes;
	const char **categories; /* names, "none" last; point into config or statics */
	size_t categories_count;

	pthread_mutex_t lock;
	struct bayes_model *bayes; /* guarded by lock; replaced, never changed */
	int refcount;              /* atomic */

	/* agent_retrain_due()'s: one thread at a time (worker 0) */
	bool retrain_checked; /* retrain_checked_ms is set */
	uint64_t retrain_checked_ms;
	bool trained_known;          /* trained_generation is the model's */
	uint64_t trained_generation; /* store_classifier_generation() before training */
};

/* Builds an agent for config (takes a config reference). Returns 0, or -1
 * with what failed in error. */
int agent_open(struct config *config, struct agent **agent_r, struct error *err)
	__attribute__((warn_unused_result));
struct agent *agent_ref(struct agent *agent);
/* Drops a reference, frees on the last one, clears *agent. NULL is fine. */
void agent_unref(struct agent **agent);

/* Swaps in a newly trained model (takes ownership) and frees the old one.
 * Readers use agent->bayes only while holding agent->lock (a prediction is
 * microseconds), so the old model is never freed under a reader. */
void agent_set_bayes(struct agent *agent, struct bayes_model *model);

struct store;
/* The probe verdict as recorded for /stats: {"backend","model",
 * "auto_reply_ok","reachable","structured_ok","detail"} (new reference). */
json_t *agent_probe_json(const struct agent *agent);

/* Retrains the classifier's naive Bayes model from the reviewer decisions in
 * store and swaps it in. Returns the number of examples used, or -1. */
int agent_retrain(struct agent *agent, struct store *store);

/* How often worker 0 looks for new reviewer decisions (issue 14). */
#define AGENT_RETRAIN_SECS 300
/* Retrains when the reviewer decisions changed since agent's model was
 * trained (the examples' generation moved) or agent has none yet; at the
 * first call on agent, then once AGENT_RETRAIN_SECS after the last look
 * (now_ms: time_mono_ms()), so a decision reaches the model at most that
 * long after it was made. Returns 1 retrained, 0 not due or nothing
 * changed (only the generation was read, a few rows), -1 error (logged;
 * the next look is AGENT_RETRAIN_SECS later). One caller at a time per
 * agent (worker 0). */
int agent_retrain_due(struct agent *agent, struct store *store, uint64_t now_ms);

#endif
