/* SPDX-License-Identifier: MIT */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "agent/llm/redact.h"

#include <ctype.h>
#include <pcre2.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/text/text_norm.h"
#include "daemon/lib/buf.h"
#include "daemon/lib/util.h"
#include "daemon/lib/regex.h"

#define REDACT_LITERALS_MAX 256
#define REDACT_LITERAL_MIN  3
#define REDACT_PASSES       4

/* Shapes of personal and business data, in the order they are replaced
 * (the more specific first). $1 in a replacement keeps a prefix. */
static const struct {
	const char *regex;
	const char *with;
} redact_rules[] = {
	{"[\\p{L}\\p{N}._%+-]+@[\\p{L}\\p{N}-]+(?:\\.[\\p{L}\\p{N}-]+)+|[\\p{L}\\p{N}._%+-]+[ \\t]*"
	 "[\\[(][ \\t]*at[ \\t]*[\\])][ \\t]*[\\p{L}\\p{N}-]+(?:[ \\t]*(?:\\.|[\\[(][ \\t]*dot[ "
	 "\\t]*"
	 "[\\])])[ \\t]*[\\p{L}\\p{N}-]+)+",
	 "[EMAIL]"},
	{"\\b[a-z][a-z0-9+.-]{1,15}://\\S+|\\bwww\\.\\S+|(?<![\\w@.-])(?:[\\p{L}\\p{N}-]+\\.)+"
	 "(?:xn--[a-z0-9-]+|\\p{L}{2,})(?:/\\S*|(?![\\p{L}\\p{N}-]|\\.[\\p{L}\\p{N}]))",
	 "[LINK]"},
	{"\\b[a-z]{2}\\d{2}(?:\\s?[a-z0-9]{4}){2,7}(?:\\s?[a-z0-9]{1,4})?\\b", "[IBAN]"},
	{"\\b(?:SO[-\\s]?\\d{4,8}|order\\s*#\\s*\\d+|#\\d{4,})\\b", "[ORDER_ID]"},
	{"\\bHP[-\\s]?\\d{5}\\b", "[SKU]"},
	{"\\b(?=[a-z0-9-]*\\d)(?=[a-z0-9-]*[a-z])[a-z0-9][a-z0-9-]{7,}\\b", "[TRACKING_ID]"},
	{"(?:eur|usd|gbp|chf|€|\\$|£)\\s?\\d[\\d.,' ]*\\d|\\d[\\d.,']*\\s?(?:eur\\b|usd\\b|"
	 "gbp\\b|chf\\b|€|euros?\\b|dollars?\\b|pounds?\\b)",
	 "[AMOUNT]"},
	{"\\b\\d{4}-\\d{1,2}-\\d{1,2}\\b|\\b\\d{1,2}[./]\\d{1,2}[./"
	 "]\\d{2,4}\\b|\\b\\d{1,2}(?:st|nd|"
	 "rd|th|er|\\.)?\\s+(?:of\\s+|de\\s+)?(?:jan|feb|m[aä]r|apr|ma[iy]|jun|jul|aug|sep|o[ck]t|"
	 "nov|de[cz]|ene|abr|ago|dic|janv|f[ée]v|avr|juil|ao[uû]t|d[ée]c)\\p{L}*\\.?(?:,?\\s+\\d{4}"
	 ")?",
	 "[DATE]"},
	{"(?<![\\w+])(?:\\+|00)?\\(?\\d[\\d ()/.-]{5,24}\\d(?!\\w)", "[PHONE]"},
	{"\\b\\d{1,5}[a-z]?,?\\s+(?:[\\p{L}'.-]+\\s+){0,4}?(?:street|st\\.|road|rd\\.?|avenue|"
	 "ave\\.?|lane|drive|boulevard|way|close|court|place|square|terrace|crescent|quay|wharf|"
	 "rue|chemin|all[ée]e|quai)\\b|\\b[\\p{L}-]*(?:stra(?:ß|ss)e|str\\.|weg|platz|allee|"
	 "gasse|damm|ring)\\s+\\d{1,4}[a-z]?\\b|\\b(?:calle|avenida|avda\\.?|paseo|plaza|carrer|"
	 "camino|rue|chemin|via)\\s+(?:[\\p{L}'.-]+\\s+){0,4}?\\d{1,4}\\b",
	 "[ADDRESS]"},
	/* a street named before its kind: Quay Street 4, Baker Street */
	{"(?-i)\\b\\p{Lu}[\\p{L}'-]+[ \\t]+(?:Street|St\\.|Road|Rd\\.?|Avenue|Ave\\.?|Lane|Drive|"
	 "Quay|Way|Place|Square|Terrace|Close|Court|Crescent|Row|Hill|Park|Gardens|Wharf)\\b"
	 "(?:[ \\t]+\\d{1,4}[a-z]?)?",
	 "[ADDRESS]"},
	/* Irish Eircodes: T12 X8Y2 */
	{"(?-i)\\b[AC-FHKNPRTV-Y]\\d{2}[ \\t]?[AC-FHKNPRTV-Y0-9]{4}\\b", "[ADDRESS]"},
	/* postcodes with their town: SY23 1AB, 20095 Hamburg, D-20095 Hamburg */
	{"(?-i)(?:\\b\\p{Lu}[\\p{L}-]+,?\\s+)?\\b[A-Z]{1,2}\\d[A-Z\\d]?\\s?\\d[A-Z]{2}\\b|"
	 "\\b(?:[A-Z]{1,2}-)?\\d{4,5}\\s+\\p{Lu}[\\p{L}-]+",
	 "[ADDRESS]"},
	{"(?-i)(\\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Herr|Herrn|Frau|Sr|Sra|Srta|Mme|Mlle|M|Monsieur|"
	 "Madame|Señor|Señora)\\.?[ \\t]+|(?m:^)[ \\t]*(?:Dear|Hello|Hi|Hey|Hallo|Liebe[rs]?|"
	 "Sehr\\s+geehrte[rs]?|Guten\\s+Tag|Estimad[oa]s?|Hola|Querid[oa]s?|Bonjour|Cher|"
	 "Ch[èe]re|Salut)[ \\t]+(?:(?:Mr|Mrs|Ms|Miss|Dr|Prof|Herr|Frau|Sr|Sra|Mme|M)\\.?[ "
	 "\\t]+)?)(?!(?:Sir|Madam|Damen|customer|"
	 "Kunde|cliente|client)\\b)\\p{Lu}[\\p{L}'-]*(?:[ \\t]+\\p{Lu}[\\p{L}'-]*){0,3}",
	 "$1[NAME]"},
};

/* After the known values went: a capitalised word next to a placeholder is
 * part of the same name or address ("Siobhan [NAME]", "[ADDRESS], Cork"). */
static const struct {
	const char *regex;
	const char *with;
} redact_after[] = {
	{"(?-i)\\b(?!(?:Dear|Hello|Hi|Hey|Hallo|Liebe[rs]?|Sehr|Geehrte[rs]?|Estimad[oa]s?|Hola|"
	 "Querid[oa]s?|Bonjour|Cher|Ch[èe]re|Salut|Mr|Mrs|Ms|Miss|Dr|Prof|Herr|Herrn|Frau|Sr|"
	 "Sra|Srta|Mme|Mlle|Monsieur|Madame|Señor|Señora|The|Your|Our|Ihre?|Unsere?|Su|Sus|"
	 "Votre|Vos|Thanks|Thank|Danke|Gracias|Merci)\\b)\\p{Lu}[\\p{Ll}'-]+[ \\t]+(?=\\[NAME\\])",
	 "[NAME] "},
	{"(?-i)(?<=\\[NAME\\][ \\t])\\p{Lu}[\\p{Ll}'-]+\\b", "[NAME]"},
	{"(?-i)(?:\\b\\p{Lu}[\\p{L}'-]+,?[ \\t]+)+(?=\\[ADDRESS\\])", "[ADDRESS] "},
	{"(?-i)(?<=\\[ADDRESS\\])(,?[ \\t]+)\\p{Lu}[\\p{Ll}'-]+\\b", "$1[ADDRESS]"},
	/* last: every digit left */
	{"\\d+(?:[.,]\\d+)*", "[NUMBER]"},
};

/* Words of a domain that name no one. */
static const char *const redact_generic[] = {
	"example",    "test",    "invalid", "localhost", "mail", "email", "gmail",  "googlemail",
	"outlook",    "hotmail", "yahoo",   "icloud",    "gmx",  "web",   "posteo", "proton",
	"protonmail", "live",    "msn",     "aol",       "info", "shop",  "online", "com",
	"net",        "org",     "co",      "de",        "uk",
};

struct redact_literals {
	char *v[REDACT_LITERALS_MAX];
	const char *type[REDACT_LITERALS_MAX]; /* its placeholder */
	size_t n;
};

static void redact_literal_add(struct redact_literals *l, const char *type, const char *s, size_t n)
{
	size_t i;

	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n < REDACT_LITERAL_MIN || n > 200 || l->n == REDACT_LITERALS_MAX)
		return;
	for (i = 0; i < ARRAY_SIZE(redact_generic); i++)
		if (strlen(redact_generic[i]) == n && strncasecmp(redact_generic[i], s, n) == 0)
			return;
	for (i = 0; i < l->n; i++)
		if (strlen(l->v[i]) == n && strncasecmp(l->v[i], s, n) == 0)
			return;
	l->v[l->n] = strndup(s, n);
	l->type[l->n] = type;
	if (l->v[l->n] != NULL)
		l->n++;
}

/* The address, its local part's and domain's words. */
static void redact_address(struct redact_literals *l, const char *addr)
{
	const char *p;
	size_t k;

	if (addr == NULL)
		return;
	redact_literal_add(l, "[EMAIL]", addr, strlen(addr));
	for (p = addr; *p != '\0'; p += k) {
		p += strspn(p, "@.-_+");
		k = strcspn(p, "@.-_+");
		redact_literal_add(l, "[NAME]", p, k);
	}
}

/* The words of a From header's display name. */
static void redact_display_name(struct redact_literals *l, const char *from)
{
	const char *end, *p;
	size_t k;

	if (from == NULL)
		return;
	end = strchr(from, '<');
	if (end == NULL)
		end = from + strlen(from);
	for (p = from; p < end; p += k) {
		p += strspn(p, " \t\"',()");
		k = strcspn(p, " \t\"',()<");
		if (p + k > end)
			k = (size_t)(end - p);
		redact_literal_add(l, "[NAME]", p, k);
	}
	if (*end == '<')
		redact_address(l, end + 1);
}

/* Fields of the facts that describe the product or the process, not the
 * customer: kept, so an example still reads like a reply. */
static const char *const redact_public_fields[] = {
	"connector", "fetched_at", "found", "status", "carrier", "discontinued", "withheld",
};

static void redact_facts(struct redact_literals *l, const json_t *v, const char *field)
{
	const char *key;
	json_t *e;
	size_t i;

	if (json_is_string(v)) {
		for (i = 0; i < ARRAY_SIZE(redact_public_fields); i++)
			if (field != NULL && strcmp(field, redact_public_fields[i]) == 0)
				return;
		redact_literal_add(l, "[DATA]", json_string_value(v), json_string_length(v));
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e)
		{
			redact_facts(l, e, field);
		}
	} else if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, e)
		{
			/* the inventory is the catalogue: SKUs become [SKU] below */
			if (field == NULL && strcmp(key, "inventory") == 0)
				continue;
			redact_facts(l, e, key);
		}
	}
}

/* Replaces every match of regex in *text with with (taken as it is when
 * literal, else $1 names a group); 0 or -1. A literal's pattern is built
 * from one customer's data: compiled for this call only, never kept in the
 * process's pattern cache; the fixed rules are compiled once. */
static int redact_sub(char **text, const char *regex, const char *with, bool literal)
{
	PCRE2_SIZE offset, outlen;
	pcre2_code *re;
	PCRE2_UCHAR *out = NULL;
	uint32_t opts = PCRE2_CASELESS | PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF;
	size_t len = strlen(*text);
	int code, rc, ret = -1;

	if (literal)
		re = pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED, opts, &code, &offset,
				   NULL);
	else
		re = regex_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED, opts, &code, &offset,
				   NULL);
	if (re == NULL)
		return -1;
	outlen = 2 * len + 256;
	for (;;) {
		free(out);
		out = malloc(outlen);
		if (out == NULL)
			goto out;
		rc = pcre2_substitute(re, (PCRE2_SPTR)*text, len, 0,
				      PCRE2_SUBSTITUTE_GLOBAL | PCRE2_SUBSTITUTE_OVERFLOW_LENGTH |
					      (literal ? PCRE2_SUBSTITUTE_LITERAL : 0),
				      NULL, NULL, (PCRE2_SPTR)with, PCRE2_ZERO_TERMINATED, out,
				      &outlen);
		if (rc != PCRE2_ERROR_NOMEMORY)
			break;
	}
	if (rc < 0)
		goto out;
	free(*text);
	*text = (char *)out;
	out = NULL;
	ret = 0;
out:
	free(out);
	if (literal)
		pcre2_code_free(re);
	return ret;
}

/* A pattern matching s as a whole word, any case: "tom" is a name, the
 * "tom" of "custom" is not. NULL when out of memory. */
static char *redact_word_re(const char *s)
{
	struct buf b;
	const char *p;

	buf_init(&b, 4 * strlen(s) + 64);
	if (buf_append_str(&b, "(?<![\\p{L}\\p{N}])") < 0)
		goto fail;
	for (p = s; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x80 && !isalnum((unsigned char)*p) &&
		    buf_append(&b, "\\", 1) < 0)
			goto fail;
		if (buf_append(&b, p, 1) < 0)
			goto fail;
	}
	if (buf_append_str(&b, "(?![\\p{L}\\p{N}])") < 0)
		goto fail;
	return buf_steal(&b);
fail:
	buf_free(&b);
	return NULL;
}

/* Whether text still holds s as a word: 1, 0, or -1. */
static int redact_has(const char *text, const char *s)
{
	char *regex = redact_word_re(s);
	pcre2_code *re = NULL;
	pcre2_match_data *md = NULL;
	PCRE2_SIZE offset;
	int code, ret = -1;

	if (regex == NULL)
		return -1;
	/* one customer's word: compiled for this call, not cached */
	re = pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED,
			   PCRE2_CASELESS | PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &code,
			   &offset, NULL);
	md = re != NULL ? pcre2_match_data_create_from_pattern(re, NULL) : NULL;
	if (md != NULL)
		ret = regex_match(re, (PCRE2_SPTR)text, strlen(text), 0, 0, md, NULL) >= 0;
	pcre2_match_data_free(md);
	pcre2_code_free(re);
	free(regex);
	return ret;
}

char *redact_example(const char *body, const struct redact_context *ctx, int *refused_r)
{
	struct redact_literals lit = {.n = 0};
	char *text = NULL, *ret = NULL, *swap, *word = NULL, *before = NULL;
	unsigned int pass;
	bool same;
	size_t i, j, longest;
	const char *p;
	bool bad = false;
	int has;

	*refused_r = 0;
	redact_address(&lit, ctx->recipient);
	redact_address(&lit, ctx->sender);
	redact_display_name(&lit, ctx->from);
	redact_facts(&lit, ctx->facts, NULL);
	text = text_norm(body != NULL ? body : "", REDACT_MAX);
	if (text == NULL)
		goto out;
	for (i = 0; i < ARRAY_SIZE(redact_rules); i++)
		if (redact_sub(&text, redact_rules[i].regex, redact_rules[i].with, false) < 0)
			goto out;
	/* longest first, so "priya.n@x" goes before "priya" */
	for (i = 0; i < lit.n; i++) {
		longest = i;
		for (j = i + 1; j < lit.n; j++)
			if (strlen(lit.v[j]) > strlen(lit.v[longest]))
				longest = j;
		swap = lit.v[i];
		lit.v[i] = lit.v[longest];
		lit.v[longest] = swap;
		p = lit.type[i];
		lit.type[i] = lit.type[longest];
		lit.type[longest] = p;
		word = redact_word_re(lit.v[i]);
		if (word == NULL || redact_sub(&text, word, lit.type[i], true) < 0)
			goto out;
		free(word);
		word = NULL;
	}
	/* a match is made on the text as it was before the pass: "[ADDRESS]
	 * Street, Cork" needs a second pass for Cork */
	for (pass = 0; pass < REDACT_PASSES; pass++) {
		before = strdup(text);
		if (before == NULL)
			goto out;
		for (i = 0; i < ARRAY_SIZE(redact_after); i++)
			if (redact_sub(&text, redact_after[i].regex, redact_after[i].with, false) <
			    0)
				goto out;
		same = strcmp(before, text) == 0;
		free(before);
		before = NULL;
		if (same)
			break;
	}
	/* by construction: nothing known and no digit may be left */
	for (i = 0; i < lit.n && !bad; i++) {
		/* a longer value glued into another word still counts */
		has = strlen(lit.v[i]) >= 5 ? strcasestr(text, lit.v[i]) != NULL
					    : redact_has(text, lit.v[i]);
		if (has < 0)
			goto out;
		bad = has == 1;
	}
	for (p = text; *p != '\0' && !bad; p++)
		bad = isdigit((unsigned char)*p) || *p == '@';
	if (bad) {
		*refused_r = 1;
		goto out;
	}
	ret = text;
	text = NULL;
out:
	for (i = 0; i < lit.n; i++)
		free(lit.v[i]);
	free(word);
	free(before);
	free(text);
	return ret;
}
