/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_AUTH_RANDOM_H
#define DRAFTD_AUTH_RANDOM_H

#include <stdbool.h>
#include <stddef.h>

/* Randomness and comparisons for secrets: sign-in, sessions, CSRF, OIDC. */

/* n bytes from the kernel's CSPRNG (getrandom(2), which blocks only until the
 * pool is first seeded). Returns 0, -1 when the kernel refused. */
int auth_random(void *buf, size_t n) __attribute__((warn_unused_result));

/* A token of nbytes random bytes as unpadded base64url into out[size]. Returns
 * 0, -1 on a random failure or when out is too small. */
int auth_random_token(size_t nbytes, char *out, size_t size) __attribute__((warn_unused_result));

/* True when a[n] and b[n] are equal. The time taken depends on n only, never
 * on where they differ, so a secret cannot be guessed byte by byte. */
bool auth_ct_equal(const void *a, const void *b, size_t n);

/* Like auth_ct_equal for two strings: unequal lengths are unequal, and then
 * only the length of b (the one from outside) leaks. */
bool auth_ct_streq(const char *known, const char *b);

#endif
