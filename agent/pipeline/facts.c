/* SPDX-License-Identifier: MIT */
#include "agent/pipeline/facts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/pipeline/metrics.h"
#include "connectors/connector.h"
#include "connectors/keys/keys.h"
#include "connectors/rules/rules.h"
#include "daemon/lib/log.h"
#include "daemon/lib/util.h"

#define FACTS_KEYS_MAX 64 /* keys per kind and message: more is not a support mail */

struct facts_sources {
	struct connector **conns;
	size_t count;
};

void facts_close(struct facts_sources **sources)
{
	size_t i;

	if (*sources == NULL)
		return;
	for (i = 0; i < (*sources)->count; i++)
		connector_close(&(*sources)->conns[i]);
	free((*sources)->conns);
	free(*sources);
	*sources = NULL;
}

int facts_open(const struct config *config, struct facts_sources **sources_r, struct error *err)
{
	struct facts_sources *s;
	size_t i;
	int ret = -1;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -1;
	if (config->connectors_count > 0) {
		s->conns = calloc(config->connectors_count, sizeof(*s->conns));
		if (s->conns == NULL)
			goto out;
	}
	for (i = 0; i < config->connectors_count; i++) {
		if (connector_open(&config->connectors[i], &s->conns[i], err) < 0)
			goto out;
		s->count++;
	}
	*sources_r = s;
	s = NULL;
	ret = 0;
out:
	facts_close(&s);
	return ret;
}

/* Looks up keys of one connector and appends the answers under its name.
 * Returns 1 all known, 0 some unknown, -1 on error. */
static int facts_lookup(struct connector *conn, const char *const *keys, size_t n, json_t *facts)
{
	struct conn_result results[FACTS_KEYS_MAX];
	struct error err;
	uint64_t started;
	int r;

	memset(results, 0, sizeof(results));
	started = time_mono_ms();
	r = connector_lookup(conn, keys, n, results, &err);
	metrics_connector(conn->name, time_mono_ms() - started, r > 0);
	if (r < 0)
		return -1;
	if (r == 0)
		log_warn("connector %s: %s (facts unknown, retried next message)", conn->name,
			 error_msg(&err));
	if (rules_facts_add(facts, conn->name, results, n) < 0)
		r = -1;
	conn_results_free(results, n);
	return r;
}

int facts_gather(struct facts_sources *sources, const char *text, json_t **facts_r, json_t **keys_r)
{
	struct key_hit hits[FACTS_KEYS_MAX];
	const char *keys[FACTS_KEYS_MAX];
	json_t *facts = json_object(), *all_keys = json_object(), *list;
	size_t i;
	int n, k, r, ret = 1;

	if (facts == NULL || all_keys == NULL) {
		ret = -1;
		goto out;
	}
	for (i = 0; i < sources->count; i++) {
		struct connector *conn = sources->conns[i];

		n = keys_extract(conn->keys, text, strlen(text), hits, FACTS_KEYS_MAX);
		if (n < 0) {
			ret = -1;
			goto out;
		}
		list = json_object_get(all_keys, conn->kind);
		if (list == NULL) {
			list = json_array();
			json_object_set_new(all_keys, conn->kind, list);
		}
		for (k = 0; k < n; k++) {
			keys[k] = hits[k].key;
			json_array_append_new(list, json_string(hits[k].key));
		}
		/* an empty list says "nothing of this kind was mentioned"; a
		 * missing namespace would mean "nobody answers it" (unknown) */
		if (n == 0 && rules_facts_add(facts, conn->name, NULL, 0) < 0) {
			ret = -1;
			goto out;
		}
		if (n == 0 && strcmp(conn->kind, "sku") == 0 &&
		    rules_facts_add_quote(facts, hits, 0) < 0) {
			ret = -1;
			goto out;
		}
		if (n == 0)
			continue;
		r = facts_lookup(conn, keys, (size_t)n, facts);
		if (r < 0) {
			ret = -1;
			goto out;
		}
		if (r == 0)
			ret = 0;
		log_debug("connector %s: %d %s key(s) looked up", conn->name, n, conn->kind);
		if (strcmp(conn->kind, "sku") == 0 &&
		    rules_facts_add_quote(facts, hits, (size_t)n) < 0) {
			ret = -1;
			goto out;
		}
	}
	*facts_r = facts;
	*keys_r = all_keys;
	facts = NULL;
	all_keys = NULL;
out:
	json_decref(facts);
	json_decref(all_keys);
	return ret;
}

static struct connector *facts_source(struct facts_sources *sources, const char *name)
{
	size_t i;

	for (i = 0; i < sources->count; i++) {
		if (strcmp(sources->conns[i]->name, name) == 0)
			return sources->conns[i];
	}
	return NULL;
}

/* Bookkeeping fields that differ on every lookup and say nothing about the
 * business data. */
static bool facts_field_ignored(const char *field)
{
	return strcmp(field, "fetched_at") == 0 || strcmp(field, "connector") == 0 ||
	       strcmp(field, "key") == 0;
}

static int facts_diff_one(const char *source, const json_t *was, const json_t *now, json_t *changes)
{
	const char *field;
	json_t *value;
	int changed = 0;

	json_object_foreach((json_t *)was, field, value)
	{
		const json_t *other = json_object_get(now, field);

		if (facts_field_ignored(field))
			continue;
		if (other != NULL && json_equal(value, other))
			continue;
		json_array_append_new(changes, json_pack("{s:s, s:O, s:s, s:O, s:O}", "source",
							 source, "key", json_object_get(was, "key"),
							 "field", field, "was", value, "now",
							 other != NULL ? other : json_null()));
		changed = 1;
	}
	return changed;
}

int facts_recheck(struct facts_sources *sources, const json_t *facts, json_t **changes_r)
{
	const char *source;
	const json_t *list, *e;
	json_t *changes = json_array(), *fresh = NULL, *now;
	const char *keys[FACTS_KEYS_MAX];
	struct connector *conn;
	size_t i, n;
	int ret = 0, r;

	if (changes == NULL)
		return -1;
	json_object_foreach((json_t *)facts, source, list)
	{
		if (!json_is_array(list) || (conn = facts_source(sources, source)) == NULL)
			continue; /* "quote" and sources no longer configured */
		n = 0;
		json_array_foreach(list, i, e)
		{
			if (n < FACTS_KEYS_MAX && json_is_string(json_object_get(e, "key")))
				keys[n++] = json_string_value(json_object_get(e, "key"));
		}
		if (n == 0)
			continue;
		fresh = json_object();
		r = fresh != NULL ? facts_lookup(conn, keys, n, fresh) : -1;
		if (r <= 0) {
			json_array_append_new(changes,
					      json_pack("{s:s, s:s}", "source", source, "error",
							"the connector did not answer"));
			ret = -1;
			goto out;
		}
		now = json_object_get(fresh, source);
		json_array_foreach(list, i, e)
		{
			if (i < json_array_size(now) &&
			    facts_diff_one(source, e, json_array_get(now, i), changes))
				ret = 1;
		}
		json_decref(fresh);
		fresh = NULL;
	}
out:
	json_decref(fresh);
	*changes_r = changes;
	return ret;
}

long long facts_oldest(const json_t *facts)
{
	const char *source;
	const json_t *list, *e, *at;
	long long oldest = 0;
	size_t i;

	json_object_foreach((json_t *)facts, source, list)
	{
		if (!json_is_array(list))
			continue;
		json_array_foreach(list, i, e)
		{
			at = json_object_get(e, "fetched_at");
			if (json_is_integer(at) && json_is_true(json_object_get(e, "found")) &&
			    (oldest == 0 || json_integer_value(at) < oldest))
				oldest = json_integer_value(at);
		}
	}
	return oldest;
}

int facts_requested(struct facts_sources *sources, const char *text, struct key_hit *hits_r,
		    size_t max)
{
	size_t i;

	for (i = 0; i < sources->count; i++) {
		if (strcmp(sources->conns[i]->kind, "sku") == 0)
			return keys_extract(sources->conns[i]->keys, text, strlen(text), hits_r,
					    max);
	}
	return 0;
}

/* The part after '@', lower case compared; "" when there is none. */
static const char *facts_domain(const char *address)
{
	const char *at = address != NULL ? strrchr(address, '@') : NULL;

	return at != NULL ? at + 1 : "";
}

json_t *facts_for_sender(const json_t *facts, const char *sender)
{
	json_t *copy = json_deep_copy(facts), *orders, *e, *redacted;
	const char *owner;
	size_t i;

	if (copy == NULL)
		return NULL;
	orders = json_object_get(copy, "order");
	json_array_foreach(orders, i, e)
	{
		owner = json_string_value(json_object_get(e, "customer_email"));
		if (!json_is_true(json_object_get(e, "found")) || owner == NULL)
			continue;
		if (sender != NULL && (strcasecmp(owner, sender) == 0 ||
				       strcasecmp(facts_domain(owner), facts_domain(sender)) == 0))
			continue;
		redacted = json_pack("{s:O, s:b, s:s}", "key", json_object_get(e, "key"), "found",
				     1, "withheld", "this order belongs to another customer");
		if (redacted == NULL || json_array_set_new(orders, i, redacted) < 0) {
			json_decref(copy);
			return NULL;
		}
	}
	return copy;
}
