/* SPDX-License-Identifier: MIT */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/template/template.h"
#include "agent/template/template_node.h"
#include "agent/template/localize.h"
#include "daemon/lib/buf.h"
#include "daemon/lib/util.h"

struct template_ctx {
	const char *name; /* the block's name, NULL for the root */
	const json_t *item;
};

struct template_run {
	struct buf out;
	size_t line_start; /* where the current output line began */
	bool line_missing; /* a value of this line was missing: drop it */
	struct template_ctx ctx[TEMPLATE_MAX_DEPTH + 1];
	unsigned int depth;
	json_t *used;
	const char *lang; /* the reply's language, for filters */
	struct error *err;
};

/* Ends the current output line: keeps it, or drops it when a fact was missing. */
static void template_end_line(struct template_run *r)
{
	if (r->line_missing) {
		r->out.len = r->line_start;
		if (r->out.data != NULL)
			r->out.data[r->out.len] = '\0';
		r->line_missing = false;
	}
	r->line_start = r->out.len;
}

static int template_emit(struct template_run *r, const char *s, size_t len)
{
	const char *nl;
	size_t n;

	while (len > 0) {
		nl = memchr(s, '\n', len);
		n = nl != NULL ? (size_t)(nl - s) + 1 : len;
		if (buf_append(&r->out, s, n) < 0) {
			error_set(r->err, "output exceeds %zu bytes", r->out.max);
			return -1;
		}
		if (nl != NULL)
			template_end_line(r);
		s += n;
		len -= n;
	}
	return 0;
}

/* A list of exactly one item stands for that item; any other list is ambiguous. */
static const json_t *template_single(const json_t *v)
{
	if (json_is_array(v))
		return json_array_size(v) == 1 ? json_array_get(v, 0) : NULL;
	return v;
}

static const json_t *template_lookup(const struct template_run *r, const char *path)
{
	const json_t *v = NULL;
	const char *seg = path, *dot;
	char name[TEMPLATE_NODE_MAX_PATH + 1];
	size_t len;
	unsigned int i;

	dot = strchr(seg, '.');
	len = dot != NULL ? (size_t)(dot - seg) : strlen(seg);
	memcpy(name, seg, len);
	name[len] = '\0';
	for (i = r->depth + 1; i-- > 0 && v == NULL;) {
		if (dot != NULL && r->ctx[i].name != NULL && strcmp(r->ctx[i].name, name) == 0)
			v = r->ctx[i].item;
		else if (json_is_object(r->ctx[i].item))
			v = json_object_get(r->ctx[i].item, name);
		else
			continue;
		if (v != NULL && dot != NULL && v != r->ctx[i].item)
			v = template_single(v);
	}
	while (v != NULL && dot != NULL) {
		seg = dot + 1;
		dot = strchr(seg, '.');
		len = dot != NULL ? (size_t)(dot - seg) : strlen(seg);
		memcpy(name, seg, len);
		name[len] = '\0';
		v = json_is_object(v) ? json_object_get(v, name) : NULL;
		if (v != NULL && dot != NULL)
			v = template_single(v);
	}
	return json_is_null(v) ? NULL : v;
}

static bool template_number(const json_t *v, double *d_r);

/* A filtered value in the reply's language; a value the filter cannot
 * write counts as missing (its line is dropped, nothing half-written). */
static int template_filtered(struct template_run *r, const json_t *v, enum template_filter f)
{
	char out[96];
	double d;
	int rc = -1;

	if (f == TFILTER_DATE && json_is_string(v))
		rc = loc_date(r->lang, json_string_value(v), out, sizeof(out));
	else if (f == TFILTER_MONEY && template_number(v, &d))
		rc = loc_money(r->lang, d, out, sizeof(out));
	else if (f == TFILTER_NUMBER && template_number(v, &d))
		rc = loc_number(r->lang, d, -1, out, sizeof(out));
	if (rc < 0) {
		r->line_missing = true;
		return 0;
	}
	return template_emit(r, out, strlen(out));
}

static int template_value(struct template_run *r, const struct template_node *n)
{
	const json_t *v = template_single(template_lookup(r, n->text));
	char num[64];

	if (n->filter != TFILTER_NONE)
		return template_filtered(r, v, n->filter);
	if (json_is_string(v))
		return template_emit(r, json_string_value(v), json_string_length(v));
	if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return template_emit(r, num, strlen(num));
	}
	if (json_is_real(v)) {
		snprintf(num, sizeof(num), "%.2f", json_real_value(v));
		return template_emit(r, num, strlen(num));
	}
	if (json_is_boolean(v))
		return template_emit(r, json_is_true(v) ? "yes" : "no", json_is_true(v) ? 3 : 2);
	r->line_missing = true;
	return 0;
}

static bool template_truthy(const json_t *v)
{
	if (v == NULL || json_is_false(v) || json_is_null(v))
		return false;
	if (json_is_array(v))
		return json_array_size(v) > 0;
	if (json_is_object(v))
		return json_object_size(v) > 0;
	if (json_is_string(v))
		return json_string_length(v) > 0;
	if (json_is_number(v))
		return json_number_value(v) != 0.0;
	return true;
}

/* A number, or a string that is wholly one ("1200" from a text column). */
static bool template_number(const json_t *v, double *d_r)
{
	if (json_is_number(v)) {
		*d_r = json_number_value(v);
		return true;
	}
	return json_is_string(v) && parse_double(json_string_value(v), -1e15, 1e15, d_r) == 0;
}

/* A boolean, or the string "true"/"false" (a CSV column). */
static bool template_bool(const json_t *v, bool *b_r)
{
	if (json_is_boolean(v)) {
		*b_r = json_is_true(v);
		return true;
	}
	if (json_is_string(v) && (strcmp(json_string_value(v), "true") == 0 ||
				  strcmp(json_string_value(v), "false") == 0)) {
		*b_r = strcmp(json_string_value(v), "true") == 0;
		return true;
	}
	return false;
}

/* 1 true, 0 false, -1 unknown (the fact is missing or of another type). */
static int template_cond(const struct template_run *r, const struct template_node *n)
{
	const json_t *v = template_lookup(r, n->text);
	double a, b;
	bool b_v;
	int c;

	if (n->op == TOP_TRUTHY)
		return template_truthy(v);
	if (n->op == TOP_NOT)
		return !template_truthy(v);
	v = template_single(v);
	if (v == NULL)
		return -1;
	if (json_is_number(n->literal) && template_number(v, &a)) {
		b = json_number_value(n->literal);
		c = a < b ? -1 : a > b ? 1 : 0;
	} else if (json_is_string(n->literal) && json_is_string(v)) {
		c = strcmp(json_string_value(v), json_string_value(n->literal)) != 0;
	} else if (json_is_boolean(n->literal) && template_bool(v, &b_v)) {
		c = b_v != json_is_true(n->literal);
	} else {
		return -1;
	}
	switch (n->op) {
	case TOP_GT:
		return c > 0;
	case TOP_GE:
		return c >= 0;
	case TOP_LT:
		return c < 0;
	case TOP_LE:
		return c <= 0;
	case TOP_EQ:
		return c == 0;
	case TOP_NE:
		return c != 0;
	default:
		return -1;
	}
}

static void template_note_used(struct template_run *r, const char *block, const json_t *item)
{
	static const char *const keys[] = {"sku", "order_id", "key", "id"};
	const json_t *key = NULL, *u;
	char ref[256];
	size_t i;

	if (r->used == NULL || !json_is_object(item))
		return;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]) && !json_is_string(key); i++)
		key = json_object_get(item, keys[i]);
	if (!json_is_string(key))
		return;
	snprintf(ref, sizeof(ref), "%s:%s", block, json_string_value(key));
	json_array_foreach(r->used, i, u)
	{
		if (strcmp(json_string_value(u), ref) == 0)
			return;
	}
	json_array_append_new(r->used, json_string(ref));
}

static int template_nodes(struct template_run *r, const struct template_node *n);

static int template_section(struct template_run *r, const struct template_node *n)
{
	const json_t *v = template_lookup(r, n->text), *item;
	size_t i;
	int ret = 0;

	if (!template_truthy(v))
		return 0;
	if (json_is_array(v) && json_array_size(v) > TEMPLATE_MAX_ITEMS) {
		error_set(r->err, "line %u: {{#%s}} has %zu items, over %d", n->line, n->text,
			  json_array_size(v), TEMPLATE_MAX_ITEMS);
		return -1;
	}
	r->depth++;
	r->ctx[r->depth].name = n->text;
	if (json_is_array(v)) {
		for (i = 0; i < json_array_size(v) && ret == 0; i++) {
			item = json_array_get(v, i);
			r->ctx[r->depth].item = item;
			template_note_used(r, n->text, item);
			ret = template_nodes(r, n->child);
		}
	} else {
		r->ctx[r->depth].item = json_is_object(v) ? v : r->ctx[r->depth - 1].item;
		ret = template_nodes(r, n->child);
	}
	r->depth--;
	return ret;
}

static int template_nodes(struct template_run *r, const struct template_node *n)
{
	int c;

	for (; n != NULL; n = n->next) {
		switch (n->type) {
		case TNODE_TEXT:
			if (template_emit(r, n->text, n->text_len) < 0)
				return -1;
			break;
		case TNODE_VAR:
			if (template_value(r, n) < 0)
				return -1;
			break;
		case TNODE_SECTION:
			if (template_section(r, n) < 0)
				return -1;
			break;
		case TNODE_IF:
			c = template_cond(r, n);
			if (c > 0 && template_nodes(r, n->child) < 0)
				return -1;
			if (c == 0 && template_nodes(r, n->else_child) < 0)
				return -1;
			break;
		}
	}
	return 0;
}

/* Collapses runs of blank lines into one and trims blank lines at both ends. */
static void template_tidy(struct buf *b)
{
	size_t i, o = 0, newlines = 0;
	char c;

	for (i = 0; i < b->len; i++) {
		c = b->data[i];
		if (c == '\n') {
			newlines++;
			if (o == 0 || newlines > 2)
				continue;
		} else {
			newlines = 0;
		}
		b->data[o++] = c;
	}
	while (o > 0 && (b->data[o - 1] == '\n' || b->data[o - 1] == ' '))
		o--;
	if (b->data != NULL)
		b->data[o] = '\0';
	b->len = o;
}

int template_render(const struct template *tpl, const json_t *root, const char *lang,
		    size_t max_output, char **out_r, json_t *used, struct error *err)
{
	struct template_run r = {
		.used = json_is_array(used) ? used : NULL, .lang = lang, .err = err};
	int ret = -1;

	*out_r = NULL;
	buf_init(&r.out, max_output);
	r.ctx[0].item = root;
	if (template_nodes(&r, tpl->first) < 0)
		goto out;
	template_end_line(&r);
	template_tidy(&r.out);
	*out_r = buf_steal(&r.out);
	if (*out_r == NULL)
		*out_r = strdup("");
	if (*out_r == NULL) {
		error_set(err, "out of memory");
		goto out;
	}
	ret = 0;
out:
	buf_free(&r.out);
	return ret;
}
