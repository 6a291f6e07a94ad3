/* SPDX-License-Identifier: MIT */
/* Quantities next to key mentions (connectors/keys/quantity.h): the layouts of
 * a line, tried in order of how sure each is, and text tables, where a
 * header row above names the quantity column. Nothing here allocates. */
#include "connectors/keys/quantity_int.h"

#include <stdint.h>
#include <string.h>

#include "daemon/lib/util.h"

#define QTY_CELLS_MAX 32
#define QTY_LOOKBACK  40 /* table rows searched upwards for a header */

struct qty_line {
	size_t start, end; /* content after the quote markers ("> ") */
	unsigned depth;    /* quote depth */
};

static void qty_set(struct qty_answer *a, double q, double conf, enum qty_how how)
{
	a->quantity = q;
	a->confidence = conf;
	a->how = how;
}

/* "qty 2", "Menge: 5", "Cantidad = 10": the last label before the key, or
 * the first after it. */
static bool qty_rule_label(const struct qty_scan *b, const struct qty_scan *a,
			   struct qty_answer *out)
{
	const struct qty_scan *sc[2] = {b, a};
	size_t s, i, k;
	bool unit, measure;
	double v;

	for (s = 0; s < 2; s++) {
		for (k = 0; k < sc[s]->n; k++) {
			i = s == 0 ? sc[s]->n - 1 - k : k;
			if (!qty_is_label(&sc[s]->tok[i]))
				continue;
			for (i++; i < sc[s]->n && sc[s]->tok[i].type == QT_PUNCT &&
				  strchr(":.=-", sc[s]->tok[i].word[0]) != NULL;
			     i++)
				;
			if (i < sc[s]->n &&
			    (v = qty_item(sc[s], i, sc[s]->n, &unit, &measure)) > 0) {
				qty_set(out, v, 1.0, QTY_LABEL);
				return true;
			}
		}
	}
	return false;
}

/* "50 x HP-1", "50 pcs of your part no. 20115": a number and unit right
 * before the key, only connector words between. */
static bool qty_rule_unit_before(const struct qty_scan *b, struct qty_answer *out)
{
	size_t i = b->n;
	bool unit, measure;
	double v;

	while (i > 0 && qty_is_connector(&b->tok[i - 1]))
		i--;
	if (i < 2 || !qty_is_unit(&b->tok[i - 1]))
		return false;
	v = qty_item(b, i - 2, b->n, &unit, &measure);
	if (v <= 0)
		return false;
	qty_set(out, v, measure ? 0.7 : 1.0, QTY_UNIT);
	return true;
}

/* "HP-1 x 4", "HP-1 - 50 pcs", "HP-1 (50 Stück)", "HP-20115 x116". */
static bool qty_rule_unit_after(const struct qty_scan *a, struct qty_answer *out)
{
	size_t i = 0;
	bool unit, measure;
	double v;

	while (i < a->n && a->tok[i].type == QT_PUNCT && strchr("-:,(=/", a->tok[i].word[0]))
		i++;
	if (i + 1 < a->n && a->tok[i].type == QT_WORD && strcmp(a->tok[i].word, "x") == 0 &&
	    (v = qty_item(a, i + 1, a->n, &unit, &measure)) > 0) {
		qty_set(out, v, 0.95, QTY_UNIT);
		return true;
	}
	if (i < a->n && (v = qty_item(a, i, a->n, &unit, &measure)) > 0 && unit) {
		qty_set(out, v, measure ? 0.7 : 1.0, QTY_UNIT);
		return true;
	}
	return false;
}

/* A number with a unit anywhere before the key (the nearest), else after
 * it (the first): "20 pcs pressure relief valve G3/8 (HP-60029)". */
static bool qty_rule_unit_near(const struct qty_scan *b, const struct qty_scan *a,
			       struct qty_answer *out)
{
	size_t k, i;
	bool unit, measure;
	double v;

	for (k = 0; k < b->n; k++) {
		i = b->n - 1 - k;
		if ((v = qty_item(b, i, b->n, &unit, &measure)) > 0 && unit) {
			qty_set(out, v, measure ? 0.6 : 0.9, QTY_UNIT_NEAR);
			return true;
		}
	}
	for (i = 0; i < a->n; i++) {
		if ((v = qty_item(a, i, a->n, &unit, &measure)) > 0 && unit) {
			qty_set(out, v, measure ? 0.55 : 0.85, QTY_UNIT_NEAR);
			return true;
		}
	}
	return false;
}

/* "200 of the HP-20115", "200 de la réf. 30108". */
static bool qty_rule_of(const struct qty_scan *b, struct qty_answer *out)
{
	static const char *const of[] = {"of", "de", "von", "du", "des", "del"};
	size_t i = b->n;

	while (i > 0 && qty_is_connector(&b->tok[i - 1]) &&
	       !qty_word_in(b->tok[i - 1].word, of, ARRAY_SIZE(of)))
		i--;
	if (i < 2 || b->tok[i - 1].type != QT_WORD ||
	    !qty_word_in(b->tok[i - 1].word, of, ARRAY_SIZE(of)))
		return false;
	if (b->tok[i - 2].type != QT_NUM || b->tok[i - 2].code || b->tok[i - 2].value <= 0)
		return false;
	qty_set(out, b->tok[i - 2].value, 0.8, QTY_OF);
	return true;
}

/* "HP-10214: 50", "HP-10214 - 50", "HP-10214 50": a lone number ends it. */
static bool qty_rule_after(const struct qty_scan *a, struct qty_answer *out)
{
	size_t i = 0, end = a->n;
	bool sep = false;

	while (end > 0 && a->tok[end - 1].type == QT_PUNCT &&
	       strchr(").;,!", a->tok[end - 1].word[0]))
		end--;
	while (i < end && a->tok[i].type == QT_PUNCT && strchr(":-=,(", a->tok[i].word[0])) {
		sep = true;
		i++;
	}
	if (i + 1 != end || a->tok[i].type != QT_NUM || a->tok[i].code || a->tok[i].value <= 0)
		return false;
	qty_set(out, a->tok[i].value, sep ? 0.7 : 0.6, QTY_AFTER);
	return true;
}

/* "- 500 bagues ... réf. HP-30108": a list item that starts with a number
 * (not its ordinal "1." or "2)") followed by words. */
static bool qty_rule_leading(const struct qty_scan *b, struct qty_answer *out)
{
	size_t i = 0;

	while (i < b->n && b->tok[i].type == QT_PUNCT && strchr("-*+>", b->tok[i].word[0]))
		i++;
	if (i + 1 < b->n && b->tok[i].type == QT_NUM && b->tok[i + 1].type == QT_PUNCT &&
	    strchr(".)", b->tok[i + 1].word[0]) != NULL && b->tok[i].value < 100)
		i += 2; /* an ordinal */
	if (i + 1 >= b->n || b->tok[i].type != QT_NUM || b->tok[i].code || b->tok[i].value <= 0 ||
	    b->tok[i + 1].type != QT_WORD)
		return false;
	qty_set(out, b->tok[i].value, 0.7, QTY_LEADING);
	return true;
}

/* "2 or 3", "5-10", "10 bis 20": the number at i ends a range of two. */
static bool qty_range_before(const struct qty_scan *b, size_t i)
{
	static const char *const words[] = {"or", "to", "oder", "bis", "o", "ou", "a"};
	const struct qty_tok *t;

	if (i < 2 || b->tok[i - 2].type != QT_NUM)
		return false;
	t = &b->tok[i - 1];
	return (t->type == QT_WORD && qty_word_in(t->word, words, ARRAY_SIZE(words))) ||
	       (t->type == QT_PUNCT && (t->word[0] == '-' || t->word[0] == '/'));
}

/* "50 HP-10214": a number right before the key. */
static bool qty_rule_bare(const struct qty_scan *b, struct qty_answer *out)
{
	size_t i = b->n;

	while (i > 0 && b->tok[i - 1].type == QT_PUNCT && strchr("(#:", b->tok[i - 1].word[0]))
		i--;
	if (i == 0 || b->tok[i - 1].type != QT_NUM || b->tok[i - 1].code ||
	    b->tok[i - 1].value <= 0)
		return false;
	if (qty_range_before(b, i - 1)) {
		qty_set(out, 0, 0.3, QTY_BARE); /* "2 or 3": the customer is not sure */
		return true;
	}
	/* "Item 2: HP-1" or "Pos. 3 HP-1" number items, not quantities */
	if (i >= 2 && b->tok[i - 2].type == QT_WORD &&
	    (strcmp(b->tok[i - 2].word, "item") == 0 || strcmp(b->tok[i - 2].word, "pos") == 0 ||
	     strcmp(b->tok[i - 2].word, "position") == 0 ||
	     strcmp(b->tok[i - 2].word, "line") == 0))
		return false;
	qty_set(out, b->tok[i - 1].value, 0.6, QTY_BARE);
	return true;
}

/* The line rules, in order of how sure they are, on the words before the
 * key (b) and after it (a) within its part of the line. */
static bool qty_rules(const struct qty_scan *b, const struct qty_scan *a, bool line_start,
		      struct qty_answer *out)
{
	struct qty_answer c[8];
	bool hit[8];
	size_t i, best = 8;

	memset(c, 0, sizeof(c));
	hit[0] = qty_rule_label(b, a, &c[0]);
	hit[1] = qty_rule_unit_before(b, &c[1]);
	hit[2] = qty_rule_unit_after(a, &c[2]);
	hit[3] = qty_rule_unit_near(b, a, &c[3]);
	hit[4] = qty_rule_of(b, &c[4]);
	hit[5] = qty_rule_after(a, &c[5]);
	hit[6] = line_start && qty_rule_leading(b, &c[6]);
	hit[7] = qty_rule_bare(b, &c[7]);
	/* the surest reading wins; of equally sure ones the earlier rule: a
	 * flow rate next to the key ("40 l/min") loses to "4 Stück" before it */
	for (i = 0; i < 8; i++) {
		if (hit[i] && (best == 8 || c[i].confidence > c[best].confidence))
			best = i;
	}
	if (best == 8)
		return false;
	*out = c[best];
	return true;
}

/* --- lines and tables --- */

/* The line around pos, its quote markers ("> > ") skipped. */
static void qty_line_at(const char *text, size_t len, size_t pos, struct qty_line *l)
{
	size_t s = pos, e = pos;

	while (s > 0 && text[s - 1] != '\n')
		s--;
	while (e < len && text[e] != '\n')
		e++;
	l->depth = 0;
	for (;;) {
		while (s < e && (text[s] == ' ' || text[s] == '\t') && l->depth > 0)
			s++;
		if (s < e && text[s] == '>') {
			s++;
			l->depth++;
			continue;
		}
		break;
	}
	while (s < e && text[s] == ' ' && l->depth > 0)
		s++;
	while (e > s && (text[e - 1] == '\r' || text[e - 1] == ' '))
		e--;
	l->start = s;
	l->end = e;
}

static bool qty_line_blank(const char *text, const struct qty_line *l)
{
	size_t i;

	for (i = l->start; i < l->end; i++) {
		if (text[i] != ' ' && text[i] != '\t')
			return false;
	}
	return true;
}

/* Neighbour line of l (dir -1 up, +1 down); false at the text's ends. */
static bool qty_line_next(const char *text, size_t len, const struct qty_line *l, int dir,
			  struct qty_line *out)
{
	size_t s = l->start, e = l->end;

	while (s > 0 && text[s - 1] != '\n')
		s--;
	while (e < len && text[e] != '\n')
		e++;
	if (dir < 0) {
		if (s == 0)
			return false;
		qty_line_at(text, len, s - 1, out);
	} else {
		if (e >= len)
			return false;
		qty_line_at(text, len, e + 1, out);
	}
	return true;
}

struct qty_cells {
	char style; /* '\t', '|' or ' ' (two or more spaces) */
	size_t n;
	size_t start[QTY_CELLS_MAX], end[QTY_CELLS_MAX];
};

static void qty_cell_add(struct qty_cells *c, const char *text, size_t s, size_t e)
{
	while (s < e && (text[s] == ' ' || text[s] == '\t'))
		s++;
	while (e > s && (text[e - 1] == ' ' || text[e - 1] == '\t'))
		e--;
	if (c->n < QTY_CELLS_MAX) {
		c->start[c->n] = s;
		c->end[c->n] = e;
		c->n++;
	}
}

/* Splits a line into table cells: by tabs, by "|", or by runs of two or
 * more spaces. False when it is no table row (fewer than two cells). */
static bool qty_cells_of(const char *text, const struct qty_line *l, struct qty_cells *c)
{
	size_t i, s = l->start, e = l->end;

	c->n = 0;
	c->style = memchr(text + s, '\t', e - s) != NULL  ? '\t'
		   : memchr(text + s, '|', e - s) != NULL ? '|'
							  : ' ';
	while (s < e && text[s] == ' ')
		s++;
	if (c->style == '|') {
		if (s < e && text[s] == '|')
			s++;
		if (e > s && text[e - 1] == '|')
			e--;
	}
	for (i = s; i < e; i++) {
		if (c->style == ' ') {
			if (text[i] == ' ' && i + 1 < e && text[i + 1] == ' ') {
				qty_cell_add(c, text, s, i);
				while (i < e && text[i] == ' ')
					i++;
				s = i;
			}
		} else if (text[i] == c->style) {
			qty_cell_add(c, text, s, i);
			s = i + 1;
		}
	}
	qty_cell_add(c, text, s, e);
	return c->n >= 2;
}

static bool qty_has_mention(const struct qty_span *m, size_t count, size_t s, size_t e)
{
	size_t i;

	for (i = 0; i < count; i++) {
		if (m[i].start < e && m[i].end > s)
			return true;
	}
	return false;
}

/* The index of the quantity column of a header row, or -1. */
static int qty_header_column(const char *text, const struct qty_cells *c)
{
	char word[QTY_WORD_MAX];
	size_t i, k, n;

	for (i = 0; i < c->n; i++) {
		k = c->start[i];
		n = 0;
		while (k + n < c->end[i] && text[k + n] != ' ' && text[k + n] != '.' &&
		       text[k + n] != '(' && text[k + n] != ':' && text[k + n] != '/')
			n++;
		qty_fold(text + k, n, word, sizeof(word));
		if (qty_is_header_word(word))
			return (int)i;
	}
	return -1;
}

/* Whether text[s, e) ends in a decimal part: ".00", ",5". */
static bool qty_decimal_mark(const char *text, size_t s, size_t e)
{
	size_t d = 0;

	while (e > s && text[e - 1] >= '0' && text[e - 1] <= '9') {
		e--;
		d++;
	}
	return e > s && (text[e - 1] == '.' || text[e - 1] == ',') && d >= 1 && d <= 2;
}

/* A cell that is only a quantity ("50", "50 pcs", "zwei Stück"): 2 with a
 * unit, 1 a bare integer, 0 none; *v_r its value. */
static int qty_cell_value(const char *text, size_t s, size_t e, double *v_r)
{
	struct qty_scan sc;
	bool unit, measure;

	sc.text = text;
	sc.len = e;
	qty_tokenize(&sc, s, e);
	if (sc.n == 0 || sc.n > 3)
		return 0;
	*v_r = qty_item(&sc, 0, sc.n, &unit, &measure);
	if (*v_r <= 0)
		return 0;
	/* "3890.00" in a row is a price, even when whole */
	if (sc.n == 1)
		return qty_decimal_mark(text, s, e) ? 0 : 1;
	if (unit && (sc.n == 2 || (sc.n == 3 && sc.tok[2].type == QT_PUNCT)))
		return 2;
	return 0;
}

/* Looks for the header row of the table l is a row of. Returns the quantity
 * column, or -1 when no header names one (or l is no table row). */
static int qty_table_header(const char *text, size_t len, const struct qty_span *m, size_t count,
			    const struct qty_line *l, const struct qty_cells *row)
{
	struct qty_line up = *l;
	struct qty_cells c;
	int col, k;

	for (k = 0; k < QTY_LOOKBACK; k++) {
		if (!qty_line_next(text, len, &up, -1, &up) || up.depth != l->depth ||
		    qty_line_blank(text, &up))
			return -1;
		if (!qty_cells_of(text, &up, &c) || c.style != row->style)
			return -1;
		if (qty_has_mention(m, count, up.start, up.end))
			continue; /* another data row */
		col = qty_header_column(text, &c);
		if (col >= 0 && (row->style != ' ' || c.n == row->n))
			return col;
		/* "|---|---|" under a markdown header: keep looking up */
	}
	return -1;
}

/* The quantity of a table row. Returns true when the row decided (even as
 * "none": an empty quantity cell under a header is not guessed around). */
static bool qty_table_row(const char *text, size_t len, const struct qty_span *m, size_t count,
			  size_t idx, const struct qty_line *l, struct qty_answer *out)
{
	struct qty_cells row;
	size_t i, unit = 0, bare = 0, first_bare = SIZE_MAX;
	double v, vu = 0, vb = 0;
	int col, kind;

	if (!qty_cells_of(text, l, &row))
		return false;
	col = qty_table_header(text, len, m, count, l, &row);
	if (col >= 0) {
		if ((size_t)col < row.n && row.start[col] < row.end[col] &&
		    !(m[idx].start < row.end[col] && m[idx].end > row.start[col]) &&
		    qty_cell_value(text, row.start[col], row.end[col], &v) > 0)
			qty_set(out, v, 1.0, QTY_TABLE);
		else
			qty_set(out, 0, 0, QTY_NONE);
		return true;
	}
	for (i = 0; i < row.n; i++) {
		if (m[idx].start < row.end[i] && m[idx].end > row.start[i])
			continue;
		kind = qty_cell_value(text, row.start[i], row.end[i], &v);
		if (kind == 2) {
			unit++;
			vu = v;
		} else if (kind == 1) {
			if (first_bare == SIZE_MAX)
				first_bare = i;
			if (bare++ == 0 || i != 0)
				vb = v;
		}
	}
	/* a leading bare number before other figures is the position ("1") */
	if (bare > 1 && first_bare == 0)
		bare--;
	if (unit == 1)
		qty_set(out, vu, 0.9, QTY_CELL);
	else if (unit == 0 && bare == 1)
		qty_set(out, vb, 0.6, QTY_CELL);
	else if (unit + bare > 1)
		qty_set(out, 0, 0.3, QTY_CELL); /* ambiguous: several figures */
	else
		return false;
	return true;
}

/* The line rules on mention idx within its part of line l. */
static void qty_on_line(const char *text, size_t len, const struct qty_span *m, size_t count,
			size_t idx, const struct qty_line *l, struct qty_answer *out)
{
	struct qty_scan b = {.text = text, .len = len}, a = {.text = text, .len = len};
	size_t from = l->start, to = l->end;

	if (idx > 0 && m[idx - 1].end > from && m[idx - 1].end <= m[idx].start)
		from = m[idx - 1].end;
	if (idx + 1 < count && m[idx + 1].start < to && m[idx + 1].start >= m[idx].end)
		to = m[idx + 1].start;
	qty_tokenize(&b, from, m[idx].start);
	qty_tokenize(&a, m[idx].end, to);
	qty_rules(&b, &a, from == l->start, out);
}

/* A line next to the mention's, of the same item: "Qty: 50" under "Part:
 * HP-10214", or the start of a sentence the line break cut ("do you have
 * 8 x tapered roller bearing ... Your\n part no. 20177"). */
static bool qty_neighbour(const char *text, size_t len, const struct qty_span *m, size_t count,
			  const struct qty_line *l, int dir, struct qty_answer *out)
{
	struct qty_scan sc = {.text = text, .len = len}, none = {.text = text, .len = len};
	struct qty_line n;
	struct qty_answer a = {0, 0, QTY_NONE};

	if (!qty_line_next(text, len, l, dir, &n) || n.depth != l->depth ||
	    qty_line_blank(text, &n) || qty_has_mention(m, count, n.start, n.end))
		return false;
	qty_tokenize(&sc, n.start, n.end);
	if (qty_rule_label(&sc, &none, &a) ||
	    (qty_rule_unit_near(dir < 0 ? &sc : &none, dir < 0 ? &none : &sc, &a) &&
	     a.confidence >= 0.85)) {
		qty_set(out, a.quantity, a.how == QTY_LABEL ? 0.9 : 0.75, QTY_LINE);
		return true;
	}
	return false;
}

void qty_find(const char *text, size_t len, const struct qty_span *mentions, size_t count,
	      struct qty_answer *answers_r)
{
	struct qty_line l;
	size_t i;

	for (i = 0; i < count; i++) {
		memset(&answers_r[i], 0, sizeof(answers_r[i]));
		if (mentions[i].start >= len)
			continue;
		qty_line_at(text, len, mentions[i].start, &l);
		if (qty_table_row(text, len, mentions, count, i, &l, &answers_r[i]) &&
		    answers_r[i].how != QTY_CELL)
			continue;
		if (answers_r[i].how == QTY_CELL && answers_r[i].confidence >= QTY_KNOWN)
			continue;
		if (answers_r[i].how == QTY_CELL) {
			/* an ambiguous row: a unit next to the key still decides */
			struct qty_answer line = {0, 0, QTY_NONE};

			qty_on_line(text, len, mentions, count, i, &l, &line);
			if (line.confidence >= 0.9)
				answers_r[i] = line;
			continue;
		}
		qty_on_line(text, len, mentions, count, i, &l, &answers_r[i]);
		if (answers_r[i].how != QTY_NONE)
			continue;
		if (!qty_neighbour(text, len, mentions, count, &l, +1, &answers_r[i]))
			qty_neighbour(text, len, mentions, count, &l, -1, &answers_r[i]);
	}
}
