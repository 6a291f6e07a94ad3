/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_IMAP_IDLE_H
#define DRAFTD_IMAP_IDLE_H

#include <stdbool.h>

#include "daemon/imap/imap_conn.h"

/* RFC 2177 IDLE on the selected folder, in short waits so that a stopping
 * daemon never waits on the server. */

/* Whether to wait in IDLE on conn: wanted (the mailbox's idle setting) and
 * announced by the server. When not, logs once per connection that it polls
 * every poll_interval seconds instead, and why (idle = off, or a server that
 * does not advertise IDLE), so a slow mailbox is never a mystery. */
bool imap_idle_usable(struct imap_conn *conn, bool wanted, unsigned int poll_interval);

/* Called about once a second while idling; returning true ends the wait. */
typedef bool imap_idle_check_fn(void *ctx);

/* Sends IDLE and waits up to max_ms for the server to say anything (a new
 * message, an expunge, a keep-alive), then ends IDLE with DONE. Returns 1
 * when the server spoke, 0 when max_ms passed or check() returned true, -1
 * on error (imap_error()). Only call when imap_has_idle(). */
int imap_idle_wait(struct imap_conn *conn, unsigned int max_ms, imap_idle_check_fn *check,
		   void *ctx) __attribute__((warn_unused_result));

#endif
