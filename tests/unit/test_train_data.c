/*
 * test_train_data.c - the trainer's data (training/data.c): reading
 * labelled articles, augmentation (short forms and extracts) and the
 * cross-validation folds.
 *
 * The trainer's modules are linked into the unit tests (TRAIN_OBJ in the
 * Makefile).  The point of most checks: a row made from an
 * article is in that article's fold, so no article is on both sides of a
 * fold (the figures would be flattered); folds are stratified; and
 * augmentation is deterministic in its seed.
 *
 * The data is written here: NART articles over three labels of unequal
 * sizes, with one to six sentences each (some separated by newlines or
 * several spaces), some with titles.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "data.h"
#include "jsonl.h"
#include "log.h"
#include "xalloc.h"

#define NART 40
#define FOLDS 5

static const char *const sentences[] = {
	"Shares rose on Monday.",
	"The striker scored twice!",
	"Was the vote fair?",
	"Rates held at 3.5 percent.",
	"The museum reopens in May.",
	"Rain is expected later.",
};

struct fixture {
	char dir[64];
	char path[96];
	char other[96];
};

/* Label of article i: 20 "a", 13 "b", 7 "c", interleaved. */
static const char *
label_of(int i)
{
	return i % 6 < 3 ? "a" : i % 6 < 5 ? "b" : (i % 2 ? "c" : "a");
}

/* Article i's text: 1 + i % 6 sentences, separators varying. */
static void
text_of(int i, char *out, size_t sz)
{
	int s, n = 1 + i % 6;
	size_t len = 0;

	out[0] = '\0';
	for (s = 0; s < n; s++) {
		const char *sep = s == 0 ? "" : (i + s) % 3 == 0 ? "\n" :
		    (i + s) % 3 == 1 ? "  " : " ";

		len += (size_t)snprintf(out + len, sz - len, "%s%s", sep,
		    sentences[(i + s) % 6]);
	}
}

static void
write_data(const char *path, int from, int to)
{
	FILE *f = fopen(path, "w");
	char text[512];
	json_t *o;
	char *line;
	int i;

	assert_non_null(f);
	for (i = from; i < to; i++) {
		text_of(i, text, sizeof(text));
		o = json_pack("{s:s,s:s,s:s,s:s}", "id", "", "title",
		    i % 4 ? "A title" : "", "text", text, "label",
		    label_of(i));
		json_object_set_new(o, "id", json_sprintf("art-%02d", i));
		line = json_dumps(o, JSON_COMPACT);
		fprintf(f, "%s\n", line);
		free(line);
		json_decref(o);
	}
	assert_int_equal(fclose(f), 0);
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	log_init("test_train_data", LOG_LEVEL_ERROR);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_train_data.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/data.jsonl", fx->dir);
	snprintf(fx->other, sizeof(fx->other), "%s/more.jsonl", fx->dir);
	write_data(fx->path, 0, NART);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

static void
read_data(const struct fixture *fx, struct dataset *d)
{
	const char *paths[1] = { fx->path };

	assert_int_equal(data_read(d, paths, 1, 0, NULL, 0), 0);
}

static void
test_read(void **state)
{
	struct fixture *fx = *state;
	const char *paths[2] = { fx->path, fx->other };
	char *fixed[2] = { "a", "b" };
	struct dataset d;
	char text[512];
	size_t i;

	read_data(fx, &d);
	assert_int_equal(d.n, NART);
	assert_int_equal(d.norig, NART);
	assert_int_equal(d.nlabels, 3);
	assert_string_equal(d.labels[0], "a");
	assert_string_equal(d.labels[1], "b");
	assert_string_equal(d.labels[2], "c");
	for (i = 0; i < d.n; i++) {
		assert_int_equal(d.group[i], i);
		assert_string_equal(d.labels[d.y[i]], label_of((int)i));
		assert_string_equal(d.art[i].label, label_of((int)i));
		text_of((int)i, text, sizeof(text));
		assert_string_equal(d.art[i].text, text);
		assert_int_equal(d.art[i].xlen, strlen(text));
	}
	data_free(&d);
	assert_null(d.art);

	/* Two files, one after the other. */
	write_data(fx->other, NART, NART + 6);
	assert_int_equal(data_read(&d, paths, 2, 0, NULL, 0), 0);
	assert_int_equal(d.n, NART + 6);
	assert_string_equal(d.art[NART].id, "art-40");
	data_free(&d);

	/* Labels given: another label is an error; missing file; one label. */
	assert_int_equal(data_read(&d, paths, 1, 0, fixed, 2), -1);
	paths[0] = "/nonexistent/data.jsonl";
	assert_int_equal(data_read(&d, paths, 1, 0, NULL, 0), -1);
	{
		FILE *f = fopen(fx->other, "w");

		assert_non_null(f);
		fputs("{\"id\": \"1\", \"text\": \"x\", \"label\": \"a\"}\n"
		    "{\"id\": \"2\", \"text\": \"y\", \"label\": \"a\"}\n", f);
		fclose(f);
	}
	paths[0] = fx->other;
	assert_int_equal(data_read(&d, paths, 1, 0, NULL, 0), -1);
}

static void
test_sentences_and_words(void **state)
{
	static const struct {
		const char *s;
		size_t first, words;
	} cases[] = {
		{ "Shares rose. Then fell.", 12, 4 },
		{ "Was it? Yes", 7, 3 },
		{ "Wow! Great", 4, 2 },
		{ "Rates at 3.5 percent. Next", 21, 5 },
		{ "A line\nand another", 6, 4 },
		{ "No end at all", 13, 4 },
		{ "Ends.", 5, 1 },
		{ "", 0, 0 },
		{ "  spaced \t out\n", 14, 2 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].s);

		assert_int_equal(data_first_sentence(cases[i].s, len),
		    cases[i].first);
		assert_int_equal(data_words(cases[i].s, len), cases[i].words);
	}
	/* Only the given length counts. */
	assert_int_equal(data_first_sentence("Ab. Cd.", 2), 2);
	assert_int_equal(data_words("one two", 3), 1);
}

/* Whether row r's text is a run of whole sentences of its article. */
static int
whole_sentences_of(const struct dataset *d, size_t r)
{
	const struct jsonl_article *a = &d->art[d->group[r]];
	const char *t = a->text, *x = d->art[r].text;
	size_t xlen = d->art[r].xlen, off;
	const char *at = xlen ? memmem(t, a->xlen, x, xlen) : NULL;

	if (at == NULL)
		return 0;
	off = (size_t)(at - t);
	/* Starts at the text's start or after a sentence's end and space. */
	if (off > 0 && !(t[off - 1] == ' ' || t[off - 1] == '\n'))
		return 0;
	/*
	 * Ends at the text's end, or at a sentence's end and the spaces
	 * before the next sentence.
	 */
	if (off + xlen == a->xlen)
		return 1;
	if (t[off + xlen] == ' ' || t[off + xlen] == '\n')
		return 0;
	while (xlen > 0 && (x[xlen - 1] == ' ' || x[xlen - 1] == '\n'))
		xlen--;
	return xlen > 0 && (x[xlen - 1] == '.' || x[xlen - 1] == '!' ||
	    x[xlen - 1] == '?');
}

static void
test_augment_short(void **state)
{
	struct fixture *fx = *state;
	struct dataset d;
	size_t i, want = 0;

	read_data(fx, &d);
	for (i = 0; i < d.n; i++)
		want += data_first_sentence(d.art[i].text, d.art[i].xlen) <
		    d.art[i].xlen;
	data_augment_short(&d);
	assert_int_equal(d.norig, NART);
	assert_int_equal(d.n, NART + want);
	for (i = d.norig; i < d.n; i++) {
		const struct jsonl_article *src = &d.art[d.group[i]];

		assert_true(d.group[i] < d.norig);
		assert_int_equal(d.y[i], d.y[d.group[i]]);
		assert_string_equal(d.art[i].label, src->label);
		assert_string_equal(d.art[i].id, src->id);
		assert_string_equal(d.art[i].title, src->title);
		/* The title and the first sentence. */
		assert_int_equal(d.art[i].xlen, data_first_sentence(src->text,
		    src->xlen));
		assert_memory_equal(d.art[i].text, src->text, d.art[i].xlen);
		assert_int_equal(strlen(d.art[i].text), d.art[i].xlen);
		assert_true(d.art[i].xlen < src->xlen);
		/* One row per article at most, in the articles' order. */
		if (i > d.norig)
			assert_true(d.group[i] > d.group[i - 1]);
	}
	data_free(&d);
}

static void
test_augment_extracts(void **state)
{
	struct fixture *fx = *state;
	struct dataset d;
	size_t i, want = 0, lens[3] = { 0, 0, 0 };
	int n = 3;

	read_data(fx, &d);
	/* Articles of three or more sentences (1 + i % 6 of them). */
	for (i = 0; i < NART; i++)
		want += 1 + i % 6 >= 3 ? (size_t)n : 0;
	data_augment_extracts(&d, n, 7);
	assert_int_equal(d.n, NART + want);
	for (i = d.norig; i < d.n; i++) {
		size_t g = d.group[i], s, c = 0;

		assert_true(g < d.norig);
		assert_true(1 + g % 6 >= 3);
		assert_int_equal(d.y[i], d.y[g]);
		assert_string_equal(d.art[i].id, d.art[g].id);
		/* No title: a lead or a quote. */
		assert_string_equal(d.art[i].title, "");
		assert_int_equal(d.art[i].tlen, 0);
		assert_true(d.art[i].xlen > 0);
		assert_true(whole_sentences_of(&d, i));
		/* One or two sentences. */
		for (s = 0; s < 6; s++)
			c += strstr(d.art[i].text, sentences[s]) != NULL;
		assert_true(c == 1 || c == 2);
		lens[c]++;
		/* n rows per article, together. */
		if ((i - d.norig) % (size_t)n != 0)
			assert_int_equal(g, d.group[i - 1]);
	}
	/* Both lengths occur. */
	assert_true(lens[1] > 0 && lens[2] > 0);
	data_free(&d);
}

/* Rows' texts, labels and groups all equal. */
static int
same_rows(const struct dataset *a, const struct dataset *b)
{
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (a->group[i] != b->group[i] || a->y[i] != b->y[i] ||
		    a->art[i].xlen != b->art[i].xlen ||
		    strcmp(a->art[i].text, b->art[i].text) != 0 ||
		    strcmp(a->art[i].title, b->art[i].title) != 0)
			return 0;
	return 1;
}

static void
test_augment_deterministic(void **state)
{
	struct fixture *fx = *state;
	struct dataset a, b, c;

	read_data(fx, &a);
	read_data(fx, &b);
	read_data(fx, &c);
	data_augment_short(&a);
	data_augment_short(&b);
	data_augment_short(&c);
	data_augment_extracts(&a, 4, 11);
	data_augment_extracts(&b, 4, 11);
	data_augment_extracts(&c, 4, 12);
	assert_true(same_rows(&a, &b));
	/* Another seed: as many rows, from the same articles, other ones. */
	assert_int_equal(c.n, a.n);
	assert_false(same_rows(&a, &c));
	data_free(&a);
	data_free(&b);
	data_free(&c);
}

/* Every row is in its article's fold; folds are stratified. */
static void
check_folds(const struct dataset *d, const int *fold, int folds)
{
	size_t i, c;
	int f, count[3][FOLDS + 2];

	memset(count, 0, sizeof(count));
	for (i = 0; i < d->n; i++) {
		assert_true(fold[i] >= 0 && fold[i] < folds);
		assert_int_equal(fold[i], fold[d->group[i]]);
		if (i < d->norig)
			count[d->y[i]][fold[i]]++;
	}
	/* Each class spread as evenly as it can be. */
	for (c = 0; c < d->nlabels; c++) {
		int lo = NART, hi = 0;

		for (f = 0; f < folds; f++) {
			lo = count[c][f] < lo ? count[c][f] : lo;
			hi = count[c][f] > hi ? count[c][f] : hi;
		}
		assert_true(hi - lo <= 1);
	}
}

static void
test_folds(void **state)
{
	struct fixture *fx = *state;
	struct dataset d, plain;
	int *fold, *again, *other, *before, folds;
	size_t i, moved = 0;

	read_data(fx, &plain);
	read_data(fx, &d);
	before = data_folds(&plain, FOLDS, 3);
	data_augment_short(&d);
	data_augment_extracts(&d, 3, 3);
	assert_true(d.n > 2 * d.norig);
	fold = data_folds(&d, FOLDS, 3);
	check_folds(&d, fold, FOLDS);
	/* The articles' folds do not depend on the augmentation. */
	assert_memory_equal(fold, before, NART * sizeof(int));
	/* The same seed, the same folds; another, others. */
	again = data_folds(&d, FOLDS, 3);
	assert_memory_equal(fold, again, d.n * sizeof(int));
	other = data_folds(&d, FOLDS, 4);
	check_folds(&d, other, FOLDS);
	for (i = 0; i < d.n; i++)
		moved += fold[i] != other[i];
	assert_true(moved > 0);
	free(fold);
	free(again);
	free(other);
	free(before);
	/* Two folds and as many folds as a class has articles. */
	for (folds = 2; folds <= 7; folds += 5) {
		fold = data_folds(&d, folds, 1);
		check_folds(&d, fold, folds);
		free(fold);
	}
	data_free(&d);
	data_free(&plain);
}

/* Many rows: the row arrays grow while rows are added. */
static void
test_augment_many(void **state)
{
	struct fixture *fx = *state;
	struct dataset d;
	int *fold;

	read_data(fx, &d);
	data_augment_extracts(&d, 20, 1);
	data_augment_short(&d);
	data_augment_extracts(&d, 20, 2);
	fold = data_folds(&d, FOLDS, 1);
	check_folds(&d, fold, FOLDS);
	free(fold);
	data_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_sentences_and_words),
		cmocka_unit_test(test_augment_short),
		cmocka_unit_test(test_augment_extracts),
		cmocka_unit_test(test_augment_deterministic),
		cmocka_unit_test(test_folds),
		cmocka_unit_test(test_augment_many),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
