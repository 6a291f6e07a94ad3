/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_STORE_INGEST_H
#define DRAFTD_STORE_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/config/config.h"
#include "daemon/store/store.h"

/* The ingest side of the store: mailbox rows, their leases (one poller per
 * mailbox across instances), the UID checkpoint, and storing fetched
 * messages with their pipeline jobs. Same threading rules as store.h. */

/* One fetched message as its messages row: plain strings the caller owns
 * (daemon/ingest/ fills them from the parsed MIME), so the store never sees
 * the agent's structs. NULL strings are stored as NULL. */
struct store_ingest_msg {
	uint32_t uid;
	const char *raw; /* the whole message; NULL when only the headers were fetched */
	size_t raw_len;
	size_t raw_size;                  /* the message's size on the server */
	unsigned char sha256[32];         /* of the fetched bytes */
	unsigned char content_sha256[32]; /* see ingest_content_hash() */
	bool has_content_sha256;
	const char *message_id, *sender, *reply_to, *subject;
	const char *sender_name; /* the From display name (UTF-8), NULL when none */
	long long date_epoch;    /* UTC seconds, -1 when Date is absent or unparsable */
	const char *date_raw, *in_reply_to, *references;
	const char *text;             /* the new text the customer wrote */
	const char *quoted;           /* quoted history, then the signature block */
	const char *headers_json;     /* {"name": "value", ...} */
	const char *attachments_json; /* [{"filename":..,"content_type":..,"size":..}] */
	/* Why it is never drafted ("list", "bounce", "oversized", ...), NULL
	 * when it may be; the store turns it into "duplicate" for a redelivery. */
	const char *screen_reason;
	bool human; /* screened to a reviewer rather than skipped */
	/* The whole parse as a document the pipeline reads instead of raw
	 * (agent/mime/mime.h, mime_message_to_json()) and the parser version
	 * that made it; NULL: none (the pipeline parses raw). */
	const char *parsed;
	int parsed_version;
	/* The message's language as the pipeline detects it (agent/text/lang.h,
	 * lang_detect_message()), NULL when unknown: the search vector is built
	 * at insert when it is set, else when the pipeline stores it. */
	const char *language;
	bool is_bulk, is_auto_submitted, is_oversized, injection_suspect;
};

/* Creates or updates the mailboxes row named mb->name from the config. A
 * changed URL, user or folder resets the checkpoint (the UIDs of another
 * folder mean nothing here; sha256 matching keeps old mail from coming in
 * twice). Returns 0 with the row id, or -1. */
int store_ingest_mailbox(struct store *store, const struct mailbox_config *mb, int64_t *id_r)
	__attribute__((warn_unused_result));

/* Takes or renews the lease of mailbox id for owner for ttl_s seconds. It is
 * free when nobody holds it, it expired, or its holder is stale_owner (a
 * holder the caller knows is dead; NULL: none). Returns 1 taken, 0 held by
 * someone else (named in holder_r), -1 error. */
int store_ingest_lease_take(struct store *store, int64_t id, const char *owner, unsigned int ttl_s,
			    const char *stale_owner, char *holder_r, size_t holder_size)
	__attribute__((warn_unused_result));
/* Gives the lease back if owner holds it. Returns 0 or -1. */
int store_ingest_lease_release(struct store *store, int64_t id, const char *owner);

/* The checkpoint: UIDVALIDITY (0 before the first poll) and the last UID
 * stored. Returns 0 or -1. */
int store_ingest_checkpoint(struct store *store, int64_t id, uint32_t *uidvalidity_r,
			    uint32_t *last_uid_r) __attribute__((warn_unused_result));

/* Records a UIDVALIDITY change as a mailbox_events row and restarts the
 * checkpoint at UID 0 under the new value, in one transaction, if owner
 * still holds the lease. Returns 0 or -1. */
int store_ingest_uidvalidity_reset(struct store *store, int64_t id, const char *owner,
				   uint32_t old_uidvalidity, uint32_t new_uidvalidity)
	__attribute__((warn_unused_result));

struct store_ingest_counts {
	unsigned int stored;     /* rows inserted (including duplicates and screened) */
	unsigned int duplicates; /* redeliveries: stored, marked, never drafted */
	unsigned int already;    /* same raw bytes already stored: not inserted again */
	unsigned int screened;   /* stored with a screen reason, no job */
};

/* Stores msgs[count] (NULL entries skipped: expunged before the fetch), the UIDs (after_uid,
 * upto_uid] of the mailbox, in ONE transaction, only while owner holds the lease. after_uid is
 * the last UID of the pass's previous batch (or the checkpoint the pass started from): the
 * checkpoint moves to upto_uid when every batch below has committed, else the range waits above
 * it until they have (two batches of a pass may commit out of order). A message may be
 * drafted ('new' with a queued pipeline job) unless it was screened
 * ('skipped', or 'human' for oversized or over-limit mail) or is a
 * redelivery of a stored one ('skipped', screen_reason 'duplicate',
 * is_duplicate, duplicate_of): those get no job. Adds to *counts only on
 * commit. Returns 0, or -1 (rolled back, nothing changed). */
int store_ingest_batch(struct store *store, int64_t id, const char *owner, uint32_t uidvalidity,
		       const struct store_ingest_msg *const *msgs, size_t count, uint32_t after_uid,
		       uint32_t upto_uid, struct store_ingest_counts *counts)
	__attribute__((warn_unused_result));

/* Told (fn(ctx), from the storing thread) once a batch's rows have their
 * messages ids, before they are written. */
struct store_ingest_reserved {
	void (*fn)(void *ctx);
	void *ctx;
};

/* store_ingest_batch() for batches stored at once on several connections:
 * ids are taken in the order the batches' lookups run, so a caller that
 * starts a batch only after the one before was told keeps a mailbox's ids
 * in UID order (the thread and message lists order by id). lease_ttl > 0
 * also renews owner's lease for that many seconds in the statement that
 * moves the checkpoint (one commit per batch instead of two: the caller
 * need not renew it after); 0 leaves it as it is. reserved NULL and
 * lease_ttl 0: store_ingest_batch(). */
int store_ingest_batch_ordered(struct store *store, int64_t id, const char *owner,
			       uint32_t uidvalidity, const struct store_ingest_msg *const *msgs,
			       size_t count, uint32_t after_uid, uint32_t upto_uid,
			       const struct store_ingest_reserved *reserved, unsigned int lease_ttl,
			       struct store_ingest_counts *counts)
	__attribute__((warn_unused_result));

/* Records the outcome of a poll on the mailbox row: error NULL clears
 * last_error and sets last_poll_at, else last_error/last_error_at are set.
 * Returns 0 or -1. */
int store_ingest_poll_result(struct store *store, int64_t id, const char *error);
/* The mailboxes someone asked to poll (POST /mailboxes/{name}/poll sets
 * poll_requested_at) that no successful poll has answered yet (last_poll_at
 * older or unset): one query for every poller of the process. Fills
 * ids_r[max] in id order; returns how many, or -1 on error. */
long store_ingest_poll_requests(struct store *store, int64_t *ids_r, size_t max)
	__attribute__((warn_unused_result));

#endif
