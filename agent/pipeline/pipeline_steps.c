/* SPDX-License-Identifier: MIT */
#include "agent/pipeline/pipeline_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/pipeline/steps.h"
#include "agent/pipeline/decide.h"
#include "agent/pipeline/facts.h"
#include "agent/llm/fewshot.h"
#include "agent/text/lang.h"
#include "agent/pipeline/metrics.h"
#include "agent/mime/mime.h"
#include "agent/llm/prompt.h"
#include "agent/screen/screen.h"
#include "agent/guard/trust.h"
#include "connectors/rules/rules.h"
#include "daemon/lib/buf.h"
#include "daemon/lib/log.h"
#include "daemon/mail/mail_compose.h"
#include "daemon/store/store_pipeline.h"
#include "daemon/store/store_auto_limit.h"
#include "daemon/store/store_promotion.h"
#include "daemon/lib/util.h"

#define MAX_FACTS_AGE     900 /* seconds: older facts never go out on their own */
#define SENDER_AUTO_LIMIT 1   /* automatic replies per sender and [agent] auto_reply_period */
#define FEWSHOT_COUNT     3
#define LOOKUP_TEXT_MAX   (128 * 1024)

/* The text keys are extracted from: subject, new text and quoted history
 * (a thread reply often names the part only in the quote). */
static char *run_lookup_text(const struct mime_message *m)
{
	struct buf b;

	buf_init(&b, LOOKUP_TEXT_MAX);
	if (buf_printf(&b, "%s\n%s\n%s", m->subject != NULL ? m->subject : "", m->text, m->quoted) <
	    0) {
		/* over the cap: the head of the text is what matters */
		buf_reset(&b);
		if (buf_append(&b, m->text, strnlen(m->text, LOOKUP_TEXT_MAX)) < 0) {
			buf_free(&b);
			return NULL;
		}
	}
	return buf_steal(&b);
}

static int run_rules(struct agent *agent, struct run *r)
{
	if (rules_step(agent, r->mime, &r->cls, r->facts, r->pm.is_duplicate, &r->rules) < 0)
		return -1;
	r->rules_done = true;
	return 0;
}

/* The category's mode and threshold: the categories table (changes made
 * over the API) wins over the config, which wins over the defaults. */
static int run_category(struct agent *agent, struct store *store, const char *category,
			struct category_settings *s)
{
	const struct category_config *cc = config_category(agent->config, category);
	int r;

	str_copy(s->mode, sizeof(s->mode), "draft");
	s->threshold = 0.9;
	s->audit_sample_rate = 0.1;
	if (cc != NULL) {
		str_copy(s->mode, sizeof(s->mode), category_mode_name(cc->mode));
		s->threshold = cc->threshold;
		s->audit_sample_rate = cc->audit_sample_rate;
	}
	r = store_category_settings(store, category, s);
	return r < 0 ? -1 : 0;
}

/* The Message-ID of an automatic reply: the domain of the mailbox's address. */
static int run_message_id(const char *address, char *out, size_t size)
{
	return mail_message_id_new(address, NULL, out, size);
}

/* The mailbox's spam_header_pattern, else the [agent] one (NULL: none). */
static const char *run_spam_pattern(const struct agent *agent, const char *mailbox)
{
	const struct mailbox_config *mb =
		mailbox != NULL ? config_mailbox(agent->config, mailbox) : NULL;

	if (mb != NULL && mb->spam_header_pattern != NULL)
		return mb->spam_header_pattern;
	return agent->config->agent.spam_header_pattern;
}

/* The draft: 1 drafted, 0 for a human (*human_reason_r says why), -1 with
 * r->err (a retryable model failure included). */
static int run_draft(struct run *r, const char **human_reason_r)
{
	struct agent *agent = r->agent;
	struct store *store = r->store;
	const struct store_job *job = r->job;
	struct error *err = r->err;
	const struct mailbox_config *mb = config_mailbox(agent->config, r->pm.mailbox);
	struct prompt_input pin;
	struct llm_request req;
	struct llm_error lerr;
	struct error perr;
	json_t *fewshot, *draft_facts = NULL;
	uint64_t started;
	int s, ret = -1;

	/* redacted copies only: never another customer's data in a prompt;
	 * no prompt at all for a backend that reads none (issue 14) */
	fewshot = llm_reads_prompt(agent->llm)
			  ? fewshot_examples(store, r->cls.category, FEWSHOT_COUNT)
			  : NULL;
	/* the model and the templates never see other customers' orders, and
	 * see what the mail asks (agent/template/answer.h) */
	draft_facts = facts_for_sender(r->facts, r->mime->from_addr);
	if (draft_facts == NULL || answer_step(agent, r->mime, &r->cls, draft_facts) < 0) {
		error_set(err, "out of memory");
		goto out;
	}
	memset(&pin, 0, sizeof(pin));
	pin.company = mb != NULL ? mb->address : NULL;
	pin.categories = agent->categories;
	pin.categories_count = agent->categories_count;
	pin.category_hint = r->cls.category;
	pin.language = r->cls.language;
	pin.sender = r->mime->from_addr;
	pin.subject = r->mime->subject;
	pin.text = r->mime->text;
	pin.facts = draft_facts;
	pin.notes = r->rules.notes;
	pin.forbidden = r->rules.forbidden_phrases;
	pin.fewshot = fewshot;
	if (llm_reads_prompt(agent->llm) &&
	    prompt_build(&pin, &r->system_prompt, &r->user_prompt) < 0) {
		error_set(err, "building the prompt failed");
		goto out;
	}
	memset(&req, 0, sizeof(req));
	req.categories = agent->categories;
	req.categories_count = agent->categories_count;
	req.language = r->cls.language;
	req.system_prompt = r->system_prompt;
	req.user_prompt = r->user_prompt;
	req.prompt_version =
		agent->config->model.backend == MODEL_BACKEND_OPENAI ? PROMPT_VERSION : NULL;
	req.facts = draft_facts;
	req.category_hint = r->cls.category;
	req.hint_confidence = r->cls.confidence;
	req.hint_source = r->cls.source;
	req.customer_name = r->mime->from_name;
	started = time_mono_ms();
	metrics_model_in_flight(1);
	/* no connection is held while the model thinks (issue 14) */
	if (r->pool != NULL)
		store_pool_put(r->pool, r->storep);
	s = llm_draft(agent->llm, &req, &r->draft, &lerr);
	r->has_draft = s >= 0; /* freed with the run whatever follows */
	metrics_model_in_flight(-1);
	metrics_model_request(time_mono_ms() - started, s > 0 && !r->draft.needs_human);
	if (r->pool != NULL) {
		r->store = NULL;
		if (store_pool_get(r->pool, r->storep, &perr) < 0) {
			error_set_retryable(err, "%s", error_msg(&perr));
			goto out;
		}
		r->store = *r->storep;
	}
	if (s < 0) {
		/* A server that is down or loading: retry the job later, and on
		 * the last attempt hand the message to a human, never lose it. */
		if (lerr.err.retryable && job->attempts < (int)agent->config->agent.max_attempts) {
			error_set_retryable(err, "model: %s", error_msg(&lerr.err));
			goto out;
		}
		*human_reason_r = "the model could not draft a reply";
		json_object_set_new(r->record, "model_error", json_string(error_msg(&lerr.err)));
		ret = 0;
		goto out;
	}
	r->has_draft = true;
	ret = 1;
out:
	json_decref(fewshot);
	json_decref(draft_facts);
	return ret;
}

/* Replies go to the sender only: a Reply-To elsewhere needs a human, and
 * for a suspected injection not even the Reply-To is trusted. */
static void run_fill_draft(struct agent *agent, struct run *r, const struct category_settings *cs)
{
	struct pipeline_result *res = &r->result;

	res->has_draft = true;
	res->message_state = "drafted";
	res->category = r->cls.category;
	/* the model may name another category: the classifier's stays the
	 * record, the model's goes into the pipeline record for reviewers */
	if (r->draft.category != NULL && strcmp(r->draft.category, r->cls.category) != 0)
		json_object_set_new(r->record, "model_category", json_string(r->draft.category));
	res->confidence = agent->config->model.backend == MODEL_BACKEND_OPENAI ? r->draft.confidence
									       : r->cls.confidence;
	res->confidence_source = llm_confidence_source_name(
		agent->config->model.backend == MODEL_BACKEND_OPENAI ? r->draft.confidence_source
								     : r->cls.source);
	/* A reply keeps the customer's subject (the sender adds one "Re:"), so
	 * it threads in every mail client; the model's own subject is only used
	 * when the mail had none. */
	res->subject = guard_reply_subject(r->mime, &r->draft);
	res->body = r->draft.body;
	/* Reply-To, unless the mail is a suspected injection; any recipient but
	 * From is a built-in never-auto flag (agent/guard/trust.h) */
	res->recipient = trust_recipient(r->mime, r->cls.injection);
	res->model = r->draft.model;
	res->prompt_version = r->draft.prompt_version;
	res->facts = r->facts;
	res->rule_hits = r->rules.fired;
	res->guardrail_flags = r->flags;
	res->notes = r->rules.notes;
	res->decision_reasons = r->decision.reasons;
	res->decision = decision_name(r->decision.decision);
	res->status = r->decision.decision == DECIDE_AUTO ? "approved" : "pending";
	(void)cs;
}

/* 1. The ingested row: gone, a duplicate, screened at ingest or kept as
 * headers only (oversized) ends the run here. */
enum step step_message(struct run *r)
{
	int s = store_pipeline_message(r->store, r->job->message_id, MIME_PARSED_VERSION, &r->pm);

	if (s < 0)
		return run_fail(r, "%s", store_error(r->store));
	if (s == 0)
		return run_no_draft(r, PIPELINE_SKIPPED, "message not found");
	if (r->pm.is_duplicate || r->pm.screen_reason != NULL)
		return run_no_draft(r, PIPELINE_SKIPPED,
				    r->pm.is_duplicate ? "duplicate" : r->pm.screen_reason);
	if (!r->pm.has_raw)
		return run_no_draft(r, PIPELINE_HUMAN, "oversized: headers only");
	return STEP_GO;
}

/* The message as ingest parsed it, when that parse is usable (same parser
 * version and limits): 1 with r->mime, 0 not usable, -1 out of memory. */
static int run_stored_parse(struct run *r, const struct mime_limits *limits)
{
	if (r->pm.parsed == NULL)
		return 0;
	return mime_message_from_json(r->pm.parsed, r->pm.parsed_len, limits, &r->mime);
}

/* 2. MIME, bounded (a crossed limit goes to a human), then screening with
 * the mailbox's spam verdict pattern, which ingest does not know. The parse
 * is ingest's when it stored a usable one (issue 14: parsed once); raw,
 * the source of truth, is parsed otherwise. */
enum step step_screen(struct run *r)
{
	struct mime_limits limits;
	struct screen_result screen;
	struct screen_options sopt;
	struct error why;
	int s;

	mime_limits_from_config(r->agent->config, &limits);
	s = run_stored_parse(r, &limits);
	if (s < 0)
		return run_fail(r, "reading the stored parse: out of memory");
	if (s == 0) {
		s = store_pipeline_raw(r->store, &r->pm);
		if (s < 0)
			return run_fail(r, "%s", store_error(r->store));
		if (s == 0)
			return run_no_draft(r, PIPELINE_SKIPPED, "message not found");
		if (mime_parse(r->pm.raw, r->pm.raw_len, &limits, &r->mime, &why) < 0) {
			if (r->mime == NULL)
				return run_fail(r, "parsing the message: out of memory");
			return run_no_draft(r, PIPELINE_HUMAN, error_msg(&why));
		}
	}
	sopt.spam_header_pattern = run_spam_pattern(r->agent, r->pm.mailbox);
	if (screen_message_with(r->mime, &sopt, &screen) == 1)
		return run_no_draft(
			r, screen.action == SCREEN_SKIP ? PIPELINE_SKIPPED : PIPELINE_HUMAN,
			screen.code);
	return STEP_GO;
}

/* 3. The category, its confidence and language; the injection scan. */
enum step step_classify(struct run *r)
{
	if (classify_step(r->agent, r->mime, &r->cls) < 0)
		return run_fail(r, "classification failed");
	r->result.language = r->cls.language;
	json_object_set_new(r->record, "classification", classify_outcome_json(&r->cls));
	return STEP_GO;
}

/* 4. The keys the mail mentions, looked up in the connectors. */
enum step step_lookup(struct run *r)
{
	r->lookup_text = run_lookup_text(r->mime);
	if (r->lookup_text == NULL)
		return run_fail(r, "out of memory");
	r->facts_found = facts_gather(r->agent->facts, r->lookup_text, &r->facts, &r->keys);
	if (r->facts_found < 0)
		return run_fail(r, "looking up facts failed");
	json_object_set(r->record, "keys", r->keys);
	return STEP_GO;
}

/* 5. The rules; then the category a rule, or a reviewer's correction
 * (reject with a category, which wins over both), sets; whether the mail
 * may be of another category whose rules would hold it; its settings. */
enum step step_rules(struct run *r)
{
	struct decide_input *din = &r->din;
	int doubtful;

	if (run_rules(r->agent, r) < 0)
		return run_fail(r, "evaluating rules failed");
	json_object_set_new(r->record, "rules", rules_result_json(&r->rules));
	if (r->rules.category != NULL) {
		classify_outcome_override(&r->cls, r->rules.category);
		json_object_set_new(r->record, "category_set_by_rule",
				    json_string(r->rules.category));
	}
	if (r->pm.forced_category != NULL) {
		classify_outcome_override(&r->cls, r->pm.forced_category);
		json_object_set_new(r->record, "category_set_by_reviewer",
				    json_string(r->pm.forced_category));
	}
	/* the mail may be of another category whose rules would hold it */
	doubtful = doubt_step(r->agent, r->mime, &r->cls, r->facts, &r->rules, r->doubt,
			      sizeof(r->doubt));
	if (doubtful < 0)
		return run_fail(r, "out of memory");
	if (doubtful > 0)
		json_object_set_new(r->record, "category_doubt", json_string(r->doubt));
	if (run_category(r->agent, r->store, r->cls.category, &r->cs) < 0)
		return run_fail(r, "%s", store_error(r->store));
	memset(din, 0, sizeof(*din));
	din->category = r->cls.category;
	din->rules_skip = r->rules.outcome == RULES_SKIP;
	din->rules_require_human = r->rules.outcome == RULES_REQUIRE_HUMAN;
	din->never_auto = r->rules.never_auto;
	din->facts_unknown = r->rules.facts_unknown || r->facts_found == 0;
	din->mode = r->cs.mode;
	din->threshold = r->cs.threshold;
	din->injection = r->cls.injection;
	din->max_facts_age = MAX_FACTS_AGE;
	din->sender_auto_limit = SENDER_AUTO_LIMIT;
	din->auto_disabled = !r->agent->auto_ok;
	din->reviewer_category = r->pm.forced_category != NULL;
	din->category_doubt = r->doubt[0] != '\0' ? r->doubt : NULL;
	return STEP_GO;
}

/* 5b. Decide early when no draft is needed: a rule said skip, no category
 * fits, or the category is off. */
enum step step_undrafted(struct run *r)
{
	if (!r->din.rules_skip && strcmp(r->cls.category, "none") != 0 &&
	    strcmp(r->cs.mode, "off") != 0)
		return STEP_GO;
	if (decide(&r->din, &r->decision) < 0)
		return run_fail(r, "out of memory");
	json_object_set(r->record, "decision_reasons", r->decision.reasons);
	return run_no_draft(r,
			    r->decision.decision == DECIDE_SKIP ? PIPELINE_SKIPPED : PIPELINE_HUMAN,
			    json_string_value(json_array_get(r->decision.reasons, 0)));
}

/* 6. The draft from the model backend; a model that cannot draft hands
 * the message to a human (after the last retry). */
enum step step_draft(struct run *r)
{
	const char *human_reason = NULL;
	int s = run_draft(r, &human_reason);

	if (s < 0) {
		r->ret = -1;
		return STEP_STOP;
	}
	if (s == 0)
		return run_no_draft(r, PIPELINE_HUMAN, human_reason);
	return STEP_GO;
}

/* 7. The guardrails: the draft against the facts and rules. */
enum step step_guard(struct run *r)
{
	r->flags = guard_step(r->agent, r->pm.mailbox, r->mime, &r->cls, &r->draft, r->facts,
			      r->rules.forbidden_phrases);
	if (r->flags == NULL)
		return run_fail(r, "guardrail check failed");
	return STEP_GO;
}

/* 8. Decide: confidence, flags, the facts' age, the loop and flood limits
 * (Sieve vacation style) and the kill switch. */
enum step step_decide(struct run *r)
{
	struct agent *agent = r->agent;
	struct decide_input *din = &r->din;
	struct auto_recent recent;
	long long oldest = facts_oldest(r->facts);
	int s;

	din->facts_age = oldest > 0 ? (long long)time(NULL) - oldest : 0;
	din->confidence = agent->config->model.backend == MODEL_BACKEND_OPENAI ? r->draft.confidence
									       : r->cls.confidence;
	din->guard_flags = (unsigned int)json_array_size(r->flags);
	din->needs_human = r->draft.needs_human;
	/* read here for the reasons a reviewer sees; they decide again inside
	 * the transaction that would queue the reply (store_auto_limit_tx()) */
	memset(&recent, 0, sizeof(recent));
	s = 1;
	/* Only auto and shadow act on them: in draft mode the answer cannot
	 * change the decision, so the history is not read (issue 14). */
	if ((strcmp(r->cs.mode, "auto") == 0 || strcmp(r->cs.mode, "shadow") == 0) &&
	    (store_auto_recent(r->store, trust_recipient(r->mime, r->cls.injection),
			       r->mime->from_addr, r->job->message_id,
			       agent->config->agent.auto_reply_period, &recent) < 0 ||
	     (s = store_auto_enabled(r->store)) < 0))
		return run_fail(r, "%s", store_error(r->store));
	din->sender_recent_auto = recent.to_sender;
	din->thread_recent_auto = recent.in_thread;
	din->hourly_auto = recent.last_hour;
	din->hourly_cap = agent->config->agent.auto_hourly_cap;
	if (s == 0)
		din->auto_disabled = true;
	if (decide(din, &r->decision) < 0)
		return run_fail(r, "out of memory");
	return STEP_GO;
}

/* Stores the draft and, for an automatic reply, queues it under the
 * limits the store checks again. */
enum step step_store(struct run *r)
{
	struct agent *agent = r->agent;
	enum step st;

	run_fill_draft(agent, r, &r->cs);
	if (r->decision.would_auto || strcmp(r->cs.mode, "shadow") == 0) {
		r->result.shadow = json_pack("{s:b, s:O}", "would_auto", r->decision.would_auto,
					     "reasons", r->decision.reasons);
	}
	if (r->decision.decision == DECIDE_AUTO) {
		const struct mailbox_config *mb = config_mailbox(agent->config, r->pm.mailbox);

		if (run_message_id(mb != NULL ? mb->address : NULL, r->outbox_id,
				   sizeof(r->outbox_id)) < 0) {
			json_decref(r->result.shadow);
			return run_fail(r, "no randomness for a Message-ID");
		}
		r->result.outbox_message_id = r->outbox_id;
		r->result.sample_rate = r->cs.audit_sample_rate;
		memset(&r->limit, 0, sizeof(r->limit));
		r->limit.message_id = r->job->message_id;
		r->limit.recipient = r->result.recipient;
		r->limit.sender = r->mime->from_addr;
		r->limit.period_s = agent->config->agent.auto_reply_period;
		r->limit.sender_limit = SENDER_AUTO_LIMIT;
		r->limit.hourly_cap = agent->config->agent.auto_hourly_cap;
		r->result.auto_limit = &r->limit;
	}
	json_object_set_new(r->record, "decision", json_string(r->result.decision));
	st = run_finish(r, r->decision.decision == DECIDE_AUTO ? PIPELINE_AUTO : PIPELINE_DRAFTED);
	json_decref(r->result.shadow);
	return st;
}
