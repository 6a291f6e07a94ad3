#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 4096
#define LOG_MSG_MAX  1024
#define LOG_CTX_MAX  8
#define LOG_KEY_MAX  24
#define LOG_VAL_MAX  128

struct log_field {
	char key[LOG_KEY_MAX];
	char value[LOG_VAL_MAX];
};

static atomic_int log_level = LOG_LEVEL_INFO;
static _Thread_local struct log_field log_ctx[LOG_CTX_MAX];
static _Thread_local unsigned int log_ctx_count;

static const char *const log_level_names[] = {"error", "warn", "info", "debug"};

void log_set_level(enum log_level level)
{
	atomic_store(&log_level, (int)level);
}

enum log_level log_get_level(void)
{
	return (enum log_level)atomic_load(&log_level);
}

int log_level_parse(const char *name, enum log_level *level_r)
{
	unsigned int i;

	for (i = 0; i < sizeof(log_level_names) / sizeof(log_level_names[0]); i++) {
		if (strcmp(name, log_level_names[i]) == 0) {
			*level_r = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

void log_ctx_set(const char *key, const char *value)
{
	unsigned int i;

	for (i = 0; i < log_ctx_count; i++) {
		if (strcmp(log_ctx[i].key, key) == 0)
			break;
	}
	if (value == NULL) {
		if (i < log_ctx_count) {
			log_ctx_count--;
			memmove(&log_ctx[i], &log_ctx[i + 1],
				(log_ctx_count - i) * sizeof(log_ctx[0]));
		}
		return;
	}
	if (strlen(key) >= LOG_KEY_MAX || strlen(value) >= LOG_VAL_MAX)
		return;
	if (i == log_ctx_count) {
		if (log_ctx_count == LOG_CTX_MAX)
			return;
		log_ctx_count++;
	}
	memcpy(log_ctx[i].key, key, strlen(key) + 1);
	memcpy(log_ctx[i].value, value, strlen(value) + 1);
}

void log_ctx_setf(const char *key, const char *fmt, ...)
{
	char value[LOG_VAL_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(value))
		log_ctx_set(key, value);
}

void log_ctx_clear(void)
{
	log_ctx_count = 0;
}

/* Appends s to line[*pos..size) as a logfmt value: bare when it is plain,
 * quoted with \" \\ \n \t and \xNN escapes otherwise. Stops at the end of
 * the line buffer without overrunning it. */
static void log_put_value(char *line, size_t size, size_t *pos, const char *s)
{
	const unsigned char *p;
	bool quote = *s == '\0';
	size_t n = *pos;

	for (p = (const unsigned char *)s; *p != '\0' && !quote; p++)
		quote = *p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p >= 0x7f;
	if (quote && n + 1 < size)
		line[n++] = '"';
	for (p = (const unsigned char *)s; *p != '\0' && n + 5 < size; p++) {
		if (*p == '"' || *p == '\\') {
			line[n++] = '\\';
			line[n++] = (char)*p;
		} else if (*p == '\n') {
			line[n++] = '\\';
			line[n++] = 'n';
		} else if (*p == '\t') {
			line[n++] = '\\';
			line[n++] = 't';
		} else if (*p < ' ' || *p == 0x7f) {
			n += (size_t)snprintf(line + n, size - n, "\\x%02x", *p);
		} else {
			line[n++] = (char)*p;
		}
	}
	if (quote && n + 1 < size)
		line[n++] = '"';
	*pos = n;
}

static void log_put_raw(char *line, size_t size, size_t *pos, const char *s)
{
	size_t len = strlen(s);

	if (len > size - 1 - *pos)
		len = size - 1 - *pos;
	memcpy(line + *pos, s, len);
	*pos += len;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char line[LOG_LINE_MAX], msg[LOG_MSG_MAX], ts[32];
	struct timeval tv;
	struct tm tm;
	size_t pos = 0;
	unsigned int i;
	va_list ap;
	ssize_t w;

	if ((int)level > atomic_load(&log_level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	pos = (size_t)snprintf(line, sizeof(line), "ts=%s.%03dZ level=%s", ts,
			       (int)(tv.tv_usec / 1000), log_level_names[level]);
	for (i = 0; i < log_ctx_count; i++) {
		log_put_raw(line, sizeof(line) - 1, &pos, " ");
		log_put_raw(line, sizeof(line) - 1, &pos, log_ctx[i].key);
		log_put_raw(line, sizeof(line) - 1, &pos, "=");
		log_put_value(line, sizeof(line) - 1, &pos, log_ctx[i].value);
	}
	log_put_raw(line, sizeof(line) - 1, &pos, " msg=");
	log_put_value(line, sizeof(line) - 1, &pos, msg);
	line[pos++] = '\n';
	/* One write per line keeps lines whole when threads log at once. */
	w = write(STDERR_FILENO, line, pos);
	(void)w;
}
