/* SPDX-License-Identifier: MIT */
#include "ini.h"

#include <string.h>

static char *ini_trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

int ini_parse_text(const char *text, ini_callback_t *callback,
		   void (*on_error)(void *context, unsigned int line, const char *what),
		   void *context)
{
	char line[INI_LINE_MAX], section[INI_LINE_MAX] = "";
	const char *p = text, *nl;
	unsigned int lineno = 0;
	size_t len;
	char *s, *eq, *key, *value, *end;
	int ret = 0;

	while (*p != '\0') {
		lineno++;
		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (len >= sizeof(line)) {
			on_error(context, lineno, "line too long");
			ret = -1;
			p += len;
			if (*p == '\n')
				p++;
			continue;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		p += len;
		if (*p == '\n')
			p++;
		if (memchr(line, '\0', len) != NULL) {
			on_error(context, lineno, "NUL byte in line");
			ret = -1;
			continue;
		}
		if (lineno == 1 && strncmp(line, "\xEF\xBB\xBF", 3) == 0)
			memmove(line, line + 3, len - 2);
		s = ini_trim(line);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			end = strchr(s, ']');
			if (end == NULL || ini_trim(end + 1)[0] != '\0') {
				on_error(context, lineno, "malformed section header");
				ret = -1;
				section[0] = '\0';
				continue;
			}
			*end = '\0';
			s = ini_trim(s + 1);
			memcpy(section, s, strlen(s) + 1);
			if (callback(context, lineno, section, NULL, NULL) < 0)
				ret = -1;
			continue;
		}
		eq = strchr(s, '=');
		if (eq == NULL) {
			on_error(context, lineno, "expected 'key = value'");
			ret = -1;
			continue;
		}
		*eq = '\0';
		key = ini_trim(s);
		value = ini_trim(eq + 1);
		len = strlen(value);
		if (len >= 2 && value[0] == '"' && value[len - 1] == '"') {
			value[len - 1] = '\0';
			value++;
		}
		if (*key == '\0') {
			on_error(context, lineno, "empty key");
			ret = -1;
			continue;
		}
		if (callback(context, lineno, section, key, value) < 0)
			ret = -1;
	}
	return ret;
}
