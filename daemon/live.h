/*
 * live.h - the models the workers score with, swapped without a lock on
 * the per-message path.
 *
 * The main thread publishes a new model set (a classifier plus the envelope
 * order resolved for it) by bumping a generation counter.  A worker checks
 * the counter once per message (one atomic load); only when it changed does
 * it take the mutex to move its reference to the new set.  A set is freed by
 * whoever drops its last reference, so the old models live exactly as long
 * as a message is still being scored with them.
 */
#ifndef NC_LIVE_H
#define NC_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "classifier.h"

#define LIVE_MAX_TASKS 16

struct live_set {
	struct classifier *c;
	size_t order[LIVE_MAX_TASKS];	/* envelope: task indices */
	size_t norder;
	uint64_t gen;
	int refs;			/* guarded by the live mutex */
};

struct live;

struct live *live_new(void);
/* Drops the main thread's reference; workers must have released theirs. */
void live_destroy(struct live **lp);

/*
 * Publish c (ownership moves in; *c is set to NULL) with the envelope order
 * resolved from a comma-separated list of task names: listed tasks first,
 * in that order, then the others by name.  Names listed but not loaded are
 * skipped.
 */
void live_publish(struct live *l, struct classifier **c, const char *envelope);

/*
 * Return the current set, keeping held if it is still current (held may be
 * NULL).  The returned set stays valid until the next live_acquire or
 * live_release by this caller.
 */
const struct live_set *live_acquire(struct live *l,
    const struct live_set *held);
void live_release(struct live *l, const struct live_set *held);

/* The current set as the main thread sees it (main thread only). */
const struct live_set *live_current(const struct live *l);

#endif
