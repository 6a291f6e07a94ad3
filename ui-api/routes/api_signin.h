/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_API_SIGNIN_H
#define DRAFTD_API_SIGNIN_H

/* What password sign-in (api_signin.c) and single sign-on (api_oidc.c) share. */

#include "daemon/store/store_people.h"
#include "ui-api/api.h"

/* Starts a session for person (signed in via "password" or "oidc"): stores
 * it, sets the cookie on resp, audits the sign-in and fills req->principal
 * and req->session_id. Returns 1, 0 when the person cannot sign in (disabled
 * meanwhile; a 403 in resp), -1 with a 500/503 in resp. */
int api_signin_start(struct api_request *req, struct api_response *resp,
		     const struct store_person *person, const char *via);

#endif
