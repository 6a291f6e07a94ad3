/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_STORE_TOKENS_H
#define DRAFTD_STORE_TOKENS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/store/store.h"

/* API bearer tokens: only the sha256 of a token is stored (api_tokens). */

enum token_role { TOKEN_ROLE_REVIEWER = 0, TOKEN_ROLE_ADMIN };

#define TOKEN_NAME_MAX 64
#define TOKEN_PREFIX   "dft_"
/* "2026-05-01T12:00:00Z" and its terminator, with room to spare */
#define TOKEN_TIME_MAX 32
/* --expires bounds: under a minute is a typo, over ten years is "never" */
#define TOKEN_EXPIRES_MIN 60
#define TOKEN_EXPIRES_MAX (3650ULL * 86400)

/* A new random token "dft_<base64url of 32 random bytes>" into out[64].
 * Returns 0, -1 when the random generator failed. */
int token_generate(char out[64]) __attribute__((warn_unused_result));
/* sha256 of a token string into hash[32]. */
int token_hash(const char *token, unsigned char hash[32]) __attribute__((warn_unused_result));
const char *token_role_name(enum token_role role);
/* 0 and *role_r for "reviewer"/"admin", else -1. */
int token_role_parse(const char *name, enum token_role *role_r);
/* True for 1-64 characters of [A-Za-z0-9._@-]. */
bool token_name_valid(const char *name);

/* Stores a token's hash under name with role, expiring expires_in seconds
 * from now (0: never), tied to the person with login person (NULL: a service
 * token, named by name alone), and audits it. A person's token acts as that
 * person (their login in audit rows, stopped when they are disabled) with at
 * most their role. Returns 1 done with expires_at_r[TOKEN_TIME_MAX] ("" for
 * never), 0 when the name is already taken (revoked or not), 2 when there is
 * no enabled person with that login, -1 on error. */
int store_token_create(struct store *store, const char *name, enum token_role role,
		       const unsigned char hash[32], uint64_t expires_in, const char *person,
		       const char *actor, char *expires_at_r) __attribute__((warn_unused_result));
/* Revokes the named token and audits it. Returns 1 done, 0 when no live
 * token has that name, -1 on error. */
int store_token_revoke(struct store *store, const char *name, const char *actor)
	__attribute__((warn_unused_result));
/* Who a bearer token is, as the lookup found it. */
struct token_auth {
	char name[TOKEN_NAME_MAX + 1];
	enum token_role role;
	bool expired;
	char expires_at[TOKEN_TIME_MAX]; /* UTC ISO 8601, "" for never */
	long long person_id;             /* 0 for a service token */
	char person[TOKEN_NAME_MAX + 1]; /* the person's login, "" for a service token */
	char display_name[129];
};

/* Finds the unrevoked token whose hash is hash (compared in constant time
 * after the indexed lookup) and records its use (at most once a minute, so
 * a busy token does not turn every read into a write). Returns 1 with
 * *auth_r for a live token; 0 when none matches, or when it matched but has
 * expired (auth_r->expired and expires_at say so; no use is recorded), or
 * belongs to a disabled person; -1 on error. */
int store_token_lookup(struct store *store, const unsigned char hash[32], struct token_auth *auth_r)
	__attribute__((warn_unused_result));
/* Every token as a JSON array of {name, role, created_at, revoked_at,
 * expires_at, last_used_at, person} (the last four null when unset). Returns 0 with
 * *tokens_r (json_decref it), -1 on error. */
int store_token_list(struct store *store, json_t **tokens_r) __attribute__((warn_unused_result));

#endif
