/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/rules/rules_private.h"
#include "daemon/lib/log.h"
#include "daemon/lib/util.h"

#define RULES_FILE_MAX  (4 * 1024 * 1024)
#define RULES_DEPTH_MAX 16
#define RULES_PATH_MAX  256

static const char *const rules_op_names[] = {
	[RULES_OP_EQ] = "==", [RULES_OP_NE] = "!=",         [RULES_OP_LT] = "<",
	[RULES_OP_LE] = "<=", [RULES_OP_GT] = ">",          [RULES_OP_GE] = ">=",
	[RULES_OP_IN] = "in", [RULES_OP_EXISTS] = "exists", [RULES_OP_MATCHES] = "matches",
};

static const struct {
	const char *name;
	enum rules_action_type type;
	const char *text_key; /* the required text member, or NULL */
	bool phrases;
} rules_actions[] = {
	{"skip", RULES_ACTION_SKIP, NULL, false},
	{"require_human", RULES_ACTION_REQUIRE_HUMAN, NULL, false},
	{"never_auto", RULES_ACTION_NEVER_AUTO, NULL, false},
	{"set_category", RULES_ACTION_SET_CATEGORY, "category", false},
	{"forbid_phrase", RULES_ACTION_FORBID_PHRASE, NULL, true},
	{"add_note", RULES_ACTION_ADD_NOTE, "note", false},
};

static const char *const rules_message_facts[] = {"content_type", "reply_to_domain_differs",
						  "duplicate", "suspected_injection"};

/* Loader state: where we are, for the error message. */
struct rules_loader {
	const char *rule_id;
	struct error *err;
};

static int rules_fail(struct rules_loader *l, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int rules_fail(struct rules_loader *l, const char *path, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	error_set(l->err, "rule %s: %s: %s", l->rule_id, path, what);
	return -1;
}

/* True when obj has no member but those listed. Sets *bad_r to the first other. */
static bool rules_only_keys(const json_t *obj, const char *const *allowed, size_t n,
			    const char **bad_r)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach((json_t *)obj, key, v)
	{
		for (i = 0; i < n; i++) {
			if (strcmp(allowed[i], key) == 0)
				break;
		}
		if (i == n) {
			*bad_r = key;
			return false;
		}
	}
	return true;
}

static bool rules_ident(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || !(islower((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (i = 1; i < n; i++) {
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '_'))
			return false;
	}
	return true;
}

#define RULES_REGEX_MAX       1024 /* bytes of one pattern */
#define RULES_QUANTIFIERS_MAX 64   /* quantifiers in one pattern */
#define RULES_REPEAT_MAX      100  /* largest {n,m} count */

/* glibc compiles each quantifier into automaton states: stacked ones
 * ("a+++...") or huge {n,m} counts make regcomp() take gigabytes (found by
 * fuzzing). Business rules need neither, so such patterns are refused
 * before regcomp() sees them. Returns NULL when fine, else why not. */
static const char *rules_regex_too_complex(const char *re)
{
	size_t len = strlen(re), quantifiers = 0, i;
	bool after_quantifier = false;
	unsigned long n;
	char *end;

	if (len > RULES_REGEX_MAX)
		return "pattern longer than 1024 bytes";
	for (i = 0; i < len; i++) {
		if (re[i] == '\\') {
			i++; /* an escaped character is a literal */
			after_quantifier = false;
			continue;
		}
		if (re[i] != '*' && re[i] != '+' && re[i] != '?' &&
		    !(re[i] == '{' && isdigit((unsigned char)re[i + 1]))) {
			after_quantifier = false;
			continue;
		}
		if (after_quantifier)
			return "a quantifier on a quantifier";
		if (++quantifiers > RULES_QUANTIFIERS_MAX)
			return "more than 64 quantifiers";
		if (re[i] == '{') {
			/* {n}, {n,} or {n,m}: check the counts, go on after the brace */
			for (i++; i < len && re[i] != '}'; i = (size_t)(end - re)) {
				n = strtoul(re + i, &end, 10);
				if (n > RULES_REPEAT_MAX)
					return "a repetition count over 100";
				if (end == re + i)
					end++;
			}
		}
		after_quantifier = true;
	}
	return NULL;
}

static int rules_regex(struct rules_loader *l, const char *path, struct rules_cond *c,
		       const json_t *v, int flags)
{
	const char *why;
	char msg[200];
	int rc;

	if (!json_is_string(v))
		return rules_fail(l, path, "%s", "the pattern must be a string");
	why = rules_regex_too_complex(json_string_value(v));
	if (why != NULL)
		return rules_fail(l, path, "bad regex: %s", why);
	rc = regcomp(&c->re, json_string_value(v), REG_EXTENDED | REG_ICASE | REG_NOSUB | flags);
	if (rc != 0) {
		regerror(rc, &c->re, msg, sizeof(msg));
		return rules_fail(l, path, "bad regex: %s", msg);
	}
	c->has_re = true;
	return 0;
}

/* Strings of a "category" (name or list) or "sender_domain_in" (list). */
static int rules_names(struct rules_loader *l, const char *path, struct rules_cond *c,
		       const json_t *v, bool allow_single)
{
	size_t i, n = json_is_array(v) ? json_array_size(v) : 1;
	const json_t *e;
	char *s;

	if (!(json_is_array(v) || (allow_single && json_is_string(v))) || n == 0)
		return rules_fail(l, path, "%s",
				  allow_single ? "expected a name or a non-empty list of names"
					       : "expected a non-empty list of strings");
	c->names = calloc(n, sizeof(*c->names));
	if (c->names == NULL)
		return rules_fail(l, path, "%s", "out of memory");
	for (i = 0; i < n; i++) {
		e = json_is_array(v) ? json_array_get(v, i) : v;
		if (!json_is_string(e))
			return rules_fail(l, path, "%s", "list entries must be strings");
		c->names[i] = s = str_dup(json_string_value(e));
		c->names_count++;
		for (; s != NULL && *s != '\0'; s++)
			*s = (char)tolower((unsigned char)*s);
	}
	return 0;
}

static int rules_fact(struct rules_loader *l, const char *path, struct rules_cond *c,
		      const json_t *obj)
{
	static const char *const keys[] = {"fact", "op", "value"};
	const char *fact, *dot, *op, *bad;
	const json_t *value = json_object_get(obj, "value");
	size_t i;
	char *s;

	if (!rules_only_keys(obj, keys, ARRAY_SIZE(keys), &bad))
		return rules_fail(l, path, "unknown key '%s' in a fact condition", bad);
	fact = json_string_value(json_object_get(obj, "fact"));
	op = json_string_value(json_object_get(obj, "op"));
	if (fact == NULL)
		return rules_fail(l, path, "%s", "fact must be a string");
	if (op == NULL)
		return rules_fail(l, path, "%s", "missing op");
	dot = strchr(fact, '.');
	if (dot == NULL || dot[1] == '\0' || !rules_ident(fact, (size_t)(dot - fact)))
		return rules_fail(l, path, "bad fact '%s' (namespace.field)", fact);
	c->type = RULES_COND_FACT;
	c->ns = strndup(fact, (size_t)(dot - fact));
	c->field = str_dup(dot + 1);
	if (c->ns == NULL || c->field == NULL)
		return rules_fail(l, path, "%s", "out of memory");
	if (strcmp(c->ns, "header") == 0) {
		for (s = c->field; *s != '\0'; s++)
			*s = (char)tolower((unsigned char)*s);
	} else if (strcmp(c->ns, "message") == 0) {
		for (i = 0; i < ARRAY_SIZE(rules_message_facts); i++) {
			if (strcmp(rules_message_facts[i], c->field) == 0)
				break;
		}
		if (i == ARRAY_SIZE(rules_message_facts))
			return rules_fail(l, path, "unknown fact '%s'", fact);
	} else if (strcmp(c->ns, "quote") == 0 && strcmp(c->field, "estimated_total_eur") != 0) {
		return rules_fail(l, path, "unknown fact '%s'", fact);
	} else if (strcmp(c->ns, "header") != 0 && !rules_ident(c->field, strlen(c->field))) {
		return rules_fail(l, path, "bad fact '%s' (namespace.field)", fact);
	}
	for (i = 0; i < ARRAY_SIZE(rules_op_names); i++) {
		if (strcmp(rules_op_names[i], op) == 0)
			break;
	}
	if (i == ARRAY_SIZE(rules_op_names))
		return rules_fail(l, path, "unknown op '%s'", op);
	c->op = (enum rules_op)i;
	if (c->op == RULES_OP_EXISTS) {
		if (value != NULL)
			return rules_fail(l, path, "%s", "exists takes no value");
		return 0;
	}
	if (value == NULL)
		return rules_fail(l, path, "missing value for op '%s'", op);
	if (c->op == RULES_OP_IN && !json_is_array(value))
		return rules_fail(l, path, "%s", "op 'in' needs a list value");
	if ((c->op == RULES_OP_LT || c->op == RULES_OP_LE || c->op == RULES_OP_GT ||
	     c->op == RULES_OP_GE) &&
	    !json_is_number(value))
		return rules_fail(l, path, "op '%s' needs a number value", op);
	if (c->op == RULES_OP_MATCHES)
		return rules_regex(l, path, c, value, 0);
	if (json_is_object(value) || (c->op != RULES_OP_IN && json_is_array(value)))
		return rules_fail(l, path, "op '%s' needs a scalar value", op);
	c->value = json_incref((json_t *)value);
	return 0;
}

static int rules_cond(struct rules_loader *l, const char *path, struct rules_cond *c,
		      const json_t *obj, int depth);

static int rules_children(struct rules_loader *l, const char *path, struct rules_cond *c,
			  const json_t *v, const char *name, int depth)
{
	char sub[RULES_PATH_MAX];
	size_t i, n = json_is_array(v) ? json_array_size(v) : 1;

	if (strcmp(name, "not") == 0 && !json_is_object(v))
		return rules_fail(l, path, "%s", "'not' needs one condition object");
	if (strcmp(name, "not") != 0 && (!json_is_array(v) || n == 0))
		return rules_fail(l, path, "'%s' needs a non-empty list of conditions", name);
	c->children = calloc(n, sizeof(*c->children));
	if (c->children == NULL)
		return rules_fail(l, path, "%s", "out of memory");
	for (i = 0; i < n; i++) {
		if (json_is_array(v))
			snprintf(sub, sizeof(sub), "%s.%s[%zu]", path, name, i);
		else
			snprintf(sub, sizeof(sub), "%s.%s", path, name);
		c->children_count++;
		if (rules_cond(l, sub, &c->children[i], json_is_array(v) ? json_array_get(v, i) : v,
			       depth + 1) < 0)
			return -1;
	}
	return 0;
}

static int rules_cond(struct rules_loader *l, const char *path, struct rules_cond *c,
		      const json_t *obj, int depth)
{
	static const struct {
		const char *key;
		enum rules_cond_type type;
	} leaves[] = {
		{"all", RULES_COND_ALL},
		{"any", RULES_COND_ANY},
		{"not", RULES_COND_NOT},
		{"category", RULES_COND_CATEGORY},
		{"sender_domain_in", RULES_COND_SENDER_DOMAIN_IN},
		{"sender_matches", RULES_COND_SENDER_MATCHES},
		{"subject_matches", RULES_COND_SUBJECT_MATCHES},
		{"body_matches", RULES_COND_BODY_MATCHES},
		{"attachment_name_matches", RULES_COND_ATTACHMENT_MATCHES},
	};
	const char *key;
	json_t *v;
	size_t i;

	if (depth > RULES_DEPTH_MAX)
		return rules_fail(l, path, "%s", "conditions nested too deeply");
	if (!json_is_object(obj))
		return rules_fail(l, path, "%s", "a condition must be an object");
	if (json_object_size(obj) == 0) {
		c->type = RULES_COND_TRUE;
		return 0;
	}
	if (json_object_get(obj, "fact") != NULL || json_object_get(obj, "op") != NULL)
		return rules_fact(l, path, c, obj);
	if (json_object_size(obj) != 1)
		return rules_fail(l, path, "%s",
				  "a condition has exactly one key (or fact/op/value)");
	json_object_foreach((json_t *)obj, key, v)
	{
		for (i = 0; i < ARRAY_SIZE(leaves); i++) {
			if (strcmp(leaves[i].key, key) == 0)
				break;
		}
		if (i == ARRAY_SIZE(leaves))
			return rules_fail(l, path, "unknown condition '%s'", key);
		c->type = leaves[i].type;
		switch (c->type) {
		case RULES_COND_ALL:
		case RULES_COND_ANY:
		case RULES_COND_NOT:
			return rules_children(l, path, c, v, key, depth);
		case RULES_COND_CATEGORY:
			return rules_names(l, path, c, v, true);
		case RULES_COND_SENDER_DOMAIN_IN:
			return rules_names(l, path, c, v, false);
		case RULES_COND_BODY_MATCHES:
			/* ^ and $ at line boundaries, as the conventions say */
			return rules_regex(l, path, c, v, REG_NEWLINE);
		default:
			return rules_regex(l, path, c, v, 0);
		}
	}
	return 0;
}

static int rules_then(struct rules_loader *l, struct rules_rule *r, const json_t *then)
{
	const char *allowed[3];
	char path[RULES_PATH_MAX];
	const char *name, *bad;
	const json_t *a, *p;
	size_t i, k;

	if (!json_is_array(then) || json_array_size(then) == 0)
		return rules_fail(l, "then", "%s", "needs a non-empty list of actions");
	r->then = json_deep_copy(then);
	r->actions = calloc(json_array_size(then), sizeof(*r->actions));
	if (r->then == NULL || r->actions == NULL)
		return rules_fail(l, "then", "%s", "out of memory");
	json_array_foreach(r->then, i, a)
	{
		snprintf(path, sizeof(path), "then[%zu]", i);
		name = json_string_value(json_object_get(a, "action"));
		if (name == NULL)
			return rules_fail(l, path, "%s", "missing action");
		for (k = 0; k < ARRAY_SIZE(rules_actions); k++) {
			if (strcmp(rules_actions[k].name, name) == 0)
				break;
		}
		if (k == ARRAY_SIZE(rules_actions))
			return rules_fail(l, path, "unknown action '%s'", name);
		r->actions[i].type = rules_actions[k].type;
		allowed[0] = "action";
		allowed[1] = "reason";
		allowed[2] = rules_actions[k].phrases ? "phrases" : rules_actions[k].text_key;
		if (!rules_only_keys(a, allowed, allowed[2] != NULL ? 3 : 2, &bad))
			return rules_fail(l, path, "unknown key '%s' for this action", bad);
		if (json_object_get(a, "reason") != NULL &&
		    !json_is_string(json_object_get(a, "reason")))
			return rules_fail(l, path, "%s", "reason must be a string");
		r->actions[i].text = json_string_value(json_object_get(a, "reason"));
		if (rules_actions[k].text_key != NULL) {
			r->actions[i].text =
				json_string_value(json_object_get(a, rules_actions[k].text_key));
			if (r->actions[i].text == NULL || r->actions[i].text[0] == '\0')
				return rules_fail(l, path, "%s needs a non-empty '%s'", name,
						  rules_actions[k].text_key);
		}
		if (rules_actions[k].phrases) {
			p = json_object_get(a, "phrases");
			if (!json_is_array(p) || json_array_size(p) == 0)
				return rules_fail(l, path, "%s", "forbid_phrase needs phrases");
			for (k = 0; k < json_array_size(p); k++) {
				if (!json_is_string(json_array_get(p, k)) ||
				    json_string_length(json_array_get(p, k)) == 0)
					return rules_fail(l, path, "%s",
							  "phrases must be non-empty strings");
			}
			r->actions[i].phrases = p;
		}
		r->actions_count++;
	}
	return 0;
}

static void rules_cond_free(struct rules_cond *c)
{
	size_t i;

	for (i = 0; i < c->children_count; i++)
		rules_cond_free(&c->children[i]);
	free(c->children);
	for (i = 0; i < c->names_count; i++)
		free(c->names[i]);
	free(c->names);
	if (c->has_re)
		regfree(&c->re);
	free(c->ns);
	free(c->field);
	json_decref(c->value);
}

void rules_free(struct rules_set **setp)
{
	struct rules_set *set = *setp;
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->count; i++) {
		rules_cond_free(&set->rules[i].when);
		json_decref(set->rules[i].then);
		free(set->rules[i].actions);
		free(set->rules[i].id);
		free(set->rules[i].name);
	}
	free(set->rules);
	free(set->stats);
	free(set->version);
	free(set);
	*setp = NULL;
}

size_t rules_count(const struct rules_set *set)
{
	return set->count;
}

const struct rules_stats *rules_set_stats(const struct rules_set *set)
{
	return set->stats;
}

int rules_load(const json_t *doc, struct rules_set **set_r, struct error *err)
{
	static const char *const top_keys[] = {"version", "description", "conventions", "rules"};
	static const char *const rule_keys[] = {"id", "name", "description", "when", "then"};
	struct rules_loader l = {"?", err};
	struct rules_set *set = NULL;
	const json_t *rules, *r;
	const char *bad, *id;
	char where[32];
	size_t i, k;
	int ret = -1;

	if (!json_is_object(doc)) {
		error_set(err, "the rules document must be an object");
		goto out;
	}
	if (!rules_only_keys(doc, top_keys, ARRAY_SIZE(top_keys), &bad)) {
		error_set(err, "unknown top-level key '%s'", bad);
		goto out;
	}
	rules = json_object_get(doc, "rules");
	if (!json_is_array(rules)) {
		error_set(err, "missing \"rules\" list");
		goto out;
	}
	set = calloc(1, sizeof(*set));
	if (set == NULL ||
	    (set->rules = calloc(json_array_size(rules) + 1, sizeof(*set->rules))) == NULL)
		goto out;
	set->stats = calloc(1, sizeof(*set->stats));
	if (set->stats == NULL)
		goto out;
	set->version = str_dup(json_string_value(json_object_get(doc, "version")));
	json_array_foreach(rules, i, r)
	{
		id = json_string_value(json_object_get(r, "id"));
		snprintf(where, sizeof(where), "#%zu", i + 1);
		l.rule_id = id != NULL && id[0] != '\0' ? id : where;
		if (!json_is_object(r)) {
			rules_fail(&l, "rule", "%s", "must be an object");
			goto out;
		}
		if (id == NULL || id[0] == '\0') {
			rules_fail(&l, "id", "%s", "missing id");
			goto out;
		}
		for (k = 0; k < set->count; k++) {
			if (strcmp(set->rules[k].id, id) == 0) {
				rules_fail(&l, "id", "%s", "duplicate id");
				goto out;
			}
		}
		if (!rules_only_keys(r, rule_keys, ARRAY_SIZE(rule_keys), &bad)) {
			rules_fail(&l, "rule", "unknown key '%s'", bad);
			goto out;
		}
		if (json_object_get(r, "when") == NULL) {
			rules_fail(&l, "when", "%s", "missing when");
			goto out;
		}
		set->rules[set->count].id = str_dup(id);
		set->rules[set->count].name =
			str_dup(json_string_value(json_object_get(r, "name")));
		set->count++;
		if (rules_cond(&l, "when", &set->rules[set->count - 1].when,
			       json_object_get(r, "when"), 0) < 0 ||
		    rules_then(&l, &set->rules[set->count - 1], json_object_get(r, "then")) < 0)
			goto out;
	}
	*set_r = set;
	set = NULL;
	ret = 0;
out:
	rules_free(&set);
	return ret;
}

int rules_load_file(const char *path, struct rules_set **set_r, struct error *err)
{
	json_error_t jerr;
	json_t *doc = NULL;
	char *text = NULL;
	size_t len;
	int ret = -1;

	if (file_read_all(path, RULES_FILE_MAX, &text, &len, err) < 0) {
		error_prefix(err, path);
		goto out;
	}
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL) {
		error_set(err, "%s:%d: %s", path, jerr.line, jerr.text);
		goto out;
	}
	if (rules_load(doc, set_r, err) < 0)
		goto out;
	log_info_kv("rules loaded", "file=%s rules=%zu", path, (*set_r)->count);
	ret = 0;
out:
	json_decref(doc);
	free(text);
	return ret;
}
