/* SPDX-License-Identifier: MIT */
/* What `draftd check-config` says about a rules file: every fact a rule
 * reads and where it comes from under the configured connectors, so an
 * operator sees before the first mail that a rule reads a fact nothing
 * answers (and that it will then hold every draft back: issue 17). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "connectors/connector.h"
#include "connectors/rules/rules_private.h"
#include "daemon/lib/util.h"

#define RULES_FACT_MAX 160

static int rules_collect(const struct rules_cond *c, json_t *facts)
{
	char path[RULES_FACT_MAX];
	size_t i;

	if (c->type == RULES_COND_FACT) {
		snprintf(path, sizeof(path), "%s.%s", c->ns, c->field);
		for (i = 0; i < json_array_size(facts); i++) {
			if (strcmp(json_string_value(json_array_get(facts, i)), path) == 0)
				return 0;
		}
		return json_array_append_new(facts, json_string(path));
	}
	for (i = 0; i < c->children_count; i++) {
		if (rules_collect(&c->children[i], facts) < 0)
			return -1;
	}
	return 0;
}

json_t *rules_facts_read(const struct rules_set *set)
{
	json_t *out = json_array(), *facts, *e;
	bool back;
	size_t i, k;

	for (i = 0; out != NULL && i < set->count; i++) {
		facts = json_array();
		if (facts == NULL || rules_collect(&set->rules[i].when, facts) < 0) {
			json_decref(facts);
			json_decref(out);
			return NULL;
		}
		back = false;
		for (k = 0; k < set->rules[i].actions_count; k++) {
			back |= set->rules[i].actions[k].type == RULES_ACTION_SKIP ||
				set->rules[i].actions[k].type == RULES_ACTION_REQUIRE_HUMAN ||
				set->rules[i].actions[k].type == RULES_ACTION_NEVER_AUTO;
		}
		e = json_pack("{s:s, s:b, s:o}", "id", set->rules[i].id, "holds_back", back,
			      "facts", facts);
		if (e == NULL || json_array_append_new(out, e) < 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

static const struct connector_config *rules_connector(const struct config *config, const char *name)
{
	size_t i;

	for (i = 0; i < config->connectors_count; i++) {
		if (strcmp(config->connectors[i].name, name) == 0)
			return &config->connectors[i];
	}
	return NULL;
}

/* The connector answering key kind (option key, default its name). */
static const struct connector_config *rules_connector_kind(const struct config *config,
							   const char *kind)
{
	const char *k;
	size_t i;

	for (i = 0; i < config->connectors_count; i++) {
		k = conn_option(&config->connectors[i], "key", NULL);
		if (strcmp(k != NULL ? k : config->connectors[i].name, kind) == 0)
			return &config->connectors[i];
	}
	return NULL;
}

/* Whether a connector with declared fields (fields = a:string, b) has f. */
static bool rules_declares(const struct connector_config *cc, const char *f)
{
	const char *fields = conn_option(cc, "fields", NULL), *p;
	size_t n = strlen(f);

	if (fields == NULL)
		return true; /* nothing declared: every column of its answer */
	for (p = fields; (p = strstr(p, f)) != NULL; p += n) {
		if ((p == fields || p[-1] == ',' || p[-1] == ' ') &&
		    (p[n] == ':' || p[n] == ',' || p[n] == ' ' || p[n] == '\0'))
			return true;
	}
	return false;
}

static const char *const rules_message_sources[][2] = {
	{"content_type", "the mail's top-level MIME type"},
	{"reply_to_domain_differs", "the mail's From and Reply-To domains"},
	{"duplicate", "the store: a Message-ID already processed"},
	{"suspected_injection", "the injection scan of the classify step"},
};

int rules_fact_source(const struct config *config, const char *ns, const char *field, char *out,
		      size_t size)
{
	const struct connector_config *cc;
	const char *kind;
	size_t i;

	if (strcmp(ns, "header") == 0) {
		snprintf(out, size, "the mail's %s header (absent is known: never unknown)", field);
		return 1;
	}
	if (strcmp(ns, "message") == 0) {
		for (i = 0; i < ARRAY_SIZE(rules_message_sources); i++) {
			if (strcmp(rules_message_sources[i][0], field) == 0) {
				snprintf(out, size, "%s", rules_message_sources[i][1]);
				return 1;
			}
		}
		snprintf(out, size, "nothing: no such message fact");
		return 0;
	}
	if (strcmp(ns, "quote") == 0) {
		cc = rules_connector_kind(config, "sku");
		if (cc == NULL) {
			snprintf(out, size,
				 "nothing: no connector answers SKUs (key = sku), so it is always "
				 "unknown");
			return 0;
		}
		snprintf(out, size,
			 "computed: the quantities found in the mail x unit_price_eur from "
			 "connector %s (%s); unknown unless every line is known",
			 cc->name, cc->type);
		return 1;
	}
	cc = rules_connector(config, ns);
	if (cc == NULL) {
		snprintf(out, size, "nothing: no connector is named %s, so it is always unknown",
			 ns);
		return 0;
	}
	kind = conn_option(cc, "key", NULL);
	if (kind == NULL)
		kind = cc->name;
	if (strcmp(field, "found") == 0) {
		snprintf(out, size,
			 "connector %s (%s, key %s): whether each %s the mail names exists",
			 cc->name, cc->type, kind, kind);
		return 1;
	}
	if (strcmp(field, "belongs_to_sender") == 0) {
		snprintf(out, size,
			 "computed: connector %s's customer_email against the sender's address "
			 "and domain",
			 cc->name);
		return rules_declares(cc, "customer_email") ? 1 : 0;
	}
	if (!rules_declares(cc, field)) {
		snprintf(out, size,
			 "nothing: connector %s declares fields without %s, so it is always "
			 "unknown",
			 cc->name, field);
		return 0;
	}
	snprintf(out, size, "connector %s (%s, key %s): field %s of each %s the mail names",
		 cc->name, cc->type, kind, field, kind);
	return 1;
}
