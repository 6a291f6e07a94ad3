#ifndef DRAFTD_STORE_REVIEW_INT_H
#define DRAFTD_STORE_REVIEW_INT_H

/* Shared by daemon/store_review*.c and daemon/store_promotion*.c only. */

#include "daemon/store_private.h"
#include "daemon/store_review.h"

/* Runs sql and returns its single JSON value (first row, first column).
 * 1 with *json_r, 0 when there is no row, -1. */
int store_review_one(struct store *store, const char *what, const char *sql, int nparams,
		     const char *const *params, json_t **json_r);
/* Commits, or rolls back and returns -1. */
int store_review_commit(struct store *store);

/* A listing's page from res (column 0 the id, column 1 the row's JSON; one
 * row more than limit when a next page exists): the rows as a new array in
 * *items_r and the last id handed out in *next_r (strdup'ed) or NULL. Takes
 * res (PQclear'ed) and returns 0, or -1 (NULL res included). */
int store_review_page(struct store *store, PGresult *res, unsigned int limit, json_t **items_r,
		      char **next_r);

#endif
