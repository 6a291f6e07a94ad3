/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_RULES_H
#define DRAFTD_RULES_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "connectors/connector.h"
#include "connectors/keys/keys.h"
#include "daemon/lib/error.h"

/* Declarative business rules (schemas/rules.schema.json; the example and its
 * "conventions" are corpus/data/rules.json). A rules set is loaded whole and
 * immutable: every regex is compiled at load, and a file with any fault is
 * refused with the rule id and the reason, so a SIGHUP keeps the old set.
 * Evaluation reads only a plain struct rules_input and is thread-safe. */

struct rules_set;

/* Counters of one rules set, for metrics; updated atomically by rules_eval(). */
struct rules_stats {
	atomic_uint_fast64_t evaluations;
	atomic_uint_fast64_t fired; /* rules that fired, summed */
	atomic_uint_fast64_t skipped;
	atomic_uint_fast64_t require_human;
	atomic_uint_fast64_t latency_us; /* total evaluation time */
};

/* One header as received: name in any case, value unfolded. */
struct rules_header {
	const char *name;
	const char *value;
};

struct rules_input {
	const char *category; /* the classifier's (or NULL) */
	const char *sender;   /* addr-spec of From */
	const char *reply_to; /* addr-spec of Reply-To, or NULL */
	const char *subject;
	const char *body; /* decoded text of the text parts, HTML tags stripped */
	const char *const *attachments;
	size_t attachments_count;
	const struct rules_header *headers;
	size_t headers_count;
	const char *content_type; /* top-level MIME type, lower case */
	bool duplicate;           /* Message-ID already processed */
	bool suspected_injection; /* from the classifier */
	/* a second opinion (the pipeline asking what the rules would say were
	 * the mail of another category): the set's counters are left alone */
	bool what_if;
	/* {"inventory": [{"key":..,"found":true,<columns>}, {"key":..,"found":false},
	 *   {"key":..,"found":null} (unknown: the connector failed)], "order": [...],
	 *  "quote": {"estimated_total_eur": 123.4 | null, ...}}; see
	 * rules_facts_add(). A connector's namespace with an empty list: no key
	 * of its kind was mentioned; a namespace that is missing: nothing
	 * answers it, so every fact in it is unknown. */
	const json_t *facts;
};

enum rules_outcome { RULES_DRAFT = 0, RULES_REQUIRE_HUMAN, RULES_SKIP };

struct rules_result {
	enum rules_outcome outcome;
	bool never_auto;
	/* some mentioned key's facts are unknown (a connector failed): no rule
	 * could judge it, so the outcome is never sent automatically */
	bool facts_unknown;
	char *category; /* set_category of the last fired rule, or NULL */
	json_t *fired;  /* [{"id","name","actions":[...]}] in rule order */
	/* rules that could not be evaluated because a fact they read is
	 * unknown: [{"id","facts":["quote.estimated_total_eur unknown"],
	 * "holds_back":true,"message":"R05 could not be evaluated: ..."}]. One
	 * that would skip, require a human or forbid automatic replies makes
	 * never_auto true and its message a note and a reason (it fails safe);
	 * its forbid_phrase actions apply too, its other actions do not. */
	json_t *unevaluated;
	json_t *reasons; /* strings from require_human/skip/never_auto */
	json_t *forbidden_phrases;
	json_t *notes;
};

/* Loads a rules document. Returns 0 with a new set, or -1 with e.g.
 * "rule R05: when.any[1].all[1]: unknown op '=>'" in error. Pure: nothing
 * global changes, so a caller can keep its old set on failure. */
int rules_load(const json_t *doc, struct rules_set **set_r, struct error *err)
	__attribute__((warn_unused_result));
/* rules_load() on a file (at most 4 MiB). */
int rules_load_file(const char *path, struct rules_set **set_r, struct error *err)
	__attribute__((warn_unused_result));
/* Frees and clears *set; NULL is fine. */
void rules_free(struct rules_set **set);
size_t rules_count(const struct rules_set *set);
/* The set's counters (live for as long as the set). */
const struct rules_stats *rules_set_stats(const struct rules_set *set);

/* Evaluates every rule against input and combines the actions of those
 * that fire (skip > require_human > draft; skip and require_human imply
 * never_auto; phrases and notes accumulate). A condition on a fact that is
 * unknown is neither true nor false (see unevaluated above). Returns 0, or -1 when out of
 * memory. Free result with rules_result_free(). Thread-safe. */
int rules_eval(const struct rules_set *set, const struct rules_input *input,
	       struct rules_result *result) __attribute__((warn_unused_result));
void rules_result_free(struct rules_result *result);
/* The result as stored with the draft (new reference). */
json_t *rules_result_json(const struct rules_result *result);
const char *rules_outcome_name(enum rules_outcome outcome);

/* Appends a connector's answers to facts[ns] (ns: the connector's name as
 * rules see it, e.g. "inventory", "order") in the shape rules_input wants. */
int rules_facts_add(json_t *facts, const char *ns, const struct conn_result *results, size_t count);
/* Sets facts.quote = {"estimated_total_eur": sum of quantity x
 * unit_price_eur, or null, "lines": [{"key","quantity","confidence",
 * "unit_price_eur","line_total_eur"}], "unknown": why the total is null}.
 * The total is known only when every mentioned SKU that is in the catalogue
 * has a price and a quantity of confidence >= KEYS_QTY_KNOWN, and no lookup
 * failed; SKUs known not to exist add nothing (the corpus conventions). A
 * line's total only when its own quantity and price are known. No SKU at
 * all: null. */
int rules_facts_add_quote(json_t *facts, const struct key_hit *hits, size_t count);

/* The facts each rule reads (connectors/rules/rules_describe.c), for
 * check-config: [{"id":"R05","holds_back":true,"facts":["order.total_eur",
 * "quote.estimated_total_eur"]}] in rule order. New reference or NULL. */
json_t *rules_facts_read(const struct rules_set *set);
/* Where fact ns.field comes from under config's connectors, in words, into
 * out. Returns 1 when something answers it, 0 when nothing does (then it is
 * always unknown, and a rule holding drafts back on it holds back every
 * one). */
int rules_fact_source(const struct config *config, const char *ns, const char *field, char *out,
		      size_t size);

/* Text as the conventions want it before matching: format characters
 * (U+200B-U+200F, U+2060-U+2064, U+FEFF, U+00AD, bidi controls) removed,
 * tag characters U+E0020-U+E007E mapped to ASCII, fullwidth ASCII folded.
 * Full NFKC is not done. Returns a new string or NULL. */
char *rules_normalize(const char *text);

#endif
