/* SPDX-License-Identifier: MIT */
/* `draftd eval`: the two passes over a labelled folder (keywords alone,
 * keywords and Bayes over k folds) and the metrics against the labels. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/classify/bayes.h"
#include "agent/eval/eval_int.h"
#include "daemon/lib/util.h"

/* The default threshold of a category ([category] threshold): the eval runs
 * every category in auto at 0 and also counts what a 0.9 would have let out. */
#define EVAL_THRESHOLD 0.9

static const char *eval_label(const struct eval_mail *m, const char *field)
{
	const char *v = json_string_value(json_object_get(m->label, field));

	return v != NULL ? v : "";
}

static json_t *eval_ratio(size_t hit, size_t total)
{
	return json_pack("{s:I, s:I, s:f}", "correct", (json_int_t)hit, "total", (json_int_t)total,
			 "rate", total > 0 ? (double)hit / (double)total : 1.0);
}

/* The action a careful policy takes, as labels.json names it. */
static const char *eval_action(const struct eval_outcome *o)
{
	if (o->duplicate || o->rules_outcome == NULL || strcmp(o->rules_outcome, "skip") == 0 ||
	    strcmp(o->outcome, "skip") == 0)
		return "skip";
	return strcmp(o->rules_outcome, "require_human") == 0 ? "require_human" : "draft";
}

/* Whether the keys found are exactly the labelled ones of kind. */
static bool eval_keys_exact(const struct eval_outcome *o, const json_t *label, const char *lkey,
			    const char *kind, size_t *want_r, size_t *found_r, size_t *extra_r)
{
	const json_t *want = json_object_get(label, lkey);
	const json_t *got = json_object_get(o->keys, kind), *w, *g;
	size_t i, k;
	bool in, exact = true;

	json_array_foreach(want, i, w)
	{
		in = false;
		json_array_foreach(got, k, g)
		{
			in |= json_equal((json_t *)w, (json_t *)g);
		}
		(*want_r)++;
		*found_r += in;
		exact &= in;
	}
	json_array_foreach(got, k, g)
	{
		in = false;
		json_array_foreach(want, i, w)
		{
			in |= json_equal((json_t *)w, (json_t *)g);
		}
		*extra_r += !in;
		exact &= in;
	}
	return exact;
}

static void eval_note(json_t *list, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void eval_note(json_t *list, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	json_array_append_new(list, json_string(line));
}

/* The Bayes model's own choice for one mail (argmax of scores.bayes), or
 * NULL when it was not consulted. */
static const char *eval_bayes_choice(const struct eval_outcome *o)
{
	const json_t *nb = json_object_get(o->scores, "bayes"), *v;
	const char *k, *best = NULL;
	double max = -1;

	json_object_foreach((json_t *)nb, k, v)
	{
		if (json_number_value(v) > max) {
			max = json_number_value(v);
			best = k;
		}
	}
	return best;
}

/* How the classifier combined keywords and Bayes, per rule
 * (classify_blend.h), the Bayes model's own accuracy, and the drafts held
 * because the category was in doubt. Added to a pass's metrics. */
static int eval_blend_metrics(const struct eval_set *set, const struct eval_outcome *o, json_t *out)
{
	static const char *const rules[] = {"keywords", "agree", "disagree", "overruled",
					    "bayes_alone"};
	size_t counts[5] = {0}, nb_ok = 0, nb_n = 0, doubt = 0, i, k;
	const char *rule, *choice;
	json_t *blend = json_object();

	if (blend == NULL)
		return -1;
	for (i = 0; i < set->count; i++) {
		if (!o[i].classified || o[i].duplicate)
			continue;
		rule = json_string_value(
			json_object_get(json_object_get(o[i].scores, "blend"), "rule"));
		for (k = 0; k < 5; k++)
			counts[k] += strcmp(rule != NULL ? rule : "keywords", rules[k]) == 0;
		choice = eval_bayes_choice(&o[i]);
		if (choice != NULL) {
			nb_n++;
			nb_ok += strcmp(choice, eval_label(&set->mails[i], "category")) == 0;
		}
		doubt += o[i].doubt[0] != '\0' && strcmp(o[i].outcome, "skip") != 0;
	}
	for (k = 0; k < 5; k++)
		json_object_set_new(blend, rules[k], json_integer((json_int_t)counts[k]));
	json_object_set_new(out, "blend", blend);
	json_object_set_new(out, "bayes_alone", eval_ratio(nb_ok, nb_n));
	json_object_set_new(out, "category_doubt", json_integer((json_int_t)doubt));
	return 0;
}

/* The metrics of one pass. */
static json_t *eval_metrics(const struct eval_set *set, const struct eval_outcome *o)
{
	size_t na_auto90 = 0, auto90 = 0, cat_ok = 0, cat_n = 0, dr_ok = 0, dr_n = 0, noise_ok = 0,
	       noise_n = 0, act_ok = 0, act_n = 0, na_n = 0, na_auto = 0, autos = 0, inj_n = 0,
	       inj_flag = 0, inj_auto = 0, keys_exact = 0, keys_n = 0, kw = 0, kf = 0, kx = 0,
	       drafts = 0, fig = 0, content = 0, lang_ok = 0, i;
	json_t *wrong = json_array(), *actions = json_array(), *sent = json_array(),
	       *figures = json_array(), *out;
	const struct eval_mail *m;
	const char *lc, *la;
	bool drafted;

	if (wrong == NULL || actions == NULL || sent == NULL || figures == NULL)
		goto fail;
	for (i = 0; i < set->count; i++) {
		m = &set->mails[i];
		lc = eval_label(m, "category");
		la = eval_label(m, "action");
		drafted = strcmp(o[i].outcome, "draft") == 0 || strcmp(o[i].outcome, "auto") == 0;
		if (!o[i].duplicate) {
			cat_n++;
			if (strcmp(o[i].category, lc) == 0)
				cat_ok++;
			else
				eval_note(wrong, "%s: %s, labelled %s", m->file, o[i].category, lc);
		}
		if (strcmp(lc, "none") == 0) {
			noise_n++;
			noise_ok += strcmp(o[i].outcome, "skip") == 0;
		} else if (!o[i].duplicate && strcmp(la, "skip") != 0) {
			dr_n++;
			dr_ok += drafted;
		}
		if (la[0] != '\0') {
			act_n++;
			if (strcmp(eval_action(&o[i]), la) == 0)
				act_ok++;
			else
				eval_note(actions, "%s: %s, labelled %s", m->file,
					  eval_action(&o[i]), la);
		}
		/* the default category threshold is 0.9: what would go out then */
		if (strcmp(o[i].outcome, "auto") == 0) {
			autos++;
			auto90 += o[i].confidence >= EVAL_THRESHOLD;
		}
		if (json_is_true(json_object_get(m->label, "never_auto"))) {
			na_n++;
			if (strcmp(o[i].outcome, "auto") == 0) {
				na_auto++;
				na_auto90 += o[i].confidence >= EVAL_THRESHOLD;
				eval_note(sent, "%s (confidence %.2f)", m->file, o[i].confidence);
			}
		}
		if (json_is_true(json_object_get(m->label, "injection"))) {
			inj_n++;
			inj_flag += o[i].injection;
			inj_auto += strcmp(o[i].outcome, "auto") == 0;
		}
		if (!o[i].duplicate && o[i].classified) {
			size_t before = kw + kf + kx;
			bool e1 = eval_keys_exact(&o[i], m->label, "skus", "sku", &kw, &kf, &kx);
			bool e2 =
				eval_keys_exact(&o[i], m->label, "orders", "order", &kw, &kf, &kx);

			(void)before;
			keys_n++;
			keys_exact += e1 && e2;
		}
		if (drafted) {
			drafts++;
			if (o[i].figure_flags > 0) {
				fig++;
				eval_note(figures, "%s", m->file);
			}
			content += o[i].content_flags > 0;
			lang_ok += strcmp(o[i].reply_lang, eval_label(m, "language")) == 0 ||
				   eval_label(m, "language")[0] == '\0';
		}
	}
	out = json_pack(
		"{s:o, s:o, s:o, s:o, s:{s:I, s:I, s:I, s:o}, s:I, s:I, s:{s:I, s:I, s:I},"
		" s:{s:I, s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:I, s:o}, s:I, s:o}",
		"category", eval_ratio(cat_ok, cat_n), "drafted", eval_ratio(dr_ok, dr_n),
		"noise_skipped", eval_ratio(noise_ok, noise_n), "rules", eval_ratio(act_ok, act_n),
		"never_auto", "total", (json_int_t)na_n, "auto_sent", (json_int_t)na_auto,
		"auto_sent_at_threshold", (json_int_t)na_auto90, "files", sent, "auto_sent",
		(json_int_t)autos, "auto_sent_at_threshold", (json_int_t)auto90, "injection",
		"total", (json_int_t)inj_n, "flagged", (json_int_t)inj_flag, "auto_sent",
		(json_int_t)inj_auto, "keys", "mails", (json_int_t)keys_n, "exact",
		(json_int_t)keys_exact, "labelled", (json_int_t)kw, "found", (json_int_t)kf,
		"extra", (json_int_t)kx, "figures", "drafts", (json_int_t)drafts, "unsupported",
		(json_int_t)fig, "content_flagged", (json_int_t)content, "files", figures,
		"language_right", (json_int_t)lang_ok, "language", eval_ratio(lang_ok, drafts));
	if (out == NULL)
		goto fail;
	json_object_set_new(json_object_get(out, "category"), "wrong", wrong);
	json_object_set_new(json_object_get(out, "rules"), "wrong", actions);
	if (eval_blend_metrics(set, o, out) < 0) {
		json_decref(out);
		return NULL;
	}
	return out;
fail:
	json_decref(wrong);
	json_decref(actions);
	json_decref(sent);
	json_decref(figures);
	return NULL;
}

static json_t *eval_detail(const struct eval_set *set, const struct eval_outcome *kw,
			   const struct eval_outcome *nb)
{
	json_t *list = json_array(), *d;
	size_t i;

	for (i = 0; list != NULL && i < set->count; i++) {
		d = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:O, s:s, s:O?, s:s?, s:O?, s:O?, s:s?, "
			      "s:s?}",
			      "file", set->mails[i].file, "label",
			      eval_label(&set->mails[i], "category"), "category", kw[i].category,
			      "outcome", kw[i].outcome, "rules", kw[i].rules_outcome, "flags",
			      kw[i].flags, "category_bayes",
			      nb != NULL ? nb[i].category : kw[i].category, "keys", kw[i].keys,
			      "body", kw[i].body, "scores", kw[i].scores, "scores_bayes",
			      nb != NULL ? nb[i].scores : NULL, "doubt",
			      kw[i].doubt[0] != '\0' ? kw[i].doubt : NULL, "doubt_bayes",
			      nb != NULL && nb[i].doubt[0] != '\0' ? nb[i].doubt : NULL);
		if (d == NULL || json_array_append_new(list, d) < 0) {
			json_decref(list);
			return NULL;
		}
	}
	return list;
}

json_t *eval_run(struct agent *agent, struct eval_set *set, unsigned folds)
{
	struct eval_outcome *kw = calloc(set->count + 1, sizeof(*kw));
	struct eval_outcome *nb = calloc(set->count + 1, sizeof(*nb));
	struct bayes_model *model;
	json_t *report = NULL;
	size_t i, ready = 0;
	unsigned k;

	if (kw == NULL || nb == NULL)
		goto out;
	agent_set_bayes(agent, NULL);
	for (i = 0; i < set->count; i++) {
		if (eval_one(agent, set, i, &kw[i]) < 0)
			goto out;
	}
	if (folds < 2 || set->count < folds)
		folds = 0;
	for (k = 0; k < folds; k++) {
		model = eval_train(set, folds, k);
		ready += bayes_ready(model) ? 1 : 0;
		agent_set_bayes(agent, model);
		for (i = k; i < set->count; i += folds) {
			if (eval_one(agent, set, i, &nb[i]) < 0)
				goto out;
		}
	}
	agent_set_bayes(agent, NULL);
	report = json_pack("{s:s, s:I, s:I, s:I, s:o, s:o*, s:o}", "dir", set->dir, "mails",
			   (json_int_t)set->count, "folds", (json_int_t)folds, "bayes_folds_ready",
			   (json_int_t)ready, "keywords", eval_metrics(set, kw), "keywords_bayes",
			   folds > 0 ? eval_metrics(set, nb) : NULL, "mails_detail",
			   eval_detail(set, kw, folds > 0 ? nb : NULL));
out:
	agent_set_bayes(agent, NULL);
	eval_outcomes_free(kw, set->count);
	eval_outcomes_free(nb, set->count);
	return report;
}
