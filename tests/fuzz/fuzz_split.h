/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_FUZZ_SPLIT_H
#define DRAFTD_FUZZ_SPLIT_H

#include <stddef.h>
#include <stdint.h>

/* Cuts one fuzz input into up to max NUL-terminated fields at every NUL
 * byte, so a single byte string drives several text arguments. Missing
 * fields are "" (never NULL). Returns the copy holding every field: free it
 * after the fields are no longer used. */
char *fuzz_split(const uint8_t *data, size_t size, const char **fields, size_t max);

#endif
