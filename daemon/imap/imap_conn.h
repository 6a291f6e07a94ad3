/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_IMAP_CONN_H
#define DRAFTD_IMAP_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/config/config.h"
#include "daemon/lib/error.h"

/* One authenticated IMAP session for one configured mailbox, on libetpan:
 * IMAPS or STARTTLS with the server certificate verified (daemon/imap/imap_tls.h),
 * plain text only where the config says starttls = off on an imap:// URL.
 * Every network read and write has a timeout, so a dead server turns into an
 * error, never a hung thread. A connection is used by one thread at a time.
 * Passwords are never logged or put into error texts. */
struct imap_conn;

/* Seconds any single network operation may take before it fails. */
#define IMAP_TIMEOUT_S 30

struct imap_url {
	bool tls; /* imaps:// (TLS from the first byte) */
	char host[256];
	uint16_t port;
};

/* Parses imap://host[:port][/] or imaps://host[:port][/] (host may be an IPv6
 * literal in brackets). Returns 0, or -1 with a static reason in err. */
int imap_url_parse(const char *url, struct imap_url *url_r, struct error *err)
	__attribute__((warn_unused_result));

/* Connects, secures and logs in as mb says. Returns 0 with a new connection,
 * or -1 with a one-line reason set in err (e.g. the certificate problem, or
 * the server's answer to LOGIN). tls_verify = off is logged as a warning at
 * every call. */
int imap_connect(const struct mailbox_config *mb, struct imap_conn **conn_r, struct error *err)
	__attribute__((warn_unused_result));
/* Logs out (best effort, bounded by the timeout), closes and clears *conn.
 * NULL is fine. */
void imap_close(struct imap_conn **conn);

/* The reason of the last failed call on conn. */
const char *imap_error(const struct imap_conn *conn);
/* How conn logged in: "LOGIN" (a password), "OAUTHBEARER" or "XOAUTH2". */
const char *imap_auth_mechanism(const struct imap_conn *conn);
/* True when the server announced capability name ("UIDPLUS", "MOVE", ...). */
bool imap_has_capability(struct imap_conn *conn, const char *name);
/* True when the server announced IDLE (RFC 2177). */
bool imap_has_idle(struct imap_conn *conn);

/* SELECTs folder (read-write: \Seen is only ever left alone, see
 * imap_fetch.h) and reports its UIDVALIDITY and UIDNEXT (0 when the server
 * sent none). Returns 0 or -1 (e.g. no such folder). */
int imap_select(struct imap_conn *conn, const char *folder, uint32_t *uidvalidity_r,
		uint32_t *uidnext_r) __attribute__((warn_unused_result));

/* Appends data[len] to folder with the flags in flags, a space-separated list
 * such as "\\Seen" or "\\Seen \\Answered" (NULL: none). Returns 0 or -1. */
int imap_append(struct imap_conn *conn, const char *folder, const char *data, size_t len,
		const char *flags) __attribute__((warn_unused_result));

/* Adds flags ("\\Answered", space-separated) to message uid of folder,
 * selecting folder first if needed. Returns 0 or -1. */
int imap_add_flags(struct imap_conn *conn, const char *folder, uint32_t uid, const char *flags)
	__attribute__((warn_unused_result));

/* Removes flags ("\\Answered", space-separated) from message uid of folder,
 * selecting folder first if needed. Returns 0 or -1. */
int imap_remove_flags(struct imap_conn *conn, const char *folder, uint32_t uid, const char *flags)
	__attribute__((warn_unused_result));

/* Removes message uid from folder: flags it \Deleted, then UID EXPUNGE
 * (RFC 4315) of that UID only, so other messages flagged \Deleted stay.
 * Returns 1 removed, 0 when the server lacks UIDPLUS (the message is left
 * flagged \Deleted), -1 on error. */
int imap_expunge_uid(struct imap_conn *conn, const char *folder, uint32_t uid)
	__attribute__((warn_unused_result));

/* Looks for a message whose Message-ID header is message_id in folder (UID
 * SEARCH HEADER Message-ID). Returns 1 found (its UID in *uid_r when uid_r
 * is not NULL), 0 not found, -1 error. */
int imap_find_message_id(struct imap_conn *conn, const char *folder, const char *message_id,
			 uint32_t *uid_r) __attribute__((warn_unused_result));

/* How many messages in folder have message_id as their Message-ID (the
 * outbox's own copy plus any a submission server filed). Returns the count
 * or -1. */
long imap_count_message_id(struct imap_conn *conn, const char *folder, const char *message_id)
	__attribute__((warn_unused_result));

#endif
