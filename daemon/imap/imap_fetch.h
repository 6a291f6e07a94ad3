/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_IMAP_FETCH_H
#define DRAFTD_IMAP_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/imap/imap_conn.h"

/* Finding and fetching new messages of the selected folder. Every fetch uses
 * BODY.PEEK, so \Seen is never set by draftd. */

/* One fetched message. data is the whole message, or only its header block
 * when header_only (it was larger than the size cap). */
struct imap_msg {
	uint32_t uid;
	uint32_t size; /* RFC822.SIZE as the server reported it */
	bool header_only;
	char *data;
	size_t len;
};

/* The UIDs above last_uid in the selected folder, ascending (UID SEARCH UID
 * last+1:*, filtered, since servers answer n:* with the highest UID even when
 * it is lower). Returns the count (0: none) with a malloc'ed array in
 * *uids_r, or -1. */
long imap_search_new(struct imap_conn *conn, uint32_t last_uid, uint32_t **uids_r)
	__attribute__((warn_unused_result));

/* Reads RFC822.SIZE of uids[count]; sizes_r[i] is 0 for a UID the server no
 * longer has (expunged meanwhile). Returns 0 or -1. */
int imap_fetch_sizes(struct imap_conn *conn, const uint32_t *uids, size_t count, uint32_t *sizes_r)
	__attribute__((warn_unused_result));

/* Fetches uids[count] with BODY.PEEK[] (or BODY.PEEK[HEADER] when
 * header_only) into msgs_r[count]. A UID the server no longer has gets
 * data NULL. Each message is capped at max_len bytes (a server sending
 * more is an error). Returns 0 or -1; free the messages with
 * imap_msgs_free() in both cases. */
int imap_fetch_messages(struct imap_conn *conn, const uint32_t *uids, size_t count,
			bool header_only, size_t max_len, struct imap_msg *msgs_r)
	__attribute__((warn_unused_result));
void imap_msgs_free(struct imap_msg *msgs, size_t count);

#endif
