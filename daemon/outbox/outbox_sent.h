#ifndef DRAFTD_OUTBOX_SENT_H
#define DRAFTD_OUTBOX_SENT_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/config/config.h"
#include "daemon/imap/imap_conn.h"
#include "daemon/imap/imap_sent.h"
#include "daemon/store/store.h"

/* The outbox's side of the Sent folder: which one a mailbox uses (found or
 * made once per try, daemon/imap/imap_sent.h), recorded on the mailbox row
 * for /readyz and the page, and logged when it changes (not at every
 * reply). */

/* Finds mb's Sent folder on conn, creating one when create is true and
 * there is none. sent_copy = off needs none: returns 0 without asking the
 * server. Returns 1 with *sent_r, 0 none, -1 with a one-line reason set in
 * err (also recorded on the mailbox). */
int outbox_sent_folder(struct store *store, struct imap_conn *conn, const struct mailbox_config *mb,
		       bool create, struct imap_sent *sent_r, struct error *err)
	__attribute__((warn_unused_result));

/* How many copies of a reply in the Sent folder show the server took it:
 * 2 when draftd filed its own copy first (append), 1 when only the server
 * files one (provider). */
long outbox_sent_evidence_copies(const struct mailbox_config *mb);

#endif
