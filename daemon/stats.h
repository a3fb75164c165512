/*
 * stats.h - the daemon's counters and latency histogram.  Owned and
 * updated by the main thread only (it sees every message in and out), so
 * no atomics are needed; the control socket reads them on the same thread.
 */
#ifndef NC_STATS_H
#define NC_STATS_H

#include <stdint.h>

#include "msg.h"

/* Latency buckets: 8 per power of two of microseconds, up to ~2^34 us. */
#define STATS_BUCKETS (35 * 8)

struct stats {
	uint64_t received;	/* messages read from the input */
	uint64_t published;	/* results published */
	uint64_t errors;	/* error events published */
	uint64_t by_code[MSG_NCODES];
	uint64_t heartbeats;
	uint64_t heartbeats_skipped;	/* the output was busy: not sent */
	uint64_t reloads, reload_failures;
	uint64_t output_blocked;	/* times the output pushed back */
	uint64_t hist[STATS_BUCKETS];
	uint64_t nlat;
	uint64_t sum_us;
	uint64_t max_us;
};

void stats_init(struct stats *s);
void stats_latency(struct stats *s, uint64_t us);
/* The q-quantile (0 < q <= 1) of recorded latencies, in microseconds. */
double stats_quantile(const struct stats *s, double q);
/*
 * How many recorded latencies are known to be at most us: the buckets
 * that lie wholly at or below us (those below 16 us hold one value each,
 * wider ones are within ~9%), so the count errs low by at most the bucket
 * that straddles us.  Non-decreasing in us; stats.nlat for a huge us.
 */
uint64_t stats_count_le(const struct stats *s, uint64_t us);
/* Messages read but not yet published (result or error). */
uint64_t stats_in_flight(const struct stats *s);

#endif
