/*
 * test_pipeline.c - unit tests for the per-article path (lib/pipeline.c)
 * with real bundles.
 *
 * The setup trains two tiny tasks in a temporary models directory through
 * the library itself (feat_builder -> model_train -> bundle_save):
 * "topic" (business, sport, tech) and "sentiment" (negative, positive),
 * from synthetic documents drawn with a fixed seed (DATA_SEED) from word
 * lists of each class plus shared filler words.  Messages are built with
 * msg_w_*, results are read back through msg_to_json and jansson.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "bundle.h"
#include "classifier.h"
#include "feat.h"
#include "model.h"
#include "msg.h"
#include "pipeline.h"
#include "tags.h"

#define DATA_SEED 424242u

/*
 * Heap allocations are counted by wrapping glibc's allocator, except in
 * sanitizer builds, whose runtimes own malloc.
 */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define COUNT_ALLOCS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define COUNT_ALLOCS 0
#endif
#endif
#ifndef COUNT_ALLOCS
#define COUNT_ALLOCS 1
#endif

#if COUNT_ALLOCS
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);

static int alloc_counting;
static size_t alloc_count;

void *
malloc(size_t n)
{
	alloc_count += alloc_counting;
	return __libc_malloc(n);
}

void *
calloc(size_t n, size_t size)
{
	alloc_count += alloc_counting;
	return __libc_calloc(n, size);
}

void *
realloc(void *p, size_t n)
{
	alloc_count += alloc_counting;
	return __libc_realloc(p, n);
}
#else
static int alloc_counting;
static size_t alloc_count;
#endif
#define PER_CLASS 16
#define WORDS_PER_DOC 9

struct task_def {
	const char *name;
	const char *labels[3];
	size_t nlabels;
	const char *words[3][6];
};

static const struct task_def tasks[] = {
	{ "topic", { "business", "sport", "tech" }, 3, {
	    { "market", "shares", "profit", "bank", "investors", "economy" },
	    { "match", "goal", "team", "coach", "league", "season" },
	    { "software", "computer", "internet", "chip", "phone", "data" },
	} },
	{ "sentiment", { "negative", "positive" }, 2, {
	    { "bad", "terrible", "losses", "fall", "worst", "crisis" },
	    { "good", "great", "gains", "rise", "best", "success" },
	} },
};

static const char *const filler[] = {
	"the", "a", "report", "week", "said", "new", "year", "people",
};

struct fixture {
	char dir[64];
	char models[96];
	struct classifier *c;
	struct pipeline *p;
	struct msg_limits lim;
	struct buf msg, env, body, json;
};

static uint64_t rng = DATA_SEED;

static uint32_t
rng_next(void)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng >> 33);
}

static void
make_doc(const struct task_def *t, size_t label, struct buf *out)
{
	size_t i;

	buf_reset(out);
	for (i = 0; i < WORDS_PER_DOC; i++) {
		if (i)
			buf_addch(out, ' ');
		if (rng_next() % 3)
			buf_addstr(out, t->words[label][rng_next() % 6]);
		else
			buf_addstr(out, filler[rng_next() % 8]);
	}
}

static void
train_task(const char *models, const struct task_def *t)
{
	size_t n = t->nlabels * PER_CLASS, i;
	struct feat_settings fs;
	struct feat_builder *b;
	struct feat_vocab *v = NULL;
	struct feat_scratch *s = feat_scratch_new();
	struct feat_vec *x = calloc(n, sizeof(*x));
	struct buf *docs = calloc(n, sizeof(*docs));
	int *y = calloc(n, sizeof(int));
	struct model_params mp;
	struct model *m = NULL;
	struct bundle_parts parts;
	struct err err;
	char dir[160];

	assert_non_null(x);
	assert_non_null(docs);
	assert_non_null(y);
	feat_settings_default(&fs);
	fs.min_df = 1;
	b = feat_builder_new(&fs);
	for (i = 0; i < n; i++) {
		buf_init(&docs[i]);
		y[i] = (int)(i % t->nlabels);
		make_doc(t, (size_t)y[i], &docs[i]);
		assert_int_equal(feat_builder_add(b, "", 0, docs[i].data,
		    docs[i].len, &err), 0);
	}
	if (feat_builder_finish(b, &v, &err) != 0)
		fail_msg("%s: %s", t->name, err.msg);
	for (i = 0; i < n; i++) {
		feat_vec_init(&x[i]);
		assert_int_equal(feat_vectorize(v, "", 0, docs[i].data,
		    docs[i].len, s, &x[i], &err), 0);
	}
	model_params_default(&mp);
	if (model_train(x, y, n, feat_vocab_size(v), &mp, &m, &err) != 0)
		fail_msg("%s: %s", t->name, err.msg);
	parts.task = t->name;
	parts.labels = t->labels;
	parts.nlabels = t->nlabels;
	parts.vocab = v;
	parts.model = m;
	parts.meta_extra = NULL;
	snprintf(dir, sizeof(dir), "%s/%s", models, t->name);
	if (bundle_save(dir, &parts, &err) != 0)
		fail_msg("%s: %s", t->name, err.msg);
	for (i = 0; i < n; i++) {
		feat_vec_release(&x[i]);
		buf_release(&docs[i]);
	}
	free(x);
	free(docs);
	free(y);
	model_destroy(&m);
	feat_vocab_destroy(&v);
	feat_builder_destroy(&b);
	feat_scratch_destroy(&s);
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct err err;
	size_t i;

	if (fx == NULL)
		return -1;
	printf("# data seed %u\n", DATA_SEED);
	model_set_print(NULL);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_pipeline.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->models, sizeof(fx->models), "%s/models", fx->dir);
	if (mkdir(fx->models, 0755) == -1)
		return -1;
	for (i = 0; i < sizeof(tasks) / sizeof(tasks[0]); i++)
		train_task(fx->models, &tasks[i]);
	if (classifier_load(fx->models, &fx->c, &err) != 0) {
		fprintf(stderr, "classifier_load: %s\n", err.msg);
		return -1;
	}
	fx->p = pipeline_new();
	msg_limits_default(&fx->lim);
	buf_init(&fx->msg);
	buf_init(&fx->env);
	buf_init(&fx->body);
	buf_init(&fx->json);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[128];
	int rc;

	pipeline_destroy(&fx->p);
	assert_null(fx->p);
	classifier_destroy(&fx->c);
	buf_release(&fx->msg);
	buf_release(&fx->env);
	buf_release(&fx->body);
	buf_release(&fx->json);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	rc = system(cmd);
	free(fx);
	return rc == 0 ? 0 : -1;
}

/* The body as a JSON object (the caller decrefs it). */
static json_t *
body_json(struct fixture *fx)
{
	json_error_t je;
	struct err err;
	json_t *o;

	buf_reset(&fx->json);
	if (msg_to_json(fx->body.data, fx->body.len, &fx->json, &err) != 0)
		fail_msg("msg_to_json: %s", err.msg);
	o = json_loads(fx->json.data, JSON_DECODE_ANY, &je);
	if (o == NULL)
		fail_msg("bad JSON '%s': %s", fx->json.data, je.text);
	assert_true(json_is_object(o));
	return o;
}

/* A message: id (string or, if id_int >= 0, integer), title, text, extra. */
static void
make_msg(struct fixture *fx, const char *id, long id_int, const char *title,
    const char *text)
{
	buf_reset(&fx->msg);
	msg_w_map(&fx->msg, (uint32_t)(1 + (id || id_int >= 0) +
	    (title != NULL) + (text != NULL)));
	msg_w_str(&fx->msg, "src");
	msg_w_str(&fx->msg, "unit");
	if (id) {
		msg_w_str(&fx->msg, "id");
		msg_w_str(&fx->msg, id);
	} else if (id_int >= 0) {
		msg_w_str(&fx->msg, "id");
		msg_w_uint(&fx->msg, (uint64_t)id_int);
	}
	if (title) {
		msg_w_str(&fx->msg, "title");
		msg_w_str(&fx->msg, title);
	}
	if (text) {
		msg_w_str(&fx->msg, "text");
		msg_w_str(&fx->msg, text);
	}
}

static int
run(struct fixture *fx, const size_t *order, size_t norder,
    struct msg_out_opts *o, struct msg_error *e)
{
	buf_reset(&fx->env);
	buf_reset(&fx->body);
	memset(e, 0, sizeof(*e));
	return pipeline_run(fx->p, fx->c, order, norder, fx->msg.data,
	    fx->msg.len, &fx->lim, o, &fx->env, &fx->body, e);
}

static const char *
tag_label(json_t *o, const char *task)
{
	json_t *t = json_object_get(json_object_get(o, "tags"), task);

	assert_non_null(t);
	return json_string_value(json_object_get(t, "label"));
}

/* Check one task's tag: label = arg-max, p = its score, sum 1. */
static void
check_tag(struct fixture *fx, json_t *o, const char *task)
{
	json_t *t = json_object_get(json_object_get(o, "tags"), task);
	json_t *scores = json_object_get(t, "scores"), *v;
	const char *label = json_string_value(json_object_get(t, "label"));
	const char *key, *best = NULL;
	const struct bundle *b;
	double p, bestp = -1, sum = 0;
	size_t i = 0;
	int ti;

	assert_non_null(label);
	ti = classifier_task_index(fx->c, task);
	assert_true(ti >= 0);
	b = classifier_bundle(fx->c, (size_t)ti);
	assert_int_equal(json_object_size(scores), bundle_nlabels(b));
	json_object_foreach(scores, key, v) {
		/* Scores keyed in label order. */
		assert_string_equal(key, bundle_label(b, i));
		i++;
		p = json_number_value(v);
		assert_true(p >= 0.0 && p <= 1.0);
		sum += p;
		if (p > bestp) {
			bestp = p;
			best = key;
		}
	}
	assert_true(fabs(sum - 1.0) < 1e-9);
	assert_string_equal(label, best);
	assert_true(json_number_value(json_object_get(t, "p")) == bestp);
	/* top starts with the label; uncertain is a boolean. */
	assert_true(json_array_size(json_object_get(t, "top")) >= 1);
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(t, "top"), 0)), label);
	assert_true(json_is_boolean(json_object_get(t, "uncertain")));
	assert_true(json_is_true(json_object_get(t, "uncertain")) ==
	    (bestp < TAGS_UNCERTAIN_BELOW));
}

static void
test_loaded(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(classifier_ntasks(fx->c), 2);
	/* Sorted by name. */
	assert_string_equal(bundle_task(classifier_bundle(fx->c, 0)),
	    "sentiment");
	assert_string_equal(bundle_task(classifier_bundle(fx->c, 1)), "topic");
	assert_int_equal(classifier_task_index(fx->c, "topic"), 1);
	assert_int_equal(classifier_task_index(fx->c, "region"), -1);
}

static void
test_result(void **state)
{
	struct fixture *fx = *state;
	struct msg_out_opts o = { .include_text = 1 };
	struct msg_error e;
	const size_t topic_first[] = { 1, 0 }, sent_first[] = { 0, 1 };
	const size_t topic_only[] = { 1 };
	json_t *r, *models;
	const char *key;
	char want[128];
	void *iter;

	make_msg(fx, "a1", -1, "Great goal",
	    "the team won the match with a great goal, best season");
	assert_int_equal(run(fx, topic_first, 2, &o, &e), 0);
	r = body_json(fx);
	assert_string_equal(json_string_value(json_object_get(r, "id")), "a1");
	assert_string_equal(json_string_value(json_object_get(r, "src")),
	    "unit");
	assert_string_equal(json_string_value(json_object_get(r, "title")),
	    "Great goal");
	assert_non_null(json_object_get(r, "text"));
	assert_null(json_object_get(r, "seq"));
	/* Input keys first, in their order, then tags and models. */
	iter = json_object_iter(r);
	key = json_object_iter_key(iter);
	assert_string_equal(key, "src");
	iter = json_object_iter_next(r, iter);
	assert_string_equal(json_object_iter_key(iter), "id");
	check_tag(fx, r, "topic");
	check_tag(fx, r, "sentiment");
	assert_string_equal(tag_label(r, "topic"), "sport");
	assert_string_equal(tag_label(r, "sentiment"), "positive");
	/* The envelope follows the order array. */
	snprintf(want, sizeof(want), "%s.%s", tag_label(r, "topic"),
	    tag_label(r, "sentiment"));
	assert_string_equal(fx->env.data, want);
	models = json_object_get(r, "models");
	assert_int_equal(json_object_size(models), 2);
	assert_string_equal(json_string_value(json_object_get(models, "topic")),
	    bundle_version(classifier_bundle(fx->c, 1)));
	assert_string_equal(json_string_value(json_object_get(models,
	    "sentiment")), bundle_version(classifier_bundle(fx->c, 0)));
	json_decref(r);

	assert_int_equal(run(fx, sent_first, 2, &o, &e), 0);
	assert_string_equal(fx->env.data, "positive.sport");
	assert_int_equal(run(fx, topic_only, 1, &o, &e), 0);
	assert_string_equal(fx->env.data, "sport");
	assert_int_equal(run(fx, topic_only, 0, &o, &e), 0);
	assert_string_equal(fx->env.data, "");

	/* Another article, integer id, no text kept, seq requested. */
	make_msg(fx, NULL, 77, "Bank profit falls",
	    "investors fear the worst crisis as shares fall and market losses "
	    "grow");
	o.include_text = 0;
	o.with_seq = 1;
	o.seq = 12345;
	o.t_us = 678;
	assert_int_equal(run(fx, topic_first, 2, &o, &e), 0);
	assert_string_equal(fx->env.data, "business.negative");
	r = body_json(fx);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 77);
	assert_null(json_object_get(r, "title"));
	assert_null(json_object_get(r, "text"));
	assert_int_equal(json_integer_value(json_object_get(r, "seq")), 12345);
	assert_int_equal(json_integer_value(json_object_get(r, "t_us")), 678);
	assert_true(o.seq_at != MSG_NO_OFFSET);
	assert_true(o.t_us_at != MSG_NO_OFFSET);
	assert_int_equal((unsigned char)fx->body.data[o.seq_at + 7], 12345 & 0xff);
	check_tag(fx, r, "topic");
	check_tag(fx, r, "sentiment");
	json_decref(r);

	/* A headline only. */
	o.with_seq = 0;
	make_msg(fx, "h", -1, "new chip and software for phone data", NULL);
	assert_int_equal(run(fx, topic_first, 1, &o, &e), 0);
	assert_string_equal(fx->env.data, "tech");
}

static void
check_error(struct fixture *fx, int rc, const struct msg_error *e,
    enum msg_code code, const char *id)
{
	json_t *r;

	assert_int_equal(rc, -1);
	assert_int_equal(e->code, code);
	assert_string_equal(fx->env.data, "_error");
	r = body_json(fx);
	assert_string_equal(json_string_value(json_object_get(r, "error")),
	    msg_code_name(code));
	assert_string_equal(json_string_value(json_object_get(r, "detail")),
	    e->detail);
	if (id)
		assert_string_equal(json_string_value(json_object_get(r, "id")),
		    id);
	else
		assert_null(json_object_get(r, "id"));
	assert_null(json_object_get(r, "tags"));
	json_decref(r);
}

static void
test_errors(void **state)
{
	struct fixture *fx = *state;
	struct msg_out_opts o = { .include_text = 1 };
	struct msg_error e;
	const size_t order[] = { 1, 0 };

	/* No id. */
	make_msg(fx, NULL, -1, "title", "text");
	check_error(fx, run(fx, order, 2, &o, &e), &e, MSG_MISSING_ID, NULL);
	/* Neither title nor text: the id is known. */
	make_msg(fx, "x1", -1, NULL, NULL);
	check_error(fx, run(fx, order, 2, &o, &e), &e, MSG_MISSING_TEXT,
	    "x1");
	make_msg(fx, "x2", -1, "", "");
	check_error(fx, run(fx, order, 2, &o, &e), &e, MSG_MISSING_TEXT,
	    "x2");
	/* text of the wrong type. */
	buf_reset(&fx->msg);
	msg_w_map(&fx->msg, 2);
	msg_w_str(&fx->msg, "id");
	msg_w_str(&fx->msg, "x3");
	msg_w_str(&fx->msg, "text");
	msg_w_int(&fx->msg, 5);
	check_error(fx, run(fx, order, 2, &o, &e), &e, MSG_BAD_TYPE, "x3");
	assert_non_null(strstr(e.detail, "text"));
	/* Invalid UTF-8 in the text. */
	buf_reset(&fx->msg);
	msg_w_map(&fx->msg, 2);
	msg_w_str(&fx->msg, "id");
	msg_w_str(&fx->msg, "x4");
	msg_w_str(&fx->msg, "text");
	msg_w_strn(&fx->msg, "bad \xff byte", 10);
	check_error(fx, run(fx, order, 2, &o, &e), &e, MSG_INVALID_UTF8,
	    "x4");
	/* Not msgpack at all, and not a map. */
	buf_reset(&fx->msg);
	buf_addch(&fx->msg, (char)0xc1);
	check_error(fx, run(fx, order, 2, &o, &e), &e, MSG_NOT_MSGPACK, NULL);
	buf_reset(&fx->msg);
	msg_w_array(&fx->msg, 1);
	msg_w_str(&fx->msg, "id");
	check_error(fx, run(fx, order, 2, &o, &e), &e, MSG_NOT_A_MAP, NULL);
	/* Trailing bytes after a good message. */
	make_msg(fx, "x5", -1, "goal", "match");
	buf_addch(&fx->msg, 0);
	check_error(fx, run(fx, order, 2, &o, &e), &e, MSG_TRAILING_BYTES,
	    NULL);
	/* The limits are applied. */
	fx->lim.max_text = 4;
	make_msg(fx, "x6", -1, "goal", "match");
	check_error(fx, run(fx, order, 2, &o, &e), &e, MSG_TEXT_TOO_LONG,
	    "x6");
	msg_limits_default(&fx->lim);
	/* And the pipeline still scores afterwards. */
	make_msg(fx, "ok", -1, "goal", "match team league");
	assert_int_equal(run(fx, order, 2, &o, &e), 0);
	assert_true(strncmp(fx->env.data, "sport.", 6) == 0);
}

static void
test_pipeline_error(void **state)
{
	struct fixture *fx = *state;
	struct msg_out_opts o = { .include_text = 1 };
	struct msg_error e, ours;
	const size_t order[] = { 1, 0 };
	json_t *r;

	memset(&ours, 0, sizeof(ours));
	ours.code = MSG_TOO_LARGE;
	snprintf(ours.detail, sizeof(ours.detail), "message is too big");

	/* With data: the id is recovered. */
	make_msg(fx, "big-1", -1, "goal", "match");
	buf_reset(&fx->env);
	buf_reset(&fx->body);
	pipeline_error(fx->p, &ours, fx->msg.data, fx->msg.len, &fx->lim, &o,
	    &fx->env, &fx->body);
	assert_string_equal(fx->env.data, "_error");
	r = body_json(fx);
	assert_string_equal(json_string_value(json_object_get(r, "id")),
	    "big-1");
	assert_string_equal(json_string_value(json_object_get(r, "error")),
	    "too_large");
	assert_string_equal(json_string_value(json_object_get(r, "detail")),
	    "message is too big");
	json_decref(r);

	/* An integer id too, even if the message is otherwise bad. */
	make_msg(fx, NULL, 31337, NULL, NULL);
	buf_reset(&fx->env);
	buf_reset(&fx->body);
	pipeline_error(fx->p, &ours, fx->msg.data, fx->msg.len, &fx->lim, &o,
	    &fx->env, &fx->body);
	r = body_json(fx);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 31337);
	json_decref(r);

	/* With seq. */
	o.with_seq = 1;
	o.seq = 9;
	buf_reset(&fx->env);
	buf_reset(&fx->body);
	pipeline_error(fx->p, &ours, NULL, 0, &fx->lim, &o, &fx->env,
	    &fx->body);
	r = body_json(fx);
	assert_int_equal(json_integer_value(json_object_get(r, "seq")), 9);
	assert_null(json_object_get(r, "id"));
	json_decref(r);
	o.with_seq = 0;

	/* The pipeline's own error after a run: the right code. */
	make_msg(fx, NULL, -1, "goal", NULL);
	check_error(fx, run(fx, order, 2, &o, &e), &e, MSG_MISSING_ID, NULL);
}

static void
test_no_id_leak(void **state)
{
	struct fixture *fx = *state;
	struct msg_out_opts o = { .include_text = 1 };
	struct msg_error e, ours;
	const size_t order[] = { 1, 0 };
	json_t *r;

	memset(&ours, 0, sizeof(ours));
	ours.code = MSG_MULTIPART;
	snprintf(ours.detail, sizeof(ours.detail), "3 frames");

	/* A good message with an id, then errors without one. */
	make_msg(fx, "secret-1", -1, "goal", "match");
	assert_int_equal(run(fx, order, 2, &o, &e), 0);
	buf_reset(&fx->env);
	buf_reset(&fx->body);
	pipeline_error(fx->p, &ours, NULL, 0, &fx->lim, &o, &fx->env,
	    &fx->body);
	r = body_json(fx);
	assert_null(json_object_get(r, "id"));
	assert_string_equal(json_string_value(json_object_get(r, "error")),
	    "multipart");
	json_decref(r);

	make_msg(fx, "secret-2", -1, "goal", "match");
	assert_int_equal(run(fx, order, 2, &o, &e), 0);
	buf_reset(&fx->msg);
	buf_addstr(&fx->msg, "{\"id\":\"json\"}");	/* not msgpack */
	buf_reset(&fx->env);
	buf_reset(&fx->body);
	pipeline_error(fx->p, &ours, fx->msg.data, fx->msg.len, &fx->lim, &o,
	    &fx->env, &fx->body);
	r = body_json(fx);
	assert_null(json_object_get(r, "id"));
	json_decref(r);

	make_msg(fx, "secret-3", -1, "goal", "match");
	assert_int_equal(run(fx, order, 2, &o, &e), 0);
	make_msg(fx, NULL, -1, "goal", "match");
	check_error(fx, run(fx, order, 2, &o, &e), &e, MSG_MISSING_ID, NULL);

	make_msg(fx, "secret-4", -1, "goal", "match");
	assert_int_equal(run(fx, order, 2, &o, &e), 0);
	buf_reset(&fx->msg);
	buf_addch(&fx->msg, (char)0x81);	/* truncated map */
	check_error(fx, run(fx, order, 2, &o, &e), &e, MSG_NOT_MSGPACK, NULL);
}

static void
test_many(void **state)
{
	/* The same article scored many times gives the same bytes. */
	struct fixture *fx = *state;
	struct msg_out_opts o = { .include_text = 1 };
	struct msg_error e;
	const size_t order[] = { 1, 0 };
	struct buf first;
	int i;

	buf_init(&first);
	make_msg(fx, "rep", -1, "Shares rise", "bank profit gains, market up");
	assert_int_equal(run(fx, order, 2, &o, &e), 0);
	buf_add(&first, fx->body.data, fx->body.len);
	for (i = 0; i < 200; i++) {
		if (i % 3 == 0) {
			make_msg(fx, "other", -1, "terrible", "worst losses");
			assert_int_equal(run(fx, order, 2, &o, &e), 0);
			make_msg(fx, "rep", -1, "Shares rise",
			    "bank profit gains, market up");
		}
		assert_int_equal(run(fx, order, 2, &o, &e), 0);
		assert_int_equal(fx->body.len, first.len);
		assert_memory_equal(fx->body.data, first.data, first.len);
	}
	buf_release(&first);
}

#define NO_EXPLAIN LONG_MIN

/* make_msg with an "explain" key (unless NO_EXPLAIN) after the others. */
static void
make_msg_explain(struct fixture *fx, const char *id, const char *title,
    const char *text, long explain)
{
	make_msg(fx, id, -1, title, text);
	if (explain == NO_EXPLAIN)
		return;
	/* One more entry: fixmap headers count entries in the low bits. */
	assert_true(((unsigned char)fx->msg.data[0] & 0xf0) == 0x80);
	fx->msg.data[0]++;
	msg_w_str(&fx->msg, "explain");
	msg_w_int(&fx->msg, explain);
}

/* Parse the "label" line of a bundle's svm.model: libsvm's class order. */
static void
libsvm_order(struct fixture *fx, const char *task, int *order, int k)
{
	char path[160], line[4096], *p, *end;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "%s/%s/svm.model", fx->models, task);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "label ", 6) == 0)
			break;
	fclose(f);
	assert_true(strncmp(line, "label ", 6) == 0);
	p = line + 6;
	for (i = 0; i < k; i++) {
		order[i] = (int)strtol(p, &end, 10);
		assert_true(end != p);
		p = end;
	}
}

/*
 * Check one task's "why" against an independent computation: feature f's
 * weight in each pair from libsvm's own decision values (support-vector
 * kernel sums) of the unit vector e_f minus those of the zero vector,
 * summed over the pairs of the chosen label with the sign towards it,
 * times f's value in the article's vector.  Every term must be in the
 * vocabulary and in the article; the list best first; every feature left
 * out must contribute no more than the last one listed.
 */
static void
check_why(struct fixture *fx, json_t *r, const char *task, const char *title,
    const char *text, size_t k)
{
	json_t *t = json_object_get(json_object_get(r, "tags"), task);
	json_t *why = json_object_get(t, "why"), *item;
	const struct bundle *b;
	const struct model *m;
	const struct feat_vocab *v;
	struct feat_scratch *fs = feat_scratch_new();
	struct model_scratch *ms = model_scratch_new();
	struct feat_vec x, zero = { NULL, NULL, 0, 0 };
	double dec0[8], decf[8], one = 1.0, *contrib, last = INFINITY;
	int order[4], label, nc, a, c, q, ti;
	size_t i, j, n, listed = 0;
	struct err err;

	ti = classifier_task_index(fx->c, task);
	assert_true(ti >= 0);
	b = classifier_bundle(fx->c, (size_t)ti);
	m = bundle_model(b);
	v = bundle_vocab(b);
	nc = model_nr_class(m);
	assert_true(nc <= 4);
	libsvm_order(fx, task, order, nc);
	label = bundle_label_index(b, json_string_value(json_object_get(t,
	    "label")));
	assert_true(json_is_array(why));
	n = json_array_size(why);
	assert_true(n <= k);

	feat_vec_init(&x);
	assert_int_equal(feat_vectorize(v, title, strlen(title), text,
	    strlen(text), fs, &x, &err), 0);
	contrib = calloc(x.n + 1, sizeof(double));
	assert_non_null(contrib);
	model_predict_reference(m, &zero, ms, NULL, dec0);
	for (i = 0; i < x.n; i++) {
		struct feat_vec e = { &x.idx[i], &one, 1, 1 };

		model_predict_reference(m, &e, ms, NULL, decf);
		for (a = 0, q = 0; a < nc; a++)
			for (c = a + 1; c < nc; c++, q++) {
				if (order[a] == label)
					contrib[i] += decf[q] - dec0[q];
				else if (order[c] == label)
					contrib[i] -= decf[q] - dec0[q];
			}
		contrib[i] *= x.val[i];
	}
	json_array_foreach(why, j, item) {
		const char *term = json_string_value(json_array_get(item, 0));
		double got = json_number_value(json_array_get(item, 1));
		int32_t id;

		assert_int_equal(json_array_size(item), 2);
		assert_non_null(term);
		id = feat_vocab_lookup(v, term, strlen(term));
		if (id < 0)
			fail_msg("%s: '%s' is not in the vocabulary", task,
			    term);
		assert_string_equal(feat_vocab_term(v, (size_t)id), term);
		for (i = 0; i < x.n && x.idx[i] != id; i++)
			;
		if (i == x.n)
			fail_msg("%s: '%s' is not in the article", task, term);
		assert_true(fabs(got - contrib[i]) <= 1e-9);
		assert_true(got > 0 && got <= last);
		last = got;
		listed++;
	}
	/* Nothing left out beats the last term listed; if fewer than k
	   were listed, nothing left out contributes positively. */
	for (i = 0; i < x.n; i++) {
		int in = 0;

		json_array_foreach(why, j, item)
			in |= feat_vocab_lookup(v, json_string_value(
			    json_array_get(item, 0)), strlen(json_string_value(
			    json_array_get(item, 0)))) == x.idx[i];
		if (in)
			continue;
		if (listed < k)
			assert_true(contrib[i] <= 1e-12);
		else
			assert_true(contrib[i] <= last + 1e-12);
	}
	free(contrib);
	feat_vec_release(&x);
	feat_scratch_destroy(&fs);
	model_scratch_destroy(&ms);
}

static void
test_explain(void **state)
{
	static const struct {
		const char *title, *text;
	} arts[] = {
		{ "Bank profit rises", "investors cheer as shares gain and the "
		    "market rises on good profit, great year for the bank" },
		{ "Great goal", "the team won the match with a great goal, "
		    "best season for the coach" },
		{ "", "terrible losses" },
		{ "new chip", "" },
	};
	struct fixture *fx = *state;
	struct tags_conf tc;
	struct msg_out_opts o = { .include_text = 1, .tags = &tc };
	struct msg_error e;
	const size_t order[] = { 1, 0 }, ks[] = { 1, 3, 32 };
	struct err err;
	json_t *r;
	size_t a, ki;

	tags_conf_default(&tc);
	for (a = 0; a < sizeof(arts) / sizeof(arts[0]); a++)
		for (ki = 0; ki < sizeof(ks) / sizeof(ks[0]); ki++) {
			make_msg_explain(fx, "w", arts[a].title, arts[a].text,
			    (long)ks[ki]);
			assert_int_equal(run(fx, order, 2, &o, &e), 0);
			r = body_json(fx);
			/* explain is passed through like any other key. */
			assert_int_equal(json_integer_value(json_object_get(r,
			    "explain")), (json_int_t)ks[ki]);
			check_tag(fx, r, "topic");
			check_why(fx, r, "topic", arts[a].title, arts[a].text,
			    ks[ki]);
			check_why(fx, r, "sentiment", arts[a].title,
			    arts[a].text, ks[ki]);
			json_decref(r);
		}
	/* The first article has more than 3 terms for its topic. */
	make_msg_explain(fx, "w", arts[0].title, arts[0].text, 3);
	assert_int_equal(run(fx, order, 2, &o, &e), 0);
	r = body_json(fx);
	assert_int_equal(json_array_size(json_object_get(json_object_get(
	    json_object_get(r, "tags"), "topic"), "why")), 3);
	json_decref(r);

	/* No "explain": the configured default; 0 in the message wins. */
	make_msg(fx, "w", -1, arts[0].title, arts[0].text);
	assert_int_equal(run(fx, order, 2, &o, &e), 0);
	r = body_json(fx);
	assert_null(json_object_get(json_object_get(json_object_get(r, "tags"),
	    "topic"), "why"));
	json_decref(r);
	assert_int_equal(tags_conf_set(&tc, "explain", "2", "k", &err), 0);
	assert_int_equal(run(fx, order, 2, &o, &e), 0);
	r = body_json(fx);
	check_why(fx, r, "topic", arts[0].title, arts[0].text, 2);
	assert_int_equal(json_array_size(json_object_get(json_object_get(
	    json_object_get(r, "tags"), "topic"), "why")), 2);
	json_decref(r);
	make_msg_explain(fx, "w", arts[0].title, arts[0].text, 0);
	assert_int_equal(run(fx, order, 2, &o, &e), 0);
	r = body_json(fx);
	assert_null(json_object_get(json_object_get(json_object_get(r, "tags"),
	    "sentiment"), "why"));
	json_decref(r);

	/* A bad value: one error, with the id; the next message scores. */
	make_msg_explain(fx, "bad-1", arts[0].title, arts[0].text, 33);
	check_error(fx, run(fx, order, 2, &o, &e), &e, MSG_BAD_EXPLAIN,
	    "bad-1");
	make_msg_explain(fx, "bad-2", arts[0].title, arts[0].text, -3);
	check_error(fx, run(fx, order, 2, &o, &e), &e, MSG_BAD_EXPLAIN,
	    "bad-2");
	make_msg_explain(fx, "ok", arts[0].title, arts[0].text, 1);
	assert_int_equal(run(fx, order, 2, &o, &e), 0);
}

/* Per-task settings apply by task name, and must name a loaded task. */
static void
test_tags_conf(void **state)
{
	struct fixture *fx = *state;
	struct tags_conf tc;
	struct msg_out_opts o = { .include_text = 1, .tags = &tc };
	struct msg_error e;
	const size_t order[] = { 1, 0 };
	struct err err;
	json_t *r, *t;

	tags_conf_default(&tc);
	assert_int_equal(tags_conf_check(&tc, fx->c, &err), 0);
	assert_int_equal(tags_conf_set(&tc, "top_threshold.topic", "0", "k",
	    &err), 0);
	assert_int_equal(tags_conf_set(&tc, "uncertain_below.sentiment", "1",
	    "k", &err), 0);
	assert_int_equal(tags_conf_check(&tc, fx->c, &err), 0);
	make_msg(fx, "c", -1, "Great goal", "the team won the match");
	assert_int_equal(run(fx, order, 2, &o, &e), 0);
	r = body_json(fx);
	t = json_object_get(json_object_get(r, "tags"), "topic");
	assert_int_equal(json_array_size(json_object_get(t, "top")), 3);
	assert_true(json_is_false(json_object_get(t, "uncertain")));
	t = json_object_get(json_object_get(r, "tags"), "sentiment");
	assert_true(json_is_true(json_object_get(t, "uncertain")));
	json_decref(r);

	assert_int_equal(tags_conf_set(&tc, "uncertain_below.topc", "0.5", "k",
	    &err), 0);
	assert_int_equal(tags_conf_check(&tc, fx->c, &err), -1);
	assert_string_equal(err.msg, "tags.uncertain_below.topc: no task "
	    "'topc' is loaded (tasks: 'sentiment', 'topic')");
}

/*
 * The per-article path makes no heap allocation in steady state: once the
 * pipeline's buffers have grown to the articles seen, scoring them again
 * (results and errors alike, with and without explanations) allocates
 * nothing.
 */
static void
test_no_allocation(void **state)
{
	static const struct {
		const char *text;
		long explain;
	} texts[] = {
		{ "bank profit gains, market up", NO_EXPLAIN },
		{ "terrible worst losses at the bank, shares fell sharply", 5 },
		{ "the team won the match after a late goal in the final", 32 },
		{ "", NO_EXPLAIN },
		{ "the team won the match after a late goal in the final", 0 },
		{ "bank profit gains, market up", 99 },
	};
	struct fixture *fx = *state;
	struct pipeline *p;
	struct tags_conf tc;
	struct msg_out_opts o = { .include_text = 1, .with_seq = 1,
	    .tags = &tc };
	struct msg_error e;
	const size_t order[] = { 1, 0 };
	size_t i, first = 0, last = 0;
	struct err err;
	int pass;

	if (!COUNT_ALLOCS)
		skip();	/* before allocating: skip() does not return */
	tags_conf_default(&tc);
	assert_int_equal(tags_conf_set(&tc, "explain", "2", "k", &err), 0);
	assert_int_equal(tags_conf_set(&tc, "top_threshold.topic", "0", "k",
	    &err), 0);
	p = pipeline_new();
	for (pass = 0; pass < 4; pass++)
		for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
			size_t before;

			make_msg_explain(fx, "a", i == 3 ? "" :
			    "Headline here", texts[i].text, texts[i].explain);
			buf_reset(&fx->env);
			buf_reset(&fx->body);
			before = alloc_count;
			alloc_counting = 1;
			pipeline_run(p, fx->c, order, 2, fx->msg.data,
			    fx->msg.len, &fx->lim, &o, &fx->env, &fx->body, &e);
			alloc_counting = 0;
			if (pass == 0)
				first += alloc_count - before;
			if (pass == 3)
				last += alloc_count - before;
		}
	pipeline_destroy(&p);
	assert_true(first > 0);		/* the counting works */
	assert_int_equal(last, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loaded),
		cmocka_unit_test(test_result),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_pipeline_error),
		cmocka_unit_test(test_no_id_leak),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_explain),
		cmocka_unit_test(test_tags_conf),
		cmocka_unit_test(test_no_allocation),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
