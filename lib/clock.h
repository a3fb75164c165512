/*
 * clock.h - the one monotonic clock every part of newsclassd measures with.
 */
#ifndef NC_CLOCK_H
#define NC_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in nanoseconds: for intervals, never for dates. */
uint64_t clock_ns(void);

#endif
