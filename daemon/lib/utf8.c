/* SPDX-License-Identifier: MIT */
#include "daemon/lib/utf8.h"

#include <string.h>

size_t utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp_r)
{
	static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
	uint32_t cp;
	size_t n, i;

	if (s[0] < 0x80) {
		*cp_r = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n > avail)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) /* also stops at a NUL */
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*cp_r = cp;
	return n;
}

size_t utf8_decode_lax(const unsigned char *s, size_t avail, uint32_t *cp_r)
{
	size_t n = utf8_decode(s, avail, cp_r);

	if (n > 0)
		return n;
	*cp_r = 0xfffd;
	return 1;
}

bool utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	size_t i = 0, n;

	while (i < len) {
		if (p[i] < 0x80) { /* what utf8_decode() says of it, without the call */
			i++;
			continue;
		}
		n = utf8_decode(p + i, len - i, &cp);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

void utf8_scrub(char *s)
{
	unsigned char *p = (unsigned char *)s;
	size_t len = strlen(s), i = 0, n;
	uint32_t cp;

	while (i < len) {
		n = p[i] < 0x80 ? 1 : utf8_decode(p + i, len - i, &cp);
		if (n == 0) {
			p[i] = '?';
			n = 1;
		}
		i += n;
	}
}
