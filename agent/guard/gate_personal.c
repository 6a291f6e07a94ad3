/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/guard/gate_int.h"
#include "daemon/lib/util.h"

/* Phone numbers, street addresses and names of people in a draft. */

/* digits with + / 00 prefix, spaces, dashes, slashes, dots, brackets */
#define GATE_PHONE_RE \
	"(?<![\\w+.,/-])(?:\\+|00)?\\(?\\d[\\d ()/.\\x{2010}-\\x{2015}-]{5,24}\\d(?![\\w])"
#define GATE_DATE_RE \
	"^(?:\\d{4}-\\d{1,2}-\\d{1,2}|\\d{1,2}[./-]\\d{1,2}[./-]\\d{2,4}|\\d+[.,]\\d{1,2})$"

/* A street address or postcode in a draft, caseless: the alternatives of
 * one pattern, run as its parts (gate_each_alt()); the three slowest are
 * looked for only where their street word is. */
static const char *const gate_kind_words[] = {
	"street",
	"st.",
	"road",
	"rd",
	"avenue",
	"ave",
	"lane",
	"ln.",
	"drive",
	"boulevard",
	"blvd",
	"terrace",
	"crescent",
	"highway",
	"parkway",
	"quay",
	"wharf",
	"rue",
	"chemin",
	"allee",
	"all\xc3\xa9"
	"e",
	"all\xc3\x89"
	"e",
	"impasse",
	"quai",
	NULL,
};
static const char *const gate_strasse_words[] = {
	"str", "weg", "platz", "allee", "gasse", "damm", "ufer", "chaussee", NULL,
};
static const char *const gate_kind_names[] = {
	"street",  "road",     "avenue", "lane",    "drive", "quay",
	"terrace", "crescent", "wharf",  "gardens", NULL,
};
const struct gate_alt gate_street_alts[] = {
	/* 12 Harbour Road, 4a Mill Lane */
	{"\\b\\d{1,5}[a-z]?,?\\s+(?:[\\p{L}'.-]+\\s+){0,4}?(?:street|st\\.|road|rd\\.?|avenue|"
	 "ave\\.?|lane|ln\\.|drive|boulevard|blvd\\.?|terrace|crescent|highway|parkway|quay|wharf|"
	 "rue|chemin|all[ée]e|impasse|quai)\\b",
	 gate_kind_words, true},
	/* Hauptstraße 12, Am Ring 5 */
	{"\\b[\\p{L}-]*(?:stra(?:ß|ss)e|str\\.|weg|platz|allee|gasse|damm|ufer|chaussee)"
	 "\\s+\\d{1,4}[a-z]?\\b",
	 gate_strasse_words, false},
	/* Calle Mayor 5, Rue de la Paix 3 */
	{"\\b(?:calle|c/|avenida|avda\\.?|paseo|plaza|carrer|camino|carretera|rue|chemin|"
	 "via|viale|piazza)\\s+(?:[\\p{L}'.-]+\\s+){0,4}?\\d{1,4}\\b",
	 NULL, false},
	/* Quay Street 4, Baker Street: a capitalised name before the kind */
	{"(?-i:\\b\\p{Lu}[\\p{L}'-]+[ \\t]+(?:Street|Road|Avenue|Lane|Drive|Quay|Terrace|"
	 "Crescent|Wharf|Gardens)\\b)",
	 gate_kind_names, true},
	/* Irish Eircodes: T12 X8Y2 */
	{"(?-i:\\b[AC-FHKNPRTV-Y]\\d{2}[ \\t][AC-FHKNPRTV-Y0-9]{4}\\b)", NULL, false},
	/* postcodes: D-12345 City, 12345 City, SW1A 1AA, 75008 Paris (on one
	 * line: "ref. 27600" ending a subject is not a town's postcode) */
	{"(?-i:\\b(?:D|A|CH|F|E|NL|B|L|I|DK|S|N|PL|CZ)-\\d{4,5}[ \\t]+\\p{Lu}\\p{Ll}+)", NULL,
	 false},
	{"(?<![\\d.,/-])\\d{5}[ \\t]+(?!(?:euros?|eur|st[uü]ck|stk|pieces|units|pcs|tage|d[ií]as|"
	 "jours|days)\\b)\\p{Lu}\\p{Ll}{2,}",
	 NULL, false},
	{"(?-i:\\b[A-Z]{1,2}\\d[A-Z\\d]?\\s\\d[A-Z]{2}\\b)", NULL, false},
	/* P.O. Box 12, Postfach 12 */
	{"\\b(?:p\\.?\\s?o\\.?\\s+box|postfach|apartado(?:\\s+de\\s+correos)?|bo[iî]te\\s+postale)"
	 "\\s+\\d+",
	 NULL, false},
};
const size_t gate_street_alts_count = ARRAY_SIZE(gate_street_alts);

/* Group 1: the name after an honorific or a salutation (one pattern's
 * three alternatives, the name's group written out in each). */
#define GATE_NAME "((?:\\p{Lu}[\\p{L}'-]*\\.?[ \\t]*){1,4})"
const struct gate_alt gate_name_alts[] = {
	{"\\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Herr|Herrn|Frau|Sr|Sra|Srta|Don|Doña|Mme|Mlle|"
	 "Monsieur|Madame|Señor|Señora)\\.?[ \\t]+" GATE_NAME,
	 NULL, false},
	{"\\bM\\.[ \\t]+" GATE_NAME, NULL, false},
	{"(?m:^)[ \\t]*(?:Dear|Hello|Hi|Hey|Good\\s+(?:morning|afternoon|day)|Hallo|Liebe[rs]?|"
	 "Sehr\\s+geehrte[rs]?|Guten\\s+Tag|Moin|Servus|Estimad[oa]s?|Hola|Querid[oa]s?|"
	 "Buenos\\s+d[ií]as|Bonjour|Cher|Ch[èe]re|Salut|Bonsoir)[ \\t]+" GATE_NAME,
	 NULL, false},
};
const size_t gate_name_alts_count = ARRAY_SIZE(gate_name_alts);

/* Words a salutation may hold that are nobody's name. */
static const char *const gate_not_names[] = {
	"sir",     "madam",    "madame",   "monsieur",  "customer",   "customers", "team",
	"all",     "there",    "everyone", "colleague", "colleagues", "friend",    "friends",
	"partner", "partners", "damen",    "herren",    "und",        "kunde",     "kundin",
	"kunden",  "team",     "cliente",  "clientes",  "client",     "cliente",   "senor",
	"señor",   "señora",   "señores",  "mesdames",  "messieurs",  "mr",        "mrs",
	"ms",      "dr",       "herr",     "herrn",     "frau",       "sr",        "sra",
	"mme",     "m",        "support",  "service",   "sales",      "buyer",     "purchasing",
	"einkauf", "compras",  "achats",
};

static void gate_phone_hit(struct gate_ctx *c, size_t s, size_t e, size_t g1s, size_t g1e)
{
	const char *t = c->text + s;
	size_t n = e - s, i, digits = 0;
	pcre2_code *date;
	bool is_date;

	(void)g1s;
	(void)g1e;
	for (i = 0; i < n; i++)
		if (t[i] >= '0' && t[i] <= '9')
			digits++;
	if (digits < 7 || digits > 15)
		return;
	/* "Art.-Nr. 22108 / 23219" in the customer's own subject, echoed as
	 * "Re: ...": what they wrote goes back to them, nothing new */
	if (e <= c->subject_end && gate_customer_wrote(c, t, n))
		return;
	date = gate_compile(c, GATE_DATE_RE, false);
	if (date == NULL)
		return;
	is_date = regex_match(date, (PCRE2_SPTR)t, n, 0, 0, c->md, NULL) >= 0;
	if (is_date || gate_digits_in_facts(c, t, n))
		return;
	for (i = 0; i < c->in->phones_count; i++) {
		if (c->in->phones[i] == NULL)
			continue;
		if (gate_digits_match(t, n, c->in->phones[i]))
			return;
	}
	gate_flag(c, "%.*s is no phone number of the facts or the signature",
		  (int)(n < 40 ? n : 40), t);
}

void gate_phones(struct gate_ctx *c)
{
	pcre2_code *re = gate_compile(c, GATE_PHONE_RE, false);

	gate_each(c, re, false, gate_phone_hit);
}

static void gate_street_hit(struct gate_ctx *c, size_t s, size_t e, size_t g1s, size_t g1e)
{
	(void)g1s;
	(void)g1e;
	if (gate_customer_wrote(c, c->text + s, e - s))
		return;
	gate_flag(c, "\"%.*s\" looks like a postal address the customer did not write",
		  (int)(e - s < 60 ? e - s : 60), c->text + s);
}

/* Whether word w[n] is part of the customer's display name, the customer's
 * own text, or a word no name is made of. */
static bool gate_name_ok(struct gate_ctx *c, const char *w, size_t n)
{
	const char *name = c->in->customer_name, *p;
	size_t i, k;

	while (n > 0 && (w[n - 1] == '.' || w[n - 1] == '\''))
		n--;
	if (n == 0)
		return true;
	for (i = 0; i < ARRAY_SIZE(gate_not_names); i++)
		if (strlen(gate_not_names[i]) == n && strncasecmp(gate_not_names[i], w, n) == 0)
			return true;
	for (p = name; p != NULL && *p != '\0'; p += k) {
		p += strspn(p, " \t,.\"'<>()");
		k = strcspn(p, " \t,.\"'<>()");
		if (k == n && strncasecmp(p, w, n) == 0)
			return true;
	}
	return gate_customer_wrote(c, w, n);
}

static void gate_name_hit(struct gate_ctx *c, size_t s, size_t e, size_t g1s, size_t g1e)
{
	const char *p = c->text + g1s, *end = c->text + g1e;
	size_t k;

	(void)s;
	(void)e;
	while (p < end) {
		p += strspn(p, " \t");
		if (p >= end)
			break;
		k = strcspn(p, " \t");
		if (p + k > end)
			k = (size_t)(end - p);
		if (!gate_name_ok(c, p, k)) {
			gate_flag(c, "the name \"%.*s\" is not the customer's",
				  (int)(g1e - g1s < 60 ? g1e - g1s : 60), c->text + g1s);
			return;
		}
		p += k;
	}
}

void gate_personal(struct gate_ctx *c)
{
	gate_each_alt(c, gate_street_alts, gate_street_alts_count, true, false, gate_street_hit);
	gate_each_alt(c, gate_name_alts, gate_name_alts_count, false, false, gate_name_hit);
}
