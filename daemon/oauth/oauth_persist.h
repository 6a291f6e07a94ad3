/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_OAUTH_PERSIST_H
#define DRAFTD_OAUTH_PERSIST_H

#include "daemon/lib/error.h"

/* Writes a rotated refresh token back to oauth_refresh_token_file, so a
 * restart uses the token the provider handed out last (Microsoft's endpoint
 * may answer a new refresh token on every refresh and revoke the old one).
 * Atomic: a temporary file in the same directory, written, fsynced and
 * renamed over path, mode 0600 and the old file's owner and group, then the
 * directory fsynced; a crash leaves the old or the new token, never half of
 * one. The token is never put into err. Returns 0, or -1 with err naming the
 * file and the step (not writable: the directory or the file is read-only,
 * as with systemd credentials). */
int oauth_refresh_persist(const char *path, const char *token, struct error *err)
	__attribute__((warn_unused_result));

#endif
