#ifndef DRAFTD_IMAP_PRIVATE_H
#define DRAFTD_IMAP_PRIVATE_H

/* Shared by daemon/imap_*.c only. */

#include <libetpan/libetpan.h>

#include "daemon/imap_conn.h"

struct imap_conn {
	mailimap *imap;
	char name[128]; /* the mailbox's config name, for messages */
	char *selected; /* the folder selected, NULL when none */
	char error[512];
};

/* Records "what failed: reason" from libetpan's code r and the server's last
 * response text (never anything we sent). */
void imap_set_error(struct imap_conn *conn, const char *what, int r);
/* Drops the selection, so the next command re-selects. */
void imap_forget_selection(struct imap_conn *conn);

#endif
