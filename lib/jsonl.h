/*
 * jsonl.h - labelled articles from JSON Lines files, for training and
 * evaluation.
 *
 * One line = one JSON object {"id": str|int, "title": str, "text": str,
 * "label": str}.  "title" is optional; at least one of title and text must
 * be non-empty; "label" is required when asked for.  Parsing is done by
 * jansson; invalid UTF-8 is rejected there.
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
 * Parse one line into a (emptied first; release it in any case).  Returns 0,
 * or -1 with a reason that does not include the file or line.
 */
int jsonl_parse_article(const char *line, size_t len, unsigned flags,
    struct jsonl_article *a, struct err *err);

/*
 * Read every line of path ("-" for stdin) into a growing array.  Bad lines
 * are an error naming "path:line", unless skip_bad is set: then they are
 * counted in *nskipped and reported through warn (may be NULL).  The caller
 * frees the array with jsonl_articles_free.  Blank lines are skipped.
 */
int jsonl_read_file(const char *path, unsigned flags, int skip_bad,
    struct jsonl_article **out, size_t *n, size_t *nskipped,
    void (*warn)(const char *msg), struct err *err);
void jsonl_articles_free(struct jsonl_article **a, size_t n);

#endif
