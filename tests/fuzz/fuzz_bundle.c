/*
 * fuzz_bundle.c - libFuzzer target for loading model bundles: meta.json,
 * vocab.tsv (feat.c) and svm.model (model.c's own checker, then libsvm).
 *
 * The input is split at the first two occurrences of SEP (two NUL bytes,
 * which none of the three text files contains) into meta.json, vocab.tsv
 * and svm.model, written into a bundle directory under a temporary
 * directory (fewer parts: the missing files are absent), and bundle_load
 * is called.  Since almost any change to vocab.tsv or svm.model breaks the
 * version hash, a load that fails only on the version is retried once with
 * meta.json's version replaced by the hash the loader computed (it is in
 * the error message), so that the parsers' accepted inputs go on to be
 * used.  A bundle that loads is checked (labels that pass label_check,
 * vocabulary size) and scores one document: a label in range and
 * probabilities that are finite, in [0, 1] and sum to 1.  A crash, a
 * leak, a sanitizer report or a failed check (abort) is a finding.
 *
 * Seeds (tests/fuzz/corpus/bundle/) are small trained bundles joined with
 * SEP, and broken variants of them.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle.h"
#include "feat.h"
#include "label.h"
#include "model.h"
#include "xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEP "\0\0"
#define SEP_LEN 2

static char dir[64], bdir[96];
static const char *const files[3] = { "meta.json", "vocab.tsv", "svm.model" };

#define CHECK(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "fuzz_bundle: check failed: %s (line %d)\n", \
		    #c, __LINE__);					\
		abort();						\
	}								\
} while (0)

/* libFuzzer may end the process without atexit: clean up every time. */
static void
cleanup(void)
{
	char path[160];
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", bdir, files[i]);
		unlink(path);
	}
	rmdir(bdir);
	rmdir(dir);
	dir[0] = '\0';
}

static void
init(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/fuzz_bundle.XXXXXX",
	    tmp && strlen(tmp) < 32 ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("fuzz_bundle: mkdtemp");
		abort();
	}
	snprintf(bdir, sizeof(bdir), "%s/topic", dir);
	if (mkdir(bdir, 0755) == -1) {
		perror("fuzz_bundle: mkdir");
		abort();
	}
	model_set_print(NULL);
}

static void
write_part(const char *name, const uint8_t *p, size_t n)
{
	char path[160];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", bdir, name);
	if (p == NULL) {
		unlink(path);
		return;
	}
	if ((f = fopen(path, "wb")) == NULL ||
	    (n > 0 && fwrite(p, 1, n, f) != n) || fclose(f) != 0) {
		perror("fuzz_bundle: write");
		abort();
	}
}

static const uint8_t *
find_sep(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + SEP_LEN <= n; i++)
		if (memcmp(p + i, SEP, SEP_LEN) == 0)
			return p + i;
	return NULL;
}

static void
use_bundle(const struct bundle *b)
{
	static const char title[] = "Shares rise as markets rally";
	static const char text[] = "The striker did not score. Profits fell "
	    "from 5 to 3 per cent; the team's new chip is great.";
	const struct feat_vocab *v = bundle_vocab(b);
	const struct model *m = bundle_model(b);
	struct feat_scratch *s = feat_scratch_new();
	struct model_scratch *ms = model_scratch_new();
	struct feat_vec x;
	struct err err;
	size_t i, nl = bundle_nlabels(b);
	double *prob, sum = 0.0;
	int label;

	CHECK(nl >= 2);
	CHECK((size_t)model_nr_class(m) == nl);
	CHECK(feat_vocab_size(v) > 0);
	CHECK(model_max_feature(m) < (int32_t)feat_vocab_size(v));
	CHECK(strncmp(bundle_version(b), "b2-", 3) == 0);
	CHECK(bundle_meta_json(b) != NULL);
	for (i = 0; i < nl; i++) {
		const char *l = bundle_label(b, i);

		CHECK(label_check(l, strlen(l), NULL) == 0);
		CHECK(bundle_label_index(b, bundle_label(b, i)) == (int)i);
	}
	feat_vec_init(&x);
	CHECK(feat_vectorize(v, title, sizeof(title) - 1, text,
	    sizeof(text) - 1, s, &x, &err) == 0);
	for (i = 0; i < x.n; i++) {
		CHECK(x.idx[i] >= 0 && (size_t)x.idx[i] < feat_vocab_size(v));
		CHECK(i == 0 || x.idx[i - 1] < x.idx[i]);
		CHECK(isfinite(x.val[i]));
	}
	prob = xcalloc(nl, sizeof(double));
	label = model_predict(m, &x, ms, prob);
	CHECK(label >= 0 && (size_t)label < nl);
	for (i = 0; i < nl; i++) {
		/* classifier.c asserts that the label is an arg-max. */
		CHECK(isfinite(prob[i]));
		CHECK(prob[i] <= prob[label]);
		CHECK(prob[i] >= 0.0 && prob[i] <= 1.0);
		sum += prob[i];
	}
	CHECK(fabs(sum - 1.0) < 1e-6);
	(void)model_predict_label(m, &x, ms);
	free(prob);
	feat_vec_release(&x);
	feat_scratch_destroy(&s);
	model_scratch_destroy(&ms);
}

/* Replace meta.json's version by the hash named in the load error. */
static int
fix_version(const uint8_t *meta, size_t n, const char *msg)
{
	const char *says = strstr(msg, "meta.json says '");
	const char *hash = strstr(msg, "the files hash to '");
	char old[64], want[64];
	const uint8_t *at;
	size_t olen, wlen;
	uint8_t *fixed;

	if (says == NULL || hash == NULL)
		return -1;
	says += strlen("meta.json says '");
	hash += strlen("the files hash to '");
	olen = strcspn(says, "'");
	wlen = strcspn(hash, "'");
	if (olen == 0 || olen >= sizeof(old) || wlen >= sizeof(want))
		return -1;
	memcpy(old, says, olen);
	old[olen] = '\0';
	memcpy(want, hash, wlen);
	want[wlen] = '\0';
	at = memmem(meta, n, old, olen);
	if (at == NULL)
		return -1;
	fixed = xmalloc(n - olen + wlen + 1);
	memcpy(fixed, meta, (size_t)(at - meta));
	memcpy(fixed + (at - meta), want, wlen);
	memcpy(fixed + (at - meta) + wlen, at + olen,
	    n - (size_t)(at - meta) - olen);
	write_part("meta.json", fixed, n - olen + wlen);
	free(fixed);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *part[3] = { NULL, NULL, NULL }, *p = data, *sep;
	size_t len[3] = { 0, 0, 0 }, rest = size, i;
	struct bundle *b = NULL;
	struct err err;
	int rc;

	init();
	for (i = 0; i < 3; i++) {
		part[i] = p;
		sep = i < 2 ? find_sep(p, rest) : NULL;
		len[i] = sep ? (size_t)(sep - p) : rest;
		if (sep == NULL)
			break;
		rest -= len[i] + SEP_LEN;
		p = sep + SEP_LEN;
	}
	for (i = 0; i < 3; i++)
		write_part(files[i], part[i], len[i]);

	err.msg[0] = '\0';
	rc = bundle_load(bdir, &b, &err);
	if (rc == -1) {
		CHECK(b == NULL);
		CHECK(err.msg[0] != '\0');
		CHECK(strstr(err.msg, bdir) != NULL);
		if (part[0] == NULL ||
		    fix_version(part[0], len[0], err.msg) == -1)
			goto out;
		err.msg[0] = '\0';
		rc = bundle_load(bdir, &b, &err);
		if (rc == -1) {
			CHECK(b == NULL);
			goto out;
		}
	}
	CHECK(b != NULL);
	CHECK(strcmp(bundle_task(b), "topic") == 0);
	use_bundle(b);
	bundle_destroy(&b);
	CHECK(b == NULL);
out:
	cleanup();
	return 0;
}
