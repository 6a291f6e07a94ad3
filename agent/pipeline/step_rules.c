#include <string.h>

#include "agent/pipeline/steps.h"
#include "connectors/rules/rules.h"
#include "daemon/lib/util.h"

#define RULES_ATTACHMENTS_MAX 64

int rules_step(struct agent *agent, const struct mime_message *msg,
	       const struct classify_outcome *cls, const json_t *facts, bool duplicate,
	       struct rules_result *result)
{
	struct rules_input in;
	struct rules_header headers[MIME_HEADERS_MAX];
	const char *attachments[RULES_ATTACHMENTS_MAX];
	size_t i;

	memset(&in, 0, sizeof(in));
	in.category = cls->category;
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
	if (agent->rules == NULL) {
		memset(result, 0, sizeof(*result));
		result->fired = json_array();
		result->unevaluated = json_array();
		result->reasons = json_array();
		result->forbidden_phrases = json_array();
		result->notes = json_array();
		if (result->fired == NULL || result->unevaluated == NULL ||
		    result->reasons == NULL || result->forbidden_phrases == NULL ||
		    result->notes == NULL) {
			rules_result_free(result);
			return -1;
		}
		return 0;
	}
	return rules_eval(agent->rules, &in, result);
}
