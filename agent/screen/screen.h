/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_SCREEN_H
#define DRAFTD_SCREEN_H

#include "agent/mime/mime.h"

/* Screening (RFC 3834): mail that must never get an automatic reply, decided
 * from a parsed message's headers before anything else looks at it: also mail
 * the mail system already judged spam (its verdict headers). Spam without a
 * verdict is the classifier's; redeliveries are the store's. Thread-safe. */

enum screen_reason {
	SCREEN_NONE = 0,
	SCREEN_BOUNCE,         /* delivery status report or mailer-daemon sender */
	SCREEN_AUTO_SUBMITTED, /* Auto-Submitted other than "no", X-Autoreply, ... */
	SCREEN_BULK,           /* Precedence: bulk or junk */
	SCREEN_LIST,           /* Precedence: list, List-Id, List-Unsubscribe */
	SCREEN_NULL_SENDER,    /* empty Return-Path <> */
	SCREEN_NOREPLY_SENDER, /* noreply@, do-not-reply@, postmaster@, ... */
	SCREEN_OVERSIZED,      /* too large to read: a human handles it */
	SCREEN_SPAM,           /* the mail system's spam verdict in the headers */
};

enum screen_action {
	SCREEN_PASS,  /* go on with the pipeline */
	SCREEN_SKIP,  /* no reply at all */
	SCREEN_HUMAN, /* no draft; route to a reviewer */
};

struct screen_result {
	enum screen_reason reason;
	enum screen_action action;
	const char *code; /* stable short code: "bounce", "auto_submitted", ...; "" for none */
	char detail[160]; /* human-readable, printable ASCII only */
};

/* What screening is told beyond the message itself. */
struct screen_options {
	/* [mailbox] spam_header_pattern, else [agent] spam_header_pattern: a
	 * caseless PCRE2 matched against each top-level header as "name: value"
	 * (name in lower case, value unfolded); a match is a spam verdict.
	 * NULL or "" for none. */
	const char *spam_header_pattern;
};

/* screen_message() with options (NULL: none). */
int screen_message_with(const struct mime_message *msg, const struct screen_options *opt,
			struct screen_result *r);

/* Decides whether msg may be answered. Returns 0 when it may (reason
 * SCREEN_NONE, action SCREEN_PASS), 1 when it was screened (r says why and
 * whether to skip or hand to a human). Never fails. */
int screen_message(const struct mime_message *msg, struct screen_result *r);

/* The stable code of a reason ("" for SCREEN_NONE). */
const char *screen_reason_code(enum screen_reason reason);

#endif
