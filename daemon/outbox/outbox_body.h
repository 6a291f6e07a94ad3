#ifndef DRAFTD_OUTBOX_BODY_H
#define DRAFTD_OUTBOX_BODY_H

#include "daemon/config/config.h"
#include "daemon/lib/buf.h"
#include "daemon/store/store_outbox.h"

/* The text of a reply as it goes out: the approved body, the mailbox's
 * signature (if any) and, with quote = bottom, the customer's mail quoted
 * below it as mail clients do ("On DATE, NAME <ADDR> wrote:" and "> "
 * lines). */

/* The most bytes of the customer's mail quoted; longer is cut at a line
 * with "[...]". */
#define OUTBOX_QUOTE_MAX (64 * 1024)

/* The signature template with {reviewer} (who approved the reply),
 * {display_name} and {address} (the mailbox's) filled in; "\n" in the
 * template is a line break (the config file has one line per key). A line
 * naming {reviewer} is left out of an automatic reply (nobody approved it).
 * Appends to out; returns 0 or -1 when out is full. */
int outbox_signature(const struct mailbox_config *mb, const char *reviewer, struct buf *out)
	__attribute__((warn_unused_result));

/* Appends the whole text for item to out. Returns 0 or -1 when out is full. */
int outbox_body(const struct outbox_item *item, const struct mailbox_config *mb, struct buf *out)
	__attribute__((warn_unused_result));

#endif
