/*
 * stopwords.h - English function words ("the", "of", "and"), looked up by
 * the tokens text.c makes.
 *
 * The list is the Snowball project's English stop word list (see
 * stopwords.c for the source).  Words are as the tokeniser writes them:
 * case-folded, with an ASCII apostrophe ("don't").  feat.c keeps them out
 * of the unigram features when the settings ask (TEXT_STOPWORDS).
 *
 * A struct stopwords is a read-only hash set over the list, built by
 * stopwords_new; a thread may share it, and feat.c keeps one per scratch.
 */
#ifndef NC_STOPWORDS_H
#define NC_STOPWORDS_H

#include <stddef.h>
#include <stdint.h>

#include "text.h"

/* The longest word of the list, in bytes: longer tokens need no lookup. */
#define STOPWORDS_LEN_MAX 10

struct stopwords;

/* The English set; never NULL (allocation failure aborts).  Caller frees. */
struct stopwords *stopwords_new(void);
void stopwords_destroy(struct stopwords **sp);

/*
 * 1 if w[0..len) is a stop word, else 0.  hash must be text_hash(w, len),
 * which tokens carry (text.h), so a lookup hashes nothing.
 */
int stopwords_has(const struct stopwords *sw, const char *w, size_t len,
    uint64_t hash);

/*
 * Set flag in the flags of every token of t that is a stop word, or a
 * stop word with text.c's "!" negation prefix.  Other tokens are left as
 * they are.  One call per field: the loop is here, not in the caller.
 */
void stopwords_mark(const struct stopwords *sw, struct text_tokens *t,
    uint32_t flag);

/* The list itself, for tests: word i of stopwords_count(). */
size_t stopwords_count(void);
const char *stopwords_word(size_t i);

#endif
