/*
 * newsclass-bench-score - in-process scoring speed, ours against the
 * solver's own code.
 *
 * Reads JSON Lines articles, repeats them to --n articles, and measures on
 * one thread, each as the median of --reps runs:
 *   pipeline  tokenise + features + score every task (what a worker does,
 *             minus msgpack), articles/s and MB/s of title + text
 *   ours      scoring only, on pre-computed vectors (the linear fast path)
 *   ref       model_predict_reference on the same vectors: each bundle's
 *             solver's own code (libsvm's svm_predict_probability,
 *             liblinear's predict_values and the bundle's calibrator),
 *             cycling through the vectors for at most REF_BUDGET_S seconds
 *             per run (libsvm is slow) and scaled to --n articles
 * and checks that ours and the reference agree on every label, and how far
 * apart their decision values are (ref_max_dec_diff, 0 if bit for bit).
 * Each bundle's solver is printed ("solver TASK NAME").  pipeline_cpu_share
 * is the CPU time the pipeline runs got over their wall time: well below 1
 * means other processes took the core and the speeds are low.  Also prints
 * the models' load time (median of --reps loads) and their size on disk
 * and in memory: the process's
 * RSS growth for the whole models directory, and for each bundle loaded
 * again on its own, the heap bytes it holds (malloc's count, so exact
 * rather than page-rounded).
 * Output: "key value" lines for scripts/bench to tabulate.
 */
#include <getopt.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bundle.h"
#include "classifier.h"
#include "clock.h"
#include "feat.h"
#include "jsonl.h"
#include "model.h"
#include "xalloc.h"

#define REF_BUDGET_S 1.0	/* per run of the reference */

static double
now_s(void)
{
	return (double)clock_ns() / 1e9;
}

/* CPU time of this process: with now_s, the share of a core a run got. */
static double
cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long
rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	fclose(f);
	return kb;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Bytes malloc has handed out and not taken back (heap + mmapped chunks). */
static size_t
heap_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static long
dir_bytes(const char *dir)
{
	static const char *const files[] = { "meta.json", "vocab.tsv",
	    "svm.model", "linear.model" };
	char path[4096];
	struct stat st;
	long total = 0;
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (stat(path, &st) == 0)
			total += (long)st.st_size;
	}
	return total;
}

int
main(int argc, char **argv)
{
	const char *models = "models", *data = NULL;
	struct jsonl_article *art;
	struct classifier *c = NULL;
	struct classifier_scratch *cs;
	struct model_scratch *ms;
	struct feat_vec **vec;
	struct bundle **again;
	struct err err;
	size_t n = 20000, na, nskip, i, t, nt, bytes = 0, disagree = 0,
	    checks = 0;
	int reps = 5, r, ch, pipeline_only = 0;
	double *tp, *to, *tl, *tload, *share, *dec, *rdec, t0, c0;
	double prob[64], dec_diff = 0.0;
	size_t ndec = 1;
	long rss0, rss1;

	while ((ch = getopt(argc, argv, "m:d:n:r:P")) != -1) {
		switch (ch) {
		case 'P': pipeline_only = 1; break;
		case 'm': models = optarg; break;
		case 'd': data = optarg; break;
		case 'n': n = strtoul(optarg, NULL, 10); break;
		case 'r': reps = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: %s -d FILE.jsonl [-m MODELS] "
			    "[-n ARTICLES] [-r REPS] [-P]\n", argv[0]);
			return 2;
		}
	}
	if (data == NULL || reps < 1 || n == 0) {
		fprintf(stderr, "%s: -d FILE.jsonl is required\n", argv[0]);
		return 2;
	}
	model_set_print(NULL);
	if (jsonl_read_file(data, 0, 1, &art, &na, &nskip, NULL, &err) == -1 ||
	    na == 0) {
		fprintf(stderr, "%s: %s\n", argv[0], na ? err.msg : "no data");
		return 1;
	}
	tp = xcalloc((size_t)reps, sizeof(double));
	to = xcalloc((size_t)reps, sizeof(double));
	tl = xcalloc((size_t)reps, sizeof(double));
	tload = xcalloc((size_t)reps, sizeof(double));
	share = xcalloc((size_t)reps, sizeof(double));

	/* Load reps times; the memory is that of the first, on a fresh heap,
	 * the bundles' own load_ms those of the last. */
	rss0 = rss1 = rss_kb();
	for (r = 0; r < reps; r++) {
		classifier_destroy(&c);
		t0 = now_s();
		if (classifier_load(models, &c, &err) == -1) {
			fprintf(stderr, "%s: %s\n", argv[0], err.msg);
			return 1;
		}
		tload[r] = now_s() - t0;
		if (r == 0)
			rss1 = rss_kb();
	}
	nt = classifier_ntasks(c);
	printf("load_ms %.1f\nmodels_rss_kb %ld\n", median(tload, reps) * 1e3,
	    rss1 - rss0);
	/* Each bundle once more on its own, kept until the end so that the
	 * next one cannot reuse its memory. */
	again = xcalloc(nt, sizeof(*again));
	for (t = 0; t < nt; t++) {
		const struct bundle *b = classifier_bundle(c, t);
		char dir[4096];
		size_t h0;

		snprintf(dir, sizeof(dir), "%s/%s", models, bundle_task(b));
		h0 = heap_bytes();
		if (bundle_load(dir, &again[t], &err) == -1) {
			fprintf(stderr, "%s: %s\n", argv[0], err.msg);
			return 1;
		}
		printf("bundle %s disk_kb %ld load_ms %.1f heap_kb %zu "
		    "features %zu fast %d\n", bundle_task(b),
		    dir_bytes(dir) / 1024, bundle_load_ms(b),
		    (heap_bytes() - h0) / 1024,
		    feat_vocab_size(bundle_vocab(b)),
		    model_is_linear_fast(bundle_model(b)));
		printf("solver %s %s\n", bundle_task(b),
		    model_solver_name(model_solver(bundle_model(b))));
	}
	for (i = 0; i < n; i++)
		bytes += art[i % na].tlen + art[i % na].xlen;
	printf("articles %zu\nbytes %zu\n", n, bytes);

	cs = classifier_scratch_new();
	ms = model_scratch_new();

	/* The whole per-article path. */
	for (r = 0; r < reps; r++) {
		const struct classifier_out *out;

		t0 = now_s();
		c0 = cpu_s();
		for (i = 0; i < n; i++) {
			const struct jsonl_article *a = &art[i % na];

			if (classifier_run(c, a->title, a->tlen, a->text,
			    a->xlen, 0, cs, &out, &err) == -1) {
				fprintf(stderr, "%s\n", err.msg);
				return 1;
			}
		}
		tp[r] = now_s() - t0;
		share[r] = (cpu_s() - c0) / tp[r];
	}

	if (pipeline_only) {	/* for profiling the per-article path */
		printf("pipeline_aps %.0f\n", (double)n / median(tp, reps));
		return 0;
	}
	/* Scoring only: the vectors of the distinct articles, once. */
	vec = xcalloc(nt, sizeof(*vec));
	for (t = 0; t < nt; t++) {
		const struct bundle *b = classifier_bundle(c, t);
		struct feat_scratch *fs = feat_scratch_new();

		vec[t] = xcalloc(na, sizeof(struct feat_vec));
		for (i = 0; i < na; i++) {
			feat_vec_init(&vec[t][i]);
			feat_vectorize(bundle_vocab(b), art[i].title,
			    art[i].tlen, art[i].text, art[i].xlen, fs,
			    &vec[t][i], &err);
		}
		feat_scratch_destroy(&fs);
	}
	for (r = 0; r < reps; r++) {
		t0 = now_s();
		for (i = 0; i < n; i++)
			for (t = 0; t < nt; t++)
				model_predict(bundle_model(classifier_bundle(c,
				    t)), &vec[t][i % na], ms, prob);
		to[r] = now_s() - t0;
	}
	/*
	 * The reference on the same vectors, in the same order, until n
	 * articles or the time budget (libsvm's is ~10^3 times slower than
	 * ours), scaled to n.
	 */
	for (r = 0; r < reps; r++) {
		double dt = 0.0;

		t0 = now_s();
		for (i = 0; i < n && dt < REF_BUDGET_S; i++) {
			for (t = 0; t < nt; t++)
				model_predict_reference(bundle_model(
				    classifier_bundle(c, t)), &vec[t][i % na],
				    ms, prob, NULL);
			dt = now_s() - t0;
		}
		tl[r] = dt * (double)n / (double)i;
	}
	/* Labels with probabilities, and the decision values. */
	for (t = 0; t < nt; t++)
		if (model_ndec(bundle_model(classifier_bundle(c, t))) > ndec)
			ndec = model_ndec(bundle_model(classifier_bundle(c,
			    t)));
	dec = xcalloc(ndec, sizeof(double));
	rdec = xcalloc(ndec, sizeof(double));
	for (i = 0; i < na; i++)
		for (t = 0; t < nt; t++) {
			const struct model *m = bundle_model(
			    classifier_bundle(c, t));
			size_t k;

			if (model_predict(m, &vec[t][i], ms, prob) !=
			    model_predict_reference(m, &vec[t][i], ms, prob,
			    rdec))
				disagree++;
			checks++;
			if (model_decision_values(m, &vec[t][i], ms, dec) ==
			    -1)
				continue;
			for (k = 0; k < model_ndec(m); k++)
				if (fabs(dec[k] - rdec[k]) > dec_diff)
					dec_diff = fabs(dec[k] - rdec[k]);
		}
	{
		double p = median(tp, reps), o = median(to, reps),
		    l = median(tl, reps);

		printf("pipeline_aps %.0f\npipeline_mbps %.1f\n"
		    "pipeline_cpu_share %.2f\n", (double)n / p,
		    (double)bytes / p / 1e6, median(share, reps));
		printf("ours_score_aps %.0f\nref_score_aps %.0f\n",
		    (double)n / o, (double)n / l);
		printf("label_disagreements %zu\nlabel_checks %zu\n"
		    "ref_max_dec_diff %.3g\n", disagree, checks, dec_diff);
	}
	free(dec);
	free(rdec);
	for (t = 0; t < nt; t++) {
		for (i = 0; i < na; i++)
			feat_vec_release(&vec[t][i]);
		free(vec[t]);
	}
	free(vec);
	for (t = 0; t < nt; t++)
		bundle_destroy(&again[t]);
	free(again);
	free(tp);
	free(to);
	free(tl);
	free(tload);
	free(share);
	model_scratch_destroy(&ms);
	classifier_scratch_destroy(&cs);
	classifier_destroy(&c);
	jsonl_articles_free(&art, na);
	return 0;
}
