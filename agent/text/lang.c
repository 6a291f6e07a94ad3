/* SPDX-License-Identifier: MIT */
#include "agent/text/lang.h"

#include <pthread.h>
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
	size_t len = strnlen((const char *)s, LANG_TEXT_MAX), i = 0, o = 0, n;
	const char *rep;
	uint32_t cp;
	char *out;

	/* folding never grows a character: "ae", "oe", "ss" and "th" replace
	 * two-byte characters, everything else is one byte for at least one */
	out = malloc(len + 1);
	if (out == NULL)
		return NULL;
	while (i < len) {
		if (s[i] < 0x80) {
			out[o++] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
			i++;
			continue;
		}
		n = utf8_decode_lax(s + i, len - i, &cp);
		rep = NULL;
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
		if (rep != NULL) {
			size_t r = strlen(rep);

			memcpy(out + o, rep, r);
			o += r;
		} else {
			memcpy(out + o, s + i, n);
			o += n;
		}
		i += n;
	}
	out[o] = '\0';
	return out;
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

/* Every stopword once, with the languages whose list has it (bit i for
 * lang_profiles[i]), in an open-addressed table built on first use: each
 * word of each message is looked up, and a scan of the four lists per word
 * was a tenth of ingest's CPU. */
#define LANG_SLOTS 512 /* a power of two, over twice the stopwords */
static struct lang_slot {
	const char *word;
	unsigned char len, langs;
} lang_table[LANG_SLOTS];
static pthread_once_t lang_table_once = PTHREAD_ONCE_INIT;

static size_t lang_hash(const char *w, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)w[i]) * 16777619u;
	return h & (LANG_SLOTS - 1);
}

/* The slot of w[n], or the empty slot where it would go. */
static struct lang_slot *lang_slot_of(const char *w, size_t n)
{
	size_t h = lang_hash(w, n);

	while (lang_table[h].word != NULL &&
	       (lang_table[h].len != n || memcmp(lang_table[h].word, w, n) != 0))
		h = (h + 1) & (LANG_SLOTS - 1);
	return &lang_table[h];
}

static void lang_table_build(void)
{
	for (size_t i = 0; i < LANG_COUNT; i++) {
		for (const char *const *w = lang_profiles[i].stopwords; *w != NULL; w++) {
			struct lang_slot *sl = lang_slot_of(*w, strlen(*w));

			sl->word = *w;
			sl->len = (unsigned char)strlen(*w);
			sl->langs |= (unsigned char)(1u << i);
		}
	}
}

/* The languages whose stopword list has w[n] (n <= 16), as bits. */
static unsigned lang_word_langs(const char *w, size_t n)
{
	return lang_slot_of(w, n)->langs;
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
		if (s[i] < 0x80) { /* no ASCII letter counts */
			i++;
			continue;
		}
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
	unsigned langs;

	if (text == NULL)
		return "en";
	pthread_once(&lang_table_once, lang_table_build);
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
		langs = lang_word_langs(w, (size_t)(p - w));
		for (i = 0; langs != 0 && i < LANG_COUNT; i++)
			if ((langs & (1u << i)) != 0)
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
