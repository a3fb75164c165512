/*
 * fuzz_jsonl.c - libFuzzer target for reading labelled JSON Lines.
 *
 * The whole input goes to jsonl_parse_article (with and without
 * JSONL_NEED_LABEL), and is written to a file read by jsonl_read_file
 * with skip_bad on and off.  Checked: a parsed article has NUL-terminated
 * title and text of the lengths it reports, without NUL inside, at least
 * one of them non-empty, valid UTF-8 everywhere, a label that passes
 * label_check when one is needed; a failure leaves a message that is one
 * line of valid UTF-8 without control bytes; reading the file accounts for
 * every non-blank line (read + skipped), agrees with parsing each line on
 * its own, and without skip_bad fails exactly when some line is bad,
 * naming "path:line".  A crash, a leak, a sanitizer report or a failed
 * check (abort) is a finding.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonl.h"
#include "label.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "fuzz_jsonl: check failed: %s (line %d)\n", \
		    #c, __LINE__);					\
		abort();						\
	}								\
} while (0)

static char path[64];


static void
check_str(const char *s, size_t len)
{
	CHECK(s != NULL);
	CHECK(strlen(s) == len);
	CHECK(text_check_utf8(s, len, NULL) == 0);
}

static void
check_article(const struct jsonl_article *a, unsigned flags)
{
	check_str(a->title, a->tlen);
	check_str(a->text, a->xlen);
	CHECK(a->tlen > 0 || a->xlen > 0);
	if (a->id)
		check_str(a->id, strlen(a->id));
	if (a->label)
		check_str(a->label, strlen(a->label));
	if (flags & JSONL_NEED_LABEL)
		CHECK(a->label != NULL &&
		    label_check(a->label, strlen(a->label), NULL) == 0);
}

/* A reason: non-empty, valid UTF-8, no control byte. */
static void
check_reason(const char *msg)
{
	size_t i, len = strlen(msg);

	CHECK(len > 0);
	CHECK(text_check_utf8(msg, len, NULL) == 0);
	for (i = 0; i < len; i++)
		CHECK((unsigned char)msg[i] >= 0x20 && msg[i] != 0x7f);
}

static int
parse(const char *p, size_t n, unsigned flags)
{
	struct jsonl_article a;
	struct err err;
	int rc;

	err.msg[0] = '\0';
	rc = jsonl_parse_article(p, n, flags, &a, &err);
	if (rc == 0)
		check_article(&a, flags);
	else {
		CHECK(rc == -1);
		check_reason(err.msg);
	}
	jsonl_article_release(&a);
	return rc;
}

static int
blank(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jsonl_article *arr;
	struct err err;
	size_t n, skipped, lines = 0, good = 0, first_bad = 0, start, i;
	unsigned flags;
	FILE *f;

	parse((const char *)data, size, 0);
	parse((const char *)data, size, JSONL_NEED_LABEL);

	/* A new file every time: libFuzzer may exit without atexit. */
	{
		int fd;

		snprintf(path, sizeof(path), "/tmp/fuzz_jsonl.XXXXXX");
		if ((fd = mkstemp(path)) == -1) {
			perror("fuzz_jsonl: mkstemp");
			abort();
		}
		close(fd);
	}
	if ((f = fopen(path, "wb")) == NULL ||
	    (size > 0 && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
		perror("fuzz_jsonl: write");
		abort();
	}
	flags = size > 0 && (data[0] & 1) ? JSONL_NEED_LABEL : 0;

	/* What the file holds, line by line, as jsonl_read_file splits it. */
	for (start = 0, i = 0; start < size; start = i + 1) {
		size_t len;

		for (i = start; i < size && data[i] != '\n'; i++)
			;
		len = i - start;
		lines++;
		if (blank((const char *)data + start, len))
			continue;
		if (parse((const char *)data + start, len, flags) == 0)
			good++;
		else if (first_bad == 0)
			first_bad = lines;
	}

	err.msg[0] = '\0';
	CHECK(jsonl_read_file(path, flags, 1, &arr, &n, &skipped, NULL,
	    &err) == 0);
	CHECK(n == good);
	for (i = 0; i < n; i++)
		check_article(&arr[i], flags);
	jsonl_articles_free(&arr, n);
	CHECK(arr == NULL);

	err.msg[0] = '\0';
	if (jsonl_read_file(path, flags, 0, &arr, &n, &skipped, NULL,
	    &err) == 0) {
		CHECK(first_bad == 0);
		CHECK(n == good && skipped == 0);
		jsonl_articles_free(&arr, n);
	} else {
		char want[96];

		CHECK(first_bad != 0);
		CHECK(arr == NULL && n == 0);
		snprintf(want, sizeof(want), "%s:%zu: ", path, first_bad);
		CHECK(strncmp(err.msg, want, strlen(want)) == 0);
		check_reason(err.msg);
	}
	unlink(path);
	return 0;
}
