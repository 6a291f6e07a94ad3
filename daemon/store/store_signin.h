/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_STORE_SIGNIN_H
#define DRAFTD_STORE_SIGNIN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "daemon/store/store.h"
#include "daemon/store/store_people.h"

/* What sign-in needs beyond people and sessions (migration 0105): the
 * lock-out counters, OpenID sign-ins under way, people found by their
 * provider identity, and the people list for `draftd user list` and the admin
 * page. */

/* How many failures lock a key, within how long, and for how long. */
struct signin_limit {
	uint32_t failures;
	uint32_t window_s;
	uint32_t lock_s;
};

/* Whether key ("login:alice", "addr:192.0.2.1") is locked out now. Returns 1
 * locked (*retry_after_r seconds left), 0 not, -1. */
int store_signin_locked(struct store *store, const char *key, uint32_t *retry_after_r)
	__attribute__((warn_unused_result));

/* Counts one failed sign-in against key under limit (a window that has passed
 * starts again at one). Returns 1 when this failure locked the key, 0 when
 * not, -1. */
int store_signin_failed(struct store *store, const char *key, const struct signin_limit *limit)
	__attribute__((warn_unused_result));

/* Forgets key's failures (after a successful sign-in). Returns 0, -1. */
int store_signin_clear(struct store *store, const char *key) __attribute__((warn_unused_result));

#define OIDC_PENDING_MAX_AGE_S 600
#define OIDC_RETURN_MAX        512

/* Keeps one OpenID sign-in under way (also sweeps those older than
 * OIDC_PENDING_MAX_AGE_S). Returns 0, -1. */
int store_oidc_pending_put(struct store *store, const char *state_hash, const char *nonce,
			   const char *verifier, const char *return_to)
	__attribute__((warn_unused_result));

/* Takes (deletes) the sign-in with that state hash. Returns 1 with the nonce,
 * verifier (each at most 128 bytes + NUL) and return_to[OIDC_RETURN_MAX + 1];
 * 0 when there is none or it is older than OIDC_PENDING_MAX_AGE_S; -1. */
int store_oidc_pending_take(struct store *store, const char *state_hash, char nonce_r[129],
			    char verifier_r[129], char return_to_r[OIDC_RETURN_MAX + 1])
	__attribute__((warn_unused_result));

/* What the provider said about a person who signed in. role is "reviewer",
 * "admin", or NULL to keep an existing person's role (new people are then
 * reviewers). */
struct signin_oidc_person {
	const char *issuer, *subject;
	const char *login; /* for a new person */
	const char *display_name, *email;
	const char *role;
};

enum signin_oidc_result {
	SIGNIN_OIDC_OK = 1,
	SIGNIN_OIDC_DISABLED = 2,    /* the person exists and is disabled */
	SIGNIN_OIDC_LOGIN_TAKEN = 3, /* new, and someone else has that login */
};

/* Finds the person with (issuer, subject), updating their name, email and role
 * (audited when the role changes), or creates them (audited). Returns an
 * enum signin_oidc_result with *person_r filled on SIGNIN_OIDC_OK, -1. */
int store_signin_oidc_person(struct store *store, const struct signin_oidc_person *who,
			     struct store_person *person_r) __attribute__((warn_unused_result));

/* The person with that id (any state). Returns 1, 0 when none, -1. */
int store_person_by_id(struct store *store, long long id, struct store_person *person_r)
	__attribute__((warn_unused_result));

/* Every person as a JSON array of {id, login, display_name, email, role,
 * password (bool), sso (bool), disabled, created_at, last_seen_at (null)}, by
 * login. Returns 0 with *people_r, -1. */
int store_person_list(struct store *store, json_t **people_r) __attribute__((warn_unused_result));

/* Changes a person's role, audited. Returns 1, 0 when no such person or
 * already so, -1. */
int store_person_set_role(struct store *store, const char *login, const char *role,
			  const char *actor) __attribute__((warn_unused_result));

#endif
