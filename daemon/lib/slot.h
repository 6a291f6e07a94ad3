/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_SLOT_H
#define DRAFTD_SLOT_H

/* A fixed table of named slots claimed on first use: the metrics count per
 * outcome, connector and mailbox without allocating, and a slot once claimed
 * never moves, so counting into it needs no lock. Each table element starts
 * with a struct slot; the table owns one mutex, taken only to claim (rare:
 * once per name). A table that is full leaves a new name uncounted rather
 * than growing without bound. */

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#define SLOT_NAME_MAX 64 /* bytes of a name, NUL included; longer names are cut */

struct slot {
	/* set after name is written and never cleared: a reader that sees it
	 * set reads a complete name */
	atomic_bool used;
	char name[SLOT_NAME_MAX];
};

struct slot_table {
	pthread_mutex_t lock;
	void *slots;   /* the first element; each one begins with a struct slot */
	size_t count;  /* elements */
	size_t stride; /* sizeof one element */
};

/* A slot_table over a static array whose elements begin with a struct slot. */
#define SLOT_TABLE_INIT(array)                                                          \
	{                                                                               \
		PTHREAD_MUTEX_INITIALIZER, (array), sizeof(array) / sizeof((array)[0]), \
			sizeof((array)[0])                                              \
	}

/* The slot named name (compared after cutting it to SLOT_NAME_MAX - 1 bytes,
 * as it is stored), claiming a free one the first time. Returns the slot (the
 * start of its table element), or NULL when the table is full. Thread-safe. */
struct slot *slot_get(struct slot_table *table, const char *name);

/* Element i of the table when it is claimed, else NULL (i < table->count). */
struct slot *slot_at(struct slot_table *table, size_t i);

#endif
