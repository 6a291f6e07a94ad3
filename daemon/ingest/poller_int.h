/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_POLLER_INT_H
#define DRAFTD_POLLER_INT_H

/* Shared by the files of daemon/ingest/ only. */

#include "daemon/ingest/poller.h"

/* The most bytes of message bodies fetched in one UID FETCH (one message may
 * exceed it on its own, up to max_message_size). */
#define POLLER_BATCH_BYTES (32u * 1024 * 1024)

/* Takes or renews pm's mailbox lease on pm->store, taking over one whose
 * holder on this host no longer runs. Returns 1 held, 0 another live
 * instance's (named in err), -1 error (in err). */
int poller_lease(struct poller_mailbox *pm, struct error *err) __attribute__((warn_unused_result));

/* Fetches and stores every UID in uids[count] (ascending), in batches
 * bounded by fetch_batch and POLLER_BATCH_BYTES, each stored in one
 * transaction with its checkpoint; stops between batches when pm->stop
 * says so. Returns 0, or -1 with the reason in err. */
int poller_fetch_all(struct poller_mailbox *pm, uint32_t uidvalidity, const uint32_t *uids,
		     size_t count, struct error *err) __attribute__((warn_unused_result));

/* poller_fetch_all() on a thread that ends with it, when pm takes pooled
 * batch slots (`draftd run`). glibc keeps a cache of freed small blocks per
 * thread (up to about 250 KB after parsing a batch) until the thread ends:
 * kept by every idle poller it was 50 MB of the 200-mailbox scale run's 76
 * MB of heap. Same contract as poller_fetch_all(). */
int poller_fetch_all_apart(struct poller_mailbox *pm, uint32_t uidvalidity, const uint32_t *uids,
			   size_t count, struct error *err) __attribute__((warn_unused_result));

#endif
