/*
 * watchdog.c - the ping-or-not decision for systemd's watchdog.  See
 * watchdog.h.  Invariant: progress_ns never lies in the future, and a
 * stall is declared only when the workers owe a result and have given
 * none for a whole interval, so a busy daemon and an idle one both keep
 * pinging.
 */
#include <string.h>

#include "watchdog.h"

void
watchdog_init(struct watchdog *w, uint64_t interval_us, uint64_t now_ns)
{
	memset(w, 0, sizeof(*w));
	w->interval_ns = interval_us * 1000u;
	w->next_ping_ns = now_ns;
	w->progress_ns = now_ns;
}

int
watchdog_check(struct watchdog *w, uint64_t now_ns, uint64_t outstanding,
    uint64_t results)
{
	if (w->interval_ns == 0)
		return 0;
	if (outstanding == 0 || results != w->results) {
		w->progress_ns = now_ns;
		w->results = results;
	}
	w->stalled = now_ns - w->progress_ns > w->interval_ns;
	if (w->stalled || now_ns < w->next_ping_ns)
		return 0;
	w->next_ping_ns = now_ns + w->interval_ns / 2;
	return 1;
}

int
watchdog_stalled(const struct watchdog *w)
{
	return w->stalled;
}

long
watchdog_timeout_ms(const struct watchdog *w, uint64_t now_ns, long max)
{
	uint64_t ms;

	if (w->interval_ns == 0 || w->stalled)
		return max;
	if (now_ns >= w->next_ping_ns)
		return 0;
	/* Rounded up, so that the loop does not wake just before it is due. */
	ms = (w->next_ping_ns - now_ns + 999999) / 1000000;
	return ms < (uint64_t)max ? (long)ms : max;
}
