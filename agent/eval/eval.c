/* SPDX-License-Identifier: MIT */
/* `draftd eval`: one labelled mail through the pipeline's steps, as
 * pipeline_run() takes them but without the store (no few-shot examples,
 * every category in auto mode with threshold 0, no sender limits), so the
 * per-draft gates alone decide what would go out on its own. */
#include "agent/eval/eval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/classify/bayes.h"
#include "agent/pipeline/decide.h"
#include "agent/eval/eval_int.h"
#include "agent/pipeline/facts.h"
#include "agent/mime/mime.h"
#include "agent/screen/screen.h"
#include "agent/pipeline/steps.h"
#include "connectors/rules/rules.h"
#include "daemon/lib/buf.h"
#include "daemon/lib/util.h"

#define EVAL_MAIL_MAX   (64u * 1024 * 1024)
#define EVAL_LABELS_MAX (16u * 1024 * 1024)
#define EVAL_LOOKUP_MAX (128 * 1024)

void eval_free(struct eval_set **setp)
{
	struct eval_set *set = *setp;
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->count; i++)
		free(set->mails[i].raw);
	free(set->mails);
	json_decref(set->labels);
	free(set->dir);
	free(set);
	*setp = NULL;
}

size_t eval_count(const struct eval_set *set)
{
	return set->count;
}

static int eval_by_file(const void *a, const void *b)
{
	const struct eval_mail *x = a, *y = b;

	return strcmp(x->file, y->file);
}

int eval_load(const char *dir, struct eval_set **set_r, struct error *err)
{
	struct eval_set *set = calloc(1, sizeof(*set));
	char path[4096], *text = NULL;
	const char *file;
	json_error_t jerr;
	const json_t *l;
	size_t len, i;
	int ret = -1;

	if (set == NULL || (set->dir = strdup(dir)) == NULL) {
		error_set(err, "out of memory");
		goto out;
	}
	snprintf(path, sizeof(path), "%s/labels.json", dir);
	if (file_read_all(path, EVAL_LABELS_MAX, &text, &len, err) < 0) {
		error_prefix(err, path);
		goto out;
	}
	set->labels = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_array(set->labels)) {
		error_set(err, "%s:%d: %s", path, jerr.line,
			  set->labels == NULL ? jerr.text : "not a list of labels");
		goto out;
	}
	set->mails = calloc(json_array_size(set->labels) + 1, sizeof(*set->mails));
	if (set->mails == NULL) {
		error_set(err, "out of memory");
		goto out;
	}
	json_array_foreach(set->labels, i, l)
	{
		file = json_string_value(json_object_get(l, "file"));
		if (file == NULL || strchr(file, '/') != NULL || file[0] == '.' ||
		    !json_is_string(json_object_get(l, "category"))) {
			error_set(err,
				  "%s: label %zu needs a plain \"file\" and a "
				  "\"category\"",
				  path, i + 1);
			goto out;
		}
		snprintf(path, sizeof(path), "%s/mail/%s", dir, file);
		set->mails[set->count].file = file;
		set->mails[set->count].label = l;
		if (file_read_all(path, EVAL_MAIL_MAX, &set->mails[set->count].raw,
				  &set->mails[set->count].len, err) < 0) {
			error_prefix(err, path);
			goto out;
		}
		set->count++;
	}
	/* name order: what a mailbox delivered in that order would see */
	qsort(set->mails, set->count, sizeof(*set->mails), eval_by_file);
	*set_r = set;
	set = NULL;
	ret = 0;
out:
	free(text);
	eval_free(&set);
	return ret;
}

/* A redelivery: same Message-ID, sender and new text as an earlier mail. */
static bool eval_duplicate(struct eval_set *set, size_t idx, const struct mime_message *m)
{
	size_t i;

	for (i = 0; i < idx; i++) {
		const struct eval_mail *e = &set->mails[i];

		if (e->message_id[0] != '\0' && m->message_id != NULL &&
		    strcmp(e->message_id, m->message_id) == 0 &&
		    e->text_hash == set->mails[idx].text_hash)
			return true;
	}
	return false;
}

static unsigned long long eval_hash(const char *s)
{
	unsigned long long h = 1469598103934665603ull;

	for (; s != NULL && *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

void eval_outcome_clear(struct eval_outcome *o)
{
	json_decref(o->flags);
	json_decref(o->keys);
	json_decref(o->notes);
	json_decref(o->scores);
	free(o->body);
	memset(o, 0, sizeof(*o));
}

void eval_outcomes_free(struct eval_outcome *o, size_t count)
{
	size_t i;

	for (i = 0; o != NULL && i < count; i++)
		eval_outcome_clear(&o[i]);
	free(o);
}

/* The guard flags: names into o->flags, counts of figure and content ones. */
static void eval_flags(struct eval_outcome *o, const json_t *flags)
{
	const json_t *f;
	const char *name;
	size_t i;

	json_array_foreach(flags, i, f)
	{
		name = json_string_value(json_object_get(f, "flag"));
		if (name == NULL)
			continue;
		json_array_append_new(o->flags,
				      json_pack("{s:s, s:s?}", "flag", name, "detail",
						json_string_value(json_object_get(f, "detail"))));
		if (strncmp(name, "wrong_", 6) == 0 || strncmp(name, "unknown_", 8) == 0)
			o->figure_flags++;
		if (strcmp(name, "empty_section") == 0 ||
		    strcmp(name, "unsupported_promise") == 0 ||
		    strcmp(name, "echoes_customer") == 0 || strcmp(name, "language_fallback") == 0)
			o->content_flags++;
	}
}

/* Drafts, checks and decides a classified, looked-up message. */
static int eval_draft(struct agent *agent, struct eval_run_ctx *x, struct eval_outcome *o)
{
	struct llm_request req;
	struct llm_draft draft;
	struct llm_error lerr;
	struct decide_input din;
	struct decide_result dres;
	json_t *draft_facts = NULL, *flags = NULL;
	int ret = -1;

	memset(&draft, 0, sizeof(draft));
	memset(&dres, 0, sizeof(dres));
	draft_facts = facts_for_sender(x->facts, x->mime->from_addr);
	if (draft_facts == NULL || answer_step(agent, x->mime, &x->cls, draft_facts) < 0)
		goto out;
	memset(&req, 0, sizeof(req));
	req.categories = agent->categories;
	req.categories_count = agent->categories_count;
	req.language = x->cls.language;
	req.facts = draft_facts;
	req.category_hint = x->cls.category;
	req.hint_confidence = x->cls.confidence;
	req.hint_source = x->cls.source;
	req.customer_name = x->mime->from_name;
	if (llm_draft(agent->llm, &req, &draft, &lerr) < 0) {
		o->outcome = "human";
		ret = 0;
		goto out;
	}
	flags = guard_step(agent, NULL, x->mime, &x->cls, &draft, x->facts,
			   x->rules.forbidden_phrases);
	if (flags == NULL)
		goto out;
	eval_flags(o, flags);
	memset(&din, 0, sizeof(din));
	din.category = x->cls.category;
	din.rules_require_human = x->rules.outcome == RULES_REQUIRE_HUMAN;
	din.never_auto = x->rules.never_auto;
	din.facts_unknown = x->rules.facts_unknown || x->facts_known == 0;
	din.mode = "auto";
	din.threshold = 0;
	din.confidence = x->cls.confidence;
	din.injection = x->cls.injection;
	din.guard_flags = (unsigned int)json_array_size(flags);
	din.needs_human = draft.needs_human;
	din.category_doubt = o->doubt[0] != '\0' ? o->doubt : NULL;
	din.max_facts_age = 900;
	din.sender_auto_limit = 1;
	if (decide(&din, &dres) < 0)
		goto out;
	o->outcome = dres.decision == DECIDE_AUTO ? "auto" : "draft";
	o->body = strdup(draft.body != NULL ? draft.body : "");
	str_copy(o->reply_lang, sizeof(o->reply_lang),
		 draft.language != NULL ? draft.language : x->cls.language);
	ret = 0;
out:
	json_decref(dres.reasons);
	json_decref(flags);
	json_decref(draft_facts);
	llm_draft_clear(&draft);
	return ret;
}

static char *eval_lookup_text(const struct mime_message *m)
{
	struct buf b;

	buf_init(&b, EVAL_LOOKUP_MAX);
	if (buf_printf(&b, "%s\n%s\n%s", m->subject != NULL ? m->subject : "", m->text, m->quoted) <
	    0) {
		buf_reset(&b);
		if (buf_append(&b, m->text, strnlen(m->text, EVAL_LOOKUP_MAX)) < 0) {
			buf_free(&b);
			return NULL;
		}
	}
	return buf_steal(&b);
}

/* One mail through the steps. Returns 0 with o filled, -1 out of memory. */
int eval_one(struct agent *agent, struct eval_set *set, size_t idx, struct eval_outcome *o)
{
	struct eval_mail *mail = &set->mails[idx];
	struct eval_run_ctx x;
	struct mime_limits limits;
	struct screen_result screen;
	char *lookup = NULL;
	int ret = -1;

	memset(&x, 0, sizeof(x));
	memset(o, 0, sizeof(*o));
	o->flags = json_array();
	if (o->flags == NULL)
		return -1;
	str_copy(o->category, sizeof(o->category), "none");
	o->outcome = "skip";
	mime_limits_default(&limits);
	if (mime_parse(mail->raw, mail->len, &limits, &x.mime, NULL) < 0) {
		if (x.mime == NULL)
			goto out;
		o->outcome = "human";
		ret = 0;
		goto out;
	}
	str_copy(mail->message_id, sizeof(mail->message_id),
		 x.mime->message_id != NULL ? x.mime->message_id : "");
	mail->text_hash = eval_hash(x.mime->text) ^ eval_hash(x.mime->from_addr);
	if (eval_duplicate(set, idx, x.mime)) {
		o->duplicate = true;
		o->rules_outcome = "skip";
		ret = 0;
		goto out;
	}
	if (screen_message(x.mime, &screen) == 1) {
		o->outcome = screen.action == SCREEN_SKIP ? "skip" : "human";
		o->rules_outcome = "skip";
		ret = 0;
		goto out;
	}
	if (classify_step(agent, x.mime, &x.cls) < 0)
		goto out;
	o->classified = true;
	o->injection = x.cls.injection;
	o->confidence = x.cls.confidence;
	o->scores = json_incref(x.cls.scores);
	lookup = eval_lookup_text(x.mime);
	if (lookup == NULL)
		goto out;
	x.facts_known = facts_gather(agent->facts, lookup, &x.facts, &o->keys);
	if (x.facts_known < 0)
		goto out;
	if (rules_step(agent, x.mime, &x.cls, x.facts, false, &x.rules) < 0)
		goto out;
	x.rules_done = true;
	if (x.rules.category != NULL)
		classify_outcome_override(&x.cls, x.rules.category);
	str_copy(o->category, sizeof(o->category), x.cls.category);
	if (doubt_step(agent, x.mime, &x.cls, x.facts, &x.rules, o->doubt, sizeof(o->doubt)) < 0)
		goto out;
	o->rules_outcome = rules_outcome_name(x.rules.outcome);
	o->rules_never_auto = x.rules.never_auto;
	o->notes = json_incref(x.rules.notes);
	if (x.rules.outcome == RULES_SKIP || strcmp(x.cls.category, "none") == 0) {
		o->outcome = "skip";
		ret = 0;
		goto out;
	}
	ret = eval_draft(agent, &x, o);
out:
	free(lookup);
	if (x.rules_done)
		rules_result_free(&x.rules);
	json_decref(x.facts);
	classify_outcome_clear(&x.cls);
	mime_message_free(&x.mime);
	if (ret < 0)
		eval_outcome_clear(o);
	return ret;
}

/* Trains Bayes on every mail not in fold k (subject and new text, as
 * reviewers' decisions train it in the store). NULL when out of memory. */
struct bayes_model *eval_train(struct eval_set *set, unsigned folds, unsigned k)
{
	struct bayes_example *ex = calloc(set->count + 1, sizeof(*ex));
	struct bayes_model *model = NULL;
	char **texts = calloc(set->count + 1, sizeof(*texts));
	struct mime_limits limits;
	struct mime_message *m;
	size_t i, n = 0;

	if (ex == NULL || texts == NULL)
		goto out;
	mime_limits_default(&limits);
	for (i = 0; i < set->count; i++) {
		if (i % folds == k)
			continue;
		m = NULL;
		if (mime_parse(set->mails[i].raw, set->mails[i].len, &limits, &m, NULL) < 0 ||
		    asprintf(&texts[n], "%s\n%s", m->subject != NULL ? m->subject : "", m->text) <
			    0) {
			texts[n] = NULL;
			mime_message_free(&m);
			continue;
		}
		ex[n].text = texts[n];
		ex[n].category =
			json_string_value(json_object_get(set->mails[i].label, "category"));
		n++;
		mime_message_free(&m);
	}
	if (bayes_train(ex, n, &model, NULL) < 0)
		model = NULL;
out:
	for (i = 0; texts != NULL && i < set->count; i++)
		free(texts[i]);
	free(texts);
	free(ex);
	return model;
}
