/*
 * test_watchdog.c - unit tests for the systemd watchdog decision
 * (daemon/watchdog.c): an idle daemon pings, a busy one whose workers
 * return results pings, one whose workers hold work and return nothing
 * for longer than the interval stops pinging, and starts again if they
 * recover; off means never.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "watchdog.h"

#define MS UINT64_C(1000000)
#define T0 (UINT64_C(5000) * MS)	/* any start time */

/* Pings sent between from and to (ms after T0), checking every 10 ms. */
static int
run(struct watchdog *w, uint64_t from, uint64_t to, uint64_t outstanding,
    uint64_t *results, int results_per_check)
{
	int pings = 0;
	uint64_t t;

	for (t = from; t < to; t += 10) {
		*results += (uint64_t)results_per_check;
		pings += watchdog_check(w, T0 + t * MS, outstanding, *results);
	}
	return pings;
}

static void
test_idle_pings(void **state)
{
	struct watchdog w;
	uint64_t results = 0;

	(void)state;
	watchdog_init(&w, 400000, T0);		/* WATCHDOG_USEC=400000 */
	assert_int_equal(watchdog_timeout_ms(&w, T0, 1000), 0);
	assert_int_equal(watchdog_check(&w, T0, 0, 0), 1);
	assert_int_equal(watchdog_check(&w, T0 + 1 * MS, 0, 0), 0);
	assert_int_equal(watchdog_timeout_ms(&w, T0 + 1 * MS, 1000), 199);
	assert_int_equal(watchdog_timeout_ms(&w, T0 + 1 * MS, 50), 50);
	/* Every 200 ms for 10 s: 50 pings, never stalled. */
	assert_int_equal(run(&w, 10, 10010, 0, &results, 0), 50);
	assert_false(watchdog_stalled(&w));
}

static void
test_progressing_pings(void **state)
{
	struct watchdog w;
	uint64_t results = 0;

	(void)state;
	watchdog_init(&w, 400000, T0);
	/* Work always outstanding, a result every check. */
	assert_int_equal(run(&w, 0, 10000, 256, &results, 1), 50);
	assert_false(watchdog_stalled(&w));
	/* Results rarer than the interval would stall: one every 300 ms. */
	{
		uint64_t t;
		int pings = 0;

		for (t = 10000; t < 20000; t += 10) {
			if (t % 300 == 0)
				results++;
			pings += watchdog_check(&w, T0 + t * MS, 256, results);
		}
		assert_int_equal(pings, 50);
		assert_false(watchdog_stalled(&w));
	}
}

static void
test_stalled_stops_pinging(void **state)
{
	struct watchdog w;
	uint64_t results = 7;

	(void)state;
	watchdog_init(&w, 400000, T0);
	assert_int_equal(run(&w, 0, 1000, 0, &results, 0), 5);
	/* Work handed over at 1000 ms, nothing comes back. */
	assert_int_equal(run(&w, 1000, 1400, 3, &results, 0), 2);
	assert_false(watchdog_stalled(&w));
	assert_int_equal(watchdog_check(&w, T0 + 1401 * MS, 3, results), 0);
	assert_true(watchdog_stalled(&w));
	assert_int_equal(run(&w, 1410, 5000, 3, &results, 0), 0);
	assert_true(watchdog_stalled(&w));
	assert_int_equal(watchdog_timeout_ms(&w, T0 + 5000 * MS, 1000), 1000);
	/* A result at last: pinging again, at once. */
	results++;
	assert_int_equal(watchdog_check(&w, T0 + 5000 * MS, 2, results), 1);
	assert_false(watchdog_stalled(&w));
	/* Stalled again from 5410 ms; the workers going idle is progress. */
	assert_int_equal(run(&w, 5010, 5500, 2, &results, 0), 2);
	assert_true(watchdog_stalled(&w));
	assert_int_equal(run(&w, 5500, 6000, 0, &results, 0), 2);
	assert_false(watchdog_stalled(&w));
}

static void
test_off(void **state)
{
	struct watchdog w;
	uint64_t results = 0;

	(void)state;
	watchdog_init(&w, 0, T0);
	assert_int_equal(run(&w, 0, 5000, 3, &results, 0), 0);
	assert_false(watchdog_stalled(&w));
	assert_int_equal(watchdog_timeout_ms(&w, T0, 1000), 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idle_pings),
		cmocka_unit_test(test_progressing_pings),
		cmocka_unit_test(test_stalled_stops_pinging),
		cmocka_unit_test(test_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
