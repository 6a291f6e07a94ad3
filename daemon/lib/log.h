/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_LOG_H
#define DRAFTD_LOG_H

#include <stddef.h>

/* One line per event on stderr, for journald or any collector, as logfmt
 *   ts=2026-11-23T15:04:05.123Z level=info mailbox=support uid=42 msg=stored
 * or, with [log] format = json, one JSON object per line
 *   {"ts":"2026-11-23T15:04:05.123Z","level":"info","mailbox":"support",...}
 * The key names are one set, listed in README ("Logs"); msg is prose and
 * carries no key=value fields: those go through log_kv(). Values from
 * outside are escaped. Never pass message bodies, tokens or passwords to
 * these functions: nothing here can tell them apart. */

enum log_level { LOG_LEVEL_ERROR = 0, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };
enum log_format { LOG_FORMAT_LOGFMT = 0, LOG_FORMAT_JSON };

/* Thread-safe: level, format and output are atomic, each line is one
 * write(2). */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Returns 0 and sets *level_r for "error", "warn", "info", "debug"; -1 otherwise. */
int log_level_parse(const char *name, enum log_level *level_r);
void log_set_format(enum log_format format);
/* Where lines go: stderr unless a test says otherwise. */
void log_set_output(int fd);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

/* A line with fields: msg is constant prose, fields a printf format of
 * space-separated "key=CONVERSION" items, one conversion each or a constant
 * ("file=%s rows=%zu actor=cli"); each value becomes its own field,
 * escaped, so a value with spaces or '=' stays one value. Unknown conversions drop the
 * rest of the fields (the compiler checks the arguments against fields). */
void log_kv(enum log_level level, const char *msg, const char *fields, ...)
	__attribute__((format(printf, 3, 4)));
#define log_error_kv(...) log_kv(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn_kv(...)  log_kv(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info_kv(...)  log_kv(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug_kv(...) log_kv(LOG_LEVEL_DEBUG, __VA_ARGS__)

/* Per-thread context fields printed before msg on every line of this thread
 * (mailbox, uid, draft_id, ...). log_ctx_set() replaces a key's value or
 * adds it; a value of NULL removes it. log_ctx_clear() drops them all.
 * Bounded: a field that does not fit is dropped, never truncated mid-value.
 * A field given to log_kv() wins over a context field of the same key. */
void log_ctx_set(const char *key, const char *value);
void log_ctx_setf(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_ctx_clear(void);
/* A unit of work (a job, an outbox row, a fetched message) marks the
 * context before it sets its fields and restores the mark after, so no
 * field of one unit appears on a line about the next, whatever it set. */
size_t log_ctx_mark(void);
void log_ctx_restore(size_t mark);

#endif
