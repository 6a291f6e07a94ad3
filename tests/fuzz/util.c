/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "fuzz_split.h"

char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

char *fuzz_split(const uint8_t *data, size_t size, const char **fields, size_t max)
{
	char *copy = fuzz_strndup(data, size);
	size_t i, n = 0, start = 0;

	for (i = 0; i < max; i++)
		fields[i] = "";
	for (i = 0; i <= size && n < max; i++) {
		if (i == size || copy[i] == '\0') {
			fields[n++] = copy + start;
			start = i + 1;
		}
	}
	return copy;
}
