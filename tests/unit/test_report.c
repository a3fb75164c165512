/*
 * test_report.c - unit tests for the model report page (training/report.c):
 * a full page, a meta.json alone, an old meta.json without the newer keys,
 * hostile strings escaped everywhere, malformed input rejected with a
 * reason and nothing written, 2 and 40 labels, degenerate figures (no
 * NaN in the drawing), determinism whatever the locale, write errors.
 *
 * Fixtures are built with jansson here.  Every page goes through
 * check_page: a small HTML tokenizer that requires balanced tags, quoted
 * attributes, well-formed character references and no '<' or '>' in text,
 * which is where a missed escape shows.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report.h"

#define HOSTILE "<b>x</b> & \"q\" 'a'"
#define HOSTILE_ESC "&lt;b&gt;x&lt;/b&gt; &amp; &quot;q&quot; &#39;a&#39;"

static const char *const sections[] = {
	"summary", "confusion", "per-class", "reliability", "length", "grid",
	"label-counts",
};

/* ---- Fixtures --------------------------------------------------------- */

static json_t *
labels_json(size_t k, const char *const *names)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < k; i++) {
		char tmp[32];

		snprintf(tmp, sizeof(tmp), "label %02zu", i);
		json_array_append_new(a, json_string(names ? names[i] : tmp));
	}
	return a;
}

/*
 * Figures for the labels (a reference taken over): row 0 all correct, the
 * others mostly.  extras: ece, reliability and by_length too.
 */
static json_t *
figures_json(json_t *labels, int extras)
{
	size_t k = json_array_size(labels), i, j;
	json_t *o = json_object(), *pc = json_object(), *conf = json_array();
	json_int_t n = 0, correct = 0;

	for (i = 0; i < k; i++) {
		json_t *row = json_array();

		for (j = 0; j < k; j++) {
			json_int_t c = i == j ? 20 + (json_int_t)i :
			    i == 0 ? 0 : (json_int_t)((i + j) % 3);

			json_array_append_new(row, json_integer(c));
			n += c;
			correct += i == j ? c : 0;
		}
		json_array_append_new(conf, row);
		json_object_set_new(pc, json_string_value(json_array_get(labels,
		    i)), json_pack("{s:f,s:f,s:f,s:I}", "precision", 0.9,
		    "recall", 0.8, "f1", 0.85, "support",
		    (json_int_t)(20 + i)));
	}
	json_object_set_new(o, "n", json_integer(n));
	json_object_set_new(o, "accuracy", json_real((double)correct / n));
	json_object_set_new(o, "macro_f1", json_real(0.85));
	json_object_set_new(o, "labels", labels);
	json_object_set_new(o, "per_class", pc);
	json_object_set_new(o, "confusion", conf);
	if (extras) {
		json_t *rel = json_array();

		for (i = 0; i < 10; i++)
			json_array_append_new(rel, i < 3 ?
			    json_pack("{s:f,s:f,s:i,s:n,s:n}", "lo", i / 10.0,
			    "hi", (i + 1) / 10.0, "n", 0, "mean_p",
			    "accuracy") :
			    json_pack("{s:f,s:f,s:i,s:f,s:f}", "lo", i / 10.0,
			    "hi", (i + 1) / 10.0, "n", (int)(4 * i), "mean_p",
			    i / 10.0 + 0.05, "accuracy", i / 10.0));
		json_object_set_new(o, "ece", json_real(0.0312));
		json_object_set_new(o, "reliability", rel);
		json_object_set_new(o, "by_length", json_pack("[{s:i,s:i,s:i,"
		    "s:f},{s:i,s:i,s:i,s:f},{s:i,s:n,s:i,s:f}]", "lo", 0, "hi",
		    99, "n", 10, "accuracy", 0.8, "lo", 100, "hi", 499, "n", 30,
		    "accuracy", 0.9, "lo", 500, "hi", "n", 5, "accuracy", 1.0));
	}
	return o;
}

static json_t *
grid_json(void)
{
	static const double Cs[] = { 0.1, 1, 10 };
	json_t *g = json_array();
	int ngram, tw;
	size_t i;

	for (ngram = 1; ngram <= 2; ngram++)
		for (tw = 1; tw <= 3; tw += 2)
			for (i = 0; i < 3; i++)
				json_array_append_new(g, json_pack("{s:f,s:b,"
				    "s:i,s:i,s:f,s:f}", "C", Cs[i], "balanced",
				    0, "ngram_max", ngram, "title_weight", tw,
				    "cv_accuracy", 0.9, "cv_macro_f1",
				    0.8 + 0.01 * ngram + 0.001 * tw +
				    0.002 * (double)i));
	return g;
}

enum {
	M_NEW = 1,	/* label_counts, solver, scheme, calibration */
	M_GRID = 2,	/* a grid search's rows */
	M_TEST = 4,	/* test figures */
};

static json_t *
meta_json(size_t k, const char *const *names, int flags)
{
	json_t *labels = labels_json(k, names), *m, *t, *counts;
	size_t i;

	m = json_pack("{s:i,s:s,s:s,s:O,s:{s:i,s:i,s:b},s:i}", "format", 1,
	    "task", "topic", "version", "b2-0011223344556677", "labels",
	    labels, "features", "ngram_max", 2, "title_weight", 3, "stem", 0,
	    "n_features", 71623);
	t = json_pack("{s:[{s:s,s:s,s:i}],s:i,s:{s:f,s:b},s:i,s:i,"
	    "s:{s:f,s:f}}", "data", "file", "train.jsonl", "blake2b_128",
	    "00", "bytes", 3826263, "n_train", 1651, "params", "C", 2.0,
	    "balanced", 0, "folds", 5, "seed", 1, "cv", "accuracy", 0.9836,
	    "macro_f1", 0.9829);
	json_object_set_new(t, "grid", flags & M_GRID ? grid_json() :
	    json_array());
	if (flags & M_NEW) {
		counts = json_object();
		for (i = 0; i < k; i++)
			json_object_set_new(counts, json_string_value(
			    json_array_get(labels, i)), json_integer(100 +
			    (json_int_t)i));
		json_object_set_new(t, "label_counts", counts);
		json_object_set_new(t, "solver", json_string("liblinear"));
		json_object_set_new(t, "scheme", json_string("ovr"));
		json_object_set_new(t, "calibration", json_pack("{s:s,s:f}",
		    "method", "sigmoid", "ece", 0.021));
	}
	json_object_set_new(m, "training", t);
	if (flags & M_TEST)
		json_object_set_new(m, "test", json_pack("{s:s,s:o,s:{s:f,"
		    "s:f}}", "file", "test.jsonl", "figures",
		    figures_json(json_incref(labels), 0), "short_form",
		    "accuracy", 0.88,
		    "macro_f1", 0.87));
	json_decref(labels);
	return m;
}

static char *
dump(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	json_decref(j);
	return s;
}

/* ---- Rendering and checking ------------------------------------------- */

/* report_write into memory: returns its code, the page in *out. */
static int
render(const char *meta, const char *eval, const char *title, char **out,
    struct err *err)
{
	size_t len;
	FILE *f = open_memstream(out, &len);
	int rc;

	assert_non_null(f);
	err->msg[0] = '\0';
	rc = report_write(f, meta, eval, title, err);
	assert_int_equal(fclose(f), 0);
	return rc;
}

static char *
render_ok(const char *meta, const char *eval, const char *title)
{
	struct err err;
	char *out;

	if (render(meta, eval, title, &out, &err) != 0)
		fail_msg("report_write: %s", err.msg);
	return out;
}

static size_t
count(const char *s, const char *needle)
{
	size_t n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

/* A character reference at p ("&amp;", "&#39;"): its length, or 0. */
static size_t
entity_len(const char *p)
{
	size_t i = 1;

	if (p[i] == '#')
		for (i++; isdigit((unsigned char)p[i]); i++)
			;
	else
		for (; islower((unsigned char)p[i]); i++)
			;
	return i > 1 && p[i] == ';' && p[i - 1] != '#' ? i + 1 : 0;
}

static int
is_void(const char *name, size_t len)
{
	return (len == 4 && strncmp(name, "meta", 4) == 0) ||
	    (len == 2 && strncmp(name, "br", 2) == 0);
}

/*
 * The page is one well-formed document: balanced tags, attributes
 * name="value", values and text free of '<', '>' and bare '&'.
 */
static void
check_page(const char *html)
{
	const char *stack[256], *p = html;
	size_t lens[256], depth = 0;

	assert_true(strncmp(p, "<!DOCTYPE html>\n", 16) == 0);
	p += 16;
	while (*p) {
		const char *name;
		size_t len;
		int closing;

		if (*p == '&') {
			if (entity_len(p) == 0)
				fail_msg("bare '&' in text: %.40s", p);
			p += entity_len(p);
			continue;
		}
		if (*p == '>')
			fail_msg("'>' in text: %.40s", p);
		if (*p != '<') {
			p++;
			continue;
		}
		closing = p[1] == '/';
		name = p + 1 + closing;
		for (len = 0; isalnum((unsigned char)name[len]); len++)
			;
		if (len == 0)
			fail_msg("'<' in text: %.40s", p);
		p = name + len;
		if (closing) {
			if (*p != '>')
				fail_msg("bad end tag: %.40s", name - 2);
			if (depth == 0 || lens[depth - 1] != len ||
			    strncmp(stack[depth - 1], name, len) != 0)
				fail_msg("</%.*s> closes <%.*s>", (int)len,
				    name, depth ? (int)lens[depth - 1] : 0,
				    depth ? stack[depth - 1] : "");
			depth--;
			p++;
			continue;
		}
		/* Attributes. */
		for (;;) {
			while (*p == ' ' || *p == '\n')
				p++;
			if (*p == '>' || (p[0] == '/' && p[1] == '>'))
				break;
			while (isalnum((unsigned char)*p) || *p == '-' ||
			    *p == ':')
				p++;
			if (p[0] != '=' || p[1] != '"')
				fail_msg("unquoted attribute in <%.*s>: %.40s",
				    (int)len, name, p);
			for (p += 2; *p != '"'; p++) {
				if (*p == '\0' || *p == '<' || *p == '>')
					fail_msg("bad attribute value: %.40s",
					    p);
				if (*p == '&' && entity_len(p) == 0)
					fail_msg("bare '&' in attribute: %.40s",
					    p);
			}
			p++;
		}
		if (*p == '/') {	/* <rect .../> */
			p += 2;
			continue;
		}
		p++;
		if (is_void(name, len))
			continue;
		if (len == 5 && strncmp(name, "style", 5) == 0) {
			/* CSS is ours: skip to its end. */
			p = strstr(p, "</style>");
			assert_non_null(p);
		}
		assert_true(depth < 256);
		stack[depth] = name;
		lens[depth++] = len;
	}
	if (depth)
		fail_msg("<%.*s> is never closed", (int)lens[depth - 1],
		    stack[depth - 1]);
}

/* True if word occurs in s with no letter on either side. */
static int
has_word(const char *s, const char *word)
{
	const char *p = s;
	size_t n = strlen(word);

	while ((p = strstr(p, word)) != NULL) {
		if ((p == s || !isalpha((unsigned char)p[-1])) &&
		    !isalpha((unsigned char)p[n]))
			return 1;
		p += n;
	}
	return 0;
}

/* Checks common to every page. */
static void
check_common(const char *html)
{
	size_t i;
	const char *prev = html, *s;

	check_page(html);
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "@import"));
	assert_null(strstr(html, "src="));
	assert_null(strstr(html, "href="));
	/* The only URL: the SVG namespace. */
	assert_int_equal(count(html, "http"),
	    count(html, "xmlns=\"http://www.w3.org/2000/svg\""));
	assert_false(has_word(html, "nan"));
	assert_false(has_word(html, "inf"));
	/* Every section, in order, with a heading. */
	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		char tag[64];

		snprintf(tag, sizeof(tag), "<section id=\"%s\">\n<h2>",
		    sections[i]);
		s = strstr(html, tag);
		if (s == NULL || s < prev)
			fail_msg("section %s missing or out of order",
			    sections[i]);
		prev = s;
	}
}

/* The text of the section with id, as a new string. */
static char *
section(const char *html, const char *id)
{
	char tag[64];
	const char *s, *e;

	snprintf(tag, sizeof(tag), "<section id=\"%s\">", id);
	s = strstr(html, tag);
	assert_non_null(s);
	e = strstr(s, "</section>");
	assert_non_null(e);
	return strndup(s, (size_t)(e - s));
}

/* Two pages are the same bytes; else say where they part. */
static void
assert_same(const char *a, const char *b)
{
	size_t i;

	for (i = 0; a[i] && a[i] == b[i]; i++)
		;
	if (a[i] != b[i])
		fail_msg("pages differ at byte %zu: '%.40s' and '%.40s'", i,
		    a + i, b + i);
}

/* ---- Tests ------------------------------------------------------------- */

static void
test_full_page(void **state)
{
	char *meta = dump(meta_json(5, NULL, M_NEW | M_GRID | M_TEST));
	char *eval = dump(figures_json(labels_json(5, NULL), 1));
	char *html, *s;

	(void)state;
	html = render_ok(meta, eval, "Topic model");
	check_common(html);
	assert_non_null(strstr(html, "<title>Topic model</title>"));
	assert_non_null(strstr(html, "<h1>Topic model</h1>"));
	assert_null(strstr(html, "not recorded"));
	assert_null(strstr(html, "not available"));
	/* Five charts: matrix, reliability, length, grid, label counts. */
	assert_int_equal(count(html, "<svg "), 5);
	assert_non_null(strstr(html, "liblinear"));
	assert_non_null(strstr(html, "71&#8239;623 features"));
	assert_non_null(strstr(html, "1&#8239;651 articles"));
	assert_non_null(strstr(html, "sigmoid, ECE 0.0210"));

	s = section(html, "confusion");
	assert_non_null(strstr(s, "On the evaluation data given"));
	assert_int_equal(count(s, "<title>true "), 25);
	assert_non_null(strstr(s, "fill=\"#08306b\""));	/* row 0: 100% */
	assert_non_null(strstr(s, ">Predicted label<"));
	assert_non_null(strstr(s, ">True label<"));
	free(s);
	s = section(html, "per-class");
	assert_int_equal(count(s, "<tr>"), 1 + 5 + 2);	/* head, foot */
	assert_non_null(strstr(s, "Macro average"));
	free(s);
	s = section(html, "reliability");
	assert_non_null(strstr(s, "<b>0.0312</b>"));
	assert_int_equal(count(s, "<circle"), 7);	/* bins with n > 0 */
	free(s);
	s = section(html, "length");
	assert_non_null(strstr(s, ">500+<"));
	assert_non_null(strstr(s, ">100&ndash;499<"));
	assert_int_equal(count(s, "<rect"), 3);
	free(s);
	s = section(html, "grid");
	assert_int_equal(count(s, "<polyline"), 4);	/* ngram x weight */
	assert_non_null(strstr(s, "ngram_max=2, title_weight=3"));
	assert_non_null(strstr(s, "All 12 grid rows"));
	/* The best row: the highest C of the last group. */
	assert_non_null(strstr(s, "Best: macro-F1 0.8270 at C&#8201;=&#8201;"
	    "10, ngram_max=2, title_weight=3"));
	free(s);
	s = section(html, "label-counts");
	assert_int_equal(count(s, "<rect"), 5);
	assert_non_null(strstr(s, "510 training articles"));
	free(s);
	free(html);
	free(meta);
	free(eval);
}

static void
test_grid_search_shape(void **state)
{
	/*
	 * The trainer's search: settings tried at C = 1 only, then C swept
	 * for the best of them: one line, the rest grey dots.
	 */
	json_t *m = meta_json(3, NULL, M_TEST), *grid = json_array();
	char *meta, *html, *s, *r1, *r2;
	int i;

	(void)state;
	for (i = 0; i < 5; i++)
		json_array_append_new(grid, json_pack("{s:f,s:i,s:b,s:f,s:f}",
		    "C", 1.0, "min_df", 1 + i % 3, "stem", i > 2, "cv_accuracy",
		    0.9, "cv_macro_f1", 0.9 + 0.01 * i));
	for (i = 0; i < 4; i++)
		json_array_append_new(grid, json_pack("{s:f,s:i,s:b,s:f,s:f}",
		    "C", 0.25 * (1 << (2 * i)), "min_df", 2, "stem", 1,
		    "cv_accuracy", 0.9, "cv_macro_f1", 0.93 + 0.004 * i));
	json_object_set_new(json_object_get(m, "training"), "grid", grid);
	meta = dump(m);
	html = render_ok(meta, NULL, NULL);
	check_common(html);
	s = section(html, "grid");
	assert_int_equal(count(s, "<polyline"), 1);
	assert_non_null(strstr(s, "4 settings tried at one C only"));
	assert_int_equal(count(s, "fill=\"#afb8c1\""), 4);
	assert_non_null(strstr(s, "Best: macro-F1 0.9420 at C&#8201;=&#8201;"
	    "16, min_df=2, stem=yes"));
	/* The table ranks the rows, best first: rank, min_df, stem, C. */
	r1 = strstr(s, "<td>1</td><td>2</td><td>yes</td><td>16</td>");
	r2 = strstr(s, "<td>2</td><td>2</td><td>yes</td><td>1</td>");
	assert_non_null(r1);
	assert_non_null(r2);
	assert_true(r1 < r2);
	free(s);
	free(html);
	free(meta);
}

static void
test_meta_only(void **state)
{
	char *meta = dump(meta_json(5, NULL, M_NEW | M_GRID | M_TEST));
	char *html, *s;

	(void)state;
	html = render_ok(meta, NULL, NULL);
	check_common(html);
	assert_non_null(strstr(html, "<h1>topic &middot; model report</h1>"));
	/* The matrix and table show the recorded test figures. */
	s = section(html, "confusion");
	assert_non_null(strstr(s, "held-out test set recorded at training "
	    "(test.jsonl)"));
	assert_int_equal(count(s, "<title>true "), 25);
	free(s);
	s = section(html, "reliability");
	assert_non_null(strstr(s, "not available"));
	assert_int_equal(count(s, "<svg"), 0);
	free(s);
	s = section(html, "length");
	assert_non_null(strstr(s, "not available"));
	free(s);
	s = section(html, "summary");
	assert_non_null(strstr(s, "no evaluation data given"));
	assert_non_null(strstr(s, "short form"));
	free(s);
	assert_int_equal(count(html, "<svg "), 3);
	free(html);
	free(meta);
}

static void
test_old_meta(void **state)
{
	/* The shipped bundles' shape: no new keys, fixed settings. */
	char *meta = dump(meta_json(3, NULL, M_TEST));
	char *html, *s;

	(void)state;
	html = render_ok(meta, NULL, NULL);
	check_common(html);
	s = section(html, "summary");
	assert_int_equal(count(s, "not recorded"), 3);	/* solver... */
	free(s);
	s = section(html, "grid");
	assert_non_null(strstr(s, "trained with fixed settings"));
	assert_non_null(strstr(s, "C <b>2</b>"));
	free(s);
	s = section(html, "label-counts");
	assert_non_null(strstr(s, "not recorded"));
	free(s);
	free(html);
	free(meta);

	/* Only the required keys. */
	html = render_ok("{\"task\":\"t\",\"version\":\"v\",\"labels\":"
	    "[\"a\",\"b\"]}", NULL, NULL);
	check_common(html);
	assert_int_equal(count(html, "<svg "), 0);
	s = section(html, "confusion");
	assert_non_null(strstr(s, "records no held-out test figures"));
	free(s);
	free(html);
}

static void
test_hostile_strings(void **state)
{
	const char *names[] = { "plain", HOSTILE, "ctl\001x" };
	json_t *m = meta_json(3, names, M_NEW | M_GRID | M_TEST), *t;
	json_t *eval = figures_json(labels_json(3, names), 1);
	char *meta, *ev, *html, *s;

	(void)state;
	json_object_set_new(m, "task", json_string(HOSTILE));
	json_object_set_new(m, "version", json_string(HOSTILE));
	json_object_set_new(json_object_get(m, "features"), HOSTILE,
	    json_string(HOSTILE));
	t = json_object_get(m, "training");
	json_object_set_new(json_object_get(t, "params"), "note",
	    json_string(HOSTILE));
	json_object_set_new(json_object_get(t, "label_counts"), HOSTILE "2",
	    json_integer(7));
	json_object_set_new(t, "solver", json_string(HOSTILE));
	json_object_set_new(t, "scheme", json_string(HOSTILE));
	json_object_set_new(json_object_get(t, "calibration"), "method",
	    json_string(HOSTILE));
	json_object_set_new(json_array_get(json_object_get(t, "grid"), 0),
	    "ngram_max", json_string(HOSTILE));
	json_object_set_new(json_object_get(m, "test"), "file",
	    json_string(HOSTILE));
	json_array_set_new(json_object_get(t, "data"), 0, json_pack("{s:s}",
	    "file", HOSTILE));
	meta = dump(m);
	ev = dump(eval);

	html = render_ok(meta, ev, HOSTILE);
	check_common(html);
	assert_null(strstr(html, "<b>x"));
	assert_null(strstr(html, "\"q\""));
	assert_null(strstr(html, "'a'"));
	assert_null(strstr(html, "\001"));
	assert_non_null(strstr(html, "<title>" HOSTILE_ESC "</title>"));
	assert_non_null(strstr(html, "<h1>" HOSTILE_ESC "</h1>"));
	assert_non_null(strstr(html, "ctl\xef\xbf\xbdx"));
	s = section(html, "per-class");
	assert_non_null(strstr(s, "<td class=\"l\">" HOSTILE_ESC "</td>"));
	free(s);
	s = section(html, "label-counts");
	assert_non_null(strstr(s, HOSTILE_ESC "2"));	/* an extra label */
	free(s);
	free(html);
	free(meta);
	free(ev);
}

static void
test_long_label_is_shortened_in_charts(void **state)
{
	const char *names[] = {
		"a label much longer than any chart has room for, really",
		"short",
	};
	char *meta = dump(meta_json(2, names, M_NEW | M_TEST)), *html, *s;

	(void)state;
	html = render_ok(meta, NULL, NULL);
	check_common(html);
	s = section(html, "confusion");
	/* 27 characters and an ellipsis, the whole label as tooltip. */
	assert_non_null(strstr(s, ">a label much longer than an\xe2\x80\xa6"
	    "<title>a label much longer than any chart has room for, "
	    "really</title>"));
	free(s);
	free(html);
	free(meta);
}

struct bad {
	const char *meta, *eval, *want;
};

#define GOOD_META "{\"task\":\"t\",\"version\":\"v\",\"labels\":[\"a\",\"b\"]"
#define GOOD_EVAL_HEAD "{\"n\":2,\"accuracy\":1,\"macro_f1\":1," \
	"\"labels\":[\"a\",\"b\"],\"per_class\":{\"a\":{\"precision\":1," \
	"\"recall\":1,\"f1\":1,\"support\":1},\"b\":{\"precision\":1," \
	"\"recall\":1,\"f1\":1,\"support\":1}}"

static void
test_malformed(void **state)
{
	static const struct bad bad[] = {
		{ "{", NULL, "meta.json: not JSON" },
		{ "[]", NULL, "meta.json: not a JSON object" },
		{ "{\"version\":\"v\",\"labels\":[\"a\"]}", NULL,
		  "meta.json: missing field 'task'" },
		{ "{\"task\":1,\"version\":\"v\",\"labels\":[\"a\"]}", NULL,
		  "field 'task' must be a string" },
		{ "{\"task\":\"t\",\"version\":\"v\",\"labels\":\"a\"}", NULL,
		  "field 'labels' must be an array" },
		{ "{\"task\":\"t\",\"version\":\"v\",\"labels\":[]}", NULL,
		  "'labels' is empty" },
		{ "{\"task\":\"t\",\"version\":\"v\",\"labels\":[1]}", NULL,
		  "labels[0] is not a string" },
		{ "{\"task\":\"t\",\"version\":\"v\",\"labels\":[\"a\",\"a\"]}",
		  NULL, "label 'a' appears twice" },
		{ GOOD_META ",\"training\":[]}", NULL,
		  "field 'training' must be an object" },
		{ GOOD_META ",\"n_features\":-1}", NULL,
		  "'n_features' must be a non-negative integer" },
		{ GOOD_META ",\"training\":{\"cv\":{\"accuracy\":1.5,"
		  "\"macro_f1\":0.5}}}", NULL,
		  "training.cv: field 'accuracy' must be between 0 and 1" },
		{ GOOD_META ",\"training\":{\"grid\":[{\"cv_macro_f1\":0.5}]}}",
		  NULL, "training.grid[0]: missing field 'C'" },
		{ GOOD_META ",\"training\":{\"grid\":[{\"C\":0,"
		  "\"cv_macro_f1\":0.5}]}}", NULL, "'C' must be positive" },
		{ GOOD_META ",\"training\":{\"grid\":[{\"C\":1,\"x\":1,"
		  "\"cv_macro_f1\":0.5},{\"C\":-1,\"cv_macro_f1\":0.5}]}}",
		  NULL, "training.grid[1]: 'C' must be positive" },
		{ GOOD_META ",\"training\":{\"label_counts\":[1]}}", NULL,
		  "'label_counts' must be an object" },
		{ GOOD_META ",\"training\":{\"label_counts\":{\"a\":\"x\"}}}",
		  NULL, "label_counts: field 'a' must be a non-negative" },
		{ GOOD_META ",\"training\":{\"solver\":3}}", NULL,
		  "'solver' must be a string" },
		{ GOOD_META ",\"calibration\":{\"ece\":-1}}", NULL,
		  "calibration: field 'ece' must be between 0 and 1" },
		{ GOOD_META ",\"test\":{\"figures\":{}}}", NULL,
		  "test.figures: missing field 'n'" },
		{ GOOD_META "}", "nope", "evaluation: not JSON" },
		{ GOOD_META "}", "[1]", "evaluation: not a JSON object" },
		{ GOOD_META "}", GOOD_EVAL_HEAD "}",
		  "evaluation: missing field 'confusion'" },
		{ GOOD_META "}", "{\"n\":2,\"accuracy\":1,\"macro_f1\":1,"
		  "\"labels\":[\"a\",\"c\"],\"per_class\":{},"
		  "\"confusion\":[]}",
		  "evaluation: label 1 is not the bundle's label 'b'" },
		{ GOOD_META "}", "{\"n\":2,\"accuracy\":1,\"macro_f1\":1,"
		  "\"labels\":[\"a\"],\"per_class\":{},\"confusion\":[]}",
		  "evaluation: 1 labels, the bundle has 2" },
		{ GOOD_META "}", "{\"n\":2,\"accuracy\":1,\"macro_f1\":1,"
		  "\"labels\":[\"a\",\"b\"],\"per_class\":{},"
		  "\"confusion\":[]}",
		  "evaluation: per_class: missing field 'a'" },
		{ GOOD_META "}", "{\"n\":2,\"accuracy\":1,\"macro_f1\":1,"
		  "\"labels\":[\"a\",\"b\"],\"per_class\":{\"a\":{}},"
		  "\"confusion\":[]}",
		  "evaluation: per_class 'a': missing field 'precision'" },
		{ GOOD_META "}", GOOD_EVAL_HEAD ",\"confusion\":[[1,0]]}",
		  "confusion has 1 rows, expected 2" },
		{ GOOD_META "}", GOOD_EVAL_HEAD ",\"confusion\":[[1,0],[0]]}",
		  "confusion row 1 is not an array of 2 counts" },
		{ GOOD_META "}", GOOD_EVAL_HEAD ",\"confusion\":[[1,-1],"
		  "[0,1]]}", "confusion[0][1] must be a non-negative integer" },
		{ GOOD_META "}", GOOD_EVAL_HEAD ",\"confusion\":[[1,0],[0,1]],"
		  "\"reliability\":[{\"lo\":0,\"hi\":0.1,\"n\":3,"
		  "\"mean_p\":0.05,\"accuracy\":2}]}",
		  "reliability[0]: field 'accuracy' must be between 0 and 1" },
		{ GOOD_META "}", GOOD_EVAL_HEAD ",\"confusion\":[[1,0],[0,1]],"
		  "\"reliability\":[{\"lo\":0,\"hi\":0.1,\"n\":3}]}",
		  "reliability[0]: missing field 'mean_p'" },
		{ GOOD_META "}", GOOD_EVAL_HEAD ",\"confusion\":[[1,0],[0,1]],"
		  "\"by_length\":[{\"lo\":50,\"hi\":10,\"n\":0}]}",
		  "by_length[0]: 'hi' is below 'lo'" },
		{ GOOD_META "}", GOOD_EVAL_HEAD ",\"confusion\":[[1,0],[0,1]],"
		  "\"ece\":\"low\"}",
		  "evaluation: field 'ece' must be a number" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct err err;
		char *out;

		if (render(bad[i].meta, bad[i].eval, NULL, &out, &err) != -1)
			fail_msg("case %zu accepted", i);
		if (strstr(err.msg, bad[i].want) == NULL)
			fail_msg("case %zu: '%s' does not say '%s'", i, err.msg,
			    bad[i].want);
		assert_string_equal(out, "");	/* nothing written */
		free(out);
	}
	{
		struct err err;
		char *out;

		assert_int_equal(render(NULL, NULL, NULL, &out, &err), -1);
		assert_string_equal(err.msg, "meta.json: no text");
		free(out);
	}
}

static void
check_labels(size_t k)
{
	char *meta = dump(meta_json(k, NULL, M_NEW | M_GRID | M_TEST));
	char *eval = dump(figures_json(labels_json(k, NULL), 1));
	char *html, *s;
	size_t i;

	html = render_ok(meta, eval, NULL);
	check_common(html);
	s = section(html, "confusion");
	assert_int_equal(count(s, "<title>true "), k * k);
	/* Each label on both axes; the columns' turned when crowded. */
	for (i = 0; i < k; i++) {
		char name[64];

		snprintf(name, sizeof(name), ">label %02zu<title>", i);
		assert_int_equal(count(s, name), 2);
	}
	assert_int_equal(count(s, "rotate(-45 ") > 0, k > 10);
	free(s);
	s = section(html, "per-class");
	assert_int_equal(count(s, "<tr>"), 1 + k + 2);
	free(s);
	s = section(html, "label-counts");
	assert_int_equal(count(s, "<rect"), k);
	free(s);
	free(html);
	free(meta);
	free(eval);
}

static void
test_two_labels(void **state)
{
	(void)state;
	check_labels(2);
}

static void
test_forty_labels(void **state)
{
	char *meta = dump(meta_json(40, NULL, M_TEST)), *html, *s;
	const char *w;

	(void)state;
	check_labels(40);
	/* The matrix fits the section (about 1000 pixels) unscaled. */
	html = render_ok(meta, NULL, NULL);
	s = section(html, "confusion");
	w = strstr(s, "<svg ");
	assert_non_null(w);
	w = strstr(w, "width=\"");
	assert_true(atoi(w + 7) <= 1000);
	assert_true(atoi(w + 7) >= 700);
	free(s);
	free(html);
	free(meta);
}

static void
test_degenerate_figures(void **state)
{
	/* One label, nothing counted, empty bins: no division by zero. */
	const char *meta = "{\"task\":\"t\",\"version\":\"v\","
	    "\"labels\":[\"a\"],"
	    "\"training\":{\"label_counts\":{\"a\":0},\"grid\":[{\"C\":1,"
	    "\"cv_macro_f1\":0.5}]}}";
	const char *eval = "{\"n\":0,\"accuracy\":0,\"macro_f1\":0,"
	    "\"labels\":[\"a\"],\"per_class\":{\"a\":{\"precision\":0,"
	    "\"recall\":0,\"f1\":0,\"support\":0}},\"confusion\":[[0]],"
	    "\"ece\":0,\"reliability\":[{\"lo\":0,\"hi\":1,\"n\":0}],"
	    "\"by_length\":[{\"lo\":0,\"hi\":null,\"n\":0}]}";
	char *html;

	(void)state;
	html = render_ok(meta, eval, NULL);
	check_common(html);
	free(html);
}

static void
test_deterministic(void **state)
{
	static const char *const locales[] = {
		"de_DE.UTF-8", "fr_FR.UTF-8", "de_DE.utf8", "fr_FR.utf8",
	};
	char *meta = dump(meta_json(5, NULL, M_NEW | M_GRID | M_TEST));
	char *eval = dump(figures_json(labels_json(5, NULL), 1));
	locale_t comma = (locale_t)0;
	char *a, *b;
	size_t i;

	(void)state;
	a = render_ok(meta, eval, NULL);
	b = render_ok(meta, eval, NULL);
	assert_same(a, b);
	free(b);
	/* A decimal comma in the caller's locale changes nothing. */
	for (i = 0; i < sizeof(locales) / sizeof(locales[0]); i++)
		if ((comma = newlocale(LC_NUMERIC_MASK, locales[i],
		    (locale_t)0)) != (locale_t)0)
			break;
	if (comma != (locale_t)0) {
		locale_t old = uselocale(comma);

		b = render_ok(meta, eval, NULL);
		uselocale(old);
		freelocale(comma);
		assert_same(a, b);
		free(b);
	} else {
		printf("  (no decimal-comma locale installed: the locale "
		    "check is skipped)\n");
	}
	free(a);
	free(meta);
	free(eval);
}

static void
test_write_error(void **state)
{
	FILE *f = fopen("/dev/full", "w");
	struct err err;

	(void)state;
	if (f == NULL)
		skip();
	assert_int_equal(report_write(f, GOOD_META "}", NULL, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "cannot write the report"));
	fclose(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_page),
		cmocka_unit_test(test_grid_search_shape),
		cmocka_unit_test(test_meta_only),
		cmocka_unit_test(test_old_meta),
		cmocka_unit_test(test_hostile_strings),
		cmocka_unit_test(test_long_label_is_shortened_in_charts),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_two_labels),
		cmocka_unit_test(test_forty_labels),
		cmocka_unit_test(test_degenerate_figures),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_write_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
