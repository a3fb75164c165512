/*
 * fuzz_clean.c - libFuzzer target for the cleaner.
 *
 * Arbitrary bytes go through clean_text with every flag combination.
 * Checked for each: success, output no longer than the input and
 * NUL-terminated, valid UTF-8 out of valid UTF-8 in, the same result in a
 * reused buffer that held a longer one.  Without flags the output is the
 * input; CLEAN_HTML | CLEAN_BOILERPLATE is CLEAN_BOILERPLATE after
 * CLEAN_HTML; dropping lines is idempotent; text without "<" or "&" is a
 * fixed point of CLEAN_HTML.
 *
 * The same bytes also make a document of known text: cut at 0xFF bytes
 * into pieces with "<" and "&" taken out, joined by markup picked by the
 * byte after each cut (tags with hostile attributes, comments, raw-text
 * elements, a CDATA section).  CLEAN_HTML must give back exactly the
 * pieces' bytes, white space aside: markup adds or removes only white
 * space and takes no text with it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clean.h"
#include "err.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "fuzz_clean: check failed: %s (line %d)\n", \
		    #c, __LINE__);					\
		abort();						\
	}								\
} while (0)

static const char *const markup[] = {
	"<p>", "</p>", "<br>", "<br/>", "<div class=\"a>b\">", "</div>",
	"<b>", "</b>", "<a href='x\"y>z' title=\"q'>r\">", "</a>",
	"<td>", "<tr>", "<h2 id=x>", "<li>", "<img alt=\"<p>\" src=x.png>",
	"<!-- comment -- with > inside -->", "<!---->", "<!-->",
	"<script>if (a < b && c > d) s = \"</script\" + \">\";</script>",
	"<style>p > b { x: '</style' }</style >", "<noscript><p>n</p></noscript>",
	"<template><td>t</td></template>", "<![CDATA[x <b> y]]>",
	"<!DOCTYPE html>", "<?xml version=\"1.0\"?>", "</>",
	"<custom-element data-x=1>", "</custom-element>",
	"<SPAN CLASS=UPPER>", "</SPAN >",
};

#define NMARKUP (sizeof(markup) / sizeof(markup[0]))

static int
same(const struct buf *a, const struct buf *b)
{
	return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

static void
check_out(size_t len, int valid, const struct buf *out)
{
	CHECK(out->len <= len);
	CHECK(out->data[out->len] == '\0');
	if (valid)
		CHECK(text_check_utf8(out->data, out->len, NULL) == 0);
}

static int
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* b without HTML white space. */
static void
squeeze(const char *s, size_t n, struct buf *b)
{
	size_t i;

	buf_reset(b);
	for (i = 0; i < n; i++)
		if (!is_space((unsigned char)s[i]))
			buf_addch(b, s[i]);
}

static void
check_structured(const uint8_t *data, size_t size)
{
	struct buf doc, text, out, a, b;
	size_t i;

	buf_init(&doc);
	buf_init(&text);
	buf_init(&out);
	buf_init(&a);
	buf_init(&b);
	for (i = 0; i < size; i++) {
		if (data[i] == 0xFF && i + 1 < size) {
			buf_addstr(&doc, markup[data[++i] % NMARKUP]);
			continue;
		}
		if (data[i] == '<' || data[i] == '&')
			continue;
		buf_addch(&doc, (char)data[i]);
		buf_addch(&text, (char)data[i]);
	}
	CHECK(clean_text(doc.data, doc.len, CLEAN_HTML, &out, NULL) == 0);
	squeeze(out.data, out.len, &a);
	squeeze(text.data, text.len, &b);
	CHECK(same(&a, &b));
	buf_release(&doc);
	buf_release(&text);
	buf_release(&out);
	buf_release(&a);
	buf_release(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct buf out[4], again, big;
	struct err err;
	unsigned flags;
	int valid = text_check_utf8(s, size, NULL) == 0;

	buf_init(&again);
	buf_init(&big);
	for (flags = 0; flags < 4; flags++) {
		buf_init(&out[flags]);
		CHECK(clean_text(s, size, flags, &out[flags], &err) == 0);
		check_out(size, valid, &out[flags]);
		/* A reused buffer that held more gives the same. */
		buf_reset(&big);
		buf_add(&big, s, size);
		buf_add(&big, "<p>more</p>\nShare this\n", 23);
		CHECK(clean_text(big.data, big.len, flags, &again, NULL) == 0);
		CHECK(clean_text(s, size, flags, &again, NULL) == 0);
		CHECK(same(&again, &out[flags]));
	}
	CHECK(out[0].len == size && memcmp(out[0].data, s, size) == 0);

	/* Both flags: the lines of the HTML pass's output. */
	CHECK(clean_text(out[CLEAN_HTML].data, out[CLEAN_HTML].len,
	    CLEAN_BOILERPLATE, &again, NULL) == 0);
	CHECK(same(&again, &out[CLEAN_HTML | CLEAN_BOILERPLATE]));

	/* Dropping lines twice drops nothing more. */
	CHECK(clean_text(out[CLEAN_BOILERPLATE].data,
	    out[CLEAN_BOILERPLATE].len, CLEAN_BOILERPLATE, &again, NULL) == 0);
	CHECK(same(&again, &out[CLEAN_BOILERPLATE]));

	/* Plain text is left alone by the HTML pass. */
	if (memchr(out[CLEAN_HTML].data, '<', out[CLEAN_HTML].len) == NULL &&
	    memchr(out[CLEAN_HTML].data, '&', out[CLEAN_HTML].len) == NULL) {
		CHECK(clean_text(out[CLEAN_HTML].data, out[CLEAN_HTML].len,
		    CLEAN_HTML, &again, NULL) == 0);
		CHECK(same(&again, &out[CLEAN_HTML]));
	}

	check_structured(data, size);
	for (flags = 0; flags < 4; flags++)
		buf_release(&out[flags]);
	buf_release(&again);
	buf_release(&big);
	return 0;
}
