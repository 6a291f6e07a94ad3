/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_STORE_DURABILITY_H
#define DRAFTD_STORE_DURABILITY_H

#include <stddef.h>

#include "daemon/store/store.h"

/* Whether the database keeps a commit once it said COMMIT: draftd's crash
 * safety (no reply sent twice, no job left running for a lease after its
 * worker finished) rests on it. The settings are read in draftd's own
 * session, so per-database and per-role defaults count. Returns 1 when
 * commits are durable, 0 when not (why[] says which setting, for a warning),
 * -1 on error. */
int store_durability_check(struct store *store, char *why, size_t why_size)
	__attribute__((warn_unused_result));

#endif
