/*
 * newsclass-train - build, evaluate, report on and export model bundles.
 *
 *   train   JSON Lines -> (augmentation) -> k-fold CV in worker processes
 *           (cv.c), optionally a search over C and feature settings ->
 *           a calibrator fitted on the cross-validated decision values ->
 *           final model on all rows -> held-out figures -> bundle written
 *           atomically
 *   eval    a bundle against labelled JSON Lines, with --errors the
 *           misclassified items
 *   report  a self-contained HTML page about a bundle (report.c)
 *   export  a bundle's feature vectors in the solvers' sparse format
 *
 * The file: options and their table; progress; the search (candidates,
 * one cross-validation each, coordinate by coordinate); calibration;
 * the commands; main.
 *
 * Every setting is chosen on the training data; the test file is only
 * reported.  Rows made from one article by augmentation stay in its fold,
 * and figures are computed on the articles as read.
 *
 * Exit codes: 0 ok, 1 runtime failure, 2 usage or bad input.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "bundle.h"
#include "calib.h"
#include "clock.h"
#include "cv.h"
#include "data.h"
#include "feat.h"
#include "log.h"
#include "metrics.h"
#include "model.h"
#include "report.h"
#include "text.h"
#include "xalloc.h"

#define MAX_DATA 8

struct opts {
	const char *data[MAX_DATA];
	size_t ndata;
	const char *out, *test, *model, *task, *errors;
	int folds, grid, skip_bad, json, short_form, tty, workers;
	unsigned seed;
	double C;
	int fixed_C;
	struct feat_settings fs;
	/* Which feature settings were fixed on the command line. */
	int fixed_ngram, fixed_title, fixed_neg, fixed_numcmp, fixed_mindf;
	int balanced, fixed_balanced, fixed_stem, fixed_clean, fixed_stop;
	int augment_short, augment_extracts;
	const struct model_solver *solver;
	const struct linmodel_solver *linear;
	const struct calib_method *calib;	/* NULL: chosen by measurement */
};

/* flags with bit set (on) or cleared. */
static unsigned
with_flag(unsigned flags, unsigned bit, int on)
{
	return on ? flags | bit : flags & ~bit;
}

static void
usage(FILE *f)
{
	fputs(
"usage: newsclass-train train --data FILE.jsonl [--data FILE...] --out DIR\n"
"           [--test FILE.jsonl] [--C C | --grid] [--folds K] [--seed N]\n"
"           [--solver liblinear|libsvm] [--scheme ovr|cs]\n"
"           [--calibration platt|temperature] [--workers N]\n"
"           [--augment short] [--augment extracts N]\n"
"           [--ngram 1|2] [--title-weight N] [--min-df N] [--max-features N]\n"
"           [--negation|--no-negation] [--numcmp|--no-numcmp]\n"
"           [--stem|--no-stem] [--balanced|--no-balanced]\n"
"           [--clean|--no-clean] [--stopwords|--no-stopwords]\n"
"           [--task NAME] [--skip-bad] [--json]\n"
"       newsclass-train eval --model DIR --data FILE.jsonl [--short] [--json]\n"
"           [--errors FILE.jsonl]\n"
"       newsclass-train report --model DIR [--data FILE.jsonl] --out FILE.html\n"
"       newsclass-train export --model DIR --data FILE.jsonl --out FILE.svm\n"
"\n"
"train   builds a bundle: k-fold cross-validation on the training data,\n"
"        --grid picks C and feature settings by it, probabilities are\n"
"        calibrated on the cross-validated decision values, --test reports\n"
"        held-out figures; the bundle is written atomically to DIR;\n"
"        --clean strips HTML and drops boilerplate lines, --stopwords\n"
"        gives English stop words no unigram weight (both recorded in the\n"
"        bundle and applied when serving)\n"
"eval    prints accuracy, macro-F1, calibration error, per-class figures\n"
"        and the confusion matrix; --short scores title + first sentence;\n"
"        --errors writes the misclassified items with their top terms\n"
"report  writes an HTML page: confusion heat map, per-class figures,\n"
"        reliability diagram, accuracy by length, the grid, the label counts\n"
"export  writes the bundle's feature vectors in libsvm/liblinear format,\n"
"        labels numbered as in the bundle, for svm-predict or\n"
"        liblinear-predict\n", f);
}

/* ---- progress ---- */

struct progress {
	const struct opts *o;
	const char *what;
	double t0;		/* seconds at the start of the step */
	double start;		/* seconds at the start of training */
	size_t step, steps;	/* grid steps: this one, and the planned */
};

static double
now_s(void)
{
	return (double)clock_ns() / 1e9;
}

/* On a terminal: one self-overwriting line per fold, with a rate and ETA. */
static void
progress_fold(void *arg, int done, int folds)
{
	struct progress *p = arg;
	double el = now_s() - p->t0;
	double total = now_s() - p->start;
	double per_fold = el / done;
	double left = per_fold * (folds - done) + per_fold * folds *
	    (double)(p->steps > p->step + 1 ? p->steps - p->step - 1 : 0);

	if (!p->o->tty)
		return;
	fprintf(stderr, "\r\033[K%s: step %zu/%zu, fold %d/%d, %.1f s a fold, "
	    "%.0f s so far, about %.0f s left", p->what, p->step + 1, p->steps,
	    done, folds, per_fold, total, left);
	fflush(stderr);
}

static void
progress_done(struct progress *p, const char *line)
{
	if (p->o->tty)
		fputs("\r\033[K", stderr);
	if (line != NULL)
		fprintf(stderr, "%s (%.1f s)\n", line, now_s() - p->t0);
}

/* ---- the search ---- */

/* One point of the search: feature settings and class weighting. */
struct cand {
	struct feat_settings fs;
	int balanced;
};

struct cv_point {
	struct cand k;
	double C;
	double accuracy, macro_f1;	/* on the articles as read */
	double rows_macro_f1;		/* on every row, augmented too */
};

/*
 * Macro-F1 over every row first: with augmentation that weighs the short
 * forms and extracts the model must also serve; then macro-F1 and
 * accuracy of the articles.  On a tie the earlier (simpler) wins.
 */
static int
better(const struct cv_point *a, const struct cv_point *b)
{
	if (a->rows_macro_f1 != b->rows_macro_f1)
		return a->rows_macro_f1 > b->rows_macro_f1 + 1e-12;
	if (a->macro_f1 != b->macro_f1)
		return a->macro_f1 > b->macro_f1 + 1e-12;
	return a->accuracy > b->accuracy + 1e-12;
}

static void
describe(const struct cand *k, double C, char *out, size_t n)
{
	const struct feat_settings *fs = &k->fs;

	snprintf(out, n, "C=%g ngram=%d title_weight=%d min_df=%d "
	    "negation=%d numcmp=%d stem=%d clean=%d stopwords=%d balanced=%d",
	    C, fs->ngram_max, fs->title_weight, fs->min_df,
	    !!(fs->text_flags & TEXT_NEGATION),
	    !!(fs->text_flags & TEXT_NUMCMP), !!(fs->text_flags & TEXT_STEM),
	    !!(fs->text_flags & TEXT_CLEAN_HTML),
	    !!(fs->text_flags & TEXT_STOPWORDS), k->balanced);
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
	json_object_set_new(o, "clean",
	    json_boolean(fs->text_flags & TEXT_CLEAN_HTML));
	json_object_set_new(o, "stopwords",
	    json_boolean(fs->text_flags & TEXT_STOPWORDS));
	json_object_set_new(o, "sublinear_tf", json_boolean(fs->sublinear_tf));
	return o;
}

/* The search's state: every point tried, and the best one's CV results. */
struct search {
	const struct opts *o;
	const struct dataset *d;
	struct cv_setup setup;
	struct progress prog;
	struct cv_point *pts;
	size_t npts;
	struct cv_point best;
	struct cv_result best_res;	/* of best.C only (nC = 1) */
	json_t *grid;			/* rows, for meta.json */
	/*
	 * Settings fixed beforehand (no grid, liblinear): the final model is
	 * trained beside the folds, and its vocabulary built meanwhile.
	 */
	double final_C;
	struct model *final;
	struct feat_vocab *final_vocab;
	int vocab_failed;
};

/* While the workers run: the final model's vocabulary. */
static void
search_idle(void *arg)
{
	struct search *s = arg;

	if (s->final_C > 0 && s->final_vocab == NULL &&
	    cv_build_vocab(s->d, NULL, -1, &s->o->fs, &s->final_vocab) == -1)
		s->vocab_failed = 1;
}

/* Cross-validate candidate k for every C in Cs; keep the best. */
static int
search_try(struct search *s, const struct cand *k, const double *Cs,
    size_t nC)
{
	const struct dataset *d = s->d;
	struct cv_result r;
	size_t c, i;
	char desc[256], line[400];

	s->prog.t0 = now_s();
	if (cv_run(&s->setup, &k->fs, k->balanced, Cs, nC, s->final_C,
	    &r) == -1 || s->vocab_failed) {
		cv_result_release(&r);
		return -1;
	}
	if (r.final != NULL) {
		s->final = r.final;
		r.final = NULL;
	}
	for (c = 0; c < nC; c++) {
		struct cv_point pt;
		struct metrics m;
		json_t *row;

		metrics_init(&m, d->nlabels);
		for (i = 0; i < d->n; i++) {
			if (i == d->norig) {
				metrics_finish(&m);
				pt.accuracy = m.accuracy;
				pt.macro_f1 = m.macro_f1;
			}
			metrics_add(&m, d->y[i], r.pred[c * d->n + i]);
		}
		metrics_finish(&m);
		if (d->n == d->norig) {
			pt.accuracy = m.accuracy;
			pt.macro_f1 = m.macro_f1;
		}
		pt.rows_macro_f1 = m.macro_f1;
		pt.k = *k;
		pt.C = Cs[c];
		metrics_release(&m);
		s->pts = xreallocarray(s->pts, s->npts + 1, sizeof(*s->pts));
		s->pts[s->npts++] = pt;
		row = settings_json(k, Cs[c]);
		json_object_set_new(row, "cv_accuracy", json_real(pt.accuracy));
		json_object_set_new(row, "cv_macro_f1", json_real(pt.macro_f1));
		json_object_set_new(row, "cv_rows_macro_f1",
		    json_real(pt.rows_macro_f1));
		json_array_append_new(s->grid, row);
		describe(k, Cs[c], desc, sizeof(desc));
		if (s->o->grid && !s->o->json)
			printf("grid %-62s cv accuracy %.4f macro-F1 %.4f "
			    "(all rows %.4f)\n", desc, pt.accuracy, pt.macro_f1,
			    pt.rows_macro_f1);
		if (s->npts == 1 || better(&pt, &s->best)) {
			s->best = pt;
			cv_result_release(&s->best_res);
			s->best_res.n = r.n;
			s->best_res.k = r.k;
			s->best_res.nC = 1;
			s->best_res.pred = xreallocarray(NULL, r.n,
			    sizeof(int));
			memcpy(s->best_res.pred, r.pred + c * r.n,
			    r.n * sizeof(int));
			if (r.dec != NULL) {
				s->best_res.dec = xreallocarray(NULL,
				    r.n * r.k, sizeof(double));
				memcpy(s->best_res.dec, r.dec + c * r.n * r.k,
				    r.n * r.k * sizeof(double));
			}
		}
	}
	cv_result_release(&r);
	describe(&s->best.k, s->best.C, desc, sizeof(desc));
	snprintf(line, sizeof(line), "%s %zu/%zu: best so far %s, macro-F1 "
	    "%.4f", s->prog.what, s->prog.step + 1, s->prog.steps, desc,
	    s->best.macro_f1);
	progress_done(&s->prog, s->o->json ? NULL : line);
	s->prog.step++;
	return 0;
}

/*
 * The coordinates of the search, one row each: the values tried (0-ended
 * where a value can be 0 only as a flag) and how a candidate takes one.
 * A flag setting of text_flags has bit != 0; the others say which field.
 */
enum coord_field { CF_FLAG, CF_NGRAM, CF_TITLE, CF_MINDF, CF_BALANCED };

struct coord {
	enum coord_field field;
	unsigned bit;			/* CF_FLAG: TEXT_* (both clean bits) */
	int values[3];			/* -1 ends a shorter list */
	size_t fixed;			/* offset of its fixed_* in opts */
};

static const struct coord coords[] = {
	{ CF_NGRAM, 0, { 1, 2, -1 }, offsetof(struct opts, fixed_ngram) },
	{ CF_FLAG, TEXT_STEM, { 0, 1, -1 }, offsetof(struct opts, fixed_stem) },
	{ CF_FLAG, TEXT_NEGATION, { 0, 1, -1 },
	    offsetof(struct opts, fixed_neg) },
	{ CF_FLAG, TEXT_NUMCMP, { 0, 1, -1 },
	    offsetof(struct opts, fixed_numcmp) },
	{ CF_FLAG, TEXT_CLEAN_HTML | TEXT_CLEAN_BOILERPLATE, { 0, 1, -1 },
	    offsetof(struct opts, fixed_clean) },
	{ CF_FLAG, TEXT_STOPWORDS, { 0, 1, -1 },
	    offsetof(struct opts, fixed_stop) },
	{ CF_TITLE, 0, { 1, 2, 3 }, offsetof(struct opts, fixed_title) },
	{ CF_MINDF, 0, { 1, 2, 3 }, offsetof(struct opts, fixed_mindf) },
	{ CF_BALANCED, 0, { 0, 1, -1 },
	    offsetof(struct opts, fixed_balanced) },
};

static void
coord_apply(const struct coord *c, int x, struct cand *k)
{
	switch (c->field) {
	case CF_FLAG:
		k->fs.text_flags = with_flag(k->fs.text_flags, c->bit, x);
		break;
	case CF_NGRAM: k->fs.ngram_max = x; break;
	case CF_TITLE: k->fs.title_weight = x; break;
	case CF_MINDF: k->fs.min_df = x; break;
	case CF_BALANCED: k->balanced = x; break;
	}
}

/*
 * The search: C for the given settings; then, coordinate by coordinate,
 * each alternative value of every setting not fixed on the command line at
 * the best C, kept when it is better; then C again for the best settings if
 * they changed.  About 1 + sum(values - 1) + 1 cross-validations instead of
 * the product of all values.
 */
static int
search_run(struct search *s, const double *Cs, size_t nC)
{
	const struct opts *o = s->o;
	struct cand base;
	size_t i, c;
	int titles = 0, v;

	memset(&base, 0, sizeof(base));
	base.fs = o->fs;
	base.balanced = o->balanced;
	for (i = 0; i < s->d->n && !titles; i++)
		titles = s->d->art[i].tlen > 0;
	s->prog.steps = 1;
	for (c = 0; o->grid && c < sizeof(coords) / sizeof(coords[0]); c++)
		for (v = 0; v < 3 && coords[c].values[v] >= 0; v++)
			s->prog.steps += v > 0;
	s->prog.steps += o->grid;
	if (search_try(s, &base, Cs, nC) == -1)
		return -1;
	if (!o->grid)
		return 0;
	for (c = 0; c < sizeof(coords) / sizeof(coords[0]); c++) {
		/*
		 * The alternatives are to this setting's value before its
		 * turn: once one wins, that value is not measured again.
		 * Only this setting differs between start and the best.
		 */
		struct cand start = s->best.k;

		if (*(const int *)((const char *)o + coords[c].fixed) ||
		    (coords[c].field == CF_TITLE && !titles))
			continue;
		for (v = 0; v < 3 && coords[c].values[v] >= 0; v++) {
			struct cand k = start;

			coord_apply(&coords[c], coords[c].values[v], &k);
			if (memcmp(&k, &start, sizeof(k)) == 0 ||
			    memcmp(&k, &s->best.k, sizeof(k)) == 0)
				continue;
			if (search_try(s, &k, &s->best.C, 1) == -1)
				return -1;
		}
	}
	if (memcmp(&s->best.k, &base, sizeof(base)) != 0) {
		struct cand k = s->best.k;

		if (search_try(s, &k, Cs, nC) == -1)
			return -1;
	}
	return 0;
}

/* ---- calibration ---- */

/* Rows a calibrator is fitted on: beyond this, an even sample of them. */
#define CALIB_ROWS 200000

/*
 * Fit the calibrator on the cross-validated decision values of every row
 * (an even sample of CALIB_ROWS of them when there are more: a few
 * parameters per label need no more).  Without --calibration, each method
 * is fitted on the even folds and scored on the odd ones and the other way
 * round (rows of one article are in one fold, so never on both sides), and
 * the lower summed negative log-likelihood wins.  The same cross-fitted
 * probabilities give the calibration error of the originals reported as
 * the CV figure.
 */
static int
calibrate(const struct opts *o, const struct dataset *d, const int *fold,
    const struct cv_result *r, struct calib **out, double *cv_ece,
    json_t *report)
{
	static const char *const methods[] = { "platt", "temperature" };
	const struct calib_method *best = o->calib;
	size_t stride = (d->n + CALIB_ROWS - 1) / CALIB_ROWS;
	size_t ns = (d->n + stride - 1) / stride, mi, h, i, j, k = r->k, nh;
	double best_nll = INFINITY, *sdec, *hdec, *prob;
	int *sy, *hy, *sfold, rc = -1;
	unsigned char *sorig;
	struct err err;
	json_t *nll = json_object();

	/* The sample: every stride-th row. */
	sdec = xcalloc(ns * k, sizeof(double));
	hdec = xcalloc(ns * k, sizeof(double));
	sy = xcalloc(ns, sizeof(int));
	hy = xcalloc(ns, sizeof(int));
	sfold = xcalloc(ns, sizeof(int));
	sorig = xcalloc(ns, 1);
	prob = xcalloc(k, sizeof(double));
	for (i = 0; i < ns; i++) {
		memcpy(sdec + i * k, r->dec + i * stride * k,
		    k * sizeof(double));
		sy[i] = d->y[i * stride];
		sfold[i] = fold[i * stride];
		sorig[i] = i * stride < d->norig;
	}
	for (mi = 0; mi < sizeof(methods) / sizeof(methods[0]); mi++) {
		const struct calib_method *m = calib_method_find(methods[mi]);
		double sum = 0;
		struct metrics met;

		if (o->calib && o->calib != m)
			continue;
		metrics_init(&met, k);
		for (h = 0; h < 2; h++) {
			struct calib *c;

			for (nh = 0, i = 0; i < ns; i++)
				if (sfold[i] % 2 == (int)h) {
					memcpy(hdec + nh * k, sdec + i * k,
					    k * sizeof(double));
					hy[nh++] = sy[i];
				}
			/* All folds of one parity (two folds): fit on all. */
			if ((nh == 0 || calib_fit(m, hdec, hy, NULL, nh, k, &c,
			    &err) == -1) && calib_fit(m, sdec, sy, NULL, ns, k,
			    &c, &err) == -1) {
				log_error("%s", err.msg);
				metrics_release(&met);
				goto out;
			}
			for (i = 0; i < ns; i++) {
				size_t best_j = 0;

				if (sfold[i] % 2 == (int)h)
					continue;
				calib_apply(c, sdec + i * k, prob);
				sum -= log(fmax(prob[sy[i]], 1e-15));
				for (j = 1; j < k; j++)
					if (prob[j] > prob[best_j])
						best_j = j;
				if (sorig[i])
					metrics_add_scored(&met, sy[i],
					    (int)best_j, prob[best_j], 0);
			}
			calib_destroy(&c);
		}
		metrics_finish(&met);
		sum /= (double)ns;
		json_object_set_new(nll, methods[mi], json_pack("{s:f,s:f}",
		    "cv_nll", sum, "cv_ece", met.ece));
		if (sum < best_nll) {
			best_nll = sum;
			best = m;
			*cv_ece = met.ece;
		}
		metrics_release(&met);
	}
	if (calib_fit(best, sdec, sy, NULL, ns, k, out, &err) == -1) {
		log_error("%s", err.msg);
		goto out;
	}
	json_object_set_new(report, "method", json_string(
	    calib_method_name(best)));
	json_object_set_new(report, "cv_ece", json_real(*cv_ece));
	json_object_set_new(report, "rows", json_integer((json_int_t)ns));
	json_object_set(report, "methods", nll);
	rc = 0;
out:
	json_decref(nll);
	free(sdec);
	free(hdec);
	free(sy);
	free(hy);
	free(sfold);
	free(sorig);
	free(prob);
	return rc;
}

/* ---- evaluation ---- */

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

/* Vectorise rows 0..n; short_form scores title + first sentence. */
static int
vectorize_all(const struct dataset *d, size_t n, const struct feat_vocab *v,
    int short_form, struct feat_vec **out)
{
	struct feat_scratch *s = feat_scratch_new();
	struct feat_vec *x = xcalloc(n, sizeof(*x));
	struct err err;
	size_t i, xlen;

	for (i = 0; i < n; i++)
		feat_vec_init(&x[i]);
	for (i = 0; i < n; i++) {
		xlen = short_form ? data_first_sentence(d->art[i].text,
		    d->art[i].xlen) : d->art[i].xlen;
		if (feat_vectorize(v, d->art[i].title, d->art[i].tlen,
		    d->art[i].text, xlen, s, &x[i], &err) == -1) {
			log_error("article '%s': %s", d->art[i].id, err.msg);
			vecs_free(&x, n);
			feat_scratch_destroy(&s);
			return -1;
		}
	}
	feat_scratch_destroy(&s);
	*out = x;
	return 0;
}

/*
 * Score the articles (rows 0..norig) with mod: figures with calibration and
 * length, and with errors != NULL one JSON line per misclassified article
 * (gold, predicted, p and the terms that pushed the prediction).
 */
static void
evaluate(const struct dataset *d, const struct feat_vec *x, int short_form,
    const struct model *mod, const struct feat_vocab *v, struct metrics *m,
    FILE *errors)
{
	struct model_scratch *ms = model_scratch_new();
	double *prob = xcalloc(d->nlabels, sizeof(double));
	struct model_why why[5];
	size_t i, j, nw, xlen;

	metrics_init(m, d->nlabels);
	for (i = 0; i < d->norig; i++) {
		int pred = model_predict(mod, &x[i], ms, prob);

		xlen = short_form ? data_first_sentence(d->art[i].text,
		    d->art[i].xlen) : d->art[i].xlen;
		metrics_add_scored(m, d->y[i], pred, prob[pred],
		    data_words(d->art[i].title, d->art[i].tlen) +
		    data_words(d->art[i].text, xlen));
		if (errors == NULL || pred == d->y[i])
			continue;
		{
			json_t *terms = json_array(), *line;
			char *s;

			if (model_explain(mod, &x[i], pred, 5, why, &nw) == -1)
				nw = 0;
			for (j = 0; j < nw; j++)
				json_array_append_new(terms, json_pack("[s,f]",
				    feat_vocab_term(v, (size_t)why[j].feature),
				    why[j].contrib));
			line = json_pack("{s:s,s:s,s:s,s:f,s:f,s:o}", "id",
			    d->art[i].id ? d->art[i].id : "", "gold",
			    d->labels[d->y[i]], "predicted", d->labels[pred],
			    "p", prob[pred], "p_gold", prob[d->y[i]],
			    "why", terms);
			s = json_dumps(line, JSON_COMPACT |
			    JSON_REAL_PRECISION(4));
			fprintf(errors, "%s\n", s);
			free(s);
			json_decref(line);
		}
	}
	metrics_finish(m);
	free(prob);
	model_scratch_destroy(&ms);
}

static json_t *
metrics_object(const struct metrics *m, char *const *labels)
{
	char *s = metrics_json(m, (const char *const *)labels);
	json_t *o = json_loads(s, 0, NULL);

	free(s);
	return o;
}

/* ---- train ---- */

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

/*
 * Before any work: --out's parent must be a writable directory with room
 * for a bundle (at least twice the training data, a generous bound on a
 * vocabulary and model made from it).
 */
static int
check_out(const char *out, const struct opts *o)
{
	char *parent, *slash;
	struct statvfs vfs;
	struct stat st;
	off_t need = 0;
	size_t i;
	int rc = -1;

	if (*out == '\0') {
		log_error("--out must name the bundle's directory");
		return -1;
	}
	parent = xstrdup(out);
	while (strlen(parent) > 1 && parent[strlen(parent) - 1] == '/')
		parent[strlen(parent) - 1] = '\0';
	slash = strrchr(parent, '/');
	if (slash == NULL)
		strcpy(parent, ".");
	else if (slash == parent)
		parent[1] = '\0';
	else
		*slash = '\0';
	if (stat(parent, &st) == -1 || !S_ISDIR(st.st_mode)) {
		log_error("--out '%s': '%s' is not a directory", out, parent);
		goto out;
	}
	if (access(parent, W_OK | X_OK) == -1) {
		log_error("--out '%s': cannot write in '%s': %s", out, parent,
		    strerror(errno));
		goto out;
	}
	for (i = 0; i < o->ndata; i++)
		if (stat(o->data[i], &st) == 0)
			need += 2 * st.st_size;
	if (statvfs(parent, &vfs) == 0 &&
	    (off_t)(vfs.f_bavail * vfs.f_frsize) < need) {
		log_error("--out '%s': %lld bytes free in '%s', a bundle may "
		    "need %lld", out, (long long)(vfs.f_bavail * vfs.f_frsize),
		    parent, (long long)need);
		goto out;
	}
	rc = 0;
out:
	free(parent);
	return rc;
}

static int
cmd_train(struct opts *o)
{
	static const double grid_C_svm[] = { 0.1, 0.3, 1, 2, 4, 8, 16 };
	static const double grid_C_lin[] = { 0.03, 0.1, 0.3, 1, 3 };
	int lin = o->solver == model_solver_find("liblinear");
	struct search s;
	struct dataset d, td;
	struct feat_vocab *v = NULL;
	struct feat_vec *x = NULL, *tx = NULL;
	struct model *mod = NULL;
	struct calib *cal = NULL;
	struct model_params p;
	struct metrics tm;
	struct bundle_parts parts;
	struct err err;
	json_t *extra = NULL, *files, *counts, *calj = json_object(), *aug;
	const double *Cs = &o->C;
	size_t nC = 1, i;
	int *fold = NULL, rc = 1, have_test = 0;
	double cv_ece = -1, t_start = now_s();
	char desc[256], *extra_s = NULL;
	const char *task;

	memset(&s, 0, sizeof(s));
	if (o->ndata == 0 || o->out == NULL) {
		usage(stderr);
		json_decref(calj);
		return 2;
	}
	if (feat_settings_check(&o->fs, &err) == -1) {
		log_error("%s", err.msg);
		json_decref(calj);
		return 2;
	}
	if (check_out(o->out, o) == -1) {
		json_decref(calj);
		return 2;
	}
	if (data_read(&d, o->data, o->ndata, o->skip_bad, NULL, 0) == -1) {
		json_decref(calj);
		return 2;
	}
	if (o->test && data_read(&td, &o->test, 1, o->skip_bad, d.labels,
	    d.nlabels) == -1) {
		data_free(&d);
		json_decref(calj);
		return 2;
	}
	have_test = o->test != NULL;
	if (o->augment_short)
		data_augment_short(&d);
	if (o->augment_extracts > 0)
		data_augment_extracts(&d, o->augment_extracts, o->seed);
	log_info("%zu training articles, %zu labels, %zu rows", d.norig,
	    d.nlabels, d.n);

	if (o->grid && !o->fixed_C) {
		Cs = lin ? grid_C_lin : grid_C_svm;
		nC = lin ? sizeof(grid_C_lin) / sizeof(grid_C_lin[0]) :
		    sizeof(grid_C_svm) / sizeof(grid_C_svm[0]);
	}
	fold = data_folds(&d, o->folds, o->seed);
	s.o = o;
	s.d = &d;
	s.grid = json_array();
	s.setup.d = &d;
	s.setup.fold = fold;
	s.setup.folds = o->folds;
	s.setup.workers = o->workers;
	model_params_default(&s.setup.params);
	s.setup.params.solver = o->solver;
	s.setup.params.linear = o->linear;
	s.setup.params.probability = 0;
	s.setup.params.seed = o->seed;
	s.setup.min_df = o->grid && !o->fixed_mindf ? 1 : o->fs.min_df;
	s.setup.params.exact = 0;
	s.setup.progress = progress_fold;
	s.setup.idle = search_idle;
	s.setup.idle_arg = &s;
	if (lin && !o->grid)
		s.final_C = o->C;
	s.setup.progress_arg = &s.prog;
	s.prog.o = o;
	s.prog.what = o->grid ? "grid" : "cross-validation";
	s.prog.start = t_start;
	if (search_run(&s, Cs, nC) == -1)
		goto out;
	describe(&s.best.k, s.best.C, desc, sizeof(desc));
	if (!o->json)
		printf("== %d-fold cross-validation (%zu articles, %zu rows)\n"
		    "%s\naccuracy %.4f  macro-F1 %.4f\n", o->folds, d.norig,
		    d.n, desc, s.best.accuracy, s.best.macro_f1);
	if (lin) {
		double t0 = now_s();

		if (calibrate(o, &d, fold, &s.best_res, &cal, &cv_ece,
		    calj) == -1)
			goto out;
		log_info("calibrated in %.1f s", now_s() - t0);
		if (!o->json)
			printf("calibration %s, cross-validated ECE %.4f\n",
			    calib_method_name(calib_method(cal)), cv_ece);
	}

	/* The final model: all rows, the chosen settings. */
	s.prog.t0 = now_s();
	if (o->tty)
		fprintf(stderr, "training the final model (%s)", desc);
	p = s.setup.params;
	p.C = s.best.C;
	p.balanced = s.best.k.balanced;
	p.probability = 1;
	p.exact = 1;
	/*
	 * The final model trained beside the folds numbers its features as
	 * the vocabulary does, unless the vocabulary holds terms no vector
	 * uses (stop word unigrams, kept for their bigrams): then it is
	 * trained here.
	 */
	if (s.final != NULL && s.final_vocab != NULL &&
	    (size_t)model_max_feature(s.final) + 1 ==
	    feat_vocab_size(s.final_vocab)) {
		v = s.final_vocab;
		s.final_vocab = NULL;
		mod = s.final;
		s.final = NULL;
	} else if (cv_build_vocab(&d, NULL, -1, &s.best.k.fs, &v) == -1 ||
	    vectorize_all(&d, d.n, v, 0, &x) == -1 ||
	    model_train(x, d.y, d.n, feat_vocab_size(v), &p, &mod,
	    &err) == -1) {
		log_error("training failed: %s", err.msg);
		goto out;
	}
	if (cal != NULL && model_set_calib(mod, &cal, &err) == -1) {
		log_error("%s", err.msg);
		goto out;
	}
	if (o->tty)
		fputs("\r\033[K", stderr);
	log_info("final model trained in %.1f s", now_s() - s.prog.t0);

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
	counts = json_object();
	for (i = 0; i < d.nlabels; i++) {
		size_t j, c = 0;

		for (j = 0; j < d.norig; j++)
			c += d.y[j] == (int)i;
		json_object_set_new(counts, d.labels[i],
		    json_integer((json_int_t)c));
	}
	aug = json_pack("{s:b,s:i}", "short", o->augment_short, "extracts",
	    o->augment_extracts);
	json_object_set_new(extra, "training", json_pack(
	    "{s:o,s:I,s:I,s:o,s:o,s:s,s:o,s:i,s:i,s:{s:f,s:f,s:f},s:o,s:o}",
	    "data", files, "n_train", (json_int_t)d.norig, "n_rows",
	    (json_int_t)d.n, "label_counts", counts, "augment", aug,
	    "solver", model_solver_name(o->solver), "params",
	    settings_json(&s.best.k, s.best.C), "folds", o->folds, "seed",
	    (int)o->seed, "cv", "accuracy", s.best.accuracy, "macro_f1",
	    s.best.macro_f1, "rows_macro_f1", s.best.rows_macro_f1,
	    "calibration", lin ? json_incref(calj) :
	    json_null(), "grid", o->grid ? json_incref(s.grid) :
	    json_array()));
	if (have_test) {
		const char *base = strrchr(o->test, '/');
		json_t *fig;

		if (vectorize_all(&td, td.n, v, 0, &tx) == -1)
			goto out;
		evaluate(&td, tx, 0, mod, v, &tm, NULL);
		if (!o->json) {
			printf("== held-out test\n");
			metrics_print(&tm, (const char *const *)d.labels,
			    stdout);
		}
		fig = metrics_object(&tm, d.labels);
		json_object_set_new(extra, "test", json_pack("{s:s,s:o}",
		    "file", base ? base + 1 : o->test, "figures", fig));
		metrics_release(&tm);
		vecs_free(&tx, td.n);
		if (vectorize_all(&td, td.n, v, 1, &tx) == -1)
			goto out;
		evaluate(&td, tx, 1, mod, v, &tm, NULL);
		if (!o->json) {
			printf("== held-out test, short form (title + first "
			    "sentence)\n");
			metrics_print(&tm, (const char *const *)d.labels,
			    stdout);
		}
		json_object_set_new(json_object_get(extra, "test"),
		    "short_form", json_pack("{s:f,s:f,s:f}", "accuracy",
		    tm.accuracy, "macro_f1", tm.macro_f1, "ece", tm.ece));
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
	s.prog.t0 = now_s();
	if (bundle_save(o->out, &parts, &err) == -1) {
		log_error("%s", err.msg);
		goto out;
	}
	log_info("bundle written in %.1f s", now_s() - s.prog.t0);
	if (o->json)
		printf("%s\n", extra_s);
	else
		printf("== wrote bundle '%s' (%zu features, %zu labels, "
		    "%.1f s)\n", o->out, feat_vocab_size(v), d.nlabels,
		    now_s() - t_start);
	rc = 0;
out:
	free(extra_s);
	json_decref(extra);
	json_decref(calj);
	json_decref(s.grid);
	free(s.pts);
	cv_counts_release(&s.setup.counts);
	model_destroy(&s.final);
	feat_vocab_destroy(&s.final_vocab);
	cv_result_release(&s.best_res);
	calib_destroy(&cal);
	model_destroy(&mod);
	vecs_free(&x, d.n);
	if (have_test) {
		vecs_free(&tx, td.n);
		data_free(&td);
	}
	feat_vocab_destroy(&v);
	free(fold);
	data_free(&d);
	return rc;
}

/* ---- eval, report, export ---- */

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
	rc = data_read(d, o->data, o->ndata, o->skip_bad, labels, n);
	if (rc == -1) {
		free(labels);
		bundle_destroy(b);
		return 2;
	}
	d->own_labels = 0;
	return 0;
}

/* Evaluate the bundle on o's data: the figures as a JSON object text. */
static int
eval_bundle(const struct opts *o, struct bundle *b, struct dataset *d,
    struct metrics *m)
{
	struct feat_vec *x = NULL;
	FILE *errors = NULL;
	int rc = -1;

	if (o->errors && (errors = fopen(o->errors, "w")) == NULL) {
		log_error("cannot write '%s': %s", o->errors, strerror(errno));
		return -1;
	}
	if (vectorize_all(d, d->n, bundle_vocab(b), o->short_form, &x) == 0) {
		evaluate(d, x, o->short_form, bundle_model(b), bundle_vocab(b),
		    m, errors);
		rc = 0;
	}
	vecs_free(&x, d->n);
	if (errors != NULL && fclose(errors) != 0) {
		log_error("cannot write '%s': %s", o->errors, strerror(errno));
		metrics_release(m);
		rc = -1;
	}
	return rc;
}

static int
cmd_eval(struct opts *o)
{
	struct bundle *b = NULL;
	struct dataset d;
	struct metrics m;
	int rc;

	if ((rc = load_for_bundle(o, &b, &d)) != 0)
		return rc;
	rc = 1;
	if (eval_bundle(o, b, &d, &m) == -1)
		goto out;
	if (o->json) {
		char *s = metrics_json(&m, (const char *const *)d.labels);

		printf("%s\n", s);
		free(s);
	} else {
		printf("== %s (bundle %s %s)%s\n", o->data[0], bundle_task(b),
		    bundle_version(b), o->short_form ? ", short form" : "");
		metrics_print(&m, (const char *const *)d.labels, stdout);
	}
	metrics_release(&m);
	rc = 0;
out:
	free(d.labels);
	data_free(&d);
	bundle_destroy(&b);
	return rc;
}

static int
cmd_report(struct opts *o)
{
	struct bundle *b = NULL;
	struct dataset d;
	struct metrics m;
	struct err err;
	char *eval = NULL, title[256];
	const char *base;
	FILE *f;
	int rc;

	if (o->model == NULL || o->out == NULL) {
		usage(stderr);
		return 2;
	}
	memset(&d, 0, sizeof(d));
	if (o->ndata > 0) {
		if ((rc = load_for_bundle(o, &b, &d)) != 0)
			return rc;
		if (eval_bundle(o, b, &d, &m) == -1) {
			rc = 1;
			goto out;
		}
		eval = metrics_json(&m, (const char *const *)d.labels);
		metrics_release(&m);
	} else if (bundle_load(o->model, &b, &err) == -1) {
		log_error("%s", err.msg);
		return 2;
	}
	base = o->ndata ? strrchr(o->data[0], '/') : NULL;
	snprintf(title, sizeof(title), "%s %s%s%s", bundle_task(b),
	    bundle_version(b), o->ndata ? " on " : "", o->ndata ?
	    (base ? base + 1 : o->data[0]) : "");
	rc = 1;
	if ((f = fopen(o->out, "w")) == NULL) {
		log_error("cannot write '%s': %s", o->out, strerror(errno));
		goto out;
	}
	if (report_write(f, bundle_meta_json(b), eval, title, &err) == -1) {
		log_error("%s", err.msg);
		fclose(f);
		goto out;
	}
	if (fclose(f) != 0) {
		log_error("cannot write '%s': %s", o->out, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(eval);
	if (o->ndata > 0) {
		free(d.labels);
		data_free(&d);
	}
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
	if (vectorize_all(&d, d.n, bundle_vocab(b), o->short_form, &x) == -1)
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
	free(d.labels);
	data_free(&d);
	bundle_destroy(&b);
	return rc;
}

/* ---- main ---- */

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
	OPT_AUGSHORT, OPT_SOLVER, OPT_SCHEME, OPT_CALIB, OPT_WORKERS,
	OPT_ERRORS, OPT_CLEAN, OPT_NOCLEAN, OPT_STOP, OPT_NOSTOP, OPT_HELP
};

/* --augment short | extracts N (N as the next word, or extracts=N). */
static int
parse_augment(struct opts *o, const char *arg, int argc, char **argv)
{
	const char *n = NULL;

	if (strcmp(arg, "short") == 0) {
		o->augment_short = 1;
		return 0;
	}
	if (strncmp(arg, "extracts=", 9) == 0)
		n = arg + 9;
	else if (strcmp(arg, "extracts") == 0 && optind < argc)
		n = argv[optind++];
	if (n == NULL) {
		log_error("--augment takes 'short' or 'extracts N', not '%s'",
		    arg);
		return -1;
	}
	return parse_int(n, "augment extracts", 1, 20, &o->augment_extracts);
}

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
		{ "no-balanced", no_argument, NULL, OPT_NOBAL },
		{ "stem", no_argument, NULL, OPT_STEM },
		{ "no-stem", no_argument, NULL, OPT_NOSTEM },
		{ "augment", required_argument, NULL, OPT_AUG },
		{ "augment-short", no_argument, NULL, OPT_AUGSHORT },
		{ "solver", required_argument, NULL, OPT_SOLVER },
		{ "scheme", required_argument, NULL, OPT_SCHEME },
		{ "calibration", required_argument, NULL, OPT_CALIB },
		{ "workers", required_argument, NULL, OPT_WORKERS },
		{ "errors", required_argument, NULL, OPT_ERRORS },
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
	long ncpu;

	log_init("newsclass-train", LOG_LEVEL_INFO);
	model_set_print(NULL);
	if (sodium_init() < 0)
		log_fatal(1, "cannot initialise libsodium");
	memset(&o, 0, sizeof(o));
	o.folds = 5;
	o.seed = 1;
	o.C = 1.0;
	o.tty = isatty(STDERR_FILENO);
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	o.workers = ncpu > 0 ? (int)ncpu : 1;
	o.solver = model_solver_find("liblinear");
	o.linear = linmodel_solver_find("L2R_L2LOSS_SVC_DUAL");
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
		case OPT_ERRORS: o.errors = optarg; break;
		case OPT_C:
			errno = 0;
			o.C = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(o.C > 0) ||
			    !isfinite(o.C))
				log_fatal(2, "--C must be a positive number, "
				    "not '%s'", optarg);
			o.fixed_C = 1;
			break;
		case OPT_FOLDS:
			if (parse_int(optarg, "folds", 2, 100, &o.folds) == -1)
				return 2;
			break;
		case OPT_WORKERS:
			if (parse_int(optarg, "workers", 1, 64,
			    &o.workers) == -1)
				return 2;
			break;
		case OPT_SEED:
			if (parse_int(optarg, "seed", 0, INT32_MAX, &seed) == -1)
				return 2;
			o.seed = (unsigned)seed;
			break;
		case OPT_SOLVER:
			o.solver = model_solver_find(optarg);
			if (o.solver == NULL)
				log_fatal(2, "--solver must be liblinear or "
				    "libsvm, not '%s'", optarg);
			break;
		case OPT_SCHEME:
			o.linear = strcmp(optarg, "ovr") == 0 ?
			    linmodel_solver_find("L2R_L2LOSS_SVC_DUAL") :
			    strcmp(optarg, "cs") == 0 ?
			    linmodel_solver_find("MCSVM_CS") : NULL;
			if (o.linear == NULL)
				log_fatal(2, "--scheme must be ovr or cs, not "
				    "'%s'", optarg);
			break;
		case OPT_CALIB:
			if ((o.calib = calib_method_find(optarg)) == NULL)
				log_fatal(2, "--calibration must be platt or "
				    "temperature, not '%s'", optarg);
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
			if (parse_augment(&o, optarg, argc, argv) == -1)
				return 2;
			break;
		case OPT_AUGSHORT:
			o.augment_short = 1;
			break;
		case OPT_STEM:
		case OPT_NOSTEM:
			o.fs.text_flags = with_flag(o.fs.text_flags, TEXT_STEM,
			    ch == OPT_STEM);
			o.fixed_stem = 1;
			break;
		case OPT_CLEAN:
		case OPT_NOCLEAN:
			o.fs.text_flags = with_flag(o.fs.text_flags,
			    TEXT_CLEAN_HTML | TEXT_CLEAN_BOILERPLATE,
			    ch == OPT_CLEAN);
			o.fixed_clean = 1;
			break;
		case OPT_STOP:
		case OPT_NOSTOP:
			o.fs.text_flags = with_flag(o.fs.text_flags,
			    TEXT_STOPWORDS, ch == OPT_STOP);
			o.fixed_stop = 1;
			break;
		case OPT_BAL:
		case OPT_NOBAL:
			o.balanced = ch == OPT_BAL;
			o.fixed_balanced = 1;
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
	if (strcmp(cmd, "report") == 0)
		return cmd_report(&o);
	if (strcmp(cmd, "export") == 0)
		return cmd_export(&o);
	log_error("unknown command '%s'", cmd);
	usage(stderr);
	return 2;
}
