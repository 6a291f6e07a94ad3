/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_CONFIG_PRIVATE_H
#define DRAFTD_CONFIG_PRIVATE_H

/* Shared by daemon/config/ only: the key tables (config_keys.c), the
 * reader (config.c) and the checks after reading (config_finish.c). */

#include <stdbool.h>
#include <stddef.h>

#include "daemon/config/config.h"
#include "daemon/lib/error.h"

#define CONFIG_SECTIONS_MAX 16

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

extern const struct config_section_def config_sections[];
extern const size_t config_sections_count;

/* Indexes into sections[], for the checks that need a section's table. */
enum { SECTION_DATABASE = 0, SECTION_MAILBOX = 7, SECTION_CONNECTOR = 8 };

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
	bool section_seen[CONFIG_SECTIONS_MAX];
	bool in_unknown_section;
	char label[200]; /* "[api]" or "[mailbox support]": errors start with it */
	size_t elem;     /* named sections: the current element's index */
};

/* Records "PATH:LINE: message" (at most CONFIG_ERRORS_MAX of them). */
void config_error(struct config_errors *errors, const char *path, unsigned int line,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Records "PATH:LINE: [SECTION NAME] KEY: message", the line being where
 * the key was set (else the named section's header, else none). name is
 * NULL for singleton sections, key NULL for the section as a whole. */
void config_key_error(struct config_parser *p, const char *section, const char *name,
		      const char *key, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Stores value into the field key describes. Returns 0, or -1 with a reason in err. */
int config_set(void *target, const struct config_key *key, const char *value, struct error *err);

/* The variable that overrides [mailbox name]'s password into out[size]:
 * DRAFTD_MAILBOX_<NAME>_PASSWORD. */
void config_mailbox_env_name(const char *name, char *out, size_t size);

/* After reading: environment overrides, secret files, cross-field checks. */
void config_finish(struct config_parser *p);

#endif
