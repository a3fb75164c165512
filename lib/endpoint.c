/*
 * endpoint.c - "@bind" / ">connect" endpoint lists on ZeroMQ sockets, and
 * which of their tcp addresses stay on the machine (loopback).
 *
 * Lists are short (a few endpoints of at most ENDPOINT_MAX bytes) and are
 * parsed again by each call: they are read at start-up and reload only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zmq.h>

#include "endpoint.h"

/* Split the next comma-separated item of *spec into one[]. */
static int
next_item(const char **spec, char one[ENDPOINT_MAX], struct err *err)
{
	const char *s = *spec, *comma = strchr(s, ',');
	size_t n = comma ? (size_t)(comma - s) : strlen(s);

	/* An empty item, a trailing comma included, is an error. */
	if (n == 0 || n >= ENDPOINT_MAX || (comma && comma[1] == '\0'))
		return err_set(err, "bad endpoint list '%s'", *spec);
	memcpy(one, s, n);
	one[n] = '\0';
	*spec = comma ? comma + 1 : s + n;
	return 0;
}

static int
check_one(const char *one, struct err *err)
{
	const char *t = one + (one[0] == '@' || one[0] == '>');

	if (strncmp(t, "tcp://", 6) != 0 && strncmp(t, "ipc://", 6) != 0 &&
	    strncmp(t, "inproc://", 9) != 0)
		return err_set(err, "endpoint '%s' must be tcp://, ipc:// or "
		    "inproc:// (with '@' to bind or '>' to connect)", one);
	if (strchr(t, ':')[3] == '\0')
		return err_set(err, "endpoint '%s' has no address", one);
	return 0;
}

int
endpoint_check(const char *spec, struct err *err)
{
	char one[ENDPOINT_MAX];

	if (*spec == '\0')
		return err_set(err, "empty endpoint");
	while (*spec) {
		if (next_item(&spec, one, err) == -1 ||
		    check_one(one, err) == -1)
			return -1;
	}
	return 0;
}

int
endpoint_attach(void *sock, const char *spec, int default_bind,
    struct err *err)
{
	char one[ENDPOINT_MAX];

	if (endpoint_check(spec, err) == -1)
		return -1;
	while (*spec) {
		const char *addr = one;
		int bind = default_bind, rc;

		next_item(&spec, one, err);
		if (one[0] == '@' || one[0] == '>') {
			bind = one[0] == '@';
			addr++;
		}
		rc = bind ? zmq_bind(sock, addr) : zmq_connect(sock, addr);
		if (rc == -1)
			return err_set(err, "cannot %s '%s': %s",
			    bind ? "bind" : "connect to", addr,
			    zmq_strerror(zmq_errno()));
	}
	return 0;
}

int
endpoint_is_loopback(const char *addr)
{
	char host[ENDPOINT_MAX];
	const char *h, *semi, *colon;
	unsigned char a[sizeof(struct in6_addr)];
	size_t n;

	addr += addr[0] == '@' || addr[0] == '>';
	if (strncmp(addr, "tcp://", 6) != 0)
		return 0;
	h = addr + 6;
	if ((semi = strrchr(h, ';')) != NULL)
		h = semi + 1;	/* "source;host:port" */
	colon = strrchr(h, ':');
	n = colon ? (size_t)(colon - h) : strlen(h);
	if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
		h++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(host))
		return 0;
	memcpy(host, h, n);
	host[n] = '\0';
	host[strcspn(host, "%")] = '\0';	/* an IPv6 zone */
	if (strcasecmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, a) == 1)
		return a[0] == 127;
	if (inet_pton(AF_INET6, host, a) == 1) {
		struct in6_addr a6;

		memcpy(&a6, a, sizeof(a6));
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
		    (IN6_IS_ADDR_V4MAPPED(&a6) && a[12] == 127);
	}
	return 0;
}

int
endpoint_tcp_scan(const char *spec, int default_bind, struct endpoint_tcp *t,
    struct err *err)
{
	char one[ENDPOINT_MAX];

	memset(t, 0, sizeof(*t));
	if (endpoint_check(spec, err) == -1)
		return -1;
	while (*spec) {
		const char *addr = one;
		int bind = default_bind;

		next_item(&spec, one, err);
		if (one[0] == '@' || one[0] == '>') {
			bind = one[0] == '@';
			addr++;
		}
		if (strncmp(addr, "tcp://", 6) != 0)
			continue;
		if (bind)
			t->binds++;
		else
			t->connects++;
		if (t->exposed[0] == '\0' && !endpoint_is_loopback(addr))
			memcpy(t->exposed, one, strlen(one) + 1);
	}
	return 0;
}

int
endpoint_hostport_parse(const char *addr, struct endpoint_hostport *hp,
    struct err *err)
{
	const char *colon = strrchr(addr, ':'), *h = addr;
	size_t n = colon ? (size_t)(colon - addr) : 0;
	unsigned char a[sizeof(struct in6_addr)];
	char *end;
	long port;

	if (colon == NULL || n == 0 || n >= sizeof(hp->host))
		return err_set(err, "'%s' must be HOST:PORT", addr);
	if (h[0] == '[') {
		if (n < 3 || h[n - 1] != ']')
			return err_set(err, "'%s' must be HOST:PORT ([ADDRESS] "
			    "for IPv6)", addr);
		h++;
		n -= 2;
	}
	memcpy(hp->host, h, n);
	hp->host[n] = '\0';
	if (h != addr && inet_pton(AF_INET6, hp->host, a) != 1)
		return err_set(err, "'%s': '%s' is not an IPv6 address", addr,
		    hp->host);
	if (h == addr && strchr(hp->host, ':') != NULL)
		return err_set(err, "'%s' must be HOST:PORT ([ADDRESS] for "
		    "IPv6)", addr);
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end != '\0' || colon[1] == '+' ||
	    colon[1] == '-' || port < 1 || port > 65535)
		return err_set(err, "'%s': port must be 1..65535", addr);
	snprintf(hp->port, sizeof(hp->port), "%ld", port);
	return 0;
}
