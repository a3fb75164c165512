/*
 * ackout.c - queue, consumers and unacknowledged windows of the
 * acknowledged output (see ackout.h for the protocol).
 *
 * Every result held lives in one slot of a fixed array of conf.cap slots,
 * allocated once; a slot is on exactly one list at a time: the free list,
 * the queue (results waiting for a consumer) or the window of one consumer
 * (delivered, unacknowledged, in delivery order).  Lists are intrusive and
 * doubly linked by slot index, so moving a consumer's window back to the
 * front of the queue is O(window) and allocates nothing.  Slots keep their
 * buffers when freed (a result is 1-3 kB), except above MSG_KEEP_BYTES, so
 * a steady stream allocates nothing here.
 *
 * Consumers are a fixed table of ACKOUT_MAX_CONSUMERS, searched linearly
 * by identity: a deployment has a handful of consumers, and a consumer's
 * messages are one per batch of results, not one per result.
 *
 * Invariants: queue.n + sum of windows' n + free.n == cap; a consumer's
 * window holds no more than its credit at the time of each delivery.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "ackout.h"
#include "buf.h"
#include "msg.h"
#include "xalloc.h"

#define NONE UINT32_MAX

struct list {
	uint32_t head, tail;
	size_t n;
};

struct item {
	struct buf env, body;
	uint64_t seq;
	uint64_t t_sent_ns;
	uint32_t next, prev;
	uint32_t deliveries;
};

struct consumer {
	int used;
	uint8_t idlen;
	unsigned char id[ACKOUT_MAX_ID];
	uint64_t credit;
	uint64_t last_heard_ns;
	struct list win;
};

struct ackout {
	struct ackout_conf conf;
	struct item *items;
	struct list free, queue;
	struct consumer cons[ACKOUT_MAX_CONSUMERS];
	uint32_t ncons_hw;	/* cons[ncons_hw..] are all unused */
	uint32_t rr;		/* next consumer to try */
	struct ackout_counts n;
};

/* ---- lists of slots ---- */

static void
list_init(struct list *l)
{
	l->head = l->tail = NONE;
	l->n = 0;
}

static void
list_push_back(struct ackout *a, struct list *l, uint32_t i)
{
	struct item *it = &a->items[i];

	it->next = NONE;
	it->prev = l->tail;
	if (l->tail != NONE)
		a->items[l->tail].next = i;
	else
		l->head = i;
	l->tail = i;
	l->n++;
}

static void
list_push_front(struct ackout *a, struct list *l, uint32_t i)
{
	struct item *it = &a->items[i];

	it->prev = NONE;
	it->next = l->head;
	if (l->head != NONE)
		a->items[l->head].prev = i;
	else
		l->tail = i;
	l->head = i;
	l->n++;
}

static uint32_t
list_pop_front(struct ackout *a, struct list *l)
{
	uint32_t i = l->head;

	if (i == NONE)
		return NONE;
	l->head = a->items[i].next;
	if (l->head != NONE)
		a->items[l->head].prev = NONE;
	else
		l->tail = NONE;
	l->n--;
	return i;
}

static void
item_free(struct ackout *a, uint32_t i)
{
	struct item *it = &a->items[i];

	if (it->env.cap > MSG_KEEP_BYTES)
		buf_release(&it->env);
	if (it->body.cap > MSG_KEEP_BYTES)
		buf_release(&it->body);
	buf_reset(&it->env);
	buf_reset(&it->body);
	list_push_back(a, &a->free, i);
}

/* ---- life ---- */

int
ackout_new(const struct ackout_conf *conf, struct ackout **out,
    struct err *err)
{
	struct ackout *a;
	uint32_t i;

	if (conf->cap == 0 || conf->cap > ACKOUT_MAX_CAP)
		return err_set(err, "capacity %zu is out of range 1..%u",
		    conf->cap, ACKOUT_MAX_CAP);
	if (conf->timeout_ns == 0)
		return err_set(err, "timeout is 0");
	a = xcalloc(1, sizeof(*a));
	a->conf = *conf;
	a->items = xcalloc(conf->cap, sizeof(*a->items));
	list_init(&a->free);
	list_init(&a->queue);
	for (i = 0; i < conf->cap; i++) {
		buf_init(&a->items[i].env);
		buf_init(&a->items[i].body);
		list_push_back(a, &a->free, i);
	}
	*out = a;
	return 0;
}

void
ackout_destroy(struct ackout **ap)
{
	struct ackout *a = *ap;
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->conf.cap; i++) {
		buf_release(&a->items[i].env);
		buf_release(&a->items[i].body);
	}
	free(a->items);
	free(a);
	*ap = NULL;
}

size_t
ackout_room(const struct ackout *a)
{
	return a->free.n;
}

int
ackout_put(struct ackout *a, const void *env, size_t elen, const void *body,
    size_t blen, uint64_t seq, struct err *err)
{
	struct item *it;
	uint32_t i;

	if ((i = list_pop_front(a, &a->free)) == NONE)
		return err_set(err, "the output holds %zu results, its "
		    "capacity", a->conf.cap);
	it = &a->items[i];
	buf_add(&it->env, env, elen);
	buf_add(&it->body, body, blen);
	it->seq = seq;
	it->deliveries = 0;
	it->t_sent_ns = 0;
	list_push_back(a, &a->queue, i);
	return 0;
}

/* ---- consumers ---- */

static struct consumer *
consumer_find(struct ackout *a, const void *id, size_t idlen)
{
	uint32_t c;

	for (c = 0; c < a->ncons_hw; c++)
		if (a->cons[c].used && a->cons[c].idlen == idlen &&
		    memcmp(a->cons[c].id, id, idlen) == 0)
			return &a->cons[c];
	return NULL;
}

static struct consumer *
consumer_add(struct ackout *a, const void *id, size_t idlen)
{
	struct consumer *c;
	uint32_t i;

	for (i = 0; i < ACKOUT_MAX_CONSUMERS; i++)
		if (!a->cons[i].used)
			break;
	if (i == ACKOUT_MAX_CONSUMERS)
		return NULL;
	c = &a->cons[i];
	memset(c, 0, sizeof(*c));
	c->used = 1;
	c->idlen = (uint8_t)idlen;
	memcpy(c->id, id, idlen);
	list_init(&c->win);
	if (i >= a->ncons_hw)
		a->ncons_hw = i + 1;
	a->n.consumers++;
	return c;
}

static void
consumer_remove(struct ackout *a, struct consumer *c)
{
	c->used = 0;
	a->n.consumers--;
	while (a->ncons_hw > 0 && !a->cons[a->ncons_hw - 1].used)
		a->ncons_hw--;
}

/*
 * c is dead: its window goes back to the front of the queue in delivery
 * order (the oldest first), and it is forgotten.
 */
static void
consumer_die(struct ackout *a, struct consumer *c)
{
	while (c->win.n > 0) {
		uint32_t i = c->win.tail;

		c->win.tail = a->items[i].prev;
		if (c->win.tail != NONE)
			a->items[c->win.tail].next = NONE;
		else
			c->win.head = NONE;
		c->win.n--;
		a->n.unacked--;
		list_push_front(a, &a->queue, i);
	}
	a->n.dead_consumers++;
	consumer_remove(a, c);
}

/* Acknowledge c's window up to the result with this seq, if it is there. */
static void
consumer_ack(struct ackout *a, struct consumer *c, uint64_t seq)
{
	uint32_t i;

	for (i = c->win.head; i != NONE; i = a->items[i].next)
		if (a->items[i].seq == seq)
			break;
	if (i == NONE) {
		a->n.unknown_acks++;
		return;
	}
	for (;;) {
		uint32_t j = list_pop_front(a, &c->win);

		a->n.unacked--;
		a->n.acked++;
		item_free(a, j);
		if (j == i)
			break;
	}
}

int
ackout_receive(struct ackout *a, const void *id, size_t idlen,
    const void *data, size_t len, uint64_t now_ns, struct err *err)
{
	struct consumer *c;
	uint64_t credit, seq;
	int has_credit, has_ack;

	has_credit = msg_get_uint(data, len, "credit", &credit) == 0;
	has_ack = msg_get_uint(data, len, "ack", &seq) == 0;
	if (idlen == 0 || idlen > ACKOUT_MAX_ID || (!has_credit && !has_ack)) {
		a->n.bad_messages++;
		return err_set(err, "not a msgpack map with \"credit\" or "
		    "\"ack\" as a non-negative integer (%zu bytes)", len);
	}
	if ((c = consumer_find(a, id, idlen)) == NULL &&
	    (c = consumer_add(a, id, idlen)) == NULL) {
		a->n.refused++;
		return err_set(err, "already %d consumers",
		    ACKOUT_MAX_CONSUMERS);
	}
	c->last_heard_ns = now_ns;
	if (has_ack)
		consumer_ack(a, c, seq);
	if (has_credit)
		c->credit = credit < a->conf.cap ? credit : a->conf.cap;
	return 0;
}

/* ---- delivery ---- */

int
ackout_next(struct ackout *a, struct ackout_delivery *d)
{
	uint32_t k, c;
	struct item *it;

	if (a->queue.n == 0 || a->ncons_hw == 0)
		return -1;
	for (k = 0; k < a->ncons_hw; k++) {
		c = (a->rr + k) % a->ncons_hw;
		if (a->cons[c].used && a->cons[c].win.n < a->cons[c].credit)
			break;
	}
	if (k == a->ncons_hw)
		return -1;
	a->rr = (c + 1) % a->ncons_hw;
	it = &a->items[a->queue.head];
	d->id = a->cons[c].id;
	d->idlen = a->cons[c].idlen;
	d->env = it->env.data;
	d->elen = it->env.len;
	d->body = it->body.data;
	d->blen = it->body.len;
	d->seq = it->seq;
	d->again = it->deliveries > 0;
	d->consumer = c;
	d->item = a->queue.head;
	return 0;
}

void
ackout_sent(struct ackout *a, const struct ackout_delivery *d,
    uint64_t now_ns)
{
	struct consumer *c = &a->cons[d->consumer];
	struct item *it;
	uint32_t i;

	/* d came from ackout_next, and nothing changed since */
	assert(c->used && a->queue.head == d->item);
	i = list_pop_front(a, &a->queue);
	it = &a->items[i];
	if (it->deliveries++ > 0)
		a->n.redelivered++;
	it->t_sent_ns = now_ns;
	list_push_back(a, &c->win, i);
	a->n.unacked++;
	a->n.delivered++;
}

void
ackout_unreachable(struct ackout *a, const struct ackout_delivery *d)
{
	struct consumer *c = &a->cons[d->consumer];

	if (c->used)
		consumer_die(a, c);
}

size_t
ackout_expire(struct ackout *a, uint64_t now_ns)
{
	size_t dead = 0;
	uint32_t i;

	for (i = 0; i < a->ncons_hw; i++) {
		struct consumer *c = &a->cons[i];
		uint64_t since;

		if (!c->used)
			continue;
		/*
		 * Silence counts from the consumer's last message, or from
		 * the delivery of the oldest result it holds if that came
		 * later: it gets a whole timeout to answer it.
		 */
		since = c->last_heard_ns;
		if (c->win.n > 0 && a->items[c->win.head].t_sent_ns > since)
			since = a->items[c->win.head].t_sent_ns;
		if (now_ns < since || now_ns - since <= a->conf.timeout_ns)
			continue;
		if (c->win.n > 0) {
			consumer_die(a, c);
			dead++;
		} else {
			consumer_remove(a, c);
		}
	}
	return dead;
}

void
ackout_counts(const struct ackout *a, struct ackout_counts *c)
{
	*c = a->n;
	c->queued = a->queue.n;
}
