/* SPDX-License-Identifier: MIT */
/* Reading a config file into struct config, key by key through the tables
 * of config_keys.c, with every problem reported by file and line. */
#include "daemon/config/config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon/config/config_private.h"
#include "daemon/lib/ini.h"
#include "daemon/lib/util.h"

#define CONFIG_FILE_MAX   (1024 * 1024)
#define CONFIG_ERRORS_MAX 50

void config_error(struct config_errors *errors, const char *path, unsigned int line,
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

static const struct config_section_def *config_section_find(const char *name, size_t *index_r)
{
	size_t i;

	for (i = 0; i < config_sections_count; i++) {
		if (strcmp(config_sections[i].name, name) == 0) {
			*index_r = i;
			return &config_sections[i];
		}
	}
	return NULL;
}

/* The index of the named element called name, or -1. */
static long config_elem_index(const struct config *c, const struct config_section_def *def,
			      const char *name)
{
	char *array = *(char *const *)(const void *)((const char *)c + def->array_offset);
	size_t count = *(const size_t *)(const void *)((const char *)c + def->count_offset), i;

	for (i = 0; i < count; i++) {
		if (strcmp(((struct named_head *)(void *)(array + i * def->elem_size))->name,
			   name) == 0)
			return (long)i;
	}
	return -1;
}

unsigned int config_key_line(const struct config *config, const char *section, const char *name,
			     const char *key)
{
	const struct config_section_def *def;
	size_t s, i;
	long elem = 0;

	if ((def = config_section_find(section, &s)) == NULL)
		return 0;
	if (def->named && name != NULL) {
		elem = config_elem_index(config, def, name);
		if (elem < 0)
			return 0;
	}
	for (i = 0; key != NULL && i < config->lines_count; i++) {
		const struct config_line *l = &config->lines[i];

		if (l->section == s && l->elem == (unsigned int)elem && l->key != NULL &&
		    strcmp(l->key, key) == 0)
			return l->line;
	}
	if (def->named && name != NULL) {
		char *array =
			*(char *const *)(const void *)((const char *)config + def->array_offset);

		return ((struct named_head *)(void *)(array + (size_t)elem * def->elem_size))->line;
	}
	return 0;
}

/* The line of a singleton section's header ("[api]"), 0 when absent. */
static unsigned int config_section_line(const struct config *config, const char *section)
{
	size_t s, i;

	if (config_section_find(section, &s) == NULL)
		return 0;
	for (i = 0; i < config->lines_count; i++) {
		if (config->lines[i].section == s && config->lines[i].key == NULL)
			return config->lines[i].line;
	}
	return 0;
}

void config_key_error(struct config_parser *p, const char *section, const char *name,
		      const char *key, const char *fmt, ...)
{
	unsigned int line = config_key_line(p->config, section, name, key);
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line == 0 && name == NULL) /* a key not in the file: where its section is */
		line = config_section_line(p->config, section);
	config_error(p->errors, p->path, line, "[%s%s%s]%s%s: %s", section, name != NULL ? " " : "",
		     name != NULL ? name : "", key != NULL ? " " : "", key != NULL ? key : "", msg);
}

static void config_line_record(struct config_parser *p, const char *key, unsigned int line)
{
	struct config *c = p->config;
	struct config_line *grown;

	grown = realloc(c->lines, (c->lines_count + 1) * sizeof(*grown));
	if (grown == NULL)
		return; /* only error messages lose their line */
	c->lines = grown;
	grown[c->lines_count].section = (unsigned int)(p->section - config_sections);
	grown[c->lines_count].elem = (unsigned int)p->elem;
	grown[c->lines_count].key = key;
	grown[c->lines_count].line = line;
	c->lines_count++;
}

static const char *config_key_name_at(const void *list, size_t i)
{
	return ((const struct config_key *)list)[i].name;
}

static const char *config_section_name_at(const void *list, size_t i)
{
	(void)list;
	return i < config_sections_count ? config_sections[i].name : NULL;
}

/* Stores value into the field key describes. Returns 0, or -1 with a reason
 * in err. */
int config_set(void *target, const struct config_key *key, const char *value, struct error *err)
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
			error_set(err, "out of memory");
			return -1;
		}
		return 0;
	case CFG_UINT:
		if (parse_u64(value, (uint64_t)key->max, &u) < 0 || u < (uint64_t)key->min) {
			error_set(err, "expected a whole number in range");
			return -1;
		}
		*(unsigned int *)(void *)field = (unsigned int)u;
		return 0;
	case CFG_SIZE:
		if (parse_size(value, (uint64_t)key->max, &u) < 0 || u < (uint64_t)key->min) {
			error_set(err, "expected a size (e.g. 64k, 25M) in range");
			return -1;
		}
		*(unsigned int *)(void *)field = (unsigned int)u;
		return 0;
	case CFG_DURATION:
		if (parse_duration(value, (uint64_t)key->max, &u) < 0 || u < (uint64_t)key->min) {
			error_set(err, "expected a duration (e.g. 30, 30s, 5m, 1h) in range");
			return -1;
		}
		*(unsigned int *)(void *)field = (unsigned int)u;
		return 0;
	case CFG_DOUBLE:
		if (parse_double(value, key->min, key->max, &d) < 0) {
			error_set(err, "expected a number in range");
			return -1;
		}
		*(double *)(void *)field = d;
		return 0;
	case CFG_BOOL:
		if (parse_bool(value, &b) < 0) {
			error_set(err, "expected on or off");
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
		error_set(err, "not one of the allowed values");
		return -1;
	}
	error_set(err, "unknown key type");
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
	struct error why;

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
	for (i = 0; i < config_sections_count; i++) {
		if (strlen(config_sections[i].name) == len &&
		    strncmp(config_sections[i].name, header, len) == 0)
			break;
	}
	if (i == config_sections_count) {
		char word[64];
		const char *near;

		p->in_unknown_section = true;
		snprintf(word, sizeof(word), "%.*s", (int)(len < 63 ? len : 63), header);
		near = config_suggest(word, config_section_name_at, NULL);
		if (near != NULL)
			config_error(p->errors, p->path, line,
				     "[%s]: unknown section (did you mean [%s%s%s]?)", header, near,
				     name != NULL ? " " : "", name != NULL ? name : "");
		else
			config_error(p->errors, p->path, line, "[%s]: unknown section", header);
		return -1;
	}
	snprintf(p->label, sizeof(p->label), "[%s]", header);
	p->section = &config_sections[i];
	if (config_sections[i].named) {
		if (name == NULL || *name == '\0') {
			p->in_unknown_section = true;
			config_error(p->errors, p->path, line,
				     "section [%s] needs a name, e.g. [%s NAME]",
				     config_sections[i].name, config_sections[i].name);
			return -1;
		}
		p->target = config_new_named(p, &config_sections[i], name, line);
		p->elem = *(size_t *)(void *)((char *)p->config + config_sections[i].count_offset) -
			  1;
		if (p->target == NULL) {
			p->in_unknown_section = true;
			return -1;
		}
	} else {
		if (name != NULL) {
			config_error(p->errors, p->path, line, "section [%s] takes no name",
				     config_sections[i].name);
		}
		if (p->section_seen[i]) {
			config_error(p->errors, p->path, line, "section [%s] appears twice",
				     config_sections[i].name);
		}
		p->target = (char *)p->config + config_sections[i].single_offset;
		p->elem = 0;
		config_line_record(p, NULL, line); /* the header, for errors about the section */
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
				     "%s %s: duplicate key (first at line %u)", p->label, key,
				     (*kvs)[i].line);
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
	struct error why;
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
		const char *near;

		if (p->section->has_options)
			return config_add_option(p, line, key, value);
		near = config_suggest(key, config_key_name_at, p->section->keys);
		config_error(p->errors, p->path, line, "%s %s: unknown key%s%s%s", p->label, key,
			     near != NULL ? " (did you mean '" : "", near != NULL ? near : "",
			     near != NULL ? "'?)" : "");
		return -1;
	}
	idx = (size_t)(k - p->section->keys);
	if (idx < sizeof(p->seen) && p->seen[idx] != 0) {
		config_error(p->errors, p->path, line, "%s %s: duplicate key (first at line %u)",
			     p->label, key,
			     config_key_line(p->config, p->section->name,
					     p->section->named
						     ? ((struct named_head *)p->target)->name
						     : NULL,
					     k->name));
		return -1;
	}
	if (idx < sizeof(p->seen))
		p->seen[idx] = 1;
	config_line_record(p, k->name, line);
	if (config_set(p->target, k, value, &why) < 0) {
		config_describe_range(k, range, sizeof(range));
		config_error(p->errors, p->path, line, "%s %s: '%s' is invalid: %s%s", p->label,
			     key, value, error_msg(&why), range);
		return -1;
	}
	return 0;
}

static void config_on_syntax_error(void *context, unsigned int line, const char *what)
{
	struct config_parser *p = context;

	config_error(p->errors, p->path, line, "%s", what);
}

static void config_free(struct config *c)
{
	size_t i, j;

	/* before the section loop frees the mailboxes array */
	for (i = 0; i < c->mailboxes_count; i++) {
		secret_free(&c->mailboxes[i].password);
		secret_free(&c->mailboxes[i].oauth_client_secret);
		secret_free(&c->mailboxes[i].oauth_refresh_token);
	}
	for (i = 0; i < config_sections_count; i++) {
		const struct config_section_def *def = &config_sections[i];

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
	secret_free(&c->oidc.client_secret);
	secret_free(&c->smtp.password);
	free(c->lines);
	free(c->path);
	free(c);
}

int config_load(const char *path, struct config **config_r, struct config_errors *errors_r)
{
	struct config_parser p;
	struct config *c = NULL;
	char *text = NULL;
	struct error read_err;
	size_t i;
	int ret = -1;

	memset(errors_r, 0, sizeof(*errors_r));
	memset(&p, 0, sizeof(p));
	c = calloc(1, sizeof(*c));
	if (c == NULL || (c->path = strdup(path)) == NULL) {
		config_error(errors_r, path, 0, "out of memory");
		goto out;
	}
	for (i = 0; i < config_sections_count; i++) {
		if (!config_sections[i].named)
			config_apply_defaults((char *)c + config_sections[i].single_offset,
					      config_sections[i].keys);
	}
	if (file_read_all(path, CONFIG_FILE_MAX, &text, NULL, &read_err) < 0) {
		config_error(errors_r, path, 0, "cannot read config: %s", error_msg(&read_err));
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
