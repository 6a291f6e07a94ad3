#ifndef DRAFTD_IMAP_SENT_H
#define DRAFTD_IMAP_SENT_H

#include <stdbool.h>

#include "daemon/imap/imap_conn.h"
#include "daemon/mail/imap_utf7.h"

/* The folder replies are filed in. Servers name it as they like ("Sent",
 * "Sent Items", "INBOX.Sent", "[Gmail]/Sent Mail", "Gesendete Objekte"), so
 * an unset [mailbox] sent_folder means: ask the server. */

enum imap_sent_how {
	IMAP_SENT_CONFIGURED = 0, /* sent_folder names it and it exists */
	IMAP_SENT_SPECIAL_USE,    /* flagged \Sent in LIST (RFC 6154) */
	IMAP_SENT_COMMON_NAME,    /* no \Sent flag: a name mail clients use */
	IMAP_SENT_CREATED,        /* there was none: draftd created it */
};

struct imap_sent {
	char name[IMAP_UTF7_NAME_MAX]; /* UTF-8, as configured or listed */
	enum imap_sent_how how;
	bool flagged; /* created with \Sent (CREATE-SPECIAL-USE, RFC 6154 3) */
};

/* Finds the Sent folder: the configured one (which must exist: a missing
 * one is an error naming the folders the server flags \Sent), else the
 * folder flagged \Sent, else a common name, else, when create is true, a
 * new "Sent" in the personal namespace (INBOX.Sent on servers that keep
 * everything below the inbox), flagged \Sent where the server offers
 * CREATE-SPECIAL-USE, and subscribed. configured NULL or "" means discover.
 * Returns 1 found or created (*sent_r), 0 none and create is false, -1 on
 * an error (imap_error(): what failed and how to fix it). */
int imap_sent_find(struct imap_conn *conn, const char *configured, bool create,
		   struct imap_sent *sent_r) __attribute__((warn_unused_result));

/* A short phrase for how: "configured", "flagged \\Sent", ... */
const char *imap_sent_how_name(enum imap_sent_how how);

/* Whether name is one mail clients use for the Sent folder, on its own or
 * below "INBOX" + separator ("Sent Items", "INBOX.Sent", "[Gmail]/Sent Mail";
 * any case). */
bool imap_sent_common_name(const char *name, char separator);

#endif
