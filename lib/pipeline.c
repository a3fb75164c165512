/*
 * pipeline.c - decode, score, encode: the per-article path.
 */
#include <stdio.h>
#include <stdlib.h>

#include "pipeline.h"
#include "xalloc.h"

#define PIPELINE_ERROR_ENVELOPE "_error"

struct pipeline {
	struct msg_decoder *dec;
	struct classifier_scratch *cs;
};

struct pipeline *
pipeline_new(void)
{
	struct pipeline *p = xcalloc(1, sizeof(*p));

	p->dec = msg_decoder_new();
	p->cs = classifier_scratch_new();
	return p;
}

void
pipeline_destroy(struct pipeline **pp)
{
	struct pipeline *p = *pp;

	if (p == NULL)
		return;
	msg_decoder_destroy(&p->dec);
	classifier_scratch_destroy(&p->cs);
	free(p);
	*pp = NULL;
}

static void
emit_error(struct pipeline *p, const struct msg_error *e,
    struct msg_out_opts *o, struct buf *env, struct buf *body)
{
	buf_addstr(env, PIPELINE_ERROR_ENVELOPE);
	msg_encode_error(p->dec, e, o, body);
}

int
pipeline_run(struct pipeline *p, const struct classifier *c,
    const size_t *order, size_t norder, const void *data, size_t len,
    const struct msg_limits *lim, struct msg_out_opts *o, struct buf *env,
    struct buf *body, struct msg_error *e)
{
	const struct classifier_out *res;
	struct msg_article art;
	struct err err;
	size_t explain;

	if (msg_decode(p->dec, data, len, lim, &art, e) == -1) {
		emit_error(p, e, o, env, body);
		return -1;
	}
	/* The message's "explain", else the configured default. */
	explain = (size_t)(art.explain >= 0 ? art.explain :
	    tags_explain(o->tags));
	if (classifier_run(c, art.title, art.tlen, art.text, art.xlen, explain,
	    p->cs, &res, &err) == -1) {
		/* msg_decode checked UTF-8 already: this is a defect. */
		e->code = MSG_INTERNAL;
		snprintf(e->detail, sizeof(e->detail), "%s", err.msg);
		emit_error(p, e, o, env, body);
		return -1;
	}
	msg_envelope(c, res, order, norder, env);
	msg_encode_result(p->dec, c, res, explain, o, body);
	return 0;
}

void
pipeline_error(struct pipeline *p, const struct msg_error *e,
    const void *data, size_t len, const struct msg_limits *lim,
    struct msg_out_opts *o, struct buf *env, struct buf *body)
{
	struct msg_article art;
	struct msg_error ignored;

	/* An empty message forgets the previous message's id. */
	msg_decode(p->dec, data ? data : "", data ? len : 0, lim, &art,
	    &ignored);
	emit_error(p, e, o, env, body);
}
