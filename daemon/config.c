#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon/ini.h"
#include "daemon/util.h"

#ifndef DRAFTD_DATADIR
#define DRAFTD_DATADIR "/usr/local/share/draftd"
#endif

#define CONFIG_FILE_MAX   (1024 * 1024)
#define CONFIG_ERRORS_MAX 50

enum config_type { CFG_STR, CFG_UINT, CFG_SIZE, CFG_DOUBLE, CFG_BOOL, CFG_DURATION, CFG_ENUM };

/* One row per key: the declarative table PgBouncer and Redis keep. Offsets
 * are relative to the section's struct. */
struct config_key {
	const char *name;
	enum config_type type;
	size_t offset;
	const char *def;
	double min, max;
	const char *const *names; /* CFG_ENUM: value i is names[i] */
	bool required;
};

static const char *const backend_names[] = {"builtin", "openai", NULL};
static const char *const mode_names[] = {"off", "draft", "shadow", "auto", NULL};
static const char *const promotion_names[] = {"manual", "automatic", NULL};
static const char *const level_names[] = {"error", "warn", "info", "debug", NULL};

#define K_STR(s, f, d)                                            \
	{                                                         \
#f, CFG_STR, offsetof(s, f), d, 0, 0, NULL, false \
	}
#define K_REQ(s, f)                                                 \
	{                                                           \
#f, CFG_STR, offsetof(s, f), NULL, 0, 0, NULL, true \
	}
#define K_UINT(s, f, d, lo, hi)                                      \
	{                                                            \
#f, CFG_UINT, offsetof(s, f), d, lo, hi, NULL, false \
	}
#define K_SIZE(s, f, d, lo, hi)                                      \
	{                                                            \
#f, CFG_SIZE, offsetof(s, f), d, lo, hi, NULL, false \
	}
#define K_DBL(s, f, d, lo, hi)                                         \
	{                                                              \
#f, CFG_DOUBLE, offsetof(s, f), d, lo, hi, NULL, false \
	}
#define K_BOOL(s, f, d)                                            \
	{                                                          \
#f, CFG_BOOL, offsetof(s, f), d, 0, 1, NULL, false \
	}
#define K_DUR(s, f, d, lo, hi)                                           \
	{                                                                \
#f, CFG_DURATION, offsetof(s, f), d, lo, hi, NULL, false \
	}
#define K_ENUM(s, f, d, n)                                      \
	{                                                       \
#f, CFG_ENUM, offsetof(s, f), d, 0, 0, n, false \
	}
#define K_END                                             \
	{                                                 \
		NULL, CFG_STR, 0, NULL, 0, 0, NULL, false \
	}

typedef __typeof__(((struct config *)0)->database) database_t;
typedef __typeof__(((struct config *)0)->api) api_t;
typedef __typeof__(((struct config *)0)->model) model_t;
typedef __typeof__(((struct config *)0)->smtp) smtp_t;
typedef __typeof__(((struct config *)0)->log) log_t;
typedef __typeof__(((struct config *)0)->agent) agent_t;
typedef __typeof__(((struct config *)0)->limits) limits_t;

static const struct config_key database_keys[] = {
	K_REQ(database_t, url),
	K_DUR(database_t, connect_timeout, "10", 1, 300),
	K_END,
};

static const struct config_key api_keys[] = {
	K_STR(api_t, listen, "127.0.0.1:8080"),
	K_STR(api_t, tls_cert, NULL),
	K_STR(api_t, tls_key, NULL),
	K_STR(api_t, web_root, NULL),
	K_SIZE(api_t, max_body, "1M", 1024, 64 * 1024 * 1024),
	K_UINT(api_t, threads, "8", 1, 256),
	K_END,
};

static const struct config_key model_keys[] = {
	K_ENUM(model_t, backend, "builtin", backend_names),
	K_STR(model_t, base_url, NULL),
	K_STR(model_t, model, "local"),
	K_STR(model_t, api_key_file, NULL),
	K_DUR(model_t, timeout, "60", 1, 3600),
	K_UINT(model_t, max_tokens, "800", 16, 32768),
	K_UINT(model_t, seed, "42", 0, UINT32_MAX),
	K_UINT(model_t, max_in_flight, "2", 1, 256),
	K_STR(model_t, templates_dir, NULL),
	K_DUR(model_t, connect_timeout, "5", 1, 300),
	K_UINT(model_t, breaker_failures, "5", 1, 1000),
	K_DUR(model_t, breaker_cooldown, "30", 1, 3600),
	K_SIZE(model_t, max_reply_size, "256k", 4096, 64 * 1024 * 1024),
	K_END,
};

static const struct config_key smtp_keys[] = {
	K_STR(smtp_t, url, NULL),
	K_STR(smtp_t, user, NULL),
	K_STR(smtp_t, password_file, NULL),
	K_BOOL(smtp_t, tls, "on"),
	K_STR(smtp_t, tls_ca_file, NULL),
	K_DUR(smtp_t, connect_timeout, "30", 1, 600),
	K_DUR(smtp_t, timeout, "120", 1, 3600),
	K_UINT(smtp_t, max_attempts, "10", 1, 1000),
	K_END,
};

static const struct config_key log_keys[] = {
	K_ENUM(log_t, level, "info", level_names),
	K_END,
};

static const struct config_key agent_keys[] = {
	K_UINT(agent_t, workers, "2", 1, 64),
	K_STR(agent_t, rules_file, NULL),
	K_UINT(agent_t, max_attempts, "5", 1, 100),
	K_DUR(agent_t, job_lease, "5m", 2, 86400),
	K_DUR(agent_t, retry_delay, "30", 1, 3600),
	K_STR(agent_t, url_allow, NULL),
	K_BOOL(agent_t, builtin_categories, "on"),
	K_DUR(agent_t, stats_window, "30d", 60, 3660 * 86400),
	K_DBL(agent_t, unchanged_threshold, "0.05", 0, 1),
	K_DUR(agent_t, auto_reply_period, "1d", 1, 366 * 86400),
	K_UINT(agent_t, auto_hourly_cap, "20", 0, 1000000),
	K_DUR(agent_t, reply_window, "7d", 1, 366 * 86400),
	K_STR(agent_t, reply_demote_words, "wrong, not what I asked, incorrect, mistake"),
	K_BOOL(agent_t, reply_demote_any, "off"),
	K_DUR(agent_t, promotion_interval, "60", 1, 86400),
	K_END,
};

static const struct config_key limits_keys[] = {
	K_SIZE(limits_t, max_message_size, "25M", 1024, 1024 * 1024 * 1024),
	K_UINT(limits_t, max_mime_depth, "20", 1, 100),
	K_UINT(limits_t, max_mime_parts, "500", 1, 100000),
	K_SIZE(limits_t, max_header_size, "64k", 1024, 16 * 1024 * 1024),
	K_SIZE(limits_t, max_text_size, "64k", 1024, 16 * 1024 * 1024),
	K_END,
};

static const struct config_key mailbox_keys[] = {
	K_REQ(struct mailbox_config, url),
	K_REQ(struct mailbox_config, user),
	K_STR(struct mailbox_config, password, NULL),
	K_STR(struct mailbox_config, password_file, NULL),
	K_STR(struct mailbox_config, folder, "INBOX"),
	K_STR(struct mailbox_config, sent_folder, "Sent"),
	K_REQ(struct mailbox_config, address),
	K_DUR(struct mailbox_config, poll_interval, "60", 1, 86400),
	K_BOOL(struct mailbox_config, idle, "on"),
	K_BOOL(struct mailbox_config, starttls, "on"),
	K_BOOL(struct mailbox_config, tls_verify, "on"),
	K_STR(struct mailbox_config, tls_ca_file, NULL),
	K_UINT(struct mailbox_config, fetch_batch, "50", 1, 1000),
	K_END,
};

static const struct config_key connector_keys[] = {
	K_REQ(struct connector_config, type),
	{"timeout", CFG_UINT, offsetof(struct connector_config, timeout_ms), "5000", 1, 600000,
	 NULL, false},
	K_DUR(struct connector_config, cache_ttl, "60", 0, 86400),
	K_END,
};

static const struct config_key category_keys[] = {
	K_ENUM(struct category_config, mode, "draft", mode_names),
	K_DBL(struct category_config, threshold, "0.9", 0, 1),
	K_DBL(struct category_config, audit_sample_rate, "0.1", 0, 1),
	K_UINT(struct category_config, min_samples, "50", 1, 1000000),
	K_DBL(struct category_config, target_rate, "0.95", 0, 1),
	K_ENUM(struct category_config, promotion, "manual", promotion_names),
	K_BOOL(struct category_config, never_auto, "off"),
	K_END,
};

/* Sections: singletons live inside struct config at single_offset; named
 * ones ("[mailbox support]") are arrays of structs that start with
 * "char *name; unsigned int line;". Sections with options_offset keep keys
 * not in their table for their plug-in to validate. */
struct config_section_def {
	const char *name;
	const struct config_key *keys;
	bool named;
	size_t single_offset;
	size_t array_offset, count_offset, elem_size;
	bool has_options;
	size_t options_offset, options_count_offset;
};

#define SINGLE(n, f)                                                                  \
	{                                                                             \
#n, n##_keys, false, offsetof(struct config, f), 0, 0, 0, false, 0, 0 \
	}
#define NAMED(n, t, a, o)                                                                       \
	{                                                                                       \
#n, n##_keys, true, 0, offsetof(struct config, a),                              \
			offsetof(struct config, a##_count), sizeof(t), o, offsetof(t, options), \
			offsetof(t, options_count)                                              \
	}

/* Indexes into sections[], for the checks that need a section's table. */
enum { SECTION_DATABASE = 0, SECTION_MAILBOX = 7, SECTION_CONNECTOR = 8 };

static const struct config_section_def sections[] = {
	SINGLE(database, database),
	SINGLE(api, api),
	SINGLE(model, model),
	SINGLE(smtp, smtp),
	SINGLE(log, log),
	SINGLE(agent, agent),
	SINGLE(limits, limits),
	{"mailbox", mailbox_keys, true, 0, offsetof(struct config, mailboxes),
	 offsetof(struct config, mailboxes_count), sizeof(struct mailbox_config), false, 0, 0},
	NAMED(connector, struct connector_config, connectors, true),
	NAMED(category, struct category_config, categories, true),
};

struct named_head {
	char *name;
	unsigned int line;
};

struct config_parser {
	struct config *config;
	const char *path;
	struct config_errors *errors;
	const struct config_section_def *section;
	void *target;           /* struct the current section's keys land in */
	unsigned char seen[64]; /* keys set in the current section */
	bool section_seen[ARRAY_SIZE(sections)];
	bool in_unknown_section;
};

static void config_error(struct config_errors *errors, const char *path, unsigned int line,
			 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void config_error(struct config_errors *errors, const char *path, unsigned int line,
			 const char *fmt, ...)
{
	char msg[512], full[1024];
	char **lines;
	va_list ap;

	if (errors->count >= CONFIG_ERRORS_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(full, sizeof(full), "%s:%u: %s", path, line, msg);
	else
		snprintf(full, sizeof(full), "%s: %s", path, msg);
	lines = realloc(errors->lines, (errors->count + 1) * sizeof(*lines));
	if (lines == NULL)
		return;
	errors->lines = lines;
	lines[errors->count] = strdup(full);
	if (lines[errors->count] != NULL)
		errors->count++;
}

void config_errors_free(struct config_errors *errors)
{
	size_t i;

	if (errors == NULL)
		return;
	for (i = 0; i < errors->count; i++)
		free(errors->lines[i]);
	free(errors->lines);
	errors->lines = NULL;
	errors->count = 0;
}

/* Stores value into the field key describes. Returns 0, or -1 with a reason
 * in *why_r. */
static int config_set(void *target, const struct config_key *key, const char *value,
		      const char **why_r)
{
	char *field = (char *)target + key->offset;
	char **str = (char **)(void *)field;
	uint64_t u;
	double d;
	bool b;
	unsigned int i;

	switch (key->type) {
	case CFG_STR:
		free(*str);
		*str = strdup(value);
		if (*str == NULL) {
			*why_r = "out of memory";
			return -1;
		}
		return 0;
	case CFG_UINT:
		if (parse_u64(value, (uint64_t)key->max, &u) < 0 || u < (uint64_t)key->min) {
			*why_r = "expected a whole number in range";
			return -1;
		}
		*(unsigned int *)(void *)field = (unsigned int)u;
		return 0;
	case CFG_SIZE:
		if (parse_size(value, (uint64_t)key->max, &u) < 0 || u < (uint64_t)key->min) {
			*why_r = "expected a size (e.g. 64k, 25M) in range";
			return -1;
		}
		*(unsigned int *)(void *)field = (unsigned int)u;
		return 0;
	case CFG_DURATION:
		if (parse_duration(value, (uint64_t)key->max, &u) < 0 || u < (uint64_t)key->min) {
			*why_r = "expected a duration (e.g. 30, 30s, 5m, 1h) in range";
			return -1;
		}
		*(unsigned int *)(void *)field = (unsigned int)u;
		return 0;
	case CFG_DOUBLE:
		if (parse_double(value, key->min, key->max, &d) < 0) {
			*why_r = "expected a number in range";
			return -1;
		}
		*(double *)(void *)field = d;
		return 0;
	case CFG_BOOL:
		if (parse_bool(value, &b) < 0) {
			*why_r = "expected on or off";
			return -1;
		}
		*(bool *)(void *)field = b;
		return 0;
	case CFG_ENUM:
		for (i = 0; key->names[i] != NULL; i++) {
			if (strcmp(key->names[i], value) == 0) {
				*(int *)(void *)field = (int)i;
				return 0;
			}
		}
		*why_r = "not one of the allowed values";
		return -1;
	}
	*why_r = "unknown key type";
	return -1;
}

static void config_describe_range(const struct config_key *key, char *out, size_t size)
{
	size_t pos = 0;
	unsigned int i;
	int n;

	out[0] = '\0';
	switch (key->type) {
	case CFG_ENUM:
		for (i = 0; key->names[i] != NULL && pos < size; i++) {
			n = snprintf(out + pos, size - pos, "%s%s", i == 0 ? " (one of: " : ", ",
				     key->names[i]);
			pos += n > 0 ? (size_t)n : 0;
		}
		if (pos < size)
			snprintf(out + pos, size - pos, ")");
		break;
	case CFG_UINT:
	case CFG_SIZE:
	case CFG_DURATION:
	case CFG_DOUBLE:
		snprintf(out, size, " (%g..%g)", key->min, key->max);
		break;
	default:
		break;
	}
}

static void config_apply_defaults(void *target, const struct config_key *keys)
{
	const struct config_key *key;
	const char *why;

	for (key = keys; key->name != NULL; key++) {
		/* defaults are compile-time constants, checked by the config tests */
		if (key->def != NULL && config_set(target, key, key->def, &why) < 0)
			abort();
	}
}

static void config_free_keys(void *target, const struct config_key *keys)
{
	const struct config_key *key;

	for (key = keys; key->name != NULL; key++) {
		if (key->type == CFG_STR) {
			char **str = (char **)(void *)((char *)target + key->offset);

			free(*str);
			*str = NULL;
		}
	}
}

static void config_free_options(struct config_kv *kvs, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++) {
		free(kvs[i].key);
		free(kvs[i].value);
	}
	free(kvs);
}

static void *config_new_named(struct config_parser *p, const struct config_section_def *def,
			      const char *name, unsigned int line)
{
	char **array = (char **)(void *)((char *)p->config + def->array_offset);
	size_t *count = (size_t *)(void *)((char *)p->config + def->count_offset);
	struct named_head *head;
	char *grown;
	size_t i;

	for (i = 0; i < *count; i++) {
		head = (struct named_head *)(void *)(*array + i * def->elem_size);
		if (strcmp(head->name, name) == 0) {
			config_error(p->errors, p->path, line, "[%s %s] already defined at line %u",
				     def->name, name, head->line);
			return NULL;
		}
	}
	grown = realloc(*array, (*count + 1) * def->elem_size);
	if (grown == NULL)
		return NULL;
	*array = grown;
	head = (struct named_head *)(void *)(grown + *count * def->elem_size);
	memset(head, 0, def->elem_size);
	head->name = strdup(name);
	head->line = line;
	if (head->name == NULL)
		return NULL;
	(*count)++;
	config_apply_defaults(head, def->keys);
	return head;
}

static int config_section_start(struct config_parser *p, unsigned int line, const char *header)
{
	const char *space = strchr(header, ' ');
	size_t len = space != NULL ? (size_t)(space - header) : strlen(header);
	const char *name = NULL;
	unsigned int i;

	p->section = NULL;
	p->target = NULL;
	p->in_unknown_section = false;
	memset(p->seen, 0, sizeof(p->seen));
	if (space != NULL) {
		name = space;
		while (*name == ' ')
			name++;
	}
	for (i = 0; i < ARRAY_SIZE(sections); i++) {
		if (strlen(sections[i].name) == len && strncmp(sections[i].name, header, len) == 0)
			break;
	}
	if (i == ARRAY_SIZE(sections)) {
		p->in_unknown_section = true;
		config_error(p->errors, p->path, line, "unknown section [%s]", header);
		return -1;
	}
	p->section = &sections[i];
	if (sections[i].named) {
		if (name == NULL || *name == '\0') {
			p->in_unknown_section = true;
			config_error(p->errors, p->path, line,
				     "section [%s] needs a name, e.g. [%s NAME]", sections[i].name,
				     sections[i].name);
			return -1;
		}
		p->target = config_new_named(p, &sections[i], name, line);
		if (p->target == NULL) {
			p->in_unknown_section = true;
			return -1;
		}
	} else {
		if (name != NULL) {
			config_error(p->errors, p->path, line, "section [%s] takes no name",
				     sections[i].name);
		}
		if (p->section_seen[i]) {
			config_error(p->errors, p->path, line, "section [%s] appears twice",
				     sections[i].name);
		}
		p->target = (char *)p->config + sections[i].single_offset;
	}
	p->section_seen[i] = true;
	return 0;
}

static int config_add_option(struct config_parser *p, unsigned int line, const char *key,
			     const char *value)
{
	const struct config_section_def *def = p->section;
	struct config_kv **kvs =
		(struct config_kv **)(void *)((char *)p->target + def->options_offset);
	size_t *count = (size_t *)(void *)((char *)p->target + def->options_count_offset);
	struct config_kv *grown;
	size_t i;

	for (i = 0; i < *count; i++) {
		if (strcmp((*kvs)[i].key, key) == 0) {
			config_error(p->errors, p->path, line,
				     "duplicate key '%s' (first at line %u)", key, (*kvs)[i].line);
			return -1;
		}
	}
	grown = realloc(*kvs, (*count + 1) * sizeof(*grown));
	if (grown == NULL)
		return -1;
	*kvs = grown;
	grown[*count].key = strdup(key);
	grown[*count].value = strdup(value);
	grown[*count].line = line;
	(*count)++;
	return 0;
}

static int config_on_line(void *context, unsigned int line, const char *section, const char *key,
			  const char *value)
{
	struct config_parser *p = context;
	const struct config_key *k;
	const char *why = NULL;
	char range[256];
	size_t idx;

	if (key == NULL)
		return config_section_start(p, line, section);
	if (p->in_unknown_section)
		return -1; /* already reported at the section header */
	if (p->section == NULL) {
		config_error(p->errors, p->path, line, "key '%s' outside of any section", key);
		return -1;
	}
	for (k = p->section->keys; k->name != NULL; k++) {
		if (strcmp(k->name, key) == 0)
			break;
	}
	if (k->name == NULL) {
		if (p->section->has_options)
			return config_add_option(p, line, key, value);
		config_error(p->errors, p->path, line, "unknown key '%s' in [%s]", key,
			     p->section->name);
		return -1;
	}
	idx = (size_t)(k - p->section->keys);
	if (idx < sizeof(p->seen) && p->seen[idx] != 0) {
		config_error(p->errors, p->path, line, "duplicate key '%s' in [%s]", key,
			     p->section->name);
		return -1;
	}
	if (idx < sizeof(p->seen))
		p->seen[idx] = 1;
	if (config_set(p->target, k, value, &why) < 0) {
		config_describe_range(k, range, sizeof(range));
		config_error(p->errors, p->path, line, "%s: '%s' is invalid: %s%s", key, value, why,
			     range);
		return -1;
	}
	return 0;
}

static void config_on_syntax_error(void *context, unsigned int line, const char *what)
{
	struct config_parser *p = context;

	config_error(p->errors, p->path, line, "%s", what);
}

const char *config_path(const char *cli_path)
{
	const char *env = getenv("DRAFTD_CONFIG");

	if (cli_path != NULL)
		return cli_path;
	if (env != NULL && *env != '\0')
		return env;
	return CONFIG_DEFAULT_PATH;
}

/* Replaces *field with the environment variable's value when it is set. */
static int config_env_override(const char *var, char **field)
{
	const char *value = getenv(var);
	char *copy;

	if (value == NULL || *value == '\0')
		return 0;
	copy = strdup(value);
	if (copy == NULL)
		return -1;
	free(*field);
	*field = copy;
	return 1;
}

/* Reads *file into *secret unless the secret is already set (the
 * environment wins over a file, a file over nothing). */
static void config_read_secret(struct config_parser *p, unsigned int line, const char *what,
			       const char *file, char **secret)
{
	const char *why = NULL;

	if (file == NULL || *secret != NULL)
		return;
	if (secret_read_file(file, secret, &why) < 0)
		config_error(p->errors, p->path, line, "%s '%s': %s", what, file, why);
}

/* "[mailbox support-desk]" reads $DRAFTD_MAILBOX_SUPPORT_DESK_PASSWORD. */
static void config_mailbox_env_name(const char *name, char *out, size_t size)
{
	size_t pos, i;

	pos = (size_t)snprintf(out, size, "DRAFTD_MAILBOX_");
	for (i = 0; name[i] != '\0' && pos + 10 < size; i++)
		out[pos++] = isalnum((unsigned char)name[i]) ? (char)toupper((unsigned char)name[i])
							     : '_';
	snprintf(out + pos, size - pos, "_PASSWORD");
}

static bool has_prefix(const char *s, const char *prefix)
{
	return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

static void config_check_required(struct config_parser *p, const struct config_section_def *def,
				  const void *target, unsigned int line, const char *label)
{
	const struct config_key *k;

	for (k = def->keys; k->name != NULL; k++) {
		const char *const *str =
			(const char *const *)(const void *)((const char *)target + k->offset);

		if (k->required && *str == NULL)
			config_error(p->errors, p->path, line, "%s: missing key '%s'", label,
				     k->name);
	}
}

static void config_finish(struct config_parser *p)
{
	struct config *c = p->config;
	char env[160], label[200];
	size_t i;

	config_env_override("DRAFTD_DATABASE_URL", &c->database.url);
	config_env_override("DRAFTD_SMTP_PASSWORD", &c->smtp.password);
	config_env_override("DRAFTD_MODEL_API_KEY", &c->model.api_key);

	if (c->database.url == NULL) {
		config_error(p->errors, p->path, 0,
			     p->section_seen[SECTION_DATABASE]
				     ? "[database]: missing key 'url'"
				     : "missing section [database] (or $DRAFTD_DATABASE_URL)");
	}
	if (c->model.backend == MODEL_BACKEND_OPENAI && c->model.base_url == NULL)
		config_error(p->errors, p->path, 0, "[model]: backend = openai needs base_url");
	if (c->model.base_url != NULL && !has_prefix(c->model.base_url, "http://") &&
	    !has_prefix(c->model.base_url, "https://"))
		config_error(p->errors, p->path, 0,
			     "[model]: base_url must start with http:// or https://");
	config_read_secret(p, 0, "[model] api_key_file", c->model.api_key_file, &c->model.api_key);
	if (c->smtp.url != NULL && !has_prefix(c->smtp.url, "smtp://") &&
	    !has_prefix(c->smtp.url, "smtps://"))
		config_error(p->errors, p->path, 0,
			     "[smtp]: url must start with smtp:// or smtps://");
	config_read_secret(p, 0, "[smtp] password_file", c->smtp.password_file, &c->smtp.password);
	if (strchr(c->api.listen, ':') == NULL)
		config_error(p->errors, p->path, 0, "[api]: listen must be HOST:PORT");
	if ((c->api.tls_cert == NULL) != (c->api.tls_key == NULL))
		config_error(p->errors, p->path, 0, "[api]: tls_cert and tls_key go together");

	for (i = 0; i < c->mailboxes_count; i++) {
		struct mailbox_config *m = &c->mailboxes[i];

		snprintf(label, sizeof(label), "[mailbox %s]", m->name);
		config_check_required(p, &sections[SECTION_MAILBOX], m, m->line, label);
		if (m->url != NULL && !has_prefix(m->url, "imap://") &&
		    !has_prefix(m->url, "imaps://"))
			config_error(p->errors, p->path, m->line,
				     "%s: url must start with imap:// or imaps://", label);
		config_mailbox_env_name(m->name, env, sizeof(env));
		if (config_env_override(env, &m->password) == 0)
			config_read_secret(p, m->line, "password_file", m->password_file,
					   &m->password);
		if (m->password == NULL && m->password_file == NULL)
			config_error(p->errors, p->path, m->line,
				     "%s: needs password, password_file or $%s", label, env);
	}
	for (i = 0; i < c->connectors_count; i++) {
		snprintf(label, sizeof(label), "[connector %s]", c->connectors[i].name);
		config_check_required(p, &sections[SECTION_CONNECTOR], &c->connectors[i],
				      c->connectors[i].line, label);
	}
}

static void config_free(struct config *c)
{
	size_t i, j;

	/* before the section loop frees the mailboxes array */
	for (i = 0; i < c->mailboxes_count; i++)
		secret_free(&c->mailboxes[i].password);
	for (i = 0; i < ARRAY_SIZE(sections); i++) {
		const struct config_section_def *def = &sections[i];

		if (!def->named) {
			config_free_keys((char *)c + def->single_offset, def->keys);
			continue;
		}
		char *array = *(char **)(void *)((char *)c + def->array_offset);
		size_t count = *(size_t *)(void *)((char *)c + def->count_offset);

		for (j = 0; j < count; j++) {
			char *elem = array + j * def->elem_size;

			config_free_keys(elem, def->keys);
			free(((struct named_head *)(void *)elem)->name);
			if (def->has_options)
				config_free_options(
					*(struct config_kv **)(void *)(elem + def->options_offset),
					*(size_t *)(void *)(elem + def->options_count_offset));
		}
		free(array);
	}
	secret_free(&c->model.api_key);
	secret_free(&c->smtp.password);
	free(c->path);
	free(c);
}

int config_load(const char *path, struct config **config_r, struct config_errors *errors_r)
{
	struct config_parser p;
	struct config *c = NULL;
	char *text = NULL;
	const char *why = NULL;
	size_t i;
	int ret = -1;

	memset(errors_r, 0, sizeof(*errors_r));
	memset(&p, 0, sizeof(p));
	c = calloc(1, sizeof(*c));
	if (c == NULL || (c->path = strdup(path)) == NULL) {
		config_error(errors_r, path, 0, "out of memory");
		goto out;
	}
	for (i = 0; i < ARRAY_SIZE(sections); i++) {
		if (!sections[i].named)
			config_apply_defaults((char *)c + sections[i].single_offset,
					      sections[i].keys);
	}
	if (file_read_all(path, CONFIG_FILE_MAX, &text, NULL, &why) < 0) {
		config_error(errors_r, path, 0, "cannot read config: %s", why);
		goto out;
	}
	p.config = c;
	p.path = path;
	p.errors = errors_r;
	(void)ini_parse_text(text, config_on_line, config_on_syntax_error, &p);
	config_finish(&p);
	if (errors_r->count > 0)
		goto out;
	c->refcount = 1;
	*config_r = c;
	c = NULL;
	ret = 0;
out:
	if (c != NULL)
		config_free(c);
	free(text);
	return ret;
}

struct config *config_ref(struct config *config)
{
	__atomic_add_fetch(&config->refcount, 1, __ATOMIC_SEQ_CST);
	return config;
}

void config_unref(struct config **config)
{
	if (*config == NULL)
		return;
	if (__atomic_sub_fetch(&(*config)->refcount, 1, __ATOMIC_SEQ_CST) == 0)
		config_free(*config);
	*config = NULL;
}

const struct mailbox_config *config_mailbox(const struct config *config, const char *name)
{
	size_t i;

	for (i = 0; i < config->mailboxes_count; i++) {
		if (strcmp(config->mailboxes[i].name, name) == 0)
			return &config->mailboxes[i];
	}
	return NULL;
}

const struct category_config *config_category(const struct config *config, const char *name)
{
	size_t i;

	for (i = 0; i < config->categories_count; i++) {
		if (strcmp(config->categories[i].name, name) == 0)
			return &config->categories[i];
	}
	return NULL;
}

const char *config_kv_get(const struct config_kv *kvs, size_t count, const char *key)
{
	size_t i;

	for (i = 0; i < count; i++) {
		if (strcmp(kvs[i].key, key) == 0)
			return kvs[i].value;
	}
	return NULL;
}

const char *category_mode_name(enum category_mode mode)
{
	return (unsigned int)mode < ARRAY_SIZE(mode_names) - 1 ? mode_names[mode] : "unknown";
}

int category_mode_parse(const char *name, enum category_mode *mode_r)
{
	unsigned int i;

	for (i = 0; mode_names[i] != NULL; i++) {
		if (strcmp(mode_names[i], name) == 0) {
			*mode_r = (enum category_mode)i;
			return 0;
		}
	}
	return -1;
}

const char *config_data_dir(const char *configured, const char *installed, const char *source,
			    char *buf, size_t size)
{
	struct stat st;

	if (configured != NULL && *configured != '\0')
		return configured;
	snprintf(buf, size, "%s/%s", DRAFTD_DATADIR, installed);
	if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
		return buf;
	return source;
}
