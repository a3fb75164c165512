/*
 * test_model.c - model.c: training, prediction, the model file round trip,
 * every way model_load must refuse a file, and a differential test against
 * libsvm's own svm-predict.
 *
 * The data is synthetic: three classes, each drawing most of its features
 * from its own block of eight ids and a few from a shared block, values
 * from a fixed-seed generator (DATA_SEED, printed at the start).  The
 * training set starts with class 2, then 0, then 1, so libsvm orders its
 * labels "2 0 1" and model_predict has to re-order the probabilities.
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

#include "model.h"

#define LIBSVM model_solver_find("libsvm")

#define DATA_SEED 20240611u
#define DIM 32
#define NCLASS 3
#define NTRAIN 90
#define NTEST 60
#define MAXNZ 8
#define SVM_PREDICT "/usr/bin/svm-predict"

struct sample {
	int32_t idx[MAXNZ];
	double val[MAXNZ];
	struct feat_vec v;
	int y;
};

struct fixture {
	char dir[64];
	struct sample train[NTRAIN];
	struct sample test[NTEST];
	struct feat_vec xtrain[NTRAIN];
	int ytrain[NTRAIN];
	struct model *m;
};

/* A small hand-written model that libsvm and model_load both accept. */
static const char hand_model[] =
    "svm_type c_svc\n"
    "kernel_type linear\n"
    "nr_class 2\n"
    "total_sv 2\n"
    "rho 0.1\n"
    "label 0 1\n"
    "probA -2.5\n"
    "probB 0.01\n"
    "nr_sv 1 1\n"
    "SV\n"
    "1 1:0.5 3:0.25 \n"
    "-1 2:0.75 \n";

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

/* Five features from the class's block, three from the shared block. */
static void
make_sample(struct sample *s, int y)
{
	double norm = 0;
	int i, j, id;

	s->y = y;
	for (i = 0; i < MAXNZ; i++) {
		do {
			id = i < 5 ? y * 8 + (int)(rng_next() % 8) :
			    24 + (int)(rng_next() % 8);
			for (j = 0; j < i && s->idx[j] != id; j++)
				;
		} while (j < i);
		s->idx[i] = id;
	}
	qsort(s->idx, MAXNZ, sizeof(s->idx[0]), cmp_i32);
	for (i = 0; i < MAXNZ; i++) {
		s->val[i] = s->idx[i] >= 24 ? rng_unit() : 0.5 + rng_unit();
		norm += s->val[i] * s->val[i];
	}
	for (i = 0; i < MAXNZ; i++)
		s->val[i] /= sqrt(norm);
	s->v.idx = s->idx;
	s->v.val = s->val;
	s->v.n = MAXNZ;
	s->v.cap = MAXNZ;
}

static void
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void
write_bytes(const char *path, const char *bytes, size_t n)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(bytes, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static char *
read_text(const char *path)
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
	return s;
}

static void
path_in(const struct fixture *fx, const char *name, char *out, size_t sz)
{
	snprintf(out, sz, "%s/%s", fx->dir, name);
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct model_params p;
	struct err err;
	int i;

	if (fx == NULL)
		return -1;
	print_message("data seed %u\n", DATA_SEED);
	rng = DATA_SEED;
	for (i = 0; i < NTRAIN; i++) {
		make_sample(&fx->train[i], (i + 2) % NCLASS);
		fx->xtrain[i] = fx->train[i].v;
		fx->ytrain[i] = fx->train[i].y;
	}
	for (i = 0; i < NTEST; i++)
		make_sample(&fx->test[i], i % NCLASS);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_model.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	model_params_default(&p);
	if (model_train(fx->xtrain, fx->ytrain, NTRAIN, DIM, &p, &fx->m,
	    &err) == -1) {
		print_error("%s\n", err.msg);
		return -1;
	}
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[128];

	model_destroy(&fx->m);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

static void
test_train_predicts(void **state)
{
	struct fixture *fx = *state;
	struct model_scratch *s = model_scratch_new();
	double prob[NCLASS], sum;
	int i, k, label, best;

	assert_int_equal(model_nr_class(fx->m), NCLASS);
	assert_true(model_max_feature(fx->m) < DIM);
	assert_true(model_max_feature(fx->m) >= 24);
	for (i = 0; i < NTEST; i++) {
		label = model_predict(fx->m, &fx->test[i].v, s, prob);
		assert_int_equal(label, fx->test[i].y);
		assert_int_equal(model_predict_label(fx->m, &fx->test[i].v, s),
		    fx->test[i].y);
		sum = 0;
		best = 0;
		for (k = 0; k < NCLASS; k++) {
			assert_true(prob[k] > 0 && prob[k] < 1);
			sum += prob[k];
			if (prob[k] > prob[best])
				best = k;
		}
		assert_true(fabs(sum - 1) < 1e-9);
		assert_int_equal(best, label);
		assert_true(prob[label] > 0.5);
	}
	model_scratch_destroy(&s);
	assert_null(s);
}

static void
test_label_order(void **state)
{
	struct fixture *fx = *state;
	struct err err;
	char path[128], *text;

	/* libsvm numbers classes by first appearance: 2, 0, 1. */
	path_in(fx, "order.model", path, sizeof(path));
	assert_int_equal(model_save(fx->m, path, &err), 0);
	text = read_text(path);
	assert_non_null(strstr(text, "\nlabel 2 0 1\n"));
	free(text);
}

static void
test_empty_and_unknown_features(void **state)
{
	struct fixture *fx = *state;
	struct model_scratch *s = model_scratch_new();
	int32_t idx[2] = { 5, 1000 };
	double val[2] = { 1.0, 3.0 }, prob[NCLASS], sum = 0;
	struct feat_vec v = { idx, val, 0, 2 };
	int k, label;

	label = model_predict(fx->m, &v, s, prob);
	assert_true(label >= 0 && label < NCLASS);
	for (k = 0; k < NCLASS; k++)
		sum += prob[k];
	assert_true(fabs(sum - 1) < 1e-9);
	/* An id beyond every support vector contributes nothing. */
	v.n = 2;
	assert_int_equal(model_predict(fx->m, &v, s, prob), 0);
	model_scratch_destroy(&s);
}

static void
test_round_trip(void **state)
{
	struct fixture *fx = *state;
	struct model_scratch *s = model_scratch_new();
	struct model *m2 = NULL;
	double p1[NCLASS], p2[NCLASS];
	char path[128], path2[128], *t1, *t2;
	struct err err;
	int i, k;

	path_in(fx, "trip.model", path, sizeof(path));
	path_in(fx, "trip2.model", path2, sizeof(path2));
	assert_int_equal(model_save(fx->m, path, &err), 0);
	if (model_load(LIBSVM, path, NULL, &m2, &err) == -1)
		fail_msg("%s", err.msg);
	assert_int_equal(model_nr_class(m2), NCLASS);
	assert_int_equal(model_max_feature(m2), model_max_feature(fx->m));
	for (i = 0; i < NTEST; i++) {
		assert_int_equal(model_predict(fx->m, &fx->test[i].v, s, p1),
		    model_predict(m2, &fx->test[i].v, s, p2));
		/* Bit for bit: the trained model's SVs are pre-rounded. */
		for (k = 0; k < NCLASS; k++)
			assert_memory_equal(&p1[k], &p2[k], sizeof(p1[k]));
	}
	/* The loaded model saves to the same bytes. */
	assert_int_equal(model_save(m2, path2, &err), 0);
	t1 = read_text(path);
	t2 = read_text(path2);
	assert_string_equal(t1, t2);
	free(t1);
	free(t2);
	model_destroy(&m2);
	assert_null(m2);
	model_scratch_destroy(&s);
}

static void
test_deterministic(void **state)
{
	struct fixture *fx = *state;
	struct model_params p;
	struct model *m2 = NULL;
	char path[128], path2[128], *t1, *t2;
	struct err err;

	model_params_default(&p);
	assert_int_equal(model_train(fx->xtrain, fx->ytrain, NTRAIN, DIM, &p,
	    &m2, &err), 0);
	path_in(fx, "det1.model", path, sizeof(path));
	path_in(fx, "det2.model", path2, sizeof(path2));
	assert_int_equal(model_save(fx->m, path, &err), 0);
	assert_int_equal(model_save(m2, path2, &err), 0);
	t1 = read_text(path);
	t2 = read_text(path2);
	assert_string_equal(t1, t2);
	free(t1);
	free(t2);
	model_destroy(&m2);
}

static void
test_two_classes(void **state)
{
	struct fixture *fx = *state;
	struct model_scratch *s = model_scratch_new();
	struct feat_vec x[NTRAIN];
	int y[NTRAIN], i, n = 0;
	struct model_params p;
	struct model *m2 = NULL;
	double prob[2];
	struct err err;

	for (i = 0; i < NTRAIN; i++)
		if (fx->ytrain[i] != 2) {
			x[n] = fx->xtrain[i];
			y[n++] = fx->ytrain[i];
		}
	model_params_default(&p);
	assert_int_equal(model_train(x, y, (size_t)n, DIM, &p, &m2, &err), 0);
	assert_int_equal(model_nr_class(m2), 2);
	for (i = 0; i < NTEST; i++) {
		if (fx->test[i].y == 2)
			continue;
		assert_int_equal(model_predict(m2, &fx->test[i].v, s, prob),
		    fx->test[i].y);
		assert_true(fabs(prob[0] + prob[1] - 1) < 1e-9);
	}
	model_destroy(&m2);
	model_scratch_destroy(&s);
}

static void
test_no_probability(void **state)
{
	struct fixture *fx = *state;
	struct model_scratch *s = model_scratch_new();
	struct model_params p;
	struct model *m2 = NULL;
	double prob[NCLASS];
	char path[128];
	struct err err;
	int label;

	model_params_default(&p);
	p.probability = 0;
	assert_int_equal(model_train(fx->xtrain, fx->ytrain, NTRAIN, DIM, &p,
	    &m2, &err), 0);
	label = model_predict(m2, &fx->test[0].v, s, prob);
	assert_int_equal(label, fx->test[0].y);
	assert_true(prob[label] == 1.0);
	path_in(fx, "noprob.model", path, sizeof(path));
	assert_int_equal(model_save(m2, path, &err), 0);
	model_destroy(&m2);
	assert_int_equal(model_load(LIBSVM, path, NULL, &m2, &err), -1);
	assert_null(m2);
	assert_non_null(strstr(err.msg, "no probability estimates"));
	model_scratch_destroy(&s);
}

static void
expect_train_fail(const struct feat_vec *x, const int *y, size_t n,
    const struct model_params *p, const char *want)
{
	struct model *m = (struct model *)&m;
	struct err err;

	err.msg[0] = '\0';
	assert_int_equal(model_train(x, y, n, DIM, p, &m, &err), -1);
	assert_null(m);
	if (strstr(err.msg, want) == NULL)
		fail_msg("error '%s' lacks '%s'", err.msg, want);
}

static void
test_train_errors(void **state)
{
	struct fixture *fx = *state;
	struct model_params p;
	int y[NTRAIN], i;
	int32_t bad_idx[2] = { 3, 3 }, far_idx[1] = { DIM };
	double bad_val[2] = { 1, 1 }, nan_val[1] = { NAN };
	struct feat_vec x[2];

	model_params_default(&p);
	expect_train_fail(fx->xtrain, fx->ytrain, 0, &p, "no training");
	for (i = 0; i < NTRAIN; i++)
		y[i] = 0;
	expect_train_fail(fx->xtrain, y, NTRAIN, &p, "at least two classes");
	for (i = 0; i < NTRAIN; i++)
		y[i] = fx->ytrain[i] == 1 ? 2 : fx->ytrain[i];
	expect_train_fail(fx->xtrain, y, NTRAIN, &p, "class 1 has no");
	y[0] = -1;
	expect_train_fail(fx->xtrain, y, NTRAIN, &p, "has class -1");
	p.C = 0;
	expect_train_fail(fx->xtrain, fx->ytrain, NTRAIN, &p, "C <= 0");
	model_params_default(&p);
	p.eps = -1;
	expect_train_fail(fx->xtrain, fx->ytrain, NTRAIN, &p, "eps <= 0");
	model_params_default(&p);
	y[0] = 0;
	y[1] = 1;
	x[0] = fx->xtrain[0];
	x[1] = (struct feat_vec){ bad_idx, bad_val, 2, 2 };
	expect_train_fail(x, y, 2, &p, "out of order");
	x[1] = (struct feat_vec){ far_idx, bad_val, 1, 1 };
	expect_train_fail(x, y, 2, &p, "not below 32");
	x[1] = (struct feat_vec){ bad_idx, nan_val, 1, 1 };
	expect_train_fail(x, y, 2, &p, "not a finite number");
}

static int print_calls;

static void
count_print(const char *s)
{
	(void)s;
	print_calls++;
}

static void
test_set_print(void **state)
{
	struct fixture *fx = *state;
	struct model_params p;
	struct model *m2 = NULL;
	struct err err;

	model_params_default(&p);
	model_set_print(count_print);
	assert_int_equal(model_train(fx->xtrain, fx->ytrain, NTRAIN, DIM, &p,
	    &m2, &err), 0);
	assert_true(print_calls > 0);
	model_destroy(&m2);
	model_set_print(NULL);
	print_calls = 0;
	assert_int_equal(model_train(fx->xtrain, fx->ytrain, NTRAIN, DIM, &p,
	    &m2, &err), 0);
	assert_int_equal(print_calls, 0);
	model_destroy(&m2);
}

static void
test_write_vector(void **state)
{
	struct fixture *fx = *state;
	int32_t idx[3] = { 0, 7, 31 };
	double val[3] = { 0.1, 1.0 / 3, -2.5e-300 }, back;
	struct feat_vec v = { idx, val, 3, 3 };
	char path[128], *text, *p, *end;
	FILE *f;
	int i;

	path_in(fx, "vec.txt", path, sizeof(path));
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(model_write_vector(f, 2, &v), 0);
	v.n = 0;
	assert_int_equal(model_write_vector(f, 0, &v), 0);
	fclose(f);
	text = read_text(path);
	assert_string_equal(text, "2 1:0.10000000000000001 "
	    "8:0.33333333333333331 32:-2.5e-300\n0\n");
	p = text + 2;
	for (i = 0; i < 3; i++) {
		p = strchr(p, ':') + 1;
		back = strtod(p, &end);
		assert_memory_equal(&back, &val[i], sizeof(back));
		p = end;
	}
	free(text);
}

/* Every load failure names the file and says what is wrong. */
static void
expect_load_fail(const char *path, const char *want)
{
	struct model *m = (struct model *)&m;
	struct err err;

	err.msg[0] = '\0';
	if (model_load(LIBSVM, path, NULL, &m, &err) != -1)
		fail_msg("'%s' loaded, expected '%s'", path, want);
	assert_null(m);
	if (strstr(err.msg, path) == NULL || strstr(err.msg, want) == NULL)
		fail_msg("error '%s' lacks the path or '%s'", err.msg, want);
	if (strncmp(err.msg, "cannot load model '", 19) != 0)
		fail_msg("error '%s' has the wrong prefix", err.msg);
}

/* Write hand_model with the line starting with key replaced by repl. */
static void
write_variant(const char *path, const char *key, const char *repl)
{
	char buf[sizeof(hand_model) + 256];
	const char *line, *eol;

	line = strstr(hand_model, key);
	assert_non_null(line);
	eol = strchr(line, '\n') + 1;
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(line - hand_model),
	    hand_model, repl, eol);
	write_text(path, buf);
}

static void
test_load_hand_model(void **state)
{
	struct fixture *fx = *state;
	struct model_scratch *s = model_scratch_new();
	struct model *m = NULL;
	int32_t idx[2] = { 0, 2 };
	double val[2] = { 1, 1 }, prob[2];
	struct feat_vec v = { idx, val, 2, 2 };
	char path[128];
	struct err err;

	path_in(fx, "hand.model", path, sizeof(path));
	write_text(path, hand_model);
	if (model_load(LIBSVM, path, NULL, &m, &err) == -1)
		fail_msg("%s", err.msg);
	assert_int_equal(model_nr_class(m), 2);
	assert_int_equal(model_max_feature(m), 2);
	/* 1 * (0.5 + 0.25) - 0.1 > 0 votes for class 0; Platt: 0.83. */
	assert_int_equal(model_predict(m, &v, s, prob), 0);
	assert_true(fabs(prob[0] - 1 / (1 + exp(-1.615))) < 1e-6);
	assert_int_equal(model_predict_label(m, &v, s), 0);
	model_destroy(&m);
	model_scratch_destroy(&s);
}

static void
test_load_errors(void **state)
{
	struct fixture *fx = *state;
	char path[128];

	path_in(fx, "missing.model", path, sizeof(path));
	expect_load_fail(path, "No such file or directory");
	expect_load_fail(fx->dir, "not a regular file");
	path_in(fx, "bad.model", path, sizeof(path));
	write_text(path, "");
	expect_load_fail(path, "empty file");
	write_text(path, "\x7f" "ELF\x02\x01\x01 garbage\n\x01\x02\n");
	expect_load_fail(path, "line 1: not a libsvm model file (starts "
	    "with '?ELF\?\?\?')");
	write_text(path, "hello world");
	expect_load_fail(path, "line 1: truncated");
	write_variant(path, "label", "label 0 5\n");
	expect_load_fail(path, "line 6: labels must be 0..1 in any order, "
	    "found 5");
	write_variant(path, "label", "label 1 1\n");
	expect_load_fail(path, "found a second 1");
	write_variant(path, "label", "label 0\n");
	expect_load_fail(path, "'label' needs 2 values, found 1");
	write_variant(path, "label", "");
	expect_load_fail(path, "no 'label'");
	write_variant(path, "kernel_type", "kernel_type rbf\ngamma 0.5\n");
	expect_load_fail(path, "line 2: kernel_type 'rbf' is not supported");
	write_variant(path, "kernel_type", "kernel_type polynomial\n");
	expect_load_fail(path, "kernel_type 'polynomial' is not supported");
	write_variant(path, "svm_type", "svm_type nu_svc\n");
	expect_load_fail(path, "line 1: svm_type 'nu_svc' is not supported");
	write_variant(path, "svm_type", "svm_type one_class\n");
	expect_load_fail(path, "svm_type 'one_class' is not supported");
	write_variant(path, "probA", "");
	expect_load_fail(path, "no probability estimates");
	write_variant(path, "probB", "");
	expect_load_fail(path, "no probability estimates");
	write_variant(path, "nr_class", "nr_class 1\n");
	expect_load_fail(path, "nr_class 1 is out of range");
	write_variant(path, "nr_class", "");
	expect_load_fail(path, "'rho' before 'nr_class'");
	write_variant(path, "nr_sv", "nr_sv 1 2\n");
	expect_load_fail(path, "'nr_sv' adds up to 3, but total_sv is 2");
	write_variant(path, "total_sv", "total_sv 3\n");
	expect_load_fail(path, "'nr_sv' adds up to 2, but total_sv is 3");
	write_variant(path, "rho", "rho 0.1 0.2\n");
	expect_load_fail(path, "'rho' needs 1 values, found more");
	write_variant(path, "rho", "rho nan\n");
	expect_load_fail(path, "'rho' value 'nan' is not a finite number");
	write_variant(path, "probA", "probA 1,5\n");
	expect_load_fail(path, "'probA' value '1,5'");
	write_variant(path, "rho", "rho 0.1\nrho 0.1\n");
	expect_load_fail(path, "line 6: 'rho' given twice");
	write_variant(path, "SV", "SV extra\n");
	expect_load_fail(path, "text after 'SV'");
	write_variant(path, "1 1:0.5", "1 3:0.5 1:0.25\n");
	expect_load_fail(path, "line 11: feature id '1' is not a positive "
	    "integer above 3");
	write_variant(path, "1 1:0.5", "1 0:0.5\n");
	expect_load_fail(path, "feature id '0'");
	write_variant(path, "1 1:0.5", "1 1:abc\n");
	expect_load_fail(path, "value 'abc' of feature 1");
	write_variant(path, "1 1:0.5", "1 1:inf\n");
	expect_load_fail(path, "value 'inf' of feature 1");
	/* Around the plain-decimal fast path: strtod decides the rest. */
	write_variant(path, "1 1:0.5", "1 1:1e999\n");
	expect_load_fail(path, "value '1e999' of feature 1");
	write_variant(path, "1 1:0.5", "1 1:9e308\n");
	expect_load_fail(path, "value '9e308' of feature 1");
	write_variant(path, "1 1:0.5", "1 1:1e\n");
	expect_load_fail(path, "value '1e' of feature 1");
	write_variant(path, "1 1:0.5", "1 1:-\n");
	expect_load_fail(path, "value '-' of feature 1");
	write_variant(path, "1 1:0.5", "1 1:.\n");
	expect_load_fail(path, "value '.' of feature 1");
	write_variant(path, "1 1:0.5", "1e 1:0.5\n");
	expect_load_fail(path, "a support vector starts with 1 coefficient");
	write_variant(path, "1 1:0.5", "1 2147483648:0.5\n");
	expect_load_fail(path, "feature id '2147483648'");
	write_variant(path, "1 1:0.5", "1 +1:0.5\n");
	expect_load_fail(path, "feature id '+1'");
	write_variant(path, "1 1:0.5", "1 1-0.5\n");
	expect_load_fail(path, "'1-0.5' is not id:value");
	write_variant(path, "1 1:0.5", "\n");
	expect_load_fail(path, "line 11: a support vector starts with 1 "
	    "coefficient");
	write_variant(path, "-1 2:0.75", "-1 2:0.75\n-1 2:0.5\n");
	expect_load_fail(path, "line 13: text after the last of 2 support "
	    "vectors");
	write_variant(path, "-1 2:0.75", "");
	expect_load_fail(path, "truncated after 1 of 2 support vectors");
	write_variant(path, "SV", "");
	expect_load_fail(path, "line 10: unknown keyword '1'");
	write_variant(path, "nr_class", "nr_class 2 2\n");
	expect_load_fail(path, "'nr_class' needs one integer");
	write_bytes(path, "svm_type c_svc\0x\n", 17);
	expect_load_fail(path, "line 1: NUL byte");
}

/* Every proper prefix of a trained model file is refused, never misread. */
static void
test_load_truncated(void **state)
{
	struct fixture *fx = *state;
	char path[128], cut[128], *text;
	size_t len, i;
	FILE *f;

	path_in(fx, "full.model", path, sizeof(path));
	path_in(fx, "cut.model", cut, sizeof(cut));
	{
		struct err err;

		assert_int_equal(model_save(fx->m, path, &err), 0);
	}
	text = read_text(path);
	len = strlen(text);
	for (i = 0; i < len; i++) {
		struct model *m = NULL;
		struct err err;

		f = fopen(cut, "w");
		assert_non_null(f);
		assert_int_equal(fwrite(text, 1, i, f), i);
		fclose(f);
		if (model_load(LIBSVM, cut, NULL, &m, &err) != -1)
			fail_msg("prefix of %zu of %zu bytes loaded", i, len);
		assert_null(m);
	}
	free(text);
}

/*
 * Differential test: libsvm's svm-predict -b 1, run on the same model file
 * and the test vectors written by model_write_vector, must agree on every
 * label and, to its printed precision ("%g"), on every probability.
 */
/*
 * The linear fast path against libsvm itself on the same vectors: decision
 * values to 1e-9 relative, the same labels (vote and probability), the
 * probabilities to 1e-12.  Also checks the hand-written non-linear-free
 * model and a two-class model take the same path.
 */
static void
check_fast_path(const struct model *m, const struct sample *xs, int n)
{
	struct model_scratch *s = model_scratch_new();
	double dec[NCLASS * NCLASS], ref[NCLASS * NCLASS];
	double p[NCLASS], pref[NCLASS];
	int i, j, k = model_nr_class(m), np = k * (k - 1) / 2;

	assert_true(model_is_linear_fast(m));
	for (i = 0; i < n; i++) {
		assert_int_equal(model_decision_values(m, &xs[i].v, s, dec), 0);
		model_predict_reference(m, &xs[i].v, s, NULL, ref);
		for (j = 0; j < np; j++)
			assert_true(fabs(dec[j] - ref[j]) <=
			    1e-9 * fmax(1.0, fabs(ref[j])));
		assert_int_equal(model_predict_label(m, &xs[i].v, s),
		    model_predict_reference(m, &xs[i].v, s, NULL, NULL));
		assert_int_equal(model_predict(m, &xs[i].v, s, p),
		    model_predict_reference(m, &xs[i].v, s, pref, NULL));
		for (j = 0; j < k; j++)
			assert_true(fabs(p[j] - pref[j]) <= 1e-12);
	}
	model_scratch_destroy(&s);
}

static void
test_fast_path(void **state)
{
	struct fixture *fx = *state;
	struct model *m2 = NULL;
	struct model_params p;
	struct err err;
	int y2[NTRAIN], i;

	check_fast_path(fx->m, fx->test, NTEST);
	check_fast_path(fx->m, fx->train, NTRAIN);
	/* Two classes: libsvm skips the coupling step. */
	for (i = 0; i < NTRAIN; i++)
		y2[i] = fx->ytrain[i] == 0 ? 0 : 1;
	model_params_default(&p);
	assert_int_equal(model_train(fx->xtrain, y2, NTRAIN, DIM, &p, &m2,
	    &err), 0);
	check_fast_path(m2, fx->test, NTEST);
	model_destroy(&m2);
}

static double diff_max_seen;

static void
check_against_svm_predict(const struct model *m, const char *model_path,
    const struct sample *samples, size_t n, const char *dir)
{
	struct model_scratch *s = model_scratch_new();
	char vec[128], out[128], cmd[512], line[1024], *p, *end;
	int order[NCLASS], k, nk, label, theirs;
	double prob[NCLASS], q;
	size_t i;
	FILE *f;

	snprintf(vec, sizeof(vec), "%s/diff.vec", dir);
	snprintf(out, sizeof(out), "%s/diff.out", dir);
	f = fopen(vec, "w");
	assert_non_null(f);
	for (i = 0; i < n; i++)
		assert_int_equal(model_write_vector(f, samples[i].y,
		    &samples[i].v), 0);
	assert_int_equal(fclose(f), 0);
	snprintf(cmd, sizeof(cmd), "%s -b 1 '%s' '%s' '%s' >/dev/null",
	    SVM_PREDICT, vec, model_path, out);
	assert_int_equal(system(cmd), 0);

	f = fopen(out, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_int_equal(strncmp(line, "labels", 6), 0);
	p = line + 6;
	for (nk = 0; nk < NCLASS; nk++) {
		order[nk] = (int)strtol(p, &end, 10);
		if (end == p)
			break;
		p = end;
	}
	assert_int_equal(nk, model_nr_class(m));
	for (i = 0; i < n; i++) {
		assert_non_null(fgets(line, sizeof(line), f));
		theirs = (int)strtol(line, &p, 10);
		label = model_predict(m, &samples[i].v, s, prob);
		if (label != theirs)
			fail_msg("vector %zu: svm-predict says %d, we say %d",
			    i, theirs, label);
		for (k = 0; k < nk; k++) {
			q = strtod(p, &end);
			assert_true(end != p);
			p = end;
			if (fabs(q - prob[order[k]]) > 1e-6)
				fail_msg("vector %zu class %d: svm-predict %g, "
				    "we %.17g", i, order[k], q,
				    prob[order[k]]);
			if (fabs(q - prob[order[k]]) > diff_max_seen)
				diff_max_seen = fabs(q - prob[order[k]]);
		}
	}
	assert_null(fgets(line, sizeof(line), f));
	fclose(f);
	model_scratch_destroy(&s);
}

static void
test_differential(void **state)
{
	struct fixture *fx = *state;
	struct sample mixed[NTEST + NTRAIN / 3];
	char path[128];
	struct err err;
	struct model *m2 = NULL;
	size_t i, n = 0;

	if (access(SVM_PREDICT, X_OK) != 0)
		skip();
	path_in(fx, "diff.model", path, sizeof(path));
	assert_int_equal(model_save(fx->m, path, &err), 0);
	/* Test vectors plus blends of two classes, near the boundaries. */
	for (i = 0; i < NTEST; i++)
		mixed[n++] = fx->test[i];
	for (i = 0; i < NTRAIN / 3; i++) {
		struct sample *b = &mixed[n++];
		size_t j;

		*b = fx->train[i];
		for (j = 0; j < MAXNZ; j++)
			b->val[j] = b->idx[j] % 8 < 4 ? b->val[j] :
			    b->val[j] * 0.05 * (double)(i % 7);
		b->v.idx = b->idx;
		b->v.val = b->val;
	}
	for (i = 0; i < n; i++) {
		mixed[i].v.idx = mixed[i].idx;
		mixed[i].v.val = mixed[i].val;
	}
	/* The trained model, then the same model loaded back. */
	check_against_svm_predict(fx->m, path, mixed, n, fx->dir);
	assert_int_equal(model_load(LIBSVM, path, NULL, &m2, &err), 0);
	check_against_svm_predict(m2, path, mixed, n, fx->dir);
	model_destroy(&m2);
	print_message("svm-predict: %zu vectors agree, max |dp| %.3g\n", n,
	    diff_max_seen);
}

/*
 * The reference explanation, from libsvm's own decision values (kernel
 * sums over the support vectors, not the collapsed weights): feature f's
 * weight in pair q is dec_q(e_f) - dec_q(0), e_f the unit vector of f.
 * order[] is libsvm's class order from the model file's "label" line.
 * Fills contrib[i] for each feature x->idx[i].
 */
static void
reference_contrib(const struct model *m, const int *order,
    const struct feat_vec *x, int label, struct model_scratch *s,
    double *contrib)
{
	int k = model_nr_class(m), a, b, q;
	double dec0[NCLASS * NCLASS], decf[NCLASS * NCLASS], one = 1.0;
	struct feat_vec zero = { NULL, NULL, 0, 0 };
	size_t i;

	model_predict_reference(m, &zero, s, NULL, dec0);
	for (i = 0; i < x->n; i++) {
		struct feat_vec e = { &x->idx[i], &one, 1, 1 };

		model_predict_reference(m, &e, s, NULL, decf);
		contrib[i] = 0.0;
		for (a = 0, q = 0; a < k; a++)
			for (b = a + 1; b < k; b++, q++) {
				if (order[a] == label)
					contrib[i] += decf[q] - dec0[q];
				else if (order[b] == label)
					contrib[i] -= decf[q] - dec0[q];
			}
		contrib[i] *= x->val[i];
	}
}

static void
test_explain(void **state)
{
	struct fixture *fx = *state;
	struct model_scratch *s = model_scratch_new();
	struct model_why why[MAXNZ + 2];
	double contrib[MAXNZ];
	const size_t ks[] = { 1, 3, MAXNZ, MAXNZ + 2 };
	int order[NCLASS], i, c, checked = 0;
	char path[128], *text, *at;
	struct err err;
	size_t n, j, ki, r;

	path_in(fx, "explain.model", path, sizeof(path));
	assert_int_equal(model_save(fx->m, path, &err), 0);
	text = read_text(path);
	at = strstr(text, "\nlabel ");
	assert_non_null(at);
	assert_int_equal(sscanf(at, "\nlabel %d %d %d", &order[0], &order[1],
	    &order[2]), 3);
	free(text);

	for (i = 0; i < NTEST; i++) {
		const struct feat_vec *x = &fx->test[i].v;

		for (c = 0; c < NCLASS; c++) {
			reference_contrib(fx->m, order, x, c, s, contrib);
			for (ki = 0; ki < sizeof(ks) / sizeof(ks[0]); ki++) {
				size_t want = 0, rank;

				assert_int_equal(model_explain(fx->m, x, c,
				    ks[ki], why, &n), 0);
				for (j = 0; j < x->n; j++)
					want += contrib[j] > 1e-12;
				if (want > ks[ki])
					want = ks[ki];
				/* Borderline zeros may go either way. */
				assert_true(n + 1 >= want && n <= ks[ki]);
				for (r = 0; r < n; r++) {
					/* why[r]'s reference, and its rank. */
					for (j = 0; j < x->n &&
					    x->idx[j] != why[r].feature; j++)
						;
					assert_true(j < x->n);
					assert_true(fabs(why[r].contrib -
					    contrib[j]) <= 1e-9);
					assert_true(why[r].contrib > 0);
					rank = 0;
					for (j = 0; j < x->n; j++)
						rank += contrib[j] >
						    why[r].contrib + 1e-9;
					assert_true(rank <= r);
					if (r > 0)
						assert_true(why[r].contrib <=
						    why[r - 1].contrib);
					checked++;
				}
			}
		}
		/* The predicted class is explained by its own features. */
		model_explain(fx->m, x, fx->test[i].y, 1, why, &n);
		assert_int_equal(n, 1);
		assert_true(why[0].feature / 8 == fx->test[i].y);
	}
	assert_true(checked > NTEST * NCLASS);
	/* k = 0: nothing, and no failure. */
	assert_int_equal(model_explain(fx->m, &fx->test[0].v, 0, 0, why, &n),
	    0);
	assert_int_equal(n, 0);
	model_scratch_destroy(&s);
}

/* A model too wide for the collapsed weights cannot explain. */
static void
test_explain_no_fast_path(void **state)
{
	static const char wide[] =
	    "svm_type c_svc\n"
	    "kernel_type linear\n"
	    "nr_class 2\n"
	    "total_sv 2\n"
	    "rho 0.1\n"
	    "label 0 1\n"
	    "probA -2.5\n"
	    "probB 0.01\n"
	    "nr_sv 1 1\n"
	    "SV\n"
	    "1 1:0.5 70000000:0.25 \n"
	    "-1 2:0.75 \n";
	struct fixture *fx = *state;
	struct model_why why[4];
	struct model *m = NULL;
	int32_t idx[2] = { 0, 1 };
	double val[2] = { 1, 1 };
	struct feat_vec v = { idx, val, 2, 2 };
	char path[128];
	struct err err;
	size_t n = 99;

	path_in(fx, "wide.model", path, sizeof(path));
	write_text(path, wide);
	if (model_load(LIBSVM, path, NULL, &m, &err) == -1)
		fail_msg("%s", err.msg);
	assert_false(model_is_linear_fast(m));
	assert_int_equal(model_explain(m, &v, 0, 4, why, &n), -1);
	assert_int_equal(n, 0);
	model_destroy(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_train_predicts),
		cmocka_unit_test(test_fast_path),
		cmocka_unit_test(test_label_order),
		cmocka_unit_test(test_empty_and_unknown_features),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_two_classes),
		cmocka_unit_test(test_no_probability),
		cmocka_unit_test(test_train_errors),
		cmocka_unit_test(test_set_print),
		cmocka_unit_test(test_write_vector),
		cmocka_unit_test(test_load_hand_model),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_load_truncated),
		cmocka_unit_test(test_differential),
		cmocka_unit_test(test_explain),
		cmocka_unit_test(test_explain_no_fast_path),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
