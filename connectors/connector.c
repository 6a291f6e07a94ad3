/* SPDX-License-Identifier: MIT */
#include "connectors/connector.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/conn_cache.h"
#include "connectors/keys/keys.h"
#include "daemon/lib/log.h"
#include "daemon/lib/util.h"

/* The registry: adding a backend is one line here. */
static const struct connector_ops *const connector_backends[] = {
	&connector_pg,
	&connector_http,
	&connector_csv,
};

/* Options every connector understands, whatever its type. */
static const char *const conn_common_options[] = {"key", "pattern", "canonical", "fields", NULL};

static const struct {
	const char *name;
	enum conn_field_type type;
} conn_field_types[] = {
	{"any", CONN_FIELD_ANY},       {"string", CONN_FIELD_STRING},
	{"number", CONN_FIELD_NUMBER}, {"integer", CONN_FIELD_INTEGER},
	{"bool", CONN_FIELD_BOOL},
};

const struct connector_ops *connector_ops_find(const char *type)
{
	size_t i;

	for (i = 0; type != NULL && i < ARRAY_SIZE(connector_backends); i++) {
		if (strcmp(connector_backends[i]->name, type) == 0)
			return connector_backends[i];
	}
	return NULL;
}

const char *conn_option(const struct connector_config *config, const char *key,
			unsigned int *line_r)
{
	const char *value = NULL;
	size_t i;

	for (i = 0; i < config->options_count; i++) {
		if (strcmp(config->options[i].key, key) == 0) {
			value = config->options[i].value;
			if (line_r != NULL)
				*line_r = config->options[i].line;
		}
	}
	return value;
}

static int conn_key_listed(const char *const *list, const char *key)
{
	size_t n;

	for (; list != NULL && *list != NULL; list++) {
		n = strlen(*list);
		if (n > 0 && (*list)[n - 1] == '.' ? strncmp(*list, key, n) == 0 && key[n] != '\0'
						   : strcmp(*list, key) == 0)
			return 1;
	}
	return 0;
}

/* Parses "name:type, name, ..." into fields (type defaults to any). */
static int conn_fields_parse(const char *text, struct conn_field **fields_r, size_t *count_r,
			     struct error *err)
{
	struct conn_field *fields = NULL;
	size_t count = 0, i, n;
	const char *p = text, *colon, *end;
	char name[64], type[16];
	int ret = -1;

	fields = calloc(64, sizeof(*fields));
	if (fields == NULL)
		goto out;
	while (*p != '\0') {
		p += strspn(p, " \t,");
		if (*p == '\0')
			break;
		end = p + strcspn(p, ",");
		colon = memchr(p, ':', (size_t)(end - p));
		n = (size_t)((colon != NULL ? colon : end) - p);
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (count == 64 || n == 0 || n >= sizeof(name)) {
			error_set(err, "fields: bad or too many entries");
			goto out;
		}
		memcpy(name, p, n);
		name[n] = '\0';
		fields[count].type = CONN_FIELD_ANY;
		if (colon != NULL) {
			snprintf(type, sizeof(type), "%.*s", (int)(end - colon - 1), colon + 1);
			for (i = 0; i < ARRAY_SIZE(conn_field_types); i++) {
				if (strcmp(conn_field_types[i].name, type) == 0)
					break;
			}
			if (i == ARRAY_SIZE(conn_field_types)) {
				error_set(
					err,
					"fields: unknown type '%s' (any, string, number, integer, "
					"bool)",
					type);
				goto out;
			}
			fields[count].type = conn_field_types[i].type;
		}
		fields[count].name = str_dup(name);
		if (fields[count++].name == NULL)
			goto out;
		p = end;
	}
	*fields_r = fields;
	*count_r = count;
	fields = NULL;
	ret = 0;
out:
	if (fields != NULL) {
		for (i = 0; i < count; i++)
			free(fields[i].name);
		free(fields);
	}
	return ret;
}

static void conn_fields_free(struct conn_field *fields, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		free(fields[i].name);
	free(fields);
}

/* Compiles the key patterns of config (option pattern, repeatable). */
static int conn_keys_new(const struct connector_config *config, struct keys_kind **keys_r,
			 struct error *err)
{
	const char *patterns[KEYS_PATTERN_MAX];
	const char *kind = conn_option(config, "key", NULL);
	unsigned int line = config->line;
	struct error why;
	size_t i, count = 0;

	if (kind == NULL)
		kind = config->name;
	for (i = 0; i < config->options_count; i++) {
		if (strcmp(config->options[i].key, "pattern") != 0)
			continue;
		if (count == KEYS_PATTERN_MAX) {
			error_set(err, "line %u: [connector %s] pattern: more than %d patterns",
				  config->options[i].line, config->name, KEYS_PATTERN_MAX);
			return -1;
		}
		patterns[count++] = config->options[i].value;
		line = config->options[i].line;
	}
	if (count == 0 && conn_option(config, "canonical", &line) != NULL) {
		error_set(err, "line %u: [connector %s] canonical: needs a pattern", line,
			  config->name);
		return -1;
	}
	if (keys_kind_new(kind, patterns, count, conn_option(config, "canonical", NULL), keys_r,
			  &why) < 0) {
		error_set(err, "line %u: [connector %s] pattern: %s", line, config->name,
			  error_msg(&why));
		return -1;
	}
	return 0;
}

int connector_validate(const struct connector_config *config, struct error *err)
{
	const struct connector_ops *ops = connector_ops_find(config->type);
	struct keys_kind *keys = NULL;
	struct conn_field *fields = NULL;
	size_t i, count = 0;
	const char *v;
	unsigned int line = config->line;
	struct error why;
	const char *msg;

	if (ops == NULL) {
		error_set(err, "line %u: [connector %s] type: unknown type '%s' (pg, http, csv)",
			  config->line, config->name, config->type != NULL ? config->type : "");
		return -1;
	}
	for (i = 0; i < config->options_count; i++) {
		if (!conn_key_listed(conn_common_options, config->options[i].key) &&
		    !conn_key_listed(ops->options, config->options[i].key)) {
			const char *near =
				config_suggest_strv(config->options[i].key, ops->options);

			if (near == NULL)
				near = config_suggest_strv(config->options[i].key,
							   conn_common_options);
			error_set(err, "line %u: [connector %s] %s: unknown key for type %s%s%s%s",
				  config->options[i].line, config->name, config->options[i].key,
				  ops->name, near != NULL ? " (did you mean '" : "",
				  near != NULL ? near : "", near != NULL ? "'?)" : "");
			return -1;
		}
	}
	for (i = 0; ops->required != NULL && ops->required[i] != NULL; i++) {
		if (conn_option(config, ops->required[i], NULL) == NULL) {
			error_set(err, "line %u: [connector %s] %s: missing (a required key)",
				  config->line, config->name, ops->required[i]);
			return -1;
		}
	}
	if ((v = conn_option(config, "fields", &line)) != NULL) {
		if (conn_fields_parse(v, &fields, &count, &why) < 0) {
			error_set(err, "line %u: [connector %s] %s", line, config->name,
				  error_msg(&why));
			return -1;
		}
		conn_fields_free(fields, count);
	}
	if (conn_keys_new(config, &keys, err) < 0)
		return -1;
	keys_kind_free(&keys);
	if (ops->validate != NULL && ops->validate(config, &why) < 0) {
		/* the backend says "line N: what": the line goes first, as everywhere */
		unsigned long at = 0;
		char *rest = NULL;

		msg = error_msg(&why);
		if (strncmp(msg, "line ", 5) == 0)
			at = strtoul(msg + 5, &rest, 10);
		if (at > 0 && rest != NULL && strncmp(rest, ": ", 2) == 0)
			error_set(err, "line %lu: [connector %s] %s", at, config->name, rest + 2);
		else
			error_set(err, "line %u: [connector %s] %s", config->line, config->name,
				  msg);
		return -1;
	}
	return 0;
}

int connector_open(const struct connector_config *config, struct connector **conn_r,
		   struct error *err)
{
	struct connector *conn = NULL;
	struct conn_params params;
	const char *kind;
	int ret = -1;

	if (connector_validate(config, err) < 0)
		goto out;
	conn = calloc(1, sizeof(*conn));
	if (conn == NULL)
		goto out;
	pthread_mutex_init(&conn->lock, NULL);
	conn->ops = connector_ops_find(config->type);
	kind = conn_option(config, "key", NULL);
	conn->name = str_dup(config->name);
	conn->kind = str_dup(kind != NULL ? kind : config->name);
	conn->timeout_ms = config->timeout_ms > 0 ? config->timeout_ms : 5000;
	conn->cache_ttl = config->cache_ttl;
	conn->cache = conn_cache_new();
	if (conn->name == NULL || conn->kind == NULL || conn->cache == NULL)
		goto out;
	if (conn_keys_new(config, &conn->keys, err) < 0)
		goto out;
	if (conn_option(config, "fields", NULL) != NULL &&
	    conn_fields_parse(conn_option(config, "fields", NULL), &conn->fields,
			      &conn->fields_count, err) < 0)
		goto out;
	params.config = config;
	params.fields = conn->fields;
	params.fields_count = conn->fields_count;
	if (conn->ops->open(&params, &conn->priv, err) < 0) {
		conn->priv = NULL;
		goto out;
	}
	log_info_kv("connector opened", "connector=%s type=%s kind=%s", conn->name, config->type,
		    conn->kind);
	*conn_r = conn;
	conn = NULL;
	ret = 0;
out:
	connector_close(&conn);
	return ret;
}

void connector_close(struct connector **connp)
{
	struct connector *conn = *connp;

	if (conn == NULL)
		return;
	if (conn->priv != NULL)
		conn->ops->close(conn->priv);
	conn_cache_free(&conn->cache);
	keys_kind_free(&conn->keys);
	conn_fields_free(conn->fields, conn->fields_count);
	pthread_mutex_destroy(&conn->lock);
	free(conn->name);
	free(conn->kind);
	free(conn);
	*connp = NULL;
}

void conn_results_free(struct conn_result *results, size_t count)
{
	size_t i;

	for (i = 0; results != NULL && i < count; i++) {
		json_decref(results[i].fact);
		results[i].fact = NULL;
	}
}

int connector_lookup(struct connector *conn, const char *const *keys, size_t count,
		     struct conn_result *results_r, struct error *err)
{
	const char *todo[CONN_KEYS_MAX];
	size_t todo_idx[CONN_KEYS_MAX];
	json_t *facts[CONN_KEYS_MAX];
	size_t i, ntodo = 0, found = 0, missing = 0, cached = 0;
	uint64_t start, took;
	time_t now = time(NULL);
	struct error why = {0};
	int rc = 0, ret = 1;

	if (count > CONN_KEYS_MAX) {
		error_set(err, "%zu keys in one lookup (max %d)", count, CONN_KEYS_MAX);
		return -1;
	}
	for (i = 0; i < count; i++) {
		memset(&results_r[i], 0, sizeof(results_r[i]));
		results_r[i].connector = conn->name;
		results_r[i].state = CONN_UNKNOWN;
		if (str_copy(results_r[i].key, sizeof(results_r[i].key), keys[i]) < 0) {
			error_set(err, "key longer than %d bytes", CONN_KEY_MAX - 1);
			conn_results_free(results_r, i);
			return -1;
		}
	}
	pthread_mutex_lock(&conn->lock);
	for (i = 0; i < count; i++) {
		if (conn->cache_ttl > 0 && conn_cache_get(conn->cache, keys[i], now,
							  conn->cache_ttl, &results_r[i]) == 1) {
			cached++;
			continue;
		}
		todo[ntodo] = keys[i];
		todo_idx[ntodo] = i;
		facts[ntodo++] = NULL;
	}
	if (ntodo > 0) {
		start = time_mono_ms();
		rc = conn->ops->lookup(conn->priv, todo, ntodo, conn->timeout_ms, facts, &why);
		took = time_mono_ms() - start;
		atomic_fetch_add(&conn->stats.latency_ms, took);
		for (i = 0; i < ntodo; i++) {
			struct conn_result *r = &results_r[todo_idx[i]];

			if (rc < 0)
				continue;
			if (facts[i] != NULL &&
			    conn_fact_check(facts[i], conn->fields, conn->fields_count, &why) < 0) {
				/* a fact of the wrong shape is no fact */
				json_decref(facts[i]);
				facts[i] = NULL;
				rc = -2;
				continue;
			}
			r->state = facts[i] != NULL ? CONN_FOUND : CONN_NOT_FOUND;
			r->fact = facts[i];
			facts[i] = NULL;
			r->fetched_at = now;
			if (conn->cache_ttl > 0)
				conn_cache_put(conn->cache, r);
		}
	}
	pthread_mutex_unlock(&conn->lock);
	for (i = 0; i < ntodo; i++)
		json_decref(facts[i]);
	for (i = 0; i < count; i++) {
		if (results_r[i].state == CONN_FOUND)
			found++;
		else if (results_r[i].state == CONN_NOT_FOUND)
			missing++;
		else
			ret = 0;
	}
	atomic_fetch_add(&conn->stats.lookups, count);
	atomic_fetch_add(&conn->stats.hits, found);
	atomic_fetch_add(&conn->stats.misses, missing);
	atomic_fetch_add(&conn->stats.errors, count - found - missing);
	atomic_fetch_add(&conn->stats.cache_hits, cached);
	/* key kinds and counts only: keys are customer data */
	log_debug_kv("connector lookup",
		     "connector=%s kind=%s keys=%zu cached=%zu found=%zu missing=%zu unknown=%zu",
		     conn->name, conn->kind, count, cached, found, missing,
		     count - found - missing);
	if (ret == 0) {
		error_set(err, "connector %s: %s", conn->name,
			  error_msg(&why)[0] != '\0' ? error_msg(&why) : "lookup failed");
		log_warn_kv("connector lookup failed", "connector=%s kind=%s keys=%zu error=%s",
			    conn->name, conn->kind, ntodo, error_msg(&why));
	}
	return ret;
}
