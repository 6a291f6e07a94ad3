/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_ERROR_H
#define DRAFTD_ERROR_H

/* The one way error text travels (CONTRIBUTING.md "Errors"): the caller
 * owns a struct error, usually on its stack, and passes it down; a function
 * that fails fills it with error_set() and returns -1. Bounded, thread-safe,
 * no allocation, one lifetime rule (the caller's). */

#include <stdbool.h>

#define ERROR_MAX 512 /* bytes of one message, NUL included; longer is cut */

struct error {
	char msg[ERROR_MAX];
	bool retryable; /* a later try may succeed (a server down, busy, loading) */
};

/* Sets the message (printf format) and clears retryable. err may be NULL:
 * the caller did not want the text. */
void error_set(struct error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* error_set() for a failure a later try may get past. */
void error_set_retryable(struct error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Puts "what: " before the message already set, for context on the way up
 * ("mailbox support: ..."). err may be NULL. */
void error_prefix(struct error *err, const char *what);
/* Copies src (message and retryable) into err, to hand an error held by a
 * handle (the store's, store_err()) upward. err and src may be NULL. */
void error_copy(struct error *err, const struct error *src);
/* The message ("" when none was set; err may be NULL). */
const char *error_msg(const struct error *err);
/* Forgets any message. */
void error_clear(struct error *err);

#endif
