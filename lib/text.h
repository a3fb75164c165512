/*
 * text.h - the tokeniser: UTF-8 text in, normalised tokens out.
 *
 * One implementation serves training, offline classification and the daemon.
 * Text must be valid UTF-8 (overlong forms, surrogates and code points above
 * U+10FFFF are invalid).  Each code point is decomposed with compatibility
 * mappings and case-folded (utf8proc), combining marks are dropped (so
 * "Café" and "cafe" meet), and tokens are split at Unicode category
 * boundaries:
 *   - letters (L*) and marks form words; an apostrophe (U+0027, U+2019)
 *     between letters stays inside the word as "'" ("don't"), a trailing
 *     possessive "'s" is dropped;
 *   - digits form numbers (with inner "." or "," as in "1,200.5"), emitted as
 *     the token "<num>" so that figures generalise;
 *   - code points of scripts written without spaces (Han, Hiragana,
 *     Katakana, Thai, Lao, Khmer, Myanmar) become overlapping character
 *     bigrams (a lone character stays a unigram);
 *   - clause punctuation (. , ; : ! ? and their full-width forms, dashes,
 *     brackets, quotes) ends a clause: the next token carries
 *     TEXT_TOK_BREAK, so n-grams and negation scopes do not cross it;
 *   - everything else (symbols, controls, zero-width and bidi characters)
 *     separates tokens and is dropped.
 * With TEXT_NEGATION, tokens after a negator ("not", "no", "never",
 * "without", "nor", words ending in "n't", ...) up to the end of the clause
 * are prefixed with "!".
 * With TEXT_NUMCMP, the phrases "from <num> to <num>" and "to <num> from
 * <num>" (units, currencies and scale words in between are allowed) add the
 * token "<up>" or "<down>" comparing the two figures.  That is all the flag
 * changes: without those tokens, which never carry TEXT_TOK_BREAK, the
 * tokens are the same as without it, flags and hashes included (feat.c
 * serves vocabularies of both from one tokenisation).
 *
 * Tokens are written into a caller-owned struct text_tokens that is reused
 * between calls; once it has grown, tokenising makes no heap allocation.
 */
#ifndef NC_TEXT_H
#define NC_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "err.h"

/*
 * Flags of text_tokenize, and of struct feat_settings (feat.h), which
 * applies the others itself: text_tokenize ignores them.
 */
enum {
	TEXT_NEGATION = 1u << 0,
	TEXT_NUMCMP = 1u << 1,
	TEXT_STEM = 1u << 2,	/* feat.c: Snowball English stems */
	TEXT_CLEAN_HTML = 1u << 3,	/* feat.c: clean.h CLEAN_HTML first */
	TEXT_CLEAN_BOILERPLATE = 1u << 4, /* feat.c: CLEAN_BOILERPLATE (text) */
	TEXT_STOPWORDS = 1u << 5,	/* feat.c: no stop word unigrams */
};

enum {
	TEXT_TOK_BREAK = 1u << 0,	/* a clause boundary precedes this token */
};

struct text_token {
	uint32_t off;	/* byte offset of the token in text_tokens.chars */
	uint32_t len;	/* length in bytes, no NUL in between */
	uint32_t flags;	/* TEXT_TOK_* */
	uint64_t hash;	/* text_hash of the token's bytes */
};

struct text_tokens {
	struct buf chars;		/* token bytes, each followed by NUL */
	struct text_token *tok;
	size_t n;
	size_t cap;
};

/* Final mixing of a 64-bit hash (also combines bigram hashes, feat.c). */
static inline uint64_t
text_mix64(uint64_t h)
{
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ULL;
	h ^= h >> 32;
	return h;
}

/*
 * The last 1..7 bytes of a key as memcpy(&w, p, n) into a zeroed w would
 * give them.  Most tokens are shorter than eight bytes, and a memcpy of a
 * variable length is a library call; on little-endian machines two
 * overlapping fixed-size loads do it (the bytes they share are equal).
 */
static inline uint64_t
text_load_tail(const char *p, size_t n)
{
	uint64_t w = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint32_t a, b;
	uint16_t c, d;

	if (n >= 4) {
		memcpy(&a, p, 4);
		memcpy(&b, p + n - 4, 4);
		w = a | (uint64_t)b << (8 * (n - 4));
	} else if (n >= 2) {
		memcpy(&c, p, 2);
		memcpy(&d, p + n - 2, 2);
		w = c | (uint64_t)d << (8 * (n - 2));
	} else {
		w = (unsigned char)p[0];
	}
#else
	memcpy(&w, p, n);
#endif
	return w;
}

/*
 * The hash of s[0..len) that keys vocabulary lookups (feat.c) and that
 * the tokeniser stores in each token, so that a token's bytes are hashed
 * once while they are still in cache.  Eight bytes at a time; the length
 * goes in so "a" and "a\0" differ.  Only in-memory tables use it.
 */
static inline uint64_t
text_hash(const char *s, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ len, w;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 31;
	}
	if (i < len) {
		w = text_load_tail(s + i, len - i);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
	}
	return text_mix64(h);
}

void text_tokens_init(struct text_tokens *t);
void text_tokens_release(struct text_tokens *t);

/*
 * Return 0 if s[0..len) is valid UTF-8, otherwise -1 with *bad_at set to the
 * offset of the first invalid byte (bad_at may be NULL).
 */
int text_check_utf8(const char *s, size_t len, size_t *bad_at);

/*
 * Tokenise s[0..len) into out (emptied first) with the TEXT_* flags.
 * Returns 0, or -1 on invalid UTF-8 with err set to
 * "invalid UTF-8 at byte N"; out is then empty.
 */
int text_tokenize(const char *s, size_t len, unsigned flags,
    struct text_tokens *out, struct err *err);

#endif
