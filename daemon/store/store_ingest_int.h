/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_STORE_INGEST_INT_H
#define DRAFTD_STORE_INGEST_INT_H

/* Shared by the ingest files of daemon/store/ only. */

/* Text for Postgres must be valid UTF-8 without NULs; the MIME module
 * promises that, but one bad byte must not block a mailbox forever. Returns
 * s itself when clean (NULL for NULL), else a cleaned copy put in *owned
 * (free it). */
const char *store_ingest_text(const char *s, char **owned);

#endif
