/*
 * metrics.h - classification figures: accuracy, per-class precision,
 * recall and F1, macro-F1 and the confusion matrix; for scored examples
 * also the calibration (expected calibration error over METRICS_BINS
 * equal-width bins of the top probability, and the bins themselves) and
 * accuracy by text length (METRICS_LENGTHS buckets of words).
 */
#ifndef NC_METRICS_H
#define NC_METRICS_H

#include <stddef.h>
#include <stdio.h>

#define METRICS_BINS 10
#define METRICS_LENGTHS 6

/* Lower bounds, in words, of the length buckets (the last is open). */
extern const size_t metrics_length_lo[METRICS_LENGTHS];

struct metrics {
	size_t k;		/* number of classes */
	size_t n;		/* examples counted */
	size_t correct;
	size_t *confusion;	/* k * k: [truth * k + predicted] */
	/* Filled by metrics_finish: */
	double accuracy;
	double macro_f1;
	double *precision, *recall, *f1;	/* k each */
	size_t *support;			/* k: examples per true class */
	/* Scored examples (metrics_add_scored): */
	size_t scored;
	size_t bin_n[METRICS_BINS], bin_correct[METRICS_BINS];
	double bin_p[METRICS_BINS];		/* sum of top p */
	size_t len_n[METRICS_LENGTHS], len_correct[METRICS_LENGTHS];
	double ece;		/* by metrics_finish, if scored > 0 */
};

void metrics_init(struct metrics *m, size_t k);
void metrics_release(struct metrics *m);
void metrics_add(struct metrics *m, int truth, int predicted);
/*
 * The same with the probability p of the predicted class and the length of
 * the text in words: adds to the calibration bins and length buckets.
 */
void metrics_add_scored(struct metrics *m, int truth, int predicted,
    double p, size_t words);
/* Compute the derived figures (precision of a never-predicted class is 0). */
void metrics_finish(struct metrics *m);

/* Human-readable report: figures, per-class table, confusion matrix. */
void metrics_print(const struct metrics *m, const char *const *labels,
    FILE *f);

/*
 * The figures as a JSON object text: n, accuracy, macro_f1, per_class
 * {label: {precision, recall, f1, support}}, labels, confusion (rows = true
 * label), and with scored examples ece, reliability [{lo, hi, n, mean_p,
 * accuracy}] and by_length [{lo, hi (null: open), n, accuracy}].  Returns a
 * string the caller frees.
 */
char *metrics_json(const struct metrics *m, const char *const *labels);

#endif
