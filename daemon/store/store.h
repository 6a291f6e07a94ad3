/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_STORE_H
#define DRAFTD_STORE_H

#include <stddef.h>

#include "daemon/lib/error.h"

/* draftd's own tables live behind this interface: only daemon/store/
 * issue SQL against them. A struct store is one libpq connection and is not
 * thread-safe: each thread opens its own. A store_* function that fails
 * returns -1 (or NULL) with its reason in the store's own struct error, as
 * libpq keeps PQerrorMessage(): read it with store_error() or store_err(),
 * valid until the next call on the same store. */
struct store;

/* Connects to url (a libpq URL or conninfo). Returns 0, or -1 with a line
 * naming the host and libpq's reason in err (never the password). */
int store_open(const char *url, unsigned int connect_timeout, struct store **store_r,
	       struct error *err) __attribute__((warn_unused_result));
/* Closes the connection and clears *store; NULL is fine. */
void store_close(struct store **store);
/* The last failure's message ("" when none). */
const char *store_error(const struct store *store);
/* The last failure as a struct error, for a caller that hands it upward
 * with error_copy(). */
const struct error *store_err(const struct store *store);
/* Reconnects when the connection broke (e.g. a Postgres restart). Returns 0
 * when the connection is usable, -1 otherwise. */
int store_ensure(struct store *store) __attribute__((warn_unused_result));

/* Statements prepared per connection ([database] statement_cache): each
 * connection prepares up to max distinct statements on first use; 0 runs
 * everything unprepared (for a pooler in transaction mode that cannot
 * carry prepared statements). Process-wide; set before connections open. */
#define STORE_STMT_CACHE_DEFAULT 256
#define STORE_STMT_CACHE_MAX     4096
void store_statement_cache_set(unsigned int max);
/* How many statements store has prepared (tests). */
unsigned int store_stmt_count(const struct store *store);

/* Applies every compiled-in migration not yet in schema_migrations, each in
 * its own transaction, under an advisory lock so instances never race.
 * Returns the number applied (0: already current), or -1 on error. */
int store_migrate(struct store *store) __attribute__((warn_unused_result));
struct migration;
/* store_migrate() over an explicit list (tests use it with broken ones). */
int store_migrate_list(struct store *store, const struct migration *list, unsigned int count)
	__attribute__((warn_unused_result));
/* Returns how many compiled-in migrations the database lacks, or -1. */
int store_migrations_pending(struct store *store) __attribute__((warn_unused_result));

#endif
