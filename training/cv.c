/*
 * cv.c - cross-validation folds in worker processes.
 *
 * The parent tokenises every row once per tokenisation setting into counts
 * over all its terms (feat_count); a worker derives its fold's vectors from
 * them (cv_vocab_make, cv_vector), so a fold costs O(non-zeros) before the solver.
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

#include "clock.h"
#include "cv.h"
#include "log.h"
#include "xalloc.h"

void
cv_result_release(struct cv_result *r)
{
	free(r->pred);
	free(r->dec);
	model_destroy(&r->final);
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

/* A fold's vocabulary as a renumbering of the counts' terms. */
struct cv_vocab {
	int32_t *map;		/* counts' term -> fold's term, or -1 */
	double *idf;		/* by fold's term */
	size_t n;		/* the fold's terms */
};

static void
cv_vocab_release(struct cv_vocab *v)
{
	free(v->map);
	free(v->idf);
	memset(v, 0, sizeof(*v));
}

/*
 * The vocabulary of the rows not in fold f: the terms with df >= min_df
 * among them (the max_features most frequent, ties to the earlier term, if
 * set), renumbered in the counts' (byte) order, with their own idf: what
 * feat_builder gives on those rows, without tokenising again, but for the
 * terms no vector uses (stop word unigrams, which the builder keeps for
 * their bigrams: they only renumber the others, and with max_features
 * they take places in the builder's cut).  0, or -1 (logged) if no term
 * is left.
 */
static int
cv_vocab_make(const struct cv_setup *s, const struct feat_settings *fs,
    int f, struct cv_vocab *v)
{
	const struct cv_counts *c = &s->counts;
	size_t nt = c->nterms ? c->nterms : 1;
	uint32_t *df = xcalloc(nt, sizeof(uint32_t));
	size_t i, j, m, ntrain = 0, nkept = 0;

	v->map = xcalloc(nt, sizeof(int32_t));
	for (i = 0; i < c->n; i++) {
		if (s->fold[i] == f)
			continue;
		ntrain++;
		for (j = 0; j < c->x[i].n; j++)
			df[c->x[i].idx[j]]++;
	}
	for (i = 0; i < c->nterms; i++) {
		v->map[i] = df[i] >= (uint32_t)fs->min_df ? 0 : -1;
		nkept += v->map[i] == 0;
	}
	if (fs->max_features > 0 && nkept > (size_t)fs->max_features) {
		/* The threshold df, and how many of the terms at it fit. */
		uint32_t lo = 0, hi = UINT32_MAX;
		size_t above, room;

		while (lo < hi) {	/* smallest t with count(df > t) <= max */
			uint32_t mid = lo + (hi - lo) / 2;

			for (above = 0, i = 0; i < c->nterms; i++)
				above += v->map[i] == 0 && df[i] > mid;
			if (above <= (size_t)fs->max_features)
				hi = mid;
			else
				lo = mid + 1;
		}
		for (above = 0, i = 0; i < c->nterms; i++)
			above += v->map[i] == 0 && df[i] > lo;
		room = (size_t)fs->max_features - above;
		for (i = 0; i < c->nterms; i++) {
			if (v->map[i] != 0 || df[i] > lo)
				continue;
			if (df[i] == lo && room > 0)
				room--;
			else
				v->map[i] = -1;
		}
	}
	v->idf = xcalloc(nt, sizeof(double));
	for (i = 0, m = 0; i < c->nterms; i++)
		if (v->map[i] == 0) {
			v->idf[m] = log((1.0 + (double)ntrain) /
			    (1.0 + (double)df[i])) + 1.0;
			v->map[i] = (int32_t)m++;
		}
	free(df);
	v->n = m;
	if (m > 0)
		return 0;
	log_error("fold %d: no term occurs in at least %d documents", f + 1,
	    fs->min_df);
	cv_vocab_release(v);
	return -1;
}

/* Row i's vector over the fold's vocabulary, into x (emptied first). */
static void
cv_vector(const struct cv_setup *s, const struct feat_settings *fs,
    const struct cv_vocab *v, size_t i, struct feat_vec *x)
{
	const struct feat_vec *c = &s->counts.x[i];
	size_t j, n = 0;

	for (j = 0; j < c->n; j++)
		n += v->map[c->idx[j]] >= 0;
	if (n > x->cap) {
		x->idx = xreallocarray(x->idx, n, sizeof(int32_t));
		x->val = xreallocarray(x->val, n, sizeof(double));
		x->cap = n;
	}
	for (x->n = 0, j = 0; j < c->n; j++) {
		int32_t id = v->map[c->idx[j]];

		if (id >= 0) {
			x->idx[x->n] = id;
			x->val[x->n++] = c->val[j];
		}
	}
	feat_weigh(fs, v->idf, x);
}

/*
 * Train on the rows not in fold f (f < 0: every row); their vectors exist
 * only while the model is trained.
 */
static int
cv_train(const struct cv_setup *s, const struct feat_settings *fs,
    const struct cv_vocab *v, int f, const struct model_params *p,
    struct model **out)
{
	const struct dataset *d = s->d;
	struct feat_vec *x = xcalloc(d->n, sizeof(*x));
	int *y = xcalloc(d->n, sizeof(int));
	struct err err;
	size_t i, n = 0;
	int rc;

	for (i = 0; i < d->n; i++)
		if (s->fold[i] != f) {
			feat_vec_init(&x[n]);
			cv_vector(s, fs, v, i, &x[n]);
			y[n++] = d->y[i];
		}
	rc = model_train(x, y, n, v->n, p, out, &err);
	if (rc == -1)
		log_error("fold %d: %s", f + 1, err.msg);
	for (i = 0; i < n; i++)
		feat_vec_release(&x[i]);
	free(x);
	free(y);
	return rc;
}

/* One fold, in a worker: results into the shared pred and dec. */
static int
cv_fold(const struct cv_setup *s, const struct feat_settings *fs,
    int balanced, const double *Cs, size_t nC, int f, int *pred,
    double *dec, size_t k)
{
	const struct dataset *d = s->d;
	struct model_scratch *ms = model_scratch_new();
	struct model_params p = s->params;
	struct cv_vocab v;
	struct feat_vec x;
	size_t i, c;
	int rc = -1;

	feat_vec_init(&x);
	if (cv_vocab_make(s, fs, f, &v) == -1)
		goto out_free;
	p.balanced = balanced;
	for (c = 0; c < nC; c++) {
		struct model *m = NULL;

		p.C = Cs[c];
		if (cv_train(s, fs, &v, f, &p, &m) == -1)
			goto out;
		for (i = 0; i < d->n; i++) {
			if (s->fold[i] != f)
				continue;
			cv_vector(s, fs, &v, i, &x);
			if (dec != NULL) {
				double *row = dec + (c * d->n + i) * k;
				size_t j, best = 0;

				model_decision_values(m, &x, ms, row);
				for (j = 1; j < k; j++)
					if (row[j] > row[best])
						best = j;
				pred[c * d->n + i] = (int)best;
			} else {
				pred[c * d->n + i] = model_predict_label(m,
				    &x, ms);
			}
		}
		model_destroy(&m);
	}
	rc = 0;
out:
	cv_vocab_release(&v);
out_free:
	feat_vec_release(&x);
	model_scratch_destroy(&ms);
	return rc;
}

/*
 * The final model, in a worker: every row, weights into the shared region
 * as the number of features and then linmodel_weights' table.
 */
static int
cv_final(const struct cv_setup *s, const struct feat_settings *fs,
    int balanced, double C, double *shm)
{
	struct model_params p = s->params;
	struct model *m = NULL;
	struct cv_vocab v;

	if (cv_vocab_make(s, fs, -1, &v) == -1)
		return -1;
	p.balanced = balanced;
	p.C = C;
	p.exact = 1;
	if (cv_train(s, fs, &v, -1, &p, &m) == -1) {
		cv_vocab_release(&v);
		return -1;
	}
	shm[0] = (double)v.n;
	memcpy(shm + 1, linmodel_weights(model_linear(m)),
	    (v.n + 1) * s->d->nlabels * sizeof(double));
	model_destroy(&m);
	cv_vocab_release(&v);
	return 0;
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
	uint64_t t0;
	size_t i;

	all.min_df = s->min_df < fs->min_df ? s->min_df : fs->min_df;
	all.max_features = 0;
	if (c->x != NULL && memcmp(&c->fs, &all, sizeof(all)) == 0)
		return 0;
	t0 = clock_ns();
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
	if (c->x != NULL)
		log_info("tokenised %zu rows: %zu terms in %.1f s", d->n,
		    c->nterms, (double)(clock_ns() - t0) / 1e9);
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
    const double *Cs, size_t nC, double final_C, struct cv_result *out)
{
	const struct dataset *d = s->d;
	int per_class = s->params.solver == model_solver_find("liblinear");
	int want_final = per_class && final_C > 0;
	size_t k = d->nlabels, npred = nC * d->n, fbytes = 0;
	/*
	 * The shared results: the decision values first, then the
	 * predictions; the mapping is page-aligned, so both are aligned.
	 */
	size_t dec_bytes = per_class ? npred * k * sizeof(double) : 0;
	size_t bytes = dec_bytes + npred * sizeof(int);
	int jobs = s->folds + want_final, running = 0, next = 0, done = 0;
	int failed = 0, idled = 0, status;
	void *shm, *fshm = NULL;
	double *shm_dec;
	int *shm_pred;
	pid_t pid;

	memset(out, 0, sizeof(*out));
	if (cv_counts_build(s, fs) == -1)
		return -1;
	if (want_final)
		fbytes = (1 + (s->counts.nterms + 1) * k) * sizeof(double);
	shm = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (want_final && shm != MAP_FAILED) {
		fshm = mmap(NULL, fbytes, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (fshm == MAP_FAILED) {
			munmap(shm, bytes);
			shm = MAP_FAILED;
		}
	}
	if (shm == MAP_FAILED) {
		log_error("cannot map %zu bytes for cross-validation: %s",
		    bytes + fbytes, strerror(errno));
		return -1;
	}
	shm_dec = per_class ? (double *)shm : NULL;
	shm_pred = (int *)((char *)shm + dec_bytes);
	fflush(NULL);
	while (done < jobs && !failed) {
		while (running < s->workers && next < jobs) {
			pid = fork();
			if (pid == -1) {
				log_error("cannot fork: %s", strerror(errno));
				failed = 1;
				break;
			}
			if (pid == 0) {
				/* The final model, the longest job, first. */
				int f = next - want_final, rc;

				rc = f < 0 ? cv_final(s, fs, balanced, final_C,
				    fshm) : cv_fold(s, fs, balanced, Cs, nC, f,
				    shm_pred, shm_dec, k);
				fflush(stderr);
				_exit(rc == 0 ? 0 : 1);
			}
			running++;
			next++;
		}
		if (!idled && s->idle != NULL) {
			idled = 1;
			s->idle(s->idle_arg);
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
			log_error("a cross-validation job failed");
			failed = 1;
			continue;
		}
		done++;
		if (s->progress)
			s->progress(s->progress_arg, done, jobs);
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
			memcpy(out->dec, shm_dec, npred * k * sizeof(double));
		}
		if (want_final) {
			const double *w = fshm;
			struct linmodel *lin = linmodel_from_weights(
			    s->params.linear, (int)k, (size_t)w[0],
			    s->params.bias, w + 1);

			out->final = model_from_linear(&lin);
		}
	}
	munmap(shm, bytes);
	if (fshm != NULL)
		munmap(fshm, fbytes);
	return failed ? -1 : 0;
}
