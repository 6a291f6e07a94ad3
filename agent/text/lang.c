/* SPDX-License-Identifier: MIT */
#include "agent/text/lang.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/lib/buf.h"
#include "daemon/lib/utf8.h"

/* Latin-1 letters U+00C0..U+00FF folded to lower-case ASCII. */
static const char *const lang_latin1[64] = {
	"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
	"d", "n", "o", "o", "o", "o", "o",  "x", "o", "u", "u", "u", "u", "y", "th", "ss",
	"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
	"d", "n", "o", "o", "o", "o", "o",  "/", "o", "u", "u", "u", "u", "y", "th", "y",
};

/* Characters that only hide or split words. */
static bool lang_invisible(uint32_t cp)
{
	return cp == 0x00ad || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2060 && cp <= 0x2064) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff ||
	       (cp >= 0xe0000 && cp <= 0xe007f);
}

char *lang_fold(const char *text)
{
	const unsigned char *s = (const unsigned char *)(text != NULL ? text : "");
	size_t len = strnlen((const char *)s, LANG_TEXT_MAX), i = 0, n;
	const char *rep;
	struct buf out;
	uint32_t cp;
	char c;

	/* folding never grows a character by more than 2 bytes per byte */
	buf_init(&out, 2 * len + 1);
	if (buf_append(&out, "", 0) < 0)
		return NULL;
	while (i < len) {
		n = utf8_decode_lax(s + i, len - i, &cp);
		rep = NULL;
		if (cp < 0x80) {
			c = (char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
			if (buf_append(&out, &c, 1) < 0)
				goto fail;
			i += n;
			continue;
		}
		if (cp >= 0xc0 && cp <= 0xff)
			rep = lang_latin1[cp - 0xc0];
		else if (cp == 0x152 || cp == 0x153)
			rep = "oe";
		else if (cp == 0x2018 || cp == 0x2019 || cp == 0x201a || cp == 0x2032)
			rep = "'";
		else if (cp == 0x201c || cp == 0x201d || cp == 0x201e || cp == 0xab || cp == 0xbb)
			rep = "\"";
		else if (cp == 0x2010 || cp == 0x2011 || cp == 0x2013 || cp == 0x2014)
			rep = "-";
		else if (cp == 0xa0 || cp == 0x202f || cp == 0xfffd)
			rep = " ";
		else if (lang_invisible(cp))
			rep = "";
		if (rep != NULL ? buf_append_str(&out, rep) < 0 : buf_append(&out, s + i, n) < 0)
			goto fail;
		i += n;
	}
	return buf_steal(&out);
fail:
	buf_free(&out);
	return NULL;
}

struct lang_profile {
	const char *code;
	const char *const *stopwords;
};

/* Frequent function words, folded as lang_fold() folds them. Words that two
 * languages share count for both; the unshared ones decide. */
static const char *const lang_en[] = {
	"the",    "and",   "to",    "of",    "is",   "you",   "your",    "we",     "for",
	"please", "can",   "could", "would", "with", "this",  "that",    "have",   "our",
	"are",    "it",    "on",    "in",    "hi",   "hello", "regards", "thanks", "thank",
	"be",     "will",  "not",   "from",  "my",   "me",    "i",       "if",     "any",
	"what",   "there", "dear",  "kind",  NULL,
};
static const char *const lang_de[] = {
	"der",  "die",     "das",   "und",    "ist",   "nicht",   "wir",    "sie",     "ihr",
	"ihre", "ihnen",   "bitte", "fur",    "mit",   "von",     "zu",     "den",     "dem",
	"ein",  "eine",    "uns",   "unsere", "unser", "auf",     "vielen", "dank",    "grusse",
	"sehr", "geehrte", "hallo", "guten",  "tag",   "mochten", "konnen", "konnten", "noch",
	"auch", "bei",     "ich",   "wie",    "sind",  "wird",    "haben",  "zum",     "zur",
	"des",  "oder",    "uber",  NULL,
};
static const char *const lang_es[] = {
	"el",      "la",      "los",   "las",  "de",   "del",     "que",     "y",
	"en",      "por",     "para",  "con",  "una",  "un",      "es",      "no",
	"nuestro", "nuestra", "su",    "sus",  "hola", "gracias", "saludos", "estimados",
	"buenos",  "dias",    "quedo", "les",  "se",   "lo",      "al",      "podemos",
	"tienen",  "muy",     "pero",  "como", "este", "esta",    "usted",   NULL,
};
static const char *const lang_fr[] = {
	"le",    "la",   "les",   "de",      "des",    "du",           "et",   "est",  "pour",
	"nous",  "vous", "votre", "vos",     "une",    "un",           "en",   "avec", "sur",
	"pas",   "que",  "qui",   "bonjour", "merci",  "cordialement", "dans", "au",   "aux",
	"notre", "nos",  "ce",    "cette",   "madame", "monsieur",     "je",   "il",   "sont",
	"mais",  "ou",   "tres",  "d",       NULL,
};

static const struct lang_profile lang_profiles[] = {
	{"en", lang_en},
	{"de", lang_de},
	{"es", lang_es},
	{"fr", lang_fr},
};
#define LANG_COUNT (sizeof(lang_profiles) / sizeof(lang_profiles[0]))

/* w[n] (no NUL inside) is one of list's words. Every word of every
 * message is looked up in every list: the first byte rejects most entries
 * and strncmp() stops at the entry's end, where strlen() of each entry was
 * a tenth of ingest's CPU. */
static bool lang_word_in(const char *w, size_t n, const char *const *list)
{
	size_t i;

	for (i = 0; list[i] != NULL; i++)
		if (list[i][0] == w[0] && strncmp(list[i], w, n) == 0 && list[i][n] == '\0')
			return true;
	return false;
}

static bool lang_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/* Letters that belong to one language (on the unfolded text): a few of them
 * outweigh a stopword, as short texts have few stopwords. */
static void lang_letters(const char *text, double score[LANG_COUNT])
{
	const unsigned char *s = (const unsigned char *)text;
	size_t len = strnlen(text, LANG_TEXT_MAX), i = 0;
	double de = 0, es = 0, fr = 0;
	uint32_t cp;

	while (i < len) {
		i += utf8_decode_lax(s + i, len - i, &cp);
		if (cp == 0xdf || cp == 0xe4 || cp == 0xf6 || cp == 0xfc || cp == 0xc4 ||
		    cp == 0xd6 || cp == 0xdc)
			de += 1;
		else if (cp == 0xf1 || cp == 0xd1 || cp == 0xbf || cp == 0xa1)
			es += 2;
		else if (cp == 0xe1 || cp == 0xed || cp == 0xf3 || cp == 0xfa)
			es += 0.5;
		else if (cp == 0xe7 || cp == 0xe8 || cp == 0xea || cp == 0xe0 || cp == 0xf9 ||
			 cp == 0xee || cp == 0xf4 || cp == 0x153)
			fr += 1;
		else if (cp == 0xe9)
			fr += 0.3;
	}
	/* capped: a German name in an English mail is not a German mail */
	score[1] += de < 6 ? de : 6;
	score[2] += es < 6 ? es : 6;
	score[3] += fr < 6 ? fr : 6;
}

const char *lang_detect(const char *text)
{
	double score[LANG_COUNT] = {0};
	const char *p, *w;
	char *folded;
	size_t i, best = 0;

	if (text == NULL)
		return "en";
	folded = lang_fold(text);
	if (folded == NULL)
		return "en";
	for (p = folded; *p != '\0';) {
		while (*p != '\0' && !lang_alnum((unsigned char)*p))
			p++;
		w = p;
		while (lang_alnum((unsigned char)*p))
			p++;
		if (p == w || p - w > 16)
			continue;
		for (i = 0; i < LANG_COUNT; i++)
			if (lang_word_in(w, (size_t)(p - w), lang_profiles[i].stopwords))
				score[i] += 1;
	}
	free(folded);
	lang_letters(text, score);
	for (i = 1; i < LANG_COUNT; i++)
		if (score[i] > score[best])
			best = i;
	return lang_profiles[best].code;
}

char *lang_join(const char *subject, const char *text)
{
	struct buf b;

	if (subject == NULL)
		subject = "";
	if (text == NULL)
		text = "";
	buf_init(&b, 2 * LANG_TEXT_MAX + 2);
	if (buf_append(&b, subject, strnlen(subject, LANG_TEXT_MAX)) < 0 ||
	    buf_append(&b, "\n", 1) < 0 || buf_append(&b, text, strnlen(text, LANG_TEXT_MAX)) < 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

const char *lang_detect_message(const char *subject, const char *text)
{
	char *joined = lang_join(subject, text);
	const char *lang = NULL;

	if (joined != NULL)
		lang = lang_detect(joined);
	free(joined);
	return lang;
}
