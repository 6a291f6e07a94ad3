/* SPDX-License-Identifier: MIT */
/* Named slots claimed on first use in a fixed table (slot.h). */
#include "daemon/lib/slot.h"

#include <string.h>

#include "daemon/lib/util.h"

struct slot *slot_at(struct slot_table *table, size_t i)
{
	struct slot *s = (struct slot *)((char *)table->slots + i * table->stride);

	return i < table->count && atomic_load(&s->used) ? s : NULL;
}

struct slot *slot_get(struct slot_table *table, const char *name)
{
	char key[SLOT_NAME_MAX];
	struct slot *s, *found = NULL;
	size_t i;

	/* a long name is stored cut: look it up cut too, or every call would
	 * miss and claim another slot until the table is full */
	(void)!str_copy(key, sizeof(key), name);
	pthread_mutex_lock(&table->lock);
	for (i = 0; i < table->count && found == NULL; i++) {
		s = (struct slot *)((char *)table->slots + i * table->stride);
		if (!atomic_load(&s->used)) {
			memcpy(s->name, key, sizeof(key));
			atomic_store(&s->used, true);
			found = s;
		} else if (strcmp(s->name, key) == 0) {
			found = s;
		}
	}
	pthread_mutex_unlock(&table->lock);
	return found;
}
