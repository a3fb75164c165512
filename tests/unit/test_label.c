/*
 * test_label.c - unit tests for the label and task name rules
 * (lib/label.c): every class of bad label with the reason it gets, good
 * labels in several scripts, task names, and the quoting of untrusted
 * names (no raw control byte or invalid UTF-8 ever reaches a reason).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "label.h"
#include "text.h"

/* A reason is one printable line of valid UTF-8, lowercase first. */
static void
check_reason(const char *msg)
{
	size_t i, len = strlen(msg);

	if (len == 0)
		fail_msg("empty reason");
	if (msg[0] >= 'A' && msg[0] <= 'Z')
		fail_msg("'%s' starts with a capital", msg);
	if (text_check_utf8(msg, len, NULL) == -1)
		fail_msg("reason is not valid UTF-8");
	for (i = 0; i < len; i++)
		if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
			fail_msg("reason has byte 0x%02x at %zu",
			    (unsigned char)msg[i], i);
}

static void
check_good(const char *s, size_t len)
{
	struct err err;

	err.msg[0] = '\0';
	if (label_check(s, len, &err) != 0)
		fail_msg("'%.*s' refused: %s", (int)len, s, err.msg);
	/* err may be NULL. */
	assert_int_equal(label_check(s, len, NULL), 0);
}

static void
check_bad(const char *s, size_t len, const char *want)
{
	struct err err;

	err.msg[0] = '\0';
	if (label_check(s, len, &err) != -1)
		fail_msg("label of %zu bytes accepted (want '%s')", len, want);
	check_reason(err.msg);
	if (strstr(err.msg, want) == NULL)
		fail_msg("reason '%s' lacks '%s'", err.msg, want);
	assert_int_equal(label_check(s, len, NULL), -1);
}

#define GOOD(s) check_good((s), sizeof(s) - 1)
#define BAD(s, want) check_bad((s), sizeof(s) - 1, (want))

static void
test_good(void **state)
{
	char buf[LABEL_MAX + 1];

	(void)state;
	GOOD("business");
	GOOD("positive");
	GOOD("x");
	GOOD("l0");
	GOOD("2024");
	GOOD("left-wing");
	GOOD("a_b");
	GOOD("a_");
	GOOD("c++");
	GOOD("q&a");
	GOOD("it's");
	GOOD("Sport");
	GOOD("\xc3\xa9" "conomie");		/* économie, U+00E9 */
	GOOD("e\xcc\x81" "conomie");		/* e + U+0301 COMBINING ACUTE */
	GOOD("\xc3\xa9" "conomie-r\xc3\xa9" "gionale");
	GOOD("\xd0\xbf\xd0\xbe\xd0\xbb\xd0\xb8\xd1\x82"
	    "\xd0\xb8\xd0\xba\xd0\xb0");		/* Cyrillic */
	GOOD("\xe6\x94\xbf\xe6\xb2\xbb");	/* 政治 */
	GOOD("\xd8\xb3\xd9\x8a\xd8\xa7\xd8\xb3\xd8\xa9");	/* Arabic */
	GOOD("\xf0\x9f\x98\x80");		/* U+1F600, a symbol */
	GOOD("\xe2\x82\xac");			/* U+20AC EURO SIGN */
	GOOD("\xef\xbc\x8e");			/* U+FF0E FULLWIDTH FULL STOP */

	/* Exactly LABEL_MAX bytes, in ASCII and in two-byte letters. */
	memset(buf, 'a', LABEL_MAX);
	check_good(buf, LABEL_MAX);
	for (size_t i = 0; i < LABEL_MAX; i += 2)
		memcpy(buf + i, "\xc3\xa9", 2);
	check_good(buf, LABEL_MAX);
}

static void
test_dot_and_underscore(void **state)
{
	(void)state;
	BAD("a.b", "label 'a.b' contains '.' (the envelope separator)");
	BAD(".a", "contains '.'");
	BAD("a.", "contains '.'");
	BAD(".", "contains '.'");
	BAD("_error", "label '_error' starts with '_' (reserved for the "
	    "daemon's envelopes)");
	BAD("_heartbeat", "starts with '_'");
	BAD("_", "starts with '_'");
	BAD("", "empty label");
}

static void
test_space(void **state)
{
	(void)state;
	BAD("a b", "label 'a b' contains white space (U+0020)");
	BAD(" a", "white space (U+0020)");
	BAD("a ", "white space (U+0020)");
	BAD("a\tb", "label 'a\\tb' contains white space (U+0009)");
	BAD("a\nb", "label 'a\\nb' contains white space (U+000A)");
	BAD("a\rb", "label 'a\\rb' contains white space (U+000D)");
	BAD("a\vb", "label 'a\\x0bb' contains white space (U+000B)");
	BAD("a\fb", "white space (U+000C)");
	BAD("a\xc2\x85" "b", "label 'a\\u0085b' contains white space "
	    "(U+0085)");				/* NEXT LINE */
	BAD("a\xc2\xa0" "b", "label 'a\\u00a0b' contains white space "
	    "(U+00A0)");				/* NO-BREAK SPACE */
	BAD("a\xe1\x9a\x80" "b", "white space (U+1680)");	/* OGHAM */
	BAD("a\xe2\x80\x82" "b", "white space (U+2002)");	/* EN SPACE */
	BAD("a\xe2\x80\xaf" "b", "white space (U+202F)");	/* NNBSP */
	BAD("a\xe2\x80\xa8" "b", "white space (U+2028)");	/* LINE SEP */
	BAD("a\xe2\x80\xa9" "b", "white space (U+2029)");	/* PARA SEP */
	BAD("a\xe3\x80\x80" "b", "white space (U+3000)");	/* CJK */
}

static void
test_control(void **state)
{
	(void)state;
	BAD("a\0b", "label 'a\\x00b' contains a control character (U+0000)");
	BAD("\0", "control character (U+0000)");
	BAD("a\x01", "label 'a\\x01' contains a control character (U+0001)");
	BAD("\x1b[31mred", "label '\\x1b[31mred' contains a control "
	    "character (U+001B)");
	BAD("a\x7f", "label 'a\\x7f' contains a control character (U+007F)");
	BAD("a\xc2\x80", "label 'a\\u0080' contains a control character "
	    "(U+0080)");
	BAD("a\xc2\x9f", "control character (U+009F)");
}

static void
test_format_and_unassigned(void **state)
{
	(void)state;
	BAD("a\xe2\x80\x8b" "b", "label 'a\\u200bb' contains an invisible "
	    "format character (U+200B)");		/* ZERO WIDTH SPACE */
	BAD("\xef\xbb\xbf" "a", "invisible format character (U+FEFF)");
	BAD("a\xc2\xad" "b", "invisible format character (U+00AD)");
	BAD("a\xe2\x80\x8d" "b", "invisible format character (U+200D)");
	BAD("a\xe2\x80\xae" "b", "invisible format character (U+202E)");
	BAD("a\xe2\x81\xa0" "b", "invisible format character (U+2060)");
	BAD("a\xee\x80\x80", "label 'a\\ue000' contains an unassigned or "
	    "private-use code point (U+E000)");
	BAD("\xf4\x8f\xbf\xbd", "label '\\U0010fffd' contains an unassigned "
	    "or private-use code point (U+10FFFD)");
	BAD("a\xef\xbf\xbf", "unassigned or private-use code point "
	    "(U+FFFF)");				/* noncharacter */
	BAD("a\xcd\xb8", "unassigned or private-use code point (U+0378)");
}

static void
test_utf8(void **state)
{
	(void)state;
	BAD("caf\xe9", "label 'caf\\xe9' is not valid UTF-8 (byte 4)");
	BAD("\xff", "label '\\xff' is not valid UTF-8 (byte 1)");
	BAD("\xfe\xff", "not valid UTF-8 (byte 1)");
	BAD("a\x80", "not valid UTF-8 (byte 2)");	/* lone continuation */
	BAD("ab\xc3", "not valid UTF-8 (byte 3)");	/* truncated */
	BAD("\xe2\x82", "not valid UTF-8 (byte 1)");
	BAD("\xed\xa0\x80", "not valid UTF-8");		/* surrogate U+D800 */
	BAD("\xed\xbf\xbf", "not valid UTF-8");		/* surrogate U+DFFF */
	BAD("\xf4\x90\x80\x80", "not valid UTF-8");	/* U+110000 */
	BAD("\xf8\x88\x80\x80\x80", "not valid UTF-8");	/* five bytes */
	/* Overlong forms, among them '.', '/' and NUL in disguise. */
	BAD("a\xc0\xae", "label 'a\\xc0\\xae' is not valid UTF-8 (byte 2)");
	BAD("\xc0\xaf", "not valid UTF-8 (byte 1)");
	BAD("\xc0\x80", "not valid UTF-8 (byte 1)");
	BAD("\xc1\x81", "not valid UTF-8 (byte 1)");
	BAD("\xe0\x80\xae", "not valid UTF-8 (byte 1)");
	BAD("\xe0\x9f\xbf", "not valid UTF-8 (byte 1)");
	BAD("\xf0\x80\x80\xae", "not valid UTF-8 (byte 1)");
	BAD("\xf0\x8f\xbf\xbf", "not valid UTF-8 (byte 1)");
}

static void
test_too_long(void **state)
{
	char buf[4096];
	struct err err;

	(void)state;
	memset(buf, 'a', sizeof(buf));
	check_bad(buf, LABEL_MAX + 1, "is longer than 64 bytes (65)");
	/* 33 two-byte letters: 66 bytes. */
	for (size_t i = 0; i < 66; i += 2)
		memcpy(buf + i, "\xc3\xa9", 2);
	check_bad(buf, 66, "is longer than 64 bytes (66)");
	/* A huge "label" of control bytes: the quote is cut, not the line. */
	memset(buf, '\x01', sizeof(buf));
	check_bad(buf, sizeof(buf), "is longer than 64 bytes (4096)");
	assert_int_equal(label_check(buf, sizeof(buf), &err), -1);
	assert_non_null(strstr(err.msg, "\\x01...' is longer"));
	assert_true(strlen(err.msg) < 160);
}

static void
check_task(const char *name, const char *want)
{
	struct err err;

	err.msg[0] = '\0';
	if (want == NULL) {
		if (label_check_task(name, &err) != 0)
			fail_msg("task '%s' refused: %s", name, err.msg);
		assert_int_equal(label_check_task(name, NULL), 0);
		return;
	}
	if (label_check_task(name, &err) != -1)
		fail_msg("task '%s' accepted", name);
	check_reason(err.msg);
	if (strstr(err.msg, want) == NULL)
		fail_msg("reason '%s' lacks '%s'", err.msg, want);
	assert_int_equal(label_check_task(name, NULL), -1);
}

static void
test_task(void **state)
{
	(void)state;
	check_task("topic", NULL);
	check_task("sentiment", NULL);
	check_task("topic-v2", NULL);
	check_task("topic_2024", NULL);
	check_task("2024", NULL);
	check_task("a", NULL);
	check_task("a-", NULL);
	check_task("abcdefghijklmnopqrstuvwxyz012345", NULL);	/* 32 */

	check_task("", "empty task name");
	check_task("abcdefghijklmnopqrstuvwxyz0123456",
	    "is longer than 32 bytes (33)");
	check_task("Topic", "task name 'Topic' contains 'T' (use a-z, 0-9, "
	    "'_' and '-')");
	check_task("my topic", "contains ' '");
	check_task("topic.v2", "contains '.'");
	check_task("a/b", "contains '/'");
	check_task("a\tb", "task name 'a\\tb' contains '\\t'");
	check_task("a\x1b", "task name 'a\\x1b' contains '\\x1b'");
	check_task("\xc3\xa9" "conomie", "task name '\xc3\xa9" "conomie' "
	    "contains '\xc3\xa9'");
	check_task("a\xff", "task name 'a\\xff' contains '\\xff'");
	check_task("a\xc2\xa0", "contains '\\u00a0'");
	check_task("_error", "task name '_error' starts with '_'");
	check_task("_", "starts with '_'");
	check_task("-v", "task name '-v' starts with '-'");
	check_task(".", "contains '.'");
	check_task("..", "contains '.'");
}

static void
check_escape(const char *s, size_t len, size_t size, const char *want)
{
	char out[128];

	assert_true(size <= sizeof(out));
	memset(out, 'Z', sizeof(out));
	assert_ptr_equal(label_escape(s, len, out, size), out);
	assert_string_equal(out, want);
	assert_true(strlen(out) < size);
}

#define ESC(s, size, want) check_escape((s), sizeof(s) - 1, (size), (want))

static void
test_escape(void **state)
{
	(void)state;
	ESC("", 4, "");
	ESC("plain text", 64, "plain text");
	ESC("it's a\\b", 64, "it's a\\\\b");
	ESC("a\tb\nc\rd", 64, "a\\tb\\nc\\rd");
	ESC("\x01\x1b\x7f", 64, "\\x01\\x1b\\x7f");
	ESC("a\0b", 64, "a\\x00b");
	ESC("\xc3\xa9t\xc3\xa9", 64, "\xc3\xa9t\xc3\xa9");
	ESC("\xe6\x94\xbf", 64, "\xe6\x94\xbf");
	ESC("a\xc2\xa0" "b", 64, "a\\u00a0b");
	ESC("\xe2\x80\x8b", 64, "\\u200b");
	ESC("\xf4\x8f\xbf\xbd", 64, "\\U0010fffd");
	ESC("\xff\xfe", 64, "\\xff\\xfe");
	ESC("caf\xe9!", 64, "caf\\xe9!");
	ESC("\xc0\xae", 64, "\\xc0\\xae");	/* overlong: byte by byte */
	ESC("\xed\xa0\x80", 64, "\\xed\\xa0\\x80");
	ESC("\xe2\x82", 64, "\\xe2\\x82");	/* truncated sequence */

	/* Cutting: what fits exactly stays whole, else "..." at a boundary. */
	ESC("abc", 4, "abc");
	ESC("abcd", 4, "...");
	ESC("abcdefg", 8, "abcdefg");
	ESC("abcdefgh", 8, "abcd...");
	ESC("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 8,
	    "\xc3\xa9\xc3\xa9...");
	ESC("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 9,
	    "\xc3\xa9\xc3\xa9...");
	ESC("a\x01\x01\x01", 12, "a\\x01...");
	ESC("\x01\x01", 9, "\\x01\\x01");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_dot_and_underscore),
		cmocka_unit_test(test_space),
		cmocka_unit_test(test_control),
		cmocka_unit_test(test_format_and_unassigned),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_task),
		cmocka_unit_test(test_escape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
