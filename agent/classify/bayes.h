/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_BAYES_H
#define DRAFTD_BAYES_H

#include <stddef.h>

#include "daemon/lib/error.h"

/* A small multinomial naive Bayes text classifier with Laplace smoothing,
 * trained from reviewer decisions (approved drafts' category, rejected
 * drafts' corrected category). Tokens are lang_fold()ed words; any token
 * with a digit becomes "#num" so part and order numbers do not stand for a
 * category. A trained model is immutable and may be shared by threads;
 * retraining builds a new one (the pipeline swaps the pointer). */

#define BAYES_VOCAB_MAX    20000 /* the most frequent tokens are kept */
#define BAYES_CLASS_MAX    32
#define BAYES_EXAMPLES_MAX 20000
#define BAYES_CATEGORY_MAX 64 /* bytes of a category name */

/* Below these the model is not consulted (too little evidence). */
#define BAYES_MIN_EXAMPLES   30
#define BAYES_MIN_CATEGORIES 3

struct bayes_example {
	const char *text; /* subject and new text; at most LANG_TEXT_MAX bytes read */
	const char *category;
};

struct bayes_model;

/* Trains a model on examples[count] (count <= BAYES_EXAMPLES_MAX; examples
 * with a NULL or empty category, or a category past BAYES_CLASS_MAX
 * distinct ones, are ignored). Returns 0 with *model_r, or -1 with the reason
 * in err. Zero examples give an empty, usable model. */
int bayes_train(const struct bayes_example *examples, size_t count, struct bayes_model **model_r,
		struct error *err) __attribute__((warn_unused_result));

/* Frees and clears *model; NULL and *NULL are fine. */
void bayes_free(struct bayes_model **model);

/* Examples and distinct categories the model was trained on, and its
 * vocabulary size. */
size_t bayes_examples(const struct bayes_model *model);
size_t bayes_categories(const struct bayes_model *model);
size_t bayes_vocabulary(const struct bayes_model *model);
/* Examples of category the model was trained on (0 for one it never saw,
 * or a NULL model): the classifier trusts the model per category, by this
 * count (agent/classify/classify_blend.h). */
size_t bayes_class_examples(const struct bayes_model *model, const char *category);

/* True when the model has at least BAYES_MIN_EXAMPLES examples over at
 * least BAYES_MIN_CATEGORIES categories. NULL is not ready. */
int bayes_ready(const struct bayes_model *model);

/* Posterior P(category | text) for each of categories[count], written to
 * posterior_r[count]; categories the model never saw get 0. Returns 1 when
 * some category was known (the posteriors sum to 1), 0 when none was
 * (all 0), -1 when out of memory. Thread-safe. */
int bayes_predict(const struct bayes_model *model, const char *text, const char *const *categories,
		  size_t count, double *posterior_r);

#endif
