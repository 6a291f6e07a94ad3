/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_PIPELINE_INT_H
#define DRAFTD_PIPELINE_INT_H

#include <jansson.h>
#include <stdbool.h>

#include "agent/pipeline/pipeline.h"
#include "agent/pipeline/steps.h"
#include "agent/pipeline/decide.h"
#include "agent/mime/mime.h"
#include "connectors/rules/rules.h"
#include "daemon/store/store_pipeline.h"
#include "daemon/store/store_auto_limit.h"

/* Shared between pipeline.c (the run: its state, how it ends, the step
 * table walked by pipeline_run()) and pipeline_steps.c (the design's
 * numbered steps, one function each). */

/* Everything one run builds, freed together, and what its steps hand on. */
struct run {
	/* the run's inputs */
	struct agent *agent;
	struct store *store;
	/* with pool, the caller's connection: given back around the model
	 * call and borrowed again after it (pipeline_run_lent()) */
	struct store **storep;
	struct store_pool *pool;
	const struct store_job *job;
	/* what the steps build */
	struct pipeline_message pm;
	struct mime_message *mime;
	struct classify_outcome cls;
	json_t *facts, *keys;
	int facts_found; /* facts_gather(): 1 when any key was looked up and found */
	struct rules_result rules;
	bool rules_done;
	char doubt[256]; /* "" or why the category is in doubt (doubt_step()) */
	struct category_settings cs;
	struct decide_input din;
	struct llm_draft draft;
	bool has_draft;
	json_t *flags;
	struct decide_result decision;
	json_t *record;
	char *system_prompt, *user_prompt, *lookup_text;
	char outbox_id[160];
	struct auto_limit limit;
	struct pipeline_result result;
	/* how it ended: ret 0 with *outcome_r, or -1 with err */
	enum pipeline_outcome *outcome_r;
	struct error *err;
	int ret;
};

/* What a step says: go on with the next one, or stop: the run has ended,
 * with its outcome stored (ret 0) or failed (ret -1, error set). */
enum step { STEP_STOP = 0, STEP_GO = 1 };

/* Ends the run as failed with error; STEP_STOP. */
enum step __attribute__((format(printf, 2, 3))) run_fail(struct run *r, const char *fmt, ...);
/* Stores r->result; maps "lease lost" to PIPELINE_LOST. STEP_STOP. */
enum step run_finish(struct run *r, enum pipeline_outcome outcome);
/* Ends the run without a draft: skipped or for a human, with one reason. */
enum step run_no_draft(struct run *r, enum pipeline_outcome outcome, const char *reason);

/* The design's steps (DESIGN.md "pipeline"), in pipeline_steps.c; each one
 * goes on or ends the run. */
enum step step_message(struct run *r);   /* 1. the ingested row */
enum step step_screen(struct run *r);    /* 2. MIME and screening */
enum step step_classify(struct run *r);  /* 3. classify */
enum step step_lookup(struct run *r);    /* 4. look up */
enum step step_rules(struct run *r);     /* 5. rules */
enum step step_undrafted(struct run *r); /* 5b. no draft needed: decide now */
enum step step_draft(struct run *r);     /* 6. draft */
enum step step_guard(struct run *r);     /* 7. guardrails */
enum step step_decide(struct run *r);    /* 8. decide */
enum step step_store(struct run *r);     /*    store, queue an automatic reply */

#endif
