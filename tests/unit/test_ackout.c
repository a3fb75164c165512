/*
 * test_ackout.c - unit tests for daemon/ackout.c: credit, delivery, acks,
 * timeouts and the order of redelivery, the bound on what is held, and
 * consumers that send nonsense.  Time is passed in by hand (nanoseconds),
 * so the timeouts are exact.  The random test uses a fixed seed, printed
 * on failure.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ackout.h"
#include "buf.h"
#include "msg.h"

#define MS 1000000ull
#define TIMEOUT (100 * MS)

static struct ackout *
make(size_t cap)
{
	struct ackout_conf conf = { cap, TIMEOUT };
	struct ackout *a = NULL;
	struct err err;

	assert_int_equal(ackout_new(&conf, &a, &err), 0);
	assert_non_null(a);
	return a;
}

static void
put(struct ackout *a, uint64_t seq)
{
	char body[32];
	struct err err;

	snprintf(body, sizeof(body), "body%llu", (unsigned long long)seq);
	assert_int_equal(ackout_put(a, "env", 3, body, strlen(body), seq,
	    &err), 0);
}

/* Send {"credit": credit} and/or {"ack": ack} (-1: leave the key out). */
static int
say(struct ackout *a, const char *id, long long credit, long long ack,
    uint64_t now)
{
	struct buf b;
	struct err err;
	int rc;

	buf_init(&b);
	msg_w_map(&b, (credit >= 0) + (ack >= 0));
	if (credit >= 0) {
		msg_w_str(&b, "credit");
		msg_w_uint(&b, (uint64_t)credit);
	}
	if (ack >= 0) {
		msg_w_str(&b, "ack");
		msg_w_uint(&b, (uint64_t)ack);
	}
	rc = ackout_receive(a, id, strlen(id), b.data, b.len, now, &err);
	buf_release(&b);
	return rc;
}

/* Deliver the next result; check it goes to want_id, return its seq. */
static uint64_t
deliver(struct ackout *a, const char *want_id, uint64_t now)
{
	struct ackout_delivery d;
	char body[32];

	assert_int_equal(ackout_next(a, &d), 0);
	if (d.idlen != strlen(want_id) || memcmp(d.id, want_id, d.idlen))
		fail_msg("delivered to '%.*s', want '%s'", (int)d.idlen,
		    (const char *)d.id, want_id);
	snprintf(body, sizeof(body), "body%llu", (unsigned long long)d.seq);
	assert_int_equal(d.elen, 3);
	assert_memory_equal(d.env, "env", 3);
	assert_int_equal(d.blen, strlen(body));
	assert_memory_equal(d.body, body, d.blen);
	ackout_sent(a, &d, now);
	return d.seq;
}

static struct ackout_counts
counts(const struct ackout *a)
{
	struct ackout_counts c;

	ackout_counts(a, &c);
	return c;
}

static void
test_new_checks_its_conf(void **state)
{
	struct ackout_conf conf = { 0, TIMEOUT };
	struct ackout *a = NULL;
	struct err err;

	(void)state;
	assert_int_equal(ackout_new(&conf, &a, &err), -1);
	assert_string_equal(err.msg, "capacity 0 is out of range 1..16777216");
	conf.cap = ACKOUT_MAX_CAP + 1;
	assert_int_equal(ackout_new(&conf, &a, &err), -1);
	conf.cap = 10;
	conf.timeout_ns = 0;
	assert_int_equal(ackout_new(&conf, &a, &err), -1);
	assert_string_equal(err.msg, "timeout is 0");
	assert_null(a);
	ackout_destroy(&a);	/* NULL is fine */
}

static void
test_nothing_without_credit(void **state)
{
	struct ackout *a = make(10);
	struct ackout_delivery d;

	(void)state;
	put(a, 0);
	assert_int_equal(ackout_next(a, &d), -1);	/* nobody there */
	assert_int_equal(say(a, "c1", 0, -1, 0), 0);	/* credit 0 */
	assert_int_equal(ackout_next(a, &d), -1);
	assert_int_equal(counts(a).consumers, 1);
	assert_int_equal(say(a, "c1", 1, -1, 0), 0);
	assert_int_equal(deliver(a, "c1", 0), 0);
	assert_int_equal(ackout_next(a, &d), -1);	/* nothing queued */
	ackout_destroy(&a);
	assert_null(a);
}

static void
test_credit_bounds_the_window_and_acks_return_it(void **state)
{
	struct ackout *a = make(10);
	struct ackout_delivery d;
	uint64_t i;

	(void)state;
	for (i = 0; i < 6; i++)
		put(a, i);
	assert_int_equal(ackout_room(a), 4);
	assert_int_equal(say(a, "c1", 3, -1, 0), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(deliver(a, "c1", 0), i);
	assert_int_equal(ackout_next(a, &d), -1);	/* window full */
	assert_int_equal(counts(a).unacked, 3);
	assert_int_equal(counts(a).queued, 3);
	assert_int_equal(ackout_room(a), 4);	/* delivered is still held */

	/* Cumulative: acking 1 acknowledges 0 and 1. */
	assert_int_equal(say(a, "c1", -1, 1, 0), 0);
	assert_int_equal(counts(a).acked, 2);
	assert_int_equal(counts(a).unacked, 1);
	assert_int_equal(ackout_room(a), 6);
	assert_int_equal(deliver(a, "c1", 0), 3);
	assert_int_equal(deliver(a, "c1", 0), 4);
	assert_int_equal(ackout_next(a, &d), -1);

	/* A larger window, in the same message as an ack. */
	assert_int_equal(say(a, "c1", 100, 4, 0), 0);
	assert_int_equal(deliver(a, "c1", 0), 5);
	assert_int_equal(say(a, "c1", -1, 5, 0), 0);
	assert_int_equal(counts(a).acked, 6);
	assert_int_equal(ackout_room(a), 10);
	ackout_destroy(&a);
}

static void
test_credit_is_capped_at_the_capacity(void **state)
{
	struct ackout *a = make(4);
	struct ackout_delivery d;
	uint64_t i;

	(void)state;
	assert_int_equal(say(a, "c1", 1000000, -1, 0), 0);
	for (i = 0; i < 4; i++)
		put(a, i);
	for (i = 0; i < 4; i++)
		deliver(a, "c1", 0);
	assert_int_equal(ackout_next(a, &d), -1);
	ackout_destroy(&a);
}

static void
test_round_robin_between_consumers(void **state)
{
	struct ackout *a = make(10);
	uint64_t i;

	(void)state;
	for (i = 0; i < 6; i++)
		put(a, i);
	say(a, "a", 10, -1, 0);
	say(a, "b", 2, -1, 0);
	assert_int_equal(deliver(a, "a", 0), 0);
	assert_int_equal(deliver(a, "b", 0), 1);
	assert_int_equal(deliver(a, "a", 0), 2);
	assert_int_equal(deliver(a, "b", 0), 3);
	/* b's window is full: a takes the rest. */
	assert_int_equal(deliver(a, "a", 0), 4);
	assert_int_equal(deliver(a, "a", 0), 5);
	ackout_destroy(&a);
}

static void
test_the_bound_holds(void **state)
{
	struct ackout *a = make(3);
	struct err err;

	(void)state;
	put(a, 0);
	put(a, 1);
	put(a, 2);
	assert_int_equal(ackout_room(a), 0);
	assert_int_equal(ackout_put(a, "e", 1, "b", 1, 3, &err), -1);
	assert_string_equal(err.msg, "the output holds 3 results, its "
	    "capacity");
	say(a, "c1", 3, -1, 0);
	deliver(a, "c1", 0);
	assert_int_equal(ackout_room(a), 0);	/* unacked still counts */
	say(a, "c1", -1, 0, 0);
	assert_int_equal(ackout_room(a), 1);
	put(a, 3);
	assert_int_equal(ackout_room(a), 0);
	ackout_destroy(&a);
}

static void
test_duplicate_and_unknown_acks_change_nothing(void **state)
{
	struct ackout *a = make(10);
	uint64_t i;

	(void)state;
	for (i = 0; i < 4; i++)
		put(a, i);
	say(a, "a", 2, -1, 0);
	say(a, "b", 2, -1, 0);
	for (i = 0; i < 4; i++)
		deliver(a, i % 2 ? "b" : "a", 0);	/* a: 0, 2; b: 1, 3 */
	assert_int_equal(say(a, "a", -1, 0, 0), 0);
	assert_int_equal(say(a, "a", -1, 0, 0), 0);	/* again */
	assert_int_equal(say(a, "a", -1, 1, 0), 0);	/* b's */
	assert_int_equal(say(a, "a", -1, 99, 0), 0);	/* never sent */
	assert_int_equal(say(a, "x", -1, 2, 0), 0);	/* not x's */
	assert_int_equal(counts(a).unknown_acks, 4);
	assert_int_equal(counts(a).acked, 1);
	assert_int_equal(counts(a).unacked, 3);
	/* "x" registered itself (with no credit) by acking. */
	assert_int_equal(counts(a).consumers, 3);
	assert_int_equal(say(a, "b", -1, 3, 0), 0);
	assert_int_equal(counts(a).acked, 3);
	assert_int_equal(counts(a).unknown_acks, 4);
	ackout_destroy(&a);
}

static void
test_dead_consumer_results_come_back_first_in_order(void **state)
{
	struct ackout *a = make(10);
	struct ackout_delivery d;
	uint64_t i;

	(void)state;
	for (i = 0; i < 6; i++)
		put(a, i);
	say(a, "a", 4, -1, 0);
	for (i = 0; i < 4; i++)
		deliver(a, "a", 10 * MS);	/* 0 1 2 3 */
	say(a, "a", 2, 1, 20 * MS);		/* 0 and 1 done, no more */
	say(a, "b", 10, -1, 20 * MS);
	/* b takes what is queued; a holds 2 and 3. */
	assert_int_equal(deliver(a, "b", 20 * MS), 4);
	assert_int_equal(deliver(a, "b", 20 * MS), 5);

	/* Not yet: a timeout after a's last word is not past. */
	say(a, "b", -1, 5, 110 * MS);
	assert_int_equal(ackout_expire(a, 20 * MS + TIMEOUT), 0);
	assert_int_equal(counts(a).consumers, 2);
	put(a, 6);
	put(a, 7);
	assert_int_equal(ackout_expire(a, 20 * MS + TIMEOUT + 1), 1);
	assert_int_equal(counts(a).dead_consumers, 1);
	assert_int_equal(counts(a).consumers, 1);
	assert_int_equal(counts(a).queued, 4);
	assert_int_equal(counts(a).unacked, 0);

	/* 2 and 3 go first, flagged, then 6 and 7. */
	assert_int_equal(ackout_next(a, &d), 0);
	assert_int_equal(d.seq, 2);
	assert_true(d.again);
	ackout_sent(a, &d, 200 * MS);
	assert_int_equal(ackout_next(a, &d), 0);
	assert_int_equal(d.seq, 3);
	assert_true(d.again);
	ackout_sent(a, &d, 200 * MS);
	assert_int_equal(ackout_next(a, &d), 0);
	assert_int_equal(d.seq, 6);
	assert_false(d.again);
	ackout_sent(a, &d, 200 * MS);
	assert_int_equal(deliver(a, "b", 200 * MS), 7);
	assert_int_equal(counts(a).redelivered, 2);
	assert_int_equal(counts(a).delivered, 10);

	/* The dead one acking late changes nothing; it is new again. */
	assert_int_equal(say(a, "a", -1, 3, 210 * MS), 0);
	assert_int_equal(counts(a).unknown_acks, 1);
	assert_int_equal(counts(a).unacked, 4);
	assert_int_equal(say(a, "b", -1, 7, 210 * MS), 0);
	assert_int_equal(counts(a).acked, 8);
	assert_int_equal(ackout_room(a), 10);
	ackout_destroy(&a);
}

static void
test_a_fresh_delivery_restarts_the_clock(void **state)
{
	struct ackout *a = make(10);

	(void)state;
	say(a, "a", 1, -1, 0);
	put(a, 0);
	deliver(a, "a", TIMEOUT - 1);	/* a has been quiet, but just got it */
	assert_int_equal(ackout_expire(a, TIMEOUT + 1), 0);
	assert_int_equal(ackout_expire(a, 2 * TIMEOUT), 1);
	ackout_destroy(&a);
}

static void
test_idle_consumers_are_forgotten_not_dead(void **state)
{
	struct ackout *a = make(10);
	struct ackout_delivery d;

	(void)state;
	say(a, "a", 5, -1, 0);
	say(a, "b", 5, -1, 50 * MS);
	assert_int_equal(ackout_expire(a, TIMEOUT + 1), 0);
	assert_int_equal(counts(a).consumers, 1);	/* a went, b stays */
	assert_int_equal(counts(a).dead_consumers, 0);
	put(a, 0);
	assert_int_equal(deliver(a, "b", TIMEOUT + 1), 0);
	assert_int_equal(ackout_expire(a, 3 * TIMEOUT), 1);
	assert_int_equal(counts(a).consumers, 0);
	assert_int_equal(ackout_next(a, &d), -1);
	/* Its next message registers it again. */
	assert_int_equal(say(a, "a", 5, -1, 3 * TIMEOUT), 0);
	assert_int_equal(deliver(a, "a", 3 * TIMEOUT), 0);
	ackout_destroy(&a);
}

static void
test_unreachable_consumer_dies_at_once(void **state)
{
	struct ackout *a = make(10);
	struct ackout_delivery d;
	uint64_t i;

	(void)state;
	for (i = 0; i < 3; i++)
		put(a, i);
	say(a, "a", 2, -1, 0);
	deliver(a, "a", 0);
	deliver(a, "a", 0);
	say(a, "a", 3, -1, 0);
	assert_int_equal(ackout_next(a, &d), 0);
	assert_int_equal(d.seq, 2);
	ackout_unreachable(a, &d);
	assert_int_equal(counts(a).dead_consumers, 1);
	assert_int_equal(counts(a).queued, 3);
	say(a, "b", 10, -1, 0);
	assert_int_equal(deliver(a, "b", 0), 0);
	assert_int_equal(deliver(a, "b", 0), 1);
	assert_int_equal(deliver(a, "b", 0), 2);
	assert_int_equal(counts(a).redelivered, 2);
	ackout_destroy(&a);
}

static void
test_garbage_is_counted_and_ignored(void **state)
{
	static const struct {
		const char *what;
		const char *data;
		size_t len;
	} bad[] = {
		{ "empty", "", 0 },
		{ "not msgpack", "\xc1", 1 },
		{ "truncated map", "\x81\xa6" "cre", 5 },
		{ "an integer", "\x05", 1 },
		{ "an array", "\x91\x05", 2 },
		{ "empty map", "\x80", 1 },
		{ "other key", "\x81\xa3" "cmd" "\x05", 6 },
		{ "negative credit", "\x81\xa6" "credit" "\xff", 9 },
		{ "string ack", "\x81\xa3" "ack" "\xa1" "5", 7 },
		{ "float credit", "\x81\xa6" "credit" "\xca\x3f\x80\x00\x00",
		    13 },
		{ "trailing bytes", "\x81\xa3" "ack" "\x05\x00", 7 },
		{ "nil credit", "\x81\xa6" "credit" "\xc0", 9 },
	};
	struct ackout *a = make(10);
	struct ackout_delivery d;
	char longid[ACKOUT_MAX_ID + 1];
	struct err err;
	size_t i;

	(void)state;
	put(a, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ackout_receive(a, "g", 1, bad[i].data, bad[i].len, 0,
		    &err) != -1)
			fail_msg("'%s' was taken", bad[i].what);
	assert_string_equal(err.msg, "not a msgpack map with \"credit\" or "
	    "\"ack\" as a non-negative integer (9 bytes)");
	memset(longid, 'x', sizeof(longid));
	assert_int_equal(ackout_receive(a, longid, sizeof(longid),
	    "\x81\xa3" "ack" "\x05", 6, 0, &err), -1);
	assert_int_equal(ackout_receive(a, "", 0, "\x81\xa3" "ack" "\x05", 6,
	    0, &err), -1);
	assert_int_equal(counts(a).bad_messages,
	    sizeof(bad) / sizeof(bad[0]) + 2);
	assert_int_equal(counts(a).consumers, 0);
	assert_int_equal(ackout_next(a, &d), -1);
	/* A valid message with another key beside is fine. */
	assert_int_equal(ackout_receive(a, "g", 1,
	    "\x82\xa1" "x" "\xc0\xa6" "credit" "\x01", 12, 0, &err), 0);
	assert_int_equal(deliver(a, "g", 0), 0);
	ackout_destroy(&a);
}

static void
test_too_many_consumers_are_refused(void **state)
{
	struct ackout *a = make(10);
	char id[16];
	struct err err;
	int i;

	(void)state;
	for (i = 0; i < ACKOUT_MAX_CONSUMERS; i++) {
		snprintf(id, sizeof(id), "c%d", i);
		assert_int_equal(say(a, id, 1, -1, 0), 0);
	}
	assert_int_equal(ackout_receive(a, "late", 4, "\x81\xa3" "ack" "\x05",
	    6, 0, &err), -1);
	assert_string_equal(err.msg, "already 256 consumers");
	assert_int_equal(counts(a).refused, 1);
	/* Known ones still talk; once one goes, a new one fits. */
	assert_int_equal(say(a, "c7", 1, -1, 10 * MS), 0);
	ackout_expire(a, TIMEOUT + 1);
	assert_int_equal(counts(a).consumers, 1);
	assert_int_equal(say(a, "late", 1, -1, TIMEOUT + 2), 0);
	put(a, 0);
	put(a, 1);
	put(a, 2);
	/* Credit 1 each: one result to each of the two. */
	deliver(a, "late", TIMEOUT + 2);
	deliver(a, "c7", TIMEOUT + 2);
	assert_int_equal(counts(a).queued, 1);
	ackout_destroy(&a);
}

/*
 * Random operations on a few consumers; whatever happens, every result is
 * held exactly once (queued, or in one window) or acknowledged, and every
 * seq put is eventually acknowledged once the consumers behave.
 */
static void
test_random_conservation(void **state)
{
	enum { CAP = 16, NCONS = 4, STEPS = 20000 };
	const unsigned seed = 4242;
	struct ackout *a = make(CAP);
	/* What each consumer was handed and not yet acked, in order. */
	uint64_t held[NCONS][CAP];
	int nheld[NCONS] = { 0 };
	static int acked[STEPS];
	uint64_t now = 0, next_seq = 0, nacked = 0, k;
	struct ackout_counts c;
	struct ackout_delivery d;
	char id[8];
	int step, i, j;

	(void)state;
	srand(seed);
	for (step = 0; step < STEPS; step++) {
		int r = rand() % 10, who = rand() % NCONS;

		snprintf(id, sizeof(id), "c%d", who);
		now += MS;
		if (r < 3 && ackout_room(a) > 0) {
			put(a, next_seq++);
		} else if (r < 6) {
			say(a, id, rand() % 6, -1, now);
		} else if (r < 8 && nheld[who] > 0) {
			j = rand() % nheld[who];
			say(a, id, -1, (long long)held[who][j], now);
			for (i = 0; i <= j; i++) {
				if (acked[held[who][i]]++)
					fail_msg("seed %u: seq %llu acked "
					    "twice", seed, (unsigned long long)
					    held[who][i]);
				nacked++;
			}
			memmove(held[who], held[who] + j + 1,
			    (size_t)(nheld[who] - j - 1) * sizeof(uint64_t));
			nheld[who] -= j + 1;
		} else if (r < 9) {
			if (ackout_next(a, &d) == 0) {
				int w = ((const char *)d.id)[1] - '0';

				ackout_sent(a, &d, now);
				held[w][nheld[w]++] = d.seq;
			}
		} else {
			/* Time passes: some consumers may die. */
			now += TIMEOUT / 2;
			ackout_expire(a, now);
		}
		ackout_counts(a, &c);
		if (c.queued + c.unacked + ackout_room(a) != CAP ||
		    c.acked != nacked)
			fail_msg("seed %u step %d: queued %llu unacked %llu "
			    "room %zu acked %llu/%llu", seed, step,
			    (unsigned long long)c.queued,
			    (unsigned long long)c.unacked, ackout_room(a),
			    (unsigned long long)c.acked,
			    (unsigned long long)nacked);
		/*
		 * Some consumers died: each one acks all it holds; for the
		 * dead ones that ack is unknown, and what they held is queued
		 * again.
		 */
		if (c.unacked < (uint64_t)(nheld[0] + nheld[1] + nheld[2] +
		    nheld[3]))
			for (i = 0; i < NCONS; i++) {
				uint64_t probe;

				if (nheld[i] == 0)
					continue;
				snprintf(id, sizeof(id), "c%d", i);
				probe = c.unknown_acks;
				say(a, id, -1, (long long)held[i][nheld[i] -
				    1], now);
				ackout_counts(a, &c);
				if (c.unknown_acks != probe) {
					nheld[i] = 0;
					continue;
				}
				for (j = 0; j < nheld[i]; j++) {
					if (acked[held[i][j]]++)
						fail_msg("seed %u: seq %llu "
						    "acked twice", seed,
						    (unsigned long long)
						    held[i][j]);
					nacked++;
				}
				nheld[i] = 0;
			}
	}
	/* Let one consumer take and ack everything left. */
	for (i = 0; i < NCONS; i++) {
		snprintf(id, sizeof(id), "c%d", i);
		for (j = 0; j < nheld[i]; j++)
			acked[held[i][j]]++, nacked++;
		if (nheld[i] > 0)
			say(a, id, 0, (long long)held[i][nheld[i] - 1], now);
		nheld[i] = 0;
	}
	say(a, "final", CAP, -1, now);
	while (ackout_next(a, &d) == 0) {
		k = d.seq;
		ackout_sent(a, &d, now);
		say(a, "final", -1, (long long)k, now);
		acked[k]++;
		nacked++;
	}
	ackout_counts(a, &c);
	if (c.queued != 0 || c.unacked != 0 || ackout_room(a) != CAP)
		fail_msg("seed %u: %llu queued, %llu unacked at the end", seed,
		    (unsigned long long)c.queued,
		    (unsigned long long)c.unacked);
	/* The run did exercise deaths and redeliveries. */
	assert_true(c.dead_consumers > 10 && c.redelivered > 10);
	assert_true(next_seq > 1000);
	for (k = 0; k < next_seq; k++)
		if (acked[k] != 1)
			fail_msg("seed %u: seq %llu acked %d times", seed,
			    (unsigned long long)k, acked[k]);
	ackout_destroy(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_checks_its_conf),
		cmocka_unit_test(test_nothing_without_credit),
		cmocka_unit_test(test_credit_bounds_the_window_and_acks_return_it),
		cmocka_unit_test(test_credit_is_capped_at_the_capacity),
		cmocka_unit_test(test_round_robin_between_consumers),
		cmocka_unit_test(test_the_bound_holds),
		cmocka_unit_test(test_duplicate_and_unknown_acks_change_nothing),
		cmocka_unit_test(test_dead_consumer_results_come_back_first_in_order),
		cmocka_unit_test(test_a_fresh_delivery_restarts_the_clock),
		cmocka_unit_test(test_idle_consumers_are_forgotten_not_dead),
		cmocka_unit_test(test_unreachable_consumer_dies_at_once),
		cmocka_unit_test(test_garbage_is_counted_and_ignored),
		cmocka_unit_test(test_too_many_consumers_are_refused),
		cmocka_unit_test(test_random_conservation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
