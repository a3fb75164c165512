/*
 * fuzz_feat.c - libFuzzer target for features: tokenise + look up +
 * weight + normalise, on arbitrary bytes.
 *
 * The input is split into a title and a text (at its first 0x01 byte, if
 * any) and vectorised with nine small vocabularies (unigrams; bigrams with
 * and without max_features pruning; negation and number comparisons on;
 * negation with and without stemming; the same two with stop words;
 * cleaning of HTML and boilerplate) built once from a fixed training
 * set.  Each vector is checked against a
 * reference written here the slow, obvious way - the fields cleaned by
 * clean_text, every unigram (but stop words, found by a scan of the list:
 * they are terms that get no weight) and bigram found by its string with a binary search of the sorted terms,
 * counted, weighted, idf, L2 - so the fast path (the hash index and its
 * keys, hashes carried from token to bigram, bigrams of unknown words
 * skipped, prefetching, the counting scratch) must give the same ids and
 * the same values.  feat_vocab_lookup must agree with the binary search.
 * The vocabularies share one scratch and document, in order, so the
 * negation vocabulary right after the one with number comparisons reuses
 * its tokens without the comparisons (feat_vocab_reuses_tokens).
 * Vectorising again with the same scratch, and with a fresh one, must give
 * the same vector, and so must vectorising each stemmed vocabulary through
 * a link from its unstemmed twin (feat_vectorize_linked).  Invalid UTF-8
 * must fail in both (cleaning may make it valid by removing markup).  A
 * crash, a sanitizer report or a failed check (abort) is a finding.
 */
#include <libstemmer.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clean.h"
#include "err.h"
#include "feat.h"
#include "stopwords.h"
#include "text.h"

#define NVOCAB 9
#define PLAIN 4		/* vocab[PLAIN + 1] is vocab[PLAIN] with stemming */
#define STOP 6		/* the same pair, with stop words */
#define CLEAN 8		/* cleaning: the fields may be valid only cleaned */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Built once by LLVMFuzzerInitialize; read-only afterwards. */
static struct feat_vocab *vocab[NVOCAB];
static struct feat_link *link, *stop_link;
static struct sb_stemmer *stemmer;

static const char *const train[] = {
	"Shares fell after the bank cut its forecast for the year",
	"The bank said profits rose from 5 to 7 per cent, not more",
	"Rain and wind hit the coast; the storm is not over yet",
	"The storm cut power to the coast and the bank closed early",
	"Profits fell, shares rose: the market never sleeps",
	"Le marché a baissé. Zürich, São Paulo et Tōkyō aussi",
	"東京の株価は下がった。市場は不安定だ",
	"Wind power shares rose as the year ended",
	"Stemming: the banks are closing, the banking stocks closed lower",
	("<p>The <b>bank</b> &amp; the storm</p><script>var x;</script>\n"
	    "Share this\nRead more\n<p>Shares rose &mdash; not more</p>"),
};

static void
check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_feat: %s\n", what);
		abort();
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct feat_settings st[NVOCAB];
	struct err err;
	size_t i, k;

	(void)argc;
	(void)argv;
	for (k = 0; k < NVOCAB; k++) {
		feat_settings_default(&st[k]);
		st[k].min_df = 1;
		st[k].text_flags = 0;
	}
	st[0].ngram_max = 1;
	st[1].title_weight = 3;
	st[2].max_features = 12;	/* open: bigrams of unknown words */
	st[3].text_flags = TEXT_NEGATION | TEXT_NUMCMP;
	st[3].sublinear_tf = 0;
	st[PLAIN].text_flags = TEXT_NEGATION;
	st[PLAIN + 1].text_flags = TEXT_NEGATION | TEXT_STEM;
	st[STOP].text_flags = TEXT_NEGATION | TEXT_STOPWORDS;
	st[STOP + 1].text_flags = TEXT_NEGATION | TEXT_STOPWORDS | TEXT_STEM;
	st[CLEAN].text_flags = TEXT_CLEAN_HTML | TEXT_CLEAN_BOILERPLATE;
	for (k = 0; k < NVOCAB; k++) {
		struct feat_builder *b = feat_builder_new(&st[k]);

		for (i = 0; i < sizeof(train) / sizeof(train[0]); i++)
			check(feat_builder_add(b, "", 0, train[i],
			    strlen(train[i]), &err) == 0, err.msg);
		check(feat_builder_finish(b, &vocab[k], &err) == 0, err.msg);
		feat_builder_destroy(&b);
	}
	check(feat_vocab_reuses_tokens(vocab[3], vocab[PLAIN]) &&
	    !feat_vocab_reuses_tokens(vocab[PLAIN], vocab[3]),
	    "negation does not reuse the comparisons' tokens");
	link = feat_link_new(vocab[PLAIN], vocab[PLAIN + 1]);
	check(link != NULL, "no link between twins");
	stop_link = feat_link_new(vocab[STOP], vocab[STOP + 1]);
	check(stop_link != NULL, "no link between twins with stop words");
	check(feat_link_new(vocab[0], vocab[PLAIN + 1]) == NULL &&
	    feat_link_new(vocab[PLAIN + 1], vocab[PLAIN]) == NULL,
	    "a link between vocabularies that are not twins");
	stemmer = sb_stemmer_new("english", "UTF_8");
	check(stemmer != NULL, "no stemmer");
	return 0;
}

/*
 * t with every word replaced by its Snowball stem, a "!" negation prefix
 * kept and "<num>"-style tokens left alone, as feat.c must do.
 */
static void
ref_stem(const struct text_tokens *t, struct text_tokens *out)
{
	size_t i;

	out->tok = realloc(out->tok, (t->n ? t->n : 1) * sizeof(*out->tok));
	check(out->tok != NULL, "out of memory");
	out->cap = out->n = t->n;
	buf_reset(&out->chars);
	for (i = 0; i < t->n; i++) {
		const char *w = t->chars.data + t->tok[i].off;
		size_t len = t->tok[i].len, neg = w[0] == '!';
		struct text_token *k = &out->tok[i];

		*k = t->tok[i];
		k->off = (uint32_t)out->chars.len;
		if (w[neg] == '<') {
			buf_add(&out->chars, w, len);
		} else {
			const sb_symbol *st = sb_stemmer_stem(stemmer,
			    (const sb_symbol *)w + neg, (int)(len - neg));

			check(st != NULL, "out of memory");
			buf_add(&out->chars, w, neg);
			buf_add(&out->chars, st,
			    (size_t)sb_stemmer_length(stemmer));
		}
		k->len = (uint32_t)(out->chars.len - k->off);
		k->hash = text_hash(out->chars.data + k->off, k->len);
		buf_addch(&out->chars, '\0');
	}
}

/* Is w[0..len) (a "!" prefix aside) in the stop word list?  A scan. */
static int
ref_is_stop(const char *w, size_t len)
{
	size_t i;
	const char *sw;

	if (len > 0 && w[0] == '!') {
		w++;
		len--;
	}
	for (i = 0; (sw = stopwords_word(i)) != NULL; i++)
		if (strlen(sw) == len && memcmp(sw, w, len) == 0)
			return 1;
	return 0;
}

/* The id of term[0..len) by binary search of the sorted terms, or -1. */
static int32_t
ref_lookup(const struct feat_vocab *v, const char *term, size_t len)
{
	size_t lo = 0, hi = feat_vocab_size(v);
	int32_t id = -1;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *t = feat_vocab_term(v, mid);
		int c = strncmp(t, term, len);

		if (c == 0)
			c = t[len] != '\0' || memchr(term, '\0', len) != NULL;
		if (c == 0) {
			id = (int32_t)mid;
			break;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	check(feat_vocab_lookup(v, term, len) == id,
	    "feat_vocab_lookup differs from the binary search");
	return id;
}

/*
 * Count every term of one field by its string, as the reference; stop[i]
 * (if stop) says token i's word is a stop word.
 */
static void
ref_count(const struct feat_vocab *v, const struct text_tokens *t,
    const char *stop, double weight, double *count, struct buf *key)
{
	const struct feat_settings *st = feat_vocab_settings(v);
	size_t i;
	int32_t id;

	for (i = 0; i < t->n; i++) {
		const struct text_token *a = &t->tok[i], *b;

		id = ref_lookup(v, t->chars.data + a->off, a->len);
		if (id >= 0 && (stop == NULL || !stop[i]))
			count[id] += weight;
		if (st->ngram_max < 2 || i + 1 == t->n)
			continue;
		b = &t->tok[i + 1];
		if (b->flags & TEXT_TOK_BREAK)
			continue;
		buf_reset(key);
		buf_add(key, t->chars.data + a->off, a->len);
		buf_addch(key, ' ');
		buf_add(key, t->chars.data + b->off, b->len);
		id = ref_lookup(v, key->data, key->len);
		if (id >= 0)
			count[id] += weight;
	}
}

/* The reference vector of title/text for v, compared with got. */
static void
check_reference(const struct feat_vocab *v, const char *title, size_t tlen,
    const char *text, size_t xlen, const struct feat_vec *got)
{
	const struct feat_settings *st = feat_vocab_settings(v);
	size_t n = feat_vocab_size(v), i, k = 0;
	unsigned tf = st->text_flags & (TEXT_NEGATION | TEXT_NUMCMP);
	struct text_tokens tt, xt;
	double *count = calloc(n, sizeof(double)), norm = 0.0;
	char *tstop = NULL, *xstop = NULL;
	struct buf key, ct, cx;
	struct err err;

	check(count != NULL, "out of memory");
	text_tokens_init(&tt);
	text_tokens_init(&xt);
	buf_init(&key);
	buf_init(&ct);
	buf_init(&cx);
	if (st->text_flags & TEXT_CLEAN_HTML) {
		check(clean_text(title, tlen, CLEAN_HTML, &ct, &err) == 0 &&
		    clean_text(text, xlen, CLEAN_HTML | ((st->text_flags &
		    TEXT_CLEAN_BOILERPLATE) ? CLEAN_BOILERPLATE : 0), &cx,
		    &err) == 0, "cannot clean");
		title = ct.data;
		tlen = ct.len;
		text = cx.data;
		xlen = cx.len;
	}
	check(text_tokenize(title, tlen, tf, &tt, &err) == 0 &&
	    text_tokenize(text, xlen, tf, &xt, &err) == 0,
	    "the reference cannot tokenise what feat_vectorize took");
	if (st->text_flags & TEXT_STOPWORDS) {
		tstop = calloc(tt.n + 1, 1);
		xstop = calloc(xt.n + 1, 1);
		check(tstop != NULL && xstop != NULL, "out of memory");
		for (i = 0; i < tt.n; i++)
			tstop[i] = (char)ref_is_stop(tt.chars.data +
			    tt.tok[i].off, tt.tok[i].len);
		for (i = 0; i < xt.n; i++)
			xstop[i] = (char)ref_is_stop(xt.chars.data +
			    xt.tok[i].off, xt.tok[i].len);
	}
	if (st->text_flags & TEXT_STEM) {
		struct text_tokens words = tt;

		text_tokens_init(&tt);
		ref_stem(&words, &tt);
		text_tokens_release(&words);
		words = xt;
		text_tokens_init(&xt);
		ref_stem(&words, &xt);
		text_tokens_release(&words);
	}
	ref_count(v, &tt, tstop, st->title_weight, count, &key);
	ref_count(v, &xt, xstop, 1, count, &key);
	for (i = 0; i < n; i++) {
		if (count[i] == 0)
			continue;
		if (st->sublinear_tf)
			count[i] = 1.0 + log(count[i]);
		count[i] *= feat_vocab_idf(v, i);
		norm += count[i] * count[i];
	}
	for (i = 0; i < n; i++) {
		if (count[i] == 0)
			continue;
		check(k < got->n, "a term of the reference is missing");
		check(got->idx[k] == (int32_t)i, "ids differ from the reference");
		check(fabs(got->val[k] - count[i] / sqrt(norm)) <= 1e-12,
		    "a value differs from the reference");
		k++;
	}
	check(k == got->n, "a term the reference does not have");
	free(tstop);
	free(xstop);
	buf_release(&ct);
	buf_release(&cx);
	buf_release(&key);
	text_tokens_release(&xt);
	text_tokens_release(&tt);
	free(count);
}

static int
same_vec(const struct feat_vec *a, const struct feat_vec *b)
{
	return a->n == b->n &&
	    (a->n == 0 || (memcmp(a->idx, b->idx, a->n * sizeof(*a->idx)) == 0 &&
	    memcmp(a->val, b->val, a->n * sizeof(*a->val)) == 0));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *cut = memchr(s, 1, size);
	size_t tlen = cut ? (size_t)(cut - s) : 0;
	const char *text = cut ? cut + 1 : s;
	size_t xlen = size - (cut ? tlen + 1 : 0);
	struct feat_scratch *shared = feat_scratch_new();
	struct feat_vec v[NVOCAB], again, fresh;
	struct err err;
	size_t k;
	int rc[NVOCAB];

	feat_vec_init(&again);
	feat_vec_init(&fresh);
	/* One document, every vocabulary, tokens shared between them. */
	feat_scratch_new_doc(shared);
	for (k = 0; k < NVOCAB; k++) {
		feat_vec_init(&v[k]);
		rc[k] = feat_vectorize(vocab[k], s, tlen, text, xlen, shared,
		    &v[k], &err);
		check(rc[k] == rc[0] || (k == CLEAN && rc[0] != 0),
		    "vocabularies disagree on validity");
	}
	for (k = 0; k < NVOCAB && rc[0] == 0; k++) {
		struct feat_scratch *one = feat_scratch_new();

		check_reference(vocab[k], s, tlen, text, xlen, &v[k]);
		check(feat_vectorize(vocab[k], s, tlen, text, xlen, shared,
		    &again, &err) == 0 && same_vec(&v[k], &again),
		    "the same scratch gives another vector");
		check(feat_vectorize(vocab[k], s, tlen, text, xlen, one,
		    &fresh, &err) == 0 && same_vec(&v[k], &fresh),
		    "a fresh scratch gives another vector");
		feat_scratch_destroy(&one);
	}
	for (k = PLAIN; k <= STOP && rc[0] == 0; k += STOP - PLAIN) {
		/* Through the link, after its source. */
		struct feat_scratch *one = feat_scratch_new();

		feat_scratch_new_doc(one);
		check(feat_vectorize(vocab[k], s, tlen, text, xlen, one,
		    &again, &err) == 0 && feat_vectorize_linked(
		    vocab[k + 1], k == PLAIN ? link : stop_link, s, tlen, text,
		    xlen, one, &fresh, &err) == 0 &&
		    same_vec(&v[k + 1], &fresh),
		    "a linked vocabulary gives another vector");
		feat_scratch_destroy(&one);
	}
	for (k = 0; k < NVOCAB; k++)
		feat_vec_release(&v[k]);
	feat_vec_release(&fresh);
	feat_vec_release(&again);
	feat_scratch_destroy(&shared);
	return 0;
}
