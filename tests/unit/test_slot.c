/* SPDX-License-Identifier: MIT */
/* daemon/lib/slot: named slots claimed on first use in a fixed table (the
 * metrics' per-outcome, per-connector and per-mailbox counters). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "agent/pipeline/metrics.h"
#include "daemon/lib/buf.h"
#include "daemon/lib/slot.h"
#include "daemon/metrics/obs.h"
#include "tests/unit/harness.h"

struct counter {
	struct slot slot;
	atomic_ulong hits;
	char pad[40]; /* a stride larger than struct slot */
};

static void test_slot_claim_and_find(void)
{
	static struct counter table[3];
	static struct slot_table t = SLOT_TABLE_INIT(table);
	struct slot *a, *b;

	CU_ASSERT_EQUAL(t.count, 3);
	CU_ASSERT_EQUAL(t.stride, sizeof(struct counter));
	CU_ASSERT_PTR_NULL(slot_at(&t, 0));
	a = slot_get(&t, "support");
	CU_ASSERT_PTR_EQUAL(a, &table[0].slot);
	CU_ASSERT_STRING_EQUAL(a->name, "support");
	b = slot_get(&t, "sales");
	CU_ASSERT_PTR_EQUAL(b, &table[1].slot);
	/* the same name finds its slot again */
	CU_ASSERT_PTR_EQUAL(slot_get(&t, "support"), a);
	CU_ASSERT_PTR_EQUAL(slot_at(&t, 1), b);
	CU_ASSERT_PTR_NULL(slot_at(&t, 2));
	CU_ASSERT_PTR_NULL(slot_at(&t, 3)); /* past the end */
	/* full: a new name goes uncounted, known names still count */
	CU_ASSERT_PTR_NOT_NULL(slot_get(&t, "billing"));
	CU_ASSERT_PTR_NULL(slot_get(&t, "returns"));
	CU_ASSERT_PTR_EQUAL(slot_get(&t, "sales"), b);
	/* the element is reached from its slot */
	atomic_fetch_add(&((struct counter *)a)->hits, 1);
	CU_ASSERT_EQUAL(atomic_load(&table[0].hits), 1);
}

static void test_slot_long_name(void)
{
	static struct counter table[4];
	static struct slot_table t = SLOT_TABLE_INIT(table);
	char name[3 * SLOT_NAME_MAX];
	struct slot *first;
	int i;

	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	/* stored cut, found cut: a long name takes one slot, not the table */
	first = slot_get(&t, name);
	CU_ASSERT_PTR_NOT_NULL_FATAL(first);
	CU_ASSERT_EQUAL(strlen(first->name), SLOT_NAME_MAX - 1);
	for (i = 0; i < 10; i++)
		CU_ASSERT_PTR_EQUAL(slot_get(&t, name), first);
	CU_ASSERT_PTR_NULL(slot_at(&t, 1));
}

#define SLOT_THREADS 4
#define SLOT_NAMES   12

static struct counter race_table[16];
static struct slot_table race_slots = SLOT_TABLE_INIT(race_table);

static void *slot_racer(void *arg)
{
	unsigned int seed = (unsigned int)(size_t)arg, i;
	char name[16];
	struct slot *s;

	for (i = 0; i < 2000; i++) {
		seed = seed * 1103515245u + 12345u;
		snprintf(name, sizeof(name), "name%u", (seed >> 16) % SLOT_NAMES);
		s = slot_get(&race_slots, name);
		if (s != NULL)
			atomic_fetch_add(&((struct counter *)s)->hits, 1);
	}
	return NULL;
}

static void test_slot_threads(void)
{
	pthread_t th[SLOT_THREADS];
	unsigned long total = 0;
	size_t i, j, used = 0;
	struct slot *a, *b;

	for (i = 0; i < SLOT_THREADS; i++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, slot_racer, (void *)(i + 1)), 0);
	for (i = 0; i < SLOT_THREADS; i++)
		pthread_join(th[i], NULL);
	/* every name claimed exactly one slot, and no count was lost */
	for (i = 0; i < race_slots.count; i++) {
		a = slot_at(&race_slots, i);
		if (a == NULL)
			continue;
		used++;
		total += atomic_load(&race_table[i].hits);
		for (j = i + 1; j < race_slots.count; j++) {
			b = slot_at(&race_slots, j);
			CU_ASSERT(b == NULL || strcmp(a->name, b->name) != 0);
		}
	}
	CU_ASSERT(used <= SLOT_NAMES);
	CU_ASSERT_EQUAL(total, SLOT_THREADS * 2000);
}

/* How many lines of text start with prefix. */
static int slot_lines(const char *text, const char *prefix)
{
	const char *p = text;
	int n = 0;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			n++;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return n;
}

/* The metrics used to store a long name cut and look it up whole: every
 * report of a connector or mailbox with a long name claimed another slot, so
 * /metrics showed it many times and the table filled up. */
static void test_slot_metrics_long_names(void)
{
	char name[100], want[160];
	struct buf b;
	int i;

	memset(name, 'q', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	for (i = 0; i < 5; i++) {
		metrics_connector(name, 10, false);
		obs_mailbox_poll(name, false);
	}
	buf_init(&b, 1 << 20);
	CU_ASSERT_EQUAL_FATAL(metrics_render(&b), 0);
	CU_ASSERT_EQUAL_FATAL(buf_append(&b, "", 1), 0);
	snprintf(want, sizeof(want), "draftd_connector_errors_total{connector=\"%.20s", name);
	CU_ASSERT_EQUAL(slot_lines(b.data, want), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "qqqq\"} 5\n"));
	buf_reset(&b);
	CU_ASSERT_EQUAL_FATAL(obs_render(&b), 0);
	CU_ASSERT_EQUAL_FATAL(buf_append(&b, "", 1), 0);
	snprintf(want, sizeof(want), "draftd_mailbox_poll_errors_total{mailbox=\"%.20s", name);
	CU_ASSERT_EQUAL(slot_lines(b.data, want), 1);
	buf_free(&b);
}

static const struct test_case slot_cases[] = {
	{"slot: claim on first use, find again, full table", test_slot_claim_and_find},
	{"slot: a long name is found as it is stored (one slot)", test_slot_long_name},
	{"slot: concurrent claims give each name one slot", test_slot_threads},
	{"slot: a long connector or mailbox name is one metrics series",
	 test_slot_metrics_long_names},
	{NULL, NULL},
};

TEST_SUITE("slot", NULL, NULL, slot_cases)
