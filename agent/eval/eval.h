/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_EVAL_H
#define DRAFTD_EVAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "agent/pipeline/agent.h"
#include "daemon/lib/error.h"

/* `draftd eval` (issue 17, item 6): the builtin pipeline, without a store,
 * over a labelled mail folder in the corpus format (labels.json, mail/,
 * data/), measured against the labels: category accuracy with keywords
 * alone and with the naive Bayes model trained on the other folds of a
 * k-fold split, share of customer mail drafted, noise skipped, rule
 * outcomes, keys and figures checked against the data, reply language,
 * and automatic sends of mail labelled never_auto (every category in auto
 * mode with threshold 0, as tests/integration/pipeline.sh does, so only the
 * per-draft gates stand in the way). */

struct eval_set;

/* Loads dir/labels.json and every mail it names (at most 64 MiB each).
 * Returns 0 with *set_r, or -1 with the reason in error. */
int eval_load(const char *dir, struct eval_set **set_r, struct error *err)
	__attribute__((warn_unused_result));
void eval_free(struct eval_set **set);
size_t eval_count(const struct eval_set *set);

/* Runs every mail through agent's pipeline twice (keywords alone; keywords
 * and Bayes over folds >= 2 folds) and returns the report (new object):
 * {"dir","mails","folds","keywords":{<metrics>},"keywords_bayes":{<metrics>},
 *  "mails_detail":[...]} with metrics {"category":{"correct","total",
 * "accuracy","confusion"},"drafted":{...},"noise_skipped":{...},"rules":{...},
 * "never_auto":{"total","auto_sent"},"auto_sent","injection":{...},"keys":{...},
 * "figures":{...},"language":{...}}. NULL when out of memory. */
json_t *eval_run(struct agent *agent, struct eval_set *set, unsigned folds);

#endif
