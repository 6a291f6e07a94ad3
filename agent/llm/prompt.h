/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_PROMPT_H
#define DRAFTD_PROMPT_H

#include <jansson.h>
#include <stddef.h>

/* The prompt for the model backend. The email is untrusted data: it goes
 * between two lines carrying a random boundary the sender cannot guess, and
 * every one of its lines is prefixed with "| " (datamarking), so text in the
 * email that imitates our instructions or our delimiters stays visibly
 * inside the data. Zero-width characters and hidden HTML were already
 * dropped by the MIME module. */

#define PROMPT_VERSION       "p2"
#define PROMPT_MAX           (96 * 1024)
#define PROMPT_EMAIL_MAX     (32 * 1024)
#define PROMPT_FEWSHOT_MAX   3
#define PROMPT_FEWSHOT_CHARS 2000

struct prompt_input {
	const char *company; /* the mailbox's address, as the signature */
	const char *const *categories;
	size_t categories_count;
	const char *category_hint; /* the classifier's, or NULL */
	const char *language;      /* reply in this language */
	const char *sender;        /* the only recipient a reply may have */
	const char *subject;
	const char *text;        /* the customer's new text */
	const json_t *facts;     /* see agent/pipeline/facts.h */
	const json_t *notes;     /* rule notes, array of strings */
	const json_t *forbidden; /* phrases the reply must not contain */
	const json_t *fewshot;   /* redacted approved replies (agent/llm/fewshot.h) */
};

/* Builds the system and user prompts (new strings, free() them). Returns 0,
 * or -1 when out of memory or over PROMPT_MAX (the email is cut first, at
 * PROMPT_EMAIL_MAX, so that only happens with absurd facts). */
int prompt_build(const struct prompt_input *in, char **system_r, char **user_r)
	__attribute__((warn_unused_result));

#endif
