/* SPDX-License-Identifier: MIT */
/* connectors/keys/quantity.c: quantities in any layout (issue 17, item 2), over
 * fixture mails parsed by agent/mime/mime.c, single lines, and random quote
 * mails (seeded and replayable) that check the invariant "a total only when
 * every line is known". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/mime/mime.h"
#include "connectors/keys/keys.h"
#include "connectors/keys/quantity.h"
#include "connectors/rules/rules.h"
#include "daemon/lib/buf.h"
#include "daemon/lib/util.h"
#include "harness.h"

static struct keys_kind *qty_sku;

static int qty_init(void)
{
	struct error err;

	return keys_kind_new("sku", NULL, 0, NULL, &qty_sku, &err) < 0 ? 1 : 0;
}

static int qty_cleanup(void)
{
	keys_kind_free(&qty_sku);
	return 0;
}

static void test_parse_number(void)
{
	static const struct {
		const char *s;
		double v; /* -1: refused */
	} t[] = {
		{"1200", 1200},
		{"1.200", 1200},
		{"1,200", 1200},
		{"1 200", 1200},
		{"1\xc2\xa0"
		 "200",
		 1200},
		{"1\xe2\x80\xaf"
		 "200",
		 1200},
		{"1'200", 1200},
		{"1,5", 1.5},
		{"2.5", 2.5},
		{"1.200,50", 1200.5},
		{"1,200.50", 1200.5},
		{"12.000.000", 12000000},
		{"0,75", 0.75},
		{"11.03.2025", -1},
		{"1.2.3", -1},
		{"1,20,000", -1},
		{"1234.567.8", -1},
		{"", -1},
		{"12a", -1},
		{"1.200.5", -1},
		{"9999999999999999", -1},
	};
	size_t i;
	double v;
	int r;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		v = -2;
		r = qty_parse_number(t[i].s, strlen(t[i].s), &v);
		if ((t[i].v < 0 && r == 0) || (t[i].v >= 0 && (r < 0 || fabs(v - t[i].v) > 1e-9)))
			fprintf(stderr, "\n  qty_parse_number('%s'): r=%d v=%g want %g\n", t[i].s,
				r, v, t[i].v);
		CU_ASSERT_EQUAL(r, t[i].v < 0 ? -1 : 0);
		if (t[i].v >= 0)
			CU_ASSERT_DOUBLE_EQUAL(v, t[i].v, 1e-9);
	}
	CU_ASSERT_EQUAL(qty_number_word("zwei"), 2);
	CU_ASSERT_EQUAL(qty_number_word("douzaine"), 12);
	CU_ASSERT_EQUAL(qty_number_word("cinco"), 5);
	CU_ASSERT_EQUAL(qty_number_word("pump"), 0);
}

/* Expectations of one key in a fixture: the quantity and whether it is
 * known (confidence >= QTY_KNOWN); qty 0 means none may be known. */
struct qty_want {
	const char *key;
	double qty;
	bool known;
};

struct qty_fixture {
	const char *file;
	struct qty_want want[8];
};

static const struct qty_fixture qty_fixtures[] = {
	{"plain-lines.eml",
	 {{"HP-10214", 50, true},
	  {"HP-10227", 30, true},
	  {"HP-10233", 12, true},
	  {"HP-10258", 8, true},
	  {"HP-20115", 200, true},
	  {"HP-20203", 4, true},
	  {"HP-40035", 0, false}}},
	/* an HTML table with a header row naming the quantity column */
	{"html-table-header.eml",
	 {{"HP-40035", 2, true}, {"HP-50155", 6, true}, {"HP-30108", 1200, true}}},
	/* without a header: the one cell with a unit */
	{"html-table-noheader.eml", {{"HP-40035", 2, true}, {"HP-50155", 6, true}}},
	/* an empty quantity cell under a header is not guessed around */
	{"html-table-empty-qty.eml", {{"HP-40035", 3, true}, {"HP-50155", 0, false}}},
	/* two bare figures per row and no header: nobody can tell */
	{"html-table-ambiguous.eml", {{"HP-40035", 0, false}, {"HP-50155", 0, false}}},
	{"list-es.eml",
	 {{"HP-10214", 50, true},
	  {"HP-10227", 25, true},
	  {"HP-40035", 2, true},
	  {"HP-20115", 15, true}}},
	{"fr-pieces.eml",
	 {{"HP-30162", 30, true},
	  {"HP-30108", 1200, true},
	  {"HP-30116", 10, true},
	  {"HP-60031", 12, true}}},
	{"de-numbers.eml",
	 {{"HP-30108", 1200, true},
	  {"HP-70010", 1.5, true},
	  {"HP-40035", 2, true},
	  {"HP-20115", 40, true}}},
	{"next-line-label.eml", {{"HP-10214", 40, true}, {"HP-10233", 15, true}}},
	{"excel-paste.eml",
	 {{"HP-10214", 100, true}, {"HP-10258", 24, true}, {"HP-20115", 0, false}}},
	{"markdown-table.eml", {{"HP-60031", 30, true}, {"HP-60058", 12, true}}},
	/* sizes, codes and prices are no quantities */
	{"no-quantity.eml",
	 {{"HP-40035", 0, false},
	  {"HP-50155", 0, false},
	  {"HP-30108", 0, false},
	  {"HP-20115", 0, false}}},
	{"quoted-history.eml", {{"HP-10214", 40, true}, {"HP-10258", 2, true}}},
};

static const struct key_hit *qty_hit(const struct key_hit *hits, int n, const char *key)
{
	int i;

	for (i = 0; i < n; i++) {
		if (strcmp(hits[i].key, key) == 0)
			return &hits[i];
	}
	return NULL;
}

/* The text the pipeline extracts keys from: subject, new text, quoted. */
static char *qty_mail_text(const char *file)
{
	char path[4096], *raw = NULL, *text = NULL;
	struct mime_message *m = NULL;
	struct mime_limits l;
	size_t len;

	snprintf(path, sizeof(path), "%s/tests/fixtures/quantity/%s", test_src_dir(), file);
	if (file_read_all(path, 1 << 20, &raw, &len, NULL) < 0)
		return NULL;
	mime_limits_default(&l);
	if (mime_parse(raw, len, &l, &m, NULL) == 0 &&
	    asprintf(&text, "%s\n%s\n%s", m->subject != NULL ? m->subject : "", m->text,
		     m->quoted) < 0)
		text = NULL;
	mime_message_free(&m);
	free(raw);
	return text;
}

static void test_fixtures(void)
{
	const struct qty_fixture *f;
	const struct qty_want *w;
	const struct key_hit *h;
	struct key_hit hits[32];
	char *text;
	size_t i, k;
	int n;

	for (i = 0; i < ARRAY_SIZE(qty_fixtures); i++) {
		f = &qty_fixtures[i];
		text = qty_mail_text(f->file);
		CU_ASSERT_PTR_NOT_NULL_FATAL(text);
		n = keys_extract(qty_sku, text, strlen(text), hits, 32);
		for (k = 0; k < ARRAY_SIZE(f->want) && f->want[k].key != NULL; k++) {
			w = &f->want[k];
			h = qty_hit(hits, n, w->key);
			if (h == NULL || (h->confidence >= QTY_KNOWN) != w->known ||
			    (w->known && fabs(h->quantity - w->qty) > 1e-9))
				fprintf(stderr, "\n  %s: %s: got %g (%.2f, %s), want %g %s\n",
					f->file, w->key, h != NULL ? h->quantity : -1,
					h != NULL ? h->confidence : -1,
					h != NULL ? qty_how_name(h->how) : "-", w->qty,
					w->known ? "known" : "unknown");
			CU_ASSERT_PTR_NOT_NULL_FATAL(h);
			CU_ASSERT_EQUAL(h->confidence >= QTY_KNOWN, w->known);
			if (w->known)
				CU_ASSERT_DOUBLE_EQUAL(h->quantity, w->qty, 1e-9);
		}
		free(text);
	}
}

/* Single lines: the layouts of the corpus and more. */
static const struct {
	const char *text;
	const char *key;
	double qty; /* 0: not known */
} qty_lines[] = {
	{"  - 200 x deep groove ball bearing 6204-2RS (your HP-20115)\n", "HP-20115", 200},
	{"  - 10 x pillow block UCP208, I believe that's HP-20203 in your list", "HP-20203", 10},
	{"2x axial piston pump HP-40035 and 6x inline filter HP-50155", "HP-50155", 6},
	{"2x axial piston pump HP-40035 and 6x inline filter HP-50155", "HP-40035", 2},
	{"Qty 2 - HP-40035 axial piston pump, 45 cc/rev, open circuit", "HP-40035", 2},
	{" Item 1: 20 pcs pressure relief valve G3/8, 50-210 bar (HP-60029)", "HP-60029", 20},
	{" Item 2: 50 packs O-ring 25x3 FKM, pack of 50 (HP-30144)", "HP-30144", 50},
	{"- 500 bagues 40x62x8 NBR, r\xc3\xa9"
	 "f. HP-30108",
	 "HP-30108", 500},
	{"- 10 coffrets de joints toriques NBR 70, r\xc3\xa9"
	 "f. HP-30116",
	 "HP-30116", 10},
	{"- 40 St\xc3\xbc"
	 "ck Stangendichtung 50x60x6 PU, Ihre Art.-Nr. hp 30125",
	 "HP-30125", 40},
	{"  12 x solenoid coil 24 VDC 22 W, part no. 60063", "HP-60063", 12},
	{"   4 x directional control valve 4/3 CETOP 3 24 VDC, HP-60014", "HP-60014", 4},
	{"- hp 10290 banjo bolts M14x1.5, 200 pcs", "HP-10290", 200},
	{"  30 pcs  check valve G1/2 inline (HP-60031)", "HP-60031", 30},
	{"         HP-20115     2  for the line", "HP-20115", 2},
	{"HP-20115 x116", "HP-20115", 116},
	{"HP-20115 \xc3\x97 4", "HP-20115", 4},
	{"50 unidades HP-10214", "HP-10214", 50},
	{"HP-10214 (50 St.)", "HP-10214", 50},
	{"Menge: 5 / Art.-Nr. 10214", "HP-10214", 5},
	{"Cantidad 3 ref. HP-10214", "HP-10214", 3},
	{"Qt\xc3\xa9 : 7 r\xc3\xa9"
	 "f. HP-10214",
	 "HP-10214", 7},
	{"drei St\xc3\xbc"
	 "ck HP-10214",
	 "HP-10214", 3},
	{"ein Dutzend HP-10214", "HP-10214", 12},
	{"4 St\xc3\xbc"
	 "ck \xc3\x96lk\xc3\xbchler HP-81066 (40 l/min, 24 V)",
	 "HP-81066", 4},
	{"HP-71005 hose 2SN, flow 12 l/min", "HP-71005", 0},
	{"seal 40x62x8 HP-30108", "HP-30108", 0},
	{"HP-30108 is it in stock?", "HP-30108", 0},
	{"HP-20115 at EUR 3.95", "HP-20115", 0},
	{"HP-20115 3,95 \xe2\x82\xac", "HP-20115", 0},
	{"order SO-204518 for HP-20115", "HP-20115", 0},
	{"HP-20115 since 11.03.2025", "HP-20115", 0},
	{"HP-20115, 15% off?", "HP-20115", 0},
	{"1. HP-20115", "HP-20115", 0},
	{"Pos 3 HP-20115", "HP-20115", 0},
	{"we need 2 or 3 HP-20115 urgently and 40 bearings", "HP-20115", 0.0},
};

static void test_lines(void)
{
	struct key_hit hits[8];
	const struct key_hit *h;
	size_t i;
	int n;

	for (i = 0; i < ARRAY_SIZE(qty_lines); i++) {
		n = keys_extract(qty_sku, qty_lines[i].text, strlen(qty_lines[i].text), hits, 8);
		h = qty_hit(hits, n, qty_lines[i].key);
		CU_ASSERT_PTR_NOT_NULL_FATAL(h);
		if (qty_lines[i].qty > 0
			    ? (h->confidence < QTY_KNOWN || h->quantity != qty_lines[i].qty)
			    : h->confidence >= QTY_KNOWN)
			fprintf(stderr, "\n  '%s': got %g (%.2f, %s), want %g\n", qty_lines[i].text,
				h->quantity, h->confidence, qty_how_name(h->how), qty_lines[i].qty);
		if (qty_lines[i].qty > 0) {
			CU_ASSERT(h->confidence >= QTY_KNOWN);
			CU_ASSERT_DOUBLE_EQUAL(h->quantity, qty_lines[i].qty, 1e-9);
		} else {
			CU_ASSERT(h->confidence < QTY_KNOWN);
		}
	}
}

/* --- random quote mails: a total only when every line is known --- */

static uint64_t qty_rng;

static uint64_t qty_rand(void)
{
	return test_rand(&qty_rng);
}

static unsigned qty_pick(unsigned n)
{
	return (unsigned)(qty_rand() % n);
}

/* A quantity written the way a language writes it. */
static void qty_write(struct buf *b, unsigned q, char style)
{
	if (q < 1000 || style == 'p') {
		(void)!buf_printf(b, "%u", q);
		return;
	}
	if (style == 'e')
		(void)!buf_printf(b, "%u,%03u", q / 1000, q % 1000);
	else if (style == 'd')
		(void)!buf_printf(b, "%u.%03u", q / 1000, q % 1000);
	else
		(void)!buf_printf(b, "%u\xc2\xa0%03u", q / 1000, q % 1000);
}

static const char *const qty_descs[] = {
	"axial piston pump 45 cc/rev",
	"deep groove ball bearing 6204-2RS",
	"O-ring 40x62x8 NBR",
	"banjo bolt M14x1.5",
	"ball valve DN25 PN40",
	"filter housing 350 bar",
	"check valve G1/2",
	"Radialwellendichtring",
};

/* Writes one line for key (q 0: no quantity) in a random layout. */
static void qty_line_write(struct buf *b, const char *key, unsigned q)
{
	const char *d = qty_descs[qty_pick(ARRAY_SIZE(qty_descs))];
	static const char styles[] = "edfp";
	char st = styles[qty_pick(4)];

	if (q == 0) {
		switch (qty_pick(3)) {
		case 0:
			(void)!buf_printf(b, "- %s %s\n", key, d);
			break;
		case 1:
			(void)!buf_printf(b, "%s, %s, quantity to follow\n", d, key);
			break;
		default:
			(void)!buf_printf(b, "Do you have %s (%s) in stock?\n", key, d);
		}
		return;
	}
	switch (qty_pick(9)) {
	case 0:
		qty_write(b, q, st);
		(void)!buf_printf(b, " x %s %s\n", key, d);
		break;
	case 1:
		(void)!buf_printf(b, "%s - ", key);
		qty_write(b, q, st);
		(void)!buf_printf(b, " pcs %s\n", d);
		break;
	case 2:
		(void)!buf_printf(b, "Qty ");
		qty_write(b, q, st);
		(void)!buf_printf(b, " - %s %s\n", key, d);
		break;
	case 3:
		(void)!buf_printf(b, "- ");
		qty_write(b, q, 'd');
		(void)!buf_printf(b,
				  " St\xc3\xbc"
				  "ck %s, Art.-Nr. %s\n",
				  d, key);
		break;
	case 4:
		(void)!buf_printf(b, "%s: ", key);
		qty_write(b, q, st);
		(void)!buf_printf(b, "\n");
		break;
	case 5:
		qty_write(b, q, 'd');
		(void)!buf_printf(b, " unidades de %s (%s)\n", key, d);
		break;
	case 6:
		(void)!buf_printf(b, "* ");
		qty_write(b, q, 'f');
		(void)!buf_printf(b,
				  " pi\xc3\xa8"
				  "ces %s r\xc3\xa9"
				  "f. %s\n",
				  d, key);
		break;
	case 7:
		(void)!buf_printf(b, "%s\t%s\t", key, d);
		qty_write(b, q, 'p');
		(void)!buf_printf(b, " pcs\n");
		break;
	default:
		(void)!buf_printf(b, "Menge: ");
		qty_write(b, q, 'p');
		(void)!buf_printf(b, " / %s %s\n", key, d);
	}
}

/* One random mail and its check. Returns false (and says why) on a failure. */
static bool qty_one_mail(uint64_t seed)
{
	struct key_hit hits[16];
	unsigned lines = 1 + (unsigned)(seed % 6), q[8], i;
	char keys[8][16], *dump = NULL;
	json_t *facts = json_object(), *inv = json_array(), *total;
	double sum = 0;
	bool any_missing = false, ok = true;
	struct buf b;
	int n, k;

	qty_rng = seed * 2654435761u + 1;
	buf_init(&b, 64 * 1024);
	(void)!buf_printf(&b, "Hello,\n\nplease quote:\n\n");
	for (i = 0; i < lines; i++) {
		snprintf(keys[i], sizeof(keys[i]), "HP-%05u", 10000 + i * 1111);
		q[i] = qty_pick(5) == 0 ? 0 : 1 + qty_pick(qty_pick(2) ? 30 : 5000);
		any_missing |= q[i] == 0;
		qty_line_write(&b, keys[i], q[i]);
		json_array_append_new(inv, json_pack("{s:s, s:b, s:f}", "key", keys[i], "found", 1,
						     "unit_price_eur", 2.5 + i));
		sum += q[i] * (2.5 + i);
	}
	(void)!buf_printf(&b, "\nThanks, %u lines\n", lines);
	json_object_set_new(facts, "inventory", inv);
	n = keys_extract(qty_sku, b.data, b.len, hits, 16);
	if (n != (int)lines) {
		fprintf(stderr, "\n  seed %llu: %d keys for %u lines\n", (unsigned long long)seed,
			n, lines);
		ok = false;
	}
	for (k = 0; ok && k < n; k++) {
		i = (unsigned)k;
		if (q[i] > 0 && (hits[k].confidence < QTY_KNOWN || hits[k].quantity != q[i])) {
			fprintf(stderr, "\n  seed %llu: %s: got %g (%.2f, %s), wrote %u\n",
				(unsigned long long)seed, keys[i], hits[k].quantity,
				hits[k].confidence, qty_how_name(hits[k].how), q[i]);
			ok = false;
		}
		if (q[i] == 0 && hits[k].confidence >= QTY_KNOWN) {
			fprintf(stderr, "\n  seed %llu: %s: got %g (%.2f, %s), wrote none\n",
				(unsigned long long)seed, keys[i], hits[k].quantity,
				hits[k].confidence, qty_how_name(hits[k].how));
			ok = false;
		}
	}
	/* the invariant: a total only when every line is known, then the sum */
	if (ok && rules_facts_add_quote(facts, hits, (size_t)n) == 0) {
		total = json_object_get(json_object_get(facts, "quote"), "estimated_total_eur");
		if (any_missing ? !json_is_null(total)
				: !(json_is_number(total) &&
				    fabs(json_number_value(total) - sum) < 0.006)) {
			dump = json_dumps(json_object_get(facts, "quote"), JSON_COMPACT);
			fprintf(stderr, "\n  seed %llu: quote %s, want %s\n",
				(unsigned long long)seed, dump, any_missing ? "null" : "the sum");
			ok = false;
		}
	}
	if (!ok)
		fprintf(stderr, "  mail of seed %llu:\n%s\n", (unsigned long long)seed, b.data);
	free(dump);
	buf_free(&b);
	json_decref(facts);
	return ok;
}

static void test_random_quotes(void)
{
	const char *env = getenv("DRAFTD_TEST_SEEDS"), *one = getenv("DRAFTD_TEST_SEED");
	uint64_t seeds = 300, base = 1, s, failed = 0;

	if (env != NULL && parse_u64(env, 10000000, &seeds) < 0)
		seeds = 300;
	if (one != NULL && parse_u64(one, UINT64_MAX, &base) == 0)
		seeds = 1; /* replay one seed */
	for (s = base; s < base + seeds; s++) {
		if (!qty_one_mail(s) && ++failed >= 5)
			break;
	}
	if (failed > 0)
		fprintf(stderr, "  replay with DRAFTD_TEST_SEED=<seed>\n");
	CU_ASSERT_EQUAL(failed, 0);
}

static const struct test_case quantity_cases[] = {
	{"numbers as en/de/es/fr write them", test_parse_number},
	{"fixture mails: lines, HTML tables, lists, languages", test_fixtures},
	{"single lines, and what is no quantity", test_lines},
	{"random quote mails: a total only when every line is known", test_random_quotes},
	{NULL, NULL},
};

TEST_SUITE("quantity", qty_init, qty_cleanup, quantity_cases)
