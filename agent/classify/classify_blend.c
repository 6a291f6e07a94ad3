/* SPDX-License-Identifier: MIT */
#include "agent/classify/classify_blend.h"

#include <math.h>
#include <string.h>

#include "agent/classify/classify.h"

static const char *const classify_blend_names[] = {"keywords", "agree", "disagree", "overruled",
						   "bayes_alone"};

const char *classify_blend_rule_name(enum classify_blend_rule rule)
{
	return (unsigned int)rule < sizeof(classify_blend_names) / sizeof(classify_blend_names[0])
		       ? classify_blend_names[rule]
		       : "unknown";
}

double classify_bayes_weight(size_t examples)
{
	double w;

	if (examples < CLASSIFY_BAYES_CLASS_MIN)
		return 0;
	w = (double)examples / ((double)examples + CLASSIFY_BAYES_HALF);
	return w > CLASSIFY_BAYES_MAX ? CLASSIFY_BAYES_MAX : w;
}

static size_t classify_blend_argmax(const double *v, size_t n)
{
	size_t i, best = 0;

	for (i = 1; i < n; i++)
		if (v[i] > v[best])
			best = i;
	return best;
}

/* p_r = (1 - w) keywords + w Bayes: still a distribution. */
static void classify_blend_mix(const struct classify_blend_input *in, double w, double *p_r)
{
	size_t i;

	for (i = 0; i < in->count; i++)
		p_r[i] = (1 - w) * in->keyword_p[i] + w * in->bayes_p[i];
}

void classify_blend(const struct classify_blend_input *in, struct classify_blend *out, double *p_r)
{
	size_t i, nb_best = 0, n_kw = 0, n_nb = 0, fewer;
	bool model = in->bayes_p != NULL && in->examples != NULL;
	double w;

	memset(out, 0, sizeof(*out));
	out->rule = CLASSIFY_BLEND_KEYWORDS;
	out->best = out->rival = in->keyword_best;
	out->confidence = in->keyword_p[in->keyword_best];
	for (i = 0; i < in->count; i++)
		p_r[i] = in->keyword_p[i];
	if (model) {
		nb_best = classify_blend_argmax(in->bayes_p, in->count);
		n_nb = in->examples[nb_best];
		n_kw = in->examples[in->keyword_best];
	}
	if (!model || classify_bayes_weight(n_nb) == 0) {
		/* no model, or a choice it has too few examples of: no opinion */
	} else if (!in->keywords_any) {
		w = classify_bayes_weight(n_nb);
		classify_blend_mix(in, w, p_r);
		out->rule = CLASSIFY_BLEND_BAYES_ALONE;
		out->best = out->rival = nb_best;
		out->weight = w;
		/* nothing a person wrote agrees: at most the model's weight */
		out->confidence = w * in->bayes_p[nb_best];
	} else if (nb_best == in->keyword_best) {
		w = classify_bayes_weight(n_nb);
		classify_blend_mix(in, w, p_r);
		out->rule = CLASSIFY_BLEND_AGREE;
		out->weight = w;
		if (p_r[nb_best] > out->confidence)
			out->confidence = p_r[nb_best];
	} else if (classify_bayes_weight(n_kw) > 0) {
		/* (a model that hardly saw the keywords' category cannot
		 * contradict it: that case keeps the keywords' answer) */
		fewer = n_kw < n_nb ? n_kw : n_nb;
		w = classify_bayes_weight(fewer);
		classify_blend_mix(in, w, p_r);
		out->weight = w;
		if (fewer >= CLASSIFY_BAYES_OVERRULE_MIN &&
		    p_r[nb_best] - p_r[in->keyword_best] >= CLASSIFY_BAYES_MARGIN) {
			out->rule = CLASSIFY_BLEND_OVERRULED;
			out->best = nb_best;
			out->rival = in->keyword_best;
		} else {
			out->rule = CLASSIFY_BLEND_DISAGREE;
			out->rival = nb_best;
		}
		out->confidence = p_r[out->best] < CLASSIFY_DISAGREE_CAP ? p_r[out->best]
									 : CLASSIFY_DISAGREE_CAP;
	}
}

static void classify_contender_add(size_t *out, size_t *n, size_t max, size_t i)
{
	size_t k;

	for (k = 0; k < *n; k++)
		if (out[k] == i)
			return;
	if (*n < max)
		out[(*n)++] = i;
}

size_t classify_contenders(size_t count, const double *kw, const double *p,
			   const struct classify_blend *b, size_t *out_r, size_t max)
{
	bool taken[CLASSIFY_CATEGORIES_MAX] = {false};
	size_t i, best, n = 0;

	if (b->rival != b->best)
		classify_contender_add(out_r, &n, max, b->rival);
	if (b->best < CLASSIFY_CATEGORIES_MAX)
		taken[b->best] = true;
	for (;;) {
		best = count;
		for (i = 0; i < count && i < CLASSIFY_CATEGORIES_MAX; i++)
			if (!taken[i] && kw[i] > 0 &&
			    (kw[i] >= CLASSIFY_CONTENDER_SCORE || p[i] >= CLASSIFY_CONTENDER_P) &&
			    (best == count || kw[i] > kw[best]))
				best = i;
		if (best == count)
			break;
		taken[best] = true;
		classify_contender_add(out_r, &n, max, best);
	}
	return n;
}

json_t *classify_blend_json(const struct classify_blend *b, const char *const *names,
			    const size_t *examples, size_t count)
{
	json_t *o = json_pack("{s:s, s:f}", "rule", classify_blend_rule_name(b->rule), "weight",
			      round(b->weight * 1000) / 1000);
	json_t *n = json_object();
	size_t i;

	if (o == NULL || n == NULL) {
		json_decref(o);
		json_decref(n);
		return NULL;
	}
	if (b->rival != b->best)
		json_object_set_new(o, "rival", json_string(names[b->rival]));
	for (i = 0; i < count; i++)
		json_object_set_new(n, names[i], json_integer((json_int_t)examples[i]));
	json_object_set_new(o, "examples", n);
	return o;
}
