/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_INI_H
#define DRAFTD_INI_H

#include <stddef.h>

/* A minimal INI reader. Why not libinih: it gives no line numbers to the
 * handler, silently splits lines longer than its buffer, treats ';' inside
 * values as a comment, and never reports a section with no keys. draftd's
 * config errors must name the line, so the reader is ours and small.
 *
 * Syntax: "[section]" or "[section name]", "key = value", comments are whole
 * lines starting with '#' or ';'. Values are taken verbatim after trimming
 * blanks; an optional pair of double quotes around the value is removed. */

#define INI_LINE_MAX 4096

/* Called for each section header (key == NULL) and each key. Returns 0 to go
 * on, -1 to record an error (the callback reports it itself). */
typedef int ini_callback_t(void *context, unsigned int line, const char *section, const char *key,
			   const char *value);

/* Syntax errors go to on_error with the line. Returns 0 when the whole text
 * parsed and no callback failed, -1 otherwise. */
int ini_parse_text(const char *text, ini_callback_t *callback,
		   void (*on_error)(void *context, unsigned int line, const char *what),
		   void *context);

#endif
