/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_TEST_CLASSIFY_CORPUS_H
#define DRAFTD_TEST_CLASSIFY_CORPUS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "agent/mime/mime.h"

/* The corpus as the agent sees it: every .eml of labels.json parsed with
 * agent/mime/mime.c, next to its label object. Shared by the lang, classify and
 * injection suites. */
struct classify_corpus_mail {
	const char *file;    /* into labels */
	const json_t *label; /* into labels */
	struct mime_message *msg;
	const char **attachments; /* file names ("" when unnamed) */
	size_t attachments_count;
};

struct classify_corpus {
	json_t *labels;
	struct classify_corpus_mail *mails;
	size_t count;
};

/* Loads the corpus; returns 1 loaded, 0 when the corpus dir is absent (the
 * caller prints SKIPPED), -1 on an error (printed). */
int classify_corpus_load(struct classify_corpus *corpus);
void classify_corpus_free(struct classify_corpus *corpus);
/* The label's string field, or "". */
const char *classify_corpus_label(const struct classify_corpus_mail *mail, const char *field);

#endif
