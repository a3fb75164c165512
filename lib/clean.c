/*
 * clean.c - markup and boilerplate lines out of news text.
 *
 * Two passes over the text, each linear:
 *   1. CLEAN_HTML copies the text between markup into out, with memchr
 *      finding the next "<" and "&" (text is most of the bytes), decodes
 *      character references and steps over markup with a small state
 *      machine after the HTML standard's tokenizer (WHATWG HTML, 13.2.5):
 *      tag name, attribute name, before/inside/after attribute value.  It
 *      keeps only what decides where a tag ends: quotes open a value only
 *      right after "=", so "<a title='x>y'>" ends after the second quote.
 *      Breaks that tags ask for are pending until the next text, so
 *      consecutive block tags make one break and none comes first or last.
 *   2. CLEAN_BOILERPLATE walks the lines of the result (or of a copy of the
 *      input) and moves the lines it keeps down over the ones it drops, in
 *      place.
 * Departures from the standard, all on malformed input: a quoted attribute
 * value not closed by the end of the input ends at the next ">" (browsers
 * would take the rest of the page into it); "</" followed by neither a
 * letter nor ">" is text (a bogus comment for browsers); script data has no
 * "<!--" escape states; named references need their ";".
 *
 * Every byte written is paid for by at least as many bytes read: a break
 * (at most two newlines) replaces a tag of at least three bytes, a
 * reference's UTF-8 is shorter than the reference ("&lt;" 4 -> 1,
 * "&#0;" 4 -> 3, names >= 2 letters -> <= 3 bytes).  So out never outgrows
 * the input, and grows once per size of input.  Only ASCII bytes ("<",
 * "&", ">", quotes, newlines) delimit anything, and they never occur
 * inside a multi-byte UTF-8 sequence, so valid UTF-8 stays valid.
 *
 * The boilerplate patterns (one table, bp_pattern[], versioned by
 * BP_VERSION) are written in a tiny language, matched from the first
 * non-blank byte of a line to its end:
 *   a..z 0..9 and punctuation match themselves, ASCII letters in either
 *               case; other bytes (the UTF-8 of "©") match exactly
 *   ' '         any run of blanks, also none ("read more" = "readmore")
 *   '#'         one or more ASCII digits, as many as there are
 *   '*'         anything (the shortest that lets the rest match)
 *   '$'         the end of the line, allowing up to BP_TRAILER_MAX bytes
 *               of trailing punctuation or symbols ("Read more »")
 * A pattern starts with a literal and ends with '*' or '$'.  A letter or
 * digit before '*' or '$' must end a word: "also read*" does not match
 * "Also reading".  A pattern may limit the lines it drops to fewer bytes
 * than CLEAN_LINE_MAX, for openings such as "Click here" that sometimes
 * run on into the story.  The table is sorted by bytes so that a line
 * looks only at the patterns of its first letter (a binary search).
 *
 * Sizes: articles are some kilobytes with tens of lines; a line is
 * compared with the few patterns of its first letter, each at most
 * CLEAN_LINE_MAX * pattern length steps.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clean.h"
#include "err.h"

#define BP_VERSION "1"
#define BP_TRAILER_MAX 8	/* bytes of punctuation after a '$' line */
#define TAG_NAME_MAX 10		/* longer names are no tag we know */
#define ENT_NAME_MAX 8		/* longest name in entities[] */

/* ---- character classes (ASCII only: markup is ASCII) ---- */

static inline int
is_alpha(unsigned char c)
{
	return (unsigned)((c | 0x20) - 'a') < 26;
}

static inline int
is_digit(unsigned char c)
{
	return (unsigned)(c - '0') < 10;
}

static inline int
is_alnum(unsigned char c)
{
	return is_alpha(c) || is_digit(c);
}

static inline int
is_xdigit(unsigned char c)
{
	return is_digit(c) || (unsigned)((c | 0x20) - 'a') < 6;
}

/* HTML's white space: tab, newline, form feed, carriage return, space. */
static inline int
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static inline unsigned char
to_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* ---- tables ---- */

enum {
	TAG_INLINE,	/* removed, nothing in its place */
	TAG_CELL,	/* a space */
	TAG_LINE,	/* a line break */
	TAG_BLOCK,	/* a blank line */
	TAG_RAW,	/* removed with its content */
};

struct tag {
	const char *name;
	int kind;
};

/* Sorted by name (bsearch). */
static const struct tag tags[] = {
	{ "address", TAG_BLOCK }, { "article", TAG_BLOCK },
	{ "aside", TAG_BLOCK }, { "blockquote", TAG_BLOCK },
	{ "body", TAG_BLOCK }, { "br", TAG_LINE }, { "caption", TAG_BLOCK },
	{ "center", TAG_BLOCK }, { "dd", TAG_BLOCK },
	{ "details", TAG_BLOCK }, { "dialog", TAG_BLOCK },
	{ "dir", TAG_BLOCK }, { "div", TAG_BLOCK }, { "dl", TAG_BLOCK },
	{ "dt", TAG_BLOCK }, { "fieldset", TAG_BLOCK },
	{ "figcaption", TAG_BLOCK }, { "figure", TAG_BLOCK },
	{ "footer", TAG_BLOCK }, { "form", TAG_BLOCK }, { "h1", TAG_BLOCK },
	{ "h2", TAG_BLOCK }, { "h3", TAG_BLOCK }, { "h4", TAG_BLOCK },
	{ "h5", TAG_BLOCK }, { "h6", TAG_BLOCK }, { "head", TAG_BLOCK },
	{ "header", TAG_BLOCK }, { "hgroup", TAG_BLOCK }, { "hr", TAG_BLOCK },
	{ "html", TAG_BLOCK }, { "iframe", TAG_RAW }, { "li", TAG_BLOCK },
	{ "main", TAG_BLOCK }, { "menu", TAG_BLOCK }, { "nav", TAG_BLOCK },
	{ "noembed", TAG_RAW }, { "noframes", TAG_RAW },
	{ "noscript", TAG_RAW }, { "ol", TAG_BLOCK }, { "p", TAG_BLOCK },
	{ "pre", TAG_BLOCK }, { "script", TAG_RAW }, { "section", TAG_BLOCK },
	{ "style", TAG_RAW }, { "summary", TAG_BLOCK },
	{ "table", TAG_BLOCK }, { "tbody", TAG_BLOCK }, { "td", TAG_CELL },
	{ "template", TAG_RAW }, { "tfoot", TAG_BLOCK }, { "th", TAG_CELL },
	{ "thead", TAG_BLOCK }, { "title", TAG_BLOCK }, { "tr", TAG_BLOCK },
	{ "ul", TAG_BLOCK },
};

struct entity {
	const char *name;
	uint32_t cp;
};

/*
 * Named character references: the markup characters, quotes, dashes and
 * other punctuation news uses, currency, Latin-1 letters and signs.
 * Sorted by bytes (bsearch, case-sensitive as in HTML).  nbsp is a space.
 */
static const struct entity entities[] = {
	{ "AElig", 0xC6 }, { "Aacute", 0xC1 }, { "Acirc", 0xC2 },
	{ "Agrave", 0xC0 }, { "Aring", 0xC5 }, { "Atilde", 0xC3 },
	{ "Auml", 0xC4 }, { "Ccedil", 0xC7 }, { "Dagger", 0x2021 },
	{ "ETH", 0xD0 }, { "Eacute", 0xC9 }, { "Ecirc", 0xCA },
	{ "Egrave", 0xC8 }, { "Euml", 0xCB }, { "Iacute", 0xCD },
	{ "Icirc", 0xCE }, { "Igrave", 0xCC }, { "Iuml", 0xCF },
	{ "Ntilde", 0xD1 }, { "OElig", 0x152 }, { "Oacute", 0xD3 },
	{ "Ocirc", 0xD4 }, { "Ograve", 0xD2 }, { "Oslash", 0xD8 },
	{ "Otilde", 0xD5 }, { "Ouml", 0xD6 }, { "Prime", 0x2033 },
	{ "Scaron", 0x160 }, { "THORN", 0xDE }, { "Uacute", 0xDA },
	{ "Ucirc", 0xDB }, { "Ugrave", 0xD9 }, { "Uuml", 0xDC },
	{ "Yacute", 0xDD }, { "Yuml", 0x178 }, { "aacute", 0xE1 },
	{ "acirc", 0xE2 }, { "acute", 0xB4 }, { "aelig", 0xE6 },
	{ "agrave", 0xE0 }, { "amp", 0x26 }, { "apos", 0x27 },
	{ "aring", 0xE5 }, { "atilde", 0xE3 }, { "auml", 0xE4 },
	{ "bdquo", 0x201E }, { "brvbar", 0xA6 }, { "bull", 0x2022 },
	{ "ccedil", 0xE7 }, { "cedil", 0xB8 }, { "cent", 0xA2 },
	{ "circ", 0x2C6 }, { "copy", 0xA9 }, { "curren", 0xA4 },
	{ "dagger", 0x2020 }, { "darr", 0x2193 }, { "deg", 0xB0 },
	{ "divide", 0xF7 }, { "eacute", 0xE9 }, { "ecirc", 0xEA },
	{ "egrave", 0xE8 }, { "emsp", 0x2003 }, { "ensp", 0x2002 },
	{ "eth", 0xF0 }, { "euml", 0xEB }, { "euro", 0x20AC },
	{ "fnof", 0x192 }, { "frac12", 0xBD }, { "frac14", 0xBC },
	{ "frac34", 0xBE }, { "frasl", 0x2044 }, { "gt", 0x3E },
	{ "harr", 0x2194 }, { "hellip", 0x2026 }, { "iacute", 0xED },
	{ "icirc", 0xEE }, { "iexcl", 0xA1 }, { "igrave", 0xEC },
	{ "iquest", 0xBF }, { "iuml", 0xEF }, { "laquo", 0xAB },
	{ "larr", 0x2190 }, { "ldquo", 0x201C }, { "lrm", 0x200E },
	{ "lsaquo", 0x2039 }, { "lsquo", 0x2018 }, { "lt", 0x3C },
	{ "macr", 0xAF }, { "mdash", 0x2014 }, { "micro", 0xB5 },
	{ "middot", 0xB7 }, { "nbsp", 0x20 }, { "ndash", 0x2013 },
	{ "not", 0xAC }, { "ntilde", 0xF1 }, { "oacute", 0xF3 },
	{ "ocirc", 0xF4 }, { "oelig", 0x153 }, { "ograve", 0xF2 },
	{ "oline", 0x203E }, { "ordf", 0xAA }, { "ordm", 0xBA },
	{ "oslash", 0xF8 }, { "otilde", 0xF5 }, { "ouml", 0xF6 },
	{ "para", 0xB6 }, { "permil", 0x2030 }, { "plusmn", 0xB1 },
	{ "pound", 0xA3 }, { "prime", 0x2032 }, { "quot", 0x22 },
	{ "raquo", 0xBB }, { "rarr", 0x2192 }, { "rdquo", 0x201D },
	{ "reg", 0xAE }, { "rlm", 0x200F }, { "rsaquo", 0x203A },
	{ "rsquo", 0x2019 }, { "sbquo", 0x201A }, { "scaron", 0x161 },
	{ "sect", 0xA7 }, { "shy", 0xAD }, { "sup1", 0xB9 },
	{ "sup2", 0xB2 }, { "sup3", 0xB3 }, { "szlig", 0xDF },
	{ "thinsp", 0x2009 }, { "thorn", 0xFE }, { "tilde", 0x2DC },
	{ "times", 0xD7 }, { "trade", 0x2122 }, { "uacute", 0xFA },
	{ "uarr", 0x2191 }, { "ucirc", 0xFB }, { "ugrave", 0xF9 },
	{ "uml", 0xA8 }, { "uuml", 0xFC }, { "yacute", 0xFD },
	{ "yen", 0xA5 }, { "yuml", 0xFF }, { "zwj", 0x200D },
	{ "zwnj", 0x200C },
};

/*
 * Numeric references to 0x80..0x9F mean Windows-1252 (HTML's table); 0:
 * undefined there, dropped like the other controls.
 */
static const uint16_t cp1252[32] = {
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

struct bp_pattern {
	const char *pat;
	unsigned max;		/* longest line dropped, bytes; 0: CLEAN_LINE_MAX */
};

/*
 * The boilerplate lines.  Any change here changes what models trained
 * with CLEAN_BOILERPLATE see: bump BP_VERSION with it.  Sorted by bytes
 * (test_clean checks it, and the syntax).
 */
static const struct bp_pattern bp_pattern[] = {
	{ "(additional reporting by*", 0 },
	{ "(c) #*", 0 },
	{ "(editing by*", 0 },
	{ "(photo by*", 0 },
	{ "(photo:*", 0 },
	{ "(reporting by*", 0 },
	{ "additional reporting by*", 0 },
	{ "advertisement continue reading the main story$", 0 },
	{ "advertisement$", 0 },
	{ "all rights reserved*", 0 },
	{ "also read*", 160 },
	{ "also see:*", 120 },
	{ "article continues after advertisement$", 0 },
	{ "article continues below$", 0 },
	{ "caption:*", 0 },
	{ "click here*", 100 },
	{ "continue reading the main story$", 0 },
	{ "continue reading$", 0 },
	{ "copyright #*", 0 },
	{ "copyright (c)*", 0 },
	{ "copyright \xc2\xa9*", 0 },
	{ "credit:*", 0 },
	{ "email$", 0 },
	{ "facebook twitter*", 0 },
	{ "facebook$", 0 },
	{ "follow us*", 100 },
	{ "getty images$", 0 },
	{ "hide caption*", 0 },
	{ "image caption*", 0 },
	{ "image copyright*", 0 },
	{ "image source*", 0 },
	{ "image:*", 0 },
	{ "join our*channel*", 100 },
	{ "like us on*", 100 },
	{ "linkedin$", 0 },
	{ "media caption*", 0 },
	{ "more:*", 160 },
	{ "photo by*", 0 },
	{ "photo credit*", 0 },
	{ "photo$", 0 },
	{ "photo:*", 0 },
	{ "photograph:*", 0 },
	{ "photographs:*", 0 },
	{ "photos:*", 0 },
	{ "picture:*", 0 },
	{ "pictured:*", 0 },
	{ "pictures:*", 0 },
	{ "pinterest$", 0 },
	{ "read also*", 160 },
	{ "read more*", 160 },
	{ "related articles*", 0 },
	{ "related coverage*", 0 },
	{ "related links*", 0 },
	{ "related news*", 0 },
	{ "related stories*", 0 },
	{ "related story*", 0 },
	{ "related:*", 160 },
	{ "reporting by*editing by*", 0 },
	{ "scroll to continue*", 100 },
	{ "see also*", 120 },
	{ "share article$", 0 },
	{ "share on*", 100 },
	{ "share this*", 100 },
	{ "share via*", 100 },
	{ "share$", 0 },
	{ "share:*", 100 },
	{ "sign up*newsletter*", 0 },
	{ "sign up*newsletters*", 0 },
	{ "story continued below$", 0 },
	{ "story continues below advertisement$", 0 },
	{ "story continues below$", 0 },
	{ "subscribe*newsletter*", 0 },
	{ "subscribe*newsletters*", 0 },
	{ "this article first appeared*", 0 },
	{ "this article was originally published*", 0 },
	{ "this story was originally published*", 0 },
	{ "twitter$", 0 },
	{ "video provided by*", 0 },
	{ "video$", 0 },
	{ "watch:*", 160 },
	{ "whatsapp$", 0 },
	{ "writing by*editing by*", 0 },
	{ "\xc2\xa9*", 0 },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *
clean_boilerplate_version(void)
{
	return BP_VERSION;
}

/* ---- output ---- */

/* Append the UTF-8 of cp (a scalar value, checked by the caller). */
static void
put_cp(struct buf *out, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	buf_add(out, u, n);
}

/* ---- HTML ---- */

struct html {
	const unsigned char *p;
	size_t len;
	struct buf *out;
	int pending;		/* TAG_CELL, _LINE or _BLOCK; 0: none */
};

static void
html_break(struct html *h, int kind)
{
	if (kind > h->pending)
		h->pending = kind;
}

/*
 * Before text that is not white space: a pending break drops the white
 * space before it, then becomes a space, a newline or a blank line (none at
 * the start of the output).
 */
static void
html_flush(struct html *h)
{
	struct buf *out = h->out;

	if (h->pending == 0)
		return;
	while (out->len > 0 && is_space((unsigned char)out->data[out->len - 1]))
		out->len--;
	if (out->len > 0) {
		if (h->pending == TAG_CELL)
			buf_addch(out, ' ');
		else
			buf_add(out, "\n\n", h->pending == TAG_BLOCK ? 2 : 1);
	}
	out->data[out->len] = '\0';
	h->pending = 0;
}

/* Append text; after a pending break, its leading white space goes. */
static void
html_text(struct html *h, const unsigned char *s, size_t n)
{
	if (h->pending != 0) {
		while (n > 0 && is_space(*s)) {
			s++;
			n--;
		}
		if (n == 0)
			return;
		html_flush(h);
	}
	buf_add(h->out, s, n);
}

/* Append the character a reference gives. */
static void
html_cp(struct html *h, uint32_t cp)
{
	unsigned char c = (unsigned char)cp;

	if (cp < 0x80) {
		html_text(h, &c, 1);
		return;
	}
	html_flush(h);
	put_cp(h->out, cp);
}

/* The position after the next c at or after i, or the end. */
static size_t
skip_past(const struct html *h, size_t i, unsigned char c)
{
	const unsigned char *q;

	if (i >= h->len)
		return h->len;
	q = memchr(h->p + i, c, h->len - i);
	return q != NULL ? (size_t)(q - h->p) + 1 : h->len;
}

/* The position after the first occurrence of lit at or after i, or the end. */
static size_t
skip_past_str(const struct html *h, size_t i, const char *lit)
{
	size_t n = strlen(lit);
	const unsigned char *q;

	if (i >= h->len)
		return h->len;
	q = memmem(h->p + i, h->len - i, lit, n);
	return q != NULL ? (size_t)(q - h->p) + n : h->len;
}

static int
tag_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct tag *)elem)->name);
}

/* Kind of the tag named name[0..n) (lower case). */
static int
tag_kind(const char *name, size_t n)
{
	char z[TAG_NAME_MAX + 1];
	const struct tag *t;

	if (n > TAG_NAME_MAX)
		return TAG_INLINE;
	memcpy(z, name, n);
	z[n] = '\0';
	t = bsearch(z, tags, NELEM(tags), sizeof(tags[0]), tag_cmp);
	return t != NULL ? t->kind : TAG_INLINE;
}

enum {
	A_BEFORE_NAME,
	A_NAME,
	A_AFTER_NAME,
	A_BEFORE_VALUE,
	A_UNQUOTED,
	A_AFTER_QUOTED,
};

/*
 * From i, just after a tag's name, find where the tag ends: the position
 * after its ">", or the end of the input if it does not end.
 */
static size_t
html_attrs(const struct html *h, size_t i)
{
	const unsigned char *p = h->p, *q;
	size_t len = h->len;
	int st = A_BEFORE_NAME;
	unsigned char c;

	for (; i < len; i++) {
		c = p[i];
		if (c == '>')	/* also a missing value: "<a x=>" */
			return i + 1;
		switch (st) {
		case A_BEFORE_NAME:
			if (!is_space(c) && c != '/')
				st = A_NAME;
			break;
		case A_NAME:
			if (is_space(c))
				st = A_AFTER_NAME;
			else if (c == '/')
				st = A_BEFORE_NAME;
			else if (c == '=')
				st = A_BEFORE_VALUE;
			break;
		case A_AFTER_NAME:
			if (c == '=')
				st = A_BEFORE_VALUE;
			else if (c == '/')
				st = A_BEFORE_NAME;
			else if (!is_space(c))
				st = A_NAME;
			break;
		case A_BEFORE_VALUE:
			if (c == '"' || c == '\'') {
				q = memchr(p + i + 1, c, len - i - 1);
				if (q == NULL)	/* never closed: see the top */
					return skip_past(h, i + 1, '>');
				i = (size_t)(q - p);
				st = A_AFTER_QUOTED;
			} else if (!is_space(c)) {
				st = A_UNQUOTED;
			}
			break;
		case A_UNQUOTED:
			if (is_space(c))
				st = A_BEFORE_NAME;
			break;
		case A_AFTER_QUOTED:
			st = is_space(c) || c == '/' ? A_BEFORE_NAME : A_NAME;
			break;
		}
	}
	return len;
}

/*
 * Skip the content of a raw-text element named name[0..n) from i: up to
 * and including its end tag ("</name" then white space, "/" or ">", in any
 * case), or to the end of the input.
 */
static size_t
html_raw(const struct html *h, size_t i, const char *name, size_t n)
{
	const unsigned char *p = h->p;
	size_t len = h->len, k, j;

	while ((i = skip_past(h, i, '<')) < len) {
		if (p[i] != '/' || len - i - 1 < n)
			continue;
		for (k = 0, j = i + 1; k < n && to_lower(p[j]) == name[k];
		    k++, j++)
			;
		if (k == n && (j == len || is_space(p[j]) || p[j] == '/' ||
		    p[j] == '>'))
			return html_attrs(h, j);
	}
	return len;
}

/*
 * A start or end tag whose name begins at i (a letter).  Returns the
 * position after it and records the break it makes.
 */
static size_t
html_tag(struct html *h, size_t i, int end)
{
	const unsigned char *p = h->p;
	char name[TAG_NAME_MAX];
	size_t n = 0, j = i, e;
	int kind;

	for (; j < h->len && !is_space(p[j]) && p[j] != '/' && p[j] != '>';
	    j++, n++)
		if (n < TAG_NAME_MAX)
			name[n] = (char)to_lower(p[j]);
	kind = tag_kind(name, n);
	e = html_attrs(h, j);
	if (e == h->len && p[e - 1] != '>')
		return e;	/* unterminated: removed, no break */
	if (kind == TAG_RAW) {
		if (!end)
			e = html_raw(h, e, name, n);
		kind = TAG_CELL;
	}
	if (kind != TAG_INLINE)
		html_break(h, kind);
	return e;
}

/* Markup at i (a "<"): returns the position after it. */
static size_t
html_markup(struct html *h, size_t i)
{
	const unsigned char *p = h->p;
	size_t n = h->len - i;

	if (n >= 2 && is_alpha(p[i + 1]))
		return html_tag(h, i + 1, 0);
	if (n >= 3 && p[i + 1] == '/' && is_alpha(p[i + 2]))
		return html_tag(h, i + 2, 1);
	if (n >= 3 && p[i + 1] == '/' && p[i + 2] == '>')
		return i + 3;
	if (n >= 4 && memcmp(p + i + 1, "!--", 3) == 0) {
		/* "<!-->" and "<!--->" are empty comments. */
		if (n >= 5 && p[i + 4] == '>')
			return i + 5;
		if (n >= 6 && p[i + 4] == '-' && p[i + 5] == '>')
			return i + 6;
		for (i += 4; (i = skip_past_str(h, i, "--")) < h->len; i--) {
			if (p[i] == '>')
				return i + 1;
			if (p[i] == '!' && i + 1 < h->len && p[i + 1] == '>')
				return i + 2;
		}
		return h->len;
	}
	if (n >= 9 && memcmp(p + i + 1, "![CDATA[", 8) == 0)
		return skip_past_str(h, i + 9, "]]>");
	if (n >= 2 && (p[i + 1] == '!' || p[i + 1] == '?'))
		return skip_past(h, i + 2, '>');
	html_text(h, p + i, 1);
	return i + 1;
}

static int
entity_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct entity *)elem)->name);
}

/* What a numeric reference to v gives: a scalar value, or -1 (dropped). */
static int32_t
numeric_cp(uint32_t v)
{
	if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0xFFFD;
	if (v >= 0x80 && v <= 0x9F)
		return cp1252[v - 0x80] != 0 ? cp1252[v - 0x80] : -1;
	if ((v < 0x20 && v != '\t' && v != '\n') || v == 0x7F)
		return -1;
	return (int32_t)v;
}

/* A character reference at i (a "&"): returns the position after it. */
static size_t
html_entity(struct html *h, size_t i)
{
	const unsigned char *p = h->p;
	const struct entity *e;
	char name[ENT_NAME_MAX + 1];
	size_t len = h->len, j = i + 1, start;
	uint32_t v = 0;
	int32_t cp;
	int hex;

	if (j < len && p[j] == '#') {
		hex = ++j < len && (p[j] == 'x' || p[j] == 'X');
		j += hex;
		for (start = j; j < len && (hex ? is_xdigit(p[j]) :
		    is_digit(p[j])); j++) {
			if (v > 0x10FFFF)
				continue;	/* already out of range */
			v = v * (hex ? 16 : 10) + (uint32_t)(is_digit(p[j]) ?
			    p[j] - '0' : (p[j] | 0x20) - 'a' + 10);
		}
		if (j == start)
			goto literal;
		if (j < len && p[j] == ';')
			j++;
		if ((cp = numeric_cp(v)) >= 0)
			html_cp(h, (uint32_t)cp);
		return j;
	}
	for (start = j; j < len && j - start <= ENT_NAME_MAX &&
	    is_alnum(p[j]); j++)
		;
	if (j == start || j - start > ENT_NAME_MAX || j == len || p[j] != ';')
		goto literal;
	memcpy(name, p + start, j - start);
	name[j - start] = '\0';
	e = bsearch(name, entities, NELEM(entities), sizeof(entities[0]),
	    entity_cmp);
	if (e == NULL)
		goto literal;
	html_cp(h, e->cp);
	return j + 1;
literal:
	html_text(h, p + i, 1);
	return i + 1;
}

static void
clean_html(const unsigned char *p, size_t len, struct buf *out)
{
	struct html h = { p, len, out, 0 };
	const unsigned char *q;
	size_t i = 0, lt, amp, j;

	q = memchr(p, '<', len);
	lt = q != NULL ? (size_t)(q - p) : len;
	q = memchr(p, '&', len);
	amp = q != NULL ? (size_t)(q - p) : len;
	while (i < len) {
		if (lt < i) {
			q = memchr(p + i, '<', len - i);
			lt = q != NULL ? (size_t)(q - p) : len;
		}
		if (amp < i) {
			q = memchr(p + i, '&', len - i);
			amp = q != NULL ? (size_t)(q - p) : len;
		}
		j = lt < amp ? lt : amp;
		if (j > i) {
			html_text(&h, p + i, j - i);
			i = j;
			continue;
		}
		i = p[i] == '<' ? html_markup(&h, i) : html_entity(&h, i);
	}
	/* A break at the end: only the white space before it goes. */
	if (h.pending != 0) {
		while (out->len > 0 && is_space((unsigned char)
		    out->data[out->len - 1]))
			out->len--;
		out->data[out->len] = '\0';
	}
}

/* ---- boilerplate ---- */

/* The rest of a line after a '$': short, no letters or digits. */
static int
bp_trailer(const unsigned char *s, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (is_space(s[i]))
			continue;
		if (is_alnum(s[i]) || ++k > BP_TRAILER_MAX)
			return 0;
	}
	return 1;
}

/*
 * Match pat against the line s[0..n) (from its first non-blank byte, no
 * "\n").  On a mismatch the text after the last '*' restarts one byte
 * later, so a line costs at most n times the length of the pattern.
 */
static int
bp_match(const char *pat, const unsigned char *s, size_t n)
{
	const char *star = NULL;	/* pattern after the last '*' */
	size_t i = 0, star_i = 0;
	unsigned char c;

	for (;;) {
		c = (unsigned char)*pat;
		if (c == '*' || c == '$') {
			/* A word before it must end here. */
			if (is_alnum((unsigned char)pat[-1]) && i < n &&
			    is_alnum(s[i]))
				goto fail;
			if (c == '$') {
				if (bp_trailer(s + i, n - i))
					return 1;
				goto fail;
			}
			if (*++pat == '\0')
				return 1;
			star = pat;
			star_i = i;
			continue;
		}
		if (c == ' ') {
			while (i < n && is_space(s[i]))
				i++;
			pat++;
			continue;
		}
		if (c == '#') {
			if (i == n || !is_digit(s[i]))
				goto fail;
			while (i < n && is_digit(s[i]))
				i++;
			pat++;
			continue;
		}
		if (c != '\0' && i < n && to_lower(s[i]) == c) {
			i++;
			pat++;
			continue;
		}
fail:
		if (star == NULL || star_i >= n)
			return 0;
		pat = star;
		i = ++star_i;
	}
}

/* Index of the first pattern whose first byte is c, or NELEM. */
static size_t
bp_first(unsigned char c)
{
	size_t lo = 0, hi = NELEM(bp_pattern), mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((unsigned char)bp_pattern[mid].pat[0] < c)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Is s[0..n) (a line with its "\n" or "\r\n", if any) boilerplate? */
static int
bp_line(const unsigned char *s, size_t n)
{
	size_t i = 0, k, max;
	unsigned char c;

	if (n > 0 && s[n - 1] == '\n')
		n--;
	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (n > CLEAN_LINE_MAX)
		return 0;
	while (i < n && is_space(s[i]))
		i++;
	if (i == n)
		return 0;
	c = to_lower(s[i]);
	for (k = bp_first(c); k < NELEM(bp_pattern) &&
	    (unsigned char)bp_pattern[k].pat[0] == c; k++) {
		max = bp_pattern[k].max ? bp_pattern[k].max : CLEAN_LINE_MAX;
		if (n <= max && bp_match(bp_pattern[k].pat, s + i, n - i))
			return 1;
	}
	return 0;
}

/* Is s[0..n) white space only? */
static int
is_blank(const unsigned char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_space(s[i]))
			return 0;
	return 1;
}

/*
 * Is s[0..n) one line, blank lines aside?  Such a text is a headline, a
 * sentence or a post: what it says is not to be told from boilerplate by
 * its place, so it is left whole.
 */
static int
single_line(const unsigned char *s, size_t n)
{
	const unsigned char *nl;
	size_t i = 0;

	while (i < n && is_space(s[i]))
		i++;
	nl = memchr(s + i, '\n', n - i);
	return nl == NULL || is_blank(nl, n - (size_t)(nl - s));
}

/*
 * Drop the boilerplate lines of b, moving the others down.  Blank lines
 * are kept as one "\n" between two kept lines: the tokeniser reads any
 * number of them as one clause break, and leading or trailing ones as
 * nothing, so a dropped line leaves no run of them behind.
 */
static void
clean_boilerplate(struct buf *b)
{
	unsigned char *d = (unsigned char *)b->data;
	const unsigned char *nl;
	size_t r = 0, w = 0, e, len = b->len;
	int blank = 0, last_nl = len > 0 && d[len - 1] == '\n';

	if (single_line(d, len))
		return;
	while (r < len) {
		nl = memchr(d + r, '\n', len - r);
		e = nl != NULL ? (size_t)(nl - d) + 1 : len;
		if (is_blank(d + r, e - r)) {
			blank = w > 0;
		} else if (!bp_line(d + r, e - r)) {
			/* w < r here: the blank line's bytes were not kept. */
			if (blank)
				d[w++] = '\n';
			blank = 0;
			if (w != r)
				memmove(d + w, d + r, e - r);
			w += e - r;
		}
		r = e;
	}
	/* Without a last line, the "\n" before it goes too. */
	if (!last_nl && w > 0 && d[w - 1] == '\n') {
		w--;
		if (w > 0 && d[w - 1] == '\r')
			w--;
	}
	b->len = w;
	if (b->cap > 0)
		b->data[w] = '\0';
}

int
clean_text(const char *s, size_t len, unsigned flags, struct buf *out,
    struct err *err)
{
	assert(s != NULL || len == 0);
	buf_reset(out);
	if (flags & ~(unsigned)(CLEAN_HTML | CLEAN_BOILERPLATE))
		return err_set(err, "unknown clean flags 0x%x", flags);
	if (len == 0)
		return 0;
	buf_grow(out, len);
	if (flags & CLEAN_HTML)
		clean_html((const unsigned char *)s, len, out);
	else
		buf_add(out, s, len);
	if (flags & CLEAN_BOILERPLATE)
		clean_boilerplate(out);
	return 0;
}
