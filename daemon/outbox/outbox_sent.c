/* The Sent folder a mailbox's replies are filed in, as the outbox finds it. */
#include "daemon/outbox/outbox_sent.h"

#include <stdio.h>
#include <string.h>

#include "daemon/lib/log.h"
#include "daemon/lib/util.h"
#include "daemon/store/store_sent_folder.h"

long outbox_sent_evidence_copies(const struct mailbox_config *mb)
{
	return mb->sent_copy == SENT_COPY_PROVIDER ? 1 : 2;
}

/* Records the outcome on the mailbox row; logs when it is news. */
static void outbox_sent_note(struct store *store, const struct mailbox_config *mb,
			     const struct imap_sent *sent, const char *error)
{
	int r = store_sent_folder_note(store, mb->name, sent != NULL ? sent->name : NULL,
				       sent != NULL ? imap_sent_how_name(sent->how) : NULL, error);

	if (r < 0) {
		log_warn("%s", store_error(store));
		return;
	}
	if (r == 0 && (sent == NULL || sent->how != IMAP_SENT_CREATED))
		return;
	if (error != NULL)
		log_error("no Sent folder, replies cannot be sent: %s", error);
	else if (sent->how == IMAP_SENT_CREATED)
		log_warn("the server had no Sent folder: created \"%s\"%s", sent->name,
			 sent->flagged ? " flagged \\Sent" : "");
	else
		log_info("Sent folder: \"%s\" (%s)", sent->name, imap_sent_how_name(sent->how));
}

int outbox_sent_folder(struct store *store, struct imap_conn *conn, const struct mailbox_config *mb,
		       bool create, struct imap_sent *sent_r, struct error *err)
{
	int r;

	memset(sent_r, 0, sizeof(*sent_r));
	if (mb->sent_copy == SENT_COPY_OFF)
		return 0;
	r = imap_sent_find(conn, mb->sent_folder, create, sent_r);
	if (r < 0) {
		error_set(err, "%s", imap_error(conn));
		outbox_sent_note(store, mb, NULL, imap_error(conn));
		return -1;
	}
	if (r > 0)
		outbox_sent_note(store, mb, sent_r, NULL);
	return r;
}
