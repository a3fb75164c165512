/*
 * test_tags.c - unit tests for lib/tags.c: the settings (global values,
 * per-task values, errors naming the key) and the top list (order, ties,
 * the inclusive threshold, the arg-max always first).  tags_conf_check
 * needs loaded bundles: test_pipeline.c covers it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "classifier.h"
#include "tags.h"

static void
test_defaults(void **state)
{
	struct tags_conf t;

	(void)state;
	tags_conf_default(&t);
	assert_true(t.top_threshold == TAGS_TOP_THRESHOLD);
	assert_true(t.uncertain_below == TAGS_UNCERTAIN_BELOW);
	assert_int_equal(t.explain, 0);
	assert_int_equal(t.ntask, 0);
	assert_true(tags_top_threshold(&t, "topic") == 0.2);
	assert_true(tags_uncertain_below(&t, "topic") == 0.6);
	/* NULL means the same defaults. */
	assert_true(tags_top_threshold(NULL, "topic") == 0.2);
	assert_true(tags_uncertain_below(NULL, "x") == 0.6);
	assert_int_equal(tags_explain(NULL), 0);
}

static void
test_set(void **state)
{
	struct tags_conf t;
	struct err err;

	(void)state;
	tags_conf_default(&t);
	assert_int_equal(tags_conf_set(&t, "top_threshold", "0.3", "k", &err),
	    0);
	assert_int_equal(tags_conf_set(&t, "top_threshold.sentiment", "0.4",
	    "k", &err), 0);
	assert_int_equal(tags_conf_set(&t, "uncertain_below.topic", "0.7",
	    "k", &err), 0);
	assert_int_equal(tags_conf_set(&t, "uncertain_below", "1", "k", &err),
	    0);
	assert_int_equal(tags_conf_set(&t, "explain", "32", "k", &err), 0);
	assert_int_equal(t.ntask, 2);
	assert_true(tags_top_threshold(&t, "sentiment") == 0.4);
	assert_true(tags_top_threshold(&t, "topic") == 0.3);
	assert_true(tags_top_threshold(&t, "region") == 0.3);
	assert_true(tags_uncertain_below(&t, "topic") == 0.7);
	assert_true(tags_uncertain_below(&t, "sentiment") == 1.0);
	assert_int_equal(tags_explain(&t), 32);
	/* A task's value set again replaces it; the global one follows. */
	assert_int_equal(tags_conf_set(&t, "top_threshold.sentiment", "0",
	    "k", &err), 0);
	assert_int_equal(t.ntask, 2);
	assert_true(tags_top_threshold(&t, "sentiment") == 0.0);
	assert_int_equal(tags_conf_set(&t, "top_threshold", "0.5", "k", &err),
	    0);
	assert_true(tags_top_threshold(&t, "topic") == 0.5);
	assert_true(tags_top_threshold(&t, "sentiment") == 0.0);
}

static void
test_set_errors(void **state)
{
	static const struct {
		const char *key, *value, *want;
	} bad[] = {
		{ "top_threshold", "1.5", "tags.x: expected a probability in "
		    "0..1, not '1.5'" },
		{ "top_threshold", "-0.1", "tags.x: expected a probability in "
		    "0..1, not '-0.1'" },
		{ "top_threshold", "", "tags.x: expected a probability in "
		    "0..1, not ''" },
		{ "top_threshold", "nan", "tags.x: expected a probability in "
		    "0..1, not 'nan'" },
		{ "uncertain_below.topic", "0.5x", "tags.x: expected a "
		    "probability in 0..1, not '0.5x'" },
		{ "top_threshold.", "0.5", "tags.x: empty task name" },
		{ "explain", "33", "tags.x: expected an integer in 0..32, not "
		    "'33'" },
		{ "explain", "-1", "tags.x: expected an integer in 0..32, not "
		    "'-1'" },
		{ "explain", "1.0", "tags.x: expected an integer in 0..32, not "
		    "'1.0'" },
		{ "top", "0.5", "unknown key 'tags.x'" },
		{ "top_thresholds", "0.5", "unknown key 'tags.x'" },
		{ "explain.topic", "1", "unknown key 'tags.x'" },
	};
	struct tags_conf t, before;
	struct err err;
	char key[128];
	size_t i;

	(void)state;
	tags_conf_default(&t);
	before = t;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (tags_conf_set(&t, bad[i].key, bad[i].value, "tags.x",
		    &err) != -1)
			fail_msg("%s = '%s' accepted", bad[i].key,
			    bad[i].value);
		assert_string_equal(err.msg, bad[i].want);
	}
	/* Nothing changed. */
	assert_memory_equal(&t, &before, sizeof(t));

	memset(key, 'a', sizeof(key));
	memcpy(key, "top_threshold.", 14);
	key[14 + TAGS_TASK_MAX] = '\0';
	assert_int_equal(tags_conf_set(&t, key, "0.5", "k", &err), -1);
	assert_non_null(strstr(err.msg, "task name longer than 63 bytes"));
	key[14 + TAGS_TASK_MAX - 1] = '\0';
	assert_int_equal(tags_conf_set(&t, key, "0.5", "k", &err), 0);

	tags_conf_default(&t);
	for (i = 0; i < TAGS_MAX_TASKS; i++) {
		snprintf(key, sizeof(key), "top_threshold.t%zu", i);
		assert_int_equal(tags_conf_set(&t, key, "0.5", "k", &err), 0);
	}
	assert_int_equal(tags_conf_set(&t, "uncertain_below.t3", "0.5", "k",
	    &err), 0);
	assert_int_equal(tags_conf_set(&t, "uncertain_below.more", "0.5",
	    "tags.uncertain_below.more", &err), -1);
	assert_string_equal(err.msg, "tags.uncertain_below.more: more than "
	    "16 tasks with their own values");
}

/* The whole top list as label numbers; its length. */
static size_t
top_list(const double *p, size_t n, int label, double t, int *out)
{
	size_t m = 0;
	int i = -1;

	while ((i = tags_top_next(p, n, label, t, i)) >= 0) {
		assert_true(m < n);
		out[m++] = i;
	}
	assert_int_equal(m, tags_top_count(p, n, label, t));
	return m;
}

static void
test_top(void **state)
{
	const double p[] = { 0.1, 0.3, 0.05, 0.45, 0.1 };
	const double tie[] = { 0.3, 0.3, 0.1, 0.3 };
	int out[8];

	(void)state;
	assert_int_equal(top_list(p, 5, 3, 0.2, out), 2);
	assert_int_equal(out[0], 3);
	assert_int_equal(out[1], 1);
	/* Inclusive: p >= t. */
	assert_int_equal(top_list(p, 5, 3, 0.3, out), 2);
	assert_int_equal(top_list(p, 5, 3, 0.30000000001, out), 1);
	/* Equal probabilities: label order. */
	assert_int_equal(top_list(p, 5, 3, 0.1, out), 4);
	assert_int_equal(out[0], 3);
	assert_int_equal(out[1], 1);
	assert_int_equal(out[2], 0);
	assert_int_equal(out[3], 4);
	assert_int_equal(top_list(p, 5, 3, 0.0, out), 5);
	assert_int_equal(out[4], 2);
	/* The arg-max comes first even below the threshold. */
	assert_int_equal(top_list(p, 5, 3, 0.9, out), 1);
	assert_int_equal(out[0], 3);
	/* A tie for the arg-max: the given label first, then label order. */
	assert_int_equal(top_list(tie, 4, 1, 0.2, out), 3);
	assert_int_equal(out[0], 1);
	assert_int_equal(out[1], 0);
	assert_int_equal(out[2], 3);
	assert_int_equal(top_list(tie, 4, 3, 0.2, out), 3);
	assert_int_equal(out[0], 3);
	assert_int_equal(out[1], 0);
	assert_int_equal(out[2], 1);
	/* Two labels. */
	{
		const double two[] = { 0.2, 0.8 };

		assert_int_equal(top_list(two, 2, 1, 0.2, out), 2);
		assert_int_equal(out[1], 0);
		assert_int_equal(top_list(two, 2, 1, 0.21, out), 1);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_set_errors),
		cmocka_unit_test(test_top),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
