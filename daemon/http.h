/*
 * http.h - the daemon's HTTP endpoint: Prometheus metrics and health
 * checks, served by libmicrohttpd on the main thread.
 *
 *   GET /metrics        the text exposition format, version 0.0.4
 *   GET /health/live    200 while the main loop runs
 *   GET /health/ready   200 when the models are loaded and the sockets
 *                       bound, 503 otherwise (e.g. while draining)
 * Other paths get 404, other methods than GET and HEAD 405.
 *
 * There is no thread here: the caller polls http_fd() for input beside
 * its own sockets, never longer than http_timeout_ms(), and calls
 * http_run() when it is readable or that time has passed.  The answers
 * are built by callbacks, on that same thread, so they read the main
 * thread's counters without locks.
 */
#ifndef NC_HTTP_H
#define NC_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "ackout.h"
#include "buf.h"
#include "err.h"
#include "stats.h"

#define HTTP_MAX_MODELS 16

struct http_model {
	const char *task;	/* borrowed, valid for the callback */
	const char *version;
	double load_s;		/* how long its last (re)load took */
};

/* What /metrics shows: the daemon's state at one instant. */
struct http_snapshot {
	const struct stats *st;		/* borrowed */
	int workers;
	struct http_model models[HTTP_MAX_MODELS];
	size_t nmodels;
	uint64_t auth_accepted, auth_refused;	/* CURVE; 0 when off */
	int curve;			/* CURVE on: show the auth counters */
	int ack;			/* an acknowledged output: ackc */
	struct ackout_counts ackc;
	double start_time_s;		/* the Unix time the daemon started */
	uint64_t rss_bytes;		/* 0 if unknown */
};

/* Callbacks into the daemon, called on the thread that runs http_run. */
struct http_source {
	/* Fill *out (zeroed first). */
	void (*snapshot)(void *arg, struct http_snapshot *out);
	/* 1 when ready to serve (models loaded, sockets bound, not stopping). */
	int (*ready)(void *arg);
	void *arg;
};

struct http;

/*
 * Listen on addr ("HOST:PORT", as endpoint_hostport_parse takes it) and
 * set *out.  src is copied; src->arg must outlive the endpoint.  Returns
 * 0, or -1 with a reason ("cannot bind '127.0.0.1:9101': Address already
 * in use", ...).  Free with http_destroy.
 */
int http_new(const char *addr, const struct http_source *src,
    struct http **out, struct err *err);

/* Stop listening, close every connection and free; *hp becomes NULL. */
void http_destroy(struct http **hp);

/* The descriptor to poll for input (an epoll instance). */
int http_fd(const struct http *h);

/*
 * Milliseconds until http_run must be called even if http_fd stays quiet
 * (connection timeouts, buffered input), capped at max.  0: call it now.
 */
long http_timeout_ms(struct http *h, long max);

/* Accept, read, answer and time out connections, without blocking. */
void http_run(struct http *h);

/*
 * Append the exposition of *snap to b (Prometheus text format 0.0.4): HELP
 * and TYPE lines, counters ending in _total, the latency histogram in
 * seconds with cumulative "le" buckets, _sum and _count.  Pure: no I/O.
 */
void http_render_metrics(struct buf *b, const struct http_snapshot *snap);

/* The resident set size from /proc/self/statm: 0, or -1 if unreadable. */
int http_read_rss(uint64_t *bytes);

#endif
