/* SPDX-License-Identifier: MIT */
#include "agent/template/template.h"

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/template/template_node.h"
#include "daemon/lib/util.h"

struct template_open {
	struct template_node *node; /* NULL for the root */
	struct template_node **tail;
	bool in_else;
};

struct template_parser {
	const char *src;
	size_t len;
	struct template_open stack[TEMPLATE_MAX_DEPTH + 1];
	unsigned int depth;
	unsigned int nodes;
	struct error *err;
};

static void template_node_free(struct template_node *n)
{
	struct template_node *next;

	while (n != NULL) {
		next = n->next;
		free(n->text);
		json_decref(n->literal);
		template_node_free(n->child);
		template_node_free(n->else_child);
		free(n);
		n = next;
	}
}

void template_free(struct template **tpl)
{
	if (tpl == NULL || *tpl == NULL)
		return;
	template_node_free((*tpl)->first);
	free(*tpl);
	*tpl = NULL;
}

static unsigned int template_line_at(const struct template_parser *p, size_t pos)
{
	unsigned int line = 1;
	size_t i;

	for (i = 0; i < pos && i < p->len; i++)
		line += p->src[i] == '\n';
	return line;
}

static struct template_node *template_node_new(struct template_parser *p,
					       enum template_node_type type, size_t pos,
					       const char *text, size_t text_len)
{
	struct template_node *n;

	if (++p->nodes > TEMPLATE_MAX_NODES) {
		error_set(p->err, "line %u: more than %d template elements",
			  template_line_at(p, pos), TEMPLATE_MAX_NODES);
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (n == NULL || (n->text = strndup(text, text_len)) == NULL) {
		free(n);
		error_set(p->err, "out of memory");
		return NULL;
	}
	n->type = type;
	n->text_len = text_len;
	n->line = template_line_at(p, pos);
	return n;
}

static void template_append(struct template_parser *p, struct template_node *n)
{
	struct template_open *top = &p->stack[p->depth];

	*top->tail = n;
	top->tail = &n->next;
}

/* A path: names of [A-Za-z0-9_] joined by dots. */
static bool template_path_valid(const char *s, size_t len)
{
	bool need_name = true;
	size_t i;

	if (len == 0 || len > TEMPLATE_NODE_MAX_PATH)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (need_name)
				return false;
			need_name = true;
		} else if (isalnum((unsigned char)s[i]) || s[i] == '_') {
			need_name = false;
		} else {
			return false;
		}
	}
	return !need_name;
}

/* "path", "!path" or "path OP literal" into n. */
static int template_parse_cond(struct template_node *n, const char *s, size_t len)
{
	static const struct {
		const char *text;
		enum template_op op;
	} ops[] = {{">=", TOP_GE}, {"<=", TOP_LE}, {"==", TOP_EQ},
		   {"!=", TOP_NE}, {">", TOP_GT},  {"<", TOP_LT}};
	char lit[64];
	size_t i, plen = 0, llen;
	double d;

	n->op = TOP_TRUTHY;
	if (len > 0 && s[0] == '!') {
		n->op = TOP_NOT;
		s++;
		len--;
	}
	while (plen < len && (isalnum((unsigned char)s[plen]) || s[plen] == '_' || s[plen] == '.'))
		plen++;
	if (!template_path_valid(s, plen))
		goto bad;
	free(n->text);
	if ((n->text = strndup(s, plen)) == NULL)
		goto bad;
	n->text_len = plen;
	s += plen;
	len -= plen;
	while (len > 0 && *s == ' ') {
		s++;
		len--;
	}
	if (len == 0)
		return 0;
	if (n->op == TOP_NOT)
		goto bad;
	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		if (len >= strlen(ops[i].text) && strncmp(s, ops[i].text, strlen(ops[i].text)) == 0)
			break;
	}
	if (i == ARRAY_SIZE(ops))
		goto bad;
	n->op = ops[i].op;
	s += strlen(ops[i].text);
	len -= strlen(ops[i].text);
	while (len > 0 && *s == ' ') {
		s++;
		len--;
	}
	if (len >= 2 && s[0] == '"' && s[len - 1] == '"' && memchr(s + 1, '"', len - 2) == NULL) {
		n->literal = json_stringn(s + 1, len - 2);
	} else if (len == 4 && strncmp(s, "true", 4) == 0) {
		n->literal = json_true();
	} else if (len == 5 && strncmp(s, "false", 5) == 0) {
		n->literal = json_false();
	} else {
		llen = len < sizeof(lit) - 1 ? len : sizeof(lit) - 1;
		memcpy(lit, s, llen);
		lit[llen] = '\0';
		if (llen != len || parse_double(lit, -1e15, 1e15, &d) < 0)
			goto bad;
		n->literal = json_real(d);
	}
	if (n->literal == NULL)
		goto bad;
	if (json_is_string(n->literal) || json_is_boolean(n->literal)) {
		if (n->op != TOP_EQ && n->op != TOP_NE)
			goto bad;
	}
	return 0;
bad:
	return -1;
}

/* A value tag: "path" or "path | filter". */
static int template_parse_var(struct template_parser *p, size_t pos, unsigned int line,
			      const char *t, size_t len)
{
	static const struct {
		const char *name;
		enum template_filter filter;
	} filters[] = {
		{"date", TFILTER_DATE},
		{"money", TFILTER_MONEY},
		{"number", TFILTER_NUMBER},
	};
	const char *bar = memchr(t, '|', len), *f = NULL;
	enum template_filter filter = TFILTER_NONE;
	struct template_node *n;
	size_t plen = bar != NULL ? (size_t)(bar - t) : len, flen = 0, i;

	while (plen > 0 && t[plen - 1] == ' ')
		plen--;
	if (bar != NULL) {
		f = bar + 1;
		flen = len - (size_t)(f - t);
		while (flen > 0 && *f == ' ') {
			f++;
			flen--;
		}
		for (i = 0; i < ARRAY_SIZE(filters); i++) {
			if (strlen(filters[i].name) == flen &&
			    memcmp(filters[i].name, f, flen) == 0)
				filter = filters[i].filter;
		}
		if (filter == TFILTER_NONE) {
			error_set(p->err,
				  "line %u: unknown filter in {{%.*s}} (date, money, number)", line,
				  (int)len, t);
			return -1;
		}
	}
	if (!template_path_valid(t, plen)) {
		error_set(p->err, "line %u: bad tag {{%.*s}}", line, (int)len, t);
		return -1;
	}
	n = template_node_new(p, TNODE_VAR, pos, t, plen);
	if (n == NULL)
		return -1;
	n->filter = filter;
	template_append(p, n);
	return 0;
}

/* Handles one tag src[start..end) (the text between {{ and }}). */
static int template_parse_tag(struct template_parser *p, size_t pos, const char *t, size_t len)
{
	struct template_open *top = &p->stack[p->depth];
	struct template_node *n = NULL;
	unsigned int line = template_line_at(p, pos);

	if (len > 0 && t[0] == '!')
		return 0;
	if (len == 4 && memcmp(t, "else", 4) == 0) {
		if (top->node == NULL || top->node->type != TNODE_IF || top->in_else) {
			error_set(p->err, "line %u: {{else}} outside {{#if}}", line);
			return -1;
		}
		top->in_else = true;
		top->tail = &top->node->else_child;
		return 0;
	}
	if (len > 0 && t[0] == '/') {
		if (top->node == NULL) {
			error_set(p->err, "line %u: {{%.*s}} closes nothing", line, (int)len, t);
			return -1;
		}
		if ((top->node->type == TNODE_IF && !(len == 3 && memcmp(t, "/if", 3) == 0)) ||
		    (top->node->type == TNODE_SECTION &&
		     (len - 1 != top->node->text_len ||
		      memcmp(t + 1, top->node->text, len - 1) != 0))) {
			error_set(p->err, "line %u: {{%.*s}} does not close {{#%s}} of line %u",
				  line, (int)len, t,
				  top->node->type == TNODE_IF ? "if" : top->node->text,
				  top->node->line);
			return -1;
		}
		p->depth--;
		return 0;
	}
	if (len > 0 && t[0] == '#') {
		if (p->depth >= TEMPLATE_MAX_DEPTH) {
			error_set(p->err, "line %u: blocks nested deeper than %d", line,
				  TEMPLATE_MAX_DEPTH);
			return -1;
		}
		if (len > 4 && memcmp(t, "#if ", 4) == 0) {
			n = template_node_new(p, TNODE_IF, pos, "", 0);
			if (n == NULL)
				return -1;
			if (template_parse_cond(n, t + 4, len - 4) < 0) {
				error_set(p->err, "line %u: bad condition {{%.*s}}", line, (int)len,
					  t);
				template_node_free(n);
				return -1;
			}
		} else {
			if (!template_path_valid(t + 1, len - 1)) {
				error_set(p->err, "line %u: bad block name {{%.*s}}", line,
					  (int)len, t);
				return -1;
			}
			n = template_node_new(p, TNODE_SECTION, pos, t + 1, len - 1);
			if (n == NULL)
				return -1;
		}
		template_append(p, n);
		p->depth++;
		p->stack[p->depth] = (struct template_open){n, &n->child, false};
		return 0;
	}
	return template_parse_var(p, pos, line, t, len);
}

static int template_add_text(struct template_parser *p, size_t from, size_t to)
{
	struct template_node *n;

	if (to <= from)
		return 0;
	n = template_node_new(p, TNODE_TEXT, from, p->src + from, to - from);
	if (n == NULL)
		return -1;
	template_append(p, n);
	return 0;
}

int template_parse(const char *src, size_t len, struct template **tpl_r, struct error *err)
{
	struct template_parser p = {.src = src, .len = len, .err = err};
	struct template *tpl = NULL;
	const char *open, *close, *t;
	size_t text_start = 0, pos = 0, tag, after, line_start, tlen, i;
	bool block, standalone;
	int ret = -1;

	*tpl_r = NULL;
	if (len > TEMPLATE_MAX_SOURCE) {
		error_set(err, "template is %zu bytes, over the limit of %d", len,
			  TEMPLATE_MAX_SOURCE);
		goto out;
	}
	if (memchr(src, '\0', len) != NULL) {
		error_set(err, "template contains a NUL byte");
		goto out;
	}
	tpl = calloc(1, sizeof(*tpl));
	if (tpl == NULL) {
		error_set(err, "out of memory");
		goto out;
	}
	p.stack[0] = (struct template_open){NULL, &tpl->first, false};
	while (pos < len) {
		open = memmem(src + pos, len - pos, "{{", 2);
		if (open == NULL)
			break;
		tag = (size_t)(open - src);
		close = memmem(open + 2, len - tag - 2, "}}", 2);
		if (close == NULL) {
			error_set(err, "line %u: unterminated {{", template_line_at(&p, tag));
			goto out;
		}
		after = (size_t)(close - src) + 2;
		t = open + 2;
		tlen = (size_t)(close - t);
		while (tlen > 0 && *t == ' ') {
			t++;
			tlen--;
		}
		while (tlen > 0 && t[tlen - 1] == ' ')
			tlen--;
		/* A block tag alone on its line takes the line with it. */
		block = tlen > 0 && (t[0] == '#' || t[0] == '/' || t[0] == '!' ||
				     (tlen == 4 && memcmp(t, "else", 4) == 0));
		line_start = tag;
		while (line_start > 0 && src[line_start - 1] != '\n')
			line_start--;
		standalone = block && line_start >= text_start;
		for (i = line_start; standalone && i < tag; i++)
			standalone = src[i] == ' ' || src[i] == '\t';
		for (i = after; standalone && i < len && src[i] != '\n'; i++)
			standalone = src[i] == ' ' || src[i] == '\t' || src[i] == '\r';
		if (template_add_text(&p, text_start, standalone ? line_start : tag) < 0)
			goto out;
		if (template_parse_tag(&p, tag, t, tlen) < 0)
			goto out;
		pos = standalone ? (i < len ? i + 1 : len) : after;
		text_start = pos;
	}
	if (template_add_text(&p, text_start, len) < 0)
		goto out;
	if (p.depth > 0) {
		error_set(err, "line %u: unclosed {{#%s}}", p.stack[p.depth].node->line,
			  p.stack[p.depth].node->type == TNODE_IF ? "if"
								  : p.stack[p.depth].node->text);
		goto out;
	}
	*tpl_r = tpl;
	tpl = NULL;
	ret = 0;
out:
	template_free(&tpl);
	return ret;
}
