/*
 * stopwords.c - the English stop word list and a hash set over it.
 *
 * Source: the Snowball project's English stop word list,
 * snowballstem.org/algorithms/english/stop.txt (Martin Porter; Snowball
 * is BSD-3-Clause), all 174 words in its order, pronouns first.  Debian
 * ships the same list in liblingua-stopwords-perl (Lingua::StopWords::EN);
 * PostgreSQL's english.stop is the list without the contractions.  The
 * forms in "'s" never match a token, since the tokeniser drops a final
 * "'s" ("it's" is "it"); they are kept so that the list stays the source's.
 *
 * The set is open addressing over STOP_SLOTS slots (load < 1/2), keyed by
 * the words' text_hash, which every token already carries: a lookup is
 * one or two probes in a 4 KB table and a comparison of at most ten bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "stopwords.h"
#include "text.h"
#include "xalloc.h"

#define STOP_SLOTS 512		/* power of two, > 2 * the list */

static const char *const words[] = {
	"i", "me", "my", "myself", "we", "our", "ours", "ourselves", "you",
	"your", "yours", "yourself", "yourselves", "he", "him", "his",
	"himself", "she", "her", "hers", "herself", "it", "its", "itself",
	"they", "them", "their", "theirs", "themselves", "what", "which",
	"who", "whom", "this", "that", "these", "those", "am", "is", "are",
	"was", "were", "be", "been", "being", "have", "has", "had", "having",
	"do", "does", "did", "doing", "would", "should", "could", "ought",
	"i'm", "you're", "he's", "she's", "it's", "we're", "they're", "i've",
	"you've", "we've", "they've", "i'd", "you'd", "he'd", "she'd", "we'd",
	"they'd", "i'll", "you'll", "he'll", "she'll", "we'll", "they'll",
	"isn't", "aren't", "wasn't", "weren't", "hasn't", "haven't", "hadn't",
	"doesn't", "don't", "didn't", "won't", "wouldn't", "shan't",
	"shouldn't", "can't", "cannot", "couldn't", "mustn't", "let's",
	"that's", "who's", "what's", "here's", "there's", "when's", "where's",
	"why's", "how's", "a", "an", "the", "and", "but", "if", "or",
	"because", "as", "until", "while", "of", "at", "by", "for", "with",
	"about", "against", "between", "into", "through", "during", "before",
	"after", "above", "below", "to", "from", "up", "down", "in", "out",
	"on", "off", "over", "under", "again", "further", "then", "once",
	"here", "there", "when", "where", "why", "how", "all", "any", "both",
	"each", "few", "more", "most", "other", "some", "such", "no", "nor",
	"not", "only", "own", "same", "so", "than", "too", "very",
};

#define NWORDS (sizeof(words) / sizeof(words[0]))

struct stop_slot {
	uint64_t hash;
	uint16_t word;		/* index + 1; 0 = empty */
	uint16_t len;
};

struct stopwords {
	struct stop_slot slot[STOP_SLOTS];
};

struct stopwords *
stopwords_new(void)
{
	struct stopwords *sw = xcalloc(1, sizeof(*sw));
	size_t i, h, len;
	uint64_t hash;

	for (i = 0; i < NWORDS; i++) {
		len = strlen(words[i]);
		hash = text_hash(words[i], len);
		for (h = hash & (STOP_SLOTS - 1); sw->slot[h].word != 0;
		    h = (h + 1) & (STOP_SLOTS - 1))
			;
		sw->slot[h].hash = hash;
		sw->slot[h].word = (uint16_t)(i + 1);
		sw->slot[h].len = (uint16_t)len;
	}
	return sw;
}

void
stopwords_destroy(struct stopwords **sp)
{
	free(*sp);
	*sp = NULL;
}

/* Words are short: a loop beats a call to memcmp. */
static inline int
same_bytes(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

static inline int
has(const struct stopwords *sw, const char *w, size_t len, uint64_t hash)
{
	const struct stop_slot *sl;
	size_t h;

	for (h = hash & (STOP_SLOTS - 1); (sl = &sw->slot[h])->word != 0;
	    h = (h + 1) & (STOP_SLOTS - 1))
		if (sl->hash == hash && sl->len == len &&
		    same_bytes(words[sl->word - 1], w, len))
			return 1;
	return 0;
}

int
stopwords_has(const struct stopwords *sw, const char *w, size_t len,
    uint64_t hash)
{
	return has(sw, w, len, hash);
}

void
stopwords_mark(const struct stopwords *sw, struct text_tokens *t,
    uint32_t flag)
{
	struct text_token *k;
	const char *w;
	size_t i;

	for (i = 0; i < t->n; i++) {
		k = &t->tok[i];
		w = t->chars.data + k->off;
		if (w[0] != '!') {
			if (k->len <= STOPWORDS_LEN_MAX &&
			    has(sw, w, k->len, k->hash))
				k->flags |= flag;
		} else if (k->len >= 2 && k->len <= STOPWORDS_LEN_MAX + 1 &&
		    has(sw, w + 1, k->len - 1, text_hash(w + 1, k->len - 1))) {
			k->flags |= flag;
		}
	}
}

size_t
stopwords_count(void)
{
	return NWORDS;
}

const char *
stopwords_word(size_t i)
{
	return i < NWORDS ? words[i] : NULL;
}
