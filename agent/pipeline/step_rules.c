/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "agent/pipeline/steps.h"
#include "connectors/rules/rules.h"
#include "daemon/lib/util.h"

#define RULES_ATTACHMENTS_MAX 64

/* The rules with an empty set: nothing fires. */
static int rules_step_empty(struct rules_result *result)
{
	memset(result, 0, sizeof(*result));
	result->fired = json_array();
	result->unevaluated = json_array();
	result->reasons = json_array();
	result->forbidden_phrases = json_array();
	result->notes = json_array();
	if (result->fired == NULL || result->unevaluated == NULL || result->reasons == NULL ||
	    result->forbidden_phrases == NULL || result->notes == NULL) {
		rules_result_free(result);
		return -1;
	}
	return 0;
}

/* The rules on msg as if it were of category. */
static int rules_step_as(struct agent *agent, const struct mime_message *msg,
			 const struct classify_outcome *cls, const char *category,
			 const json_t *facts, bool duplicate, bool what_if,
			 struct rules_result *result)
{
	struct rules_input in;
	struct rules_header headers[MIME_HEADERS_MAX];
	const char *attachments[RULES_ATTACHMENTS_MAX];
	size_t i;

	memset(&in, 0, sizeof(in));
	in.category = category;
	in.sender = msg->from_addr;
	in.reply_to = msg->reply_to;
	in.subject = msg->subject;
	in.body = msg->full_text;
	for (i = 0; i < msg->attachments_count && i < ARRAY_SIZE(attachments); i++)
		attachments[i] =
			msg->attachments[i].filename != NULL ? msg->attachments[i].filename : "";
	in.attachments = attachments;
	in.attachments_count = i;
	for (i = 0; i < msg->headers_count && i < ARRAY_SIZE(headers); i++) {
		headers[i].name = msg->headers[i].name;
		headers[i].value = msg->headers[i].value;
	}
	in.headers = headers;
	in.headers_count = i;
	in.content_type = msg->content_type;
	in.duplicate = duplicate;
	in.suspected_injection = cls->injection;
	in.facts = facts;
	in.what_if = what_if;
	if (agent->rules == NULL)
		return rules_step_empty(result);
	return rules_eval(agent->rules, &in, result);
}

int rules_step(struct agent *agent, const struct mime_message *msg,
	       const struct classify_outcome *cls, const json_t *facts, bool duplicate,
	       struct rules_result *result)
{
	return rules_step_as(agent, msg, cls, cls->category, facts, duplicate, false, result);
}

/* Whether rule id is in list (fired or unevaluated entries). */
static bool doubt_listed(const json_t *list, const char *id)
{
	const json_t *e;
	size_t i;

	json_array_foreach(list, i, e)
	{
		const char *x = json_string_value(json_object_get(e, "id"));

		if (x != NULL && strcmp(x, id) == 0)
			return true;
	}
	return false;
}

/* Whether a fired rule requires a human or forbids automatic replies. */
static bool doubt_fired_holds(const json_t *fired)
{
	const json_t *a;
	size_t i;

	json_array_foreach(json_object_get(fired, "actions"), i, a)
	{
		const char *name = json_string_value(json_object_get(a, "action"));

		if (name != NULL &&
		    (strcmp(name, "require_human") == 0 || strcmp(name, "never_auto") == 0))
			return true;
	}
	return false;
}

/* Appends to ids (", "-separated) the rules of alt that hold the draft
 * back and are not in main: they hold only because of the category. */
static void doubt_holding_ids(const struct rules_result *alt, const struct rules_result *main,
			      char *ids, size_t size)
{
	const json_t *e;
	const char *id;
	size_t i, len;

	json_array_foreach(alt->fired, i, e)
	{
		id = json_string_value(json_object_get(e, "id"));
		if (id == NULL || !doubt_fired_holds(e) || doubt_listed(main->fired, id) ||
		    doubt_listed(main->unevaluated, id))
			continue;
		len = strlen(ids);
		snprintf(ids + len, size - len, "%s%s", len > 0 ? ", " : "", id);
	}
	json_array_foreach(alt->unevaluated, i, e)
	{
		id = json_string_value(json_object_get(e, "id"));
		if (id == NULL || !json_is_true(json_object_get(e, "holds_back")) ||
		    doubt_listed(main->fired, id) || doubt_listed(main->unevaluated, id))
			continue;
		len = strlen(ids);
		snprintf(ids + len, size - len, "%s%s (could not be evaluated)",
			 len > 0 ? ", " : "", id);
	}
}

/* Categories nobody answers automatically, whatever the rules say (as
 * daemon/promotion/promo.c never promotes them). */
static bool doubt_never_auto(const struct agent *agent, const char *category)
{
	const struct category_config *cc =
		agent->config != NULL ? config_category(agent->config, category) : NULL;

	return strcmp(category, "complaint") == 0 || strcmp(category, "legal") == 0 ||
	       (cc != NULL && cc->never_auto);
}

int doubt_step(struct agent *agent, const struct mime_message *msg,
	       const struct classify_outcome *cls, const json_t *facts,
	       const struct rules_result *main, char *why, size_t why_size)
{
	struct rules_result alt;
	char ids[160];
	const char *c;
	size_t i;
	int ret = 0;

	why[0] = '\0';
	if (cls->rival[0] != '\0' && cls->set_by_rule[0] == '\0') {
		snprintf(why, why_size, "the keyword lists and the Bayes model disagree (%s or %s)",
			 cls->category, cls->rival);
		ret = 1;
	}
	for (i = 0; ret == 0 && i < cls->contenders_count; i++) {
		c = cls->contenders[i];
		if (strcmp(c, cls->category) == 0)
			continue;
		if (doubt_never_auto(agent, c)) {
			snprintf(why, why_size,
				 "the mail may also be %s, which is never answered automatically",
				 c);
			ret = 1;
			continue;
		}
		if (rules_step_as(agent, msg, cls, c, facts, false, true, &alt) < 0) {
			ret = -1;
			continue;
		}
		ids[0] = '\0';
		doubt_holding_ids(&alt, main, ids, sizeof(ids));
		rules_result_free(&alt);
		if (ids[0] != '\0') {
			snprintf(why, why_size,
				 "the mail may also be %s, and as that %s would hold it back", c,
				 ids);
			ret = 1;
		}
	}
	return ret;
}
