/*
 * auth.c - the ZAP handler thread.
 *
 * libzmq sends one request per CURVE handshake (a few per client
 * connection), so the thread is idle nearly always.  It looks the client's
 * key up under the mutex that guards the set pointer; the main thread takes
 * that mutex only to swap in a new set, and frees the old set after
 * releasing it, so a lookup never sees a freed set.  Replies follow RFC 27:
 * version, request id, status code and text, user id (the name of the
 * client's .pub file) and empty metadata.  Anything but a well-formed
 * CURVE request for our domain is refused.
 *
 * A refused client reconnects every 100 ms or so (libzmq's default), so a
 * refusal is logged once per AUTH_LOG_EVERY_NS for the same key, and
 * counted every time.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

#include "auth.h"
#include "clock.h"
#include "log.h"
#include "xalloc.h"

#define AUTH_ENDPOINT "inproc://zeromq.zap.01"
#define AUTH_FRAMES 7		/* of a CURVE request */
#define AUTH_LOG_EVERY_NS (10 * 1000000000ull)

struct auth {
	void *sock;
	pthread_t thread;
	pthread_mutex_t mu;
	struct curve_keyset *keys;	/* guarded by mu */
	atomic_uint_fast64_t accepted, refused;
	/* The thread's own: the last refusal logged. */
	unsigned char last_key[CURVE_KEY_BYTES];
	uint64_t last_log_ns;
};

/* Frame i of a request as a string of at most n - 1 bytes into s. */
static const char *
frame_str(zmq_msg_t *f, int i, char *s, size_t n)
{
	size_t len = zmq_msg_size(&f[i]);

	if (len >= n)
		len = n - 1;
	memcpy(s, zmq_msg_data(&f[i]), len);
	s[len] = '\0';
	return s;
}

static int
frame_is(zmq_msg_t *f, int i, const char *want)
{
	return zmq_msg_size(&f[i]) == strlen(want) &&
	    memcmp(zmq_msg_data(&f[i]), want, strlen(want)) == 0;
}

/*
 * Receive one request, keeping its first AUTH_FRAMES frames in f (the
 * caller closes them) and counting all of them in *n.  0, or -1 when the
 * context is shutting down.
 */
static int
recv_request(void *sock, zmq_msg_t f[AUTH_FRAMES], int *n)
{
	zmq_msg_t extra;
	int more = 1;

	*n = 0;
	while (more) {
		zmq_msg_t *m = *n < AUTH_FRAMES ? &f[*n] : &extra;

		zmq_msg_init(m);
		if (zmq_msg_recv(m, sock, 0) == -1) {
			zmq_msg_close(m);
			if (zmq_errno() == EINTR)
				continue;
			while (*n > 0)
				if (--*n < AUTH_FRAMES)
					zmq_msg_close(&f[*n]);
			return -1;
		}
		more = zmq_msg_more(m);
		if (m == &extra)
			zmq_msg_close(&extra);
		(*n)++;
	}
	return 0;
}

/* Decide on a request: 1 accept (name in user), 0 refuse (why in text). */
static int
decide(struct auth *a, zmq_msg_t *f, int n, char *user, size_t usz,
    const char **text)
{
	const unsigned char *key;
	char z85[CURVE_Z85_LEN + 1], addr[64];
	const char *name;
	uint64_t now;

	if (n != AUTH_FRAMES || !frame_is(f, 0, "1.0") ||
	    !frame_is(f, 2, AUTH_DOMAIN) || !frame_is(f, 5, "CURVE") ||
	    zmq_msg_size(&f[6]) != CURVE_KEY_BYTES) {
		*text = "malformed request";
		log_warn("refused a ZAP request that is not a CURVE request "
		    "for domain '%s' (%d frames)", AUTH_DOMAIN, n);
		return 0;
	}
	key = zmq_msg_data(&f[6]);
	pthread_mutex_lock(&a->mu);
	name = curve_keyset_find(a->keys, key);
	if (name != NULL)
		snprintf(user, usz, "%s", name);
	pthread_mutex_unlock(&a->mu);
	zmq_z85_encode(z85, key, CURVE_KEY_BYTES);
	frame_str(f, 3, addr, sizeof(addr));
	if (name != NULL) {
		log_debug("CURVE client '%s' accepted from %s", user, addr);
		return 1;
	}
	*text = "unknown key";
	now = clock_ns();
	if (memcmp(key, a->last_key, CURVE_KEY_BYTES) != 0 ||
	    now - a->last_log_ns >= AUTH_LOG_EVERY_NS) {
		log_warn("refused CURVE client from %s: key %s is not in "
		    "the authorised clients' keys", addr, z85);
		memcpy(a->last_key, key, CURVE_KEY_BYTES);
		a->last_log_ns = now;
	}
	return 0;
}

/* Answer one request: 0, or -1 when the context is shutting down. */
static int
answer(struct auth *a, zmq_msg_t *f, int n)
{
	char user[256] = "";
	const char *text = "OK";
	int ok = decide(a, f, n, user, sizeof(user), &text);

	atomic_fetch_add(ok ? &a->accepted : &a->refused, 1);
	if (zmq_send(a->sock, "1.0", 3, ZMQ_SNDMORE) == -1 ||
	    zmq_send(a->sock, n > 1 ? zmq_msg_data(&f[1]) : "",
	    n > 1 ? zmq_msg_size(&f[1]) : 0, ZMQ_SNDMORE) == -1 ||
	    zmq_send(a->sock, ok ? "200" : "400", 3, ZMQ_SNDMORE) == -1 ||
	    zmq_send(a->sock, text, strlen(text), ZMQ_SNDMORE) == -1 ||
	    zmq_send(a->sock, user, strlen(user), ZMQ_SNDMORE) == -1 ||
	    zmq_send(a->sock, "", 0, 0) == -1)
		return -1;
	return 0;
}

static void *
auth_main(void *arg)
{
	struct auth *a = arg;
	zmq_msg_t f[AUTH_FRAMES];
	int n, i, rc;

	for (;;) {
		if (recv_request(a->sock, f, &n) == -1)
			break;	/* ETERM: the daemon is stopping */
		rc = answer(a, f, n);
		for (i = 0; i < n && i < AUTH_FRAMES; i++)
			zmq_msg_close(&f[i]);
		if (rc == -1)
			break;
	}
	zmq_close(a->sock);
	return NULL;
}

int
auth_start(void *zctx, struct curve_keyset **keys, struct auth **out,
    struct err *err)
{
	struct auth *a = xcalloc(1, sizeof(*a));
	sigset_t all, old;
	int zero = 0, rc;

	pthread_mutex_init(&a->mu, NULL);
	atomic_init(&a->accepted, 0);
	atomic_init(&a->refused, 0);
	a->sock = zmq_socket(zctx, ZMQ_REP);
	if (a->sock == NULL ||
	    zmq_setsockopt(a->sock, ZMQ_LINGER, &zero, sizeof(zero)) == -1 ||
	    zmq_bind(a->sock, AUTH_ENDPOINT) == -1) {
		err_set(err, "cannot bind the ZAP handler on '%s': %s",
		    AUTH_ENDPOINT, zmq_strerror(zmq_errno()));
		goto out_close;
	}
	a->keys = *keys;
	/* Signals are for the main thread: the handler starts with none. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&a->thread, NULL, auth_main, a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		err_set(err, "cannot start the ZAP handler thread: %s",
		    strerror(rc));
		goto out_close;
	}
	*keys = NULL;
	*out = a;
	return 0;
out_close:
	if (a->sock != NULL)
		zmq_close(a->sock);
	pthread_mutex_destroy(&a->mu);
	free(a);
	return -1;
}

void
auth_swap(struct auth *a, struct curve_keyset **keys)
{
	struct curve_keyset *old;

	pthread_mutex_lock(&a->mu);
	old = a->keys;
	a->keys = *keys;
	pthread_mutex_unlock(&a->mu);
	*keys = NULL;
	curve_keyset_destroy(&old);
}

void
auth_counts(const struct auth *a, uint64_t *accepted, uint64_t *refused)
{
	*accepted = atomic_load(&a->accepted);
	*refused = atomic_load(&a->refused);
}

size_t
auth_nkeys(const struct auth *a)
{
	/* Only the main thread changes a->keys, and this is the main one. */
	return curve_keyset_count(a->keys);
}

void
auth_join(struct auth **ap)
{
	struct auth *a = *ap;

	if (a == NULL)
		return;
	pthread_join(a->thread, NULL);
	curve_keyset_destroy(&a->keys);
	pthread_mutex_destroy(&a->mu);
	free(a);
	*ap = NULL;
}
