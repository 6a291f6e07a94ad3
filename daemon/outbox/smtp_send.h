/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_SMTP_SEND_H
#define DRAFTD_SMTP_SEND_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/lib/error.h"
#include "daemon/mail/mail_compose.h"

/* One SMTP submission with libcurl. smtp:// upgrades with STARTTLS and
 * refuses to go on in plaintext unless tls is off; smtps:// is TLS from the
 * first byte. Thread-safe once curl_global_init() ran (the daemon does it
 * before starting services; smtp_send() also does it, guarded, for tools and
 * tests). */

struct smtp_options {
	const char *url;              /* smtp://host:port or smtps://host:port */
	const char *user;             /* NULL: no AUTH */
	const char *password;         /* NULL with user: empty */
	const char *bearer;           /* an OAuth2 access token: SASL XOAUTH2 as user */
	const char *ca_file;          /* extra trust anchors, NULL: system store */
	bool tls;                     /* require TLS on smtp:// (STARTTLS) */
	unsigned int connect_timeout; /* seconds, 0: 30 */
	unsigned int timeout;         /* seconds for the whole submission, 0: 120 */
};

enum smtp_result {
	SMTP_SENT = 1,
	SMTP_TEMPFAIL = -1, /* connection, TLS, timeouts, 4xx: worth retrying */
	SMTP_PERMFAIL = -2, /* 5xx: the server refused this message for good */
	/* the whole message was handed over but no final reply came (the
	 * connection was lost or [smtp] timeout passed): the server may have
	 * taken it, so it must not be sent again without evidence or a person */
	SMTP_UNCERTAIN = -3,
};

/* Sends data (a complete CRLF message) to env's recipients. Returns
 * SMTP_SENT once the server accepted the DATA, SMTP_UNCERTAIN when it may
 * have, else a failure; except on SMTP_SENT a line set in err names the step
 * and the server's reply code ("smtp: 550 ..."), never the password.
 * *code_r (may be NULL) gets the last SMTP reply code or 0. */
enum smtp_result smtp_send(const struct smtp_options *opts, const struct mail_envelope *env,
			   const char *data, size_t len, long *code_r, struct error *err);

/* Connects, secures and authenticates as opts says, sends nothing (draftd
 * check-config --online). Returns 0, or -1 with one line set in err (the
 * step and the server's reply, never the password or token). */
int smtp_check(const struct smtp_options *opts, struct error *err)
	__attribute__((warn_unused_result));

#endif
