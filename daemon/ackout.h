/*
 * ackout.h - the bookkeeping of the acknowledged output (output.type =
 * ack): results waiting for a consumer, consumers and their credit, the
 * results each consumer holds unacknowledged, and what goes back to the
 * queue when a consumer dies.  No sockets here: server.c receives the
 * consumers' messages and sends what ackout_next chooses, so that the unit
 * tests can drive every case.
 *
 * A consumer is known by its ZeroMQ routing identity (the ROUTER's name for
 * one DEALER connection).  It grants credit with {"credit": N}: the number
 * of results it may hold unacknowledged (absolute, not added).  It
 * acknowledges with {"ack": S}: every result delivered to it up to and
 * including the one whose "seq" is S, in the order they were delivered
 * (cumulative).  Both keys may come in one map; any valid message also
 * says that the consumer is alive.  A consumer that holds unacknowledged
 * results and says nothing for the timeout (counted from its last message,
 * or from the delivery of the oldest result it holds if that came later)
 * is dead: its results go back to the front of the queue, oldest first,
 * for the next consumer with credit.
 * A consumer that holds nothing and says nothing for the timeout is
 * forgotten (it is registered again by its next message).
 *
 * Delivery is therefore at least once: a result keeps its "seq" when it is
 * delivered again.  The results held (queued + unacknowledged) never exceed
 * the capacity; the caller checks ackout_room before ackout_put.
 */
#ifndef NC_ACKOUT_H
#define NC_ACKOUT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Consumers known at once; more are refused until some go. */
#define ACKOUT_MAX_CONSUMERS 256
/* ZeroMQ routing identities are 1..255 bytes. */
#define ACKOUT_MAX_ID 255
/* Largest capacity (results held). */
#define ACKOUT_MAX_CAP (1u << 24)

struct ackout;

struct ackout_conf {
	size_t cap;		/* results held: queued + unacknowledged */
	uint64_t timeout_ns;	/* silence that makes a consumer dead */
};

struct ackout_counts {
	uint64_t queued;	/* results waiting for a consumer, now */
	uint64_t unacked;	/* delivered, not yet acknowledged, now */
	uint64_t consumers;	/* known consumers, now */
	uint64_t delivered;	/* deliveries, first ones and again */
	uint64_t acked;		/* results acknowledged */
	uint64_t redelivered;	/* deliveries of a result delivered before */
	uint64_t dead_consumers;	/* timed out or unreachable */
	uint64_t bad_messages;	/* consumer messages ignored as garbage */
	uint64_t unknown_acks;	/* acks of nothing that consumer holds */
	uint64_t refused;	/* messages of new consumers beyond the max */
};

/*
 * One delivery chosen by ackout_next: send [id][env][body] to the ROUTER,
 * then report it with ackout_sent (or ackout_unreachable).  The pointers
 * stay valid until the next call that changes the ackout.
 */
struct ackout_delivery {
	const void *id;
	size_t idlen;
	const void *env;
	size_t elen;
	const void *body;
	size_t blen;
	uint64_t seq;
	int again;		/* delivered before, to a consumer now dead */
	uint32_t consumer;	/* private to ackout */
	uint32_t item;		/* private to ackout */
};

/*
 * A new, empty ackout.  Returns 0 with *out set (free it with
 * ackout_destroy), or -1 with a reason: a capacity of 0 or above
 * ACKOUT_MAX_CAP, a timeout of 0.
 */
int ackout_new(const struct ackout_conf *conf, struct ackout **out,
    struct err *err);

/* Free everything it holds; NULLs *ap.  NULL is allowed. */
void ackout_destroy(struct ackout **ap);

/* How many more results ackout_put takes now. */
size_t ackout_room(const struct ackout *a);

/*
 * Queue a result (copied) at the back.  Returns 0, or -1 with a reason if
 * there is no room (nothing changes then).
 */
int ackout_put(struct ackout *a, const void *env, size_t elen,
    const void *body, size_t blen, uint64_t seq, struct err *err);

/*
 * Handle one message from consumer id (one frame), received at now_ns.
 * Returns 0 if it was a valid control message (an ack of something the
 * consumer does not hold is valid, counted in unknown_acks and otherwise
 * ignored), or -1 with a reason if it was ignored: not a msgpack map with
 * "credit" or "ack" as a non-negative integer (bad_messages), or a new
 * consumer beyond ACKOUT_MAX_CONSUMERS (refused).  Never fails otherwise.
 */
int ackout_receive(struct ackout *a, const void *id, size_t idlen,
    const void *data, size_t len, uint64_t now_ns, struct err *err);

/*
 * The next delivery: the result at the front of the queue to the next
 * consumer (round robin) with free credit.  Returns 0 with *d filled, or
 * -1 if nothing is queued or no consumer has credit.  Nothing changes
 * until ackout_sent or ackout_unreachable, except the round-robin turn.
 */
int ackout_next(struct ackout *a, struct ackout_delivery *d);

/* d was sent at now_ns: the result joins its consumer's unacked window. */
void ackout_sent(struct ackout *a, const struct ackout_delivery *d,
    uint64_t now_ns);

/*
 * d's consumer is gone (the ROUTER has no such peer): it is dead, its
 * unacknowledged results go back to the front of the queue, and d's
 * result stays queued.
 */
void ackout_unreachable(struct ackout *a, const struct ackout_delivery *d);

/*
 * Declare dead every consumer that holds unacknowledged results and has
 * been silent for the timeout at now_ns (their results go back to the
 * front of the queue), and forget the silent ones that hold nothing.
 * Returns how many died.
 */
size_t ackout_expire(struct ackout *a, uint64_t now_ns);

/* The counters and current sizes. */
void ackout_counts(const struct ackout *a, struct ackout_counts *c);

#endif
