/*
 * live.c - generation-counted model sets.  See live.h for the protocol.
 * Invariant: cur->refs counts the main thread's reference plus one per
 * worker holding cur; a set that is no longer current is freed when its
 * refs reach zero.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "live.h"
#include "xalloc.h"

struct live {
	pthread_mutex_t mu;
	struct live_set *cur;
	_Atomic uint64_t gen;
};

struct live *
live_new(void)
{
	struct live *l = xcalloc(1, sizeof(*l));

	pthread_mutex_init(&l->mu, NULL);
	atomic_init(&l->gen, 0);
	return l;
}

static void
set_unref(struct live_set *s)
{
	if (s != NULL && --s->refs == 0) {
		classifier_destroy(&s->c);
		free(s);
	}
}

void
live_destroy(struct live **lp)
{
	struct live *l = *lp;

	if (l == NULL)
		return;
	set_unref(l->cur);
	pthread_mutex_destroy(&l->mu);
	free(l);
	*lp = NULL;
}

static void
resolve_order(struct live_set *s, const char *envelope)
{
	size_t n = classifier_ntasks(s->c), i;
	unsigned char used[LIVE_MAX_TASKS] = { 0 };
	const char *p = envelope;

	s->norder = 0;
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char name[256];
		int t;

		snprintf(name, sizeof(name), "%.*s", (int)len, p);
		t = classifier_task_index(s->c, name);
		if (t >= 0 && (size_t)t < LIVE_MAX_TASKS && !used[t]) {
			used[t] = 1;
			s->order[s->norder++] = (size_t)t;
		}
		p += len + (comma != NULL);
	}
	for (i = 0; i < n && i < LIVE_MAX_TASKS; i++)
		if (!used[i])
			s->order[s->norder++] = i;
}

void
live_publish(struct live *l, struct classifier **c, const char *envelope)
{
	struct live_set *s = xcalloc(1, sizeof(*s)), *old;

	s->c = *c;
	*c = NULL;
	s->refs = 1;
	resolve_order(s, envelope);
	pthread_mutex_lock(&l->mu);
	old = l->cur;
	s->gen = atomic_load(&l->gen) + 1;
	l->cur = s;
	atomic_store(&l->gen, s->gen);
	set_unref(old);
	pthread_mutex_unlock(&l->mu);
}

const struct live_set *
live_acquire(struct live *l, const struct live_set *held)
{
	struct live_set *s;

	if (held != NULL && held->gen == atomic_load_explicit(&l->gen,
	    memory_order_acquire))
		return held;
	pthread_mutex_lock(&l->mu);
	set_unref((struct live_set *)held);
	s = l->cur;
	s->refs++;
	pthread_mutex_unlock(&l->mu);
	return s;
}

void
live_release(struct live *l, const struct live_set *held)
{
	if (held == NULL)
		return;
	pthread_mutex_lock(&l->mu);
	set_unref((struct live_set *)held);
	pthread_mutex_unlock(&l->mu);
}

const struct live_set *
live_current(const struct live *l)
{
	return l->cur;
}
