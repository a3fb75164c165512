/*
 * auth.h - the daemon's ZAP handler (ZeroMQ RFC 27): which CURVE clients
 * its sockets let in.
 *
 * A thread answers the ZAP requests that libzmq makes, for every CURVE
 * handshake on a socket with a ZAP domain, on inproc://zeromq.zap.01 of the
 * daemon's context: status 200 when the client's public key is in the
 * authorised set, 400 otherwise.  The main thread swaps in a new set on
 * reload; the counters are atomics, read by the main thread for "stats".
 */
#ifndef NC_AUTH_H
#define NC_AUTH_H

#include <stdint.h>

#include "curve.h"
#include "err.h"

#define AUTH_DOMAIN "newsclassd"	/* the ZAP domain of our sockets */

struct auth;

/*
 * Bind the ZAP endpoint in zctx and start the thread with the key set
 * *keys (ownership moves in; *keys is set to NULL on success).  Call it
 * before any CURVE socket binds or connects: libzmq lets every client in
 * when no handler is bound.  Returns 0, or -1 with a reason.  Main thread.
 */
int auth_start(void *zctx, struct curve_keyset **keys, struct auth **out,
    struct err *err);

/*
 * Replace the authorised set with *keys (ownership moves in, *keys is set
 * to NULL); handshakes from now on are checked against it.  Main thread.
 */
void auth_swap(struct auth *a, struct curve_keyset **keys);

/* Authentications accepted and refused so far.  Any thread. */
void auth_counts(const struct auth *a, uint64_t *accepted,
    uint64_t *refused);

/* Keys in the current set.  Main thread. */
size_t auth_nkeys(const struct auth *a);

/*
 * Join the thread (it ends when the context is shut down: call
 * zmq_ctx_shutdown first), free *ap and set it to NULL.  NULL allowed.
 */
void auth_join(struct auth **ap);

#endif
