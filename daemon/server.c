/*
 * server.c - the main loop: input -> workers -> output, control, heartbeat,
 * reload and orderly shutdown.
 *
 * Invariants:
 *   - every message read from the input yields exactly one message on the
 *     output (a result or an "_error"); stats.received - published - errors
 *     is the number in flight;
 *   - at most one job and one result are held back ("pending") when the
 *     workers or the output push back; while held, the socket they came
 *     from is not polled, so back-pressure reaches the producer instead of
 *     memory growing here;
 *   - "seq" is assigned here, at publication, so it is consecutive over
 *     everything published (results, errors and heartbeats).
 * Control requests are served between messages on this thread, and reloads
 * too (libsvm loads models with setlocale, which is process-wide).
 *
 * With output.type = ack the output is a ROUTER and ackout.c keeps every
 * result until a consumer acknowledges it: results enter ackout instead of
 * a PUSH queue, deliveries go out as consumers grant credit, and when
 * ackout is full the result is held back here exactly as when a PUSH
 * output is full.  Consumers' credit and acks are read on every pass.
 *
 * With CURVE on (curve.server_key), the ZAP handler (auth.c) is started
 * before any socket, and every external socket with tcp endpoints is made
 * a CURVE server (it binds) or client (it connects); ipc and inproc
 * sockets stay plain.  A reload re-reads the authorised client keys with
 * the models, and swaps both in only if both loaded.
 *
 * With http.listen set, the HTTP endpoint (http.h) is served on this
 * thread too: its descriptor is polled with the sockets, and /metrics
 * reads the counters directly.
 *
 * Under a systemd unit with WatchdogSec=, the loop sends WATCHDOG=1 while
 * it turns and the workers make progress (watchdog.h decides).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>
#include <zmq.h>

#include "ackout.h"
#include "auth.h"
#include "classifier.h"
#include "clock.h"
#include "curve.h"
#include "endpoint.h"
#include "http.h"
#include "live.h"
#include "log.h"
#include "msg.h"
#include "server.h"
#include "stats.h"
#include "watchdog.h"
#include "worker.h"
#include "xalloc.h"

#define SERVER_BATCH 512	/* messages handled per socket per wake-up */
/*
 * Jobs queued towards the workers and results queued back: enough to keep
 * the workers busy, small enough that memory is bounded by the input and
 * output high-water marks.
 */
#define SERVER_JOB_HWM 256
#define SERVER_DRAIN_CAP_MS 30000
/*
 * Empty polls of the input in a row before it counts as quiet: quiet time
 * is what the loop saw while it ran, not wall time, so a daemon starved of
 * CPU does not mistake its own absence for an idle producer.
 */
#define SERVER_DRAIN_QUIET_POLLS 10
/* With an ack output: how often silent consumers are looked for. */
#define SERVER_ACK_TICK_MS 50
/* Consumers of an ack output send small maps; larger frames disconnect. */
#define SERVER_ACK_MAXMSG 65536

struct server {
	struct conf conf;
	void *zctx;
	void *in, *out, *ctl, *jobs, *done;
	struct live *live;
	struct worker **workers;
	int nworkers;
	struct stats st;
	uint64_t seq;
	uint64_t t_start_ns;
	double t_start_unix;
	uint64_t next_heartbeat_ns;
	/* A job the workers could not take yet. */
	zmq_msg_t pend_hdr, pend_payload;
	int have_job;
	/* A result the output could not take yet (seq not yet assigned). */
	zmq_msg_t pend_env, pend_body;
	struct worker_done pend_done;
	int have_out;
	char reload_error[ERR_MAX];
	struct buf reply, env, body;
	/* output.type = ack: its bookkeeping (NULL for pub and push). */
	struct ackout *ack;
	/* CURVE: the ZAP handler (NULL when off) and our keys. */
	struct auth *auth;
	struct curve_key key, upstream;
	/* The HTTP endpoint (NULL when off), and what /health/ready says. */
	struct http *http;
	int ready;
	/* systemd's watchdog: jobs handed to the workers, results back. */
	struct watchdog wd;
	uint64_t jobs_sent, results_back;
};

static int start_http(struct server *s, struct err *err);
static void start_watchdog(struct server *s);

static double
since_ms(uint64_t t0)
{
	return (double)(clock_ns() - t0) / 1e6;
}

/* ---- models ---- */

/* A new classifier must score a known sentence sensibly before use. */
static int
smoke_test(const struct classifier *c, struct err *err)
{
	static const char text[] = "Shares rose after the company reported "
	    "higher quarterly profit.";
	struct classifier_scratch *cs = classifier_scratch_new();
	const struct classifier_out *res;
	size_t t, i;
	int rc = -1;

	if (classifier_run(c, "", 0, text, sizeof(text) - 1, 0, cs, &res,
	    err) == -1)
		goto out;
	for (t = 0; t < classifier_ntasks(c); t++) {
		const struct bundle *b = classifier_bundle(c, t);
		double sum = 0.0;

		for (i = 0; i < bundle_nlabels(b); i++)
			sum += res[t].prob[i];
		if (res[t].label < 0 ||
		    (size_t)res[t].label >= bundle_nlabels(b) ||
		    !(fabs(sum - 1.0) < 1e-3)) {
			err_set(err, "bundle '%s' fails the smoke test "
			    "(probabilities sum to %g)", bundle_task(b), sum);
			goto out;
		}
	}
	rc = 0;
out:
	classifier_scratch_destroy(&cs);
	return rc;
}

/*
 * Load, size-check and smoke-test the models, and check that every task
 * named by a per-task tags.* key is one of them.
 */
static int
load_models(const struct conf *conf, struct classifier **out,
    struct err *err)
{
	const char *dir = conf->models;

	if (classifier_load(dir, out, err) == -1)
		return -1;
	if (tags_conf_check(&conf->tags, *out, err) == -1) {
		classifier_destroy(out);
		return -1;
	}
	if (classifier_ntasks(*out) > LIVE_MAX_TASKS) {
		classifier_destroy(out);
		return err_set(err, "'%s' holds more than %d bundles", dir,
		    LIVE_MAX_TASKS);
	}
	if (smoke_test(*out, err) == -1) {
		classifier_destroy(out);
		return -1;
	}
	return 0;
}

static void
log_models(const char *what, const struct classifier *c)
{
	size_t i;

	for (i = 0; i < classifier_ntasks(c); i++) {
		const struct bundle *b = classifier_bundle(c, i);

		log_info("%s model '%s' version %s (%zu labels, %.1f ms)",
		    what, bundle_task(b), bundle_version(b),
		    bundle_nlabels(b), bundle_load_ms(b));
	}
}

static int
load_clients(const char *dir, struct curve_keyset **out, struct err *err)
{
	if (curve_keyset_load(dir, out, err) == -1)
		return err_prefix(err, "curve.clients_dir");
	return 0;
}

/*
 * Load the key files that conf names into key, upstream and *clients
 * (NULL when CURVE is off).  Returns 0, or -1 with a reason naming the
 * configuration key; then nothing is left to free.
 */
static int
load_curve(const struct conf *conf, struct curve_key *key,
    struct curve_key *upstream, struct curve_keyset **clients,
    struct err *err)
{
	*clients = NULL;
	memset(upstream, 0, sizeof(*upstream));
	if (conf->curve_server_key[0] == '\0')
		return 0;
	if (!zmq_has("curve"))
		return err_set(err, "curve.server_key: CURVE is not available "
		    "(libzmq was built without it)");
	if (curve_key_load(conf->curve_server_key, key, err) == -1)
		return err_prefix(err, "curve.server_key");
	if (conf->curve_upstream_key[0] != '\0' &&
	    curve_pub_load(conf->curve_upstream_key, upstream, err) == -1) {
		curve_key_wipe(key);
		return err_prefix(err, "curve.upstream_server_key");
	}
	if (load_clients(conf->curve_clients_dir, clients, err) == -1) {
		curve_key_wipe(key);
		return -1;
	}
	return 0;
}

int
server_check_curve(const struct conf *conf, struct err *err)
{
	struct curve_key key, upstream;
	struct curve_keyset *clients;

	if (load_curve(conf, &key, &upstream, &clients, err) == -1)
		return -1;
	curve_key_wipe(&key);
	curve_keyset_destroy(&clients);
	return 0;
}

/*
 * Load, check and swap in new models (and authorised client keys); on any
 * failure keep the old ones, all of them.
 */
static int
server_reload(struct server *s, struct err *err)
{
	struct classifier *c = NULL;
	struct curve_keyset *ks = NULL;
	uint64_t t0 = clock_ns();

	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)(t0 / 1000));
	if (load_models(&s->conf, &c, err) == -1 ||
	    (s->auth != NULL &&
	    load_clients(s->conf.curve_clients_dir, &ks, err) == -1)) {
		classifier_destroy(&c);
		s->st.reload_failures++;
		snprintf(s->reload_error, sizeof(s->reload_error), "%s",
		    err->msg);
		log_error("reload failed, keeping the current models: %s",
		    err->msg);
		sd_notify(0, "READY=1");
		return -1;
	}
	log_models("reloaded", c);
	live_publish(s->live, &c, s->conf.envelope);
	if (ks != NULL) {
		auth_swap(s->auth, &ks);
		log_info("reloaded %zu authorised CURVE client keys from '%s'",
		    auth_nkeys(s->auth), s->conf.curve_clients_dir);
	}
	s->st.reloads++;
	s->reload_error[0] = '\0';
	log_info("reload done in %.1f ms", since_ms(t0));
	sd_notify(0, "READY=1");
	return 0;
}

/* ---- sockets ---- */

/*
 * Bind or connect sock to the endpoints of spec.  With CURVE on, a socket
 * with tcp endpoints becomes a CURVE server if they bind, a client if they
 * connect (conf_check made sure they do not mix); then its ipc endpoints
 * need CURVE too, since the mechanism is the socket's.
 */
static int
attach(struct server *s, void *sock, const char *spec, struct err *err)
{
	struct endpoint_tcp t;

	if (s->auth != NULL) {
		if (endpoint_tcp_scan(spec, 1, &t, err) == -1)
			return -1;
		if (t.binds > 0 && curve_server_setup(sock, &s->key,
		    AUTH_DOMAIN, err) == -1)
			return -1;
		if (t.connects > 0 && curve_client_setup(sock, &s->key,
		    &s->upstream, err) == -1)
			return -1;
	}
	return endpoint_attach(sock, spec, 1, err);
}

static void *
open_socket(struct server *s, int type, const char *spec, int hwm_opt,
    int hwm, struct err *err)
{
	void *sock = zmq_socket(s->zctx, type);
	int linger = s->conf.linger_ms;

	if (sock == NULL) {
		err_set(err, "cannot create socket: %s",
		    zmq_strerror(zmq_errno()));
		return NULL;
	}
	zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger));
	if (hwm_opt)
		zmq_setsockopt(sock, hwm_opt, &hwm, sizeof(hwm));
	if (spec != NULL && attach(s, sock, spec, err) == -1) {
		zmq_close(sock);
		return NULL;
	}
	return sock;
}

/*
 * The ack output: a ROUTER that fails sends to a consumer that is gone
 * (ROUTER_MANDATORY: EHOSTUNREACH instead of a silent drop), and the
 * bookkeeping that decides what goes where.
 */
static int
open_ack_output(struct server *s, struct err *err)
{
	const struct conf *c = &s->conf;
	struct ackout_conf ac;
	int one = 1;
	int64_t maxsize = SERVER_ACK_MAXMSG;

	ac.cap = (size_t)c->output_hwm;
	ac.timeout_ns = (uint64_t)c->ack_timeout_ms * 1000000u;
	if (ackout_new(&ac, &s->ack, err) == -1)
		return -1;
	s->out = open_socket(s, ZMQ_ROUTER, NULL, ZMQ_SNDHWM, c->output_hwm,
	    err);
	if (s->out == NULL)
		return -1;
	zmq_setsockopt(s->out, ZMQ_ROUTER_MANDATORY, &one, sizeof(one));
	zmq_setsockopt(s->out, ZMQ_MAXMSGSIZE, &maxsize, sizeof(maxsize));
	return attach(s, s->out, c->output, err);
}

static int
open_sockets(struct server *s, struct err *err)
{
	const struct conf *c = &s->conf;
	int64_t maxsize;

	s->in = open_socket(s, c->input_type == CONF_SUB ? ZMQ_SUB : ZMQ_PULL,
	    NULL, ZMQ_RCVHWM, c->input_hwm, err);
	if (s->in == NULL)
		return err_prefix(err, "input");
	/*
	 * ZeroMQ drops the connection of a peer that sends more than
	 * ZMQ_MAXMSGSIZE, so that bound is set well above our own limit:
	 * messages between the two get a "too_large" error event.
	 */
	maxsize = (int64_t)c->limits.max_bytes * 4 + 65536;
	zmq_setsockopt(s->in, ZMQ_MAXMSGSIZE, &maxsize, sizeof(maxsize));
	if (c->input_type == CONF_SUB)
		zmq_setsockopt(s->in, ZMQ_SUBSCRIBE, c->subscribe,
		    strlen(c->subscribe));
	if (attach(s, s->in, c->input, err) == -1)
		return err_prefix(err, "input");
	if (c->output_type == CONF_ACK) {
		if (open_ack_output(s, err) == -1)
			return err_prefix(err, "output");
	} else {
		s->out = open_socket(s, c->output_type == CONF_PUSH ?
		    ZMQ_PUSH : ZMQ_PUB, c->output, ZMQ_SNDHWM, c->output_hwm,
		    err);
		if (s->out == NULL)
			return err_prefix(err, "output");
	}
	s->ctl = open_socket(s, ZMQ_REP, c->control, 0, 0, err);
	if (s->ctl == NULL)
		return err_prefix(err, "control");
	s->jobs = open_socket(s, ZMQ_PUSH, WORKER_JOBS, ZMQ_SNDHWM,
	    SERVER_JOB_HWM, err);
	s->done = open_socket(s, ZMQ_PULL, WORKER_DONE, ZMQ_RCVHWM,
	    SERVER_JOB_HWM, err);
	if (s->jobs == NULL || s->done == NULL)
		return err_prefix(err, "workers");
	return 0;
}

/* With CURVE on: load the keys and start the ZAP handler. */
static int
start_curve(struct server *s, struct err *err)
{
	const struct conf *c = &s->conf;
	struct curve_keyset *ks;

	if (load_curve(c, &s->key, &s->upstream, &ks, err) == -1)
		return -1;
	if (ks == NULL)
		return 0;	/* CURVE is off */
	if (auth_start(s->zctx, &ks, &s->auth, err) == -1) {
		curve_keyset_destroy(&ks);
		return -1;
	}
	log_info("CURVE on: server public key %s, %zu authorised client "
	    "keys in '%s'", s->key.public_z85, auth_nkeys(s->auth),
	    c->curve_clients_dir);
	if (auth_nkeys(s->auth) == 0)
		log_warn("no client keys in '%s': every CURVE client is "
		    "refused until one is added and the daemon reloaded",
		    c->curve_clients_dir);
	return 0;
}

int
server_new(const struct conf *conf, struct server **out, struct err *err)
{
	struct server *s = xcalloc(1, sizeof(*s));
	struct classifier *c = NULL;
	struct worker_conf wc;
	struct timespec ts;
	int i, n;

	s->conf = *conf;
	s->t_start_ns = clock_ns();
	clock_gettime(CLOCK_REALTIME, &ts);
	s->t_start_unix = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	stats_init(&s->st);
	buf_init(&s->reply);
	buf_init(&s->env);
	buf_init(&s->body);
	zmq_msg_init(&s->pend_hdr);
	zmq_msg_init(&s->pend_payload);
	zmq_msg_init(&s->pend_env);
	zmq_msg_init(&s->pend_body);
	s->live = live_new();
	if (load_models(conf, &c, err) == -1)
		goto fail;
	log_models("loaded", c);
	live_publish(s->live, &c, conf->envelope);

	if ((s->zctx = zmq_ctx_new()) == NULL) {
		err_set(err, "cannot create ZeroMQ context");
		goto fail;
	}
	if (start_curve(s, err) == -1)
		goto fail;
	if (open_sockets(s, err) == -1)
		goto fail;
	n = conf->threads > 0 ? conf->threads :
	    (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	s->workers = xcalloc((size_t)n, sizeof(*s->workers));
	wc.zctx = s->zctx;
	wc.live = s->live;
	wc.limits = conf->limits;
	wc.include_text = conf->include_text;
	wc.tags = conf->tags;
	for (i = 0; i < n; i++) {
		if (worker_start(&wc, &s->workers[i], err) == -1)
			goto fail;
		s->nworkers++;
	}
	if (start_http(s, err) == -1)
		goto fail;
	log_info("input %s %s, output %s %s, control %s, %d workers",
	    conf_socket_name(conf->input_type), conf->input,
	    conf_socket_name(conf->output_type), conf->output, conf->control,
	    n);
	s->next_heartbeat_ns = s->t_start_ns;
	start_watchdog(s);
	s->ready = 1;
	*out = s;
	return 0;
fail:
	server_destroy(&s);
	return -1;
}

void
server_destroy(struct server **sp)
{
	struct server *s = *sp;
	int i;

	if (s == NULL)
		return;
	http_destroy(&s->http);
	if (s->zctx)
		zmq_ctx_shutdown(s->zctx);	/* workers see ETERM */
	for (i = 0; i < s->nworkers; i++)
		worker_join(&s->workers[i]);
	free(s->workers);
	auth_join(&s->auth);
	curve_key_wipe(&s->key);
	zmq_msg_close(&s->pend_hdr);
	zmq_msg_close(&s->pend_payload);
	zmq_msg_close(&s->pend_env);
	zmq_msg_close(&s->pend_body);
	if (s->in)
		zmq_close(s->in);
	if (s->ctl)
		zmq_close(s->ctl);
	if (s->jobs)
		zmq_close(s->jobs);
	if (s->done)
		zmq_close(s->done);
	if (s->out)
		zmq_close(s->out);
	if (s->zctx)
		zmq_ctx_term(s->zctx);	/* waits up to linger_ms */
	ackout_destroy(&s->ack);
	live_destroy(&s->live);
	buf_release(&s->reply);
	buf_release(&s->env);
	buf_release(&s->body);
	free(s);
	*sp = NULL;
}

/* ---- input -> workers ---- */

/* Hand the pending job to the workers: 0 done, -1 they are full. */
static int
flush_job(struct server *s)
{
	if (zmq_msg_send(&s->pend_hdr, s->jobs, ZMQ_SNDMORE |
	    ZMQ_DONTWAIT) == -1)
		return -1;
	/* Once the first frame is taken, ZeroMQ takes the rest. */
	zmq_msg_send(&s->pend_payload, s->jobs, 0);
	s->have_job = 0;
	s->jobs_sent++;
	return 0;
}

/* Read one message (all its frames) from the input: 0, or -1 if none. */
static int
read_input(struct server *s)
{
	struct worker_job job;
	zmq_msg_t extra;
	int more;
	size_t sz = sizeof(more);

	if (zmq_msg_recv(&s->pend_payload, s->in, ZMQ_DONTWAIT) == -1)
		return -1;
	memset(&job, 0, sizeof(job));
	job.t_recv_ns = clock_ns();
	job.nframes = 1;
	job.size = zmq_msg_size(&s->pend_payload);
	zmq_getsockopt(s->in, ZMQ_RCVMORE, &more, &sz);
	if (more) {
		zmq_msg_init(&extra);
		while (more) {
			zmq_msg_recv(&extra, s->in, 0);
			job.nframes++;
			job.size += zmq_msg_size(&extra);
			/*
			 * From a SUB input a two-frame message is
			 * [topic][map]: keep the map.
			 */
			if (s->conf.input_type == CONF_SUB &&
			    job.nframes == 2)
				zmq_msg_move(&s->pend_payload, &extra);
			zmq_getsockopt(s->in, ZMQ_RCVMORE, &more, &sz);
		}
		zmq_msg_close(&extra);
		if (s->conf.input_type != CONF_SUB || job.nframes > 2)
			job.flags |= WORKER_MULTIPART;
		else
			job.size = zmq_msg_size(&s->pend_payload);
	}
	if (job.size > s->conf.limits.max_bytes)
		job.flags |= WORKER_TOO_LARGE;
	s->st.received++;
	zmq_msg_close(&s->pend_hdr);
	zmq_msg_init_size(&s->pend_hdr, sizeof(job));
	memcpy(zmq_msg_data(&s->pend_hdr), &job, sizeof(job));
	s->have_job = 1;
	return 0;
}

/* ---- workers -> output ---- */

static void
put_be64(void *at, uint64_t v)
{
	unsigned char *p = at;
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (unsigned char)v;
		v >>= 8;
	}
}

/* Publish the pending result: 0 done, -1 the output pushes back. */
static int
flush_out(struct server *s)
{
	struct worker_done *d = &s->pend_done;
	uint64_t now = clock_ns();
	uint64_t us = (now - d->t_recv_ns) / 1000;
	size_t blen = zmq_msg_size(&s->pend_body);
	unsigned char *body = zmq_msg_data(&s->pend_body);

	if (d->seq_at != WORKER_NO_SEQ && d->seq_at + 8 <= blen)
		put_be64(body + d->seq_at, s->seq);
	if (d->t_us_at != WORKER_NO_SEQ && d->t_us_at + 8 <= blen)
		put_be64(body + d->t_us_at, us);
	if (s->ack != NULL) {
		if (ackout_put(s->ack, zmq_msg_data(&s->pend_env),
		    zmq_msg_size(&s->pend_env), body, blen, s->seq,
		    NULL) == -1) {
			s->st.output_blocked++;
			return -1;
		}
	} else {
		if (zmq_msg_send(&s->pend_env, s->out, ZMQ_SNDMORE |
		    ZMQ_DONTWAIT) == -1) {
			s->st.output_blocked++;
			return -1;
		}
		zmq_msg_send(&s->pend_body, s->out, 0);
	}
	s->have_out = 0;
	s->seq++;
	if (d->code == MSG_OK) {
		s->st.published++;
	} else {
		s->st.errors++;
		if (d->code < MSG_NCODES)
			s->st.by_code[d->code]++;
	}
	stats_latency(&s->st, us);
	return 0;
}

/* Take one finished message from the workers: 0, or -1 if none. */
static int
read_done(struct server *s)
{
	zmq_msg_t hdr;
	int rc = -1;

	zmq_msg_init(&hdr);
	if (zmq_msg_recv(&hdr, s->done, ZMQ_DONTWAIT) == -1)
		goto out;
	/* The workers always send three frames. */
	zmq_msg_recv(&s->pend_env, s->done, 0);
	zmq_msg_recv(&s->pend_body, s->done, 0);
	memcpy(&s->pend_done, zmq_msg_data(&hdr), sizeof(s->pend_done));
	s->have_out = 1;
	s->results_back++;
	rc = 0;
out:
	zmq_msg_close(&hdr);
	return rc;
}

/* ---- the ack output ---- */

/*
 * Send what ackout chooses while consumers have credit.  A consumer the
 * ROUTER no longer knows is dead at once; a full pipe (which credit, at
 * most output.hwm, should prevent) ends this round.
 */
static void
ack_deliver(struct server *s)
{
	struct ackout_delivery d;

	while (ackout_next(s->ack, &d) == 0) {
		if (zmq_send(s->out, d.id, d.idlen, ZMQ_SNDMORE |
		    ZMQ_DONTWAIT) == -1) {
			if (zmq_errno() != EHOSTUNREACH)
				break;
			log_info("output consumer gone: its unacknowledged "
			    "results are delivered again");
			ackout_unreachable(s->ack, &d);
			continue;
		}
		/* Once the first frame is taken, ZeroMQ takes the rest. */
		zmq_send(s->out, d.env, d.elen, ZMQ_SNDMORE);
		zmq_send(s->out, d.body, d.blen, 0);
		ackout_sent(s->ack, &d, clock_ns());
	}
}

/*
 * Read the consumers' credit and acks: [identity][one map].  Anything
 * else is counted and ignored (a message of other than one frame is
 * handed on as an empty one, which ackout counts as garbage).
 */
static void
ack_receive(struct server *s)
{
	zmq_msg_t id, m;
	struct err err;
	int i, more, nframes;
	size_t sz = sizeof(more);

	zmq_msg_init(&id);
	zmq_msg_init(&m);
	for (i = 0; i < SERVER_BATCH; i++) {
		if (zmq_msg_recv(&id, s->out, ZMQ_DONTWAIT) == -1)
			break;
		for (nframes = 0, more = 1; more; nframes++) {
			zmq_getsockopt(s->out, ZMQ_RCVMORE, &more, &sz);
			if (more)
				zmq_msg_recv(&m, s->out, 0);
		}
		if (ackout_receive(s->ack, zmq_msg_data(&id),
		    zmq_msg_size(&id), nframes == 2 ? zmq_msg_data(&m) : "",
		    nframes == 2 ? zmq_msg_size(&m) : 0, clock_ns(),
		    &err) == -1)
			log_debug("ignoring a message from an output "
			    "consumer: %s", err.msg);
	}
	zmq_msg_close(&id);
	zmq_msg_close(&m);
}

/*
 * One pass over the ack output: read the consumers' messages (if readable),
 * declare the silent ones dead, deliver, and retry the result held back
 * for lack of room.
 */
static void
ack_serve(struct server *s, int readable)
{
	size_t dead;

	if (readable)
		ack_receive(s);
	dead = ackout_expire(s->ack, clock_ns());
	if (dead > 0)
		log_warn("%zu output consumers silent for %d ms: their "
		    "unacknowledged results are delivered again", dead,
		    s->conf.ack_timeout_ms);
	ack_deliver(s);
	if (s->have_out)
		flush_out(s);
}

/* The poll timeout: short enough to see consumers go silent in time. */
static long
ack_timeout(const struct server *s, long timeout)
{
	struct ackout_counts c;

	ackout_counts(s->ack, &c);
	if (c.consumers > 0 && timeout > SERVER_ACK_TICK_MS)
		return SERVER_ACK_TICK_MS;
	return timeout;
}

/*
 * The linger is over, nothing is in flight, and the ack output still
 * holds results.  What no consumer took is unpublished, as with a PUSH
 * output nobody reads: -1.  What a consumer took and did not acknowledge
 * may well be safe with it, and upstream resends what it did not see
 * come out anyway: logged, 0.
 */
static int
ack_give_up(const struct server *s)
{
	struct ackout_counts c;

	ackout_counts(s->ack, &c);
	if (c.queued > 0) {
		log_error("stopping with %llu results that no consumer took "
		    "and %llu unacknowledged within %d ms",
		    (unsigned long long)c.queued,
		    (unsigned long long)c.unacked, s->conf.linger_ms);
		return -1;
	}
	log_warn("stopping with %llu results delivered but not acknowledged "
	    "within %d ms", (unsigned long long)c.unacked, s->conf.linger_ms);
	return 0;
}

/* Results the ack output holds, queued or unacknowledged (0 without). */
static uint64_t
ack_held(const struct server *s)
{
	struct ackout_counts c;

	if (s->ack == NULL)
		return 0;
	ackout_counts(s->ack, &c);
	return c.queued + c.unacked;
}

/* ---- heartbeat and control ---- */

static double
uptime_s(const struct server *s)
{
	return (double)(clock_ns() - s->t_start_ns) / 1e9;
}

static void
write_versions(struct buf *b, const struct classifier *c)
{
	size_t i;

	msg_w_map(b, (uint32_t)classifier_ntasks(c));
	for (i = 0; i < classifier_ntasks(c); i++) {
		msg_w_str(b, bundle_task(classifier_bundle(c, i)));
		msg_w_str(b, bundle_version(classifier_bundle(c, i)));
	}
}

static void
write_errors(struct buf *b, const struct stats *st)
{
	uint32_t n = 0;
	int i;

	for (i = 0; i < MSG_NCODES; i++)
		n += st->by_code[i] != 0;
	msg_w_map(b, n);
	for (i = 0; i < MSG_NCODES; i++)
		if (st->by_code[i]) {
			msg_w_str(b, msg_code_name((enum msg_code)i));
			msg_w_uint(b, st->by_code[i]);
		}
}

/*
 * Heartbeats are published directly, when the output can take them; not
 * on an ack output, whose consumers would have to acknowledge them.
 */
static void
heartbeat(struct server *s)
{
	const struct classifier *c = live_current(s->live)->c;

	if (s->ack != NULL)
		return;
	buf_reset(&s->body);
	msg_w_map(&s->body, 8);
	msg_w_str(&s->body, "seq");
	msg_w_uint(&s->body, s->seq);
	msg_w_str(&s->body, "uptime_s");
	msg_w_double(&s->body, uptime_s(s));
	msg_w_str(&s->body, "models");
	write_versions(&s->body, c);
	msg_w_str(&s->body, "received");
	msg_w_uint(&s->body, s->st.received);
	msg_w_str(&s->body, "published");
	msg_w_uint(&s->body, s->st.published);
	msg_w_str(&s->body, "errors");
	msg_w_uint(&s->body, s->st.errors);
	msg_w_str(&s->body, "in_flight");
	msg_w_uint(&s->body, stats_in_flight(&s->st));
	msg_w_str(&s->body, "pid");
	msg_w_uint(&s->body, (uint64_t)getpid());
	if (zmq_send(s->out, "_heartbeat", 10, ZMQ_SNDMORE | ZMQ_DONTWAIT)
	    == -1) {
		s->st.heartbeats_skipped++;	/* output busy */
		return;
	}
	zmq_send(s->out, s->body.data, s->body.len, 0);
	s->seq++;
	s->st.heartbeats++;
}

/* CURVE authentications so far (0 and 0 with CURVE off). */
static void
auth_counts_or_zero(const struct server *s, uint64_t *accepted,
    uint64_t *refused)
{
	*accepted = *refused = 0;
	if (s->auth != NULL)
		auth_counts(s->auth, accepted, refused);
}

static void
write_ack_counts(const struct server *s, struct buf *b)
{
	struct ackout_counts c;

	ackout_counts(s->ack, &c);
	msg_w_str(b, "ack");
	msg_w_map(b, 10);
	msg_w_str(b, "consumers");
	msg_w_uint(b, c.consumers);
	msg_w_str(b, "queued");
	msg_w_uint(b, c.queued);
	msg_w_str(b, "unacked");
	msg_w_uint(b, c.unacked);
	msg_w_str(b, "delivered");
	msg_w_uint(b, c.delivered);
	msg_w_str(b, "acked");
	msg_w_uint(b, c.acked);
	msg_w_str(b, "redelivered");
	msg_w_uint(b, c.redelivered);
	msg_w_str(b, "dead_consumers");
	msg_w_uint(b, c.dead_consumers);
	msg_w_str(b, "bad_messages");
	msg_w_uint(b, c.bad_messages);
	msg_w_str(b, "unknown_acks");
	msg_w_uint(b, c.unknown_acks);
	msg_w_str(b, "refused");
	msg_w_uint(b, c.refused);
}

static void
reply_stats(struct server *s, struct buf *b)
{
	const struct stats *st = &s->st;
	const struct classifier *c = live_current(s->live)->c;
	uint64_t accepted, refused;
	size_t i;

	auth_counts_or_zero(s, &accepted, &refused);
	msg_w_map(b, s->ack != NULL ? 16 : 15);
	msg_w_str(b, "ok");
	msg_w_bool(b, 1);
	msg_w_str(b, "received");
	msg_w_uint(b, st->received);
	msg_w_str(b, "published");
	msg_w_uint(b, st->published);
	msg_w_str(b, "errors");
	msg_w_uint(b, st->errors);
	msg_w_str(b, "errors_by_code");
	write_errors(b, st);
	msg_w_str(b, "in_flight");
	msg_w_uint(b, stats_in_flight(st));
	msg_w_str(b, "seq");
	msg_w_uint(b, s->seq);
	msg_w_str(b, "heartbeats");
	msg_w_uint(b, st->heartbeats);
	msg_w_str(b, "output_blocked");
	msg_w_uint(b, st->output_blocked);
	msg_w_str(b, "latency_us");
	msg_w_map(b, 5);
	msg_w_str(b, "p50");
	msg_w_double(b, stats_quantile(st, 0.5));
	msg_w_str(b, "p90");
	msg_w_double(b, stats_quantile(st, 0.9));
	msg_w_str(b, "p99");
	msg_w_double(b, stats_quantile(st, 0.99));
	msg_w_str(b, "p999");
	msg_w_double(b, stats_quantile(st, 0.999));
	msg_w_str(b, "max");
	msg_w_double(b, (double)st->max_us);
	msg_w_str(b, "uptime_s");
	msg_w_double(b, uptime_s(s));
	msg_w_str(b, "reloads");
	msg_w_uint(b, st->reloads);
	msg_w_str(b, "reload_failures");
	msg_w_uint(b, st->reload_failures);
	msg_w_str(b, "auth");
	msg_w_map(b, 2);
	msg_w_str(b, "accepted");
	msg_w_uint(b, accepted);
	msg_w_str(b, "refused");
	msg_w_uint(b, refused);
	if (s->ack != NULL)
		write_ack_counts(s, b);
	msg_w_str(b, "models");
	msg_w_map(b, (uint32_t)classifier_ntasks(c));
	for (i = 0; i < classifier_ntasks(c); i++) {
		const struct bundle *bu = classifier_bundle(c, i);

		msg_w_str(b, bundle_task(bu));
		msg_w_map(b, 2);
		msg_w_str(b, "version");
		msg_w_str(b, bundle_version(bu));
		msg_w_str(b, "load_ms");
		msg_w_double(b, bundle_load_ms(bu));
	}
}

static void
reply_models(struct server *s, struct buf *b)
{
	const struct live_set *set = live_current(s->live);
	const struct classifier *c = set->c;
	struct msg_error e;
	size_t i, j;

	msg_w_map(b, 3);
	msg_w_str(b, "ok");
	msg_w_bool(b, 1);
	msg_w_str(b, "envelope");
	msg_w_array(b, (uint32_t)set->norder);
	for (i = 0; i < set->norder; i++)
		msg_w_str(b, bundle_task(classifier_bundle(c, set->order[i])));
	msg_w_str(b, "models");
	msg_w_map(b, (uint32_t)classifier_ntasks(c));
	for (i = 0; i < classifier_ntasks(c); i++) {
		const struct bundle *bu = classifier_bundle(c, i);
		const char *meta = bundle_meta_json(bu);

		msg_w_str(b, bundle_task(bu));
		msg_w_map(b, 4);
		msg_w_str(b, "version");
		msg_w_str(b, bundle_version(bu));
		msg_w_str(b, "labels");
		msg_w_array(b, (uint32_t)bundle_nlabels(bu));
		for (j = 0; j < bundle_nlabels(bu); j++)
			msg_w_str(b, bundle_label(bu, j));
		msg_w_str(b, "load_ms");
		msg_w_double(b, bundle_load_ms(bu));
		msg_w_str(b, "meta");
		if (msg_from_json(meta, strlen(meta), b, &e) == -1)
			msg_w_nil(b);
	}
}

static void
reply_error(struct buf *b, const char *fmt, const char *arg)
{
	char text[ERR_MAX];

	snprintf(text, sizeof(text), fmt, arg);
	msg_w_map(b, 2);
	msg_w_str(b, "ok");
	msg_w_bool(b, 0);
	msg_w_str(b, "error");
	msg_w_str(b, text);
}

static void
handle_control(struct server *s)
{
	char cmd[32];
	zmq_msg_t req;
	int more;
	size_t sz = sizeof(more);
	struct err err;

	zmq_msg_init(&req);
	if (zmq_msg_recv(&req, s->ctl, ZMQ_DONTWAIT) == -1) {
		zmq_msg_close(&req);
		return;
	}
	zmq_getsockopt(s->ctl, ZMQ_RCVMORE, &more, &sz);
	buf_reset(&s->reply);
	if (more) {
		zmq_msg_t extra;

		zmq_msg_init(&extra);
		while (more) {
			zmq_msg_recv(&extra, s->ctl, 0);
			zmq_getsockopt(s->ctl, ZMQ_RCVMORE, &more, &sz);
		}
		zmq_msg_close(&extra);
		reply_error(&s->reply, "%s", "a request is one frame");
	} else if (msg_get_str(zmq_msg_data(&req), zmq_msg_size(&req), "cmd",
	    cmd, sizeof(cmd)) == -1) {
		reply_error(&s->reply, "%s", "a request is a msgpack map "
		    "with a string \"cmd\"");
	} else if (strcmp(cmd, "ping") == 0) {
		msg_w_map(&s->reply, 3);
		msg_w_str(&s->reply, "ok");
		msg_w_bool(&s->reply, 1);
		msg_w_str(&s->reply, "pong");
		msg_w_bool(&s->reply, 1);
		msg_w_str(&s->reply, "pid");
		msg_w_uint(&s->reply, (uint64_t)getpid());
	} else if (strcmp(cmd, "stats") == 0) {
		reply_stats(s, &s->reply);
	} else if (strcmp(cmd, "models") == 0) {
		reply_models(s, &s->reply);
	} else if (strcmp(cmd, "reload") == 0) {
		if (server_reload(s, &err) == -1) {
			reply_error(&s->reply, "reload failed, the current "
			    "models stay: %s", err.msg);
		} else {
			msg_w_map(&s->reply, s->auth != NULL ? 3 : 2);
			msg_w_str(&s->reply, "ok");
			msg_w_bool(&s->reply, 1);
			msg_w_str(&s->reply, "models");
			write_versions(&s->reply, live_current(s->live)->c);
			if (s->auth != NULL) {
				msg_w_str(&s->reply, "curve_clients");
				msg_w_uint(&s->reply, auth_nkeys(s->auth));
			}
		}
	} else {
		reply_error(&s->reply, "unknown command '%s' (ping, stats, "
		    "models, reload)", cmd);
	}
	zmq_msg_close(&req);
	zmq_send(s->ctl, s->reply.data, s->reply.len, 0);
}

/* ---- HTTP ---- */

static void
snapshot_for_http(void *arg, struct http_snapshot *out)
{
	struct server *s = arg;
	const struct classifier *c = live_current(s->live)->c;
	size_t i;

	out->st = &s->st;
	out->workers = s->nworkers;
	for (i = 0; i < classifier_ntasks(c) && i < HTTP_MAX_MODELS; i++) {
		const struct bundle *b = classifier_bundle(c, i);

		out->models[i].task = bundle_task(b);
		out->models[i].version = bundle_version(b);
		out->models[i].load_s = bundle_load_ms(b) / 1000.0;
	}
	out->nmodels = i;
	out->curve = s->auth != NULL;
	auth_counts_or_zero(s, &out->auth_accepted, &out->auth_refused);
	if ((out->ack = s->ack != NULL))
		ackout_counts(s->ack, &out->ackc);
	out->start_time_s = s->t_start_unix;
}

static int
ready_for_http(void *arg)
{
	const struct server *s = arg;

	return s->ready;
}

static int
start_http(struct server *s, struct err *err)
{
	struct http_source src = { snapshot_for_http, ready_for_http, s };

	if (s->conf.http_listen[0] == '\0')
		return 0;
	if (http_new(s->conf.http_listen, &src, &s->http, err) == -1)
		return err_prefix(err, "http.listen");
	log_info("http on %s: /metrics, /health/live, /health/ready",
	    s->conf.http_listen);
	return 0;
}

/* ---- systemd's watchdog ---- */

static void
start_watchdog(struct server *s)
{
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0)
		usec = 0;
	watchdog_init(&s->wd, usec, clock_ns());
	if (usec > 0)
		log_info("systemd watchdog: %.1f s, pinged every %.1f s while "
		    "the workers make progress", (double)usec / 1e6,
		    (double)usec / 2e6);
}

/*
 * Ping if due.  While a result waits for the output, the main thread does
 * not read the workers' results, so they owe it nothing.
 */
static void
tend_watchdog(struct server *s, uint64_t now)
{
	int was = watchdog_stalled(&s->wd);
	uint64_t owed = s->have_out ? 0 : s->jobs_sent - s->results_back;

	if (watchdog_check(&s->wd, now, owed, s->results_back))
		sd_notify(0, "WATCHDOG=1");
	if (watchdog_stalled(&s->wd) && !was)
		log_error("the workers have returned nothing for %.1f s with "
		    "%llu messages outstanding: no longer pinging the systemd "
		    "watchdog", (double)s->wd.interval_ns / 1e9,
		    (unsigned long long)owed);
	else if (was && !watchdog_stalled(&s->wd))
		log_warn("the workers make progress again: pinging the systemd "
		    "watchdog");
}

/* ---- the loop ---- */

int
server_run(struct server *s, volatile sig_atomic_t *stop,
    volatile sig_atomic_t *reload)
{
	uint64_t hb_ns = (uint64_t)(s->conf.heartbeat_s * 1e9);
	uint64_t drain_start = 0, last_input = 0, flush_deadline = 0;
	uint64_t last_output = 0, last_done = 0, quiet_since = 0;
	uint64_t linger_ns = (uint64_t)s->conf.linger_ms * 1000000u;
	int draining = 0, reading = 1, i, quiet_polls = 0;
	struct err err;

	for (;;) {
		zmq_pollitem_t it[6];
		int n = 0, ictl, iin = -1, ijobs = -1, idone = -1, iout = -1;
		int iack = -1;
		int ihttp = -1;
		long timeout = 1000;
		uint64_t now = clock_ns();

		if (*stop && !draining) {
			draining = 1;
			s->ready = 0;
			drain_start = last_input = last_output = now;
			log_info("stopping: reading what is queued, then "
			    "finishing %llu in flight",
			    (unsigned long long)stats_in_flight(&s->st));
		}
		/*
		 * While a job is held back the input is not read: that time
		 * is back-pressure, not a quiet input, and must not count
		 * towards drain_ms (queued messages would be dropped).  But
		 * if the output takes nothing for a whole linger, the held
		 * job may never move: stop reading then, or never stop.
		 */
		if (s->st.published + s->st.errors != last_done) {
			last_done = s->st.published + s->st.errors;
			last_output = now;
		}
		if (draining && s->have_job) {
			last_input = now;
			quiet_polls = 0;
		}
		if (draining && reading &&
		    ((quiet_polls >= SERVER_DRAIN_QUIET_POLLS &&
		    now - quiet_since > (uint64_t)s->conf.drain_ms * 1000000u &&
		    now - last_input > (uint64_t)s->conf.drain_ms * 1000000u) ||
		    now - drain_start > SERVER_DRAIN_CAP_MS * 1000000ULL ||
		    now - last_output > linger_ns)) {
			reading = 0;
			flush_deadline = now + linger_ns;
		}
		if (!reading && stats_in_flight(&s->st) == 0 &&
		    ack_held(s) == 0)
			return 0;
		if (!reading && now > flush_deadline &&
		    stats_in_flight(&s->st) > 0) {
			log_error("stopping with %llu messages unpublished "
			    "(the output did not take them within %d ms)",
			    (unsigned long long)stats_in_flight(&s->st),
			    s->conf.linger_ms);
			return -1;
		}
		if (!reading && now > flush_deadline)
			return ack_give_up(s);
		if (*reload) {
			*reload = 0;
			server_reload(s, &err);
		}
		tend_watchdog(s, now);
		if (hb_ns && now >= s->next_heartbeat_ns && !draining) {
			heartbeat(s);
			s->next_heartbeat_ns = now + hb_ns;
		}

		it[n] = (zmq_pollitem_t){ s->ctl, 0, ZMQ_POLLIN, 0 };
		ictl = n++;
		if (reading && !s->have_job) {
			it[n] = (zmq_pollitem_t){ s->in, 0, ZMQ_POLLIN, 0 };
			iin = n++;
		}
		if (s->have_job) {
			it[n] = (zmq_pollitem_t){ s->jobs, 0, ZMQ_POLLOUT, 0 };
			ijobs = n++;
		}
		if (!s->have_out) {
			it[n] = (zmq_pollitem_t){ s->done, 0, ZMQ_POLLIN, 0 };
			idone = n++;
		} else if (s->ack == NULL) {
			it[n] = (zmq_pollitem_t){ s->out, 0, ZMQ_POLLOUT, 0 };
			iout = n++;
		}
		/* ack: room comes with the consumers' acks. */
		if (s->ack != NULL) {
			it[n] = (zmq_pollitem_t){ s->out, 0, ZMQ_POLLIN, 0 };
			iack = n++;
		}
		if (hb_ns && !draining)
			timeout = (long)((s->next_heartbeat_ns - now) /
			    1000000u) + 1;
		if (draining || timeout > 1000)
			timeout = draining ? 20 : 1000;
		if (s->ack != NULL)
			timeout = ack_timeout(s, timeout);
		timeout = watchdog_timeout_ms(&s->wd, now, timeout);
		if (s->http != NULL) {
			it[n] = (zmq_pollitem_t){ NULL, http_fd(s->http),
			    ZMQ_POLLIN, 0 };
			ihttp = n++;
			timeout = http_timeout_ms(s->http, timeout);
		}
		if (zmq_poll(it, n, timeout) == -1) {
			if (zmq_errno() == EINTR)
				continue;
			log_error("poll failed: %s", zmq_strerror(zmq_errno()));
			return -1;
		}
		if (it[ictl].revents & ZMQ_POLLIN)
			handle_control(s);
		if (iack >= 0)
			ack_serve(s, it[iack].revents & ZMQ_POLLIN);
		if (ihttp >= 0 && ((it[ihttp].revents & ZMQ_POLLIN) ||
		    http_timeout_ms(s->http, 1) == 0))
			http_run(s->http);
		if (ijobs >= 0 && (it[ijobs].revents & ZMQ_POLLOUT))
			flush_job(s);
		if (iin >= 0 && draining && !(it[iin].revents & ZMQ_POLLIN) &&
		    quiet_polls++ == 0)
			quiet_since = clock_ns();
		if (iin >= 0 && (it[iin].revents & ZMQ_POLLIN))
			for (i = 0; i < SERVER_BATCH && !s->have_job; i++) {
				if (read_input(s) == -1)
					break;
				last_input = clock_ns();
				quiet_polls = 0;
				flush_job(s);
			}
		if (iout >= 0 && (it[iout].revents & ZMQ_POLLOUT))
			flush_out(s);
		if (idone >= 0 && (it[idone].revents & ZMQ_POLLIN))
			for (i = 0; i < SERVER_BATCH && !s->have_out; i++) {
				if (read_done(s) == -1)
					break;
				flush_out(s);
			}
		if (s->ack != NULL)
			ack_deliver(s);
	}
}
