/*
 * feat.c - documents to sparse TF-IDF vectors over a fixed vocabulary.
 *
 * Terms are unigrams and (optionally) bigrams of the tokens text.c produces;
 * a bigram is "a b" with one space and never spans a clause break.  The
 * vocabulary is a sorted array of terms (feature id = position) with an
 * open-addressing hash index over it, load factor <= 1/2, keyed by 64-bit
 * FNV-1a.  Shipped vocabularies hold ~10^4..10^5 terms; an article makes a
 * few hundred to a few thousand lookups.
 *
 * Per-article work happens in a struct feat_scratch: the token buffer, the
 * bigram key buffer and the list of (id, count) hits, all reused, so a
 * steady stream of articles makes no heap allocation.  idf is derived from
 * the stored document frequencies at load time, so no floating-point text
 * round trip is involved in a bundle.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libstemmer.h>

#include "buf.h"
#include "feat.h"
#include "text.h"
#include "xalloc.h"

#define VOCAB_MAGIC "# newsclass vocabulary 1"

/* Index over terms stored elsewhere; slots hold id + 1, 0 = empty. */
struct term_index {
	uint32_t *slot;
	size_t mask;
};

struct feat_vocab {
	struct feat_settings settings;
	char *chars;		/* all terms, each NUL-terminated */
	size_t *off;		/* term i starts at chars + off[i] */
	uint32_t *df;
	double *idf;
	size_t n;
	uint64_t n_docs;
	struct term_index index;
};

struct hit {
	int32_t id;
	uint32_t count;
};

struct feat_scratch {
	struct text_tokens tok;
	struct sb_stemmer *stemmer;	/* created on first use */
	struct buf stems;		/* stemmed tokens, NUL-separated */
	struct text_token *stok;	/* tokens into stems */
	size_t capstok;
	struct buf key;
	struct hit *hit;
	size_t nhit, caphit;
};

/* Builder entries: every distinct term seen, with its document frequency. */
struct bterm {
	size_t off;		/* in chars */
	uint32_t len;
	uint32_t df;
	uint64_t last_doc;	/* last document counted, to count once */
};

struct feat_builder {
	struct feat_settings settings;
	struct buf chars;
	struct bterm *term;
	size_t n, cap;
	uint32_t *slot;		/* open addressing over term[], id + 1 */
	size_t mask;
	uint64_t n_docs;
	struct feat_scratch *scratch;
};

void
feat_settings_default(struct feat_settings *s)
{
	s->ngram_max = 2;
	s->title_weight = 2;
	s->text_flags = TEXT_NEGATION;
	s->sublinear_tf = 1;
	s->min_df = 2;
	s->max_features = 0;
}

int
feat_settings_check(const struct feat_settings *s, struct err *err)
{
	if (s->ngram_max < 1 || s->ngram_max > 2)
		return err_set(err, "ngram_max must be 1 or 2, not %d",
		    s->ngram_max);
	if (s->title_weight < 1 || s->title_weight > 100)
		return err_set(err, "title_weight must be 1..100, not %d",
		    s->title_weight);
	if (s->text_flags & ~(unsigned)(TEXT_NEGATION | TEXT_NUMCMP |
	    TEXT_STEM))
		return err_set(err, "unknown text flags 0x%x", s->text_flags);
	if (s->sublinear_tf != 0 && s->sublinear_tf != 1)
		return err_set(err, "sublinear_tf must be 0 or 1");
	if (s->min_df < 1)
		return err_set(err, "min_df must be >= 1, not %d", s->min_df);
	if (s->max_features < 0)
		return err_set(err, "max_features must be >= 0, not %d",
		    s->max_features);
	return 0;
}

static uint64_t
hash_bytes(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h ^ (h >> 29);
}

void
feat_vec_init(struct feat_vec *v)
{
	memset(v, 0, sizeof(*v));
}

void
feat_vec_release(struct feat_vec *v)
{
	free(v->idx);
	free(v->val);
	feat_vec_init(v);
}

static void
vec_reserve(struct feat_vec *v, size_t n)
{
	size_t cap;

	if (n <= v->cap)
		return;
	cap = v->cap ? v->cap : 64;
	while (cap < n)
		cap *= 2;
	v->idx = xreallocarray(v->idx, cap, sizeof(*v->idx));
	v->val = xreallocarray(v->val, cap, sizeof(*v->val));
	v->cap = cap;
}

struct feat_scratch *
feat_scratch_new(void)
{
	struct feat_scratch *s = xcalloc(1, sizeof(*s));

	text_tokens_init(&s->tok);
	buf_init(&s->stems);
	buf_init(&s->key);
	return s;
}

void
feat_scratch_destroy(struct feat_scratch **sp)
{
	struct feat_scratch *s = *sp;

	if (s == NULL)
		return;
	text_tokens_release(&s->tok);
	if (s->stemmer)
		sb_stemmer_delete(s->stemmer);
	buf_release(&s->stems);
	free(s->stok);
	buf_release(&s->key);
	free(s->hit);
	free(s);
	*sp = NULL;
}

/*
 * Call fn for every term of one tokenised field: unigrams, then bigrams
 * of neighbours without a clause break between them.
 */
typedef void term_fn(void *ctx, const char *term, size_t len);

/*
 * Replace every word token by its Snowball English stem, keeping a "!"
 * negation prefix and leaving "<num>"-style tokens alone.  The stems go to
 * s->stems / s->stok, which the caller then uses instead of s->tok.
 */
static void
stem_tokens(struct feat_scratch *s)
{
	const struct text_tokens *t = &s->tok;
	size_t i;

	if (s->stemmer == NULL &&
	    (s->stemmer = sb_stemmer_new("english", "UTF_8")) == NULL)
		abort();	/* only on out of memory */
	if (t->n > s->capstok) {
		s->capstok = t->n;
		s->stok = xreallocarray(s->stok, t->n, sizeof(*s->stok));
	}
	buf_reset(&s->stems);
	for (i = 0; i < t->n; i++) {
		const char *w = t->chars.data + t->tok[i].off;
		size_t len = t->tok[i].len, neg = w[0] == '!';

		s->stok[i] = t->tok[i];
		s->stok[i].off = (uint32_t)s->stems.len;
		if (w[neg] == '<') {
			buf_add(&s->stems, w, len);
		} else {
			const sb_symbol *st = sb_stemmer_stem(s->stemmer,
			    (const sb_symbol *)w + neg, (int)(len - neg));

			if (st == NULL)
				abort();	/* only on out of memory */
			buf_add(&s->stems, w, neg);
			buf_add(&s->stems, st,
			    (size_t)sb_stemmer_length(s->stemmer));
		}
		s->stok[i].len = (uint32_t)(s->stems.len - s->stok[i].off);
		buf_addch(&s->stems, '\0');
	}
}

static void
for_each_term(const struct feat_settings *st, struct feat_scratch *s,
    term_fn *fn, void *ctx)
{
	const struct text_token *tok = s->tok.tok;
	const char *chars = s->tok.chars.data;
	size_t i, n = s->tok.n;

	if (st->text_flags & TEXT_STEM) {
		stem_tokens(s);
		tok = s->stok;
		chars = s->stems.data;
	}
	for (i = 0; i < n; i++) {
		const struct text_token *a = &tok[i], *b;

		fn(ctx, chars + a->off, a->len);
		if (st->ngram_max < 2 || i + 1 == n)
			continue;
		b = &tok[i + 1];
		if (b->flags & TEXT_TOK_BREAK)
			continue;
		buf_reset(&s->key);
		buf_add(&s->key, chars + a->off, a->len);
		buf_addch(&s->key, ' ');
		buf_add(&s->key, chars + b->off, b->len);
		fn(ctx, s->key.data, s->key.len);
	}
}

/* Tokenise one field, naming it in the error. */
static int
tokenize_field(const struct feat_settings *st, const char *field,
    const char *s, size_t len, struct feat_scratch *sc, struct err *err)
{
	if (text_tokenize(s, len, st->text_flags, &sc->tok, err) == -1)
		return err_prefix(err, "%s", field);
	return 0;
}

/* ---- vocabulary index ---- */

static void
index_build(struct feat_vocab *v)
{
	size_t cap = 16, i;

	while (cap < v->n * 2)
		cap *= 2;
	v->index.slot = xcalloc(cap, sizeof(uint32_t));
	v->index.mask = cap - 1;
	for (i = 0; i < v->n; i++) {
		const char *t = v->chars + v->off[i];
		size_t h = hash_bytes(t, strlen(t)) & v->index.mask;

		while (v->index.slot[h])
			h = (h + 1) & v->index.mask;
		v->index.slot[h] = (uint32_t)i + 1;
	}
}

int32_t
feat_vocab_lookup(const struct feat_vocab *v, const char *term, size_t len)
{
	size_t h = hash_bytes(term, len) & v->index.mask;
	uint32_t s;

	while ((s = v->index.slot[h]) != 0) {
		const char *t = v->chars + v->off[s - 1];

		if (strncmp(t, term, len) == 0 && t[len] == '\0')
			return (int32_t)(s - 1);
		h = (h + 1) & v->index.mask;
	}
	return -1;
}

size_t
feat_vocab_size(const struct feat_vocab *v)
{
	return v->n;
}

const struct feat_settings *
feat_vocab_settings(const struct feat_vocab *v)
{
	return &v->settings;
}

const char *
feat_vocab_term(const struct feat_vocab *v, size_t i)
{
	return v->chars + v->off[i];
}

double
feat_vocab_idf(const struct feat_vocab *v, size_t i)
{
	return v->idf[i];
}

static void
vocab_compute_idf(struct feat_vocab *v)
{
	size_t i;

	v->idf = xreallocarray(NULL, v->n ? v->n : 1, sizeof(double));
	for (i = 0; i < v->n; i++)
		v->idf[i] = log((1.0 + (double)v->n_docs) /
		    (1.0 + (double)v->df[i])) + 1.0;
}

void
feat_vocab_destroy(struct feat_vocab **vp)
{
	struct feat_vocab *v = *vp;

	if (v == NULL)
		return;
	free(v->chars);
	free(v->off);
	free(v->df);
	free(v->idf);
	free(v->index.slot);
	free(v);
	*vp = NULL;
}

int
feat_vocab_save(const struct feat_vocab *v, const char *path, struct err *err)
{
	FILE *f;
	size_t i;

	if ((f = fopen(path, "w")) == NULL)
		return err_set(err, "cannot write '%s': %s", path,
		    strerror(errno));
	fprintf(f, "%s\ndocs\t%llu\nterms\t%zu\n", VOCAB_MAGIC,
	    (unsigned long long)v->n_docs, v->n);
	for (i = 0; i < v->n; i++)
		fprintf(f, "%s\t%u\n", v->chars + v->off[i], v->df[i]);
	if (fflush(f) != 0 || ferror(f)) {
		fclose(f);
		return err_set(err, "cannot write '%s': %s", path,
		    strerror(errno));
	}
	if (fclose(f) != 0)
		return err_set(err, "cannot write '%s': %s", path,
		    strerror(errno));
	return 0;
}

/* Parse "key\t<unsigned>" header lines. */
static int
parse_count(const char *line, const char *key, unsigned long long *out)
{
	size_t k = strlen(key);
	char *end;

	if (strncmp(line, key, k) != 0 || line[k] != '\t' ||
	    line[k + 1] < '0' || line[k + 1] > '9')
		return -1;
	errno = 0;
	*out = strtoull(line + k + 1, &end, 10);
	if (errno || *end != '\0')
		return -1;
	return 0;
}

int
feat_vocab_load(const char *path, const struct feat_settings *s,
    struct feat_vocab **out, struct err *err)
{
	struct feat_vocab *v = NULL;
	struct buf chars;
	unsigned long long docs, terms, df;
	char *line = NULL, *tab, *end;
	size_t cap = 0, lineno = 0, i = 0;
	ssize_t len;
	FILE *f;
	int rc = -1;

	*out = NULL;
	buf_init(&chars);
	if (feat_settings_check(s, err) == -1)
		return err_prefix(err, "bad feature settings for '%s'", path);
	if ((f = fopen(path, "r")) == NULL)
		return err_set(err, "cannot open '%s': %s", path,
		    strerror(errno));

#define NEXT_LINE()							\
	((len = getline(&line, &cap, f)) > 0 && line[len - 1] == '\n' ?	\
	    (line[--len] = '\0', ++lineno, 1) : 0)

	if (!NEXT_LINE() || strcmp(line, VOCAB_MAGIC) != 0) {
		err_set(err, "%s:1: not a newsclass vocabulary (bad header)",
		    path);
		goto out_close;
	}
	if (!NEXT_LINE() || parse_count(line, "docs", &docs) == -1 ||
	    docs == 0) {
		err_set(err, "%s:2: expected 'docs<TAB>N' with N > 0", path);
		goto out_close;
	}
	if (!NEXT_LINE() || parse_count(line, "terms", &terms) == -1 ||
	    terms == 0 || terms > INT32_MAX) {
		err_set(err, "%s:3: expected 'terms<TAB>N' with N > 0", path);
		goto out_close;
	}
	v = xcalloc(1, sizeof(*v));
	v->settings = *s;
	v->n_docs = docs;
	v->off = xreallocarray(NULL, terms, sizeof(*v->off));
	v->df = xreallocarray(NULL, terms, sizeof(*v->df));
	for (i = 0; i < terms; i++) {
		if (!NEXT_LINE()) {
			err_set(err, "%s:%zu: truncated: %zu of %llu terms",
			    path, lineno + 1, i, terms);
			goto out_close;
		}
		if ((tab = strrchr(line, '\t')) == NULL || tab == line ||
		    memchr(line, '\0', (size_t)len) != NULL) {
			err_set(err, "%s:%zu: expected 'term<TAB>df'", path,
			    lineno);
			goto out_close;
		}
		*tab = '\0';
		errno = 0;
		df = strtoull(tab + 1, &end, 10);
		if (tab[1] < '0' || tab[1] > '9' || errno || *end != '\0' ||
		    df == 0 || df > docs) {
			err_set(err, "%s:%zu: df must be 1..%llu", path, lineno,
			    docs);
			goto out_close;
		}
		if (i > 0 && strcmp(chars.data + v->off[i - 1], line) >= 0) {
			err_set(err, "%s:%zu: term '%s' is duplicated or out "
			    "of order", path, lineno, line);
			goto out_close;
		}
		v->off[i] = chars.len;
		buf_add(&chars, line, (size_t)(tab - line) + 1);
		v->df[i] = (uint32_t)df;
		v->n = i + 1;
	}
	if (getline(&line, &cap, f) != -1) {
		err_set(err, "%s:%zu: more terms than the %llu announced",
		    path, lineno + 1, terms);
		goto out_close;
	}
#undef NEXT_LINE
	v->chars = buf_detach(&chars, NULL);
	vocab_compute_idf(v);
	index_build(v);
	*out = v;
	v = NULL;
	rc = 0;
out_close:
	fclose(f);
	free(line);
	buf_release(&chars);
	feat_vocab_destroy(&v);
	return rc;
}

/* ---- vectorising ---- */

struct collect {
	const struct feat_vocab *v;
	struct feat_scratch *s;
	uint32_t weight;
};

static void
collect_term(void *ctx, const char *term, size_t len)
{
	struct collect *c = ctx;
	struct feat_scratch *s = c->s;
	int32_t id = feat_vocab_lookup(c->v, term, len);

	if (id < 0)
		return;
	if (s->nhit == s->caphit) {
		s->caphit = s->caphit ? s->caphit * 2 : 256;
		s->hit = xreallocarray(s->hit, s->caphit, sizeof(*s->hit));
	}
	s->hit[s->nhit].id = id;
	s->hit[s->nhit].count = c->weight;
	s->nhit++;
}

static int
hit_cmp(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

int
feat_vectorize(const struct feat_vocab *v, const char *title, size_t tlen,
    const char *text, size_t xlen, struct feat_scratch *s,
    struct feat_vec *out, struct err *err)
{
	const struct feat_settings *st = &v->settings;
	struct collect c = { v, s, (uint32_t)st->title_weight };
	double norm = 0.0;
	size_t i, n = 0;

	out->n = 0;
	s->nhit = 0;
	if (tokenize_field(st, "title", title, tlen, s, err) == -1)
		return -1;
	for_each_term(st, s, collect_term, &c);
	if (tokenize_field(st, "text", text, xlen, s, err) == -1)
		return -1;
	c.weight = 1;
	for_each_term(st, s, collect_term, &c);

	if (s->nhit > 1)
		qsort(s->hit, s->nhit, sizeof(*s->hit), hit_cmp);
	vec_reserve(out, s->nhit);
	for (i = 0; i < s->nhit; i++) {
		if (n > 0 && out->idx[n - 1] == s->hit[i].id) {
			out->val[n - 1] += s->hit[i].count;
			continue;
		}
		out->idx[n] = s->hit[i].id;
		out->val[n] = s->hit[i].count;
		n++;
	}
	for (i = 0; i < n; i++) {
		double tf = out->val[i];

		if (st->sublinear_tf)
			tf = 1.0 + log(tf);
		out->val[i] = tf * v->idf[out->idx[i]];
		norm += out->val[i] * out->val[i];
	}
	if (norm > 0.0) {
		norm = 1.0 / sqrt(norm);
		for (i = 0; i < n; i++)
			out->val[i] *= norm;
	}
	out->n = n;
	return 0;
}

/* ---- builder ---- */

struct feat_builder *
feat_builder_new(const struct feat_settings *s)
{
	struct feat_builder *b = xcalloc(1, sizeof(*b));

	b->settings = *s;
	buf_init(&b->chars);
	b->mask = 1023;
	b->slot = xcalloc(b->mask + 1, sizeof(uint32_t));
	b->scratch = feat_scratch_new();
	return b;
}

void
feat_builder_destroy(struct feat_builder **bp)
{
	struct feat_builder *b = *bp;

	if (b == NULL)
		return;
	buf_release(&b->chars);
	free(b->term);
	free(b->slot);
	feat_scratch_destroy(&b->scratch);
	free(b);
	*bp = NULL;
}

static void
builder_rehash(struct feat_builder *b)
{
	size_t i;

	free(b->slot);
	b->mask = b->mask * 2 + 1;
	b->slot = xcalloc(b->mask + 1, sizeof(uint32_t));
	for (i = 0; i < b->n; i++) {
		size_t h = hash_bytes(b->chars.data + b->term[i].off,
		    b->term[i].len) & b->mask;

		while (b->slot[h])
			h = (h + 1) & b->mask;
		b->slot[h] = (uint32_t)i + 1;
	}
}

static void
count_term(void *ctx, const char *term, size_t len)
{
	struct feat_builder *b = ctx;
	size_t h = hash_bytes(term, len) & b->mask;
	struct bterm *t;
	uint32_t s;

	while ((s = b->slot[h]) != 0) {
		t = &b->term[s - 1];
		if (t->len == len &&
		    memcmp(b->chars.data + t->off, term, len) == 0) {
			if (t->last_doc != b->n_docs) {
				t->last_doc = b->n_docs;
				t->df++;
			}
			return;
		}
		h = (h + 1) & b->mask;
	}
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 1024;
		b->term = xreallocarray(b->term, b->cap, sizeof(*b->term));
	}
	t = &b->term[b->n];
	t->off = b->chars.len;
	t->len = (uint32_t)len;
	t->df = 1;
	t->last_doc = b->n_docs;
	buf_add(&b->chars, term, len);
	buf_addch(&b->chars, '\0');
	b->slot[h] = (uint32_t)++b->n;
	if (b->n * 2 > b->mask)
		builder_rehash(b);
}

int
feat_builder_add(struct feat_builder *b, const char *title, size_t tlen,
    const char *text, size_t xlen, struct err *err)
{
	b->n_docs++;
	if (tokenize_field(&b->settings, "title", title, tlen, b->scratch,
	    err) == -1)
		goto fail;
	for_each_term(&b->settings, b->scratch, count_term, b);
	if (tokenize_field(&b->settings, "text", text, xlen, b->scratch,
	    err) == -1)
		goto fail;
	for_each_term(&b->settings, b->scratch, count_term, b);
	return 0;
fail:
	/* Terms of a rejected document may have been counted: undo them. */
	for (size_t i = 0; i < b->n; i++)
		if (b->term[i].last_doc == b->n_docs) {
			b->term[i].df--;
			b->term[i].last_doc = 0;
		}
	b->n_docs--;
	return -1;
}

/* qsort has no context argument: sort (pointer into chars, df) pairs. */
struct bsort {
	const char *term;
	uint32_t df;
};

static int
by_df_then_term(const void *a, const void *b)
{
	const struct bsort *x = a, *y = b;

	if (x->df != y->df)
		return x->df > y->df ? -1 : 1;
	return strcmp(x->term, y->term);
}

static int
by_term(const void *a, const void *b)
{
	const struct bsort *x = a, *y = b;

	return strcmp(x->term, y->term);
}

int
feat_builder_finish(struct feat_builder *b, struct feat_vocab **out,
    struct err *err)
{
	struct feat_vocab *v;
	struct bsort *keep;
	struct buf chars;
	size_t i, n = 0;

	*out = NULL;
	keep = xreallocarray(NULL, b->n ? b->n : 1, sizeof(*keep));
	for (i = 0; i < b->n; i++) {
		if (b->term[i].df < (uint32_t)b->settings.min_df)
			continue;
		keep[n].term = b->chars.data + b->term[i].off;
		keep[n].df = b->term[i].df;
		n++;
	}
	if (b->settings.max_features > 0 &&
	    n > (size_t)b->settings.max_features) {
		qsort(keep, n, sizeof(*keep), by_df_then_term);
		n = (size_t)b->settings.max_features;
	}
	if (n == 0) {
		free(keep);
		return err_set(err, "no term occurs in at least %d documents "
		    "(%llu documents seen)", b->settings.min_df,
		    (unsigned long long)b->n_docs);
	}
	qsort(keep, n, sizeof(*keep), by_term);

	v = xcalloc(1, sizeof(*v));
	v->settings = b->settings;
	v->n = n;
	v->n_docs = b->n_docs;
	v->off = xreallocarray(NULL, n, sizeof(*v->off));
	v->df = xreallocarray(NULL, n, sizeof(*v->df));
	buf_init(&chars);
	for (i = 0; i < n; i++) {
		v->off[i] = chars.len;
		buf_add(&chars, keep[i].term, strlen(keep[i].term) + 1);
		v->df[i] = keep[i].df;
	}
	v->chars = buf_detach(&chars, NULL);
	free(keep);
	vocab_compute_idf(v);
	index_build(v);
	*out = v;
	return 0;
}
