/* SPDX-License-Identifier: MIT */
#include "daemon/lib/regex.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Open addressing over a fixed table twice the cap, so a probe always ends
 * at an empty slot. Entries are never removed: the patterns are the code's
 * and the config's, a finite set. */
#define REGEX_SLOTS (2 * REGEX_CACHE_MAX)

struct regex_entry {
	uint64_t hash;
	uint32_t options;
	size_t len;
	char *pattern;
	pcre2_code *code;
};

static struct regex_entry regex_table[REGEX_SLOTS];
/* Most callers pass the same static string every time: remember which
 * entry a pattern's address last led to, and check it with memcmp()
 * instead of hashing the pattern again. */
#define REGEX_PTR_SLOTS 1024
static struct {
	const void *pattern;
	uint32_t options;
	struct regex_entry *e;
} regex_ptrs[REGEX_PTR_SLOTS];
static size_t regex_count;
static pthread_mutex_t regex_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t regex_hash(const unsigned char *s, size_t len, uint32_t options)
{
	uint64_t h = 1469598103934665603ULL ^ options;

	for (size_t i = 0; i < len; i++) {
		h ^= s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

pcre2_code *regex_compile(PCRE2_SPTR pattern, PCRE2_SIZE length, uint32_t options, int *errcode_r,
			  PCRE2_SIZE *erroffset_r, pcre2_compile_context *ccontext)
{
	struct regex_entry *e = NULL;
	pcre2_code *code = NULL;
	char *copy = NULL;
	uint64_t h;
	size_t len, i, p;

	*errcode_r = PCRE2_ERROR_NOMEMORY;
	*erroffset_r = 0;
	if (ccontext != NULL)
		return NULL; /* a context would have to be part of the key */
	p = ((uintptr_t)pattern >> 3) % REGEX_PTR_SLOTS;
	pthread_mutex_lock(&regex_lock);
	e = regex_ptrs[p].e;
	if (regex_ptrs[p].pattern == pattern && regex_ptrs[p].options == options && e != NULL &&
	    (length == PCRE2_ZERO_TERMINATED
		     ? strncmp(e->pattern, (const char *)pattern, e->len + 1) == 0
		     : length == e->len && memcmp(e->pattern, pattern, length) == 0)) {
		code = e->code;
		goto out;
	}
	pthread_mutex_unlock(&regex_lock);
	len = length == PCRE2_ZERO_TERMINATED ? strlen((const char *)pattern) : length;
	h = regex_hash(pattern, len, options);
	pthread_mutex_lock(&regex_lock);
	for (i = h % REGEX_SLOTS; regex_table[i].pattern != NULL; i = (i + 1) % REGEX_SLOTS) {
		e = &regex_table[i];
		if (e->hash == h && e->options == options && e->len == len &&
		    memcmp(e->pattern, pattern, len) == 0) {
			code = e->code;
			goto remember;
		}
	}
	if (regex_count >= REGEX_CACHE_MAX)
		goto out;
	/* Compiled under the lock: a miss happens once per pattern. */
	code = pcre2_compile(pattern, len, options, errcode_r, erroffset_r, NULL);
	if (code == NULL)
		goto out;
	if ((copy = malloc(len + 1)) == NULL) {
		pcre2_code_free(code);
		code = NULL;
		*errcode_r = PCRE2_ERROR_NOMEMORY;
		goto out;
	}
	memcpy(copy, pattern, len);
	copy[len] = '\0';
	/* Where the JIT is unavailable the interpreter runs: same answers. */
	(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	e = &regex_table[i];
	e->hash = h;
	e->options = options;
	e->len = len;
	e->pattern = copy;
	e->code = code;
	regex_count++;
remember:
	regex_ptrs[p].pattern = pattern;
	regex_ptrs[p].options = options;
	regex_ptrs[p].e = e;
out:
	pthread_mutex_unlock(&regex_lock);
	return code;
}

pcre2_code *regex_text(const char *pattern, uint32_t options)
{
	PCRE2_SIZE offset;
	int code;

	return regex_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
			     options | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code, &offset, NULL);
}

int regex_match(const pcre2_code *code, PCRE2_SPTR subject, PCRE2_SIZE length,
		PCRE2_SIZE startoffset, uint32_t options, pcre2_match_data *match_data,
		pcre2_match_context *mcontext)
{
	int rc = pcre2_match(code, subject, length, startoffset, options, match_data, mcontext);

	if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
		rc = pcre2_match(code, subject, length, startoffset, options | PCRE2_NO_JIT,
				 match_data, mcontext);
	return rc;
}

size_t regex_cache_size(void)
{
	size_t n;

	pthread_mutex_lock(&regex_lock);
	n = regex_count;
	pthread_mutex_unlock(&regex_lock);
	return n;
}
