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

#define ENDPOINT_MAX 512	/* bytes of one endpoint, '@' or '>' included */

/* Check the syntax of spec (transport tcp, ipc or inproc). */
int endpoint_check(const char *spec, struct err *err);

/*
 * Bind or connect the ZeroMQ socket sock to every endpoint of spec;
 * default_bind says what a plain endpoint does.  -1 with zmq's reason.
 */
int endpoint_attach(void *sock, const char *spec, int default_bind,
    struct err *err);

/*
 * The tcp endpoints of a list, for the exposure and CURVE checks: how many
 * are bound and connected to, and the first one whose address is not a
 * loopback address (as written in the list, "" if none).
 */
struct endpoint_tcp {
	int binds;
	int connects;
	char exposed[ENDPOINT_MAX];
};

/*
 * Scan the tcp endpoints of spec into *t; default_bind as for
 * endpoint_attach.  Returns 0, or -1 if endpoint_check refuses spec.
 */
int endpoint_tcp_scan(const char *spec, int default_bind,
    struct endpoint_tcp *t, struct err *err);

/*
 * 1 if the host of the tcp address addr ("tcp://host:port", "@" or ">"
 * allowed in front; for "tcp://source;host:port" the host connected to) is
 * a loopback address: 127.0.0.0/8, ::1 (also as ::ffff:127.x.y.z) or
 * "localhost".  0 for anything else: "*", 0.0.0.0, ::, interface names and
 * other hosts, since each of them can be reached from, or reaches, another
 * machine.
 */
int endpoint_is_loopback(const char *addr);

/*
 * A listening address "HOST:PORT" (the HTTP endpoint): HOST is an IPv4
 * address, an IPv6 address in brackets, a name such as "localhost", or
 * "*" (every IPv4 address); PORT is 1..65535.
 */
struct endpoint_hostport {
	char host[ENDPOINT_MAX];	/* brackets removed */
	char port[8];			/* digits, for getaddrinfo */
};

/*
 * Split addr into *hp.  Returns 0, or -1 with the reason ("... must be
 * HOST:PORT").  Names are not resolved here.
 */
int endpoint_hostport_parse(const char *addr, struct endpoint_hostport *hp,
    struct err *err);

#endif
