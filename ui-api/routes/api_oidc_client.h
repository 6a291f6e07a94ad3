/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_API_OIDC_CLIENT_H
#define DRAFTD_API_OIDC_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/config/config.h"
#include "daemon/lib/error.h"
#include "ui-api/auth/oidc_token.h"

/* The relying party's side of OpenID Connect over HTTP (libcurl): discovery
 * (ISSUER/.well-known/openid-configuration, kept for an hour), the provider's
 * JWKS (kept, fetched again once when a token names a key it lacks: key
 * rotation), and the code exchange at the token endpoint. One cache for the
 * process, behind a mutex; the config's issuer is its key, so a reload with
 * another issuer starts afresh. */

#define OIDC_URL_MAX 1024

/* The authorisation endpoint of the provider. Returns 0 with url_r[size],
 * -1 with a reason in err. */
int oidc_client_authorize_url(const struct config *c, char *url_r, size_t size, struct error *err);

/* Exchanges code (with the PKCE verifier) for the ID token and validates it
 * against the JWKS and expect. Returns 1 with *id_r, 0 when the provider or
 * the token was refused (reason in err), -1 on an internal failure. */
int oidc_client_sign_in(const struct config *c, const char *code, const char *verifier,
			const char *redirect_uri, const struct oidc_expect *expect,
			struct oidc_identity *id_r, struct error *err);

#endif
