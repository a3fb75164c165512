/*
 * test_stopwords.c - unit tests for the stop word set (lib/stopwords.c):
 * the list is the source's (size, no duplicates, the tokeniser's form of
 * each word), every word is found and other words are not.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "stopwords.h"
#include "text.h"

static int
has(const struct stopwords *sw, const char *w)
{
	return stopwords_has(sw, w, strlen(w), text_hash(w, strlen(w)));
}

static void
test_list(void **state)
{
	struct text_tokens t;
	struct err err;
	size_t i, j, n = stopwords_count(), len, longest = 0;
	const char *w;

	(void)state;
	/* The Snowball English list has 174 words. */
	assert_int_equal(n, 174);
	assert_null(stopwords_word(n));
	text_tokens_init(&t);
	for (i = 0; i < n; i++) {
		w = stopwords_word(i);
		len = strlen(w);
		if (len > longest)
			longest = len;
		assert_true(strspn(w, "abcdefghijklmnopqrstuvwxyz'") == len);
		for (j = 0; j < i; j++)
			assert_string_not_equal(w, stopwords_word(j));
		/* As the tokeniser writes it, but for the "'s" forms. */
		assert_int_equal(text_tokenize(w, len, 0, &t, &err), 0);
		assert_int_equal(t.n, 1);
		if (len > 2 && strcmp(w + len - 2, "'s") == 0)
			assert_int_equal(t.tok[0].len, len - 2);
		else
			assert_string_equal(t.chars.data + t.tok[0].off, w);
	}
	assert_int_equal(longest, STOPWORDS_LEN_MAX);
	text_tokens_release(&t);
}

static void
test_lookup(void **state)
{
	static const char *const yes[] = {
		"the", "a", "of", "and", "i", "yourselves", "don't", "cannot",
		"not", "very",
	};
	static const char *const no[] = {
		"", "bank", "thee", "th", "The", "the ", "dont", "us", "mine",
		"yourselvess", "<num>", "!the",
	};
	struct stopwords *sw = stopwords_new();
	size_t i;

	(void)state;
	for (i = 0; i < stopwords_count(); i++)
		assert_true(has(sw, stopwords_word(i)));
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(has(sw, yes[i]));
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (has(sw, no[i]))
			fail_msg("'%s' is not a stop word", no[i]);
	/* The hash must be the word's. */
	assert_false(stopwords_has(sw, "the", 3, text_hash("tha", 3)));
	stopwords_destroy(&sw);
	assert_null(sw);
	stopwords_destroy(&sw);	/* NULL is fine */
}

static void
test_mark(void **state)
{
	static const char text[] = "The bank did not raise the rates; "
	    "themselves yourselves hadn't 42";
	static const char *const want = "S.SS.S.SSS.";
	struct stopwords *sw = stopwords_new();
	struct text_tokens t;
	struct err err;
	size_t i;

	(void)state;
	text_tokens_init(&t);
	assert_int_equal(text_tokenize(text, sizeof(text) - 1, TEXT_NEGATION,
	    &t, &err), 0);
	/* the bank did not !raise !the !rates | themselves yourselves
	 * hadn't <num> */
	assert_int_equal(t.n, strlen(want));
	t.tok[1].flags |= 1u << 20;	/* other flags are kept */
	stopwords_mark(sw, &t, 1u << 30);
	for (i = 0; i < t.n; i++)
		if (((t.tok[i].flags & (1u << 30)) != 0) != (want[i] == 'S'))
			fail_msg("token %zu '%s'", i, t.chars.data +
			    t.tok[i].off);
	assert_true(t.tok[1].flags & (1u << 20));
	text_tokens_release(&t);
	stopwords_destroy(&sw);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_mark),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
