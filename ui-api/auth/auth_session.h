/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_AUTH_SESSION_H
#define DRAFTD_AUTH_SESSION_H

#include <stdbool.h>
#include <stdint.h>

/* Sign-in sessions and their CSRF tokens.
 *
 * A session token is 32 random bytes as base64url (43 characters): it goes to
 * the browser in the cookie and is never stored. The store keeps its id, the
 * hex SHA-256 of the token, so a copy of the database signs nobody in. A
 * high-entropy token needs no slow hash: SHA-256 cannot be reversed and there
 * is nothing to guess.
 *
 * The CSRF token of a session is base64url(HMAC-SHA256(key, "draftd-csrf-v1:"
 * || session id)) with a server key shared by every instance: the page sends
 * it back in a header on every state-changing request. Another site can make
 * the browser send the cookie but cannot read or compute this value, and a
 * token taken from one session is worth nothing in another. */

#define AUTH_SESSION_TOKEN_BYTES 32
#define AUTH_SESSION_TOKEN_LEN   43
#define AUTH_SESSION_ID_LEN      64
#define AUTH_CSRF_KEY_LEN        32
#define AUTH_CSRF_TOKEN_LEN      43

/* How long a session lives: it ends after idle_s without a request, and in any
 * case absolute_s after sign-in (a stolen cookie does not live for ever). */
struct auth_session_policy {
	uint32_t idle_s;
	uint32_t absolute_s;
};

/* 8 hours idle (a working day with a lunch break), 7 days at most. */
#define AUTH_SESSION_IDLE_S     (8u * 3600u)
#define AUTH_SESSION_ABSOLUTE_S (7u * 86400u)

extern const struct auth_session_policy auth_session_defaults;

/* A new session: the token for the cookie and the id to store. Returns 0, -1
 * when the random generator failed. */
int auth_session_new(char token_r[AUTH_SESSION_TOKEN_LEN + 1], char id_r[AUTH_SESSION_ID_LEN + 1])
	__attribute__((warn_unused_result));

/* The id of a token presented by a browser. Returns 1, 0 when the text cannot
 * be a session token (wrong length or alphabet: no lookup needed), -1 on a
 * hashing failure. */
int auth_session_id(const char *token, char id_r[AUTH_SESSION_ID_LEN + 1])
	__attribute__((warn_unused_result));

/* True when the presented token belongs to the stored id, compared in
 * constant time (after an indexed lookup, as for API tokens). */
bool auth_session_matches(const char *stored_id, const char *token);

/* Whether a session signed in at created and last used at last_seen (seconds
 * since the epoch) is still live at now under policy (NULL: the defaults).
 * Returns 1 live, 0 expired (idle or absolute); a time in the future counts
 * as now, so a clock step back does not end sessions. */
int auth_session_live(const struct auth_session_policy *policy, int64_t created, int64_t last_seen,
		      int64_t now);

/* When the session expires: the earlier of last_seen + idle and created +
 * absolute. For the cookie's Max-Age and the sessions table. */
int64_t auth_session_expires(const struct auth_session_policy *policy, int64_t created,
			     int64_t last_seen);

/* A new random CSRF key (for the store to keep). Returns 0, -1. */
int auth_csrf_key_new(unsigned char key_r[AUTH_CSRF_KEY_LEN]) __attribute__((warn_unused_result));

/* The CSRF token of the session with id session_id. Returns 0, -1 when the id
 * is not a session id or HMAC failed. */
int auth_csrf_token(const unsigned char key[AUTH_CSRF_KEY_LEN], const char *session_id,
		    char token_r[AUTH_CSRF_TOKEN_LEN + 1]) __attribute__((warn_unused_result));

/* Checks the token a request carried (NULL when it carried none) against the
 * session's, in constant time. Returns 1 valid, 0 missing or wrong, -1 when
 * it could not be computed. */
int auth_csrf_check(const unsigned char key[AUTH_CSRF_KEY_LEN], const char *session_id,
		    const char *presented) __attribute__((warn_unused_result));

#endif
