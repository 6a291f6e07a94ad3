/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "agent/classify/injection.h"
#include "agent/pipeline/steps.h"
#include "daemon/lib/util.h"

/* The company's own addresses: a redirect to them is no injection. */
static size_t own_addresses(const struct config *c, const char **out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < c->mailboxes_count && n < max; i++) {
		if (c->mailboxes[i].address != NULL)
			out[n++] = c->mailboxes[i].address;
	}
	return n;
}

int classify_step(struct agent *agent, const struct mime_message *msg, struct classify_outcome *out)
{
	struct classify_input cin;
	struct classify_result cres;
	struct injection_input iin;
	struct injection_result ires;
	const char *attachments[INJECTION_ATTACHMENTS_MAX], *own[16];
	size_t i;
	int r;

	memset(out, 0, sizeof(*out));
	memset(&cin, 0, sizeof(cin));
	memset(&cres, 0, sizeof(cres));
	cin.subject = msg->subject;
	cin.text = msg->text;
	cin.full_text = msg->full_text;
	cin.sender = msg->from_addr;
	cin.has_attachments = msg->attachments_count > 0;
	/* the model is read under the lock: a retrain frees the old one */
	pthread_mutex_lock(&agent->lock);
	r = classify_run(agent->classes, agent->bayes, &cin, &cres);
	pthread_mutex_unlock(&agent->lock);
	if (r < 0)
		return -1;
	str_copy(out->category, sizeof(out->category), cres.category);
	out->confidence = cres.confidence;
	out->source = cres.source;
	str_copy(out->language, sizeof(out->language), cres.language);
	str_copy(out->rival, sizeof(out->rival), cres.rival);
	for (i = 0; i < cres.contenders_count && i < CLASSIFY_CONTENDERS_MAX; i++)
		str_copy(out->contenders[i], sizeof(out->contenders[i]), cres.contenders[i]);
	out->contenders_count = i;
	out->scores = cres.scores;
	cres.scores = NULL;
	classify_result_clear(&cres);

	memset(&iin, 0, sizeof(iin));
	iin.subject = msg->subject;
	iin.text = msg->text;
	iin.full_text = msg->full_text;
	for (i = 0; i < msg->attachments_count && i < ARRAY_SIZE(attachments); i++)
		attachments[i] = msg->attachments[i].filename;
	iin.attachments = attachments;
	iin.attachments_count = i;
	iin.sender = msg->from_addr;
	iin.reply_to = msg->reply_to;
	iin.own_count = own_addresses(agent->config, own, ARRAY_SIZE(own));
	iin.own_addresses = own;
	iin.mime_flags = msg->flags;
	/* -1 still fills ires as "suspected": a failed scan never clears a message */
	(void)injection_scan(&iin, &ires);
	out->injection = ires.suspected;
	out->injection_reasons = injection_reasons_json(&ires);
	return out->injection_reasons == NULL ? -1 : 0;
}

void classify_outcome_clear(struct classify_outcome *out)
{
	json_decref(out->injection_reasons);
	json_decref(out->scores);
	memset(out, 0, sizeof(*out));
}

void classify_outcome_override(struct classify_outcome *out, const char *category)
{
	str_copy(out->set_by_rule, sizeof(out->set_by_rule), category);
	str_copy(out->category, sizeof(out->category), category);
}

json_t *classify_outcome_json(const struct classify_outcome *out)
{
	return json_pack("{s:s, s:f, s:s, s:s, s:b, s:O, s:O}", "category", out->category,
			 "confidence", out->confidence, "source",
			 llm_confidence_source_name(out->source), "language", out->language,
			 "suspected_injection", out->injection, "injection_reasons",
			 out->injection_reasons != NULL ? out->injection_reasons : json_null(),
			 "scores", out->scores != NULL ? out->scores : json_null());
}
