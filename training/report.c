/*
 * report.c - the model report page: meta.json (and an evaluation) to one
 * self-contained HTML file.
 *
 * Two passes.  parse_meta and parse_figures check the JSON and copy what
 * the page draws into struct rep (numbers, and strings borrowed from the
 * jansson trees, which live until the end of report_write); every check
 * happens there, so a malformed input writes nothing.  The sec_* functions
 * then append the page to one struct buf, which goes to the FILE in one
 * write.  Rendering cannot fail.
 *
 * Charts are SVG drawn at fixed sizes (a few hundred pixels) and scale down
 * with the page.  Text widths inside SVG are estimated at 0.6 em a
 * character, and long labels are shortened there (the full label is in the
 * element's tooltip and in the HTML tables).  Sizes: the confusion matrix
 * is k * k cells, about 200 bytes each, so 50 labels make a page of about
 * half a megabyte; everything else is linear in the input.
 *
 * Determinism: no clock, and numbers go through printf under a "C" locale
 * set for this thread only (uselocale), so the same inputs give the same
 * bytes.  jansson keeps object keys in input order, which is the order the
 * page lists them in.
 */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "report.h"
#include "xalloc.h"

#define NA_REC	"not recorded"
#define NA_AV	"not available"
#define CTX_MAX	160
#define SVG_LABEL_MAX	28	/* characters of a label shown in a chart */
#define CONF_W		950	/* confusion matrix: width to fill, pixels */
#define CELL_MAX	72	/* its cells' sides, pixels */
#define CELL_MIN	14

struct bin {
	double lo, hi, mean_p, acc;
	json_int_t n;
};

struct bucket {
	json_int_t lo, hi, n;	/* hi < 0: open-ended */
	double acc;
};

/* Figures on labelled data: an evaluation, or meta.json's test figures. */
struct figures {
	size_t k;
	json_int_t n;
	double acc, macro_f1;
	double *prec, *rec, *f1;	/* k each */
	json_int_t *support;		/* k */
	json_int_t *conf;		/* k * k: [truth * k + predicted] */
	int has_ece, has_rel, has_len;
	double ece;
	struct bin *rel;
	size_t nrel;
	struct bucket *len;
	size_t nlen;
};

struct grid_row {
	json_t *row;
	double C, f1, acc;
	int has_acc;
	size_t group;
};

struct count {
	const char *label;
	json_int_t n;
};

struct rep {
	struct buf b;
	const char *title;
	/* The bundle. */
	const char *task, *version;
	const char **labels;
	size_t k;
	json_t *features, *params, *calib, *files;	/* NULL: absent */
	json_int_t n_features, n_train, folds, seed;
	int has_n_features, has_n_train, has_folds, has_seed;
	int has_cv;
	double cv_acc, cv_f1;
	const char *solver, *scheme, *calib_method;
	int has_calib_ece;
	double calib_ece;
	struct count *counts;
	size_t ncounts;
	int has_counts;
	struct grid_row *grid;
	size_t ngrid, ngroups;
	int has_grid;
	const char **vary;	/* grid keys whose values differ across rows */
	size_t nvary;
	const char *test_file;
	struct figures test;
	int has_test_fig, has_short;
	double short_acc, short_f1;
	/* The evaluation, if one was given. */
	int has_eval;
	struct figures eval;
	/* What the matrix and the tables show: &eval, &test or NULL. */
	const struct figures *fig;
};

/* ---- Checking the input ---------------------------------------------- */

/*
 * The field key of o, or NULL when absent or null.  required: a missing
 * field is an error (-1).
 */
static int
field(json_t *o, const char *key, int required, const char *ctx,
    json_t **v, struct err *err)
{
	*v = json_object_get(o, key);
	if (*v != NULL && json_is_null(*v))
		*v = NULL;
	if (*v == NULL && required)
		return err_set(err, "%s: missing field '%s'", ctx, key);
	return 0;
}

/* The following return 1 (found), 0 (absent, not required) or -1. */

static int
get_str(json_t *o, const char *key, int required, const char *ctx,
    const char **out, struct err *err)
{
	json_t *v;

	if (field(o, key, required, ctx, &v, err) == -1)
		return -1;
	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return err_set(err, "%s: field '%s' must be a string", ctx,
		    key);
	*out = json_string_value(v);
	return 1;
}

static int
get_count(json_t *o, const char *key, int required, const char *ctx,
    json_int_t *out, struct err *err)
{
	json_t *v;

	if (field(o, key, required, ctx, &v, err) == -1)
		return -1;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return err_set(err, "%s: field '%s' must be a non-negative "
		    "integer", ctx, key);
	*out = json_integer_value(v);
	return 1;
}

static int
get_num(json_t *o, const char *key, int required, const char *ctx,
    double *out, struct err *err)
{
	json_t *v;

	if (field(o, key, required, ctx, &v, err) == -1)
		return -1;
	if (v == NULL)
		return 0;
	if (!json_is_number(v))
		return err_set(err, "%s: field '%s' must be a number", ctx,
		    key);
	*out = json_number_value(v);
	return 1;
}

/* A number in [0, 1]: accuracies, probabilities, shares. */
static int
get_prob(json_t *o, const char *key, int required, const char *ctx,
    double *out, struct err *err)
{
	int rc = get_num(o, key, required, ctx, out, err);

	if (rc == 1 && !(*out >= 0 && *out <= 1))
		return err_set(err, "%s: field '%s' must be between 0 and 1",
		    ctx, key);
	return rc;
}

static int
get_type(json_t *o, const char *key, int required, const char *ctx,
    json_type type, json_t **out, struct err *err)
{
	json_t *v;

	if (field(o, key, required, ctx, &v, err) == -1)
		return -1;
	*out = NULL;
	if (v == NULL)
		return 0;
	if (json_typeof(v) != type)
		return err_set(err, "%s: field '%s' must be %s", ctx, key,
		    type == JSON_OBJECT ? "an object" : "an array");
	*out = v;
	return 1;
}

static void
figures_release(struct figures *fg)
{
	free(fg->prec);
	free(fg->rec);
	free(fg->f1);
	free(fg->support);
	free(fg->conf);
	free(fg->rel);
	free(fg->len);
	memset(fg, 0, sizeof(*fg));
}

static int
parse_reliability(json_t *arr, const char *ctx, struct figures *fg,
    struct err *err)
{
	char c[CTX_MAX];
	size_t i;

	fg->nrel = json_array_size(arr);
	if (fg->nrel == 0)
		return 0;
	fg->rel = xcalloc(fg->nrel, sizeof(*fg->rel));
	for (i = 0; i < fg->nrel; i++) {
		json_t *o = json_array_get(arr, i);
		struct bin *bn = &fg->rel[i];

		snprintf(c, sizeof(c), "%s: reliability[%zu]", ctx, i);
		if (!json_is_object(o))
			return err_set(err, "%s: not an object", c);
		if (get_prob(o, "lo", 1, c, &bn->lo, err) == -1 ||
		    get_prob(o, "hi", 1, c, &bn->hi, err) == -1 ||
		    get_count(o, "n", 1, c, &bn->n, err) == -1 ||
		    get_prob(o, "mean_p", bn->n > 0, c, &bn->mean_p,
		    err) == -1 ||
		    get_prob(o, "accuracy", bn->n > 0, c, &bn->acc, err) == -1)
			return -1;
		if (bn->hi < bn->lo)
			return err_set(err, "%s: 'hi' is below 'lo'", c);
	}
	fg->has_rel = 1;
	return 0;
}

static int
parse_by_length(json_t *arr, const char *ctx, struct figures *fg,
    struct err *err)
{
	char c[CTX_MAX];
	size_t i;

	fg->nlen = json_array_size(arr);
	if (fg->nlen == 0)
		return 0;
	fg->len = xcalloc(fg->nlen, sizeof(*fg->len));
	for (i = 0; i < fg->nlen; i++) {
		json_t *o = json_array_get(arr, i);
		struct bucket *bk = &fg->len[i];
		int rc;

		snprintf(c, sizeof(c), "%s: by_length[%zu]", ctx, i);
		if (!json_is_object(o))
			return err_set(err, "%s: not an object", c);
		if (get_count(o, "lo", 1, c, &bk->lo, err) == -1 ||
		    (rc = get_count(o, "hi", 0, c, &bk->hi, err)) == -1 ||
		    get_count(o, "n", 1, c, &bk->n, err) == -1 ||
		    get_prob(o, "accuracy", bk->n > 0, c, &bk->acc, err) == -1)
			return -1;
		if (rc == 0)
			bk->hi = -1;
		else if (bk->hi < bk->lo)
			return err_set(err, "%s: 'hi' is below 'lo'", c);
	}
	fg->has_len = 1;
	return 0;
}

/*
 * Figures object o (ctx names it in errors) into fg, for the bundle's
 * labels.
 */
static int
parse_figures(json_t *o, const char *ctx, const struct rep *r,
    struct figures *fg, struct err *err)
{
	json_t *labels, *pc, *conf, *arr;
	char c[CTX_MAX];
	size_t i, j, k = r->k;

	memset(fg, 0, sizeof(*fg));
	if (!json_is_object(o))
		return err_set(err, "%s: not a JSON object", ctx);
	if (get_count(o, "n", 1, ctx, &fg->n, err) == -1 ||
	    get_prob(o, "accuracy", 1, ctx, &fg->acc, err) == -1 ||
	    get_prob(o, "macro_f1", 1, ctx, &fg->macro_f1, err) == -1 ||
	    get_type(o, "labels", 1, ctx, JSON_ARRAY, &labels, err) == -1 ||
	    get_type(o, "per_class", 1, ctx, JSON_OBJECT, &pc, err) == -1 ||
	    get_type(o, "confusion", 1, ctx, JSON_ARRAY, &conf, err) == -1)
		return -1;
	if (json_array_size(labels) != k)
		return err_set(err, "%s: %zu labels, the bundle has %zu", ctx,
		    json_array_size(labels), k);
	for (i = 0; i < k; i++) {
		json_t *l = json_array_get(labels, i);

		if (!json_is_string(l) ||
		    strcmp(json_string_value(l), r->labels[i]) != 0)
			return err_set(err, "%s: label %zu is not the bundle's "
			    "label '%s'", ctx, i, r->labels[i]);
	}
	fg->k = k;
	fg->prec = xcalloc(k, sizeof(double));
	fg->rec = xcalloc(k, sizeof(double));
	fg->f1 = xcalloc(k, sizeof(double));
	fg->support = xcalloc(k, sizeof(json_int_t));
	fg->conf = xcalloc(k * k, sizeof(json_int_t));
	for (i = 0; i < k; i++) {
		json_t *pl;

		snprintf(c, sizeof(c), "%s: per_class", ctx);
		if (get_type(pc, r->labels[i], 1, c, JSON_OBJECT, &pl,
		    err) == -1)
			return -1;
		snprintf(c, sizeof(c), "%s: per_class '%s'", ctx,
		    r->labels[i]);
		if (get_prob(pl, "precision", 1, c, &fg->prec[i], err) == -1 ||
		    get_prob(pl, "recall", 1, c, &fg->rec[i], err) == -1 ||
		    get_prob(pl, "f1", 1, c, &fg->f1[i], err) == -1 ||
		    get_count(pl, "support", 1, c, &fg->support[i], err) == -1)
			return -1;
	}
	if (json_array_size(conf) != k)
		return err_set(err, "%s: confusion has %zu rows, expected %zu",
		    ctx, json_array_size(conf), k);
	for (i = 0; i < k; i++) {
		json_t *row = json_array_get(conf, i);

		if (!json_is_array(row) || json_array_size(row) != k)
			return err_set(err, "%s: confusion row %zu is not an "
			    "array of %zu counts", ctx, i, k);
		for (j = 0; j < k; j++) {
			json_t *v = json_array_get(row, j);

			if (!json_is_integer(v) || json_integer_value(v) < 0)
				return err_set(err, "%s: confusion[%zu][%zu] "
				    "must be a non-negative integer", ctx, i,
				    j);
			fg->conf[i * k + j] = json_integer_value(v);
		}
	}
	if ((fg->has_ece = get_prob(o, "ece", 0, ctx, &fg->ece, err)) == -1 ||
	    get_type(o, "reliability", 0, ctx, JSON_ARRAY, &arr, err) == -1 ||
	    (arr && parse_reliability(arr, ctx, fg, err) == -1) ||
	    get_type(o, "by_length", 0, ctx, JSON_ARRAY, &arr, err) == -1 ||
	    (arr && parse_by_length(arr, ctx, fg, err) == -1))
		return -1;
	return 0;
}

/* training.label_counts: the bundle's labels first, then any others. */
static int
parse_counts(json_t *o, struct rep *r, struct err *err)
{
	const char *ctx = "meta.json: label_counts", *key;
	json_t *v;
	size_t i;

	r->counts = xcalloc(r->k + json_object_size(o) + 1,
	    sizeof(*r->counts));
	for (i = 0; i < r->k; i++)
		if (json_object_get(o, r->labels[i]) != NULL) {
			struct count *c = &r->counts[r->ncounts++];

			c->label = r->labels[i];
			if (get_count(o, c->label, 1, ctx, &c->n, err) == -1)
				return -1;
		}
	json_object_foreach(o, key, v) {
		struct count *c;

		for (i = 0; i < r->k; i++)
			if (strcmp(key, r->labels[i]) == 0)
				break;
		if (i < r->k)
			continue;
		c = &r->counts[r->ncounts++];
		c->label = key;
		if (get_count(o, key, 1, ctx, &c->n, err) == -1)
			return -1;
	}
	r->has_counts = 1;
	return 0;
}

static int
is_grid_figure(const char *key)
{
	return strcmp(key, "C") == 0 || strcmp(key, "cv_accuracy") == 0 ||
	    strcmp(key, "cv_macro_f1") == 0;
}

/*
 * The grid's rows, the keys that vary across them (other than C and the
 * figures) and the groups of rows that agree on those keys: one line each.
 */
static int
parse_grid(json_t *arr, struct rep *r, struct err *err)
{
	char c[CTX_MAX];
	const char *key;
	json_t *v;
	size_t i, j, n = json_array_size(arr), nkeys = 0;
	const char **keys = NULL;

	r->has_grid = 1;
	if (n == 0)
		return 0;
	r->grid = xcalloc(n, sizeof(*r->grid));
	r->ngrid = n;
	for (i = 0; i < n; i++) {
		struct grid_row *g = &r->grid[i];
		int rc;

		snprintf(c, sizeof(c), "meta.json: training.grid[%zu]", i);
		g->row = json_array_get(arr, i);
		if (!json_is_object(g->row))
			return err_set(err, "%s: not an object", c);
		if (get_num(g->row, "C", 1, c, &g->C, err) == -1 ||
		    get_prob(g->row, "cv_macro_f1", 1, c, &g->f1, err) == -1 ||
		    (rc = get_prob(g->row, "cv_accuracy", 0, c, &g->acc,
		    err)) == -1)
			return -1;
		if (!(g->C > 0))
			return err_set(err, "%s: 'C' must be positive", c);
		g->has_acc = rc;
	}
	/* The other keys, in order of first appearance (no failure here). */
	for (i = 0; i < n; i++) {
		json_object_foreach(r->grid[i].row, key, v) {
			if (is_grid_figure(key))
				continue;
			for (j = 0; j < nkeys; j++)
				if (strcmp(keys[j], key) == 0)
					break;
			if (j == nkeys) {
				keys = xreallocarray(keys, nkeys + 1,
				    sizeof(*keys));
				keys[nkeys++] = key;
			}
		}
	}
	r->vary = xcalloc(nkeys + 1, sizeof(*r->vary));
	for (j = 0; j < nkeys; j++) {
		json_t *first = json_object_get(r->grid[0].row, keys[j]);

		for (i = 1; i < n; i++) {
			v = json_object_get(r->grid[i].row, keys[j]);
			if ((v == NULL) != (first == NULL) ||
			    (v && !json_equal(v, first)))
				break;
		}
		if (i < n)
			r->vary[r->nvary++] = keys[j];
	}
	free(keys);
	for (i = 0; i < n; i++) {
		size_t g;

		for (g = 0; g < i; g++) {
			for (j = 0; j < r->nvary; j++) {
				json_t *a = json_object_get(r->grid[i].row,
				    r->vary[j]);
				json_t *b = json_object_get(r->grid[g].row,
				    r->vary[j]);

				if ((a == NULL) != (b == NULL) ||
				    (a && !json_equal(a, b)))
					break;
			}
			if (j == r->nvary)
				break;
		}
		r->grid[i].group = g < i ? r->grid[g].group : r->ngroups++;
	}
	return 0;
}

/*
 * A key of training, or else of the "model" object (format 2: solver,
 * scheme, calibration), or else of the top level.
 */
static json_t *
training_or_top(json_t *meta, json_t *training, const char *key)
{
	json_t *v = training ? json_object_get(training, key) : NULL;
	json_t *model = json_object_get(meta, "model");

	if (v == NULL && json_is_object(model))
		v = json_object_get(model, key);
	return v ? v : json_object_get(meta, key);
}

static int
parse_training(json_t *meta, json_t *t, struct rep *r, struct err *err)
{
	const char *ctx = "meta.json: training";
	json_t *cv, *grid, *v;
	int rc;

	if (t) {
		if ((r->has_n_train = get_count(t, "n_train", 0, ctx,
		    &r->n_train, err)) == -1 ||
		    (r->has_folds = get_count(t, "folds", 0, ctx, &r->folds,
		    err)) == -1 ||
		    (r->has_seed = get_count(t, "seed", 0, ctx, &r->seed,
		    err)) == -1 ||
		    get_type(t, "params", 0, ctx, JSON_OBJECT, &r->params,
		    err) == -1 ||
		    get_type(t, "data", 0, ctx, JSON_ARRAY, &r->files,
		    err) == -1 ||
		    get_type(t, "cv", 0, ctx, JSON_OBJECT, &cv, err) == -1 ||
		    get_type(t, "grid", 0, ctx, JSON_ARRAY, &grid, err) == -1)
			return -1;
		if (cv && (get_prob(cv, "accuracy", 1, "meta.json: training.cv",
		    &r->cv_acc, err) == -1 || get_prob(cv, "macro_f1", 1,
		    "meta.json: training.cv", &r->cv_f1, err) == -1))
			return -1;
		r->has_cv = cv != NULL;
		if (grid && parse_grid(grid, r, err) == -1)
			return -1;
	}
	if (r->files) {
		size_t i;

		for (i = 0; i < json_array_size(r->files); i++) {
			json_t *o = json_array_get(r->files, i);
			const char *s;
			json_int_t n;

			if (!json_is_object(o))
				return err_set(err, "%s: data[%zu] is not an "
				    "object", ctx, i);
			if (get_str(o, "file", 0, ctx, &s, err) == -1 ||
			    get_count(o, "bytes", 0, ctx, &n, err) == -1)
				return -1;
		}
	}
	/* The newer keys: in training, or else at the top level. */
	if ((v = training_or_top(meta, t, "solver")) != NULL &&
	    !json_is_null(v)) {
		if (!json_is_string(v))
			return err_set(err, "meta.json: 'solver' must be a "
			    "string");
		r->solver = json_string_value(v);
	}
	if ((v = training_or_top(meta, t, "scheme")) != NULL &&
	    !json_is_null(v)) {
		if (!json_is_string(v))
			return err_set(err, "meta.json: 'scheme' must be a "
			    "string");
		r->scheme = json_string_value(v);
	}
	if ((v = training_or_top(meta, t, "label_counts")) != NULL &&
	    !json_is_null(v)) {
		if (!json_is_object(v))
			return err_set(err, "meta.json: 'label_counts' must be "
			    "an object");
		if (parse_counts(v, r, err) == -1)
			return -1;
	}
	if ((v = training_or_top(meta, t, "calibration")) != NULL &&
	    !json_is_null(v)) {
		if (!json_is_object(v))
			return err_set(err, "meta.json: 'calibration' must be "
			    "an object");
		r->calib = v;
		if (get_str(v, "method", 0, "meta.json: calibration",
		    &r->calib_method, err) == -1 ||
		    (rc = get_prob(v, "ece", 0, "meta.json: calibration",
		    &r->calib_ece, err)) == -1)
			return -1;
		r->has_calib_ece = rc;
	}
	return 0;
}

static int
parse_meta(json_t *meta, struct rep *r, struct err *err)
{
	const char *ctx = "meta.json";
	json_t *labels, *t, *test, *o;
	size_t i, j;

	if (!json_is_object(meta))
		return err_set(err, "meta.json: not a JSON object");
	if (get_str(meta, "task", 1, ctx, &r->task, err) == -1 ||
	    get_str(meta, "version", 1, ctx, &r->version, err) == -1 ||
	    get_type(meta, "labels", 1, ctx, JSON_ARRAY, &labels, err) == -1)
		return -1;
	r->k = json_array_size(labels);
	if (r->k == 0)
		return err_set(err, "meta.json: 'labels' is empty");
	r->labels = xcalloc(r->k, sizeof(*r->labels));
	for (i = 0; i < r->k; i++) {
		json_t *l = json_array_get(labels, i);

		if (!json_is_string(l))
			return err_set(err, "meta.json: labels[%zu] is not a "
			    "string", i);
		r->labels[i] = json_string_value(l);
		for (j = 0; j < i; j++)
			if (strcmp(r->labels[j], r->labels[i]) == 0)
				return err_set(err, "meta.json: label '%s' "
				    "appears twice", r->labels[i]);
	}
	if (get_type(meta, "features", 0, ctx, JSON_OBJECT, &r->features,
	    err) == -1 ||
	    (r->has_n_features = get_count(meta, "n_features", 0, ctx,
	    &r->n_features, err)) == -1 ||
	    get_type(meta, "training", 0, ctx, JSON_OBJECT, &t, err) == -1 ||
	    parse_training(meta, t, r, err) == -1 ||
	    get_type(meta, "test", 0, ctx, JSON_OBJECT, &test, err) == -1)
		return -1;
	if (test == NULL)
		return 0;
	ctx = "meta.json: test";
	if (get_str(test, "file", 0, ctx, &r->test_file, err) == -1 ||
	    get_type(test, "figures", 0, ctx, JSON_OBJECT, &o, err) == -1)
		return -1;
	if (o) {
		if (parse_figures(o, "meta.json: test.figures", r, &r->test,
		    err) == -1)
			return -1;
		r->has_test_fig = 1;
	}
	if (get_type(test, "short_form", 0, ctx, JSON_OBJECT, &o, err) == -1)
		return -1;
	if (o) {
		ctx = "meta.json: test.short_form";
		if (get_prob(o, "accuracy", 1, ctx, &r->short_acc, err) == -1 ||
		    get_prob(o, "macro_f1", 1, ctx, &r->short_f1, err) == -1)
			return -1;
		r->has_short = 1;
	}
	return 0;
}

/* ---- Writing text ------------------------------------------------------ */

/* Characters (code points) of UTF-8 text s. */
static size_t
ulen(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/*
 * s, HTML-escaped, shortened to max characters with an ellipsis (max 0:
 * all of it).  Control characters, which HTML does not allow, become
 * U+FFFD.  Escaped text is safe in element content and in quoted
 * attributes alike.
 */
static void
esc_max(struct buf *b, const char *s, size_t max)
{
	const unsigned char *p;
	size_t keep = (max && ulen(s) > max) ? max - 1 : (size_t)-1, n = 0;

	for (p = (const unsigned char *)s; *p; p++) {
		if ((*p & 0xc0) != 0x80 && n++ == keep) {
			buf_addstr(b, "\xe2\x80\xa6");	/* ... */
			return;
		}
		switch (*p) {
		case '&':
			buf_addstr(b, "&amp;");
			break;
		case '<':
			buf_addstr(b, "&lt;");
			break;
		case '>':
			buf_addstr(b, "&gt;");
			break;
		case '"':
			buf_addstr(b, "&quot;");
			break;
		case '\'':
			buf_addstr(b, "&#39;");
			break;
		default:
			if ((*p < 0x20 && *p != '\t' && *p != '\n') ||
			    *p == 0x7f)
				buf_addstr(b, "\xef\xbf\xbd");
			else
				buf_addch(b, (char)*p);
		}
	}
}

static void
esc(struct buf *b, const char *s)
{
	esc_max(b, s, 0);
}

/* A count with narrow no-break spaces between thousands: 71 623. */
static void
add_count(struct buf *b, json_int_t n)
{
	char tmp[32];
	size_t len, i;

	snprintf(tmp, sizeof(tmp), "%" JSON_INTEGER_FORMAT, n);
	len = strlen(tmp);
	for (i = 0; i < len; i++) {
		if (i > 0 && tmp[i - 1] != '-' && (len - i) % 3 == 0)
			buf_addstr(b, "&#8239;");
		buf_addch(b, tmp[i]);
	}
}

/* Scores (accuracy, F1, ...) keep four decimals, as the CLI prints them. */
static void
add_score(struct buf *b, double v)
{
	buf_addf(b, "%.4f", v);
}

static void
add_pct(struct buf *b, double v)
{
	buf_addf(b, "%.1f%%", 100 * v);
}

static void
add_bytes(struct buf *b, json_int_t n)
{
	if (n < 1000)
		buf_addf(b, "%" JSON_INTEGER_FORMAT " bytes", n);
	else if (n < 1000000)
		buf_addf(b, "%.1f kB", n / 1e3);
	else
		buf_addf(b, "%.1f MB", n / 1e6);
}

/* A JSON value as text: settings and other recorded values. */
static void
add_value(struct buf *b, json_t *v)
{
	char *s;

	switch (json_typeof(v)) {
	case JSON_STRING:
		esc(b, json_string_value(v));
		break;
	case JSON_INTEGER:
		buf_addf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		buf_addf(b, "%g", json_real_value(v));
		break;
	case JSON_TRUE:
		buf_addstr(b, "yes");
		break;
	case JSON_FALSE:
		buf_addstr(b, "no");
		break;
	case JSON_NULL:
		buf_addstr(b, "\xe2\x80\x94");	/* em dash */
		break;
	default:
		s = json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(6));
		esc(b, s ? s : "?");
		free(s);
	}
}

/*
 * Each key of object o as a "key value" chip, but skip1 and skip2 (or
 * NULL), already shown.
 */
static void
add_chips(struct buf *b, json_t *o, const char *skip1, const char *skip2)
{
	const char *key;
	json_t *v;

	json_object_foreach(o, key, v) {
		if ((skip1 && strcmp(key, skip1) == 0) ||
		    (skip2 && strcmp(key, skip2) == 0))
			continue;
		buf_addstr(b, "<span class=\"chip\">");
		esc(b, key);
		buf_addstr(b, " <b>");
		add_value(b, v);
		buf_addstr(b, "</b></span> ");
	}
}

static void
na(struct buf *b, const char *what)
{
	buf_addstr(b, "<span class=\"na\">");
	buf_addstr(b, what);
	buf_addstr(b, "</span>");
}

static void
section_open(struct buf *b, const char *id, const char *heading)
{
	buf_addf(b, "<section id=\"%s\">\n<h2>%s</h2>\n", id, heading);
}

static void
section_close(struct buf *b)
{
	buf_addstr(b, "</section>\n");
}

/* Width in pixels of a chart label in a font of size px, estimated. */
static double
text_w(const char *s, double px)
{
	size_t n = ulen(s);

	return (n > SVG_LABEL_MAX ? SVG_LABEL_MAX : n) * px * 0.6;
}

/* A label inside SVG: shortened, with the full text as its tooltip. */
static void
svg_label(struct buf *b, const char *s, double x, double y, double px,
    const char *attrs)
{
	buf_addf(b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.1f\"%s>",
	    x, y, px, attrs);
	esc_max(b, s, SVG_LABEL_MAX);
	buf_addstr(b, "<title>");
	esc(b, s);
	buf_addstr(b, "</title></text>");
}

/* ---- Colours ----------------------------------------------------------- */

/* ColorBrewer "Blues", 9 classes: a sequential scale from 0 to 1. */
static const unsigned char blues[9][3] = {
	{ 0xf7, 0xfb, 0xff }, { 0xde, 0xeb, 0xf7 }, { 0xc6, 0xdb, 0xef },
	{ 0x9e, 0xca, 0xe1 }, { 0x6b, 0xae, 0xd6 }, { 0x42, 0x92, 0xc6 },
	{ 0x21, 0x71, 0xb5 }, { 0x08, 0x51, 0x9c }, { 0x08, 0x30, 0x6b },
};

/* Tableau 10: categorical, for the grid's lines. */
static const char *const palette[10] = {
	"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
	"#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
};

static const char *const dashes[4] = { "", "6 3", "2 3", "9 3 2 3" };

static void
add_blue(struct buf *b, double s)
{
	double x = (s < 0 ? 0 : s > 1 ? 1 : s) * 8;
	int i = x >= 8 ? 7 : (int)x, c;
	double t = x - i;

	buf_addch(b, '#');
	for (c = 0; c < 3; c++)
		buf_addf(b, "%02x", (unsigned)lround(blues[i][c] +
		    t * (blues[i + 1][c] - blues[i][c])));
}

/* ---- The page ----------------------------------------------------------- */

static const char css[] =
":root{--fg:#1f2328;--muted:#59636e;--line:#d0d7de;--soft:#eaeef2;"
"--accent:#2171b5}\n"
"*{box-sizing:border-box}\n"
"html{background:#f6f8fa}\n"
"body{margin:0;color:var(--fg);font:15px/1.5 system-ui,-apple-system,"
"\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,\"Noto Sans\","
"\"Liberation Sans\",sans-serif}\n"
"main{max-width:1080px;margin:0 auto;padding:28px 24px 40px}\n"
"header{margin:0 0 8px}\n"
"h1{font-size:26px;font-weight:600;margin:0;letter-spacing:-.01em}\n"
".sub{color:var(--muted);margin:2px 0 0;overflow-wrap:anywhere}\n"
"section{background:#fff;border:1px solid var(--line);border-radius:8px;"
"padding:18px 24px 20px;margin:18px 0}\n"
"h2{font-size:18px;font-weight:600;margin:0 0 10px}\n"
"p{margin:6px 0}\n"
".note{color:var(--muted);font-size:13.5px}\n"
".na{color:var(--muted);font-style:italic}\n"
".cards{display:grid;grid-template-columns:repeat(auto-fit,"
"minmax(190px,1fr));gap:12px;margin:4px 0 16px}\n"
".card{border:1px solid var(--line);border-radius:6px;padding:10px 14px;"
"background:#fbfcfd}\n"
".card .k{color:var(--muted);font-size:13px}\n"
".card .v{font-size:24px;font-weight:600;"
"font-variant-numeric:tabular-nums}\n"
".card .d{color:var(--muted);font-size:13px}\n"
"table{border-collapse:collapse;font-variant-numeric:tabular-nums}\n"
"th,td{padding:4px 12px;border-bottom:1px solid var(--soft);"
"text-align:right;vertical-align:top}\n"
"th{font-weight:600}\n"
"thead th{border-bottom:1px solid var(--line);color:var(--muted);"
"font-size:13px}\n"
"tfoot th,tfoot td{border-top:1px solid var(--line);border-bottom:0}\n"
".l{text-align:left;overflow-wrap:anywhere}\n"
"table.kv{width:100%}\n"
"table.kv th{text-align:left;color:var(--muted);font-weight:500;"
"white-space:nowrap;width:11em}\n"
"table.kv td{text-align:left}\n"
".chip{display:inline-block;border:1px solid var(--soft);"
"border-radius:4px;padding:0 6px;margin:1px 0;font-size:13px;"
"background:#f6f8fa}\n"
".chip b{font-weight:600}\n"
".fig{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}\n"
"svg{display:block;max-width:100%;height:auto}\n"
"svg{fill:var(--fg)}\n"
"svg .m{fill:var(--muted)}\n"
"svg .ax{stroke:#8c959f;stroke-width:1}\n"
"svg .gl{stroke:var(--soft);stroke-width:1}\n"
"svg .cell text{pointer-events:none}\n"
".legend{list-style:none;padding:0;margin:8px 0 0;font-size:13px;"
"columns:2 280px}\n"
".legend li{overflow-wrap:anywhere}\n"
".sw{display:inline-block;width:22px;height:0;border-top:3px solid;"
"vertical-align:middle;margin-right:6px}\n"
".sw.dot{width:8px;height:8px;border:0;border-radius:50%;"
"background:#afb8c1}\n"
"details{margin-top:10px}\n"
"summary{cursor:pointer;color:var(--accent)}\n"
"footer{color:var(--muted);font-size:12.5px;text-align:center}\n";

/* The source of the figures the sections draw, as a sentence. */
static void
fig_source(struct rep *r)
{
	struct buf *b = &r->b;

	buf_addstr(b, "<p class=\"note\">");
	if (r->fig == &r->eval) {
		buf_addstr(b, "On the evaluation data given: ");
	} else {
		buf_addstr(b, "On the held-out test set recorded at training");
		if (r->test_file) {
			buf_addstr(b, " (");
			esc(b, r->test_file);
			buf_addch(b, ')');
		}
		buf_addstr(b, ": ");
	}
	add_count(b, r->fig->n);
	buf_addstr(b, " articles.</p>\n");
}

/* A section's "not available" sentence, with the reason; closes it. */
static void
unavailable(struct rep *r, const char *what)
{
	struct buf *b = &r->b;

	buf_addstr(b, "<p>");
	na(b, NA_AV);
	if (r->fig == NULL)
		buf_addstr(b, ": no evaluation data was given and the bundle "
		    "records no held-out test figures");
	else if (r->fig == &r->test)
		buf_addf(b, ": no evaluation data was given, and the held-out "
		    "test figures recorded at training have no %s", what);
	else
		buf_addf(b, ": the evaluation has no %s", what);
	buf_addstr(b, ".</p>\n");
	section_close(b);
}

static void
card(struct buf *b, const char *k, const char *d1, int has, double v,
    double d)
{
	buf_addf(b, "<div class=\"card\"><div class=\"k\">%s</div>", k);
	if (has) {
		buf_addstr(b, "<div class=\"v\">");
		add_score(b, v);
		buf_addf(b, "</div><div class=\"d\">%s ", d1);
		add_score(b, d);
	} else {
		buf_addstr(b, "<div class=\"v na\">\xe2\x80\x94</div>"
		    "<div class=\"d\">" NA_REC);
	}
	buf_addstr(b, "</div></div>\n");
}

static void
kv(struct buf *b, const char *k)
{
	buf_addf(b, "<tr><th>%s</th><td>", k);
}

static void
sec_summary(struct rep *r)
{
	struct buf *b = &r->b;
	size_t i;

	section_open(b, "summary", "Model summary");
	buf_addstr(b, "<div class=\"cards\">\n");
	card(b, "Cross-validation macro-F1", "accuracy", r->has_cv, r->cv_f1,
	    r->cv_acc);
	card(b, "Held-out test macro-F1", "accuracy", r->has_test_fig,
	    r->test.macro_f1, r->test.acc);
	if (r->has_eval)
		card(b, "Evaluation macro-F1", "accuracy", 1, r->eval.macro_f1,
		    r->eval.acc);
	buf_addstr(b, "<div class=\"card\"><div class=\"k\">Training "
	    "articles</div><div class=\"v\">");
	if (r->has_n_train)
		add_count(b, r->n_train);
	else
		buf_addstr(b, "<span class=\"na\">\xe2\x80\x94</span>");
	buf_addstr(b, "</div><div class=\"d\">");
	buf_addf(b, "%zu label%s", r->k, r->k == 1 ? "" : "s");
	buf_addstr(b, "</div></div>\n</div>\n<table class=\"kv\">\n");

	kv(b, "Task");
	esc(b, r->task);
	buf_addstr(b, "</td></tr>\n");
	kv(b, "Version");
	esc(b, r->version);
	buf_addstr(b, "</td></tr>\n");
	kv(b, "Labels");
	for (i = 0; i < r->k; i++) {
		if (i)
			buf_addstr(b, ", ");
		esc(b, r->labels[i]);
	}
	buf_addstr(b, "</td></tr>\n");
	kv(b, "Solver");
	if (r->solver)
		esc(b, r->solver);
	else
		na(b, NA_REC);
	buf_addstr(b, "</td></tr>\n");
	kv(b, "Multi-class scheme");
	if (r->scheme)
		esc(b, r->scheme);
	else
		na(b, NA_REC);
	buf_addstr(b, "</td></tr>\n");

	kv(b, "Training data");
	if (r->has_n_train) {
		add_count(b, r->n_train);
		buf_addstr(b, " articles");
	} else {
		na(b, NA_REC);
	}
	for (i = 0; r->files && i < json_array_size(r->files); i++) {
		json_t *o = json_array_get(r->files, i);
		json_t *file = json_object_get(o, "file");
		json_t *bytes = json_object_get(o, "bytes");

		if (!json_is_string(file))
			continue;
		buf_addstr(b, i ? ", " : "; from ");
		esc(b, json_string_value(file));
		if (json_is_integer(bytes)) {
			buf_addstr(b, " (");
			add_bytes(b, json_integer_value(bytes));
			buf_addch(b, ')');
		}
	}
	buf_addstr(b, "</td></tr>\n");

	kv(b, "Features");
	if (r->has_n_features) {
		add_count(b, r->n_features);
		buf_addstr(b, " features<br>");
	}
	if (r->features)
		add_chips(b, r->features, NULL, NULL);
	if (!r->has_n_features && !r->features)
		na(b, NA_REC);
	buf_addstr(b, "</td></tr>\n");

	kv(b, "Chosen settings");
	if (r->params)
		add_chips(b, r->params, NULL, NULL);
	else
		na(b, NA_REC);
	buf_addstr(b, "</td></tr>\n");

	kv(b, "Cross-validation");
	if (r->has_cv) {
		if (r->has_folds)
			buf_addf(b, "%" JSON_INTEGER_FORMAT " folds", r->folds);
		else
			buf_addstr(b, "folds " NA_REC);
		if (r->has_seed)
			buf_addf(b, ", seed %" JSON_INTEGER_FORMAT, r->seed);
		buf_addstr(b, ": accuracy ");
		add_score(b, r->cv_acc);
		buf_addstr(b, ", macro-F1 ");
		add_score(b, r->cv_f1);
	} else {
		na(b, NA_REC);
	}
	buf_addstr(b, "</td></tr>\n");

	kv(b, "Calibration");
	if (r->calib) {
		if (r->calib_method)
			esc(b, r->calib_method);
		else
			buf_addstr(b, "method " NA_REC);
		if (r->has_calib_ece) {
			buf_addstr(b, ", ECE ");
			add_score(b, r->calib_ece);
		}
		buf_addstr(b, " ");
		add_chips(b, r->calib, "method", "ece");
	} else {
		na(b, NA_REC);
	}
	buf_addstr(b, "</td></tr>\n");

	kv(b, "Held-out test");
	if (r->has_test_fig) {
		if (r->test_file) {
			esc(b, r->test_file);
			buf_addstr(b, ": ");
		}
		add_count(b, r->test.n);
		buf_addstr(b, " articles, accuracy ");
		add_score(b, r->test.acc);
		buf_addstr(b, ", macro-F1 ");
		add_score(b, r->test.macro_f1);
		if (r->has_short) {
			buf_addstr(b, "<br>short form (title and first "
			    "sentence): accuracy ");
			add_score(b, r->short_acc);
			buf_addstr(b, ", macro-F1 ");
			add_score(b, r->short_f1);
		}
	} else {
		na(b, NA_REC);
	}
	buf_addstr(b, "</td></tr>\n");

	kv(b, "Evaluation");
	if (r->has_eval) {
		add_count(b, r->eval.n);
		buf_addstr(b, " articles, accuracy ");
		add_score(b, r->eval.acc);
		buf_addstr(b, ", macro-F1 ");
		add_score(b, r->eval.macro_f1);
		if (r->eval.has_ece) {
			buf_addstr(b, ", ECE ");
			add_score(b, r->eval.ece);
		}
	} else {
		na(b, "no evaluation data given");
	}
	buf_addstr(b, "</td></tr>\n</table>\n");
	section_close(b);
}

/*
 * The confusion matrix: cells coloured by their share of the row (the
 * true label's articles), counts written in them.  Cells shrink from
 * CELL_MAX to CELL_MIN pixels as labels grow in number (beyond about 60
 * labels the picture is wider than the page and scales down); column
 * labels turn 45 degrees when they would not fit across.
 */
static void
sec_confusion(struct rep *r)
{
	struct buf *b = &r->b;
	const struct figures *fg = r->fig;
	size_t k = r->k, i, j;
	double cell, lf, cf, maxw = 0, left, top, w, h, right, ly;
	int rotate;

	section_open(b, "confusion", "Confusion matrix");
	if (fg == NULL) {
		unavailable(r, NULL);
		return;
	}
	fig_source(r);
	lf = k <= 12 ? 13 : k <= 25 ? 11.5 : 10;
	for (i = 0; i < k; i++)
		if (text_w(r->labels[i], lf) > maxw)
			maxw = text_w(r->labels[i], lf);
	left = 30 + maxw + 8;
	/* The section's width is about CONF_W: fill it, up to CELL_MAX. */
	cell = floor((CONF_W - left) / k);
	cell = cell > CELL_MAX ? CELL_MAX : cell < CELL_MIN ? CELL_MIN : cell;
	rotate = maxw > cell - 6;
	if (rotate) {
		cell = floor((CONF_W - left - maxw * 0.7071) / k);
		cell = cell > CELL_MAX ? CELL_MAX : cell < CELL_MIN ? CELL_MIN :
		    cell;
	}
	top = 26 + (rotate ? maxw * 0.7071 + 10 : lf + 8);
	right = left + k * cell;
	if (rotate && left + (k - 0.5) * cell + maxw * 0.7071 + 4 > right)
		right = left + (k - 0.5) * cell + maxw * 0.7071 + 4;
	if (right < left + 420)		/* room for the colour key */
		right = left + 420;
	w = ceil(right + 12);
	h = ceil(top + k * cell + 64);
	buf_addf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
	    "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
	    "aria-label=\"confusion matrix\">\n", w, h, w, h);
	buf_addstr(b, "<defs><linearGradient id=\"nc-blues\">");
	for (i = 0; i < 9; i++) {
		buf_addf(b, "<stop offset=\"%.3f\" stop-color=\"", i / 8.0);
		add_blue(b, i / 8.0);
		buf_addstr(b, "\"/>");
	}
	buf_addstr(b, "</linearGradient></defs>\n");
	buf_addf(b, "<text x=\"%.1f\" y=\"14\" font-size=\"12\" "
	    "font-weight=\"600\" text-anchor=\"middle\" class=\"m\">"
	    "Predicted label</text>\n", left + k * cell / 2);
	buf_addf(b, "<text x=\"12\" y=\"%.1f\" font-size=\"12\" "
	    "font-weight=\"600\" text-anchor=\"middle\" class=\"m\" "
	    "transform=\"rotate(-90 12 %.1f)\">True label</text>\n",
	    top + k * cell / 2, top + k * cell / 2);
	for (j = 0; j < k; j++) {
		double x = left + (j + 0.5) * cell;
		char attrs[96];

		if (rotate)
			snprintf(attrs, sizeof(attrs),
			    " transform=\"rotate(-45 %.1f %.1f)\"",
			    x + lf * 0.3, top - 6);
		else
			snprintf(attrs, sizeof(attrs),
			    " text-anchor=\"middle\"");
		svg_label(b, r->labels[j], rotate ? x + lf * 0.3 : x, top - 6,
		    lf, attrs);
	}
	buf_addstr(b, "\n");
	for (i = 0; i < k; i++)
		svg_label(b, r->labels[i], left - 6,
		    top + (i + 0.5) * cell + lf * 0.35, lf,
		    " text-anchor=\"end\"");
	buf_addstr(b, "\n<g class=\"cell\">\n");
	for (i = 0; i < k; i++) {
		json_int_t row = 0;

		for (j = 0; j < k; j++)
			row += fg->conf[i * k + j];
		for (j = 0; j < k; j++) {
			json_int_t n = fg->conf[i * k + j];
			double s = row ? (double)n / row : 0;
			double x = left + j * cell, y = top + i * cell;
			char num[32];
			size_t digits;

			buf_addf(b, "<rect x=\"%.1f\" y=\"%.1f\" "
			    "width=\"%.1f\" height=\"%.1f\" fill=\"", x, y,
			    cell, cell);
			add_blue(b, s);
			buf_addstr(b, "\" stroke=\"#fff\"><title>true ");
			esc(b, r->labels[i]);
			buf_addstr(b, ", predicted ");
			esc(b, r->labels[j]);
			buf_addstr(b, ": ");
			add_count(b, n);
			buf_addstr(b, " (");
			add_pct(b, s);
			buf_addstr(b, " of the row)</title></rect>");
			if (n == 0 && k > 12)
				continue;	/* blank: less clutter */
			digits = (size_t)snprintf(num, sizeof(num),
			    "%" JSON_INTEGER_FORMAT, n);
			cf = cell * 0.36 > 14 ? 14 : cell * 0.36;
			if (digits * cf * 0.6 > cell - 3)
				cf = (cell - 3) / (digits * 0.6);
			buf_addf(b, "<text x=\"%.1f\" y=\"%.1f\" font-size="
			    "\"%.1f\" text-anchor=\"middle\" fill=\"%s\">%s"
			    "</text>\n", x + cell / 2, y + cell / 2 + cf * 0.35,
			    cf, n == 0 ? "#8c959f" : s > 0.5 ? "#fff" :
			    "#1f2328", num);
		}
	}
	buf_addstr(b, "</g>\n");
	/* The colour key. */
	ly = top + k * cell + 22;
	buf_addf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"200\" height=\"10\" "
	    "fill=\"url(#nc-blues)\" stroke=\"#d0d7de\"/>\n", left, ly);
	for (i = 0; i <= 4; i++)
		buf_addf(b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" "
		    "text-anchor=\"middle\" class=\"m\">%zu%%</text>",
		    left + 50.0 * i, ly + 24, i * 25);
	buf_addf(b, "\n<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" "
	    "class=\"m\">share of the true label&#39;s articles</text>\n",
	    left + 212, ly + 9);
	buf_addstr(b, "</svg>\n");
	section_close(b);
}

static void
score_cell(struct buf *b, double v, int bar)
{
	if (bar) {
		buf_addstr(b, "<td style=\"background:linear-gradient(90deg,"
		    "#deebf7 ");
		add_pct(b, v);
		buf_addstr(b, ",transparent ");
		add_pct(b, v);
		buf_addstr(b, ")\">");
	} else {
		buf_addstr(b, "<td>");
	}
	add_score(b, v);
	buf_addstr(b, "</td>");
}

static void
sec_per_class(struct rep *r)
{
	struct buf *b = &r->b;
	const struct figures *fg = r->fig;
	double mp = 0, mr = 0;
	json_int_t total = 0;
	size_t i;

	section_open(b, "per-class", "Per-class figures");
	if (fg == NULL) {
		unavailable(r, NULL);
		return;
	}
	fig_source(r);
	buf_addstr(b, "<table>\n<thead><tr><th class=\"l\">Label</th>"
	    "<th>Precision</th><th>Recall</th><th>F1</th><th>Support</th>"
	    "</tr></thead>\n<tbody>\n");
	for (i = 0; i < fg->k; i++) {
		buf_addstr(b, "<tr><td class=\"l\">");
		esc(b, r->labels[i]);
		buf_addstr(b, "</td>");
		score_cell(b, fg->prec[i], 0);
		score_cell(b, fg->rec[i], 0);
		score_cell(b, fg->f1[i], 1);
		buf_addstr(b, "<td>");
		add_count(b, fg->support[i]);
		buf_addstr(b, "</td></tr>\n");
		mp += fg->prec[i];
		mr += fg->rec[i];
		total += fg->support[i];
	}
	buf_addstr(b, "</tbody>\n<tfoot><tr><th class=\"l\">Macro average"
	    "</th>");
	score_cell(b, mp / fg->k, 0);
	score_cell(b, mr / fg->k, 0);
	score_cell(b, fg->macro_f1, 0);
	buf_addstr(b, "<td>");
	add_count(b, total);
	buf_addstr(b, "</td></tr>\n<tr><th class=\"l\">Accuracy</th>"
	    "<td></td><td></td>");
	score_cell(b, fg->acc, 0);
	buf_addstr(b, "<td>");
	add_count(b, fg->n);
	buf_addstr(b, "</td></tr></tfoot>\n</table>\n");
	section_close(b);
}

/* Horizontal grid lines and labels of a 0..1 axis, every step. */
static void
axis_01(struct buf *b, double x0, double x1, double y0, double ph,
    double step, int decimals)
{
	double t;
	int i, n = (int)lround(1 / step);

	for (i = 0; i <= n; i++) {
		t = i * step;
		buf_addf(b, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
		    "y2=\"%.1f\" class=\"gl\"/><text x=\"%.1f\" y=\"%.1f\" "
		    "font-size=\"11\" text-anchor=\"end\" class=\"m\">%.*f"
		    "</text>\n", x0, x1, y0 - t * ph, y0 - t * ph, x0 - 6,
		    y0 - t * ph + 4, decimals, t);
	}
}

static void
sec_reliability(struct rep *r)
{
	struct buf *b = &r->b;
	const struct figures *fg = r->fig;
	const double L = 52, T = 14, P = 300, W = L + P + 16, H = T + P + 46;
	size_t i;

	section_open(b, "reliability", "Reliability diagram");
	if (fg == NULL || (!fg->has_ece && !fg->has_rel)) {
		unavailable(r, "calibration figures");
		return;
	}
	fig_source(r);
	buf_addstr(b, "<p>Expected calibration error (ECE): ");
	if (fg->has_ece) {
		buf_addstr(b, "<b>");
		add_score(b, fg->ece);
		buf_addstr(b, "</b>");
	} else {
		na(b, NA_AV);
	}
	buf_addstr(b, ". <span class=\"note\">Each bar is one confidence bin: "
	    "its height is the accuracy of the articles whose top "
	    "probability falls in the bin, the dot sits at their mean "
	    "confidence.  A calibrated model keeps to the diagonal.</span>"
	    "</p>\n");
	if (!fg->has_rel) {
		buf_addstr(b, "<p>Reliability bins: ");
		na(b, NA_AV);
		buf_addstr(b, "</p>\n");
		section_close(b);
		return;
	}
	buf_addf(b, "<div class=\"fig\">\n<svg xmlns=\"http://www.w3.org/2000/"
	    "svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
	    "role=\"img\" aria-label=\"reliability diagram\">\n", W, H, W, H);
	axis_01(b, L, L + P, T + P, P, 0.2, 1);
	for (i = 0; i <= 5; i++)
		buf_addf(b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" "
		    "text-anchor=\"middle\" class=\"m\">%.1f</text>",
		    L + i * 0.2 * P, T + P + 16, i * 0.2);
	buf_addstr(b, "\n");
	for (i = 0; i < fg->nrel; i++) {
		const struct bin *bn = &fg->rel[i];
		double x = L + bn->lo * P, bw = (bn->hi - bn->lo) * P;
		double y = T + P - bn->acc * P;

		if (bn->n == 0)
			continue;
		buf_addf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		    "height=\"%.1f\" fill=\"#9ecae1\" stroke=\"#fff\">"
		    "<title>confidence %.2f to %.2f: ", x, y,
		    bw, bn->acc * P, bn->lo, bn->hi);
		add_count(b, bn->n);
		buf_addstr(b, " articles, accuracy ");
		add_score(b, bn->acc);
		buf_addstr(b, ", mean confidence ");
		add_score(b, bn->mean_p);
		buf_addf(b, "</title></rect><circle cx=\"%.1f\" cy=\"%.1f\" "
		    "r=\"3.5\" fill=\"#08519c\"/>", L + bn->mean_p * P, y);
		buf_addf(b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%s\" "
		    "text-anchor=\"middle\" class=\"m\">", x + bw / 2,
		    y - 6 < T + 10 ? y + 14 : y - 6, bw < 24 ? "8" : "10");
		add_count(b, bn->n);
		buf_addstr(b, "</text>\n");
	}
	/* The diagonal over the bars, where the eye compares them to it. */
	buf_addf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
	    "stroke=\"#57606a\" stroke-dasharray=\"4 4\"/>\n", L, T + P,
	    L + P, T);
	buf_addf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
	    "class=\"ax\"/><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
	    "y2=\"%.1f\" class=\"ax\"/>\n", L, T + P, L + P, T + P, L, T, L,
	    T + P);
	buf_addf(b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" "
	    "text-anchor=\"middle\" class=\"m\">Confidence (top probability)"
	    "</text>\n", L + P / 2, T + P + 36);
	buf_addf(b, "<text x=\"14\" y=\"%.1f\" font-size=\"12\" "
	    "text-anchor=\"middle\" class=\"m\" transform=\"rotate(-90 14 "
	    "%.1f)\">Accuracy</text>\n</svg>\n", T + P / 2, T + P / 2);
	/* The numbers behind it. */
	buf_addstr(b, "<table>\n<thead><tr><th class=\"l\">Confidence</th>"
	    "<th>Articles</th><th>Mean confidence</th><th>Accuracy</th>"
	    "</tr></thead>\n<tbody>\n");
	for (i = 0; i < fg->nrel; i++) {
		const struct bin *bn = &fg->rel[i];

		buf_addf(b, "<tr><td class=\"l\">%.2f&ndash;%.2f</td><td>",
		    bn->lo, bn->hi);
		add_count(b, bn->n);
		if (bn->n == 0) {
			buf_addstr(b, "</td><td>&ndash;</td><td>&ndash;</td>"
			    "</tr>\n");
			continue;
		}
		buf_addstr(b, "</td><td>");
		add_score(b, bn->mean_p);
		buf_addstr(b, "</td><td>");
		add_score(b, bn->acc);
		buf_addstr(b, "</td></tr>\n");
	}
	buf_addstr(b, "</tbody>\n</table>\n</div>\n");
	section_close(b);
}

static void
bucket_name(struct buf *b, const struct bucket *bk)
{
	if (bk->hi < 0)
		buf_addf(b, "%" JSON_INTEGER_FORMAT "+", bk->lo);
	else if (bk->hi == bk->lo)
		buf_addf(b, "%" JSON_INTEGER_FORMAT, bk->lo);
	else
		buf_addf(b, "%" JSON_INTEGER_FORMAT "&ndash;%"
		    JSON_INTEGER_FORMAT, bk->lo, bk->hi);
}

static void
sec_length(struct rep *r)
{
	struct buf *b = &r->b;
	const struct figures *fg = r->fig;
	const double L = 52, T = 22, P = 240;
	double slot, bw, PW, W, H, y;
	size_t i;

	section_open(b, "length", "Accuracy by text length");
	if (fg == NULL || !fg->has_len) {
		unavailable(r, "accuracy by length");
		return;
	}
	fig_source(r);
	slot = fg->nlen <= 6 ? 110 : fg->nlen <= 12 ? 70 : 44;
	PW = slot * fg->nlen;
	bw = slot * 0.62;
	W = L + PW + 80;	/* the overall accuracy's label at the right */
	H = T + P + 58;
	buf_addf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
	    "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
	    "aria-label=\"accuracy by text length\">\n", W, H, W, H);
	axis_01(b, L, L + PW, T + P, P, 0.25, 2);
	for (i = 0; i < fg->nlen; i++) {
		const struct bucket *bk = &fg->len[i];
		double cx = L + (i + 0.5) * slot;

		y = T + P - bk->acc * P;
		if (bk->n > 0) {
			buf_addf(b, "<rect x=\"%.1f\" y=\"%.1f\" "
			    "width=\"%.1f\" height=\"%.1f\" fill=\"#4292c6\">"
			    "<title>", cx - bw / 2, y, bw, bk->acc * P);
			bucket_name(b, bk);
			buf_addstr(b, " words: ");
			add_count(b, bk->n);
			buf_addstr(b, " articles, accuracy ");
			add_score(b, bk->acc);
			buf_addf(b, "</title></rect><text x=\"%.1f\" "
			    "y=\"%.1f\" font-size=\"11\" "
			    "text-anchor=\"middle\">%.3f</text>\n", cx, y - 5,
			    bk->acc);
		}
		buf_addf(b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" "
		    "text-anchor=\"middle\">", cx, T + P + 16);
		bucket_name(b, bk);
		buf_addf(b, "</text><text x=\"%.1f\" y=\"%.1f\" "
		    "font-size=\"10\" text-anchor=\"middle\" class=\"m\">"
		    "n&#8201;=&#8201;", cx, T + P + 30);
		add_count(b, bk->n);
		buf_addstr(b, "</text>\n");
	}
	y = T + P - fg->acc * P;
	buf_addf(b, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
	    "stroke=\"#e15759\" stroke-dasharray=\"5 4\"/><text x=\"%.1f\" "
	    "y=\"%.1f\" font-size=\"10\" fill=\"#c03a3c\">overall "
	    "%.3f</text>\n", L, L + PW, y, y, L + PW + 6, y + 3.5, fg->acc);
	buf_addf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
	    "class=\"ax\"/>\n", L, T + P, L + PW, T + P);
	buf_addf(b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" "
	    "text-anchor=\"middle\" class=\"m\">Length (words)</text>\n",
	    L + PW / 2, T + P + 50);
	buf_addf(b, "<text x=\"14\" y=\"%.1f\" font-size=\"12\" "
	    "text-anchor=\"middle\" class=\"m\" transform=\"rotate(-90 14 "
	    "%.1f)\">Accuracy</text>\n</svg>\n", T + P / 2, T + P / 2);
	section_close(b);
}

/* A step of 1, 2 or 5 times a power of ten giving about n ticks. */
static double
nice_step(double range, int n)
{
	double raw = range / n, mag = pow(10, floor(log10(raw)));
	double f = raw / mag;

	return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

/* The grid row's values for the keys that vary: one line's name. */
static void
group_name(struct buf *b, const struct rep *r, json_t *row)
{
	size_t j;

	if (r->nvary == 0) {
		buf_addstr(b, "all settings alike");
		return;
	}
	for (j = 0; j < r->nvary; j++) {
		json_t *v = json_object_get(row, r->vary[j]);

		if (j)
			buf_addstr(b, ", ");
		esc(b, r->vary[j]);
		buf_addch(b, '=');
		if (v)
			add_value(b, v);
		else
			buf_addstr(b, "&ndash;");
	}
}

/* The grid's rows as a table, best macro-F1 first, in a fold. */
static void
grid_table(struct rep *r, size_t best)
{
	struct buf *b = &r->b;
	size_t i, j, *rank = xcalloc(r->ngrid, sizeof(*rank));

	for (i = 0; i < r->ngrid; i++) {
		for (j = i; j > 0 && r->grid[rank[j - 1]].f1 < r->grid[i].f1;
		    j--)
			rank[j] = rank[j - 1];
		rank[j] = i;
	}
	buf_addf(b, "<details><summary>All %zu grid rows, best first"
	    "</summary>\n<table>\n<thead><tr><th>Rank</th>", r->ngrid);
	for (j = 0; j < r->nvary; j++) {
		buf_addstr(b, "<th>");
		esc(b, r->vary[j]);
		buf_addstr(b, "</th>");
	}
	buf_addstr(b, "<th>C</th><th>CV accuracy</th><th>CV macro-F1</th>"
	    "</tr></thead>\n<tbody>\n");
	for (i = 0; i < r->ngrid; i++) {
		const struct grid_row *g = &r->grid[rank[i]];

		buf_addf(b, "%s<td>%zu</td>", rank[i] == best ?
		    "<tr style=\"font-weight:600\">" : "<tr>", i + 1);
		for (j = 0; j < r->nvary; j++) {
			json_t *v = json_object_get(g->row, r->vary[j]);

			buf_addstr(b, "<td>");
			if (v)
				add_value(b, v);
			buf_addstr(b, "</td>");
		}
		buf_addf(b, "<td>%g</td><td>", g->C);
		if (g->has_acc)
			add_score(b, g->acc);
		buf_addstr(b, "</td><td>");
		add_score(b, g->f1);
		buf_addstr(b, "</td></tr>\n");
	}
	buf_addstr(b, "</tbody>\n</table>\n</details>\n");
	free(rank);
}

/* Plot geometry of the grid chart. */
struct gplot {
	double L, T, PW, PH;
	double xlo, xhi, ylo, yhi;	/* log10 C; macro-F1 */
};

static double
gx(const struct gplot *p, double C)
{
	return p->L + (log10(C) - p->xlo) / (p->xhi - p->xlo) * p->PW;
}

static double
gy(const struct gplot *p, double f1)
{
	return p->T + p->PH - (f1 - p->ylo) / (p->yhi - p->ylo) * p->PH;
}

static void
grid_point(struct rep *r, const struct gplot *p, const struct grid_row *gr,
    const char *colour, double radius)
{
	struct buf *b = &r->b;

	buf_addf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\">"
	    "<title>C = %g, ", gx(p, gr->C), gy(p, gr->f1), radius, colour,
	    gr->C);
	group_name(b, r, gr->row);
	buf_addstr(b, ": macro-F1 ");
	add_score(b, gr->f1);
	if (gr->has_acc) {
		buf_addstr(b, ", accuracy ");
		add_score(b, gr->acc);
	}
	buf_addstr(b, "</title></circle>\n");
}

/* The axes, their ticks and the grid lines behind the data. */
static void
grid_axes(struct rep *r, const struct gplot *p, const double *cs,
    size_t ncs)
{
	struct buf *b = &r->b;
	double step = nice_step(p->yhi - p->ylo, 5), t;
	int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9), i;

	for (i = (int)ceil(p->ylo / step - 1e-9);
	    (t = i * step) <= p->yhi + 1e-12; i++)
		buf_addf(b, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
		    "y2=\"%.1f\" class=\"gl\"/><text x=\"%.1f\" y=\"%.1f\" "
		    "font-size=\"11\" text-anchor=\"end\" class=\"m\">%.*f"
		    "</text>\n", p->L, p->L + p->PW, gy(p, t), gy(p, t),
		    p->L - 6, gy(p, t) + 4, dec, t);
	/* Each C tried, if few; else the powers of ten. */
	for (i = 0; ncs <= 12 && (size_t)i < ncs; i++)
		buf_addf(b, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
		    "y2=\"%.1f\" class=\"gl\"/><text x=\"%.1f\" y=\"%.1f\" "
		    "font-size=\"11\" text-anchor=\"middle\" class=\"m\">%g"
		    "</text>\n", gx(p, cs[i]), gx(p, cs[i]), p->T,
		    p->T + p->PH, gx(p, cs[i]), p->T + p->PH + 16, cs[i]);
	for (i = (int)ceil(p->xlo); ncs > 12 && i <= p->xhi; i++)
		buf_addf(b, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
		    "y2=\"%.1f\" class=\"gl\"/><text x=\"%.1f\" y=\"%.1f\" "
		    "font-size=\"11\" text-anchor=\"middle\" class=\"m\">%g"
		    "</text>\n", gx(p, pow(10, i)), gx(p, pow(10, i)), p->T,
		    p->T + p->PH, gx(p, pow(10, i)), p->T + p->PH + 16,
		    pow(10, i));
	buf_addf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
	    "class=\"ax\"/>\n", p->L, p->T + p->PH, p->L + p->PW,
	    p->T + p->PH);
	buf_addf(b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" "
	    "text-anchor=\"middle\" class=\"m\">C (log scale)</text>\n",
	    p->L + p->PW / 2, p->T + p->PH + 38);
	buf_addf(b, "<text x=\"14\" y=\"%.1f\" font-size=\"12\" "
	    "text-anchor=\"middle\" class=\"m\" transform=\"rotate(-90 14 "
	    "%.1f)\">CV macro-F1</text>\n", p->T + p->PH / 2,
	    p->T + p->PH / 2);
}

/*
 * cv_macro_f1 against C on a log axis.  Settings tried at several values
 * of C make one line each; settings tried at one C only (the trainer's
 * search over feature settings) are grey dots.  The best row is ringed.
 */
static void
sec_grid(struct rep *r)
{
	struct buf *b = &r->b;
	struct gplot p = { 60, 16, 600, 280, 0, 0, 0, 0 };
	const double W = p.L + p.PW + 24, H = p.T + p.PH + 48;
	double *cs, pad;
	size_t i, j, g, best = 0, ncs = 0, nlines = 0, nsingle = 0;
	size_t *first, *slot, *order;

	section_open(b, "grid", "Cross-validation grid");
	if (!r->has_grid) {
		buf_addstr(b, "<p>");
		na(b, NA_REC);
		buf_addstr(b, "</p>\n");
		section_close(b);
		return;
	}
	if (r->ngrid == 0) {
		buf_addstr(b, "<p>The model was trained with fixed settings "
		    "(no grid search)");
		if (r->params) {
			buf_addstr(b, ": ");
			add_chips(b, r->params, NULL, NULL);
		}
		buf_addstr(b, "</p>\n");
		section_close(b);
		return;
	}
	/* Ranges, the distinct Cs, and which groups make lines. */
	p.xlo = p.xhi = log10(r->grid[0].C);
	p.ylo = p.yhi = r->grid[0].f1;
	cs = xcalloc(r->ngrid, sizeof(*cs));
	first = xcalloc(r->ngroups, sizeof(*first));
	slot = xcalloc(r->ngroups, sizeof(*slot));	/* 0: a single C */
	for (g = 0; g < r->ngroups; g++)
		first[g] = r->ngrid;
	for (i = 0; i < r->ngrid; i++) {
		const struct grid_row *gr = &r->grid[i];
		double lc = log10(gr->C);

		p.xlo = lc < p.xlo ? lc : p.xlo;
		p.xhi = lc > p.xhi ? lc : p.xhi;
		p.ylo = gr->f1 < p.ylo ? gr->f1 : p.ylo;
		p.yhi = gr->f1 > p.yhi ? gr->f1 : p.yhi;
		if (gr->f1 > r->grid[best].f1)
			best = i;
		for (j = 0; j < ncs && cs[j] != gr->C; j++)
			;
		if (j == ncs)
			cs[ncs++] = gr->C;
		if (first[gr->group] == r->ngrid)
			first[gr->group] = i;
		else if (r->grid[first[gr->group]].C != gr->C &&
		    slot[gr->group] == 0)
			slot[gr->group] = ++nlines;
	}
	for (g = 0; g < r->ngroups; g++)
		nsingle += slot[g] == 0;
	pad = p.xhi - p.xlo > 0 ? (p.xhi - p.xlo) * 0.06 : 0.5;
	p.xlo -= pad;
	p.xhi += pad;
	if (p.yhi - p.ylo < 0.01) {
		p.ylo = (p.ylo + p.yhi) / 2 - 0.005;
		p.yhi = p.ylo + 0.01;
	}
	pad = (p.yhi - p.ylo) * 0.12;
	p.ylo = p.ylo - pad < 0 ? 0 : p.ylo - pad;
	p.yhi = p.yhi + pad > 1 ? 1 : p.yhi + pad;

	buf_addstr(b, "<p class=\"note\">");
	if (r->has_folds)
		buf_addf(b, "%" JSON_INTEGER_FORMAT "-fold cross", r->folds);
	else
		buf_addstr(b, "Cross");
	buf_addf(b, "-validated macro-F1 of the %zu grid rows against C "
	    "(log scale).  Best: macro-F1 ", r->ngrid);
	add_score(b, r->grid[best].f1);
	buf_addf(b, " at C&#8201;=&#8201;%g, ", r->grid[best].C);
	group_name(b, r, r->grid[best].row);
	buf_addstr(b, ".</p>\n");
	buf_addf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
	    "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
	    "aria-label=\"cross-validation grid\">\n", W, H, W, H);
	grid_axes(r, &p, cs, ncs);
	free(cs);
	/* The single-C settings first, under the lines. */
	for (i = 0; i < r->ngrid; i++)
		if (slot[r->grid[i].group] == 0)
			grid_point(r, &p, &r->grid[i], "#afb8c1", 3);
	/* Then a polyline per line group, its points in order of C. */
	order = xcalloc(r->ngrid, sizeof(*order));
	for (g = 0; g < r->ngroups; g++) {
		size_t s = slot[g], n = 0;
		const char *colour = palette[(s - 1) % 10];
		const char *dash = dashes[((s - 1) / 10) % 4];

		if (s == 0)
			continue;
		for (i = first[g]; i < r->ngrid; i++) {
			if (r->grid[i].group != g)
				continue;
			for (j = n; j > 0 && r->grid[order[j - 1]].C >
			    r->grid[i].C; j--)
				order[j] = order[j - 1];
			order[j] = i;
			n++;
		}
		buf_addf(b, "<polyline fill=\"none\" stroke=\"%s\" "
		    "stroke-width=\"2\"%s%s%s points=\"", colour,
		    *dash ? " stroke-dasharray=\"" : "", dash,
		    *dash ? "\"" : "");
		for (j = 0; j < n; j++)
			buf_addf(b, "%s%.1f,%.1f", j ? " " : "",
			    gx(&p, r->grid[order[j]].C),
			    gy(&p, r->grid[order[j]].f1));
		buf_addstr(b, "\"/>\n");
		for (j = 0; j < n; j++)
			grid_point(r, &p, &r->grid[order[j]], colour, 3.5);
	}
	free(order);
	buf_addf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"8\" fill=\"none\" "
	    "stroke=\"#1f2328\" stroke-width=\"1.5\"/>\n</svg>\n",
	    gx(&p, r->grid[best].C), gy(&p, r->grid[best].f1));

	buf_addstr(b, "<ul class=\"legend\">\n");
	for (g = 0; g < r->ngroups; g++) {
		if (slot[g] == 0)
			continue;
		buf_addf(b, "<li><span class=\"sw\" style=\"border-color:%s;"
		    "border-top-style:%s\"></span>",
		    palette[(slot[g] - 1) % 10],
		    (slot[g] - 1) / 10 % 4 ? "dashed" : "solid");
		group_name(b, r, r->grid[first[g]].row);
		buf_addstr(b, "</li>\n");
	}
	if (nsingle)
		buf_addf(b, "<li><span class=\"sw dot\"></span>%zu setting%s "
		    "tried at one C only</li>\n", nsingle,
		    nsingle == 1 ? "" : "s");
	buf_addstr(b, "</ul>\n");
	free(first);
	free(slot);
	grid_table(r, best);
	section_close(b);
}

static void
sec_counts(struct rep *r)
{
	struct buf *b = &r->b;
	const double BW = 480;
	double lf, row, left, W, H, max = 0, tw = 0;
	json_int_t total = 0;
	size_t i;

	section_open(b, "label-counts", "Training label counts");
	if (!r->has_counts) {
		buf_addstr(b, "<p>");
		na(b, NA_REC);
		buf_addstr(b, "</p>\n");
		section_close(b);
		return;
	}
	if (r->ncounts == 0) {
		buf_addstr(b, "<p>");
		na(b, "no labels recorded");
		buf_addstr(b, "</p>\n");
		section_close(b);
		return;
	}
	lf = r->ncounts <= 20 ? 13 : 11;
	row = r->ncounts <= 20 ? 24 : 17;
	for (i = 0; i < r->ncounts; i++) {
		total += r->counts[i].n;
		if (r->counts[i].n > max)
			max = (double)r->counts[i].n;
		if (text_w(r->counts[i].label, lf) > tw)
			tw = text_w(r->counts[i].label, lf);
	}
	left = tw + 16;
	W = left + BW + 130;
	H = row * r->ncounts + 8;
	buf_addstr(b, "<p class=\"note\">");
	add_count(b, total);
	buf_addstr(b, " training articles by label.</p>\n");
	buf_addf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
	    "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
	    "aria-label=\"training label counts\">\n", W, H, W, H);
	for (i = 0; i < r->ncounts; i++) {
		const struct count *c = &r->counts[i];
		double y = 4 + i * row, w = max > 0 ? c->n / max * BW : 0;

		svg_label(b, c->label, left - 8, y + row / 2 + lf * 0.35, lf,
		    " text-anchor=\"end\"");
		buf_addf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		    "height=\"%.1f\" fill=\"#4292c6\" rx=\"2\"/>", left,
		    y + row * 0.15, w, row * 0.7);
		buf_addf(b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.0f\">",
		    left + w + 6, y + row / 2 + lf * 0.35, lf - 1);
		add_count(b, c->n);
		buf_addstr(b, " <tspan class=\"m\">(");
		add_pct(b, total ? (double)c->n / total : 0);
		buf_addstr(b, ")</tspan></text>\n");
	}
	buf_addf(b, "<line x1=\"%.1f\" y1=\"0\" x2=\"%.1f\" y2=\"%.1f\" "
	    "class=\"ax\"/>\n</svg>\n", left, left, H);
	section_close(b);
}

static void
render(struct rep *r)
{
	struct buf *b = &r->b;

	buf_addstr(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">\n<title>");
	if (r->title) {
		esc(b, r->title);
	} else {
		esc(b, r->task);
		buf_addstr(b, " &middot; model report");
	}
	buf_addf(b, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n"
	    "<header>\n<h1>", css);
	if (r->title) {
		esc(b, r->title);
	} else {
		esc(b, r->task);
		buf_addstr(b, " &middot; model report");
	}
	buf_addstr(b, "</h1>\n<p class=\"sub\">Task <b>");
	esc(b, r->task);
	buf_addstr(b, "</b> &middot; bundle ");
	esc(b, r->version);
	buf_addstr(b, "</p>\n</header>\n");
	sec_summary(r);
	sec_confusion(r);
	sec_per_class(r);
	sec_reliability(r);
	sec_length(r);
	sec_grid(r);
	sec_counts(r);
	buf_addstr(b, "<footer>newsclass-train report</footer>\n</main>\n"
	    "</body>\n</html>\n");
}

static json_t *
load(const char *text, const char *what, struct err *err)
{
	json_error_t je;
	json_t *j = json_loads(text, 0, &je);

	if (j == NULL)
		err_set(err, "%s: not JSON: %s (line %d, column %d)", what,
		    je.text, je.line, je.column);
	return j;
}

int
report_write(FILE *f, const char *meta_json, const char *eval_json,
    const char *title, struct err *err)
{
	struct rep r;
	json_t *meta = NULL, *eval = NULL;
	locale_t c_loc, old;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	buf_init(&r.b);
	r.title = title;
	if (meta_json == NULL)
		return err_set(err, "meta.json: no text");
	if ((meta = load(meta_json, "meta.json", err)) == NULL ||
	    parse_meta(meta, &r, err) == -1)
		goto out;
	if (eval_json) {
		if ((eval = load(eval_json, "evaluation", err)) == NULL ||
		    parse_figures(eval, "evaluation", &r, &r.eval, err) == -1)
			goto out;
		r.has_eval = 1;
	}
	r.fig = r.has_eval ? &r.eval : r.has_test_fig ? &r.test : NULL;

	c_loc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	if (c_loc == (locale_t)0) {
		err_set(err, "cannot make the C locale: %s", strerror(errno));
		goto out;
	}
	old = uselocale(c_loc);
	render(&r);
	uselocale(old);
	freelocale(c_loc);

	if (fwrite(r.b.data, 1, r.b.len, f) != r.b.len || fflush(f) != 0) {
		err_set(err, "cannot write the report: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	figures_release(&r.eval);
	figures_release(&r.test);
	free(r.labels);
	free(r.counts);
	free(r.grid);
	free(r.vary);
	buf_release(&r.b);
	json_decref(eval);
	json_decref(meta);
	return rc;
}
