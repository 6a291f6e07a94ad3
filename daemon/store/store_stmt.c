/* SPDX-License-Identifier: MIT */
#include "daemon/store/store_private.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each connection prepares a statement the first time it runs it and
 * executes the prepared one after that (issue 14: Postgres spent more time
 * parsing and planning draftd's ~15 statements per message than running
 * them). The text is the key, so a statement built at run time is a new
 * entry; the table is bounded and, once full, statements run unprepared. */

static unsigned int store_stmt_max = STORE_STMT_CACHE_DEFAULT;

struct store_stmt {
	uint64_t hash;
	char *sql; /* NULL: a free slot */
	char name[16];
};

struct store_stmts {
	unsigned int slots; /* 2 * max, so a probe always ends on a free slot */
	unsigned int count, max, next_id;
	struct store_stmt *tab;
};

void store_statement_cache_set(unsigned int max)
{
	store_stmt_max = max > STORE_STMT_CACHE_MAX ? STORE_STMT_CACHE_MAX : max;
}

static uint64_t store_stmt_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

void store_stmt_forget(struct store *store)
{
	struct store_stmts *c = store->stmts;

	if (c == NULL)
		return;
	for (unsigned int i = 0; i < c->slots; i++)
		free(c->tab[i].sql);
	free(c->tab);
	free(c);
	store->stmts = NULL;
}

/* The slot for sql: its entry, or the free slot where it would go; NULL
 * when the cache is off or cannot be allocated. */
static struct store_stmt *store_stmt_slot(struct store *store, const char *sql, uint64_t h)
{
	struct store_stmts *c = store->stmts;
	unsigned int i;

	if (c == NULL) {
		if (store_stmt_max == 0 || (c = calloc(1, sizeof(*c))) == NULL)
			return NULL;
		c->max = store_stmt_max;
		c->slots = 2 * c->max;
		if ((c->tab = calloc(c->slots, sizeof(*c->tab))) == NULL) {
			free(c);
			return NULL;
		}
		store->stmts = c;
	}
	for (i = (unsigned int)(h % c->slots); c->tab[i].sql != NULL; i = (i + 1) % c->slots) {
		if (c->tab[i].hash == h && strcmp(c->tab[i].sql, sql) == 0)
			return &c->tab[i];
	}
	return &c->tab[i];
}

PGresult *store_stmt_exec(struct store *store, const char *sql, int nparams,
			  const char *const *params)
{
	struct store_stmts *c;
	struct store_stmt *e;
	PGresult *res;
	uint64_t h = store_stmt_hash(sql);
	char name[16];

	e = store_stmt_slot(store, sql, h);
	c = store->stmts;
	if (e != NULL && e->sql != NULL)
		return PQexecPrepared(store->conn, e->name, nparams, params, NULL, NULL, 0);
	if (e == NULL || c->count >= c->max)
		return PQexecParams(store->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	/* Types are inferred as PQexecParams() infers them. A failed prepare
	 * (a syntax error, a missing table) is the error the statement would
	 * have raised, and leaves nothing cached. */
	snprintf(name, sizeof(name), "draftd_%u", c->next_id);
	res = PQprepare(store->conn, name, sql, nparams, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		return res;
	PQclear(res);
	if ((e->sql = strdup(sql)) == NULL)
		return PQexecParams(store->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	e->hash = h;
	memcpy(e->name, name, sizeof(name));
	c->next_id++;
	c->count++;
	return PQexecPrepared(store->conn, e->name, nparams, params, NULL, NULL, 0);
}

int store_stmt_name(struct store *store, const char *what, const char *sql, int nparams,
		    char *name_r, size_t size)
{
	struct store_stmt *e;
	PGresult *res;
	uint64_t h = store_stmt_hash(sql);
	struct store_stmts *c;
	char name[16];

	e = store_stmt_slot(store, sql, h);
	c = store->stmts;
	if (e != NULL && e->sql != NULL) {
		snprintf(name_r, size, "%s", e->name);
		return 1;
	}
	if (e == NULL || c->count >= c->max)
		return 0;
	snprintf(name, sizeof(name), "draftd_%u", c->next_id);
	res = PQprepare(store->conn, name, sql, nparams, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		store_set_error(store, what, res);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	if ((e->sql = strdup(sql)) == NULL)
		return 0; /* prepared but not remembered: runs unprepared */
	e->hash = h;
	memcpy(e->name, name, sizeof(name));
	c->next_id++;
	c->count++;
	snprintf(name_r, size, "%s", e->name);
	return 1;
}

unsigned int store_stmt_count(const struct store *store)
{
	return store->stmts != NULL ? store->stmts->count : 0;
}
