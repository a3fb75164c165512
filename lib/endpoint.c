/*
 * endpoint.c - "@bind" / ">connect" endpoint lists on ZeroMQ sockets.
 */
#include <string.h>

#include <zmq.h>

#include "endpoint.h"

#define ENDPOINT_MAX 512

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
