/* SPDX-License-Identifier: MIT */
#include "agent/template/answer.h"
#include "agent/pipeline/steps.h"

int answer_step(struct agent *agent, const struct mime_message *msg,
		const struct classify_outcome *cls, json_t *draft_facts)
{
	struct answer_input in = {
		.language = cls->language[0] != '\0' ? cls->language : NULL,
		.text = msg->text,
		.disclosure = agent->config->agent.stock_disclosure,
	};

	return answer_prepare(draft_facts, &in);
}
