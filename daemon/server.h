/*
 * server.h - newsclassd's sockets and main loop.
 *
 * The main thread owns every external socket: input (PULL or SUB), output
 * (PUB or PUSH) and control (REP).  It hands each input message to the
 * worker threads over inproc sockets, publishes their results in the order
 * they finish, stamping "seq" (consecutive over everything published) and
 * "t_us", and answers control requests between messages.  Back-pressure is
 * explicit: a message that cannot be handed on is held and the socket it
 * came from is not read until it is, so nothing is dropped on our side.
 * With CURVE on, the ZAP handler thread (auth.h) decides which clients
 * these sockets accept.
 */
#ifndef NC_SERVER_H
#define NC_SERVER_H

#include <signal.h>

#include "conf.h"
#include "err.h"

struct server;

/*
 * Load the models, create and bind/connect the sockets and start the
 * workers.  Returns 0, or -1 with a reason (a bad bundle, an address in
 * use, ...).  Main thread only.
 */
int server_new(const struct conf *conf, struct server **out,
    struct err *err);

/*
 * Serve until *stop is set, then stop reading, finish and publish what is
 * in flight, and return.  *reload set means reload the models (the flag is
 * cleared).  Returns 0, or -1 if messages could not be flushed in time.
 */
int server_run(struct server *s, volatile sig_atomic_t *stop,
    volatile sig_atomic_t *reload);

/*
 * Read the CURVE key files conf names (curve.server_key,
 * curve.upstream_server_key, curve.clients_dir), as server_new will, for
 * "newsclassd -n".  Returns 0 (also when CURVE is off), or -1 with a
 * reason naming the configuration key.
 */
int server_check_curve(const struct conf *conf, struct err *err);

/* Stop the workers, close the sockets (bounded linger) and free. */
void server_destroy(struct server **sp);

#endif
