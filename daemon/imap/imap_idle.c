/* SPDX-License-Identifier: MIT */
/* IDLE with a bounded, interruptible wait. */
#include "daemon/imap/imap_idle.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>

#include "daemon/imap/imap_private.h"
#include "daemon/lib/log.h"
#include "daemon/lib/util.h"

/* How often the wait looks at check(): the stop latency of a poller. */
#define IMAP_IDLE_TICK_MS 1000

bool imap_idle_usable(struct imap_conn *conn, bool wanted, unsigned int poll_interval)
{
	bool has = imap_has_idle(conn);

	if (wanted && has)
		return true;
	if (!conn->idle_fallback_logged) {
		conn->idle_fallback_logged = true;
		if (!wanted)
			log_info("idle = off: polling every %u s", poll_interval);
		else
			log_warn(
				"the server does not advertise IDLE (RFC 2177): polling every %u s "
				"instead, so new mail waits up to that long (set idle = off to "
				"make "
				"this the plan)",
				poll_interval);
	}
	return false;
}

int imap_idle_wait(struct imap_conn *conn, unsigned int max_ms, imap_idle_check_fn *check,
		   void *ctx)
{
	uint64_t deadline = time_mono_ms() + max_ms;
	int r, fd, woke = 0;

	r = mailimap_idle(conn->imap);
	if (r != MAILIMAP_NO_ERROR) {
		imap_set_error(conn, "IDLE", r);
		return -1;
	}
	fd = mailimap_idle_get_fd(conn->imap);
	if (fd < 0) {
		snprintf(conn->error, sizeof(conn->error), "IDLE: no socket");
		return -1;
	}
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		uint64_t now = time_mono_ms();
		int wait_ms;

		/* Bytes libetpan already buffered never show up on the socket. */
		if (conn->imap->imap_stream->read_buffer_len > 0) {
			woke = 1;
			break;
		}
		if (now >= deadline || (check != NULL && check(ctx)))
			break;
		wait_ms = deadline - now < IMAP_IDLE_TICK_MS ? (int)(deadline - now)
							     : IMAP_IDLE_TICK_MS;
		r = poll(&pfd, 1, wait_ms);
		if (r < 0 && errno != EINTR) {
			snprintf(conn->error, sizeof(conn->error), "IDLE: poll failed");
			return -1;
		}
		if (r > 0) {
			woke = 1;
			break;
		}
	}
	r = mailimap_idle_done(conn->imap);
	if (r != MAILIMAP_NO_ERROR) {
		imap_set_error(conn, "IDLE DONE", r);
		return -1;
	}
	return woke;
}
