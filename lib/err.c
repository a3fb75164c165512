/*
 * err.c - formatting of struct err reasons.  Messages are truncated to
 * ERR_MAX - 1 bytes; they are meant for one log line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

int
err_set(struct err *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int
err_prefix(struct err *err, const char *fmt, ...)
{
	char old[ERR_MAX];
	size_t n;
	va_list ap;
	int len;

	if (err == NULL)
		return -1;
	memcpy(old, err->msg, sizeof(old));
	va_start(ap, fmt);
	len = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	n = len < 0 ? 0 : (size_t)len;
	if (n + 2 >= sizeof(err->msg))
		return -1;	/* the prefix alone fills it */
	memcpy(err->msg + n, ": ", 2);
	n += 2;
	old[sizeof(old) - 1 - n] = '\0';	/* keep what fits */
	memcpy(err->msg + n, old, strlen(old) + 1);
	return -1;
}
