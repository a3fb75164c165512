/*
 * tags.c - the settings of "top", "uncertain" and "why", and the top list.
 *
 * The per-task values are a small fixed array searched by name: a result
 * looks up each of its few tasks in at most TAGS_MAX_TASKS entries, which
 * costs nothing beside tokenising, and keeps struct tags_conf a plain value
 * that the daemon copies into each worker without any allocation.  The top
 * list is walked by selection (tags_top_next scans the probabilities once
 * per element), so the encoder needs no buffer for it: tasks have a
 * handful of labels and top lists one to three of them.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "bundle.h"
#include "classifier.h"
#include "tags.h"

void
tags_conf_default(struct tags_conf *t)
{
	memset(t, 0, sizeof(*t));
	t->top_threshold = TAGS_TOP_THRESHOLD;
	t->uncertain_below = TAGS_UNCERTAIN_BELOW;
	t->explain = 0;
}

static int
parse_unit(const char *value, double *out, const char *name,
    struct err *err)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(value, &end);
	if (errno || end == value || *end != '\0' || !(v >= 0.0 && v <= 1.0))
		return err_set(err, "%s: expected a probability in 0..1, not "
		    "'%s'", name, value);
	*out = v;
	return 0;
}

static struct tags_task *
find_task(const struct tags_conf *t, const char *task)
{
	size_t i;

	for (i = 0; i < t->ntask; i++)
		if (strcmp(t->task[i].name, task) == 0)
			return (struct tags_task *)&t->task[i];
	return NULL;
}

/* The entry of task, added if new. */
static int
task_entry(struct tags_conf *t, const char *task, const char *name,
    struct tags_task **out, struct err *err)
{
	struct tags_task *e;

	if (task[0] == '\0')
		return err_set(err, "%s: empty task name", name);
	if (strlen(task) >= TAGS_TASK_MAX)
		return err_set(err, "%s: task name longer than %d bytes", name,
		    TAGS_TASK_MAX - 1);
	e = find_task(t, task);
	if (e == NULL) {
		if (t->ntask == TAGS_MAX_TASKS)
			return err_set(err, "%s: more than %d tasks with their "
			    "own values", name, TAGS_MAX_TASKS);
		e = &t->task[t->ntask++];
		strcpy(e->name, task);
		e->top_threshold = -1.0;
		e->uncertain_below = -1.0;
	}
	*out = e;
	return 0;
}

int
tags_conf_set(struct tags_conf *t, const char *key, const char *value,
    const char *name, struct err *err)
{
	static const char *const unit_keys[] = {
		"top_threshold", "uncertain_below"
	};
	struct tags_task *e = NULL;
	double v = 0.0;
	size_t i, n;
	char *end;
	long k;

	if (strcmp(key, "explain") == 0) {
		errno = 0;
		k = strtol(value, &end, 10);
		if (errno || end == value || *end != '\0' || k < 0 ||
		    k > CLASSIFIER_WHY_MAX)
			return err_set(err, "%s: expected an integer in 0..%d, "
			    "not '%s'", name, CLASSIFIER_WHY_MAX, value);
		t->explain = (int)k;
		return 0;
	}
	for (i = 0; i < sizeof(unit_keys) / sizeof(unit_keys[0]); i++) {
		n = strlen(unit_keys[i]);
		if (strncmp(key, unit_keys[i], n) != 0 ||
		    (key[n] != '\0' && key[n] != '.'))
			continue;
		if (parse_unit(value, &v, name, err) == -1)
			return -1;
		if (key[n] == '\0') {
			*(i == 0 ? &t->top_threshold : &t->uncertain_below) = v;
			return 0;
		}
		if (task_entry(t, key + n + 1, name, &e, err) == -1)
			return -1;
		*(i == 0 ? &e->top_threshold : &e->uncertain_below) = v;
		return 0;
	}
	return err_set(err, "unknown key '%s'", name);
}

int
tags_conf_check(const struct tags_conf *t, const struct classifier *c,
    struct err *err)
{
	struct buf have;
	size_t i, j;

	for (i = 0; i < t->ntask; i++) {
		if (classifier_task_index(c, t->task[i].name) >= 0)
			continue;
		buf_init(&have);
		for (j = 0; j < classifier_ntasks(c); j++)
			buf_addf(&have, "%s'%s'", j ? ", " : "",
			    bundle_task(classifier_bundle(c, j)));
		err_set(err, "tags.%s.%s: no task '%s' is loaded (tasks: %s)",
		    t->task[i].top_threshold >= 0 ? "top_threshold" :
		    "uncertain_below", t->task[i].name, t->task[i].name,
		    have.data);
		buf_release(&have);
		return -1;
	}
	return 0;
}

double
tags_top_threshold(const struct tags_conf *t, const char *task)
{
	const struct tags_task *e;

	if (t == NULL)
		return TAGS_TOP_THRESHOLD;
	e = find_task(t, task);
	return e && e->top_threshold >= 0 ? e->top_threshold :
	    t->top_threshold;
}

double
tags_uncertain_below(const struct tags_conf *t, const char *task)
{
	const struct tags_task *e;

	if (t == NULL)
		return TAGS_UNCERTAIN_BELOW;
	e = find_task(t, task);
	return e && e->uncertain_below >= 0 ? e->uncertain_below :
	    t->uncertain_below;
}

int
tags_explain(const struct tags_conf *t)
{
	return t == NULL ? 0 : t->explain;
}

size_t
tags_top_count(const double *prob, size_t n, int label, double threshold)
{
	size_t i, m = 1;

	for (i = 0; i < n; i++)
		if ((int)i != label && prob[i] >= threshold)
			m++;
	return m;
}

/* Whether label a comes before label b in the top list (a != b). */
static int
before(const double *prob, size_t a, size_t b)
{
	return prob[a] > prob[b] || (prob[a] == prob[b] && a < b);
}

int
tags_top_next(const double *prob, size_t n, int label, double threshold,
    int prev)
{
	size_t i;
	int best = -1;

	if (prev < 0)
		return label;
	for (i = 0; i < n; i++) {
		if ((int)i == label || (int)i == prev ||
		    !(prob[i] >= threshold))
			continue;
		if (prev != label && !before(prob, (size_t)prev, i))
			continue;	/* already listed */
		if (best < 0 || before(prob, i, (size_t)best))
			best = (int)i;
	}
	return best;
}
