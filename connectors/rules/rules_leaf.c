/* SPDX-License-Identifier: MIT */
/* Fact conditions of the rules, three-valued: a fact that is missing, null,
 * of a type the operator cannot compare, or behind a connector that failed
 * is RULES_UNKNOWN, never silently false (issue 17: "quote above EUR 5,000
 * needs a human" must not pass a quote whose total nobody could compute). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "connectors/rules/rules_private.h"
#include "daemon/lib/util.h"

#define WHY_UNKNOWN    "unknown"
#define WHY_TYPE       "has the wrong type"
#define WHY_CONNECTOR  "could not be looked up (the connector failed)"
#define WHY_NO_SOURCE  "has no source (no connector answers it)"
#define RULES_TEXT_MAX 64

const char *rules_domain(const char *addr)
{
	const char *at = addr != NULL ? strrchr(addr, '@') : NULL;

	return at != NULL ? at + 1 : NULL;
}

static enum rules_tri rules_unknown(struct rules_ctx *ctx, const struct rules_cond *c,
				    const char *why, const char *detail)
{
	size_t i;

	for (i = 0; i < ctx->unknown_count; i++) {
		if (ctx->unknown[i].cond == c && strcmp(ctx->unknown[i].why, why) == 0)
			return RULES_UNKNOWN;
	}
	if (ctx->unknown_count < RULES_UNKNOWN_MAX) {
		ctx->unknown[ctx->unknown_count].cond = c;
		ctx->unknown[ctx->unknown_count].why = why;
		ctx->unknown[ctx->unknown_count].detail = detail;
		ctx->unknown_count++;
	}
	return RULES_UNKNOWN;
}

static bool rules_re(const regex_t *re, const char *text)
{
	return text != NULL && regexec(re, text, 0, NULL, 0) == 0;
}

/* A fact as a number: a JSON number, or a string that is wholly one (SQL
 * numeric and CSV columns often arrive as text). */
static bool rules_number(const json_t *v, double *d_r)
{
	if (json_is_number(v)) {
		*d_r = json_number_value(v);
		return true;
	}
	return json_is_string(v) && parse_double(json_string_value(v), -1e15, 1e15, d_r) == 0;
}

/* A fact as a boolean: JSON true/false, or the text of one ("true", "no"). */
static bool rules_bool(const json_t *v, bool *b_r)
{
	if (json_is_boolean(v)) {
		*b_r = json_is_true(v);
		return true;
	}
	return json_is_string(v) && parse_bool(json_string_value(v), b_r) == 0;
}

/* A scalar fact as text: strings as they are, numbers as JSON writes them. */
static bool rules_text(const json_t *v, char *out, size_t size)
{
	char *t;

	if (json_is_string(v))
		return str_copy(out, size, json_string_value(v)) == 0;
	if (!json_is_number(v))
		return false;
	t = json_dumps(v, JSON_ENCODE_ANY);
	if (t == NULL)
		return false;
	str_copy(out, size, t);
	free(t);
	return true;
}

/* v == lit: 1 equal, 0 not, -1 when the two cannot be compared (a word
 * against a number, a list against anything). */
static int rules_equal(const json_t *v, const json_t *lit)
{
	char text[RULES_TEXT_MAX];
	double a;
	bool b;

	if (json_is_number(lit))
		return rules_number(v, &a) ? a == json_number_value(lit) : -1;
	if (json_is_boolean(lit))
		return rules_bool(v, &b) ? b == json_is_true(lit) : -1;
	if (json_is_string(lit)) {
		/* a CSV column read "0042" as 42: compare its text */
		if (json_is_string(v))
			return strcmp(json_string_value(v), json_string_value(lit)) == 0;
		return rules_text(v, text, sizeof(text)) ? strcmp(text, json_string_value(lit)) == 0
							 : -1;
	}
	if (json_is_null(lit))
		return 0; /* a null fact never got here: it is unknown */
	return -1;
}

/* One known value against the condition's op. */
static enum rules_tri rules_compare(struct rules_ctx *ctx, const struct rules_cond *c,
				    const json_t *v, const char *detail)
{
	char text[RULES_TEXT_MAX];
	size_t i;
	double a;
	int eq;

	if (c->op == RULES_OP_EXISTS)
		return v != NULL && !json_is_null(v) ? RULES_TRUE : RULES_FALSE;
	if (v == NULL || json_is_null(v))
		return rules_unknown(ctx, c, WHY_UNKNOWN, detail);
	switch (c->op) {
	case RULES_OP_EQ:
	case RULES_OP_NE:
		eq = rules_equal(v, c->value);
		if (eq < 0)
			return rules_unknown(ctx, c, WHY_TYPE, detail);
		return (eq == 1) == (c->op == RULES_OP_EQ) ? RULES_TRUE : RULES_FALSE;
	case RULES_OP_LT:
	case RULES_OP_LE:
	case RULES_OP_GT:
	case RULES_OP_GE:
		if (!rules_number(v, &a))
			return rules_unknown(ctx, c, WHY_TYPE, detail);
		if (c->op == RULES_OP_LT)
			return a < json_number_value(c->value) ? RULES_TRUE : RULES_FALSE;
		if (c->op == RULES_OP_LE)
			return a <= json_number_value(c->value) ? RULES_TRUE : RULES_FALSE;
		if (c->op == RULES_OP_GT)
			return a > json_number_value(c->value) ? RULES_TRUE : RULES_FALSE;
		return a >= json_number_value(c->value) ? RULES_TRUE : RULES_FALSE;
	case RULES_OP_IN:
		for (i = 0; i < json_array_size(c->value); i++) {
			eq = rules_equal(v, json_array_get(c->value, i));
			if (eq == 1)
				return RULES_TRUE;
			if (eq < 0)
				return rules_unknown(ctx, c, WHY_TYPE, detail);
		}
		return RULES_FALSE;
	case RULES_OP_MATCHES:
		if (!rules_text(v, text, sizeof(text)) && !json_is_string(v))
			return rules_unknown(ctx, c, WHY_TYPE, detail);
		return rules_re(&c->re, json_is_string(v) ? json_string_value(v) : text)
			       ? RULES_TRUE
			       : RULES_FALSE;
	case RULES_OP_EXISTS:
		break;
	}
	return RULES_FALSE;
}

/* Headers are always known: an absent header is a fact too. */
static enum rules_tri rules_header(struct rules_ctx *ctx, const struct rules_cond *c)
{
	const struct rules_input *in = ctx->in;
	enum rules_tri hit = RULES_FALSE, t;
	const char *v;
	json_t *s;
	size_t i, n;

	for (i = 0; i < in->headers_count && hit != RULES_TRUE; i++) {
		if (strcasecmp(in->headers[i].name, c->field) != 0)
			continue;
		if (c->op == RULES_OP_EXISTS)
			return RULES_TRUE;
		/* "Precedence:  bulk " must match ^(bulk|list|junk)$ */
		v = in->headers[i].value;
		v += strspn(v, " \t");
		n = strlen(v);
		while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r'))
			n--;
		s = json_stringn(v, n);
		if (s == NULL)
			return rules_unknown(ctx, c, WHY_UNKNOWN, "out of memory");
		t = rules_compare(ctx, c, s, NULL);
		json_decref(s);
		if (t == RULES_TRUE || (t == RULES_UNKNOWN && hit == RULES_FALSE))
			hit = t;
	}
	return hit;
}

static enum rules_tri rules_message(struct rules_ctx *ctx, const struct rules_cond *c)
{
	const struct rules_input *in = ctx->in;
	json_t *v = NULL;
	enum rules_tri t;

	if (strcmp(c->field, "content_type") == 0)
		v = in->content_type != NULL ? json_string(in->content_type) : NULL;
	else if (strcmp(c->field, "reply_to_domain_differs") == 0)
		v = json_boolean(ctx->reply_to_differs);
	else if (strcmp(c->field, "duplicate") == 0)
		v = json_boolean(in->duplicate);
	else if (strcmp(c->field, "suspected_injection") == 0)
		v = json_boolean(in->suspected_injection);
	t = rules_compare(ctx, c, v, NULL);
	json_decref(v);
	return t;
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

/* The computed quote (facts.quote, an object). Absent means nothing could
 * compute it (no SKU connector): unknown, as is a null total. */
static enum rules_tri rules_quote(struct rules_ctx *ctx, const struct rules_cond *c,
				  const json_t *quote)
{
	const char *why = json_string_value(json_object_get(quote, "unknown"));

	if (!json_is_object(quote))
		return c->op == RULES_OP_EXISTS ? RULES_FALSE
						: rules_unknown(ctx, c, WHY_NO_SOURCE, NULL);
	return rules_compare(ctx, c, json_object_get(quote, c->field), why);
}

/* Existential over the entries of facts[ns] (the conventions): true when it
 * holds for one entry; unknown when it holds for none but some entry could
 * not be judged (found null: the connector failed; a found entry without
 * the field, or with a value of another type); false otherwise. "found"
 * looks at every entry, other fields only at entries that were found. An
 * empty list means no key of that kind was mentioned: false. A namespace
 * missing altogether has no connector behind it: unknown. */
static enum rules_tri rules_fact_list(struct rules_ctx *ctx, const struct rules_cond *c)
{
	const json_t *list = json_object_get(ctx->in->facts, c->ns), *e, *found;
	enum rules_tri hit = RULES_FALSE, t;
	const char *key;
	json_t *v;
	size_t i;

	if (strcmp(c->ns, "quote") == 0)
		return rules_quote(ctx, c, list);
	if (!json_is_array(list))
		return c->op == RULES_OP_EXISTS ? RULES_FALSE
						: rules_unknown(ctx, c, WHY_NO_SOURCE, NULL);
	json_array_foreach(list, i, e)
	{
		found = json_object_get(e, "found");
		key = json_string_value(json_object_get(e, "key"));
		if (!json_is_boolean(found)) {
			t = rules_unknown(ctx, c, WHY_CONNECTOR, key);
		} else if (strcmp(c->field, "found") == 0) {
			t = rules_compare(ctx, c, found, key);
		} else if (!json_is_true(found)) {
			continue;
		} else if (strcmp(c->field, "belongs_to_sender") == 0) {
			v = rules_belongs(ctx, e);
			t = rules_compare(ctx, c, v, key);
			json_decref(v);
		} else {
			t = rules_compare(ctx, c, json_object_get(e, c->field), key);
		}
		if (t == RULES_TRUE)
			return RULES_TRUE;
		if (t == RULES_UNKNOWN)
			hit = RULES_UNKNOWN;
	}
	return hit;
}

enum rules_tri rules_leaf_fact(struct rules_ctx *ctx, const struct rules_cond *c)
{
	if (strcmp(c->ns, "header") == 0)
		return rules_header(ctx, c);
	if (strcmp(c->ns, "message") == 0)
		return rules_message(ctx, c);
	return rules_fact_list(ctx, c);
}
