/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "connectors/rules/rules_private.h"
#include "daemon/lib/log.h"
#include "daemon/lib/util.h"

#define RULES_MESSAGE_MAX 512

static uint64_t time_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static bool rules_re(const regex_t *re, const char *text)
{
	return text != NULL && regexec(re, text, 0, NULL, 0) == 0;
}

static enum rules_tri rules_tri_of(bool b)
{
	return b ? RULES_TRUE : RULES_FALSE;
}

/* Kleene's three-valued logic: all is false when a child is false, any is
 * true when a child is; otherwise an unknown child makes them unknown. The
 * unknown facts of a child whose value did not decide are forgotten, so the
 * reviewer reads only the facts the answer hangs on. */
static enum rules_tri rules_holds(struct rules_ctx *ctx, const struct rules_cond *c)
{
	const struct rules_input *in = ctx->in;
	enum rules_tri t, acc;
	size_t i, mark;

	switch (c->type) {
	case RULES_COND_TRUE:
		return RULES_TRUE;
	case RULES_COND_ALL:
	case RULES_COND_ANY:
		acc = c->type == RULES_COND_ALL ? RULES_TRUE : RULES_FALSE;
		for (i = 0; i < c->children_count; i++) {
			mark = ctx->unknown_count;
			t = rules_holds(ctx, &c->children[i]);
			if (t != RULES_UNKNOWN)
				ctx->unknown_count = mark;
			if (t == (c->type == RULES_COND_ALL ? RULES_FALSE : RULES_TRUE))
				return t;
			if (t == RULES_UNKNOWN)
				acc = RULES_UNKNOWN;
		}
		return acc;
	case RULES_COND_NOT:
		t = rules_holds(ctx, &c->children[0]);
		return t == RULES_UNKNOWN ? t : rules_tri_of(t == RULES_FALSE);
	case RULES_COND_CATEGORY:
		for (i = 0; in->category != NULL && i < c->names_count; i++) {
			if (strcasecmp(c->names[i], in->category) == 0)
				return RULES_TRUE;
		}
		return RULES_FALSE;
	case RULES_COND_SENDER_DOMAIN_IN:
		for (i = 0; ctx->sender_domain != NULL && i < c->names_count; i++) {
			if (strcasecmp(c->names[i], ctx->sender_domain) == 0)
				return RULES_TRUE;
		}
		return RULES_FALSE;
	case RULES_COND_SENDER_MATCHES:
		return rules_tri_of(rules_re(&c->re, in->sender));
	case RULES_COND_SUBJECT_MATCHES:
		return rules_tri_of(rules_re(&c->re, ctx->subject));
	case RULES_COND_BODY_MATCHES:
		return rules_tri_of(rules_re(&c->re, ctx->body));
	case RULES_COND_ATTACHMENT_MATCHES:
		for (i = 0; i < in->attachments_count; i++) {
			if (rules_re(&c->re, in->attachments[i]))
				return RULES_TRUE;
		}
		return RULES_FALSE;
	case RULES_COND_FACT:
		return rules_leaf_fact(ctx, c);
	}
	return RULES_FALSE;
}

/* True when some entry of some fact list has found = null (unknown). */
static bool rules_any_unknown(const json_t *facts)
{
	const char *ns;
	const json_t *list, *e;
	size_t i;

	json_object_foreach((json_t *)facts, ns, list)
	{
		json_array_foreach(list, i, e)
		{
			if (!json_is_boolean(json_object_get(e, "found")))
				return true;
		}
	}
	return false;
}

static int rules_add_unique(json_t *array, const char *s)
{
	size_t i;

	for (i = 0; i < json_array_size(array); i++) {
		if (strcmp(json_string_value(json_array_get(array, i)), s) == 0)
			return 0;
	}
	return json_array_append_new(array, json_string(s));
}

static int rules_apply(const struct rules_rule *r, struct rules_result *res)
{
	json_t *fired;
	size_t i, k;
	int rc = 0;

	fired = json_pack("{s:s, s:s?, s:O}", "id", r->id, "name", r->name, "actions", r->then);
	if (fired == NULL || json_array_append_new(res->fired, fired) < 0)
		return -1;
	for (i = 0; i < r->actions_count; i++) {
		const char *text = r->actions[i].text;

		switch (r->actions[i].type) {
		case RULES_ACTION_SKIP:
			res->outcome = RULES_SKIP;
			res->never_auto = true;
			break;
		case RULES_ACTION_REQUIRE_HUMAN:
			if (res->outcome < RULES_REQUIRE_HUMAN)
				res->outcome = RULES_REQUIRE_HUMAN;
			res->never_auto = true;
			break;
		case RULES_ACTION_NEVER_AUTO:
			res->never_auto = true;
			break;
		case RULES_ACTION_SET_CATEGORY:
			free(res->category);
			res->category = str_dup(text);
			text = NULL;
			break;
		case RULES_ACTION_FORBID_PHRASE:
			for (k = 0; k < json_array_size(r->actions[i].phrases); k++)
				rc |= rules_add_unique(res->forbidden_phrases,
						       json_string_value(json_array_get(
							       r->actions[i].phrases, k)));
			break;
		case RULES_ACTION_ADD_NOTE:
			rc |= rules_add_unique(res->notes, text);
			text = NULL;
			break;
		}
		if (text != NULL)
			rc |= rules_add_unique(res->reasons, text);
	}
	return rc < 0 ? -1 : 0;
}

/* Whether r would hold a draft back: skip, require_human or never_auto. */
static bool rules_holds_back(const struct rules_rule *r)
{
	size_t i;

	for (i = 0; i < r->actions_count; i++) {
		if (r->actions[i].type == RULES_ACTION_SKIP ||
		    r->actions[i].type == RULES_ACTION_REQUIRE_HUMAN ||
		    r->actions[i].type == RULES_ACTION_NEVER_AUTO)
			return true;
	}
	return false;
}

/* A rule whose condition is unknown: "R05 could not be evaluated:
 * quote.estimated_total_eur unknown (no quantity found for HP-50155)". A
 * rule that holds drafts back fails safe (never_auto, a note for the
 * reviewer, a reason); forbidding phrases is safe whatever the answer. */
static int rules_unevaluated(const struct rules_ctx *ctx, const struct rules_rule *r,
			     struct rules_result *res)
{
	char msg[RULES_MESSAGE_MAX], one[256];
	json_t *facts = json_array(), *entry;
	bool back = rules_holds_back(r);
	size_t i, k, len;
	int rc = 0;

	if (facts == NULL)
		return -1;
	len = (size_t)snprintf(msg, sizeof(msg), "%s could not be evaluated:", r->id);
	for (i = 0; i < ctx->unknown_count; i++) {
		const struct rules_cond *c = ctx->unknown[i].cond;

		snprintf(one, sizeof(one), "%s.%s %s%s%s%s", c->ns, c->field, ctx->unknown[i].why,
			 ctx->unknown[i].detail != NULL ? " (" : "",
			 ctx->unknown[i].detail != NULL ? ctx->unknown[i].detail : "",
			 ctx->unknown[i].detail != NULL ? ")" : "");
		rc |= json_array_append_new(facts, json_string(one));
		if (len < sizeof(msg))
			len += (size_t)snprintf(msg + len, sizeof(msg) - len, "%s %s",
						i > 0 ? "," : "", one);
	}
	if (ctx->unknown_count == 0 && len < sizeof(msg))
		snprintf(msg + len, sizeof(msg) - len, " a fact it reads is unknown");
	entry = json_pack("{s:s, s:o, s:b, s:s}", "id", r->id, "facts", facts, "holds_back", back,
			  "message", msg);
	if (entry == NULL || json_array_append_new(res->unevaluated, entry) < 0)
		return -1;
	for (i = 0; i < r->actions_count; i++) {
		if (r->actions[i].type != RULES_ACTION_FORBID_PHRASE)
			continue;
		for (k = 0; k < json_array_size(r->actions[i].phrases); k++)
			rc |= rules_add_unique(
				res->forbidden_phrases,
				json_string_value(json_array_get(r->actions[i].phrases, k)));
	}
	if (back) {
		res->never_auto = true;
		rc |= rules_add_unique(res->notes, msg);
		rc |= rules_add_unique(res->reasons, msg);
	}
	return rc < 0 ? -1 : 0;
}

int rules_eval(const struct rules_set *set, const struct rules_input *input,
	       struct rules_result *result)
{
	struct rules_ctx ctx;
	char *subject = NULL, *body = NULL;
	const char *rd;
	size_t i, fired = 0;
	uint64_t start = time_mono_us();
	enum rules_tri t;
	int ret = -1;

	memset(result, 0, sizeof(*result));
	memset(&ctx, 0, sizeof(ctx));
	ctx.in = input;
	result->fired = json_array();
	result->unevaluated = json_array();
	result->reasons = json_array();
	result->forbidden_phrases = json_array();
	result->notes = json_array();
	subject = rules_normalize(input->subject != NULL ? input->subject : "");
	body = rules_normalize(input->body != NULL ? input->body : "");
	if (result->fired == NULL || result->reasons == NULL || result->forbidden_phrases == NULL ||
	    result->notes == NULL || result->unevaluated == NULL || subject == NULL || body == NULL)
		goto out;
	ctx.subject = subject;
	ctx.body = body;
	ctx.sender_domain = rules_domain(input->sender);
	rd = rules_domain(input->reply_to);
	ctx.reply_to_differs =
		rd != NULL && ctx.sender_domain != NULL && strcasecmp(rd, ctx.sender_domain) != 0;
	for (i = 0; i < set->count; i++) {
		ctx.unknown_count = 0;
		t = rules_holds(&ctx, &set->rules[i].when);
		if (t == RULES_UNKNOWN && rules_unevaluated(&ctx, &set->rules[i], result) < 0)
			goto out;
		if (t != RULES_TRUE)
			continue;
		fired++;
		if (rules_apply(&set->rules[i], result) < 0)
			goto out;
	}
	if (input->facts != NULL && rules_any_unknown(input->facts)) {
		result->facts_unknown = true;
		result->never_auto = true;
		if (rules_add_unique(result->reasons, "some facts are unknown (connector failed)") <
		    0)
			goto out;
	}
	if (!input->what_if) {
		atomic_fetch_add(&set->stats->evaluations, 1);
		atomic_fetch_add(&set->stats->fired, fired);
		if (result->outcome == RULES_SKIP)
			atomic_fetch_add(&set->stats->skipped, 1);
		else if (result->outcome == RULES_REQUIRE_HUMAN)
			atomic_fetch_add(&set->stats->require_human, 1);
		atomic_fetch_add(&set->stats->latency_us, time_mono_us() - start);
	}
	/* rule ids and counts only: the input is customer data */
	log_debug_kv("rules evaluated", "rules=%zu fired=%zu outcome=%s", set->count, fired,
		     rules_outcome_name(result->outcome));
	ret = 0;
out:
	free(subject);
	free(body);
	if (ret < 0)
		rules_result_free(result);
	return ret;
}

void rules_result_free(struct rules_result *result)
{
	json_decref(result->fired);
	json_decref(result->unevaluated);
	json_decref(result->reasons);
	json_decref(result->forbidden_phrases);
	json_decref(result->notes);
	free(result->category);
	memset(result, 0, sizeof(*result));
}

const char *rules_outcome_name(enum rules_outcome outcome)
{
	switch (outcome) {
	case RULES_SKIP:
		return "skip";
	case RULES_REQUIRE_HUMAN:
		return "require_human";
	case RULES_DRAFT:
		break;
	}
	return "draft";
}

json_t *rules_result_json(const struct rules_result *r)
{
	json_t *j = json_pack("{s:s, s:b, s:b, s:s?, s:O, s:O, s:O, s:O}", "outcome",
			      rules_outcome_name(r->outcome), "never_auto", r->never_auto,
			      "facts_unknown", r->facts_unknown, "category", r->category, "fired",
			      r->fired, "reasons", r->reasons, "forbidden_phrases",
			      r->forbidden_phrases, "notes", r->notes);

	if (j != NULL && json_array_size(r->unevaluated) > 0)
		json_object_set(j, "unevaluated", r->unevaluated);
	return j;
}
