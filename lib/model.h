/*
 * model.h - the only interface to libsvm (the only file including svm.h).
 *
 * A model is a C-SVC with a linear kernel, trained with probability
 * estimates, over feature vectors from feat.h.  Classes are numbered
 * 0..nr_class-1 by the caller; that number is libsvm's integer label, so the
 * libsvm model file written by model_save can be used directly by libsvm's
 * own svm-predict on vectors written by model_write_vector.
 *
 * libsvm switches the process locale while reading and writing model files;
 * model_load and model_save are therefore to be called from the main thread
 * only.  Prediction is thread-safe on a shared model, each thread using its
 * own struct model_scratch.  libsvm's console output goes through the print
 * function set with model_set_print (default: silent).
 */
#ifndef NC_MODEL_H
#define NC_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "feat.h"

struct model;
struct model_scratch;

struct model_params {
	double C;		/* > 0 */
	int probability;	/* train probability estimates (Platt) */
	double eps;		/* stopping tolerance, libsvm default 1e-3 */
	double cache_mb;	/* kernel cache size */
	unsigned seed;		/* libsvm's internal CV uses rand(): seeded */
	int balanced;		/* weigh C per class by n / (k * n_class) */
};

void model_params_default(struct model_params *p);

/* Route libsvm's console output (NULL: discard it). */
void model_set_print(void (*print)(const char *));

/*
 * Train on n vectors x[i] with classes y[i] in 0..nr_class-1 and feature ids
 * below dim.  Deterministic for the same input and seed.  The model belongs
 * to the caller.  -1 with a reason if libsvm rejects the parameters.
 */
int model_train(const struct feat_vec *x, const int *y, size_t n,
    size_t dim, const struct model_params *p, struct model **out,
    struct err *err);

/*
 * Load a libsvm model file.  Checks that it is a C-SVC, that its labels are
 * exactly 0..nr_class-1 and that it carries probability estimates.  Errors
 * name the file and what is wrong.  Main thread only (locale).
 */
int model_load(const char *path, struct model **out, struct err *err);
/* Save in libsvm's format (not atomic; see bundle.c).  Main thread only. */
int model_save(const struct model *m, const char *path, struct err *err);
void model_destroy(struct model **mp);

int model_nr_class(const struct model *m);
/* Largest 0-based feature id any support vector uses, or -1. */
int32_t model_max_feature(const struct model *m);

struct model_scratch *model_scratch_new(void);
void model_scratch_destroy(struct model_scratch **sp);

/*
 * Score one vector: fills prob[0..nr_class) (probability of each class,
 * indexed by class number) and returns the class with the highest
 * probability (libsvm's svm_predict_probability label).
 */
int model_predict(const struct model *m, const struct feat_vec *x,
    struct model_scratch *s, double *prob);

/* Predict the class without probabilities (one-vs-one vote). */
int model_predict_label(const struct model *m, const struct feat_vec *x,
    struct model_scratch *s);

/*
 * The reference: libsvm's own svm_predict_probability (prob != NULL, filled
 * by class number) or svm_predict (prob == NULL), and svm_predict_values
 * into dec (nr_class * (nr_class - 1) / 2 values, libsvm's pair order) if
 * dec != NULL.  For tests and benchmarks of the fast path.
 */
int model_predict_libsvm(const struct model *m, const struct feat_vec *x,
    struct model_scratch *s, double *prob, double *dec);

/*
 * The fast path's decision values, in libsvm's pair order; -1 if the model
 * has no fast path (see model_is_linear_fast).
 */
int model_decision_values(const struct model *m, const struct feat_vec *x,
    struct model_scratch *s, double *dec);

/*
 * Whether predictions use the collapsed linear weights (one pass over the
 * article's features) instead of libsvm's per-support-vector kernel sums.
 * True for every linear model that fits MODEL_MAX_WEIGHTS.
 */
int model_is_linear_fast(const struct model *m);

/* One term of an explanation: a feature and its contribution. */
struct model_why {
	int32_t feature;	/* 0-based feature id */
	double contrib;
};

/*
 * Explain the class label for x: the at most k features of x with the
 * largest positive contribution to it, largest first (ties: lower feature
 * id first), into out[0..*n).  A feature's contribution is its value in x
 * times the sum of its weights over the k-1 one-vs-one pairs that involve
 * label, each taken with the sign that favours label (libsvm's decision
 * value of the pair (i, j) is positive for i): the part of those pairs'
 * decision values, signed towards label, that the feature makes.  The
 * pairs' biases (rho) belong to no feature and are left out.  Features
 * with a contribution <= 0 are not listed, so short articles give fewer
 * than k.  Costs one pass over x's features reading k-1 of each feature's
 * weights; no allocation.  -1 (and *n = 0) if the model has no fast path
 * (model_is_linear_fast): the collapsed weights are what is explained.
 */
int model_explain(const struct model *m, const struct feat_vec *x, int label,
    size_t k, struct model_why *out, size_t *n);

/*
 * Write x as one line of libsvm's sparse format "label id:value ..." with
 * 1-based ids and values printed so that strtod reads them back exactly.
 */
int model_write_vector(FILE *f, int label, const struct feat_vec *x);

#endif
