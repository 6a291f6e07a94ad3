/* SPDX-License-Identifier: MIT */
#include "agent/template/greeting.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/text/lang.h"
#include "daemon/lib/util.h"

#define GREETING_WORDS_MAX 8

/* Words that make a display name an organisation, a department or a role
 * (folded: lower case, no accents). */
static const char *const greeting_org_words[] = {
	"gmbh",         "ag",
	"kg",           "ohg",
	"gbr",          "ug",
	"mbh",          "ltd",
	"limited",      "llc",
	"inc",          "corp",
	"co",           "company",
	"plc",          "sa",
	"sl",           "sarl",
	"sas",          "srl",
	"spa",          "bv",
	"nv",           "ab",
	"oy",           "aps",
	"kft",          "sro",
	"lda",          "cie",
	"team",         "support",
	"service",      "services",
	"sales",        "purchasing",
	"procurement",  "einkauf",
	"verkauf",      "vertrieb",
	"buchhaltung",  "accounts",
	"accounting",   "payable",
	"receivable",   "billing",
	"invoices",     "invoicing",
	"rechnungen",   "rechnungswesen",
	"finance",      "finanzen",
	"office",       "info",
	"admin",        "administration",
	"department",   "abteilung",
	"dept",         "compras",
	"ventas",       "administracion",
	"facturacion",  "contabilidad",
	"achats",       "comptabilite",
	"ventes",       "logistics",
	"logistik",     "warehouse",
	"lager",        "gruppe",
	"group",        "industries",
	"industrie",    "engineering",
	"systems",      "solutions",
	"shop",         "store",
	"customer",     "customers",
	"kundendienst", "kundenservice",
	"noreply",      "reply",
	"mailer",       "daemon",
	"newsletter",   "marketing",
	"hr",           "werk",
	"werke",        "manufacturing",
	"holding",      "international",
	"trading",      "handel",
	"gesellschaft", "sociedad",
	"societe",      "maintenance",
	"workshop",     "werkstatt",
	"taller",       "atelier",
	"contact",      "kontakt",
	"contacto",     "orders",
	"bestellungen", "pedidos",
	"commandes",    "helpdesk",
	"hotline",      "zentrale",
	"reception",    "empfang",
	"recepcion",    "accueil",
	"studio",       "farm",
	"farms",        "bakery",
	"restaurant",
};
/* Endings of German and other compounds that name a business. */
static const char *const greeting_org_endings[] = {
	"bau",    "technik", "werke", "handel", "logistik", "hydraulik", "pneumatik",  "automation",
	"tronic", "tec",     "tech",  "markt",  "service",  "systeme",   "industries",
};
/* Lower-case particles of names: "Ludwig van Beethoven", "María de la Cruz". */
static const char *const greeting_particles[] = {
	"von", "van", "de", "del", "della", "di",  "da",  "dos", "das", "du", "le",
	"la",  "y",   "zu", "ter", "ten",   "den", "der", "bin", "al",  "e",
};
/* Titles that may stand before a single name: "Dr. Schmidt", "Ms Keller". */
static const char *const greeting_titles[] = {
	"dr",  "prof", "mr", "mrs", "ms",   "miss", "herr", "frau", "sr",
	"sra", "srta", "m",  "mme", "mlle", "ing",  "dipl", "mag",  "dott",
};

static bool greeting_in(const char *w, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(w, list[i]) == 0)
			return true;
	}
	return false;
}

/* The folded form of word[len] (lower case, no accents, no dots), in out. */
static void greeting_fold(const char *word, size_t len, char *out, size_t size)
{
	char tmp[GREETING_NAME_MAX], *f;
	size_t i, k = 0;

	snprintf(tmp, sizeof(tmp), "%.*s", (int)len, word);
	f = lang_fold(tmp);
	if (f == NULL) {
		out[0] = '\0';
		return;
	}
	for (i = 0; f[i] != '\0' && k + 1 < size; i++) {
		if (f[i] != '.')
			out[k++] = f[i];
	}
	out[k] = '\0';
	free(f);
}

static bool greeting_org(const char *folded)
{
	size_t n = strlen(folded), e, i;

	if (greeting_in(folded, greeting_org_words, ARRAY_SIZE(greeting_org_words)))
		return true;
	for (i = 0; i < ARRAY_SIZE(greeting_org_endings); i++) {
		e = strlen(greeting_org_endings[i]);
		if (n > e + 2 && strcmp(folded + n - e, greeting_org_endings[i]) == 0)
			return true;
	}
	return false;
}

/* An upper-case letter starts the word: ASCII or Latin-1 (U+00C0-U+00DE),
 * or any other non-ASCII letter (scripts without case). */
static bool greeting_capital(const char *w)
{
	const unsigned char *p = (const unsigned char *)w;

	if (p[0] >= 'A' && p[0] <= 'Z')
		return true;
	if (p[0] == 0xc3)
		return p[1] >= 0x80 && p[1] <= 0x9e && p[1] != 0x97;
	return p[0] >= 0xc4;
}

/* Title-cases an all-capitals word in place ("MARTÍNEZ" -> "Martínez"):
 * ASCII and Latin-1 letters only, the rest stays as written. */
static void greeting_title_case(char *w, size_t len)
{
	unsigned char *p = (unsigned char *)w;
	size_t i;
	bool caps = true, first = true;

	for (i = 0; i < len; i++) {
		if ((p[i] >= 'a' && p[i] <= 'z') ||
		    (p[i] == 0xc3 && i + 1 < len && p[i + 1] >= 0xa0 && p[i + 1] != 0xb7))
			caps = false;
	}
	if (!caps || len < 3)
		return;
	for (i = 0; i < len; i++) {
		if (p[i] == '-' || p[i] == '\'') {
			first = true;
			continue;
		}
		if (!first && p[i] >= 'A' && p[i] <= 'Z')
			p[i] = (unsigned char)(p[i] + 32);
		else if (!first && p[i] == 0xc3 && i + 1 < len && p[i + 1] >= 0x80 &&
			 p[i + 1] <= 0x9e && p[i + 1] != 0x97)
			p[i + 1] = (unsigned char)(p[i + 1] + 0x20);
		if (p[i] < 0x80 || p[i] >= 0xc0)
			first = false;
	}
}

/* A word of a name: letters, hyphen, apostrophe, a dot for an initial. */
static bool greeting_word_ok(const char *w, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)w[i];

		if (c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
		    c == '\'')
			continue;
		if (c == '.' && i == len - 1)
			continue;
		return false;
	}
	return len > 0;
}

/* Cuts s at the first separator of a signature-like name ("Name | Firm",
 * "Name - Dept", "Name (Dept)"): s keeps the first part. */
static void greeting_first_part(char *s)
{
	static const char *const seps[] = {
		" - ", " | ", " / ", " \xe2\x80\x93 ", " \xe2\x80\x94 ", " \xc2\xb7 ",
		"(",   "[",   " @ ", " at ",           " via ",          "|"};
	char *cut;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(seps); i++) {
		cut = strstr(s, seps[i]);
		if (cut != NULL && cut > s)
			*cut = '\0';
	}
}

static void greeting_trim(char *s)
{
	size_t n = strlen(s), k = 0;

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '"' ||
			 s[n - 1] == '\'' || s[n - 1] == ','))
		s[--n] = '\0';
	while (s[k] == ' ' || s[k] == '\t' || s[k] == '"' || s[k] == '\'')
		k++;
	memmove(s, s + k, strlen(s + k) + 1);
}

int greeting_name(const char *display, char *out, size_t size)
{
	char s[GREETING_NAME_MAX], swapped[2 * GREETING_NAME_MAX + 2], f[GREETING_NAME_MAX];
	char *words[GREETING_WORDS_MAX], *p, *comma;
	size_t n = 0, i, names = 0, titles = 0;

	if (size > 0)
		out[0] = '\0';
	if (display == NULL || strlen(display) >= sizeof(s) || strchr(display, '@') != NULL ||
	    strpbrk(display, "0123456789&+#:;!?<>{}=*_~") != NULL)
		return 0;
	str_copy(s, sizeof(s), display);
	greeting_first_part(s);
	greeting_trim(s);
	/* "Martínez, Sofía": one comma between two short parts */
	comma = strchr(s, ',');
	if (comma != NULL) {
		if (strchr(comma + 1, ',') != NULL)
			return 0;
		*comma = '\0';
		snprintf(swapped, sizeof(swapped), "%s %s", comma + 1, s);
		if (str_copy(s, sizeof(s), swapped) < 0)
			return 0;
		greeting_trim(s);
	}
	for (p = s; *p != '\0';) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (*p == '\0')
			break;
		if (n == GREETING_WORDS_MAX)
			return 0;
		words[n++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
	}
	for (i = 0; i < n; i++) {
		if (!greeting_word_ok(words[i], strlen(words[i])))
			return 0;
		greeting_fold(words[i], strlen(words[i]), f, sizeof(f));
		if (f[0] == '\0' || greeting_org(f))
			return 0;
		if (greeting_in(f, greeting_titles, ARRAY_SIZE(greeting_titles)) && i + 1 < n) {
			titles++;
			continue;
		}
		if (greeting_in(f, greeting_particles, ARRAY_SIZE(greeting_particles)) && i > 0 &&
		    i + 1 < n && !greeting_capital(words[i]))
			continue;
		if (!greeting_capital(words[i]))
			return 0;
		greeting_title_case(words[i], strlen(words[i]));
		names++;
	}
	/* a person has a first and a last name, or a title and a name; one
	 * word alone ("Festo", "Sales") may as well be a firm */
	if (names == 0 || names > 4 || (names == 1 && titles == 0))
		return 0;
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if ((size_t)snprintf(out + strlen(out), size - strlen(out), "%s%s",
				     i > 0 ? " " : "", words[i]) >= size - strlen(out)) {
			out[0] = '\0';
			return 0;
		}
	}
	return 1;
}
