/*
 * test_metrics.c - unit tests for lib/metrics.c against figures worked out
 * by hand from small confusion matrices (rows: true class, columns:
 * predicted).
 *
 *          A  B  C            precision  recall  F1
 *     A  [ 5  1  0 ]     A    5/8        5/6     5/7
 *     B  [ 2  3  1 ]     B    3/4        1/2     3/5
 *     C  [ 1  0  2 ]     C    2/3        2/3     2/3
 *
 * n = 15, accuracy 10/15, macro-F1 (5/7 + 3/5 + 2/3) / 3 = 208/315.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "metrics.h"

#define EPS 1e-12

static const char *const labels3[] = { "A", "B", "C" };

static void
assert_close(double got, double want)
{
	if (fabs(got - want) > EPS)
		fail_msg("got %.17g, want %.17g", got, want);
}

static void
fill(struct metrics *m, const size_t *conf)
{
	size_t i, j, c;

	for (i = 0; i < m->k; i++)
		for (j = 0; j < m->k; j++)
			for (c = 0; c < conf[i * m->k + j]; c++)
				metrics_add(m, (int)i, (int)j);
	metrics_finish(m);
}

static const size_t conf_abc[9] = { 5, 1, 0, 2, 3, 1, 1, 0, 2 };

static void
test_figures(void **state)
{
	struct metrics m;
	size_t i;

	(void)state;
	metrics_init(&m, 3);
	fill(&m, conf_abc);
	assert_int_equal(m.n, 15);
	assert_int_equal(m.correct, 10);
	for (i = 0; i < 9; i++)
		assert_int_equal(m.confusion[i], conf_abc[i]);
	assert_close(m.accuracy, 10.0 / 15.0);
	assert_close(m.precision[0], 5.0 / 8.0);
	assert_close(m.precision[1], 3.0 / 4.0);
	assert_close(m.precision[2], 2.0 / 3.0);
	assert_close(m.recall[0], 5.0 / 6.0);
	assert_close(m.recall[1], 1.0 / 2.0);
	assert_close(m.recall[2], 2.0 / 3.0);
	assert_close(m.f1[0], 5.0 / 7.0);
	assert_close(m.f1[1], 3.0 / 5.0);
	assert_close(m.f1[2], 2.0 / 3.0);
	assert_int_equal(m.support[0], 6);
	assert_int_equal(m.support[1], 6);
	assert_int_equal(m.support[2], 3);
	assert_close(m.macro_f1, 208.0 / 315.0);
	/* finish is idempotent. */
	metrics_finish(&m);
	assert_close(m.macro_f1, 208.0 / 315.0);
	assert_int_equal(m.support[0], 6);
	metrics_release(&m);
	assert_null(m.confusion);
}

static void
test_never_predicted(void **state)
{
	/* C is never predicted: precision 0 (not NaN), recall 0, F1 0. */
	static const size_t conf[9] = { 3, 1, 0, 1, 2, 0, 1, 1, 0 };
	struct metrics m;

	(void)state;
	metrics_init(&m, 3);
	fill(&m, conf);
	assert_close(m.precision[2], 0.0);
	assert_close(m.recall[2], 0.0);
	assert_close(m.f1[2], 0.0);
	assert_close(m.precision[0], 3.0 / 5.0);
	assert_close(m.recall[0], 3.0 / 4.0);
	assert_close(m.f1[0], 2.0 * 0.6 * 0.75 / 1.35);
	assert_close(m.precision[1], 2.0 / 4.0);
	assert_close(m.recall[1], 2.0 / 3.0);
	assert_close(m.f1[1], 2.0 * 0.5 * (2.0 / 3.0) / (0.5 + 2.0 / 3.0));
	assert_close(m.accuracy, 5.0 / 9.0);
	assert_close(m.macro_f1, (m.f1[0] + m.f1[1]) / 3.0);
	metrics_release(&m);

	/* A class with no examples at all still counts in macro-F1. */
	metrics_init(&m, 3);
	metrics_add(&m, 0, 0);
	metrics_add(&m, 1, 1);
	metrics_finish(&m);
	assert_close(m.accuracy, 1.0);
	assert_int_equal(m.support[2], 0);
	assert_close(m.precision[2], 0.0);
	assert_close(m.recall[2], 0.0);
	assert_close(m.macro_f1, 2.0 / 3.0);
	metrics_release(&m);

	/* Nothing counted: all zero, no NaN. */
	metrics_init(&m, 2);
	metrics_finish(&m);
	assert_int_equal(m.n, 0);
	assert_close(m.accuracy, 0.0);
	assert_close(m.macro_f1, 0.0);
	assert_false(isnan(m.precision[0]));
	metrics_release(&m);
}

static double
num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_number(v))
		fail_msg("'%s' is not a number", key);
	return json_number_value(v);
}

static void
test_json(void **state)
{
	struct metrics m;
	json_error_t je;
	json_t *o, *pc, *c, *conf, *lab;
	size_t i, j;
	char *s;

	(void)state;
	metrics_init(&m, 3);
	fill(&m, conf_abc);
	s = metrics_json(&m, labels3);
	assert_non_null(s);
	assert_null(strchr(s, '\n'));	/* compact: one line */
	o = json_loads(s, JSON_REJECT_DUPLICATES, &je);
	if (o == NULL)
		fail_msg("not JSON: %s: %s", je.text, s);
	assert_true(json_is_object(o));
	assert_int_equal(json_integer_value(json_object_get(o, "n")), 15);
	assert_true(json_is_integer(json_object_get(o, "n")));
	/* Six significant digits. */
	assert_true(fabs(num(o, "accuracy") - 10.0 / 15.0) < 1e-6);
	assert_true(fabs(num(o, "macro_f1") - 208.0 / 315.0) < 1e-6);
	pc = json_object_get(o, "per_class");
	assert_true(json_is_object(pc));
	assert_int_equal(json_object_size(pc), 3);
	c = json_object_get(pc, "A");
	assert_non_null(c);
	assert_true(fabs(num(c, "precision") - 0.625) < 1e-6);
	assert_true(fabs(num(c, "recall") - 5.0 / 6.0) < 1e-6);
	assert_true(fabs(num(c, "f1") - 5.0 / 7.0) < 1e-6);
	assert_int_equal(json_integer_value(json_object_get(c, "support")), 6);
	c = json_object_get(pc, "C");
	assert_int_equal(json_integer_value(json_object_get(c, "support")), 3);
	lab = json_object_get(o, "labels");
	assert_int_equal(json_array_size(lab), 3);
	for (i = 0; i < 3; i++)
		assert_string_equal(json_string_value(json_array_get(lab, i)),
		    labels3[i]);
	conf = json_object_get(o, "confusion");
	assert_true(json_is_array(conf));
	assert_int_equal(json_array_size(conf), 3);
	for (i = 0; i < 3; i++) {
		json_t *row = json_array_get(conf, i);

		assert_int_equal(json_array_size(row), 3);
		for (j = 0; j < 3; j++)
			assert_int_equal(json_integer_value(
			    json_array_get(row, j)), conf_abc[i * 3 + j]);
	}
	/* Key order: n first, as documented. */
	assert_true(strncmp(s, "{\"n\":15,", 8) == 0);
	json_decref(o);
	free(s);
	metrics_release(&m);
}

static void
test_json_odd_labels(void **state)
{
	/* Labels needing escapes survive the round trip. */
	static const char *const lab[] = { "a \"quoted\" one", "caf\xc3\xa9" };
	struct metrics m;
	json_t *o;
	char *s;

	(void)state;
	metrics_init(&m, 2);
	metrics_add(&m, 0, 1);
	metrics_add(&m, 1, 1);
	metrics_finish(&m);
	s = metrics_json(&m, lab);
	o = json_loads(s, 0, NULL);
	assert_non_null(o);
	assert_non_null(json_object_get(json_object_get(o, "per_class"),
	    lab[0]));
	assert_non_null(json_object_get(json_object_get(o, "per_class"),
	    lab[1]));
	json_decref(o);
	free(s);
	metrics_release(&m);
}

static void
test_print(void **state)
{
	struct metrics m;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	metrics_init(&m, 3);
	fill(&m, conf_abc);
	f = open_memstream(&text, &len);
	assert_non_null(f);
	metrics_print(&m, labels3, f);
	fclose(f);
	assert_non_null(strstr(text, "n 15  accuracy 0.6667  macro-F1 0.6603"));
	assert_non_null(strstr(text, "confusion (rows: true, columns: "
	    "predicted)"));
	assert_non_null(strstr(text, "\nA            0.6250    0.8333    "
	    "0.7143        6\n"));
	assert_non_null(strstr(text, "\nB              2      3      1\n"));
	free(text);
	metrics_release(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_figures),
		cmocka_unit_test(test_never_predicted),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_json_odd_labels),
		cmocka_unit_test(test_print),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
