/*
 * test_calib.c - calib.c: fitting on decision values drawn from a known
 * model recovers it (Platt's sigmoid, a softmax temperature),
 * probabilities sum to 1, the JSON form round-trips exactly through
 * meta.json's printing (15 significant digits), and bad input is refused.
 *
 * The synthetic data comes from a fixed-seed generator (DATA_SEED):
 * decision values are normal, and each row's class is drawn from the
 * generating model's probabilities, so the maximum-likelihood fit
 * converges on that model as the rows grow.
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

#include "calib.h"

#define DATA_SEED 20251207u
#define NROWS 20000
#define MAXK 4

static uint64_t rng;

static uint32_t
rng_next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static double
rng_unit(void)
{
	return (rng_next() + 0.5) / 4294967296.0;
}

/* A standard normal deviate (Box-Muller). */
static double
rng_normal(void)
{
	double u = rng_unit(), v = rng_unit();

	return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

/* The class drawn from probabilities p[0..k). */
static int
draw(const double *p, size_t k)
{
	double u = rng_unit(), acc = 0;
	size_t j;

	for (j = 0; j + 1 < k; j++) {
		acc += p[j];
		if (u < acc)
			return (int)j;
	}
	return (int)k - 1;
}

static double
sigmoid(double f)
{
	return 1.0 / (1.0 + exp(f));
}

struct rows {
	double dec[NROWS * MAXK];
	int y[NROWS];
	size_t n, k;
};

/*
 * Two classes with one decision value d for class 0 (and -d for class
 * 1, as a one-vs-rest model of two classes gives), class 0 drawn with
 * probability 1 / (1 + exp(A d + B)).
 */
static void
make_platt(struct rows *r, double A, double B)
{
	size_t i;
	double p[2];

	r->n = NROWS;
	r->k = 2;
	for (i = 0; i < r->n; i++) {
		double d = 1.5 * rng_normal();

		r->dec[2 * i] = d;
		r->dec[2 * i + 1] = -d;
		p[0] = sigmoid(A * d + B);
		p[1] = 1 - p[0];
		r->y[i] = draw(p, 2);
	}
}

/* k classes, values N(0, 2^2) each, the class from softmax(dec / T). */
static void
make_temperature(struct rows *r, size_t k, double T)
{
	double p[MAXK], max, sum;
	size_t i, j;

	r->n = NROWS;
	r->k = k;
	for (i = 0; i < r->n; i++) {
		double *d = r->dec + i * k;

		for (j = 0, max = -INFINITY; j < k; j++) {
			d[j] = 2.0 * rng_normal();
			max = fmax(max, d[j]);
		}
		for (j = 0, sum = 0; j < k; j++) {
			p[j] = exp((d[j] - max) / T);
			sum += p[j];
		}
		for (j = 0; j < k; j++)
			p[j] /= sum;
		r->y[i] = draw(p, k);
	}
}

static struct calib *
fit(const char *method, const struct rows *r, const double *w)
{
	const struct calib_method *m = calib_method_find(method);
	struct calib *c = NULL;
	struct err err;

	assert_non_null(m);
	if (calib_fit(m, r->dec, r->y, w, r->n, r->k, &c, &err) == -1)
		fail_msg("%s", err.msg);
	assert_non_null(c);
	assert_ptr_equal(calib_method(c), m);
	assert_int_equal(calib_nclass(c), r->k);
	return c;
}

/* obj[key][i] (or obj[key] itself when i < 0) as a number. */
static double
param(const struct calib *c, const char *key, int i)
{
	json_t *o = calib_to_json(c), *v = json_object_get(o, key);
	double x;

	assert_non_null(v);
	if (i >= 0)
		v = json_array_get(v, (size_t)i);
	assert_true(json_is_number(v));
	x = json_number_value(v);
	json_decref(o);
	return x;
}

/* Every row's probabilities are in [0, 1] and sum to 1. */
static void
check_sums(const struct calib *c, const struct rows *r)
{
	double p[MAXK], sum;
	size_t i, j;

	for (i = 0; i < r->n; i++) {
		calib_apply(c, r->dec + i * r->k, p);
		for (j = 0, sum = 0; j < r->k; j++) {
			assert_true(p[j] >= 0 && p[j] <= 1);
			sum += p[j];
		}
		assert_true(fabs(sum - 1) < 1e-12);
	}
}

static void
test_platt_recovers(void **state)
{
	static const double truth[][2] = {
		{ -1.5, 0.3 }, { -0.7, -0.4 }, { -3.0, 0.0 },
	};
	struct rows *r = *state;
	struct calib *c;
	size_t t;

	for (t = 0; t < sizeof(truth) / sizeof(truth[0]); t++) {
		double A = truth[t][0], B = truth[t][1];

		make_platt(r, A, B);
		c = fit("platt", r, NULL);
		/* Class 0 by its value d; class 1 by -d: A, and -B. */
		print_message("A %g B %g: fitted %g %g, %g %g\n", A, B,
		    param(c, "A", 0), param(c, "B", 0), param(c, "A", 1),
		    param(c, "B", 1));
		assert_true(fabs(param(c, "A", 0) - A) < 0.08 * fabs(A));
		assert_true(fabs(param(c, "B", 0) - B) < 0.08);
		assert_true(fabs(param(c, "A", 1) - A) < 0.08 * fabs(A));
		assert_true(fabs(param(c, "B", 1) + B) < 0.08);
		check_sums(c, r);
		/* Close to the generating probabilities. */
		{
			double p[2], d[2] = { 1.0, -1.0 };

			calib_apply(c, d, p);
			assert_true(fabs(p[0] - sigmoid(A + B)) < 0.02);
		}
		calib_destroy(&c);
		assert_null(c);
	}
}

static void
test_temperature_recovers(void **state)
{
	static const struct {
		size_t k;
		double T;
	} truth[] = { { 2, 1.0 }, { 3, 0.5 }, { 4, 2.0 }, { 4, 5.0 } };
	struct rows *r = *state;
	struct calib *c;
	size_t t;

	for (t = 0; t < sizeof(truth) / sizeof(truth[0]); t++) {
		double T;

		make_temperature(r, truth[t].k, truth[t].T);
		c = fit("temperature", r, NULL);
		T = param(c, "T", -1);
		print_message("k %zu T %g: fitted %g\n", truth[t].k,
		    truth[t].T, T);
		assert_true(fabs(T / truth[t].T - 1) < 0.06);
		check_sums(c, r);
		/* The likelihood is lowest near the fit. */
		{
			struct calib *o;
			json_t *j = json_pack("{s:s,s:f}", "method",
			    "temperature", "T", 1.5 * T);
			struct err err;

			assert_int_equal(calib_from_json(j, r->k, &o, &err),
			    0);
			assert_true(calib_nll(c, r->dec, r->y, r->n) <
			    calib_nll(o, r->dec, r->y, r->n));
			calib_destroy(&o);
			json_decref(j);
		}
		calib_destroy(&c);
	}
}

/* Temperature scaling keeps the order of the values; weights count. */
static void
test_temperature_order_and_weights(void **state)
{
	struct rows *r = *state;
	double p[MAXK], w[NROWS];
	struct calib *c, *cw;
	size_t i, j, best;

	make_temperature(r, 4, 2.0);
	c = fit("temperature", r, NULL);
	for (i = 0; i < 1000; i++) {
		const double *d = r->dec + i * 4;

		calib_apply(c, d, p);
		for (j = 1, best = 0; j < 4; j++)
			if (d[j] > d[best])
				best = j;
		for (j = 0; j < 4; j++)
			assert_true(j == best || p[j] < p[best]);
	}
	/* Weight 2 on every row: the same fit; weight 0 on half: another. */
	for (i = 0; i < r->n; i++)
		w[i] = 2.0;
	cw = fit("temperature", r, w);
	assert_true(param(cw, "T", -1) == param(c, "T", -1));
	calib_destroy(&cw);
	for (i = 0; i < r->n; i++)
		w[i] = i % 2 ? 0.0 : 1.0;
	cw = fit("temperature", r, w);
	assert_true(param(cw, "T", -1) != param(c, "T", -1));
	assert_true(fabs(param(cw, "T", -1) / 2.0 - 1) < 0.1);
	calib_destroy(&cw);
	calib_destroy(&c);
}

/* Platt on several classes: per-class sigmoids, normalised. */
static void
test_platt_multiclass(void **state)
{
	struct rows *r = *state;
	double p[MAXK];
	struct calib *c;
	size_t i, j, best, right = 0;

	make_temperature(r, 4, 1.0);
	c = fit("platt", r, NULL);
	check_sums(c, r);
	for (j = 0; j < 4; j++)
		assert_true(param(c, "A", (int)j) < 0);
	/* The most probable class is right about as often as it should. */
	for (i = 0; i < r->n; i++) {
		calib_apply(c, r->dec + i * 4, p);
		for (j = 1, best = 0; j < 4; j++)
			if (p[j] > p[best])
				best = j;
		right += (int)best == r->y[i];
	}
	assert_true(right > r->n / 2);
	calib_destroy(&c);
}

/*
 * Through meta.json's printing (JSON_REAL_PRECISION(15)) and back: the
 * same probabilities, bit for bit.
 */
static void
test_json_round_trip(void **state)
{
	static const char *const methods[] = { "platt", "temperature" };
	struct rows *r = *state;
	double p[MAXK], q[MAXK];
	struct calib *c, *back;
	json_t *o, *loaded;
	struct err err;
	size_t mi, i;
	char *text;

	make_temperature(r, 3, 0.7);
	for (mi = 0; mi < 2; mi++) {
		c = fit(methods[mi], r, NULL);
		o = calib_to_json(c);
		assert_string_equal(json_string_value(json_object_get(o,
		    "method")), methods[mi]);
		text = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15));
		assert_non_null(text);
		loaded = json_loads(text, 0, NULL);
		assert_non_null(loaded);
		if (calib_from_json(loaded, 3, &back, &err) == -1)
			fail_msg("%s: %s", text, err.msg);
		assert_ptr_equal(calib_method(back), calib_method(c));
		assert_int_equal(calib_nclass(back), 3);
		for (i = 0; i < r->n; i++) {
			calib_apply(c, r->dec + i * 3, p);
			calib_apply(back, r->dec + i * 3, q);
			assert_memory_equal(p, q, sizeof(p[0]) * 3);
		}
		/* And it prints the same again. */
		{
			json_t *o2 = calib_to_json(back);
			char *t2 = json_dumps(o2, JSON_COMPACT |
			    JSON_REAL_PRECISION(15));

			assert_string_equal(text, t2);
			free(t2);
			json_decref(o2);
		}
		free(text);
		json_decref(loaded);
		json_decref(o);
		calib_destroy(&back);
		calib_destroy(&c);
	}
}

/* A calibrator from JSON text, or NULL with the reason in err. */
static struct calib *
from_text(const char *text, size_t k, struct err *err)
{
	json_t *o = json_loads(text, JSON_DECODE_ANY, NULL);
	struct calib *c = (struct calib *)&c;
	int rc;

	assert_non_null(o);
	rc = calib_from_json(o, k, &c, err);
	json_decref(o);
	if (rc == -1) {
		assert_null(c);
		return NULL;
	}
	assert_non_null(c);
	return c;
}

static void
test_from_json_errors(void **state)
{
	static const struct {
		const char *text;
		size_t k;
		const char *what;
	} bad[] = {
		{ "[1, 2]", 2, "must be an object" },
		{ "\"platt\"", 2, "must be an object" },
		{ "null", 2, "must be an object" },
		{ "{}", 2, "no 'method'" },
		{ "{\"method\": 1, \"T\": 1}", 2, "no 'method'" },
		{ "{\"method\": \"isotonic\"}", 2,
		    "unknown method 'isotonic'" },
		{ "{\"method\": \"Platt\", \"A\": [1, 1], \"B\": [0, 0]}", 2,
		    "unknown method 'Platt'" },
		{ "{\"method\": \"temperature\", \"T\": 1}", 1, "1 classes" },
		{ "{\"method\": \"temperature\", \"T\": 1}", 0, "0 classes" },
		/* Temperature: T a positive number. */
		{ "{\"method\": \"temperature\"}", 3, "'T' must be a positive "
		    "number" },
		{ "{\"method\": \"temperature\", \"T\": 0}", 3, "'T' must be" },
		{ "{\"method\": \"temperature\", \"T\": 0.0}", 3, "'T' must" },
		{ "{\"method\": \"temperature\", \"T\": -0.5}", 3, "'T' must" },
		{ "{\"method\": \"temperature\", \"T\": \"1\"}", 3, "'T' must" },
		{ "{\"method\": \"temperature\", \"T\": [1]}", 3, "'T' must" },
		{ "{\"method\": \"temperature\", \"T\": null}", 3, "'T' must" },
		/* Platt: A and B, k finite numbers each. */
		{ "{\"method\": \"platt\", \"A\": [-1, -1],"
		    " \"B\": [0, 0, 0]}", 3, "'A' must be an array of 3" },
		{ "{\"method\": \"platt\", \"A\": [-1, -1, -1, -1],"
		    " \"B\": [0, 0, 0]}", 3, "'A' must be an array of 3" },
		{ "{\"method\": \"platt\", \"A\": [-1, -1, -1],"
		    " \"B\": [0, 0]}", 3, "'B' must be an array of 3" },
		{ "{\"method\": \"platt\", \"A\": [-1, -1, -1]}", 3,
		    "'B' must be an array of 3" },
		{ "{\"method\": \"platt\", \"B\": [0, 0, 0]}", 3,
		    "'A' must be an array of 3" },
		{ "{\"method\": \"platt\", \"A\": -1, \"B\": [0, 0, 0]}", 3,
		    "'A' must be an array of 3" },
		{ "{\"method\": \"platt\", \"A\": [-1, \"x\", -1],"
		    " \"B\": [0, 0, 0]}", 3, "'A'[1] is not a finite number" },
		{ "{\"method\": \"platt\", \"A\": [-1, -1, -1],"
		    " \"B\": [0, 0, null]}", 3, "'B'[2] is not a finite number" },
		{ "{\"method\": \"platt\", \"A\": [-1, -1, -1],"
		    " \"B\": [0, [0], 0]}", 3, "'B'[1] is not a finite number" },
	};
	struct calib *c;
	struct err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		if ((c = from_text(bad[i].text, bad[i].k, &err)) != NULL)
			fail_msg("accepted %s", bad[i].text);
		if (strstr(err.msg, bad[i].what) == NULL)
			fail_msg("%s: '%s' does not say '%s'", bad[i].text,
			    err.msg, bad[i].what);
		assert_non_null(strstr(err.msg, "calibration"));
	}
	/*
	 * Non-finite numbers cannot be written in JSON: jansson refuses to
	 * make them and to parse 1e999, so they never reach calib_from_json.
	 */
	assert_null(json_real(INFINITY));
	assert_null(json_real(NAN));
	assert_null(json_loads("{\"T\": 1e999}", 0, NULL));

	/* Accepted: integers, extra keys, a temperature for any k >= 2. */
	c = from_text("{\"method\": \"temperature\", \"T\": 2, \"x\": 1}", 5,
	    &err);
	assert_non_null(c);
	assert_int_equal(calib_nclass(c), 5);
	calib_destroy(&c);
	c = from_text("{\"method\": \"platt\", \"A\": [-1, -2],"
	    " \"B\": [0, 1]}", 2, &err);
	assert_non_null(c);
	{
		double d[2] = { 1, -1 }, p[2];
		double p0 = 1 / (1 + exp(-1.0)), p1 = 1 / (1 + exp(3.0));

		calib_apply(c, d, p);
		assert_true(fabs(p[0] - p0 / (p0 + p1)) < 1e-15);
		assert_true(fabs(p[1] - p1 / (p0 + p1)) < 1e-15);
	}
	calib_destroy(&c);
	calib_destroy(&c);
}

static void
test_fit_errors(void **state)
{
	const struct calib_method *methods[2] = {
		calib_method_find("platt"), calib_method_find("temperature"),
	};
	double dec[6] = { 1, -1, 0.5, -0.5, 2, 0 }, w[3] = { 1, 1, 1 };
	int y[3] = { 0, 1, 0 };
	struct calib *c = (struct calib *)&c;
	struct err err;
	size_t mi;

	(void)state;
	assert_null(calib_method_find("isotonic"));
	assert_null(calib_method_find(""));
	assert_string_equal(calib_method_name(methods[0]), "platt");
	assert_string_equal(calib_method_name(methods[1]), "temperature");
	for (mi = 0; mi < 2; mi++) {
		const struct calib_method *m = methods[mi];

		assert_int_equal(calib_fit(m, dec, y, NULL, 0, 2, &c, &err),
		    -1);
		assert_null(c);
		assert_non_null(strstr(err.msg, "0 rows"));
		assert_int_equal(calib_fit(m, dec, y, NULL, 3, 1, &c, &err),
		    -1);
		assert_non_null(strstr(err.msg, "1 classes"));
		y[1] = 2;
		assert_int_equal(calib_fit(m, dec, y, NULL, 3, 2, &c, &err),
		    -1);
		assert_non_null(strstr(err.msg, "row 1 has class 2"));
		y[1] = -1;
		assert_int_equal(calib_fit(m, dec, y, NULL, 3, 2, &c, &err),
		    -1);
		assert_non_null(strstr(err.msg, "row 1 has class -1"));
		y[1] = 1;
		dec[5] = NAN;
		assert_int_equal(calib_fit(m, dec, y, NULL, 3, 2, &c, &err),
		    -1);
		assert_non_null(strstr(err.msg, "row 2 has a decision value "
		    "that is not finite"));
		dec[5] = -INFINITY;
		assert_int_equal(calib_fit(m, dec, y, NULL, 3, 2, &c, &err),
		    -1);
		assert_non_null(strstr(err.msg, "row 2"));
		dec[5] = 0;
		w[2] = -1;
		assert_int_equal(calib_fit(m, dec, y, w, 3, 2, &c, &err), -1);
		assert_non_null(strstr(err.msg, "row 2 has class 0 or a bad "
		    "weight"));
		w[2] = NAN;
		assert_int_equal(calib_fit(m, dec, y, w, 3, 2, &c, &err), -1);
		w[2] = 1;
		assert_null(c);
		/* And the same input, fixed, fits. */
		assert_int_equal(calib_fit(m, dec, y, w, 3, 2, &c, &err), 0);
		assert_non_null(c);
		calib_destroy(&c);
	}
}

static int
setup(void **state)
{
	struct rows *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return -1;
	print_message("data seed %u\n", DATA_SEED);
	rng = DATA_SEED;
	*state = r;
	return 0;
}

static int
teardown(void **state)
{
	free(*state);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_platt_recovers),
		cmocka_unit_test(test_temperature_recovers),
		cmocka_unit_test(test_temperature_order_and_weights),
		cmocka_unit_test(test_platt_multiclass),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_from_json_errors),
		cmocka_unit_test(test_fit_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
