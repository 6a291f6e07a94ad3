/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "agent/pipeline/facts.h"
#include "agent/guard/gate.h"
#include "agent/guard/guard.h"
#include "agent/guard/guard_content.h"
#include "agent/pipeline/steps.h"
#include "agent/guard/trust.h"
#include "daemon/lib/buf.h"
#include "daemon/lib/util.h"

#define URL_ALLOW_MAX 32
#define PHONES_MAX    16

/* Splits "a, b,c" into trimmed words inside buf; returns the count. */
static size_t split_list(char *buf, const char **out, size_t max)
{
	size_t n = 0;
	char *p = buf, *end;

	while (p != NULL && *p != '\0' && n < max) {
		end = strchr(p, ',');
		if (end != NULL)
			*end++ = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		for (char *t = p + strlen(p); t > p && (t[-1] == ' ' || t[-1] == '\t'); t--)
			t[-1] = '\0';
		if (*p != '\0')
			out[n++] = p;
		p = end;
	}
	return n;
}

const char *guard_reply_subject(const struct mime_message *msg, const struct llm_draft *draft)
{
	return msg->subject != NULL && msg->subject[0] != '\0' ? msg->subject : draft->subject;
}

/* The output gates (agent/guard/gate.h) and the built-in never-auto checks
 * (agent/guard/trust.h) on the draft, appended to res. Returns 0, -1 when out of
 * memory. */
static int run_gates(const struct config *c, const struct mime_message *msg,
		     const struct classify_outcome *cls, const struct llm_draft *draft,
		     const json_t *facts, const char *const *company, size_t ncompany,
		     const struct guard_input *gin, struct guard_result *res)
{
	struct gate_input in;
	const char *phones[PHONES_MAX];
	char *phones_buf = NULL, *customer_text = NULL;
	struct buf b;
	int ret = -1;

	memset(&in, 0, sizeof(in));
	buf_init(&b, 3 * GUARD_TEXT_MAX + 3);
	/* what the customer wrote, subject and signature included: their own
	 * address and phone are there */
	if ((msg->subject != NULL &&
	     (buf_append(&b, msg->subject, strnlen(msg->subject, GUARD_TEXT_MAX)) < 0 ||
	      buf_append(&b, "\n", 1) < 0)) ||
	    buf_append(&b, msg->text, strnlen(msg->text, GUARD_TEXT_MAX)) < 0 ||
	    buf_append(&b, "\n", 1) < 0 ||
	    buf_append(&b, msg->signature, strnlen(msg->signature, GUARD_TEXT_MAX)) < 0)
		goto out;
	customer_text = buf_steal(&b);
	if (c->agent.signature_phones != NULL) {
		phones_buf = strdup(c->agent.signature_phones);
		if (phones_buf == NULL)
			goto out;
		in.phones = phones;
		in.phones_count = split_list(phones_buf, phones, PHONES_MAX);
	}
	/* the subject that goes out: the customer's own, which an attacker
	 * writes, unless the mail had none */
	in.subject = guard_reply_subject(msg, draft);
	in.body = draft->body;
	in.customer = msg->from_addr;
	in.customer_name = msg->from_name;
	in.customer_text = customer_text;
	in.own = company;
	in.own_count = ncompany;
	in.url_allow = gin->url_allow;
	in.url_allow_count = gin->url_allow_count;
	in.facts = facts;
	in.trusted = draft->template_text;
	if (gate_check(&in, res) < 0)
		goto out;
	(void)trust_check(msg, trust_recipient(msg, cls->injection), c->agent.authserv_id, res);
	ret = 0;
out:
	buf_free(&b);
	free(customer_text);
	free(phones_buf);
	return ret;
}

json_t *guard_step(struct agent *agent, const char *mailbox, const struct mime_message *msg,
		   const struct classify_outcome *cls, const struct llm_draft *draft,
		   const json_t *facts, const json_t *forbidden)
{
	const struct config *c = agent->config;
	const struct mailbox_config *mb = mailbox != NULL ? config_mailbox(c, mailbox) : NULL;
	struct key_hit requested[64];
	struct guard_input in;
	struct guard_result *res = NULL;
	const char *company[16], *allow[URL_ALLOW_MAX];
	char *allow_buf = NULL;
	json_t *flags = NULL;
	size_t i, ncompany = 0;
	int n;

	res = calloc(1, sizeof(*res));
	if (res == NULL)
		goto out;
	if (mb != NULL && mb->address != NULL)
		company[ncompany++] = mb->address;
	for (i = 0; i < c->mailboxes_count && ncompany < ARRAY_SIZE(company); i++) {
		if (c->mailboxes[i].address != NULL && &c->mailboxes[i] != mb)
			company[ncompany++] = c->mailboxes[i].address;
	}
	memset(&in, 0, sizeof(in));
	in.subject = draft->subject;
	in.body = draft->body;
	in.customer = msg->from_addr;
	in.reply_to = msg->reply_to;
	in.company = company;
	in.company_count = ncompany;
	in.facts = facts;
	in.forbidden_phrases = forbidden;
	if (c->agent.url_allow != NULL) {
		allow_buf = strdup(c->agent.url_allow);
		if (allow_buf == NULL)
			goto out;
		in.url_allow = allow;
		in.url_allow_count = split_list(allow_buf, allow, URL_ALLOW_MAX);
	}
	n = facts_requested(agent->facts, msg->text, requested, ARRAY_SIZE(requested));
	in.requested = requested;
	in.requested_count = n > 0 ? (size_t)n : 0;
	in.request_text = msg->text;
	/* -1 leaves an "error" flag in res: never treated as clean */
	(void)guard_check(&in, res);
	/* what the reply says: empty sections, promises, echoes, language */
	struct guard_content_input cin = {
		.body = draft->body,
		.customer_text = msg->text,
		.customer_lang = cls->language[0] != '\0' ? cls->language : NULL,
		.draft_lang = draft->language,
		.category = draft->category,
		.facts = facts,
		.requested = requested,
		.requested_count = in.requested_count,
	};
	(void)guard_content_check(&cin, res);
	if (run_gates(c, msg, cls, draft, facts, company, ncompany, &in, res) < 0)
		goto out;
	flags = guard_result_json(res);
	if (flags != NULL && cls->injection) {
		char *reasons = json_dumps(cls->injection_reasons, JSON_COMPACT);

		json_array_append_new(
			flags, json_pack("{s:s, s:s+}", "flag", "suspected_injection", "detail",
					 "the email tries to instruct the assistant: ",
					 reasons != NULL ? reasons : "[]"));
		free(reasons);
	}
out:
	free(allow_buf);
	free(res);
	return flags;
}
