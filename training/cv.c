/*
 * cv.c - cross-validation folds in worker processes.
 *
 * The parent tokenises every row once per tokenisation setting into counts
 * over all its terms (feat_count); a worker derives its fold's vectors from
 * them (cv_fold_vectors), so a fold costs O(non-zeros) before the solver.
 * The parent maps one shared anonymous region for the results (an int and
 * k doubles per row and C: 120 bytes a row for 14 classes) and forks one
 * worker per fold, at most s->workers at once.  A worker writes only the
 * rows of its own fold, so no two write the same bytes, and ends with
 * _exit: the parent's stdio buffers are never flushed twice.  The parent
 * copies the results out once every worker has exited 0.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cv.h"
#include "log.h"
#include "xalloc.h"

void
cv_result_release(struct cv_result *r)
{
	free(r->pred);
	free(r->dec);
	memset(r, 0, sizeof(*r));
}

int
cv_build_vocab(const struct dataset *d, const int *fold, int f,
    const struct feat_settings *fs, struct feat_vocab **out)
{
	struct feat_builder *b = feat_builder_new(fs);
	struct err err;
	size_t i;
	int rc = -1;

	for (i = 0; i < d->n; i++) {
		if (fold != NULL && fold[i] == f)
			continue;
		if (feat_builder_add(b, d->art[i].title, d->art[i].tlen,
		    d->art[i].text, d->art[i].xlen, &err) == -1) {
			log_error("article '%s': %s", d->art[i].id, err.msg);
			goto out;
		}
	}
	if (feat_builder_finish(b, out, &err) == -1)
		log_error("%s", err.msg);
	else
		rc = 0;
out:
	feat_builder_destroy(&b);
	return rc;
}

/*
 * The fold's vectors from the counts: its vocabulary is the terms with
 * df >= min_df among its training rows (the max_features most frequent,
 * ties to the earlier term, if set), renumbered in the counts' (byte)
 * order, weighed with its own idf: what feat_builder and feat_vectorize
 * give on those rows, without tokenising again.  Returns the number of
 * terms, or 0 (logged) if none is left.
 */
static size_t
cv_fold_vectors(const struct cv_setup *s, const struct feat_settings *fs,
    int f, struct feat_vec *x)
{
	const struct cv_counts *c = &s->counts;
	uint32_t *df = xcalloc(c->nterms ? c->nterms : 1, sizeof(uint32_t));
	int32_t *map = xcalloc(c->nterms ? c->nterms : 1, sizeof(int32_t));
	double *idf;
	size_t i, j, m, ntrain = 0, nkept = 0;

	for (i = 0; i < c->n; i++) {
		if (s->fold[i] == f)
			continue;
		ntrain++;
		for (j = 0; j < c->x[i].n; j++)
			df[c->x[i].idx[j]]++;
	}
	for (i = 0; i < c->nterms; i++) {
		map[i] = df[i] >= (uint32_t)fs->min_df ? 0 : -1;
		nkept += map[i] == 0;
	}
	if (fs->max_features > 0 && nkept > (size_t)fs->max_features) {
		/* The threshold df, and how many of the terms at it fit. */
		uint32_t lo = 0, hi = UINT32_MAX;
		size_t above, room;

		while (lo < hi) {	/* smallest t with count(df > t) <= max */
			uint32_t mid = lo + (hi - lo) / 2;

			for (above = 0, i = 0; i < c->nterms; i++)
				above += map[i] == 0 && df[i] > mid;
			if (above <= (size_t)fs->max_features)
				hi = mid;
			else
				lo = mid + 1;
		}
		for (above = 0, i = 0; i < c->nterms; i++)
			above += map[i] == 0 && df[i] > lo;
		room = (size_t)fs->max_features - above;
		for (i = 0; i < c->nterms; i++) {
			if (map[i] != 0 || df[i] > lo)
				continue;
			if (df[i] == lo && room > 0)
				room--;
			else
				map[i] = -1;
		}
	}
	idf = xcalloc(c->nterms ? c->nterms : 1, sizeof(double));
	for (i = 0, m = 0; i < c->nterms; i++)
		if (map[i] == 0) {
			idf[m] = log((1.0 + (double)ntrain) /
			    (1.0 + (double)df[i])) + 1.0;
			map[i] = (int32_t)m++;
		}
	for (i = 0; i < c->n; i++) {
		feat_vec_init(&x[i]);
		for (j = 0; j < c->x[i].n; j++)
			if (map[c->x[i].idx[j]] >= 0)
				x[i].n++;
		x[i].idx = xreallocarray(NULL, x[i].n ? x[i].n : 1,
		    sizeof(int32_t));
		x[i].val = xreallocarray(NULL, x[i].n ? x[i].n : 1,
		    sizeof(double));
		x[i].cap = x[i].n;
		for (x[i].n = 0, j = 0; j < c->x[i].n; j++) {
			int32_t id = map[c->x[i].idx[j]];

			if (id >= 0) {
				x[i].idx[x[i].n] = id;
				x[i].val[x[i].n++] = c->x[i].val[j];
			}
		}
		feat_weigh(fs, idf, &x[i]);
	}
	free(idf);
	free(map);
	free(df);
	if (m == 0)
		log_error("fold %d: no term occurs in at least %d documents",
		    f + 1, fs->min_df);
	return m;
}

/* One fold, in a worker: results into the shared pred and dec. */
static int
cv_fold(const struct cv_setup *s, const struct feat_settings *fs,
    int balanced, const double *Cs, size_t nC, int f, int *pred,
    double *dec, size_t k)
{
	const struct dataset *d = s->d;
	struct model_scratch *ms = model_scratch_new();
	struct feat_vec *x = xcalloc(d->n, sizeof(*x)), *tx;
	int *ty = xcalloc(d->n, sizeof(int));
	struct model_params p = s->params;
	struct err err;
	size_t i, c, nt = 0, dim;
	int rc = -1;

	tx = xcalloc(d->n, sizeof(*tx));
	if ((dim = cv_fold_vectors(s, fs, f, x)) == 0)
		goto out;
	for (i = 0; i < d->n; i++)
		if (s->fold[i] != f) {
			tx[nt] = x[i];
			ty[nt++] = d->y[i];
		}
	p.balanced = balanced;
	for (c = 0; c < nC; c++) {
		struct model *m = NULL;

		p.C = Cs[c];
		if (model_train(tx, ty, nt, dim, &p, &m, &err) == -1) {
			log_error("fold %d: %s", f + 1, err.msg);
			goto out;
		}
		for (i = 0; i < d->n; i++) {
			if (s->fold[i] != f)
				continue;
			if (dec != NULL) {
				double *row = dec + (c * d->n + i) * k;
				size_t j, best = 0;

				model_decision_values(m, &x[i], ms, row);
				for (j = 1; j < k; j++)
					if (row[j] > row[best])
						best = j;
				pred[c * d->n + i] = (int)best;
			} else {
				pred[c * d->n + i] = model_predict_label(m,
				    &x[i], ms);
			}
		}
		model_destroy(&m);
	}
	rc = 0;
out:
	for (i = 0; i < d->n; i++)
		feat_vec_release(&x[i]);
	free(x);
	free(tx);
	free(ty);
	model_scratch_destroy(&ms);
	return rc;
}

/* Counts over every term of every row, once per tokenisation. */
static int
cv_counts_build(struct cv_setup *s, const struct feat_settings *fs)
{
	const struct dataset *d = s->d;
	struct cv_counts *c = &s->counts;
	struct feat_settings all = *fs;
	struct feat_vocab *v = NULL;
	struct feat_scratch *sc;
	struct err err;
	size_t i;

	all.min_df = 1;
	all.max_features = 0;
	if (c->x != NULL && memcmp(&c->fs, &all, sizeof(all)) == 0)
		return 0;
	cv_counts_release(c);
	if (cv_build_vocab(d, NULL, -1, &all, &v) == -1)
		return -1;
	sc = feat_scratch_new();
	c->x = xcalloc(d->n, sizeof(*c->x));
	c->n = d->n;
	c->nterms = feat_vocab_size(v);
	c->fs = all;
	for (i = 0; i < d->n; i++) {
		feat_vec_init(&c->x[i]);
		if (feat_count(v, d->art[i].title, d->art[i].tlen,
		    d->art[i].text, d->art[i].xlen, sc, &c->x[i], &err) == -1) {
			log_error("article '%s': %s", d->art[i].id, err.msg);
			cv_counts_release(c);
			break;
		}
	}
	feat_scratch_destroy(&sc);
	feat_vocab_destroy(&v);
	return c->x != NULL ? 0 : -1;
}

void
cv_counts_release(struct cv_counts *c)
{
	size_t i;

	for (i = 0; c->x != NULL && i < c->n; i++)
		feat_vec_release(&c->x[i]);
	free(c->x);
	memset(c, 0, sizeof(*c));
}

int
cv_run(struct cv_setup *s, const struct feat_settings *fs, int balanced,
    const double *Cs, size_t nC, struct cv_result *out)
{
	const struct dataset *d = s->d;
	int per_class = s->params.solver == model_solver_find("liblinear");
	size_t k = d->nlabels, npred = nC * d->n;
	/*
	 * The shared results: the decision values first, then the
	 * predictions; the mapping is page-aligned, so both are aligned.
	 */
	size_t dec_bytes = per_class ? npred * k * sizeof(double) : 0;
	size_t bytes = dec_bytes + npred * sizeof(int);
	int running = 0, next = 0, done = 0, failed = 0, status;
	double *shm_dec;
	int *shm_pred;
	void *shm;
	pid_t pid;

	memset(out, 0, sizeof(*out));
	if (cv_counts_build(s, fs) == -1)
		return -1;
	shm = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED) {
		log_error("cannot map %zu bytes for cross-validation: %s",
		    bytes, strerror(errno));
		return -1;
	}
	shm_dec = per_class ? (double *)shm : NULL;
	shm_pred = (int *)((char *)shm + dec_bytes);
	fflush(NULL);
	while (done < s->folds && !failed) {
		while (running < s->workers && next < s->folds) {
			pid = fork();
			if (pid == -1) {
				log_error("cannot fork: %s", strerror(errno));
				failed = 1;
				break;
			}
			if (pid == 0) {
				int rc = cv_fold(s, fs, balanced, Cs, nC, next,
				    shm_pred, shm_dec, k);

				fflush(stderr);
				_exit(rc == 0 ? 0 : 1);
			}
			running++;
			next++;
		}
		if (running == 0)
			break;
		if (wait(&status) == -1) {
			if (errno == EINTR)
				continue;
			log_error("wait: %s", strerror(errno));
			failed = 1;
			break;
		}
		running--;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			log_error("a cross-validation fold failed");
			failed = 1;
			continue;
		}
		done++;
		if (s->progress)
			s->progress(s->progress_arg, done, s->folds);
	}
	while (running > 0 && wait(&status) != -1)
		running--;
	if (!failed) {
		out->n = d->n;
		out->k = k;
		out->nC = nC;
		out->pred = xreallocarray(NULL, npred, sizeof(int));
		memcpy(out->pred, shm_pred, npred * sizeof(int));
		if (per_class) {
			out->dec = xreallocarray(NULL, npred * k,
			    sizeof(double));
			memcpy(out->dec, shm_dec, dec_bytes);
		}
	}
	munmap(shm, bytes);
	return failed ? -1 : 0;
}
