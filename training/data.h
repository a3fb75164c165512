/*
 * data.h - the trainer's labelled data: articles read from JSON Lines, the
 * extra rows that augmentation makes of them, and cross-validation folds
 * that keep every row of one article on one side.
 *
 * Rows 0..norig-1 are the articles as read; augmented rows follow, each
 * with group[i], the row of the article it was made from (group[i] == i
 * for an original).  Figures are computed on the originals; training uses
 * every row.
 */
#ifndef NC_TRAIN_DATA_H
#define NC_TRAIN_DATA_H

#include <stddef.h>

#include "jsonl.h"

struct dataset {
	struct jsonl_article *art;
	size_t n;		/* rows */
	size_t norig;		/* articles as read: rows 0..norig-1 */
	int *y;			/* class of each row */
	size_t *group;		/* the original row of each row */
	char **labels;		/* sorted label names */
	size_t nlabels;
	int own_labels;		/* labels came from the data (freed here) */
};

/*
 * Read and concatenate the files.  Label names come from the data (sorted)
 * unless labels is given (borrowed; an article with another label is an
 * error).  Errors are logged as "file:line: reason"; -1 then.
 */
int data_read(struct dataset *d, const char *const *paths, size_t npaths,
    int skip_bad, char *const *labels, size_t nlabels);
void data_free(struct dataset *d);

/* Length of the first sentence of s[0..len) (all of it if one). */
size_t data_first_sentence(const char *s, size_t len);
/* Number of words (runs of non-space bytes) in s[0..len). */
size_t data_words(const char *s, size_t len);

/*
 * Augmentation.  short: one row per article longer than its short form
 * (title + first sentence).  extracts: n rows per article of three or more
 * sentences, each one or two consecutive sentences chosen by a generator
 * seeded with seed and the article's row, without the title: what a
 * lead or a quote from the article looks like elsewhere.  Deterministic.
 */
void data_augment_short(struct dataset *d);
void data_augment_extracts(struct dataset *d, int n, unsigned seed);

/*
 * Stratified folds: per class, a seeded shuffle of the originals dealt out
 * round-robin; augmented rows take their article's fold.  Returns n fold
 * numbers (free them).
 */
int *data_folds(const struct dataset *d, int folds, unsigned seed);

#endif
