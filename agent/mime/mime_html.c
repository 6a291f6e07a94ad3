/* SPDX-License-Identifier: MIT */
#include "agent/mime/mime_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/lib/util.h"

/* HTML to text: a small tokenizer, not a browser. It keeps a stack of open
 * elements so that text inside a hidden element (display:none, zero font,
 * white on white, ...) goes only to the "all" output: what the business rules
 * match on, while the reader-visible text is what the model sees. */

#define STACK_MAX    256
#define TAG_NAME_MAX 16

enum bg { BG_UNSET, BG_WHITE, BG_OTHER };

struct element {
	char name[TAG_NAME_MAX];
	bool hide; /* hidden, for this element and everything inside */
	bool drop; /* <head>: neither output */
	bool white;
	enum bg bg;
};

struct out {
	struct buf *b;
	unsigned *flags;
	unsigned quote;
	int pending_nl;
	bool pending_sp;
	int pending_tabs; /* table cells begun since the last text: one tab each */
	bool line_start;
	bool oom;
};

struct html {
	const char *p;
	size_t len, pos;
	struct element stack[STACK_MAX];
	size_t depth, overflow;
	struct out vis, all;
	unsigned row_cells; /* cells of the current table row so far */
	bool pre;
	bool hidden_text;
};

/* What one opening tag says about visibility. */
struct tag_style {
	bool hidden;
	bool color_set, white;
	enum bg bg;
};

static const struct element root = {.name = "", .bg = BG_UNSET};

static const struct element *top(const struct html *h)
{
	return h->depth == 0 ? &root : &h->stack[h->depth - 1];
}

static void out_put(struct out *o, const char *s, size_t n)
{
	if (!o->oom && mime_text_append(o->b, s, n, o->flags) < 0)
		o->oom = true;
}

/* Writes a run of non-space text with the spacing and line breaks owed. */
static void out_word(struct out *o, const char *s, size_t n)
{
	unsigned q;

	if (o->b->len > 0 && o->pending_nl > 0) {
		out_put(o, "\n\n", (size_t)(o->pending_nl > 1 ? 2 : 1));
		o->line_start = true;
	} else if (o->b->len == 0) {
		o->line_start = true;
	} else if (o->pending_sp && !o->line_start && o->pending_tabs == 0) {
		out_put(o, " ", 1);
	}
	if (o->line_start) {
		for (q = 0; q < o->quote && q < 16; q++)
			out_put(o, "> ", 2);
	}
	/* cells stay apart as tabs, empty ones too, as a spreadsheet pastes
	 * them: the quantity column of an order table stays one column for
	 * connectors/keys/quantity.c */
	for (q = 0; q < (unsigned)o->pending_tabs && q < 64; q++)
		out_put(o, "\t", 1);
	out_put(o, s, n);
	o->pending_nl = 0;
	o->pending_sp = false;
	o->pending_tabs = 0;
	o->line_start = false;
}

static void out_break(struct out *o, int n)
{
	if (n > o->pending_nl)
		o->pending_nl = n;
}

static void emit_word(struct html *h, const char *s, size_t n)
{
	const struct element *e = top(h);

	if (e->drop)
		return;
	out_word(&h->all, s, n);
	if (e->hide)
		h->hidden_text = true;
	else
		out_word(&h->vis, s, n);
}

static void emit_space(struct html *h)
{
	h->all.pending_sp = true;
	if (!top(h)->hide)
		h->vis.pending_sp = true;
}

/* A cell of a table row began: from the second on, a tab is owed. */
static void emit_cell(struct html *h)
{
	if (h->row_cells++ == 0)
		return;
	h->all.pending_tabs++;
	h->vis.pending_tabs++;
}

static void emit_row(struct html *h)
{
	h->row_cells = 0;
	h->all.pending_tabs = 0;
	h->vis.pending_tabs = 0;
}

static void emit_break(struct html *h, int n)
{
	out_break(&h->all, n);
	if (!top(h)->hide)
		out_break(&h->vis, n);
}

static bool name_in(const char *name, const char *const *list)
{
	for (; *list != NULL; list++) {
		if (strcmp(name, *list) == 0)
			return true;
	}
	return false;
}

static const char *const void_tags[] = {"br",    "img",    "hr",    "meta", "link",
					"input", "area",   "base",  "col",  "embed",
					"param", "source", "track", "wbr",  NULL};
static const char *const para_tags[] = {"p",     "h1", "h2", "h3",  "h4",         "h5", "h6",
					"table", "ul", "ol", "pre", "blockquote", NULL};
static const char *const line_tags[] = {"div",     "li",  "tr",    "section",  "article", "header",
					"footer",  "nav", "aside", "center",   "address", "dl",
					"dt",      "dd",  "form",  "fieldset", "figure",  "main",
					"caption", "br",  "hr",    NULL};
static const char *const raw_tags[] = {"script", "style", "title", "template", "xml", NULL};

/* Parses "#fff", "#f0f0f0", "white", "rgb(250, 250, 250)" as (near) white. */
static bool is_white(const char *v)
{
	unsigned r, g, b;
	size_t n;

	if (strncmp(v, "white", 5) == 0)
		return true;
	if (v[0] == '#') {
		n = strspn(v + 1, "0123456789abcdef");
		if (n == 3)
			return strspn(v + 1, "f") == 3;
		if (n == 6 && sscanf(v + 1, "%2x%2x%2x", &r, &g, &b) == 3)
			return r >= 0xF0 && g >= 0xF0 && b >= 0xF0;
		return false;
	}
	if (sscanf(v, "rgb(%u,%u,%u", &r, &g, &b) == 3 ||
	    sscanf(v, "rgba(%u,%u,%u", &r, &g, &b) == 3)
		return r >= 240 && g >= 240 && b >= 240;
	return false;
}

static enum bg parse_bg(const char *v)
{
	if (v[0] == '\0' || strncmp(v, "transparent", 11) == 0 || strncmp(v, "none", 4) == 0 ||
	    strncmp(v, "inherit", 7) == 0)
		return BG_UNSET;
	return is_white(v) ? BG_WHITE : BG_OTHER;
}

/* A zero (or at most 1px/pt) length: "0", "0px", "0.0em", "1px". */
static bool tiny_length(const char *v)
{
	char *end;
	double d = strtod(v, &end);

	if (end == v)
		return false;
	if (d == 0)
		return true;
	return d > 0 && d <= 1 && (strncmp(end, "px", 2) == 0 || strncmp(end, "pt", 2) == 0);
}

/* Applies one CSS declaration (lower case, no spaces) to ts. */
static void style_decl(const char *prop, const char *val, struct tag_style *ts, bool *zero_height,
		       bool *overflow_hidden)
{
	char *end;

	if (strcmp(prop, "display") == 0 && strncmp(val, "none", 4) == 0)
		ts->hidden = true;
	else if (strcmp(prop, "visibility") == 0 &&
		 (strncmp(val, "hidden", 6) == 0 || strncmp(val, "collapse", 8) == 0))
		ts->hidden = true;
	else if (strcmp(prop, "mso-hide") == 0 && strncmp(val, "all", 3) == 0)
		ts->hidden = true;
	else if (strcmp(prop, "font-size") == 0 && tiny_length(val))
		ts->hidden = true;
	else if (strcmp(prop, "opacity") == 0 && strtod(val, &end) == 0 && end != val)
		ts->hidden = true;
	else if (strcmp(prop, "text-indent") == 0 && strtod(val, &end) <= -1000)
		ts->hidden = true;
	else if (strcmp(prop, "color") == 0)
		ts->color_set = true, ts->white = is_white(val);
	else if (strcmp(prop, "background-color") == 0 || strcmp(prop, "background") == 0)
		ts->bg = parse_bg(val);
	else if ((strcmp(prop, "max-height") == 0 || strcmp(prop, "height") == 0) &&
		 tiny_length(val))
		*zero_height = true;
	else if (strcmp(prop, "overflow") == 0 && strncmp(val, "hidden", 6) == 0)
		*overflow_hidden = true;
}

static void parse_style(const char *s, size_t len, struct tag_style *ts)
{
	char decl[256], *colon;
	bool zero_height = false, overflow_hidden = false;
	size_t i = 0, n;

	while (i < len) {
		n = 0;
		while (i < len && s[i] != ';') {
			if (!isspace((unsigned char)s[i]) && n + 1 < sizeof(decl))
				decl[n++] = (char)tolower((unsigned char)s[i]);
			i++;
		}
		i++;
		decl[n] = '\0';
		colon = strchr(decl, ':');
		if (colon == NULL)
			continue;
		*colon = '\0';
		if ((n = strlen(colon + 1)) >= 10 && strcmp(colon + 1 + n - 10, "!important") == 0)
			colon[1 + n - 10] = '\0';
		style_decl(decl, colon + 1, ts, &zero_height, &overflow_hidden);
	}
	if (zero_height && overflow_hidden)
		ts->hidden = true;
}

static void apply_attr(const char *name, size_t nlen, const char *v, size_t vlen,
		       struct tag_style *ts)
{
	char val[64];
	size_t i;

	if (nlen == 5 && strncasecmp(name, "style", 5) == 0) {
		parse_style(v, vlen, ts);
		return;
	}
	if (nlen == 6 && strncasecmp(name, "hidden", 6) == 0) {
		ts->hidden = true;
		return;
	}
	for (i = 0; i < vlen && i + 1 < sizeof(val); i++)
		val[i] = (char)tolower((unsigned char)v[i]);
	val[i] = '\0';
	if (nlen == 7 && strncasecmp(name, "bgcolor", 7) == 0)
		ts->bg = parse_bg(val);
	else if (nlen == 5 && strncasecmp(name, "color", 5) == 0)
		ts->color_set = true, ts->white = is_white(val);
}

/* Reads attributes up to '>'; sets *self_close for "/>". */
static void parse_attrs(struct html *h, struct tag_style *ts, bool *self_close)
{
	const char *p = h->p, *name, *val;
	size_t nlen, vlen;
	char q;

	while (h->pos < h->len && p[h->pos] != '>') {
		if (isspace((unsigned char)p[h->pos]) || p[h->pos] == '/') {
			*self_close = p[h->pos] == '/';
			h->pos++;
			continue;
		}
		*self_close = false;
		name = p + h->pos;
		while (h->pos < h->len && !isspace((unsigned char)p[h->pos]) &&
		       !strchr("=>/", p[h->pos]))
			h->pos++;
		nlen = (size_t)(p + h->pos - name);
		val = "";
		vlen = 0;
		while (h->pos < h->len && isspace((unsigned char)p[h->pos]))
			h->pos++;
		if (h->pos < h->len && p[h->pos] == '=') {
			h->pos++;
			while (h->pos < h->len && isspace((unsigned char)p[h->pos]))
				h->pos++;
			q = h->pos < h->len && (p[h->pos] == '"' || p[h->pos] == '\'') ? p[h->pos]
										       : 0;
			if (q != 0)
				h->pos++;
			val = p + h->pos;
			while (h->pos < h->len &&
			       (q != 0 ? p[h->pos] != q
				       : !isspace((unsigned char)p[h->pos]) && p[h->pos] != '>'))
				h->pos++;
			vlen = (size_t)(p + h->pos - val);
			if (q != 0 && h->pos < h->len)
				h->pos++;
		}
		if (nlen > 0)
			apply_attr(name, nlen, val, vlen, ts);
	}
	if (h->pos < h->len)
		h->pos++;
}

static void push(struct html *h, const char *name, const struct tag_style *ts)
{
	const struct element *parent = top(h);
	struct element *e;

	if (h->depth == STACK_MAX) {
		h->overflow++;
		return;
	}
	e = &h->stack[h->depth];
	str_copy(e->name, sizeof(e->name), name);
	e->drop = parent->drop || strcmp(name, "head") == 0;
	e->bg = ts->bg != BG_UNSET ? ts->bg : parent->bg;
	e->white = ts->color_set ? ts->white : parent->white;
	e->hide = parent->hide || ts->hidden || (e->white && e->bg != BG_OTHER);
	h->depth++;
}

static void pop_to(struct html *h, const char *name)
{
	size_t i;

	if (h->overflow > 0) {
		h->overflow--;
		return;
	}
	for (i = h->depth; i > 0; i--) {
		if (strcmp(h->stack[i - 1].name, name) == 0) {
			h->depth = i - 1;
			return;
		}
	}
}

/* Skips the content of <script>, <style>, ... up to its end tag. */
static void skip_raw(struct html *h, const char *name)
{
	size_t n = strlen(name);

	while (h->pos < h->len) {
		const char *lt = memchr(h->p + h->pos, '<', h->len - h->pos);

		if (lt == NULL)
			break;
		h->pos = (size_t)(lt - h->p) + 1;
		if (h->pos + n < h->len && h->p[h->pos] == '/' &&
		    strncasecmp(h->p + h->pos + 1, name, n) == 0)
			break;
	}
	while (h->pos < h->len && h->p[h->pos] != '>')
		h->pos++;
	if (h->pos < h->len)
		h->pos++;
}

static void block_edge(struct html *h, const char *name, bool open)
{
	if (strcmp(name, "blockquote") == 0 && !top(h)->drop) {
		if (open) {
			h->all.quote++;
			h->vis.quote++;
		} else {
			h->all.quote -= h->all.quote > 0;
			h->vis.quote -= h->vis.quote > 0;
		}
	}
	if (strcmp(name, "tr") == 0 || strcmp(name, "table") == 0)
		emit_row(h);
	if (name_in(name, para_tags))
		emit_break(h, 2);
	else if (name_in(name, line_tags))
		emit_break(h, 1);
	else if ((strcmp(name, "td") == 0 || strcmp(name, "th") == 0) && open)
		emit_cell(h);
	else if (strcmp(name, "td") == 0 || strcmp(name, "th") == 0)
		emit_space(h);
	if (strcmp(name, "pre") == 0)
		h->pre = open;
}

static void handle_tag(struct html *h)
{
	struct tag_style ts = {.bg = BG_UNSET};
	char name[TAG_NAME_MAX];
	bool closing = false, self_close = false;
	size_t n = 0;

	h->pos++; /* '<' */
	if (h->p[h->pos] == '/') {
		closing = true;
		h->pos++;
	}
	while (h->pos < h->len && isalnum((unsigned char)h->p[h->pos])) {
		if (n + 1 < sizeof(name))
			name[n++] = (char)tolower((unsigned char)h->p[h->pos]);
		h->pos++;
	}
	name[n] = '\0';
	parse_attrs(h, &ts, &self_close);
	if (closing) {
		block_edge(h, name, false);
		pop_to(h, name);
		return;
	}
	if (strcmp(name, "body") == 0)
		h->depth = 0; /* whatever <head> left open ends here */
	if (name_in(name, raw_tags)) {
		if (!self_close)
			skip_raw(h, name);
		return;
	}
	if (!name_in(name, void_tags) && !self_close)
		push(h, name, &ts);
	block_edge(h, name, true);
	if (strcmp(name, "li") == 0)
		emit_word(h, "-", 1), emit_space(h);
}

static void skip_markup(struct html *h)
{
	const char *end;

	if (h->len - h->pos >= 4 && memcmp(h->p + h->pos, "<!--", 4) == 0) {
		end = memmem(h->p + h->pos + 4, h->len - h->pos - 4, "-->", 3);
		h->pos = end == NULL ? h->len : (size_t)(end - h->p) + 3;
		return;
	}
	end = memchr(h->p + h->pos, '>', h->len - h->pos);
	h->pos = end == NULL ? h->len : (size_t)(end - h->p) + 1;
}

static const struct {
	const char *name;
	uint32_t cp;
} entities[] = {
	{"amp", '&'},      {"lt", '<'},       {"gt", '>'},        {"quot", '"'},
	{"apos", '\''},    {"nbsp", 0xA0},    {"shy", 0xAD},      {"middot", 0xB7},
	{"ndash", 0x2013}, {"mdash", 0x2014}, {"hellip", 0x2026}, {"lsquo", 0x2018},
	{"rsquo", 0x2019}, {"ldquo", 0x201C}, {"rdquo", 0x201D},  {"bdquo", 0x201E},
	{"sbquo", 0x201A}, {"bull", 0x2022},  {"euro", 0x20AC},   {"pound", 0xA3},
	{"copy", 0xA9},    {"reg", 0xAE},     {"trade", 0x2122},  {"deg", 0xB0},
	{"times", 0xD7},   {"divide", 0xF7},  {"plusmn", 0xB1},   {"sect", 0xA7},
	{"para", 0xB6},    {"micro", 0xB5},   {"laquo", 0xAB},    {"raquo", 0xBB},
	{"iexcl", 0xA1},   {"iquest", 0xBF},  {"auml", 0xE4},     {"ouml", 0xF6},
	{"uuml", 0xFC},    {"Auml", 0xC4},    {"Ouml", 0xD6},     {"Uuml", 0xDC},
	{"szlig", 0xDF},   {"eacute", 0xE9},  {"egrave", 0xE8},   {"ecirc", 0xEA},
	{"Eacute", 0xC9},  {"aacute", 0xE1},  {"agrave", 0xE0},   {"acirc", 0xE2},
	{"iacute", 0xED},  {"oacute", 0xF3},  {"uacute", 0xFA},   {"ntilde", 0xF1},
	{"Ntilde", 0xD1},  {"ccedil", 0xE7},  {"Ccedil", 0xC7},   {"oslash", 0xF8},
	{"aring", 0xE5},   {"aelig", 0xE6},   {"zwj", 0x200D},    {"zwnj", 0x200C},
	{"lrm", 0x200E},   {"rlm", 0x200F},   {"thinsp", 0x2009}, {"ensp", 0x2002},
	{"emsp", 0x2003},  {"frac12", 0xBD},  {"frac14", 0xBC},   {"cent", 0xA2},
};

/* Windows-1252 meanings of &#128;-&#159;, as browsers read them. */
static const uint16_t c1_map[32] = {
	0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
	0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
	0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
};

/* Decodes the entity at h->pos ('&'); returns the code point, or 0 when it is
 * not one (then only the '&' is consumed). */
static uint32_t entity(struct html *h)
{
	const char *s = h->p + h->pos + 1;
	size_t max = h->len - h->pos - 1, n = 0, i;
	unsigned long v = 0;
	char name[12];
	char *end;

	while (n < max && n < sizeof(name) - 1 && s[n] != ';' && isalnum((unsigned char)s[n]))
		n++;
	if (max > 1 && s[0] == '#') {
		n = 1;
		while (n < max && n < 10 && isalnum((unsigned char)s[n]))
			n++;
		memcpy(name, s + 1, n - 1);
		name[n - 1] = '\0';
		v = (name[0] == 'x' || name[0] == 'X') ? strtoul(name + 1, &end, 16)
						       : strtoul(name, &end, 10);
		if (n == 1 || *end != '\0')
			return 0;
		h->pos += 1 + n + (n < max && s[n] == ';');
		if (v >= 0x80 && v < 0xA0)
			return c1_map[v - 0x80];
		if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
			return 0xFFFD;
		return (uint32_t)v;
	}
	memcpy(name, s, n);
	name[n] = '\0';
	for (i = 0; i < ARRAY_SIZE(entities); i++) {
		if (strcmp(name, entities[i].name) == 0) {
			h->pos += 1 + n + (n < max && s[n] == ';');
			return entities[i].cp;
		}
	}
	return 0;
}

/* Handles text up to the next '<', collapsing white space outside <pre>. */
static void handle_text(struct html *h)
{
	char word[512], enc[4];
	size_t n = 0, e;
	uint32_t cp;
	char c;

	while (h->pos < h->len && h->p[h->pos] != '<') {
		c = h->p[h->pos];
		if (c == '&' && (cp = entity(h)) != 0) {
			if (cp == 0xA0 && !h->pre)
				goto space;
			e = mime_utf8_encode(cp, enc);
			if (n + e > sizeof(word))
				emit_word(h, word, n), n = 0;
			memcpy(word + n, enc, e);
			n += e;
			continue;
		}
		h->pos++;
		if (isspace((unsigned char)c) && !(h->pre && c == ' ')) {
			if (h->pre && c == '\n') {
				if (n > 0)
					emit_word(h, word, n), n = 0;
				emit_break(h, 1);
				continue;
			}
			goto space;
		}
		if (n == sizeof(word))
			emit_word(h, word, n), n = 0;
		word[n++] = c;
		continue;
	space:
		if (n > 0)
			emit_word(h, word, n), n = 0;
		emit_space(h);
	}
	if (n > 0)
		emit_word(h, word, n);
}

int mime_html_to_text(const char *html, size_t len, struct buf *visible, struct buf *all,
		      unsigned *flags)
{
	struct html *h;
	int ret;
	char c;

	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return -1;
	h->p = html;
	h->len = len;
	h->vis = (struct out){.b = visible, .flags = flags, .line_start = true};
	h->all = (struct out){.b = all, .flags = flags, .line_start = true};
	while (h->pos < h->len) {
		if (h->p[h->pos] != '<') {
			handle_text(h);
			continue;
		}
		c = h->pos + 1 < h->len ? h->p[h->pos + 1] : '\0';
		if (c == '!' || c == '?')
			skip_markup(h);
		else if (isalpha((unsigned char)c) || c == '/')
			handle_tag(h);
		else
			emit_word(h, "<", 1), h->pos++;
	}
	if (h->hidden_text)
		*flags |= MIME_FLAG_HIDDEN_TEXT;
	ret = h->vis.oom || h->all.oom ? -1 : 0;
	free(h);
	return ret;
}
