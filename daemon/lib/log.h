#ifndef DRAFTD_LOG_H
#define DRAFTD_LOG_H

/* logfmt lines on stderr, one per event, for journald or any collector:
 *   ts=2026-11-23T15:04:05.123Z level=info mailbox=support uid=42 msg="stored"
 * Values from outside are escaped. Never pass message bodies, tokens or
 * passwords to these functions: nothing here can tell them apart. */

enum log_level { LOG_LEVEL_ERROR = 0, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* Thread-safe: the level is atomic, each line is one write(2). */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Returns 0 and sets *level_r for "error", "warn", "info", "debug"; -1 otherwise. */
int log_level_parse(const char *name, enum log_level *level_r);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

/* Per-thread context fields printed before msg= on every line of this thread
 * (mailbox, uid, draft id, ...). log_ctx_set() replaces a key's value or adds
 * it; a value of NULL removes it. log_ctx_clear() drops them all. Bounded: a
 * field that does not fit is dropped, never truncated mid-value. */
void log_ctx_set(const char *key, const char *value);
void log_ctx_setf(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_ctx_clear(void);

#endif
