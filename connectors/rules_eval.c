#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "connectors/rules_private.h"
#include "daemon/log.h"
#include "daemon/util.h"

static uint64_t time_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Evaluation context: the input plus its normalised texts, made once. */
struct rules_ctx {
	const struct rules_input *in;
	const char *subject;
	const char *body;
	const char *sender_domain;
	bool reply_to_differs;
};

static const char *rules_domain(const char *addr)
{
	const char *at = addr != NULL ? strrchr(addr, '@') : NULL;

	return at != NULL ? at + 1 : NULL;
}

static bool rules_re(const regex_t *re, const char *text)
{
	return text != NULL && regexec(re, text, 0, NULL, 0) == 0;
}

/* Numbers compare by value whatever their JSON type. */
static bool rules_equal(const json_t *a, const json_t *b)
{
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	return json_equal((json_t *)a, (json_t *)b);
}

/* One value against the condition's op. A null or absent value only
 * satisfies nothing: unknown is not false. */
static bool rules_compare(const struct rules_cond *c, const json_t *v)
{
	size_t i;

	if (c->op == RULES_OP_EXISTS)
		return v != NULL && !json_is_null(v);
	if (v == NULL || json_is_null(v))
		return false;
	switch (c->op) {
	case RULES_OP_EQ:
		return rules_equal(v, c->value);
	case RULES_OP_NE:
		return !rules_equal(v, c->value);
	case RULES_OP_LT:
		return json_is_number(v) && json_number_value(v) < json_number_value(c->value);
	case RULES_OP_LE:
		return json_is_number(v) && json_number_value(v) <= json_number_value(c->value);
	case RULES_OP_GT:
		return json_is_number(v) && json_number_value(v) > json_number_value(c->value);
	case RULES_OP_GE:
		return json_is_number(v) && json_number_value(v) >= json_number_value(c->value);
	case RULES_OP_IN:
		for (i = 0; i < json_array_size(c->value); i++) {
			if (rules_equal(v, json_array_get(c->value, i)))
				return true;
		}
		return false;
	case RULES_OP_MATCHES:
		return json_is_string(v) && rules_re(&c->re, json_string_value(v));
	case RULES_OP_EXISTS:
		break;
	}
	return false;
}

static bool rules_header(const struct rules_ctx *ctx, const struct rules_cond *c)
{
	const struct rules_input *in = ctx->in;
	const char *v;
	char *trimmed;
	size_t i, n;
	bool hit;

	for (i = 0; i < in->headers_count; i++) {
		if (strcasecmp(in->headers[i].name, c->field) != 0)
			continue;
		if (c->op == RULES_OP_EXISTS)
			return true;
		/* "Precedence:  bulk " must match ^(bulk|list|junk)$ */
		v = in->headers[i].value;
		v += strspn(v, " \t");
		n = strlen(v);
		while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r'))
			n--;
		trimmed = strndup(v, n);
		if (trimmed == NULL)
			return false;
		json_t *s = json_string(trimmed);
		hit = s != NULL && rules_compare(c, s);
		json_decref(s);
		free(trimmed);
		if (hit)
			return true;
	}
	return false;
}

static bool rules_message(const struct rules_ctx *ctx, const struct rules_cond *c)
{
	const struct rules_input *in = ctx->in;
	json_t *v = NULL;
	bool hit;

	if (strcmp(c->field, "content_type") == 0)
		v = in->content_type != NULL ? json_string(in->content_type) : NULL;
	else if (strcmp(c->field, "reply_to_domain_differs") == 0)
		v = json_boolean(ctx->reply_to_differs);
	else if (strcmp(c->field, "duplicate") == 0)
		v = json_boolean(in->duplicate);
	else if (strcmp(c->field, "suspected_injection") == 0)
		v = json_boolean(in->suspected_injection);
	hit = rules_compare(c, v);
	json_decref(v);
	return hit;
}

/* order.belongs_to_sender: the order's customer_email is the sender or on
 * the sender's domain (conventions), unless the connector said otherwise. */
static json_t *rules_belongs(const struct rules_ctx *ctx, const json_t *entry)
{
	const json_t *v = json_object_get(entry, "belongs_to_sender");
	const char *email = json_string_value(json_object_get(entry, "customer_email"));
	const char *d = rules_domain(email);

	if (v != NULL)
		return json_incref((json_t *)v);
	if (email == NULL || ctx->in->sender == NULL)
		return json_null();
	return json_boolean(strcasecmp(email, ctx->in->sender) == 0 ||
			    (d != NULL && ctx->sender_domain != NULL &&
			     strcasecmp(d, ctx->sender_domain) == 0));
}

/* Existential over the entries of facts[ns]: "found" looks at every entry
 * with a known answer, other fields only at entries that were found. */
static bool rules_fact_list(const struct rules_ctx *ctx, const struct rules_cond *c)
{
	const json_t *list = json_object_get(ctx->in->facts, c->ns), *e, *found;
	json_t *v;
	size_t i;
	bool hit;

	if (strcmp(c->ns, "quote") == 0 && json_is_object(list))
		return rules_compare(c, json_object_get(list, c->field));
	json_array_foreach(list, i, e)
	{
		found = json_object_get(e, "found");
		if (!json_is_boolean(found))
			continue; /* unknown */
		if (strcmp(c->field, "found") == 0) {
			if (rules_compare(c, found))
				return true;
			continue;
		}
		if (!json_is_true(found))
			continue;
		if (strcmp(c->field, "belongs_to_sender") == 0) {
			v = rules_belongs(ctx, e);
			hit = rules_compare(c, v);
			json_decref(v);
		} else {
			hit = rules_compare(c, json_object_get(e, c->field));
		}
		if (hit)
			return true;
	}
	return false;
}

static bool rules_holds(const struct rules_ctx *ctx, const struct rules_cond *c)
{
	const struct rules_input *in = ctx->in;
	size_t i;

	switch (c->type) {
	case RULES_COND_TRUE:
		return true;
	case RULES_COND_ALL:
		for (i = 0; i < c->children_count; i++) {
			if (!rules_holds(ctx, &c->children[i]))
				return false;
		}
		return true;
	case RULES_COND_ANY:
		for (i = 0; i < c->children_count; i++) {
			if (rules_holds(ctx, &c->children[i]))
				return true;
		}
		return false;
	case RULES_COND_NOT:
		return !rules_holds(ctx, &c->children[0]);
	case RULES_COND_CATEGORY:
		for (i = 0; in->category != NULL && i < c->names_count; i++) {
			if (strcasecmp(c->names[i], in->category) == 0)
				return true;
		}
		return false;
	case RULES_COND_SENDER_DOMAIN_IN:
		for (i = 0; ctx->sender_domain != NULL && i < c->names_count; i++) {
			if (strcasecmp(c->names[i], ctx->sender_domain) == 0)
				return true;
		}
		return false;
	case RULES_COND_SENDER_MATCHES:
		return rules_re(&c->re, in->sender);
	case RULES_COND_SUBJECT_MATCHES:
		return rules_re(&c->re, ctx->subject);
	case RULES_COND_BODY_MATCHES:
		return rules_re(&c->re, ctx->body);
	case RULES_COND_ATTACHMENT_MATCHES:
		for (i = 0; i < in->attachments_count; i++) {
			if (rules_re(&c->re, in->attachments[i]))
				return true;
		}
		return false;
	case RULES_COND_FACT:
		if (strcmp(c->ns, "header") == 0)
			return rules_header(ctx, c);
		if (strcmp(c->ns, "message") == 0)
			return rules_message(ctx, c);
		return rules_fact_list(ctx, c);
	}
	return false;
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

int rules_eval(const struct rules_set *set, const struct rules_input *input,
	       struct rules_result *result)
{
	struct rules_ctx ctx = {input, NULL, NULL, NULL, false};
	char *subject = NULL, *body = NULL;
	const char *rd;
	size_t i, fired = 0;
	uint64_t start = time_mono_us();
	int ret = -1;

	memset(result, 0, sizeof(*result));
	result->fired = json_array();
	result->reasons = json_array();
	result->forbidden_phrases = json_array();
	result->notes = json_array();
	subject = rules_normalize(input->subject != NULL ? input->subject : "");
	body = rules_normalize(input->body != NULL ? input->body : "");
	if (result->fired == NULL || result->reasons == NULL || result->forbidden_phrases == NULL ||
	    result->notes == NULL || subject == NULL || body == NULL)
		goto out;
	ctx.subject = subject;
	ctx.body = body;
	ctx.sender_domain = rules_domain(input->sender);
	rd = rules_domain(input->reply_to);
	ctx.reply_to_differs =
		rd != NULL && ctx.sender_domain != NULL && strcasecmp(rd, ctx.sender_domain) != 0;
	for (i = 0; i < set->count; i++) {
		if (!rules_holds(&ctx, &set->rules[i].when))
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
	atomic_fetch_add(&set->stats->evaluations, 1);
	atomic_fetch_add(&set->stats->fired, fired);
	if (result->outcome == RULES_SKIP)
		atomic_fetch_add(&set->stats->skipped, 1);
	else if (result->outcome == RULES_REQUIRE_HUMAN)
		atomic_fetch_add(&set->stats->require_human, 1);
	atomic_fetch_add(&set->stats->latency_us, time_mono_us() - start);
	/* rule ids and counts only: the input is customer data */
	log_debug("rules evaluated rules=%zu fired=%zu outcome=%s", set->count, fired,
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
	return json_pack("{s:s, s:b, s:b, s:s?, s:O, s:O, s:O, s:O}", "outcome",
			 rules_outcome_name(r->outcome), "never_auto", r->never_auto,
			 "facts_unknown", r->facts_unknown, "category", r->category, "fired",
			 r->fired, "reasons", r->reasons, "forbidden_phrases", r->forbidden_phrases,
			 "notes", r->notes);
}
