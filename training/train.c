/*
 * newsclass-train - build, evaluate and export model bundles.
 *
 *   train   JSON Lines -> features -> libsvm -> k-fold CV (optionally a grid
 *           over C and feature settings) -> final model with probability
 *           estimates -> held-out figures -> bundle written atomically
 *   eval    a bundle against labelled JSON Lines
 *   export  a bundle's feature vectors in libsvm's sparse format
 *
 * Cross-validation is stratified and deterministic (seeded), and builds the
 * vocabulary from each fold's training part only, so the figures are not
 * flattered by document frequencies of the held-out part.  Every setting is
 * chosen on the training data; the test file is only reported.
 *
 * Exit codes: 0 ok, 1 runtime failure, 2 usage or bad input.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "bundle.h"
#include "buf.h"
#include "feat.h"
#include "jsonl.h"
#include "log.h"
#include "metrics.h"
#include "model.h"
#include "text.h"
#include "xalloc.h"

#define MAX_DATA 8
#define MAX_GRID 16

struct dataset {
	struct jsonl_article *art;
	size_t n;
	int *y;			/* class of each article */
	size_t *group;		/* original article of an augmented copy */
	char **labels;		/* sorted label names */
	size_t nlabels;
};

struct opts {
	const char *data[MAX_DATA];
	size_t ndata;
	const char *out, *test, *model, *task;
	int folds, grid, skip_bad, json, short_form, progress;
	unsigned seed;
	double C;
	struct feat_settings fs;
	/* Which feature settings were fixed on the command line. */
	int fixed_ngram, fixed_title, fixed_neg, fixed_numcmp, fixed_mindf;
	int balanced, fixed_balanced, fixed_stem, augment_short;
};

/* flags with bit set (on) or cleared. */
static unsigned
with_flag(unsigned flags, unsigned bit, int on)
{
	return on ? flags | bit : flags & ~bit;
}

static void
warn_line(const char *msg)
{
	log_warn("%s", msg);
}

static void
usage(FILE *f)
{
	fputs(
"usage: newsclass-train train --data FILE.jsonl [--data FILE...] --out DIR\n"
"           [--test FILE.jsonl] [--C C | --grid] [--folds K] [--seed N]\n"
"           [--ngram 1|2] [--title-weight N] [--min-df N] [--max-features N]\n"
"           [--negation|--no-negation] [--numcmp|--no-numcmp]\n"
"           [--stem|--no-stem] [--balanced|--no-balanced] [--augment-short]\n"
"           [--clean|--no-clean] [--stopwords|--no-stopwords]\n"
"           [--task NAME] [--skip-bad] [--json]\n"
"       newsclass-train eval --model DIR --data FILE.jsonl [--short] [--json]\n"
"       newsclass-train export --model DIR --data FILE.jsonl --out FILE.svm\n"
"\n"
"train   builds a bundle: k-fold cross-validation on the training data,\n"
"        --grid picks C and feature settings by it, --test reports held-out\n"
"        figures; the bundle is written atomically to DIR; --clean strips\n"
"        HTML and drops boilerplate lines, --stopwords drops English stop\n"
"        word unigrams (both off by default, and kept by the model)\n"
"eval    prints accuracy, macro-F1, per-class figures and the confusion\n"
"        matrix; --short scores title + first sentence only\n"
"export  writes the bundle's feature vectors in libsvm's format, labels\n"
"        numbered as in the bundle, for libsvm's svm-predict\n", f);
}

/* ---- data ---- */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
label_index(char *const *labels, size_t n, const char *name)
{
	char *const *p = bsearch(&name, labels, n, sizeof(*labels), cmp_str);

	return p ? (int)(p - labels) : -1;
}

static void
dataset_free(struct dataset *d)
{
	size_t i;

	jsonl_articles_free(&d->art, d->n);
	for (i = 0; d->labels && i < d->nlabels; i++)
		free(d->labels[i]);
	free(d->labels);
	free(d->y);
	free(d->group);
	memset(d, 0, sizeof(*d));
}

/*
 * Read and concatenate the files.  The label names come from the data
 * (sorted, owned by d) unless given: then they are borrowed and d->labels
 * stays NULL.
 */
static int
dataset_read(struct dataset *d, const char *const *paths, size_t npaths,
    int skip_bad, char *const *labels, size_t nlabels)
{
	struct err err;
	size_t i, j;

	memset(d, 0, sizeof(*d));
	for (i = 0; i < npaths; i++) {
		struct jsonl_article *a;
		size_t n, skipped;

		if (jsonl_read_file(paths[i], JSONL_NEED_LABEL, skip_bad, &a,
		    &n, &skipped, warn_line, &err) == -1) {
			log_error("%s", err.msg);
			dataset_free(d);
			return -1;
		}
		if (skipped)
			log_warn("%s: skipped %zu bad lines", paths[i],
			    skipped);
		d->art = xreallocarray(d->art, d->n + n, sizeof(*d->art));
		memcpy(d->art + d->n, a, n * sizeof(*a));
		d->n += n;
		free(a);
	}
	if (d->n == 0) {
		log_error("no articles in the data");
		dataset_free(d);
		return -1;
	}
	if (labels == NULL) {
		d->labels = xreallocarray(NULL, d->n, sizeof(char *));
		for (i = 0; i < d->n; i++) {
			for (j = 0; j < d->nlabels; j++)
				if (strcmp(d->labels[j], d->art[i].label) == 0)
					break;
			if (j == d->nlabels)
				d->labels[d->nlabels++] =
				    xstrdup(d->art[i].label);
		}
		qsort(d->labels, d->nlabels, sizeof(char *), cmp_str);
		labels = d->labels;
		nlabels = d->nlabels;
		if (nlabels < 2) {
			log_error("the data has only one label ('%s'); a "
			    "classifier needs at least two", labels[0]);
			dataset_free(d);
			return -1;
		}
	}
	d->nlabels = nlabels;
	d->y = xreallocarray(NULL, d->n, sizeof(int));
	for (i = 0; i < d->n; i++) {
		d->y[i] = label_index(labels, nlabels, d->art[i].label);
		if (d->y[i] < 0) {
			log_error("article '%s': label '%s' is not one of the "
			    "model's labels", d->art[i].id ? d->art[i].id : "?",
			    d->art[i].label);
			dataset_free(d);
			return -1;
		}
	}
	return 0;
}

/* Cut the text after its first sentence: the short form of an article. */
static size_t
first_sentence(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '\n')
			return i;
		if ((s[i] == '.' || s[i] == '!' || s[i] == '?') &&
		    (i + 1 == len || s[i + 1] == ' ' || s[i + 1] == '\n'))
			return i + 1;
	}
	return len;
}

/*
 * Add the short form (title + first sentence) of every article that is
 * longer than that as an extra training example, so that the model also
 * learns from what headline-and-lead items look like.  A copy stays in its
 * article's cross-validation fold (group).
 */
static void
dataset_augment_short(struct dataset *d)
{
	size_t i, n = d->n, m = n;

	d->art = xreallocarray(d->art, 2 * n, sizeof(*d->art));
	d->y = xreallocarray(d->y, 2 * n, sizeof(int));
	d->group = xreallocarray(NULL, 2 * n, sizeof(size_t));
	for (i = 0; i < n; i++) {
		struct jsonl_article *a = &d->art[i], *c;
		size_t xlen = first_sentence(a->text, a->xlen);

		d->group[i] = i;
		if (xlen == a->xlen)
			continue;
		c = &d->art[m];
		memset(c, 0, sizeof(*c));
		c->id = xstrdup(a->id ? a->id : "");
		c->title = xstrdup(a->title);
		c->tlen = a->tlen;
		c->text = xstrndup(a->text, xlen);
		c->xlen = xlen;
		c->label = xstrdup(a->label);
		d->y[m] = d->y[i];
		d->group[m++] = i;
	}
	d->n = m;
}

/* Hash of the training files: which data a bundle came from. */
static int
hash_file(const char *path, char hex[33], size_t *size)
{
	crypto_generichash_state st;
	unsigned char h[16], chunk[65536];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return -1;
	*size = 0;
	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		crypto_generichash_update(&st, chunk, n);
		*size += n;
	}
	fclose(f);
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2hex(hex, 33, h, sizeof(h));
	return 0;
}

/* ---- features and cross-validation ---- */

static int
build_vocab(const struct dataset *d, const unsigned char *use,
    const struct feat_settings *fs, struct feat_vocab **out)
{
	struct feat_builder *b = feat_builder_new(fs);
	struct err err;
	size_t i;
	int rc = -1;

	for (i = 0; i < d->n; i++) {
		if (use && !use[i])
			continue;
		if (feat_builder_add(b, d->art[i].title, d->art[i].tlen,
		    d->art[i].text, d->art[i].xlen, &err) == -1) {
			log_error("article '%s': %s", d->art[i].id, err.msg);
			goto out;
		}
	}
	if (feat_builder_finish(b, out, &err) == -1) {
		log_error("%s", err.msg);
		goto out;
	}
	rc = 0;
out:
	feat_builder_destroy(&b);
	return rc;
}

/* Vectorise every article; short_form scores title + first sentence. */
static int
vectorize_all(const struct dataset *d, const struct feat_vocab *v,
    int short_form, struct feat_vec **out)
{
	struct feat_scratch *s = feat_scratch_new();
	struct feat_vec *x = xcalloc(d->n, sizeof(*x));
	struct err err;
	size_t i, xlen;

	for (i = 0; i < d->n; i++) {
		xlen = short_form ? first_sentence(d->art[i].text,
		    d->art[i].xlen) : d->art[i].xlen;
		feat_vec_init(&x[i]);
		if (feat_vectorize(v, d->art[i].title, d->art[i].tlen,
		    d->art[i].text, xlen, s, &x[i], &err) == -1) {
			log_error("article '%s': %s", d->art[i].id, err.msg);
			while (i + 1 > 0)
				feat_vec_release(&x[i--]);
			free(x);
			feat_scratch_destroy(&s);
			return -1;
		}
	}
	feat_scratch_destroy(&s);
	*out = x;
	return 0;
}

static void
vecs_free(struct feat_vec **x, size_t n)
{
	size_t i;

	if (*x == NULL)
		return;
	for (i = 0; i < n; i++)
		feat_vec_release(&(*x)[i]);
	free(*x);
	*x = NULL;
}

/* Stratified fold of each article: per class, a seeded shuffle dealt out. */
static int *
assign_folds(const struct dataset *d, int folds, unsigned seed)
{
	int *fold = xcalloc(d->n, sizeof(int));
	size_t *idx = xcalloc(d->n, sizeof(size_t));
	uint64_t state = seed * 6364136223846793005ULL + 1442695040888963407ULL;
	size_t c, i, m;

	for (c = 0; c < d->nlabels; c++) {
		m = 0;
		for (i = 0; i < d->n; i++)
			if (d->y[i] == (int)c &&
			    (d->group == NULL || d->group[i] == i))
				idx[m++] = i;
		for (i = m; i > 1; i--) {
			size_t j, t;

			state = state * 6364136223846793005ULL +
			    1442695040888963407ULL;
			j = (size_t)((state >> 33) % i);
			t = idx[i - 1];
			idx[i - 1] = idx[j];
			idx[j] = t;
		}
		for (i = 0; i < m; i++)
			fold[idx[i]] = (int)(i % (size_t)folds);
	}
	free(idx);
	if (d->group)
		for (i = 0; i < d->n; i++)
			fold[i] = fold[d->group[i]];
	return fold;
}

/* One point of the search: feature settings and class weighting. */
struct cand {
	struct feat_settings fs;
	int balanced;
};

struct cv_result {
	struct cand k;
	double C;
	double accuracy, macro_f1;
};

static void
progress(const struct opts *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
progress(const struct opts *o, const char *fmt, ...)
{
	va_list ap;

	if (!o->progress)
		return;
	fputs("\r\033[K", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
}

/*
 * k-fold CV of one feature setting for every C in Cs.  Folds are
 * independent (each builds its own vocabulary from its training part), so
 * they run on CV_THREADS threads; each fold writes the predictions of its
 * own held-out articles, pred[c * n + i].
 */
#define CV_THREADS 2

struct cv_job {
	const struct opts *o;
	const struct dataset *d;
	const int *fold;
	const struct cand *k;
	const double *Cs;
	size_t nC;
	int *pred;
	const char *what;
	pthread_mutex_t mu;
	int next_fold, folds_done, failed;
};

static int
cv_fold(struct cv_job *j, int f)
{
	const struct dataset *d = j->d;
	unsigned char *use = xcalloc(d->n, 1);
	struct feat_vec *x = NULL, *tx = xcalloc(d->n, sizeof(*tx));
	int *ty = xcalloc(d->n, sizeof(int));
	struct model_scratch *ms = model_scratch_new();
	struct feat_vocab *v = NULL;
	struct model_params p;
	struct err err;
	size_t c, i, nt = 0;
	int rc = -1;

	model_params_default(&p);
	p.probability = 0;
	p.seed = j->o->seed;
	p.balanced = j->k->balanced;
	for (i = 0; i < d->n; i++)
		use[i] = j->fold[i] != f;
	if (build_vocab(d, use, &j->k->fs, &v) == -1 ||
	    vectorize_all(d, v, 0, &x) == -1)
		goto out;
	for (i = 0; i < d->n; i++)
		if (use[i]) {
			tx[nt] = x[i];
			ty[nt++] = d->y[i];
		}
	for (c = 0; c < j->nC; c++) {
		struct model *mod = NULL;

		p.C = j->Cs[c];
		if (model_train(tx, ty, nt, feat_vocab_size(v), &p, &mod,
		    &err) == -1) {
			log_error("training failed: %s", err.msg);
			goto out;
		}
		for (i = 0; i < d->n; i++)
			if (!use[i])
				j->pred[c * d->n + i] =
				    model_predict_label(mod, &x[i], ms);
		model_destroy(&mod);
	}
	rc = 0;
out:
	vecs_free(&x, d->n);
	feat_vocab_destroy(&v);
	free(use);
	free(tx);
	free(ty);
	model_scratch_destroy(&ms);
	return rc;
}

static void *
cv_thread(void *arg)
{
	struct cv_job *j = arg;
	int f;

	for (;;) {
		pthread_mutex_lock(&j->mu);
		f = j->failed ? j->o->folds : j->next_fold++;
		pthread_mutex_unlock(&j->mu);
		if (f >= j->o->folds)
			return NULL;
		if (cv_fold(j, f) == -1) {
			pthread_mutex_lock(&j->mu);
			j->failed = 1;
			pthread_mutex_unlock(&j->mu);
			continue;
		}
		pthread_mutex_lock(&j->mu);
		j->folds_done++;
		progress(j->o, "%s: fold %d/%d done", j->what, j->folds_done,
		    j->o->folds);
		pthread_mutex_unlock(&j->mu);
	}
}

static int
cross_validate(const struct opts *o, const struct dataset *d, const int *fold,
    const struct cand *k, const double *Cs, size_t nC,
    struct cv_result *res, const char *what)
{
	struct cv_job j = { o, d, fold, k, Cs, nC, NULL, what,
	    PTHREAD_MUTEX_INITIALIZER, 0, 0, 0 };
	pthread_t th[CV_THREADS];
	struct metrics m;
	size_t c, i;
	int t;

	j.pred = xcalloc(nC * d->n, sizeof(int));
	progress(o, "%s: %d folds", what, o->folds);
	for (t = 0; t < CV_THREADS; t++)
		if (pthread_create(&th[t], NULL, cv_thread, &j) != 0)
			log_fatal(1, "cannot start a thread");
	for (t = 0; t < CV_THREADS; t++)
		pthread_join(th[t], NULL);
	progress(o, "%s", "");
	for (c = 0; c < nC && !j.failed; c++) {
		metrics_init(&m, d->nlabels);
		for (i = 0; i < d->n; i++)	/* figures of the originals */
			if (d->group == NULL || d->group[i] == i)
				metrics_add(&m, d->y[i],
				    j.pred[c * d->n + i]);
		metrics_finish(&m);
		res[c].k = *k;
		res[c].C = Cs[c];
		res[c].accuracy = m.accuracy;
		res[c].macro_f1 = m.macro_f1;
		metrics_release(&m);
	}
	free(j.pred);
	return j.failed ? -1 : 0;
}

static int
better(const struct cv_result *a, const struct cv_result *b)
{
	/* Macro-F1 first, then accuracy; on a tie the earlier (simpler) wins. */
	if (a->macro_f1 != b->macro_f1)
		return a->macro_f1 > b->macro_f1 + 1e-12;
	return a->accuracy > b->accuracy + 1e-12;
}

static void
describe(const struct cand *k, double C, char *out, size_t n)
{
	const struct feat_settings *fs = &k->fs;

	snprintf(out, n, "C=%g ngram=%d title_weight=%d min_df=%d "
	    "negation=%d numcmp=%d stem=%d balanced=%d", C, fs->ngram_max,
	    fs->title_weight, fs->min_df, !!(fs->text_flags & TEXT_NEGATION),
	    !!(fs->text_flags & TEXT_NUMCMP), !!(fs->text_flags & TEXT_STEM),
	    k->balanced);
}

/* ---- commands ---- */

static void
print_figures(const char *title, const struct metrics *m, char *const *labels,
    int json)
{
	if (json)
		return;
	printf("== %s\n", title);
	metrics_print(m, (const char *const *)labels, stdout);
}

static void
evaluate(const struct dataset *d, const struct feat_vec *x,
    const struct model *mod, struct metrics *m)
{
	struct model_scratch *ms = model_scratch_new();
	double *prob = xcalloc(d->nlabels, sizeof(double));
	size_t i;

	metrics_init(m, d->nlabels);
	for (i = 0; i < d->n; i++)
		metrics_add(m, d->y[i], model_predict(mod, &x[i], ms, prob));
	metrics_finish(m);
	free(prob);
	model_scratch_destroy(&ms);
}

static json_t *
settings_json(const struct cand *k, double C)
{
	const struct feat_settings *fs = &k->fs;
	json_t *o = json_object();

	json_object_set_new(o, "C", json_real(C));
	json_object_set_new(o, "balanced", json_boolean(k->balanced));
	json_object_set_new(o, "ngram_max", json_integer(fs->ngram_max));
	json_object_set_new(o, "title_weight", json_integer(fs->title_weight));
	json_object_set_new(o, "min_df", json_integer(fs->min_df));
	json_object_set_new(o, "max_features",
	    json_integer(fs->max_features));
	json_object_set_new(o, "negation",
	    json_boolean(fs->text_flags & TEXT_NEGATION));
	json_object_set_new(o, "numcmp",
	    json_boolean(fs->text_flags & TEXT_NUMCMP));
	json_object_set_new(o, "stem", json_boolean(fs->text_flags & TEXT_STEM));
	json_object_set_new(o, "sublinear_tf", json_boolean(fs->sublinear_tf));
	return o;
}

static int
cmd_train(struct opts *o)
{
	static const double grid_C[] = { 0.1, 0.3, 1, 2, 4, 8, 16 };
	struct cv_result *res = NULL, best;
	struct cand *cand = NULL;
	struct dataset d, td;
	struct feat_vocab *v = NULL;
	struct feat_vec *x = NULL, *tx = NULL;
	struct model *mod = NULL;
	struct model_params p;
	struct metrics tm;
	struct bundle_parts parts;
	struct err err;
	json_t *extra = NULL, *files, *grid_rows;
	const double *Cs = &o->C;
	size_t nC = 1, ncand = 0, nres, i;
	int *fold = NULL, rc = 1, have_test = 0;
	char desc[256], *extra_s = NULL;
	const char *task;

	if (o->ndata == 0 || o->out == NULL) {
		usage(stderr);
		return 2;
	}
	if (feat_settings_check(&o->fs, &err) == -1) {
		log_error("%s", err.msg);
		return 2;
	}
	if (dataset_read(&d, o->data, o->ndata, o->skip_bad, NULL, 0) == -1)
		return 2;
	if (o->test && dataset_read(&td, &o->test, 1, o->skip_bad, d.labels,
	    d.nlabels) == -1) {
		dataset_free(&d);
		return 2;
	}
	have_test = o->test != NULL;
	log_info("%zu training articles, %zu labels", d.n, d.nlabels);
	if (o->augment_short) {
		dataset_augment_short(&d);
		log_info("%zu examples with the short forms", d.n);
	}

	/*
	 * Candidate feature settings: the grid varies what was not fixed on
	 * the command line; the given (or default) settings come first.
	 */
	cand = xcalloc(256, sizeof(*cand));
	cand[ncand].fs = o->fs;
	cand[ncand++].balanced = o->balanced;
	if (o->grid) {
		static const int tw[] = { 1, 2, 3 };
		size_t a, b, e, g, md, bal, st;
		int titles = 0;

		/* Without any title, the title weight changes nothing. */
		for (i = 0; i < d.n && !titles; i++)
			titles = d.art[i].tlen > 0;

		Cs = grid_C;
		nC = sizeof(grid_C) / sizeof(grid_C[0]);
		for (a = 1; a <= 2; a++)
		for (b = 0; b <= 1; b++)
		for (e = 0; e <= 1; e++)
		for (g = 0; g < (titles ? 3u : 1u); g++)
		for (md = 1; md <= 2; md++)
		for (st = 0; st <= 1; st++)
		for (bal = 0; bal <= 1; bal++) {
			struct cand k;

			memset(&k, 0, sizeof(k));
			k.fs = o->fs;
			k.balanced = o->fixed_balanced ? o->balanced : (int)bal;
			if (!o->fixed_ngram)
				k.fs.ngram_max = (int)a;
			if (!o->fixed_neg)
				k.fs.text_flags = with_flag(k.fs.text_flags,
				    TEXT_NEGATION, (int)b);
			if (!o->fixed_numcmp)
				k.fs.text_flags = with_flag(k.fs.text_flags,
				    TEXT_NUMCMP, (int)e);
			if (!o->fixed_stem)
				k.fs.text_flags = with_flag(k.fs.text_flags,
				    TEXT_STEM, (int)st);
			if (!o->fixed_title && titles)
				k.fs.title_weight = tw[g];
			if (!o->fixed_mindf)
				k.fs.min_df = (int)md;
			for (i = 0; i < ncand; i++)
				if (memcmp(&cand[i], &k, sizeof(k)) == 0)
					break;
			if (i == ncand)
				cand[ncand++] = k;
		}
	}
	/*
	 * Staged search: C for the base settings first, then every other
	 * feature setting at that C, then C again for the best setting (a
	 * full product would cost ncand * nC cross-validations for little
	 * gain).
	 */
	res = xcalloc(nC + ncand, sizeof(*res));
	fold = assign_folds(&d, o->folds, o->seed);
	if (cross_validate(o, &d, fold, &cand[0], Cs, nC, res, "cv base") ==
	    -1)
		goto out;
	nres = nC;
	best = res[0];
	for (i = 1; i < nC; i++)
		if (better(&res[i], &best))
			best = res[i];
	for (i = 1; i < ncand; i++) {
		char what[64];

		snprintf(what, sizeof(what), "cv %zu/%zu", i + 1, ncand);
		if (cross_validate(o, &d, fold, &cand[i], &best.C, 1,
		    &res[nres], what) == -1)
			goto out;
		if (better(&res[nres], &best))
			best = res[nres];
		nres++;
	}
	/* Then C once more for the best settings, if they are new. */
	if (nC > 1 && memcmp(&best.k, &cand[0], sizeof(best.k)) != 0) {
		struct cand k = best.k;
		size_t first = nres;

		res = xreallocarray(res, nres + nC, sizeof(*res));
		if (cross_validate(o, &d, fold, &k, Cs, nC, &res[nres],
		    "cv best, C") == -1)
			goto out;
		for (nres += nC; first < nres; first++)
			if (better(&res[first], &best))
				best = res[first];
	}
	grid_rows = json_array();
	for (i = 0; i < nres; i++) {
		json_t *row = settings_json(&res[i].k, res[i].C);

		json_object_set_new(row, "cv_accuracy",
		    json_real(res[i].accuracy));
		json_object_set_new(row, "cv_macro_f1",
		    json_real(res[i].macro_f1));
		json_array_append_new(grid_rows, row);
		if (o->grid && !o->json) {
			describe(&res[i].k, res[i].C, desc, sizeof(desc));
			printf("grid %-62s cv accuracy %.4f macro-F1 %.4f\n",
			    desc, res[i].accuracy, res[i].macro_f1);
		}
	}
	describe(&best.k, best.C, desc, sizeof(desc));
	if (!o->json)
		printf("== %d-fold cross-validation (%zu articles)\n%s\n"
		    "accuracy %.4f  macro-F1 %.4f\n", o->folds, d.n, desc,
		    best.accuracy, best.macro_f1);

	/* The final model: all training data, probability estimates on. */
	progress(o, "training the final model (%s)", desc);
	if (build_vocab(&d, NULL, &best.k.fs, &v) == -1 ||
	    vectorize_all(&d, v, 0, &x) == -1)
		goto out;
	model_params_default(&p);
	p.C = best.C;
	p.seed = o->seed;
	p.balanced = best.k.balanced;
	if (model_train(x, d.y, d.n, feat_vocab_size(v), &p, &mod,
	    &err) == -1) {
		log_error("training failed: %s", err.msg);
		goto out;
	}
	progress(o, "%s", "");

	extra = json_object();
	files = json_array();
	for (i = 0; i < o->ndata; i++) {
		char hex[33];
		size_t size;
		const char *base = strrchr(o->data[i], '/');

		if (hash_file(o->data[i], hex, &size) == -1)
			continue;	/* stdin: no hash */
		json_array_append_new(files, json_pack("{s:s,s:s,s:I}",
		    "file", base ? base + 1 : o->data[i], "blake2b_128", hex,
		    "bytes", (json_int_t)size));
	}
	json_object_set_new(extra, "training", json_pack(
	    "{s:o,s:I,s:o,s:i,s:i,s:{s:f,s:f},s:o}", "data", files,
	    "n_train", (json_int_t)d.n, "params", settings_json(&best.k,
	    best.C), "folds", o->folds, "seed", (int)o->seed, "cv",
	    "accuracy", best.accuracy, "macro_f1", best.macro_f1, "grid",
	    o->grid ? grid_rows : json_array()));
	if (!o->grid)
		json_decref(grid_rows);
	if (have_test) {
		char *mj;
		const char *base = strrchr(o->test, '/');

		if (vectorize_all(&td, v, 0, &tx) == -1)
			goto out;
		evaluate(&td, tx, mod, &tm);
		print_figures("held-out test", &tm, d.labels, o->json);
		mj = metrics_json(&tm, (const char *const *)d.labels);
		json_object_set_new(extra, "test", json_pack("{s:s,s:o}",
		    "file", base ? base + 1 : o->test, "figures",
		    json_loads(mj, 0, NULL)));
		free(mj);
		vecs_free(&tx, td.n);
		if (vectorize_all(&td, v, 1, &tx) == -1)
			goto out;
		metrics_release(&tm);
		evaluate(&td, tx, mod, &tm);
		print_figures("held-out test, short form (title + first "
		    "sentence)", &tm, d.labels, o->json);
		json_object_set_new(json_object_get(extra, "test"),
		    "short_form", json_pack("{s:f,s:f}", "accuracy",
		    tm.accuracy, "macro_f1", tm.macro_f1));
		metrics_release(&tm);
	}
	extra_s = json_dumps(extra, JSON_COMPACT | JSON_REAL_PRECISION(6));
	task = o->task;
	if (task == NULL) {
		task = strrchr(o->out, '/');
		task = task && task[1] ? task + 1 : o->out;
	}
	parts.task = task;
	parts.labels = (const char *const *)d.labels;
	parts.nlabels = d.nlabels;
	parts.vocab = v;
	parts.model = mod;
	parts.meta_extra = extra_s;
	if (bundle_save(o->out, &parts, &err) == -1) {
		log_error("%s", err.msg);
		goto out;
	}
	if (o->json)
		printf("%s\n", extra_s);
	else
		printf("== wrote bundle '%s' (%zu features, %zu labels)\n",
		    o->out, feat_vocab_size(v), d.nlabels);
	rc = 0;
out:
	free(extra_s);
	json_decref(extra);
	model_destroy(&mod);
	vecs_free(&x, d.n);
	if (have_test) {
		vecs_free(&tx, td.n);
		dataset_free(&td);
	}
	feat_vocab_destroy(&v);
	free(fold);
	free(res);
	free(cand);
	dataset_free(&d);
	return rc;
}

/* Load the bundle and the data numbered by its labels. */
static int
load_for_bundle(const struct opts *o, struct bundle **b, struct dataset *d)
{
	struct err err;
	char **labels;
	size_t i, n;
	int rc;

	if (o->model == NULL || o->ndata == 0) {
		usage(stderr);
		return 2;
	}
	if (bundle_load(o->model, b, &err) == -1) {
		log_error("%s", err.msg);
		return 2;
	}
	n = bundle_nlabels(*b);
	labels = xcalloc(n, sizeof(char *));
	for (i = 0; i < n; i++)
		labels[i] = (char *)bundle_label(*b, i);
	rc = dataset_read(d, o->data, o->ndata, o->skip_bad, labels, n);
	free(labels);
	if (rc == -1) {
		bundle_destroy(b);
		return 2;
	}
	return 0;
}

static int
cmd_eval(struct opts *o)
{
	struct bundle *b = NULL;
	struct dataset d;
	struct feat_vec *x = NULL;
	struct metrics m;
	const char **labels;
	size_t i;
	int rc;

	if ((rc = load_for_bundle(o, &b, &d)) != 0)
		return rc;
	rc = 1;
	if (vectorize_all(&d, bundle_vocab(b), o->short_form, &x) == -1)
		goto out;
	evaluate(&d, x, bundle_model(b), &m);
	labels = xcalloc(bundle_nlabels(b), sizeof(char *));
	for (i = 0; i < bundle_nlabels(b); i++)
		labels[i] = bundle_label(b, i);
	if (o->json) {
		char *s = metrics_json(&m, labels);

		printf("%s\n", s);
		free(s);
	} else {
		printf("== %s (bundle %s %s)%s\n", o->data[0], bundle_task(b),
		    bundle_version(b), o->short_form ? ", short form" : "");
		metrics_print(&m, labels, stdout);
	}
	free(labels);
	metrics_release(&m);
	rc = 0;
out:
	vecs_free(&x, d.n);
	dataset_free(&d);
	bundle_destroy(&b);
	return rc;
}

static int
cmd_export(struct opts *o)
{
	struct bundle *b = NULL;
	struct dataset d;
	struct feat_vec *x = NULL;
	FILE *f = NULL;
	size_t i;
	int rc;

	if (o->out == NULL) {
		usage(stderr);
		return 2;
	}
	if ((rc = load_for_bundle(o, &b, &d)) != 0)
		return rc;
	rc = 1;
	if (vectorize_all(&d, bundle_vocab(b), o->short_form, &x) == -1)
		goto out;
	if ((f = fopen(o->out, "w")) == NULL) {
		log_error("cannot write '%s': %s", o->out, strerror(errno));
		goto out;
	}
	for (i = 0; i < d.n; i++)
		model_write_vector(f, d.y[i], &x[i]);
	if (fclose(f) != 0) {
		log_error("cannot write '%s': %s", o->out, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	vecs_free(&x, d.n);
	dataset_free(&d);
	bundle_destroy(&b);
	return rc;
}

static int
parse_int(const char *s, const char *name, int lo, int hi, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > hi) {
		log_error("--%s must be an integer in %d..%d, not '%s'", name,
		    lo, hi, s);
		return -1;
	}
	*out = (int)v;
	return 0;
}

enum {
	OPT_DATA = 256, OPT_OUT, OPT_TEST, OPT_C, OPT_GRID, OPT_FOLDS,
	OPT_SEED, OPT_NGRAM, OPT_TITLE, OPT_MINDF, OPT_MAXF, OPT_NEG,
	OPT_NONEG, OPT_NUMCMP, OPT_NONUMCMP, OPT_TASK, OPT_SKIP, OPT_JSON,
	OPT_MODEL, OPT_SHORT, OPT_BAL, OPT_NOBAL, OPT_STEM, OPT_NOSTEM, OPT_AUG,
	OPT_CLEAN, OPT_NOCLEAN, OPT_STOP, OPT_NOSTOP, OPT_HELP
};

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "data", required_argument, NULL, OPT_DATA },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "test", required_argument, NULL, OPT_TEST },
		{ "C", required_argument, NULL, OPT_C },
		{ "grid", no_argument, NULL, OPT_GRID },
		{ "folds", required_argument, NULL, OPT_FOLDS },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "ngram", required_argument, NULL, OPT_NGRAM },
		{ "title-weight", required_argument, NULL, OPT_TITLE },
		{ "min-df", required_argument, NULL, OPT_MINDF },
		{ "max-features", required_argument, NULL, OPT_MAXF },
		{ "negation", no_argument, NULL, OPT_NEG },
		{ "no-negation", no_argument, NULL, OPT_NONEG },
		{ "numcmp", no_argument, NULL, OPT_NUMCMP },
		{ "no-numcmp", no_argument, NULL, OPT_NONUMCMP },
		{ "task", required_argument, NULL, OPT_TASK },
		{ "skip-bad", no_argument, NULL, OPT_SKIP },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "model", required_argument, NULL, OPT_MODEL },
		{ "short", no_argument, NULL, OPT_SHORT },
		{ "balanced", no_argument, NULL, OPT_BAL },
		{ "stem", no_argument, NULL, OPT_STEM },
		{ "augment-short", no_argument, NULL, OPT_AUG },
		{ "no-stem", no_argument, NULL, OPT_NOSTEM },
		{ "no-balanced", no_argument, NULL, OPT_NOBAL },
		{ "clean", no_argument, NULL, OPT_CLEAN },
		{ "no-clean", no_argument, NULL, OPT_NOCLEAN },
		{ "stopwords", no_argument, NULL, OPT_STOP },
		{ "no-stopwords", no_argument, NULL, OPT_NOSTOP },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 }
	};
	struct opts o;
	const char *cmd;
	char *end;
	int ch, seed;

	log_init("newsclass-train", LOG_LEVEL_INFO);
	model_set_print(NULL);
	if (sodium_init() < 0)
		log_fatal(1, "cannot initialise libsodium");
	memset(&o, 0, sizeof(o));
	o.folds = 5;
	o.seed = 1;
	o.C = 1.0;
	o.progress = isatty(STDERR_FILENO);
	feat_settings_default(&o.fs);
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	cmd = argv[1];
	optind = 2;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_DATA:
			if (o.ndata == MAX_DATA)
				log_fatal(2, "at most %d --data files",
				    MAX_DATA);
			o.data[o.ndata++] = optarg;
			break;
		case OPT_OUT: o.out = optarg; break;
		case OPT_TEST: o.test = optarg; break;
		case OPT_MODEL: o.model = optarg; break;
		case OPT_TASK: o.task = optarg; break;
		case OPT_GRID: o.grid = 1; break;
		case OPT_SKIP: o.skip_bad = 1; break;
		case OPT_JSON: o.json = 1; break;
		case OPT_SHORT: o.short_form = 1; break;
		case OPT_C:
			errno = 0;
			o.C = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(o.C > 0) ||
			    !isfinite(o.C))
				log_fatal(2, "--C must be a positive number, "
				    "not '%s'", optarg);
			break;
		case OPT_FOLDS:
			if (parse_int(optarg, "folds", 2, 100, &o.folds) == -1)
				return 2;
			break;
		case OPT_SEED:
			if (parse_int(optarg, "seed", 0, INT32_MAX, &seed) == -1)
				return 2;
			o.seed = (unsigned)seed;
			break;
		case OPT_NGRAM:
			if (parse_int(optarg, "ngram", 1, 2,
			    &o.fs.ngram_max) == -1)
				return 2;
			o.fixed_ngram = 1;
			break;
		case OPT_TITLE:
			if (parse_int(optarg, "title-weight", 1, 100,
			    &o.fs.title_weight) == -1)
				return 2;
			o.fixed_title = 1;
			break;
		case OPT_MINDF:
			if (parse_int(optarg, "min-df", 1, INT32_MAX,
			    &o.fs.min_df) == -1)
				return 2;
			o.fixed_mindf = 1;
			break;
		case OPT_MAXF:
			if (parse_int(optarg, "max-features", 0, INT32_MAX,
			    &o.fs.max_features) == -1)
				return 2;
			break;
		case OPT_NEG:
		case OPT_NONEG:
			o.fs.text_flags = with_flag(o.fs.text_flags,
			    TEXT_NEGATION, ch == OPT_NEG);
			o.fixed_neg = 1;
			break;
		case OPT_NUMCMP:
		case OPT_NONUMCMP:
			o.fs.text_flags = with_flag(o.fs.text_flags,
			    TEXT_NUMCMP, ch == OPT_NUMCMP);
			o.fixed_numcmp = 1;
			break;
		case OPT_AUG:
			o.augment_short = 1;
			break;
		case OPT_STEM:
		case OPT_NOSTEM:
			o.fs.text_flags = with_flag(o.fs.text_flags, TEXT_STEM,
			    ch == OPT_STEM);
			o.fixed_stem = 1;
			break;
		case OPT_BAL:
		case OPT_NOBAL:
			o.balanced = ch == OPT_BAL;
			o.fixed_balanced = 1;
			break;
		case OPT_CLEAN:
		case OPT_NOCLEAN:
			o.fs.text_flags = with_flag(o.fs.text_flags,
			    TEXT_CLEAN_HTML | TEXT_CLEAN_BOILERPLATE,
			    ch == OPT_CLEAN);
			break;
		case OPT_STOP:
		case OPT_NOSTOP:
			o.fs.text_flags = with_flag(o.fs.text_flags,
			    TEXT_STOPWORDS, ch == OPT_STOP);
			break;
		case OPT_HELP:
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		log_error("unexpected argument '%s'", argv[optind]);
		return 2;
	}
	if (strcmp(cmd, "train") == 0)
		return cmd_train(&o);
	if (strcmp(cmd, "eval") == 0)
		return cmd_eval(&o);
	if (strcmp(cmd, "export") == 0)
		return cmd_export(&o);
	log_error("unknown command '%s'", cmd);
	usage(stderr);
	return 2;
}
