/*
 * model.c - the libsvm wrapper; the only file including svm.h.
 *
 * A struct model owns exactly one struct svm_model, always in the shape
 * svm_load_model gives it: the support vectors' nodes live in one block that
 * starts at SV[0] and free_sv is 1, so svm_free_and_destroy_model frees
 * everything.  svm_train instead leaves SV[] pointing into the caller's
 * svm_problem; model_train copies those nodes into such a block, rounding
 * each value to the 8 significant digits ("%.8g") that svm_save_model
 * keeps, so a trained model and the same model saved and loaded again
 * predict bit for bit the same (every other number is saved with "%.17g").
 * Classes are libsvm's integer labels, and a model we accept has labels
 * 0..nr_class-1 in some order (libsvm orders them by first appearance in the
 * training set); model_predict re-orders the probabilities by class number.
 *
 * svm_load_model checks almost nothing: it prints to stderr and returns
 * NULL on some errors, reads unset numbers from a truncated file and may
 * dereference NULL on a short support-vector line.  model_load therefore
 * first checks the whole file itself (model_check_file) and hands libsvm
 * only files that parse, so errors carry a line number and libsvm never
 * sees a bad file.  That check parses numbers in the "C" locale, as libsvm
 * does.
 *
 * Locale: svm_load_model and svm_save_model call setlocale(LC_ALL, "C") and
 * restore the old locale afterwards, which changes the locale of the whole
 * process.  model_load, model_save (and thus bundle_save, bundle_load and
 * classifier_load) must therefore run on the main thread while no other
 * thread formats or parses numbers.  model_write_vector and the rounding in
 * model_train use the current locale, like svm-predict does; the programs
 * never call setlocale, so that is "C".
 *
 * libsvm's print hook is its one global.  A constructor points it at a
 * no-op at start-up so that libsvm is silent unless model_set_print says
 * otherwise.
 *
 * Sizes: a bundle has a few classes and a few thousand support vectors of a
 * few hundred non-zero features each; the model file is some megabytes.
 * Prediction costs one sparse dot product per support vector.  The scratch
 * grows to the largest vector seen and then stops allocating (libsvm itself
 * still allocates a few small arrays per prediction).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libsvm/svm.h>

#include "calib.h"
#include "linmodel.h"
#include "model.h"
#include "xalloc.h"

/* More classes than any news task has; bounds the header's arrays. */
#define MODEL_MAX_CLASSES 1024

/*
 * One solver's implementation of the model functions; a model points to its
 * solver's table, chosen when the model is trained or loaded.
 */
struct model_solver {
	const char *name;		/* as meta.json says */
	const char *file;		/* the model file in a bundle */
	int (*train)(const struct feat_vec *x, const int *y, size_t n,
	    size_t dim, const struct model_params *p, struct model **out,
	    struct err *err);
	int (*load)(const char *path, const json_t *meta, struct model **out,
	    struct err *err);
	int (*save)(const struct model *m, const char *path, struct err *err);
	void (*release)(struct model *m);
	int (*nr_class)(const struct model *m);
	size_t (*ndec)(const struct model *m);
	int (*probabilities)(const struct model *m);
	/* Fast-path decision values; -1 if the model has no fast path. */
	int (*decision)(const struct model *m, const struct feat_vec *x,
	    struct model_scratch *s, double *dec);
	int (*predict)(const struct model *m, const struct feat_vec *x,
	    struct model_scratch *s, double *prob);
	int (*predict_label)(const struct model *m, const struct feat_vec *x,
	    struct model_scratch *s);
	int (*reference)(const struct model *m, const struct feat_vec *x,
	    struct model_scratch *s, double *prob, double *dec);
	int (*explain)(const struct model *m, const struct feat_vec *x,
	    int label, size_t k, struct model_why *out, size_t *n);
	json_t *(*meta)(const struct model *m);
};

static const struct model_solver model_libsvm, model_liblinear;

struct model {
	const struct model_solver *solver;
	int32_t max_feature;	/* largest 0-based feature id used, or -1 */
	/* liblinear: the weights and the calibrator (linmodel.h, calib.h). */
	struct linmodel *lin;
	struct calib *calib;
	/* libsvm: */
	struct svm_model *svm;
	/*
	 * The linear fast path: the support vectors of each one-vs-one pair
	 * collapsed into one weight vector.  w[f * npairs + p] is feature f's
	 * weight for pair p, so one feature's weights for all pairs are
	 * adjacent (one or two cache lines).  NULL when not built.
	 */
	double *w;
	size_t npairs;
	size_t dim;		/* max_feature + 1 */
};

struct model_scratch {
	struct svm_node *node;	/* the vector being scored, index -1 ends */
	size_t node_cap;
	double *est;		/* probabilities in libsvm's class order */
	/* Fast path: decision values, pairwise probabilities, coupling. */
	double *dec, *pair, *Q, *Qp;
	size_t k_cap;		/* classes the arrays above fit */
};

/* Above this many weights (8 bytes each) the fast path is not built. */
#define MODEL_MAX_WEIGHTS ((size_t)64 << 20)

/* What model_check_file learnt from the header. */
struct model_header {
	int have;		/* HDR_* seen */
	int nr_class;
	int total_sv;
};

enum {
	HDR_SVM_TYPE = 1 << 0,
	HDR_KERNEL = 1 << 1,
	HDR_NR_CLASS = 1 << 2,
	HDR_TOTAL_SV = 1 << 3,
	HDR_RHO = 1 << 4,
	HDR_LABEL = 1 << 5,
	HDR_PROBA = 1 << 6,
	HDR_PROBB = 1 << 7,
	HDR_NR_SV = 1 << 8,
	HDR_DEGREE = 1 << 9,
	HDR_GAMMA = 1 << 10,
	HDR_COEF0 = 1 << 11,
};

static void
model_print_null(const char *s)
{
	(void)s;
}

__attribute__((constructor)) static void
model_print_init(void)
{
	svm_set_print_string_function(model_print_null);
}

void
model_set_print(void (*print)(const char *))
{
	svm_set_print_string_function(print ? print : model_print_null);
}

void
model_params_default(struct model_params *p)
{
	memset(p, 0, sizeof(*p));
	p->solver = &model_libsvm;
	p->C = 1.0;
	p->probability = 1;
	p->cache_mb = 100.0;
	p->seed = 1;
	p->linear = linmodel_solver_find("L2R_L2LOSS_SVC_DUAL");
	p->bias = 1.0;
	p->exact = 1;
}

static int32_t
model_scan_max_feature(const struct svm_model *svm)
{
	const struct svm_node *n;
	int max = 0;
	int i;

	for (i = 0; i < svm->l; i++)
		for (n = svm->SV[i]; n->index != -1; n++)
			if (n->index > max)
				max = n->index;
	return (int32_t)max - 1;
}

/*
 * Collapse a linear model: for the pair (i, j), libsvm's decision value is
 * sum over the SVs of class i of sv_coef[j-1] * <sv, x> plus sum over the
 * SVs of class j of sv_coef[i] * <sv, x>, minus rho; with a linear kernel
 * the sums fold into one weight vector per pair.
 */
static void
model_build_linear(struct model *m)
{
	const struct svm_model *svm = m->svm;
	int k = svm->nr_class, i, j, c, n;
	size_t p = 0, *start;

	m->w = NULL;
	m->npairs = (size_t)k * (size_t)(k - 1) / 2;
	m->dim = (size_t)(m->max_feature + 1);
	if (svm->param.kernel_type != LINEAR || m->dim == 0 ||
	    m->dim > MODEL_MAX_WEIGHTS / m->npairs)
		return;
	m->w = xcalloc(m->dim * m->npairs, sizeof(double));
	start = xcalloc((size_t)k, sizeof(size_t));
	for (c = 1; c < k; c++)
		start[c] = start[c - 1] + (size_t)svm->nSV[c - 1];
	for (i = 0; i < k; i++)
		for (j = i + 1; j < k; j++, p++) {
			const struct { int cls; const double *coef; } side[2] = {
				{ i, svm->sv_coef[j - 1] }, { j, svm->sv_coef[i] }
			};

			for (c = 0; c < 2; c++)
				for (n = 0; n < svm->nSV[side[c].cls]; n++) {
					size_t sv = start[side[c].cls] +
					    (size_t)n;
					const struct svm_node *e = svm->SV[sv];
					double a = side[c].coef[sv];

					for (; e->index != -1; e++)
						m->w[(size_t)(e->index - 1) *
						    m->npairs + p] +=
						    a * e->value;
				}
		}
	free(start);
}

static struct model *
model_wrap(struct svm_model *svm)
{
	struct model *m = xcalloc(1, sizeof(*m));

	m->solver = &model_libsvm;
	m->svm = svm;
	m->max_feature = model_scan_max_feature(svm);
	model_build_linear(m);
	return m;
}

/* The value svm_save_model's "%.8g" and svm_load_model's strtod give back. */
static double
model_round_sv(double v)
{
	char tmp[64];

	snprintf(tmp, sizeof(tmp), "%.8g", v);
	return strtod(tmp, NULL);
}

/*
 * Move the support vectors out of the training problem into one block owned
 * by the model, as svm_load_model lays them out.
 */
static void
model_own_svs(struct svm_model *svm)
{
	const struct svm_node *n;
	struct svm_node *block, *dst;
	size_t total = 0;
	int i;

	for (i = 0; i < svm->l; i++) {
		for (n = svm->SV[i]; n->index != -1; n++)
			total++;
		total++;
	}
	if (svm->l == 0) {
		svm->free_sv = 1;
		return;
	}
	block = xreallocarray(NULL, total, sizeof(*block));
	dst = block;
	for (i = 0; i < svm->l; i++) {
		n = svm->SV[i];
		svm->SV[i] = dst;
		for (; n->index != -1; n++, dst++) {
			dst->index = n->index;
			dst->value = model_round_sv(n->value);
		}
		dst->index = -1;
		dst->value = 0;
		dst++;
	}
	svm->free_sv = 1;
}

static int
model_check_vec(const struct feat_vec *v, size_t i, size_t dim,
    struct err *err)
{
	size_t j;

	for (j = 0; j < v->n; j++) {
		if (v->idx[j] < 0 || (size_t)v->idx[j] >= dim ||
		    (j > 0 && v->idx[j] <= v->idx[j - 1]))
			return err_set(err, "cannot train model: vector %zu: "
			    "feature id %d out of order or not below %zu", i,
			    (int)v->idx[j], dim);
		if (!isfinite(v->val[j]))
			return err_set(err, "cannot train model: vector %zu: "
			    "feature %d is not a finite number", i,
			    (int)v->idx[j]);
	}
	return 0;
}

/* Check the training vectors; count the classes into *nr_class. */
static int
model_check_input(const struct feat_vec *x, const int *y, size_t n,
    size_t dim, int *nr_class, struct err *err)
{
	unsigned char *seen;
	size_t i;
	int k, max = -1;

	if (n == 0)
		return err_set(err, "cannot train model: no training vectors");
	if (n > INT_MAX)
		return err_set(err, "cannot train model: %zu training vectors "
		    "(at most %d)", n, INT_MAX);
	if (dim > INT_MAX)
		return err_set(err, "cannot train model: %zu features "
		    "(at most %d)", dim, INT_MAX);
	for (i = 0; i < n; i++) {
		if (y[i] < 0 || y[i] >= MODEL_MAX_CLASSES)
			return err_set(err, "cannot train model: vector %zu "
			    "has class %d (expected 0..%d)", i, y[i],
			    MODEL_MAX_CLASSES - 1);
		if (y[i] > max)
			max = y[i];
		if (model_check_vec(&x[i], i, dim, err) == -1)
			return -1;
	}
	if (max < 1)
		return err_set(err, "cannot train model: need at least two "
		    "classes");
	seen = xcalloc((size_t)max + 1, 1);
	for (i = 0; i < n; i++)
		seen[y[i]] = 1;
	for (k = 0; k <= max; k++)
		if (!seen[k])
			break;
	free(seen);
	if (k <= max)
		return err_set(err, "cannot train model: class %d has no "
		    "training vectors", k);
	*nr_class = max + 1;
	return 0;
}

static int
msvm_train(const struct feat_vec *x, const int *y, size_t n, size_t dim,
    const struct model_params *p, struct model **out, struct err *err)
{
	struct svm_parameter param;
	struct svm_problem prob;
	struct svm_model *svm;
	struct svm_node *nodes, *dst;
	const char *why;
	size_t i, j, total = 0;
	int nr_class = 0, rc = -1;

	*out = NULL;
	if (model_check_input(x, y, n, dim, &nr_class, err) == -1)
		return -1;

	memset(&param, 0, sizeof(param));
	param.svm_type = C_SVC;
	param.kernel_type = LINEAR;
	param.degree = 3;
	param.cache_size = p->cache_mb;
	param.eps = p->eps != 0 ? p->eps : 1e-3;
	param.C = p->C;
	param.nu = 0.5;
	param.p = 0.1;
	param.shrinking = 1;
	param.probability = p->probability ? 1 : 0;

	for (i = 0; i < n; i++)
		total += x[i].n + 1;
	prob.l = (int)n;
	prob.y = xreallocarray(NULL, n, sizeof(*prob.y));
	prob.x = xreallocarray(NULL, n, sizeof(*prob.x));
	nodes = xreallocarray(NULL, total, sizeof(*nodes));
	dst = nodes;
	for (i = 0; i < n; i++) {
		prob.y[i] = y[i];
		prob.x[i] = dst;
		for (j = 0; j < x[i].n; j++, dst++) {
			dst->index = x[i].idx[j] + 1;
			dst->value = x[i].val[j];
		}
		dst->index = -1;
		dst->value = 0;
		dst++;
	}

	if (p->balanced) {
		/* Rare classes get a larger C, as if they were as frequent. */
		param.nr_weight = nr_class;
		param.weight_label = xcalloc((size_t)nr_class, sizeof(int));
		param.weight = xcalloc((size_t)nr_class, sizeof(double));
		for (i = 0; i < n; i++)
			param.weight[y[i]] += 1.0;
		for (j = 0; j < (size_t)nr_class; j++) {
			param.weight_label[j] = (int)j;
			param.weight[j] = (double)n /
			    ((double)nr_class * param.weight[j]);
		}
	}
	why = svm_check_parameter(&prob, &param);
	if (why != NULL) {
		err_set(err, "cannot train model: %s", why);
		goto out_free;
	}
	/* Platt scaling's internal cross-validation shuffles with rand(). */
	srand(p->seed);
	svm = svm_train(&prob, &param);
	if (svm == NULL) {
		err_set(err, "cannot train model: libsvm returned no model");
		goto out_free;
	}
	model_own_svs(svm);
	if (svm->nr_class != nr_class) {
		err_set(err, "cannot train model: libsvm found %d classes, "
		    "expected %d", svm->nr_class, nr_class);
		svm_free_and_destroy_model(&svm);
		goto out_free;
	}
	*out = model_wrap(svm);
	rc = 0;
out_free:
	free(param.weight_label);
	free(param.weight);
	free(nodes);
	free(prob.x);
	free(prob.y);
	return rc;
}

/* Copy a token for an error message: at most 40 bytes, printable ASCII. */
static const char *
model_quote(const char *tok, char *out, size_t outsz)
{
	size_t i;

	for (i = 0; tok[i] != '\0' && i < 40 && i + 1 < outsz; i++)
		out[i] = tok[i] >= 0x20 && tok[i] < 0x7f ? tok[i] : '?';
	out[i] = '\0';
	return out;
}

/* Split off the next blank-separated token of *pos, or NULL at the end. */
static char *
model_token(char **pos)
{
	char *s = *pos, *t;

	s += strspn(s, " \t");
	if (*s == '\0' || *s == '\n') {
		*pos = s;
		return NULL;
	}
	t = s + strcspn(s, " \t\n");
	if (*t != '\0')
		*t++ = '\0';
	*pos = t;
	return s;
}

/*
 * 1 if tok is a plain decimal number ("-0.0123", "4.5e-05": the form
 * svm_save_model writes) that strtod would read whole and finite, so the
 * support vectors' values, read again by libsvm, need not be converted
 * here too.  Anything else takes the strtod path.
 */
static int
model_plain_finite(const char *s)
{
	int intdigits = 0, digits = 0, exp = 0, edigits = 0, eneg = 0;

	if (*s == '-' || *s == '+')
		s++;
	for (; isdigit((unsigned char)*s); s++)
		intdigits++;
	digits = intdigits;
	if (*s == '.')
		for (s++; isdigit((unsigned char)*s); s++)
			digits++;
	if (digits == 0)
		return 0;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '-' || *s == '+')
			eneg = *s++ == '-';
		for (; isdigit((unsigned char)*s); s++) {
			if (++edigits > 3)
				return 0;
			exp = exp * 10 + (*s - '0');
		}
		if (edigits == 0)
			return 0;
	}
	/* Below 10^301 (DBL_MAX is 1.8e308); tiny values round to 0. */
	return *s == '\0' && intdigits <= 300 && (eneg || intdigits + exp <= 300);
}

static int
model_parse_double(const char *tok, locale_t c_locale, double *out)
{
	char *end;

	*out = strtod_l(tok, &end, c_locale);
	return end == tok || *end != '\0' || !isfinite(*out) ? -1 : 0;
}

static int
model_parse_int(const char *tok, int *out)
{
	char *end;
	long v;
	int i;

	/* The common case, a feature id: up to 9 digits, no sign. */
	for (i = 0, v = 0; i < 10 && isdigit((unsigned char)tok[i]); i++)
		v = v * 10 + (tok[i] - '0');
	if (i > 0 && i < 10 && tok[i] == '\0') {
		*out = (int)v;
		return 0;
	}

	if (!isdigit((unsigned char)tok[0]) && tok[0] != '-')
		return -1;
	errno = 0;
	v = strtol(tok, &end, 10);
	if (end == tok || *end != '\0' || errno || v < INT_MIN || v > INT_MAX)
		return -1;
	*out = (int)v;
	return 0;
}

/* Expect exactly count finite numbers on the rest of the line. */
static int
model_parse_doubles(char **pos, int count, locale_t c_locale,
    const char *key, char *why, size_t whysz)
{
	char *tok, q[48];
	double v;
	int i;

	for (i = 0; i < count; i++) {
		tok = model_token(pos);
		if (tok == NULL) {
			snprintf(why, whysz, "'%s' needs %d values, found %d",
			    key, count, i);
			return -1;
		}
		if (model_parse_double(tok, c_locale, &v) == -1) {
			snprintf(why, whysz, "'%s' value '%s' is not a "
			    "finite number", key,
			    model_quote(tok, q, sizeof(q)));
			return -1;
		}
	}
	if (model_token(pos) != NULL) {
		snprintf(why, whysz, "'%s' needs %d values, found more", key,
		    count);
		return -1;
	}
	return 0;
}

/*
 * Expect exactly nr_class integers: the labels (a permutation of
 * 0..nr_class-1) or the per-class support vector counts (summing to
 * total_sv).
 */
static int
model_parse_ints(char **pos, const struct model_header *h, int is_label,
    const char *key, char *why, size_t whysz)
{
	unsigned char *seen;
	char *tok, q[48];
	long sum = 0;
	int i, v, rc = -1;

	seen = xcalloc((size_t)h->nr_class, 1);
	for (i = 0; i < h->nr_class; i++) {
		tok = model_token(pos);
		if (tok == NULL) {
			snprintf(why, whysz, "'%s' needs %d values, found %d",
			    key, h->nr_class, i);
			goto out;
		}
		if (model_parse_int(tok, &v) == -1 || v < 0) {
			snprintf(why, whysz, "'%s' value '%s' is not a "
			    "non-negative integer", key,
			    model_quote(tok, q, sizeof(q)));
			goto out;
		}
		if (is_label && (v >= h->nr_class || seen[v])) {
			snprintf(why, whysz, "labels must be 0..%d in any "
			    "order, found %s%d", h->nr_class - 1,
			    v < h->nr_class ? "a second " : "", v);
			goto out;
		}
		if (is_label)
			seen[v] = 1;
		sum += v;
	}
	if (model_token(pos) != NULL) {
		snprintf(why, whysz, "'%s' needs %d values, found more", key,
		    h->nr_class);
		goto out;
	}
	if (!is_label && sum != h->total_sv) {
		snprintf(why, whysz, "'nr_sv' adds up to %ld, but total_sv is "
		    "%d", sum, h->total_sv);
		goto out;
	}
	rc = 0;
out:
	free(seen);
	return rc;
}

static const struct {
	const char *key;
	int bit;
	int needs;	/* header lines that must come first */
} model_keys[] = {
	{ "svm_type", HDR_SVM_TYPE, 0 },
	{ "kernel_type", HDR_KERNEL, 0 },
	{ "degree", HDR_DEGREE, 0 },
	{ "gamma", HDR_GAMMA, 0 },
	{ "coef0", HDR_COEF0, 0 },
	{ "nr_class", HDR_NR_CLASS, 0 },
	{ "total_sv", HDR_TOTAL_SV, 0 },
	{ "rho", HDR_RHO, HDR_NR_CLASS },
	{ "label", HDR_LABEL, HDR_NR_CLASS },
	{ "probA", HDR_PROBA, HDR_NR_CLASS },
	{ "probB", HDR_PROBB, HDR_NR_CLASS },
	{ "nr_sv", HDR_NR_SV, HDR_NR_CLASS | HDR_TOTAL_SV },
};

/* One header line; 1 at "SV", 0 for another line, -1 with why. */
static int
model_parse_header_line(char *line, struct model_header *h,
    locale_t c_locale, char *why, size_t whysz)
{
	char *pos = line, *key, *tok, q[48];
	size_t i, nk = sizeof(model_keys) / sizeof(model_keys[0]);
	int v, npairs;

	key = model_token(&pos);
	if (key == NULL) {
		snprintf(why, whysz, "empty line in the header");
		return -1;
	}
	if (strcmp(key, "SV") == 0) {
		if (model_token(&pos) == NULL)
			return 1;
		snprintf(why, whysz, "text after 'SV'");
		return -1;
	}
	for (i = 0; i < nk; i++)
		if (strcmp(key, model_keys[i].key) == 0)
			break;
	if (i == nk) {
		snprintf(why, whysz, h->have == 0 ? "not a libsvm model file "
		    "(starts with '%s')" : "unknown keyword '%s'",
		    model_quote(key, q, sizeof(q)));
		return -1;
	}
	if (h->have & model_keys[i].bit) {
		snprintf(why, whysz, "'%s' given twice", key);
		return -1;
	}
	if ((h->have & model_keys[i].needs) != model_keys[i].needs) {
		snprintf(why, whysz, "'%s' before 'nr_class' or 'total_sv'",
		    key);
		return -1;
	}
	h->have |= model_keys[i].bit;
	npairs = h->nr_class * (h->nr_class - 1) / 2;
	switch (model_keys[i].bit) {
	case HDR_SVM_TYPE:
	case HDR_KERNEL:
		tok = model_token(&pos);
		if (tok == NULL || model_token(&pos) != NULL) {
			snprintf(why, whysz, "'%s' needs one value", key);
			return -1;
		}
		if (model_keys[i].bit == HDR_SVM_TYPE &&
		    strcmp(tok, "c_svc") != 0) {
			snprintf(why, whysz, "svm_type '%s' is not "
			    "supported (only c_svc)",
			    model_quote(tok, q, sizeof(q)));
			return -1;
		}
		if (model_keys[i].bit == HDR_KERNEL &&
		    strcmp(tok, "linear") != 0) {
			snprintf(why, whysz, "kernel_type '%s' is not "
			    "supported (only linear)",
			    model_quote(tok, q, sizeof(q)));
			return -1;
		}
		return 0;
	case HDR_NR_CLASS:
	case HDR_TOTAL_SV:
		tok = model_token(&pos);
		if (tok == NULL || model_token(&pos) != NULL ||
		    model_parse_int(tok, &v) == -1) {
			snprintf(why, whysz, "'%s' needs one integer", key);
			return -1;
		}
		if (model_keys[i].bit == HDR_NR_CLASS &&
		    (v < 2 || v > MODEL_MAX_CLASSES)) {
			snprintf(why, whysz, "nr_class %d is out of range "
			    "(2..%d)", v, MODEL_MAX_CLASSES);
			return -1;
		}
		if (model_keys[i].bit == HDR_TOTAL_SV && v < 0) {
			snprintf(why, whysz, "total_sv %d is negative", v);
			return -1;
		}
		if (model_keys[i].bit == HDR_NR_CLASS)
			h->nr_class = v;
		else
			h->total_sv = v;
		return 0;
	case HDR_LABEL:
		return model_parse_ints(&pos, h, 1, key, why, whysz);
	case HDR_NR_SV:
		return model_parse_ints(&pos, h, 0, key, why, whysz);
	case HDR_RHO:
	case HDR_PROBA:
	case HDR_PROBB:
		return model_parse_doubles(&pos, npairs, c_locale, key, why,
		    whysz);
	default:	/* degree, gamma, coef0: meaningless for linear */
		return model_parse_doubles(&pos, 1, c_locale, key, why, whysz);
	}
}

/* One support vector: nr_class-1 coefficients, then ascending id:value. */
static int
model_parse_sv_line(char *line, const struct model_header *h,
    locale_t c_locale, char *why, size_t whysz)
{
	char *pos = line, *tok, *colon, q[48];
	double v;
	int id, last = 0, i;

	for (i = 0; i < h->nr_class - 1; i++) {
		tok = model_token(&pos);
		if (tok == NULL || (!model_plain_finite(tok) &&
		    model_parse_double(tok, c_locale, &v))) {
			snprintf(why, whysz, "a support vector starts with "
			    "%d coefficient%s", h->nr_class - 1,
			    h->nr_class > 2 ? "s" : "");
			return -1;
		}
	}
	while ((tok = model_token(&pos)) != NULL) {
		colon = strchr(tok, ':');
		if (colon == NULL) {
			snprintf(why, whysz, "'%s' is not id:value",
			    model_quote(tok, q, sizeof(q)));
			return -1;
		}
		*colon = '\0';
		if (model_parse_int(tok, &id) == -1 || id <= last) {
			snprintf(why, whysz, "feature id '%s' is not a "
			    "positive integer above %d",
			    model_quote(tok, q, sizeof(q)), last);
			return -1;
		}
		if (!model_plain_finite(colon + 1) &&
		    model_parse_double(colon + 1, c_locale, &v) == -1) {
			snprintf(why, whysz, "value '%s' of feature %d is "
			    "not a finite number",
			    model_quote(colon + 1, q, sizeof(q)), id);
			return -1;
		}
		last = id;
	}
	return 0;
}

/* Check the header's completeness once "SV" has been read. */
static int
model_check_header(const struct model_header *h, char *why, size_t whysz)
{
	static const struct {
		int bit;
		const char *what;
	} need[] = {
		{ HDR_SVM_TYPE, "no 'svm_type'" },
		{ HDR_KERNEL, "no 'kernel_type'" },
		{ HDR_NR_CLASS, "no 'nr_class'" },
		{ HDR_TOTAL_SV, "no 'total_sv'" },
		{ HDR_RHO, "no 'rho'" },
		{ HDR_LABEL, "no 'label'" },
		{ HDR_NR_SV, "no 'nr_sv'" },
		{ HDR_PROBA, "no probability estimates ('probA'; train with "
		    "probability)" },
		{ HDR_PROBB, "no probability estimates ('probB'; train with "
		    "probability)" },
	};
	size_t i;

	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!(h->have & need[i].bit)) {
			snprintf(why, whysz, "%s", need[i].what);
			return -1;
		}
	return 0;
}

/*
 * Parse the whole model file as svm_save_model writes it.  -1 with err set
 * (naming the file and line) if libsvm would misread it or we would reject
 * what it reads.
 */
static int
model_check_file(FILE *f, const char *path, struct err *err)
{
	struct model_header h = { 0, 0, 0 };
	locale_t c_locale;
	char why[256], *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;
	int in_header = 1, nsv = 0, r, rc = -1;

	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	if (c_locale == (locale_t)0)
		return err_set(err, "cannot load model '%s': %s", path,
		    strerror(errno));
	while ((len = getline(&line, &cap, f)) != -1) {
		lineno++;
		if ((size_t)len != strlen(line)) {
			snprintf(why, sizeof(why), "NUL byte");
			goto out_bad;
		}
		if (line[len - 1] != '\n') {
			snprintf(why, sizeof(why), "truncated (no newline at "
			    "the end)");
			goto out_bad;
		}
		if (in_header) {
			r = model_parse_header_line(line, &h, c_locale, why,
			    sizeof(why));
			if (r == -1)
				goto out_bad;
			if (r == 1) {
				if (model_check_header(&h, why,
				    sizeof(why)) == -1)
					goto out_bad;
				in_header = 0;
			}
			continue;
		}
		if (nsv == h.total_sv) {
			snprintf(why, sizeof(why), "text after the last of "
			    "%d support vectors", h.total_sv);
			goto out_bad;
		}
		if (model_parse_sv_line(line, &h, c_locale, why,
		    sizeof(why)) == -1)
			goto out_bad;
		nsv++;
	}
	if (ferror(f)) {
		err_set(err, "cannot load model '%s': %s", path,
		    strerror(errno));
		goto out;
	}
	if (lineno == 0) {
		err_set(err, "cannot load model '%s': empty file", path);
		goto out;
	}
	if (in_header) {
		err_set(err, "cannot load model '%s': truncated (no 'SV' "
		    "line)", path);
		goto out;
	}
	if (nsv < h.total_sv) {
		err_set(err, "cannot load model '%s': truncated after %d of "
		    "%d support vectors", path, nsv, h.total_sv);
		goto out;
	}
	rc = 0;
	goto out;
out_bad:
	err_set(err, "cannot load model '%s': line %zu: %s", path, lineno,
	    why);
out:
	free(line);
	freelocale(c_locale);
	return rc;
}

/* What libsvm loaded must agree with what model_check_file accepted. */
static int
model_check_loaded(const struct svm_model *svm, const char *path,
    struct err *err)
{
	unsigned char *seen;
	int i, bad = -1;

	if (svm_get_svm_type(svm) != C_SVC)
		return err_set(err, "cannot load model '%s': not a c_svc "
		    "model", path);
	if (svm->param.kernel_type != LINEAR)
		return err_set(err, "cannot load model '%s': kernel is not "
		    "linear", path);
	if (svm->nr_class < 2 || svm->label == NULL)
		return err_set(err, "cannot load model '%s': no class labels",
		    path);
	seen = xcalloc((size_t)svm->nr_class, 1);
	for (i = 0; i < svm->nr_class && bad == -1; i++) {
		if (svm->label[i] < 0 || svm->label[i] >= svm->nr_class ||
		    seen[svm->label[i]])
			bad = i;
		else
			seen[svm->label[i]] = 1;
	}
	free(seen);
	if (bad != -1)
		return err_set(err, "cannot load model '%s': labels must be "
		    "0..%d in any order", path, svm->nr_class - 1);
	if (!svm_check_probability_model(svm))
		return err_set(err, "cannot load model '%s': no probability "
		    "estimates", path);
	return 0;
}

static int
msvm_load(const char *path, const json_t *meta, struct model **out,
    struct err *err)
{
	struct svm_model *svm;
	struct stat st;
	FILE *f;
	int rc;

	(void)meta;
	*out = NULL;
	f = fopen(path, "r");
	if (f == NULL)
		return err_set(err, "cannot load model '%s': %s", path,
		    strerror(errno));
	if (fstat(fileno(f), &st) == -1 || !S_ISREG(st.st_mode)) {
		fclose(f);
		return err_set(err, "cannot load model '%s': not a regular "
		    "file", path);
	}
	rc = model_check_file(f, path, err);
	fclose(f);
	if (rc == -1)
		return -1;
	svm = svm_load_model(path);
	if (svm == NULL)
		return err_set(err, "cannot load model '%s': not a valid "
		    "libsvm model file", path);
	if (model_check_loaded(svm, path, err) == -1) {
		svm_free_and_destroy_model(&svm);
		return -1;
	}
	*out = model_wrap(svm);
	return 0;
}

static int
msvm_save(const struct model *m, const char *path, struct err *err)
{
	errno = 0;
	if (svm_save_model(path, m->svm) != 0)
		return err_set(err, "cannot save model '%s': %s", path,
		    errno ? strerror(errno) : "write error");
	return 0;
}

static void
msvm_release(struct model *m)
{
	svm_free_and_destroy_model(&m->svm);
	free(m->w);
}

static int
msvm_nr_class(const struct model *m)
{
	return m->svm->nr_class;
}

static size_t
msvm_ndec(const struct model *m)
{
	return m->npairs;
}

static int
msvm_probabilities(const struct model *m)
{
	return svm_check_probability_model(m->svm);
}

struct model_scratch *
model_scratch_new(void)
{
	return xcalloc(1, sizeof(struct model_scratch));
}

void
model_scratch_destroy(struct model_scratch **sp)
{
	struct model_scratch *s = *sp;

	if (s == NULL)
		return;
	free(s->node);
	free(s->est);
	free(s->dec);
	free(s->pair);
	free(s->Q);
	free(s->Qp);
	free(s);
	*sp = NULL;
}

/* Convert x into the scratch's node array (1-based ids, -1 ends). */
static const struct svm_node *
model_nodes(const struct feat_vec *x, struct model_scratch *s)
{
	size_t i;

	if (x->n + 1 > s->node_cap) {
		s->node_cap = x->n + 1 > 2 * s->node_cap ? x->n + 1 :
		    2 * s->node_cap;
		s->node = xreallocarray(s->node, s->node_cap,
		    sizeof(*s->node));
	}
	for (i = 0; i < x->n; i++) {
		s->node[i].index = x->idx[i] + 1;
		s->node[i].value = x->val[i];
	}
	s->node[x->n].index = -1;
	s->node[x->n].value = 0;
	return s->node;
}

static void
scratch_fit(struct model_scratch *s, size_t k)
{
	if (k <= s->k_cap)
		return;
	s->est = xreallocarray(s->est, k, sizeof(double));
	s->dec = xreallocarray(s->dec, k * k, sizeof(double));
	s->pair = xreallocarray(s->pair, k * k, sizeof(double));
	s->Q = xreallocarray(s->Q, k * k, sizeof(double));
	s->Qp = xreallocarray(s->Qp, k, sizeof(double));
	s->k_cap = k;
}

/* How many features ahead linear_decision asks for weight rows. */
#define ROW_PREFETCH 16

/*
 * One pass over x's features: all pairs' decision values into dec.  The
 * pairs are taken two at a time so that the compiler can use vector
 * instructions; each dec[p] still sums the features in order.
 */
static void
linear_decision(const struct model *m, const struct feat_vec *x,
    double *restrict dec)
{
	size_t i, p, np = m->npairs;

	for (p = 0; p < np; p++)
		dec[p] = 0.0;
	for (i = 0; i < x->n; i++) {
		const double *restrict w;
		double v = x->val[i];

		/*
		 * Rows are scattered over megabytes: ask for them early, both
		 * ends, since a row of more than one pair often spans two
		 * cache lines.
		 */
		if (i + ROW_PREFETCH < x->n &&
		    (size_t)x->idx[i + ROW_PREFETCH] < m->dim) {
			const double *ahead = m->w +
			    (size_t)x->idx[i + ROW_PREFETCH] * np;

			__builtin_prefetch(ahead);
			__builtin_prefetch(ahead + np - 1);
		}
		if ((size_t)x->idx[i] >= m->dim)
			continue;	/* no support vector uses it */
		w = m->w + (size_t)x->idx[i] * np;
		for (p = 0; p + 2 <= np; p += 2) {
			dec[p] += v * w[p];
			dec[p + 1] += v * w[p + 1];
		}
		if (p < np)
			dec[p] += v * w[p];
	}
	for (p = 0; p < np; p++)
		dec[p] -= m->svm->rho[p];
}

/* Platt's sigmoid, written to avoid overflow of exp(). */
static double
sigmoid_predict(double dec, double A, double B)
{
	double fApB = dec * A + B;

	if (fApB >= 0)
		return exp(-fApB) / (1.0 + exp(-fApB));
	return 1.0 / (1 + exp(fApB));
}

/*
 * Pairwise coupling (Wu, Lin and Weng 2004, method 2) as libsvm does it:
 * find p minimising sum over pairs of (r_ji p_i - r_ij p_j)^2 by the same
 * fixed-point iteration, stopping rule and iteration limit, so that the
 * probabilities are libsvm's.  r is k x k, p gets k values.
 */
static void
multiclass_probability(int k, const double *r, double *p, double *Q,
    double *Qp)
{
	int t, j, iter, max_iter = k > 100 ? k : 100;
	double pQp, eps = 0.005 / k;

	for (t = 0; t < k; t++) {
		p[t] = 1.0 / k;
		Q[t * k + t] = 0;
		for (j = 0; j < t; j++) {
			Q[t * k + t] += r[j * k + t] * r[j * k + t];
			Q[t * k + j] = Q[j * k + t];
		}
		for (j = t + 1; j < k; j++) {
			Q[t * k + t] += r[j * k + t] * r[j * k + t];
			Q[t * k + j] = -r[j * k + t] * r[t * k + j];
		}
	}
	for (iter = 0; iter < max_iter; iter++) {
		double max_error = 0;

		pQp = 0;
		for (t = 0; t < k; t++) {
			Qp[t] = 0;
			for (j = 0; j < k; j++)
				Qp[t] += Q[t * k + j] * p[j];
			pQp += p[t] * Qp[t];
		}
		for (t = 0; t < k; t++) {
			double error = fabs(Qp[t] - pQp);

			if (error > max_error)
				max_error = error;
		}
		if (max_error < eps)
			break;
		for (t = 0; t < k; t++) {
			double diff = (-Qp[t] + pQp) / Q[t * k + t];

			p[t] += diff;
			pQp = (pQp + diff * (diff * Q[t * k + t] + 2 * Qp[t])) /
			    (1 + diff) / (1 + diff);
			for (j = 0; j < k; j++) {
				Qp[j] = (Qp[j] + diff * Q[t * k + j]) /
				    (1 + diff);
				p[j] /= (1 + diff);
			}
		}
	}
}

/* svm_predict_probability on the collapsed weights. */
static int
linear_predict_probability(const struct model *m, const struct feat_vec *x,
    struct model_scratch *s)
{
	const struct svm_model *svm = m->svm;
	const double min_prob = 1e-7;
	int k = svm->nr_class, i, j, p = 0, best = 0;

	linear_decision(m, x, s->dec);
	for (i = 0; i < k; i++)
		for (j = i + 1; j < k; j++, p++) {
			double r = sigmoid_predict(s->dec[p], svm->probA[p],
			    svm->probB[p]);

			r = fmin(fmax(r, min_prob), 1 - min_prob);
			s->pair[i * k + j] = r;
			s->pair[j * k + i] = 1 - r;
		}
	if (k == 2) {
		s->est[0] = s->pair[0 * k + 1];
		s->est[1] = s->pair[1 * k + 0];
	} else {
		multiclass_probability(k, s->pair, s->est, s->Q, s->Qp);
	}
	for (i = 1; i < k; i++)
		if (s->est[i] > s->est[best])
			best = i;
	return svm->label[best];
}

/* svm_predict's one-vs-one vote on the collapsed weights. */
static int
linear_predict_label(const struct model *m, const struct feat_vec *x,
    struct model_scratch *s)
{
	int k = m->svm->nr_class, i, j, p = 0, best = 0;
	double *vote = s->est;

	linear_decision(m, x, s->dec);
	for (i = 0; i < k; i++)
		vote[i] = 0;
	for (i = 0; i < k; i++)
		for (j = i + 1; j < k; j++, p++)
			vote[s->dec[p] > 0 ? i : j] += 1;
	for (i = 1; i < k; i++)
		if (vote[i] > vote[best])
			best = i;
	return m->svm->label[best];
}

static int msvm_predict_label(const struct model *m, const struct feat_vec *x,
    struct model_scratch *s);

static int
msvm_predict(const struct model *m, const struct feat_vec *x,
    struct model_scratch *s, double *prob)
{
	const struct svm_model *svm = m->svm;
	int i, k = svm->nr_class, label;

	scratch_fit(s, (size_t)k);
	if (!svm_check_probability_model(svm)) {
		/* Trained without probabilities: report certainty. */
		label = msvm_predict_label(m, x, s);
		for (i = 0; i < k; i++)
			prob[i] = i == label ? 1.0 : 0.0;
		return label;
	}
	if (m->w != NULL)
		label = linear_predict_probability(m, x, s);
	else
		label = (int)svm_predict_probability(svm, model_nodes(x, s),
		    s->est);
	for (i = 0; i < k; i++)
		prob[svm->label[i]] = s->est[i];
	return label;
}

static int
msvm_predict_label(const struct model *m, const struct feat_vec *x,
    struct model_scratch *s)
{
	scratch_fit(s, (size_t)m->svm->nr_class);
	if (m->w != NULL)
		return linear_predict_label(m, x, s);
	return (int)svm_predict(m->svm, model_nodes(x, s));
}

static int
msvm_reference(const struct model *m, const struct feat_vec *x,
    struct model_scratch *s, double *prob, double *dec)
{
	const struct svm_model *svm = m->svm;
	const struct svm_node *nodes = model_nodes(x, s);
	int i, k = svm->nr_class, label;

	scratch_fit(s, (size_t)k);
	if (dec != NULL)
		svm_predict_values(svm, nodes, dec);
	if (prob == NULL)
		return (int)svm_predict(svm, nodes);
	label = (int)svm_predict_probability(svm, nodes, s->est);
	for (i = 0; i < k; i++)
		prob[svm->label[i]] = s->est[i];
	return label;
}

static int
msvm_decision(const struct model *m, const struct feat_vec *x,
    struct model_scratch *s, double *dec)
{
	if (m->w == NULL)
		return -1;
	scratch_fit(s, (size_t)m->svm->nr_class);
	linear_decision(m, x, dec);
	return 0;
}

/* Insert w into the sorted top list out[0..*n) of at most k entries. */
static void
why_insert(struct model_why *out, size_t *n, size_t k, int32_t f, double c)
{
	size_t i = *n;

	if (i == k) {
		if (!(c > out[k - 1].contrib))
			return;	/* ties keep the lower (earlier) id */
		i--;
	} else {
		(*n)++;
	}
	for (; i > 0 && c > out[i - 1].contrib; i--)
		out[i] = out[i - 1];
	out[i].feature = f;
	out[i].contrib = c;
}

static int
msvm_explain(const struct model *m, const struct feat_vec *x, int label,
    size_t k, struct model_why *out, size_t *n)
{
	const struct svm_model *svm = m->svm;
	int nc = svm->nr_class, me = -1, o;
	size_t i, np = m->npairs;

	*n = 0;
	if (m->w == NULL)
		return -1;
	for (o = 0; o < nc; o++)
		if (svm->label[o] == label)
			me = o;
	if (me < 0 || k == 0)
		return 0;
	for (i = 0; i < x->n; i++) {
		const double *w;
		double sum = 0.0;

		if ((size_t)x->idx[i] >= m->dim)
			continue;	/* weight 0 in every pair */
		w = m->w + (size_t)x->idx[i] * np;
		/*
		 * Pair (a, b), a < b, is number a*nc - a*(a+1)/2 + b-a-1 in
		 * libsvm's order; its decision value favours a when positive.
		 */
		for (o = 0; o < nc; o++) {
			int a = o < me ? o : me, b = o < me ? me : o;
			size_t p = (size_t)a * (size_t)nc -
			    (size_t)a * (size_t)(a + 1) / 2 +
			    (size_t)(b - a - 1);

			if (o == me)
				continue;
			sum += me == a ? w[p] : -w[p];
		}
		sum *= x->val[i];
		if (sum > 0.0)
			why_insert(out, n, k, x->idx[i], sum);
	}
	return 0;
}


static json_t *
msvm_meta(const struct model *m)
{
	(void)m;
	return NULL;	/* libsvm bundles keep meta.json as it always was */
}

/* ---- liblinear: weights from linmodel.c, probabilities from calib.c ---- */

/* Largest model file read (the weights of 10^6 features, 50 classes). */
#define MLIN_MAX_FILE ((size_t)1 << 30)

static struct model *
mlin_wrap(struct linmodel *lin)
{
	struct model *m = xcalloc(1, sizeof(*m));

	m->solver = &model_liblinear;
	m->lin = lin;
	m->max_feature = (int32_t)linmodel_nr_feature(lin) - 1;
	return m;
}

static int
mlin_train(const struct feat_vec *x, const int *y, size_t n, size_t dim,
    const struct model_params *p, struct model **out, struct err *err)
{
	struct linmodel_params lp;
	struct linmodel *lin;

	*out = NULL;
	linmodel_params_default(&lp);
	lp.solver = p->linear;
	lp.C = p->C;
	lp.eps = p->eps;
	lp.bias = p->bias;
	lp.balanced = p->balanced;
	lp.seed = p->seed;
	lp.exact = p->exact;
	if (linmodel_train(x, y, n, dim, &lp, &lin, err) == -1)
		return -1;
	*out = mlin_wrap(lin);
	return 0;
}

static int
mlin_load(const char *path, const json_t *meta, struct model **out,
    struct err *err)
{
	struct linmodel *lin;
	struct calib *c;
	const json_t *cj = meta ? json_object_get(meta, "calibration") : NULL;

	*out = NULL;
	if (cj == NULL)
		return err_set(err, "cannot load model '%s': meta.json has no "
		    "calibration for it", path);
	if (linmodel_load(path, MLIN_MAX_FILE, &lin, err) == -1)
		return -1;
	if (calib_from_json(cj, (size_t)linmodel_nr_class(lin), &c,
	    err) == -1) {
		linmodel_destroy(&lin);
		return err_prefix(err, "meta.json");
	}
	*out = mlin_wrap(lin);
	(*out)->calib = c;
	return 0;
}

static int
mlin_save(const struct model *m, const char *path, struct err *err)
{
	return linmodel_save(m->lin, path, err);
}

static void
mlin_release(struct model *m)
{
	linmodel_destroy(&m->lin);
	calib_destroy(&m->calib);
}

static int
mlin_nr_class(const struct model *m)
{
	return linmodel_nr_class(m->lin);
}

static size_t
mlin_ndec(const struct model *m)
{
	return (size_t)linmodel_nr_class(m->lin);
}

static int
mlin_probabilities(const struct model *m)
{
	return m->calib != NULL;
}

static int
mlin_decision(const struct model *m, const struct feat_vec *x,
    struct model_scratch *s, double *dec)
{
	(void)s;
	linmodel_decision(m->lin, x, dec);
	return 0;
}

static int
mlin_argmax(const double *v, int k)
{
	int i, best = 0;

	for (i = 1; i < k; i++)
		if (v[i] > v[best])
			best = i;
	return best;
}

static int
mlin_predict_label(const struct model *m, const struct feat_vec *x,
    struct model_scratch *s)
{
	int k = linmodel_nr_class(m->lin);

	scratch_fit(s, (size_t)k);
	linmodel_decision(m->lin, x, s->dec);
	return mlin_argmax(s->dec, k);
}

/*
 * The label is the arg-max of the decision values, as liblinear predicts;
 * the calibrated probabilities are monotone in them for temperature
 * scaling, and nearly always for Platt's per-class sigmoids, whose arg-max
 * can differ for close calls: the label then follows the probabilities, so
 * that it is always the arg-max of what is published.
 */
static int
mlin_predict(const struct model *m, const struct feat_vec *x,
    struct model_scratch *s, double *prob)
{
	int k = linmodel_nr_class(m->lin), i, label;

	scratch_fit(s, (size_t)k);
	linmodel_decision(m->lin, x, s->dec);
	if (m->calib == NULL) {
		label = mlin_argmax(s->dec, k);
		for (i = 0; i < k; i++)
			prob[i] = i == label ? 1.0 : 0.0;
		return label;
	}
	calib_apply(m->calib, s->dec, prob);
	return mlin_argmax(prob, k);
}

static int
mlin_reference(const struct model *m, const struct feat_vec *x,
    struct model_scratch *s, double *prob, double *dec)
{
	int k = linmodel_nr_class(m->lin), label;

	scratch_fit(s, (size_t)k);
	label = linmodel_predict_liblinear(m->lin, x, s->dec);
	if (dec != NULL)
		memcpy(dec, s->dec, (size_t)k * sizeof(double));
	if (prob != NULL && m->calib != NULL) {
		calib_apply(m->calib, s->dec, prob);
		return mlin_argmax(prob, k);
	}
	return label;
}

/* A feature's contribution to label: its value times label's weight. */
static int
mlin_explain(const struct model *m, const struct feat_vec *x, int label,
    size_t k, struct model_why *out, size_t *n)
{
	size_t i;

	*n = 0;
	if (label < 0 || label >= linmodel_nr_class(m->lin) || k == 0)
		return 0;
	for (i = 0; i < x->n; i++) {
		double c = x->val[i] * linmodel_weight(m->lin, x->idx[i],
		    label);

		if (c > 0.0)
			why_insert(out, n, k, x->idx[i], c);
	}
	return 0;
}

static json_t *
mlin_meta(const struct model *m)
{
	const struct linmodel_solver *ls = linmodel_solver(m->lin);

	return json_pack("{s:s, s:s, s:s, s:o}", "solver", "liblinear",
	    "liblinear_solver", linmodel_solver_name(ls), "scheme",
	    linmodel_solver_scheme(ls), "calibration",
	    m->calib ? calib_to_json(m->calib) : json_null());
}

/* ---- the solvers, and the public functions through them ---- */

static const struct model_solver model_libsvm = {
	"libsvm", "svm.model", msvm_train, msvm_load, msvm_save,
	msvm_release, msvm_nr_class, msvm_ndec, msvm_probabilities,
	msvm_decision, msvm_predict, msvm_predict_label, msvm_reference,
	msvm_explain, msvm_meta,
};

static const struct model_solver model_liblinear = {
	"liblinear", "linear.model", mlin_train, mlin_load, mlin_save,
	mlin_release, mlin_nr_class, mlin_ndec, mlin_probabilities,
	mlin_decision, mlin_predict, mlin_predict_label, mlin_reference,
	mlin_explain, mlin_meta,
};

const struct model_solver *
model_solver_find(const char *name)
{
	static const struct model_solver *const all[] = {
		&model_libsvm, &model_liblinear,
	};
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(all[i]->name, name) == 0)
			return all[i];
	return NULL;
}

const char *
model_solver_name(const struct model_solver *s)
{
	return s->name;
}

const char *
model_solver_file(const struct model_solver *s)
{
	return s->file;
}

int
model_train(const struct feat_vec *x, const int *y, size_t n, size_t dim,
    const struct model_params *p, struct model **out, struct err *err)
{
	return p->solver->train(x, y, n, dim, p, out, err);
}

int
model_load(const struct model_solver *s, const char *path,
    const json_t *meta, struct model **out, struct err *err)
{
	return s->load(path, meta, out, err);
}

int
model_save(const struct model *m, const char *path, struct err *err)
{
	return m->solver->save(m, path, err);
}

void
model_destroy(struct model **mp)
{
	struct model *m = *mp;

	if (m == NULL)
		return;
	m->solver->release(m);
	free(m);
	*mp = NULL;
}

const struct model_solver *
model_solver(const struct model *m)
{
	return m->solver;
}

int
model_nr_class(const struct model *m)
{
	return m->solver->nr_class(m);
}

int32_t
model_max_feature(const struct model *m)
{
	return m->max_feature;
}

size_t
model_ndec(const struct model *m)
{
	return m->solver->ndec(m);
}

int
model_has_probabilities(const struct model *m)
{
	return m->solver->probabilities(m);
}

int
model_set_calib(struct model *m, struct calib **c, struct err *err)
{
	if (m->solver != &model_liblinear)
		return err_set(err, "a %s model carries its own probability "
		    "estimates", m->solver->name);
	if ((int)calib_nclass(*c) != model_nr_class(m))
		return err_set(err, "calibrator of %zu classes for a model of "
		    "%d", calib_nclass(*c), model_nr_class(m));
	calib_destroy(&m->calib);
	m->calib = *c;
	*c = NULL;
	return 0;
}

const struct linmodel *
model_linear(const struct model *m)
{
	return m->lin;
}

struct model *
model_from_linear(struct linmodel **lin)
{
	struct model *m = mlin_wrap(*lin);

	*lin = NULL;
	return m;
}

const struct calib *
model_calib(const struct model *m)
{
	return m->calib;
}

json_t *
model_meta(const struct model *m)
{
	return m->solver->meta(m);
}

int
model_predict(const struct model *m, const struct feat_vec *x,
    struct model_scratch *s, double *prob)
{
	return m->solver->predict(m, x, s, prob);
}

int
model_predict_label(const struct model *m, const struct feat_vec *x,
    struct model_scratch *s)
{
	return m->solver->predict_label(m, x, s);
}

int
model_predict_reference(const struct model *m, const struct feat_vec *x,
    struct model_scratch *s, double *prob, double *dec)
{
	return m->solver->reference(m, x, s, prob, dec);
}

int
model_decision_values(const struct model *m, const struct feat_vec *x,
    struct model_scratch *s, double *dec)
{
	return m->solver->decision(m, x, s, dec);
}

int
model_explain(const struct model *m, const struct feat_vec *x, int label,
    size_t k, struct model_why *out, size_t *n)
{
	return m->solver->explain(m, x, label, k, out, n);
}

int
model_is_linear_fast(const struct model *m)
{
	return m->lin != NULL || m->w != NULL;
}

int
model_write_vector(FILE *f, int label, const struct feat_vec *x)
{
	size_t i;

	fprintf(f, "%d", label);
	for (i = 0; i < x->n; i++)
		fprintf(f, " %d:%.17g", (int)x->idx[i] + 1, x->val[i]);
	fputc('\n', f);
	return ferror(f) ? -1 : 0;
}
