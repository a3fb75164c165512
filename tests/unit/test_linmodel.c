/*
 * test_linmodel.c - the liblinear solver: linmodel.c directly and through
 * model.h.
 *
 *   - our decision values (model_decision_values, one pass over the
 *     weight rows) against liblinear's own predict_values
 *     (model_predict_reference) on random vectors, for two, three and
 *     five classes, one-vs-rest and Crammer-Singer, with and without a
 *     bias;
 *   - the model file: liblinear's load_model reads what we save and we
 *     read what its save_model writes (labels in any order, one column
 *     for two classes), and our save -> load round trip is bit for bit;
 *   - every way linmodel_load must refuse a file, each error naming the
 *     file and, for the content, the line;
 *   - model_load's use of meta.json's calibrator, and calibrated
 *     predictions.
 *
 * The training data is synthetic: class c draws most of its features from
 * its own block of eight ids and some from a shared block; the random
 * vectors draw any ids (also beyond the model's features) and signed
 * values.  Both come from a fixed-seed generator (DATA_SEED).  This is the
 * one test that includes linear.h: liblinear is the reference.
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
#include <sys/stat.h>
#include <unistd.h>

#include <linear.h>

#include "calib.h"
#include "linmodel.h"
#include "model.h"

#define LIBLINEAR model_solver_find("liblinear")

#define DATA_SEED 20251206u
#define MAXCLASS 5
#define BLOCK 8
#define SHARED (MAXCLASS * BLOCK)	/* first id of the shared block */
#define DIM (SHARED + BLOCK)
#define PER_CLASS 24
#define MAXTRAIN (MAXCLASS * PER_CLASS)
#define MAXNZ 12
#define NRANDOM 400

struct sample {
	int32_t idx[MAXNZ];
	double val[MAXNZ];
	struct feat_vec v;
};

struct fixture {
	char dir[64];
	struct sample train[MAXTRAIN];
	struct feat_vec x[MAXTRAIN];
	int y[MAXTRAIN];
	struct sample rnd[NRANDOM];
};

/* The configurations trained and compared. */
static const struct config {
	int nclass;
	const char *solver;
	double bias;
} configs[] = {
	{ 2, "L2R_L2LOSS_SVC_DUAL", 1.0 },
	{ 2, "L2R_L2LOSS_SVC_DUAL", -1.0 },
	{ 2, "MCSVM_CS", 1.0 },
	{ 2, "MCSVM_CS", -1.0 },
	{ 3, "L2R_L2LOSS_SVC_DUAL", 1.0 },
	{ 3, "L2R_L2LOSS_SVC_DUAL", -1.0 },
	{ 3, "MCSVM_CS", 0.5 },
	{ 3, "MCSVM_CS", -1.0 },
	{ 5, "L2R_L2LOSS_SVC_DUAL", 1.0 },
	{ 5, "MCSVM_CS", -1.0 },
	{ 5, "L2R_LR", 1.0 },
	{ 3, "L1R_L2LOSS_SVC", -1.0 },
};
#define NCONFIG (sizeof(configs) / sizeof(configs[0]))

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
	return rng_next() / 4294967296.0;
}

static int
cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

/* n distinct ids drawn by pick(), sorted, values uniform in [lo, hi). */
static void
fill_sample(struct sample *s, size_t n, int32_t (*pick)(size_t i, void *),
    void *arg, double lo, double hi)
{
	size_t i, j;
	int32_t id;

	for (i = 0; i < n; i++) {
		do {
			id = pick(i, arg);
			for (j = 0; j < i && s->idx[j] != id; j++)
				;
		} while (j < i);
		s->idx[i] = id;
	}
	qsort(s->idx, n, sizeof(s->idx[0]), cmp_i32);
	for (i = 0; i < n; i++)
		s->val[i] = lo + (hi - lo) * rng_unit();
	s->v.idx = s->idx;
	s->v.val = s->val;
	s->v.n = n;
	s->v.cap = MAXNZ;
}

/* Five ids from the class's block, three from the shared one. */
static int32_t
pick_train(size_t i, void *arg)
{
	int y = *(int *)arg;

	return i < 5 ? y * BLOCK + (int32_t)(rng_next() % BLOCK) :
	    SHARED + (int32_t)(rng_next() % BLOCK);
}

/*
 * Any id below DIM + 8, but not DIM itself: liblinear's predict_values
 * takes 1-based id DIM + 1 of a model with a bias for the bias feature,
 * which it appends with that id (so does liblinear-predict); our vectors
 * come from the bundle's vocabulary, whose ids are all below DIM.
 */
static int32_t
pick_random(size_t i, void *arg)
{
	int32_t id;

	(void)i;
	(void)arg;
	do
		id = (int32_t)(rng_next() % (DIM + 8));
	while (id == DIM);
	return id;
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	int i, y;

	if (fx == NULL)
		return -1;
	print_message("data seed %u\n", DATA_SEED);
	rng = DATA_SEED;
	for (i = 0; i < MAXTRAIN; i++) {
		y = i % MAXCLASS;
		fill_sample(&fx->train[i], 8, pick_train, &y, 0.2, 1.0);
		fx->x[i] = fx->train[i].v;
	}
	for (i = 0; i < NRANDOM; i++)
		fill_sample(&fx->rnd[i], rng_next() % (MAXNZ + 1),
		    pick_random, NULL, -2.0, 2.0);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_linmodel.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

static void
path_in(const struct fixture *fx, const char *name, char *out, size_t sz)
{
	snprintf(out, sz, "%s/%s", fx->dir, name);
}

static void
liblinear_quiet(const char *s)
{
	(void)s;
}

/*
 * The training rows of the first nclass classes, starting with class
 * `first` so that liblinear meets the labels out of order; y[] by class.
 */
static size_t
training_set(struct fixture *fx, int nclass, int first,
    struct feat_vec *x, int *y)
{
	size_t i, n = 0;
	int c;

	for (i = 0; i < MAXTRAIN; i++) {
		c = (int)(i % MAXCLASS);
		if (c >= nclass)
			continue;
		x[n] = fx->x[i];
		y[n] = (c + first) % nclass;
		n++;
	}
	return n;
}

static struct model *
train_config(struct fixture *fx, const struct config *cf)
{
	struct feat_vec x[MAXTRAIN];
	int y[MAXTRAIN];
	struct model_params p;
	struct model *m = NULL;
	struct err err;
	size_t n = training_set(fx, cf->nclass, 0, x, y);

	model_params_default(&p);
	p.solver = LIBLINEAR;
	p.linear = linmodel_solver_find(cf->solver);
	assert_non_null(p.linear);
	p.bias = cf->bias;
	if (model_train(x, y, n, DIM, &p, &m, &err) == -1)
		fail_msg("%d classes, %s, bias %g: %s", cf->nclass, cf->solver,
		    cf->bias, err.msg);
	assert_ptr_equal(model_solver(m), LIBLINEAR);
	assert_int_equal(model_nr_class(m), cf->nclass);
	assert_int_equal(model_ndec(m), (size_t)cf->nclass);
	assert_true(model_is_linear_fast(m));
	assert_false(model_has_probabilities(m));
	return m;
}

static int
argmax(const double *v, int k)
{
	int i, best = 0;

	for (i = 1; i < k; i++)
		if (v[i] > v[best])
			best = i;
	return best;
}

/*
 * Whether the largest value is there more than once: liblinear then takes
 * the first in its file's label order, we the lowest class; and with two
 * classes it takes class 1 on 0, we class 0 (test_two_class_tie).
 */
static int
tied(const double *v, int k)
{
	int i, n = 0, best = argmax(v, k);

	for (i = 0; i < k; i++)
		n += v[i] == v[best];
	return n > 1;
}

static void
assert_close(double a, double b)
{
	if (a == b)
		return;
	if (!(fabs(a - b) <= 1e-9 * fmax(fabs(a), fabs(b))))
		fail_msg("%.17g and %.17g differ by more than 1e-9 relative",
		    a, b);
}

/*
 * liblinear's label for decision values by class: the first maximum, but
 * with two classes (either scheme) class 0 only when its value is
 * positive.
 */
static int
liblinear_label(const double *dec, int k)
{
	if (k == 2)
		return dec[0] > 0 ? 0 : 1;
	return argmax(dec, k);
}

static void
test_decision_matches_liblinear(void **state)
{
	struct fixture *fx = *state;
	struct model_scratch *s = model_scratch_new();
	double dec[MAXCLASS], ref[MAXCLASS];
	size_t ci;
	int i, c, label, nonzero = 0, ties = 0;

	for (ci = 0; ci < NCONFIG; ci++) {
		const struct config *cf = &configs[ci];
		struct model *m = train_config(fx, cf);
		int k = cf->nclass, one = k == 2 &&
		    strcmp(cf->solver, "MCSVM_CS") != 0;

		for (i = 0; i < NRANDOM; i++) {
			const struct feat_vec *x = &fx->rnd[i].v;

			assert_int_equal(model_decision_values(m, x, s, dec),
			    0);
			label = model_predict_reference(m, x, s, NULL, ref);
			for (c = 0; c < k; c++) {
				assert_close(dec[c], ref[c]);
				nonzero += dec[c] != 0;
			}
			if (one)
				assert_true(dec[1] == -dec[0]);
			assert_int_equal(label, liblinear_label(ref, k));
			/* Our label: the first maximum of the values. */
			if (tied(dec, k)) {
				ties++;
				continue;
			}
			assert_int_equal(model_predict_label(m, x, s), label);
		}
		/* The training rows are classified right. */
		for (i = 0; i < MAXTRAIN; i++)
			if (i % MAXCLASS < k)
				assert_int_equal(model_predict_label(m,
				    &fx->x[i], s), i % MAXCLASS);
		model_destroy(&m);
	}
	assert_true(nonzero > (int)NCONFIG * NRANDOM);
	/* Only vectors with no known feature tie, without a bias. */
	print_message("%d exact ties skipped\n", ties);
	assert_true(ties < (int)NCONFIG * NRANDOM / 4);
	model_scratch_destroy(&s);
}

/* What the two-class tie gives: ours 0 (the first maximum). */
static void
test_two_class_tie(void **state)
{
	struct fixture *fx = *state;
	struct model_scratch *s = model_scratch_new();
	struct model *m = train_config(fx, &configs[1]);
	struct feat_vec empty = { NULL, NULL, 0, 0 };
	double dec[2], ref[2];

	assert_int_equal(model_decision_values(m, &empty, s, dec), 0);
	assert_true(dec[0] == 0 && dec[1] == 0);
	/* liblinear's predict_values says class 1 (label[1]) on a tie. */
	assert_int_equal(model_predict_reference(m, &empty, s, NULL, ref), 1);
	assert_int_equal(model_predict_label(m, &empty, s), 0);
	model_destroy(&m);
	model_scratch_destroy(&s);
}

/* Features beyond the model's count nothing, on both paths. */
static void
test_unknown_features(void **state)
{
	struct fixture *fx = *state;
	struct model_scratch *s = model_scratch_new();
	struct model *m = train_config(fx, &configs[4]);
	int32_t idx[3] = { 3, DIM + 2, DIM + 7 };
	double val[3] = { 0.5, 9.0, -3.0 }, dec[3], dec1[3], ref[3];
	struct feat_vec x = { idx, val, 3, 3 }, x1 = { idx, val, 1, 1 };
	int c;

	assert_int_equal(model_max_feature(m), DIM - 1);
	model_decision_values(m, &x, s, dec);
	model_decision_values(m, &x1, s, dec1);
	model_predict_reference(m, &x, s, NULL, ref);
	for (c = 0; c < 3; c++) {
		assert_true(dec[c] == dec1[c]);
		assert_close(dec[c], ref[c]);
	}
	model_destroy(&m);
	model_scratch_destroy(&s);
}

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *s;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	s = malloc((size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	s[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return s;
}

static void
write_bytes(const char *path, const char *bytes, size_t n)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(bytes, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static json_t *
temperature_meta(double T)
{
	return json_pack("{s:{s:s,s:f}}", "calibration", "method",
	    "temperature", "T", T);
}

/* Save, load: the same weights bit for bit, and the same file again. */
static void
test_round_trip(void **state)
{
	struct fixture *fx = *state;
	struct model_scratch *s = model_scratch_new();
	double a[MAXCLASS], b[MAXCLASS];
	char path[128], path2[128], *t1, *t2;
	json_t *meta = temperature_meta(0.5), *mm;
	struct model *m, *back;
	struct err err;
	size_t ci, l1, l2;
	int i;

	path_in(fx, "rt.model", path, sizeof(path));
	path_in(fx, "rt2.model", path2, sizeof(path2));
	for (ci = 0; ci < NCONFIG; ci++) {
		const struct config *cf = &configs[ci];

		m = train_config(fx, cf);
		if (model_save(m, path, &err) == -1)
			fail_msg("%s", err.msg);
		if (model_load(LIBLINEAR, path, meta, &back, &err) == -1)
			fail_msg("%s", err.msg);
		assert_int_equal(model_nr_class(back), cf->nclass);
		assert_int_equal(model_max_feature(back), model_max_feature(m));
		for (i = 0; i < NRANDOM; i++) {
			model_decision_values(m, &fx->rnd[i].v, s, a);
			model_decision_values(back, &fx->rnd[i].v, s, b);
			assert_memory_equal(a, b, (size_t)cf->nclass *
			    sizeof(double));
		}
		/* The file says what the model is. */
		t1 = read_file(path, &l1);
		assert_true(strncmp(t1, "solver_type ", 12) == 0);
		assert_non_null(strstr(t1, cf->solver));
		assert_non_null(strstr(t1, cf->bias >= 0 ? "\nbias " :
		    "\nbias -1\n"));
		/* Saving the loaded model writes the same bytes. */
		if (model_save(back, path2, &err) == -1)
			fail_msg("%s", err.msg);
		t2 = read_file(path2, &l2);
		assert_int_equal(l1, l2);
		assert_memory_equal(t1, t2, l1);
		/* The solver and scheme are in the meta object. */
		mm = model_meta(back);
		assert_non_null(mm);
		assert_string_equal(json_string_value(json_object_get(mm,
		    "solver")), "liblinear");
		assert_string_equal(json_string_value(json_object_get(mm,
		    "liblinear_solver")), cf->solver);
		assert_string_equal(json_string_value(json_object_get(mm,
		    "scheme")), strcmp(cf->solver, "MCSVM_CS") == 0 ?
		    "crammer-singer" : "ovr");
		json_decref(mm);
		free(t1);
		free(t2);
		model_destroy(&back);
		model_destroy(&m);
	}
	json_decref(meta);
	model_scratch_destroy(&s);
}

/* A liblinear problem of the training rows (nodes: 10 per row). */
static void
make_problem(struct fixture *fx, int nclass, int first, double bias,
    struct problem *prob, struct feature_node *nodes, double *y)
{
	struct feat_vec x[MAXTRAIN];
	int yy[MAXTRAIN];
	size_t n = training_set(fx, nclass, first, x, yy), i, j;
	struct feature_node *dst = nodes;

	prob->l = (int)n;
	prob->n = DIM + (bias >= 0 ? 1 : 0);
	prob->bias = bias;
	prob->y = y;
	for (i = 0; i < n; i++) {
		y[i] = yy[i];
		for (j = 0; j < x[i].n; j++, dst++) {
			dst->index = x[i].idx[j] + 1;
			dst->value = x[i].val[j];
		}
		if (bias >= 0) {
			dst->index = DIM + 1;
			dst->value = bias;
			dst++;
		}
		dst->index = -1;
		dst++;
	}
}

/* x as liblinear's nodes, with the bias feature as liblinear-predict. */
static void
to_nodes(const struct feat_vec *x, double bias, struct feature_node *out)
{
	size_t i;

	for (i = 0; i < x->n; i++) {
		out[i].index = x->idx[i] + 1;
		out[i].value = x->val[i];
	}
	if (bias >= 0) {
		out[i].index = DIM + 1;
		out[i++].value = bias;
	}
	out[i].index = -1;
}

/*
 * liblinear's train() and save_model() write a file (17 digits, labels in
 * the order liblinear met them); linmodel_load reads it and scores as
 * liblinear's own model does.  Then the other way: liblinear's
 * load_model() reads linmodel_save's file.
 */
static void
test_liblinear_files(void **state)
{
	static const struct {
		int nclass, first;
		int type;
		double bias;
	} cases[] = {
		{ 3, 2, L2R_L2LOSS_SVC_DUAL, 1.0 },
		{ 3, 1, MCSVM_CS, -1.0 },
		{ 2, 1, L2R_L2LOSS_SVC_DUAL, 1.0 },
		{ 2, 1, MCSVM_CS, 1.0 },
		{ 5, 3, L2R_L2LOSS_SVC_DUAL, -1.0 },
	};
	struct fixture *fx = *state;
	struct feature_node nodes[MAXTRAIN * 10], xn[MAXNZ + 2];
	double y[MAXTRAIN], dec[MAXCLASS], ldec[MAXCLASS], want[MAXCLASS];
	struct parameter param;
	struct problem prob;
	struct model *lm, *lm2;
	struct linmodel *ours;
	struct feature_node *rows[MAXTRAIN];
	char path[128], path2[128], *text;
	struct err err;
	size_t ci, i, r;
	int j, k, nr_w, label;

	set_print_string_function(liblinear_quiet);
	path_in(fx, "liblinear.model", path, sizeof(path));
	path_in(fx, "ours.model", path2, sizeof(path2));
	for (ci = 0; ci < sizeof(cases) / sizeof(cases[0]); ci++) {
		k = cases[ci].nclass;
		make_problem(fx, k, cases[ci].first, cases[ci].bias, &prob,
		    nodes, y);
		for (i = 0, r = 0; r < (size_t)prob.l; i++)
			if (i == 0 || nodes[i - 1].index == -1)
				rows[r++] = &nodes[i];
		prob.x = rows;
		memset(&param, 0, sizeof(param));
		param.solver_type = cases[ci].type;
		param.C = 1;
		param.eps = 0.1;
		assert_null(check_parameter(&prob, &param));
		srand(1);
		lm = train(&prob, &param);
		assert_non_null(lm);
		/* liblinear met the first row's class first. */
		assert_int_equal(lm->label[0], cases[ci].first);
		assert_int_equal(save_model(path, lm), 0);
		text = read_file(path, NULL);
		assert_non_null(strstr(text, "\nlabel "));
		free(text);
		if (linmodel_load(path, 1 << 20, &ours, &err) == -1)
			fail_msg("%s", err.msg);
		assert_int_equal(linmodel_nr_class(ours), k);
		assert_int_equal(linmodel_nr_feature(ours), DIM);
		nr_w = k == 2 && cases[ci].type != MCSVM_CS ? 1 : k;
		for (i = 0; i < NRANDOM; i++) {
			const struct feat_vec *x = &fx->rnd[i].v;

			to_nodes(x, cases[ci].bias, xn);
			label = (int)predict_values(lm, xn, ldec);
			for (j = 0; j < nr_w; j++)
				want[lm->label[j]] = ldec[j];
			if (nr_w == 1)
				want[lm->label[1]] = -ldec[0];
			linmodel_decision(ours, x, dec);
			for (j = 0; j < k; j++)
				assert_close(dec[j], want[j]);
			if (tied(dec, k))
				continue;
			assert_int_equal(argmax(dec, k), label);
			/* Our reference agrees with liblinear's model. */
			assert_int_equal(linmodel_predict_liblinear(ours, x,
			    dec), label);
		}
		/* liblinear reads the file we write. */
		if (linmodel_save(ours, path2, &err) == -1)
			fail_msg("%s", err.msg);
		lm2 = load_model(path2);
		assert_non_null(lm2);
		assert_int_equal(lm2->nr_class, k);
		assert_int_equal(lm2->nr_feature, DIM);
		assert_true(lm2->bias == (cases[ci].bias >= 0 ?
		    cases[ci].bias : -1));
		for (j = 0; j < k; j++)
			assert_int_equal(lm2->label[j], j);
		for (i = 0; i < NRANDOM; i++) {
			const struct feat_vec *x = &fx->rnd[i].v;

			to_nodes(x, cases[ci].bias, xn);
			label = (int)predict_values(lm2, xn, ldec);
			linmodel_decision(ours, x, dec);
			/* Our file keeps 9 digits of liblinear's 17. */
			for (j = 0; j < nr_w; j++)
				assert_true(fabs(dec[j] - ldec[j]) <=
				    1e-7 * (1 + fabs(ldec[j])));
		}
		free_and_destroy_model(&lm2);
		linmodel_destroy(&ours);
		free_and_destroy_model(&lm);
	}
}

/* ---- linmodel_load's refusals ---- */

/* A valid file: 3 classes listed 2 0 1, 3 features, a bias. */
static const char *const hand[] = {
	"solver_type L2R_L2LOSS_SVC_DUAL",	/* line 1 */
	"nr_class 3",
	"label 2 0 1",
	"nr_feature 3",
	"bias 1",				/* line 5 */
	"w",
	"0.5 -0.25 0.125 ",
	"-1 2 0 ",
	"0 0 0.75 ",
	"0.1 0.2 -0.30000000000000004 ",	/* line 10: the bias row */
};
#define NHAND (sizeof(hand) / sizeof(hand[0]))

/* hand with line `at` (1-based) replaced by repl (NULL: removed). */
static size_t
write_variant(const char *path, size_t at, const char *repl,
    const char *tail)
{
	FILE *f = fopen(path, "w");
	size_t i;
	long n;

	assert_non_null(f);
	for (i = 0; i < NHAND; i++) {
		if (i + 1 == at) {
			if (repl != NULL)
				fprintf(f, "%s\n", repl);
			continue;
		}
		fprintf(f, "%s\n", hand[i]);
	}
	if (tail != NULL)
		fputs(tail, f);
	n = ftell(f);
	assert_int_equal(fclose(f), 0);
	return (size_t)n;
}

/* Loading fails naming the file, "line N: " if line > 0, and what. */
static void
expect_fail_size(const char *path, size_t max, long line, const char *what)
{
	struct linmodel *m = (struct linmodel *)&m;
	struct err err;
	char at[32];

	memset(&err, 0, sizeof(err));
	if (linmodel_load(path, max, &m, &err) != -1)
		fail_msg("%s loaded; expected '%s'", path, what);
	assert_null(m);
	if (strstr(err.msg, path) == NULL)
		fail_msg("'%s' does not name '%s'", err.msg, path);
	if (line > 0) {
		snprintf(at, sizeof(at), "line %ld: ", line);
		if (strstr(err.msg, at) == NULL)
			fail_msg("'%s' does not say '%s'", err.msg, at);
	}
	if (strstr(err.msg, what) == NULL)
		fail_msg("'%s' does not say '%s'", err.msg, what);
}

static void
expect_fail(const char *path, long line, const char *what)
{
	expect_fail_size(path, 1 << 20, line, what);
}

static struct linmodel *
expect_load(const char *path)
{
	struct linmodel *m = NULL;
	struct err err;

	if (linmodel_load(path, 1 << 20, &m, &err) == -1)
		fail_msg("%s", err.msg);
	return m;
}

static void
test_load_hand(void **state)
{
	struct fixture *fx = *state;
	int32_t idx[2] = { 0, 2 };
	double val[2] = { 2.0, 1.0 }, dec[3];
	struct feat_vec x = { idx, val, 2, 2 };
	struct linmodel *m;
	char path[128];

	path_in(fx, "hand.model", path, sizeof(path));
	write_variant(path, 0, NULL, NULL);
	m = expect_load(path);
	assert_int_equal(linmodel_nr_class(m), 3);
	assert_int_equal(linmodel_nr_feature(m), 3);
	assert_string_equal(linmodel_solver_name(linmodel_solver(m)),
	    "L2R_L2LOSS_SVC_DUAL");
	/* Column j is class label[j]: 2, 0, 1. */
	assert_true(linmodel_weight(m, 0, 2) == 0.5);
	assert_true(linmodel_weight(m, 0, 0) == -0.25);
	assert_true(linmodel_weight(m, 0, 1) == 0.125);
	assert_true(linmodel_weight(m, 1, 0) == 2);
	assert_true(linmodel_weight(m, 2, 1) == 0.75);
	assert_true(linmodel_weight(m, 3, 0) == 0);	/* the bias row */
	assert_true(linmodel_weight(m, -1, 0) == 0);
	assert_true(linmodel_weight(m, 0, 3) == 0);
	linmodel_decision(m, &x, dec);
	assert_true(dec[0] == -0.25 * 2 + 0 * 1 + 0.2);
	assert_true(dec[1] == 0.125 * 2 + 0.75 * 1 - 0.30000000000000004);
	assert_true(dec[2] == 0.5 * 2 + 0 * 1 + 0.1);
	linmodel_destroy(&m);
	assert_null(m);
	linmodel_destroy(&m);

	/* Accepted too: trailing blank lines, no final newline, CS. */
	write_variant(path, 0, NULL, "\n\n");
	m = expect_load(path);
	linmodel_destroy(&m);
	write_variant(path, 10, "0.1 0.2 -0.3", NULL);
	{
		size_t n;
		char *t = read_file(path, &n);

		write_bytes(path, t, n - 1);
		free(t);
	}
	m = expect_load(path);
	linmodel_destroy(&m);
	write_variant(path, 1, "solver_type MCSVM_CS", NULL);
	m = expect_load(path);
	assert_string_equal(linmodel_solver_scheme(linmodel_solver(m)),
	    "crammer-singer");
	linmodel_destroy(&m);
}

static void
test_load_errors(void **state)
{
	static const struct {
		size_t at;		/* line replaced (0: none) */
		const char *repl;	/* NULL: line removed */
		const char *tail;	/* appended */
		long line;		/* in the error, or 0 */
		const char *what;
	} bad[] = {
		/* The solver. */
		{ 1, "solver_type L2R_FOO", NULL, 1, "not a liblinear "
		    "classification solver" },
		{ 1, "solver_type L2R_L2LOSS_SVR", NULL, 1, "not a liblinear "
		    "classification solver" },
		{ 1, "solver_type l2r_l2loss_svc_dual", NULL, 1,
		    "not a liblinear classification solver" },
		{ 1, "solver_type L2R_L2LOSS_SVC_DUAL\r", NULL, 1,
		    "not a liblinear classification solver" },
		{ 1, "solver_type ", NULL, 1, "bad 'solver_type' value" },
		{ 1, "svm_type c_svc", NULL, 1, "expected 'solver_type'" },
		{ 1, NULL, NULL, 1, "expected 'solver_type'" },
		/* The number of classes. */
		{ 2, "nr_class 1", NULL, 2, "nr_class out of range" },
		{ 2, "nr_class 0", NULL, 2, "nr_class out of range" },
		{ 2, "nr_class 1025", NULL, 2, "nr_class out of range" },
		{ 2, "nr_class -3", NULL, 2, "nr_class out of range" },
		{ 2, "nr_class three", NULL, 2, "nr_class out of range" },
		{ 2, "nr_class 3x", NULL, 2, "nr_class out of range" },
		{ 2, "nr_class 2", NULL, 3, "'label' must list 0..nr_class-1" },
		{ 2, "nr_class 4", NULL, 3, "'label' must list 0..nr_class-1" },
		{ 2, NULL, NULL, 2, "expected 'nr_class'" },
		/* Labels that are not a permutation of 0..k-1. */
		{ 3, "label 0 0 1", NULL, 3, "'label' must list" },
		{ 3, "label 2 1 1", NULL, 3, "'label' must list" },
		{ 3, "label 0 1 3", NULL, 3, "'label' must list" },
		{ 3, "label -1 0 1", NULL, 3, "'label' must list" },
		{ 3, "label 0 1", NULL, 3, "'label' must list" },
		{ 3, "label 0 1 2 0", NULL, 3, "'label' must list" },
		{ 3, "label 0 1 2 x", NULL, 3, "'label' must list" },
		{ 3, "label 0 1 x", NULL, 3, "'label' must list" },
		{ 3, "label 0 1 2 ", NULL, 3, "'label' must list" },
		{ 3, "label", NULL, 3, "'label' must list" },
		{ 3, "labels 0 1 2", NULL, 3, "'label' must list" },
		{ 3, NULL, NULL, 3, "expected 'label'" },
		/* nr_feature itself, and against the rows. */
		{ 4, "nr_feature -1", NULL, 4, "nr_feature out of range" },
		{ 4, "nr_feature x", NULL, 4, "nr_feature out of range" },
		{ 4, "nr_feature 2147483647", NULL, 4,
		    "nr_feature out of range" },
		{ 4, "nr_feature 2", NULL, 10, "text after the weight table" },
		{ 4, "nr_feature 4", NULL, 10, "the weight table ends early" },
		{ 4, "nr_feature 20", NULL, 6,
		    "the file is too short for its weight table" },
		{ 4, "nr_feature 2147483646", NULL, 6,
		    "the file is too short for its weight table" },
		{ 9, NULL, NULL, 9, "the weight table ends early" },
		{ 0, NULL, "0 0 0\n", 11, "text after the weight table" },
		{ 4, NULL, NULL, 4, "expected 'nr_feature'" },
		/* The bias. */
		{ 5, "bias abc", NULL, 5, "bias is not a number" },
		{ 5, "bias nan", NULL, 5, "bias is not a number" },
		{ 5, "bias inf", NULL, 5, "bias is not a number" },
		{ 5, "bias -inf", NULL, 5, "bias is not a number" },
		{ 5, "bias 1e999", NULL, 5, "bias is not a number" },
		{ 5, "bias 1x", NULL, 5, "bias is not a number" },
		{ 5, "bias -1", NULL, 10, "text after the weight table" },
		{ 5, NULL, NULL, 5, "expected 'bias'" },
		{ 6, "W", NULL, 6, "expected 'w'" },
		{ 6, "w ", NULL, 6, "expected 'w'" },
		/* Numbers in the rows. */
		{ 8, "-1 nan 0", NULL, 8, "one finite number per class" },
		{ 8, "-1 inf 0", NULL, 8, "one finite number per class" },
		{ 8, "-1 2 -inf", NULL, 8, "one finite number per class" },
		{ 8, "-1 1e999 0", NULL, 8, "one finite number per class" },
		{ 8, "-1 2", NULL, 8, "one finite number per class" },
		{ 8, "", NULL, 8, "one finite number per class" },
		{ 8, "-1 2x 0", NULL, 8, "one finite number per class" },
		{ 8, "-1,2,0", NULL, 8, "one finite number per class" },
		{ 8, "-1\t2 0", NULL, 8, "one finite number per class" },
		{ 8, "-1 2 0 5", NULL, 8, "too many numbers in a weight row" },
		{ 10, "0.1 0.2 -0.3 0", NULL, 10,
		    "too many numbers in a weight row" },
		/* Text after the table. */
		{ 0, NULL, "extra\n", 11, "text after the weight table" },
		{ 0, NULL, "\n\nextra", 13, "text after the weight table" },
		{ 0, NULL, " \n", 11, "text after the weight table" },
	};
	struct fixture *fx = *state;
	char path[128];
	size_t i;

	path_in(fx, "bad.model", path, sizeof(path));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_variant(path, bad[i].at, bad[i].repl, bad[i].tail);
		expect_fail(path, bad[i].line, bad[i].what);
	}

	/* The file itself. */
	write_bytes(path, "", 0);
	expect_fail(path, 0, "expected 'solver_type'");
	path_in(fx, "missing.model", path, sizeof(path));
	expect_fail(path, 0, "No such file or directory");
	expect_fail(fx->dir, 0, "not a regular file");
}

/*
 * The header's table size is checked against the file's length before the
 * table is allocated: a few kilobytes cannot ask for terabytes (which
 * would end the process, not fail the load).  A file with the fewest
 * bytes its rows need loads; one byte less does not.
 */
static void
test_load_size_from_header(void **state)
{
	struct fixture *fx = *state;
	char path[128], *text, *p;
	struct linmodel *m;
	size_t n;
	int c;
	FILE *f;

	path_in(fx, "huge.model", path, sizeof(path));
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("solver_type MCSVM_CS\nnr_class 1024\nlabel", f);
	for (c = 0; c < 1024; c++)
		fprintf(f, " %d", c);
	fputs("\nnr_feature 2147483646\nbias 1\nw\n0 0\n", f);
	fclose(f);
	expect_fail(path, 6, "the file is too short for its weight table");

	/* 2 features and a bias, 3 columns: "0 0 0\n" x 3, less the last. */
	path_in(fx, "min.model", path, sizeof(path));
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("solver_type L2R_L2LOSS_SVC_DUAL\nnr_class 3\nlabel 0 1 2\n"
	    "nr_feature 2\nbias 1\nw\n0 0 0\n0 0 0\n0 0 7", f);
	fclose(f);
	m = expect_load(path);
	assert_true(linmodel_weight(m, 1, 2) == 0);
	linmodel_destroy(&m);
	text = read_file(path, &n);
	p = strrchr(text, ' ');
	assert_non_null(p);
	/* "0 0 0\n0 0 0\n0 07": one byte short, refused before parsing. */
	memmove(p, p + 1, strlen(p + 1) + 1);
	write_bytes(path, text, n - 1);
	expect_fail(path, 6, "the file is too short for its weight table");
	free(text);
	/* No rows at all, none needed. */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("solver_type L2R_L2LOSS_SVC_DUAL\nnr_class 2\nlabel 0 1\n"
	    "nr_feature 0\nbias -1\nw", f);
	fclose(f);
	m = expect_load(path);
	assert_int_equal(linmodel_nr_feature(m), 0);
	linmodel_destroy(&m);
}

/* A two-class one-vs-rest file has one column; Crammer-Singer two. */
static void
test_load_two_class(void **state)
{
	struct fixture *fx = *state;
	char path[128];
	struct linmodel *m;
	FILE *f;

	path_in(fx, "two.model", path, sizeof(path));
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("solver_type L2R_L2LOSS_SVC_DUAL\nnr_class 2\nlabel 1 0\n"
	    "nr_feature 2\nbias -1\nw\n0.5 \n-0.25 \n", f);
	fclose(f);
	m = expect_load(path);
	/* The column is label[0]'s, class 1; class 0 is its negation. */
	assert_true(linmodel_weight(m, 0, 1) == 0.5);
	assert_true(linmodel_weight(m, 0, 0) == -0.5);
	assert_true(linmodel_weight(m, 1, 1) == -0.25);
	linmodel_destroy(&m);
	f = fopen(path, "w");
	fputs("solver_type L2R_L2LOSS_SVC_DUAL\nnr_class 2\nlabel 1 0\n"
	    "nr_feature 2\nbias -1\nw\n0.5 1\n-0.25 \n", f);
	fclose(f);
	expect_fail(path, 7, "too many numbers in a weight row");
	f = fopen(path, "w");
	fputs("solver_type MCSVM_CS\nnr_class 2\nlabel 1 0\n"
	    "nr_feature 2\nbias -1\nw\n0.5 1\n-0.25 \n", f);
	fclose(f);
	expect_fail(path, 8, "one finite number per class column");
}

/*
 * Cut the file at every byte before its last number starts (after
 * which a cut number is still a number: the format has no end marker):
 * every prefix is refused, naming the file and a line.
 */
static void
test_load_truncated(void **state)
{
	struct fixture *fx = *state;
	char path[128], full[128], *text, *last;
	size_t n, cut;

	path_in(fx, "full.model", full, sizeof(full));
	path_in(fx, "cut.model", path, sizeof(path));
	write_variant(full, 0, NULL, NULL);
	text = read_file(full, &n);
	last = strrchr(text, '-');	/* "-0.30000000000000004 \n" */
	assert_non_null(last);
	for (cut = 0; cut < (size_t)(last - text); cut++) {
		write_bytes(path, text, cut);
		expect_fail(path, 0, "cannot load model");
		{
			struct linmodel *m;
			struct err err;

			assert_int_equal(linmodel_load(path, 1 << 20, &m,
			    &err), -1);
			assert_non_null(strstr(err.msg, ": line "));
		}
	}
	free(text);
}

static void
test_load_max_bytes(void **state)
{
	struct fixture *fx = *state;
	char path[128];
	struct linmodel *m;
	struct err err;
	size_t n;

	path_in(fx, "size.model", path, sizeof(path));
	n = write_variant(path, 0, NULL, NULL);
	expect_fail_size(path, n - 1, 0, "larger than");
	expect_fail_size(path, 0, 0, "larger than");
	assert_int_equal(linmodel_load(path, n, &m, &err), 0);
	linmodel_destroy(&m);
}

/* model_load: the calibrator comes from meta's "calibration". */
static void
test_model_load_meta(void **state)
{
	struct fixture *fx = *state;
	struct model_scratch *s = model_scratch_new();
	struct model *m = train_config(fx, &configs[4]), *back;
	double dec[3], prob[3], sum;
	char path[128];
	json_t *meta;
	struct err err;
	int i, c, label;

	path_in(fx, "meta.model", path, sizeof(path));
	assert_int_equal(model_save(m, path, &err), 0);
	/* No calibrator, or a bad one: refused, naming what. */
	meta = json_object();
	assert_int_equal(model_load(LIBLINEAR, path, meta, &back, &err), -1);
	assert_null(back);
	assert_non_null(strstr(err.msg, "calibration"));
	assert_non_null(strstr(err.msg, path));
	assert_int_equal(model_load(LIBLINEAR, path, NULL, &back, &err), -1);
	json_decref(meta);
	meta = json_pack("{s:{s:s,s:[f,f],s:[f,f,f]}}", "calibration",
	    "method", "platt", "A", -1.0, -1.0, "B", 0.0, 0.0, 0.0);
	assert_int_equal(model_load(LIBLINEAR, path, meta, &back, &err), -1);
	assert_non_null(strstr(err.msg, "meta.json"));
	assert_non_null(strstr(err.msg, "'A'"));
	json_decref(meta);
	meta = json_pack("{s:{s:s,s:f}}", "calibration", "method",
	    "temperature", "T", -1.0);
	assert_int_equal(model_load(LIBLINEAR, path, meta, &back, &err), -1);
	assert_non_null(strstr(err.msg, "'T'"));
	json_decref(meta);

	/* A temperature: probabilities, arg-max of the decision values. */
	meta = temperature_meta(0.25);
	if (model_load(LIBLINEAR, path, meta, &back, &err) == -1)
		fail_msg("%s", err.msg);
	json_decref(meta);
	assert_true(model_has_probabilities(back));
	assert_non_null(model_calib(back));
	assert_string_equal(calib_method_name(calib_method(
	    model_calib(back))), "temperature");
	for (i = 0; i < NRANDOM; i++) {
		const struct feat_vec *x = &fx->rnd[i].v;

		label = model_predict(back, x, s, prob);
		model_decision_values(back, x, s, dec);
		assert_int_equal(label, argmax(dec, 3));
		assert_int_equal(model_predict_reference(back, x, s, prob,
		    NULL), label);
		for (sum = 0, c = 0; c < 3; c++) {
			assert_true(prob[c] >= 0 && prob[c] <= 1);
			sum += prob[c];
		}
		assert_true(fabs(sum - 1) < 1e-12);
		assert_true(prob[label] >= prob[(label + 1) % 3]);
	}
	/* Without a calibrator: the label only, as a certainty. */
	label = model_predict(m, &fx->rnd[1].v, s, prob);
	model_decision_values(m, &fx->rnd[1].v, s, dec);
	assert_int_equal(label, argmax(dec, 3));
	for (c = 0; c < 3; c++)
		assert_true(prob[c] == (c == label ? 1.0 : 0.0));
	model_destroy(&back);
	model_destroy(&m);
	model_scratch_destroy(&s);
}

/* model_set_calib: a liblinear model of as many classes only. */
static void
test_set_calib(void **state)
{
	struct fixture *fx = *state;
	struct model *m = train_config(fx, &configs[4]);
	double dec[6] = { 1, 0, -1, -1, 2, 0 };
	int y[3] = { 0, 1, 0 };
	struct calib *c2, *c3;
	struct err err;

	assert_int_equal(calib_fit(calib_method_find("temperature"), dec, y,
	    NULL, 2, 3, &c3, &err), 0);
	assert_int_equal(calib_fit(calib_method_find("temperature"), dec, y,
	    NULL, 3, 2, &c2, &err), 0);
	assert_int_equal(model_set_calib(m, &c2, &err), -1);
	assert_non_null(c2);
	assert_non_null(strstr(err.msg, "2 classes"));
	assert_int_equal(model_set_calib(m, &c3, &err), 0);
	assert_null(c3);
	assert_true(model_has_probabilities(m));
	calib_destroy(&c2);
	model_destroy(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decision_matches_liblinear),
		cmocka_unit_test(test_two_class_tie),
		cmocka_unit_test(test_unknown_features),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_liblinear_files),
		cmocka_unit_test(test_load_hand),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_load_two_class),
		cmocka_unit_test(test_load_size_from_header),
		cmocka_unit_test(test_load_truncated),
		cmocka_unit_test(test_load_max_bytes),
		cmocka_unit_test(test_model_load_meta),
		cmocka_unit_test(test_set_calib),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
