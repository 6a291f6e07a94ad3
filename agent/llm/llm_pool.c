/* SPDX-License-Identifier: MIT */
#include "agent/llm/llm_pool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

/* Timeouts and slots are the callers' (CURLOPT_TIMEOUT_MS, the request
 * gate); the pool only moves bytes. A request is queued by its caller,
 * added to the multi by the pool's thread, and handed back with its result
 * through the shared condition. */

struct pool_req {
	CURL *easy;
	CURLcode rc;
	bool done;
	struct pool_req *next;
};

struct llm_pool {
	pthread_mutex_t lock;
	pthread_cond_t done; /* a request ended: its caller rechecks */
	pthread_t thread;
	CURLM *multi;
	struct pool_req *queue;  /* submitted, not yet in the multi (LIFO: the gate bounds it) */
	struct pool_req *active; /* in the multi */
	bool stopping;
};

/* Takes what callers queued into the multi. Called with the lock held. */
static void pool_admit(struct llm_pool *p)
{
	struct pool_req *r;

	while ((r = p->queue) != NULL) {
		p->queue = r->next;
		curl_easy_setopt(r->easy, CURLOPT_PRIVATE, r);
		if (curl_multi_add_handle(p->multi, r->easy) != CURLM_OK) {
			r->rc = CURLE_OUT_OF_MEMORY;
			r->done = true;
			pthread_cond_broadcast(&p->done);
			continue;
		}
		r->next = p->active;
		p->active = r;
	}
}

/* Hands back every finished transfer. Called with the lock held. */
static void pool_reap(struct llm_pool *p)
{
	struct pool_req *r;
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(p->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		r = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		r->rc = msg->data.result;
		curl_multi_remove_handle(p->multi, msg->easy_handle);
		for (struct pool_req **pp = &p->active; *pp != NULL; pp = &(*pp)->next) {
			if (*pp == r) {
				*pp = r->next;
				break;
			}
		}
		r->done = true;
		pthread_cond_broadcast(&p->done);
	}
}

static void *pool_main(void *arg)
{
	struct llm_pool *p = arg;
	int still;

	pthread_mutex_lock(&p->lock);
	while (!p->stopping) {
		pool_admit(p);
		pthread_mutex_unlock(&p->lock);
		curl_multi_perform(p->multi, &still);
		pthread_mutex_lock(&p->lock);
		pool_reap(p);
		if (p->stopping || p->queue != NULL)
			continue;
		pthread_mutex_unlock(&p->lock);
		/* curl_multi_wakeup() from a caller or a socket ends the wait */
		curl_multi_poll(p->multi, NULL, 0, 1000, NULL);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int llm_pool_open(unsigned int max, struct llm_pool **pool_r)
{
	struct llm_pool *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return -1;
	p->multi = curl_multi_init();
	if (p->multi == NULL) {
		free(p);
		return -1;
	}
	/* no more connections than the server has slots; idle ones kept */
	curl_multi_setopt(p->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)max);
	curl_multi_setopt(p->multi, CURLMOPT_MAXCONNECTS, (long)max);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->done, NULL);
	if (pthread_create(&p->thread, NULL, pool_main, p) != 0) {
		pthread_cond_destroy(&p->done);
		pthread_mutex_destroy(&p->lock);
		curl_multi_cleanup(p->multi);
		free(p);
		return -1;
	}
	*pool_r = p;
	return 0;
}

void llm_pool_close(struct llm_pool **pool)
{
	struct llm_pool *p = *pool;
	struct pool_req *r;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_mutex_unlock(&p->lock);
	curl_multi_wakeup(p->multi);
	pthread_join(p->thread, NULL);
	/* Nobody waits by contract (the backend closes after its last user);
	 * the multi gives the handles back before it goes. */
	pthread_mutex_lock(&p->lock);
	while ((r = p->active) != NULL) {
		p->active = r->next;
		curl_multi_remove_handle(p->multi, r->easy);
		r->rc = CURLE_ABORTED_BY_CALLBACK;
		r->done = true;
	}
	while ((r = p->queue) != NULL) {
		p->queue = r->next;
		r->rc = CURLE_ABORTED_BY_CALLBACK;
		r->done = true;
	}
	pthread_cond_broadcast(&p->done);
	pthread_mutex_unlock(&p->lock);
	curl_multi_cleanup(p->multi);
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->lock);
	free(p);
	*pool = NULL;
}

CURLcode llm_pool_perform(struct llm_pool *pool, CURL *easy)
{
	struct pool_req r = {.easy = easy, .rc = CURLE_OK, .done = false, .next = NULL};

	pthread_mutex_lock(&pool->lock);
	if (pool->stopping) {
		pthread_mutex_unlock(&pool->lock);
		return CURLE_ABORTED_BY_CALLBACK;
	}
	r.next = pool->queue;
	pool->queue = &r;
	pthread_mutex_unlock(&pool->lock);
	curl_multi_wakeup(pool->multi);
	pthread_mutex_lock(&pool->lock);
	while (!r.done)
		pthread_cond_wait(&pool->done, &pool->lock);
	pthread_mutex_unlock(&pool->lock);
	return r.rc;
}
