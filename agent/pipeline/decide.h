/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_DECIDE_H
#define DRAFTD_DECIDE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* The decide step: what happens to a message once it is classified, looked
 * up, checked against the rules and (maybe) drafted. Pure: every input is in
 * the struct, so the policy is tested table by table. */

enum decision {
	DECIDE_SKIP = 0, /* no reply at all (screened, a skip rule, noise) */
	DECIDE_HUMAN,    /* no draft: the category is off, a human writes */
	DECIDE_PENDING,  /* a draft waits for a reviewer (the default) */
	DECIDE_AUTO,     /* sent without review: every gate passed */
};

struct decide_input {
	const char *category;
	bool rules_skip;
	bool rules_require_human;
	bool never_auto;
	bool facts_unknown; /* a connector failed for a mentioned key */
	const char *mode;   /* the category's: off | draft | shadow | auto */
	double confidence;
	double threshold;
	unsigned int guard_flags; /* guardrail failures on the draft */
	bool injection;           /* suspected prompt injection */
	bool needs_human;         /* the model asked for a human */
	bool no_draft;            /* the backend produced no draft */
	long long facts_age;      /* seconds since the oldest fact was fetched; -1 none */
	unsigned int max_facts_age;
	int64_t sender_recent_auto; /* automatic replies to this sender lately */
	unsigned int sender_auto_limit;
	bool auto_disabled;         /* kill switch, or the model failed its probe */
	int64_t thread_recent_auto; /* automatic replies on this thread lately */
	int64_t hourly_auto;        /* automatic replies by everyone in the last hour */
	unsigned int hourly_cap;    /* 0: no cap */
	bool reviewer_category;     /* drafted again for a reviewer's corrected category */
	/* NULL, or why the category is in doubt (doubt_step() in steps.h):
	 * "the keywords say complaint, the Bayes model order_status" */
	const char *category_doubt;
};

struct decide_result {
	enum decision decision;
	bool would_auto; /* shadow mode: every gate but the mode passed */
	json_t *reasons; /* why not auto (or why skipped): array of strings */
};

/* Decides; returns 0, or -1 when out of memory. Free result->reasons. */
int decide(const struct decide_input *in, struct decide_result *result)
	__attribute__((warn_unused_result));

const char *decision_name(enum decision decision);

#endif
