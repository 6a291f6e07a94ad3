/* SPDX-License-Identifier: MIT */
#include "daemon/store/store_txn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/store_audit.h"

int store_txn_object(struct store *store, struct store_txn *txn, const char *type, const char *id)
{
	char *copy = strdup(id);

	if (copy == NULL) {
		error_set(&store->err, "audit: out of memory");
		return -1;
	}
	free(txn->object_id);
	txn->object_id = copy;
	txn->object_type = type;
	return 0;
}

int store_txn_refuse(struct store_txn *txn, const char *guard)
{
	txn->refused = guard;
	return 0;
}

/* Drops what txn owns; its action stays. */
static void txn_clear(struct store_txn *txn)
{
	free(txn->object_id);
	txn->object_id = NULL;
	json_decref(txn->before);
	json_decref(txn->after);
	txn->before = NULL;
	txn->after = NULL;
}

int store_txn_audit(struct store *store, struct store_txn *txn)
{
	int ret = 0;

	if (txn->action != NULL &&
	    store_audit_append(store, txn->actor, txn->action, txn->object_type,
			       txn->object_id != NULL ? txn->object_id : "", txn->before,
			       txn->after) < 0)
		ret = -1;
	txn->action = NULL;
	txn_clear(txn);
	return ret;
}

int store_txn_run(struct store *store, struct store_txn *txn, store_txn_body_fn *body, void *ctx)
{
	int ret = -1;

	txn->refused = NULL;
	if (store_command(store, "BEGIN") < 0)
		goto out;
	ret = body(store, txn, ctx);
	if (ret == 1 && store_txn_audit(store, txn) < 0)
		ret = -1;
	/* COMMIT can fail too (a deferred constraint, a lost connection) */
	if (ret == 1 && store_command(store, "COMMIT") < 0)
		ret = -1;
	if (ret != 1)
		store_rollback(store);
out:
	txn_clear(txn);
	return ret;
}
