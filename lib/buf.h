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
#include <string.h>

struct buf {
	char *data;	/* never NULL after buf_init; data[len] == '\0' */
	size_t len;
	size_t cap;
};

void buf_init(struct buf *b);
void buf_release(struct buf *b);
/* Empty the buffer, keeping its storage. */
void buf_reset(struct buf *b);
/*
 * The slow path of buf_grow: reallocate so that extra more bytes and the
 * NUL fit.  Call buf_grow instead.
 */
void buf_grow_slow(struct buf *b, size_t extra);

/*
 * Appending is on the per-token path of the tokeniser and the feature
 * code, so the common case (room left) is inline and only growing is a
 * call.  A buffer with cap > 0 always has len < cap (room for the NUL).
 */

/* Make room for at least extra more bytes (plus the terminating NUL). */
static inline void
buf_grow(struct buf *b, size_t extra)
{
	if (extra >= b->cap - b->len)	/* also when cap == 0 */
		buf_grow_slow(b, extra);
}

static inline void
buf_add(struct buf *b, const void *data, size_t len)
{
	buf_grow(b, len);
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

static inline void
buf_addch(struct buf *b, char c)
{
	buf_grow(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

void buf_addstr(struct buf *b, const char *s);
void buf_addf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Give the storage to the caller (free() it); the buffer is re-initialised. */
char *buf_detach(struct buf *b, size_t *len);

#endif
