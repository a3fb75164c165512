/*
 * test_classifier.c - classifier.c: finding bundles in a models directory,
 * scoring an article with every task, scratch reuse, threads, errors.
 *
 * Two bundles are trained on synthetic articles (DATA_SEED, printed at the
 * start): "topic" (markets, sport, weather) and "sentiment" (negative,
 * positive), each article drawing words from one topic list, one sentiment
 * list and shared filler.  The models directory also holds things that are
 * not bundles: a hidden directory, a bundle_save temporary directory, a
 * plain file and a directory without meta.json.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "bundle.h"
#include "classifier.h"
#include "feat.h"
#include "model.h"
#include "text.h"

#define DATA_SEED 424242u
#define NDOCS 120
#define NTEST 60
#define NTHREADS 4

static const char *const topic_labels[] = { "markets", "sport", "weather" };
static const char *const senti_labels[] = { "negative", "positive" };

static const char *const topic_words[3][8] = {
	{ "shares", "stocks", "bond", "yield", "investors", "earnings",
	    "dividend", "traders" },
	{ "goal", "striker", "league", "match", "coach", "penalty",
	    "stadium", "season" },
	{ "rain", "storm", "forecast", "wind", "cloud", "snow", "flood",
	    "temperatures" },
};

static const char *const senti_words[2][6] = {
	{ "awful", "terrible", "disaster", "grim", "worst", "painful" },
	{ "great", "splendid", "triumph", "cheerful", "best", "delight" },
};

static const char *const filler[6] = {
	"the", "today", "report", "city", "people", "said",
};

struct doc {
	char title[128];
	char text[1024];
	int topic;
	int senti;
};

struct fixture {
	char root[64];
	char models[128];
	struct doc train[NDOCS];
	struct doc test[NTEST];
	struct classifier *c;
};

static uint64_t rng;

static uint32_t
rng_next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static void
add_words(char *out, size_t sz, int topic, int senti, int n)
{
	size_t len = strlen(out);
	unsigned r;
	const char *w;
	int i;

	for (i = 0; i < n; i++) {
		r = rng_next() % 10;
		if (topic < 0 || r >= 8)
			w = filler[rng_next() % 6];
		else if (r < 5)
			w = topic_words[topic][rng_next() % 8];
		else
			w = senti_words[senti][rng_next() % 6];
		len += (size_t)snprintf(out + len, sz - len, "%s%s",
		    len ? " " : "", w);
	}
}

static void
make_doc(struct doc *d, int topic, int senti)
{
	d->topic = topic;
	d->senti = senti;
	d->title[0] = d->text[0] = '\0';
	add_words(d->title, sizeof(d->title), topic, senti,
	    3 + (int)(rng_next() % 3));
	add_words(d->text, sizeof(d->text), topic, senti,
	    20 + (int)(rng_next() % 20));
	strcat(d->text, ".");
}

static char *
join(const char *a, const char *b)
{
	struct buf p;

	buf_init(&p);
	buf_addf(&p, "%s/%s", a, b);
	return buf_detach(&p, NULL);
}

static void
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

/*
 * Train one task with feature settings st (NULL: the defaults) on n
 * documents and save it as dir/task.
 */
static void
make_bundle_from(const struct doc *docs, int n,
    const struct feat_settings *st, const char *dir, const char *task,
    int senti)
{
	struct feat_builder *fb;
	struct feat_scratch *fs = feat_scratch_new();
	struct feat_vocab *vocab = NULL;
	struct model *model = NULL;
	struct feat_settings def;
	struct model_params p;
	struct bundle_parts parts;
	struct feat_vec x[NDOCS];
	int y[NDOCS], i;
	struct err err;
	char *path;

	assert_true(n <= NDOCS);
	feat_settings_default(&def);
	fb = feat_builder_new(st != NULL ? st : &def);
	for (i = 0; i < n; i++)
		assert_int_equal(feat_builder_add(fb, docs[i].title,
		    strlen(docs[i].title), docs[i].text,
		    strlen(docs[i].text), &err), 0);
	assert_int_equal(feat_builder_finish(fb, &vocab, &err), 0);
	for (i = 0; i < n; i++) {
		feat_vec_init(&x[i]);
		assert_int_equal(feat_vectorize(vocab, docs[i].title,
		    strlen(docs[i].title), docs[i].text,
		    strlen(docs[i].text), fs, &x[i], &err), 0);
		y[i] = senti ? docs[i].senti : docs[i].topic;
	}
	model_params_default(&p);
	if (model_train(x, y, (size_t)n, feat_vocab_size(vocab), &p, &model,
	    &err) == -1)
		fail_msg("%s", err.msg);
	parts.task = task;
	parts.labels = senti ? senti_labels : topic_labels;
	parts.nlabels = senti ? 2 : 3;
	parts.vocab = vocab;
	parts.model = model;
	parts.meta_extra = NULL;
	path = join(dir, task);
	if (bundle_save(path, &parts, &err) == -1)
		fail_msg("%s", err.msg);
	free(path);
	for (i = 0; i < n; i++)
		feat_vec_release(&x[i]);
	model_destroy(&model);
	feat_vocab_destroy(&vocab);
	feat_scratch_destroy(&fs);
	feat_builder_destroy(&fb);
}

/* Train one task on the training documents and save it as dir/task. */
static void
make_bundle(const struct fixture *fx, const char *dir, const char *task,
    int senti)
{
	make_bundle_from(fx->train, NDOCS, NULL, dir, task, senti);
}

/* A directory name under root, created. */
static char *
make_dir(const char *root, const char *name)
{
	char *dir = join(root, name);

	assert_int_equal(mkdir(dir, 0755), 0);
	return dir;
}

static void
add_decoys(const char *models)
{
	static const char *const dirs[] = { ".hidden", "topic.tmp-Ab12Cd" };
	char *dir, *path;
	size_t i;

	for (i = 0; i < 2; i++) {
		dir = make_dir(models, dirs[i]);
		path = join(dir, "meta.json");
		write_text(path, "not json\n");
		free(path);
		free(dir);
	}
	dir = make_dir(models, "notes");
	free(dir);
	path = join(models, "README");
	write_text(path, "bundles live here\n");
	free(path);
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct err err;
	char *models;
	int i;

	if (fx == NULL)
		return -1;
	print_message("data seed %u\n", DATA_SEED);
	rng = DATA_SEED;
	for (i = 0; i < NDOCS; i++)
		make_doc(&fx->train[i], i % 3, (i / 3) % 2);
	for (i = 0; i < NTEST; i++)
		make_doc(&fx->test[i], i % 3, (i / 3) % 2);
	snprintf(fx->root, sizeof(fx->root), "/tmp/test_classifier.XXXXXX");
	if (mkdtemp(fx->root) == NULL)
		return -1;
	models = make_dir(fx->root, "models");
	snprintf(fx->models, sizeof(fx->models), "%s", models);
	free(models);
	make_bundle(fx, fx->models, "topic", 0);
	make_bundle(fx, fx->models, "sentiment", 1);
	add_decoys(fx->models);
	if (classifier_load(fx->models, &fx->c, &err) == -1) {
		print_error("%s\n", err.msg);
		return -1;
	}
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[128];

	classifier_destroy(&fx->c);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->root);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

static void
test_load(void **state)
{
	struct fixture *fx = *state;
	const struct bundle *b;

	assert_int_equal(classifier_ntasks(fx->c), 2);
	assert_string_equal(bundle_task(classifier_bundle(fx->c, 0)),
	    "sentiment");
	assert_string_equal(bundle_task(classifier_bundle(fx->c, 1)), "topic");
	assert_int_equal(classifier_task_index(fx->c, "sentiment"), 0);
	assert_int_equal(classifier_task_index(fx->c, "topic"), 1);
	assert_int_equal(classifier_task_index(fx->c, "region"), -1);
	b = classifier_bundle(fx->c, 1);
	assert_int_equal(bundle_nlabels(b), 3);
	assert_string_equal(bundle_label(b, 2), "weather");
}

/* out[i] must be what the task's bundle gives on its own, bit for bit. */
static void
check_against_bundles(const struct classifier *c, const struct doc *d,
    const struct classifier_out *out)
{
	struct feat_scratch *fs = feat_scratch_new();
	struct model_scratch *ms = model_scratch_new();
	struct feat_vec v;
	double prob[8], sum;
	struct err err;
	size_t i, k, nl;
	int label;

	feat_vec_init(&v);
	for (i = 0; i < classifier_ntasks(c); i++) {
		const struct bundle *b = classifier_bundle(c, i);

		nl = bundle_nlabels(b);
		assert_int_equal(feat_vectorize(bundle_vocab(b), d->title,
		    strlen(d->title), d->text, strlen(d->text), fs, &v, &err),
		    0);
		label = model_predict(bundle_model(b), &v, ms, prob);
		assert_int_equal(out[i].label, label);
		assert_memory_equal(out[i].prob, prob, nl * sizeof(*prob));
		sum = 0;
		for (k = 0; k < nl; k++) {
			assert_true(out[i].prob[k] <=
			    out[i].prob[out[i].label]);
			sum += out[i].prob[k];
		}
		assert_true(sum > 1 - 1e-9 && sum < 1 + 1e-9);
	}
	feat_vec_release(&v);
	feat_scratch_destroy(&fs);
	model_scratch_destroy(&ms);
}

static void
test_run(void **state)
{
	struct fixture *fx = *state;
	struct classifier_scratch *s = classifier_scratch_new();
	const struct classifier_out *out;
	int i, right_topic = 0, right_senti = 0;
	struct err err;

	for (i = 0; i < NTEST; i++) {
		const struct doc *d = &fx->test[i];

		if (classifier_run(fx->c, d->title, strlen(d->title), d->text,
		    strlen(d->text), 0, s, &out, &err) == -1)
			fail_msg("%s", err.msg);
		check_against_bundles(fx->c, d, out);
		right_senti += out[0].label == d->senti;
		right_topic += out[1].label == d->topic;
	}
	print_message("topic %d/%d, sentiment %d/%d right\n", right_topic,
	    NTEST, right_senti, NTEST);
	assert_true(right_topic >= NTEST * 9 / 10);
	assert_true(right_senti >= NTEST * 8 / 10);
	classifier_scratch_destroy(&s);
	assert_null(s);
}

/* Filler-only and empty articles: no clear winner, labels still arg-max. */
static void
test_ambiguous(void **state)
{
	struct fixture *fx = *state;
	struct classifier_scratch *s = classifier_scratch_new();
	const struct classifier_out *out;
	struct doc d;
	struct err err;
	int i;

	for (i = 0; i < 50; i++) {
		make_doc(&d, -1, 0);
		if (i % 10 == 0)
			d.title[0] = d.text[0] = '\0';
		assert_int_equal(classifier_run(fx->c, d.title,
		    strlen(d.title), d.text, strlen(d.text), 0, s, &out, &err),
		    0);
		check_against_bundles(fx->c, &d, out);
	}
	classifier_scratch_destroy(&s);
}

static void
test_invalid_utf8(void **state)
{
	struct fixture *fx = *state;
	struct classifier_scratch *s = classifier_scratch_new();
	const struct classifier_out *out;
	struct err err;

	assert_int_equal(classifier_run(fx->c, "ok \xff", 4, "fine", 4, 0, s,
	    &out, &err), -1);
	assert_non_null(strstr(err.msg, "title"));
	assert_int_equal(classifier_run(fx->c, "ok", 2, "bad \xc3(", 6, 0, s,
	    &out, &err), -1);
	assert_non_null(strstr(err.msg, "text"));
	/* The scratch is still usable afterwards. */
	assert_int_equal(classifier_run(fx->c, "goal", 4, "match", 5, 0, s,
	    &out, &err), 0);
	assert_string_equal(bundle_label(classifier_bundle(fx->c, 1),
	    (size_t)out[1].label), "sport");
	classifier_scratch_destroy(&s);
}

/*
 * One scratch serves a small classifier, then a larger one (it grows), and
 * once grown its buffers stay put from call to call.
 */
static void
test_scratch_reuse(void **state)
{
	struct fixture *fx = *state;
	struct classifier_scratch *s = classifier_scratch_new();
	const struct classifier_out *out, *first;
	const double *p0, *p1;
	struct classifier *small = NULL;
	char *dir = make_dir(fx->root, "small");
	struct err err;
	int i;

	make_bundle(fx, dir, "sentiment", 1);
	assert_int_equal(classifier_load(dir, &small, &err), 0);
	assert_int_equal(classifier_ntasks(small), 1);
	assert_int_equal(classifier_run(small, "x", 1, "great", 5, 0, s, &out,
	    &err), 0);
	assert_int_equal(out[0].label, 1);
	assert_int_equal(classifier_run(fx->c, "x", 1, "awful", 5, 0, s,
	    &first, &err), 0);
	assert_int_equal(first[0].label, 0);
	p0 = first[0].prob;
	p1 = first[1].prob;
	assert_true(p1 == p0 + 2);
	for (i = 0; i < NTEST; i++) {
		const struct doc *d = &fx->test[i];

		assert_int_equal(classifier_run(fx->c, d->title,
		    strlen(d->title), d->text, strlen(d->text), 0, s, &out,
		    &err), 0);
		assert_ptr_equal(out, first);
		assert_ptr_equal(out[0].prob, p0);
		assert_ptr_equal(out[1].prob, p1);
	}
	classifier_destroy(&small);
	assert_null(small);
	classifier_scratch_destroy(&s);
	free(dir);
}

/* d with a figure compared ("from 5 to 7 mn in") appended to its text. */
static void
add_comparison(struct doc *d, int i)
{
	static const char *const phrase[] = {
		" Sales rose from 5 to 7 mn in the city.",
		" Costs fell to 3 from 4, said people today.",
		" The report went from EUR 9 bn to EUR 2 bn in the season.",
	};
	size_t len = strlen(d->text);

	snprintf(d->text + len, sizeof(d->text) - len, "%s", phrase[i % 3]);
}

/*
 * Tasks whose tokeniser settings differ: "a-words" plain words and
 * bigrams, "b-num" the same stemmed and with number comparisons, and then
 * also "c-stems", a-words' settings stemmed (linked to it).  By name
 * a-words comes first, though b-num's tokens serve it; in whatever order
 * the classifier takes them, each task must give what its bundle gives
 * alone, on articles with comparisons.
 */
static void
test_mixed_settings(void **state)
{
	struct fixture *fx = *state;
	static struct doc train[NDOCS], test[NTEST];
	struct classifier_scratch *s = classifier_scratch_new();
	const struct classifier_out *out;
	struct classifier *c = NULL;
	char *dir = make_dir(fx->root, "mixed");
	struct feat_settings words, num, stems;
	struct err err;
	int i, round, ntasks;

	for (i = 0; i < NDOCS; i++) {
		train[i] = fx->train[i];
		add_comparison(&train[i], i);
	}
	for (i = 0; i < NTEST; i++) {
		test[i] = fx->test[i];
		add_comparison(&test[i], i + 1);
	}
	feat_settings_default(&words);
	words.text_flags = 0;
	words.min_df = 1;
	num = words;
	num.text_flags = TEXT_NUMCMP | TEXT_STEM;
	stems = words;
	stems.text_flags = TEXT_STEM;
	make_bundle_from(train, NDOCS, &words, dir, "a-words", 0);
	make_bundle_from(train, NDOCS, &num, dir, "b-num", 1);
	for (ntasks = 2; ntasks <= 3; ntasks++) {
		if (ntasks == 3)
			make_bundle_from(train, NDOCS, &stems, dir, "c-stems",
			    0);
		assert_int_equal(classifier_load(dir, &c, &err), 0);
		assert_int_equal(classifier_ntasks(c), (size_t)ntasks);
		assert_string_equal(bundle_task(classifier_bundle(c, 0)),
		    "a-words");
		for (round = 0; round < 2; round++)
			for (i = 0; i < NTEST; i++) {
				if (classifier_run(c, test[i].title,
				    strlen(test[i].title), test[i].text,
				    strlen(test[i].text), 0, s, &out, &err) ==
				    -1)
					fail_msg("%s", err.msg);
				check_against_bundles(c, &test[i], out);
			}
		classifier_destroy(&c);
	}
	classifier_scratch_destroy(&s);
	free(dir);
}

struct worker {
	const struct fixture *fx;
	int label[NTEST][2];
	double prob[NTEST][5];
	int failed;
};

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	struct classifier_scratch *s = classifier_scratch_new();
	const struct classifier_out *out;
	struct err err;
	int round, i;

	for (round = 0; round < 5; round++)
		for (i = 0; i < NTEST; i++) {
			const struct doc *d = &w->fx->test[i];

			if (classifier_run(w->fx->c, d->title,
			    strlen(d->title), d->text, strlen(d->text), 0, s,
			    &out, &err) == -1) {
				w->failed = 1;
				continue;
			}
			w->label[i][0] = out[0].label;
			w->label[i][1] = out[1].label;
			memcpy(w->prob[i], out[0].prob, 2 * sizeof(double));
			memcpy(w->prob[i] + 2, out[1].prob,
			    3 * sizeof(double));
		}
	classifier_scratch_destroy(&s);
	return NULL;
}

/* Threads sharing one classifier get what a single thread gets. */
static void
test_threads(void **state)
{
	struct fixture *fx = *state;
	static struct worker w[NTHREADS];
	pthread_t t[NTHREADS];
	int i;

	for (i = 0; i < NTHREADS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].fx = fx;
		assert_int_equal(pthread_create(&t[i], NULL, worker_run,
		    &w[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	for (i = 0; i < NTHREADS; i++) {
		assert_int_equal(w[i].failed, 0);
		assert_memory_equal(w[i].label, w[0].label,
		    sizeof(w[0].label));
		assert_memory_equal(w[i].prob, w[0].prob, sizeof(w[0].prob));
	}
}

static void
expect_load_fail(const char *dir, const char *want)
{
	struct classifier *c = (struct classifier *)&c;
	struct err err;

	err.msg[0] = '\0';
	assert_int_equal(classifier_load(dir, &c, &err), -1);
	assert_null(c);
	if (strstr(err.msg, want) == NULL)
		fail_msg("error '%s' lacks '%s'", err.msg, want);
}

static void
test_load_errors(void **state)
{
	struct fixture *fx = *state;
	char *missing = join(fx->root, "nowhere");
	char *empty = make_dir(fx->root, "empty");
	char *broken = make_dir(fx->root, "broken");
	char *bad, *meta, want[256];
	struct buf b;

	buf_init(&b);
	buf_addf(&b, "cannot read models directory '%s': No such file or "
	    "directory", missing);
	expect_load_fail(missing, b.data);
	buf_reset(&b);
	add_decoys(empty);
	buf_addf(&b, "no model bundles in '%s'", empty);
	expect_load_fail(empty, b.data);

	/* One good bundle and one broken one: the error names the broken. */
	make_bundle(fx, broken, "sentiment", 1);
	bad = make_dir(broken, "topic");
	meta = join(bad, "meta.json");
	write_text(meta, "{\"format\": 3}\n");
	snprintf(want, sizeof(want), "cannot load bundle '%s': meta.json: "
	    "unknown format version 3", bad);
	expect_load_fail(broken, want);
	buf_release(&b);
	free(meta);
	free(bad);
	free(broken);
	free(empty);
	free(missing);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_run),
		cmocka_unit_test(test_ambiguous),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_scratch_reuse),
		cmocka_unit_test(test_mixed_settings),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_load_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
