#ifndef DRAFTD_OAUTH_TOKEN_H
#define DRAFTD_OAUTH_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/config/config.h"
#include "daemon/lib/error.h"

/* OAuth 2.0 access tokens for mailboxes with auth = oauth2 (Microsoft 365,
 * Gmail): fetched from [mailbox] oauth_token_url with libcurl (RFC 6749
 * refresh_token grant when a refresh token is configured, else the
 * client_credentials grant of Microsoft 365's app-only access), cached in
 * memory per mailbox, fetched again shortly before they expire and after a
 * server refused one. Tokens are never logged, put into error texts or
 * stored anywhere but this process's memory (wiped when dropped). A refresh
 * token the endpoint rotates is kept in memory for the next grant.
 * Thread-safe: one mutex guards the cache; a grant runs outside it. */

/* The most bytes of a token endpoint's answer. */
#define OAUTH_REPLY_MAX (64 * 1024)
/* A buffer that holds any access token (Microsoft's JWTs run to 4 KB). */
#define OAUTH_TOKEN_BUF 16384
/* Seconds before expiry at which a cached token counts as expired. */
#define OAUTH_EXPIRY_MARGIN_S 60

/* A usable access token for mb into token[size]: the cached one, or, when
 * there is none, it is about to expire or force is set (the server refused
 * it), a new one from the token endpoint. A rotated refresh token is written
 * back to oauth_refresh_token_file (daemon/oauth/oauth_persist.h). Returns
 * 0, or -1 with err saying what the endpoint answered and what to do (a
 * revoked refresh token: get a new one); retryable when the endpoint could
 * not be reached or failed (5xx), not when it refused the grant. */
int oauth_token_get(const struct mailbox_config *mb, bool force, char *token, size_t size,
		    struct error *err) __attribute__((warn_unused_result));

/* Drops mb's cached token (a server refused it): the next get fetches. */
void oauth_token_forget(const struct mailbox_config *mb);

/* Drops every cached token (tests, and shutdown). */
void oauth_token_forget_all(void);

/* The form body of a token request for mb into out[size] (the grant as
 * described above; refresh_token overrides mb's when not NULL). Values are
 * form-encoded. Returns 0, or -1 when it does not fit or mb lacks what the
 * grant needs (err). Exposed for the unit tests. */
int oauth_token_request_body(const struct mailbox_config *mb, const char *refresh_token, char *out,
			     size_t size, struct error *err) __attribute__((warn_unused_result));

/* Parses a token endpoint's answer (HTTP status, body). On 200 with an
 * access_token: 0, the token in token[size], its lifetime in *expires_in_r
 * (3600 when absent) and a rotated refresh token, if any, in
 * refresh[refresh_size] ("" when none). Otherwise -1 with err: the
 * endpoint's error and error_description, and what it means for an
 * administrator. Exposed for the unit tests. */
int oauth_token_parse(long status, const char *body, size_t len, char *token, size_t size,
		      unsigned long *expires_in_r, char *refresh, size_t refresh_size,
		      struct error *err) __attribute__((warn_unused_result));

#endif
