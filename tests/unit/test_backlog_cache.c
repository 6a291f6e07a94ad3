/* SPDX-License-Identifier: MIT */
/* ui-api/backlog_cache: one backlog answer shared within the bound, one
 * computation at a time (waiters share it), nothing kept on failure or
 * with a bound of 0, every caller gets its own copy with its age; the
 * refresher keeps it fresh so that polling requests never compute, rests
 * when nobody asks, and the staleness bound holds over random sequences
 * (seeded, with a fake clock). */
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
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

/* The fake clock and a fake database for the refresher's model: compute
 * reads the database's version at its start (its snapshot) and takes
 * fk_cost_ms of fake time. */
static uint64_t fk_now = 1000000;
static uint64_t fk_cost_ms;
static long long fk_version;

static uint64_t fk_clock(void)
{
	return fk_now;
}

static int fk_compute(void *ctx, json_t **result_r)
{
	long long v = fk_version;

	(void)ctx;
	fk_now += fk_cost_ms;
	if (atomic_load(&bc_fail))
		return -1;
	*result_r = json_pack("{s:I}", "version", v);
	return *result_r != NULL ? 0 : -1;
}

/* A connection that takes fk_wait_ms to borrow, during which a request
 * may come and compute (fk_meanwhile): the refresher must look again. */
static uint64_t fk_wait_ms;
static int fk_meanwhile;
static int fk_acquired, fk_released;

static int fk_acquire(void *ctx, void **conn_r)
{
	(void)ctx;
	fk_now += fk_wait_ms;
	if (fk_meanwhile) {
		json_t *a = NULL;

		if (backlog_cache_get(5, fk_compute, NULL, &a) == 0)
			json_decref(a);
	}
	fk_acquired++;
	*conn_r = &fk_acquired;
	return 0;
}

static void fk_release(void *ctx, void **conn)
{
	(void)ctx;
	if (*conn == &fk_acquired)
		fk_released++;
	*conn = NULL;
}

static const struct backlog_source fk_source = {fk_compute, NULL, NULL, NULL};
static const struct backlog_source fk_pooled = {fk_compute, fk_acquire, fk_release, NULL};

static void fk_reset(void)
{
	bc_reset();
	backlog_cache_set_clock(fk_clock);
	fk_now = 1000000;
	fk_cost_ms = 0;
	fk_version = 0;
}

/* The refresher as a thread that is always on time: every step due up to
 * until runs at its time. *next_r is when the next one is due. */
static void fk_advance(unsigned int max_age, uint64_t until, uint64_t *next_r)
{
	uint64_t wait;

	while (*next_r <= until) {
		if (*next_r > fk_now)
			fk_now = *next_r;
		(void)backlog_cache_refresh_step(max_age, &fk_source, &wait);
		*next_r = wait == UINT64_MAX ? UINT64_MAX : fk_now + wait;
	}
	if (until > fk_now)
		fk_now = until;
}

static void test_bc_refresh_steady(void)
{
	uint64_t next = 0, by_req = 0, by_ref = 0;
	json_t *a = NULL;
	int i, stale = 0;

	fk_reset();
	fk_cost_ms = 400; /* a slow backlog: 8 % of the bound */
	for (i = 0; i < 200; i++) {
		fk_advance(5, fk_now + 700, &next); /* a page polling every 0.7 s */
		if (backlog_cache_get(5, fk_compute, NULL, &a) < 0)
			stale++;
		else if (json_real_value(json_object_get(a, "age_seconds")) > 5.0)
			stale++;
		json_decref(a);
		a = NULL;
		if (next == UINT64_MAX) /* the first request woke it: due from now on */
			next = fk_now;
	}
	backlog_cache_counts(&by_req, &by_ref);
	CU_ASSERT_EQUAL(stale, 0);
	CU_ASSERT_EQUAL(by_req, 1); /* the very first only: nothing to refresh before it */
	CU_ASSERT(by_ref >= 200 * 700 / 3000 - 2);
	backlog_cache_set_clock(NULL);
	bc_reset();
}

/* A scrape's read (the metrics listener) shares the answer but never wakes
 * the refresher: on an install nobody has a page open, it would otherwise
 * borrow an API connection every few seconds (connections.sh counts them) */
static void test_bc_peek_never_wakes(void)
{
	uint64_t wait = 0, by_req = 0, by_ref = 0;
	json_t *a = NULL;

	fk_reset();
	CU_ASSERT_EQUAL(backlog_cache_peek(5, fk_compute, NULL, &a), 0);
	json_decref(a);
	CU_ASSERT_EQUAL(backlog_cache_refresh_step(5, &fk_source, &wait), 0);
	CU_ASSERT_EQUAL(wait, UINT64_MAX); /* only scraped: the refresher rests */
	fk_now += 6000;                    /* past the bound: the next scrape computes itself */
	fk_version = 3;
	CU_ASSERT_EQUAL(backlog_cache_peek(5, fk_compute, NULL, &a), 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(a, "version")), 3);
	json_decref(a);
	backlog_cache_counts(&by_req, &by_ref);
	CU_ASSERT_EQUAL(by_req, 2);
	CU_ASSERT_EQUAL(by_ref, 0);
	/* a page's request does wake it */
	CU_ASSERT_EQUAL(backlog_cache_get(5, fk_compute, NULL, &a), 0);
	json_decref(a);
	CU_ASSERT_EQUAL(backlog_cache_refresh_step(5, &fk_source, &wait), 0);
	CU_ASSERT_EQUAL(wait, 3000);
	backlog_cache_set_clock(NULL);
	bc_reset();
}

static void test_bc_refresh_rests(void)
{
	uint64_t next = 0, wait = 0, by_req = 0, by_ref = 0;
	json_t *a = NULL;

	fk_reset();
	CU_ASSERT_EQUAL(backlog_cache_refresh_step(5, &fk_source, &wait), 0);
	CU_ASSERT_EQUAL(wait, UINT64_MAX); /* never asked: nothing to do */
	CU_ASSERT_EQUAL(backlog_cache_get(5, fk_compute, NULL, &a), 0);
	json_decref(a);
	next = fk_now;
	fk_advance(5, fk_now + 600 * 1000, &next); /* ten minutes nobody asks */
	backlog_cache_counts(&by_req, &by_ref);
	CU_ASSERT_EQUAL(by_req, 1);
	/* it refreshed for BACKLOG_IDLE_S after the request, then rested */
	CU_ASSERT_EQUAL(by_ref, BACKLOG_IDLE_S * 1000 / 3000);
	CU_ASSERT_EQUAL(next, UINT64_MAX);
	CU_ASSERT_EQUAL(backlog_cache_refresh_step(5, &fk_source, &wait), 0);
	CU_ASSERT_EQUAL(wait, UINT64_MAX);
	/* the next request computes as without a refresher, and wakes it */
	fk_version = 7;
	CU_ASSERT_EQUAL(backlog_cache_get(5, fk_compute, NULL, &a), 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(a, "version")), 7);
	json_decref(a);
	backlog_cache_counts(&by_req, &by_ref);
	CU_ASSERT_EQUAL(by_req, 2);
	CU_ASSERT_EQUAL(backlog_cache_refresh_step(5, &fk_source, &wait), 0);
	CU_ASSERT_EQUAL(wait, 3000);
	/* a failing database: the refresher tries again later, not in a loop */
	fk_now += 3000;
	atomic_store(&bc_fail, 1);
	CU_ASSERT_EQUAL(backlog_cache_refresh_step(5, &fk_source, &wait), -1);
	CU_ASSERT_EQUAL(wait, 3000);
	CU_ASSERT_EQUAL(backlog_cache_refresh_step(5, &fk_source, &wait), 0);
	CU_ASSERT_EQUAL(wait, 3000);
	atomic_store(&bc_fail, 0);
	/* a bound of 0: no refresher work at all */
	CU_ASSERT_EQUAL(backlog_cache_refresh_step(0, &fk_source, &wait), 0);
	CU_ASSERT_EQUAL(wait, UINT64_MAX);
	backlog_cache_set_clock(NULL);
	bc_reset();
}

/* The refresher borrows its connection before it counts as computing;
 * when a request computed while it waited, it gives the connection back
 * without computing. */
static void test_bc_refresh_borrows_first(void)
{
	uint64_t wait = 0, by_req = 0, by_ref = 0;
	json_t *a = NULL;

	fk_reset();
	fk_acquired = fk_released = 0;
	fk_wait_ms = 0;
	fk_meanwhile = 0;
	CU_ASSERT_EQUAL(backlog_cache_get(5, fk_compute, NULL, &a), 0);
	json_decref(a);
	fk_now += 3000;
	CU_ASSERT_EQUAL(backlog_cache_refresh_step(5, &fk_pooled, &wait), 1);
	CU_ASSERT_EQUAL(fk_acquired, 1);
	CU_ASSERT_EQUAL(fk_released, 1);
	/* the pool is slow: the answer expires meanwhile and a request computes */
	fk_now += 3000;
	fk_wait_ms = 2500;
	fk_meanwhile = 1;
	CU_ASSERT_EQUAL(backlog_cache_refresh_step(5, &fk_pooled, &wait), 0);
	CU_ASSERT_EQUAL(wait, 0); /* it looks again at once: now due 3 s later */
	CU_ASSERT_EQUAL(fk_acquired, 2);
	CU_ASSERT_EQUAL(fk_released, 2);
	backlog_cache_counts(&by_req, &by_ref);
	CU_ASSERT_EQUAL(by_req, 2);
	CU_ASSERT_EQUAL(by_ref, 1);
	CU_ASSERT_EQUAL(backlog_cache_refresh_step(5, &fk_pooled, &wait), 0);
	CU_ASSERT_EQUAL(wait, 3000);
	CU_ASSERT_EQUAL(fk_acquired, 2); /* nothing due: nothing borrowed */
	fk_meanwhile = 0;
	fk_wait_ms = 0;
	backlog_cache_set_clock(NULL);
	bc_reset();
}

#define FK_COMMITS 64

/* Random requests, commits, computation times, pauses (some past the
 * idle time) and a refresher that is sometimes late: every answer shows
 * every commit made more than the bound before its request, says an age
 * within the bound (unless begun after the request) in whole
 * milliseconds; the refresher never computes after the idle time without
 * a request; a request computes only when the refresher could not have
 * kept the answer fresh (first request, after a rest, a late or failed
 * refresh, or a computation slower than the rest of the bound). */
static void test_bc_refresh_model(void)
{
	const char *env = getenv("DRAFTD_TEST_SEED");
	uint64_t seed = env != NULL ? strtoull(env, NULL, 10)
				    : (((uint64_t)time(NULL) << 16) ^ (uint64_t)clock() ^
				       0x9e3779b97f4a7c15ULL);
	uint64_t rnd = seed != 0 ? seed : 1;
	uint64_t commit_at[FK_COMMITS];
	char why[200] = "";
	unsigned int step, runs;

	for (runs = 0; runs < 20 && why[0] == '\0'; runs++) {
		unsigned int max_age = 1 + (unsigned int)(test_rand(&rnd) % 10);
		uint64_t bound = max_age * 1000ULL, next = UINT64_MAX, last_asked = 0;
		uint64_t req0 = 0, ref0 = 0, req1, ref1;
		bool late = false, troubled = true;
		int n = 0;

		fk_reset();
		for (step = 0; step < 300 && why[0] == '\0'; step++) {
			uint64_t r = test_rand(&rnd) % 100, gap, asked;
			json_t *a = NULL;

			if (r < 15) { /* a commit */
				if (n < FK_COMMITS)
					commit_at[n++] = fk_now;
				fk_version = n;
				continue;
			}
			if (r < 20) { /* the database changes speed or fails */
				fk_cost_ms = test_rand(&rnd) % (bound * 3 / 4);
				atomic_store(&bc_fail, test_rand(&rnd) % 8 == 0);
				troubled = true;
				continue;
			}
			if (r < 25) { /* the refresher falls behind for a while */
				late = !late;
				troubled = true;
				continue;
			}
			/* time passes, then a request */
			gap = test_rand(&rnd) % 10 == 0
				      ? test_rand(&rnd) % (3 * BACKLOG_IDLE_S * 1000)
				      : test_rand(&rnd) % bound;
			if (late) {
				fk_now += gap;
				next = fk_now; /* it catches up when back */
			} else {
				fk_advance(max_age, fk_now + gap, &next);
			}
			backlog_cache_counts(&req0, &ref0);
			if (last_asked != 0 && fk_now - last_asked > 2 * bound &&
			    fk_now - last_asked > BACKLOG_IDLE_S * 1000ULL && ref0 > 0)
				troubled = true; /* it rested: this request may compute */
			asked = fk_now;
			if (backlog_cache_get(max_age, fk_compute, NULL, &a) == 0) {
				double age = json_real_value(json_object_get(a, "age_seconds"));
				long long v = json_integer_value(json_object_get(a, "version"));
				uint64_t begun = fk_now - (uint64_t)(age * 1000.0 + 0.5);
				int i;

				if (fabs(age * 1000.0 - round(age * 1000.0)) > 1e-6)
					snprintf(why, sizeof(why), "age %.17g is not whole ms",
						 age);
				if (age * 1000.0 > (double)bound && begun < asked)
					snprintf(why, sizeof(why), "age %.3f s over the bound %u s",
						 age, max_age);
				for (i = 0; i < n; i++)
					if (commit_at[i] + bound < asked && v < i + 1)
						snprintf(
							why, sizeof(why),
							"commit %d made %llu ms before the request "
							"is"
							" not in its answer",
							i + 1,
							(unsigned long long)(asked - commit_at[i]));
			} else if (!atomic_load(&bc_fail)) {
				snprintf(why, sizeof(why), "a request failed");
			}
			json_decref(a);
			backlog_cache_counts(&req1, &ref1);
			if (!late && !troubled && fk_cost_ms < bound * 2 / 5 && req1 != req0 &&
			    !atomic_load(&bc_fail))
				snprintf(why, sizeof(why),
					 "a request computed although the refresher was on time");
			/* what this request leaves: an answer fresh enough for the
			 * refresher to keep up from here, or still trouble */
			troubled = atomic_load(&bc_fail) || late || req1 != req0;
			last_asked = asked;
			if (!late && next == UINT64_MAX)
				next = fk_now; /* the request woke it */
		}
		/* resting: nobody asks for three idle times, nothing computes */
		backlog_cache_counts(&req0, &ref0);
		if (!late && why[0] == '\0') {
			atomic_store(&bc_fail, 0);
			fk_advance(max_age,
				   fk_now +
					   (2 * bound > BACKLOG_IDLE_S * 1000ULL
						    ? 2 * bound
						    : BACKLOG_IDLE_S * 1000ULL) +
					   bound,
				   &next);
			backlog_cache_counts(&req0, &ref0);
			fk_advance(max_age, fk_now + 3 * BACKLOG_IDLE_S * 1000ULL, &next);
			backlog_cache_counts(&req1, &ref1);
			if (req1 != req0 || ref1 != ref0)
				snprintf(why, sizeof(why),
					 "the refresher computed with nobody asking");
		}
		if (why[0] != '\0')
			fprintf(stderr,
				"\nbacklog refresher model: seed %" PRIu64
				" run %u step %u max_age %u"
				" (replay: DRAFTD_TEST_SEED=%" PRIu64 "): %s\n",
				seed, runs, step, max_age, seed, why);
	}
	CU_ASSERT_STRING_EQUAL(why, "");
	backlog_cache_set_clock(NULL);
	bc_reset();
}

static void *bc_poller(void *arg)
{
	atomic_int *stop = arg;

	while (!atomic_load(stop)) {
		json_t *a = NULL;
		struct timespec ts = {0, 50 * 1000000L};

		if (backlog_cache_get(1, bc_compute, NULL, &a) == 0)
			json_decref(a);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

/* The real thread: it refreshes while a poller asks and stops at once
 * when told (no speed asserted: only that the refresher did some work). */
static void test_bc_refresher_thread(void)
{
	struct backlog_refresher *r = NULL;
	atomic_int stop = 0;
	pthread_t poller;
	uint64_t by_req = 0, by_ref = 0, t0 = time_mono_ms();

	bc_reset();
	static const struct backlog_source src = {bc_compute, NULL, NULL, NULL};

	CU_ASSERT_EQUAL(backlog_refresher_start(0, &src, &r), 0);
	CU_ASSERT_PTR_NULL(r); /* a bound of 0: no thread */
	CU_ASSERT_EQUAL_FATAL(backlog_refresher_start(1, &src, &r), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&poller, NULL, bc_poller, &stop), 0);
	do {
		struct timespec ts = {0, 100 * 1000000L};

		nanosleep(&ts, NULL);
		backlog_cache_counts(&by_req, &by_ref);
	} while (by_ref < 3 && time_mono_ms() - t0 < 60000);
	atomic_store(&stop, 1);
	pthread_join(poller, NULL);
	CU_ASSERT(by_ref >= 3);
	backlog_refresher_stop(&r);
	CU_ASSERT_PTR_NULL(r);
	backlog_refresher_stop(&r); /* NULL is fine */
	bc_reset();
}

static const struct test_case bc_cases[] = {
	{"a bound of 0 computes every request", test_bc_zero},
	{"within the bound one answer is shared, each caller gets a copy", test_bc_shared},
	{"a failed computation keeps nothing", test_bc_failure},
	{"concurrent requests wait for the one computation", test_bc_concurrent},
	{"steady polling: the refresher computes, no request does", test_bc_refresh_steady},
	{"a scrape shares the answer but never wakes the refresher", test_bc_peek_never_wakes},
	{"nobody asks: the refresher rests; failures are retried later", test_bc_refresh_rests},
	{"the refresher borrows its connection before it counts as computing",
	 test_bc_refresh_borrows_first},
	{"random requests, commits, pauses, slow and failing computations (seeded)",
	 test_bc_refresh_model},
	{"the refresher thread refreshes while asked and stops when told",
	 test_bc_refresher_thread},
	{NULL, NULL},
};

TEST_SUITE("backlog_cache", NULL, NULL, bc_cases)
