#ifndef DRAFTD_RULES_PRIVATE_H
#define DRAFTD_RULES_PRIVATE_H

#include <regex.h>

#include "connectors/rules.h"

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

struct rules_set {
	char *version;
	struct rules_rule *rules;
	size_t count;
	struct rules_stats *stats; /* separate: evaluation sees the set as const */
};

#endif
