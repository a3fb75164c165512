/*
 * test_stats.c - unit tests for the daemon's latency histogram
 * (daemon/stats.c): the sum, and the cumulative counts that the
 * Prometheus histogram is made of.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "stats.h"

static void
test_small_values_are_exact(void **state)
{
	struct stats st;
	uint64_t us;

	(void)state;
	stats_init(&st);
	for (us = 0; us < 16; us++)
		stats_latency(&st, us);
	assert_int_equal(st.nlat, 16);
	assert_int_equal(st.sum_us, 120);
	for (us = 0; us < 16; us++)
		assert_int_equal(stats_count_le(&st, us), us + 1);
	assert_int_equal(stats_count_le(&st, 1000000), 16);
}

static void
test_counts_err_low_within_a_bucket(void **state)
{
	struct stats st;
	uint64_t prev = 0, us;

	(void)state;
	stats_init(&st);
	stats_latency(&st, 50);		/* bucket [48, 52) */
	stats_latency(&st, 100);	/* bucket [96, 104) */
	stats_latency(&st, 1000);
	stats_latency(&st, 2500000);
	assert_int_equal(st.sum_us, 2501150);
	assert_int_equal(stats_count_le(&st, 47), 0);
	assert_int_equal(stats_count_le(&st, 51), 1);
	/* 100 shares its bucket with 101..103: known to be <= 103 only. */
	assert_int_equal(stats_count_le(&st, 100), 1);
	assert_int_equal(stats_count_le(&st, 103), 2);
	assert_int_equal(stats_count_le(&st, 5000), 3);
	assert_int_equal(stats_count_le(&st, 10000000), 4);
	for (us = 0; us < 4000000; us += 997) {
		uint64_t n = stats_count_le(&st, us);

		assert_true(n >= prev);
		prev = n;
	}
}

static void
test_the_open_last_bucket(void **state)
{
	struct stats st;

	(void)state;
	stats_init(&st);
	stats_latency(&st, UINT64_C(1) << 40);
	assert_int_equal(stats_count_le(&st, UINT64_C(1) << 39), 0);
	assert_int_equal(stats_count_le(&st, UINT64_C(1) << 40), 1);
	assert_int_equal(stats_in_flight(&st), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_values_are_exact),
		cmocka_unit_test(test_counts_err_low_within_a_bucket),
		cmocka_unit_test(test_the_open_last_bucket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
