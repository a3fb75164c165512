/*
 * fuzz_linmodel.c - libFuzzer target for liblinear model files
 * (linmodel_load, the parser of a bundle's linear.model).
 *
 * The input is written to a file (a name from mkstemp, removed after
 * each run) and loaded with a limit of 1 MB.  A
 * model that loads is checked: 2..1024 classes, decision values for a
 * fixed vector that are finite and agree with liblinear's own
 * predict_values (the reference), and a save -> load -> save round trip
 * that gives the same bytes and the same decision values (the first save
 * may drop digits beyond the 9 the file keeps).  A crash, a leak, a
 * sanitizer report or a failed check (abort) is a finding.
 *
 * Seeds (tests/fuzz/corpus/linmodel/) are small model files of both
 * schemes, with and without a bias, and broken variants of them.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "linmodel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_BYTES ((size_t)1 << 20)

static char path[64], path2[80], path3[80];

#define CHECK(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "fuzz_linmodel: check failed: %s "	\
		    "(line %d)\n", #c, __LINE__);			\
		abort();						\
	}								\
} while (0)

static void
init(void)
{
	const char *tmp = getenv("TMPDIR");
	int fd;

	snprintf(path, sizeof(path), "%s/fuzz_linmodel.XXXXXX",
	    tmp && strlen(tmp) < 32 ? tmp : "/tmp");
	if ((fd = mkstemp(path)) == -1) {
		perror("fuzz_linmodel: mkstemp");
		abort();
	}
	close(fd);
	snprintf(path2, sizeof(path2), "%s.2", path);
	snprintf(path3, sizeof(path3), "%s.3", path);
}

static char *
slurp(const char *p, size_t *n)
{
	FILE *f = fopen(p, "rb");
	char *s;
	long len;

	CHECK(f != NULL);
	CHECK(fseek(f, 0, SEEK_END) == 0);
	len = ftell(f);
	CHECK(len >= 0);
	rewind(f);
	s = malloc((size_t)len + 1);
	CHECK(s != NULL);
	CHECK(fread(s, 1, (size_t)len, f) == (size_t)len);
	fclose(f);
	*n = (size_t)len;
	return s;
}

static void
check_model(const struct linmodel *m)
{
	int32_t idx[6] = { 0, 1, 2, 5, 40, 1000 };
	double val[6] = { 0.5, -1.0, 0.25, 2.0, 1.0, -0.75 };
	struct feat_vec x = { idx, val, 6, 6 };
	double *dec, *ref, *dec2;
	struct linmodel *back = NULL, *again = NULL;
	struct err err;
	char *a, *b;
	size_t na, nb;
	int k = linmodel_nr_class(m), c;

	CHECK(k >= 2 && k <= 1024);
	/* liblinear counts id nr_feature as the bias: leave it out. */
	for (c = 0; c < 6; c++)
		if ((size_t)idx[c] == linmodel_nr_feature(m))
			x.n = (size_t)c;
	dec = calloc((size_t)k, sizeof(double));
	ref = calloc((size_t)k, sizeof(double));
	dec2 = calloc((size_t)k, sizeof(double));
	CHECK(dec && ref && dec2);
	linmodel_decision(m, &x, dec);
	linmodel_predict_liblinear(m, &x, ref);
	for (c = 0; c < k; c++) {
		/* Finite weights can still sum to infinity. */
		if (!isfinite(dec[c]) || !isfinite(ref[c]))
			continue;
		CHECK(fabs(dec[c] - ref[c]) <= 1e-9 * fmax(1.0,
		    fabs(ref[c])) || dec[c] == ref[c]);
	}
	/* Saved, it loads; saved again, the same bytes and values. */
	CHECK(linmodel_save(m, path2, &err) == 0);
	if (linmodel_load(path2, (size_t)-1, &back, &err) == -1) {
		fprintf(stderr, "fuzz_linmodel: %s\n", err.msg);
		abort();
	}
	CHECK(linmodel_nr_class(back) == k);
	CHECK(linmodel_nr_feature(back) == linmodel_nr_feature(m));
	CHECK(linmodel_solver(back) == linmodel_solver(m));
	CHECK(linmodel_save(back, path3, &err) == 0);
	CHECK(linmodel_load(path3, (size_t)-1, &again, &err) == 0);
	a = slurp(path2, &na);
	b = slurp(path3, &nb);
	CHECK(na == nb && memcmp(a, b, na) == 0);
	linmodel_decision(back, &x, dec);
	linmodel_decision(again, &x, dec2);
	CHECK(memcmp(dec, dec2, (size_t)k * sizeof(double)) == 0);
	free(a);
	free(b);
	free(dec);
	free(ref);
	free(dec2);
	linmodel_destroy(&back);
	linmodel_destroy(&again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct linmodel *m = NULL;
	struct err err;
	FILE *f;

	if (path[0] == '\0')
		init();
	if ((f = fopen(path, "wb")) == NULL ||
	    (size > 0 && fwrite(data, 1, size, f) != size) ||
	    fclose(f) != 0) {
		perror("fuzz_linmodel: write");
		abort();
	}
	if (linmodel_load(path, MAX_BYTES, &m, &err) == 0) {
		check_model(m);
		linmodel_destroy(&m);
	} else {
		CHECK(m == NULL);
		CHECK(strstr(err.msg, path) != NULL);
	}
	/* libFuzzer may end the process without atexit: clean up now. */
	unlink(path);
	unlink(path2);
	unlink(path3);
	return 0;
}
