/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_IMAP_PRIVATE_H
#define DRAFTD_IMAP_PRIVATE_H

/* Shared by daemon/imap/ only. */

#include <libetpan/libetpan.h>

#include "daemon/imap/imap_conn.h"

struct imap_conn {
	mailimap *imap;
	char name[128]; /* the mailbox's config name, for messages */
	char *selected; /* the folder selected, NULL when none */
	char error[512];
	bool idle_fallback_logged; /* "polling instead of IDLE" said on this connection */
	char auth_mech[16];        /* how it logged in: "LOGIN", "OAUTHBEARER", "XOAUTH2" */
};

/* Records "what failed: reason" from libetpan's code r and the server's last
 * response text (never anything we sent). */
void imap_set_error(struct imap_conn *conn, const char *what, int r);
/* The wire form of the UTF-8 folder name (modified UTF-7) into wire[size].
 * A name that already is modified UTF-7 for non-ASCII text (what had to be
 * configured before draftd encoded names) is sent as it is. Returns 0, or
 * -1 with "what folder: reason" in conn's error. */
int imap_wire_name(struct imap_conn *conn, const char *what, const char *folder, char *wire,
		   size_t size) __attribute__((warn_unused_result));
/* Logs in with mb's OAuth2 access token (daemon/imap/imap_oauth.c):
 * AUTHENTICATE OAUTHBEARER when the server offers it, else XOAUTH2; a
 * refused token is forgotten and a fresh one tried once, so a token that
 * expired early or was revoked costs one grant, not a failed poll. url names
 * the server in the OAUTHBEARER request. Returns 0, or -1 with conn's error
 * set (the token endpoint's refusal, or the server's). */
int imap_login_oauth2(struct imap_conn *conn, const struct mailbox_config *mb,
		      const struct imap_url *url) __attribute__((warn_unused_result));
/* Drops the selection, so the next command re-selects. */
void imap_forget_selection(struct imap_conn *conn);

#endif
