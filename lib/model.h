/*
 * model.h - a classifier over feature vectors from feat.h, trained by one
 * of two solvers, chosen when the model is trained or loaded:
 *
 *   libsvm     a C-SVC with a linear kernel and Platt's probability
 *              estimates, one-vs-one; model file svm.model, libsvm's
 *              format (the only file including svm.h is model.c);
 *   liblinear  one weight row per class (linmodel.h: one-vs-rest or
 *              Crammer-Singer), probabilities from a calibrator fitted on
 *              cross-validated decision values (calib.h); model file
 *              linear.model, liblinear's format, the calibrator in
 *              meta.json.
 *
 * Classes are numbered 0..nr_class-1 by the caller; that number is the
 * solver's integer label, so the model file written by model_save can be
 * used directly by the solver's own tool (svm-predict, liblinear-predict)
 * on vectors written by model_write_vector.
 *
 * libsvm switches the process locale while reading and writing model files;
 * model_load and model_save of libsvm models are therefore to be called
 * from the main thread only.  Prediction is thread-safe on a shared model,
 * each thread using its own struct model_scratch.  libsvm's console output
 * goes through the print function set with model_set_print (default:
 * silent).
 */
#ifndef NC_MODEL_H
#define NC_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "calib.h"
#include "err.h"
#include "feat.h"
#include "linmodel.h"

struct model;
struct model_scratch;

/* A solver: "libsvm" or "liblinear" (NULL if unknown). */
struct model_solver;
const struct model_solver *model_solver_find(const char *name);
const char *model_solver_name(const struct model_solver *s);
/* The model file's name in a bundle: "svm.model", "linear.model". */
const char *model_solver_file(const struct model_solver *s);

struct model_params {
	const struct model_solver *solver;	/* default libsvm */
	double C;		/* > 0 */
	double eps;		/* stopping tolerance; 0: the solver's default */
	unsigned seed;		/* the solvers shuffle with rand(): seeded */
	int balanced;		/* weigh C per class by n / (k * n_class) */
	/* libsvm only: */
	int probability;	/* train probability estimates (Platt) */
	double cache_mb;	/* kernel cache size */
	/* liblinear only: */
	const struct linmodel_solver *linear;	/* default one-vs-rest */
	double bias;		/* the bias feature's value; < 0: none */
	int exact;		/* weights as the file keeps them (default) */
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
 * Load a model file of solver s.  libsvm: checks that it is a linear C-SVC,
 * that its labels are exactly 0..nr_class-1 and that it carries
 * probability estimates; main thread only (locale).  liblinear: checks the
 * whole file (linmodel_load) and reads the calibrator from meta's
 * "calibration" (meta: the bundle's "model" object; ignored by libsvm).
 * Errors name the file and what is wrong.
 */
int model_load(const struct model_solver *s, const char *path,
    const json_t *meta, struct model **out, struct err *err);
/* Save in the solver's format (not atomic; see bundle.c).  libsvm: main
 * thread only. */
int model_save(const struct model *m, const char *path, struct err *err);
void model_destroy(struct model **mp);

const struct model_solver *model_solver(const struct model *m);
int model_nr_class(const struct model *m);
/* Largest 0-based feature id the model uses, or -1. */
int32_t model_max_feature(const struct model *m);
/* Decision values per vector: pairs (libsvm) or classes (liblinear). */
size_t model_ndec(const struct model *m);
/* Whether model_predict gives probabilities (else 1 for the label). */
int model_has_probabilities(const struct model *m);

/*
 * Give a liblinear model its calibrator (taking *c and NULLing it); -1 if
 * the model is libsvm's or the class counts differ.  Before the model is
 * shared.
 */
int model_set_calib(struct model *m, struct calib **c, struct err *err);
/*
 * liblinear models as their weights: the linmodel of a model (NULL for
 * libsvm's), and a model made of a linmodel (taking *lin, NULLing it).
 */
const struct linmodel *model_linear(const struct model *m);
struct model *model_from_linear(struct linmodel **lin);

/* The calibrator, or NULL. */
const struct calib *model_calib(const struct model *m);

/*
 * What meta.json says of the model under "model" (new reference): solver,
 * liblinear's solver, scheme and calibrator; NULL for libsvm models, whose
 * meta.json has no such key.
 */
json_t *model_meta(const struct model *m);

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
 * The reference: the solver's own code on the same model.  libsvm:
 * svm_predict_probability (prob != NULL, filled by class number) or
 * svm_predict (prob == NULL), and svm_predict_values into dec
 * (nr_class * (nr_class - 1) / 2 values, libsvm's pair order) if dec !=
 * NULL.  liblinear: predict_values into dec (one per class) and its label,
 * or with prob != NULL the calibrated probabilities of those values and
 * their arg-max.  For tests and benchmarks of the fast path.
 */
int model_predict_reference(const struct model *m, const struct feat_vec *x,
    struct model_scratch *s, double *prob, double *dec);

/*
 * The fast path's decision values (model_ndec of them: libsvm's pair order,
 * or one per class); -1 if the model has no fast path (see
 * model_is_linear_fast).
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
 * id first), into out[0..*n).  liblinear: a feature's contribution is its
 * value in x times its weight for label, its part of label's decision
 * value.  libsvm: a feature's contribution is its value in x
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
