/*
 * xalloc.h - allocation that cannot fail.  On out-of-memory the process
 * prints one line to stderr and aborts: a classifier that cannot allocate a
 * few kilobytes has nothing sensible left to do.  This is the only place in
 * lib/ that may end the process.
 */
#ifndef NC_XALLOC_H
#define NC_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
/* Grow an array of nmemb elements of size bytes, checking for overflow. */
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
