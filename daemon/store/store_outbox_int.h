/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_STORE_OUTBOX_INT_H
#define DRAFTD_STORE_OUTBOX_INT_H

/* Shared by daemon/store/store_outbox*.c only. */

#include <jansson.h>

#include "daemon/store/store_outbox.h"

/* The advisory lock class of outbox rows: (class, id mod 2^31-1). */
#define OUTBOX_LOCK_CLASS "7303"

/* Fills item (id set) from its row, draft, message and mailbox. 0 or -1. */
int store_outbox_item_fill(struct store *store, struct outbox_item *item)
	__attribute__((warn_unused_result));

/* Drops the session advisory lock of a claimed row. */
void store_outbox_unlock(struct store *store, int64_t id);

/* {"outbox_id", "message_id", "attempts", "auto", key: text} for the audit log. */
json_t *store_outbox_audit_after(const struct outbox_item *item, const char *key, const char *text);

/* A person sends a reply again: the reply's message leaves "Needs a human"
 * (human_reason cleared). what names the step in an error. 0 or -1. */
int store_outbox_message_unhold(struct store *store, const char *what, const char *draft_id)
	__attribute__((warn_unused_result));

#endif
