/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_TEMPLATE_H
#define DRAFTD_TEMPLATE_H

#include <jansson.h>
#include <stddef.h>

#include "daemon/lib/error.h"

/* A small logic-light template language for the builtin model backend's
 * replies (deploy/templates/<category>.<lang>.txt). Values come only from a
 * JSON object of facts; a missing fact never turns into an invented value.
 *
 *   {{path}}               a value: "sku", "order.status", "customer_name".
 *                          The first name is looked up in the enclosing
 *                          blocks' current items (innermost first) and then
 *                          in the root; the name of an enclosing block also
 *                          names its current item ({{order.eta}} inside
 *                          {{#order}}). Outside a block, a path through a
 *                          list with exactly one item uses that item; a list
 *                          of several is ambiguous, hence missing.
 *                          Strings print as they are, integers in decimal,
 *                          reals with two decimals, booleans as yes/no.
 *   {{path | date}}        a "YYYY-MM-DD" date, {{path | money}} an amount in
 *   {{path | money}}       euros, {{path | number}} a number, each as the
 *   {{path | number}}      reply's language writes it (agent/template/localize.h); a
 *                          value the filter cannot write counts as missing.
 *   {{#name}}..{{/name}}   a block: repeated for each item of a list, once
 *                          for an object or a true value, never for a
 *                          missing, false, empty or zero value.
 *   {{#if cond}}..{{else}}..{{/if}}
 *                          cond is "path", "!path" (presence/truth) or
 *                          "path OP literal", OP one of > >= < <= == !=,
 *                          literal a number, true, false or "text". A
 *                          comparison whose fact is missing or of another
 *                          type renders NEITHER branch; a string that is
 *                          wholly a number compares as that number.
 *   {{! comment }}         dropped.
 *
 * The missing-fact rule: a line of output in which any {{path}} is missing
 * is dropped whole, so write one fact-bearing sentence per line. A block or
 * if/else tag alone on its line leaves no blank line behind; runs of blank
 * lines left by dropped lines collapse into one, and leading and trailing
 * blank lines are trimmed.
 *
 * Bounds: the source is at most TEMPLATE_MAX_SOURCE bytes, blocks nest at
 * most TEMPLATE_MAX_DEPTH deep, a list block repeats at most
 * TEMPLATE_MAX_ITEMS times, and rendering stops with an error at the
 * caller's output cap. */

#define TEMPLATE_MAX_SOURCE (64 * 1024)
#define TEMPLATE_MAX_DEPTH  8
#define TEMPLATE_MAX_NODES  4096
#define TEMPLATE_MAX_ITEMS  256

struct template;

/* Parses src[len]. Returns 0 with *tpl_r set, or -1 with "line N: what"
 * in err. The template is immutable: render it from any thread. */
int template_parse(const char *src, size_t len, struct template **tpl_r, struct error *err)
	__attribute__((warn_unused_result));

/* Renders tpl against root (a JSON object) into a new string (*out_r,
 * free() it) of at most max_output bytes; lang ("de", ...; NULL: en) is how
 * filters write numbers and dates. When used is a JSON array, each
 * list item a block repeated over and that has a "sku", "order_id", "key" or "id"
 * is appended once as "<block>:<key value>" (the facts the text relied on).
 * Returns 0, or -1 with the reason in err. */
int template_render(const struct template *tpl, const json_t *root, const char *lang,
		    size_t max_output, char **out_r, json_t *used, struct error *err)
	__attribute__((warn_unused_result));

/* Frees and clears *tpl; NULL is fine. */
void template_free(struct template **tpl);

#endif
