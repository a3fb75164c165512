/*
 * watchdog.h - when to tell systemd's watchdog (WatchdogSec=) that the
 * daemon is alive.
 *
 * Pure logic: the caller passes the time and its counters, and sends
 * WATCHDOG=1 when told to.  A ping is due every half interval, as long as
 * the workers make progress: if they hold work that the main thread is
 * waiting for and no result has come back for longer than the interval,
 * the pings stop, and systemd kills and restarts the daemon.  A main loop
 * that stops turning stops the pings too, since it is the caller.
 */
#ifndef NC_WATCHDOG_H
#define NC_WATCHDOG_H

#include <stdint.h>

struct watchdog {
	uint64_t interval_ns;	/* 0: off */
	uint64_t next_ping_ns;
	uint64_t progress_ns;	/* the workers were idle or gave a result */
	uint64_t results;	/* results counted at progress_ns */
	int stalled;
};

/*
 * Start with systemd's interval (sd_watchdog_enabled; 0 = off); the first
 * ping is due at once.
 */
void watchdog_init(struct watchdog *w, uint64_t interval_us,
    uint64_t now_ns);

/*
 * outstanding: messages handed to the workers whose results the main
 * thread is waiting to read (0 when it is not reading them, e.g. because
 * the output pushes back: then the workers are not the ones to blame);
 * results: results read back so far.  Returns 1 if a ping is due now (the
 * next one is then scheduled), 0 if not, or if off or stalled.
 */
int watchdog_check(struct watchdog *w, uint64_t now_ns,
    uint64_t outstanding, uint64_t results);

/* 1 while the workers are judged stalled (as of the last check). */
int watchdog_stalled(const struct watchdog *w);

/*
 * Milliseconds from now_ns until the next ping is due, at most max; max
 * when off or stalled.
 */
long watchdog_timeout_ms(const struct watchdog *w, uint64_t now_ns,
    long max);

#endif
