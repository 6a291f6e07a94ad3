/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_STORE_AUDIT_H
#define DRAFTD_STORE_AUDIT_H

#include <jansson.h>
#include <stddef.h>

#include "daemon/store/store.h"

/* The hash-chained audit log. Each row's hash is
 * sha256(prev_hash || canonical JSON of the row), where the canonical JSON
 * is Postgres' jsonb text of {id, at, actor, action, object_type,
 * object_id, before, after} (jsonb sorts keys and fixes spacing, so append
 * and verify hash the very same bytes). prev_hash is the previous row's
 * hash (empty for the first row). */

/* Appends one row inside the caller's open transaction (BEGIN ... COMMIT
 * around it, together with the change it records). Takes a transaction-level
 * advisory lock so concurrent appenders chain one after the other; the lock
 * is held until the caller commits or rolls back. before/after may be NULL
 * and are not taken over. Returns 0, or -1 with store_error() set. */
int store_audit_append(struct store *store, const char *actor, const char *action,
		       const char *object_type, const char *object_id, const json_t *before,
		       const json_t *after) __attribute__((warn_unused_result));

/* store_audit_append(), then COMMIT, in the same round trip: the last step
 * of a transaction. Returns 0 (committed), or -1 with store_error() set
 * (the caller rolls back). */
int store_audit_commit(struct store *store, const char *actor, const char *action,
		       const char *object_type, const char *object_id, const json_t *before,
		       const json_t *after) __attribute__((warn_unused_result));

/* store_audit_append() in its own transaction. Returns 0, or -1 with
 * store_error() set (rolled back). */
int store_audit_record(struct store *store, const char *actor, const char *action,
		       const char *object_type, const char *object_id, const json_t *before,
		       const json_t *after) __attribute__((warn_unused_result));

/* Walks the whole chain in id order. Returns 1 when intact (*rows_r rows),
 * 0 when broken: *bad_id_r is the first row whose prev_hash or hash does not
 * match and why[] says which; -1 on a database error. */
int store_audit_verify(struct store *store, long long *rows_r, long long *bad_id_r, char *why,
		       size_t why_size) __attribute__((warn_unused_result));

/* Audit rows as a JSON array of objects (id, at, actor, action, object_type,
 * object_id, before, after, hash), oldest first: rows with id > since_id
 * and at >= since_time (either may be NULL), at most limit rows; with
 * object_type/object_id given, only that object's rows. Returns 0 with
 * *entries_r (json_decref it), -1 on error. */
int store_audit_list(struct store *store, const char *since_id, const char *since_time,
		     const char *object_type, const char *object_id, unsigned int limit,
		     json_t **entries_r) __attribute__((warn_unused_result));

#endif
