/*
 * err.h - one-line error reports filled in by library code.
 *
 * Library functions never print or exit; on failure they return -1 (or NULL)
 * and write a lowercase, single-line reason into a caller-owned struct err.
 * Callers decide whether to log it, send it as an error event, or exit.
 */
#ifndef NC_ERR_H
#define NC_ERR_H

#define ERR_MAX 512

struct err {
	char msg[ERR_MAX];
};

/*
 * Format a reason into err (NULL is allowed and ignored).  Always returns -1
 * so that callers can write "return err_set(err, ...);".
 */
int err_set(struct err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Prefix the reason already in err with "fmt: " (for adding context such as
 * a file name on the way up).  Returns -1.
 */
int err_prefix(struct err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
