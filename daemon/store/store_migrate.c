/* SPDX-License-Identifier: MIT */
#include "daemon/store/store_private.h"

#include <stdio.h>
#include <stdlib.h>

#include "daemon/lib/log.h"
#include "daemon/store/migrations.h"

/* Any 64-bit constant works: it only has to be the same for every instance. */
#define MIGRATE_LOCK_KEY "7261667464"

static int migrate_prepare(struct store *store)
{
	return store_command(store, "CREATE TABLE IF NOT EXISTS schema_migrations ("
				    " version integer PRIMARY KEY,"
				    " name text NOT NULL,"
				    " applied_at timestamptz NOT NULL DEFAULT now())");
}

/* Returns 1 when version is recorded, 0 when not, -1 on error. */
static int migrate_is_applied(struct store *store, unsigned int version)
{
	char v[16];
	const char *params[1] = {v};
	PGresult *res;
	int ret;

	snprintf(v, sizeof(v), "%u", version);
	res = store_exec(store, "reading schema_migrations",
			 "SELECT 1 FROM schema_migrations WHERE version = $1", 1, params);
	if (res == NULL)
		return -1;
	ret = PQntuples(res) > 0 ? 1 : 0;
	PQclear(res);
	return ret;
}

/* Applies one migration in its own transaction. Returns 1 when applied, 0
 * when it already was, -1 on error (rolled back). */
static int migrate_one(struct store *store, const struct migration *m)
{
	char v[16], what[160];
	const char *params[2] = {v, m->name};
	PGresult *res = NULL;
	int ret = -1, applied;

	if (store_command(store, "BEGIN") < 0)
		return -1;
	applied = migrate_is_applied(store, m->version);
	if (applied != 0) {
		ret = applied < 0 ? -1 : 0;
		goto out;
	}
	/* The file's own text, compiled in: no value from outside is in it. */
	res = PQexec(store->conn, m->sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(what, sizeof(what), "migration %04u_%s", m->version, m->name);
		store_set_error(store, what, res);
		goto out;
	}
	PQclear(res);
	res = NULL;
	snprintf(v, sizeof(v), "%u", m->version);
	if (store_exec_void(store, "recording migration",
			    "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", 2,
			    params) < 0)
		goto out;
	if (store_command(store, "COMMIT") < 0)
		goto out;
	log_info("applied migration %04u_%s", m->version, m->name);
	ret = 1;
out:
	PQclear(res);
	if (ret <= 0)
		store_rollback(store);
	return ret;
}

int store_migrate(struct store *store)
{
	return store_migrate_list(store, migrations, migrations_count);
}

int store_migrate_list(struct store *store, const struct migration *list, unsigned int count)
{
	unsigned int i;
	int applied = 0, r;

	if (store_command(store, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")") < 0)
		return -1;
	if (migrate_prepare(store) < 0) {
		applied = -1;
		goto out;
	}
	for (i = 0; i < count; i++) {
		r = migrate_one(store, &list[i]);
		if (r < 0) {
			applied = -1;
			goto out;
		}
		applied += r;
	}
out:
	/* Unlocking cannot fail in a way we could act on; the session ends anyway. */
	PQclear(PQexec(store->conn, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")"));
	if (applied != 0) {
		/* a statement prepared before may now return another row type */
		PQclear(PQexec(store->conn, "DEALLOCATE ALL"));
		store_stmt_forget(store);
	}
	return applied;
}

int store_migrations_pending(struct store *store)
{
	PGresult *res = NULL;
	unsigned int i;
	int pending = 0, r;

	res = store_exec(store, "checking schema_migrations",
			 "SELECT to_regclass('schema_migrations') IS NOT NULL", 0, NULL);
	if (res == NULL)
		return -1;
	if (PQgetvalue(res, 0, 0)[0] != 't') {
		PQclear(res);
		return (int)migrations_count;
	}
	PQclear(res);
	for (i = 0; i < migrations_count; i++) {
		r = migrate_is_applied(store, migrations[i].version);
		if (r < 0)
			return -1;
		pending += r == 0;
	}
	return pending;
}
