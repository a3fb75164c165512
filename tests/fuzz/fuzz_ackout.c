/*
 * fuzz_ackout.c - libFuzzer target for the acknowledged output's
 * bookkeeping (daemon/ackout.c), driven the way consumers and the daemon
 * drive it.
 *
 * The input is a program: each byte picks an operation (queue a result,
 * a consumer message - raw bytes, a credit or an ack -, deliver, lose a
 * consumer, let time pass) and the bytes after it are its arguments.  The
 * consumers' messages are the part nobody controls; the invariants are
 * the ones the daemon relies on: the results held never exceed the
 * capacity, every result queued is either still held or acknowledged, and
 * nothing is acknowledged that was not delivered.  A crash, a sanitizer
 * report or a broken invariant (abort) is a finding.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ackout.h"

#define CAP 8
#define TIMEOUT_NS 1000000000ULL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct prog {
	const uint8_t *p;
	size_t n;
};

static int
next_byte(struct prog *g, uint8_t *b)
{
	if (g->n == 0)
		return 0;
	*b = *g->p++;
	g->n--;
	return 1;
}

static void
check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_ackout: %s\n", what);
		abort();
	}
}

/* {"<key>": v} in msgpack, v < 2^16. */
static size_t
map_uint(uint8_t *out, const char *key, unsigned v)
{
	size_t k = strlen(key), n = 0;

	out[n++] = 0x81;
	out[n++] = (uint8_t)(0xa0 | k);
	memcpy(out + n, key, k);
	n += k;
	if (v < 128) {
		out[n++] = (uint8_t)v;
	} else {
		out[n++] = 0xcd;
		out[n++] = (uint8_t)(v >> 8);
		out[n++] = (uint8_t)v;
	}
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ackout_conf conf = { CAP, TIMEOUT_NS };
	struct prog g = { data, size };
	struct ackout *a = NULL;
	struct ackout_delivery d;
	struct ackout_counts c;
	struct err err;
	uint64_t now = 1, seq = 0, put = 0;
	uint8_t op, arg, id, msg[64] = { 0 };
	size_t len;

	check(ackout_new(&conf, &a, &err) == 0, err.msg);
	while (next_byte(&g, &op)) {
		if (!next_byte(&g, &arg))
			arg = 0;
		id = (uint8_t)('a' + (arg & 3));
		switch (op % 7) {
		case 0:		/* the workers' next result */
			if (ackout_room(a) > 0) {
				check(ackout_put(a, "env", 3, &seq, sizeof(seq),
				    seq, &err) == 0, err.msg);
				seq++;
				put++;
			} else {
				check(ackout_put(a, "env", 3, "x", 1, seq,
				    &err) == -1, "put beyond the capacity");
			}
			break;
		case 1:		/* raw bytes from a consumer */
			len = arg % sizeof(msg);
			len = len < g.n ? len : g.n;
			memcpy(msg, g.p, len);
			g.p += len;
			g.n -= len;
			ackout_receive(a, &id, 1, msg, len, now, &err);
			break;
		case 2:		/* credit */
			len = map_uint(msg, "credit", arg >> 2);
			ackout_receive(a, &id, 1, msg, len, now, &err);
			break;
		case 3:		/* an ack of a seq near the latest */
			len = map_uint(msg, "ack", (unsigned)(seq >= (arg >> 2) ?
			    seq - (arg >> 2) : 0));
			ackout_receive(a, &id, 1, msg, len, now, &err);
			break;
		case 4:		/* the main loop delivers */
			if (ackout_next(a, &d) == 0) {
				check(d.seq < seq, "delivery of an unknown seq");
				if (arg & 1)
					ackout_sent(a, &d, now);
				else if ((arg & 6) == 0)
					ackout_unreachable(a, &d);
			}
			break;
		case 5:		/* time passes */
			now += (uint64_t)arg * (TIMEOUT_NS / 64);
			ackout_expire(a, now);
			break;
		default:	/* a long identity, or an empty one */
			ackout_receive(a, msg, arg & 1 ? 0 : sizeof(msg),
			    "\x81\xa6" "credit" "\x01", 9, now, &err);
			break;
		}
		ackout_counts(a, &c);
		check(c.queued + c.unacked <= CAP, "more held than the capacity");
		check(c.queued + c.unacked + c.acked == put,
		    "a result neither held nor acknowledged");
		check(c.acked <= c.delivered, "acknowledged, never delivered");
		check(ackout_room(a) == CAP - c.queued - c.unacked,
		    "room does not match what is held");
	}
	ackout_destroy(&a);
	return 0;
}
