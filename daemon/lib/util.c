/* SPDX-License-Identifier: MIT */
#include "util.h"

#include <ctype.h>
#include <limits.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/lib/credential.h"

int parse_u64(const char *s, uint64_t max, uint64_t *v_r)
{
	unsigned long long v;
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*v_r = v;
	return 0;
}

int parse_double(const char *s, double min, double max, double *v_r)
{
	double v;
	char *end;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v) || v < min || v > max)
		return -1;
	*v_r = v;
	return 0;
}

struct unit {
	char suffix; /* lower case */
	uint64_t factor;
};

/* A whole number with an optional one-letter unit suffix (case-insensitive)
 * from units[] (ended by a zero suffix), scaled and checked against max. */
static int parse_scaled(const char *s, const struct unit *units, uint64_t max, uint64_t *v_r)
{
	char num[32];
	size_t len;
	uint64_t v, factor = 1;
	const struct unit *u;

	if (s == NULL)
		return -1;
	len = strlen(s);
	if (len == 0 || len >= sizeof(num))
		return -1;
	memcpy(num, s, len + 1);
	for (u = units; u->suffix != '\0'; u++) {
		if (tolower((unsigned char)num[len - 1]) == u->suffix) {
			factor = u->factor;
			num[--len] = '\0';
			break;
		}
	}
	if (parse_u64(num, max / factor, &v) < 0)
		return -1;
	*v_r = v * factor;
	return 0;
}

int parse_duration(const char *s, uint64_t max, uint64_t *secs_r)
{
	static const struct unit units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {0, 0}};

	return parse_scaled(s, units, max, secs_r);
}

int parse_size(const char *s, uint64_t max, uint64_t *bytes_r)
{
	static const struct unit units[] = {
		{'k', 1024}, {'m', 1024 * 1024}, {'g', 1024 * 1024 * 1024}, {0, 0}};

	return parse_scaled(s, units, max, bytes_r);
}

int parse_bool(const char *s, bool *v_r)
{
	static const char *const yes[] = {"on", "yes", "true", "1"};
	static const char *const no[] = {"off", "no", "false", "0"};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcmp(s, yes[i]) == 0) {
			*v_r = true;
			return 0;
		}
		if (strcmp(s, no[i]) == 0) {
			*v_r = false;
			return 0;
		}
	}
	return -1;
}

int str_copy(char *dst, size_t size, const char *src)
{
	size_t len = strlen(src);

	if (size == 0)
		return -1;
	if (len >= size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return -1;
	}
	memcpy(dst, src, len + 1);
	return 0;
}

char *str_dup(const char *s)
{
	return s == NULL ? NULL : strdup(s);
}

int file_read_all(const char *path, size_t max, char **data_r, size_t *len_r, struct error *err)
{
	FILE *f = NULL;
	char *data = NULL;
	size_t len = 0, n;
	int ret = -1;

	f = fopen(path, "rb");
	if (f == NULL) {
		error_set(err, "%s", strerror(errno));
		goto out;
	}
	data = malloc(max + 1);
	if (data == NULL) {
		error_set(err, "out of memory");
		goto out;
	}
	while ((n = fread(data + len, 1, max + 1 - len, f)) > 0) {
		len += n;
		if (len > max) {
			error_set(err, "file too large");
			goto out;
		}
	}
	if (ferror(f)) {
		error_set(err, "read error");
		goto out;
	}
	data[len] = '\0';
	/* callers keep what they read (templates, rules, data files) and max is
	 * the bound, not the size: give the rest back */
	if (len < max) {
		char *fit = realloc(data, len + 1);

		if (fit != NULL)
			data = fit;
	}
	*data_r = data;
	data = NULL;
	if (len_r != NULL)
		*len_r = len;
	ret = 0;
out:
	free(data);
	if (f != NULL)
		fclose(f);
	return ret;
}

int secret_read_file(const char *path, char **secret_r, struct error *err)
{
	char real[PATH_MAX], *data = NULL;
	size_t len = 0;

	if (credential_path(path, real, sizeof(real), err) < 0)
		return -1;
	if (file_read_all(real, 4096, &data, &len, err) < 0)
		return -1;
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		data[--len] = '\0';
	if (len == 0) {
		free(data);
		error_set(err, "secret file is empty");
		return -1;
	}
	*secret_r = data;
	return 0;
}

void secret_free(char **secret)
{
	volatile char *p;

	if (*secret == NULL)
		return;
	for (p = (volatile char *)*secret; *p != '\0'; p++)
		*p = '\0';
	free(*secret);
	*secret = NULL;
}

uint64_t time_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void time_deadline(clockid_t clock, uint64_t ms, struct timespec *until_r)
{
	clock_gettime(clock, until_r);
	until_r->tv_sec += (time_t)(ms / 1000);
	until_r->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until_r->tv_nsec >= 1000000000L) {
		until_r->tv_sec++;
		until_r->tv_nsec -= 1000000000L;
	}
}
