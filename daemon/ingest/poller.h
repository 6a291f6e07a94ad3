/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_POLLER_H
#define DRAFTD_POLLER_H

#include <stdbool.h>
#include <stddef.h>
#include <semaphore.h>
#include <stdint.h>

#include "daemon/config/config.h"
#include "daemon/imap/imap_conn.h"
#include "daemon/lib/error.h"
#include "daemon/service/daemon.h"
#include "daemon/store/store.h"
#include "daemon/store/store_ingest.h"
#include "daemon/store/store_pool.h"

/* Polling one mailbox: the pass that `draftd poll --once` runs once and the
 * service_pollers threads of `draftd run` run on a schedule or after IDLE.
 * A struct poller_mailbox belongs to one thread. */

struct poller_counts {
	unsigned int fetched; /* messages fetched from the server */
	struct store_ingest_counts store;
};

struct poller_mailbox {
	const struct config *config;     /* borrowed */
	const struct mailbox_config *mb; /* borrowed, from config */
	struct store *store;             /* borrowed: the fixed connection, or
					  * the pool's for the step at hand */
	struct store_pool *pool;         /* borrowed; NULL: store is fixed */
	/* borrowed; NULL: no limit. Taken while a batch is fetched and stored,
	 * so that many mailboxes with a backlog hold a few batches in memory at
	 * once, not one each (the pool lets them write one at a time anyway) */
	sem_t *batch_slots;
	struct imap_conn *conn;  /* owned; NULL until connected */
	int64_t id;              /* mailboxes.id, 0 until known */
	char owner[160];         /* this instance's lease name, HOST:PID */
	unsigned int lease_ttl;  /* seconds */
	bool (*stop)(void *ctx); /* asked between batches; NULL: never */
	void *stop_ctx;
	/* told (with stop_ctx) after a batch that queued pipeline jobs
	 * committed; NULL: nobody */
	void (*queued)(void *ctx);
	struct poller_counts counts; /* summed over passes */
};

/* One polling thread per mailbox in `draftd run` (IDLE where it works). */
extern const struct service_ops service_pollers;

/* Sets up pm for mb (no I/O). store is the connection every step uses;
 * NULL with pm->pool set afterwards: each step borrows one from the pool
 * and gives it back before any IMAP I/O. */
void poller_mailbox_init(struct poller_mailbox *pm, const struct config *config,
			 const struct mailbox_config *mb, struct store *store);
/* Releases the lease if held (best effort) and closes the IMAP connection. */
void poller_mailbox_finish(struct poller_mailbox *pm);

/* The database for one step: with a pool, borrows a connection into
 * pm->store (0, or -1 with the reason in err); without, 0 at once.
 * poller_db_put() gives a borrowed one back. */
int poller_db_get(struct poller_mailbox *pm, struct error *err) __attribute__((warn_unused_result));
void poller_db_put(struct poller_mailbox *pm);

/* One pass: upserts the mailbox row, takes (or renews) its lease, connects
 * when not connected, SELECTs the folder, handles a UIDVALIDITY change, and
 * fetches and stores everything above the checkpoint, batch by batch, each
 * batch in one transaction with the checkpoint. Returns 1 done, 0 when
 * another live instance holds the lease (named in err), -1 on error (reason
 * in err; the IMAP connection is then closed and the error recorded on the
 * mailbox row when the database is reachable). */
int poller_pass(struct poller_mailbox *pm, struct error *err) __attribute__((warn_unused_result));

#endif
