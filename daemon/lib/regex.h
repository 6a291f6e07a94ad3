/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_REGEX_H
#define DRAFTD_REGEX_H

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

#include <stddef.h>

/* Every regular expression is compiled once per process (issue 14: the
 * pipeline compiled ~54 patterns per message, 20% of its CPU). */

/* The shared compiled form of (pattern, options), compiled and JIT-compiled
 * on first use; arguments as pcre2_compile()'s, ccontext must be NULL.
 * Returns the code, or NULL with *errcode_r / *erroffset_r set as
 * pcre2_compile() sets them (PCRE2_ERROR_NOMEMORY also when the process
 * already holds REGEX_CACHE_MAX distinct patterns). The code is read-only
 * and lives as long as the process: never pcre2_code_free() it.
 * Thread-safe. */
#define REGEX_CACHE_MAX 4096
pcre2_code *regex_compile(PCRE2_SPTR pattern, PCRE2_SIZE length, uint32_t options, int *errcode_r,
			  PCRE2_SIZE *erroffset_r, pcre2_compile_context *ccontext);

/* regex_compile() of a pattern written in the code (NUL-terminated UTF-8)
 * for matching mail text: options plus PCRE2_UTF and
 * PCRE2_MATCH_INVALID_UTF (the text may hold invalid UTF-8). Returns the
 * shared code, or NULL when it does not compile (or the cache is full).
 * Thread-safe. */
pcre2_code *regex_text(const char *pattern, uint32_t options);

/* pcre2_match(), but when the JIT's stack is too small for a subject it
 * runs the interpreter instead, so the JIT never changes an answer.
 * Returns what pcre2_match() returns. Thread-safe (match_data is the
 * caller's). */
int regex_match(const pcre2_code *code, PCRE2_SPTR subject, PCRE2_SIZE length,
		PCRE2_SIZE startoffset, uint32_t options, pcre2_match_data *match_data,
		pcre2_match_context *mcontext);

/* How many distinct patterns the process has compiled (tests). */
size_t regex_cache_size(void);

#endif
