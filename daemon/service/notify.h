/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_NOTIFY_H
#define DRAFTD_NOTIFY_H

#include <stdint.h>

/* The service manager's readiness protocol (sd_notify(3), Type=notify in the
 * unit). Each call does nothing when $NOTIFY_SOCKET is unset, so the daemon
 * runs the same by hand, in a container or under another supervisor. A
 * failed send is logged once at debug: a supervisor that went away must not
 * take draftd with it. Call from the signal-handling thread. */

/* Every service has started; status is one line for `systemctl status`. */
void notify_ready(const char *status);
/* A SIGHUP reload begins (RELOADING=1 with MONOTONIC_USEC, as systemd
 * expects); notify_ready() ends it, whether or not the new config loaded. */
void notify_reloading(void);
/* SIGTERM/SIGINT: in-flight work is finishing. */
void notify_stopping(void);
/* Milliseconds between WATCHDOG=1 pings (half of WatchdogSec=), 0 when the
 * service manager asks for none. */
uint64_t notify_watchdog_interval_ms(void);
void notify_watchdog(void);

#endif
