/*
 * linmodel.h - linear models trained by liblinear; the only interface to
 * liblinear (the only file including linear.h).
 *
 * A linmodel scores an article with one weight row per class: decision
 * value d_c = w_c . x + b_c.  It is trained by liblinear's train() with one
 * of its classification solvers (one-vs-rest L2-loss SVM by dual
 * coordinate descent by default, or Crammer and Singer's joint
 * multi-class SVM), and saved in liblinear's own model file format, so
 * liblinear's tools (liblinear-predict) read the file and agree with us on
 * vectors written by model_write_vector.
 *
 * Classes are numbered 0..nr_class-1 by the caller, and saved files list
 * them in that order ("label 0 1 2 ..."); a loaded file may list them in
 * any order and is re-ordered on load.  A two-class one-vs-rest file holds
 * one column (liblinear's), the decision value of class 0; in memory it is
 * two, the second the negation of the first, so every model has one value
 * per class.
 *
 * Files are read and written by this module itself, not by liblinear's
 * load_model/save_model, so nothing touches the process locale and loading
 * may happen on any thread.  Weights are written with 9 significant digits
 * (the bias value with 17); linmodel_train rounds them to those digits, so
 * a trained model saved and loaded scores bit for bit alike, while a file
 * with more digits (liblinear's own) is read exactly but keeps 9 when
 * saved again.  A loaded linmodel is immutable and may be shared by
 * threads.
 */
#ifndef NC_LINMODEL_H
#define NC_LINMODEL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "feat.h"

struct linmodel;

/* A liblinear classification solver, by liblinear's own name. */
struct linmodel_solver;
/*
 * "L2R_L2LOSS_SVC_DUAL" (one-vs-rest, the default), "L2R_L2LOSS_SVC",
 * "L2R_L1LOSS_SVC_DUAL", "L2R_LR", "L2R_LR_DUAL", "MCSVM_CS" (Crammer and
 * Singer), "L1R_L2LOSS_SVC", "L1R_LR"; NULL if unknown.
 */
const struct linmodel_solver *linmodel_solver_find(const char *name);
const char *linmodel_solver_name(const struct linmodel_solver *s);
/* "ovr" or "crammer-singer": how the classes share the problem. */
const char *linmodel_solver_scheme(const struct linmodel_solver *s);

struct linmodel_params {
	const struct linmodel_solver *solver;
	int exact;		/* round weights to the file's 9 digits */
	double C;		/* > 0 */
	double eps;		/* stopping tolerance; 0: the solver's default */
	double bias;		/* value of the bias feature; < 0: no bias */
	int balanced;		/* weigh C per class by n / (k * n_class) */
	double *weight;		/* per-example weights (n), or NULL */
	unsigned seed;		/* the dual solvers shuffle with rand() */
};

void linmodel_params_default(struct linmodel_params *p);

/*
 * Train on n vectors x[i] with classes y[i] in 0..nr_class-1 (every class
 * present) and feature ids below dim.  Deterministic for the same input and
 * seed, but calls srand(): one training at a time per process.  Weights are
 * rounded to the 9 digits the file keeps if p->exact, so that the model and
 * the same model saved and loaded score alike (cross-validation skips it).
 * The model belongs to the caller.  -1 with a reason for bad input or parameters.
 */
int linmodel_train(const struct feat_vec *x, const int *y, size_t n,
    size_t dim, const struct linmodel_params *p, struct linmodel **out,
    struct err *err);

/*
 * The weight table: (nr_feature + 1) rows of nr_class values, w[f * k + c]
 * feature f's weight for class c, the last row the bias's.  Borrowed.
 */
const double *linmodel_weights(const struct linmodel *m);
/* A model of the given table (copied), as linmodel_weights lays it out. */
struct linmodel *linmodel_from_weights(const struct linmodel_solver *s,
    int nr_class, size_t nr_feature, double bias, const double *w);

/*
 * Load a liblinear model file of at most max_bytes.  Checks the whole file:
 * a classification solver, labels exactly 0..nr_class-1, the weight table's
 * size and every number.  Errors name the file and line.
 */
int linmodel_load(const char *path, size_t max_bytes,
    struct linmodel **out, struct err *err);
/* Save in liblinear's format (not atomic; see bundle.c). */
int linmodel_save(const struct linmodel *m, const char *path,
    struct err *err);
void linmodel_destroy(struct linmodel **mp);

int linmodel_nr_class(const struct linmodel *m);
/* Number of features the model was trained over (ids 0..n-1). */
size_t linmodel_nr_feature(const struct linmodel *m);
const struct linmodel_solver *linmodel_solver(const struct linmodel *m);

/* Decision values dec[0..nr_class) for x; no allocation. */
void linmodel_decision(const struct linmodel *m, const struct feat_vec *x,
    double *dec);

/*
 * Weight of feature f for class c (0 for f beyond the model's features):
 * what explanations are made of.
 */
double linmodel_weight(const struct linmodel *m, int32_t f, int c);

/*
 * The reference: liblinear's own predict_values on the same weights, with
 * the bias feature appended as liblinear-predict does; fills dec by class
 * number (nr_class values) and returns liblinear's predicted class.  It
 * reads our weight table in place, except for two-class one-vs-rest models,
 * whose single column in liblinear's layout is copied out on every call.  For
 * tests and benchmarks.
 */
int linmodel_predict_liblinear(const struct linmodel *m,
    const struct feat_vec *x, double *dec);

#endif
