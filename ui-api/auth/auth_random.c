/* SPDX-License-Identifier: MIT */
#include "ui-api/auth/auth_random.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "daemon/lib/base64.h"

#define AUTH_TOKEN_BYTES_MAX 128

int auth_random(void *buf, size_t n)
{
	unsigned char *p = buf;
	ssize_t got;

	while (n > 0) {
		got = getrandom(p, n, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

int auth_random_token(size_t nbytes, char *out, size_t size)
{
	unsigned char raw[AUTH_TOKEN_BYTES_MAX];
	int ret = -1;

	if (size > 0)
		out[0] = '\0';
	if (nbytes == 0 || nbytes > sizeof(raw) || auth_random(raw, nbytes) < 0)
		goto out;
	ret = base64_encode(BASE64_URL, raw, nbytes, out, size);
out:
	explicit_bzero(raw, sizeof(raw));
	return ret;
}

bool auth_ct_equal(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char diff = 0;
	size_t i;

	for (i = 0; i < n; i++)
		diff |= x[i] ^ y[i];
	return diff == 0;
}

bool auth_ct_streq(const char *known, const char *b)
{
	size_t kn = strlen(known), bn = strlen(b), i;
	const volatile unsigned char *x = (const unsigned char *)known;
	const volatile unsigned char *y = (const unsigned char *)b;
	unsigned char diff = kn == bn ? 0 : 1;

	/* walk b whole, comparing with known cyclically: time follows bn only */
	for (i = 0; i < bn; i++)
		diff |= y[i] ^ (kn > 0 ? x[i % kn] : 0);
	return diff == 0;
}
