/* SPDX-License-Identifier: MIT */
#include "agent/text/text_norm.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

/* U+FFFD, the replacement character, for bytes that are no UTF-8. */
static const uint8_t text_replacement[] = {0xef, 0xbf, 0xbd};

/* s[len] as valid UTF-8 with every format character (Cf) dropped, into a
 * new buffer of *len_r bytes. */
static uint8_t *text_clean(const uint8_t *s, size_t len, size_t *len_r)
{
	uint8_t *out = malloc(3 * len + 1);
	size_t i = 0, o = 0;
	ucs4_t uc;
	int n;

	if (out == NULL)
		return NULL;
	while (i < len) {
		n = u8_mbtoucr(&uc, s + i, len - i);
		if (n < 0) {
			memcpy(out + o, text_replacement, sizeof(text_replacement));
			o += sizeof(text_replacement);
			i++;
			continue;
		}
		if (uc != 0 && !uc_is_general_category(uc, UC_CATEGORY_Cf)) {
			memcpy(out + o, s + i, (size_t)n);
			o += (size_t)n;
		}
		i += (size_t)n;
	}
	out[o] = '\0';
	*len_r = o;
	return out;
}

/* Whether s[len] is ASCII: already NFKC (no ASCII character decomposes or
 * composes) and free of format characters (there are none in ASCII), so
 * text_norm() is a copy. Most business mail is, and the full path costs a
 * tenth of a draft's CPU (issue 14). */
static bool text_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)s[i] >= 0x80)
			return false;
	}
	return true;
}

char *text_norm(const char *s, size_t max)
{
	uint8_t *clean = NULL, *nfkc = NULL, *again = NULL;
	size_t len, clen = 0, nlen = 0, alen = 0;
	char *ret = NULL;

	if (s == NULL)
		s = "";
	if (max > TEXT_NORM_MAX)
		max = TEXT_NORM_MAX;
	len = strnlen(s, max);
	if (text_ascii(s, len)) {
		ret = malloc(len + 1);
		if (ret != NULL) {
			memcpy(ret, s, len);
			ret[len] = '\0';
		}
		return ret;
	}
	clean = text_clean((const uint8_t *)s, len, &clen);
	if (clean == NULL)
		goto out;
	nfkc = u8_normalize(UNINORM_NFKC, clean, clen, NULL, &nlen);
	if (nfkc == NULL)
		goto out;
	/* NFKC can produce format characters again (rare compatibility
	 * mappings): clean once more so the result holds no Cf at all */
	again = text_clean(nfkc, nlen, &alen);
	if (again == NULL)
		goto out;
	ret = (char *)again;
	again = NULL;
out:
	free(clean);
	free(nfkc);
	free(again);
	return ret;
}

int text_script(unsigned int c)
{
	const uc_script_t *sc;

	if (!uc_is_general_category(c, UC_CATEGORY_L))
		return 0;
	sc = uc_script(c);
	if (sc == NULL || strcmp(sc->name, "Common") == 0 || strcmp(sc->name, "Inherited") == 0)
		return 0;
	/* the scripts' table order is stable within one libunistring */
	return (int)(sc - uc_script(0x41)) + 1000;
}

bool text_mixed_script(const char *w, size_t len)
{
	const uint8_t *s = (const uint8_t *)w;
	size_t i = 0;
	int first = 0, sc, n;
	ucs4_t uc;

	while (i < len) {
		n = u8_mbtoucr(&uc, s + i, len - i);
		if (n < 0)
			return true; /* not even UTF-8: never a plain word */
		sc = text_script(uc);
		if (sc != 0 && first == 0)
			first = sc;
		else if (sc != 0 && sc != first)
			return true;
		i += (size_t)n;
	}
	return false;
}
