/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_CLASSIFY_H
#define DRAFTD_CLASSIFY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "agent/classify/bayes.h"
#include "agent/llm/draft_output.h"
#include "daemon/config/config.h"
#include "daemon/lib/error.h"

/* The builtin classifier: keyword and pattern scores per category and
 * language, blended with a naive Bayes model trained from reviewer decisions
 * once it has enough examples (agent/classify/bayes.h).
 *
 * Keys of a [category NAME] section read here (all optional):
 *   keywords = stock, in stock^2, availab*, *rechnung*
 *       comma-separated terms, matched case- and accent-insensitively on
 *       word boundaries; "^N" weighs a term N (default 1); a trailing "*"
 *       matches any word ending, a leading "*" any word beginning (German
 *       compounds). The subject counts CLASSIFY_SUBJECT_WEIGHT times the body.
 *   keywords_en, keywords_de, keywords_es, keywords_fr = ...
 *       the same, used when the message is in that language (the English
 *       lists are used for every language: business mail mixes them in).
 *   pattern, pattern_<anything> = <PCRE2 regex>
 *       one regex per key (caseless, UTF), weight 2, on subject and text.
 *   builtin_keywords = false
 *       drops the built-in lists of that category (default true).
 * Other keys are left to their owners. The category "none" (newsletters,
 * auto-replies, bounces, spam) is always part of the set; its terms are
 * also looked for in full_text, and automated senders (noreply@,
 * mailer-daemon@, ...) count for it. */

#define CLASSIFY_CATEGORIES_MAX 32
#define CLASSIFY_TERMS_MAX      512 /* per category */
#define CLASSIFY_TERM_MAX       128 /* bytes of one term */
#define CLASSIFY_PATTERNS_MAX   16  /* per category */
#define CLASSIFY_SUBJECT_WEIGHT 3.0
/* Other categories the mail may be (struct classify_result.contenders): a
 * keyword score of at least CLASSIFY_CONTENDER_SCORE (one strong cue, or
 * any term in the subject), or any keyword evidence that leaves it at least
 * CLASSIFY_CONTENDER_P likely, and the category Bayes disagreed on. */
#define CLASSIFY_CONTENDERS_MAX  4
#define CLASSIFY_CONTENDER_SCORE 2.0
#define CLASSIFY_CONTENDER_P     0.05

/* The built-in categories, "none" last. */
extern const char *const classify_builtin_categories[];
extern const size_t classify_builtin_count;

struct classify_set;

/* Builds the category set from the [category NAME] sections cats[count].
 * With builtins true the set is the 8 built-in categories and "none" plus
 * every configured one; with builtins false it is the configured ones plus
 * "none" (count == 0 always gives the built-in set). Every built-in category
 * has default terms in en/de/es/fr, merged with the configured ones.
 * Returns 0 with *set_r, or -1 with e.g. "category quote_request (line 12):
 * pattern: missing ) at offset 4" in error. Pure; the set is immutable. */
int classify_set_new(const struct category_config *cats, size_t count, bool builtins,
		     struct classify_set **set_r, struct error *err)
	__attribute__((warn_unused_result));

/* Frees and clears *set; NULL and *NULL are fine. */
void classify_set_free(struct classify_set **set);

/* True for the option keys of a [category] section that hold a regex
 * (pattern, pattern_*, patterns*). */
bool classify_is_pattern_key(const char *key);
/* Compiles regex as the classifier would; 0, or -1 with pcre2's message and
 * the offset in why ("missing closing parenthesis at offset 10"). For
 * `draftd check-config`, which reports every bad pattern. */
int classify_pattern_check(const char *regex, char *why, size_t why_size)
	__attribute__((warn_unused_result));

size_t classify_set_count(const struct classify_set *set);
/* The name of category i (< classify_set_count()). */
const char *classify_set_name(const struct classify_set *set, size_t i);

struct classify_input {
	const char *subject;   /* decoded; NULL is "" */
	const char *text;      /* the new text (quoted history not included) */
	const char *full_text; /* every text part, hidden ones too; NULL is text */
	const char *sender;    /* addr-spec of From */
	bool has_attachments;  /* not scored yet: kept for the pipeline and the model */
	const char *language;  /* "en", "de", "es", "fr"; NULL: lang_detect() */
};

struct classify_result {
	char category[BAYES_CATEGORY_MAX];
	double confidence;                 /* 0..1: the blended probability of category */
	enum llm_confidence_source source; /* KEYWORDS or BAYES */
	/* "" or the category keywords and Bayes disagreed with the chosen one
	 * on: the category is in doubt, nothing is sent on its own */
	char rival[BAYES_CATEGORY_MAX];
	/* other categories the mail may be (the rival first, then by keyword
	 * score): the pipeline checks their rules too, so a wrong category
	 * never takes a complaint past the rules written for complaints */
	char contenders[CLASSIFY_CONTENDERS_MAX][BAYES_CATEGORY_MAX];
	size_t contenders_count;
	char language[3];
	/* {"keywords": {cat: score}, "bayes": {cat: p} and "blend": {"rule",
	 *  "weight", "rival", "examples": {cat: n}} (only when the model was
	 *  used), "probability": {cat: p}, "contenders": [cat],
	 *  "matched": ["cat: term (subject)"]} */
	json_t *scores;
};

/* Classifies one message. model may be NULL or not ready (then keywords
 * alone decide); once bayes_ready(), it has a say per category by the
 * rules of agent/classify/classify_blend.h (its weight grows with the
 * examples of the categories in question; a disagreement caps the
 * confidence below any sane auto threshold; it overrules a keyword match
 * only with hundreds of examples and a clear margin), and source is BAYES
 * when it chose the category. With no evidence at all the category is
 * "other" (or the set's first) with a low confidence.
 * Returns 0, or -1 when out of memory. Thread-safe (set and model are
 * read-only). Free with classify_result_clear(). */
int classify_run(const struct classify_set *set, const struct bayes_model *model,
		 const struct classify_input *in, struct classify_result *out)
	__attribute__((warn_unused_result));

void classify_result_clear(struct classify_result *result);

/* Built-in default terms (agent/classify/classify_keywords.c): the comma-separated
 * list for category and language ("en", "de", "es", "fr"), or NULL. */
const char *classify_keywords_builtin(const char *category, const char *language);

#endif
