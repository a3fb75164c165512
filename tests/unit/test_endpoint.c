/*
 * test_endpoint.c - unit tests for endpoint specs (lib/endpoint.c): the
 * syntax check, binding / connecting real ZeroMQ sockets on ipc://
 * endpoints in a temporary directory, and which tcp addresses are
 * loopback.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

#include "endpoint.h"

static char tmpdir[64];
static void *ctx;

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_ep.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	ctx = zmq_ctx_new();
	return ctx == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	zmq_ctx_term(ctx);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
good(const char *spec)
{
	struct err err;

	err.msg[0] = '\0';
	if (endpoint_check(spec, &err) != 0)
		fail_msg("'%s' refused: %s", spec, err.msg);
}

static void
bad(const char *spec, const char *want)
{
	struct err err;

	err.msg[0] = '\0';
	if (endpoint_check(spec, &err) != -1)
		fail_msg("'%s' accepted", spec);
	if (strstr(err.msg, want) == NULL)
		fail_msg("'%s': '%s' lacks '%s'", spec, err.msg, want);
}

static void
test_check(void **state)
{
	char big[600];

	(void)state;
	good("@tcp://127.0.0.1:5557");
	good(">tcp://127.0.0.1:5557");
	good("tcp://127.0.0.1:5557");
	good(">ipc:///tmp/x");
	good("@ipc://relative.sock");
	good("@inproc://name");
	good("@tcp://*:5557,>ipc:///tmp/x,inproc://y");

	bad("", "empty endpoint");
	bad("tcp://", "endpoint 'tcp://' has no address");
	bad("@tcp://", "endpoint '@tcp://' has no address");
	bad(">ipc://", "has no address");
	bad("inproc://", "has no address");
	bad("udp://x", "endpoint 'udp://x' must be tcp://, ipc:// or inproc://");
	bad("@udp://x", "must be tcp://");
	bad("tcp:/x", "must be tcp://");
	bad("TCP://x", "must be tcp://");
	bad("@", "must be tcp://");
	bad("@@tcp://x:1", "must be tcp://");
	bad("127.0.0.1:5557", "must be tcp://");
	bad("a,,b", "endpoint 'a' must be tcp://");
	bad("@tcp://a:1,,@tcp://b:2", "bad endpoint list");
	bad(",@tcp://a:1", "bad endpoint list");
	bad("@tcp://a:1,", "bad endpoint list");
	bad(",", "bad endpoint list");
	bad("@tcp://a:1,udp://b", "endpoint 'udp://b'");
	bad("@tcp://a:1,tcp://", "endpoint 'tcp://' has no address");

	/* An item of 511 bytes fits, 512 does not. */
	memset(big, 'h', sizeof(big));
	memcpy(big, "tcp://", 6);
	big[511] = '\0';
	good(big);
	big[511] = 'h';
	big[512] = '\0';
	bad(big, "bad endpoint list");
}

static void
transfer(void *from, void *to, const char *text)
{
	char got[64];
	int n;

	assert_int_equal(zmq_send(from, text, strlen(text), 0),
	    (int)strlen(text));
	n = zmq_recv(to, got, sizeof(got), 0);
	assert_int_equal(n, (int)strlen(text));
	assert_memory_equal(got, text, (size_t)n);
}

static void *
sock(int type)
{
	void *s = zmq_socket(ctx, type);
	int linger = 0, timeo = 5000;

	assert_non_null(s);
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeo, sizeof(timeo));
	return s;
}

static void
test_attach(void **state)
{
	void *pull = sock(ZMQ_PULL), *push = sock(ZMQ_PUSH);
	struct err err;
	char spec[256], path[160];

	(void)state;
	/* "@" binds whatever the default says. */
	snprintf(spec, sizeof(spec), "@ipc://%s/a.sock", tmpdir);
	if (endpoint_attach(pull, spec, 0, &err) != 0)
		fail_msg("bind: %s", err.msg);
	snprintf(path, sizeof(path), "%s/a.sock", tmpdir);
	assert_int_equal(access(path, F_OK), 0);
	/* ">" connects whatever the default says. */
	snprintf(spec, sizeof(spec), ">ipc://%s/a.sock", tmpdir);
	if (endpoint_attach(push, spec, 1, &err) != 0)
		fail_msg("connect: %s", err.msg);
	transfer(push, pull, "hello");
	zmq_close(push);
	zmq_close(pull);

	/* Plain endpoints follow default_bind; lists attach every item. */
	pull = sock(ZMQ_PULL);
	snprintf(spec, sizeof(spec), "ipc://%s/b.sock,ipc://%s/c.sock", tmpdir,
	    tmpdir);
	if (endpoint_attach(pull, spec, 1, &err) != 0)
		fail_msg("bind list: %s", err.msg);
	push = sock(ZMQ_PUSH);
	snprintf(spec, sizeof(spec), "ipc://%s/c.sock", tmpdir);
	if (endpoint_attach(push, spec, 0, &err) != 0)
		fail_msg("connect c: %s", err.msg);
	transfer(push, pull, "via c");
	zmq_close(push);
	push = sock(ZMQ_PUSH);
	snprintf(spec, sizeof(spec), "ipc://%s/b.sock", tmpdir);
	if (endpoint_attach(push, spec, 0, &err) != 0)
		fail_msg("connect b: %s", err.msg);
	transfer(push, pull, "via b");
	zmq_close(push);

	/* Binding the same address twice fails with zmq's reason. */
	push = sock(ZMQ_PUSH);
	snprintf(spec, sizeof(spec), "@inproc://dup");
	assert_int_equal(endpoint_attach(push, spec, 0, &err), 0);
	err.msg[0] = '\0';
	assert_int_equal(endpoint_attach(pull, spec, 0, &err), -1);
	assert_non_null(strstr(err.msg, "cannot bind 'inproc://dup'"));
	zmq_close(push);

	/* A directory that does not exist. */
	snprintf(spec, sizeof(spec), "@ipc://%s/no/such/dir/x.sock", tmpdir);
	err.msg[0] = '\0';
	assert_int_equal(endpoint_attach(pull, spec, 0, &err), -1);
	assert_non_null(strstr(err.msg, "cannot bind"));
	assert_non_null(strstr(err.msg, "no/such/dir"));

	/* A tcp endpoint without a port cannot be connected to. */
	err.msg[0] = '\0';
	assert_int_equal(endpoint_attach(pull, ">tcp://localhost", 0, &err),
	    -1);
	assert_non_null(strstr(err.msg, "cannot connect to 'tcp://localhost'"));

	/* Syntax errors are found before anything is attached. */
	err.msg[0] = '\0';
	snprintf(spec, sizeof(spec), "@ipc://%s/d.sock,udp://x", tmpdir);
	assert_int_equal(endpoint_attach(pull, spec, 1, &err), -1);
	assert_non_null(strstr(err.msg, "udp://x"));
	snprintf(path, sizeof(path), "%s/d.sock", tmpdir);
	assert_int_equal(access(path, F_OK), -1);
	zmq_close(pull);
}

static void
test_loopback(void **state)
{
	static const char *const yes[] = {
		"tcp://127.0.0.1:1", "@tcp://127.255.0.9:1", ">tcp://[::1]:1",
		"tcp://::1:1", "tcp://localhost:1", "tcp://LocalHost:*",
		"tcp://[::ffff:127.0.0.2]:1", "tcp://[0:0:0:0:0:0:0:1]:1",
		"tcp://eth0;127.0.0.1:1", "tcp://[::1%lo]:1",
	};
	static const char *const no[] = {
		"tcp://*:1", "tcp://0.0.0.0:1", "tcp://[::]:1", "tcp://::1",
		"tcp://128.0.0.1:1", "tcp://10.0.0.1:1", "tcp://eth0:1",
		"tcp://lo:1", "tcp://localhost.example.com:1",
		"tcp://127.0.0.1;10.0.0.1:1", "tcp://[::ffff:10.0.0.1]:1",
		"tcp://:1", "tcp://[]:1", "ipc:///tmp/127.0.0.1:1",
		"tcp://127.0.0.1.example.com:1", "tcp://0x7f000001:1",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!endpoint_is_loopback(yes[i]))
			fail_msg("'%s' is loopback", yes[i]);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (endpoint_is_loopback(no[i]))
			fail_msg("'%s' is not loopback", no[i]);
}

static void
test_tcp_scan(void **state)
{
	struct endpoint_tcp t;
	struct err err;

	(void)state;
	assert_int_equal(endpoint_tcp_scan("@tcp://127.0.0.1:1,>tcp://a:2,"
	    "tcp://*:3,@ipc:///x,>inproc://y", 1, &t, &err), 0);
	assert_int_equal(t.binds, 2);
	assert_int_equal(t.connects, 1);
	assert_string_equal(t.exposed, ">tcp://a:2");
	/* The default applies to plain endpoints only. */
	assert_int_equal(endpoint_tcp_scan("tcp://127.0.0.1:1,@tcp://[::1]:2",
	    0, &t, &err), 0);
	assert_int_equal(t.binds, 1);
	assert_int_equal(t.connects, 1);
	assert_string_equal(t.exposed, "");
	assert_int_equal(endpoint_tcp_scan("@ipc:///x", 1, &t, &err), 0);
	assert_int_equal(t.binds + t.connects, 0);
	err.msg[0] = '\0';
	assert_int_equal(endpoint_tcp_scan("@tcp://a:1,udp://b", 1, &t, &err),
	    -1);
	assert_non_null(strstr(err.msg, "udp://b"));
}

static void
hostport_good(const char *addr, const char *host, const char *port)
{
	struct endpoint_hostport hp;
	struct err err;

	err.msg[0] = '\0';
	if (endpoint_hostport_parse(addr, &hp, &err) != 0)
		fail_msg("'%s' refused: %s", addr, err.msg);
	assert_string_equal(hp.host, host);
	assert_string_equal(hp.port, port);
}

static void
test_hostport(void **state)
{
	static const char *const bad[] = {
		"", "9101", ":9101", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0",
		"127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:+80",
		"127.0.0.1:80x", "::1:9101", "[::1:9101", "[]:9101",
		"[localhost]:9101", "[::1]x:9101",
	};
	struct endpoint_hostport hp;
	struct err err;
	size_t i;

	(void)state;
	hostport_good("127.0.0.1:9101", "127.0.0.1", "9101");
	hostport_good("[::1]:1", "::1", "1");
	hostport_good("localhost:65535", "localhost", "65535");
	hostport_good("*:80", "*", "80");
	hostport_good("0.0.0.0:0080", "0.0.0.0", "80");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.msg[0] = '\0';
		if (endpoint_hostport_parse(bad[i], &hp, &err) != -1)
			fail_msg("'%s' accepted", bad[i]);
		assert_non_null(strstr(err.msg, bad[i]));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_attach),
		cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_tcp_scan),
		cmocka_unit_test(test_hostport),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
