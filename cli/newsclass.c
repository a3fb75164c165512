/*
 * newsclass - the command-line companion of newsclassd.
 *
 *   classify  score JSON Lines offline with every bundle under a models
 *             directory, through the daemon's own decode/score/encode path
 *
 * Every input line gives exactly one output line, in order: the tagged
 * article, or an error object {"id", "error", "detail"}.
 *
 * Exit codes: 0 ok (even if some lines were bad), 1 runtime failure,
 * 2 usage or configuration error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "classifier.h"
#include "log.h"
#include "model.h"
#include "msg.h"
#include "pipeline.h"

static void
usage(FILE *f)
{
	fputs(
"usage: newsclass classify [--models DIR] [--no-text] [FILE.jsonl...]\n"
"\n"
"classify  reads JSON Lines articles {\"id\", \"title\", \"text\", ...} from\n"
"          the files (or stdin) and writes each one with \"tags\" and\n"
"          \"models\" added, one line per input line; a bad line gives an\n"
"          error object {\"id\", \"error\", \"detail\"} instead\n", f);
}

struct classify_ctx {
	const struct classifier *c;
	size_t order[64];
	size_t norder;
	struct pipeline *p;
	struct msg_limits lim;
	struct msg_out_opts oo;
	struct buf mp, env, out, json;
};

/* One line in, one JSON line out: the daemon's path, JSON at both ends. */
static void
classify_line(struct classify_ctx *x, const char *src, size_t lineno,
    const char *line, size_t len)
{
	struct msg_error e;
	struct err err;
	int rc;

	buf_reset(&x->mp);
	buf_reset(&x->env);
	buf_reset(&x->out);
	buf_reset(&x->json);
	if (msg_from_json(line, len, &x->mp, &e) == -1) {
		pipeline_error(x->p, &e, NULL, 0, &x->lim, &x->oo, &x->env,
		    &x->out);
		rc = -1;
	} else {
		rc = pipeline_run(x->p, x->c, x->order, x->norder, x->mp.data,
		    x->mp.len, &x->lim, &x->oo, &x->env, &x->out, &e);
	}
	if (rc == -1)
		log_warn("%s:%zu: %s: %s", src, lineno, msg_code_name(e.code),
		    e.detail);
	if (msg_to_json(x->out.data, x->out.len, &x->json, &err) == -1)
		log_fatal(1, "internal error: %s", err.msg);
	buf_addch(&x->json, '\n');
	fwrite(x->json.data, 1, x->json.len, stdout);
}

static int
classify_file(struct classify_ctx *x, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	const char *src = f == stdin ? "stdin" : path;
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;

	if (f == NULL) {
		log_error("cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	while ((len = getline(&line, &cap, f)) != -1) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			len--;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		classify_line(x, src, lineno, line, (size_t)len);
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return 0;
}

static int
cmd_classify(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "models", required_argument, NULL, 'm' },
		{ "no-text", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *models = "models";
	struct classifier *c = NULL;
	struct classify_ctx x;
	struct err err;
	int ch, i, rc = 0;

	memset(&x, 0, sizeof(x));
	x.oo.include_text = 1;
	while ((ch = getopt_long(argc, argv, "m:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'm': models = optarg; break;
		case 'T': x.oo.include_text = 0; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (classifier_load(models, &c, &err) == -1) {
		log_error("%s", err.msg);
		return 2;
	}
	x.c = c;
	x.norder = classifier_ntasks(c);
	if (x.norder > sizeof(x.order) / sizeof(x.order[0]))
		x.norder = sizeof(x.order) / sizeof(x.order[0]);
	for (i = 0; (size_t)i < x.norder; i++)
		x.order[i] = (size_t)i;
	x.p = pipeline_new();
	msg_limits_default(&x.lim);
	buf_init(&x.mp);
	buf_init(&x.env);
	buf_init(&x.out);
	buf_init(&x.json);
	if (optind == argc)
		rc = classify_file(&x, "-");
	for (i = optind; i < argc; i++)
		if (classify_file(&x, argv[i]) == -1)
			rc = 1;
	if (fflush(stdout) != 0) {
		log_error("cannot write output: %s", strerror(errno));
		rc = 1;
	}
	buf_release(&x.json);
	buf_release(&x.out);
	buf_release(&x.env);
	buf_release(&x.mp);
	pipeline_destroy(&x.p);
	classifier_destroy(&c);
	return rc;
}

int
main(int argc, char **argv)
{
	log_init("newsclass", LOG_LEVEL_INFO);
	model_set_print(NULL);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "classify") == 0)
		return cmd_classify(argc - 1, argv + 1);
	log_error("unknown command '%s'", argv[1]);
	usage(stderr);
	return 2;
}
