/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_TRUST_H
#define DRAFTD_TRUST_H

#include <stdbool.h>

#include "agent/guard/guard.h"
#include "agent/mime/mime.h"

/* Built-in never-auto: mail whose reply could go to, or be read by, someone
 * other than the person the business knows, is never answered without a
 * person, whatever the rules file says (or when there is none):
 *
 *   reply_to_elsewhere    a Reply-To in another domain than From
 *   sender_auth_failed    the receiving server's Authentication-Results say
 *                         dmarc=fail or spf=fail for this mail
 *   recipient_not_sender  the reply would go to an address that is not From
 *
 * Authentication-Results: only the header the mailbox's own server added
 * counts, since anyone can write one into a mail: the one with the
 * configured authserv-id ([agent] authserv_id), else the topmost one. */

/* Where a reply to msg goes: Reply-To when there is one, unless the mail is
 * a suspected injection (then only From is trusted). NULL when neither. */
const char *trust_recipient(const struct mime_message *msg, bool injection);

/* Appends the flags above that apply to out (deduplicated). recipient is
 * where the draft would go; authserv_id may be NULL. Returns the number of
 * flags added. Pure, thread-safe. */
int trust_check(const struct mime_message *msg, const char *recipient, const char *authserv_id,
		struct guard_result *out);

/* Whether an Authentication-Results value (as written: comments and all)
 * reports dmarc=fail or spf=fail; its authserv-id is copied to id[size]. */
bool trust_auth_failed(const char *value, char *id, size_t size);

#endif
