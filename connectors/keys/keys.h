/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_KEYS_H
#define DRAFTD_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/lib/error.h"

/* Key extraction: finds the business keys a message mentions (part numbers,
 * order ids, ...) in its text and writes them in one canonical form, so that
 * "hp 12345", "part no. 12345", "Art.-Nr. 12345" and "réf. 12345" all become
 * "HP-12345". Patterns are PCRE2 (UTF, caseless, tolerant of invalid UTF-8),
 * each with one capture group holding the variable part; the canonical
 * template replaces "%s" with that group. */

#define KEYS_KEY_MAX     64
#define KEYS_PATTERN_MAX 16

struct keys_kind;

/* A quantity of at least this confidence is known (connectors/keys/quantity.h). */
#define KEYS_QTY_KNOWN 0.5

/* One mentioned key and the quantity asked for next to it, in any layout
 * connectors/keys/quantity.c reads ("200 x HP-20115", "Qty 2 - HP-40035", a
 * table column headed "Menge", ...). Of several mentions of a key the surest
 * quantity wins, then the largest (quoted history repeats lines). */
struct key_hit {
	char key[KEYS_KEY_MAX];
	double quantity;   /* 0: none stated */
	double confidence; /* 0..1; below KEYS_QTY_KNOWN the quantity is a guess */
	int how;           /* enum qty_how: where the quantity was found */
};

/* Compiles patterns (count <= KEYS_PATTERN_MAX) for kind. With count == 0
 * the built-in patterns of kind are used ("sku", "order"); a kind without
 * built-ins then is an error. canonical NULL means the built-in template or
 * "%s". Returns 0 with *kind_r, or -1 with error (bad regex, no group). */
int keys_kind_new(const char *kind, const char *const *patterns, size_t count,
		  const char *canonical, struct keys_kind **kind_r, struct error *err)
	__attribute__((warn_unused_result));

/* Frees and clears *kind; NULL is fine. */
void keys_kind_free(struct keys_kind **kind);

const char *keys_kind_name(const struct keys_kind *kind);

/* Finds the keys in text (UTF-8, may be invalid) in order of first mention,
 * without duplicates. Writes at most max hits. Returns the number written,
 * or -1 when matching failed (resource limit). Thread-safe: the match data
 * is per call. */
int keys_extract(const struct keys_kind *kind, const char *text, size_t len, struct key_hit *hits_r,
		 size_t max);

#endif
