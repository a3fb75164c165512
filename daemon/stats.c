/*
 * stats.c - counters and a log-scale latency histogram (8 buckets per
 * doubling: quantiles are within ~9% of the true value, in constant memory
 * whatever the uptime).
 */
#include <math.h>
#include <string.h>

#include "stats.h"

void
stats_init(struct stats *s)
{
	memset(s, 0, sizeof(*s));
}

static unsigned
bucket_of(uint64_t us)
{
	unsigned b;

	if (us < 8)
		return (unsigned)us;
	/* floor(8 * log2(us)) - 16 + 8, computed without libm: */
	b = 63u - (unsigned)__builtin_clzll(us);	/* exponent */
	b = b * 8 + (unsigned)((us >> (b - 3)) & 7);
	b -= 16;
	return b < STATS_BUCKETS ? b : STATS_BUCKETS - 1;
}

/* Upper edge of bucket b. */
static double
bucket_high(unsigned b)
{
	unsigned e, m;

	if (b < 8)
		return b;
	b += 16;
	e = b / 8;
	m = b % 8;
	return ldexp(1.0 + (m + 1) / 8.0, (int)e);
}

void
stats_latency(struct stats *s, uint64_t us)
{
	s->hist[bucket_of(us)]++;
	s->nlat++;
	s->sum_us += us;
	if (us > s->max_us)
		s->max_us = us;
}

double
stats_quantile(const struct stats *s, double q)
{
	uint64_t want, seen = 0;
	unsigned b;

	if (s->nlat == 0)
		return 0.0;
	want = (uint64_t)ceil(q * (double)s->nlat);
	if (want == 0)
		want = 1;
	for (b = 0; b < STATS_BUCKETS; b++) {
		seen += s->hist[b];
		if (seen >= want) {
			double h = bucket_high(b);

			return h < (double)s->max_us ? h : (double)s->max_us;
		}
	}
	return (double)s->max_us;
}

uint64_t
stats_count_le(const struct stats *s, uint64_t us)
{
	uint64_t n = 0;
	unsigned b;

	/* Bucket b holds the integers below bucket_high(b) (b itself below 8). */
	for (b = 0; b < STATS_BUCKETS - 1; b++) {
		double last = b < 8 ? (double)b : ceil(bucket_high(b)) - 1.0;

		if (last > (double)us)
			break;
		n += s->hist[b];
	}
	if (b == STATS_BUCKETS - 1 && s->max_us <= us)
		n += s->hist[b];	/* the open last bucket */
	return n;
}

uint64_t
stats_in_flight(const struct stats *s)
{
	return s->received - s->published - s->errors;
}
