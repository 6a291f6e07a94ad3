/* SPDX-License-Identifier: MIT */
/* [category NAME] assignees (issue 16 round robin): the list check-config
 * refuses and the names the worker hands messages to. */
#include <stdio.h>
#include <string.h>

#include "daemon/config/config.h"
#include "daemon/lib/error.h"
#include "tests/unit/harness.h"

static void test_assignees_split(void)
{
	static const struct {
		const char *list;
		int n;
		const char *first, *last, *why;
	} cases[] = {
		{"ana, ben", 2, "ana", "ben", NULL},
		{" ana ,ben ,  cleo.d@x-y ", 3, "ana", "cleo.d@x-y", NULL},
		{"solo", 1, "solo", "solo", NULL},
		{"", 0, NULL, NULL, NULL},
		{NULL, 0, NULL, NULL, NULL},
		{"ana,,ben", -1, NULL, NULL, "an empty name"},
		{"ana,", -1, NULL, NULL,
		 NULL}, /* a trailing comma is no name: refused or ignored */
		{"ana, ana", -1, NULL, NULL, "a name listed twice"},
		{"an a", -1, NULL, NULL, "a name with a character"},
		{"ana;ben", -1, NULL, NULL, "a name with a character"},
		{"ä", -1, NULL, NULL, "a name with a character"},
	};
	char names[CONFIG_ASSIGNEES_MAX][CONFIG_ASSIGNEE_NAME_MAX + 1];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct error err = {0};
		int n = config_assignees_split(cases[i].list, names, CONFIG_ASSIGNEES_MAX, &err);

		if (cases[i].list != NULL && strcmp(cases[i].list, "ana,") == 0) {
			CU_ASSERT(n == 1 || n == -1);
			continue;
		}
		CU_ASSERT_EQUAL(n, cases[i].n);
		if (n > 0) {
			CU_ASSERT_STRING_EQUAL(names[0], cases[i].first);
			CU_ASSERT_STRING_EQUAL(names[n - 1], cases[i].last);
		}
		if (cases[i].why != NULL)
			CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&err), cases[i].why));
	}
}

/* 33 names is one too many; a 65-character name is too long. */
static void test_assignees_bounds(void)
{
	char names[CONFIG_ASSIGNEES_MAX][CONFIG_ASSIGNEE_NAME_MAX + 1], list[1024], long_name[80];
	struct error err = {0};
	size_t used = 0;
	int i;

	for (i = 0; i < 33; i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%sp%d", i ? "," : "",
					 i);
	CU_ASSERT_EQUAL(config_assignees_split(list, names, CONFIG_ASSIGNEES_MAX, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&err), "more than 32"));
	list[strlen(list) - 4] = '\0'; /* drop ",p32" */
	CU_ASSERT_EQUAL(config_assignees_split(list, names, CONFIG_ASSIGNEES_MAX, &err), 32);
	memset(long_name, 'a', 65);
	long_name[65] = '\0';
	CU_ASSERT_EQUAL(config_assignees_split(long_name, names, CONFIG_ASSIGNEES_MAX, &err), -1);
	long_name[64] = '\0';
	CU_ASSERT_EQUAL(config_assignees_split(long_name, names, CONFIG_ASSIGNEES_MAX, &err), 1);
}

static const struct test_case config_assignees_cases[] = {
	{"assignees lists split, checked name by name", test_assignees_split},
	{"at most 32 names of at most 64 characters", test_assignees_bounds},
	{NULL, NULL},
};
TEST_SUITE("config_assignees", NULL, NULL, config_assignees_cases)
