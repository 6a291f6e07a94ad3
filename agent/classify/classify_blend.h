/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_CLASSIFY_BLEND_H
#define DRAFTD_CLASSIFY_BLEND_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* How the keyword classifier and the naive Bayes model are combined
 * (agent/classify/classify_blend.c). The keyword lists are written by
 * people and hold on mail nobody trained on; Bayes learns from reviewers'
 * confirmed categories and is only as good as its examples of the
 * categories in question. So Bayes earns a say per category, by that
 * category's examples, not by the model's total:
 *
 * - it speaks about a category only once it holds CLASSIFY_BAYES_CLASS_MIN
 *   confirmed examples of it, and a disagreement counts only when it holds
 *   that many of both categories (a model that never saw the keywords'
 *   category has no opinion about it);
 * - its weight is n / (n + CLASSIFY_BAYES_HALF), at most CLASSIFY_BAYES_MAX,
 *   with n the examples of the (less known) category in question;
 * - agreeing, it may raise the confidence, never lower it;
 * - disagreeing, the confidence drops to at most CLASSIFY_DISAGREE_CAP,
 *   below any sane auto threshold, so a disagreement is never sent on its
 *   own; the keywords keep the category unless Bayes holds
 *   CLASSIFY_BAYES_OVERRULE_MIN examples of both categories and its choice
 *   leads the blend by CLASSIFY_BAYES_MARGIN;
 * - with no keyword matched, Bayes chooses (if it knows its choice) with a
 *   confidence of at most its weight, so at most CLASSIFY_BAYES_MAX.
 *
 * The numbers are reasoned, not fitted: the labelled sets in the repository
 * give a model a handful of examples per category, far below every
 * threshold here (README.md, "draftd eval"). The overrule minimum is the
 * figure spam filters settled on before a Bayes score is used at all
 * (SpamAssassin's bayes_min_ham_num / bayes_min_spam_num, 200). */

#define CLASSIFY_BAYES_CLASS_MIN    30
#define CLASSIFY_BAYES_HALF         100.0
#define CLASSIFY_BAYES_MAX          0.8
#define CLASSIFY_BAYES_OVERRULE_MIN 200
#define CLASSIFY_BAYES_MARGIN       0.2
#define CLASSIFY_DISAGREE_CAP       0.4

enum classify_blend_rule {
	CLASSIFY_BLEND_KEYWORDS = 0, /* Bayes absent, not ready, or without a say here */
	CLASSIFY_BLEND_AGREE,        /* both chose best; Bayes may raise the confidence */
	CLASSIFY_BLEND_DISAGREE,     /* keywords kept best, Bayes chose rival: capped */
	CLASSIFY_BLEND_OVERRULED,    /* Bayes chose best over the keywords' rival: capped */
	CLASSIFY_BLEND_BAYES_ALONE,  /* no keyword matched; Bayes chose best */
};

struct classify_blend_input {
	size_t count;            /* categories, > 0 */
	const double *keyword_p; /* [count]: softmax over the keyword scores */
	bool keywords_any;       /* some keyword or pattern matched */
	size_t keyword_best;     /* the keywords' choice, or the fallback ("other") */
	const double *bayes_p;   /* [count]: the posterior, or NULL (no ready model) */
	const size_t *examples;  /* [count]: the model's examples per category, or NULL */
};

struct classify_blend {
	enum classify_blend_rule rule;
	size_t best;
	/* the other category of a disagreement or overrule (== best otherwise):
	 * the mail may be that, and the pipeline checks that category's rules
	 * too before anything is sent on its own */
	size_t rival;
	double confidence; /* 0..1 */
	double weight;     /* Bayes' weight in the blend, 0 when it had no say */
};

/* Bayes' weight for a category it holds examples of: 0 below
 * CLASSIFY_BAYES_CLASS_MIN, then n / (n + HALF), at most MAX. */
double classify_bayes_weight(size_t examples);

/* Combines keywords and Bayes for one message by the rules above; p_r
 * [count] receives the distribution the confidence was read from (the
 * keywords' when Bayes had no say). Pure. */
void classify_blend(const struct classify_blend_input *in, struct classify_blend *out, double *p_r);

/* The other categories the mail may be, as indexes into out_r[max]
 * (returns how many): b's rival when it has one, then every category but
 * b's best with a keyword score kw of at least CLASSIFY_CONTENDER_SCORE, or
 * above 0 with a keyword probability p of at least CLASSIFY_CONTENDER_P,
 * highest score first. Pure. */
size_t classify_contenders(size_t count, const double *kw, const double *p,
			   const struct classify_blend *b, size_t *out_r, size_t max);

/* {"rule": "disagree", "weight": 0.4, "rival": "complaint", "examples":
 * {cat: n}}: how keywords and Bayes were combined, for the explanation.
 * New reference, NULL when out of memory. */
json_t *classify_blend_json(const struct classify_blend *b, const char *const *names,
			    const size_t *examples, size_t count);

/* "keywords", "agree", "disagree", "overruled", "bayes_alone". */
const char *classify_blend_rule_name(enum classify_blend_rule rule);

#endif
