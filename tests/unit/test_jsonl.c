/*
 * test_jsonl.c - unit tests for reading labelled articles (lib/jsonl.c):
 * one line at a time with jsonl_parse_article, whole files with
 * jsonl_read_file (bad lines fatal or skipped, blank lines ignored), and
 * the reasons: duplicate keys, bad labels, invalid UTF-8 with its byte,
 * "path:line: " in front and no raw control byte anywhere.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonl.h"
#include "text.h"

static char tmpdir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_jsonl.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static int
parse(const char *line, unsigned flags, struct jsonl_article *a,
    struct err *err)
{
	err->msg[0] = '\0';
	return jsonl_parse_article(line, strlen(line), flags, a, err);
}

static void
test_parse_good(void **state)
{
	struct jsonl_article a;
	struct err err;

	(void)state;
	assert_int_equal(parse("{\"id\":\"a1\",\"title\":\"Hello\","
	    "\"text\":\"World here\",\"label\":\"tech\"}", JSONL_NEED_LABEL,
	    &a, &err), 0);
	assert_string_equal(a.id, "a1");
	assert_string_equal(a.title, "Hello");
	assert_int_equal(a.tlen, 5);
	assert_string_equal(a.text, "World here");
	assert_int_equal(a.xlen, 10);
	assert_string_equal(a.label, "tech");
	jsonl_article_release(&a);
	assert_null(a.id);
	assert_null(a.title);

	/* Integer ids are kept as decimal text, negative ones too. */
	assert_int_equal(parse("{\"id\":42,\"text\":\"x\",\"label\":\"l\"}",
	    JSONL_NEED_LABEL, &a, &err), 0);
	assert_string_equal(a.id, "42");
	jsonl_article_release(&a);
	assert_int_equal(parse("{\"id\":-9007199254740993,\"text\":\"x\"}", 0,
	    &a, &err), 0);
	assert_string_equal(a.id, "-9007199254740993");
	jsonl_article_release(&a);

	/* Title optional: "" when absent or null. */
	assert_int_equal(parse("{\"id\":\"b\",\"text\":\"only text\","
	    "\"label\":\"x\"}", JSONL_NEED_LABEL, &a, &err), 0);
	assert_string_equal(a.title, "");
	assert_int_equal(a.tlen, 0);
	assert_string_equal(a.text, "only text");
	jsonl_article_release(&a);
	assert_int_equal(parse("{\"id\":\"b\",\"title\":null,\"text\":\"t\"}",
	    0, &a, &err), 0);
	assert_string_equal(a.title, "");
	jsonl_article_release(&a);

	/* Headline only is legal: text "" or absent. */
	assert_int_equal(parse("{\"id\":\"c\",\"title\":\"Headline\","
	    "\"label\":\"x\"}", JSONL_NEED_LABEL, &a, &err), 0);
	assert_string_equal(a.title, "Headline");
	assert_string_equal(a.text, "");
	assert_int_equal(a.xlen, 0);
	jsonl_article_release(&a);
	assert_int_equal(parse("{\"id\":\"c\",\"title\":\"Headline\","
	    "\"text\":\"\"}", 0, &a, &err), 0);
	jsonl_article_release(&a);

	/* No id, null id, empty id: fine, id NULL. */
	assert_int_equal(parse("{\"text\":\"t\"}", 0, &a, &err), 0);
	assert_null(a.id);
	jsonl_article_release(&a);
	assert_int_equal(parse("{\"id\":null,\"text\":\"t\"}", 0, &a, &err),
	    0);
	assert_null(a.id);
	jsonl_article_release(&a);
	assert_int_equal(parse("{\"id\":\"\",\"text\":\"t\"}", 0, &a, &err),
	    0);
	assert_null(a.id);
	jsonl_article_release(&a);

	/* Label not needed: absent is NULL; extra keys are ignored. */
	assert_int_equal(parse("{\"id\":\"d\",\"text\":\"t\",\"extra\":[1,{}],"
	    "\"n\":1.5}", 0, &a, &err), 0);
	assert_null(a.label);
	jsonl_article_release(&a);

	/* UTF-8 and escapes come out decoded. */
	assert_int_equal(parse("{\"id\":\"e\",\"title\":\"Caf\\u00e9 "
	    "\xe2\x82\xac\",\"text\":\"a\\nb\\\"c\"}", 0, &a, &err), 0);
	assert_string_equal(a.title, "Caf\xc3\xa9 \xe2\x82\xac");
	assert_int_equal(a.tlen, strlen("Caf\xc3\xa9 \xe2\x82\xac"));
	assert_string_equal(a.text, "a\nb\"c");
	jsonl_article_release(&a);

	/* White space around the object and a CR are fine. */
	assert_int_equal(parse("  {\"text\":\"t\"} \r", 0, &a, &err), 0);
	jsonl_article_release(&a);

	/* The length is honoured: the line need not be NUL-terminated. */
	{
		const char line[] = "{\"text\":\"t\"}garbage";

		assert_int_equal(jsonl_parse_article(line, 12, 0, &a, &err),
		    0);
		jsonl_article_release(&a);
	}
}

static void
check_bad(const char *line, size_t len, unsigned flags, const char *want)
{
	struct jsonl_article a;
	struct err err;

	err.msg[0] = '\0';
	if (jsonl_parse_article(line, len, flags, &a, &err) != -1)
		fail_msg("'%s' accepted", line);
	if (strstr(err.msg, want) == NULL)
		fail_msg("'%s': error '%s' lacks '%s'", line, err.msg, want);
	/* Release is safe after a failure. */
	jsonl_article_release(&a);
}

#define BAD(line, flags, want) check_bad((line), sizeof(line) - 1, (flags), \
	(want))

static void
test_parse_bad(void **state)
{
	(void)state;
	BAD("", 0, "not JSON");
	BAD("not json", 0, "not JSON");
	BAD("{\"id\":\"a\",\"text\":\"t\"", 0, "not JSON");
	BAD("{\"id\":\"a\",\"text\":\"t\"} {}", 0, "not JSON");
	BAD("{\"text\":\"t\",}", 0, "not JSON");
	BAD("[1,2]", 0, "not a JSON object");
	BAD("\"text\"", 0, "not JSON");	/* jansson: no bare values */
	BAD("{\"id\":\"a\",\"title\":5,\"text\":\"t\"}", 0,
	    "field 'title' must be a string");
	BAD("{\"id\":\"a\",\"title\":[\"x\"],\"text\":\"t\"}", 0,
	    "field 'title' must be a string");
	BAD("{\"id\":\"a\",\"text\":true}", 0, "field 'text' must be a string");
	BAD("{\"id\":\"a\",\"text\":{\"t\":1}}", 0,
	    "field 'text' must be a string");
	BAD("{\"id\":\"a\",\"text\":\"t\",\"label\":3}", 0,
	    "field 'label' must be a string");
	BAD("{\"id\":\"a\"}", 0, "neither a non-empty 'title' nor 'text'");
	BAD("{\"id\":\"a\",\"title\":\"\",\"text\":\"\"}", 0,
	    "neither a non-empty 'title' nor 'text'");
	BAD("{\"id\":\"a\",\"title\":null,\"text\":null}", 0,
	    "neither a non-empty 'title' nor 'text'");
	BAD("{\"id\":\"a\",\"text\":\"t\"}", JSONL_NEED_LABEL,
	    "missing 'label'");
	BAD("{\"id\":\"a\",\"text\":\"t\",\"label\":\"\"}", JSONL_NEED_LABEL,
	    "missing 'label'");
	BAD("{\"id\":\"a\",\"text\":\"t\",\"label\":null}", JSONL_NEED_LABEL,
	    "missing 'label'");
	BAD("{\"id\":\"a\",\"text\":\"caf\xe9\"}", 0, "invalid UTF-8");
	BAD("{\"id\":\"a\",\"text\":\"\xed\xa0\x80\"}", 0, "invalid UTF-8");
	BAD("{\"id\":\"a\",\"text\":\"\xc0\xaf\"}", 0, "invalid UTF-8");
	BAD("{\"id\":\"\xff\",\"text\":\"t\"}", 0, "invalid UTF-8");
	BAD("{\"id\":1.5,\"text\":\"t\"}", 0,
	    "field 'id' must be a string or an integer");
	BAD("{\"id\":true,\"text\":\"t\"}", 0,
	    "field 'id' must be a string or an integer");
	BAD("{\"id\":[1],\"text\":\"t\"}", 0,
	    "field 'id' must be a string or an integer");
	BAD("{\"id\":{},\"text\":\"t\"}", 0,
	    "field 'id' must be a string or an integer");
	/* jansson refuses \u0000 (no JSON_ALLOW_NUL): C strings stay whole. */
	BAD("{\"id\":\"a\",\"text\":\"a\\u0000b\"}", 0, "not JSON");
	BAD("{\"id\":\"a\",\"title\":\"\\u0000\",\"text\":\"b\"}", 0,
	    "not JSON");
	/* A raw NUL inside the given length. */
	BAD("{\"id\":\"a\",\"text\":\"t\"}\0", 0, "not JSON");
}

static char *
write_file(const char *name, const char *content, size_t len)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(content, 1, len, f), len);
	fclose(f);
	return path;
}

#define GOOD_A "{\"id\":\"a\",\"text\":\"alpha\",\"label\":\"x\"}"
#define GOOD_B "{\"id\":2,\"title\":\"beta\",\"label\":\"y\"}"
#define GOOD_C "{\"id\":\"c\",\"title\":\"g\",\"text\":\"gamma\",\"label\":\"x\"}"

static const char *warned[8];
static size_t nwarned;

static void
warn(const char *msg)
{
	if (nwarned < 8)
		warned[nwarned] = strdup(msg);
	nwarned++;
}

static void
warn_reset(void)
{
	size_t i;

	for (i = 0; i < nwarned && i < 8; i++)
		free((void *)warned[i]);
	nwarned = 0;
}

static void
test_read_file(void **state)
{
	static const char content[] =
	    GOOD_A "\n"
	    "\n"
	    "   \t \r\n"
	    GOOD_B "\r\n"
	    GOOD_C;		/* no final newline */
	struct jsonl_article *a;
	struct err err;
	size_t n, skipped;
	char *path;

	(void)state;
	path = write_file("good.jsonl", content, sizeof(content) - 1);
	assert_int_equal(jsonl_read_file(path, JSONL_NEED_LABEL, 0, &a, &n,
	    &skipped, warn, &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(skipped, 0);
	assert_int_equal(nwarned, 0);
	assert_string_equal(a[0].id, "a");
	assert_string_equal(a[0].text, "alpha");
	assert_string_equal(a[1].id, "2");
	assert_string_equal(a[1].title, "beta");
	assert_string_equal(a[1].label, "y");
	assert_string_equal(a[2].id, "c");
	assert_string_equal(a[2].text, "gamma");
	jsonl_articles_free(&a, n);
	assert_null(a);
	jsonl_articles_free(&a, 0);	/* NULL is fine */

	/* nskipped and warn may be NULL. */
	assert_int_equal(jsonl_read_file(path, 0, 1, &a, &n, NULL, NULL,
	    &err), 0);
	assert_int_equal(n, 3);
	jsonl_articles_free(&a, n);

	/* An empty file: no articles, no error. */
	path = write_file("empty.jsonl", "", 0);
	assert_int_equal(jsonl_read_file(path, 0, 0, &a, &n, &skipped, warn,
	    &err), 0);
	assert_int_equal(n, 0);
	jsonl_articles_free(&a, n);
}

static void
test_read_file_bad(void **state)
{
	/* Bad lines 3 (not JSON), 5 (no label), 6 (invalid UTF-8). */
	static const char content[] =
	    GOOD_A "\n"
	    "\n"
	    "{oops\n"
	    GOOD_B "\n"
	    "{\"id\":\"d\",\"text\":\"delta\"}\n"
	    "{\"id\":\"e\",\"text\":\"\xff\",\"label\":\"x\"}\n"
	    GOOD_C "\n";
	struct jsonl_article *a = NULL;
	struct err err;
	size_t n = 7, skipped = 7;
	char *path, want[192];

	(void)state;
	path = write_file("bad.jsonl", content, sizeof(content) - 1);
	warn_reset();
	err.msg[0] = '\0';
	assert_int_equal(jsonl_read_file(path, JSONL_NEED_LABEL, 0, &a, &n,
	    &skipped, warn, &err), -1);
	assert_null(a);
	assert_int_equal(n, 0);
	snprintf(want, sizeof(want), "%s:3: not JSON", path);
	if (strncmp(err.msg, want, strlen(want)) != 0)
		fail_msg("'%s' does not start with '%s'", err.msg, want);
	assert_int_equal(nwarned, 0);

	/* skip_bad: the three good ones, three warnings naming the lines. */
	assert_int_equal(jsonl_read_file(path, JSONL_NEED_LABEL, 1, &a, &n,
	    &skipped, warn, &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(skipped, 3);
	assert_string_equal(a[0].id, "a");
	assert_string_equal(a[1].id, "2");
	assert_string_equal(a[2].id, "c");
	jsonl_articles_free(&a, n);
	assert_int_equal(nwarned, 3);
	snprintf(want, sizeof(want), "%s:3: skipped: not JSON", path);
	assert_true(strncmp(warned[0], want, strlen(want)) == 0);
	snprintf(want, sizeof(want), "%s:5: skipped: missing 'label'", path);
	assert_string_equal(warned[1], want);
	snprintf(want, sizeof(want), "%s:6: skipped: invalid UTF-8 at byte 19 "
	    "(0xff)", path);
	assert_string_equal(warned[2], want);
	warn_reset();

	/* Without JSONL_NEED_LABEL, line 5 is good: the first bad is 3. */
	assert_int_equal(jsonl_read_file(path, 0, 1, &a, &n, &skipped, NULL,
	    &err), 0);
	assert_int_equal(n, 4);
	assert_int_equal(skipped, 2);
	assert_null(a[2].label);
	jsonl_articles_free(&a, n);

	/* The first bad line wins, after good ones were read (no leak). */
	path = write_file("late.jsonl", GOOD_A "\n" GOOD_B "\n[]\n{}\n",
	    sizeof(GOOD_A "\n" GOOD_B "\n[]\n{}\n") - 1);
	assert_int_equal(jsonl_read_file(path, 0, 0, &a, &n, &skipped, NULL,
	    &err), -1);
	snprintf(want, sizeof(want), "%s:3: not a JSON object", path);
	assert_string_equal(err.msg, want);

	/* Missing file. */
	snprintf(want, sizeof(want), "%s/nope.jsonl", tmpdir);
	assert_int_equal(jsonl_read_file(want, 0, 1, &a, &n, &skipped, NULL,
	    &err), -1);
	assert_non_null(strstr(err.msg, "nope.jsonl"));
	assert_non_null(strstr(err.msg, "cannot open"));
}

/* A reason is one printable line of valid UTF-8. */
static void
check_printable(const char *msg)
{
	size_t i, len = strlen(msg);

	assert_int_equal(text_check_utf8(msg, len, NULL), 0);
	for (i = 0; i < len; i++)
		if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
			fail_msg("'%s' has byte 0x%02x", msg,
			    (unsigned char)msg[i]);
}

/* The exact reason for line, and that it is printable. */
static void
check_reason(const char *line, size_t len, unsigned flags, const char *want)
{
	struct jsonl_article a;
	struct err err;

	err.msg[0] = '\0';
	if (jsonl_parse_article(line, len, flags, &a, &err) != -1)
		fail_msg("'%s' accepted", line);
	jsonl_article_release(&a);
	check_printable(err.msg);
	assert_string_equal(err.msg, want);
}

#define REASON(line, flags, want) check_reason((line), sizeof(line) - 1, \
	(flags), (want))

static void
test_parse_duplicates(void **state)
{
	struct jsonl_article a;
	struct err err;

	(void)state;
	/* The last one used to win silently. */
	REASON("{\"text\":\"t\",\"label\":\"a\",\"label\":\"b\"}",
	    JSONL_NEED_LABEL, "duplicate key \"label\" (column 31)");
	REASON("{\"label\":\"a\",\"text\":\"t\",\"label\":\"a\"}",
	    JSONL_NEED_LABEL, "duplicate key \"label\" (column 31)");
	/* Whatever the key and the flags; an escaped spelling is the same. */
	REASON("{\"text\":\"t\",\"text\":\"u\"}", 0,
	    "duplicate key \"text\" (column 18)");
	REASON("{\"id\":1,\"id\":2,\"text\":\"t\"}", 0,
	    "duplicate key \"id\" (column 12)");
	REASON("{\"text\":\"t\",\"l\\u0061bel\":\"a\",\"label\":\"b\"}",
	    JSONL_NEED_LABEL, "duplicate key \"label\" (column 36)");
	/* In a nested object too, and in keys the reader ignores. */
	REASON("{\"text\":\"t\",\"extra\":{\"k\":1,\"k\":2}}", 0,
	    "duplicate key \"k\" (column 30)");
	REASON("{\"text\":\"t\",\"x\":1,\"x\":1}", 0,
	    "duplicate key \"x\" (column 21)");
	/* The key as written, invisible characters escaped. */
	REASON("{\"text\":\"t\",\"\\u001b\":1,\"\\u001b\":1}", 0,
	    "duplicate key \"\\\\u001b\" (column 31)");
	REASON("{\"text\":\"t\",\"\xe2\x80\xa8\":1,\"\xe2\x80\xa8\":1}", 0,
	    "duplicate key \"\\u2028\" (column 21)");
	/* Keys that only look alike are different keys. */
	assert_int_equal(parse("{\"text\":\"t\",\"label\":\"a\","
	    "\"Label\":\"b\",\"label \":\"c\"}", JSONL_NEED_LABEL, &a, &err),
	    0);
	assert_string_equal(a.label, "a");
	jsonl_article_release(&a);
}

static void
test_parse_labels(void **state)
{
	struct jsonl_article a;
	struct err err;

	(void)state;
	REASON("{\"text\":\"t\",\"label\":\"a.b\"}", JSONL_NEED_LABEL,
	    "label 'a.b' contains '.' (the envelope separator)");
	REASON("{\"text\":\"t\",\"label\":\"a b\"}", JSONL_NEED_LABEL,
	    "label 'a b' contains white space (U+0020)");
	REASON("{\"text\":\"t\",\"label\":\"a\\tb\"}", JSONL_NEED_LABEL,
	    "label 'a\\tb' contains white space (U+0009)");
	REASON("{\"text\":\"t\",\"label\":\"pos\\n\"}", JSONL_NEED_LABEL,
	    "label 'pos\\n' contains white space (U+000A)");
	REASON("{\"text\":\"t\",\"label\":\"a\\u00a0b\"}", JSONL_NEED_LABEL,
	    "label 'a\\u00a0b' contains white space (U+00A0)");
	REASON("{\"text\":\"t\",\"label\":\"a\xc2\xa0" "b\"}",
	    JSONL_NEED_LABEL,
	    "label 'a\\u00a0b' contains white space (U+00A0)");
	REASON("{\"text\":\"t\",\"label\":\"\\u001b[1mx\"}", JSONL_NEED_LABEL,
	    "label '\\x1b[1mx' contains a control character (U+001B)");
	REASON("{\"text\":\"t\",\"label\":\"a\\u200bb\"}", JSONL_NEED_LABEL,
	    "label 'a\\u200bb' contains an invisible format character "
	    "(U+200B)");
	REASON("{\"text\":\"t\",\"label\":\"_error\"}", JSONL_NEED_LABEL,
	    "label '_error' starts with '_' (reserved for the daemon's "
	    "envelopes)");
	REASON("{\"text\":\"t\",\"label\":\""
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "\"}", JSONL_NEED_LABEL, "label '"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "' is longer than 64 bytes (65)");
	/* An empty label is a missing one, as before. */
	REASON("{\"text\":\"t\",\"label\":\"\"}", JSONL_NEED_LABEL,
	    "missing 'label'");
	/* Without JSONL_NEED_LABEL the label is kept as it is. */
	assert_int_equal(parse("{\"text\":\"t\",\"label\":\"a.b c\"}", 0, &a,
	    &err), 0);
	assert_string_equal(a.label, "a.b c");
	jsonl_article_release(&a);
	/* Good ones, non-ASCII and escaped alike. */
	assert_int_equal(parse("{\"text\":\"t\",\"label\":\"\\u00e9conomie\"}",
	    JSONL_NEED_LABEL, &a, &err), 0);
	assert_string_equal(a.label, "\xc3\xa9" "conomie");
	jsonl_article_release(&a);
	assert_int_equal(parse("{\"text\":\"t\",\"label\":\"centre-left\"}",
	    JSONL_NEED_LABEL, &a, &err), 0);
	jsonl_article_release(&a);
}

static void
test_parse_reasons(void **state)
{
	(void)state;
	/* Invalid UTF-8 names the byte (from 1) and its value. */
	REASON("{\"text\":\"caf\xe9\"}", 0, "invalid UTF-8 at byte 13 (0xe9)");
	REASON("\xef\xbb\xbf\xff{}", 0, "invalid UTF-8 at byte 4 (0xff)");
	REASON("{\"text\":\"\xc0\xae\"}", 0, "invalid UTF-8 at byte 10 (0xc0)");
	REASON("{\"text\":\"t\",\"label\":\"\xed\xa0\x80\"}", JSONL_NEED_LABEL,
	    "invalid UTF-8 at byte 22 (0xed)");
	/* jansson's own messages, with the input they quote escaped. */
	REASON("{\"text\": tr\x01ue}", 0,
	    "not JSON: invalid token near 'tr' (column 11)");
	REASON("{\"text\": \"a\x01\"}", 0,
	    "not JSON: control character 0x1 near '\"a' (column 11)");
	REASON("{\"text\":\"a\\u0000b\"}", 0,
	    "not JSON: \\u0000 (NUL) in a string (column 18)");
	REASON("{\"text\":\"\\ud800\"}", 0,
	    "not JSON: invalid Unicode '\\\\uD800' near "
	    "'\"\\\\ud800\"' (column 16)");
}

static void
test_read_file_reasons(void **state)
{
	/* One bad line of each kind after two good ones: line 3 each time. */
	static const char *const bad[] = {
		"{\"text\":\"t\",\"label\":\"x\",\"label\":\"y\"}",
		"{\"text\":\"t\",\"label\":\"a.b\"}",
		"{\"text\":\"t\",\"label\":\"a\\u00a0b\"}",
		"{\"text\":\"t\",\"label\":\"_x\"}",
		"{\"text\":\"t\xff\",\"label\":\"x\"}",
	};
	static const char *const reason[] = {
		"duplicate key \"label\" (column 31)",
		"label 'a.b' contains '.' (the envelope separator)",
		"label 'a\\u00a0b' contains white space (U+00A0)",
		/* (parentheses: one string, not a missing comma) */
		("label '_x' starts with '_' (reserved for the daemon's "
		    "envelopes)"),
		"invalid UTF-8 at byte 11 (0xff)",
	};
	struct jsonl_article *a;
	struct err err;
	char content[256], want[512], *path;
	size_t i, n, skipped;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(content, sizeof(content), "%s\n%s\n%s\n%s\n", GOOD_A,
		    GOOD_B, bad[i], GOOD_C);
		path = write_file("reason.jsonl", content, strlen(content));
		err.msg[0] = '\0';
		assert_int_equal(jsonl_read_file(path, JSONL_NEED_LABEL, 0, &a,
		    &n, &skipped, NULL, &err), -1);
		snprintf(want, sizeof(want), "%s:3: %s", path, reason[i]);
		assert_string_equal(err.msg, want);
		check_printable(err.msg);

		warn_reset();
		assert_int_equal(jsonl_read_file(path, JSONL_NEED_LABEL, 1, &a,
		    &n, &skipped, warn, &err), 0);
		assert_int_equal(n, 3);
		assert_int_equal(skipped, 1);
		assert_int_equal(nwarned, 1);
		snprintf(want, sizeof(want), "%s:3: skipped: %s", path,
		    reason[i]);
		assert_string_equal(warned[0], want);
		warn_reset();
		jsonl_articles_free(&a, n);
	}
}

static void
test_read_file_many(void **state)
{
	/* Enough lines to grow the array several times, one long line. */
	struct jsonl_article *a;
	struct err err;
	size_t i, n, skipped;
	char path[128];
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/many.jsonl", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	for (i = 0; i < 1000; i++)
		fprintf(f, "{\"id\":%zu,\"text\":\"t%zu\",\"label\":\"l%zu\"}\n",
		    i, i, i % 3);
	fputs("{\"id\":\"long\",\"label\":\"l\",\"text\":\"", f);
	for (i = 0; i < 100000; i++)
		fputs("word ", f);
	fputs("\"}\n", f);
	fclose(f);
	assert_int_equal(jsonl_read_file(path, JSONL_NEED_LABEL, 0, &a, &n,
	    &skipped, NULL, &err), 0);
	assert_int_equal(n, 1001);
	assert_string_equal(a[999].id, "999");
	assert_string_equal(a[999].label, "l0");
	assert_int_equal(a[1000].xlen, 500000);
	jsonl_articles_free(&a, n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_duplicates),
		cmocka_unit_test(test_parse_labels),
		cmocka_unit_test(test_parse_reasons),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_read_file_bad),
		cmocka_unit_test(test_read_file_reasons),
		cmocka_unit_test(test_read_file_many),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
