/*
 * test_feat.c - unit tests for the feature extractor (lib/feat.c).
 *
 * The module's .c is included so that the tests can look at the
 * vocabulary's internals, with its xalloc calls counted (to check that a
 * reused scratch stops allocating).  Expected TF-IDF values
 * are written out from the formulas of feat.h for a three-document toy
 * corpus:
 *
 *   D1  title "Apple"  text "apple banana apple"
 *   D2  title ""       text "banana cherry banana"
 *   D3  title "Date"   text "cherry apple banana"
 *
 * so N = 3 and df(apple) = 2 (D1 counts once although it holds apple three
 * times), df(banana) = 3, df(cherry) = 2, df(date) = 1.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xalloc.h"

/* Every allocation feat.c makes, counted. */
static size_t nalloc;
#define xmalloc(n) (nalloc++, xmalloc(n))
#define xcalloc(n, s) (nalloc++, xcalloc((n), (s)))
#define xrealloc(p, n) (nalloc++, xrealloc((p), (n)))
#define xreallocarray(p, n, s) (nalloc++, xreallocarray((p), (n), (s)))
#define xstrdup(s) (nalloc++, xstrdup(s))
#define xstrndup(s, n) (nalloc++, xstrndup((s), (n)))

#include "../../lib/feat.c"
#include "stopwords.h"

#define EPS 1e-12

struct doc {
	const char *title;
	const char *text;
};

static const struct doc toy[] = {
	{ "Apple", "apple banana apple" },
	{ "", "banana cherry banana" },
	{ "Date", "cherry apple banana" },
};

static char tmpdir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_feat.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
settings_plain(struct feat_settings *s)
{
	s->ngram_max = 1;
	s->title_weight = 1;
	s->text_flags = 0;
	s->sublinear_tf = 0;
	s->min_df = 1;
	s->max_features = 0;
}

static struct feat_vocab *
build(const struct feat_settings *s, const struct doc *d, size_t n)
{
	struct feat_builder *b = feat_builder_new(s);
	struct feat_vocab *v = NULL;
	struct err err;
	size_t i;

	for (i = 0; i < n; i++)
		if (feat_builder_add(b, d[i].title, strlen(d[i].title),
		    d[i].text, strlen(d[i].text), &err) != 0)
			fail_msg("feat_builder_add doc %zu: %s", i, err.msg);
	if (feat_builder_finish(b, &v, &err) != 0)
		fail_msg("feat_builder_finish: %s", err.msg);
	feat_builder_destroy(&b);
	assert_null(b);
	return v;
}

/* The terms of v joined by "|". */
static void
terms(const struct feat_vocab *v, char *out, size_t outsz)
{
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; i < feat_vocab_size(v); i++)
		n += (size_t)snprintf(out + n, outsz - n, "%s%s", i ? "|" : "",
		    feat_vocab_term(v, i));
	assert_true(n < outsz);
}

static void
vectorize(const struct feat_vocab *v, const char *title, const char *text,
    struct feat_scratch *s, struct feat_vec *out)
{
	struct err err;

	if (feat_vectorize(v, title, strlen(title), text, strlen(text), s, out,
	    &err) != 0)
		fail_msg("feat_vectorize: %s", err.msg);
}

static double
weight_of(const struct feat_vocab *v, const struct feat_vec *x,
    const char *term)
{
	int32_t id = feat_vocab_lookup(v, term, strlen(term));
	size_t i;

	assert_true(id >= 0);
	for (i = 0; i < x->n; i++)
		if (x->idx[i] == id)
			return x->val[i];
	return 0.0;
}

static void
check_normalised(const struct feat_vec *x)
{
	double sum = 0.0;
	size_t i;

	for (i = 0; i < x->n; i++) {
		sum += x->val[i] * x->val[i];
		if (i > 0)
			assert_true(x->idx[i - 1] < x->idx[i]);
	}
	if (fabs(sum - 1.0) > 1e-12)
		fail_msg("squared norm %.17g, want 1", sum);
}

static void
assert_close(double got, double want)
{
	if (fabs(got - want) > EPS)
		fail_msg("got %.17g, want %.17g", got, want);
}

/* ---- settings ---- */

static void
test_settings_check(void **state)
{
	struct feat_settings s, d;
	struct err err;

	(void)state;
	feat_settings_default(&d);
	assert_int_equal(d.ngram_max, 2);
	assert_int_equal(d.title_weight, 2);
	assert_int_equal(d.text_flags, TEXT_NEGATION);
	assert_int_equal(d.sublinear_tf, 1);
	assert_int_equal(d.min_df, 2);
	assert_int_equal(d.max_features, 0);
	assert_int_equal(feat_settings_check(&d, &err), 0);

#define BAD(field, value, word) do {					\
	s = d;								\
	s.field = (value);						\
	err.msg[0] = '\0';						\
	assert_int_equal(feat_settings_check(&s, &err), -1);		\
	if (strstr(err.msg, (word)) == NULL)				\
		fail_msg("%s = %d: '%s' lacks '%s'", #field,		\
		    (int)(value), err.msg, (word));			\
} while (0)
#define GOOD(field, value) do {						\
	s = d;								\
	s.field = (value);						\
	assert_int_equal(feat_settings_check(&s, &err), 0);		\
} while (0)
	BAD(ngram_max, 0, "ngram_max");
	BAD(ngram_max, 3, "ngram_max");
	GOOD(ngram_max, 1);
	BAD(title_weight, 0, "title_weight");
	BAD(title_weight, 101, "title_weight");
	GOOD(title_weight, 1);
	GOOD(title_weight, 100);
	BAD(text_flags, 1u << 6, "flags");
	BAD(text_flags, 0x80000000u, "flags");
	GOOD(text_flags, TEXT_NEGATION | TEXT_NUMCMP | TEXT_STEM);
	GOOD(text_flags, TEXT_NEGATION | TEXT_NUMCMP | TEXT_STEM |
	    TEXT_CLEAN_HTML | TEXT_CLEAN_BOILERPLATE | TEXT_STOPWORDS);
	GOOD(text_flags, 0);
	BAD(sublinear_tf, 2, "sublinear_tf");
	BAD(sublinear_tf, -1, "sublinear_tf");
	GOOD(sublinear_tf, 0);
	BAD(min_df, 0, "min_df");
	BAD(min_df, -5, "min_df");
	GOOD(min_df, 1);
	BAD(max_features, -1, "max_features");
	GOOD(max_features, 0);
	GOOD(max_features, 1);
#undef BAD
#undef GOOD
	/* NULL err is allowed. */
	s = d;
	s.min_df = 0;
	assert_int_equal(feat_settings_check(&s, NULL), -1);
}

/* ---- the builder ---- */

static void
test_builder_df(void **state)
{
	struct feat_settings s;
	struct feat_vocab *v;
	char t[256];

	(void)state;
	settings_plain(&s);
	v = build(&s, toy, 3);
	terms(v, t, sizeof(t));
	assert_string_equal(t, "apple|banana|cherry|date");
	assert_int_equal(v->n_docs, 3);
	assert_int_equal(v->df[0], 2);	/* apple: 3 times in D1, once */
	assert_int_equal(v->df[1], 3);	/* banana: twice in D2, once */
	assert_int_equal(v->df[2], 2);
	assert_int_equal(v->df[3], 1);
	assert_close(feat_vocab_idf(v, 0), log(4.0 / 3.0) + 1.0);
	assert_close(feat_vocab_idf(v, 1), 1.0);
	assert_close(feat_vocab_idf(v, 2), log(4.0 / 3.0) + 1.0);
	assert_close(feat_vocab_idf(v, 3), log(2.0) + 1.0);
	assert_int_equal(feat_vocab_lookup(v, "cherry", 6), 2);
	assert_int_equal(feat_vocab_lookup(v, "cherryx", 6), 2);
	assert_int_equal(feat_vocab_lookup(v, "cherr", 5), -1);
	assert_int_equal(feat_vocab_lookup(v, "elephant", 8), -1);
	assert_int_equal(feat_vocab_lookup(v, "", 0), -1);
	assert_memory_equal(feat_vocab_settings(v), &s, sizeof(s));
	feat_vocab_destroy(&v);
	assert_null(v);
	feat_vocab_destroy(&v);	/* NULL is fine */
}

static const struct doc fruit[] = {
	{ "", "mango lime kiwi" },
	{ "", "kiwi lime mango" },
	{ "", "kiwi nut" },
};

static void
check_prune(int min_df, int max_features, const char *want)
{
	struct feat_settings s;
	struct feat_vocab *v;
	char t[256];

	settings_plain(&s);
	s.min_df = min_df;
	s.max_features = max_features;
	v = build(&s, fruit, 3);
	terms(v, t, sizeof(t));
	if (strcmp(t, want) != 0)
		fail_msg("min_df %d max_features %d: got '%s', want '%s'",
		    min_df, max_features, t, want);
	feat_vocab_destroy(&v);
}

static void
test_builder_prune(void **state)
{
	struct feat_settings s;
	struct feat_builder *b;
	struct feat_vocab *v;
	struct err err;
	size_t i;

	(void)state;
	/* df: kiwi 3, lime 2, mango 2, nut 1. */
	check_prune(1, 0, "kiwi|lime|mango|nut");
	check_prune(2, 0, "kiwi|lime|mango");
	check_prune(3, 0, "kiwi");
	check_prune(1, 4, "kiwi|lime|mango|nut");
	check_prune(1, 10, "kiwi|lime|mango|nut");
	check_prune(1, 3, "kiwi|lime|mango");
	/* lime and mango tie at df 2: byte order keeps lime. */
	check_prune(1, 2, "kiwi|lime");
	check_prune(1, 1, "kiwi");
	check_prune(2, 2, "kiwi|lime");

	/* Nothing left: an error naming min_df and the documents seen. */
	settings_plain(&s);
	s.min_df = 4;
	b = feat_builder_new(&s);
	for (i = 0; i < 3; i++)
		assert_int_equal(feat_builder_add(b, "", 0, fruit[i].text,
		    strlen(fruit[i].text), &err), 0);
	v = (struct feat_vocab *)&s;
	assert_int_equal(feat_builder_finish(b, &v, &err), -1);
	assert_null(v);
	assert_non_null(strstr(err.msg, "4 documents"));
	assert_non_null(strstr(err.msg, "3 documents seen"));
	feat_builder_destroy(&b);

	/* No documents at all. */
	settings_plain(&s);
	b = feat_builder_new(&s);
	assert_int_equal(feat_builder_finish(b, &v, &err), -1);
	feat_builder_destroy(&b);
}

static void
test_builder_sorted(void **state)
{
	static const struct doc d[] = {
		{ "Zebra", "yak xerus walrus vole" },
		{ "", "ant bee caf\xc3\xa9 \xc3\xa9lan \xe6\x97\xa5\xe6\x9c\xac "
		    "aardvark zebra" },
	};
	struct feat_settings s;
	struct feat_vocab *v;
	size_t i;

	(void)state;
	settings_plain(&s);
	s.ngram_max = 2;
	v = build(&s, d, 2);
	assert_true(feat_vocab_size(v) > 10);
	for (i = 1; i < feat_vocab_size(v); i++)
		if (strcmp(feat_vocab_term(v, i - 1), feat_vocab_term(v, i)) >=
		    0)
			fail_msg("terms %zu '%s' and %zu '%s' out of order",
			    i - 1, feat_vocab_term(v, i - 1), i,
			    feat_vocab_term(v, i));
	for (i = 0; i < feat_vocab_size(v); i++)
		assert_int_equal(feat_vocab_lookup(v, feat_vocab_term(v, i),
		    strlen(feat_vocab_term(v, i))), (int32_t)i);
	feat_vocab_destroy(&v);
}

/*
 * Terms of up to 8 bytes are matched by their bytes in the index slot,
 * longer ones by hash and bytes: lookups at and around the boundary, for
 * words and bigrams, and near misses sharing the first 8 bytes.
 */
static void
test_lookup_key_lengths(void **state)
{
	static const struct doc d[] = {
		{ "", "abcdefg abcdefgh abcdefghi. ab cdefg. ab cdefgh. a b" },
		{ "", "abcdefg abcdefgh abcdefghi. ab cdefg. ab cdefgh. a b" },
	};
	static const char *const in[] = {
		"abcdefg", "abcdefgh", "abcdefghi", "ab cdefg", "ab cdefgh",
		"a b", "a", "b", "ab", "cdefg", "cdefgh",
		"abcdefgh abcdefghi", "abcdefg abcdefgh",
	};
	static const char *const out[] = {
		"abcdef", "abcdefgi", "abcdefghj", "abcdefghij", "ab cdefgi",
		"ab cdef", "ab cdefghi", "a c", "b a", "abcdefg ",
		"abcdefgh abcdefgh", "abcdefghi abcdefg",
	};
	struct feat_settings s;
	struct feat_vocab *v;
	size_t i;

	(void)state;
	settings_plain(&s);
	s.ngram_max = 2;
	v = build(&s, d, 2);
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		int32_t id = feat_vocab_lookup(v, in[i], strlen(in[i]));

		if (id < 0)
			fail_msg("'%s' not found", in[i]);
		assert_string_equal(feat_vocab_term(v, (size_t)id), in[i]);
	}
	for (i = 0; i < sizeof(out) / sizeof(out[0]); i++)
		if (feat_vocab_lookup(v, out[i], strlen(out[i])) != -1)
			fail_msg("'%s' found", out[i]);
	feat_vocab_destroy(&v);
}

static void
test_builder_many_terms(void **state)
{
	/* Enough distinct terms to rehash the builder's table a few times. */
	struct feat_settings s;
	struct feat_builder *b;
	struct feat_vocab *v;
	struct err err;
	struct buf text;
	char w[32];
	size_t i;

	(void)state;
	settings_plain(&s);
	buf_init(&text);
	for (i = 0; i < 5000; i++)
		buf_addf(&text, "w%zux ", i);
	b = feat_builder_new(&s);
	assert_int_equal(feat_builder_add(b, "", 0, text.data, text.len,
	    &err), 0);
	buf_reset(&text);
	for (i = 0; i < 2400; i++)
		buf_addf(&text, "w%zux ", i);
	assert_int_equal(feat_builder_add(b, "", 0, text.data, text.len,
	    &err), 0);
	assert_int_equal(feat_builder_finish(b, &v, &err), 0);
	assert_int_equal(feat_vocab_size(v), 5000);
	for (i = 0; i < 5000; i += 499) {
		int32_t id;

		snprintf(w, sizeof(w), "w%zux", i);
		id = feat_vocab_lookup(v, w, strlen(w));
		assert_true(id >= 0);
		assert_int_equal(v->df[id], i < 2400 ? 2 : 1);
	}
	feat_vocab_destroy(&v);
	feat_builder_destroy(&b);
	buf_release(&text);
}

static void
test_builder_rejects_invalid_utf8(void **state)
{
	struct feat_settings s;
	struct feat_builder *b;
	struct feat_vocab *v;
	struct err err;

	(void)state;
	settings_plain(&s);
	b = feat_builder_new(&s);
	assert_int_equal(feat_builder_add(b, "kiwi", 4, "lime kiwi", 9, &err),
	    0);
	/* The title counts kiwi and plum, then the text fails. */
	err.msg[0] = '\0';
	assert_int_equal(feat_builder_add(b, "kiwi plum", 9,
	    "lime \xff", 6, &err), -1);
	assert_non_null(strstr(err.msg, "text"));
	assert_non_null(strstr(err.msg, "UTF-8"));
	err.msg[0] = '\0';
	assert_int_equal(feat_builder_add(b, "\xc3(", 2, "lime", 4, &err),
	    -1);
	assert_non_null(strstr(err.msg, "title"));
	assert_int_equal(feat_builder_add(b, "", 0, "kiwi plum", 9, &err),
	    0);
	assert_int_equal(feat_builder_finish(b, &v, &err), 0);
	/* The rejected documents left no trace. */
	assert_int_equal(v->n_docs, 2);
	assert_int_equal(v->df[feat_vocab_lookup(v, "kiwi", 4)], 2);
	assert_int_equal(v->df[feat_vocab_lookup(v, "lime", 4)], 1);
	assert_int_equal(v->df[feat_vocab_lookup(v, "plum", 4)], 1);
	feat_vocab_destroy(&v);
	feat_builder_destroy(&b);
}

static void
test_bigrams_no_break(void **state)
{
	static const struct doc d[] = {
		{ "Red", "apple. green banana; ripe, sweet kiwi" },
	};
	struct feat_settings s;
	struct feat_vocab *v;
	char t[512];

	(void)state;
	settings_plain(&s);
	s.ngram_max = 2;
	v = build(&s, d, 1);
	terms(v, t, sizeof(t));
	/* No "red apple" (title/text), "apple green", "banana ripe",
	 * "ripe sweet" (clause breaks). */
	assert_string_equal(t, "apple|banana|green|green banana|kiwi|red|"
	    "ripe|sweet|sweet kiwi");
	feat_vocab_destroy(&v);

	/* ngram_max 1: unigrams only. */
	s.ngram_max = 1;
	v = build(&s, d, 1);
	terms(v, t, sizeof(t));
	assert_string_equal(t, "apple|banana|green|kiwi|red|ripe|sweet");
	feat_vocab_destroy(&v);
}

/* ---- vectorising ---- */

/* The query document: tf apple 2 (1 title + 1 text), banana 1, date 3. */
#define Q_TITLE "Apple"
#define Q_TEXT "apple banana date date date elephant"

static void
check_query(const struct feat_settings *s, double ta, double tb, double td)
{
	struct feat_scratch *sc = feat_scratch_new();
	struct feat_vocab *v = build(s, toy, 3);
	struct feat_vec x;
	double ia = log(4.0 / 3.0) + 1.0, ib = 1.0, id = log(2.0) + 1.0;
	double wa = ta * ia, wb = tb * ib, wd = td * id;
	double norm = sqrt(wa * wa + wb * wb + wd * wd);

	feat_vec_init(&x);
	vectorize(v, Q_TITLE, Q_TEXT, sc, &x);
	assert_int_equal(x.n, 3);
	assert_int_equal(x.idx[0], 0);
	assert_int_equal(x.idx[1], 1);
	assert_int_equal(x.idx[2], 3);
	assert_close(weight_of(v, &x, "apple"), wa / norm);
	assert_close(weight_of(v, &x, "banana"), wb / norm);
	assert_close(weight_of(v, &x, "cherry"), 0.0);
	assert_close(weight_of(v, &x, "date"), wd / norm);
	check_normalised(&x);
	feat_vec_release(&x);
	feat_vocab_destroy(&v);
	feat_scratch_destroy(&sc);
	assert_null(sc);
}

static void
test_tfidf(void **state)
{
	struct feat_settings s;

	(void)state;
	settings_plain(&s);
	/* Raw tf. */
	check_query(&s, 2.0, 1.0, 3.0);
	/* Sublinear: 1 + ln tf. */
	s.sublinear_tf = 1;
	check_query(&s, 1.0 + log(2.0), 1.0, 1.0 + log(3.0));
	/* Title weight 2: the title's apple counts twice, tf 3. */
	s.sublinear_tf = 0;
	s.title_weight = 2;
	check_query(&s, 3.0, 1.0, 3.0);
	s.sublinear_tf = 1;
	check_query(&s, 1.0 + log(3.0), 1.0, 1.0 + log(3.0));
	/* Title weight 5 on raw tf. */
	s.sublinear_tf = 0;
	s.title_weight = 5;
	check_query(&s, 6.0, 1.0, 3.0);
}

static void
test_single_term_and_unknown(void **state)
{
	struct feat_scratch *sc = feat_scratch_new();
	struct feat_settings s;
	struct feat_vocab *v;
	struct feat_vec x;

	(void)state;
	settings_plain(&s);
	v = build(&s, toy, 3);
	feat_vec_init(&x);
	/* One known term among unknown ones: weight exactly 1. */
	vectorize(v, "zebra", "yak cherry walrus quokka", sc, &x);
	assert_int_equal(x.n, 1);
	assert_int_equal(x.idx[0], 2);
	assert_close(x.val[0], 1.0);
	/* Only unknown terms: empty vector, no NaN. */
	vectorize(v, "zebra", "yak walrus", sc, &x);
	assert_int_equal(x.n, 0);
	feat_vec_release(&x);
	feat_vocab_destroy(&v);
	feat_scratch_destroy(&sc);
}

static void
test_empty_doc(void **state)
{
	struct feat_scratch *sc = feat_scratch_new();
	struct feat_settings s;
	struct feat_vocab *v;
	struct feat_vec x;
	struct err err;

	(void)state;
	settings_plain(&s);
	v = build(&s, toy, 3);
	feat_vec_init(&x);
	vectorize(v, "apple", "banana", sc, &x);
	assert_int_equal(x.n, 2);
	/* Empty title and text: an empty vector (emptied first). */
	assert_int_equal(feat_vectorize(v, "", 0, "", 0, sc, &x, &err), 0);
	assert_int_equal(x.n, 0);
	vectorize(v, "...", " ,;! \t\n", sc, &x);
	assert_int_equal(x.n, 0);
	/* Lengths are honoured: "apple" cut to "app" is unknown. */
	assert_int_equal(feat_vectorize(v, "apple", 3, "banana", 0, sc, &x,
	    &err), 0);
	assert_int_equal(x.n, 0);
	feat_vec_release(&x);
	feat_vocab_destroy(&v);
	feat_scratch_destroy(&sc);
}

static void
test_vectorize_invalid_utf8(void **state)
{
	struct feat_scratch *sc = feat_scratch_new();
	struct feat_settings s;
	struct feat_vocab *v;
	struct feat_vec x;
	struct err err;

	(void)state;
	settings_plain(&s);
	v = build(&s, toy, 3);
	feat_vec_init(&x);
	assert_int_equal(feat_vectorize(v, "apple \xc0\xaf", 8, "banana", 6,
	    sc, &x, &err), -1);
	assert_non_null(strstr(err.msg, "title"));
	assert_non_null(strstr(err.msg, "byte 6"));
	assert_int_equal(x.n, 0);
	assert_int_equal(feat_vectorize(v, "apple", 5, "ba\xed\xa0\x80", 5,
	    sc, &x, &err), -1);
	assert_non_null(strstr(err.msg, "text"));
	assert_non_null(strstr(err.msg, "byte 2"));
	assert_int_equal(x.n, 0);
	/* The scratch still works afterwards. */
	vectorize(v, "apple", "banana", sc, &x);
	assert_int_equal(x.n, 2);
	feat_vec_release(&x);
	feat_vocab_destroy(&v);
	feat_scratch_destroy(&sc);
}

static void
test_bigram_vector(void **state)
{
	static const struct doc d[] = {
		{ "", "interest rates rise" },
		{ "", "interest rates fall" },
	};
	struct feat_scratch *sc = feat_scratch_new();
	struct feat_settings s;
	struct feat_vocab *v;
	struct feat_vec x;

	(void)state;
	settings_plain(&s);
	s.ngram_max = 2;
	v = build(&s, d, 2);
	feat_vec_init(&x);
	/* "rates. rise": no "rates rise" across the break. */
	vectorize(v, "", "rates. rise", sc, &x);
	assert_int_equal(x.n, 2);
	assert_close(weight_of(v, &x, "rates rise"), 0.0);
	vectorize(v, "", "rates rise", sc, &x);
	assert_int_equal(x.n, 3);
	assert_true(weight_of(v, &x, "rates rise") > 0.0);
	check_normalised(&x);
	feat_vec_release(&x);
	feat_vocab_destroy(&v);
	feat_scratch_destroy(&sc);
}

/* ---- stemming ---- */

static void
test_stem(void **state)
{
	static const struct doc d[] = {
		{ "Prices rising", "the shares rose. Costs are not rising" },
		{ "", "profits rise" },
	};
	struct feat_scratch *sc = feat_scratch_new();
	struct feat_settings s;
	struct feat_vocab *v;
	struct feat_vec a, b;
	int32_t rise, negrise;
	size_t i;

	(void)state;
	settings_plain(&s);
	s.text_flags = TEXT_STEM | TEXT_NEGATION;
	v = build(&s, d, 2);
	rise = feat_vocab_lookup(v, "rise", 4);
	negrise = feat_vocab_lookup(v, "!rise", 5);
	assert_true(rise >= 0);
	assert_true(negrise >= 0);	/* "not rising" -> "!rise" */
	assert_int_equal(v->df[rise], 2);	/* rising (D1), rise (D2) */
	assert_int_equal(feat_vocab_lookup(v, "rising", 6), -1);
	assert_int_equal(feat_vocab_lookup(v, "!rising", 7), -1);
	assert_true(feat_vocab_lookup(v, "price", 5) >= 0);
	assert_true(feat_vocab_lookup(v, "cost", 4) >= 0);
	for (i = 0; i < feat_vocab_size(v); i++)
		assert_non_null(feat_vocab_term(v, i));

	feat_vec_init(&a);
	feat_vec_init(&b);
	vectorize(v, "", "rising", sc, &a);
	vectorize(v, "", "rises", sc, &b);
	assert_int_equal(a.n, 1);
	assert_int_equal(a.idx[0], rise);
	assert_int_equal(b.n, 1);
	assert_int_equal(b.idx[0], rise);
	vectorize(v, "", "never rises", sc, &a);
	assert_int_equal(a.n, 1);
	assert_int_equal(a.idx[0], negrise);
	/* "<num>" is not stemmed. */
	feat_vocab_destroy(&v);
	{
		static const struct doc n[] = { { "", "rising 42" } };

		v = build(&s, n, 1);
		assert_true(feat_vocab_lookup(v, "<num>", 5) >= 0);
		assert_true(feat_vocab_lookup(v, "rise", 4) >= 0);
	}
	feat_vec_release(&a);
	feat_vec_release(&b);
	feat_vocab_destroy(&v);
	feat_scratch_destroy(&sc);
}

/* ---- links ---- */

static void
assert_same_vec(const struct feat_vec *a, const struct feat_vec *b)
{
	assert_int_equal(a->n, b->n);
	assert_memory_equal(a->idx, b->idx, a->n * sizeof(*a->idx));
	assert_memory_equal(a->val, b->val, a->n * sizeof(*a->val));
}

static void
test_link(void **state)
{
	static const struct doc d[] = {
		{ "Banks closing", "the banks are closing; banking stocks "
		    "closed lower, not rising" },
		{ "", "the bank closed. Shares rose 42 per cent" },
		{ "Rising shares", "stocks rise as the banks close" },
	};
	static const char *const title = "Banking shares rising";
	static const char *const text = "The banks closed; stocks are not "
	    "rising, shares rose 7 per cent. Zebras unknown closing bank";
	struct feat_scratch *sc = feat_scratch_new(), *fresh;
	struct feat_settings sa, sb, other;
	struct feat_vocab *a, *b, *o;
	struct feat_link *l;
	struct feat_vec va, vb, want;
	struct err err;
	size_t before;
	int i;

	(void)state;
	feat_settings_default(&sa);
	sa.min_df = 1;
	sb = sa;
	sb.text_flags |= TEXT_STEM;
	a = build(&sa, d, 3);
	b = build(&sb, d, 3);
	/* Only an unstemmed vocabulary to its stemmed twin, unpruned. */
	assert_null(feat_link_new(b, a));
	assert_null(feat_link_new(a, a));
	other = sb;
	other.text_flags &= ~(unsigned)TEXT_NEGATION;
	o = build(&other, d, 3);
	assert_null(feat_link_new(a, o));
	feat_vocab_destroy(&o);
	other = sb;
	other.max_features = 5;
	o = build(&other, d, 3);
	assert_null(feat_link_new(a, o));
	feat_vocab_destroy(&o);
	l = feat_link_new(a, b);
	assert_non_null(l);

	feat_vec_init(&va);
	feat_vec_init(&vb);
	feat_vec_init(&want);
	fresh = feat_scratch_new();
	vectorize(b, title, text, fresh, &want);
	assert_true(want.n > 5);
	/* Through the link after a, without a first, and a second time. */
	for (i = 0; i < 3; i++) {
		feat_scratch_new_doc(sc);
		if (i != 1)
			vectorize(a, title, text, sc, &va);
		assert_int_equal(feat_vectorize_linked(b, l, title,
		    strlen(title), text, strlen(text), sc, &vb, &err), 0);
		assert_same_vec(&vb, &want);
	}
	/* A link to another vocabulary is ignored. */
	feat_scratch_new_doc(sc);
	vectorize(a, title, text, sc, &va);
	assert_int_equal(feat_vectorize_linked(a, l, title, strlen(title),
	    text, strlen(text), sc, &vb, &err), 0);
	assert_same_vec(&vb, &va);
	/* Once grown, a linked pair allocates nothing. */
	before = nalloc;
	feat_scratch_new_doc(sc);
	vectorize(a, title, text, sc, &va);
	assert_int_equal(feat_vectorize_linked(b, l, title, strlen(title),
	    text, strlen(text), sc, &vb, &err), 0);
	assert_int_equal(nalloc, before);
	assert_same_vec(&vb, &want);

	feat_link_destroy(&l);
	assert_null(l);
	feat_link_destroy(&l);	/* NULL is fine */
	feat_vec_release(&va);
	feat_vec_release(&vb);
	feat_vec_release(&want);
	feat_vocab_destroy(&a);
	feat_vocab_destroy(&b);
	feat_scratch_destroy(&fresh);
	feat_scratch_destroy(&sc);
}

/* ---- cleaning and stop words ---- */

static int
has_term(const struct feat_vocab *v, const char *t)
{
	return feat_vocab_lookup(v, t, strlen(t)) >= 0;
}

static void
test_clean_flags(void **state)
{
	static const struct doc d[] = {
		{ "<b>Bank</b> raises &amp; rates", "<p>The bank raised "
		    "rates.</p><script>var tracker = 1;</script>\n"
		    "<p>Share this</p>\n<p>Analysts expect more.</p>" },
		{ "Share this", "Rates rose.\nRead more\nBonds fell." },
	};
	struct feat_scratch *sc = feat_scratch_new();
	struct feat_settings s;
	struct feat_vocab *v, *w;
	struct feat_vec x1, x2;
	struct err err;

	(void)state;
	settings_plain(&s);
	v = build(&s, d, 2);
	assert_true(has_term(v, "script"));
	assert_true(has_term(v, "tracker"));
	assert_true(has_term(v, "amp"));
	assert_true(has_term(v, "read"));
	s.text_flags = TEXT_CLEAN_HTML | TEXT_CLEAN_BOILERPLATE;
	w = build(&s, d, 2);
	assert_false(has_term(w, "script"));
	assert_false(has_term(w, "tracker"));
	assert_false(has_term(w, "amp"));
	assert_false(has_term(w, "p"));
	assert_false(has_term(w, "b"));
	assert_false(has_term(w, "read"));
	assert_true(has_term(w, "bank"));
	assert_true(has_term(w, "analysts"));
	assert_true(has_term(w, "bonds"));
	/* Boilerplate lines go from texts; titles are only de-tagged. */
	assert_int_equal(w->df[feat_vocab_lookup(w, "share", 5)], 1);
	assert_true(feat_vocab_size(w) < feat_vocab_size(v));

	/* The vectoriser cleans alike: markup changes nothing. */
	feat_vec_init(&x1);
	feat_vec_init(&x2);
	vectorize(w, "<b>Bank</b>", "<p>rates &amp; bonds</p>\nRead more\n"
	    "<!-- x -->Share this", sc, &x1);
	vectorize(w, "Bank", "rates & bonds", sc, &x2);
	assert_true(x1.n > 0);
	assert_same_vec(&x1, &x2);
	vectorize(v, "<b>Bank</b>", "<p>rates &amp; bonds</p>", sc, &x1);
	assert_true(x1.n > x2.n);	/* "b", "p", "amp" without cleaning */
	/* Errors give offsets in the field as it was sent. */
	assert_int_equal(feat_vectorize(w, "", 0, "<b>x</b>\xff", 9, sc, &x1,
	    &err), -1);
	assert_non_null(strstr(err.msg, "text: invalid UTF-8 at byte 8"));
	feat_vec_release(&x1);
	feat_vec_release(&x2);
	feat_vocab_destroy(&v);
	feat_vocab_destroy(&w);
	feat_scratch_destroy(&sc);
}

/*
 * The ids in a document's vector are those of v's terms among the
 * document's own terms (from a vocabulary built of it alone), but for stop
 * words' unigrams: the lookups vectorising skips lose nothing.  (The stems
 * of the stop words used here are the words.)
 */
static void
check_found(const struct feat_vocab *v, const char *title, const char *text)
{
	struct doc d = { title, text };
	struct feat_settings s1 = *feat_vocab_settings(v);
	struct feat_scratch *sc = feat_scratch_new();
	struct stopwords *sw = stopwords_new();
	struct feat_vocab *all;
	struct feat_vec x;
	const char *t;
	size_t i, n = 0, len;
	int stop;

	s1.min_df = 1;
	s1.max_features = 0;
	all = build(&s1, &d, 1);
	feat_vec_init(&x);
	vectorize(v, title, text, sc, &x);
	for (i = 0; i < feat_vocab_size(all); i++) {
		t = feat_vocab_term(all, i);
		len = strlen(t);
		if (feat_vocab_lookup(v, t, len) < 0)
			continue;
		t += t[0] == '!';
		len = strlen(t);
		stop = (s1.text_flags & TEXT_STOPWORDS) &&
		    stopwords_has(sw, t, len, text_hash(t, len));
		if (stop) {
			assert_true(weight_of(v, &x, feat_vocab_term(all, i)) ==
			    0);
			continue;
		}
		n++;
		assert_true(weight_of(v, &x, feat_vocab_term(all, i)) > 0);
	}
	assert_int_equal(x.n, n);
	feat_vec_release(&x);
	feat_vocab_destroy(&all);
	stopwords_destroy(&sw);
	feat_scratch_destroy(&sc);
}

static void
test_stopwords_flag(void **state)
{
	static const struct doc d[] = {
		{ "", "the bank of england raised the rate" },
		{ "The bank", "the rate of the bank did not rise" },
	};
	static const char *const title = "The bank of England";
	static const char *const text = "The bank raised the rate; it did "
	    "not rise at the bank of the north. Not the end of it";
	struct feat_scratch *sc = feat_scratch_new(), *fresh;
	struct feat_settings s, sb;
	struct feat_vocab *v, *b;
	struct feat_link *l;
	struct feat_vec x, want;
	struct err err;

	(void)state;
	settings_plain(&s);
	s.ngram_max = 2;
	s.text_flags = TEXT_STOPWORDS | TEXT_NEGATION;
	v = build(&s, d, 2);
	/* Stop words stay terms, for their bigrams. */
	assert_true(has_term(v, "the"));
	assert_true(has_term(v, "!rise"));
	assert_true(has_term(v, "the bank"));
	assert_true(has_term(v, "not !rise"));
	assert_int_equal(v->df[feat_vocab_lookup(v, "the bank", 8)], 2);

	/* No weight for stop word unigrams, negated or not. */
	feat_vec_init(&x);
	vectorize(v, "", "of the", sc, &x);
	assert_int_equal(x.n, 1);
	assert_true(weight_of(v, &x, "of the") > 0);
	vectorize(v, "The", "the bank did not rise", sc, &x);
	assert_int_equal(x.n, 6);
	assert_true(weight_of(v, &x, "bank did") > 0);
	assert_true(weight_of(v, &x, "bank") > 0);
	assert_true(weight_of(v, &x, "!rise") > 0);
	assert_true(weight_of(v, &x, "the bank") > 0);
	assert_true(weight_of(v, &x, "did not") > 0);
	assert_true(weight_of(v, &x, "not !rise") > 0);
	check_found(v, title, text);
	feat_vocab_destroy(&v);
	s.min_df = 2;
	v = build(&s, d, 2);
	check_found(v, title, text);
	feat_vocab_destroy(&v);
	s.min_df = 1;
	s.text_flags |= TEXT_STEM;
	v = build(&s, d, 2);
	check_found(v, title, text);

	/* Linked and unlinked vectors agree. */
	feat_vocab_destroy(&v);
	feat_settings_default(&s);
	s.min_df = 1;
	s.text_flags |= TEXT_STOPWORDS;
	sb = s;
	sb.text_flags |= TEXT_STEM;
	v = build(&s, d, 2);
	b = build(&sb, d, 2);
	l = feat_link_new(v, b);
	assert_non_null(l);
	feat_vec_init(&want);
	fresh = feat_scratch_new();
	vectorize(b, title, text, fresh, &want);
	assert_true(want.n > 3);
	feat_scratch_new_doc(sc);
	vectorize(v, title, text, sc, &x);
	assert_int_equal(feat_vectorize_linked(b, l, title, strlen(title),
	    text, strlen(text), sc, &x, &err), 0);
	assert_same_vec(&x, &want);

	feat_link_destroy(&l);
	feat_vec_release(&x);
	feat_vec_release(&want);
	feat_vocab_destroy(&v);
	feat_vocab_destroy(&b);
	feat_scratch_destroy(&fresh);
	feat_scratch_destroy(&sc);
}

/*
 * Tokens made with TEXT_NUMCMP serve an unstemmed vocabulary without it:
 * the same vectors as tokenising afresh, bigrams across a left-out
 * comparison token included.
 */
static void
test_numcmp_shared(void **state)
{
	static const struct doc d[] = {
		{ "Profit rose from EUR 5 mn to EUR 7 mn", "Sales fell to 3 "
		    "from 4, then rose from 10 to 12 in 2009.  Banks gained" },
		{ "", "costs rose from 2 to 3 mn in May as banks closed" },
	};
	static const char *const title = "Profit fell from 9 to 8 mn";
	static const char *const text = "Sales rose from EUR 5 mn to EUR 7 "
	    "mn in 2009, then fell to 3 from 4; banks gained from 1 to 2";
	struct feat_settings sn, sp1, sp2, ss;
	struct feat_vocab *n, *p1, *p2, *st;
	struct feat_vocab *all[4];
	struct feat_vec want[4], got;
	struct feat_scratch *sc = feat_scratch_new(), *fresh;
	size_t i, before;
	int round;

	(void)state;
	feat_settings_default(&sn);
	sn.min_df = 1;
	sn.text_flags = TEXT_NUMCMP | TEXT_STEM;
	sp1 = sn;
	sp1.text_flags = 0;
	sp1.ngram_max = 1;
	sp2 = sp1;
	sp2.ngram_max = 2;
	ss = sn;
	ss.text_flags = TEXT_STEM;
	all[0] = n = build(&sn, d, 2);
	all[1] = p1 = build(&sp1, d, 2);
	all[2] = p2 = build(&sp2, d, 2);
	all[3] = st = build(&ss, d, 2);
	assert_true(feat_vocab_lookup(p2, "mn in", 5) >= 0);

	assert_true(feat_vocab_reuses_tokens(n, p1));
	assert_true(feat_vocab_reuses_tokens(n, p2));
	assert_false(feat_vocab_reuses_tokens(p1, n));
	assert_false(feat_vocab_reuses_tokens(n, st));	/* stems */
	assert_true(feat_vocab_reuses_tokens(p1, p2));
	assert_true(feat_vocab_reuses_tokens(p1, st));
	assert_true(feat_vocab_reuses_tokens(n, n));

	fresh = feat_scratch_new();
	for (i = 0; i < 4; i++) {
		feat_vec_init(&want[i]);
		vectorize(all[i], title, text, fresh, &want[i]);
	}
	feat_vec_init(&got);
	for (round = 0; round < 2; round++) {
		feat_scratch_new_doc(sc);
		vectorize(n, title, text, sc, &got);
		assert_same_vec(&got, &want[0]);
		vectorize(p1, title, text, sc, &got);
		assert_same_vec(&got, &want[1]);
		/* Served from n's tokens, not tokenised again. */
		assert_int_equal(sc->field[1].flags, TEXT_NUMCMP);
		assert_true(sc->field[1].ptok_valid);
		assert_true(sc->field[1].nptok < sc->field[1].tok.n);
		vectorize(p2, title, text, sc, &got);
		assert_same_vec(&got, &want[2]);
		vectorize(st, title, text, sc, &got);
		assert_same_vec(&got, &want[3]);
		vectorize(p1, title, text, sc, &got);
		assert_same_vec(&got, &want[1]);
	}
	/* Once grown, the shared pair allocates nothing. */
	before = nalloc;
	feat_scratch_new_doc(sc);
	vectorize(n, title, text, sc, &got);
	vectorize(p2, title, text, sc, &got);
	assert_int_equal(nalloc, before);
	assert_same_vec(&got, &want[2]);

	for (i = 0; i < 4; i++) {
		feat_vec_release(&want[i]);
		feat_vocab_destroy(&all[i]);
	}
	feat_vec_release(&got);
	feat_scratch_destroy(&fresh);
	feat_scratch_destroy(&sc);
}

/* ---- scratch reuse ---- */

static void
test_scratch_reuse(void **state)
{
	struct feat_scratch *sc = feat_scratch_new(), *fresh;
	struct feat_settings s;
	struct feat_vocab *v;
	struct feat_vec big, small, again, ref;
	struct buf text;
	size_t i, before;

	(void)state;
	feat_settings_default(&s);
	s.min_df = 1;
	s.text_flags |= TEXT_STEM;
	v = build(&s, toy, 3);
	buf_init(&text);
	for (i = 0; i < 400; i++)
		buf_addstr(&text, "apple banana, cherry date. not apples ");
	feat_vec_init(&big);
	feat_vec_init(&small);
	feat_vec_init(&again);
	feat_vec_init(&ref);
	vectorize(v, "Apple", text.data, sc, &big);
	vectorize(v, "", "cherry", sc, &small);
	assert_int_equal(small.n, 1);
	vectorize(v, "Apple", text.data, sc, &again);
	/* Once grown, the scratch and the output vector allocate nothing. */
	before = nalloc;
	vectorize(v, "", "cherry", sc, &again);
	vectorize(v, "Apple", text.data, sc, &again);
	assert_int_equal(nalloc, before);
	assert_int_equal(again.n, big.n);
	assert_memory_equal(again.idx, big.idx, big.n * sizeof(*big.idx));
	assert_memory_equal(again.val, big.val, big.n * sizeof(*big.val));
	/* A failure midway leaves nothing behind for the next document. */
	assert_int_equal(feat_vectorize(v, "apple banana", 12, "cherry \xff",
	    8, sc, &again, NULL), -1);
	vectorize(v, "", "cherry", sc, &again);
	assert_int_equal(again.n, small.n);
	assert_memory_equal(again.val, small.val, sizeof(*small.val));
	/* A fresh scratch agrees bit for bit. */
	fresh = feat_scratch_new();
	vectorize(v, "Apple", text.data, fresh, &ref);
	assert_int_equal(ref.n, big.n);
	assert_memory_equal(ref.idx, big.idx, big.n * sizeof(*big.idx));
	assert_memory_equal(ref.val, big.val, big.n * sizeof(*big.val));
	vectorize(v, "Apple", text.data, sc, &again);
	assert_memory_equal(again.val, big.val, big.n * sizeof(*big.val));
	feat_scratch_destroy(&fresh);
	feat_vec_release(&big);
	feat_vec_release(&small);
	feat_vec_release(&again);
	feat_vec_release(&ref);
	assert_null(ref.idx);
	assert_int_equal(ref.n, 0);
	buf_release(&text);
	feat_vocab_destroy(&v);
	feat_scratch_destroy(&sc);
	feat_scratch_destroy(&sc);	/* NULL is fine */
}

/* ---- vocabulary files ---- */

static void
test_vocab_round_trip(void **state)
{
	struct feat_scratch *sc = feat_scratch_new();
	struct feat_settings s;
	struct feat_vocab *v, *w;
	struct feat_vec a, b;
	struct err err;
	char path[128], line[256];
	FILE *f;
	size_t i;

	(void)state;
	feat_settings_default(&s);
	s.min_df = 1;
	v = build(&s, toy, 3);
	snprintf(path, sizeof(path), "%s/rt.tsv", tmpdir);
	if (feat_vocab_save(v, path, &err) != 0)
		fail_msg("save: %s", err.msg);
	/* The documented format. */
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_string_equal(line, "# newsclass vocabulary 1\n");
	assert_non_null(fgets(line, sizeof(line), f));
	assert_string_equal(line, "docs\t3\n");
	assert_non_null(fgets(line, sizeof(line), f));
	{
		char want[32];

		snprintf(want, sizeof(want), "terms\t%zu\n",
		    feat_vocab_size(v));
		assert_string_equal(line, want);
	}
	assert_non_null(fgets(line, sizeof(line), f));
	assert_string_equal(line, "apple\t2\n");
	fclose(f);

	if (feat_vocab_load(path, &s, &w, &err) != 0)
		fail_msg("load: %s", err.msg);
	assert_int_equal(feat_vocab_size(w), feat_vocab_size(v));
	assert_int_equal(w->n_docs, v->n_docs);
	for (i = 0; i < feat_vocab_size(v); i++) {
		assert_string_equal(feat_vocab_term(w, i),
		    feat_vocab_term(v, i));
		assert_int_equal(w->df[i], v->df[i]);
		/* Bit for bit: idf comes from the integers both ways. */
		assert_true(feat_vocab_idf(w, i) == feat_vocab_idf(v, i));
	}
	assert_memory_equal(feat_vocab_settings(w), &s, sizeof(s));
	feat_vec_init(&a);
	feat_vec_init(&b);
	vectorize(v, Q_TITLE, Q_TEXT ", not cherry.", sc, &a);
	vectorize(w, Q_TITLE, Q_TEXT ", not cherry.", sc, &b);
	assert_int_equal(a.n, b.n);
	assert_memory_equal(a.idx, b.idx, a.n * sizeof(*a.idx));
	assert_memory_equal(a.val, b.val, a.n * sizeof(*a.val));
	feat_vec_release(&a);
	feat_vec_release(&b);
	feat_vocab_destroy(&w);

	/* Bad settings are refused before the file is read. */
	s.ngram_max = 7;
	assert_int_equal(feat_vocab_load(path, &s, &w, &err), -1);
	assert_null(w);
	assert_non_null(strstr(err.msg, "ngram_max"));
	assert_non_null(strstr(err.msg, path));

	/* Saving where no file can be written. */
	snprintf(path, sizeof(path), "%s/no/such/dir.tsv", tmpdir);
	assert_int_equal(feat_vocab_save(v, path, &err), -1);
	assert_non_null(strstr(err.msg, path));
	feat_vocab_destroy(&v);
	feat_scratch_destroy(&sc);
}

/* Write content to a file, load it, expect -1 and "file:line" in err. */
static void
check_corrupt(const char *name, const char *content, size_t len,
    int line, const char *what)
{
	struct feat_settings s;
	struct feat_vocab *v = (struct feat_vocab *)&s;
	struct err err;
	char path[128], want[192];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.tsv", tmpdir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(content, 1, len, f), len);
	fclose(f);
	feat_settings_default(&s);
	err.msg[0] = '\0';
	if (feat_vocab_load(path, &s, &v, &err) != -1)
		fail_msg("%s: loaded", name);
	assert_null(v);
	snprintf(want, sizeof(want), "%s:%d: ", path, line);
	if (strstr(err.msg, want) == NULL)
		fail_msg("%s: '%s' lacks '%s'", name, err.msg, want);
	if (what && strstr(err.msg, what) == NULL)
		fail_msg("%s: '%s' lacks '%s'", name, err.msg, what);
}

#define HDR "# newsclass vocabulary 1\n"
#define CORRUPT(name, content, line, what) \
	check_corrupt((name), (content), sizeof(content) - 1, (line), (what))

static void
test_vocab_corrupt(void **state)
{
	struct feat_settings s;
	struct feat_vocab *v;
	struct err err;
	char path[128];

	(void)state;
	/* A good file first, so the cases below differ in one thing. */
	snprintf(path, sizeof(path), "%s/good.tsv", tmpdir);
	{
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fputs(HDR "docs\t3\nterms\t2\napple\t2\nbanana\t3\n", f);
		fclose(f);
	}
	feat_settings_default(&s);
	if (feat_vocab_load(path, &s, &v, &err) != 0)
		fail_msg("good file: %s", err.msg);
	assert_int_equal(feat_vocab_size(v), 2);
	feat_vocab_destroy(&v);

	CORRUPT("empty", "", 1, "header");
	CORRUPT("header", "# newsclass vocabulary 2\ndocs\t3\nterms\t1\n"
	    "a\t1\n", 1, "header");
		CORRUPT("header-crlf", "# newsclass vocabulary 1\r\ndocs\t3\n", 1,
	    "header");
	CORRUPT("docs-missing", HDR, 2, "docs");
	CORRUPT("docs-word", HDR "docs\tthree\nterms\t1\na\t1\n", 2, "docs");
	CORRUPT("docs-zero", HDR "docs\t0\nterms\t1\na\t1\n", 2, "docs");
	CORRUPT("docs-neg", HDR "docs\t-3\nterms\t1\na\t1\n", 2, "docs");
	CORRUPT("docs-space", HDR "docs 3\nterms\t1\na\t1\n", 2, "docs");
	CORRUPT("docs-trail", HDR "docs\t3x\nterms\t1\na\t1\n", 2, "docs");
	CORRUPT("docs-huge", HDR "docs\t99999999999999999999999\nterms\t1\n"
	    "a\t1\n", 2, "docs");
	CORRUPT("terms-key", HDR "docs\t3\nterm\t1\na\t1\n", 3, "terms");
	CORRUPT("terms-zero", HDR "docs\t3\nterms\t0\n", 3, "terms");
	CORRUPT("terms-huge", HDR "docs\t3\nterms\t4294967296\na\t1\n", 3,
	    "terms");
	CORRUPT("terms-empty", HDR "docs\t3\nterms\t\na\t1\n", 3, "terms");
	CORRUPT("df-zero", HDR "docs\t3\nterms\t2\napple\t0\nbanana\t1\n", 4,
	    "df");
	CORRUPT("df-over", HDR "docs\t3\nterms\t2\napple\t1\nbanana\t4\n", 5,
	    "df");
	CORRUPT("df-word", HDR "docs\t3\nterms\t1\napple\tx\n", 4, "df");
	CORRUPT("df-empty", HDR "docs\t3\nterms\t1\napple\t\n", 4, "df");
	CORRUPT("df-sign", HDR "docs\t3\nterms\t1\napple\t+1\n", 4, "df");
	CORRUPT("df-trail", HDR "docs\t3\nterms\t1\napple\t1 \n", 4, "df");
	CORRUPT("no-tab", HDR "docs\t3\nterms\t1\napple 1\n", 4, "term");
	CORRUPT("no-term", HDR "docs\t3\nterms\t1\n\t1\n", 4, "term");
	CORRUPT("nul", HDR "docs\t3\nterms\t1\nap\0ple\t1\n", 4, "term");
	CORRUPT("unsorted", HDR "docs\t3\nterms\t3\napple\t1\ncherry\t1\n"
	    "banana\t1\n", 6, "banana");
	CORRUPT("duplicate", HDR "docs\t3\nterms\t2\napple\t1\napple\t2\n", 5,
	    "apple");
	CORRUPT("truncated", HDR "docs\t3\nterms\t3\napple\t1\nbanana\t1\n", 6,
	    "truncated");
	CORRUPT("truncated-nonl", HDR "docs\t3\nterms\t2\napple\t1\nbanana\t1",
	    5, "truncated");
	/* A lying count is found out without trusting it for memory. */
	CORRUPT("terms-lie", HDR "docs\t3\nterms\t2000000000\napple\t1\n", 5,
	    "truncated: 1 of 2000000000 terms");
	CORRUPT("extra", HDR "docs\t3\nterms\t1\napple\t1\nbanana\t1\n", 5,
	    "more terms");
	CORRUPT("extra-blank", HDR "docs\t3\nterms\t1\napple\t1\n\n", 5,
	    "more terms");

	/* A missing file names the file. */
	snprintf(path, sizeof(path), "%s/missing.tsv", tmpdir);
	v = (struct feat_vocab *)&s;
	assert_int_equal(feat_vocab_load(path, &s, &v, &err), -1);
	assert_null(v);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "No such file"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_settings_check),
		cmocka_unit_test(test_builder_df),
		cmocka_unit_test(test_builder_prune),
		cmocka_unit_test(test_builder_sorted),
		cmocka_unit_test(test_builder_many_terms),
		cmocka_unit_test(test_lookup_key_lengths),
		cmocka_unit_test(test_builder_rejects_invalid_utf8),
		cmocka_unit_test(test_bigrams_no_break),
		cmocka_unit_test(test_tfidf),
		cmocka_unit_test(test_single_term_and_unknown),
		cmocka_unit_test(test_empty_doc),
		cmocka_unit_test(test_vectorize_invalid_utf8),
		cmocka_unit_test(test_bigram_vector),
		cmocka_unit_test(test_stem),
		cmocka_unit_test(test_link),
		cmocka_unit_test(test_clean_flags),
		cmocka_unit_test(test_stopwords_flag),
		cmocka_unit_test(test_numcmp_shared),
		cmocka_unit_test(test_scratch_reuse),
		cmocka_unit_test(test_vocab_round_trip),
		cmocka_unit_test(test_vocab_corrupt),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
