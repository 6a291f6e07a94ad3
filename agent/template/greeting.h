/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_GREETING_H
#define DRAFTD_GREETING_H

#include <stddef.h>

/* Whether a From display name is a person's name a reply may greet by
 * (issue 17): "Sofía Martínez", "Dr. Anna Schmidt", "Martínez, Sofía"
 * (reordered), "Greta Hoffmann | Hoffmann Hydraulik GmbH" (the person part),
 * "SOFÍA MARTÍNEZ" (title-cased) are; "Hoffmann Maschinenbau - Einkauf",
 * "Accounts Payable", "ACME GmbH", "info@x.example", "Team 4" are not, and
 * a reply then uses its language's neutral greeting. Every letter of a name
 * is kept as written (UTF-8). Pure: thread-safe. */

#define GREETING_NAME_MAX 128

/* Returns 1 with the name to greet in out, 0 when display is no person's
 * name (out ""). */
int greeting_name(const char *display, char *out, size_t size);

#endif
