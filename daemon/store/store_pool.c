/* SPDX-License-Identifier: MIT */
/* A few connections shared by many threads that each need the database
 * only now and then (the mailbox pollers): one connection per mailbox made
 * PostgreSQL's connection count grow with the mailboxes. */
#include "daemon/store/store_pool.h"

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/store_private.h"

/* A borrower waiting for a connection. Waiters are served in the order
 * they came and a returned connection goes straight to the oldest one: with
 * a plain condition variable a thread that just gave a connection back, or
 * one that just arrived, took it again before the woken waiter ran, and a
 * few unlucky requests waited 100 ms behind hundreds of luckier ones (the
 * API's p99 with fewer connections than clients, issue 14). */
struct pool_waiter {
	pthread_cond_t handed;
	struct store *store; /* the connection handed over, or */
	bool slot;           /* the right to open one (a connection was dropped) */
	struct pool_waiter *next;
};

struct store_pool {
	pthread_mutex_t lock;
	char *url;
	unsigned int connect_timeout;
	unsigned int size; /* the most connections open at once */
	unsigned int open; /* opened or being opened */
	struct store **idle;
	unsigned int idle_count;
	/* nobody waits while a connection is idle or a slot free */
	struct pool_waiter *head, *tail;
};

int store_pool_new(const char *url, unsigned int connect_timeout, unsigned int size,
		   struct store_pool **pool_r)
{
	struct store_pool *p = calloc(1, sizeof(*p));

	*pool_r = NULL;
	if (p == NULL || size == 0)
		goto fail;
	p->url = strdup(url);
	p->idle = calloc(size, sizeof(*p->idle));
	if (p->url == NULL || p->idle == NULL)
		goto fail;
	p->connect_timeout = connect_timeout;
	p->size = size;
	pthread_mutex_init(&p->lock, NULL);
	*pool_r = p;
	return 0;
fail:
	if (p != NULL) {
		free(p->url);
		free(p->idle);
	}
	free(p);
	return -1;
}

/* An idle connection has nothing to say: input on it is the server's
 * goodbye (a restart, an idle timeout, pg_terminate_backend) and then its
 * end of file, which libpq turns into CONNECTION_BAD once read. Never
 * blocks. */
static void store_pool_check(struct store *s)
{
	struct pollfd pfd = {.fd = PQsocket(s->conn), .events = POLLIN};

	for (int i = 0; i < 4 && pfd.fd >= 0 && poll(&pfd, 1, 0) > 0; i++) {
		if (PQconsumeInput(s->conn) == 0)
			break;
	}
}

/* Gives s (NULL: the slot of a connection that was closed or never
 * opened) to the oldest waiter, else back to the pool. Called locked. */
static void pool_release(struct store_pool *pool, struct store *s)
{
	struct pool_waiter *w = pool->head;

	if (w != NULL) {
		pool->head = w->next;
		if (pool->head == NULL)
			pool->tail = NULL;
		w->store = s;
		w->slot = s == NULL; /* the slot passes on: open is unchanged */
		pthread_cond_signal(&w->handed);
	} else if (s == NULL) {
		pool->open--;
	} else {
		pool->idle[pool->idle_count++] = s; /* open <= size: always room */
	}
}

/* Waits at the end of the line until pool_release() hands this thread a
 * connection or a slot. Called locked; returns the connection, or NULL
 * with the slot counted in open. */
static struct store *pool_wait(struct store_pool *pool)
{
	struct pool_waiter w = {.store = NULL, .slot = false, .next = NULL};

	pthread_cond_init(&w.handed, NULL);
	if (pool->tail != NULL)
		pool->tail->next = &w;
	else
		pool->head = &w;
	pool->tail = &w;
	while (w.store == NULL && !w.slot)
		pthread_cond_wait(&w.handed, &pool->lock);
	pthread_cond_destroy(&w.handed);
	return w.store;
}

int store_pool_get(struct store_pool *pool, struct store **store_r, struct error *err)
{
	struct store *s = NULL;
	int ret = -1;

	*store_r = NULL;
	pthread_mutex_lock(&pool->lock);
	if (pool->idle_count > 0)
		s = pool->idle[--pool->idle_count];
	else if (pool->open < pool->size)
		pool->open++; /* a slot for the connection opened below, unlocked */
	else
		s = pool_wait(pool);
	pthread_mutex_unlock(&pool->lock);
	if (s == NULL) {
		if (store_open(pool->url, pool->connect_timeout, &s, err) < 0)
			goto out;
	} else if (store_pool_check(s), store_ensure(s) < 0) {
		error_copy(err, store_err(s));
		goto out;
	}
	*store_r = s;
	s = NULL;
	ret = 0;
out:
	if (ret < 0) {
		/* a connection that cannot be had frees its slot for the next try */
		store_close(&s);
		pthread_mutex_lock(&pool->lock);
		pool_release(pool, NULL);
		pthread_mutex_unlock(&pool->lock);
	}
	return ret;
}

void store_pool_put(struct store_pool *pool, struct store **store)
{
	if (*store == NULL)
		return;
	/* one left inside a transaction (a caller's bug) or broken would hand
	 * its state to the next borrower: closed instead, its slot freed */
	if (PQtransactionStatus((*store)->conn) != PQTRANS_IDLE)
		store_close(store);
	pthread_mutex_lock(&pool->lock);
	pool_release(pool, *store);
	pthread_mutex_unlock(&pool->lock);
	*store = NULL;
}

unsigned int store_pool_waiting(struct store_pool *pool)
{
	unsigned int n = 0;

	pthread_mutex_lock(&pool->lock);
	for (const struct pool_waiter *w = pool->head; w != NULL; w = w->next)
		n++;
	pthread_mutex_unlock(&pool->lock);
	return n;
}

void store_pool_free(struct store_pool **pool)
{
	struct store_pool *p = *pool;

	if (p == NULL)
		return;
	for (unsigned int i = 0; i < p->idle_count; i++)
		store_close(&p->idle[i]);
	pthread_mutex_destroy(&p->lock);
	free(p->idle);
	free(p->url);
	free(p);
	*pool = NULL;
}
