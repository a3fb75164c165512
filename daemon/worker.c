/*
 * worker.c - a scoring thread: job in, result out, through the pipeline.
 *
 * The worker checks for new models once per message (live_acquire: one
 * atomic load unless they changed) and holds its model set while scoring,
 * so a reload never affects a message half-way.  Buffers are reused, so in
 * steady state a message costs no heap allocation here beyond ZeroMQ's own.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

#include "clock.h"
#include "log.h"
#include "pipeline.h"
#include "worker.h"
#include "xalloc.h"

struct worker {
	struct worker_conf conf;
	pthread_t thread;
	void *jobs, *done;
};

static int
send_done(void *sock, const struct worker_done *d, const struct buf *env,
    const struct buf *body)
{
	if (zmq_send(sock, d, sizeof(*d), ZMQ_SNDMORE) == -1 ||
	    zmq_send(sock, env->data, env->len, ZMQ_SNDMORE) == -1 ||
	    zmq_send(sock, body->data, body->len, 0) == -1)
		return -1;
	return 0;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	const struct live_set *set = NULL;
	struct pipeline *p = pipeline_new();
	struct buf env, body;
	zmq_msg_t hdr, payload;

	buf_init(&env);
	buf_init(&body);
	zmq_msg_init(&hdr);
	zmq_msg_init(&payload);
	for (;;) {
		struct worker_job job;
		struct worker_done done;
		struct msg_out_opts o;
		struct msg_error e;

		if (zmq_msg_recv(&hdr, w->jobs, 0) == -1) {
			if (zmq_errno() == EINTR)
				continue;
			break;	/* ETERM: the daemon is stopping */
		}
		/* The second frame of a message is there once the first is. */
		if (zmq_msg_recv(&payload, w->jobs, 0) == -1)
			break;
		if (zmq_msg_size(&hdr) != sizeof(job))
			continue;	/* cannot happen: main sends these */
		memcpy(&job, zmq_msg_data(&hdr), sizeof(job));
		set = live_acquire(w->conf.live, set);

		memset(&o, 0, sizeof(o));
		o.include_text = w->conf.include_text;
		o.tags = &w->conf.tags;
		o.with_seq = 1;
		if (body.cap > MSG_KEEP_BYTES)
			buf_release(&body);
		buf_reset(&env);
		buf_reset(&body);
		done.code = MSG_OK;
		if (job.flags & (WORKER_MULTIPART | WORKER_TOO_LARGE)) {
			e.code = job.flags & WORKER_TOO_LARGE ?
			    MSG_TOO_LARGE : MSG_MULTIPART;
			if (e.code == MSG_TOO_LARGE)
				snprintf(e.detail, sizeof(e.detail),
				    "message is %llu bytes, limit is %zu",
				    (unsigned long long)job.size,
				    w->conf.limits.max_bytes);
			else
				snprintf(e.detail, sizeof(e.detail),
				    "message has %u frames, expected one "
				    "msgpack map in one frame", job.nframes);
			pipeline_error(p, &e, e.code == MSG_TOO_LARGE ? NULL :
			    zmq_msg_data(&payload), zmq_msg_size(&payload),
			    &w->conf.limits, &o, &env, &body);
			done.code = e.code;
		} else if (pipeline_run(p, set->c, set->order, set->norder,
		    zmq_msg_data(&payload), zmq_msg_size(&payload),
		    &w->conf.limits, &o, &env, &body, &e) == -1) {
			done.code = e.code;
		}
		done.t_recv_ns = job.t_recv_ns;
		done.seq_at = o.seq_at == MSG_NO_OFFSET ? WORKER_NO_SEQ :
		    (uint32_t)o.seq_at;
		done.t_us_at = o.t_us_at == MSG_NO_OFFSET ? WORKER_NO_SEQ :
		    (uint32_t)o.t_us_at;
		if (send_done(w->done, &done, &env, &body) == -1)
			break;
	}
	live_release(w->conf.live, set);
	zmq_msg_close(&hdr);
	zmq_msg_close(&payload);
	buf_release(&env);
	buf_release(&body);
	pipeline_destroy(&p);
	zmq_close(w->jobs);
	zmq_close(w->done);
	return NULL;
}

int
worker_start(const struct worker_conf *wc, struct worker **out,
    struct err *err)
{
	struct worker *w = xcalloc(1, sizeof(*w));
	sigset_t all, old;
	int zero = 0, hwm = WORKER_HWM, rc;

	w->conf = *wc;
	w->jobs = zmq_socket(wc->zctx, ZMQ_PULL);
	w->done = zmq_socket(wc->zctx, ZMQ_PUSH);
	if (w->jobs == NULL || w->done == NULL)
		goto fail;
	zmq_setsockopt(w->done, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(w->jobs, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(w->jobs, ZMQ_RCVHWM, &hwm, sizeof(hwm));
	zmq_setsockopt(w->done, ZMQ_SNDHWM, &hwm, sizeof(hwm));
	if (zmq_connect(w->jobs, WORKER_JOBS) == -1 ||
	    zmq_connect(w->done, WORKER_DONE) == -1)
		goto fail;
	/* Signals are for the main thread: the worker starts with none. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&w->thread, NULL, worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		err_set(err, "cannot start worker thread: %s", strerror(rc));
		goto out_close;
	}
	*out = w;
	return 0;
fail:
	err_set(err, "cannot set up worker sockets: %s",
	    zmq_strerror(zmq_errno()));
out_close:
	if (w->jobs)
		zmq_close(w->jobs);
	if (w->done)
		zmq_close(w->done);
	free(w);
	return -1;
}

void
worker_join(struct worker **wp)
{
	struct worker *w = *wp;

	if (w == NULL)
		return;
	pthread_join(w->thread, NULL);
	free(w);
	*wp = NULL;
}
