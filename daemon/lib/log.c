/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "daemon/lib/utf8.h"

#define LOG_LINE_MAX   4096
#define LOG_MSG_MAX    1024
#define LOG_CTX_MAX    8
#define LOG_KEY_MAX    24
#define LOG_VAL_MAX    128
#define LOG_FIELDS_MAX 12  /* fields of one log_kv() call */
#define LOG_FVAL_MAX   512 /* bytes of one of its values */

struct log_field {
	char key[LOG_KEY_MAX];
	char value[LOG_VAL_MAX];
};

/* One field of a line: pointers into the caller's buffers. */
struct log_pair {
	const char *key;
	size_t key_len;
	const char *value;
};

static atomic_int log_level = LOG_LEVEL_INFO;
static atomic_int log_format = LOG_FORMAT_LOGFMT;
static atomic_int log_fd = STDERR_FILENO;
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

void log_set_format(enum log_format format)
{
	atomic_store(&log_format, (int)format);
}

void log_set_output(int fd)
{
	atomic_store(&log_fd, fd);
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

size_t log_ctx_mark(void)
{
	return log_ctx_count;
}

void log_ctx_restore(size_t mark)
{
	if (mark < log_ctx_count)
		log_ctx_count = (unsigned int)mark;
}

/* A bounded line: appends stop at the end, never overrun it. */
struct log_line {
	char buf[LOG_LINE_MAX];
	size_t len;
	bool json;
};

static void line_raw(struct log_line *l, const char *s, size_t len)
{
	/* two bytes stay free: the closing brace and the newline */
	if (len > sizeof(l->buf) - 2 - l->len)
		len = sizeof(l->buf) - 2 - l->len;
	memcpy(l->buf + l->len, s, len);
	l->len += len;
}

/* A value: logfmt bare when plain, else quoted with \" \\ \n \t \xNN; JSON
 * always quoted with \uNNNN for control characters and invalid UTF-8
 * bytes (each as the code point of its value). */
static void line_value(struct log_line *l, const char *s)
{
	const unsigned char *p;
	char esc[8];
	bool quote = l->json || *s == '\0';
	uint32_t cp;
	size_t n;

	for (p = (const unsigned char *)s; *p != '\0' && !quote; p++)
		quote = *p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p >= 0x7f;
	if (quote)
		line_raw(l, "\"", 1);
	for (p = (const unsigned char *)s; *p != '\0' && l->len + 8 < sizeof(l->buf); p += n) {
		n = 1;
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			line_raw(l, esc, 2);
		} else if (*p == '\n') {
			line_raw(l, "\\n", 2);
		} else if (*p == '\t') {
			line_raw(l, "\\t", 2);
		} else if (*p < ' ' || *p == 0x7f) {
			snprintf(esc, sizeof(esc), l->json ? "\\u%04x" : "\\x%02x", *p);
			line_raw(l, esc, strlen(esc));
		} else if (*p < 0x80 || !l->json) {
			line_raw(l, (const char *)p, 1);
		} else if ((n = utf8_decode(p, 4, &cp)) > 0) { /* stops at the NUL */
			line_raw(l, (const char *)p, n);
		} else {
			n = 1;
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			line_raw(l, esc, strlen(esc));
		}
	}
	if (quote)
		line_raw(l, "\"", 1);
}

static void line_field(struct log_line *l, const char *key, size_t key_len, const char *value)
{
	if (l->json) {
		line_raw(l, l->len > 1 ? ",\"" : "\"", l->len > 1 ? 2 : 1);
		line_raw(l, key, key_len);
		line_raw(l, "\":", 2);
	} else {
		if (l->len > 0)
			line_raw(l, " ", 1);
		line_raw(l, key, key_len);
		line_raw(l, "=", 1);
	}
	line_value(l, value);
}

static bool pairs_have(const struct log_pair *pairs, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (pairs[i].key_len == strlen(key) &&
		    strncmp(pairs[i].key, key, pairs[i].key_len) == 0)
			return true;
	}
	return false;
}

static void log_emit(enum log_level level, const char *msg, const struct log_pair *pairs, size_t n)
{
	struct log_line l;
	char ts[40], when[32];
	struct timeval tv;
	struct tm tm;
	unsigned int i;
	ssize_t w;

	l.len = 0;
	l.json = atomic_load(&log_format) == LOG_FORMAT_JSON;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts, sizeof(ts), "%s.%03dZ", when, (int)(tv.tv_usec / 1000));
	if (l.json)
		line_raw(&l, "{", 1);
	line_field(&l, "ts", 2, ts);
	line_field(&l, "level", 5, log_level_names[level]);
	for (i = 0; i < log_ctx_count; i++) {
		if (!pairs_have(pairs, n, log_ctx[i].key))
			line_field(&l, log_ctx[i].key, strlen(log_ctx[i].key), log_ctx[i].value);
	}
	line_field(&l, "msg", 3, msg);
	for (i = 0; i < n; i++)
		line_field(&l, pairs[i].key, pairs[i].key_len, pairs[i].value);
	if (l.json)
		l.buf[l.len++] = '}';
	l.buf[l.len++] = '\n';
	/* One write per line keeps lines whole when threads log at once. */
	w = write(atomic_load(&log_fd), l.buf, l.len);
	(void)w;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char msg[LOG_MSG_MAX];
	va_list ap;

	if ((int)level > atomic_load(&log_level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_emit(level, msg, NULL, 0);
}

/* The formats below are pieces of log_kv()'s fields argument, which the
 * compiler checked against the arguments at the call (format attribute). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

/* Formats the one conversion of spec (e.g. "%zu", "%.*s", "%lld ms") with
 * the next argument(s) of ap into out, or copies spec when it has none. Returns 0, or -1 for a
 * conversion it does not know (the caller stops: ap could not be advanced safely). */
static int kv_format(const char *spec, size_t len, va_list *ap, char *out, size_t size)
{
	char f[32];
	const char *p = strchr(spec, '%');
	const char *conv;
	int star = 0, lmods = 0;
	bool z = false, j = false, h = false;

	if (len >= sizeof(f))
		return -1;
	if (p == NULL || p >= spec + len) { /* a constant value: "actor=cli" */
		snprintf(out, size, "%.*s", (int)len, spec);
		return 0;
	}
	memcpy(f, spec, len);
	f[len] = '\0';
	for (conv = p + 1; conv < spec + len; conv++) {
		if (*conv == '*')
			star++;
		else if (*conv == 'l')
			lmods++;
		else if (*conv == 'z')
			z = true;
		else if (*conv == 'j')
			j = true;
		else if (*conv == 'h')
			h = true;
		else if (strchr("-+ #0123456789.", *conv) == NULL)
			break;
	}
	if (conv == spec + len || star > 1)
		return -1;
	if (*conv == 's' && star == 1) {
		int prec = va_arg(*ap, int);

		snprintf(out, size, f, prec, va_arg(*ap, const char *));
		return 0;
	}
	if (star != 0)
		return -1;
	switch (*conv) {
	case 's': {
		const char *s = va_arg(*ap, const char *);

		snprintf(out, size, f, s != NULL ? s : "");
		return 0;
	}
	case 'c':
		snprintf(out, size, f, va_arg(*ap, int));
		return 0;
	case 'd':
	case 'i':
		if (z)
			snprintf(out, size, f, va_arg(*ap, ptrdiff_t));
		else if (j)
			snprintf(out, size, f, va_arg(*ap, intmax_t));
		else if (lmods >= 2)
			snprintf(out, size, f, va_arg(*ap, long long));
		else if (lmods == 1)
			snprintf(out, size, f, va_arg(*ap, long));
		else
			snprintf(out, size, f, va_arg(*ap, int)); /* h promotes to int */
		(void)h;
		return 0;
	case 'u':
	case 'x':
	case 'X':
	case 'o':
		if (z)
			snprintf(out, size, f, va_arg(*ap, size_t));
		else if (j)
			snprintf(out, size, f, va_arg(*ap, uintmax_t));
		else if (lmods >= 2)
			snprintf(out, size, f, va_arg(*ap, unsigned long long));
		else if (lmods == 1)
			snprintf(out, size, f, va_arg(*ap, unsigned long));
		else
			snprintf(out, size, f, va_arg(*ap, unsigned int));
		return 0;
	case 'f':
	case 'g':
	case 'e':
		snprintf(out, size, f, va_arg(*ap, double));
		return 0;
	default:
		return -1;
	}
}

#pragma GCC diagnostic pop

void log_kv(enum log_level level, const char *msg, const char *fields, ...)
{
	char values[LOG_FIELDS_MAX][LOG_FVAL_MAX];
	struct log_pair pairs[LOG_FIELDS_MAX];
	const char *p = fields, *eq, *end;
	size_t n = 0;
	va_list ap;

	if ((int)level > atomic_load(&log_level))
		return;
	va_start(ap, fields);
	while (*p != '\0' && n < LOG_FIELDS_MAX) {
		p += strspn(p, " ");
		end = p + strcspn(p, " ");
		eq = memchr(p, '=', (size_t)(end - p));
		if (end == p)
			break;
		if (eq == NULL || eq == p ||
		    kv_format(eq + 1, (size_t)(end - eq - 1), &ap, values[n], sizeof(values[n])) <
			    0)
			break;
		pairs[n].key = p;
		pairs[n].key_len = (size_t)(eq - p);
		pairs[n].value = values[n];
		n++;
		p = end;
	}
	va_end(ap);
	log_emit(level, msg, pairs, n);
}
