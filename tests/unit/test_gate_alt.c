/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/guard/gate_int.h"
#include "agent/text/text_norm.h"
#include "daemon/lib/buf.h"
#include "daemon/lib/util.h"
#include "harness.h"

/* gate_each_alt() (issue 14: the personal-data gate's patterns run as
 * their alternatives) must find exactly what gate_each() finds with the
 * one pattern "a0|a1|...", match for match (start, end, group 1), on any
 * text: the fixed cases below and random texts made of address, name,
 * salutation and number fragments, disguised as the gates' input can be
 * (case, fullwidth forms, the Kelvin sign and the long s, no-break and
 * other spaces), normalised as gate_check() normalises. A literal an
 * alternative is said to need must be in every text where it matches.
 * DRAFTD_TEST_SEED replays a run (the seed is printed on a failure);
 * DRAFTD_GATE_ROUNDS sets the rounds (make test-long runs more). */

#define ROUNDS_DEFAULT 400
#define HITS_MAX       64

struct hits {
	size_t n;
	size_t v[HITS_MAX][4];
};

static struct hits *hits_now;

static void hit(struct gate_ctx *c, size_t s, size_t e, size_t g1s, size_t g1e)
{
	(void)c;
	if (hits_now->n < HITS_MAX) {
		hits_now->v[hits_now->n][0] = s;
		hits_now->v[hits_now->n][1] = e;
		hits_now->v[hits_now->n][2] = g1s;
		hits_now->v[hits_now->n][3] = g1e;
	}
	hits_now->n++;
}

/* The pattern the alternatives were cut from, "(?|a0|a1|...)": a branch
 * reset group numbers each alternative's groups from 1, as the one group
 * after "(?:a0|a1|...)" was. NULL when out of memory. */
static char *alt_union(const struct gate_alt *alts, size_t n)
{
	struct buf b;

	buf_init(&b, 64 * 1024);
	if (buf_append(&b, "(?|", 3) < 0)
		goto oom;
	for (size_t i = 0; i < n; i++) {
		if ((i > 0 && buf_append(&b, "|", 1) < 0) ||
		    buf_append(&b, alts[i].re, strlen(alts[i].re)) < 0)
			goto oom;
	}
	if (buf_append(&b, ")", 1) < 0)
		goto oom;
	return buf_steal(&b);
oom:
	buf_free(&b);
	return NULL;
}

/* Runs both ways over text (normalised here); 0 when they agree, else 1
 * with what differed in why. groups: the alternatives have a group 1 (the
 * ovector past a pattern's groups holds whatever an earlier match left). */
static int alt_compare(const struct gate_alt *alts, size_t n, bool caseless, bool on_lower,
		       bool groups, const char *raw, char *why, size_t why_size)
{
	struct gate_ctx c;
	struct guard_result out;
	struct hits one, parts;
	char *pattern = alt_union(alts, n);
	pcre2_code *re;
	int ret = 1;

	memset(&c, 0, sizeof(c));
	memset(&out, 0, sizeof(out));
	memset(&one, 0, sizeof(one));
	memset(&parts, 0, sizeof(parts));
	c.out = &out;
	c.name = "test";
	c.text = text_norm(raw, TEXT_NORM_MAX);
	c.md = pcre2_match_data_create(8, NULL);
	if (pattern == NULL || c.text == NULL || c.md == NULL) {
		snprintf(why, why_size, "out of memory");
		goto out;
	}
	c.len = strlen(c.text);
	c.lower = strdup(c.text);
	if (c.lower == NULL)
		goto out;
	for (size_t i = 0; i < c.len; i++)
		if (c.lower[i] >= 'A' && c.lower[i] <= 'Z')
			c.lower[i] = (char)(c.lower[i] - 'A' + 'a');
	re = gate_compile(&c, pattern, caseless);
	hits_now = &one;
	gate_each(&c, re, on_lower, hit);
	hits_now = &parts;
	gate_each_alt(&c, alts, n, caseless, on_lower, hit);
	if (c.failed) {
		snprintf(why, why_size, "a pattern did not compile");
		goto out;
	}
	if (one.n != parts.n) {
		snprintf(why, why_size, "%zu matches as one pattern, %zu as its parts", one.n,
			 parts.n);
		goto out;
	}
	for (size_t i = 0; i < one.n && i < HITS_MAX; i++) {
		if (memcmp(one.v[i], parts.v[i], (groups ? 4 : 2) * sizeof(one.v[i][0])) != 0) {
			snprintf(why, why_size,
				 "match %zu: [%zu,%zu) group [%zu,%zu) vs [%zu,%zu) [%zu,%zu)", i,
				 one.v[i][0], one.v[i][1], one.v[i][2], one.v[i][3], parts.v[i][0],
				 parts.v[i][1], parts.v[i][2], parts.v[i][3]);
			goto out;
		}
	}
	ret = 0;
out:
	pcre2_match_data_free(c.md);
	free(c.text);
	free(c.lower);
	free(pattern);
	return ret;
}

/* Every pattern run as its parts, as its gate runs it. */
static const struct {
	const char *name;
	const struct gate_alt *alts;
	const size_t *count;
	bool caseless, on_lower, groups;
} alt_patterns[] = {
	{"street", gate_street_alts, &gate_street_alts_count, true, false, false},
	{"name", gate_name_alts, &gate_name_alts_count, false, false, true},
	{"promise", gate_promise_alts, &gate_promise_alts_count, true, true, false},
	{"amount", gate_amount_alts, &gate_amount_alts_count, true, false, true},
};

/* 0 when every pattern agrees on raw, else 1 with the pattern and what
 * differed in why. */
static int alt_compare_all(const char *raw, char *why, size_t why_size)
{
	char one[200];

	for (size_t i = 0; i < ARRAY_SIZE(alt_patterns); i++) {
		if (alt_compare(alt_patterns[i].alts, *alt_patterns[i].count,
				alt_patterns[i].caseless, alt_patterns[i].on_lower,
				alt_patterns[i].groups, raw, one, sizeof(one)) != 0) {
			snprintf(why, why_size, "%s: %s", alt_patterns[i].name, one);
			return 1;
		}
	}
	return 0;
}

static const char *const alt_fixed[] = {
	"",
	"Dear Niamh Brennan,\n\nHP-21004: 4 x EUR 7.40 = EUR 29.60, lead time 4 days.\n\nKind "
	"regards,\nHarbor Parts Co. sales team",
	"We sent it to 7 Harbour Road, Cork.",
	"Send it to Calle Mayor 5, Madrid, or Hauptstraße 12, 20095 Hamburg.",
	"The pumps went to Harbour Street 4, Westport. We ship to Cork T12 X8Y2.",
	"Postfach 12, D-20095 Hamburg; P.O. Box 77; SW1A 1AA London; 75008 Paris",
	"As we told Mr. Henderson and M. Dupont, Frau Müller: Sehr geehrte Frau Weber,",
	"Hello Priya Nair,\nGood  morning Anna\nBonjour Chère Amélie\nHi there",
	"12 Rue de la Paix; 4a Mill Lane; 3 Allée des Pins; 9 ALLÉE VERTE; 5 rd. Main",
	"HAUPTSTRASSE 3, Am Ring 5, Gartenweg 7a, Marktplatz 1, Ku\xe2\x84\xaa"
	"damm 21, \xc5\xbftraße 4",
	"200 x HP-20115, 12345 pieces, 12345 Euros, 27600 Tage, 10115 Berlin",
	"Quay\xc2\xa0Street 4, 14\xe1\x9a\x80Quay Street, 7\xe2\x80\x83Harbour Road",
	/* one street word each: an alternative whose literals missed it shows */
	"14 Harbour Street",
	"3 Mill St. North",
	"9 Dock Rd",
	"2 Elm Ave.",
	"5 Sea Lane",
	"1 Pier Ln.",
	"8 Bay Drive",
	"4 Grand Boulevard",
	"6 Sun Blvd",
	"7 Hill Terrace",
	"2 Moon Crescent",
	"3 Coast Highway",
	"4 Lake Parkway",
	"5 Old Quay",
	"6 New Wharf",
	"7 rue Haute",
	"8 Chemin Vert",
	"9 Allee Verte",
	"1 allée verte",
	"2 ALLÉE VERTE",
	"3 Impasse Bleue",
	"4 Quai Sud",
	"Hauptstraße 12",
	"Hauptstrasse 12",
	"Hauptstr. 12",
	"Gartenweg 7",
	"Marktplatz 1",
	"Lindenallee 3",
	"Judengasse 4",
	"Kudamm 5",
	"Elbufer 6",
	"Berliner Chaussee 7",
	"Baker Street",
	"Abbey Road",
	"Park Avenue",
	"Penny Lane",
	"Ocean Drive",
	"Dock Quay",
	"Royal Terrace",
	"Moon Crescent",
	"Canary Wharf",
	"Kew Gardens",
	/* money */
	"A 10% discount, 12,5 % off, 3 per cent, 4 percent, 5 Prozent, 6 por ciento, 7 pour cent",
	"a refund, a credit note, store credit, free of charge, at no extra cost, cashback, "
	"Rabatt, Gutschrift, rückerstattet, Kulanz, descuento, nota de crédito, remboursement, "
	"un avoir, bon d'achat, geste commercial, dédommagement",
	"$ 12.50, USD 12, 12 GBP, £5, CHF 40, 12 dollars, 1.234,56 francs, 7 yen, 3 btc, "
	"₹ 99, 15 CHFs, 1'200 CHF, 3.95 EUR",
	"US$ 12 and 12 US$; 12pounds; pounds 12; 5 ¥; JPY 1 000 000",
};

static void test_gate_alt_fixed(void)
{
	char why[256];

	for (size_t i = 0; i < ARRAY_SIZE(alt_fixed); i++) {
		if (alt_compare_all(alt_fixed[i], why, sizeof(why)) != 0) {
			fprintf(stderr, "\ngate alt: case %zu: %s\n", i, why);
			CU_FAIL("gate_each_alt() and gate_each() differ");
		}
	}
}

static uint64_t alt_rnd_state;

static unsigned int alt_below(unsigned int n)
{
	return (unsigned int)(test_rand(&alt_rnd_state) % n);
}

static const char *const alt_pieces[] = {
	"12",
	"4a",
	"7",
	"20095",
	"75008",
	"D-",
	"CH-",
	"T12",
	"X8Y2",
	"SW1A",
	"1AA",
	" ",
	"  ",
	"\t",
	"\n",
	", ",
	". ",
	"-",
	"'",
	"/",
	"c/",
	"Harbour",
	"Mill",
	"Quay",
	"Baker",
	"Street",
	"street",
	"STREET",
	"St.",
	"Road",
	"rd",
	"Rd.",
	"Avenue",
	"ave",
	"Lane",
	"ln.",
	"Drive",
	"Boulevard",
	"blvd.",
	"Terrace",
	"Crescent",
	"Highway",
	"Parkway",
	"Wharf",
	"Gardens",
	"Rue",
	"rue",
	"Chemin",
	"Allée",
	"allee",
	"ALLÉE",
	"Impasse",
	"Quai",
	"Hauptstraße",
	"STRASSE",
	"strasse",
	"str.",
	"Gartenweg",
	"Marktplatz",
	"Lindenallee",
	"Gasse",
	"Kudamm",
	"Ufer",
	"Chaussee",
	"Calle",
	"Avenida",
	"avda.",
	"Paseo",
	"Plaza",
	"Carrer",
	"Camino",
	"Carretera",
	"Via",
	"Viale",
	"Piazza",
	"Mayor",
	"de la",
	"Paix",
	"Hamburg",
	"Berlin",
	"Paris",
	"London",
	"Cork",
	"Madrid",
	"Euros",
	"pieces",
	"Tage",
	"days",
	"P.O. Box",
	"po box",
	"Postfach",
	"Apartado de correos",
	"Boîte postale",
	"Dear",
	"Hello",
	"Hi",
	"Hey",
	"Good morning",
	"Hallo",
	"Liebe",
	"Sehr geehrte",
	"Guten Tag",
	"Moin",
	"Estimado",
	"Hola",
	"Buenos días",
	"Bonjour",
	"Chère",
	"Salut",
	"Mr",
	"Mrs.",
	"Dr.",
	"Herr",
	"Frau",
	"Sra.",
	"Doña",
	"Mme",
	"M.",
	"Monsieur",
	"Señora",
	"Niamh",
	"Brennan",
	"O'Neill",
	"Müller",
	"Émile",
	"regards",
	"have",
	"all",
	"true",
	"distributor",
	"strong",
	"EUR 7.40",
	"HP-21004",
	"SO-204518",
	"\xc2\xa0",     /* no-break space */
	"\xe1\x9a\x80", /* Ogham space mark: \s, no NFKC mapping */
	"\xe2\x80\x83", /* em space */
	"\xe2\x84\xaa", /* Kelvin sign: K after NFKC */
	"\xc5\xbf",     /* long s: s after NFKC */
	"\xef\xbc\x93", /* fullwidth 3 */
	"\xd9\xa3",     /* Arabic-Indic 3: \d with UCP */
	"\xe1\xba\x9e", /* capital sharp s */
	"\xe2\x80\x8b", /* zero-width space: removed */
	"%",
	" %",
	"per cent",
	"percent",
	"prozent",
	"por ciento",
	"pour cent",
	"discount",
	"refunds",
	"credit note",
	"free of charge",
	"at no additional charge",
	"waived",
	"Gutschein",
	"kostenlos",
	"reembolso",
	"gratuit",
	"rembourser",
	"avoir",
	"$",
	"USD",
	"US$",
	"£",
	"GBP",
	"CHF",
	"¥",
	"₹",
	"dollars",
	"pound",
	"francs",
	"yen",
	"btc",
	"12.50",
	"1,234.56",
	"1'200",
	"0",
	"3 000",
};

static void test_gate_alt_random(void)
{
	const char *env = getenv("DRAFTD_TEST_SEED");
	const char *rs = getenv("DRAFTD_GATE_ROUNDS");
	uint64_t seed = 0, rounds = 0;
	char text[2048], why[256];
	size_t len, k;
	int bad = 0;

	if (env == NULL || parse_u64(env, UINT64_MAX, &seed) < 0 || seed == 0)
		seed = ((uint64_t)time(NULL) << 16) ^ (uint64_t)clock() ^ 0x243f6a8885a308d3ULL;
	if (rs == NULL || parse_u64(rs, 10000000, &rounds) < 0 || rounds == 0)
		rounds = ROUNDS_DEFAULT;
	alt_rnd_state = seed;
	for (uint64_t r = 0; r < rounds && bad == 0; r++) {
		len = 0;
		text[0] = '\0';
		/* short texts too: one street word alone shows a missing literal */
		for (unsigned int i = 0, n = 2 + alt_below(alt_below(2) == 0 ? 6 : 40); i < n;
		     i++) {
			const char *p = alt_pieces[alt_below(ARRAY_SIZE(alt_pieces))];

			k = strlen(p);
			if (len + k + 2 >= sizeof(text))
				break;
			memcpy(text + len, p, k);
			len += k;
			if (alt_below(3) == 0)
				text[len++] = ' ';
			text[len] = '\0';
		}
		if (alt_compare_all(text, why, sizeof(why)) != 0) {
			fprintf(stderr,
				"\ngate alt random: seed %" PRIu64 ", round %" PRIu64
				" (replay: DRAFTD_TEST_SEED=%" PRIu64 "): %s\ntext: %s\n",
				seed, r, seed, why, text);
			bad = 1;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
}

static const struct test_case gate_alt_cases[] = {
	{"the patterns' parts find what the one pattern finds: fixed texts", test_gate_alt_fixed},
	{"... and random texts (seeded)", test_gate_alt_random},
	{NULL, NULL},
};
TEST_SUITE("gate_alt", NULL, NULL, gate_alt_cases)
