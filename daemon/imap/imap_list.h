/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_IMAP_LIST_H
#define DRAFTD_IMAP_LIST_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/imap/imap_conn.h"
#include "daemon/mail/imap_utf7.h"

/* Folders as the server lists them (LIST, with the RFC 6154 special-use
 * attributes servers send along), names decoded from modified UTF-7. */

enum imap_folder_flag {
	IMAP_FOLDER_NOSELECT = 1 << 0, /* \Noselect or \NonExistent */
	IMAP_FOLDER_SENT = 1 << 1,
	IMAP_FOLDER_JUNK = 1 << 2,
	IMAP_FOLDER_TRASH = 1 << 3,
	IMAP_FOLDER_DRAFTS = 1 << 4,
	IMAP_FOLDER_ARCHIVE = 1 << 5,
	IMAP_FOLDER_ALL = 1 << 6,
};

struct imap_folder {
	char name[IMAP_UTF7_NAME_MAX]; /* UTF-8 */
	char separator;                /* '\0' when the server has no hierarchy */
	unsigned int flags;            /* enum imap_folder_flag */
};

/* The most folders one LIST may return before it is refused. */
#define IMAP_LIST_MAX 10000

/* LIST "" pattern (UTF-8; "*" and "%" are wildcards). A name that is not
 * valid modified UTF-7 is left out with a warning naming it. Returns the
 * count (0: none) with a malloc'ed array in *folders_r (free() it), or -1
 * (imap_error()). */
long imap_list(struct imap_conn *conn, const char *pattern, struct imap_folder **folders_r)
	__attribute__((warn_unused_result));

/* Whether folder is a Junk folder: flagged \Junk by the server, or, on a
 * server without SPECIAL-USE, named as mail clients name one ("Junk",
 * "Spam", "Junk Email", ...; the last hierarchy level, any case). Returns 1
 * junk, 0 not (or no such folder), -1 on error (imap_error()). */
int imap_folder_is_junk(struct imap_conn *conn, const char *folder)
	__attribute__((warn_unused_result));

/* The name-based half of imap_folder_is_junk(), for a name alone. */
bool imap_folder_name_is_junk(const char *folder, char separator);

#endif
