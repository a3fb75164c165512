/*
 * test_text.c - unit tests for the tokeniser (lib/text.c).
 *
 * Token lists are rendered as one string: tokens joined by a space, a token
 * carrying TEXT_TOK_BREAK preceded by "| ".  Rendering also checks the
 * layout invariants of struct text_tokens (non-empty tokens, NUL after each,
 * inside chars).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "text.h"

static void
render(const struct text_tokens *t, struct buf *b)
{
	const struct text_token *k;
	size_t i;

	buf_reset(b);
	assert_int_equal(t->chars.data[t->chars.len], '\0');
	for (i = 0; i < t->n; i++) {
		k = &t->tok[i];
		assert_true(k->len > 0);
		assert_true((size_t)k->off + k->len < t->chars.len);
		assert_int_equal(t->chars.data[k->off + k->len], '\0');
		assert_null(memchr(t->chars.data + k->off, '\0', k->len));
		assert_int_equal(k->flags & ~(uint32_t)TEXT_TOK_BREAK, 0);
		assert_true(k->hash == text_hash(t->chars.data + k->off,
		    k->len));
		if (i > 0)
			buf_addch(b, ' ');
		if (k->flags & TEXT_TOK_BREAK) {
			assert_true(i > 0);
			buf_addstr(b, "| ");
		}
		buf_add(b, t->chars.data + k->off, k->len);
	}
}

static void
check_len(const char *in, size_t len, unsigned flags, const char *want)
{
	struct text_tokens t;
	struct err err;
	struct buf b;

	text_tokens_init(&t);
	buf_init(&b);
	err.msg[0] = '\0';
	if (text_tokenize(in, len, flags, &t, &err) != 0)
		fail_msg("tokenize failed: %s", err.msg);
	render(&t, &b);
	if (strcmp(b.data, want) != 0)
		fail_msg("input \"%s\" flags %u:\n got \"%s\"\nwant \"%s\"", in,
		    flags, b.data, want);
	buf_release(&b);
	text_tokens_release(&t);
}

#define CHECK(in, flags, want) check_len((in), sizeof(in) - 1, (flags), (want))

static void
test_english(void **state)
{
	(void)state;
	CHECK("The quick brown fox jumps over the lazy dog.", 0,
	    "the quick brown fox jumps over the lazy dog");
	CHECK("  Stocks\tfell sharply  ", 0, "stocks fell sharply");
	CHECK("a_b c/d e+f #tag @user", 0, "a b c d e f tag user");
	CHECK("", 0, "");
	CHECK(" \t\r\n ", 0, "");
}

static void
test_fold(void **state)
{
	(void)state;
	CHECK("Café ÉCOLE naïve Straße", 0, "cafe ecole naive strasse");
	CHECK("\xef\xac\x81nance", 0, "finance");			/* ﬁ */
	CHECK("Cafe\xcc\x81", 0, "cafe");			/* U+0301 */
	CHECK("\xef\xbc\xa1\xef\xbc\xa2\xef\xbc\xa3", 0, "abc");
	CHECK("\xc4\xb0stanbul", 0, "istanbul");			/* İ */
	CHECK("ΑΘΗΝΑ Ζürich", 0, "αθηνα ζurich");
	CHECK("\xe2\x85\xab", 0, "xii");				/* Ⅻ */
	CHECK("한국 경제", 0, "한국 경제");
}

static void
test_apostrophe(void **state)
{
	(void)state;
	CHECK("don't", 0, "don't");
	CHECK("DON\xe2\x80\x99T", 0, "don't");				/* ’ */
	CHECK("the company's profit", 0, "the company profit");
	CHECK("Nokia\xe2\x80\x99s unit", 0, "nokia unit");
	CHECK("'quoted' rock'n'roll", 0, "quoted rock'n'roll");
	CHECK("the companies' results", 0, "the companies results");
	CHECK("it''s", 0, "it");
	CHECK("the company 's profit 's", 0, "the company profit");
	CHECK("'s 'sa s", 0, "sa s");
	CHECK("o'", 0, "o");
	CHECK("1990's 1990s", 0, "<num> <num> s");
}

static void
test_numbers(void **state)
{
	(void)state;
	CHECK("1,200.5 units", 0, "<num> units");
	CHECK("76%", 0, "<num>");
	CHECK("rose 5.2%.", 0, "rose <num>");
	CHECK("1, 2 and 3. Then", 0, "<num> | <num> and <num> | then");
	CHECK("10m 2bn $1.13bn 4G", 0, "<num> m <num> bn <num> bn <num> g");
	CHECK("mp3 G20 covid19 v1.2 eur10.5m", 0,
	    "mp3 g20 covid19 v1.2 eur10.5m");
	CHECK("v1. next", 0, "v1 | next");
	CHECK("2009-10 state-owned", 0, "<num> <num> state owned");
	CHECK("\xd9\xa3\xd9\xa4", 0, "<num>");			/* ٣٤ */
	CHECK("\xef\xbc\x91\xef\xbc\x92", 0, "<num>");		/* １２ */
	CHECK("\xc2\xbd", 0, "<num> <num>");			/* ½ */
}

static void
test_breaks(void **state)
{
	(void)state;
	CHECK("a. b, c; d: e! f? g \"h\" (i) [j] {k} l", 0,
	    "a | b | c | d | e | f | g | h | i | j | k | l");
	CHECK(". , a", 0, "a");
	CHECK("\"Hello\" world", 0, "hello | world");
	CHECK("firm - shares -x y-", 0, "firm | shares | x y");
	CHECK("a \xe2\x80\x94 b \xe2\x80\x93 c", 0, "a | b | c");
	CHECK("\xc2\xabqu\xc2\xbb ok", 0, "qu | ok");		/* « » */
	CHECK("a\nb", 0, "a b");
	CHECK("a\n\nb", 0, "a | b");
	CHECK("a\n \r\n\tb", 0, "a | b");
	CHECK("a\n$\nb", 0, "a b");
	CHECK("a\xe2\x80\xa9" "b", 0, "a | b");			/* U+2029 */
	CHECK("中文。日本、台湾", 0, "中文 | 日本 | 台湾");
	CHECK("wait\xe2\x80\xa6 ok", 0, "wait | ok");			/* … */
}

static void
test_cjk(void **state)
{
	(void)state;
	CHECK("中华人民", 0, "中华 华人 人民");
	CHECK("中", 0, "中");
	CHECK("中 华", 0, "中 华");
	CHECK("ひらがなカタカナ", 0, "ひら らか かな なカ カタ タカ カナ");
	CHECK("\xef\xbd\xb6\xef\xbe\x80\xef\xbd\xb6\xef\xbe\x85", 0,
	    "カタ タカ カナ");					/* ｶﾀｶﾅ */
	CHECK("iPhone发布", 0, "iphone 发布");
	CHECK("发布iPhone 15", 0, "发布 iphone <num>");
	CHECK("2024年3月", 0, "<num> 年 <num> 月");
	CHECK("ภาษาไทย", 0, "ภา าษ ษา าไ ไท ทย");
	CHECK("ที่", 0, "ท");
	CHECK("二〇二四", 0, "二〇 〇二 二四");
}

struct bad {
	const char *s;
	size_t len;
	size_t at;
};

static void
test_invalid(void **state)
{
	static const struct bad bad[] = {
		{ "\x80", 1, 0 },
		{ "ab\x80" "cd", 5, 2 },
		{ "\xc0\xaf", 2, 0 },
		{ "x \xed\xa0\x80", 5, 2 },
		{ "\xf4\x90\x80\x80", 4, 0 },
		{ "abc \xe2\x82", 6, 4 },
		{ "\xe0\x80\x80", 3, 0 },
		{ "ok \xf5\x80\x80\x80", 7, 3 },
		{ "\xc2", 1, 0 },
		{ "\xe2\x82 abc", 6, 0 },
	};
	struct text_tokens t;
	struct err err;
	char want[64];
	size_t i, at;

	(void)state;
	text_tokens_init(&t);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(text_tokenize("left over", 9, 0, &t, &err),
		    0);
		assert_int_equal(t.n, 2);
		err.msg[0] = '\0';
		assert_int_equal(text_tokenize(bad[i].s, bad[i].len,
		    TEXT_NEGATION | TEXT_NUMCMP, &t, &err), -1);
		snprintf(want, sizeof(want), "invalid UTF-8 at byte %zu",
		    bad[i].at);
		assert_string_equal(err.msg, want);
		assert_int_equal(t.n, 0);
		assert_int_equal(t.chars.len, 0);
		at = 999;
		assert_int_equal(text_check_utf8(bad[i].s, bad[i].len, &at),
		    -1);
		assert_int_equal(at, bad[i].at);
		assert_int_equal(text_check_utf8(bad[i].s, bad[i].len, NULL),
		    -1);
	}
	/* The largest scalar value and a noncharacter are valid. */
	assert_int_equal(text_check_utf8("\xf4\x8f\xbf\xbf\xef\xbf\xbf", 7,
	    NULL), 0);
	assert_int_equal(text_tokenize("\xf4\x8f\xbf\xbf", 4, 0, &t, NULL),
	    0);
	assert_int_equal(text_check_utf8("", 0, NULL), 0);
	/* err may be NULL. */
	assert_int_equal(text_tokenize("\xff", 1, 0, &t, NULL), -1);
	text_tokens_release(&t);
}

static void
test_empty(void **state)
{
	struct text_tokens t;
	struct err err;

	(void)state;
	text_tokens_init(&t);
	assert_int_equal(text_tokenize(NULL, 0, 0, &t, &err), 0);
	assert_int_equal(t.n, 0);
	assert_int_equal(text_tokenize("", 0, TEXT_NUMCMP | TEXT_NEGATION,
	    &t, &err), 0);
	assert_int_equal(t.n, 0);
	assert_int_equal(t.chars.len, 0);
	text_tokens_release(&t);
	text_tokens_release(&t);	/* twice is harmless */
}

static void
test_huge(void **state)
{
	static const char unit[] = "Alpha beta, ";
	size_t ulen = sizeof(unit) - 1, reps = (8u << 20) / ulen, i, nbrk;
	struct text_tokens t;
	struct err err;
	char *s;

	(void)state;
	s = malloc(reps * ulen);
	assert_non_null(s);
	for (i = 0; i < reps; i++)
		memcpy(s + i * ulen, unit, ulen);
	text_tokens_init(&t);
	assert_int_equal(text_tokenize(s, reps * ulen, TEXT_NEGATION, &t,
	    &err), 0);
	assert_int_equal(t.n, 2 * reps);
	assert_int_equal(t.chars.len, reps * (6 + 5));
	nbrk = 0;
	for (i = 0; i < t.n; i++)
		if (t.tok[i].flags & TEXT_TOK_BREAK)
			nbrk++;
	assert_int_equal(nbrk, reps - 1);
	assert_int_equal(t.tok[2].flags, TEXT_TOK_BREAK);
	assert_string_equal(t.chars.data + t.tok[t.n - 1].off, "beta");
	assert_string_equal(t.chars.data + t.tok[t.n - 2].off, "alpha");
	free(s);

	/* Beyond 32-bit offsets: refused before the text is read. */
	if (sizeof(size_t) > 4) {
		err.msg[0] = '\0';
		assert_int_equal(text_tokenize("x", (size_t)UINT32_MAX + 1, 0,
		    &t, &err), -1);
		assert_non_null(strstr(err.msg, "text too large"));
		assert_int_equal(t.n, 0);
	}
	text_tokens_release(&t);
}

static void
test_nul_and_controls(void **state)
{
	(void)state;
	CHECK("abc\0def\0\0", 0, "abc def");
	CHECK("\0\0\0", 0, "");
	CHECK("a\x01" "b\x7f" "c", 0, "a b c");
}

static void
test_invisible(void **state)
{
	(void)state;
	CHECK("foo\xe2\x80\x8d" "bar", 0, "foobar");		/* ZWJ */
	CHECK("foo\xe2\x80\x8c" "bar", 0, "foobar");		/* ZWNJ */
	CHECK("foo\xe2\x80\x8b" "bar", 0, "foo bar");		/* ZWSP */
	CHECK("\xe2\x80\xab" "news\xe2\x80\xac", 0, "news");	/* RLE PDF */
	CHECK("\xe2\x81\xa6" "abc\xe2\x81\xa9", 0, "abc");	/* LRI PDI */
	CHECK("a\xe2\x80\x8e" "b\xe2\x80\x8f" "c", 0, "abc");	/* LRM RLM */
	CHECK("soft\xc2\xadware", 0, "software");		/* SHY */
	CHECK("\xef\xbb\xbfhello", 0, "hello");			/* BOM */
	CHECK("word\xe2\x81\xa0joiner", 0, "wordjoiner");	/* WJ */
	CHECK("a\xe3\x80\x80" "b\xc2\xa0" "c", 0, "a b c");	/* spaces */
}

static void
test_marks_only(void **state)
{
	(void)state;
	CHECK("\xcc\x81\xcc\x88\xcc\xa7", 0, "");
	CHECK(" \xcc\x81 \xe3\x82\x99 ", 0, "");
	CHECK("\xcc\x81" "a", 0, "a");
}

static void
test_negation(void **state)
{
	(void)state;
	CHECK("Profits did not rise, but sales grew", TEXT_NEGATION,
	    "profits did not !rise | but sales grew");
	CHECK("Profits did not rise, but sales grew", 0,
	    "profits did not rise | but sales grew");
	CHECK("We don\xe2\x80\x99t expect growth. Fine", TEXT_NEGATION,
	    "we don't !expect !growth | fine");
	CHECK("no 5 gains", TEXT_NEGATION, "no <num> !gains");
	CHECK("never again\n\nfine", TEXT_NEGATION, "never !again | fine");
	CHECK("never again\nfine", TEXT_NEGATION, "never !again !fine");
	CHECK("not no way", TEXT_NEGATION, "not no !way");
	CHECK("without 中国 (x) y", TEXT_NEGATION,
	    "without !中国 | x | y");
	CHECK("isn't it - no", TEXT_NEGATION, "isn't !it | no");
	CHECK("notable nothing new", TEXT_NEGATION,
	    "notable nothing !new");
	CHECK("ca n't go", TEXT_NEGATION, "ca n't !go");
}

static void
test_numcmp(void **state)
{
	(void)state;
	CHECK("Sales rose to EUR 12.5 mn from EUR 10.1 mn.", TEXT_NUMCMP,
	    "sales rose to eur <num> mn from eur <num> mn <up>");
	CHECK("Sales rose to EUR 12.5 mn from EUR 10.1 mn.", 0,
	    "sales rose to eur <num> mn from eur <num> mn");
	CHECK("decreased from 5.2 % to 4.1 %", TEXT_NUMCMP,
	    "decreased from <num> to <num> <down>");
	CHECK("from 5 to 5.0 ok", TEXT_NUMCMP, "from <num> to <num> ok");
	CHECK("from EUR 900 mn to EUR 1.1 bn", TEXT_NUMCMP,
	    "from eur <num> mn to eur <num> bn <up>");
	CHECK("to EUR 900 million from EUR 1.1 billion", TEXT_NUMCMP,
	    "to eur <num> million from eur <num> billion <down>");
	CHECK("to 2 million from 3,000,000", TEXT_NUMCMP,
	    "to <num> million from <num> <down>");
	CHECK("up to $1.13bn from $980m", TEXT_NUMCMP,
	    "up to <num> bn from <num> m <up>");
	CHECK("from 4 to 5 in 2009", TEXT_NUMCMP,
	    "from <num> to <num> <up> in <num>");
	CHECK("from 4 to 5, then", TEXT_NUMCMP,
	    "from <num> to <num> <up> | then");
	CHECK("to 5, from 4", TEXT_NUMCMP, "to <num> | from <num>");
	CHECK("from 5 to the new level of 6", TEXT_NUMCMP,
	    "from <num> to the new level of <num>");
	CHECK("from EUR mn USD pct 5 to 6", TEXT_NUMCMP,
	    "from eur mn usd pct <num> to <num>");
	CHECK("from 10,5 to 9,75", TEXT_NUMCMP,
	    "from <num> to <num> <down>");
	CHECK("from 1,500 to 1,499", TEXT_NUMCMP,
	    "from <num> to <num> <down>");
	CHECK("from 1,200.5 to 1", TEXT_NUMCMP,
	    "from <num> to <num> <down>");
	CHECK("from 1.2.3 to 4", TEXT_NUMCMP, "from <num> to <num>");
	CHECK("from from 3 to to 4", TEXT_NUMCMP,
	    "from from <num> to to <num>");
	CHECK("from 3 to 4 to 2", TEXT_NUMCMP,
	    "from <num> to <num> <up> to <num>");
	CHECK("did not rise from 4 to 5", TEXT_NUMCMP | TEXT_NEGATION,
	    "did not !rise !from <num> !to <num> <up>");
}

/*
 * Check text.h's promise that TEXT_NUMCMP only adds "<up>" and "<down>",
 * never with a break, on in against flags without it.  Returns how many
 * comparison tokens it added.
 */
static size_t
numcmp_adds_only(const char *in, size_t len, unsigned flags)
{
	struct text_tokens p, c;
	struct err err;
	size_t i, j = 0, added = 0;

	text_tokens_init(&p);
	text_tokens_init(&c);
	assert_int_equal(text_tokenize(in, len, flags, &p, &err), 0);
	assert_int_equal(text_tokenize(in, len, flags | TEXT_NUMCMP, &c,
	    &err), 0);
	for (i = 0; i < c.n; i++) {
		const struct text_token *k = &c.tok[i], *w;
		const char *kc = c.chars.data + k->off;

		if ((k->len == 4 && memcmp(kc, "<up>", 4) == 0) ||
		    (k->len == 6 && memcmp(kc, "<down>", 6) == 0)) {
			assert_int_equal(k->flags, 0);
			added++;
			continue;
		}
		assert_true(j < p.n);
		w = &p.tok[j++];
		assert_int_equal(k->len, w->len);
		assert_memory_equal(kc, p.chars.data + w->off, k->len);
		assert_int_equal(k->flags, w->flags);
		assert_true(k->hash == w->hash);
	}
	assert_int_equal(j, p.n);
	text_tokens_release(&p);
	text_tokens_release(&c);
	return added;
}

static void
test_numcmp_adds_only(void **state)
{
	static const char *const fixed[] = {
		"Sales rose to EUR 12.5 mn from EUR 10.1 mn.",
		"from 4 to 5, then",
		"from 4 to 5\n\nnext paragraph",
		"from 4 to 5 - a dash",
		"to 5, from 4",
		"up to $1.13bn from $980m",
		"did not rise from 4 to 5 bn",
		"from 3 to 4 to 2 from 1 to 9 mn (x)",
		"<up> <down> from 1 to 2",
	};
	/* Phrases that make comparisons, and ones that end them. */
	static const char *const words[] = {
		"from 5", "to 4.5", "from eur 1,200", "to $10,5", "from",
		"to", "eur", "mn", "bn", "million", "pct", "%", "7", "1.2.3",
		"rose", "not", "sales", ".", ",", ";", "\n\n", "-", "(", ")",
		"中国", "don't", "never",
	};
	struct buf in;
	uint32_t seed = 12345;
	size_t i, j, n, added = 0;
	unsigned flags;

	(void)state;
	buf_init(&in);
	for (flags = 0; flags <= TEXT_NEGATION; flags += TEXT_NEGATION) {
		for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
			added += numcmp_adds_only(fixed[i], strlen(fixed[i]),
			    flags);
		for (i = 0; i < 2000; i++) {
			buf_reset(&in);
			seed = seed * 1103515245u + 12345u;
			n = 1 + (seed >> 16) % 30;
			for (j = 0; j < n; j++) {
				seed = seed * 1103515245u + 12345u;
				buf_addstr(&in, words[(seed >> 16) %
				    (sizeof(words) / sizeof(words[0]))]);
				buf_addch(&in, (seed >> 8) % 4 ? ' ' : '\n');
			}
			added += numcmp_adds_only(in.data, in.len, flags);
		}
	}
	assert_true(added > 500);	/* comparisons were exercised */
	buf_release(&in);
}

static void
test_reuse(void **state)
{
	struct text_tokens t;
	struct err err;
	struct buf b;

	(void)state;
	text_tokens_init(&t);
	buf_init(&b);
	assert_int_equal(text_tokenize("One two three four five six seven "
	    "eight nine ten", 48, 0, &t, &err), 0);
	assert_int_equal(t.n, 10);
	assert_int_equal(text_tokenize("Beta, 中华", 12, 0, &t, &err), 0);
	render(&t, &b);
	assert_string_equal(b.data, "beta | 中华");
	assert_int_equal(t.n, 2);
	assert_int_equal(t.chars.len, 5 + 7);
	assert_int_equal(text_tokenize("\xff", 1, 0, &t, &err), -1);
	assert_int_equal(text_tokenize("not up", 6, TEXT_NEGATION, &t, &err),
	    0);
	render(&t, &b);
	assert_string_equal(b.data, "not !up");
	buf_release(&b);
	text_tokens_release(&t);
}

/*
 * text_hash must not change by accident: these are the values of the
 * hash the vocabulary index was built with (on little-endian machines,
 * where the loads of a key's last bytes are defined), every tail length.
 */
static void
test_hash(void **state)
{
	static const struct {
		const char *s;
		uint64_t h;
	} want[] = {
		{ "", 0x17fb89ee9dcab42aULL },
		{ "a", 0xdc067291aae15417ULL },
		{ "ab", 0x3c022282b2e3bd30ULL },
		{ "abc", 0x855cd41cab8ab7e0ULL },
		{ "abcd", 0xd61d22f5c64d388cULL },
		{ "abcde", 0xe4c173279cbddb41ULL },
		{ "abcdef", 0x198dc1c14dd2390fULL },
		{ "abcdefg", 0x8781c532aeb88555ULL },
		{ "abcdefgh", 0xcab19cc5625a356dULL },
		{ "abcdefghi", 0x032e6681e4501501ULL },
		{ "internationalisation", 0xa31aa8a519ceb6b5ULL },
		{ "!not", 0x5a3ddd0d25bfdbdbULL },
		{ "<num>", 0x3b7c566e8710d1a3ULL },
	};
	size_t i;

	(void)state;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_true(text_hash(want[i].s, strlen(want[i].s)) ==
		    want[i].h);
#else
	(void)want;
	(void)i;
	skip();
#endif
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_english),
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_apostrophe),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_breaks),
		cmocka_unit_test(test_cjk),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_huge),
		cmocka_unit_test(test_nul_and_controls),
		cmocka_unit_test(test_invisible),
		cmocka_unit_test(test_marks_only),
		cmocka_unit_test(test_negation),
		cmocka_unit_test(test_numcmp),
		cmocka_unit_test(test_numcmp_adds_only),
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_hash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
