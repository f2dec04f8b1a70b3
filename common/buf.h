// SPDX-License-Identifier: Apache-2.0
/* Bounded growable byte buffer: everything read from the network or a file
 * goes through one, so no input can grow memory past its cap. */
#ifndef EVE_BUF_H
#define EVE_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t *data; /* owned; always NUL-terminated past len when non-NULL */
	size_t len;
	size_t alloc;
	size_t cap; /* hard maximum of len */
};

/* Initialise an empty buffer that may never hold more than cap bytes. */
void buf_init(struct buf *b, size_t cap);
/* Append n bytes; -EVE_ETOOBIG past the cap (buffer unchanged), -ENOMEM. */
int buf_append(struct buf *b, const void *p, size_t n);
/* Append a formatted string (printf rules). */
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Forget the contents but keep the memory. */
void buf_reset(struct buf *b);
/* Hand the data to the caller (who frees it with free()); b becomes empty. */
uint8_t *buf_steal(struct buf *b, size_t *len);
/* Free the memory; safe on a zeroed or already-freed buffer. */
void buf_free(struct buf *b);

#endif
