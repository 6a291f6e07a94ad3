/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_STORE_POOL_H
#define DRAFTD_STORE_POOL_H

#include <stddef.h>

#include "daemon/store/store.h"

/* A small pool of database connections shared by threads that each hold
 * one only for a step (a lease renewal, a batch's transaction), never
 * across network I/O elsewhere. Connections open lazily, up to size, and
 * stay open. Thread-safe. */
struct store_pool;

/* Returns 0 with a pool of at most size (>= 1) connections to url, or -1
 * (out of memory). Nothing is connected yet. */
int store_pool_new(const char *url, unsigned int connect_timeout, unsigned int size,
		   struct store_pool **pool_r) __attribute__((warn_unused_result));
/* Borrows a connection, waiting while all size are borrowed (first come,
 * first served: one given back goes to the longest waiter, never to a
 * borrower that came later); a broken one is reconnected first. Returns 0 with *store_r, or -1 with
 * the reason in err (the database is unreachable). Give it back with store_pool_put(). */
int store_pool_get(struct store_pool *pool, struct store **store_r, struct error *err)
	__attribute__((warn_unused_result));
/* Gives *store back (outside any transaction) and clears it; NULL is fine. */
void store_pool_put(struct store_pool *pool, struct store **store);
/* Borrowers waiting for a connection now (tests, diagnostics). */
unsigned int store_pool_waiting(struct store_pool *pool);
/* Closes every connection; all must have been given back. NULL is fine. */
void store_pool_free(struct store_pool **pool);

#endif
