/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_LLM_OPENAI_H
#define DRAFTD_LLM_OPENAI_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/llm/llm.h"

/* Internals of the openai backend (agent/llm/llm_openai*.c), visible to its tests. */

/* The request gate: a counting semaphore sized to the server's parallel
 * slots, and a circuit breaker that opens after `failures` consecutive
 * failures for `cooldown_ms`, then lets one trial request through
 * (half-open): its success closes it, its failure opens it again. */
struct openai_gate {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned int in_flight;
	unsigned int max_in_flight;
	unsigned int failures;
	unsigned int max_failures;
	unsigned int cooldown_ms;
	uint64_t open_until; /* 0: closed; else open until then, half-open after */
	bool trial;          /* the half-open trial request is in flight */
};

/* Returns 0, or -1 when the mutex or condition cannot be created. */
int openai_gate_init(struct openai_gate *gate, unsigned int max_in_flight, unsigned int failures,
		     unsigned int cooldown_ms) __attribute__((warn_unused_result));
void openai_gate_destroy(struct openai_gate *gate);

/* Waits up to wait_ms for a free slot, then asks the breaker. Returns 0
 * holding a slot (release it with openai_gate_leave()), or -1 with err
 * (BUSY or CIRCUIT) holding nothing. */
int openai_gate_enter(struct openai_gate *gate, long wait_ms, struct llm_error *err)
	__attribute__((warn_unused_result));
/* Tells the breaker how one exchange with the server went. */
void openai_gate_result(struct openai_gate *gate, bool ok);
void openai_gate_leave(struct openai_gate *gate);

/* schemas/model_output.schema.json with the category enum filled from
 * categories[count], properties in the schema's order. New reference, or
 * NULL when out of memory. */
json_t *openai_schema(const char *const *categories, size_t count);

#endif
