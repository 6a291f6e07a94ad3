/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_STORE_AUTO_LIMIT_H
#define DRAFTD_STORE_AUTO_LIMIT_H

#include <stdint.h>

#include "daemon/store/store.h"

/* The loop and flood limits of automatic replies (Sieve vacation style):
 * at most sender_limit per correspondent and one per thread within period_s,
 * and at most hourly_cap by everyone within an hour.
 *
 * Counting and then queueing races: two workers (or two instances) both
 * count zero and both queue. So the count that decides is taken again inside
 * the transaction that queues the reply, after transaction-scoped advisory
 * locks on the correspondent's addresses and the thread's root (and, with a
 * cap, one lock every automatic reply takes) have serialised it with every
 * other transaction that could queue a competing reply. */

/* What the limits count for one message: automatic replies (sent or queued)
 * within period_s to either address (or answering a mail from sender), on
 * the message's thread (same root, or it references one of them or the mail
 * one answered), and by everyone within the last hour. */
struct auto_recent {
	int64_t to_sender;
	int64_t in_thread;
	int64_t last_hour;
};

/* Counts for message_id, whose reply would go to recipient and whose From
 * is sender (either may be NULL). Returns 0 with *recent_r, or -1. */
int store_auto_recent(struct store *store, const char *recipient, const char *sender,
		      int64_t message_id, unsigned int period_s, struct auto_recent *recent_r)
	__attribute__((warn_unused_result));

/* Why a reply was held back; the decide step (agent/pipeline/decide.c) gives the same
 * reasons, so a reviewer reads one sentence whichever check caught it. */
#define AUTO_LIMIT_SENDER   "sender reached the automatic reply limit"
#define AUTO_LIMIT_THREAD   "this thread already had an automatic reply"
#define AUTO_LIMIT_HOURLY   "the hourly cap on automatic replies is reached"
#define AUTO_LIMIT_DISABLED "automatic replies are disabled"

struct auto_limit {
	int64_t message_id;        /* the mail being answered */
	const char *recipient;     /* where the reply goes */
	const char *sender;        /* the mail's From address */
	unsigned int period_s;     /* [agent] auto_reply_period */
	unsigned int sender_limit; /* automatic replies per correspondent and period */
	unsigned int hourly_cap;   /* [agent] auto_hourly_cap, 0: none */
};

/* Inside the caller's open transaction, before it queues the reply: takes
 * the locks, reads the kill switch (FOR SHARE, so `draftd auto off` waits for
 * this transaction and then holds its reply back) and counts again. Returns
 * 1 when the reply may be queued, 0 when a limit or the switch holds it back
 * (*reason_r: a static sentence, the one the decide step gives), -1 on
 * error. The locks end with the transaction. */
int store_auto_limit_tx(struct store *store, const struct auto_limit *limit, const char **reason_r)
	__attribute__((warn_unused_result));

#endif
