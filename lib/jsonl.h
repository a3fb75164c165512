/*
 * jsonl.h - labelled articles from JSON Lines files, for training and
 * evaluation.
 *
 * One line = one JSON object {"id": str|int, "title": str, "text": str,
 * "label": str}.  "title" is optional; at least one of title and text must
 * be non-empty; "label" is required when asked for, and must then pass
 * label_check (label.h: no '.', no white space or control characters, no
 * leading '_', ...).  A line must be valid UTF-8 and may not repeat a key
 * in any object ({"label": "a", "label": "b"} is refused, not read as
 * "b").  Parsing is done by jansson.
 *
 * Reasons are one line without raw bytes of the input, for example
 *   invalid UTF-8 at byte 23 (0xe9)     bytes of the line, from 1
 *   duplicate key "label" (column 20)   columns count characters, from 1
 *   not JSON: <jansson's message> (column 9)
 *   label 'a.b' contains '.' (the envelope separator)
 */
#ifndef NC_JSONL_H
#define NC_JSONL_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"

struct jsonl_article {
	char *id;	/* integer ids are kept as their decimal text */
	char *title;	/* "" if absent */
	char *text;	/* "" if absent */
	char *label;	/* NULL if absent */
	size_t tlen, xlen;
};

void jsonl_article_release(struct jsonl_article *a);

enum {
	JSONL_NEED_LABEL = 1u << 0,
};

/*
 * The daemon's default limits (msg.h: max_bytes, max_text): an article
 * that the daemon would refuse is no training example either.  A longer
 * line is a bad line, read through without being held in memory.
 */
#define JSONL_MAX_LINE ((size_t)16 << 20)
#define JSONL_MAX_TEXT ((size_t)4 << 20)	/* title + text bytes */

/*
 * Parse one line into a (emptied first; release it in any case).  Returns 0,
 * or -1 with a reason that does not include the file or line.  The label is
 * only checked with JSONL_NEED_LABEL.
 */
int jsonl_parse_article(const char *line, size_t len, unsigned flags,
    struct jsonl_article *a, struct err *err);

/*
 * Read every line of path ("-" for stdin) into a growing array.  A bad line
 * is an error "path:line: reason" (line counts from 1), unless skip_bad is
 * set: then bad lines are counted in *nskipped and reported through warn
 * (may be NULL) as "path:line: skipped: reason".  The caller
 * frees the array with jsonl_articles_free.  Blank lines are skipped.
 */
int jsonl_read_file(const char *path, unsigned flags, int skip_bad,
    struct jsonl_article **out, size_t *n, size_t *nskipped,
    void (*warn)(const char *msg), struct err *err);
void jsonl_articles_free(struct jsonl_article **a, size_t n);

#endif
