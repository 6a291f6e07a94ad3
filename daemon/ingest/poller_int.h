/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_POLLER_INT_H
#define DRAFTD_POLLER_INT_H

/* Shared by the files of daemon/ingest/ only. */

#include "daemon/ingest/poller.h"

/* The most bytes of message bodies fetched in one UID FETCH (one message may
 * exceed it on its own, up to max_message_size). */
#define POLLER_BATCH_BYTES (32u * 1024 * 1024)

/* Takes or renews pm's mailbox lease on st (pm->store, or a writer's own
 * connection), taking over one whose holder on this host no longer runs.
 * Returns 1 held, 0 another live instance's (named in err), -1 error (in
 * err). */
int poller_lease(struct poller_mailbox *pm, struct store *st, struct error *err)
	__attribute__((warn_unused_result));

/* How many connections `poll --once` stores a long pass's batches on at
 * once (daemon/ingest/poller_writers.c): PostgreSQL's side of ingest is
 * one backend working in series, the longer side of a pass (issue 14). */
#define POLLER_WRITERS 2

/* Fetches and stores every UID in uids[count] (ascending, all above
 * after_uid, the checkpoint the pass started from), in batches bounded by
 * fetch_batch and POLLER_BATCH_BYTES, each stored in one transaction with
 * its checkpoint; stops between batches when pm->stop says so. With a fixed
 * connection (`poll --once`) and more than two batches, the batches are
 * stored by POLLER_WRITERS threads on connections of their own while the
 * next is fetched, so they may commit out of UID order: the checkpoint
 * moves over committed batches only where they are contiguous (migration
 * 0240). Returns 0, or -1 with the reason in err. */
int poller_fetch_all(struct poller_mailbox *pm, uint32_t uidvalidity, uint32_t after_uid,
		     const uint32_t *uids, size_t count, struct error *err)
	__attribute__((warn_unused_result));

/* poller_fetch_all() for `draftd run` (pm takes pooled batch slots; without
 * them it is poller_fetch_all()): each batch is fetched, parsed and stored
 * by a thread of its own, started once the batch has its slot and ended
 * once its batch is freed, so no more than the slots' count of threads ever
 * hold batch memory. glibc keeps a cache of freed small blocks per thread
 * (up to about 250 KB after a parsed batch) until the thread ends: kept by
 * a thread per pass and a writer per pass that waited for their next slot,
 * it was most of the 200-mailbox scale run's high-water mark (issue 14).
 * Batch k+1 is fetched while batch k is stored, and stored after it; with
 * a pool of two or more connections ([database] poller_connections) the
 * batches of one pass store at once and may commit out of UID order, as
 * poller_fetch_all()'s writers do. After a failure no later batch is
 * stored. Same contract as poller_fetch_all(). */
int poller_fetch_all_apart(struct poller_mailbox *pm, uint32_t uidvalidity, uint32_t after_uid,
			   const uint32_t *uids, size_t count, struct error *err)
	__attribute__((warn_unused_result));

/* The parts of a batch both ways share (daemon/ingest/poller_batch.c). */
struct mime_limits;
struct poller_batch;

/* Where a pass's wall time went, for the debug log (issue 14: which side,
 * IMAP or PostgreSQL, is the critical path): milliseconds. */
struct poller_times {
	uint64_t fetch;   /* UID FETCH of sizes and bodies, answers parsed */
	uint64_t prepare; /* MIME parse, hashes, rows */
	uint64_t hand;    /* the fetching thread waiting for the writer */
	uint64_t store;   /* the writer (or the fetching thread) storing */
	uint64_t idle;    /* the writer waiting for a batch */
};

/* Waits for one of pm's batch slots (none for `poll --once`: returns). */
void poller_slot_take(struct poller_mailbox *pm);
/* How many of a chunk's sizes[] (the first always) fit in one batch. */
size_t poller_batch_cut(const uint32_t *sizes, size_t chunk, const struct mime_limits *limits);
/* Fetches uids[count] (already sized; the batch covers the UIDs above
 * after_uid up to the last of them) and prepares their rows, holding a
 * batch slot (taken here unless slot_held) until the batch is freed.
 * Returns 0 with *b_r, or -1 (reason in err, *b_r NULL). */
int poller_batch_fetch(struct poller_mailbox *pm, uint32_t after_uid, const uint32_t *uids,
		       const uint32_t *sizes, size_t count, const struct mime_limits *limits,
		       bool slot_held, struct poller_times *t, struct poller_batch **b_r,
		       struct error *err) __attribute__((warn_unused_result));
/* Stores b with its checkpoint and renews the lease, on st (a writer's own
 * connection; NULL: pm's fixed one, or one borrowed from pm's pool for the
 * step), adding to *counts on commit. With a pool or an st of its own, one
 * batch may be stored while another is (counts apart); reserved (NULL:
 * none) is told once b's rows have their ids. 0, or -1 (in err). */
int poller_batch_store(struct poller_mailbox *pm, struct store *st, uint32_t uidvalidity,
		       const struct poller_batch *b, const struct store_ingest_reserved *reserved,
		       struct store_ingest_counts *counts, uint64_t *ms, struct error *err)
	__attribute__((warn_unused_result));
/* Whether a and b hold the same bytes or the same content (sha256 or
 * content_sha256): b must then not be stored before a committed, or its
 * lookup would miss a's rows (a redelivery drafted twice). */
bool poller_batch_overlap(const struct poller_batch *a, const struct poller_batch *b);
/* Frees *bp (NULL is fine), giving its slot back. */
void poller_batch_free(struct poller_mailbox *pm, struct poller_batch **bp);

#endif
