/*
 * classifier.c - every bundle under a models directory, scored together.
 *
 * A bundle is a subdirectory (or a symlink to one) holding meta.json whose
 * name does not start with "." and does not contain ".tmp-" (bundle_save's
 * temporary directories).  Tasks are sorted bytewise by name, independent
 * of the locale.  The loaded classifier is read-only; all per-article state
 * is in a struct classifier_scratch: the feature vector, the model scratch,
 * one probability array holding every task's classes end to end, the
 * result array and room for each task's explanation (CLASSIFIER_WHY_MAX
 * terms).  They grow to the largest classifier the scratch has served
 * and then stop allocating (libsvm's own small per-prediction arrays aside).
 *
 * Each task vectorises the article with its own vocabulary, since bundles
 * are trained separately and may use different feature settings.  A task
 * whose vocabulary is another's with stemming is linked to it (feat.h) and
 * vectorised right after it, reusing its lookups.  Tasks share the
 * tokeniser's work when one's tokens serve the next (feat_vocab_reuses_
 * tokens): the order puts link sources first, then the tasks whose tokens
 * serve a task that cannot serve them (a tokeniser with TEXT_NUMCMP before
 * one without), then the rest, each by name, each followed by the tasks
 * linked to it.  Sizes: a handful of tasks with 2..20 classes each.
 */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "classifier.h"
#include "xalloc.h"

struct classifier {
	struct bundle **bundle;	/* sorted by task name */
	size_t n;
	size_t total_labels;	/* sum of bundle_nlabels() */
	struct feat_link **link;	/* link[i]: to task i's vocabulary */
	size_t *order;		/* vectorising order: see the top */
	size_t *off;		/* off[i]: task i's first class in prob */
};

struct classifier_scratch {
	struct feat_scratch *feat;
	struct feat_vec vec;
	struct model_scratch *model;
	double *prob;		/* task i's classes start at the sum of the
				   label counts of tasks before it */
	size_t prob_cap;
	struct classifier_out *out;
	struct model_why *why;	/* CLASSIFIER_WHY_MAX per task */
	size_t out_cap;
};

static int
classifier_filter(const struct dirent *de)
{
	return de->d_name[0] != '.' && strstr(de->d_name, ".tmp-") == NULL;
}

static int
classifier_by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* 1 if dir/name is a directory holding meta.json, else 0. */
static int
classifier_is_bundle(const char *dir, const char *name)
{
	struct stat st;
	struct buf path;
	int yes;

	buf_init(&path);
	buf_addf(&path, "%s/%s", dir, name);
	yes = stat(path.data, &st) == 0 && S_ISDIR(st.st_mode);
	buf_addstr(&path, "/meta.json");
	yes = yes && stat(path.data, &st) == 0;
	buf_release(&path);
	return yes;
}

/* Where task i goes in the vectorising order: 0, 1 or 2 (see the top). */
static int
classifier_rank(const struct classifier *c, const size_t *src, size_t i)
{
	const struct feat_vocab *vi = bundle_vocab(c->bundle[i]), *vj;
	size_t j;
	int rank = 2;

	for (j = 0; j < c->n; j++) {
		if (j == i)
			continue;
		if (c->link[j] != NULL && src[j] == i)
			return 0;
		vj = bundle_vocab(c->bundle[j]);
		if (feat_vocab_reuses_tokens(vi, vj) &&
		    !feat_vocab_reuses_tokens(vj, vi))
			rank = 1;
	}
	return rank;
}

/* Link tasks, order them (see the top), and offsets. */
static void
classifier_link(struct classifier *c)
{
	size_t i, j, k = 0, off = 0, *src;
	int rank;

	c->link = xcalloc(c->n, sizeof(*c->link));
	c->order = xcalloc(c->n, sizeof(*c->order));
	c->off = xcalloc(c->n, sizeof(*c->off));
	src = xcalloc(c->n, sizeof(*src));
	for (i = 0; i < c->n; i++) {
		c->off[i] = off;
		off += bundle_nlabels(c->bundle[i]);
		for (j = 0; j < c->n && c->link[i] == NULL; j++)
			if ((c->link[i] = feat_link_new(bundle_vocab(
			    c->bundle[j]), bundle_vocab(c->bundle[i]))) != NULL)
				src[i] = j;
	}
	/* A source is never linked itself (feat_link_new). */
	for (rank = 0; rank < 3; rank++)
		for (i = 0; i < c->n; i++) {
			if (c->link[i] != NULL ||
			    classifier_rank(c, src, i) != rank)
				continue;
			c->order[k++] = i;
			for (j = 0; j < c->n; j++)
				if (c->link[j] != NULL && src[j] == i)
					c->order[k++] = j;
		}
	assert(k == c->n);
	free(src);
}

int
classifier_load(const char *dir, struct classifier **out, struct err *err)
{
	struct dirent **names;
	struct classifier *c;
	struct buf path;
	int i, n, rc = -1;

	*out = NULL;
	n = scandir(dir, &names, classifier_filter, classifier_by_name);
	if (n == -1)
		return err_set(err, "cannot read models directory '%s': %s",
		    dir, strerror(errno));
	c = xcalloc(1, sizeof(*c));
	c->bundle = xcalloc(n > 0 ? (size_t)n : 1, sizeof(*c->bundle));
	buf_init(&path);
	for (i = 0; i < n; i++) {
		if (!classifier_is_bundle(dir, names[i]->d_name))
			continue;
		buf_reset(&path);
		buf_addf(&path, "%s/%s", dir, names[i]->d_name);
		if (bundle_load(path.data, &c->bundle[c->n], err) == -1)
			goto out;
		c->total_labels += bundle_nlabels(c->bundle[c->n]);
		c->n++;
	}
	if (c->n == 0) {
		err_set(err, "no model bundles in '%s'", dir);
		goto out;
	}
	classifier_link(c);
	*out = c;
	c = NULL;
	rc = 0;
out:
	classifier_destroy(&c);
	buf_release(&path);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

void
classifier_destroy(struct classifier **cp)
{
	struct classifier *c = *cp;
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; c->link != NULL && i < c->n; i++)
		feat_link_destroy(&c->link[i]);
	for (i = 0; i < c->n; i++)
		bundle_destroy(&c->bundle[i]);
	free(c->link);
	free(c->order);
	free(c->off);
	free(c->bundle);
	free(c);
	*cp = NULL;
}

size_t
classifier_ntasks(const struct classifier *c)
{
	return c->n;
}

const struct bundle *
classifier_bundle(const struct classifier *c, size_t i)
{
	return c->bundle[i];
}

int
classifier_task_index(const struct classifier *c, const char *task)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(bundle_task(c->bundle[i]), task) == 0)
			return (int)i;
	return -1;
}

struct classifier_scratch *
classifier_scratch_new(void)
{
	struct classifier_scratch *s = xcalloc(1, sizeof(*s));

	s->feat = feat_scratch_new();
	feat_vec_init(&s->vec);
	s->model = model_scratch_new();
	return s;
}

void
classifier_scratch_destroy(struct classifier_scratch **sp)
{
	struct classifier_scratch *s = *sp;

	if (s == NULL)
		return;
	feat_scratch_destroy(&s->feat);
	feat_vec_release(&s->vec);
	model_scratch_destroy(&s->model);
	free(s->prob);
	free(s->out);
	free(s->why);
	free(s);
	*sp = NULL;
}

static void
classifier_scratch_fit(struct classifier_scratch *s,
    const struct classifier *c)
{
	if (c->total_labels > s->prob_cap) {
		s->prob = xreallocarray(s->prob, c->total_labels,
		    sizeof(*s->prob));
		s->prob_cap = c->total_labels;
	}
	if (c->n > s->out_cap) {
		s->out = xreallocarray(s->out, c->n, sizeof(*s->out));
		s->why = xreallocarray(s->why, c->n * CLASSIFIER_WHY_MAX,
		    sizeof(*s->why));
		s->out_cap = c->n;
	}
}

int
classifier_run(const struct classifier *c, const char *title, size_t tlen,
    const char *text, size_t xlen, size_t explain,
    struct classifier_scratch *s, const struct classifier_out **out,
    struct err *err)
{
	const struct bundle *b;
	double *prob;
	size_t i, j, k, nl;
	int label;

	classifier_scratch_fit(s, c);
	feat_scratch_new_doc(s->feat);	/* tasks share the tokens */
	for (j = 0; j < c->n; j++) {
		i = c->order[j];
		b = c->bundle[i];
		if (feat_vectorize_linked(bundle_vocab(b), c->link[i], title,
		    tlen, text, xlen, s->feat, &s->vec, err) == -1)
			return -1;
		prob = s->prob + c->off[i];
		nl = bundle_nlabels(b);
		label = model_predict(bundle_model(b), &s->vec, s->model,
		    prob);
		/*
		 * libsvm returns the first arg-max in its own class order; in
		 * class-number order that is still a maximum.
		 */
		assert(label >= 0 && (size_t)label < nl);
		for (k = 0; k < nl; k++)
			assert(prob[k] <= prob[label]);
		s->out[i].label = label;
		s->out[i].prob = prob;
		s->out[i].why = s->why + i * CLASSIFIER_WHY_MAX;
		s->out[i].nwhy = 0;
		s->out[i].explained = 0;
		if (explain > 0)
			s->out[i].explained = model_explain(bundle_model(b),
			    &s->vec, label, explain > CLASSIFIER_WHY_MAX ?
			    CLASSIFIER_WHY_MAX : explain, s->why + i *
			    CLASSIFIER_WHY_MAX, &s->out[i].nwhy) == 0;
	}
	*out = s->out;
	return 0;
}
