/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_EDIT_DISTANCE_H
#define DRAFTD_EDIT_DISTANCE_H

#include <stddef.h>

/* How much a reviewer changed a draft: the Levenshtein distance between the
 * two bodies, in Unicode code points, divided by the longer length, after
 * normalising both: quoted history dropped (lines starting with '>' and
 * everything from an "On ... wrote:" or "-----Original Message-----" line),
 * runs of whitespace collapsed to one space, ends trimmed. 0 means the same
 * text, 1 nothing in common. Bounded: a common prefix and suffix are
 * skipped, and when the rest would need more than EDIT_DISTANCE_MAX_CELLS
 * cells the computation keeps to a diagonal band, which gives an upper
 * bound (exact whenever the distance fits the band). Memory is two rows.
 * Returns a value in [0, 1]; NULL counts as empty. Thread-safe. */
double edit_distance_normalized(const char *a, const char *b);

#define EDIT_DISTANCE_MAX_CELLS (16u * 1024u * 1024u)

/* The normalised form edit_distance_normalized() compares, as a new string
 * (free() it), or NULL when out of memory. */
char *edit_distance_normalize(const char *text);

#endif
