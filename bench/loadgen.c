/*
 * newsclass-loadgen - drive a running newsclassd end to end over ZeroMQ.
 *
 * PUSHes articles from a JSON Lines file (repeated to -n messages) into the
 * daemon's input and PULLs the results from its output (which must be a
 * PUSH output: nothing may be dropped) on a second thread.  Each message is
 * the map {"id": <sequence number>, "title", "text", "ts": <ns>}; "ts" is a
 * pass-through key that comes back in the result, so the receiver measures
 * send -> receipt latency with no table on the sending side.  Both clocks
 * are CLOCK_MONOTONIC of this one process.
 *
 * Messages are encoded once per distinct article; "id" and "ts" are written
 * as fixed-width uint64 (0xcf + 8 bytes) so that sending only patches 16
 * bytes in place.  At full speed (-r 0) the sender blocks on ZeroMQ's
 * high-water marks and so runs exactly as fast as the daemon drains its
 * input.  At a fixed rate (-r R) message i is due at t0 + i / R and its "ts"
 * is that due time, not the moment it actually left: a sender that falls
 * behind then shows up in the latencies instead of silently lowering the
 * offered load (coordinated omission).
 *
 * -w messages (ids above the measured range) are sent first and waited for,
 * so that connections, the daemon's buffers and the caches are warm.
 * Besides send -> receipt, the p50/p99/p99.9 of two of its parts are
 * printed: send_lag (how late the sender sent each message against its
 * schedule: this process's own scheduling) and in_daemon (the result's
 * t_us: receipt to publication in the daemon).
 * Output: "key value" lines for scripts/bench.  Exit 1 if the daemon cannot
 * be reached or the run times out before anything was received; the counts
 * of lost and duplicated messages are reported, never judged.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>

#include <zmq.h>

#include "buf.h"
#include "clock.h"
#include "err.h"
#include "jsonl.h"
#include "msg.h"
#include "xalloc.h"

/* One pre-encoded article: the map with two patchable uint64 values. */
struct tmpl {
	struct buf b;
	size_t id_at;		/* offset of the 8 value bytes of "id" */
	size_t ts_at;		/* offset of the 8 value bytes of "ts" */
	size_t text_bytes;	/* title + text */
};

/* State shared by the sender (main) and the receiver thread. */
struct run {
	void *pull;
	uint64_t n;		/* measured messages: ids 0..n-1 */
	uint64_t nwarm;		/* warm-up messages: ids n..n+nwarm-1 */
	unsigned char *seen;	/* n */
	uint64_t *lat_ns;	/* n, by id */
	uint64_t *in_ns;	/* n, by id: the result's t_us, in ns */
	uint64_t *lag_ns;	/* n, by id: how late the sender sent it */
	atomic_uint_fast64_t received;	/* distinct measured results */
	atomic_uint_fast64_t errors;	/* "_error" messages (any id) */
	atomic_uint_fast64_t dups;
	atomic_uint_fast64_t warm;	/* warm-up results and errors */
	atomic_uint_fast64_t foreign;	/* results without our id or ts */
	atomic_uint_fast64_t last_recv_ns;
	atomic_int stop;
};

static void
sleep_until_ns(uint64_t t)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(t / 1000000000u);
	ts.tv_nsec = (long)(t % 1000000000u);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	    EINTR)
		;
}

static double
tv_s(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

static void
put_be64(char *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (char)(v & 0xff);
		v >>= 8;
	}
}

/* Append a fixed-width uint64 (value 0 for now); return its value offset. */
static size_t
w_u64_fixed(struct buf *b)
{
	static const char z[9] = { (char)0xcf };

	msg_w_raw(b, z, sizeof(z));
	return b->len - 8;
}

static void
tmpl_build(struct tmpl *t, const struct jsonl_article *a)
{
	buf_init(&t->b);
	msg_w_map(&t->b, 4);
	msg_w_str(&t->b, "id");
	t->id_at = w_u64_fixed(&t->b);
	msg_w_str(&t->b, "title");
	msg_w_strn(&t->b, a->title, a->tlen);
	msg_w_str(&t->b, "text");
	msg_w_strn(&t->b, a->text, a->xlen);
	msg_w_str(&t->b, "ts");
	t->ts_at = w_u64_fixed(&t->b);
	t->text_bytes = a->tlen + a->xlen;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted v[0..n), in microseconds. */
static double
pct_us(const uint64_t *v, size_t n, double p)
{
	size_t k;

	if (n == 0)
		return -1;
	k = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return (double)v[k - 1] / 1e3;
}

/*
 * Print NAME_p50_us, _p99_us and _p999_us of v[id] over the ids seen,
 * sorted into tmp (room for n); return how many there were.
 */
static uint64_t
print_pcts(const char *name, const uint64_t *v, const unsigned char *seen,
    uint64_t n, uint64_t *tmp)
{
	uint64_t k, got = 0;

	for (k = 0; k < n; k++)
		if (seen[k])
			tmp[got++] = v[k];
	qsort(tmp, (size_t)got, sizeof(uint64_t), cmp_u64);
	printf("%s_p50_us %.0f\n%s_p99_us %.0f\n%s_p999_us %.0f\n", name,
	    pct_us(tmp, (size_t)got, 50), name, pct_us(tmp, (size_t)got, 99),
	    name, pct_us(tmp, (size_t)got, 99.9));
	return got;
}

/* Read and drop any further frames of a message. */
static void
drain_frames(void *sock)
{
	zmq_msg_t m;
	int more;
	size_t sz = sizeof(more);

	while (zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz) == 0 && more) {
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, sock, 0) == -1) {
			zmq_msg_close(&m);
			return;
		}
		zmq_msg_close(&m);
		sz = sizeof(more);
	}
}

static void
handle(struct run *r, const zmq_msg_t *env, const zmq_msg_t *body,
    uint64_t t)
{
	const char *e = zmq_msg_data((zmq_msg_t *)env);
	size_t elen = zmq_msg_size((zmq_msg_t *)env);
	const void *d = zmq_msg_data((zmq_msg_t *)body);
	size_t len = zmq_msg_size((zmq_msg_t *)body);
	uint64_t id, ts, tus;

	if (elen >= 6 && memcmp(e, "_error", 6) == 0) {
		if (msg_get_uint(d, len, "id", &id) == 0 && id >= r->n &&
		    id < r->n + r->nwarm)
			atomic_fetch_add(&r->warm, 1);
		else
			atomic_fetch_add(&r->errors, 1);
		return;
	}
	if (elen >= 1 && e[0] == '_')	/* a heartbeat: not ours */
		return;
	if (msg_get_uint(d, len, "id", &id) == -1 ||
	    msg_get_uint(d, len, "ts", &ts) == -1 ||
	    id >= r->n + r->nwarm) {
		atomic_fetch_add(&r->foreign, 1);
		return;
	}
	if (id >= r->n) {
		atomic_fetch_add(&r->warm, 1);
		return;
	}
	if (r->seen[id]) {
		atomic_fetch_add(&r->dups, 1);
		return;
	}
	r->seen[id] = 1;
	r->lat_ns[id] = t > ts ? t - ts : 0;
	if (msg_get_uint(d, len, "t_us", &tus) == 0)
		r->in_ns[id] = tus * 1000;
	atomic_store(&r->last_recv_ns, t);
	atomic_fetch_add(&r->received, 1);
}

static void *
receiver(void *arg)
{
	struct run *r = arg;
	zmq_pollitem_t pi = { r->pull, 0, ZMQ_POLLIN, 0 };

	while (!atomic_load(&r->stop)) {
		zmq_msg_t env, body;
		int more, k;
		size_t sz = sizeof(more);

		if (zmq_poll(&pi, 1, 50) <= 0)
			continue;
		/* Take everything queued before polling again. */
		for (k = 0; k < 1024; k++) {
			zmq_msg_init(&env);
			if (zmq_msg_recv(&env, r->pull, ZMQ_DONTWAIT) == -1) {
				zmq_msg_close(&env);
				break;
			}
			if (zmq_getsockopt(r->pull, ZMQ_RCVMORE, &more,
			    &sz) == -1 || !more) {
				/* one frame: not a daemon message */
				atomic_fetch_add(&r->foreign, 1);
				zmq_msg_close(&env);
				continue;
			}
			zmq_msg_init(&body);
			if (zmq_msg_recv(&body, r->pull, 0) == -1) {
				zmq_msg_close(&body);
				zmq_msg_close(&env);
				break;
			}
			handle(r, &env, &body, clock_ns());
			drain_frames(r->pull);
			zmq_msg_close(&body);
			zmq_msg_close(&env);
		}
	}
	return NULL;
}

static int
send_one(void *push, struct tmpl *t, uint64_t id, uint64_t ts)
{
	put_be64(t->b.data + t->id_at, id);
	put_be64(t->b.data + t->ts_at, ts);
	while (zmq_send(push, t->b.data, t->b.len, 0) == -1) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

/*
 * Wait until *a (+ *b) reaches want; give up when it has not moved for
 * idle_ns.  Returns 0 if it was reached, -1 on giving up.
 */
static int
wait_for(atomic_uint_fast64_t *a, atomic_uint_fast64_t *b, uint64_t want,
    uint64_t idle_ns)
{
	uint64_t last = (uint64_t)-1, t_last = clock_ns();

	for (;;) {
		uint64_t got = atomic_load(a) + (b ? atomic_load(b) : 0);

		if (got >= want)
			return 0;
		if (got != last) {
			last = got;
			t_last = clock_ns();
		} else if (clock_ns() - t_last > idle_ns) {
			return -1;
		}
		sleep_until_ns(clock_ns() + 2000000);
	}
}

/* "@ep" binds, "ep" or ">ep" connects. */
static int
attach(void *sock, const char *ep)
{
	if (*ep == '@')
		return zmq_bind(sock, ep + 1);
	return zmq_connect(sock, ep + (*ep == '>'));
}

static void
usage(FILE *f)
{
	fputs("usage: newsclass-loadgen -i INPUT -o OUTPUT -d FILE.jsonl "
	    "[-n N] [-r RATE] [-w WARMUP] [-T IDLE_S]\n"
	    "  -i  the daemon's input endpoint (tcp://, ipc://): connected, "
	    "or bound\n      with a leading \"@\" for daemons that connect "
	    "to it\n"
	    "  -o  the daemons' PUSH output endpoint, the same way\n"
	    "  -n  measured messages (default 10000)\n"
	    "  -r  messages per second; 0 = as fast as the daemon takes "
	    "them (default)\n"
	    "  -w  warm-up messages sent and awaited first (default 200)\n"
	    "  -T  give up after this many seconds without a result "
	    "(default 10)\n", f);
}

int
main(int argc, char **argv)
{
	const char *in_ep = NULL, *out_ep = NULL, *data = NULL;
	struct jsonl_article *art = NULL;
	struct tmpl *tm;
	struct run r;
	struct err err;
	struct rusage ru0, ru;
	pthread_t th;
	void *ctx, *push;
	size_t na = 0, nskip = 0, i;
	uint64_t n = 10000, nwarm = 200, t0, t_send_end, t_last, t_end,
	    text_bytes = 0, got, k;
	uint64_t *lat;
	double rate = 0, idle_s = 10, secs, cpu_s;
	int ch, hwm = 1000, linger = 0, complete;

	while ((ch = getopt(argc, argv, "i:o:d:n:r:w:T:h")) != -1) {
		switch (ch) {
		case 'i': in_ep = optarg; break;
		case 'o': out_ep = optarg; break;
		case 'd': data = optarg; break;
		case 'n': n = strtoull(optarg, NULL, 10); break;
		case 'r': rate = strtod(optarg, NULL); break;
		case 'w': nwarm = strtoull(optarg, NULL, 10); break;
		case 'T': idle_s = strtod(optarg, NULL); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (in_ep == NULL || out_ep == NULL || data == NULL || n == 0 ||
	    rate < 0 || idle_s <= 0 || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (jsonl_read_file(data, 0, 1, &art, &na, &nskip, NULL, &err) == -1 ||
	    na == 0) {
		fprintf(stderr, "newsclass-loadgen: %s\n",
		    na ? err.msg : "no articles");
		return 1;
	}
	tm = xcalloc(na, sizeof(*tm));
	for (i = 0; i < na; i++)
		tmpl_build(&tm[i], &art[i]);

	memset(&r, 0, sizeof(r));
	r.n = n;
	r.nwarm = nwarm;
	r.seen = xcalloc(n, 1);
	r.lat_ns = xcalloc(n, sizeof(uint64_t));
	r.in_ns = xcalloc(n, sizeof(uint64_t));
	r.lag_ns = xcalloc(n, sizeof(uint64_t));
	atomic_init(&r.received, 0);
	atomic_init(&r.errors, 0);
	atomic_init(&r.dups, 0);
	atomic_init(&r.warm, 0);
	atomic_init(&r.foreign, 0);
	atomic_init(&r.last_recv_ns, 0);
	atomic_init(&r.stop, 0);

	/* Sleeps of tens of microseconds at high rates: no 50 us slack. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	ctx = zmq_ctx_new();
	push = zmq_socket(ctx, ZMQ_PUSH);
	r.pull = zmq_socket(ctx, ZMQ_PULL);
	if (push == NULL || r.pull == NULL ||
	    zmq_setsockopt(push, ZMQ_SNDHWM, &hwm, sizeof(hwm)) == -1 ||
	    zmq_setsockopt(push, ZMQ_LINGER, &linger, sizeof(linger)) == -1 ||
	    zmq_setsockopt(r.pull, ZMQ_LINGER, &linger, sizeof(linger)) == -1 ||
	    attach(r.pull, out_ep) == -1 || attach(push, in_ep) == -1) {
		fprintf(stderr, "newsclass-loadgen: cannot attach: %s\n",
		    zmq_strerror(errno));
		return 1;
	}
	/* Daemons connecting to us retry every 100 ms: let all of them in
	 * before PUSH starts to share out the warm-up. */
	if (*in_ep == '@')
		sleep_until_ns(clock_ns() + 500000000u);
	if (pthread_create(&th, NULL, receiver, &r) != 0) {
		fprintf(stderr, "newsclass-loadgen: cannot start thread\n");
		return 1;
	}

	/* Warm up at full speed and wait for all of it. */
	for (k = 0; k < nwarm; k++)
		if (send_one(push, &tm[k % na], n + k, clock_ns()) == -1)
			break;
	if (nwarm && wait_for(&r.warm, NULL, nwarm,
	    (uint64_t)(idle_s * 1e9)) == -1) {
		fprintf(stderr, "newsclass-loadgen: warm-up: %llu of %llu "
		    "results in time\n", (unsigned long long)atomic_load(
		    &r.warm), (unsigned long long)nwarm);
		atomic_store(&r.stop, 1);
		pthread_join(th, NULL);
		return 1;
	}

	getrusage(RUSAGE_SELF, &ru0);
	t0 = clock_ns();
	for (k = 0; k < n; k++) {
		struct tmpl *t = &tm[k % na];
		uint64_t due = t0;

		if (rate > 0) {
			due = t0 + (uint64_t)((double)k * 1e9 / rate);
			if (clock_ns() < due)
				sleep_until_ns(due);
		} else {
			due = clock_ns();
		}
		r.lag_ns[k] = clock_ns() - due;
		if (send_one(push, t, k, due) == -1) {
			fprintf(stderr, "newsclass-loadgen: send: %s\n",
			    zmq_strerror(errno));
			break;
		}
		text_bytes += t->text_bytes;
	}
	t_send_end = clock_ns();
	complete = wait_for(&r.received, &r.errors, n,
	    (uint64_t)(idle_s * 1e9)) == 0;
	t_end = clock_ns();
	atomic_store(&r.stop, 1);
	pthread_join(th, NULL);
	getrusage(RUSAGE_SELF, &ru);
	cpu_s = tv_s(&ru.ru_utime) + tv_s(&ru.ru_stime) - tv_s(&ru0.ru_utime) -
	    tv_s(&ru0.ru_stime);

	got = atomic_load(&r.received);
	t_last = atomic_load(&r.last_recv_ns);
	secs = got && t_last > t0 ? (double)(t_last - t0) / 1e9 : 0;
	lat = xcalloc(n ? n : 1, sizeof(uint64_t));

	printf("sent %llu\nreceived %llu\nerrors %llu\nlost %llu\n"
	    "duplicates %llu\nforeign %llu\ncomplete %d\n",
	    (unsigned long long)n, (unsigned long long)got,
	    (unsigned long long)atomic_load(&r.errors),
	    (unsigned long long)(n - got - atomic_load(&r.errors)),
	    (unsigned long long)atomic_load(&r.dups),
	    (unsigned long long)atomic_load(&r.foreign), complete);
	printf("offered_rate %.0f\nsend_aps %.0f\nseconds %.3f\naps %.0f\n"
	    "mbps %.2f\n", rate, (double)n / ((double)(t_send_end - t0) / 1e9),
	    secs, secs > 0 ? (double)got / secs : 0,
	    secs > 0 ? (double)text_bytes * ((double)got / (double)n) /
	    secs / 1e6 : 0);
	/*
	 * Where the latency goes: the sender's lag behind the schedule
	 * (its own scheduling), the daemon's t_us (receipt to
	 * publication), the rest is transport and wake-ups.
	 */
	print_pcts("send_lag", r.lag_ns, r.seen, n, lat);
	print_pcts("in_daemon", r.in_ns, r.seen, n, lat);
	got = print_pcts("lat", r.lat_ns, r.seen, n, lat);
	printf("lat_p90_us %.0f\nlat_max_us %.0f\n",
	    pct_us(lat, (size_t)got, 90), got ? (double)lat[got - 1] / 1e3 :
	    -1);
	/* The measured part only: first send to the last result awaited. */
	printf("loadgen_cpu_s %.3f\nloadgen_wall_s %.3f\n", cpu_s,
	    (double)(t_end - t0) / 1e9);

	free(lat);
	zmq_close(push);
	zmq_close(r.pull);
	zmq_ctx_term(ctx);
	for (i = 0; i < na; i++)
		buf_release(&tm[i].b);
	free(tm);
	free(r.seen);
	free(r.lat_ns);
	free(r.in_ns);
	free(r.lag_ns);
	jsonl_articles_free(&art, na);
	return got ? 0 : 1;
}
