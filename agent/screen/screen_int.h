/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_SCREEN_INT_H
#define DRAFTD_SCREEN_INT_H

/* Shared by agent/screen/screen.c and agent/screen/screen_spam.c only. */

#include "agent/mime/mime.h"

/* The header carrying a spam verdict of the mail system (X-Spam-Flag: YES,
 * X-Spam-Status: Yes, X-Rspamd-Action reject / add header / rewrite subject,
 * X-MS-Exchange-Organization-SCL or the SCL of X-Forefront-Antispam-Report
 * at 5 or more), else the first whose "name: value" the caseless PCRE2
 * pattern matches (NULL or "": none); NULL when there is no verdict. */
const struct mime_header *screen_spam_verdict(const struct mime_message *m, const char *pattern);

#endif
