/*
 * feat.h - features: tokens -> sparse TF-IDF vector over a vocabulary.
 *
 * A document is a title and a text.  Both are tokenised (text.h) with the
 * same flags; terms are word unigrams and, with ngram_max = 2, bigrams of
 * adjacent tokens that do not cross a clause break, joined by one space.
 * Before that, TEXT_CLEAN_HTML cleans both fields of markup and
 * TEXT_CLEAN_BOILERPLATE drops boilerplate lines from the text (clean.h);
 * TEXT_STEM stems the tokens; with TEXT_STOPWORDS a stop word's unigram
 * (stopwords.h) gets no weight, while bigrams that hold it do.  The
 * vocabulary keeps stop words' unigrams (they key their bigrams).
 * Title occurrences count title_weight times.  A term's weight is
 * (1 + ln tf) * idf with sublinear_tf, else tf * idf, where
 * idf = ln((1 + n_docs) / (1 + df)) + 1; the vector is L2-normalised.
 * Terms not in the vocabulary are ignored.  Feature ids are 0-based and
 * ordered like the vocabulary; a vector lists ascending ids.
 *
 * The vocabulary is built once by a feat_builder over the training set
 * (document frequency, min_df / max_features pruning) and then read-only: it
 * may be shared by any number of threads.  Per-thread state lives in a
 * struct feat_scratch.
 */
#ifndef NC_FEAT_H
#define NC_FEAT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct feat_settings {
	int ngram_max;		/* 1 or 2 */
	int title_weight;	/* >= 1: title counts this many times */
	unsigned text_flags;	/* TEXT_* */
	int sublinear_tf;	/* 0 or 1 */
	int min_df;		/* >= 1 */
	int max_features;	/* 0 = no limit */
};

/* Defaults: bigrams, title weight 2, negation, sublinear tf, min_df 2. */
void feat_settings_default(struct feat_settings *s);
/* 0 if every field is in range, else -1 naming the bad field. */
int feat_settings_check(const struct feat_settings *s, struct err *err);

struct feat_vec {
	int32_t *idx;	/* ascending 0-based feature ids */
	double *val;
	size_t n;
	size_t cap;
};

void feat_vec_init(struct feat_vec *v);
void feat_vec_release(struct feat_vec *v);

struct feat_vocab;
struct feat_scratch;
struct feat_builder;

struct feat_scratch *feat_scratch_new(void);
void feat_scratch_destroy(struct feat_scratch **sp);

/*
 * Begin a document that will be vectorised with several vocabularies: from
 * now until the next call, feat_vectorize with this scratch reuses the
 * tokens (and stems) of a title or text it has already tokenised with the
 * same flags, or with TEXT_NUMCMP added for an unstemmed vocabulary
 * without it (feat_vocab_reuses_tokens).  Without it, every call tokenises
 * afresh.  The title and text
 * must not change between the calls for one document.
 */
void feat_scratch_new_doc(struct feat_scratch *s);

/*
 * Whether b, vectorising a document right after a in the same document of
 * a scratch, reuses the tokens a made instead of tokenising again: their
 * tokeniser flags are the same (stemming aside), or b does not stem and
 * a's flags are b's with TEXT_NUMCMP, whose tokens are b's and the
 * comparisons (text.h), left out for b.  The vectors are the same either
 * way; this only says which order of vocabularies tokenises less.
 */
int feat_vocab_reuses_tokens(const struct feat_vocab *a,
    const struct feat_vocab *b);

/* Builder: count document frequencies, then prune into a vocabulary. */
struct feat_builder *feat_builder_new(const struct feat_settings *s);
void feat_builder_destroy(struct feat_builder **bp);
/* Count one document.  -1 on invalid UTF-8 (err says where). */
int feat_builder_add(struct feat_builder *b, const char *title, size_t tlen,
    const char *text, size_t xlen, struct err *err);
/*
 * Keep terms with df >= min_df; if max_features > 0 keep the max_features
 * most frequent (ties broken by byte order of the term).  Terms are ordered
 * bytewise.  The new vocabulary belongs to the caller.  -1 if no term is
 * left.
 */
int feat_builder_finish(struct feat_builder *b, struct feat_vocab **out,
    struct err *err);

/*
 * Read a vocabulary file written by feat_vocab_save.  Errors name the file
 * and line: bad header, bad line, duplicate or unsorted term, df out of
 * range, count mismatch.  The result belongs to the caller.
 */
int feat_vocab_load(const char *path, const struct feat_settings *s,
    struct feat_vocab **out, struct err *err);
/* Write the vocabulary (not atomically; bundle.c handles that). */
int feat_vocab_save(const struct feat_vocab *v, const char *path,
    struct err *err);
void feat_vocab_destroy(struct feat_vocab **vp);

size_t feat_vocab_size(const struct feat_vocab *v);
const struct feat_settings *feat_vocab_settings(const struct feat_vocab *v);
/* Term i (NUL-terminated, owned by the vocabulary) and its idf. */
const char *feat_vocab_term(const struct feat_vocab *v, size_t i);
double feat_vocab_idf(const struct feat_vocab *v, size_t i);
/* Feature id of term[0..len), or -1. */
int32_t feat_vocab_lookup(const struct feat_vocab *v, const char *term,
    size_t len);

/*
 * Vectorise one document into out (emptied first), reusing scratch.
 * -1 on invalid UTF-8 in title or text (err names which and where, as a
 * byte offset in the field as given; with TEXT_CLEAN_* a field that is
 * valid once its markup is gone is accepted).
 */
int feat_vectorize(const struct feat_vocab *v, const char *title, size_t tlen,
    const char *text, size_t xlen, struct feat_scratch *scratch,
    struct feat_vec *out, struct err *err);

/*
 * The trainer's two halves of feat_vectorize.  feat_count fills out with
 * the document's raw term counts over v (title occurrences counting
 * title_weight times): no tf transform, no idf, no normalisation.
 * feat_weigh then weighs such counts, in place, exactly as feat_vectorize
 * would with settings s and the idf of each id: so counts over one
 * vocabulary of every term, renumbered to a subset of it with that
 * subset's document frequencies, give the vectors of the subset's own
 * vocabulary without tokenising again.
 */
int feat_count(const struct feat_vocab *v, const char *title, size_t tlen,
    const char *text, size_t xlen, struct feat_scratch *scratch,
    struct feat_vec *out, struct err *err);
void feat_weigh(const struct feat_settings *s, const double *idf,
    struct feat_vec *x);

/*
 * Links.  Two vocabularies with the same settings but for stemming (topic
 * terms are words, sentiment terms stems, say) look up the same tokens:
 * a link from the unstemmed a to the stemmed b holds, for every word of a,
 * its stem's hash and id in b, made when the link is.  Vectorising an
 * article with a and then, in the same document of the same scratch, with
 * feat_vectorize_linked(b, l, ...), the tokens that are words of a are
 * neither stemmed nor looked up again; the vector is the same as
 * feat_vectorize's.  feat_link_new returns NULL if b is not a with
 * stemming, or prunes with max_features; a link refers to a and b, which
 * must outlive it.
 */
struct feat_link;

struct feat_link *feat_link_new(const struct feat_vocab *a,
    const struct feat_vocab *b);
void feat_link_destroy(struct feat_link **lp);
/* feat_vectorize, through l if l links a vocabulary to v (NULL: none). */
int feat_vectorize_linked(const struct feat_vocab *v,
    const struct feat_link *l, const char *title, size_t tlen,
    const char *text, size_t xlen, struct feat_scratch *scratch,
    struct feat_vec *out, struct err *err);

#endif
