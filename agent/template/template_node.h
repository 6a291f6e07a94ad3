/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_TEMPLATE_NODE_H
#define DRAFTD_TEMPLATE_NODE_H

#include <jansson.h>
#include <stddef.h>

/* The parsed form of a template, shared by the parser (template.c) and the
 * renderer (template_render.c); nothing else looks inside. */

#define TEMPLATE_NODE_MAX_PATH 128

enum template_node_type { TNODE_TEXT, TNODE_VAR, TNODE_SECTION, TNODE_IF };
enum template_op { TOP_TRUTHY, TOP_NOT, TOP_GT, TOP_GE, TOP_LT, TOP_LE, TOP_EQ, TOP_NE };
/* {{path | date}}, {{path | money}}, {{path | number}}: in the reply's language */
enum template_filter { TFILTER_NONE = 0, TFILTER_DATE, TFILTER_MONEY, TFILTER_NUMBER };

struct template_node {
	enum template_node_type type;
	unsigned int line;
	char *text; /* TEXT: the bytes; VAR, SECTION, IF: the path */
	size_t text_len;
	enum template_op op;
	enum template_filter filter;      /* VAR */
	json_t *literal;                  /* IF with a comparison */
	struct template_node *child;      /* SECTION body, IF then-branch */
	struct template_node *else_child; /* IF else-branch */
	struct template_node *next;
};

struct template
{
	struct template_node *first;
};

#endif
