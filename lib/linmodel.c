/*
 * linmodel.c - the liblinear wrapper; the only file including linear.h.
 *
 * Layout: the solver table; training (feat_vec -> liblinear problem ->
 * train() -> our weight table); the model file, written and parsed here in
 * liblinear's format; scoring (our loop and liblinear's predict_values as
 * the reference).
 *
 * The weight table w has nr_class columns per row and nr_feature + 1 rows,
 * the last the bias row (all zero without a bias): w[f * k + c] is feature
 * f's weight for class c, so one feature's weights for every class are
 * adjacent, as in liblinear's own layout.  Weights are rounded to 9
 * significant digits when trained, the digits the file keeps, so a trained
 * model and the same model saved and loaded score bit for bit alike.  Sizes:
 * a news bundle has 10^4..10^6 features and 2..50 classes, 1..200 MB of
 * weights; liblinear's problem during training costs 16 bytes per non-zero
 * feature of the training set.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <linear.h>

#include "buf.h"
#include "linmodel.h"
#include "xalloc.h"

#define LINMODEL_MAX_CLASSES 1024

struct linmodel_solver {
	const char *name;	/* liblinear's, as its model files say */
	int type;		/* liblinear's solver_type */
	double eps;		/* liblinear-train's default tolerance */
	const char *scheme;
};

static const struct linmodel_solver linmodel_solvers[] = {
	{ "L2R_L2LOSS_SVC_DUAL", L2R_L2LOSS_SVC_DUAL, 0.1, "ovr" },
	{ "L2R_L2LOSS_SVC", L2R_L2LOSS_SVC, 0.01, "ovr" },
	{ "L2R_L1LOSS_SVC_DUAL", L2R_L1LOSS_SVC_DUAL, 0.1, "ovr" },
	{ "L2R_LR", L2R_LR, 0.01, "ovr" },
	{ "L2R_LR_DUAL", L2R_LR_DUAL, 0.1, "ovr" },
	{ "MCSVM_CS", MCSVM_CS, 0.1, "crammer-singer" },
	{ "L1R_L2LOSS_SVC", L1R_L2LOSS_SVC, 0.01, "ovr" },
	{ "L1R_LR", L1R_LR, 0.01, "ovr" },
};

struct linmodel {
	const struct linmodel_solver *solver;
	int nr_class;
	size_t nr_feature;
	double bias;		/* < 0: none */
	double *w;		/* (nr_feature + 1) * nr_class */
};

const struct linmodel_solver *
linmodel_solver_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(linmodel_solvers) / sizeof(linmodel_solvers[0]);
	    i++)
		if (strcmp(linmodel_solvers[i].name, name) == 0)
			return &linmodel_solvers[i];
	return NULL;
}

const char *
linmodel_solver_name(const struct linmodel_solver *s)
{
	return s->name;
}

const char *
linmodel_solver_scheme(const struct linmodel_solver *s)
{
	return s->scheme;
}

static void
linmodel_print_null(const char *s)
{
	(void)s;
}

void
linmodel_params_default(struct linmodel_params *p)
{
	memset(p, 0, sizeof(*p));
	p->solver = &linmodel_solvers[0];
	p->exact = 1;
	p->C = 1.0;
	p->bias = 1.0;
	p->seed = 1;
}

/* Columns a liblinear model stores: one for two classes but with CS. */
static int
linmodel_nr_w(int nr_class, const struct linmodel_solver *s)
{
	return nr_class == 2 && s->type != MCSVM_CS ? 1 : nr_class;
}

/* x as the double that its 9-significant-digit text reads as. */
static double
linmodel_round(double x)
{
	char tmp[32];

	snprintf(tmp, sizeof(tmp), "%.9g", x);
	return strtod(tmp, NULL);
}

static struct linmodel *
linmodel_new(const struct linmodel_solver *s, int nr_class,
    size_t nr_feature, double bias)
{
	struct linmodel *m = xcalloc(1, sizeof(*m));

	m->solver = s;
	m->nr_class = nr_class;
	m->nr_feature = nr_feature;
	m->bias = bias;
	m->w = xcalloc((nr_feature + 1) * (size_t)nr_class, sizeof(double));
	return m;
}

/*
 * Put row f of liblinear's weights (nr_w columns, column j for the class
 * label[j]) into our table; a single two-class column also gives class 1's
 * as its negation.  f == nr_feature is the bias row.
 */
static void
linmodel_put_row(struct linmodel *m, const double *lrow, const int *label,
    size_t f)
{
	int nr_w = linmodel_nr_w(m->nr_class, m->solver), j;
	double *dst = m->w + f * (size_t)m->nr_class;

	if (nr_w == 1) {
		/* liblinear: a positive value favours label[0]. */
		dst[label[0]] = lrow[0];
		dst[label[1]] = -lrow[0];
		return;
	}
	for (j = 0; j < nr_w; j++)
		dst[label[j]] = lrow[j];
}

/* ---- training ---- */

static int
linmodel_check_input(const struct feat_vec *x, const int *y, size_t n,
    size_t dim, int *nr_class, struct err *err)
{
	unsigned char *seen;
	size_t i, j;
	int k, max = -1;

	if (n == 0)
		return err_set(err, "cannot train model: no training vectors");
	if (n > INT_MAX || dim >= INT_MAX)
		return err_set(err, "cannot train model: %zu vectors of %zu "
		    "features (at most %d each)", n, dim, INT_MAX - 1);
	for (i = 0; i < n; i++) {
		if (y[i] < 0 || y[i] >= LINMODEL_MAX_CLASSES)
			return err_set(err, "cannot train model: vector %zu "
			    "has class %d (expected 0..%d)", i, y[i],
			    LINMODEL_MAX_CLASSES - 1);
		if (y[i] > max)
			max = y[i];
		for (j = 0; j < x[i].n; j++) {
			if (x[i].idx[j] < 0 || (size_t)x[i].idx[j] >= dim ||
			    (j > 0 && x[i].idx[j] <= x[i].idx[j - 1]))
				return err_set(err, "cannot train model: "
				    "vector %zu: feature id %d out of order "
				    "or not below %zu", i, (int)x[i].idx[j],
				    dim);
			if (!isfinite(x[i].val[j]))
				return err_set(err, "cannot train model: "
				    "vector %zu: feature %d is not a finite "
				    "number", i, (int)x[i].idx[j]);
		}
	}
	if (max < 1)
		return err_set(err, "cannot train model: need at least two "
		    "classes");
	seen = xcalloc((size_t)max + 1, 1);
	for (i = 0; i < n; i++)
		seen[y[i]] = 1;
	for (k = 0; k <= max && seen[k]; k++)
		;
	free(seen);
	if (k <= max)
		return err_set(err, "cannot train model: class %d has no "
		    "training vectors", k);
	*nr_class = max + 1;
	return 0;
}

int
linmodel_train(const struct feat_vec *x, const int *y, size_t n, size_t dim,
    const struct linmodel_params *p, struct linmodel **out, struct err *err)
{
	struct parameter param;
	struct problem prob;
	struct model *lm;
	struct feature_node *nodes, *dst;
	const char *why;
	size_t i, j, total = 0;
	int nr_class = 0, rc = -1, c, nr_w;

	*out = NULL;
	if (linmodel_check_input(x, y, n, dim, &nr_class, err) == -1)
		return -1;
	if (!(p->C > 0) || !isfinite(p->C))
		return err_set(err, "cannot train model: C must be positive");

	memset(&param, 0, sizeof(param));
	param.solver_type = p->solver->type;
	param.eps = p->eps > 0 ? p->eps : p->solver->eps;
	param.C = p->C;
	param.p = 0.1;
	for (i = 0; i < n; i++)
		total += x[i].n + 2;
	prob.l = (int)n;
	prob.n = (int)dim + (p->bias >= 0 ? 1 : 0);
	prob.bias = p->bias;
	prob.y = xreallocarray(NULL, n, sizeof(*prob.y));
	prob.x = xreallocarray(NULL, n, sizeof(*prob.x));
	nodes = xreallocarray(NULL, total, sizeof(*nodes));
	dst = nodes;
	for (i = 0; i < n; i++) {
		prob.y[i] = y[i];
		prob.x[i] = dst;
		for (j = 0; j < x[i].n; j++, dst++) {
			dst->index = x[i].idx[j] + 1;
			dst->value = x[i].val[j];
		}
		if (p->bias >= 0) {
			dst->index = (int)dim + 1;
			dst->value = p->bias;
			dst++;
		}
		dst->index = -1;
		dst->value = 0;
		dst++;
	}
	if (p->balanced || p->weight) {
		/* Rare classes get a larger C, as if they were as frequent. */
		double *cnt = xcalloc((size_t)nr_class, sizeof(double));

		param.nr_weight = nr_class;
		param.weight_label = xcalloc((size_t)nr_class, sizeof(int));
		param.weight = xcalloc((size_t)nr_class, sizeof(double));
		for (i = 0; i < n; i++)
			cnt[y[i]] += p->weight ? p->weight[i] : 1.0;
		for (c = 0; c < nr_class; c++) {
			param.weight_label[c] = c;
			param.weight[c] = p->balanced ? (double)n /
			    ((double)nr_class * cnt[c]) : 1.0;
		}
		free(cnt);
	}
	why = check_parameter(&prob, &param);
	if (why != NULL) {
		err_set(err, "cannot train model: %s", why);
		goto out_free;
	}
	set_print_string_function(linmodel_print_null);
	srand(p->seed);
	lm = train(&prob, &param);
	if (lm == NULL || lm->nr_class != nr_class) {
		err_set(err, "cannot train model: liblinear returned no model "
		    "of %d classes", nr_class);
		if (lm != NULL)
			free_and_destroy_model(&lm);
		goto out_free;
	}
	*out = linmodel_new(p->solver, nr_class, dim, p->bias);
	nr_w = linmodel_nr_w(nr_class, p->solver);
	for (i = 0; p->exact && i < (size_t)prob.n * (size_t)nr_w; i++)
		lm->w[i] = linmodel_round(lm->w[i]);
	for (i = 0; i < (size_t)prob.n; i++)
		linmodel_put_row(*out, lm->w + i * (size_t)nr_w, lm->label, i);
	free_and_destroy_model(&lm);
	rc = 0;
out_free:
	free(param.weight_label);
	free(param.weight);
	free(nodes);
	free(prob.x);
	free(prob.y);
	return rc;
}

/* ---- the model file ---- */

int
linmodel_save(const struct linmodel *m, const char *path, struct err *err)
{
	int nr_w = linmodel_nr_w(m->nr_class, m->solver), c, j;
	size_t f, k = (size_t)m->nr_class;
	size_t rows = m->nr_feature + (m->bias >= 0 ? 1 : 0);
	FILE *fp = fopen(path, "w");

	if (fp == NULL)
		return err_set(err, "cannot save model '%s': %s", path,
		    strerror(errno));
	fprintf(fp, "solver_type %s\nnr_class %d\nlabel", m->solver->name,
	    m->nr_class);
	for (c = 0; c < m->nr_class; c++)
		fprintf(fp, " %d", c);
	fprintf(fp, "\nnr_feature %zu\nbias %.17g\nw\n", m->nr_feature,
	    m->bias >= 0 ? m->bias : -1.0);
	for (f = 0; f < rows; f++) {
		for (j = 0; j < nr_w; j++)
			fprintf(fp, "%.9g ", m->w[f * k + (size_t)j]);
		fputc('\n', fp);
	}
	if (ferror(fp) | (fclose(fp) != 0))
		return err_set(err, "cannot save model '%s': write error",
		    path);
	return 0;
}

/* The parser's state: the file in memory, cut into lines. */
struct linmodel_reader {
	const char *path;
	char *pos, *end;
	size_t lineno;
	locale_t c_locale;
	struct err *err;
};

/* The next line, NUL-terminated in place, or NULL at the end. */
static char *
linmodel_line(struct linmodel_reader *r)
{
	char *s = r->pos, *nl;

	if (s >= r->end)
		return NULL;
	nl = memchr(s, '\n', (size_t)(r->end - s));
	if (nl == NULL)
		nl = r->end;
	*nl = '\0';
	r->pos = nl + 1;
	r->lineno++;
	return s;
}

static int
linmodel_fail(struct linmodel_reader *r, const char *what)
{
	return err_set(r->err, "cannot load model '%s': line %zu: %s",
	    r->path, r->lineno, what);
}

/* "key value" with a value of at most 63 bytes into val. */
static int
linmodel_keyval(struct linmodel_reader *r, const char *key, char *val,
    size_t valsz)
{
	char *line = linmodel_line(r), what[96];
	size_t kl = strlen(key), vl;

	if (line == NULL || strncmp(line, key, kl) != 0 || line[kl] != ' ') {
		snprintf(what, sizeof(what), "expected '%s'", key);
		return linmodel_fail(r, what);
	}
	vl = strlen(line + kl + 1);
	if (vl == 0 || vl >= valsz) {
		snprintf(what, sizeof(what), "bad '%s' value", key);
		return linmodel_fail(r, what);
	}
	memcpy(val, line + kl + 1, vl + 1);
	return 0;
}

static int
linmodel_parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;

	if (!isdigit((unsigned char)*s) && *s != '-')
		return -1;
	errno = 0;
	*out = strtol(s, &end, 10);
	return errno || *end != '\0' || *out < lo || *out > hi ? -1 : 0;
}

/* The header up to "w"; labels into label[] (a permutation of 0..k-1). */
static int
linmodel_parse_header(struct linmodel_reader *r, struct linmodel **out,
    int **labelp)
{
	const struct linmodel_solver *s;
	char val[64], *line, *pos, *end;
	long k, nf, v;
	double bias;
	size_t rows, left;
	int *label = NULL, c;
	unsigned char *seen = NULL;

	if (linmodel_keyval(r, "solver_type", val, sizeof(val)) == -1)
		return -1;
	if ((s = linmodel_solver_find(val)) == NULL)
		return linmodel_fail(r, "not a liblinear classification "
		    "solver");
	if (linmodel_keyval(r, "nr_class", val, sizeof(val)) == -1)
		return -1;
	if (linmodel_parse_long(val, 2, LINMODEL_MAX_CLASSES, &k) == -1)
		return linmodel_fail(r, "nr_class out of range (2..1024)");
	line = linmodel_line(r);
	if (line == NULL || strncmp(line, "label", 5) != 0)
		return linmodel_fail(r, "expected 'label'");
	label = xcalloc((size_t)k, sizeof(int));
	seen = xcalloc((size_t)k, 1);
	pos = line + 5;
	for (c = 0; c < k; c++) {
		if (*pos != ' ')
			goto bad_label;
		v = strtol(pos + 1, &end, 10);
		if (end == pos + 1 || v < 0 || v >= k || seen[v])
			goto bad_label;
		seen[v] = 1;
		label[c] = (int)v;
		pos = end;
	}
	if (*pos != '\0')
		goto bad_label;
	free(seen);
	seen = NULL;
	if (linmodel_keyval(r, "nr_feature", val, sizeof(val)) == -1)
		goto fail;
	if (linmodel_parse_long(val, 0, INT_MAX - 1, &nf) == -1) {
		linmodel_fail(r, "nr_feature out of range");
		goto fail;
	}
	if (linmodel_keyval(r, "bias", val, sizeof(val)) == -1)
		goto fail;
	bias = strtod_l(val, &end, r->c_locale);
	if (*end != '\0' || !isfinite(bias)) {
		linmodel_fail(r, "bias is not a number");
		goto fail;
	}
	line = linmodel_line(r);
	if (line == NULL || strcmp(line, "w") != 0) {
		linmodel_fail(r, "expected 'w'");
		goto fail;
	}
	/*
	 * Before the table is allocated: a number takes at least two bytes
	 * with its separator (the last one, one), so a header cannot make a
	 * small file ask for more memory than its rows could fill.
	 */
	rows = (size_t)nf + (bias >= 0 ? 1 : 0);
	left = r->pos <= r->end ? (size_t)(r->end - r->pos) : 0;
	if (rows * (size_t)linmodel_nr_w((int)k, s) * 2 > left + 1) {
		linmodel_fail(r, "the file is too short for its weight table");
		goto fail;
	}
	*out = linmodel_new(s, (int)k, (size_t)nf, bias >= 0 ? bias : -1.0);
	*labelp = label;
	return 0;
bad_label:
	linmodel_fail(r, "'label' must list 0..nr_class-1, each once");
fail:
	free(seen);
	free(label);
	return -1;
}

/* The weight rows: exactly rows lines of nr_w finite numbers. */
static int
linmodel_parse_weights(struct linmodel_reader *r, struct linmodel *m,
    const int *label)
{
	int nr_w = linmodel_nr_w(m->nr_class, m->solver), j;
	size_t f, rows = m->nr_feature + (m->bias >= 0 ? 1 : 0);
	double *row = xcalloc((size_t)nr_w, sizeof(double));
	char *line, *end;

	for (f = 0; f < rows; f++) {
		if ((line = linmodel_line(r)) == NULL) {
			free(row);
			return linmodel_fail(r, "the weight table ends early");
		}
		for (j = 0; j < nr_w; j++) {
			while (*line == ' ')
				line++;
			row[j] = strtod_l(line, &end, r->c_locale);
			if (end == line || !isfinite(row[j]) ||
			    (*end != ' ' && *end != '\0')) {
				free(row);
				return linmodel_fail(r, "a weight row needs "
				    "one finite number per class column");
			}
			line = end;
		}
		while (*line == ' ')
			line++;
		if (*line != '\0') {
			free(row);
			return linmodel_fail(r, "too many numbers in a weight "
			    "row");
		}
		linmodel_put_row(m, row, label, f);
	}
	free(row);
	while ((line = linmodel_line(r)) != NULL)
		if (*line != '\0')
			return linmodel_fail(r, "text after the weight table");
	return 0;
}

int
linmodel_load(const char *path, size_t max_bytes, struct linmodel **out,
    struct err *err)
{
	struct linmodel_reader r;
	struct buf b;
	struct stat st;
	char chunk[65536];
	size_t n;
	int *label = NULL, rc = -1;
	FILE *f;

	*out = NULL;
	if ((f = fopen(path, "r")) == NULL)
		return err_set(err, "cannot load model '%s': %s", path,
		    strerror(errno));
	if (fstat(fileno(f), &st) == -1 || !S_ISREG(st.st_mode)) {
		fclose(f);
		return err_set(err, "cannot load model '%s': not a regular "
		    "file", path);
	}
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (b.len + n > max_bytes) {
			fclose(f);
			buf_release(&b);
			return err_set(err, "cannot load model '%s': larger "
			    "than %zu bytes", path, max_bytes);
		}
		buf_add(&b, chunk, n);
	}
	if (ferror(f)) {
		fclose(f);
		buf_release(&b);
		return err_set(err, "cannot load model '%s': read error",
		    path);
	}
	fclose(f);
	buf_addch(&b, '\0');
	r.path = path;
	r.pos = b.data;
	r.end = b.data + b.len - 1;
	r.lineno = 0;
	r.err = err;
	r.c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	if (r.c_locale == (locale_t)0) {
		buf_release(&b);
		return err_set(err, "cannot load model '%s': no C locale",
		    path);
	}
	if (linmodel_parse_header(&r, out, &label) == 0) {
		rc = linmodel_parse_weights(&r, *out, label);
		if (rc == -1)
			linmodel_destroy(out);
	}
	free(label);
	freelocale(r.c_locale);
	buf_release(&b);
	return rc;
}

void
linmodel_destroy(struct linmodel **mp)
{
	struct linmodel *m = *mp;

	if (m == NULL)
		return;
	free(m->w);
	free(m);
	*mp = NULL;
}

int
linmodel_nr_class(const struct linmodel *m)
{
	return m->nr_class;
}

size_t
linmodel_nr_feature(const struct linmodel *m)
{
	return m->nr_feature;
}

const struct linmodel_solver *
linmodel_solver(const struct linmodel *m)
{
	return m->solver;
}

const double *
linmodel_weights(const struct linmodel *m)
{
	return m->w;
}

struct linmodel *
linmodel_from_weights(const struct linmodel_solver *s, int nr_class,
    size_t nr_feature, double bias, const double *w)
{
	struct linmodel *m = linmodel_new(s, nr_class, nr_feature,
	    bias >= 0 ? bias : -1.0);

	memcpy(m->w, w, (nr_feature + 1) * (size_t)nr_class * sizeof(double));
	return m;
}

/* ---- scoring ---- */

/* How many features ahead linmodel_decision asks for weight rows. */
#define LINMODEL_PREFETCH 16

/*
 * One pass over x's features, in order, then the bias: the same sums in
 * the same order as liblinear's predict_values.
 */
void
linmodel_decision(const struct linmodel *m, const struct feat_vec *x,
    double *restrict dec)
{
	size_t i, c, k = (size_t)m->nr_class, nf = m->nr_feature;
	const double *restrict w;

	for (c = 0; c < k; c++)
		dec[c] = 0.0;
	for (i = 0; i < x->n; i++) {
		double v = x->val[i];

		if (i + LINMODEL_PREFETCH < x->n &&
		    (size_t)x->idx[i + LINMODEL_PREFETCH] < nf) {
			const double *ahead = m->w +
			    (size_t)x->idx[i + LINMODEL_PREFETCH] * k;

			__builtin_prefetch(ahead);
			__builtin_prefetch(ahead + k - 1);
		}
		if ((size_t)x->idx[i] >= nf)
			continue;
		w = m->w + (size_t)x->idx[i] * k;
		for (c = 0; c < k; c++)
			dec[c] += w[c] * v;
	}
	if (m->bias >= 0) {
		w = m->w + nf * k;
		for (c = 0; c < k; c++)
			dec[c] += w[c] * m->bias;
	}
}

double
linmodel_weight(const struct linmodel *m, int32_t f, int c)
{
	if (f < 0 || (size_t)f >= m->nr_feature || c < 0 || c >= m->nr_class)
		return 0.0;
	return m->w[(size_t)f * (size_t)m->nr_class + (size_t)c];
}

/*
 * liblinear's model over our table: the same layout unless liblinear keeps
 * one column (two classes, one-vs-rest), which is then copied out.
 */
int
linmodel_predict_liblinear(const struct linmodel *m,
    const struct feat_vec *x, double *dec)
{
	int nr_w = linmodel_nr_w(m->nr_class, m->solver), c, pred;
	size_t i, f, rows = m->nr_feature + (m->bias >= 0 ? 1 : 0);
	size_t k = (size_t)m->nr_class;
	struct feature_node *nodes = xcalloc(x->n + 2, sizeof(*nodes));
	double *lw = NULL;
	double *ldec = xcalloc(k, sizeof(double));
	int *label = xcalloc(k, sizeof(int));
	struct model lm;

	if ((size_t)nr_w != k) {
		lw = xcalloc(rows, sizeof(double));
		for (f = 0; f < rows; f++)
			lw[f] = m->w[f * k];
	}
	for (c = 0; c < m->nr_class; c++)
		label[c] = c;
	memset(&lm, 0, sizeof(lm));
	lm.param.solver_type = m->solver->type;
	lm.nr_class = m->nr_class;
	lm.nr_feature = (int)m->nr_feature;
	lm.w = lw != NULL ? lw : m->w;	/* predict_values only reads it */
	lm.label = label;
	lm.bias = m->bias;
	for (i = 0; i < x->n; i++) {
		nodes[i].index = x->idx[i] + 1;
		nodes[i].value = x->val[i];
	}
	if (m->bias >= 0) {
		nodes[i].index = (int)m->nr_feature + 1;
		nodes[i++].value = m->bias;
	}
	nodes[i].index = -1;
	pred = (int)predict_values(&lm, nodes, ldec);
	if (nr_w == 1) {
		dec[0] = ldec[0];
		dec[1] = -ldec[0];
	} else {
		for (c = 0; c < m->nr_class; c++)
			dec[c] = ldec[c];
	}
	free(label);
	free(ldec);
	free(lw);
	free(nodes);
	return pred;
}
