/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_TEST_HARNESS_H
#define DRAFTD_TEST_HARNESS_H

#include <CUnit/CUnit.h>
#include <stdbool.h>
#include <stdint.h>

/* Every tests/unit/test_*.c file registers its suites with TEST_SUITE(), so
 * adding a suite never touches a shared list:
 *
 *   static void test_parse_ok(void) { CU_ASSERT_EQUAL(...); }
 *   static const struct test_case config_cases[] = {
 *           {"parses a good file", test_parse_ok},
 *           {NULL, NULL},
 *   };
 *   TEST_SUITE("config", NULL, NULL, config_cases)
 *
 * init/cleanup return 0 on success (CUnit's convention). */
struct test_case {
	const char *name;
	CU_TestFunc func;
};

struct test_suite {
	const char *name;
	CU_InitializeFunc init;
	CU_CleanupFunc cleanup;
	const struct test_case *cases;
	struct test_suite *next;
};

void test_suite_register(struct test_suite *suite);

#define TEST_SUITE(sname, sinit, scleanup, scases)                                             \
	static struct test_suite test_suite_##scases = {sname, sinit, scleanup, scases, NULL}; \
	__attribute__((constructor)) static void test_suite_register_##scases(void)            \
	{                                                                                      \
		test_suite_register(&test_suite_##scases);                                     \
	}

/* The seeded suites' generator (xorshift64): the same seed gives the same
 * sequence everywhere, so a printed seed replays a run. *state must not be
 * 0. Returns the next value and advances *state. */
uint64_t test_rand(uint64_t *state);

/* Helpers for suites that need the test services started by tests/run.sh. */
/* The draftd test database URL ($DRAFTD_TEST_DATABASE_URL), or NULL. */
const char *test_database_url(void);
/* The shared corpus directory (../shared/corpus by default, $DRAFTD_CORPUS),
 * or NULL when it is absent: acceptance suites then report themselves skipped. */
const char *test_corpus_dir(void);
/* The repository's root directory ($DRAFTD_SRCDIR, default "."). */
const char *test_src_dir(void);
/* Writes text to a fresh file under the test temp dir; returns its path
 * (static storage, valid until the next call). */
const char *test_write_file(const char *name, const char *text);

/* Creates (dropping any previous one) a database named name on the test
 * server and returns its URL (static storage), or NULL with a message on
 * stderr. Lets a suite start from an empty schema without touching others. */
const char *test_create_database(const char *name);
/* test_create_database() with draftd's schema migrated in and, when
 * fixtures is not NULL, the rows its SQL inserts. Returns the URL (static
 * storage) or NULL with a message on stderr. */
const char *test_store_database(const char *name, const char *fixtures);
/* The only value sql returns on url, as a number; -1 when there is none
 * (an error, no row or more than one). A connection of its own per call. */
long long test_sql_value(const char *url, const char *sql);
/* The rows sql's plan read from relation on url (returned and filtered out,
 * over all loops), from EXPLAIN (ANALYZE, FORMAT JSON): what an index must
 * keep small. *seq_r is set when one of those reads was a sequential scan.
 * -1 when the EXPLAIN failed (a message on stderr). */
double test_plan_rows(const char *url, const char *sql, const char *relation, bool *seq_r);

#endif
