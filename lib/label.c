/*
 * label.c - checking class labels and task names (the rules are in
 * label.h) and quoting untrusted names for one-line messages.
 *
 * A label is at most LABEL_MAX bytes, so a check is one UTF-8 validation
 * (text_check_utf8) and one pass of utf8proc_iterate and
 * utf8proc_category over a few dozen bytes; nothing is allocated.
 * Reasons quote the name through label_escape into a LABEL_QUOTE-byte
 * stack buffer, which bounds a message whatever the input's length (a
 * megabyte "label" is quoted as its first characters and "...").
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include <utf8proc.h>

#include "label.h"
#include "text.h"

#define LABEL_QUOTE 96	/* bytes of a quoted name in a reason */

/* What a code point is, for the rules of label.h. */
enum label_kind {
	LABEL_KIND_OK,
	LABEL_KIND_SPACE,	/* ASCII white space, Zs, Zl, Zp */
	LABEL_KIND_CONTROL,	/* Cc */
	LABEL_KIND_FORMAT,	/* Cf */
	LABEL_KIND_OTHER,	/* Cs, Co, Cn */
};

static enum label_kind
label_kind(utf8proc_int32_t cp)
{
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_ZS:
	case UTF8PROC_CATEGORY_ZL:
	case UTF8PROC_CATEGORY_ZP:
		return LABEL_KIND_SPACE;
	case UTF8PROC_CATEGORY_CC:
		/* \t \n \v \f \r and NEXT LINE are white space too. */
		if ((cp >= 0x09 && cp <= 0x0d) || cp == 0x85)
			return LABEL_KIND_SPACE;
		return LABEL_KIND_CONTROL;
	case UTF8PROC_CATEGORY_CF:
		return LABEL_KIND_FORMAT;
	case UTF8PROC_CATEGORY_CS:
	case UTF8PROC_CATEGORY_CO:
	case UTF8PROC_CATEGORY_CN:
		return LABEL_KIND_OTHER;
	default:
		return LABEL_KIND_OK;
	}
}

/* One escaped character of s[0..len) into piece; its length in *step. */
static size_t
label_escape_one(const unsigned char *s, size_t len, char *piece,
    size_t *step)
{
	utf8proc_int32_t cp;
	utf8proc_ssize_t n;

	*step = 1;
	switch (s[0]) {
	case '\\':
		return (size_t)snprintf(piece, 16, "\\\\");
	case '\t':
		return (size_t)snprintf(piece, 16, "\\t");
	case '\n':
		return (size_t)snprintf(piece, 16, "\\n");
	case '\r':
		return (size_t)snprintf(piece, 16, "\\r");
	}
	if (s[0] >= 0x20 && s[0] < 0x7f) {
		piece[0] = (char)s[0];
		return 1;
	}
	if (s[0] < 0x80)
		return (size_t)snprintf(piece, 16, "\\x%02x", s[0]);
	n = utf8proc_iterate(s, (utf8proc_ssize_t)len, &cp);
	if (n < 0)
		return (size_t)snprintf(piece, 16, "\\x%02x", s[0]);
	*step = (size_t)n;
	if (label_kind(cp) != LABEL_KIND_OK)
		return (size_t)snprintf(piece, 16, cp > 0xffff ? "\\U%08x" :
		    "\\u%04x", (unsigned)cp);
	memcpy(piece, s, (size_t)n);
	return (size_t)n;
}

char *
label_escape(const char *s, size_t len, char *out, size_t size)
{
	const unsigned char *p = (const unsigned char *)s;
	char piece[16];
	size_t i = 0, o = 0, cut = 0, n, step;

	assert(size >= 4);
	while (i < len) {
		n = label_escape_one(p + i, len - i, piece, &step);
		if (o + n >= size) {
			/* Back to the last end that leaves room for "...". */
			memcpy(out + cut, "...", 3);
			o = cut + 3;
			break;
		}
		memcpy(out + o, piece, n);
		o += n;
		i += step;
		if (o + 3 < size)
			cut = o;
	}
	out[o] = '\0';
	return out;
}

int
label_check(const char *s, size_t len, struct err *err)
{
	const unsigned char *p = (const unsigned char *)s;
	char q[LABEL_QUOTE];
	utf8proc_int32_t cp;
	utf8proc_ssize_t n;
	size_t i, bad;

	if (len == 0)
		return err_set(err, "empty label");
	label_escape(s, len, q, sizeof(q));
	if (len > LABEL_MAX)
		return err_set(err, "label '%s' is longer than %d bytes (%zu)",
		    q, LABEL_MAX, len);
	if (text_check_utf8(s, len, &bad) == -1)
		return err_set(err, "label '%s' is not valid UTF-8 (byte %zu)",
		    q, bad + 1);
	if (s[0] == '_')
		return err_set(err, "label '%s' starts with '_' (reserved for "
		    "the daemon's envelopes)", q);
	for (i = 0; i < len; i += (size_t)n) {
		n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp);
		assert(n > 0);	/* checked just above */
		if (cp == '.')
			return err_set(err, "label '%s' contains '.' (the "
			    "envelope separator)", q);
		switch (label_kind(cp)) {
		case LABEL_KIND_OK:
			break;
		case LABEL_KIND_SPACE:
			return err_set(err, "label '%s' contains white space "
			    "(U+%04X)", q, (unsigned)cp);
		case LABEL_KIND_CONTROL:
			return err_set(err, "label '%s' contains a control "
			    "character (U+%04X)", q, (unsigned)cp);
		case LABEL_KIND_FORMAT:
			return err_set(err, "label '%s' contains an invisible "
			    "format character (U+%04X)", q, (unsigned)cp);
		case LABEL_KIND_OTHER:
			return err_set(err, "label '%s' contains an unassigned "
			    "or private-use code point (U+%04X)", q,
			    (unsigned)cp);
		}
	}
	return 0;
}

int
label_check_task(const char *name, struct err *err)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t i, len = strlen(name), step;
	char q[LABEL_QUOTE], c[16];

	if (len == 0)
		return err_set(err, "empty task name");
	label_escape(name, len, q, sizeof(q));
	if (len > LABEL_TASK_MAX)
		return err_set(err, "task name '%s' is longer than %d bytes "
		    "(%zu)", q, LABEL_TASK_MAX, len);
	for (i = 0; i < len; i++) {
		if ((p[i] >= 'a' && p[i] <= 'z') ||
		    (p[i] >= '0' && p[i] <= '9') || p[i] == '_' ||
		    p[i] == '-')
			continue;
		c[label_escape_one(p + i, len - i, c, &step)] = '\0';
		return err_set(err, "task name '%s' contains '%s' (use a-z, "
		    "0-9, '_' and '-')", q, c);
	}
	if (name[0] == '_' || name[0] == '-')
		return err_set(err, "task name '%s' starts with '%c' (use a "
		    "letter or a digit)", q, name[0]);
	return 0;
}
