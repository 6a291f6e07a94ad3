#ifndef DRAFTD_STORE_SENT_FOLDER_H
#define DRAFTD_STORE_SENT_FOLDER_H

#include <jansson.h>

#include "daemon/store/store.h"

/* Records what the outbox found for mailbox's Sent folder: folder and how
 * (NULL keeps the last known) and error (NULL: no problem). Returns 1 when
 * that changed (the caller logs it: once, not at every reply), 0 when not,
 * -1 with store_error(). */
int store_sent_folder_note(struct store *store, const char *mailbox, const char *folder,
			   const char *how, const char *error) __attribute__((warn_unused_result));

/* [{"mailbox", "problem"}] for every mailbox whose Sent folder could not be
 * found or made, or NULL with store_error(). */
json_t *store_sent_folder_problems(struct store *store);

#endif
