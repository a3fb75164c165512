/*
 * classifier.h - every bundle under a models directory, scored together.
 *
 * Each subdirectory of the models directory holding a meta.json is a
 * bundle; its name is the task name ("topic", "sentiment", "region", ...).
 * Tasks are kept sorted by name.  A loaded classifier is immutable and may
 * be shared by any number of threads, each with its own scratch.
 */
#ifndef NC_CLASSIFIER_H
#define NC_CLASSIFIER_H

#include <stddef.h>

#include "bundle.h"
#include "err.h"

struct classifier;
struct classifier_scratch;

/* Most "why" terms one article can ask for, per task. */
#define CLASSIFIER_WHY_MAX 32

/*
 * The result for one task; prob and why are owned by the scratch they came
 * from.
 */
struct classifier_out {
	int label;		/* arg-max of prob: index into the labels */
	const double *prob;	/* bundle_nlabels() calibrated probabilities */
	/*
	 * With explain > 0: the terms that contributed most to label, best
	 * first (model_explain; feature ids index the bundle's
	 * vocabulary), and whether the model could explain at all (0: no
	 * linear fast path, nwhy is 0).  With explain 0: nwhy 0, explained
	 * 0.
	 */
	const struct model_why *why;
	size_t nwhy;
	int explained;
};

/*
 * Load every bundle under dir.  Fails if dir cannot be read, holds no bundle,
 * or any bundle fails to load (the error names the bundle).  The result
 * belongs to the caller.  Main thread only (libsvm locale).
 */
int classifier_load(const char *dir, struct classifier **out,
    struct err *err);
void classifier_destroy(struct classifier **cp);

size_t classifier_ntasks(const struct classifier *c);
const struct bundle *classifier_bundle(const struct classifier *c, size_t i);
/* Index of the task with this name, or -1. */
int classifier_task_index(const struct classifier *c, const char *task);

/* Scratch grows to fit whatever classifier it is used with. */
struct classifier_scratch *classifier_scratch_new(void);
void classifier_scratch_destroy(struct classifier_scratch **sp);

/*
 * Score one article with every task, and explain each label with up to
 * explain terms (at most CLASSIFIER_WHY_MAX; 0: no explanation, no extra
 * work).  On success *out points to classifier_ntasks() results owned by
 * s, valid until the next call with s.  -1 on invalid UTF-8 (err names the
 * field and byte offset).
 */
int classifier_run(const struct classifier *c, const char *title, size_t tlen,
    const char *text, size_t xlen, size_t explain,
    struct classifier_scratch *s, const struct classifier_out **out,
    struct err *err);

#endif
