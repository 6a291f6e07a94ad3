/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_AUTH_PASSWORD_H
#define DRAFTD_AUTH_PASSWORD_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/lib/error.h"

/* Passwords hashed with Argon2id (libargon2, RFC 9106) and kept as PHC strings:
 *   $argon2id$v=19$m=19456,t=2,p=1$<salt, std base64>$<hash, std base64>
 * Thread-safe: no shared state. */

struct auth_password_params {
	uint32_t memory_kib; /* m: memory per hash, KiB */
	uint32_t iterations; /* t: passes over that memory */
	uint32_t lanes;      /* p: parallelism */
};

/* The defaults are OWASP's Argon2id minimum (m = 19 MiB, t = 2, p = 1): about
 * 30-60 ms and 19 MiB per sign-in on this project's 2-core machines, which
 * keeps `draftd run` within its memory target while a few people sign in at
 * once. RFC 9106's memory-hard choice (64 MiB, t = 3, p = 4) would be four
 * times the memory per request. Raising them later is safe: stored hashes
 * keep verifying and auth_password_needs_rehash() says which to redo. */
#define AUTH_PASSWORD_MEMORY_KIB 19456
#define AUTH_PASSWORD_ITERATIONS 2
#define AUTH_PASSWORD_LANES      1
#define AUTH_PASSWORD_SALT_LEN   16
#define AUTH_PASSWORD_HASH_LEN   32
/* A longer password is refused (not truncated): hashing cost grows with it. */
#define AUTH_PASSWORD_MAX 1024
/* Room for any PHC string this module writes or accepts. */
#define AUTH_PASSWORD_ENCODED_MAX 256

/* What a stored string may ask for: bounds a tampered row's cost (at most
 * 1 GiB and 64 passes), and the sizes RFC 9106 allows. */
#define AUTH_PASSWORD_MEMORY_KIB_MAX (1024u * 1024u)
#define AUTH_PASSWORD_ITERATIONS_MAX 64
#define AUTH_PASSWORD_LANES_MAX      16

extern const struct auth_password_params auth_password_defaults;

/* A stored string taken apart by auth_password_parse(). */
struct auth_password_phc {
	struct auth_password_params params;
	uint32_t version; /* 0x13 (19) */
	unsigned char salt[64];
	size_t salt_len;
	unsigned char hash[64];
	size_t hash_len;
};

/* Hashes password with params (NULL: the defaults) and a fresh 16-byte salt
 * into encoded_r[size] as a PHC string. Returns 0, -1 with err (empty or
 * too long password, parameters out of range, no memory). */
int auth_password_hash(const struct auth_password_params *params, const char *password,
		       char *encoded_r, size_t size, struct error *err)
	__attribute__((warn_unused_result));

/* Checks password against a stored PHC string, recomputing the hash with the
 * stored parameters and comparing in constant time. Returns 1 on a match, 0 on
 * a mismatch (also for an empty or over-long password), -1 with err when
 * the stored string is malformed or not Argon2id v19. */
int auth_password_verify(const char *encoded, const char *password, struct error *err)
	__attribute__((warn_unused_result));

/* Spends what a verify with the defaults spends, for a name that has no
 * account, so the answer's timing does not tell which names exist. */
void auth_password_verify_dummy(const char *password);

/* Returns 1 when encoded was made with other parameters than want (NULL: the
 * defaults), another version or other salt/hash sizes, so the next successful
 * sign-in should store a new hash; 0 when it is current; -1 with err
 * when it is malformed. */
int auth_password_needs_rehash(const char *encoded, const struct auth_password_params *want,
			       struct error *err) __attribute__((warn_unused_result));

/* Parses a PHC string strictly (the field order above, decimal numbers without
 * leading zeros, canonical base64, sizes within RFC 9106 and the bounds
 * above). Returns 0, -1 with err. */
int auth_password_parse(const char *encoded, struct auth_password_phc *phc_r, struct error *err)
	__attribute__((warn_unused_result));

#endif
