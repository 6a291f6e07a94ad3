/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_OBS_H
#define DRAFTD_OBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/lib/buf.h"

/* The daemon's own operational metrics for the /metrics listener: mailbox
 * poll health, IDLE, SMTP submissions, build info and the process (CPU,
 * memory, file descriptors, start time). Lock-free atomics over fixed
 * tables: every function is thread-safe and allocates nothing; a name past
 * the table's end goes uncounted rather than unbounded. Counts that must add
 * up across instances (messages, drafts, the outbox) come from the database
 * instead. */

/* One poll pass of mailbox ended: ok stamps the last successful poll time. */
void obs_mailbox_poll(const char *mailbox, bool ok);
/* mailbox's connection entered (true) or left (false) IDLE. */
void obs_mailbox_idle(const char *mailbox, bool idle);
/* IDLE on mailbox failed (the connection is dropped and polling resumes). */
void obs_mailbox_idle_error(const char *mailbox);

/* How an SMTP submission ended. */
enum obs_smtp_result {
	OBS_SMTP_SENT = 0,
	OBS_SMTP_TEMPORARY_FAILURE,
	OBS_SMTP_PERMANENT_FAILURE,
	OBS_SMTP_UNCERTAIN,
};
/* One SMTP submission of ms milliseconds (connect to the end of DATA). */
void obs_smtp_send(uint64_t ms, enum obs_smtp_result result);

/* What this build is, for draftd_build_info: copied (bounded). Called once
 * by the process before the listener starts. libs is "name=version" pairs
 * separated by ';'. */
void obs_build_info(const char *version, const char *commit, const char *libs);
/* Records the process's start time (process_start_time_seconds). */
void obs_process_started(void);

/* Appends every family above and the process metrics in the Prometheus
 * text format. Returns 0 or -1 (buffer full). */
int obs_render(struct buf *b) __attribute__((warn_unused_result));
/* The process_* families alone (obs_process.c). Returns 0 or -1. */
int obs_render_process(struct buf *b) __attribute__((warn_unused_result));

/* Appends s as a Prometheus label value, quoted and escaped (\ " newline).
 * Returns 0 or -1 (full). */
int obs_label(struct buf *b, const char *s) __attribute__((warn_unused_result));
/* s as a snake_case label value into out[size] (cut to fit): lower case,
 * every run of other characters one '_', "unknown" when nothing is left. */
void obs_snake(const char *s, char *out, size_t size);
/* Appends s as a snake_case label value: lower case, every run of other
 * characters one '_', so "for a human" is "for_a_human". Values that name
 * an enumeration (outcomes, states, reasons) go through this. 0 or -1. */
int obs_label_snake(struct buf *b, const char *s) __attribute__((warn_unused_result));

#endif
