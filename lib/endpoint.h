/*
 * endpoint.h - ZeroMQ endpoints in CZMQ's notation.
 *
 *   "@tcp://127.0.0.1:5557"   bind
 *   ">tcp://host:5557"        connect
 *   "tcp://..." (no prefix)   the caller's default
 * Several endpoints may be given separated by commas.
 */
#ifndef NC_ENDPOINT_H
#define NC_ENDPOINT_H

#include "err.h"

/* Check the syntax of spec (transport tcp, ipc or inproc). */
int endpoint_check(const char *spec, struct err *err);

/*
 * Bind or connect the ZeroMQ socket sock to every endpoint of spec;
 * default_bind says what a plain endpoint does.  -1 with zmq's reason.
 */
int endpoint_attach(void *sock, const char *spec, int default_bind,
    struct err *err);

#endif
