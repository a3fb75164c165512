/*
 * fuzz_report.c - libFuzzer target for the model report page
 * (training/report.c).
 *
 * The input is split at its first NUL byte (which JSON text cannot hold)
 * into meta.json and an evaluation object; without a NUL there is no
 * evaluation.  report_write renders into memory.  Checked: a failure has
 * a reason and wrote nothing; a success is a whole page (doctype to
 * </html>) with no script, no NaN or infinity in the drawing, and every
 * '<' starting a tag (an unescaped input string would show as text that
 * begins with '<' and something else).  A crash, a leak, a sanitizer
 * report or a failed check (abort) is a finding.
 *
 * Seeds (tests/fuzz/corpus/report/): a meta.json alone, an old one, and
 * meta.json with an evaluation, all small.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "fuzz_report: check failed: %s (line %d)\n", \
		    #c, __LINE__);					\
		abort();						\
	}								\
} while (0)

static void
check_page(const char *p)
{
	const char *end = "</html>\n";

	CHECK(strncmp(p, "<!DOCTYPE html>\n", 16) == 0);
	CHECK(strlen(p) > strlen(end) &&
	    strcmp(p + strlen(p) - strlen(end), end) == 0);
	CHECK(strstr(p, "<script") == NULL);
	CHECK(strstr(p, "\"nan") == NULL && strstr(p, "\"-nan") == NULL);
	CHECK(strstr(p, "\"inf") == NULL && strstr(p, "\"-inf") == NULL);
	for (p += 16; (p = strchr(p, '<')) != NULL; p++)
		CHECK(isalpha((unsigned char)p[1]) || p[1] == '/');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *meta, *eval = NULL, *out = NULL;
	const uint8_t *nul = memchr(data, '\0', size);
	size_t mlen = nul ? (size_t)(nul - data) : size, olen = 0;
	struct err err;
	FILE *f;
	int rc;

	meta = xmalloc(mlen + 1);
	memcpy(meta, data, mlen);
	meta[mlen] = '\0';
	if (nul) {
		size_t elen = size - mlen - 1;

		eval = xmalloc(elen + 1);
		memcpy(eval, nul + 1, elen);
		eval[elen] = '\0';
	}
	f = open_memstream(&out, &olen);
	CHECK(f != NULL);
	err.msg[0] = '\0';
	rc = report_write(f, meta, eval, nul ? "fuzz" : NULL, &err);
	CHECK(fclose(f) == 0);
	if (rc == 0)
		check_page(out);
	else
		CHECK(rc == -1 && err.msg[0] != '\0' && olen == 0);
	free(out);
	free(meta);
	free(eval);
	return 0;
}
