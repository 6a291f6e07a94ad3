/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_BUF_H
#define DRAFTD_BUF_H

#include <stdarg.h>
#include <stddef.h>

/* A growable byte buffer with a hard ceiling (curl's dynbuf "toobig"): every
 * piece of outside data that draftd accumulates goes through one of these, so
 * crossing a limit is an error the caller reports, never an unbounded
 * allocation. The content is always NUL-terminated. Not thread-safe. */
struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max; /* the most bytes len may reach */
};

void buf_init(struct buf *b, size_t max);
/* Frees the storage; the buf can be used again after buf_init(). NULL is fine. */
void buf_free(struct buf *b);
void buf_reset(struct buf *b);

/* Returns 0 on success, -1 when the ceiling would be crossed or memory ran
 * out; the buffer is unchanged on failure. */
int buf_append(struct buf *b, const void *data, size_t len) __attribute__((warn_unused_result));
int buf_append_str(struct buf *b, const char *s) __attribute__((warn_unused_result));
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)))
__attribute__((warn_unused_result));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((warn_unused_result));

/* Hands the storage to the caller (free() it) and leaves the buf empty. */
char *buf_steal(struct buf *b);

#endif
