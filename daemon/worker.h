/*
 * worker.h - scoring threads.
 *
 * Each worker owns a pipeline and two inproc sockets: it pulls work from
 * the main thread and pushes results back.  Frames main -> worker:
 * [struct worker_job][payload]; worker -> main: [struct worker_done]
 * [envelope][body].  A worker stops when the ZeroMQ context is shut down.
 */
#ifndef NC_WORKER_H
#define NC_WORKER_H

#include <stdint.h>

#include "err.h"
#include "live.h"
#include "msg.h"

#define WORKER_JOBS "inproc://newsclassd-jobs"
/* Jobs a worker holds, and results it queues; the rest wait upstream. */
#define WORKER_HWM 32
#define WORKER_DONE "inproc://newsclassd-done"

enum {
	WORKER_MULTIPART = 1u << 0,	/* the message had several frames */
	WORKER_TOO_LARGE = 1u << 1,	/* above limits.max_bytes */
};

struct worker_job {
	uint64_t t_recv_ns;	/* CLOCK_MONOTONIC when it was read */
	uint32_t flags;		/* WORKER_* */
	uint32_t nframes;
	uint64_t size;		/* total bytes of all frames */
};

#define WORKER_NO_SEQ UINT32_MAX

struct worker_done {
	uint64_t t_recv_ns;
	uint32_t seq_at;	/* offset of the 8-byte seq in the body */
	uint32_t t_us_at;	/* offset of the 8-byte t_us in the body */
	uint32_t code;		/* MSG_OK or the error code */
};

struct worker_conf {
	void *zctx;
	struct live *live;
	struct msg_limits limits;
	int include_text;
	struct tags_conf tags;	/* top, uncertain, explain settings */
};

struct worker;

/* Start a thread; its sockets connect to WORKER_JOBS / WORKER_DONE. */
int worker_start(const struct worker_conf *wc, struct worker **out,
    struct err *err);
/* Join the thread (after zmq_ctx_shutdown) and free it. */
void worker_join(struct worker **wp);


#endif
