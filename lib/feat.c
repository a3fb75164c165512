/*
 * feat.c - documents to sparse TF-IDF vectors over a fixed vocabulary.
 *
 * Terms are unigrams and (optionally) bigrams of the tokens text.c produces;
 * a bigram is "a b" with one space and never spans a clause break.  The
 * vocabulary is a sorted array of terms (feature id = position) with an
 * open-addressing hash index over it, load factor <= 1/4, keyed by token
 * hashes (see text_hash).  Shipped vocabularies hold ~10^4..10^5 terms; an
 * article makes a few hundred to a few thousand lookups, which wait on
 * memory more than they compute: the index and the term bytes are larger
 * than the caches, hence the prefetching in count_field, and the slots'
 * keys (a bigram's is its words' ids), which spare most lookups a second
 * cache miss on the term bytes.  Many lookups are of bigrams that are not
 * in the vocabulary, and a miss probes until an empty slot: load 1/4
 * measured ~6-8% faster per article than 1/2, for 16 bytes * 4 per term
 * (8 MB for the 72k-term topic index).
 *
 * Per-article work happens in a struct feat_scratch: the tokens and stems
 * of the article (shared by the tasks), each token's id in the last
 * unstemmed vocabulary (for links, feat.h), the term counts and a bitmap
 * of the ids counted, all reused, so a steady stream of articles makes no
 * heap allocation.  idf is derived from the stored document frequencies at
 * load time, so no floating-point text round trip is involved in a bundle.
 *
 * Settings that act before or after the tokeniser are applied here, when a
 * field is tokenised, so that the builder and the vectoriser see the same
 * tokens and the tasks of an article share them: TEXT_CLEAN_* clean the
 * field into its own buffer first (clean.h; the title gets only the HTML
 * cleaning), and TEXT_STOPWORDS marks the tokens that are stop words
 * (stopwords.h), whose unigrams are then not counted in a vector.  Their
 * bigrams stay: on the sentiment corpus, dropping them as well, or the
 * words before making bigrams, cost 6 to 9 points of macro-F1 in
 * cross-validation, against about one for the unigrams alone.  The
 * builder still counts stop words as terms, so that the vocabulary stays
 * closed (see count_field) and bigrams of stop words are keyed by ids:
 * such a term never gets a weight.  (Measured, leaving stop words out of
 * the vocabulary made vectorising with them ~25% slower, bigrams of a
 * stop word being looked up by their bytes.)  Without these flags the cost
 * is a test of the flags per field and one of a token flag per token.
 *
 * Tokens made with TEXT_NUMCMP also serve an unstemmed vocabulary without
 * it (and otherwise the same flags): text.h's tokens are then the same but
 * for the comparison tokens, which are left out (field_tokens).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libstemmer.h>

#include "buf.h"
#include "clean.h"
#include "feat.h"
#include "stopwords.h"
#include "text.h"
#include "xalloc.h"

#define VOCAB_MAGIC "# newsclass vocabulary 1"
#define VOCAB_MAX_CHARS (1u << 30)	/* term bytes; offsets are 32-bit */

/*
 * Index over terms stored elsewhere: a slot holds id + 1 (0 = empty), the
 * term's offset and a key, so that a lookup compares one word and most
 * often touches no term bytes, the second cache miss it would otherwise
 * cost:
 *   - a bigram both of whose words are terms (every bigram of a vocabulary
 *     without max_features pruning, see count_field) is keyed by the pair
 *     of their ids (pair_key), and its offset carries TERM_PAIR;
 *   - another term of at most TERM_SHORT_MAX bytes (most words) is keyed
 *     by its bytes (short_key);
 *   - a longer one by its hash, with TERM_LONG: the probe compares its
 *     bytes only when the hash matches.
 */
struct term_slot {
	uint32_t id1;
	uint32_t off;		/* TERM_LONG or TERM_PAIR | offset in chars */
	uint64_t key;
};

#define TERM_SHORT_MAX 8
#define TERM_LONG (UINT32_C(1) << 31)	/* offsets stay below 2^30 */
#define TERM_PAIR (UINT32_C(1) << 30)

struct term_index {
	struct term_slot *slot;
	size_t mask;
};

struct feat_vocab {
	struct feat_settings settings;
	char *chars;		/* all terms, each NUL-terminated */
	size_t *off;		/* term i starts at chars + off[i] */
	uint32_t *df;
	double *idf;
	size_t n;
	uint64_t n_docs;
	struct term_index index;
};


/*
 * One field's tokens as text.c gives them and, when the settings stem,
 * their stems.  Between feat_scratch_new_doc calls a field tokenised once
 * is reused by every vocabulary with the same flags (the tasks of one
 * article share the tokeniser's work).
 */
struct field {
	struct text_tokens tok;
	struct buf clean;		/* src cleaned, with TEXT_CLEAN_* */
	const char *src;		/* what tok was made from */
	size_t srclen;
	unsigned flags;
	int valid;
	struct buf stems;		/* stemmed tokens, NUL-separated */
	struct text_token *stok;	/* tokens into stems */
	size_t capstok;
	int stems_valid;
	/*
	 * uid[i]: the id of token i as a unigram of uid_of, the last
	 * unstemmed vocabulary that vectorised tok (NULL: none since tok
	 * was made).  With stems made through stems_link, sid[i] is stem
	 * i's id in the link's b, or FEAT_PROBE if it must be looked up,
	 * and a token whose id is known has no bytes in stems.
	 */
	int32_t *uid;
	const struct feat_vocab *uid_of;
	int32_t *sid;
	const struct feat_link *stems_link;
	size_t capid;
	/*
	 * With TEXT_NUMCMP in flags, ptok[0..nptok) is tok without the
	 * comparison tokens: tok as the flags without TEXT_NUMCMP make it,
	 * for an unstemmed vocabulary with those flags (text.h, field_plain).
	 */
	struct text_token *ptok;
	size_t nptok, capptok;
	int ptok_valid;
};

#define FEAT_PROBE INT32_MIN

/*
 * A token flag of feat.c's own, above text.h's TEXT_TOK_*: the token is a
 * stop word (TEXT_STOPWORDS).  Stems keep their word's flags.
 */
#define FEAT_TOK_STOP (UINT32_C(1) << 31)

/* The flags feat.c applies itself; text_tokenize gets the others. */
#define FEAT_OWN_FLAGS (TEXT_STEM | TEXT_CLEAN_HTML | \
	TEXT_CLEAN_BOILERPLATE | TEXT_STOPWORDS)

/*
 * A link from vocabulary a to vocabulary b, which has a's settings but
 * stems (see feat.h): for each id of a that is a word, its stem's hash and
 * its id in b (-1 if none); FEAT_PROBE for a's bigrams.
 */
struct link_ent {
	uint64_t shash;
	int32_t bid;
};

struct feat_link {
	const struct feat_vocab *a, *b;
	struct link_ent *ent;
};

/*
 * Stems of recent words: Snowball costs a few hundred instructions per
 * word and news repeats its words, so a small cache pays.  Slots hold the
 * word's key, the stem's hash (for the vocabulary lookups) and key, and
 * the offset of "word" then "stem" in bytes.  A key is short_key for at
 * most TERM_SHORT_MAX bytes, so that a hit on a short word with a short
 * stem (most of them) reads its slot and nothing else; a longer word's key
 * is its hash and its bytes are compared.  The cache is emptied when it
 * fills up, so its size stays bounded.
 */
#define STEM_SLOTS 32768		/* power of two */
#define STEM_MAX_FILL (STEM_SLOTS * 3 / 4)
#define STEM_MAX_WORD 64		/* longer words are not cached */
#define STEM_PREFETCH 8			/* tokens ahead */

struct stem_slot {
	uint64_t wkey;			/* the word's key */
	uint64_t shash;			/* text_hash of the stem */
	uint64_t skey;			/* the stem's key, if short */
	uint32_t off;			/* 0 = empty; else offset + 1 */
	uint8_t wlen, slen;
};

#define FEAT_LOGTF 64

struct feat_scratch {
	struct field field[2];		/* title, text */
	int shared;			/* set by feat_scratch_new_doc */
	struct sb_stemmer *stemmer;	/* created on first use */
	struct stopwords *stop;		/* created on first use */
	struct stem_slot *stem_slot;
	size_t stem_fill;
	struct buf stem_bytes;
	struct buf key;			/* the builder's bigram keys */
	/*
	 * Term counts of the document being vectorised: count[id] for every
	 * id below ncount (zero between documents), bit id of seen set when
	 * count[id] is not zero, and the number of such ids.  Walking the
	 * bitmap lists the ids in ascending order without sorting them; bit
	 * k of seen_sum says whether word k of seen is not zero, so that the
	 * walk visits only the words in use (~10^2 of ~10^3 for ~10^5 terms)
	 * and does not guess at a branch for every other.
	 */
	uint32_t *count;
	uint64_t *seen;
	uint64_t *seen_sum;
	size_t ncount;
	size_t nseen;
	/*
	 * 1 + ln(tf) for small term counts, made with log() when the
	 * scratch is made: the same values, without a libm call per term.
	 */
	double logtf[FEAT_LOGTF];
	uint64_t *hash;			/* bigram hashes of one field */
	size_t caphash;
};

/* Builder entries: every distinct term seen, with its document frequency. */
struct bterm {
	size_t off;		/* in chars */
	uint32_t len;
	uint32_t df;
	uint64_t last_doc;	/* last document counted, to count once */
};

struct feat_builder {
	struct feat_settings settings;
	struct buf chars;
	struct bterm *term;
	size_t n, cap;
	uint32_t *slot;		/* open addressing over term[], id + 1 */
	size_t mask;
	uint64_t n_docs;
	struct feat_scratch *scratch;
};

void
feat_settings_default(struct feat_settings *s)
{
	s->ngram_max = 2;
	s->title_weight = 2;
	s->text_flags = TEXT_NEGATION;
	s->sublinear_tf = 1;
	s->min_df = 2;
	s->max_features = 0;
}

int
feat_settings_check(const struct feat_settings *s, struct err *err)
{
	if (s->ngram_max < 1 || s->ngram_max > 2)
		return err_set(err, "ngram_max must be 1 or 2, not %d",
		    s->ngram_max);
	if (s->title_weight < 1 || s->title_weight > 100)
		return err_set(err, "title_weight must be 1..100, not %d",
		    s->title_weight);
	if (s->text_flags & ~(unsigned)(TEXT_NEGATION | TEXT_NUMCMP |
	    FEAT_OWN_FLAGS))
		return err_set(err, "unknown text flags 0x%x", s->text_flags);
	if (s->sublinear_tf != 0 && s->sublinear_tf != 1)
		return err_set(err, "sublinear_tf must be 0 or 1");
	if (s->min_df < 1)
		return err_set(err, "min_df must be >= 1, not %d", s->min_df);
	if (s->max_features < 0)
		return err_set(err, "max_features must be >= 0, not %d",
		    s->max_features);
	return 0;
}

/*
 * Hashes.  text_hash (text.h) hashes any bytes, eight at a time; it keys
 * the builder's table and the stem cache.  Vocabulary lookups use a term
 * hash built from token hashes: a unigram's is the hash of its token, a
 * bigram's combines the hashes of its two tokens, so every token of an
 * article is hashed once whatever the number of terms it is part of: by
 * the tokeniser, which leaves the hash in the token, and for a stem by
 * the stem cache.  Tokens never contain a space, so a stored bigram "a b"
 * splits back into its tokens.
 */
static inline uint64_t
pair_hash(uint64_t ha, uint64_t hb)
{
	return text_mix64(ha * 0x94d049bb133111ebULL + hb);
}

/* The lookup hash of a stored term (a token, or two joined by a space). */
static uint64_t
term_hash(const char *t, size_t len)
{
	const char *sp = memchr(t, ' ', len);

	if (sp == NULL)
		return text_hash(t, len);
	return pair_hash(text_hash(t, (size_t)(sp - t)),
	    text_hash(sp + 1, len - (size_t)(sp - t) - 1));
}

void
feat_vec_init(struct feat_vec *v)
{
	memset(v, 0, sizeof(*v));
}

void
feat_vec_release(struct feat_vec *v)
{
	free(v->idx);
	free(v->val);
	feat_vec_init(v);
}

static void
vec_reserve(struct feat_vec *v, size_t n)
{
	size_t cap;

	if (n <= v->cap)
		return;
	cap = v->cap ? v->cap : 64;
	while (cap < n)
		cap *= 2;
	v->idx = xreallocarray(v->idx, cap, sizeof(*v->idx));
	v->val = xreallocarray(v->val, cap, sizeof(*v->val));
	v->cap = cap;
}

struct feat_scratch *
feat_scratch_new(void)
{
	struct feat_scratch *s = xcalloc(1, sizeof(*s));
	int i;

	for (i = 1; i < FEAT_LOGTF; i++)
		s->logtf[i] = 1.0 + log((double)i);
	for (i = 0; i < 2; i++) {
		text_tokens_init(&s->field[i].tok);
		buf_init(&s->field[i].clean);
		buf_init(&s->field[i].stems);
	}
	buf_init(&s->stem_bytes);
	buf_init(&s->key);
	return s;
}

void
feat_scratch_destroy(struct feat_scratch **sp)
{
	struct feat_scratch *s = *sp;
	int i;

	if (s == NULL)
		return;
	for (i = 0; i < 2; i++) {
		text_tokens_release(&s->field[i].tok);
		buf_release(&s->field[i].clean);
		buf_release(&s->field[i].stems);
		free(s->field[i].stok);
		free(s->field[i].uid);
		free(s->field[i].sid);
		free(s->field[i].ptok);
	}
	if (s->stemmer)
		sb_stemmer_delete(s->stemmer);
	stopwords_destroy(&s->stop);
	free(s->stem_slot);
	buf_release(&s->stem_bytes);
	buf_release(&s->key);
	free(s->count);
	free(s->seen);
	free(s->seen_sum);
	free(s->hash);
	free(s);
	*sp = NULL;
}

void
feat_scratch_new_doc(struct feat_scratch *s)
{
	s->shared = 1;
	s->field[0].valid = s->field[1].valid = 0;
}

/*
 * The key of a term of 1..TERM_SHORT_MAX bytes: its bytes as a
 * little-endian number, zero above them.  Terms hold no NUL, so two short
 * terms have the same key only if they are equal.
 */
static inline uint64_t
short_key(const char *p, size_t n)
{
	uint64_t w;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (n == 8) {
		memcpy(&w, p, 8);
		return w;
	}
	return text_load_tail(p, n);
#else
	for (w = 0; n > 0; n--)
		w = w << 8 | (unsigned char)p[n - 1];
	return w;
#endif
}

/*
 * Append the Snowball English stem of w[0..len), whose text_hash is hash,
 * to out through the cache; return the stem's text_hash.
 */
static uint64_t
stem_word(struct feat_scratch *s, const char *w, size_t len, uint64_t hash,
    struct buf *out)
{
	struct stem_slot *sl = NULL;
	uint64_t shash, wkey;
	const sb_symbol *st;
	size_t h, slen;

	if (s->stemmer == NULL &&
	    (s->stemmer = sb_stemmer_new("english", "UTF_8")) == NULL)
		abort();	/* only on out of memory */
	wkey = len <= TERM_SHORT_MAX ? short_key(w, len) : hash;
	if (len <= STEM_MAX_WORD) {
		if (s->stem_slot == NULL)
			s->stem_slot = xcalloc(STEM_SLOTS, sizeof(*sl));
		for (h = hash & (STEM_SLOTS - 1); s->stem_slot[h].off;
		    h = (h + 1) & (STEM_SLOTS - 1)) {
			sl = &s->stem_slot[h];
			if (sl->wkey != wkey || sl->wlen != len ||
			    (len > TERM_SHORT_MAX && memcmp(s->stem_bytes.data +
			    sl->off - 1, w, len) != 0))
				continue;
			if (sl->slen <= TERM_SHORT_MAX) {
				buf_grow(out, 8);	/* key: bytes, zeros */
				memcpy(out->data + out->len, &sl->skey, 8);
				out->len += sl->slen;
				out->data[out->len] = '\0';
			} else {
				buf_add(out, s->stem_bytes.data + sl->off -
				    1 + len, sl->slen);
			}
			return sl->shash;
		}
		sl = &s->stem_slot[h];
	}
	st = sb_stemmer_stem(s->stemmer, (const sb_symbol *)w, (int)len);
	if (st == NULL)
		abort();	/* only on out of memory */
	slen = (size_t)sb_stemmer_length(s->stemmer);
	buf_add(out, st, slen);
	shash = text_hash((const char *)st, slen);
	if (sl == NULL || slen > STEM_MAX_WORD)
		return shash;
	if (s->stem_fill == STEM_MAX_FILL) {	/* full: start over */
		memset(s->stem_slot, 0, STEM_SLOTS * sizeof(*sl));
		buf_reset(&s->stem_bytes);
		s->stem_fill = 0;
		for (h = hash & (STEM_SLOTS - 1); s->stem_slot[h].off;
		    h = (h + 1) & (STEM_SLOTS - 1))
			;
		sl = &s->stem_slot[h];
	}
	sl->wkey = wkey;
	sl->shash = shash;
	sl->skey = slen <= TERM_SHORT_MAX ? short_key((const char *)st,
	    slen) : 0;
	sl->off = (uint32_t)s->stem_bytes.len + 1;
	sl->wlen = (uint8_t)len;
	sl->slen = (uint8_t)slen;
	buf_add(&s->stem_bytes, w, len);
	buf_add(&s->stem_bytes, st, slen);
	s->stem_fill++;
	return shash;
}

/*
 * Append the stem of token w[0..len) (text_hash hash) to out, keeping a
 * "!" negation prefix and leaving "<num>"-style tokens alone; return the
 * stem's text_hash.
 */
static uint64_t
stem_token(struct feat_scratch *s, const char *w, size_t len, uint64_t hash,
    struct buf *out)
{
	size_t start = out->len;

	if (w[w[0] == '!'] == '<') {
		buf_add(out, w, len);
		return hash;
	}
	if (w[0] != '!')
		return stem_word(s, w, len, hash, out);
	buf_addch(out, '!');
	stem_word(s, w + 1, len - 1, text_hash(w + 1, len - 1), out);
	return text_hash(out->data + start, out->len - start);
}

/*
 * Stem every token of f.  Through a link l whose a gave f its uid, a token
 * a knew takes its stem's hash and id from l and is not stemmed.
 */
static void
stem_field(struct feat_scratch *s, struct field *f, const struct feat_link *l)
{
	const struct text_tokens *t = &f->tok;
	const int32_t *uid = l != NULL ? f->uid : NULL;
	size_t i, j;

	if (t->n > f->capstok) {
		f->capstok = t->n;
		f->stok = xreallocarray(f->stok, t->n, sizeof(*f->stok));
	}
	buf_reset(&f->stems);
	for (i = 0; i < t->n; i++) {
		const struct text_token *w = &t->tok[i];
		struct text_token *k = &f->stok[i];

		/* Cache slots and link entries span megabytes: ask early. */
		if ((j = i + STEM_PREFETCH) < t->n) {
			if (uid != NULL && uid[j] >= 0)
				__builtin_prefetch(&l->ent[uid[j]]);
			else if (s->stem_slot != NULL)
				__builtin_prefetch(&s->stem_slot[
				    t->tok[j].hash & (STEM_SLOTS - 1)]);
		}

		*k = *w;
		k->off = (uint32_t)f->stems.len;
		if (uid != NULL && uid[i] >= 0) {
			const struct link_ent *e = &l->ent[uid[i]];

			k->hash = e->shash;
			k->len = 0;
			f->sid[i] = e->bid;
			continue;
		}
		if (uid != NULL)
			f->sid[i] = FEAT_PROBE;
		k->hash = stem_token(s, t->chars.data + w->off, w->len,
		    w->hash, &f->stems);
		k->len = (uint32_t)(f->stems.len - k->off);
		buf_addch(&f->stems, '\0');
	}
	f->stems_link = uid != NULL ? l : NULL;
}

/*
 * The tokens of one field for a vocabulary, tokenised if need be; pre[i],
 * if pre, is token i's unigram id when known (else FEAT_PROBE), and rec,
 * if not NULL, receives each token's unigram id.
 */
struct toks {
	const struct text_token *tok;
	const char *chars;
	size_t n;
	const int32_t *pre;
	int32_t *rec;
};

/*
 * Tokenise one field into f->tok, cleaned first if the flags say so.  An
 * error about invalid UTF-8 gives the offset in str, not in the cleaned
 * text; cleaning can join bytes that markup held apart, so a field that is
 * invalid only inside markup is accepted.
 */
static int
field_tokenize(struct feat_scratch *s, struct field *f, int which,
    unsigned flags, const char *str, size_t len, struct err *err)
{
	const char *in = str;
	size_t n = len, bad;
	unsigned cf = 0;

	if (flags & TEXT_CLEAN_HTML)
		cf |= CLEAN_HTML;
	if ((flags & TEXT_CLEAN_BOILERPLATE) && which == 1)
		cf |= CLEAN_BOILERPLATE;
	if (cf != 0) {
		if (clean_text(str, len, cf, &f->clean, err) == -1)
			return -1;
		in = f->clean.data;
		n = f->clean.len;
	}
	if (text_tokenize(in, n, flags & ~(unsigned)FEAT_OWN_FLAGS, &f->tok,
	    err) == -1) {
		if (cf != 0 && text_check_utf8(str, len, &bad) == -1)
			err_set(err, "invalid UTF-8 at byte %zu", bad);
		return -1;
	}
	if (flags & TEXT_STOPWORDS) {
		if (s->stop == NULL)
			s->stop = stopwords_new();
		stopwords_mark(s->stop, &f->tok, FEAT_TOK_STOP);
	}
	return 0;
}

/* Whether token w of chars is "<up>" or "<down>" (TEXT_NUMCMP's). */
static inline int
is_numcmp_token(const char *chars, const struct text_token *w)
{
	const char *c = chars + w->off;

	return c[0] == '<' && ((w->len == 4 && memcmp(c, "<up>", 4) == 0) ||
	    (w->len == 6 && memcmp(c, "<down>", 6) == 0));
}

/*
 * Copy f's tokens, made with TEXT_NUMCMP, to f->ptok without the
 * comparison tokens.  text.c adds those and nothing else, and never gives
 * them the clause break (clause_break emits a pending comparison before it
 * sets the break), so the rest is what the flags without TEXT_NUMCMP make,
 * token flags included (text.h; test_text and fuzz_text check it).  A
 * break on a comparison token would still be carried to the next token,
 * where the tokeniser would have left it.
 */
static void
field_plain(struct field *f)
{
	const struct text_tokens *t = &f->tok;
	uint32_t brk = 0;
	size_t i, n = 0;

	if (t->n > f->capptok) {
		f->capptok = t->n;
		f->ptok = xreallocarray(f->ptok, t->n, sizeof(*f->ptok));
	}
	for (i = 0; i < t->n; i++) {
		const struct text_token *w = &t->tok[i];

		if (is_numcmp_token(t->chars.data, w)) {
			brk |= w->flags & TEXT_TOK_BREAK;
			continue;
		}
		f->ptok[n] = *w;
		if (n > 0)	/* the first token never has one */
			f->ptok[n].flags |= brk;
		n++;
		brk = 0;
	}
	f->nptok = n;
	f->ptok_valid = 1;
}

static int
field_tokens(const struct feat_settings *st, const struct feat_vocab *v,
    const struct feat_link *l, struct feat_scratch *s, int which,
    const char *str, size_t len, struct toks *out, struct err *err)
{
	static const char *const name[] = { "title", "text" };
	struct field *f = &s->field[which];
	unsigned flags = st->text_flags & ~(unsigned)TEXT_STEM;
	int same = s->shared && f->valid && f->src == str && f->srclen == len;

	if (same && f->flags != flags && !(st->text_flags & TEXT_STEM) &&
	    f->flags == (flags | TEXT_NUMCMP)) {
		/* Unstemmed, and f's tokens but TEXT_NUMCMP's: see above. */
		if (!f->ptok_valid)
			field_plain(f);
		out->tok = f->ptok;
		out->chars = f->tok.chars.data;
		out->n = f->nptok;
		out->pre = NULL;
		out->rec = NULL;
		return 0;
	}
	if (!same || f->flags != flags) {
		f->valid = f->stems_valid = f->ptok_valid = 0;
		f->uid_of = NULL;
		if (field_tokenize(s, f, which, flags, str, len, err) == -1)
			return err_prefix(err, "%s", name[which]);
		f->src = str;
		f->srclen = len;
		f->flags = flags;
		f->valid = 1;
	}
	if (f->tok.n > f->capid) {
		f->capid = f->tok.n;
		f->uid = xreallocarray(f->uid, f->capid, sizeof(*f->uid));
		f->sid = xreallocarray(f->sid, f->capid, sizeof(*f->sid));
	}
	out->n = f->tok.n;
	out->pre = NULL;
	out->rec = NULL;
	if (st->text_flags & TEXT_STEM) {
		if (l != NULL && (l->b != v || f->uid_of != l->a))
			l = NULL;
		if (!s->shared || !f->stems_valid || f->stems_link != l) {
			stem_field(s, f, l);
			f->stems_valid = 1;
		}
		out->tok = f->stok;
		out->chars = f->stems.data;
		if (l != NULL)
			out->pre = f->sid;
	} else {
		out->tok = f->tok.tok;
		out->chars = f->tok.chars.data;
		if (v != NULL) {	/* the caller looks them all up */
			out->rec = f->uid;
			f->uid_of = v;
		}
	}
	return 0;
}

/*
 * Call fn for every term of one field's tokens: each unigram, then the
 * bigram with the next token unless a clause break separates them.  Used by
 * the builder; vectorising has its own loop that avoids building keys.
 */
typedef void term_fn(void *ctx, const char *term, size_t len);

static void
for_each_term(const struct feat_settings *st, const struct toks *t,
    struct buf *key, term_fn *fn, void *ctx)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct text_token *a = &t->tok[i], *b;

		fn(ctx, t->chars + a->off, a->len);
		if (st->ngram_max < 2 || i + 1 == t->n)
			continue;
		b = &t->tok[i + 1];
		if (b->flags & TEXT_TOK_BREAK)
			continue;
		buf_reset(key);
		buf_add(key, t->chars + a->off, a->len);
		buf_addch(key, ' ');
		buf_add(key, t->chars + b->off, b->len);
		fn(ctx, key->data, key->len);
	}
}

/* ---- vocabulary index ---- */

/*
 * Terms are short: a loop beats a call to memcmp.  t is NUL-terminated and
 * a has no NUL, so the loop stops at t's end.
 */
static inline int
same_bytes(const char *t, const char *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i] != a[i])
			return 0;
	return 1;
}

/*
 * Find the term a[0..la) (+ " " + b[0..lb) if b) whose hash is hash.  a
 * and b hold no NUL and no space, and la >= 1 if b.
 */
static inline int32_t
vocab_probe(const struct feat_vocab *v, uint64_t hash, const char *a,
    size_t la, const char *b, size_t lb)
{
	size_t n = b == NULL ? la : la + 1 + lb;
	size_t h = hash & v->index.mask;
	const struct term_slot *sl;
	uint64_t key;

	if (n > TERM_SHORT_MAX) {
		while ((sl = &v->index.slot[h])->id1 != 0) {
			if (sl->key == hash && (sl->off & TERM_LONG)) {
				const char *t = v->chars +
				    (sl->off & ~TERM_LONG);

				if (same_bytes(t, a, la) && (b == NULL ?
				    t[la] == '\0' : t[la] == ' ' &&
				    same_bytes(t + la + 1, b, lb) &&
				    t[la + 1 + lb] == '\0'))
					return (int32_t)(sl->id1 - 1);
			}
			h = (h + 1) & v->index.mask;
		}
		return -1;
	}
	if (n == 0)
		return -1;	/* no term is empty */
	key = la > 0 ? short_key(a, la) : 0;
	if (b != NULL)
		key |= (' ' | (lb > 0 ? short_key(b, lb) << 8 : 0)) <<
		    (8 * la);
	while ((sl = &v->index.slot[h])->id1 != 0) {
		if (sl->key == key && !(sl->off & (TERM_LONG | TERM_PAIR)))
			return (int32_t)(sl->id1 - 1);
		h = (h + 1) & v->index.mask;
	}
	return -1;
}

static inline uint64_t
pair_key(int32_t a, int32_t b)
{
	return (uint64_t)(uint32_t)a << 32 | (uint32_t)b;
}

/*
 * Find the bigram of the terms a and b (ids) whose hash is hash, keyed by
 * their ids: a bigram is, if both its words are terms (index_build).
 */
static inline int32_t
vocab_probe_pair(const struct feat_vocab *v, uint64_t hash, int32_t a,
    int32_t b)
{
	uint64_t key = pair_key(a, b);
	size_t h = hash & v->index.mask;
	const struct term_slot *sl;

	while ((sl = &v->index.slot[h])->id1 != 0) {
		if (sl->key == key && (sl->off & TERM_PAIR))
			return (int32_t)(sl->id1 - 1);
		h = (h + 1) & v->index.mask;
	}
	return -1;
}

/* Find the term t[0..len), a word or two joined by a space, hashed. */
static int32_t
vocab_find(const struct feat_vocab *v, const char *t, size_t len,
    uint64_t hash)
{
	const char *sp = memchr(t, ' ', len);
	size_t la;
	int32_t a, b;

	if (sp == NULL)
		return vocab_probe(v, hash, t, len, NULL, 0);
	la = (size_t)(sp - t);
	a = vocab_probe(v, text_hash(t, la), t, la, NULL, 0);
	b = vocab_probe(v, text_hash(sp + 1, len - la - 1), sp + 1,
	    len - la - 1, NULL, 0);
	if (a >= 0 && b >= 0)
		return vocab_probe_pair(v, hash, a, b);
	return vocab_probe(v, hash, t, la, sp + 1, len - la - 1);
}

/*
 * Words first, then bigrams, which are keyed by their words' ids when
 * both are terms.
 */
static void
index_build(struct feat_vocab *v)
{
	size_t cap = 16, i;
	int pass;

	while (cap < v->n * 4)	/* load factor <= 1/4: see the top */
		cap *= 2;
	v->index.slot = xcalloc(cap, sizeof(*v->index.slot));
	v->index.mask = cap - 1;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < v->n; i++) {
			const char *t = v->chars + v->off[i];
			size_t len = strlen(t), h;
			const char *sp = memchr(t, ' ', len);
			uint64_t hash = term_hash(t, len);
			struct term_slot *sl;
			int32_t a = -1, b = -1;

			if ((sp != NULL) != pass)
				continue;
			if (sp != NULL) {
				size_t la = (size_t)(sp - t);

				a = vocab_find(v, t, la, text_hash(t, la));
				b = vocab_find(v, sp + 1, len - la - 1,
				    text_hash(sp + 1, len - la - 1));
			}
			for (h = hash & v->index.mask; v->index.slot[h].id1;
			    h = (h + 1) & v->index.mask)
				;
			sl = &v->index.slot[h];
			sl->id1 = (uint32_t)i + 1;
			sl->off = (uint32_t)v->off[i];
			if (a >= 0 && b >= 0) {
				sl->key = pair_key(a, b);
				sl->off |= TERM_PAIR;
			} else if (len <= TERM_SHORT_MAX) {
				sl->key = short_key(t, len);
			} else {
				sl->key = hash;
				sl->off |= TERM_LONG;
			}
		}
	}
}

int32_t
feat_vocab_lookup(const struct feat_vocab *v, const char *term, size_t len)
{
	if (memchr(term, '\0', len) != NULL)
		return -1;
	return vocab_find(v, term, len, term_hash(term, len));
}

int
feat_vocab_reuses_tokens(const struct feat_vocab *a,
    const struct feat_vocab *b)
{
	unsigned fa = a->settings.text_flags & ~(unsigned)TEXT_STEM;
	unsigned fb = b->settings.text_flags & ~(unsigned)TEXT_STEM;

	return fa == fb || (!(b->settings.text_flags & TEXT_STEM) &&
	    !(fb & TEXT_NUMCMP) && fa == (fb | TEXT_NUMCMP));
}

/* ---- links ---- */

struct feat_link *
feat_link_new(const struct feat_vocab *a, const struct feat_vocab *b)
{
	const struct feat_settings *sa = &a->settings, *sb = &b->settings;
	struct feat_scratch *s;
	struct feat_link *l;
	struct buf stem;
	size_t i;

	if ((sa->text_flags & TEXT_STEM) ||
	    sb->text_flags != (sa->text_flags | TEXT_STEM) ||
	    sb->max_features != 0)	/* see count_field */
		return NULL;
	l = xcalloc(1, sizeof(*l));
	l->a = a;
	l->b = b;
	l->ent = xreallocarray(NULL, a->n ? a->n : 1, sizeof(*l->ent));
	s = feat_scratch_new();
	buf_init(&stem);
	for (i = 0; i < a->n; i++) {
		const char *t = a->chars + a->off[i];
		size_t len = strlen(t);
		struct link_ent *e = &l->ent[i];

		if (memchr(t, ' ', len) != NULL) {
			e->shash = 0;
			e->bid = FEAT_PROBE;
			continue;
		}
		buf_reset(&stem);
		e->shash = stem_token(s, t, len, text_hash(t, len), &stem);
		e->bid = vocab_probe(b, e->shash, stem.data, stem.len, NULL, 0);
	}
	buf_release(&stem);
	feat_scratch_destroy(&s);
	return l;
}

void
feat_link_destroy(struct feat_link **lp)
{
	if (*lp == NULL)
		return;
	free((*lp)->ent);
	free(*lp);
	*lp = NULL;
}

size_t
feat_vocab_size(const struct feat_vocab *v)
{
	return v->n;
}

const struct feat_settings *
feat_vocab_settings(const struct feat_vocab *v)
{
	return &v->settings;
}

const char *
feat_vocab_term(const struct feat_vocab *v, size_t i)
{
	return v->chars + v->off[i];
}

double
feat_vocab_idf(const struct feat_vocab *v, size_t i)
{
	return v->idf[i];
}

static void
vocab_compute_idf(struct feat_vocab *v)
{
	size_t i;

	v->idf = xreallocarray(NULL, v->n ? v->n : 1, sizeof(double));
	for (i = 0; i < v->n; i++)
		v->idf[i] = log((1.0 + (double)v->n_docs) /
		    (1.0 + (double)v->df[i])) + 1.0;
}

void
feat_vocab_destroy(struct feat_vocab **vp)
{
	struct feat_vocab *v = *vp;

	if (v == NULL)
		return;
	free(v->chars);
	free(v->off);
	free(v->df);
	free(v->idf);
	free(v->index.slot);
	free(v);
	*vp = NULL;
}

int
feat_vocab_save(const struct feat_vocab *v, const char *path, struct err *err)
{
	FILE *f;
	size_t i;

	if ((f = fopen(path, "w")) == NULL)
		return err_set(err, "cannot write '%s': %s", path,
		    strerror(errno));
	fprintf(f, "%s\ndocs\t%llu\nterms\t%zu\n", VOCAB_MAGIC,
	    (unsigned long long)v->n_docs, v->n);
	for (i = 0; i < v->n; i++)
		fprintf(f, "%s\t%u\n", v->chars + v->off[i], v->df[i]);
	if (fflush(f) != 0 || ferror(f)) {
		fclose(f);
		return err_set(err, "cannot write '%s': %s", path,
		    strerror(errno));
	}
	if (fclose(f) != 0)
		return err_set(err, "cannot write '%s': %s", path,
		    strerror(errno));
	return 0;
}

/* Parse "key\t<unsigned>" header lines. */
static int
parse_count(const char *line, const char *key, unsigned long long *out)
{
	size_t k = strlen(key);
	char *end;

	if (strncmp(line, key, k) != 0 || line[k] != '\t' ||
	    line[k + 1] < '0' || line[k + 1] > '9')
		return -1;
	errno = 0;
	*out = strtoull(line + k + 1, &end, 10);
	if (errno || *end != '\0')
		return -1;
	return 0;
}

int
feat_vocab_load(const char *path, const struct feat_settings *s,
    struct feat_vocab **out, struct err *err)
{
	struct feat_vocab *v = NULL;
	struct buf chars;
	unsigned long long docs, terms, df;
	char *line = NULL, *tab, *end;
	size_t cap = 0, lineno = 0, i = 0, tcap = 0;
	ssize_t len;
	FILE *f;
	int rc = -1;

	*out = NULL;
	buf_init(&chars);
	if (feat_settings_check(s, err) == -1)
		return err_prefix(err, "bad feature settings for '%s'", path);
	if ((f = fopen(path, "r")) == NULL)
		return err_set(err, "cannot open '%s': %s", path,
		    strerror(errno));

#define NEXT_LINE()							\
	((len = getline(&line, &cap, f)) > 0 && line[len - 1] == '\n' ?	\
	    (line[--len] = '\0', ++lineno, 1) : 0)

	if (!NEXT_LINE() || strcmp(line, VOCAB_MAGIC) != 0) {
		err_set(err, "%s:1: not a newsclass vocabulary (bad header)",
		    path);
		goto out_close;
	}
	if (!NEXT_LINE() || parse_count(line, "docs", &docs) == -1 ||
	    docs == 0) {
		err_set(err, "%s:2: expected 'docs<TAB>N' with N > 0", path);
		goto out_close;
	}
	if (!NEXT_LINE() || parse_count(line, "terms", &terms) == -1 ||
	    terms == 0 || terms > INT32_MAX) {
		err_set(err, "%s:3: expected 'terms<TAB>N' with N > 0", path);
		goto out_close;
	}
	v = xcalloc(1, sizeof(*v));
	v->settings = *s;
	v->n_docs = docs;
	for (i = 0; i < terms; i++) {
		/* Grow with the lines read: the header's count is untrusted. */
		if (i == tcap) {
			tcap = tcap ? tcap * 2 : 1024;
			if (tcap > terms)
				tcap = (size_t)terms;
			v->off = xreallocarray(v->off, tcap, sizeof(*v->off));
			v->df = xreallocarray(v->df, tcap, sizeof(*v->df));
		}
		if (!NEXT_LINE()) {
			err_set(err, "%s:%zu: truncated: %zu of %llu terms",
			    path, lineno + 1, i, terms);
			goto out_close;
		}
		if ((tab = strrchr(line, '\t')) == NULL || tab == line ||
		    memchr(line, '\0', (size_t)len) != NULL) {
			err_set(err, "%s:%zu: expected 'term<TAB>df'", path,
			    lineno);
			goto out_close;
		}
		*tab = '\0';
		errno = 0;
		df = strtoull(tab + 1, &end, 10);
		if (tab[1] < '0' || tab[1] > '9' || errno || *end != '\0' ||
		    df == 0 || df > docs) {
			err_set(err, "%s:%zu: df must be 1..%llu", path, lineno,
			    docs);
			goto out_close;
		}
		if (i > 0 && strcmp(chars.data + v->off[i - 1], line) >= 0) {
			err_set(err, "%s:%zu: term '%s' is duplicated or out "
			    "of order", path, lineno, line);
			goto out_close;
		}
		if (chars.len > VOCAB_MAX_CHARS) {
			err_set(err, "%s:%zu: vocabulary above %u bytes",
			    path, lineno, VOCAB_MAX_CHARS);
			goto out_close;
		}
		v->off[i] = chars.len;
		buf_add(&chars, line, (size_t)(tab - line) + 1);
		v->df[i] = (uint32_t)df;
		v->n = i + 1;
	}
	if (getline(&line, &cap, f) != -1) {
		err_set(err, "%s:%zu: more terms than the %llu announced",
		    path, lineno + 1, terms);
		goto out_close;
	}
#undef NEXT_LINE
	v->chars = buf_detach(&chars, NULL);
	vocab_compute_idf(v);
	index_build(v);
	*out = v;
	v = NULL;
	rc = 0;
out_close:
	fclose(f);
	free(line);
	buf_release(&chars);
	feat_vocab_destroy(&v);
	return rc;
}

/* ---- vectorising ---- */

static inline void
count_id(struct feat_scratch *s, int32_t id, uint32_t weight)
{
	if (id < 0)
		return;
	s->nseen += s->count[id] == 0;
	s->seen[id / 64] |= (uint64_t)1 << (id % 64);
	s->seen_sum[id / 4096] |= (uint64_t)1 << (id / 64 % 64);
	s->count[id] += weight;
}

/*
 * Look up every term of one field.  A bigram's hash continues from its
 * first token's, so no key is built and no byte is hashed twice.  Without
 * max_features pruning, a bigram can only be in the vocabulary if both its
 * words are (a word occurs in every document its bigrams occur in, so its
 * document frequency is at least theirs): then the lookup of a bigram with
 * an unknown word is skipped, and the vectors are the same.  A stop word
 * (TEXT_STOPWORDS) is looked up like any word, for its bigrams, but its
 * unigram is not counted.
 */
/*
 * How many tokens ahead count_field asks for the index slots it will
 * probe.  The index is larger than the caches.  Asking for every slot of
 * a field up front measured ~7% slower per article: hundreds of requests
 * at once, more than the core keeps in flight.
 */
#define SLOT_PREFETCH 16

/* Token k's id as a unigram: known, or looked up. */
static inline int32_t
unigram_id(const struct feat_vocab *v, const struct toks *t, size_t k)
{
	const struct text_token *a = &t->tok[k];

	if (t->pre != NULL && t->pre[k] != FEAT_PROBE)
		return t->pre[k];
	return vocab_probe(v, a->hash, t->chars + a->off, a->len, NULL, 0);
}

static void
count_field(const struct feat_vocab *v, struct feat_scratch *s,
    const struct toks *t, uint32_t weight)
{
	const struct term_slot *slot = v->index.slot;
	size_t mask = v->index.mask;
	int bigrams = v->settings.ngram_max >= 2;
	int closed = v->settings.max_features == 0;
	const int32_t *pre = t->pre;
	int32_t id, next = -1;
	uint64_t *h;
	size_t i, j;

	/* The tokens carry their hashes; h[i] is bigram (i, i + 1)'s. */
	if (t->n > s->caphash) {
		s->caphash = t->n;
		s->hash = xreallocarray(s->hash, t->n, sizeof(*s->hash));
	}
	h = s->hash;
	for (i = 0; bigrams && i + 1 < t->n; i++)
		h[i] = pair_hash(t->tok[i].hash, t->tok[i + 1].hash);
	for (j = 0; j < t->n && j < SLOT_PREFETCH; j++) {
		if (pre == NULL || pre[j] == FEAT_PROBE)
			__builtin_prefetch(&slot[t->tok[j].hash & mask]);
		if (bigrams && j + 1 < t->n)
			__builtin_prefetch(&slot[h[j] & mask]);
	}
	for (i = 0; i < t->n; i++) {
		const struct text_token *a = &t->tok[i], *b;
		const char *ac = t->chars + a->off, *bc;

		if ((j = i + SLOT_PREFETCH) < t->n) {
			if (pre == NULL || pre[j] == FEAT_PROBE)
				__builtin_prefetch(&slot[t->tok[j].hash &
				    mask]);
			if (bigrams && j + 1 < t->n)
				__builtin_prefetch(&slot[h[j] & mask]);
		}
		id = i > 0 && bigrams ? next : unigram_id(v, t, i);
		if (t->rec != NULL)
			t->rec[i] = id;
		count_id(s, a->flags & FEAT_TOK_STOP ? -1 : id, weight);
		if (!bigrams || i + 1 == t->n)
			continue;
		b = &t->tok[i + 1];
		bc = t->chars + b->off;
		next = unigram_id(v, t, i + 1);
		if ((b->flags & TEXT_TOK_BREAK) ||
		    (closed && (id < 0 || next < 0)))
			continue;
		count_id(s, id >= 0 && next >= 0 ?
		    vocab_probe_pair(v, h[i], id, next) :
		    vocab_probe(v, h[i], ac, a->len, bc, b->len), weight);
	}
}

int
feat_vectorize(const struct feat_vocab *v, const char *title, size_t tlen,
    const char *text, size_t xlen, struct feat_scratch *s,
    struct feat_vec *out, struct err *err)
{
	return feat_vectorize_linked(v, NULL, title, tlen, text, xlen, s, out,
	    err);
}

/*
 * Counts to weights: tf (or 1 + ln tf, from the table logtf when given),
 * times idf, L2-normalised.  The one place vectors are weighed, for
 * serving and for the trainer's re-weighed counts alike.
 */
static void
vec_weigh(const struct feat_settings *st, const double *idf,
    const double *logtf, struct feat_vec *out)
{
	double norm = 0.0;
	size_t i, n = out->n;

	for (i = 0; i < n; i++) {
		double tf = out->val[i];

		if (st->sublinear_tf)
			tf = logtf != NULL && tf < FEAT_LOGTF ?
			    logtf[(int)tf] : 1.0 + log(tf);
		out->val[i] = tf * idf[out->idx[i]];
		norm += out->val[i] * out->val[i];
	}
	if (norm > 0.0) {
		norm = 1.0 / sqrt(norm);
		for (i = 0; i < n; i++)
			out->val[i] *= norm;
	}
}

/* Count the document's terms into out; raw: leave the counts unweighed. */
static int
vectorize_doc(const struct feat_vocab *v, const struct feat_link *l,
    const char *title, size_t tlen, const char *text, size_t xlen,
    struct feat_scratch *s, int raw, struct feat_vec *out, struct err *err)
{
	const struct feat_settings *st = &v->settings;
	size_t nwords = (v->n + 63) / 64;
	struct toks t;
	size_t i, j, n = 0;
	int rc = 0;

	out->n = 0;
	if (s->ncount < v->n) {
		free(s->count);
		free(s->seen);
		free(s->seen_sum);
		s->count = xcalloc(v->n, sizeof(*s->count));
		s->seen = xcalloc(nwords, sizeof(*s->seen));
		s->seen_sum = xcalloc((nwords + 63) / 64, sizeof(*s->seen_sum));
		s->ncount = v->n;
	}
	s->nseen = 0;
	if (field_tokens(st, v, l, s, 0, title, tlen, &t, err) == -1)
		return -1;
	count_field(v, s, &t, (uint32_t)st->title_weight);
	if (field_tokens(st, v, l, s, 1, text, xlen, &t, err) == -1)
		rc = -1;
	else
		count_field(v, s, &t, 1);

	/* The ids counted, ascending; counts and bits go back to zero. */
	if (rc == 0)
		vec_reserve(out, s->nseen);
	for (j = 0; j < (nwords + 63) / 64; j++) {
		uint64_t sw = s->seen_sum[j], w;

		for (s->seen_sum[j] = 0; sw != 0; sw &= sw - 1) {
			i = j * 64 + (size_t)__builtin_ctzll(sw);
			w = s->seen[i];
			s->seen[i] = 0;
			for (; w != 0; w &= w - 1) {
				int32_t id = (int32_t)(i * 64 +
				    (size_t)__builtin_ctzll(w));

				if (rc == 0) {
					out->idx[n] = id;
					out->val[n++] = s->count[id];
				}
				s->count[id] = 0;
			}
		}
	}
	if (rc == -1)
		return -1;
	out->n = n;
	if (!raw)
		vec_weigh(st, v->idf, s->logtf, out);
	return 0;
}

int
feat_vectorize_linked(const struct feat_vocab *v, const struct feat_link *l,
    const char *title, size_t tlen, const char *text, size_t xlen,
    struct feat_scratch *s, struct feat_vec *out, struct err *err)
{
	return vectorize_doc(v, l, title, tlen, text, xlen, s, 0, out, err);
}

int
feat_count(const struct feat_vocab *v, const char *title, size_t tlen,
    const char *text, size_t xlen, struct feat_scratch *s,
    struct feat_vec *out, struct err *err)
{
	return vectorize_doc(v, NULL, title, tlen, text, xlen, s, 1, out, err);
}

void
feat_weigh(const struct feat_settings *st, const double *idf,
    struct feat_vec *x)
{
	vec_weigh(st, idf, NULL, x);
}

/* ---- builder ---- */

struct feat_builder *
feat_builder_new(const struct feat_settings *s)
{
	struct feat_builder *b = xcalloc(1, sizeof(*b));

	b->settings = *s;
	buf_init(&b->chars);
	b->mask = 1023;
	b->slot = xcalloc(b->mask + 1, sizeof(uint32_t));
	b->scratch = feat_scratch_new();
	return b;
}

void
feat_builder_destroy(struct feat_builder **bp)
{
	struct feat_builder *b = *bp;

	if (b == NULL)
		return;
	buf_release(&b->chars);
	free(b->term);
	free(b->slot);
	feat_scratch_destroy(&b->scratch);
	free(b);
	*bp = NULL;
}

static void
builder_rehash(struct feat_builder *b)
{
	size_t i;

	free(b->slot);
	b->mask = b->mask * 2 + 1;
	b->slot = xcalloc(b->mask + 1, sizeof(uint32_t));
	for (i = 0; i < b->n; i++) {
		size_t h = text_hash(b->chars.data + b->term[i].off,
		    b->term[i].len) & b->mask;

		while (b->slot[h])
			h = (h + 1) & b->mask;
		b->slot[h] = (uint32_t)i + 1;
	}
}

static void
count_term(void *ctx, const char *term, size_t len)
{
	struct feat_builder *b = ctx;
	size_t h = text_hash(term, len) & b->mask;
	struct bterm *t;
	uint32_t s;

	while ((s = b->slot[h]) != 0) {
		t = &b->term[s - 1];
		if (t->len == len &&
		    memcmp(b->chars.data + t->off, term, len) == 0) {
			if (t->last_doc != b->n_docs) {
				t->last_doc = b->n_docs;
				t->df++;
			}
			return;
		}
		h = (h + 1) & b->mask;
	}
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 1024;
		b->term = xreallocarray(b->term, b->cap, sizeof(*b->term));
	}
	t = &b->term[b->n];
	t->off = b->chars.len;
	t->len = (uint32_t)len;
	t->df = 1;
	t->last_doc = b->n_docs;
	buf_add(&b->chars, term, len);
	buf_addch(&b->chars, '\0');
	b->slot[h] = (uint32_t)++b->n;
	if (b->n * 2 > b->mask)
		builder_rehash(b);
}

int
feat_builder_add(struct feat_builder *b, const char *title, size_t tlen,
    const char *text, size_t xlen, struct err *err)
{
	struct toks t;
	size_t i;

	b->n_docs++;
	if (field_tokens(&b->settings, NULL, NULL, b->scratch, 0, title, tlen,
	    &t, err) == -1)
		goto fail;
	for_each_term(&b->settings, &t, &b->scratch->key, count_term, b);
	if (field_tokens(&b->settings, NULL, NULL, b->scratch, 1, text, xlen,
	    &t, err) == -1)
		goto fail;
	for_each_term(&b->settings, &t, &b->scratch->key, count_term, b);
	return 0;
fail:
	/* Terms of a rejected document may have been counted: undo them. */
	for (i = 0; i < b->n; i++)
		if (b->term[i].last_doc == b->n_docs) {
			b->term[i].df--;
			b->term[i].last_doc = 0;
		}
	b->n_docs--;
	return -1;
}

/* qsort has no context argument: sort (pointer into chars, df) pairs. */
struct bsort {
	const char *term;
	uint32_t df;
};

static int
by_df_then_term(const void *a, const void *b)
{
	const struct bsort *x = a, *y = b;

	if (x->df != y->df)
		return x->df > y->df ? -1 : 1;
	return strcmp(x->term, y->term);
}

static int
by_term(const void *a, const void *b)
{
	const struct bsort *x = a, *y = b;

	return strcmp(x->term, y->term);
}

int
feat_builder_finish(struct feat_builder *b, struct feat_vocab **out,
    struct err *err)
{
	struct feat_vocab *v;
	struct bsort *keep;
	struct buf chars;
	size_t i, n = 0, total;

	*out = NULL;
	keep = xreallocarray(NULL, b->n ? b->n : 1, sizeof(*keep));
	for (i = 0; i < b->n; i++) {
		if (b->term[i].df < (uint32_t)b->settings.min_df)
			continue;
		keep[n].term = b->chars.data + b->term[i].off;
		keep[n].df = b->term[i].df;
		n++;
	}
	if (b->settings.max_features > 0 &&
	    n > (size_t)b->settings.max_features) {
		qsort(keep, n, sizeof(*keep), by_df_then_term);
		n = (size_t)b->settings.max_features;
	}
	if (n == 0) {
		free(keep);
		return err_set(err, "no term occurs in at least %d documents "
		    "(%llu documents seen)", b->settings.min_df,
		    (unsigned long long)b->n_docs);
	}
	qsort(keep, n, sizeof(*keep), by_term);

	for (i = 0, total = 0; i < n; i++)
		total += strlen(keep[i].term) + 1;
	if (total > VOCAB_MAX_CHARS) {
		free(keep);
		return err_set(err, "vocabulary above %u bytes: raise min_df "
		    "or set max_features", VOCAB_MAX_CHARS);
	}
	v = xcalloc(1, sizeof(*v));
	v->settings = b->settings;
	v->n = n;
	v->n_docs = b->n_docs;
	v->off = xreallocarray(NULL, n, sizeof(*v->off));
	v->df = xreallocarray(NULL, n, sizeof(*v->df));
	buf_init(&chars);
	for (i = 0; i < n; i++) {
		v->off[i] = chars.len;
		buf_add(&chars, keep[i].term, strlen(keep[i].term) + 1);
		v->df[i] = keep[i].df;
	}
	v->chars = buf_detach(&chars, NULL);
	free(keep);
	vocab_compute_idf(v);
	index_build(v);
	*out = v;
	return 0;
}
