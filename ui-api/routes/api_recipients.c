/* SPDX-License-Identifier: MIT */
/* The recipient policy for reviewer edits (see api_drafts.h). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ui-api/routes/api_drafts.h"

/* A bare address: local@domain of printable characters without spaces,
 * quotes, angle brackets, commas or semicolons (nothing a header could be
 * smuggled through). */
static bool api_address_valid(const char *a)
{
	const char *at = strchr(a, '@');
	const char *p;

	if (at == NULL || at == a || at[1] == '\0' || strchr(at + 1, '@') != NULL ||
	    strlen(a) > API_ADDRESS_MAX || strchr(at + 1, '.') == NULL)
		return false;
	for (p = a; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= ' ' || c >= 0x7f || strchr("<>\",;:()[]\\", c) != NULL)
			return false;
	}
	return true;
}

int api_address_extract(const char *from, char *out, size_t size)
{
	const char *lt = from != NULL ? strrchr(from, '<') : NULL, *start = from, *end;
	size_t n;

	if (from == NULL)
		return -1;
	if (lt != NULL) {
		start = lt + 1;
		end = strchr(start, '>');
		if (end == NULL)
			return -1;
	} else {
		while (*start == ' ' || *start == '\t')
			start++;
		end = start + strlen(start);
		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
	}
	n = (size_t)(end - start);
	if (n == 0 || n >= size)
		return -1;
	memcpy(out, start, n);
	out[n] = '\0';
	return api_address_valid(out) ? 0 : -1;
}

/* a is allowed when it equals, or shares the domain of, one of the originals. */
static bool api_address_allowed(const char *a, char originals[2][API_ADDRESS_MAX + 1], size_t count)
{
	const char *domain = strrchr(a, '@') + 1;
	size_t i;

	for (i = 0; i < count; i++) {
		if (strcasecmp(a, originals[i]) == 0 ||
		    strcasecmp(domain, strrchr(originals[i], '@') + 1) == 0)
			return true;
	}
	return false;
}

int api_recipients_check(const json_t *message, const char *recipient, const char *cc,
			 struct error *err)
{
	const json_t *headers = json_object_get(message, "headers");
	char originals[2][API_ADDRESS_MAX + 1], one[API_ADDRESS_MAX + 1];
	size_t count = 0;
	const char *p;

	if (api_address_extract(json_string_value(json_object_get(headers, "from")),
				originals[count], sizeof(originals[0])) == 0)
		count++;
	if (api_address_extract(json_string_value(json_object_get(headers, "reply_to")),
				originals[count], sizeof(originals[0])) == 0)
		count++;
	if (recipient != NULL) {
		if (!api_address_valid(recipient)) {
			error_set(err, "%s", "recipient must be one bare address (local@domain)");
			return -1;
		}
		if (!api_address_allowed(recipient, originals, count)) {
			error_set(
				err, "%s",
				"recipient must be the original sender, its Reply-To, or an address"
				" at their domain");
			return -1;
		}
	}
	for (p = cc; p != NULL && *p != '\0';) {
		size_t n = strcspn(p, ","), s = 0;

		while (s < n && p[s] == ' ')
			s++;
		while (n > s && p[n - 1] == ' ')
			n--;
		if (n - s == 0 || n - s > API_ADDRESS_MAX) {
			error_set(err, "%s", "cc must be a comma-separated list of bare addresses");
			return -1;
		}
		memcpy(one, p + s, n - s);
		one[n - s] = '\0';
		if (!api_address_valid(one)) {
			error_set(err, "%s", "cc must be a comma-separated list of bare addresses");
			return -1;
		}
		if (!api_address_allowed(one, originals, count)) {
			error_set(err, "%s",
				  "every cc address must be at the original sender's or Reply-To's"
				  " domain");
			return -1;
		}
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	return 0;
}
