/* SPDX-License-Identifier: MIT */
#include "agent/pipeline/pipeline.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/pipeline/pipeline_int.h"
#include "daemon/lib/log.h"
#include "daemon/lib/util.h"

static const char *const outcome_names[] = {"drafted", "auto-replied", "skipped", "for a human",
					    "lost (lease expired)"};

const char *pipeline_outcome_name(enum pipeline_outcome outcome)
{
	return (unsigned int)outcome < ARRAY_SIZE(outcome_names) ? outcome_names[outcome]
								 : "failed";
}

static void run_free(struct run *r)
{
	pipeline_message_clear(&r->pm);
	mime_message_free(&r->mime);
	classify_outcome_clear(&r->cls);
	json_decref(r->facts);
	json_decref(r->keys);
	if (r->rules_done)
		rules_result_free(&r->rules);
	if (r->has_draft)
		llm_draft_clear(&r->draft);
	json_decref(r->flags);
	json_decref(r->decision.reasons);
	json_decref(r->record);
	free(r->system_prompt);
	free(r->user_prompt);
	free(r->lookup_text);
}

/* Ends the run as failed with error; STEP_STOP. */
enum step __attribute__((format(printf, 2, 3))) run_fail(struct run *r, const char *fmt, ...)
{
	char msg[ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	error_set(r->err, "%s", msg);
	r->ret = -1;
	return STEP_STOP;
}

/* Stores r->result; maps "lease lost" to PIPELINE_LOST. STEP_STOP. */
enum step run_finish(struct run *r, enum pipeline_outcome outcome)
{
	int64_t draft_id = 0;
	int s;

	r->result.record = r->record;
	s = store_pipeline_finish(r->store, r->job, r->job->message_id, &r->result, &draft_id);
	if (s < 0)
		return run_fail(r, "%s", store_error(r->store));
	if (outcome == PIPELINE_AUTO && r->result.held_back != NULL) {
		log_info_kv("automatic reply held back", "reason=%s", r->result.held_back);
		outcome = PIPELINE_DRAFTED;
	}
	*r->outcome_r = s == 0 ? PIPELINE_LOST : outcome;
	if (draft_id > 0)
		log_ctx_setf("draft_id", "%lld", (long long)draft_id);
	r->ret = 0;
	return STEP_STOP;
}

/* Ends the run without a draft: skipped or for a human, with one reason. */
enum step run_no_draft(struct run *r, enum pipeline_outcome outcome, const char *reason)
{
	json_object_set_new(r->record, "outcome", json_string(pipeline_outcome_name(outcome)));
	json_object_set_new(r->record, "reason", json_string(reason));
	r->result.message_state = outcome == PIPELINE_SKIPPED ? "skipped" : "human";
	r->result.has_draft = false;
	return run_finish(r, outcome);
}

/* The design's steps (DESIGN.md "pipeline"), in order; each one goes on or
 * ends the run. */
static enum step (*const pipeline_steps[])(struct run *r) = {
	step_message,   /* 1. the ingested row */
	step_screen,    /* 2. MIME and screening */
	step_classify,  /* 3. classify */
	step_lookup,    /* 4. look up */
	step_rules,     /* 5. rules */
	step_undrafted, /* 5b. no draft needed: decide now */
	step_draft,     /* 6. draft */
	step_guard,     /* 7. guardrails */
	step_decide,    /* 8. decide */
	step_store,     /*    store, queue an automatic reply */
};

int pipeline_run(struct agent *agent, struct store *store, const struct store_job *job,
		 enum pipeline_outcome *outcome_r, struct error *err)
{
	return pipeline_run_lent(agent, &store, NULL, job, outcome_r, err);
}

int pipeline_run_lent(struct agent *agent, struct store **storep, struct store_pool *pool,
		      const struct store_job *job, enum pipeline_outcome *outcome_r,
		      struct error *err)
{
	struct run r;
	size_t i;

	memset(&r, 0, sizeof(r));
	r.agent = agent;
	r.store = *storep;
	r.storep = storep;
	r.pool = pool;
	r.job = job;
	r.outcome_r = outcome_r;
	r.err = err;
	r.ret = -1;
	r.record = json_object();
	if (r.record == NULL) {
		run_fail(&r, "out of memory");
		goto out;
	}
	for (i = 0; i < ARRAY_SIZE(pipeline_steps); i++) {
		if (pipeline_steps[i](&r) == STEP_STOP)
			break;
	}
out:
	run_free(&r);
	return r.ret;
}
