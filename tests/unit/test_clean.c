/*
 * test_clean.c - unit tests for the cleaner (lib/clean.c): tags, raw-text
 * elements, comments, character references, hostile and truncated markup,
 * UTF-8 passthrough, boilerplate lines that match and lines that must not,
 * and the static tables (sorted, well-formed).  The .c is included to reach
 * the tables.  Every check also asserts the general promises: output no
 * longer than input, NUL after it, and valid UTF-8 out of valid UTF-8.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/clean.c"
#include "text.h"

static void
check_bytes(const char *in, size_t len, unsigned flags, const char *want,
    size_t wlen)
{
	struct buf out;
	struct err err;

	buf_init(&out);
	err.msg[0] = '\0';
	if (clean_text(in, len, flags, &out, &err) != 0)
		fail_msg("clean failed: %s", err.msg);
	assert_true(out.len <= len);
	assert_int_equal(out.data[out.len], '\0');
	if (text_check_utf8(in, len, NULL) == 0)
		assert_int_equal(text_check_utf8(out.data, out.len, NULL), 0);
	if (out.len != wlen || memcmp(out.data, want, wlen) != 0)
		fail_msg("input \"%s\" flags %u:\n got \"%.*s\"\nwant \"%s\"",
		    in, flags, (int)out.len, out.data, want);
	buf_release(&out);
}

#define CHECK(in, flags, want) \
	check_bytes((in), sizeof(in) - 1, (flags), (want), strlen(want))
#define HTML(in, want) CHECK(in, CLEAN_HTML, want)
#define BP(in, want) CHECK(in, CLEAN_BOILERPLATE, want)

static void
test_no_flags(void **state)
{
	static const char odd[] = "a\0b<p>&amp;\xc0\xaf\r\nShare this\n";

	(void)state;
	CHECK("", 0, "");
	CHECK("<p>Share this</p>\nRead more\n", 0,
	    "<p>Share this</p>\nRead more\n");
	check_bytes(odd, sizeof(odd) - 1, 0, odd, sizeof(odd) - 1);
}

static void
test_unknown_flags(void **state)
{
	struct buf out;
	struct err err;

	(void)state;
	buf_init(&out);
	buf_addstr(&out, "old");
	assert_int_equal(clean_text("x", 1, 1u << 5, &out, &err), -1);
	assert_string_equal(err.msg, "unknown clean flags 0x20");
	assert_int_equal(out.len, 0);
	assert_int_equal(clean_text(NULL, 0, CLEAN_HTML, &out, NULL), 0);
	assert_int_equal(out.len, 0);
	buf_release(&out);
}

static void
test_tags(void **state)
{
	(void)state;
	HTML("Hello <b>bold</b> and <i><em>nested</em></i> text",
	    "Hello bold and nested text");
	HTML("<p>One.</p><p>Two.</p>", "One.\n\nTwo.");
	HTML("<div>\n  <p>\n    Indented.\n  </p>\n</div>\n", "Indented.");
	HTML("a<br>b<br/>c<BR >d", "a\nb\nc\nd");
	HTML("<H2>Title</H2>Body", "Title\n\nBody");
	HTML("<ul><li>one</li><li>two</li></ul>", "one\n\ntwo");
	HTML("<table><tr><td>a</td><td>b</td></tr><tr><th>c</th></tr></table>",
	    "a b\n\nc");
	/* A br and a p together: the larger break. */
	HTML("a<br><p>b", "a\n\nb");
	/* Inline tags join; unknown ones too. */
	HTML("co<span class=x>op</span>er<custom-tag>ate", "cooperate");
	HTML("<img src=a.png alt=\"A picture\">caption", "caption");
	/* Names longer than any known tag. */
	HTML("x<blockquotes>y</blockquotes>z", "xyz");
	HTML("<p></p><p></p><p>", "");
}

static void
test_attributes(void **state)
{
	(void)state;
	HTML("<a title=\"x>y\">t</a>", "t");
	HTML("<a title='x>y' href=\"a'b\">t</a>", "t");
	HTML("<a title = \"x>y\" >t</a>", "t");
	/* An unquoted value ends at ">". */
	HTML("<a title=x>y>u", "y>u");
	/* A quote that does not follow "=" is part of a name. */
	HTML("<a b\"c>d\">e", "d\">e");
	HTML("<a x=>y", "y");
	HTML("<a x= 'v'/>y", "y");
	HTML("<a x='v'y='w'>z", "z");
	HTML("</p class=\"a>b\">after", "after");
}

static void
test_unterminated(void **state)
{
	(void)state;
	/* A tag open at the end goes, as in a browser. */
	HTML("Profit rose <b", "Profit rose ");
	HTML("Profit rose <a href=\"http://example.com/x", "Profit rose ");
	HTML("Profit rose <a href=x", "Profit rose ");
	HTML("end</p", "end");
	/* A quote never closed ends at the next ">". */
	HTML("<img alt=\"oops>rest of the story", "rest of the story");
	HTML("<img alt='oops>rest <b>of</b> it", "rest of it");
	HTML("<img alt=\"a\" title=\"oops>rest", "rest");
	/* Lone "<" and "</" at the end are text. */
	HTML("a <", "a <");
	HTML("a </", "a </");
	HTML("<", "<");
	HTML("&", "&");
	/* Open comments and raw-text elements go to the end. */
	HTML("a<!-- never closed", "a");
	HTML("a<!-- never closed --", "a");
	HTML("a<![CDATA[never closed", "a");
	HTML("a<!DOCTYPE html", "a");
	HTML("a<script>never closed", "a");
	HTML("a<script>x</script", "a");
	HTML("a<style", "a");
}

static void
test_lone_lt(void **state)
{
	(void)state;
	HTML("3 < 4 and 5 > 4", "3 < 4 and 5 > 4");
	HTML("I <3 markets", "I <3 markets");
	HTML("x <- y", "x <- y");
	HTML("a </ b", "a </ b");
	HTML("a <> b", "a <> b");
	HTML("a < p> b", "a < p> b");
	HTML("a </> b", "a  b");
	HTML("\xe4\xb8\xad<\xe6\x96\x87", "\xe4\xb8\xad<\xe6\x96\x87");
}

static void
test_raw_text(void **state)
{
	(void)state;
	HTML("before<script>if (a</script.length) s = \"</script\" + \">\";"
	    "</script>after", "before after");
	HTML("a<SCRIPT type=x>var x = '<p>';</SCRIPT >b", "a b");
	HTML("a<script>x</script/>b", "a b");
	HTML("a<style>p > b { color: red }</style>b", "a b");
	HTML("a<noscript><p>Enable JavaScript</p></noscript>b", "a b");
	HTML("a<template><div>t</div></template>b", "a b");
	HTML("a<iframe src=\"x\"><p>no frames</p></iframe>b", "a b");
	/* "</scripts>" does not end a script; "<scripts>" is not one. */
	HTML("a<script>x</scripts>y</script>b", "a b");
	HTML("a<scripts>y</scripts>b", "ayb");
	/* An end tag alone is just a tag. */
	HTML("a</script>b", "a b");
}

static void
test_comments(void **state)
{
	(void)state;
	HTML("a<!-- -- -->b", "ab");
	HTML("a<!-- x > y -->b", "ab");
	HTML("a<!---->b", "ab");
	HTML("a<!-->b", "ab");
	HTML("a<!--->b", "ab");
	HTML("a<!-- x --->b", "ab");
	HTML("a<!-- x --!>b", "ab");
	HTML("a<!-- <script> -->b", "ab");
	HTML("a<![CDATA[x > y]]>b", "ab");
	HTML("a<!DOCTYPE html>b", "ab");
	HTML("<?xml version=\"1.0\"?>b", "b");
	HTML("a<!x>b", "ab");
}

static void
test_entities(void **state)
{
	(void)state;
	HTML("&amp; &lt; &gt; &quot; &apos;", "& < > \" '");
	HTML("a&nbsp;b", "a b");
	HTML("&mdash;&ndash;&hellip;&rsquo;&lsquo;&rdquo;&ldquo;",
	    "\xe2\x80\x94\xe2\x80\x93\xe2\x80\xa6\xe2\x80\x99\xe2\x80\x98"
	    "\xe2\x80\x9d\xe2\x80\x9c");
	HTML("&copy;&reg;&trade;&euro;&pound;",
	    "\xc2\xa9\xc2\xae\xe2\x84\xa2\xe2\x82\xac\xc2\xa3");
	HTML("Caf&eacute; &Eacute;cole &uuml;ber &szlig;",
	    "Caf\xc3\xa9 \xc3\x89" "cole \xc3\xbc" "ber \xc3\x9f");
	/* Names are case-sensitive and need their ";". */
	HTML("&AMP; &amp &copy2024 &bogus; &;", "&AMP; &amp &copy2024 &bogus; &;");
	HTML("AT&T", "AT&T");
	/* Numeric, with or without ";". */
	HTML("&#65;&#x42;&#X43;&#68", "ABCD");
	HTML("&#x20AC; &#8364;", "\xe2\x82\xac \xe2\x82\xac");
	HTML("&#x1F600;", "\xf0\x9f\x98\x80");
	HTML("&#; &#x; &#xg;", "&#; &#x; &#xg;");
	/* Invalid code points. */
	HTML("&#0;|&#x0;|&#x110000;|&#xD800;|&#xDFFF;|&#99999999999999999999;",
	    "\xef\xbf\xbd|\xef\xbf\xbd|\xef\xbf\xbd|\xef\xbf\xbd|"
	    "\xef\xbf\xbd|\xef\xbf\xbd");
	HTML("&#x10FFFF;", "\xf4\x8f\xbf\xbf");
	/* Controls: tab and newline stay, the rest go. */
	HTML("a&#1;b&#x7f;c&#13;d&#9;e&#10;f", "abcd\te\nf");
	/* 0x80-0x9F as Windows-1252; undefined ones go. */
	HTML("&#150;&#x93;&#x94;&#128;&#129;&#x9d;",
	    "\xe2\x80\x93\xe2\x80\x9c\xe2\x80\x9d\xe2\x82\xac");
	/* At the end of the input. */
	HTML("x&#65", "xA");
	HTML("x&#x4", "x");
	HTML("x&#", "x&#");
	HTML("x&amp", "x&amp");
	HTML("x&am", "x&am");
	/* Decoded markup is text, not markup. */
	HTML("&lt;b&gt;bold&lt;/b&gt;", "<b>bold</b>");
	HTML("&amp;lt;", "&lt;");
}

static void
test_utf8(void **state)
{
	(void)state;
	HTML("<p>\xc3\xa9t\xc3\xa9</p><p>\xe4\xb8\xad\xe6\x96\x87</p>",
	    "\xc3\xa9t\xc3\xa9\n\n\xe4\xb8\xad\xe6\x96\x87");
	/* Invalid bytes pass through as they are. */
	HTML("\xc0\xaf<b>\x80</b>\xe2\x82", "\xc0\xaf\x80\xe2\x82");
	HTML("\xed\xa0\x80&amp;\xf5", "\xed\xa0\x80&\xf5");
	BP("\xff\xfe\nShare this\n\xc0\xaf", "\xff\xfe\n\xc0\xaf");
}

static void
test_boilerplate_drops(void **state)
{
	(void)state;
	BP("Story.\nShare this\nMore story.", "Story.\nMore story.");
	BP("Story.\nShare this article\nShare on Facebook\nShare:\nShare\n"
	    "Facebook\nTwitter\nEnd.", "Story.\nEnd.");
	BP("Story.\n\xc2\xa9 2024 Example News Ltd\n"
	    "Copyright 2024 Example. All rights reserved.\n"
	    "Copyright \xc2\xa9 Example\n(c) 2023 Example\n"
	    "All rights reserved.\nEnd.", "Story.\nEnd.");
	BP("Story.\nAlso read: Another story\nALSO READ | Another\n"
	    "Related: Another story\nRelated stories\nRead more\n"
	    "Read more: Another story\nREAD MORE \xc2\xbb\nSee also: x\nEnd.",
	    "Story.\nEnd.");
	BP("Story.\nPhoto: Jane Doe / Getty Images\n(Photo: AP)\n"
	    "Photograph: Jane Doe/Reuters\nImage caption The minister on "
	    "Monday\nImage copyright Reuters\nMedia caption Watch the moment\n"
	    "Getty Images\nEnd.", "Story.\nEnd.");
	BP("Story.\nSign up for our newsletter\nSIGN UP FOR OUR DAILY "
	    "NEWSLETTERS\nSubscribe to the morning newsletter\nFollow us on "
	    "Twitter\nClick here to get the app\nAdvertisement\n"
	    "Advertisement Continue reading the main story\n"
	    "Story continues below advertisement\nEnd.", "Story.\nEnd.");
	BP("Story.\n(Reporting by Jane Doe; Editing by John Roe)\n"
	    "Reporting by Jane Doe; editing by John Roe\nEnd.",
	    "Story.\nEnd.");
	/* Leading blanks, any case, CRLF. */
	BP("Story.\r\n   sHaRe ThIs\r\n\tADVERTISEMENT \r\nEnd.\r\n",
	    "Story.\r\nEnd.\r\n");
	BP("Story.\nShare this", "Story.");
	BP("Story.\r\nShare this", "Story.");
	BP("Share this\nStory.", "Story.");
}

static void
test_boilerplate_keeps(void **state)
{
	(void)state;
	/* Look-alikes that are story text. */
	BP("Shares of Nokia rose.\nShareholders met.\nSharing is up.\n"
	    "Also reading between the lines, analysts agreed.\n"
	    "Related to this, the bank cut rates.\n"
	    "Copyright law is changing.\n"
	    "Photography sales rose.\nPhotos of the event circulated.\n"
	    "Story Continued Below Clinton trails in Colorado\n"
	    "Advertisements rose 5%.\nVideo games sold well.\n"
	    "Follow-up talks are planned.\nFollowers grew.\nThe end.",
	    "Shares of Nokia rose.\nShareholders met.\nSharing is up.\n"
	    "Also reading between the lines, analysts agreed.\n"
	    "Related to this, the bank cut rates.\n"
	    "Copyright law is changing.\n"
	    "Photography sales rose.\nPhotos of the event circulated.\n"
	    "Story Continued Below Clinton trails in Colorado\n"
	    "Advertisements rose 5%.\nVideo games sold well.\n"
	    "Follow-up talks are planned.\nFollowers grew.\nThe end.");
	/* Not at the start of the line. */
	BP("Story.\nThe caption read: Photo: Jane Doe\nEnd.",
	    "Story.\nThe caption read: Photo: Jane Doe\nEnd.");
	/* A line of one item is left whole, however it starts. */
	BP("WATCH: Stocks rally as rates fall", "WATCH: Stocks rally as rates "
	    "fall");
	BP("\n\nRead more\n\n", "\n\nRead more\n\n");
	/* Too long for the pattern, or for any. */
	BP("Story.\nClick here to subscribe to our channel, where the lawyers "
	    "for the plaintiffs said on Monday that they would appeal\nEnd.",
	    "Story.\nClick here to subscribe to our channel, where the lawyers "
	    "for the plaintiffs said on Monday that they would appeal\nEnd.");
}

static void
test_boilerplate_long_line(void **state)
{
	struct buf in, out;
	struct err err;

	(void)state;
	buf_init(&in);
	buf_init(&out);
	buf_addstr(&in, "Story.\n\xc2\xa9 2024 ");
	while (in.len < CLEAN_LINE_MAX + 8)
		buf_addch(&in, 'x');
	buf_addstr(&in, "\r\nEnd.");
	assert_int_equal(clean_text(in.data, in.len, CLEAN_BOILERPLATE, &out,
	    &err), 0);
	assert_int_equal(out.len, in.len);	/* CLEAN_LINE_MAX + 1: kept */
	in.len = CLEAN_LINE_MAX + 7;		/* exactly the limit */
	buf_addstr(&in, "\r\nEnd.");
	assert_int_equal(clean_text(in.data, in.len, CLEAN_BOILERPLATE, &out,
	    &err), 0);
	assert_string_equal(out.data, "Story.\nEnd.");
	buf_release(&in);
	buf_release(&out);
}

static void
test_blank_lines(void **state)
{
	(void)state;
	BP("\n\nA.\n\n\n\nB.\n \t\n\nC.\n\n", "A.\n\nB.\n\nC.\n");
	BP("A.\n\nShare this\n\nB.", "A.\n\nB.");
	BP("A.\nShare this\nB.", "A.\nB.");
	BP("Share this\n\nA.\n\nRead more\n", "A.\n");
}

static void
test_html_and_boilerplate(void **state)
{
	(void)state;
	CHECK("<p>Share this</p><p>The story.</p><p>More story.</p>"
	    "<p>&copy; 2024 Example</p>", CLEAN_HTML | CLEAN_BOILERPLATE,
	    "The story.\n\nMore story.");
	CHECK("<p>The story.</p>\n<p>&copy; 2024 Example</p>\n",
	    CLEAN_HTML | CLEAN_BOILERPLATE, "The story.");
	CHECK("<div>Advertisement</div><p>The story.</p><br>Read more<br>",
	    CLEAN_HTML | CLEAN_BOILERPLATE, "The story.");
	/* Without CLEAN_HTML the tags stay and the lines do not match. */
	CHECK("<p>Share this</p>\n<p>The story.</p>", CLEAN_BOILERPLATE,
	    "<p>Share this</p>\n<p>The story.</p>");
}

static void
test_idempotent(void **state)
{
	static const char *const in[] = {
		"A.\n\n\nShare this\n\n\nB.\nRead more\n",
		"Share this\nRead more\n",
		"\n  \n",
		"x\r\n\r\nShare on X\r\n\r\ny",
	};
	struct buf a, b;
	size_t i;

	(void)state;
	buf_init(&a);
	buf_init(&b);
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		assert_int_equal(clean_text(in[i], strlen(in[i]),
		    CLEAN_BOILERPLATE, &a, NULL), 0);
		assert_int_equal(clean_text(a.data, a.len, CLEAN_BOILERPLATE,
		    &b, NULL), 0);
		assert_int_equal(a.len, b.len);
		assert_memory_equal(a.data, b.data, a.len);
	}
	buf_release(&a);
	buf_release(&b);
}

static void
test_reuse(void **state)
{
	static const char big[] = "<p>A longer text, with a <b>tag</b>.</p>";
	struct buf out;
	char *data;

	(void)state;
	buf_init(&out);
	assert_int_equal(clean_text(big, sizeof(big) - 1, CLEAN_HTML |
	    CLEAN_BOILERPLATE, &out, NULL), 0);
	assert_string_equal(out.data, "A longer text, with a tag.");
	data = out.data;
	assert_int_equal(clean_text("<i>short</i>", 12, CLEAN_HTML, &out,
	    NULL), 0);
	assert_string_equal(out.data, "short");
	assert_ptr_equal(out.data, data);	/* no new storage */
	buf_release(&out);
}

static void
test_tables(void **state)
{
	const char *p;
	size_t i, n;
	struct buf u;

	(void)state;
	for (i = 1; i < NELEM(tags); i++)
		assert_true(strcmp(tags[i - 1].name, tags[i].name) < 0);
	for (i = 0; i < NELEM(tags); i++)
		assert_true(strlen(tags[i].name) <= TAG_NAME_MAX);

	buf_init(&u);
	for (i = 0; i < NELEM(entities); i++) {
		if (i > 0)
			assert_true(strcmp(entities[i - 1].name,
			    entities[i].name) < 0);
		n = strlen(entities[i].name);
		assert_true(n >= 2 && n <= ENT_NAME_MAX);
		/* Shorter than the reference: out never outgrows in. */
		buf_reset(&u);
		put_cp(&u, entities[i].cp);
		assert_true(u.len < n + 2);
		assert_int_equal(text_check_utf8(u.data, u.len, NULL), 0);
	}
	buf_release(&u);

	for (i = 0; i < NELEM(bp_pattern); i++) {
		p = bp_pattern[i].pat;
		n = strlen(p);
		if (i > 0)
			assert_true(strcmp(bp_pattern[i - 1].pat, p) < 0);
		/* Starts with a literal, ends with '*' or '$', lower case. */
		assert_true(n >= 2);
		assert_true(strchr(" *#$", p[0]) == NULL);
		assert_true(p[n - 1] == '*' || p[n - 1] == '$');
		assert_true(strchr(p, '$') == NULL || strchr(p, '$') == p +
		    n - 1);
		for (; *p != '\0'; p++)
			assert_false(*p >= 'A' && *p <= 'Z');
		assert_true(bp_pattern[i].max <= CLEAN_LINE_MAX);
	}
	assert_true(strlen(clean_boilerplate_version()) > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_flags),
		cmocka_unit_test(test_unknown_flags),
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_attributes),
		cmocka_unit_test(test_unterminated),
		cmocka_unit_test(test_lone_lt),
		cmocka_unit_test(test_raw_text),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_entities),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_boilerplate_drops),
		cmocka_unit_test(test_boilerplate_keeps),
		cmocka_unit_test(test_boilerplate_long_line),
		cmocka_unit_test(test_blank_lines),
		cmocka_unit_test(test_html_and_boilerplate),
		cmocka_unit_test(test_idempotent),
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
