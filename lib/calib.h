/*
 * calib.h - probabilities from decision values.
 *
 * A linear model gives one decision value per class (one-vs-rest, or
 * Crammer and Singer's joint scores); a calibrator turns them into
 * probabilities that mean what they say: of the articles given p = 0.8,
 * about 80% are right.  It is fitted on decision values the model was never
 * trained on (the trainer's cross-validation), and applied unchanged when
 * serving.  Two methods, chosen once when the calibrator is made:
 *
 *   platt        per class a sigmoid p_k = 1 / (1 + exp(A_k d_k + B_k)),
 *                fitted by Platt's method as Lin, Lin and Weng (2007) and
 *                libsvm do it, then normalised to sum to 1;
 *   temperature  softmax(d / T), one T fitted by maximum likelihood.
 *
 * Parameters are rounded to 15 significant digits when fitted, so that the
 * calibrator written to meta.json and read back is bit for bit the one the
 * trainer evaluated.  A calibrator is immutable after it is made and may
 * be shared by threads.
 */
#ifndef NC_CALIB_H
#define NC_CALIB_H

#include <stddef.h>

#include <jansson.h>

#include "err.h"

struct calib;

/* The methods by name ("platt", "temperature"); NULL if unknown. */
struct calib_method;
const struct calib_method *calib_method_find(const char *name);
const char *calib_method_name(const struct calib_method *m);

/*
 * Fit a calibrator with method m for k classes on n rows of decision values
 * dec[i * k + c] with true classes y[i] in 0..k-1 (weight w[i] each, or 1
 * when w is NULL).  The result belongs to the caller.  -1 with a reason if
 * n is 0, k < 2, a class is out of range or a value is not finite.
 */
int calib_fit(const struct calib_method *m, const double *dec, const int *y,
    const double *w, size_t n, size_t k, struct calib **out,
    struct err *err);
void calib_destroy(struct calib **cp);

const struct calib_method *calib_method(const struct calib *c);
size_t calib_nclass(const struct calib *c);

/* Probabilities prob[0..k) (summing to 1) for the decision values dec. */
void calib_apply(const struct calib *c, const double *dec, double *prob);

/*
 * The calibrator as a JSON object {"method": ..., params} (new reference),
 * and back.  calib_from_json checks the method, the number of classes
 * against k and that every parameter is a finite number; errors say which
 * key is wrong.
 */
json_t *calib_to_json(const struct calib *c);
int calib_from_json(const json_t *obj, size_t k, struct calib **out,
    struct err *err);

/*
 * Mean negative log-likelihood of the true classes under c (probabilities
 * floored at 1e-15): the figure the trainer compares methods by.
 */
double calib_nll(const struct calib *c, const double *dec, const int *y,
    size_t n);

#endif
