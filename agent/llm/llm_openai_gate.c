/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <time.h>

#include "agent/llm/llm_openai.h"
#include "daemon/lib/log.h"
#include "daemon/lib/util.h"

int openai_gate_init(struct openai_gate *gate, unsigned int max_in_flight, unsigned int failures,
		     unsigned int cooldown_ms)
{
	pthread_condattr_t attr;
	int ret = -1;

	*gate = (struct openai_gate){.max_in_flight = max_in_flight,
				     .max_failures = failures,
				     .cooldown_ms = cooldown_ms};
	if (pthread_condattr_init(&attr) != 0)
		return -1;
	/* Waits are measured on the monotonic clock, like time_mono_ms(). */
	if (pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0)
		goto out;
	if (pthread_mutex_init(&gate->lock, NULL) != 0)
		goto out;
	if (pthread_cond_init(&gate->cond, &attr) != 0) {
		pthread_mutex_destroy(&gate->lock);
		goto out;
	}
	ret = 0;
out:
	pthread_condattr_destroy(&attr);
	return ret;
}

void openai_gate_destroy(struct openai_gate *gate)
{
	if (gate->max_in_flight == 0)
		return;
	pthread_cond_destroy(&gate->cond);
	pthread_mutex_destroy(&gate->lock);
	gate->max_in_flight = 0;
}

/* Must hold the lock. Returns 0 when a request may go to the server. */
static int openai_gate_breaker(struct openai_gate *gate, struct llm_error *err)
{
	uint64_t now = time_mono_ms();

	if (gate->open_until == 0)
		return 0;
	if (now < gate->open_until)
		return llm_error_set(err, LLM_ERROR_CIRCUIT, 0,
				     "circuit open after %u failures, %llu ms to go",
				     gate->failures, (unsigned long long)(gate->open_until - now));
	if (gate->trial)
		return llm_error_set(err, LLM_ERROR_CIRCUIT, 0,
				     "circuit half-open, a trial request is in flight");
	gate->trial = true;
	return 0;
}

int openai_gate_enter(struct openai_gate *gate, long wait_ms, struct llm_error *err)
{
	struct timespec deadline;
	int ret = -1, rc = 0;

	time_deadline(CLOCK_MONOTONIC, wait_ms > 0 ? (uint64_t)wait_ms : 0, &deadline);
	pthread_mutex_lock(&gate->lock);
	while (gate->in_flight >= gate->max_in_flight && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&gate->cond, &gate->lock, &deadline);
	if (gate->in_flight >= gate->max_in_flight) {
		llm_error_set(err, LLM_ERROR_BUSY, 0, "all %u model request slots busy for %ld ms",
			      gate->max_in_flight, wait_ms);
		goto out;
	}
	if (openai_gate_breaker(gate, err) < 0)
		goto out;
	gate->in_flight++;
	ret = 0;
out:
	pthread_mutex_unlock(&gate->lock);
	return ret;
}

void openai_gate_result(struct openai_gate *gate, bool ok)
{
	pthread_mutex_lock(&gate->lock);
	if (ok) {
		if (gate->open_until != 0)
			log_info("model circuit closed");
		gate->failures = 0;
		gate->open_until = 0;
	} else {
		gate->failures++;
		if (gate->trial || gate->failures >= gate->max_failures) {
			if (gate->open_until == 0 || gate->trial)
				log_warn_kv("model circuit opened", "failures=%u cooldown_ms=%u",
					    gate->failures, gate->cooldown_ms);
			gate->open_until = time_mono_ms() + gate->cooldown_ms;
		}
	}
	gate->trial = false;
	pthread_mutex_unlock(&gate->lock);
}

void openai_gate_leave(struct openai_gate *gate)
{
	pthread_mutex_lock(&gate->lock);
	gate->in_flight--;
	pthread_cond_signal(&gate->cond);
	pthread_mutex_unlock(&gate->lock);
}
