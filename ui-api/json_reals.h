/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_JSON_REALS_H
#define DRAFTD_JSON_REALS_H

/* jansson prints every real with 17 significant digits ("%.17g"), so a
 * value such as 4.788 comes out as 4.7880000000000003 and 0.95 as
 * 0.94999999999999996. Rewrites, in place, each real of the JSON text
 * (outside strings; integers stay as they are) as the shortest of %.15g,
 * %.16g and %.17g that reads back as the same double, keeping it a real
 * (".0" when it would look like an integer). Every value a client parses
 * stays bit for bit the same; the text only gets shorter. text must be a
 * NUL-terminated JSON text as jansson writes it. Returns its new length. */
unsigned long json_reals_shortest(char *text);

#endif
