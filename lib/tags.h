/*
 * tags.h - what a result says beyond the arg-max: the "top" labels, the
 * "uncertain" flag and the default number of "why" terms, with their
 * settings (a global value and per-task overrides).
 *
 * For each task of a result:
 *   top        the labels whose probability is at least the task's
 *              top_threshold, best first (ties: label order), always
 *              starting with the arg-max label, which is there even when
 *              its probability is below the threshold: top is never empty
 *              and top[0] is "label"
 *   uncertain  true when the arg-max probability is below the task's
 *              uncertain_below, else false (always written)
 *   why        only when explanations were asked for (model.h,
 *              model_explain)
 *
 * The settings come from newsclassd's [tags] section (conf.h) or from
 * newsclass classify's options; both go through tags_conf_set, so a key
 * means the same in both.  Keys:
 *   top_threshold          0..1, default TAGS_TOP_THRESHOLD
 *   top_threshold.TASK     0..1, for one task
 *   uncertain_below        0..1, default TAGS_UNCERTAIN_BELOW (0 = never)
 *   uncertain_below.TASK   0..1, for one task
 *   explain                0..CLASSIFIER_WHY_MAX "why" terms when the
 *                          message does not say ("explain" key), default 0
 * A struct tags_conf is a plain value: copy it freely; it holds no pointer.
 */
#ifndef NC_TAGS_H
#define NC_TAGS_H

#include <stddef.h>

#include "err.h"

/* Measured on the shipped models: models/README.md, scripts/measure-tags. */
#define TAGS_TOP_THRESHOLD 0.2
#define TAGS_UNCERTAIN_BELOW 0.6
/* Tasks that can have their own values (as many as a daemon can load). */
#define TAGS_MAX_TASKS 16
#define TAGS_TASK_MAX 64	/* bytes of a task name, with its NUL */

struct classifier;

struct tags_task {
	char name[TAGS_TASK_MAX];
	double top_threshold;	/* < 0: the global value */
	double uncertain_below;	/* < 0: the global value */
};

struct tags_conf {
	double top_threshold;
	double uncertain_below;
	int explain;
	struct tags_task task[TAGS_MAX_TASKS];
	size_t ntask;
};

/* The defaults above, no per-task value. */
void tags_conf_default(struct tags_conf *t);

/*
 * Set one key ("top_threshold", "top_threshold.topic", "explain", ...) to
 * value.  name is what errors call the key (e.g. "tags.top_threshold.topic"
 * or "--top-threshold").  Returns 0, or -1 with a reason naming it: unknown
 * key, a value out of range, an empty or over-long task name, more than
 * TAGS_MAX_TASKS tasks.
 */
int tags_conf_set(struct tags_conf *t, const char *key, const char *value,
    const char *name, struct err *err);

/*
 * Check that every task with its own value is a task of c, so that a typo
 * in a task name is an error instead of a silently unused setting.  Returns
 * 0, or -1 naming the key and the tasks c has.
 */
int tags_conf_check(const struct tags_conf *t, const struct classifier *c,
    struct err *err);

/* The values in force for a task; t may be NULL (the defaults). */
double tags_top_threshold(const struct tags_conf *t, const char *task);
double tags_uncertain_below(const struct tags_conf *t, const char *task);
/* The default number of "why" terms; 0 if t is NULL. */
int tags_explain(const struct tags_conf *t);

/*
 * The top list of one task's probabilities prob[0..n) with arg-max label:
 * tags_top_count gives its length (at least 1), and tags_top_next the
 * label after prev in it (prev -1: the first, which is label), or -1 after
 * the last.  No allocation: the list is walked, not stored.
 */
size_t tags_top_count(const double *prob, size_t n, int label,
    double threshold);
int tags_top_next(const double *prob, size_t n, int label, double threshold,
    int prev);

#endif
