/* SPDX-License-Identifier: MIT */
#include "daemon/lib/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void error_setv(struct error *err, bool retryable, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static void error_setv(struct error *err, bool retryable, const char *fmt, va_list ap)
{
	if (err == NULL)
		return;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	err->retryable = retryable;
}

void error_set(struct error *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_setv(err, false, fmt, ap);
	va_end(ap);
}

void error_set_retryable(struct error *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_setv(err, true, fmt, ap);
	va_end(ap);
}

void error_prefix(struct error *err, const char *what)
{
	char old[ERROR_MAX];
	size_t w, o;

	if (err == NULL)
		return;
	memcpy(old, err->msg, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	/* the message may be cut at the end: the context is what is kept */
	w = strnlen(what, sizeof(err->msg) - 1);
	memcpy(err->msg, what, w);
	o = w;
	if (o + 2 < sizeof(err->msg)) {
		memcpy(err->msg + o, ": ", 2);
		o += 2;
	}
	w = strnlen(old, sizeof(err->msg) - 1 - o);
	memcpy(err->msg + o, old, w);
	err->msg[o + w] = '\0';
}

void error_copy(struct error *err, const struct error *src)
{
	if (err == NULL || err == src)
		return;
	if (src == NULL) {
		error_clear(err);
		return;
	}
	memcpy(err->msg, src->msg, sizeof(err->msg));
	err->msg[sizeof(err->msg) - 1] = '\0';
	err->retryable = src->retryable;
}

const char *error_msg(const struct error *err)
{
	return err != NULL ? err->msg : "";
}

void error_clear(struct error *err)
{
	if (err == NULL)
		return;
	err->msg[0] = '\0';
	err->retryable = false;
}
