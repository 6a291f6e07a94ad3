/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_OUTBOX_H
#define DRAFTD_OUTBOX_H

#include <stdbool.h>
#include <time.h>

#include "daemon/lib/buf.h"
#include "daemon/config/config.h"
#include "daemon/service/daemon.h"
#include "daemon/mail/mail_compose.h"
#include "daemon/store/store_outbox.h"

/* The outbox sender (`service_outbox` in `draftd run`): one thread that
 * claims due outbox rows, composes the reply, puts a copy into the
 * mailbox's Sent folder, submits it over SMTP, records the outcome and marks
 * the original \Answered. See outbox.c for why the Sent copy comes first. */

#define OUTBOX_MAX_ATTEMPTS 10 /* default of [smtp] max_attempts */
#define OUTBOX_RETRY_BASE_S 5
#define OUTBOX_RETRY_MAX_S  3600

/* Test hook: when this variable is "1" the sender kills its own process
 * with SIGKILL right after the SMTP server accepted a message, before
 * anything is recorded, so tests can prove a restart does not send twice. */
#define OUTBOX_TEST_CRASH_ENV "DRAFTD_TEST_CRASH_AFTER_SMTP"

extern const struct service_ops service_outbox;

/* Seconds to wait after failed try number attempts (1-based): 5, 10, 20,
 * ... capped at OUTBOX_RETRY_MAX_S. */
unsigned int outbox_retry_delay(unsigned int attempts);

/* Composes the reply for item from mailbox mb: To is the draft's recipient,
 * else the original's Reply-To, else its From; the subject the draft's, else
 * the original's. Returns 0, or -1 with the reason in err (the draft can
 * never be sent as it is). */
int outbox_compose(const struct outbox_item *item, const struct mailbox_config *mb, time_t now,
		   struct buf *out, struct mail_envelope *env_r, struct error *err)
	__attribute__((warn_unused_result));

#endif
