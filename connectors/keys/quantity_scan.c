/* SPDX-License-Identifier: MIT */
/* The words and numbers of connectors/keys/quantity.c: a line cut into tokens,
 * numbers as en/de/es/fr write them, and the word lists (units, labels,
 * number words) the layouts are recognised by. */
#include "connectors/keys/quantity_int.h"

#include <stdint.h>
#include <string.h>

#include "daemon/lib/utf8.h"
#include "daemon/lib/util.h"

#define QTY_VALUE_MAX    1e9
#define QTY_DIGITS_MAX   15
#define QTY_NUMBER_BYTES 48

/* Latin-1 letters U+00C0..U+00FF folded to lower-case ASCII. */
static const char *const qty_latin1[64] = {
	"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
	"d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "ss",
	"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
	"d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "y",
};

/* Units a quantity is counted in, folded. Pieces first: measures (m, kg, l)
 * are also sizes in a description, so they count for less. */
static const char *const qty_units[] = {
	"x",           "pcs",     "pc",       "pce",    "pces",    "piece",    "pieces",
	"pieza",       "piezas",  "pza",      "pzas",   "pz",      "pzs",      "unit",
	"units",       "unidad",  "unidades", "ud",     "uds",     "u",        "unite",
	"unites",      "stk",     "stck",     "st",     "stuck",   "stueck",   "ea",
	"each",        "nos",     "pair",     "pairs",  "paar",    "par",      "pares",
	"paire",       "paires",  "pack",     "packs",  "pk",      "pkg",      "packung",
	"packungen",   "paquete", "paquetes", "paquet", "paquets", "box",      "boxes",
	"karton",      "kartons", "caja",     "cajas",  "carton",  "cartons",  "coffret",
	"coffrets",    "set",     "sets",     "satz",   "juego",   "juegos",   "jeu",
	"jeux",        "kit",     "kits",     "lot",    "lots",    "roll",     "rolls",
	"rolle",       "rollen",  "rollo",    "rollos", "rouleau", "rouleaux", "bag",
	"bags",        "beutel",  "bolsa",    "bolsas", "sachet",  "sachets",  "exemplaire",
	"exemplaires",
};
static const char *const qty_measures[] = {
	"m",     "meter", "meters", "metre",  "metres", "metro",  "metros", "kg",     "kilo",
	"kilos", "l",     "liter",  "liters", "litre",  "litres", "litro",  "litros",
};
/* Words that name a quantity: labels in text, headers of table columns. */
static const char *const qty_labels[] = {
	"qty",   "qte",      "quantity",  "quantities", "quantite",   "quantites",
	"menge", "anzahl",   "stuckzahl", "cantidad",   "cantidades", "cant",
	"cdad",  "quantita", "aantal",    "qtd",
};
/* Header words that also name the quantity column, beside the labels. */
static const char *const qty_header_extra[] = {"pcs",   "stk",    "stuck",  "unidades",
					       "uds",   "pieces", "units",  "nb",
					       "menge", "mengen", "cantid", "qte."};
/* Words allowed between "50 pcs" and the key: "50 pcs of your part no." */
static const char *const qty_connectors[] = {
	"of",     "the",     "your", "our",    "de",      "del",       "la",         "las", "los",
	"el",     "des",     "du",   "d",      "von",     "vom",       "der",        "die", "das",
	"den",    "a",       "au",   "aux",    "ihre",    "ihrer",     "ihrem",      "su",  "sus",
	"votre",  "vos",     "item", "part",   "art",     "ref",       "nr",         "no",  "nro",
	"number", "artikel", "ihr",  "unsere", "article", "reference", "referencia", "n",   "o",
	"type",   "typ",     "tipo", "modele", "model",
};
/* Number words with a unit after them: "zwei Stück", "dos unidades". */
static const struct {
	const char *word;
	double value;
} qty_words[] = {
	{"one", 1},        {"two", 2},      {"three", 3},     {"four", 4},      {"five", 5},
	{"six", 6},        {"seven", 7},    {"eight", 8},     {"nine", 9},      {"ten", 10},
	{"eleven", 11},    {"twelve", 12},  {"twenty", 20},   {"fifty", 50},    {"hundred", 100},
	{"dozen", 12},     {"eins", 1},     {"ein", 1},       {"eine", 1},      {"einen", 1},
	{"zwei", 2},       {"drei", 3},     {"vier", 4},      {"funf", 5},      {"sechs", 6},
	{"sieben", 7},     {"acht", 8},     {"neun", 9},      {"zehn", 10},     {"elf", 11},
	{"zwolf", 12},     {"zwanzig", 20}, {"funfzig", 50},  {"hundert", 100}, {"dutzend", 12},
	{"uno", 1},        {"una", 1},      {"un", 1},        {"dos", 2},       {"tres", 3},
	{"cuatro", 4},     {"cinco", 5},    {"seis", 6},      {"siete", 7},     {"ocho", 8},
	{"nueve", 9},      {"diez", 10},    {"once", 11},     {"doce", 12},     {"veinte", 20},
	{"cincuenta", 50}, {"cien", 100},   {"docena", 12},   {"une", 1},       {"deux", 2},
	{"trois", 3},      {"quatre", 4},   {"cinq", 5},      {"sept", 7},      {"huit", 8},
	{"neuf", 9},       {"dix", 10},     {"onze", 11},     {"douze", 12},    {"vingt", 20},
	{"cinquante", 50}, {"cent", 100},   {"douzaine", 12},
};

static const char *const qty_how_names[] = {
	"none", "table", "label",   "unit", "unit_near", "of",
	"cell", "after", "leading", "bare", "line",
};

const char *qty_how_name(enum qty_how how)
{
	return (size_t)how < ARRAY_SIZE(qty_how_names) ? qty_how_names[how] : "none";
}

bool qty_word_in(const char *word, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(word, list[i]) == 0)
			return true;
	}
	return false;
}

double qty_number_word(const char *word)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(qty_words); i++) {
		if (strcmp(word, qty_words[i].word) == 0)
			return qty_words[i].value;
	}
	return 0;
}

/* Blank: space, tab, no-break spaces, other Unicode spaces. */
static bool qty_blank(uint32_t cp)
{
	return cp == ' ' || cp == '\t' || cp == '\r' || cp == 0xa0 || cp == 0x202f ||
	       (cp >= 0x2000 && cp <= 0x200b) || cp == 0x3000 || cp == 0xfeff;
}

static bool qty_letter(uint32_t cp)
{
	return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
	       (cp >= 0xc0 && cp <= 0x24f && cp != 0xd7 && cp != 0xf7) ||
	       (cp >= 0x370 && cp < 0x2000) || cp >= 0x10000;
}

static bool qty_digit(uint32_t cp)
{
	return cp >= '0' && cp <= '9';
}

/* A group separator inside a number: "1.200", "1,5", "1'200", "1 200". */
static bool qty_group_sep(uint32_t cp)
{
	return cp == '.' || cp == ',' || cp == '\'' || cp == ' ' || cp == 0xa0 || cp == 0x202f;
}

int qty_parse_number(const char *s, size_t len, double *v_r)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n, groups = 0, glen[16], digits = 0;
	char sep[16], dotted[QTY_NUMBER_BYTES];
	uint32_t cp;
	size_t k = 0, g;
	bool decimal;

	memset(glen, 0, sizeof(glen));
	while (i < len) {
		n = utf8_decode_lax(p + i, len - i, &cp);
		if (qty_digit(cp)) {
			if (groups == 0)
				groups = 1;
			glen[groups - 1]++;
			if (++digits > QTY_DIGITS_MAX)
				return -1;
		} else if (qty_group_sep(cp) && groups > 0 && groups < ARRAY_SIZE(glen) &&
			   glen[groups - 1] > 0) {
			sep[groups - 1] = cp == '.' || cp == ',' ? (char)cp
					  : cp == '\''           ? '\''
								 : ' ';
			groups++;
		} else {
			return -1;
		}
		i += n;
	}
	if (groups == 0 || glen[groups - 1] == 0)
		return -1;
	/* the last group is a decimal part when its separator is '.' or ','
	 * and it has 1 or 2 digits, or differs from the earlier separators */
	decimal = groups > 1 && (sep[groups - 2] == '.' || sep[groups - 2] == ',') &&
		  (glen[groups - 1] != 3 || (groups > 2 && sep[groups - 3] != sep[groups - 2]));
	for (g = 1; g + (decimal ? 1 : 0) < groups; g++) {
		/* thousands: groups of three, one kind of separator, at most
		 * three digits before the first */
		if (glen[g] != 3 || glen[0] > 3 || sep[g - 1] != sep[0])
			return -1;
	}
	if (decimal && groups > 2 && sep[groups - 3] == sep[groups - 2])
		return -1;
	for (i = 0, g = 0; i < len && k + 2 < sizeof(dotted); i += n) {
		n = utf8_decode_lax(p + i, len - i, &cp);
		if (qty_digit(cp))
			dotted[k++] = (char)cp;
		else if (qty_group_sep(cp) && ++g == groups - 1 && decimal)
			dotted[k++] = '.';
	}
	dotted[k] = '\0';
	return parse_double(dotted, 0, QTY_VALUE_MAX, v_r);
}

/* Folds the word at s[n] into out: lower-case ASCII, Latin-1 accents off. */
void qty_fold(const char *s, size_t n, char *out, size_t size)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k = 0, m, r;
	const char *rep;
	uint32_t cp;
	char c[2] = {0, 0};

	while (i < n && k + 1 < size) {
		m = utf8_decode_lax(p + i, n - i, &cp);
		rep = NULL;
		if (cp < 0x80) {
			c[0] = (char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
			rep = c;
		} else if (cp >= 0xc0 && cp <= 0xff) {
			rep = qty_latin1[cp - 0xc0];
		}
		for (r = 0; rep != NULL && rep[r] != '\0' && k + 1 < size; r++)
			out[k++] = rep[r];
		i += m;
	}
	out[k] = '\0';
}

static struct qty_tok *qty_push(struct qty_scan *sc, enum qty_tok_type type)
{
	struct qty_tok *t;

	if (sc->n == QTY_TOKENS_MAX)
		return NULL;
	t = &sc->tok[sc->n++];
	memset(t, 0, sizeof(*t));
	t->type = type;
	return t;
}

/* The character before pos (0 at the start). */
static uint32_t qty_prev_cp(const char *text, size_t from, size_t pos)
{
	size_t b = pos;
	uint32_t cp;

	if (pos <= from)
		return 0;
	b--;
	while (b > from && ((unsigned char)text[b] & 0xc0) == 0x80)
		b--;
	utf8_decode_lax((const unsigned char *)text + b, pos - b, &cp);
	return cp;
}

/* Scans a number at text[i, to): digits with group separators. Returns the
 * end; *space_grouped when a plain space joined groups ("1 200"). */
static size_t qty_number_end(const char *text, size_t i, size_t to)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t j = i, n, d, k;
	uint32_t cp, next;

	while (j < to && qty_digit((unsigned char)text[j]))
		j++;
	for (;;) {
		if (j >= to)
			break;
		n = utf8_decode_lax(p + j, to - j, &cp);
		if (!qty_group_sep(cp) || j + n >= to)
			break;
		utf8_decode_lax(p + j + n, to - j - n, &next);
		if (!qty_digit(next))
			break;
		for (d = 0, k = j + n; k < to && qty_digit((unsigned char)text[k]); k++)
			d++;
		/* a plain space joins only a group of exactly three ("1 200"),
		 * never two figures of a list ("50 100") or a date */
		if ((cp == ' ' || cp == '\'') && d != 3)
			break;
		j = k;
	}
	return j;
}

/* Tokenizes text[from, to). */
void qty_tokenize(struct qty_scan *sc, size_t from, size_t to)
{
	const unsigned char *p = (const unsigned char *)sc->text;
	size_t i = from, n, j;
	struct qty_tok *t;
	uint32_t cp, prev, next;
	char buf[QTY_NUMBER_BYTES];
	bool after_x = false;

	sc->n = 0;
	while (i < to) {
		n = utf8_decode_lax(p + i, to - i, &cp);
		if (qty_blank(cp)) {
			i += n;
			continue;
		}
		if (qty_digit(cp)) {
			j = qty_number_end(sc->text, i, to);
			t = qty_push(sc, QT_NUM);
			if (t == NULL)
				return;
			prev = after_x ? ' ' : qty_prev_cp(sc->text, from, i);
			after_x = false;
			next = 0;
			if (j < to)
				utf8_decode_lax(p + j, to - j, &next);
			t->code = qty_parse_number(sc->text + i, j - i, &t->value) < 0;
			/* "M14", "G1/2", "#204518", "6204-2RS", "50-210", "40x62",
			 * "15%", "10:30": parts of codes, sizes and times */
			if (qty_letter(prev) || prev == '-' || prev == '/' || prev == '#' ||
			    prev == '.' || prev == '_' || prev == ',' || qty_digit(prev))
				t->code = true;
			if (next == '-' || next == '/' || next == '%' || next == ':' ||
			    next == 0xb0 || next == '_' || next == '.' || next == ',') {
				if (j + 1 < to && (qty_digit((unsigned char)sc->text[j + 1]) ||
						   qty_letter((unsigned char)sc->text[j + 1])))
					t->code = true;
				if (next == '%')
					t->code = true;
			}
			if (qty_letter(next)) {
				/* glued: "50pcs" and "50x" are units, "2RS" and "40x62" codes */
				size_t e = j;
				uint32_t c2;

				while (e < to &&
				       (utf8_decode_lax(p + e, to - e, &c2), qty_letter(c2)))
					e += utf8_decode_lax(p + e, to - e, &c2);
				qty_fold(sc->text + j, e - j, buf, sizeof(buf));
				if (!(qty_word_in(buf, qty_units, ARRAY_SIZE(qty_units)) ||
				      qty_word_in(buf, qty_measures, ARRAY_SIZE(qty_measures))) ||
				    (e < to && qty_digit((unsigned char)sc->text[e])))
					t->code = true;
			}
			i = j;
			continue;
		}
		if (qty_letter(cp)) {
			j = i;
			while (j < to) {
				n = utf8_decode_lax(p + j, to - j, &cp);
				if (!qty_letter(cp) && !qty_digit(cp))
					break;
				j += n;
			}
			t = qty_push(sc, QT_WORD);
			if (t == NULL)
				return;
			qty_fold(sc->text + i, j - i, t->word, sizeof(t->word));
			/* "x116" after a key: the times sign glued to the number */
			if (t->word[0] == 'x' && t->word[1] >= '0' && t->word[1] <= '9' &&
			    strspn(t->word + 1, "0123456789") == strlen(t->word + 1)) {
				t->word[1] = '\0';
				i++;
				after_x = true;
				continue;
			}
			t->value = qty_number_word(t->word);
			i = j;
			continue;
		}
		t = qty_push(sc, QT_PUNCT);
		if (t == NULL)
			return;
		if (cp == 0xd7) { /* × */
			t->type = QT_WORD;
			t->word[0] = 'x';
		} else if (cp == 0x20ac) {
			t->word[0] = '$'; /* a currency sign: the number next to it is a price */
		} else if (cp == 0x2013 || cp == 0x2014 || cp == 0x2212) {
			t->word[0] = '-';
		} else if (cp == 0x2022 || cp == 0xb7 || cp == 0x25aa || cp == 0x25cf) {
			t->word[0] = '*';
		} else {
			t->word[0] = cp < 0x80 ? (char)cp : '?';
		}
		i += n;
	}
	/* prices: a number next to a currency is no quantity */
	for (j = 0; j < sc->n; j++) {
		t = &sc->tok[j];
		if (t->type != QT_NUM)
			continue;
		for (n = j > 0 ? j - 1 : j; n <= j + 1 && n < sc->n; n++) {
			if (n != j && (strcmp(sc->tok[n].word, "$") == 0 ||
				       strcmp(sc->tok[n].word, "eur") == 0 ||
				       strcmp(sc->tok[n].word, "euro") == 0 ||
				       strcmp(sc->tok[n].word, "euros") == 0 ||
				       strcmp(sc->tok[n].word, "chf") == 0 ||
				       strcmp(sc->tok[n].word, "usd") == 0))
				t->code = true;
		}
	}
	(void)next;
}

bool qty_is_unit(const struct qty_tok *t)
{
	return t->type == QT_WORD && (qty_word_in(t->word, qty_units, ARRAY_SIZE(qty_units)) ||
				      qty_word_in(t->word, qty_measures, ARRAY_SIZE(qty_measures)));
}

bool qty_is_measure(const struct qty_tok *t)
{
	return t->type == QT_WORD && qty_word_in(t->word, qty_measures, ARRAY_SIZE(qty_measures));
}

/* A quantity at tok[i]: a number that is no code, or a number word with a
 * unit after it. *unit_r: a unit follows. Returns the value or 0. */
double qty_item(const struct qty_scan *sc, size_t i, size_t end, bool *unit_r, bool *measure_r)
{
	const struct qty_tok *t = &sc->tok[i];
	bool unit = i + 1 < end && qty_is_unit(&sc->tok[i + 1]);

	*unit_r = unit;
	*measure_r = unit && qty_is_measure(&sc->tok[i + 1]);
	/* "40 l/min", "5 m/s": a rate is a specification, no quantity */
	if (*measure_r && i + 2 < end && sc->tok[i + 2].type == QT_PUNCT &&
	    sc->tok[i + 2].word[0] == '/')
		return 0;
	if (t->type == QT_NUM && !t->code && t->value > 0)
		return t->value;
	/* "a dozen", "ein Dutzend": the word is its own unit */
	if (t->type == QT_WORD && t->value == 12 && strcmp(t->word, "doce") != 0 &&
	    strcmp(t->word, "douze") != 0 && strcmp(t->word, "twelve") != 0 &&
	    strcmp(t->word, "zwolf") != 0) {
		*unit_r = true;
		return 12;
	}
	if (t->type == QT_WORD && t->value > 0 && unit)
		return t->value;
	return 0;
}

bool qty_is_connector(const struct qty_tok *t)
{
	if (t->type == QT_PUNCT)
		return strchr(":#.(", t->word[0]) != NULL;
	return qty_word_in(t->word, qty_connectors, ARRAY_SIZE(qty_connectors));
}

bool qty_is_label(const struct qty_tok *t)
{
	return t->type == QT_WORD && qty_word_in(t->word, qty_labels, ARRAY_SIZE(qty_labels));
}

bool qty_is_header_word(const char *word)
{
	return qty_word_in(word, qty_labels, ARRAY_SIZE(qty_labels)) ||
	       qty_word_in(word, qty_header_extra, ARRAY_SIZE(qty_header_extra));
}
