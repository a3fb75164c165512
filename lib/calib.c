/*
 * calib.c - calibrators: decision values -> probabilities.
 *
 * Layout: the shared checks and rounding; the "platt" method (fit, apply,
 * JSON); the "temperature" method (the same); the method table, the only
 * place that knows which methods exist; the public functions, which go
 * through the table.
 *
 * A struct calib holds its method and k (platt: A[k], B[k]; temperature:
 * T in A[0]).  Fitting costs a few passes over the n * k values per Newton
 * or search step (Platt: at most 100 steps per class; temperature: a
 * 60-step golden-section search), so a million rows take seconds.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calib.h"
#include "xalloc.h"

struct calib_method {
	const char *name;
	/* Fit c->A / c->B (allocated by calib_fit for k values each). */
	void (*fit)(struct calib *c, const double *dec, const int *y,
	    const double *w, size_t n);
	void (*apply)(const struct calib *c, const double *dec, double *prob);
	void (*to_json)(const struct calib *c, json_t *obj);
	int (*from_json)(struct calib *c, const json_t *obj, struct err *err);
};

struct calib {
	const struct calib_method *m;
	size_t k;
	double *A, *B;
};

/* x as the double that its 15-significant-digit decimal text reads as. */
static double
calib_round(double x)
{
	char tmp[64];

	snprintf(tmp, sizeof(tmp), "%.15g", x);
	return strtod(tmp, NULL);
}

static json_t *
calib_array(const double *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_real(v[i]));
	return a;
}

/* Read the array obj[key] of exactly n finite numbers into out. */
static int
calib_get_array(const json_t *obj, const char *key, double *out, size_t n,
    struct err *err)
{
	const json_t *a = json_object_get(obj, key), *v;
	size_t i;

	if (!json_is_array(a) || json_array_size(a) != n)
		return err_set(err, "calibration: '%s' must be an array of %zu "
		    "numbers", key, n);
	for (i = 0; i < n; i++) {
		v = json_array_get(a, i);
		if (!json_is_number(v) || !isfinite(json_number_value(v)))
			return err_set(err, "calibration: '%s'[%zu] is not a "
			    "finite number", key, i);
		out[i] = json_number_value(v);
	}
	return 0;
}

/* ---- platt ---- */

/* 1 / (1 + exp(f)), written so that exp() cannot overflow. */
static double
calib_sigmoid(double f)
{
	if (f >= 0)
		return exp(-f) / (1.0 + exp(-f));
	return 1.0 / (1.0 + exp(f));
}

/*
 * Platt's sigmoid for one class, by the Newton method with backtracking of
 * Lin, Lin and Weng, "A note on Platt's probabilistic outputs for support
 * vector machines" (2007), with Platt's smoothed targets.
 */
static void
platt_fit_one(const double *dec, const int *y, const double *w, size_t n,
    size_t k, size_t cls, double *Ap, double *Bp)
{
	const double sigma = 1e-12, min_step = 1e-10, eps = 1e-5;
	double prior1 = 0, prior0 = 0, hi, lo, A, B, fval = 0;
	size_t i;
	int iter;

	for (i = 0; i < n; i++) {
		double wi = w ? w[i] : 1.0;

		if (y[i] == (int)cls)
			prior1 += wi;
		else
			prior0 += wi;
	}
	hi = (prior1 + 1.0) / (prior1 + 2.0);
	lo = 1.0 / (prior0 + 2.0);
	A = 0.0;
	B = log((prior0 + 1.0) / (prior1 + 1.0));
#define PLATT_LOSS(f, t) ((f) >= 0 ? (t) * (f) + log1p(exp(-(f))) : \
	((t) - 1) * (f) + log1p(exp(f)))
	for (i = 0; i < n; i++) {
		double f = dec[i * k + cls] * A + B;
		double t = y[i] == (int)cls ? hi : lo;

		fval += (w ? w[i] : 1.0) * PLATT_LOSS(f, t);
	}
	for (iter = 0; iter < 100; iter++) {
		double h11 = sigma, h22 = sigma, h21 = 0, g1 = 0, g2 = 0;
		double det, dA, dB, gd, step;

		for (i = 0; i < n; i++) {
			double d = dec[i * k + cls], f = d * A + B;
			double t = y[i] == (int)cls ? hi : lo;
			double wi = w ? w[i] : 1.0, p, q, d2, d1;

			p = calib_sigmoid(f);
			q = 1.0 - p;
			d2 = wi * p * q;
			h11 += d * d * d2;
			h22 += d2;
			h21 += d * d2;
			d1 = wi * (t - p);
			g1 += d * d1;
			g2 += d1;
		}
		if (fabs(g1) < eps * (prior0 + prior1) &&
		    fabs(g2) < eps * (prior0 + prior1))
			break;
		det = h11 * h22 - h21 * h21;
		dA = -(h22 * g1 - h21 * g2) / det;
		dB = -(-h21 * g1 + h11 * g2) / det;
		gd = g1 * dA + g2 * dB;
		for (step = 1.0; step >= min_step; step /= 2.0) {
			double nA = A + step * dA, nB = B + step * dB, nf = 0;

			for (i = 0; i < n; i++) {
				double f = dec[i * k + cls] * nA + nB;
				double t = y[i] == (int)cls ? hi : lo;

				nf += (w ? w[i] : 1.0) * PLATT_LOSS(f, t);
			}
			if (nf < fval + 0.0001 * step * gd) {
				A = nA;
				B = nB;
				fval = nf;
				break;
			}
		}
		if (step < min_step)
			break;
	}
#undef PLATT_LOSS
	*Ap = A;
	*Bp = B;
}

static void
platt_fit(struct calib *c, const double *dec, const int *y, const double *w,
    size_t n)
{
	size_t j;

	for (j = 0; j < c->k; j++)
		platt_fit_one(dec, y, w, n, c->k, j, &c->A[j], &c->B[j]);
}

static void
platt_apply(const struct calib *c, const double *dec, double *prob)
{
	double sum = 0;
	size_t j;

	for (j = 0; j < c->k; j++) {
		prob[j] = fmax(calib_sigmoid(dec[j] * c->A[j] + c->B[j]),
		    1e-12);
		sum += prob[j];
	}
	for (j = 0; j < c->k; j++)
		prob[j] /= sum;
}

static void
platt_to_json(const struct calib *c, json_t *obj)
{
	json_object_set_new(obj, "A", calib_array(c->A, c->k));
	json_object_set_new(obj, "B", calib_array(c->B, c->k));
}

static int
platt_from_json(struct calib *c, const json_t *obj, struct err *err)
{
	if (calib_get_array(obj, "A", c->A, c->k, err) == -1 ||
	    calib_get_array(obj, "B", c->B, c->k, err) == -1)
		return -1;
	return 0;
}

/* ---- temperature ---- */

static void
temperature_softmax(const double *dec, size_t k, double T, double *prob)
{
	double max = dec[0], sum = 0;
	size_t j;

	for (j = 1; j < k; j++)
		if (dec[j] > max)
			max = dec[j];
	for (j = 0; j < k; j++) {
		prob[j] = exp((dec[j] - max) / T);
		sum += prob[j];
	}
	for (j = 0; j < k; j++)
		prob[j] /= sum;
}

/* Weighted mean negative log-likelihood of softmax(dec / T). */
static double
temperature_nll(const double *dec, const int *y, const double *w, size_t n,
    size_t k, double T)
{
	double s = 0, sw = 0;
	size_t i, j;

	for (i = 0; i < n; i++) {
		const double *d = dec + i * k;
		double max = d[0], lse = 0, wi = w ? w[i] : 1.0;

		for (j = 1; j < k; j++)
			if (d[j] > max)
				max = d[j];
		for (j = 0; j < k; j++)
			lse += exp((d[j] - max) / T);
		s += wi * (log(lse) - (d[y[i]] - max) / T);
		sw += wi;
	}
	return s / sw;
}

/* The likelihood is unimodal in log T: golden-section search on it. */
static void
temperature_fit(struct calib *c, const double *dec, const int *y,
    const double *w, size_t n)
{
	const double g = (sqrt(5.0) - 1.0) / 2.0;
	double a = log(1e-3), b = log(1e2), x1, x2, f1, f2;
	int i;

	x1 = b - g * (b - a);
	x2 = a + g * (b - a);
	f1 = temperature_nll(dec, y, w, n, c->k, exp(x1));
	f2 = temperature_nll(dec, y, w, n, c->k, exp(x2));
	for (i = 0; i < 60; i++) {
		if (f1 <= f2) {
			b = x2;
			x2 = x1;
			f2 = f1;
			x1 = b - g * (b - a);
			f1 = temperature_nll(dec, y, w, n, c->k, exp(x1));
		} else {
			a = x1;
			x1 = x2;
			f1 = f2;
			x2 = a + g * (b - a);
			f2 = temperature_nll(dec, y, w, n, c->k, exp(x2));
		}
	}
	c->A[0] = exp((a + b) / 2.0);
}

static void
temperature_apply(const struct calib *c, const double *dec, double *prob)
{
	temperature_softmax(dec, c->k, c->A[0], prob);
}

static void
temperature_to_json(const struct calib *c, json_t *obj)
{
	json_object_set_new(obj, "T", json_real(c->A[0]));
}

static int
temperature_from_json(struct calib *c, const json_t *obj, struct err *err)
{
	const json_t *v = json_object_get(obj, "T");

	if (!json_is_number(v) || !(json_number_value(v) > 0) ||
	    !isfinite(json_number_value(v)))
		return err_set(err, "calibration: 'T' must be a positive "
		    "number");
	c->A[0] = json_number_value(v);
	return 0;
}

/* ---- the methods ---- */

static const struct calib_method calib_methods[] = {
	{ "platt", platt_fit, platt_apply, platt_to_json, platt_from_json },
	{ "temperature", temperature_fit, temperature_apply,
	    temperature_to_json, temperature_from_json },
};

const struct calib_method *
calib_method_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(calib_methods) / sizeof(calib_methods[0]); i++)
		if (strcmp(calib_methods[i].name, name) == 0)
			return &calib_methods[i];
	return NULL;
}

const char *
calib_method_name(const struct calib_method *m)
{
	return m->name;
}

static struct calib *
calib_new(const struct calib_method *m, size_t k)
{
	struct calib *c = xcalloc(1, sizeof(*c));

	c->m = m;
	c->k = k;
	c->A = xcalloc(k, sizeof(double));
	c->B = xcalloc(k, sizeof(double));
	return c;
}

int
calib_fit(const struct calib_method *m, const double *dec, const int *y,
    const double *w, size_t n, size_t k, struct calib **out,
    struct err *err)
{
	struct calib *c;
	size_t i;

	*out = NULL;
	if (n == 0 || k < 2)
		return err_set(err, "cannot calibrate: %zu rows of %zu classes",
		    n, k);
	for (i = 0; i < n * k; i++)
		if (!isfinite(dec[i]))
			return err_set(err, "cannot calibrate: row %zu has a "
			    "decision value that is not finite", i / k);
	for (i = 0; i < n; i++)
		if (y[i] < 0 || (size_t)y[i] >= k || (w && !(w[i] >= 0)))
			return err_set(err, "cannot calibrate: row %zu has "
			    "class %d or a bad weight", i, y[i]);
	c = calib_new(m, k);
	m->fit(c, dec, y, w, n);
	for (i = 0; i < k; i++) {
		c->A[i] = calib_round(c->A[i]);
		c->B[i] = calib_round(c->B[i]);
	}
	*out = c;
	return 0;
}

void
calib_destroy(struct calib **cp)
{
	struct calib *c = *cp;

	if (c == NULL)
		return;
	free(c->A);
	free(c->B);
	free(c);
	*cp = NULL;
}

const struct calib_method *
calib_method(const struct calib *c)
{
	return c->m;
}

size_t
calib_nclass(const struct calib *c)
{
	return c->k;
}

void
calib_apply(const struct calib *c, const double *dec, double *prob)
{
	c->m->apply(c, dec, prob);
}

json_t *
calib_to_json(const struct calib *c)
{
	json_t *obj = json_object();

	json_object_set_new(obj, "method", json_string(c->m->name));
	c->m->to_json(c, obj);
	return obj;
}

int
calib_from_json(const json_t *obj, size_t k, struct calib **out,
    struct err *err)
{
	const json_t *v = json_object_get(obj, "method");
	const struct calib_method *m;
	struct calib *c;

	*out = NULL;
	if (!json_is_object(obj))
		return err_set(err, "calibration must be an object");
	if (!json_is_string(v))
		return err_set(err, "calibration: no 'method'");
	if ((m = calib_method_find(json_string_value(v))) == NULL)
		return err_set(err, "calibration: unknown method '%.40s'",
		    json_string_value(v));
	if (k < 2)
		return err_set(err, "calibration: %zu classes", k);
	c = calib_new(m, k);
	if (m->from_json(c, obj, err) == -1) {
		calib_destroy(&c);
		return -1;
	}
	*out = c;
	return 0;
}

double
calib_nll(const struct calib *c, const double *dec, const int *y, size_t n)
{
	double *p = xcalloc(c->k, sizeof(double)), s = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		calib_apply(c, dec + i * c->k, p);
		s -= log(fmax(p[y[i]], 1e-15));
	}
	free(p);
	return n ? s / (double)n : 0.0;
}
