/*
 * text.c - the tokeniser: one pass over UTF-8 text, tokens out.
 *
 * Each code point is decoded (bytes below 0x80 go through a table, no
 * utf8proc call), decomposed with compatibility mappings and case folding
 * (utf8proc_decompose_char into a stack array: at most 18 code points come
 * out of one, U+FDFA), and every resulting code point is classified and fed
 * to a small state machine.  Tokens are built in place at the end of
 * out->chars, so once chars and tok have grown nothing is allocated.
 *
 * Decisions the header leaves open:
 *   - marks (Mn, Mc, Me) and format characters (Cf: zero-width joiners, bidi
 *     controls, soft hyphen, BOM) are skipped as if absent, so they never
 *     split a word; U+200B ZERO WIDTH SPACE is a space.  Marks are dropped in
 *     every script, Thai vowel signs and kana voicing marks included.
 *   - A token that starts with a letter keeps later digits ("mp3", "g20",
 *     "covid19") and "." or "," between a digit and a digit ("v1.2").  A token
 *     that starts with a digit is a number: "<num>", and letters right after
 *     it start a new word, so "10m" is "<num>" "m", "$1.13bn" is "<num>"
 *     "bn", "4g" is "<num>" "g".  Symbols are dropped: "76%" is "<num>".
 *   - A number's value (for TEXT_NUMCMP) uses ASCII digits only; "," is a
 *     thousands separator, except that a number with no "." and one ","
 *     not followed by exactly three digits reads it as a decimal comma
 *     ("10,5").  Two dots, other digits or more than 30 digits: no value.
 *   - An apostrophe (U+0027, U+2019) not between two letters of a word is a
 *     plain separator, not a clause break ("the companies' results").  A
 *     possessive split off by an earlier tokeniser ("company 's") is dropped
 *     like a trailing one.
 *   - U+002D and U+2010 between two alphanumerics ("state-owned", "2009-10")
 *     separate without a clause break; any other dash is a break.
 *   - A blank line (two newlines with only white space between) or U+2029
 *     is a break; a single newline is white space, since news is often
 *     hard-wrapped.  The first token never carries TEXT_TOK_BREAK.
 *   - Words of scripts written with spaces stay whole (Hangul syllables are
 *     not split into jamo).  Within runs of the spaceless scripts, letters
 *     and non-decimal numerals (U+3007) make bigrams; decimal digits make
 *     numbers.
 *   - "<num>", "<up>" and "<down>" never take the negation prefix.
 *
 * Limits: the input must fit in 32 bits, and so must out->chars (checked
 * once per input code point, which can add at most a few hundred bytes).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "buf.h"
#include "err.h"
#include "text.h"
#include "xalloc.h"

/* Leave room for what one input code point can add after the check. */
#define TEXT_CHARS_MAX	((size_t)UINT32_MAX - 65536)
#define TEXT_DECOMP_MAX	32
#define NUM_DIGITS_MAX	30
#define NUMCMP_FILL_MAX	3

/* Classes of normalised code points. */
enum {
	TC_IGNORE,	/* as if absent: marks, format characters */
	TC_SPACE,	/* white space and controls */
	TC_SEP,		/* symbols and other punctuation */
	TC_NEWLINE,
	TC_LETTER,
	TC_DIGIT,
	TC_NOSPACE,	/* letter of a script written without spaces */
	TC_APOS,
	TC_DOT,
	TC_COMMA,
	TC_HYPHEN,
	TC_BREAK,
};

#define S TC_SPACE
#define X TC_SEP
#define N TC_NEWLINE
#define L TC_LETTER
#define D TC_DIGIT
#define A TC_APOS
#define P TC_DOT
#define C TC_COMMA
#define H TC_HYPHEN
#define B TC_BREAK
static const unsigned char ascii_class[128] = {
	S, S, S, S, S, S, S, S, S, S, N, S, S, S, S, S,	/* 00 */
	S, S, S, S, S, S, S, S, S, S, S, S, S, S, S, S,	/* 10 */
	S, B, B, X, X, X, X, A, B, B, X, X, C, H, P, X,	/* 20 */
	D, D, D, D, D, D, D, D, D, D, B, B, X, X, X, B,	/* 30 */
	X, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L,	/* 40 */
	L, L, L, L, L, L, L, L, L, L, L, B, X, B, X, X,	/* 50 */
	X, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L,	/* 60 */
	L, L, L, L, L, L, L, L, L, L, L, B, X, B, X, S,	/* 70 */
};
#undef S
#undef X
#undef N
#undef L
#undef D
#undef A
#undef P
#undef C
#undef H
#undef B

/*
 * ASCII letters and digits as word_run appends them (letters folded to
 * lower case), 0 for every other byte, so that the loop over a word is
 * one lookup per byte.  Agrees with ascii_class: TC_LETTER and TC_DIGIT.
 */
static const unsigned char word_byte[256] = {
	[0x30] = '0', '1', '2', '3', '4', '5', '6', '7', '8', '9',
	[0x41] = 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l',
	'm', 'n', 'o', 'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z',
	[0x61] = 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l',
	'm', 'n', 'o', 'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z',
};

/* What is being built at the end of out->chars. */
enum {
	M_NONE,
	M_WORD,
	M_NUM,
	M_NOSPACE,
};

/* Kinds of emitted token, for negation and number comparison. */
enum {
	K_WORD,
	K_NUM,
	K_NOSPACE,
};

enum {
	NC_IDLE,
	NC_KW1,		/* saw "to" or "from" */
	NC_NUM1,	/* saw the first figure */
	NC_KW2,		/* saw the other keyword */
	NC_NUM2,	/* saw the second figure; a scale word may follow */
};

struct numcmp {
	int stage;
	int to_first;	/* the first keyword was "to": new value first */
	int fill;	/* unit tokens in the current gap */
	int after_num;	/* the previous token was the figure */
	double v1, v2;
};

struct tok_state {
	struct text_tokens *out;
	struct buf *b;
	unsigned flags;
	int mode;
	int pend;		/* '\'', '.', ',' or '-' awaiting the next */
	size_t start;		/* offset of the token being built */
	int last_digit;		/* word: the last code point was a digit */
	int after_apos;		/* the last class was a stray apostrophe */
	int lead_apos;		/* the word follows a stray apostrophe */
	/* number being read */
	double mant;
	int ndig, ndot, ncomma, after_sep, after_dot, num_ok;
	/* run of a spaceless script */
	unsigned char prev[4];
	int prevlen;
	size_t run;
	int nl;			/* newlines since the last non-space */
	int brk;		/* a clause break precedes the next token */
	int neg;		/* inside a negation scope */
	struct numcmp nc;
};

struct word {
	const char *w;
	size_t len;
	double scale;	/* units: 1 for a plain unit */
};

#define W(s, v)	{ s, sizeof(s) - 1, v }

/* Units, currencies and scale words allowed around compared figures. */
static const struct word units[] = {
	W("k", 1e3), W("thousand", 1e3), W("thousands", 1e3),
	W("m", 1e6), W("mn", 1e6), W("mln", 1e6), W("million", 1e6),
	W("millions", 1e6),
	W("b", 1e9), W("bn", 1e9), W("bln", 1e9), W("billion", 1e9),
	W("billions", 1e9),
	W("tn", 1e12), W("trillion", 1e12),
	W("eur", 1), W("euro", 1), W("euros", 1), W("usd", 1), W("us", 1),
	W("dollar", 1), W("dollars", 1), W("gbp", 1), W("pound", 1),
	W("pounds", 1), W("sterling", 1), W("jpy", 1), W("yen", 1),
	W("cny", 1), W("rmb", 1), W("yuan", 1), W("chf", 1),
	W("francs", 1), W("sek", 1), W("nok", 1), W("dkk", 1),
	W("kr", 1), W("crowns", 1), W("kronor", 1), W("rub", 1),
	W("roubles", 1), W("rubles", 1), W("inr", 1), W("rupees", 1),
	W("pct", 1), W("percent", 1), W("per", 1), W("cent", 1),
	W("percentage", 1), W("point", 1), W("points", 1), W("pts", 1),
	W("bps", 1), W("basis", 1),
};

static const struct word negators[] = {
	W("not", 0), W("no", 0), W("never", 0), W("without", 0), W("nor", 0),
	W("neither", 0), W("cannot", 0), W("none", 0), W("nobody", 0),
	W("nothing", 0),
};

#undef W

static int
is_nospace(int32_t cp)
{
	if (cp < 0x0E00)
		return 0;
	if (cp <= 0x0EFF)				/* Thai, Lao */
		return 1;
	if (cp >= 0x1000 && cp <= 0x109F)		/* Myanmar */
		return 1;
	if (cp >= 0x1780 && cp <= 0x17FF)		/* Khmer */
		return 1;
	if (cp >= 0x3005 && cp <= 0x3007)		/* 々 〆 〇 */
		return 1;
	if (cp >= 0x3040 && cp <= 0x30FF)		/* kana */
		return 1;
	if (cp >= 0x31F0 && cp <= 0x31FF)
		return 1;
	if (cp >= 0x3400 && cp <= 0x4DBF)		/* Han */
		return 1;
	if (cp >= 0x4E00 && cp <= 0x9FFF)
		return 1;
	if (cp >= 0xF900 && cp <= 0xFAFF)
		return 1;
	if (cp >= 0xFF66 && cp <= 0xFF9F)		/* half-width kana */
		return 1;
	if (cp >= 0x20000 && cp <= 0x3FFFF)		/* Han extensions */
		return 1;
	return 0;
}

/* Other punctuation (Po) outside ASCII that ends a clause. */
static int
is_break_po(int32_t cp)
{
	switch (cp) {
	case 0x00A1: case 0x00BF: case 0x037E: case 0x0589: case 0x060C:
	case 0x061B: case 0x061F: case 0x06D4: case 0x0964: case 0x0965:
	case 0x104A: case 0x104B: case 0x1362: case 0x1367: case 0x1368:
	case 0x17D4: case 0x17D5: case 0x3001: case 0x3002: case 0xFF61:
	case 0xFF64:
		return 1;
	}
	return 0;
}

/* Class of a normalised code point at or above 0x80. */
static int
classify(int32_t cp)
{
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
		return is_nospace(cp) ? TC_NOSPACE : TC_LETTER;
	case UTF8PROC_CATEGORY_ND:
		return TC_DIGIT;
	case UTF8PROC_CATEGORY_NL:
	case UTF8PROC_CATEGORY_NO:
		return is_nospace(cp) ? TC_NOSPACE : TC_DIGIT;
	case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC:
	case UTF8PROC_CATEGORY_ME:
		return TC_IGNORE;
	case UTF8PROC_CATEGORY_CF:
		return cp == 0x200B ? TC_SPACE : TC_IGNORE;
	case UTF8PROC_CATEGORY_ZS:
		return TC_SPACE;
	case UTF8PROC_CATEGORY_ZL:
		return TC_NEWLINE;
	case UTF8PROC_CATEGORY_ZP:
		return TC_BREAK;
	case UTF8PROC_CATEGORY_CC:
		return cp == 0x85 ? TC_NEWLINE : TC_SPACE;
	case UTF8PROC_CATEGORY_PD:
		return cp == 0x2010 ? TC_HYPHEN : TC_BREAK;
	case UTF8PROC_CATEGORY_PS:
	case UTF8PROC_CATEGORY_PE:
	case UTF8PROC_CATEGORY_PI:
		return TC_BREAK;
	case UTF8PROC_CATEGORY_PF:
		return cp == 0x2019 ? TC_APOS : TC_BREAK;
	case UTF8PROC_CATEGORY_PO:
		return is_break_po(cp) ? TC_BREAK : TC_SEP;
	default:
		return TC_SEP;
	}
}

/* Ensure room for n more bytes plus a NUL. */
static inline void
reserve(struct buf *b, size_t n)
{
	if (b->cap - b->len <= n)
		buf_grow(b, n);
}

static inline void
put_byte(struct tok_state *st, int c)
{
	reserve(st->b, 1);
	st->b->data[st->b->len++] = (char)c;
}

static void
put_bytes(struct tok_state *st, const void *p, size_t n)
{
	reserve(st->b, n);
	memcpy(st->b->data + st->b->len, p, n);
	st->b->len += n;
}

static inline void
put_cp(struct tok_state *st, int32_t cp)
{
	if (cp < 0x80) {
		put_byte(st, (int)cp);
		return;
	}
	reserve(st->b, 4);
	st->b->len += (size_t)utf8proc_encode_char(cp,
	    (utf8proc_uint8_t *)st->b->data + st->b->len);
}

/*
 * Append a token entry for bytes already in place; the first entry after
 * a break carries it.
 */
static inline void
push_tok(struct tok_state *st, size_t off, size_t len)
{
	struct text_tokens *t = st->out;
	struct text_token *k;

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 256;
		t->tok = xreallocarray(t->tok, t->cap, sizeof(*t->tok));
	}
	k = &t->tok[t->n++];
	k->off = (uint32_t)off;
	k->len = (uint32_t)len;
	k->flags = st->brk ? TEXT_TOK_BREAK : 0;
	k->hash = text_hash(st->b->data + off, len);
	st->brk = 0;
}

/* Append a whole token that is not built in place. */
static void
push_str(struct tok_state *st, const char *s)
{
	size_t len = strlen(s), off = st->b->len;

	put_bytes(st, s, len + 1);
	st->b->data[st->b->len] = '\0';
	push_tok(st, off, len);
}

static int
is_negator(const char *w, size_t wl)
{
	size_t i;

	if (wl >= 3 && memcmp(w + wl - 3, "n't", 3) == 0)
		return 1;
	if (wl < 2 || wl > 7 || (w[0] != 'n' && w[0] != 'w' && w[0] != 'c'))
		return 0;
	for (i = 0; i < sizeof(negators) / sizeof(negators[0]); i++)
		if (negators[i].len == wl && memcmp(negators[i].w, w, wl) == 0)
			return 1;
	return 0;
}

/* 0 if w is not a unit word, else its scale (1 for plain units). */
static double
unit_scale(const char *w, size_t wl)
{
	size_t i;

	if (wl > 10)
		return 0;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (units[i].len == wl && memcmp(units[i].w, w, wl) == 0)
			return units[i].scale;
	return 0;
}

/* 1 for "to", 2 for "from", else 0. */
static int
numcmp_keyword(const char *w, size_t wl)
{
	if (wl == 2 && w[0] == 't' && w[1] == 'o')
		return 1;
	if (wl == 4 && memcmp(w, "from", 4) == 0)
		return 2;
	return 0;
}

static const char *
numcmp_result(const struct numcmp *nc)
{
	double now = nc->to_first ? nc->v1 : nc->v2;
	double old = nc->to_first ? nc->v2 : nc->v1;

	if (now > old)
		return "<up>";
	if (now < old)
		return "<down>";
	return NULL;
}

/*
 * Advance the comparison over one token.  A finished comparison is emitted
 * before this token, or after it when the token is the second figure's
 * scale word.
 */
static void
numcmp_feed(struct numcmp *nc, int kind, const char *w, size_t wl, double v,
    int vok, const char **before, const char **after)
{
	double sc = 0;
	int kw = 0, was_num;

	if (kind == K_WORD) {
		kw = numcmp_keyword(w, wl);
		if (kw == 0 && nc->stage != NC_IDLE)
			sc = unit_scale(w, wl);
	}
	if (nc->stage == NC_NUM2) {
		nc->stage = NC_IDLE;
		if (nc->after_num && sc > 1) {
			nc->v2 *= sc;
			*after = numcmp_result(nc);
			nc->after_num = 0;
			return;
		}
		*before = numcmp_result(nc);
	}
	was_num = nc->after_num;
	nc->after_num = 0;
	switch (nc->stage) {
	case NC_KW1:
	case NC_KW2:
		if (kind == K_NUM && vok) {
			if (nc->stage == NC_KW1) {
				nc->v1 = v;
				nc->stage = NC_NUM1;
			} else {
				nc->v2 = v;
				nc->stage = NC_NUM2;
			}
			nc->fill = 0;
			nc->after_num = 1;
			return;
		}
		if (sc > 0 && nc->fill < NUMCMP_FILL_MAX) {
			nc->fill++;
			return;
		}
		break;
	case NC_NUM1:
		if (kw != 0 && (kw == 1) != nc->to_first) {
			nc->stage = NC_KW2;
			nc->fill = 0;
			return;
		}
		if (sc > 0 && nc->fill < NUMCMP_FILL_MAX) {
			if (was_num)
				nc->v1 *= sc;
			nc->fill++;
			return;
		}
		break;
	}
	nc->stage = NC_IDLE;
	if (kw != 0) {
		nc->stage = NC_KW1;
		nc->to_first = kw == 1;
		nc->fill = 0;
	}
}

/* Emit a comparison still waiting for a scale word. */
static void
numcmp_flush(struct tok_state *st)
{
	const char *r;

	if (st->nc.stage == NC_NUM2) {
		r = numcmp_result(&st->nc);
		if (r != NULL)
			push_str(st, r);
	}
	st->nc.stage = NC_IDLE;
	st->nc.after_num = 0;
}

/*
 * Turn the bytes at st->start.. into a token: add the comparison token and
 * the negation prefix in front if needed, NUL-terminate, record it.
 */
static void
emit_marked(struct tok_state *st, int kind, double v, int vok)
{
	struct buf *b = st->b;
	const char *before = NULL, *after = NULL;
	size_t wl = b->len - st->start, bl = 0, pl;
	int negator = 0, bang = 0;
	char *w;

	if (st->flags & TEXT_NUMCMP)
		numcmp_feed(&st->nc, kind, b->data + st->start, wl, v, vok,
		    &before, &after);
	if (st->flags & TEXT_NEGATION) {
		if (kind == K_WORD && is_negator(b->data + st->start, wl))
			negator = 1;
		else if (st->neg && kind != K_NUM)
			bang = 1;
	}
	if (before != NULL)
		bl = strlen(before) + 1;
	pl = bl + (size_t)bang;
	if (pl > 0) {
		reserve(b, pl + 1);
		w = b->data + st->start;
		memmove(w + pl, w, wl);
		if (bl > 0) {
			memcpy(w, before, bl);
			push_tok(st, st->start, bl - 1);
		}
		if (bang)
			w[bl] = '!';
		b->len += pl;
	}
	push_tok(st, st->start + bl, wl + (size_t)bang);
	put_byte(st, '\0');
	b->data[b->len] = '\0';
	if (after != NULL)
		push_str(st, after);
	if (negator)
		st->neg = 1;
}

/*
 * emit_marked, with the common cases inline: neither flag, or TEXT_NUMCMP
 * alone outside a comparison and not at a keyword, where numcmp_feed only
 * clears after_num.
 */
static inline void
emit(struct tok_state *st, int kind, double v, int vok)
{
	if (st->flags & (TEXT_NUMCMP | TEXT_NEGATION)) {
		if ((st->flags & TEXT_NEGATION) || st->nc.stage != NC_IDLE ||
		    (kind == K_WORD && numcmp_keyword(st->b->data + st->start,
		    st->b->len - st->start))) {
			emit_marked(st, kind, v, vok);
			return;
		}
		st->nc.after_num = 0;
	}
	push_tok(st, st->start, st->b->len - st->start);
	put_byte(st, '\0');
	st->b->data[st->b->len] = '\0';
}

static void
end_word(struct tok_state *st)
{
	struct buf *b = st->b;
	size_t wl = b->len - st->start;

	/* A possessive "'s" adds nothing to the word, nor does a split one. */
	if (wl >= 3 && b->data[b->len - 2] == '\'' &&
	    b->data[b->len - 1] == 's')
		b->len -= 2;
	if (st->lead_apos && wl == 1 && b->data[st->start] == 's') {
		b->len = st->start;
		b->data[b->len] = '\0';
		return;
	}
	emit(st, K_WORD, 0, 0);
}

static double
pow10i(int n)
{
	double p = 1;

	while (n-- > 0)
		p *= 10;
	return p;
}

static void
end_num(struct tok_state *st)
{
	double v = st->mant;
	int ok = st->num_ok && st->ndot <= 1;

	if (st->ndot == 1)
		v /= pow10i(st->after_dot);
	else if (st->ncomma == 1 && st->after_sep != 3)
		v /= pow10i(st->after_sep);	/* decimal comma */
	st->start = st->b->len;
	put_bytes(st, "<num>", 5);
	emit(st, K_NUM, v, ok);
}

static void
end_token(struct tok_state *st)
{
	switch (st->mode) {
	case M_WORD:
		end_word(st);
		break;
	case M_NUM:
		end_num(st);
		break;
	case M_NOSPACE:
		if (st->run == 1) {
			st->start = st->b->len;
			put_bytes(st, st->prev, (size_t)st->prevlen);
			emit(st, K_NOSPACE, 0, 0);
		}
		break;
	}
	st->mode = M_NONE;
}

static void
clause_break(struct tok_state *st)
{
	numcmp_flush(st);
	st->neg = 0;
	if (st->out->n > 0)
		st->brk = 1;
}

static void
num_digit(struct tok_state *st, int32_t cp)
{
	if (cp >= '0' && cp <= '9' && st->ndig < NUM_DIGITS_MAX)
		st->mant = st->mant * 10 + (cp - '0');
	else
		st->num_ok = 0;
	st->ndig++;
	st->after_sep++;
	if (st->ndot > 0)
		st->after_dot++;
}

static void
nospace_char(struct tok_state *st, int32_t cp)
{
	if (st->run > 0) {
		st->start = st->b->len;
		put_bytes(st, st->prev, (size_t)st->prevlen);
		put_cp(st, cp);
		emit(st, K_NOSPACE, 0, 0);
	}
	st->prevlen = (int)utf8proc_encode_char(cp, st->prev);
	st->run++;
}

/* Settle a pending apostrophe, separator or hyphen given the next class. */
static void
resolve_pending(struct tok_state *st, int cls)
{
	int p = st->pend;

	st->pend = 0;
	switch (p) {
	case '\'':
		if (cls == TC_LETTER)
			put_byte(st, '\'');
		else
			end_token(st);
		break;
	case '.':
	case ',':
		if (cls == TC_DIGIT) {
			if (st->mode == M_WORD) {
				put_byte(st, p);
			} else {
				if (p == '.')
					st->ndot++;
				else
					st->ncomma++;
				st->after_sep = 0;
			}
		} else {
			end_token(st);
			clause_break(st);
		}
		break;
	case '-':
		if (cls != TC_LETTER && cls != TC_DIGIT && cls != TC_NOSPACE)
			clause_break(st);
		break;
	}
}

/* Feed one normalised code point (ASCII already folded) of class cls. */
static void
feed(struct tok_state *st, int32_t cp, int cls)
{
	int after_apos;

	if (cls == TC_IGNORE)
		return;
	after_apos = st->after_apos;
	st->after_apos = 0;
	if (cls != TC_SPACE && cls != TC_NEWLINE)
		st->nl = 0;
	if (st->pend)
		resolve_pending(st, cls);
	switch (cls) {
	case TC_LETTER:
		if (st->mode != M_WORD) {
			end_token(st);
			st->mode = M_WORD;
			st->start = st->b->len;
			st->lead_apos = after_apos;
		}
		put_cp(st, cp);
		st->last_digit = 0;
		break;
	case TC_DIGIT:
		if (st->mode == M_WORD) {
			put_cp(st, cp);
			st->last_digit = 1;
			break;
		}
		if (st->mode != M_NUM) {
			end_token(st);
			st->mode = M_NUM;
			st->mant = 0;
			st->ndig = st->ndot = st->ncomma = 0;
			st->after_sep = st->after_dot = 0;
			st->num_ok = 1;
		}
		num_digit(st, cp);
		break;
	case TC_NOSPACE:
		if (st->mode != M_NOSPACE) {
			end_token(st);
			st->mode = M_NOSPACE;
			st->run = 0;
		}
		nospace_char(st, cp);
		break;
	case TC_APOS:
		if (st->mode == M_WORD) {
			st->pend = '\'';
		} else {
			end_token(st);
			st->after_apos = 1;
		}
		break;
	case TC_DOT:
	case TC_COMMA:
		if (st->mode == M_NUM ||
		    (st->mode == M_WORD && st->last_digit)) {
			st->pend = (int)cp;
			break;
		}
		end_token(st);
		clause_break(st);
		break;
	case TC_HYPHEN:
		if (st->mode != M_NONE) {
			end_token(st);
			st->pend = '-';
			break;
		}
		clause_break(st);
		break;
	case TC_BREAK:
		end_token(st);
		clause_break(st);
		break;
	case TC_NEWLINE:
		end_token(st);
		if (++st->nl >= 2)
			clause_break(st);
		break;
	default:
		end_token(st);
		break;
	}
}

/* Normalise one non-ASCII code point and feed what comes out. */
static void
feed_unicode(struct tok_state *st, int32_t cp)
{
	utf8proc_int32_t d[TEXT_DECOMP_MAX];
	utf8proc_ssize_t n, i;
	int bound = 0;

	/* Hangul syllables have no case; keep them whole, not as jamo. */
	if (cp >= 0xAC00 && cp <= 0xD7A3) {
		feed(st, cp, TC_LETTER);
		return;
	}
	n = utf8proc_decompose_char(cp, d, TEXT_DECOMP_MAX,
	    UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_DECOMPOSE, &bound);
	if (n < 0 || n > TEXT_DECOMP_MAX) {
		feed(st, ' ', TC_SEP);
		return;
	}
	for (i = 0; i < n; i++) {
		if (d[i] < 0x80) {
			if (d[i] >= 'A' && d[i] <= 'Z')
				d[i] += 'a' - 'A';
			feed(st, d[i], ascii_class[d[i]]);
		} else {
			feed(st, d[i], classify(d[i]));
		}
	}
}

/*
 * The common case: continue a word over ASCII letters and digits without
 * going through feed().  Returns the offset after the run.
 */
static size_t
word_run(struct tok_state *st, const unsigned char *p, size_t i, size_t len)
{
	struct buf *b = st->b;
	size_t end;
	int c;
	char *d;

	for (;;) {
		reserve(b, 64);
		d = b->data + b->len;
		end = len - i > 64 ? i + 64 : len;
		for (; i < end && (c = word_byte[p[i]]) != 0; i++)
			*d++ = (char)c;
		b->len = (size_t)(d - b->data);
		if (i < end || i == len || b->len > TEXT_CHARS_MAX)
			break;
	}
	c = b->data[b->len - 1];
	st->last_digit = c >= '0' && c <= '9';
	return i;
}

void
text_tokens_init(struct text_tokens *t)
{
	buf_init(&t->chars);
	t->tok = NULL;
	t->n = 0;
	t->cap = 0;
}

void
text_tokens_release(struct text_tokens *t)
{
	buf_release(&t->chars);
	free(t->tok);
	text_tokens_init(t);
}

int
text_check_utf8(const char *s, size_t len, size_t *bad_at)
{
	const unsigned char *p = (const unsigned char *)s;
	utf8proc_int32_t cp;
	utf8proc_ssize_t n;
	size_t i = 0;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp);
		if (n < 0) {
			if (bad_at != NULL)
				*bad_at = i;
			return -1;
		}
		i += (size_t)n;
	}
	return 0;
}

static void
tokens_clear(struct text_tokens *out)
{
	out->n = 0;
	buf_reset(&out->chars);
}

int
text_tokenize(const char *s, size_t len, unsigned flags,
    struct text_tokens *out, struct err *err)
{
	const unsigned char *p = (const unsigned char *)s;
	struct tok_state st;
	utf8proc_int32_t cp;
	utf8proc_ssize_t n;
	size_t i = 0;
	int c, cls;

	tokens_clear(out);
	if (len > UINT32_MAX)
		return err_set(err, "text too large: %zu bytes (limit %u)",
		    len, (unsigned)UINT32_MAX);
	memset(&st, 0, sizeof(st));
	st.out = out;
	st.b = &out->chars;
	st.flags = flags;
	while (i < len) {
		if (st.b->len > TEXT_CHARS_MAX) {
			tokens_clear(out);
			return err_set(err, "text too large: tokens exceed %zu "
			    "bytes", TEXT_CHARS_MAX);
		}
		c = p[i];
		if (c < 0x80) {
			/*
			 * Fast paths for plain English text, doing what feed()
			 * would: a space ends the token, a letter starts a
			 * word, and letters and digits continue one.
			 */
			cls = ascii_class[c];
			if (st.pend == 0 && cls == TC_SPACE) {
				st.after_apos = 0;
				if (st.mode != M_NONE)
					end_token(&st);
				i++;
				continue;
			}
			if (st.pend == 0 && st.mode == M_NONE &&
			    cls == TC_LETTER) {
				st.nl = 0;
				st.mode = M_WORD;
				st.start = st.b->len;
				st.lead_apos = st.after_apos;
				st.after_apos = 0;
			}
			if (st.mode == M_WORD && st.pend == 0 &&
			    (cls == TC_LETTER || cls == TC_DIGIT)) {
				i = word_run(&st, p, i, len);
				continue;
			}
			if (c >= 'A' && c <= 'Z')
				c += 'a' - 'A';
			feed(&st, c, ascii_class[c]);
			i++;
			continue;
		}
		n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp);
		if (n < 0) {
			tokens_clear(out);
			return err_set(err, "invalid UTF-8 at byte %zu", i);
		}
		feed_unicode(&st, cp);
		i += (size_t)n;
	}
	resolve_pending(&st, TC_SPACE);
	end_token(&st);
	numcmp_flush(&st);
	if (out->chars.cap > 0)
		out->chars.data[out->chars.len] = '\0';
	return 0;
}
