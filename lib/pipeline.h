/*
 * pipeline.h - one message in, one tagged result or one error out.
 *
 * This is the whole per-article path - decode, check, tokenise, score every
 * task, encode - shared by newsclassd's workers and by `newsclass classify`,
 * so the daemon and the offline tool cannot disagree.  A pipeline holds the
 * per-thread scratch (decoder, feature and model buffers); it is reused for
 * every message and makes no heap allocation once its buffers have grown.
 */
#ifndef NC_PIPELINE_H
#define NC_PIPELINE_H

#include <stddef.h>

#include "buf.h"
#include "classifier.h"
#include "msg.h"

struct pipeline;

struct pipeline *pipeline_new(void);
void pipeline_destroy(struct pipeline **pp);

/*
 * Score the msgpack message data[0..len) with every task of c.  Appends the
 * envelope (labels of tasks order[0..norder) joined by ".", or "_error") to
 * env and the result or error map to body.  Each tag's "top" and
 * "uncertain" follow o->tags; "why" is explained with the message's
 * "explain" if it has one, else tags_explain(o->tags) (0: no "why", no
 * extra work).  Returns 0 for a result, or -1 after writing an error map,
 * with e filled in.
 */
int pipeline_run(struct pipeline *p, const struct classifier *c,
    const size_t *order, size_t norder, const void *data, size_t len,
    const struct msg_limits *lim, struct msg_out_opts *o, struct buf *env,
    struct buf *body, struct msg_error *e);

/*
 * Emit the error e for a message that is not scored (multipart, too large,
 * not JSON).  If data is not NULL it is decoded only to recover the id.
 */
void pipeline_error(struct pipeline *p, const struct msg_error *e,
    const void *data, size_t len, const struct msg_limits *lim,
    struct msg_out_opts *o, struct buf *env, struct buf *body);

#endif
