/*
 * report_driver.c - report_write from the command line, for
 * tests/cli/test_report.py: the report page from fixture JSON (a made-up
 * meta.json and evaluation), without a trained bundle or the trainer.
 *
 *   report_driver META.json EVAL.json|- OUT.html|- [TITLE]
 *
 * "-" as the evaluation means none; "-" as the output is stdout.  Exit
 * status: 0, 1 when report_write fails (its reason on stderr), 2 for a
 * usage error or an unreadable file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "report.h"

static int
slurp(const char *path, struct buf *b)
{
	char chunk[65536];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (f == NULL) {
		fprintf(stderr, "report_driver: cannot open '%s': %s\n", path,
		    strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(b, chunk, n);
	if (ferror(f)) {
		fprintf(stderr, "report_driver: cannot read '%s'\n", path);
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

int
main(int argc, char **argv)
{
	struct buf meta, eval;
	struct err err;
	FILE *out = stdout;
	int have_eval, rc = 2;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: report_driver META.json EVAL.json|- "
		    "OUT.html|- [TITLE]\n");
		return 2;
	}
	buf_init(&meta);
	buf_init(&eval);
	have_eval = strcmp(argv[2], "-") != 0;
	if (slurp(argv[1], &meta) == -1 ||
	    (have_eval && slurp(argv[2], &eval) == -1))
		goto out;
	if (strcmp(argv[3], "-") != 0 && (out = fopen(argv[3], "w")) == NULL) {
		fprintf(stderr, "report_driver: cannot create '%s': %s\n",
		    argv[3], strerror(errno));
		goto out;
	}
	rc = 0;
	if (report_write(out, meta.data, have_eval ? eval.data : NULL,
	    argc == 5 ? argv[4] : NULL, &err) == -1) {
		fprintf(stderr, "report_driver: %s\n", err.msg);
		rc = 1;
	}
	if (out != stdout && fclose(out) != 0 && rc == 0) {
		fprintf(stderr, "report_driver: cannot write '%s'\n", argv[3]);
		rc = 1;
	}
out:
	buf_release(&meta);
	buf_release(&eval);
	return rc;
}
