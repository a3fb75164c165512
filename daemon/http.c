/*
 * http.c - metrics and health checks over HTTP (libmicrohttpd), on the
 * caller's thread.
 *
 * libmicrohttpd runs without a thread of its own, in epoll mode: its epoll
 * descriptor joins the main loop's zmq_poll, and http_run lets it accept,
 * read and answer whatever is ready, without blocking.  Every answer is
 * built while the request is being handled, from the daemon's state at
 * that instant.  This is the only file that includes microhttpd.h.
 *
 * The endpoint must not be a way to hurt the daemon: at most
 * HTTP_CONNECTIONS connections at once, each dropped after
 * HTTP_IDLE_S seconds of silence, request headers bounded by the
 * library's per-connection memory pool (32 KiB), request bodies never
 * read.  A /metrics answer is a few kilobytes, built in a buffer that is
 * reused.
 */
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "endpoint.h"
#include "http.h"
#include "log.h"
#include "msg.h"
#include "xalloc.h"

#define HTTP_CONNECTIONS 16
#define HTTP_IDLE_S 10
#define HTTP_BACKLOG 64
#define HTTP_METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct http {
	struct MHD_Daemon *d;
	int epoll_fd;
	struct http_source src;
	struct buf body;	/* the /metrics answer being built */
};

/* ---- the exposition ---- */

/*
 * Bounds of the latency histogram, in seconds as printed and in
 * microseconds as counted: from a quick answer on an idle daemon to a
 * message stuck behind full queues.
 */
static const struct {
	const char *le;
	uint64_t us;
} bounds[] = {
	{ "0.0001", 100 }, { "0.00025", 250 }, { "0.0005", 500 },
	{ "0.001", 1000 }, { "0.0025", 2500 }, { "0.005", 5000 },
	{ "0.01", 10000 }, { "0.025", 25000 }, { "0.05", 50000 },
	{ "0.1", 100000 }, { "0.25", 250000 }, { "0.5", 500000 },
	{ "1", 1000000 }, { "2.5", 2500000 }, { "5", 5000000 },
	{ "10", 10000000 },
};

static void
family(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_addf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
counter(struct buf *b, const char *name, const char *help, uint64_t v)
{
	family(b, name, "counter", help);
	buf_addf(b, "%s %" PRIu64 "\n", name, v);
}

/* A label value, quoted, with \, " and newline escaped as the format says. */
static void
label_value(struct buf *b, const char *v)
{
	buf_addch(b, '"');
	for (; *v; v++) {
		if (*v == '\\')
			buf_addstr(b, "\\\\");
		else if (*v == '"')
			buf_addstr(b, "\\\"");
		else if (*v == '\n')
			buf_addstr(b, "\\n");
		else
			buf_addch(b, *v);
	}
	buf_addch(b, '"');
}

static void
render_counters(struct buf *b, const struct http_snapshot *snap)
{
	const struct stats *st = snap->st;
	int i;

	counter(b, "newsclassd_received_total",
	    "Messages read from the input.", st->received);
	counter(b, "newsclassd_published_total",
	    "Results published on the output.", st->published);
	family(b, "newsclassd_errors_total", "counter",
	    "Error events published, by error code.");
	for (i = 1; i < MSG_NCODES; i++)
		buf_addf(b, "newsclassd_errors_total{code=\"%s\"} %" PRIu64
		    "\n", msg_code_name((enum msg_code)i), st->by_code[i]);
	counter(b, "newsclassd_heartbeats_total", "Heartbeats published.",
	    st->heartbeats);
	counter(b, "newsclassd_heartbeats_skipped_total",
	    "Heartbeats not sent because the output was busy.",
	    st->heartbeats_skipped);
	counter(b, "newsclassd_output_blocked_total",
	    "Times the output could not take a result at once (a push "
	    "output without room); a pub output drops for slow subscribers "
	    "without telling.", st->output_blocked);
	counter(b, "newsclassd_reloads_total", "Successful model reloads.",
	    st->reloads);
	counter(b, "newsclassd_reload_failures_total",
	    "Failed model reloads (the running models kept serving).",
	    st->reload_failures);
	if (snap->curve) {
		family(b, "newsclassd_curve_auth_total", "counter",
		    "CURVE clients accepted and refused.");
		buf_addf(b, "newsclassd_curve_auth_total{result=\"accepted\"} "
		    "%" PRIu64 "\n", snap->auth_accepted);
		buf_addf(b, "newsclassd_curve_auth_total{result=\"refused\"} "
		    "%" PRIu64 "\n", snap->auth_refused);
	}
}

/* The acknowledged output (output.type = ack), when it is on. */
static void
render_ack(struct buf *b, const struct ackout_counts *c)
{
	const struct {
		const char *name, *type, *help;
		uint64_t v;
	} m[] = {
		{ "newsclassd_ack_consumers", "gauge",
		  "Consumers of the acknowledged output known now.",
		  c->consumers },
		{ "newsclassd_ack_queued", "gauge",
		  "Results waiting for a consumer with credit.", c->queued },
		{ "newsclassd_ack_unacked", "gauge",
		  "Results delivered and not yet acknowledged.", c->unacked },
		{ "newsclassd_ack_delivered_total", "counter",
		  "Deliveries, first ones and again.", c->delivered },
		{ "newsclassd_ack_acked_total", "counter",
		  "Results acknowledged.", c->acked },
		{ "newsclassd_ack_redelivered_total", "counter",
		  "Deliveries of a result delivered before (its consumer died).",
		  c->redelivered },
		{ "newsclassd_ack_dead_consumers_total", "counter",
		  "Consumers that went silent or away holding results.",
		  c->dead_consumers },
		{ "newsclassd_ack_bad_messages_total", "counter",
		  "Consumer messages ignored as garbage.", c->bad_messages },
	};
	size_t i;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		family(b, m[i].name, m[i].type, m[i].help);
		buf_addf(b, "%s %" PRIu64 "\n", m[i].name, m[i].v);
	}
}

static void
render_latency(struct buf *b, const struct stats *st)
{
	size_t i;

	family(b, "newsclassd_latency_seconds", "histogram",
	    "Time from reading a message to publishing its result or error.");
	for (i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++)
		buf_addf(b, "newsclassd_latency_seconds_bucket{le=\"%s\"} %"
		    PRIu64 "\n", bounds[i].le, stats_count_le(st, bounds[i].us));
	buf_addf(b, "newsclassd_latency_seconds_bucket{le=\"+Inf\"} %" PRIu64
	    "\n", st->nlat);
	buf_addf(b, "newsclassd_latency_seconds_sum %" PRIu64 ".%06" PRIu64
	    "\n", st->sum_us / 1000000, st->sum_us % 1000000);
	buf_addf(b, "newsclassd_latency_seconds_count %" PRIu64 "\n",
	    st->nlat);
}

static void
render_gauges(struct buf *b, const struct http_snapshot *snap)
{
	size_t i;

	family(b, "newsclassd_messages_in_flight", "gauge",
	    "Messages read but not yet published.");
	buf_addf(b, "newsclassd_messages_in_flight %" PRIu64 "\n",
	    stats_in_flight(snap->st));
	family(b, "newsclassd_worker_threads", "gauge",
	    "Threads scoring messages.");
	buf_addf(b, "newsclassd_worker_threads %d\n", snap->workers);
	family(b, "newsclassd_model_info", "gauge",
	    "The model bundles in use, by task and version.");
	for (i = 0; i < snap->nmodels; i++) {
		buf_addstr(b, "newsclassd_model_info{task=");
		label_value(b, snap->models[i].task);
		buf_addstr(b, ",version=");
		label_value(b, snap->models[i].version);
		buf_addstr(b, "} 1\n");
	}
	family(b, "newsclassd_model_load_seconds", "gauge",
	    "How long loading each bundle in use took, at start or reload.");
	for (i = 0; i < snap->nmodels; i++) {
		buf_addstr(b, "newsclassd_model_load_seconds{task=");
		label_value(b, snap->models[i].task);
		buf_addf(b, "} %.6f\n", snap->models[i].load_s);
	}
	if (snap->rss_bytes > 0) {
		family(b, "process_resident_memory_bytes", "gauge",
		    "Resident memory size in bytes.");
		buf_addf(b, "process_resident_memory_bytes %" PRIu64 "\n",
		    snap->rss_bytes);
	}
	family(b, "process_start_time_seconds", "gauge",
	    "Start time of the process since unix epoch in seconds.");
	buf_addf(b, "process_start_time_seconds %.3f\n", snap->start_time_s);
}

void
http_render_metrics(struct buf *b, const struct http_snapshot *snap)
{
	render_counters(b, snap);
	render_latency(b, snap->st);
	render_gauges(b, snap);
	if (snap->ack)
		render_ack(b, &snap->ackc);
}

int
http_read_rss(uint64_t *bytes)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long long pages;
	long page = sysconf(_SC_PAGESIZE);
	int n;

	if (f == NULL)
		return -1;
	n = fscanf(f, "%*s %llu", &pages);
	fclose(f);
	if (n != 1 || page <= 0)
		return -1;
	*bytes = (uint64_t)pages * (uint64_t)page;
	return 0;
}

/* ---- requests ---- */

static enum MHD_Result
reply(struct MHD_Connection *conn, unsigned status, const char *type,
    const char *body, size_t len, int allow)
{
	struct MHD_Response *r;
	enum MHD_Result rc;

	r = MHD_create_response_from_buffer(len, (void *)body,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;	/* out of memory: drop the connection */
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result
reply_text(struct MHD_Connection *conn, unsigned status, const char *text)
{
	return reply(conn, status, "text/plain; charset=utf-8", text,
	    strlen(text), 0);
}

static enum MHD_Result
metrics(struct http *h, struct MHD_Connection *conn)
{
	struct http_snapshot snap;

	memset(&snap, 0, sizeof(snap));
	h->src.snapshot(h->src.arg, &snap);
	if (http_read_rss(&snap.rss_bytes) == -1)
		snap.rss_bytes = 0;
	buf_reset(&h->body);
	http_render_metrics(&h->body, &snap);
	return reply(conn, MHD_HTTP_OK, HTTP_METRICS_TYPE, h->body.data,
	    h->body.len, 0);
}

/*
 * Called once when a request's headers are in (answered at once, even if
 * a body follows: the library then closes the connection instead of
 * reading it), and again for each piece of such a body, ignored.
 */
static enum MHD_Result
answer(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct http *h = cls;

	(void)version;
	(void)upload_data;
	if (*con_cls != NULL) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	*con_cls = h;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "text/plain; charset=utf-8", "method not allowed\n", 19, 1);
	if (strcmp(url, "/metrics") == 0)
		return metrics(h, conn);
	if (strcmp(url, "/health/live") == 0)
		return reply_text(conn, MHD_HTTP_OK, "live\n");
	if (strcmp(url, "/health/ready") == 0)
		return h->src.ready(h->src.arg) ?
		    reply_text(conn, MHD_HTTP_OK, "ready\n") :
		    reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "not ready\n");
	return reply_text(conn, MHD_HTTP_NOT_FOUND, "not found (/metrics, "
	    "/health/live, /health/ready)\n");
}

/* The library's complaints (bad requests, mostly) are not the daemon's. */
static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[256];
	size_t n;

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == ' '))
		line[--n] = '\0';
	log_debug("http: %s", line);
}

/* ---- the endpoint ---- */

/*
 * A non-blocking listening socket on addr: the library would only say
 * that it failed, not why.
 */
static int
listen_on(const char *addr, int *out, struct err *err)
{
	struct endpoint_hostport hp;
	struct addrinfo hints, *res, *ai;
	int fd = -1, saved = 0, rc, one = 1;

	if (endpoint_hostport_parse(addr, &hp, err) == -1)
		return -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	hints.ai_family = strcmp(hp.host, "*") == 0 ? AF_INET : AF_UNSPEC;
	rc = getaddrinfo(strcmp(hp.host, "*") == 0 ? NULL : hp.host, hp.port,
	    &hints, &res);
	if (rc != 0)
		return err_set(err, "cannot resolve '%s': %s", addr,
		    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd == -1) {
			saved = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
		    listen(fd, HTTP_BACKLOG) == -1) {
			saved = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd == -1)
		return err_set(err, "cannot listen on '%s': %s", addr,
		    strerror(saved));
	*out = fd;
	return 0;
}

int
http_new(const char *addr, const struct http_source *src, struct http **out,
    struct err *err)
{
	const union MHD_DaemonInfo *info;
	struct http *h;
	int fd;

	if (listen_on(addr, &fd, err) == -1)
		return -1;
	h = xcalloc(1, sizeof(*h));
	h->src = *src;
	buf_init(&h->body);
	/* From here on the library owns fd, and closes it when stopped. */
	h->d = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL,
	    NULL, answer, h,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONNECTIONS,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_IDLE_S,
	    MHD_OPTION_END);
	if (h->d == NULL) {
		/* The library may have closed fd already: leave it. */
		err_set(err, "cannot start the HTTP server on '%s'", addr);
		goto fail;
	}
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
	if (info == NULL) {
		err_set(err, "cannot start the HTTP server on '%s': no epoll",
		    addr);
		goto fail;
	}
	h->epoll_fd = info->epoll_fd;
	*out = h;
	return 0;
fail:
	http_destroy(&h);
	return -1;
}

void
http_destroy(struct http **hp)
{
	struct http *h = *hp;

	if (h == NULL)
		return;
	if (h->d != NULL)
		MHD_stop_daemon(h->d);
	buf_release(&h->body);
	free(h);
	*hp = NULL;
}

int
http_fd(const struct http *h)
{
	return h->epoll_fd;
}

long
http_timeout_ms(struct http *h, long max)
{
	MHD_UNSIGNED_LONG_LONG ms;

	if (MHD_get_timeout(h->d, &ms) == MHD_YES && ms < (unsigned long)max)
		return (long)ms;
	return max;
}

/*
 * Twice: at its connection limit the library takes the listening socket
 * out of its epoll set, and puts it back only at the start of the run
 * after the one that closed a connection.  Without a second run, no
 * event would ever come to trigger that run, and the connections queued
 * in the kernel would wait forever.
 */
void
http_run(struct http *h)
{
	MHD_run(h->d);
	MHD_run(h->d);
}
