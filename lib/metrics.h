/*
 * metrics.h - classification figures: accuracy, per-class precision,
 * recall and F1, macro-F1 and the confusion matrix.
 */
#ifndef NC_METRICS_H
#define NC_METRICS_H

#include <stddef.h>
#include <stdio.h>

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
};

void metrics_init(struct metrics *m, size_t k);
void metrics_release(struct metrics *m);
void metrics_add(struct metrics *m, int truth, int predicted);
/* Compute the derived figures (precision of a never-predicted class is 0). */
void metrics_finish(struct metrics *m);

/* Human-readable report: figures, per-class table, confusion matrix. */
void metrics_print(const struct metrics *m, const char *const *labels,
    FILE *f);

/*
 * The figures as a JSON object text: n, accuracy, macro_f1, per_class
 * {label: {precision, recall, f1, support}}, labels, confusion (rows = true
 * label).  Returns a string the caller frees.
 */
char *metrics_json(const struct metrics *m, const char *const *labels);

#endif
