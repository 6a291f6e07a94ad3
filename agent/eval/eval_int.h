/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_EVAL_INT_H
#define DRAFTD_EVAL_INT_H

#include <jansson.h>
#include <stdbool.h>

#include "agent/eval/eval.h"
#include "agent/pipeline/steps.h"
#include "connectors/rules/rules.h"

/* Shared by eval.c (one mail through the steps) and eval_report.c (the
 * passes, the metrics, the report). */

struct eval_mail {
	const char *file;    /* into labels */
	const json_t *label; /* into labels */
	char *raw;
	size_t len;
	char message_id[256]; /* for redeliveries, filled by eval_one() */
	unsigned long long text_hash;
};

struct eval_set {
	char *dir;
	json_t *labels;
	struct eval_mail *mails; /* in file name order */
	size_t count;
};

/* What became of one mail. */
struct eval_outcome {
	char category[64]; /* after rules; "none" when screened or a duplicate */
	bool classified;   /* false: screened or a redelivery before the classifier */
	bool duplicate;
	const char *outcome;       /* "skip", "human", "draft", "auto" (static) */
	const char *rules_outcome; /* "skip", "require_human", "draft", NULL (static) */
	bool rules_never_auto;
	double confidence; /* the classification's */
	bool injection;
	char reply_lang[4];
	unsigned figure_flags;  /* wrong_* and unknown_* guard flags */
	unsigned content_flags; /* guard_content.h flags */
	json_t *flags;          /* every flag name */
	json_t *keys;           /* {"sku":[...], "order":[...]} */
	json_t *notes;
	json_t *scores;  /* the classifier's explanation (classify.h) */
	char doubt[256]; /* "" or why the category is in doubt (doubt_step()) */
	char *body;
};

/* The working state of eval_one(). */
struct eval_run_ctx {
	struct mime_message *mime;
	struct classify_outcome cls;
	json_t *facts;
	int facts_known;
	struct rules_result rules;
	bool rules_done;
};

/* Runs mail idx of set through agent. Returns 0 with *o (free with
 * eval_outcomes_free()), or -1 when out of memory. */
int eval_one(struct agent *agent, struct eval_set *set, size_t idx, struct eval_outcome *o)
	__attribute__((warn_unused_result));
void eval_outcomes_free(struct eval_outcome *o, size_t count);
/* Frees what one outcome holds (not o itself) and zeroes it. */
void eval_outcome_clear(struct eval_outcome *o);
/* A naive Bayes model trained on the mails not in fold k of folds. */
struct bayes_model *eval_train(struct eval_set *set, unsigned folds, unsigned k);

#endif
