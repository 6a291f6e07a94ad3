/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_CONNECTOR_H
#define DRAFTD_CONNECTOR_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "daemon/config/config.h"
#include "daemon/lib/error.h"

/* Connectors look facts up in the business's own systems (a SQL database, an
 * HTTP/JSON ERP, a CSV export). Each backend is one file exporting a
 * `const struct connector_ops`; connector.c is the registry and the only code
 * that calls through ops->. A connector answers, for every key of one kind
 * (sku, order, ...), with a fact (a JSON object), "not found", or "unknown"
 * when the backend failed: never a made-up fact. */

#define CONN_ERROR_MAX 512
#define CONN_KEY_MAX   128 /* longest key accepted by any backend */
#define CONN_KEYS_MAX  256 /* most keys per lookup call */

/* Counters for metrics; updated atomically by every lookup. */
struct connector_stats {
	atomic_uint_fast64_t lookups; /* keys asked for */
	atomic_uint_fast64_t hits;    /* keys found */
	atomic_uint_fast64_t misses;  /* keys answered "not found" */
	atomic_uint_fast64_t errors;  /* keys answered "unknown" */
	atomic_uint_fast64_t cache_hits;
	atomic_uint_fast64_t latency_ms; /* total time spent in the backend */
};

enum conn_state { CONN_UNKNOWN = -1, CONN_NOT_FOUND = 0, CONN_FOUND = 1 };

/* The answer for one key. */
struct conn_result {
	char key[CONN_KEY_MAX];
	enum conn_state state;
	json_t *fact; /* owned; an object when state == CONN_FOUND, else NULL */
	time_t fetched_at;
	const char *connector; /* the connector's name, valid while it is open */
};

/* Declared fields of a connector's facts (option `fields = name:type, ...`). */
enum conn_field_type {
	CONN_FIELD_ANY = 0,
	CONN_FIELD_STRING,
	CONN_FIELD_NUMBER,
	CONN_FIELD_INTEGER,
	CONN_FIELD_BOOL
};

struct conn_field {
	char *name;
	enum conn_field_type type;
};

/* What a backend sees when it opens: the config section plus the parsed
 * common options. */
struct conn_params {
	const struct connector_config *config;
	const struct conn_field *fields; /* NULL when none declared */
	size_t fields_count;
};

struct connector_ops {
	const char *name;
	/* Option keys the backend accepts; an entry ending in '.' is a prefix
	 * (field.qty_on_hand). Keys in `required` must be present. */
	const char *const *options;
	const char *const *required;
	/* Checks the values of the backend's options without opening anything.
	 * Returns 0, or -1 with "line N: ..." in error. May be NULL. */
	int (*validate)(const struct connector_config *config, struct error *err);
	/* Returns 0 with *priv_r set, or -1 with error filled in. Opening must
	 * not need the backend to be reachable: connecting is lazy. */
	int (*open)(const struct conn_params *params, void **priv_r, struct error *err);
	/* Looks up keys[0..count) in one go where the backend can. For each key
	 * sets facts_r[i] to a new object (found) or NULL (not found). Returns 0,
	 * or -1 with error when the backend failed (every key is then unknown).
	 * Called with the connector's mutex held. */
	int (*lookup)(void *priv, const char *const *keys, size_t count, unsigned int timeout_ms,
		      json_t **facts_r, struct error *err);
	void (*close)(void *priv);
};

struct keys_kind;

struct connector {
	const struct connector_ops *ops;
	void *priv;
	char *name;
	char *kind; /* the key kind it answers (option `key`, default: the name) */
	unsigned int timeout_ms;
	unsigned int cache_ttl;
	struct keys_kind *keys; /* extraction patterns for this kind */
	struct conn_field *fields;
	size_t fields_count;
	struct conn_cache *cache;
	pthread_mutex_t lock;
	struct connector_stats stats;
};

/* The backend named type, or NULL. */
const struct connector_ops *connector_ops_find(const char *type);

/* Checks a [connector NAME] section: known type, every option key known to
 * the backend (or common: key, pattern, canonical, fields), required keys
 * present, values valid. Returns 0, or -1 with "line N: ..." in error. The
 * config checker calls this for every section; connector_open() does too. */
int connector_validate(const struct connector_config *config, struct error *err)
	__attribute__((warn_unused_result));

/* Opens a connector for config. Returns 0 with *conn_r, or -1 with error. */
int connector_open(const struct connector_config *config, struct connector **conn_r,
		   struct error *err) __attribute__((warn_unused_result));

/* Looks up keys (count <= CONN_KEYS_MAX), answering from the cache where an
 * entry is younger than cache_ttl and asking the backend once for the rest.
 * Fills results_r[0..count) in key order (free with conn_results_free()).
 * Returns 1 when every key has an answer, 0 when some are CONN_UNKNOWN
 * (backend failure, error filled in; not cached, so the next message
 * retries), -1 on bad arguments. Thread-safe. */
int connector_lookup(struct connector *conn, const char *const *keys, size_t count,
		     struct conn_result *results_r, struct error *err);

void conn_results_free(struct conn_result *results, size_t count);

/* Closes and frees the connector and clears *conn. NULL is fine. */
void connector_close(struct connector **conn);

/* The option's value (last occurrence) and its line, or NULL. */
const char *conn_option(const struct connector_config *config, const char *key,
			unsigned int *line_r);

/* Validates a backend's fact against the declared fields, coercing strings
 * to the declared types ("12" -> 12, "true" -> true) and dropping undeclared
 * fields. Returns 0 or -1 with error. With no declared fields it keeps all. */
int conn_fact_check(json_t *fact, const struct conn_field *fields, size_t count, struct error *err);

/* Converts one textual value (CSV cell, SQL text) into JSON: "" -> null,
 * integers, decimals, true/false; anything else a string. New reference. */
json_t *conn_value_guess(const char *text);

extern const struct connector_ops connector_pg;
extern const struct connector_ops connector_http;
extern const struct connector_ops connector_csv;

#endif
