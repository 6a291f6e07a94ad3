/* SPDX-License-Identifier: MIT */
/* sd_notify for Type=notify units: readiness, reloads, stop, watchdog. */
#include "daemon/service/notify.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "daemon/lib/log.h"

static bool notify_failed_logged;

static void notify_send(const char *state)
{
	int r = sd_notify(0, state);

	/* r == 0: no $NOTIFY_SOCKET, nothing to tell */
	if (r < 0 && !notify_failed_logged) {
		notify_failed_logged = true;
		log_debug("sd_notify: %s (the service manager is not listening)", strerror(-r));
	}
}

void notify_ready(const char *status)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", status);
	notify_send(msg);
}

void notify_reloading(void)
{
	struct timespec ts;
	char msg[128];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nSTATUS=reloading the config\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ULL +
			 (unsigned long long)ts.tv_nsec / 1000ULL);
	notify_send(msg);
}

void notify_stopping(void)
{
	notify_send("STOPPING=1\nSTATUS=finishing in-flight work");
}

uint64_t notify_watchdog_interval_ms(void)
{
	uint64_t usec = 0;

	/* > 0 only when $WATCHDOG_USEC is set and $WATCHDOG_PID (if set) is us */
	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return 0;
	/* systemd recommends pinging at half the interval; never below 1 ms */
	return usec / 2000 > 0 ? usec / 2000 : 1;
}

void notify_watchdog(void)
{
	notify_send("WATCHDOG=1");
}
