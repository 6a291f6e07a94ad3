/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_RULES_PRIVATE_H
#define DRAFTD_RULES_PRIVATE_H

#include <regex.h>

#include "connectors/rules/rules.h"

/* The compiled form of a rules document, shared by rules.c (load) and
 * rules_eval.c (evaluate). Immutable once loaded. */

enum rules_cond_type {
	RULES_COND_TRUE = 0,
	RULES_COND_ALL,
	RULES_COND_ANY,
	RULES_COND_NOT,
	RULES_COND_CATEGORY,
	RULES_COND_SENDER_DOMAIN_IN,
	RULES_COND_SENDER_MATCHES,
	RULES_COND_SUBJECT_MATCHES,
	RULES_COND_BODY_MATCHES,
	RULES_COND_ATTACHMENT_MATCHES,
	RULES_COND_FACT,
};

enum rules_op {
	RULES_OP_EQ = 0,
	RULES_OP_NE,
	RULES_OP_LT,
	RULES_OP_LE,
	RULES_OP_GT,
	RULES_OP_GE,
	RULES_OP_IN,
	RULES_OP_EXISTS,
	RULES_OP_MATCHES,
};

struct rules_cond {
	enum rules_cond_type type;
	struct rules_cond *children; /* all, any, not (one child) */
	size_t children_count;
	char **names; /* category names, sender domains (lower case) */
	size_t names_count;
	regex_t re;
	bool has_re;
	char *ns;    /* fact namespace: message, header, quote, order, inventory, ... */
	char *field; /* the rest of the path; header names lower case */
	enum rules_op op;
	json_t *value;
};

enum rules_action_type {
	RULES_ACTION_SKIP = 0,
	RULES_ACTION_REQUIRE_HUMAN,
	RULES_ACTION_NEVER_AUTO,
	RULES_ACTION_SET_CATEGORY,
	RULES_ACTION_FORBID_PHRASE,
	RULES_ACTION_ADD_NOTE,
};

struct rules_rule {
	char *id;
	char *name;
	struct rules_cond when;
	json_t *then; /* the actions as written, for the result */
	struct {
		enum rules_action_type type;
		const char *text;      /* reason, category or note (points into then) */
		const json_t *phrases; /* forbid_phrase (points into then) */
	} * actions;
	size_t actions_count;
};

/* Three-valued truth: a condition that reads a fact nobody knows (not
 * extracted, not computable, a failed connector, the wrong type) is neither
 * true nor false. Rules that would hold a draft back treat it as "might
 * hold" (rules_eval.c): they fail safe. */
enum rules_tri { RULES_FALSE = 0, RULES_TRUE = 1, RULES_UNKNOWN = 2 };

#define RULES_UNKNOWN_MAX 8 /* unknown facts named per rule */

/* Evaluation context: the input plus its normalised texts, made once, and
 * the facts that made the current rule unknown. */
struct rules_ctx {
	const struct rules_input *in;
	const char *subject;
	const char *body;
	const char *sender_domain;
	bool reply_to_differs;
	struct {
		const struct rules_cond *cond;
		const char *why;    /* "unknown", "has the wrong type", ... (static) */
		const char *detail; /* points into the facts, or NULL */
	} unknown[RULES_UNKNOWN_MAX];
	size_t unknown_count;
};

/* A fact condition (header.*, message.*, quote.*, <connector>.*) against
 * the input; records why when the answer is RULES_UNKNOWN (rules_leaf.c). */
enum rules_tri rules_leaf_fact(struct rules_ctx *ctx, const struct rules_cond *c);
/* The domain part of an address, or NULL. */
const char *rules_domain(const char *addr);

struct rules_set {
	char *version;
	struct rules_rule *rules;
	size_t count;
	struct rules_stats *stats; /* separate: evaluation sees the set as const */
};

#endif
