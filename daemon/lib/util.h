/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_UTIL_H
#define DRAFTD_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "daemon/lib/error.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Parses a whole decimal string into [0, max]. Returns 0 on success, -1 when
 * the text is empty, not a number, has trailing junk or is out of range. */
int parse_u64(const char *s, uint64_t max, uint64_t *v_r) __attribute__((warn_unused_result));

/* Parses a whole decimal number (e.g. "0.95") into [min, max]; -1 on error. */
int parse_double(const char *s, double min, double max, double *v_r)
	__attribute__((warn_unused_result));

/* Parses "30", "30s", "5m", "2h", "1d" into seconds within [0, max]; -1 on error. */
int parse_duration(const char *s, uint64_t max, uint64_t *secs_r)
	__attribute__((warn_unused_result));

/* Parses "1024", "64k", "25M", "1G" (binary units) into bytes within [0, max]; -1 on error. */
int parse_size(const char *s, uint64_t max, uint64_t *bytes_r) __attribute__((warn_unused_result));

/* Parses on/off, yes/no, true/false, 1/0; -1 on anything else. */
int parse_bool(const char *s, bool *v_r) __attribute__((warn_unused_result));

/* Copies src into dst[size] and always terminates. Returns 0, or -1 when src
 * did not fit (dst then holds the truncated prefix). */
int str_copy(char *dst, size_t size, const char *src);

/* strdup that returns NULL for NULL. */
char *str_dup(const char *s);

/* Reads a whole file of at most max bytes into a NUL-terminated heap string
 * (*data_r, free() it). Returns 0 on success, -1 on error with the reason
 * (errno text, "file too large", ...) in err (which may be NULL). */
int file_read_all(const char *path, size_t max, char **data_r, size_t *len_r, struct error *err)
	__attribute__((warn_unused_result));

/* Reads a secret file: like file_read_all(), limited to 4 KiB, with trailing
 * newlines removed. Refuses an empty secret. A path without '/' is a systemd
 * credential (daemon/lib/credential.h). */
int secret_read_file(const char *path, char **secret_r, struct error *err)
	__attribute__((warn_unused_result));

/* Overwrites then frees a secret string; NULL is fine. */
void secret_free(char **secret);

/* Monotonic clock in milliseconds, for timeouts and latencies. */
uint64_t time_mono_ms(void);
/* ms from now on clock, as pthread_cond_timedwait() takes it: the
 * condition variable's clock (CLOCK_REALTIME unless set otherwise). */
void time_deadline(clockid_t clock, uint64_t ms, struct timespec *until_r);

#endif
