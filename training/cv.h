/*
 * cv.h - k-fold cross-validation of one feature setting for several C.
 *
 * Each fold has the vocabulary of its own training part only (so the
 * held-out articles' document frequencies do not flatter the figures),
 * trains one model per C and scores its held-out rows.  Rows are tokenised
 * once per tokenisation setting, not once per fold (cv_counts).  Folds
 * run in worker processes, at most `workers` at a time: the solvers shuffle
 * with the process-wide rand(), so processes, each with its own, keep every
 * fold deterministic while both cores work.  Workers share the data with
 * the parent (copy on write) and write their results into a shared
 * anonymous mapping.
 */
#ifndef NC_TRAIN_CV_H
#define NC_TRAIN_CV_H

#include <stddef.h>

#include "data.h"
#include "feat.h"
#include "model.h"

/*
 * Raw term counts of every row over every term in at least min_df rows
 * (feat_count), min_df the least that any run will ask for: a fold's
 * document frequencies are at most the whole set's, so rarer terms are in
 * no fold's vocabulary anyway.
 */
struct cv_counts {
	struct feat_settings fs;	/* max_features 0 */
	struct feat_vec *x;
	size_t n, nterms;
};

void cv_counts_release(struct cv_counts *c);

struct cv_setup {
	const struct dataset *d;
	const int *fold;		/* per row */
	int folds;
	int workers;			/* >= 1 */
	struct model_params params;	/* solver, seed; C is set per run */
	/* Called in the parent after each fold, with folds done so far. */
	void (*progress)(void *arg, int done, int folds);
	void *progress_arg;
	int min_df;			/* the least min_df of any run */
	/* Called once in the parent while the first workers run, or NULL. */
	void (*idle)(void *arg);
	void *idle_arg;
	struct cv_counts counts;	/* cache; release when done */
};

/*
 * Results of one run for nC values of C: the held-out prediction of every
 * row, pred[c * n + i], and for solvers with one decision value per class
 * (liblinear) those values, dec[(c * n + i) * k + j]; dec is NULL
 * otherwise.  Release with cv_result_release.
 */
struct cv_result {
	size_t n, k, nC;
	int *pred;
	double *dec;
	struct model *final;	/* with final_C > 0: trained on every row */
};

void cv_result_release(struct cv_result *r);

/*
 * The vocabulary of the rows not in fold f (fold NULL: of every row), as
 * each fold builds it.  -1 (logged) on bad text.
 */
int cv_build_vocab(const struct dataset *d, const int *fold, int f,
    const struct feat_settings *fs, struct feat_vocab **out);

/*
 * Run the folds; with final_C > 0 (liblinear only) also train the final
 * model on every row with that C, as one more job beside the folds, its
 * features numbered as a vocabulary built on every row numbers them.
 * -1 (logged) if a job fails.
 */
int cv_run(struct cv_setup *s, const struct feat_settings *fs, int balanced,
    const double *Cs, size_t nC, double final_C, struct cv_result *out);

#endif
