/*
 * test_bundle.c - bundle.c: save/load round trip, deterministic output, the
 * version hash, atomic replacement, every kind of damaged bundle, and
 * labels and directory names that break the rules of label.h.
 *
 * The feature flags that cleaning and stop words add are written only when
 * on, read back as written, and count in the version.
 *
 * The corpus is synthetic: three "topics" with disjoint word lists plus
 * shared filler words, documents drawn with a fixed-seed generator
 * (DATA_SEED, printed at the start).  Each corrupt-bundle case copies the
 * good bundle, damages one thing and checks the error names it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "bundle.h"
#include "feat.h"
#include "model.h"
#include "text.h"

#define DATA_SEED 7771u
#define NCLASS 3
#define NDOCS 90
#define NTEST 30

static const char *const labels[NCLASS] = { "markets", "sport", "weather" };

static const char *const words[NCLASS][8] = {
	{ "shares", "stocks", "bond", "yield", "investors", "earnings",
	    "dividend", "traders" },
	{ "goal", "striker", "league", "match", "coach", "penalty",
	    "stadium", "season" },
	{ "rain", "storm", "forecast", "wind", "cloud", "snow", "flood",
	    "temperatures" },
};

static const char *const filler[6] = {
	"the", "today", "report", "city", "people", "said",
};

struct doc {
	char title[128];
	char text[1024];
	int y;
};

struct fixture {
	char dir[64];
	char good[128];
	struct doc train[NDOCS];
	struct doc test[NTEST];
	struct feat_vocab *vocab;
	struct model *model;
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
add_words(char *out, size_t sz, int y, int n)
{
	size_t len = strlen(out);
	int i;

	for (i = 0; i < n; i++) {
		const char *w = rng_next() % 10 < 7 ?
		    words[y][rng_next() % 8] : filler[rng_next() % 6];

		len += (size_t)snprintf(out + len, sz - len, "%s%s",
		    len ? " " : "", w);
	}
}

static void
make_doc(struct doc *d, int y)
{
	d->y = y;
	d->title[0] = d->text[0] = '\0';
	add_words(d->title, sizeof(d->title), y, 3 + (int)(rng_next() % 3));
	add_words(d->text, sizeof(d->text), y, 20 + (int)(rng_next() % 20));
	strcat(d->text, ".");
}

static void
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static void
write_bytes(const char *path, const char *bytes, size_t n)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(bytes, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* The whole file, or NULL if it does not exist. */
static char *
read_text(const char *path)
{
	struct buf b;
	char chunk[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return NULL;
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	return buf_detach(&b, NULL);
}

static char *
join(const char *a, const char *b)
{
	struct buf p;

	buf_init(&p);
	buf_addf(&p, "%s/%s", a, b);
	return buf_detach(&p, NULL);
}

/* Replace the first occurrence of old in s (which must hold it). */
static char *
replace(const char *s, const char *old, const char *new)
{
	const char *at = strstr(s, old);
	struct buf b;

	if (at == NULL)
		fail_msg("'%s' not found", old);
	buf_init(&b);
	buf_add(&b, s, (size_t)(at - s));
	buf_addstr(&b, new);
	buf_addstr(&b, at + strlen(old));
	return buf_detach(&b, NULL);
}

static void
train(struct fixture *fx, const struct feat_settings *st, double C,
    struct feat_vocab **vocab, struct model **model)
{
	struct feat_builder *fb = feat_builder_new(st);
	struct feat_scratch *fs = feat_scratch_new();
	struct feat_vec x[NDOCS];
	struct model_params p;
	int y[NDOCS], i;
	struct err err;

	for (i = 0; i < NDOCS; i++)
		assert_int_equal(feat_builder_add(fb, fx->train[i].title,
		    strlen(fx->train[i].title), fx->train[i].text,
		    strlen(fx->train[i].text), &err), 0);
	assert_int_equal(feat_builder_finish(fb, vocab, &err), 0);
	for (i = 0; i < NDOCS; i++) {
		feat_vec_init(&x[i]);
		assert_int_equal(feat_vectorize(*vocab, fx->train[i].title,
		    strlen(fx->train[i].title), fx->train[i].text,
		    strlen(fx->train[i].text), fs, &x[i], &err), 0);
		y[i] = fx->train[i].y;
	}
	model_params_default(&p);
	p.C = C;
	if (model_train(x, y, NDOCS, feat_vocab_size(*vocab), &p, model,
	    &err) == -1)
		fail_msg("%s", err.msg);
	for (i = 0; i < NDOCS; i++)
		feat_vec_release(&x[i]);
	feat_scratch_destroy(&fs);
	feat_builder_destroy(&fb);
}

static struct bundle_parts
parts_of(const struct fixture *fx, const char *extra)
{
	struct bundle_parts p;

	p.task = "topic";
	p.labels = labels;
	p.nlabels = NCLASS;
	p.vocab = fx->vocab;
	p.model = fx->model;
	p.meta_extra = extra;
	return p;
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct feat_settings st;
	struct bundle_parts p;
	struct err err;
	int i;

	if (fx == NULL)
		return -1;
	print_message("data seed %u\n", DATA_SEED);
	rng = DATA_SEED;
	for (i = 0; i < NDOCS; i++)
		make_doc(&fx->train[i], (i + 1) % NCLASS);
	for (i = 0; i < NTEST; i++)
		make_doc(&fx->test[i], i % NCLASS);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_bundle.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	feat_settings_default(&st);
	train(fx, &st, 1.0, &fx->vocab, &fx->model);
	snprintf(fx->good, sizeof(fx->good), "%s/topic", fx->dir);
	p = parts_of(fx, "{\"accuracy\": 0.975, \"data\": {\"docs\": 90}}");
	if (bundle_save(fx->good, &p, &err) == -1) {
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

	feat_vocab_destroy(&fx->vocab);
	model_destroy(&fx->model);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

static void
test_round_trip(void **state)
{
	struct fixture *fx = *state;
	struct feat_scratch *fs = feat_scratch_new();
	struct model_scratch *ms = model_scratch_new();
	struct feat_vec v1, v2;
	struct bundle *b = NULL;
	double p1[NCLASS], p2[NCLASS];
	const char *ver;
	struct err err;
	char *slash;
	int i, right = 0;

	if (bundle_load(fx->good, &b, &err) == -1)
		fail_msg("%s", err.msg);
	assert_string_equal(bundle_task(b), "topic");
	assert_int_equal(bundle_nlabels(b), NCLASS);
	for (i = 0; i < NCLASS; i++) {
		assert_string_equal(bundle_label(b, (size_t)i), labels[i]);
		assert_int_equal(bundle_label_index(b, labels[i]), i);
	}
	assert_int_equal(bundle_label_index(b, "nope"), -1);
	ver = bundle_version(b);
	assert_int_equal(strlen(ver), 19);
	assert_int_equal(strncmp(ver, "b2-", 3), 0);
	assert_int_equal(strspn(ver + 3, "0123456789abcdef"), 16);
	assert_non_null(strstr(bundle_meta_json(b), ver));
	assert_true(bundle_load_ms(b) >= 0);
	assert_int_equal(feat_vocab_size(bundle_vocab(b)),
	    feat_vocab_size(fx->vocab));
	assert_int_equal(model_max_feature(bundle_model(b)),
	    model_max_feature(fx->model));

	feat_vec_init(&v1);
	feat_vec_init(&v2);
	for (i = 0; i < NTEST; i++) {
		const struct doc *d = &fx->test[i];
		int l1, l2;

		assert_int_equal(feat_vectorize(fx->vocab, d->title,
		    strlen(d->title), d->text, strlen(d->text), fs, &v1,
		    &err), 0);
		assert_int_equal(feat_vectorize(bundle_vocab(b), d->title,
		    strlen(d->title), d->text, strlen(d->text), fs, &v2,
		    &err), 0);
		assert_int_equal(v1.n, v2.n);
		assert_memory_equal(v1.idx, v2.idx, v1.n * sizeof(*v1.idx));
		assert_memory_equal(v1.val, v2.val, v1.n * sizeof(*v1.val));
		l1 = model_predict(fx->model, &v1, ms, p1);
		l2 = model_predict(bundle_model(b), &v2, ms, p2);
		assert_int_equal(l1, l2);
		assert_memory_equal(p1, p2, sizeof(p1));
		right += l2 == d->y;
	}
	print_message("bundle predicts %d of %d test documents\n", right,
	    NTEST);
	assert_true(right >= NTEST * 9 / 10);
	bundle_destroy(&b);
	assert_null(b);

	/* A trailing slash does not change the task name. */
	slash = join(fx->good, "");
	assert_int_equal(bundle_load(slash, &b, &err), 0);
	assert_string_equal(bundle_task(b), "topic");
	bundle_destroy(&b);
	free(slash);
	feat_vec_release(&v1);
	feat_vec_release(&v2);
	feat_scratch_destroy(&fs);
	model_scratch_destroy(&ms);
}

static void
test_meta_json(void **state)
{
	struct fixture *fx = *state;
	char *path = join(fx->good, "meta.json"), *text = read_text(path);
	const char *keys[] = { "\"format\": 1", "\"task\": \"topic\"",
	    "\"version\": \"b2-", "\"labels\": [", "\"features\": {",
	    "\"ngram_max\": 2", "\"title_weight\": 2", "\"negation\": true",
	    "\"numcmp\": false", "\"sublinear_tf\": true", "\"min_df\": 2",
	    "\"max_features\": 0", "\"n_features\": ", "\"accuracy\": 0.975",
	    "\"data\": {", "\"docs\": 90" };
	const char *at = text;
	struct stat st;
	size_t i;

	assert_non_null(text);
	/* Every key, in this order. */
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *next = strstr(at, keys[i]);

		if (next == NULL)
			fail_msg("'%s' missing or out of order in %s", keys[i],
			    text);
		at = next;
	}
	assert_int_equal(text[strlen(text) - 1], '\n');
	assert_int_equal(stat(fx->good, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	free(text);
	free(path);
}

/* Same parts, byte-identical files; meta_extra does not move the version. */
static void
test_deterministic(void **state)
{
	struct fixture *fx = *state;
	static const char *const names[] = { "meta.json", "vocab.tsv",
	    "svm.model" };
	struct bundle_parts p = parts_of(fx, "{\"accuracy\": 0.975, "
	    "\"data\": {\"docs\": 90}}");
	char *other = join(fx->dir, "again"), *a, *b, *pa, *pb;
	struct bundle *b1 = NULL, *b2 = NULL;
	struct err err;
	size_t i;

	assert_int_equal(bundle_save(other, &p, &err), 0);
	for (i = 0; i < 3; i++) {
		pa = join(fx->good, names[i]);
		pb = join(other, names[i]);
		a = read_text(pa);
		b = read_text(pb);
		assert_non_null(a);
		assert_non_null(b);
		assert_string_equal(a, b);
		free(a);
		free(b);
		free(pa);
		free(pb);
	}
	p.meta_extra = "{\"accuracy\": 0.5}";
	assert_int_equal(bundle_save(other, &p, &err), 0);
	assert_int_equal(bundle_load(fx->good, &b1, &err), 0);
	assert_int_equal(bundle_load(other, &b2, &err), 0);
	assert_string_equal(bundle_version(b1), bundle_version(b2));
	assert_non_null(strstr(bundle_meta_json(b2), "\"accuracy\": 0.5"));
	assert_null(strstr(bundle_meta_json(b2), "\"docs\""));
	bundle_destroy(&b1);
	bundle_destroy(&b2);
	free(other);
}

/* Nothing in dir but the expected entries (no leftover temp dirs). */
static void
assert_entries(const char *dir, const char *const *want, size_t nwant)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	size_t i, seen = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		for (i = 0; i < nwant; i++)
			if (strcmp(de->d_name, want[i]) == 0)
				break;
		if (i == nwant)
			fail_msg("unexpected '%s' in '%s'", de->d_name, dir);
		seen++;
	}
	closedir(d);
	assert_int_equal(seen, nwant);
}

static void
test_replace_existing(void **state)
{
	struct fixture *fx = *state;
	static const char *const files[] = { "meta.json", "vocab.tsv",
	    "svm.model" };
	char *sub = join(fx->dir, "replace"), *target = join(sub, "topic");
	char *foreign, *text;
	struct feat_settings st;
	struct feat_vocab *v2 = NULL;
	struct model *m2 = NULL;
	struct bundle_parts p = parts_of(fx, NULL);
	struct bundle *b = NULL;
	char old_version[32];
	struct err err;

	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(bundle_save(target, &p, &err), 0);
	assert_int_equal(bundle_load(target, &b, &err), 0);
	snprintf(old_version, sizeof(old_version), "%s", bundle_version(b));
	bundle_destroy(&b);

	/* Different settings and C: a different bundle replaces it. */
	feat_settings_default(&st);
	st.ngram_max = 1;
	train(fx, &st, 4.0, &v2, &m2);
	p.vocab = v2;
	p.model = m2;
	if (bundle_save(target, &p, &err) == -1)
		fail_msg("%s", err.msg);
	assert_int_equal(bundle_load(target, &b, &err), 0);
	assert_string_not_equal(bundle_version(b), old_version);
	assert_int_equal(feat_vocab_settings(bundle_vocab(b))->ngram_max, 1);
	bundle_destroy(&b);
	{
		const char *const want[] = { "topic" };

		assert_entries(sub, want, 1);
	}
	assert_entries(target, files, 3);

	/* A directory holding anything else is not overwritten. */
	foreign = join(target, "notes.txt");
	write_text(foreign, "mine\n");
	assert_int_equal(bundle_save(target, &p, &err), -1);
	assert_non_null(strstr(err.msg, "is not a bundle (it holds "
	    "'notes.txt')"));
	text = read_text(foreign);
	assert_string_equal(text, "mine\n");
	free(text);
	assert_int_equal(unlink(foreign), 0);
	free(foreign);

	/* Nor is a file. */
	foreign = join(sub, "file");
	write_text(foreign, "x\n");
	assert_int_equal(bundle_save(foreign, &p, &err), -1);
	assert_non_null(strstr(err.msg, "exists and is not a directory"));
	assert_int_equal(unlink(foreign), 0);
	free(foreign);
	{
		const char *const want[] = { "topic" };

		assert_entries(sub, want, 1);
	}

	/* A save failing after the files are written cleans up. */
	p.meta_extra = "{\"task\": 1}";
	assert_int_equal(bundle_save(target, &p, &err), -1);
	assert_non_null(strstr(err.msg, "key 'task' is reserved"));
	{
		const char *const want[] = { "topic" };

		assert_entries(sub, want, 1);
	}
	model_destroy(&m2);
	feat_vocab_destroy(&v2);
	free(target);
	free(sub);
}

static void
expect_save_fail(const struct fixture *fx, const struct bundle_parts *p,
    const char *want)
{
	char *target = join(fx->dir, "badsave");
	struct stat st;
	struct err err;

	assert_int_equal(bundle_save(target, p, &err), -1);
	if (strstr(err.msg, want) == NULL)
		fail_msg("error '%s' lacks '%s'", err.msg, want);
	assert_int_equal(strncmp(err.msg, "cannot save bundle '", 20), 0);
	assert_int_equal(stat(target, &st), -1);
	free(target);
}

static void
test_save_errors(void **state)
{
	struct fixture *fx = *state;
	const char *dup[NCLASS] = { "markets", "sport", "markets" };
	const char *empty[NCLASS] = { "markets", "", "weather" };
	const char *latin1[NCLASS] = { "markets", "sp\xf6rt", "weather" };
	struct bundle_parts p = parts_of(fx, NULL);

	p.labels = dup;
	expect_save_fail(fx, &p, "label 'markets' is given twice");
	p.labels = empty;
	expect_save_fail(fx, &p, "label 1 is empty");
	p.labels = latin1;
	expect_save_fail(fx, &p, "label 1 is not valid UTF-8");
	p = parts_of(fx, "{\"version\": 3}");
	expect_save_fail(fx, &p, "key 'version' is reserved");
	p.meta_extra = "[1, 2]";
	expect_save_fail(fx, &p, "not a JSON object");
	p.meta_extra = "{\"a\": ";
	expect_save_fail(fx, &p, "bad meta_extra");
	p = parts_of(fx, NULL);
	p.task = "";
	expect_save_fail(fx, &p, "no task name");
}

/* Copy the good bundle to dir/name; returns the new directory. */
static char *
copy_good(const struct fixture *fx, const char *name)
{
	static const char *const files[] = { "meta.json", "vocab.tsv",
	    "svm.model" };
	char *dst = join(fx->dir, name), *src, *to, *text;
	size_t i;

	assert_int_equal(mkdir(dst, 0755), 0);
	for (i = 0; i < 3; i++) {
		src = join(fx->good, files[i]);
		to = join(dst, files[i]);
		text = read_text(src);
		assert_non_null(text);
		write_text(to, text);
		free(text);
		free(src);
		free(to);
	}
	return dst;
}

static void
expect_load_fail(const char *dir, const char *want, const char *want2)
{
	struct bundle *b = (struct bundle *)&b;
	struct err err;

	err.msg[0] = '\0';
	if (bundle_load(dir, &b, &err) != -1)
		fail_msg("'%s' loaded, expected '%s'", dir, want);
	assert_null(b);
	if (strstr(err.msg, dir) == NULL || strstr(err.msg, want) == NULL ||
	    (want2 != NULL && strstr(err.msg, want2) == NULL))
		fail_msg("error '%s' lacks '%s' or '%s'", err.msg, want,
		    want2 ? want2 : "");
}

/* Copy the good bundle, replace old by new in one file, expect failure. */
static void
edit_case(const struct fixture *fx, const char *name, const char *file,
    const char *old, const char *new, const char *want, const char *want2)
{
	char *dir = copy_good(fx, name), *path = join(dir, file);
	char *text = read_text(path), *edited;

	edited = replace(text, old, new);
	write_text(path, edited);
	expect_load_fail(dir, want, want2);
	free(edited);
	free(text);
	free(path);
	free(dir);
}

static void
test_missing_files(void **state)
{
	struct fixture *fx = *state;
	static const char *const files[] = { "meta.json", "vocab.tsv",
	    "svm.model" };
	char name[32], *dir, *path;
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "missing%zu", i);
		dir = copy_good(fx, name);
		path = join(dir, files[i]);
		assert_int_equal(unlink(path), 0);
		expect_load_fail(dir, i == 0 ? "missing meta.json" : files[i],
		    i == 0 ? NULL : "No such file or directory");
		free(path);
		free(dir);
	}
	expect_load_fail("/tmp/test_bundle-nonexistent/topic",
	    "No such file or directory", NULL);
}

static void
test_damaged_model(void **state)
{
	struct fixture *fx = *state;
	char *dir, *path, *text, garbage[512];
	size_t i;

	dir = copy_good(fx, "truncated");
	path = join(dir, "svm.model");
	text = read_text(path);
	write_bytes(path, text, strlen(text) / 2);
	expect_load_fail(dir, "svm.model", "truncated");
	free(text);
	free(path);
	free(dir);

	dir = copy_good(fx, "garbage");
	path = join(dir, "svm.model");
	for (i = 0; i < sizeof(garbage); i++)
		garbage[i] = (char)rng_next();
	write_bytes(path, garbage, sizeof(garbage));
	expect_load_fail(dir, "svm.model", "line 1");
	free(path);
	free(dir);

	dir = copy_good(fx, "empty");
	path = join(dir, "svm.model");
	write_text(path, "");
	expect_load_fail(dir, "svm.model", "empty file");
	free(path);
	free(dir);
}

/* The label line of the good model, e.g. "label 1 2 0\n". */
static char *
label_line(const struct fixture *fx)
{
	char *path = join(fx->good, "svm.model"), *text = read_text(path);
	char *at = strstr(text, "\nlabel "), *line;

	assert_non_null(at);
	line = strndup(at + 1, (size_t)(strchr(at + 1, '\n') - at));
	free(text);
	free(path);
	return line;
}

static void
test_bad_model_content(void **state)
{
	struct fixture *fx = *state;
	char *line = label_line(fx);

	edit_case(fx, "labels05", "svm.model", line, "label 0 5 1\n",
	    "svm.model", "labels must be 0..2 in any order, found 5");
	edit_case(fx, "rbf", "svm.model", "kernel_type linear\n",
	    "kernel_type rbf\ngamma 0.5\n", "svm.model",
	    "kernel_type 'rbf' is not supported");
	edit_case(fx, "nusvc", "svm.model", "svm_type c_svc\n",
	    "svm_type nu_svc\n", "svm.model", "svm_type 'nu_svc'");
	free(line);
}

/* A vocabulary one term short of the largest feature the model uses. */
static void
test_short_vocab(void **state)
{
	struct fixture *fx = *state;
	char *dir = copy_good(fx, "shortvocab"), *path = join(dir,
	    "vocab.tsv");
	char *text = read_text(path), *p, want[128];
	int32_t maxf = model_max_feature(fx->model);
	struct buf b;
	int32_t i;

	assert_true(maxf > 0);
	/* Header: magic, docs, terms; keep terms 0..maxf-1. */
	p = text;
	for (i = 0; i < 2; i++)
		p = strchr(p, '\n') + 1;
	buf_init(&b);
	buf_add(&b, text, (size_t)(p - text));
	buf_addf(&b, "terms\t%d\n", (int)maxf);
	p = strchr(p, '\n') + 1;
	for (i = 0; i < maxf; i++) {
		char *eol = strchr(p, '\n') + 1;

		buf_add(&b, p, (size_t)(eol - p));
		p = eol;
	}
	write_text(path, b.data);
	snprintf(want, sizeof(want), "vocabulary has %d terms but svm.model "
	    "uses feature %d", (int)maxf, (int)maxf + 1);
	expect_load_fail(dir, want, NULL);
	buf_release(&b);
	free(text);
	free(path);
	free(dir);
}

static void
test_bad_meta(void **state)
{
	struct fixture *fx = *state;
	char n_features[64];

	edit_case(fx, "format99", "meta.json", "\"format\": 1",
	    "\"format\": 99", "meta.json: unknown format version 99", NULL);
	edit_case(fx, "noformat", "meta.json", "\"format\": 1,", "",
	    "meta.json: no 'format'", NULL);
	edit_case(fx, "malformed", "meta.json", "\"labels\": [",
	    "\"labels\": [,", "meta.json:5:14:", "unexpected token");
	edit_case(fx, "notobject", "meta.json", "{", "[{",
	    "meta.json:", NULL);
	edit_case(fx, "duplicate", "meta.json", "\"format\": 1,",
	    "\"format\": 1, \"format\": 1,", "meta.json:", "duplicate");
	edit_case(fx, "twolabels", "meta.json",
	    "\"sport\",\n    \"weather\"", "\"sport\"",
	    "svm.model has 3 classes but meta.json lists 2 labels", NULL);
	edit_case(fx, "duplabel", "meta.json", "\"weather\"", "\"sport\"",
	    "meta.json: label 'sport' is given twice", NULL);
	edit_case(fx, "emptylabel", "meta.json", "\"weather\"", "\"\"",
	    "meta.json: label 2 must be a non-empty string", NULL);
	edit_case(fx, "numlabel", "meta.json", "\"weather\"", "7",
	    "meta.json: label 2 must be a non-empty string", NULL);
	edit_case(fx, "nofeatures", "meta.json", "\"features\"",
	    "\"feature\"", "meta.json: 'features' must be an object", NULL);
	edit_case(fx, "unknownfeat", "meta.json", "\"min_df\"",
	    "\"stemming\": true, \"min_df\"",
	    "meta.json: unknown feature setting 'stemming'", NULL);
	edit_case(fx, "boolfeat", "meta.json", "\"negation\": true",
	    "\"negation\": 1", "'features.negation' must be true or false",
	    NULL);
	edit_case(fx, "badngram", "meta.json", "\"ngram_max\": 2",
	    "\"ngram_max\": 3", "meta.json: 'features'", "ngram_max");
	edit_case(fx, "noversion", "meta.json", "\"version\"", "\"versio\"",
	    "meta.json: 'version' must be a string", NULL);
	snprintf(n_features, sizeof(n_features), "\"n_features\": %zu",
	    feat_vocab_size(fx->vocab));
	edit_case(fx, "nfeatures", "meta.json", n_features,
	    "\"n_features\": 1", "meta.json says n_features 1 but vocab.tsv "
	    "has", NULL);
}

/* The reason a bundle_load failure gives: printable, with dir and want. */
static void
expect_refused(const char *dir, const char *want)
{
	struct bundle *b = NULL;
	struct err err;
	size_t i;

	err.msg[0] = '\0';
	if (bundle_load(dir, &b, &err) != -1)
		fail_msg("'%s' loaded, expected '%s'", dir, want);
	assert_null(b);
	if (strstr(err.msg, dir) == NULL || strstr(err.msg, want) == NULL)
		fail_msg("error '%s' lacks '%s'", err.msg, want);
	for (i = 0; err.msg[i] != '\0'; i++)
		if ((unsigned char)err.msg[i] < 0x20 || err.msg[i] == 0x7f)
			fail_msg("error has byte 0x%02x",
			    (unsigned char)err.msg[i]);
}

/*
 * A label that breaks label.h's rules is refused even in a bundle that is
 * otherwise whole (its version hash is right), as one saved by an older
 * trainer would be; edited in by hand, it is refused before the hash.
 */
static void
test_bad_labels(void **state)
{
	static const struct {
		const char *label, *want;
	} cases[] = {
		{ "wea.ther", "meta.json: label 'wea.ther' contains '.' (the "
		    "envelope separator)" },
		{ "wea ther", "meta.json: label 'wea ther' contains white "
		    "space (U+0020)" },
		{ "wea\xc2\xa0" "ther", "meta.json: label 'wea\\u00a0ther' "
		    "contains white space (U+00A0)" },
		{ "wea\tther", "meta.json: label 'wea\\tther' contains white "
		    "space (U+0009)" },
		{ "weather\n", "meta.json: label 'weather\\n' contains white "
		    "space (U+000A)" },
		{ "\x1b[1mweather", "meta.json: label '\\x1b[1mweather' "
		    "contains a control character (U+001B)" },
		{ "wea\xe2\x80\x8bther", "meta.json: label 'wea\\u200bther' "
		    "contains an invisible format character (U+200B)" },
		{ "_error", "meta.json: label '_error' starts with '_'" },
		{ "weatherweatherweatherweatherweatherweatherweatherweather"
		    "weatherwe", "is longer than 64 bytes (65)" },
	};
	struct fixture *fx = *state;
	const char *bad[NCLASS];
	struct bundle_parts p = parts_of(fx, NULL);
	struct err err;
	char name[32], *dir;
	size_t i;

	bad[0] = labels[0];
	bad[1] = labels[1];
	p.labels = bad;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(name, sizeof(name), "badlabel%zu", i);
		dir = join(fx->dir, name);
		bad[2] = cases[i].label;
		if (bundle_save(dir, &p, &err) == -1)
			fail_msg("%s", err.msg);
		expect_refused(dir, cases[i].want);
		free(dir);
	}
	edit_case(fx, "dotlabel", "meta.json", "\"weather\"", "\"wea.ther\"",
	    "meta.json: label 'wea.ther' contains '.'", NULL);
	edit_case(fx, "nbsplabel", "meta.json", "\"weather\"",
	    "\"wea\\u00a0ther\"", "meta.json: label 'wea\\u00a0ther' contains "
	    "white space", NULL);
	edit_case(fx, "reserved", "meta.json", "\"sport\"", "\"_heartbeat\"",
	    "meta.json: label '_heartbeat' starts with '_'", NULL);
}

/* The directory name is the task name: label_check_task's rules. */
static void
test_bad_task_name(void **state)
{
	static const struct {
		const char *name, *want;
	} cases[] = {
		{ "Topic", "task name 'Topic' contains 'T' (use a-z, 0-9, '_' "
		    "and '-')" },
		{ "my topic", "task name 'my topic' contains ' '" },
		{ "topic.v2", "task name 'topic.v2' contains '.'" },
		{ "\xc3\xa9" "conomie", "task name '\xc3\xa9" "conomie' "
		    "contains '\xc3\xa9'" },
		{ "_error", "task name '_error' starts with '_'" },
		{ "-topic", "task name '-topic' starts with '-'" },
		{ "topictopictopictopictopictopictop", "task name "
		    "'topictopictopictopictopictopictop' is longer than 32 "
		    "bytes (33)" },
	};
	struct fixture *fx = *state;
	struct bundle *b = NULL;
	struct err err;
	char *dir, *slash;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dir = copy_good(fx, cases[i].name);
		expect_refused(dir, cases[i].want);
		free(dir);
	}
	/* Digits, '-' and '_' are fine, and so is a trailing slash. */
	dir = copy_good(fx, "topic_v2-2024");
	if (bundle_load(dir, &b, &err) == -1)
		fail_msg("%s", err.msg);
	assert_string_equal(bundle_task(b), "topic_v2-2024");
	bundle_destroy(&b);
	slash = join(dir, "");
	if (bundle_load(slash, &b, &err) == -1)
		fail_msg("%s", err.msg);
	assert_string_equal(bundle_task(b), "topic_v2-2024");
	bundle_destroy(&b);
	free(slash);
	free(dir);
}

/*
 * Cleaning and stop words: written as "clean_html": true,
 * "clean_boilerplate": true, "stopwords": "en" when on, absent when off
 * (the good bundle), read back into the same flags; they change the
 * version, and a written false or true is read like absence or "en".
 */
static void
test_feature_flags(void **state)
{
	static const unsigned flags[] = {
		TEXT_CLEAN_HTML, TEXT_CLEAN_BOILERPLATE, TEXT_STOPWORDS,
		TEXT_CLEAN_HTML | TEXT_CLEAN_BOILERPLATE | TEXT_STOPWORDS,
	};
	static const char *const keys[] = {
		"\"clean_html\": true", "\"clean_boilerplate\": true",
		"\"stopwords\": \"en\"",
	};
	struct fixture *fx = *state;
	struct feat_settings st;
	struct bundle_parts p;
	struct bundle *good = NULL, *b = NULL;
	struct feat_vocab *vocab;
	struct model *model;
	char *dir, *path, *text, *edited;
	struct err err;
	size_t i;

	assert_int_equal(bundle_load(fx->good, &good, &err), 0);
	assert_null(strstr(bundle_meta_json(good), "clean_"));
	assert_null(strstr(bundle_meta_json(good), "stopwords"));
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		feat_settings_default(&st);
		st.text_flags |= flags[i];
		train(fx, &st, 1.0, &vocab, &model);
		p = parts_of(fx, NULL);
		p.vocab = vocab;
		p.model = model;
		dir = join(fx->dir, "flags");
		assert_int_equal(bundle_save(dir, &p, &err), 0);
		assert_int_equal(bundle_load(dir, &b, &err), 0);
		assert_int_equal(feat_vocab_settings(bundle_vocab(b))->
		    text_flags, st.text_flags);
		assert_string_not_equal(bundle_version(b),
		    bundle_version(good));
		/* Each key there if and only if its flag is on. */
		assert_true((strstr(bundle_meta_json(b), keys[0]) != NULL) ==
		    ((flags[i] & TEXT_CLEAN_HTML) != 0));
		assert_true((strstr(bundle_meta_json(b), keys[1]) != NULL) ==
		    ((flags[i] & TEXT_CLEAN_BOILERPLATE) != 0));
		assert_true((strstr(bundle_meta_json(b), keys[2]) != NULL) ==
		    ((flags[i] & TEXT_STOPWORDS) != 0));
		bundle_destroy(&b);
		free(dir);
		feat_vocab_destroy(&vocab);
		model_destroy(&model);
	}
	/* "stopwords": true is "en"; written false is absent. */
	path = join(fx->dir, "flags/meta.json");
	text = read_text(path);
	edited = replace(text, "\"stopwords\": \"en\"", "\"stopwords\": true");
	write_text(path, edited);
	dir = join(fx->dir, "flags");
	assert_int_equal(bundle_load(dir, &b, &err), 0);
	assert_true(feat_vocab_settings(bundle_vocab(b))->text_flags &
	    TEXT_STOPWORDS);
	bundle_destroy(&b);
	free(edited);
	free(text);
	free(path);
	free(dir);
	dir = copy_good(fx, "explicitfalse");
	path = join(dir, "meta.json");
	text = read_text(path);
	edited = replace(text, "\"stem\": false,", "\"stem\": false, "
	    "\"clean_html\": false, \"clean_boilerplate\": false, "
	    "\"stopwords\": false,");
	write_text(path, edited);
	assert_int_equal(bundle_load(dir, &b, &err), 0);
	assert_string_equal(bundle_version(b), bundle_version(good));
	bundle_destroy(&b);
	free(edited);
	free(text);
	free(path);
	free(dir);
	edit_case(fx, "stopfr", "meta.json", "\"stem\": false,",
	    "\"stem\": false, \"stopwords\": \"fr\",",
	    "'features.stopwords' must be false or \"en\"", NULL);
	edit_case(fx, "cleanint", "meta.json", "\"stem\": false,",
	    "\"stem\": false, \"clean_html\": 1,",
	    "'features.clean_html' must be true or false", NULL);
	/* A flag turned on by hand: not what was hashed. */
	edit_case(fx, "cleanon", "meta.json", "\"stem\": false,",
	    "\"stem\": false, \"clean_boilerplate\": true,",
	    "bundle content does not match its version", NULL);
	bundle_destroy(&good);
}

static void
test_version_mismatch(void **state)
{
	struct fixture *fx = *state;
	const char *want = "bundle content does not match its version "
	    "(half-written or edited?)";

	/* A valid vocabulary with one more document: idf changes. */
	{
		char *dir = copy_good(fx, "editvocab");
		char *path = join(dir, "vocab.tsv"), *text = read_text(path);
		char *edited = replace(text, "docs\t90\n", "docs\t91\n");

		write_text(path, edited);
		expect_load_fail(dir, want, NULL);
		free(edited);
		free(text);
		free(path);
		free(dir);
	}
	edit_case(fx, "renamelabel", "meta.json", "\"weather\"",
	    "\"climate\"", want, NULL);
	edit_case(fx, "editsettings", "meta.json", "\"title_weight\": 2",
	    "\"title_weight\": 3", want, NULL);
	edit_case(fx, "editversion", "meta.json", "\"version\": \"b2-",
	    "\"version\": \"b2-0", want, NULL);
	/* A different but valid Platt parameter in svm.model. */
	{
		char *dir = copy_good(fx, "editmodel");
		char *path = join(dir, "svm.model"), *text = read_text(path);
		char *at = strstr(text, "\nprobA ") + 7, *end;
		double a = strtod(at, &end);
		struct buf b;

		buf_init(&b);
		buf_add(&b, text, (size_t)(at - text));
		buf_addf(&b, "%.17g", a * 1.5);
		buf_addstr(&b, end);
		write_text(path, b.data);
		expect_load_fail(dir, want, NULL);
		buf_release(&b);
		free(text);
		free(path);
		free(dir);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_meta_json),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_replace_existing),
		cmocka_unit_test(test_save_errors),
		cmocka_unit_test(test_missing_files),
		cmocka_unit_test(test_damaged_model),
		cmocka_unit_test(test_bad_model_content),
		cmocka_unit_test(test_short_vocab),
		cmocka_unit_test(test_bad_meta),
		cmocka_unit_test(test_bad_labels),
		cmocka_unit_test(test_bad_task_name),
		cmocka_unit_test(test_feature_flags),
		cmocka_unit_test(test_version_mismatch),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
