/*
 * buf.h - growable byte buffer, always NUL-terminated after len bytes.
 *
 * The only realloc loop for bytes in the tree.  A struct buf lives inside
 * other structs (buf_init / buf_release); buf_reset keeps the capacity so
 * per-message scratch buffers stop allocating once they have grown.
 */
#ifndef NC_BUF_H
#define NC_BUF_H

#include <stddef.h>

struct buf {
	char *data;	/* never NULL after buf_init; data[len] == '\0' */
	size_t len;
	size_t cap;
};

void buf_init(struct buf *b);
void buf_release(struct buf *b);
/* Empty the buffer, keeping its storage. */
void buf_reset(struct buf *b);
/* Make room for at least extra more bytes (plus the terminating NUL). */
void buf_grow(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *data, size_t len);
void buf_addch(struct buf *b, char c);
void buf_addstr(struct buf *b, const char *s);
void buf_addf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Give the storage to the caller (free() it); the buffer is re-initialised. */
char *buf_detach(struct buf *b, size_t *len);

#endif
