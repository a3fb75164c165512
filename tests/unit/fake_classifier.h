/*
 * fake_classifier.h - lib/msg.c built against a two-task stand-in for the
 * classifier, for tests/unit/test_msg.c and tests/fuzz/fuzz_msg.c.
 *
 * msg.c only asks a classifier for its tasks, labels and versions, but the
 * real lib/classifier.c needs trained bundles, and it may be linked into
 * the same program anyway (unit tests link libnewsclass.a and the daemon
 * objects, fuzz targets every lib/ source).  So the fakes cannot take the
 * real names: this header renames the accessors msg.c calls, and msg.c's
 * own functions too so that the real msg.o may sit beside this copy, then
 * includes msg.c.  Include it once per program, before using msg_*.
 *
 * The fake has the tasks "sentiment" (negative, neutral, positive) and
 * "topic" (business, tech), sorted by name like the real one.  Its
 * vocabulary is fake_terms, shared by both tasks; fake_results_why are
 * fake_results with explanations (topic's model cannot explain).
 */
#ifndef NC_FAKE_CLASSIFIER_H
#define NC_FAKE_CLASSIFIER_H

#define classifier_ntasks fake_classifier_ntasks
#define classifier_bundle fake_classifier_bundle
#define bundle_task fake_bundle_task
#define bundle_version fake_bundle_version
#define bundle_nlabels fake_bundle_nlabels
#define bundle_label fake_bundle_label
#define bundle_vocab fake_bundle_vocab
#define feat_vocab_term fake_feat_vocab_term

#define msg_code_name fake_msg_code_name
#define msg_limits_default fake_msg_limits_default
#define msg_decoder_new fake_msg_decoder_new
#define msg_decoder_destroy fake_msg_decoder_destroy
#define msg_decode fake_msg_decode
#define msg_encode_result fake_msg_encode_result
#define msg_encode_error fake_msg_encode_error
#define msg_envelope fake_msg_envelope
#define msg_from_json fake_msg_from_json
#define msg_to_json fake_msg_to_json
#define msg_w_map fake_msg_w_map
#define msg_w_array fake_msg_w_array
#define msg_w_str fake_msg_w_str
#define msg_w_strn fake_msg_w_strn
#define msg_w_uint fake_msg_w_uint
#define msg_w_int fake_msg_w_int
#define msg_w_double fake_msg_w_double
#define msg_w_bool fake_msg_w_bool
#define msg_w_nil fake_msg_w_nil
#define msg_w_raw fake_msg_w_raw
#define msg_get_str fake_msg_get_str
#define msg_get_uint fake_msg_get_uint

#include "../../lib/msg.c"

struct bundle {
	const char *task;
	const char *version;
	const char *const *labels;
	size_t nlabels;
};

struct classifier {
	const struct bundle *b;
	size_t n;
};

struct feat_vocab {
	const char *const *terms;
};

static const char *const fake_terms[] = {
	"gains", "profit rose", "shares", "caf\xc3\xa9 \"q\"",
};
static const struct feat_vocab fake_vocab = { fake_terms };

static const char *const fake_sentiment_labels[] = {
	"negative", "neutral", "positive"
};
static const char *const fake_topic_labels[] = { "business", "tech" };

static const struct bundle fake_bundles[] = {
	{ "sentiment", "sentiment-v1", fake_sentiment_labels, 3 },
	{ "topic", "topic-v7", fake_topic_labels, 2 },
};

static const struct classifier fake_classifier_two = { fake_bundles, 2 };

/* Probabilities for every task, and the results pointing at them. */
static const double fake_prob_sentiment[] = { 0.125, 0.25, 0.625 };
static const double fake_prob_topic[] = { 0.75, 0.25 };
static const struct classifier_out fake_results[] = {
	{ 2, fake_prob_sentiment, NULL, 0, 0 },
	{ 0, fake_prob_topic, NULL, 0, 0 },
};
static const struct model_why fake_why[] = {
	{ 1, 0.5 }, { 3, 0.25 }, { 0, 0.125 },
};
static const struct classifier_out fake_results_why[] = {
	{ 2, fake_prob_sentiment, fake_why, 3, 1 },
	{ 0, fake_prob_topic, NULL, 0, 0 },
};

size_t
classifier_ntasks(const struct classifier *c)
{
	return c->n;
}

const struct bundle *
classifier_bundle(const struct classifier *c, size_t i)
{
	return &c->b[i];
}

const char *
bundle_task(const struct bundle *b)
{
	return b->task;
}

const char *
bundle_version(const struct bundle *b)
{
	return b->version;
}

size_t
bundle_nlabels(const struct bundle *b)
{
	return b->nlabels;
}

const char *
bundle_label(const struct bundle *b, size_t i)
{
	return b->labels[i];
}

const struct feat_vocab *
bundle_vocab(const struct bundle *b)
{
	(void)b;
	return &fake_vocab;
}

const char *
feat_vocab_term(const struct feat_vocab *v, size_t i)
{
	return v->terms[i];
}

#endif
