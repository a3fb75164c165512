/*
 * fuzz_text.c - libFuzzer target for the tokeniser.
 *
 * Arbitrary bytes go through text_check_utf8 and text_tokenize with every
 * flag combination.  Checked: the two agree on validity and on the offset
 * of the first bad byte; a failure leaves the tokens empty; every token is
 * non-empty valid UTF-8 with no white space, control, format character or
 * mark inside and a NUL after it and carries the text_hash of its bytes;
 * the first token never carries TEXT_TOK_BREAK.  Differentially, with
 * TEXT_NEGATION the tokens are those of no flags plus a "!" prefix, and
 * with TEXT_NUMCMP they are those of no flags plus "<up>"/"<down>" tokens.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "err.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "fuzz_text: check failed: %s (line %d)\n", \
		    #c, __LINE__);					\
		abort();						\
	}								\
} while (0)

static void
check_token(const char *p, size_t len)
{
	utf8proc_int32_t cp;
	utf8proc_ssize_t n;
	size_t i = 0;

	CHECK(len > 0);
	CHECK(text_check_utf8(p, len, NULL) == 0);
	while (i < len) {
		n = utf8proc_iterate((const utf8proc_uint8_t *)p + i,
		    (utf8proc_ssize_t)(len - i), &cp);
		CHECK(n > 0);
		switch (utf8proc_category(cp)) {
		case UTF8PROC_CATEGORY_ZS:
		case UTF8PROC_CATEGORY_ZL:
		case UTF8PROC_CATEGORY_ZP:
		case UTF8PROC_CATEGORY_CC:
		case UTF8PROC_CATEGORY_CF:
		case UTF8PROC_CATEGORY_MN:
		case UTF8PROC_CATEGORY_MC:
		case UTF8PROC_CATEGORY_ME:
			CHECK(!"separator or mark inside a token");
			break;
		default:
			break;
		}
		i += (size_t)n;
	}
}

static void
check_layout(const struct text_tokens *t)
{
	const struct text_token *k;
	size_t i;

	CHECK(t->n <= t->cap || t->n == 0);
	CHECK(t->chars.data[t->chars.len] == '\0');
	for (i = 0; i < t->n; i++) {
		k = &t->tok[i];
		CHECK((size_t)k->off + k->len < t->chars.len);
		CHECK(t->chars.data[k->off + k->len] == '\0');
		CHECK(memchr(t->chars.data + k->off, '\0', k->len) == NULL);
		CHECK((k->flags & ~(uint32_t)TEXT_TOK_BREAK) == 0);
		CHECK(i > 0 || k->flags == 0);
		CHECK(k->hash == text_hash(t->chars.data + k->off, k->len));
		check_token(t->chars.data + k->off, k->len);
	}
}

static int
is_tok(const struct text_tokens *t, size_t i, const char *s)
{
	return t->tok[i].len == strlen(s) &&
	    memcmp(t->chars.data + t->tok[i].off, s, t->tok[i].len) == 0;
}

/* t must be base with "!" prefixes and/or comparison tokens added. */
static void
check_derived(const struct text_tokens *base, const struct text_tokens *t,
    unsigned flags)
{
	const char *a, *b;
	size_t i, j = 0, la, lb;

	for (i = 0; i < t->n; i++) {
		if (is_tok(t, i, "<up>") || is_tok(t, i, "<down>")) {
			CHECK(flags & TEXT_NUMCMP);
			CHECK(i > 0 && t->tok[i].flags == 0);
			continue;
		}
		CHECK(j < base->n);
		a = t->chars.data + t->tok[i].off;
		la = t->tok[i].len;
		b = base->chars.data + base->tok[j].off;
		lb = base->tok[j].len;
		CHECK(lb == 0 || b[0] != '!');
		if (la == lb + 1 && a[0] == '!') {
			CHECK(flags & TEXT_NEGATION);
			a++;
			la--;
		}
		CHECK(la == lb && memcmp(a, b, la) == 0);
		CHECK(t->tok[i].flags == base->tok[j].flags);
		j++;
	}
	CHECK(j == base->n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct text_tokens base, t;
	struct err err;
	char want[64];
	size_t bad = 0;
	unsigned flags;
	int valid, rc;

	text_tokens_init(&base);
	text_tokens_init(&t);
	valid = text_check_utf8(s, size, &bad) == 0;
	rc = text_tokenize(s, size, 0, &base, &err);
	CHECK((rc == 0) == valid);
	if (!valid) {
		snprintf(want, sizeof(want), "invalid UTF-8 at byte %zu", bad);
		CHECK(strcmp(err.msg, want) == 0);
		CHECK(bad < size);
	}
	for (flags = 0; flags < 4; flags++) {
		rc = text_tokenize(s, size, flags, &t, &err);
		CHECK((rc == 0) == valid);
		if (rc != 0) {
			CHECK(t.n == 0 && t.chars.len == 0);
			continue;
		}
		check_layout(&t);
		check_derived(&base, &t, flags);
	}
	/* Reuse after a larger result gives the same tokens. */
	if (valid && size > 1) {
		CHECK(text_tokenize(s, size / 2, 0, &t, NULL) == 0 ||
		    text_check_utf8(s, size / 2, NULL) != 0);
		CHECK(text_tokenize(s, size, 0, &t, &err) == 0);
		check_derived(&base, &t, 0);
	}
	text_tokens_release(&t);
	text_tokens_release(&base);
	return 0;
}
