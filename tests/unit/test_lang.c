/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/text/lang.h"
#include "harness.h"
#include "test_classify_corpus.h"

static const struct {
	const char *text;
	const char *want;
} lang_table[] = {
	{"Is HP-12345 in stock? Thanks", "en"},
	{"Bitte teilen Sie uns die Verf\xc3\xbc"
	 "gbarkeit mit, vielen Dank",
	 "de"},
	{"Hola, \xc2\xbf"
	 "tienen el art\xc3\xad"
	 "culo en stock? Saludos",
	 "es"},
	{"Bonjour, nous souhaitons un devis pour les articles suivants. Cordialement", "fr"},
	{"", "en"},
	{NULL, "en"},
	{"HP-12345 HP-23456", "en"},
	{"Gr\xc3\xbc\xc3\x9f"
	 "e aus M\xc3\xbcnchen",
	 "de"},
	{"Estado del pedido", "es"},
};

static void test_lang_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(lang_table) / sizeof(lang_table[0]); i++) {
		const char *got = lang_detect(lang_table[i].text);

		if (strcmp(got, lang_table[i].want) != 0)
			fprintf(stderr, "\nlang: \"%s\": got %s, want %s\n",
				lang_table[i].text != NULL ? lang_table[i].text : "(null)", got,
				lang_table[i].want);
		CU_ASSERT_STRING_EQUAL(got, lang_table[i].want);
	}
}

static const struct {
	const char *in;
	const char *want;
} fold_table[] = {
	{"Verf\xc3\xbc"
	 "gbarkeit",
	 "verfugbarkeit"},
	{"STRA\xc3\x9f"
	 "E",
	 "strasse"},
	{"d\xe2\x80\x99\xc3\xa9tanch\xc3\xa9it\xc3\xa9", "d'etancheite"},
	{"ig\xe2\x80\x8bno\xe2\x80\x8cre", "ignore"},
	{"\xc5\x92uvre \xe2\x80\x93 OK", "oeuvre - ok"},
	{"bad \xff byte", "bad   byte"},
	{"\xe2\x82\xac 5", "\xe2\x82\xac 5"},
	{"", ""},
};

static void test_lang_fold(void)
{
	size_t i;
	char *got;

	for (i = 0; i < sizeof(fold_table) / sizeof(fold_table[0]); i++) {
		got = lang_fold(fold_table[i].in);
		CU_ASSERT_PTR_NOT_NULL_FATAL(got);
		if (strcmp(got, fold_table[i].want) != 0)
			fprintf(stderr, "\nfold: got \"%s\", want \"%s\"\n", got,
				fold_table[i].want);
		CU_ASSERT_STRING_EQUAL(got, fold_table[i].want);
		free(got);
	}
}

/* Every corpus mail's language as labels.json says, from subject + text. */
static void test_lang_corpus(void)
{
	struct classify_corpus corpus;
	size_t i, ok = 0;
	char *both;
	int r = classify_corpus_load(&corpus);

	CU_ASSERT_TRUE_FATAL(r >= 0);
	if (r == 0) {
		printf("\nlang corpus: SKIPPED (no ../shared/corpus)\n");
		return;
	}
	for (i = 0; i < corpus.count; i++) {
		const struct classify_corpus_mail *m = &corpus.mails[i];
		size_t n = strlen(m->msg->subject != NULL ? m->msg->subject : "") +
			   strlen(m->msg->text) + 2;
		const char *got;

		both = malloc(n);
		CU_ASSERT_PTR_NOT_NULL_FATAL(both);
		snprintf(both, n, "%s\n%s", m->msg->subject != NULL ? m->msg->subject : "",
			 m->msg->text);
		got = lang_detect(both);
		free(both);
		if (strcmp(got, classify_corpus_label(m, "language")) == 0)
			ok++;
		else
			printf("\nlang: %s: got %s, want %s", m->file, got,
			       classify_corpus_label(m, "language"));
	}
	printf("\nlang corpus: %zu/%zu\n", ok, corpus.count);
	CU_ASSERT_EQUAL(ok, corpus.count);
	classify_corpus_free(&corpus);
}

/* Ingest stores lang_detect_message(); the classifier detects from
 * lang_join(): the pipeline finds the stored language unchanged only if
 * both are the same guess, NULL and over-long parts included. */
static void test_lang_message(void)
{
	static const char *const subjects[] = {NULL, "", "Frage zu den Lieferungen",
					       "Consulta sobre el pedido", "Question"};
	static const char *const texts[] = {NULL, "", "wann kommen die Lieferungen?",
					    "Bonjour, où est ma commande ?", "Hello, where is it?"};
	char *big = malloc(LANG_TEXT_MAX + 100), *joined;
	size_t i, j;

	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	/* German words, then past the bound French ones that must not count */
	for (i = 0; i + 40 < LANG_TEXT_MAX; i += 20)
		memcpy(big + i, "und die der nicht   ", 20);
	memset(big + i, ' ', LANG_TEXT_MAX + 99 - i);
	memcpy(big + LANG_TEXT_MAX + 10, " le la les des ", 15);
	big[LANG_TEXT_MAX + 99] = '\0';
	for (i = 0; i < 5; i++)
		for (j = 0; j < 5; j++) {
			joined = lang_join(subjects[i], texts[j]);
			CU_ASSERT_PTR_NOT_NULL_FATAL(joined);
			CU_ASSERT_STRING_EQUAL(lang_detect_message(subjects[i], texts[j]),
					       lang_detect(joined));
			free(joined);
		}
	CU_ASSERT_STRING_EQUAL(lang_detect_message("Frage zu den Lieferungen", texts[2]), "de");
	CU_ASSERT_STRING_EQUAL(lang_detect_message(NULL, big), "de");
	CU_ASSERT_STRING_EQUAL(lang_detect_message(big, "le la les des du et"), "de");
	free(big);
}

static const struct test_case lang_cases[] = {
	{"a message's language: ingest's guess is the classifier's", test_lang_message},
	{"detects en/de/es/fr in short texts", test_lang_table},
	{"folds case, accents and invisible characters", test_lang_fold},
	{"every corpus mail's language", test_lang_corpus},
	{NULL, NULL},
};
TEST_SUITE("lang", NULL, NULL, lang_cases)
