/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_STORE_PEOPLE_H
#define DRAFTD_STORE_PEOPLE_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/store/store.h"

/* People, their sessions and the shared auth keys (migration 0100). Groundwork
 * for sign-in (issue 16): nothing in the API calls these yet. Hashes come from
 * ui-api/auth/ (Argon2id PHC strings, hex SHA-256 session ids); the store only
 * keeps them. Every change to a person is audited; sessions are not (each
 * request would write a row), their sign-in and sign-out will be by the API. */

#define PERSON_LOGIN_MAX 64
#define PERSON_HASH_MAX  256
#define PERSON_ROLE_MAX  16
#define PERSON_NAME_MAX  128 /* bytes: the API reads the first 32 characters */

struct store_person {
	long long id;
	char login[PERSON_LOGIN_MAX + 1];
	char role[PERSON_ROLE_MAX + 1];
	char password_hash[PERSON_HASH_MAX + 1]; /* "" when the person has none */
	bool disabled;
	char display_name[PERSON_NAME_MAX + 1];
};

struct store_session {
	long long person_id;
	char login[PERSON_LOGIN_MAX + 1];
	char role[PERSON_ROLE_MAX + 1];
	char display_name[PERSON_NAME_MAX + 1];
	int64_t created, last_seen, expires; /* seconds since the epoch */
};

/* True for 1-64 characters of [A-Za-z0-9._@-]. */
bool person_login_valid(const char *login);

/* Adds a person (role "reviewer" or "admin"; password_hash and email may be
 * NULL) and audits it as actor. Returns 1 with *id_r, 0 when the login is
 * taken (in any letter case), -1 on error (also a role or login the schema
 * refuses). */
int store_person_create(struct store *store, const char *login, const char *display_name,
			const char *email, const char *role, const char *password_hash,
			const char *actor, long long *id_r) __attribute__((warn_unused_result));

/* The person with that login, any letter case. Returns 1, 0 when none, -1. */
int store_person_get(struct store *store, const char *login, struct store_person *person_r)
	__attribute__((warn_unused_result));

/* Replaces a person's password hash and ends every session of theirs, in one
 * audited transaction (a changed password signs out everywhere; a rehash on
 * sign-in passes end_sessions = false). Returns 1, 0 when no such person, -1. */
int store_person_set_password(struct store *store, const char *login, const char *password_hash,
			      bool end_sessions, const char *actor)
	__attribute__((warn_unused_result));

/* Disables (or enables) a person; disabling ends their sessions. Audited.
 * Returns 1, 0 when no such person or already so, -1. */
int store_person_set_disabled(struct store *store, const char *login, bool disabled,
			      const char *actor) __attribute__((warn_unused_result));

/* Stores a new session for person_id that ends after idle_s without use, and
 * absolute_s after now in any case. Returns 1, 0 when the person is missing or
 * disabled, -1. */
int store_session_create(struct store *store, const char *session_id, long long person_id,
			 uint32_t idle_s, uint32_t absolute_s, const char *client_addr)
	__attribute__((warn_unused_result));

/* The live session with that id (not ended, not expired, person enabled),
 * its id compared again in constant time after the indexed lookup. When
 * found it is used now: last_seen and expires move on (never past the
 * absolute end). Returns 1 with *session_r, 0 when there is none, -1. */
int store_session_use(struct store *store, const char *session_id, uint32_t idle_s,
		      uint32_t absolute_s, struct store_session *session_r)
	__attribute__((warn_unused_result));

/* Ends one session (sign-out). Returns 1, 0 when it was not live, -1. */
int store_session_end(struct store *store, const char *session_id)
	__attribute__((warn_unused_result));

/* The shared secret called name (32 bytes): stores candidate when there is
 * none yet, and returns whichever is stored (the first instance's wins).
 * Returns 0 with key_r, -1. */
int store_auth_key(struct store *store, const char *name, const unsigned char candidate[32],
		   unsigned char key_r[32]) __attribute__((warn_unused_result));

#endif
