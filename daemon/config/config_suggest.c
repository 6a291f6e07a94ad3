/* SPDX-License-Identifier: MIT */
/* "did you mean": the closest known name to a misspelt one, as Postfix's
 * postconf and git do for unknown parameters and commands. */
#include "daemon/config/config.h"

#include <string.h>

#define SUGGEST_NAME_MAX 64 /* longer names get no suggestion */

/* Levenshtein distance of two short strings (two rows on the stack), or
 * SIZE_MAX when either is too long to compare. */
static size_t suggest_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t prev[SUGGEST_NAME_MAX + 1], cur[SUGGEST_NAME_MAX + 1];

	if (la > SUGGEST_NAME_MAX || lb > SUGGEST_NAME_MAX)
		return (size_t)-1;
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? sub : del;
			if (ins < cur[j])
				cur[j] = ins;
		}
		memcpy(prev, cur, (lb + 1) * sizeof(prev[0]));
	}
	return prev[lb];
}

const char *config_suggest(const char *word, const char *(*name_at)(const void *list, size_t i),
			   const void *list)
{
	const char *best = NULL, *name;
	size_t best_d = (size_t)-1, d, limit = strlen(word) / 3, i;

	/* a third of the letters wrong is still a typo; more is another word */
	if (limit < 1)
		limit = 1;
	for (i = 0; (name = name_at(list, i)) != NULL; i++) {
		d = suggest_distance(word, name);
		if (d < best_d) {
			best_d = d;
			best = name;
		}
	}
	return best_d <= limit ? best : NULL;
}

static const char *suggest_strv_at(const void *list, size_t i)
{
	return ((const char *const *)list)[i];
}

const char *config_suggest_strv(const char *word, const char *const *names)
{
	return config_suggest(word, suggest_strv_at, names);
}
