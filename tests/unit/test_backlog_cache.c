/* SPDX-License-Identifier: MIT */
/* ui-api/backlog_cache: one backlog answer shared within the bound, one
 * computation at a time (waiters share it), nothing kept on failure or
 * with a bound of 0, every caller gets its own copy with its age. */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "daemon/lib/util.h"
#include "tests/unit/harness.h"
#include "ui-api/backlog_cache.h"

static atomic_int bc_calls;
static atomic_int bc_fail;
static atomic_int bc_sleep_ms;

static int bc_compute(void *ctx, json_t **result_r)
{
	int n = atomic_fetch_add(&bc_calls, 1) + 1;
	int ms = atomic_load(&bc_sleep_ms);

	(void)ctx;
	if (ms > 0) {
		struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

		nanosleep(&ts, NULL);
	}
	if (atomic_load(&bc_fail))
		return -1;
	*result_r = json_pack("{s:i}", "open", n);
	return *result_r != NULL ? 0 : -1;
}

static void bc_reset(void)
{
	backlog_cache_clear();
	atomic_store(&bc_calls, 0);
	atomic_store(&bc_fail, 0);
	atomic_store(&bc_sleep_ms, 0);
}

static void test_bc_zero(void)
{
	json_t *a = NULL, *b = NULL;

	bc_reset();
	CU_ASSERT_EQUAL(backlog_cache_get(0, bc_compute, NULL, &a), 0);
	CU_ASSERT_EQUAL(backlog_cache_get(0, bc_compute, NULL, &b), 0);
	CU_ASSERT_EQUAL(atomic_load(&bc_calls), 2);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(b, "open")), 2);
	CU_ASSERT_EQUAL(json_real_value(json_object_get(b, "age_seconds")), 0.0);
	json_decref(a);
	json_decref(b);
}

static void test_bc_shared(void)
{
	json_t *a = NULL, *b = NULL;
	uint64_t t0 = time_mono_ms();

	bc_reset();
	CU_ASSERT_EQUAL(backlog_cache_get(30, bc_compute, NULL, &a), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	json_object_set_new(a, "open", json_integer(99)); /* the caller's copy only */
	CU_ASSERT_EQUAL(backlog_cache_get(30, bc_compute, NULL, &b), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	if (time_mono_ms() - t0 < 30000) {
		CU_ASSERT_EQUAL(atomic_load(&bc_calls), 1);
		CU_ASSERT_EQUAL(json_integer_value(json_object_get(b, "open")), 1);
		CU_ASSERT(json_real_value(json_object_get(b, "age_seconds")) <= 30.0);
	}
	json_decref(a);
	json_decref(b);
	backlog_cache_clear(); /* forgotten: the next one computes */
	CU_ASSERT_EQUAL(backlog_cache_get(30, bc_compute, NULL, &a), 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(a, "open")), 2);
	json_decref(a);
}

static void test_bc_failure(void)
{
	json_t *a = NULL;

	bc_reset();
	atomic_store(&bc_fail, 1);
	CU_ASSERT_EQUAL(backlog_cache_get(30, bc_compute, NULL, &a), -1);
	CU_ASSERT_PTR_NULL(a);
	atomic_store(&bc_fail, 0);
	CU_ASSERT_EQUAL(backlog_cache_get(30, bc_compute, NULL, &a), 0); /* nothing was kept */
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(a, "open")), 2);
	json_decref(a);
}

static void *bc_thread(void *arg)
{
	json_t **slot = arg;

	if (backlog_cache_get(30, bc_compute, NULL, slot) < 0)
		*slot = NULL;
	return NULL;
}

static void test_bc_concurrent(void)
{
	pthread_t th[8];
	json_t *got[8] = {NULL};
	uint64_t t0 = time_mono_ms();
	size_t i, started = 0;

	bc_reset();
	atomic_store(&bc_sleep_ms, 200); /* a slow computation: the others arrive during it */
	for (i = 0; i < 8; i++)
		if (pthread_create(&th[i], NULL, bc_thread, &got[i]) == 0)
			started++;
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	CU_ASSERT_EQUAL(started, 8);
	if (time_mono_ms() - t0 < 30000)
		CU_ASSERT_EQUAL(atomic_load(&bc_calls), 1);
	for (i = 0; i < started; i++) {
		CU_ASSERT_PTR_NOT_NULL(got[i]);
		CU_ASSERT_EQUAL(json_integer_value(json_object_get(got[i], "open")), 1);
		json_decref(got[i]);
	}
	bc_reset();
}

static const struct test_case bc_cases[] = {
	{"a bound of 0 computes every request", test_bc_zero},
	{"within the bound one answer is shared, each caller gets a copy", test_bc_shared},
	{"a failed computation keeps nothing", test_bc_failure},
	{"concurrent requests wait for the one computation", test_bc_concurrent},
	{NULL, NULL},
};

TEST_SUITE("backlog_cache", NULL, NULL, bc_cases)
