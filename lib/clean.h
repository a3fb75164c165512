/*
 * clean.h - input cleaning: markup and boilerplate lines out of news text.
 *
 * Text from crawlers carries HTML (tags, character references) and lines
 * that belong to the page rather than the story: share buttons, copyright
 * and photo credit lines, "Read more" and "Related:" links, newsletter
 * offers.  On short items they are a large part of the words.  clean_text
 * turns such text into plain text before it is tokenised; feat.c applies
 * it when the feature settings ask (TEXT_CLEAN_* in text.h), so training
 * and serving clean alike.
 *
 * CLEAN_HTML reads the text the way the HTML standard's tokenizer does:
 *   - tags are removed; block-level elements (p, div, li, h1-h6, tr,
 *     blockquote, ...) become a blank line, which the tokeniser takes as a
 *     clause break, br a line break, td and th a space;
 *   - the content of script, style, noscript, template, iframe, noembed and
 *     noframes is removed up to the matching end tag (a space stays), and
 *     so are comments, CDATA sections, doctypes and processing
 *     instructions;
 *   - character references are decoded: the common named ones (HTML's
 *     names, case-sensitive, with the ";"), decimal and hexadecimal ones
 *     (";" optional).  A reference to 0, a surrogate or a value above
 *     U+10FFFF gives U+FFFD; 0x80-0x9F are read as Windows-1252, as
 *     browsers do; other control characters but tab and newline, and
 *     0x80-0x9F values that Windows-1252 leaves undefined, are dropped;
 *     "&nbsp;" is a plain space.  An unknown reference stays as written;
 *   - a "<" that does not start a tag ("3 < 4", "<3", "a <- b") is text;
 *     "</" followed by neither a letter nor ">" is text too;
 *   - a tag, comment or raw-text element that is still open at the end of
 *     the input is removed up to the end, as a browser would; but an
 *     attribute value whose quote is never closed ends at the next ">", so
 *     one stray quote does not swallow the rest of an article.
 *   White space next to a removed block boundary is dropped, and the output
 *   neither starts nor ends with a break made from a tag.
 *
 * CLEAN_BOILERPLATE drops every line (up to and including its "\n") that
 * matches one of a fixed, versioned list of patterns, compared from the
 * line's first non-blank byte, ASCII case-insensitively: "Share this",
 * "Share on ...", "© 2024 ...", "Copyright 2024 ...", "All rights
 * reserved", "Also read: ...", "Related: ...", "Read more", "Photo: ...",
 * "Image caption ...", "Sign up for ... newsletter", "Follow us on ...",
 * "Advertisement", and the like.  A line longer than CLEAN_LINE_MAX bytes
 * is never dropped (boilerplate lines are short), nor is anything dropped
 * from a text of one line (blank lines aside): a headline, a sentence or a
 * post is all story.  Runs of blank lines become one "\n\n", and blank
 * lines at the start or the end go (the tokeniser reads any run as one
 * clause break, and leading or trailing ones as nothing).  With CLEAN_HTML
 * the lines are those of the text after markup removal, so "<p>Share
 * this</p>" is a line of its own.
 *
 * For any input bytes: the output is at most as long as the input, and is
 * valid UTF-8 if the input is.  Bytes that are not valid UTF-8 pass through
 * unchanged (the tokeniser rejects them).  Without flags the output is the
 * input.  Dropping lines is idempotent; decoding is not ("&amp;lt;" gives
 * "&lt;", which gives "<").  Time is linear in the input for HTML and at
 * most CLEAN_LINE_MAX times the pattern length per line for boilerplate.
 */
#ifndef NC_CLEAN_H
#define NC_CLEAN_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

enum {
	CLEAN_HTML = 1u << 0,
	CLEAN_BOILERPLATE = 1u << 1,
};

/* Lines longer than this (bytes, without "\r\n") are never boilerplate. */
#define CLEAN_LINE_MAX 320

/*
 * Clean s[0..len) with the CLEAN_* flags into out, which is emptied first
 * and stays the caller's (buf_release it); once out has grown to the size
 * of the input, cleaning makes no allocation.  s may be NULL if len is 0.
 * Returns 0, or -1 with out empty and err set to "unknown clean flags 0x.."
 * for bits that are not CLEAN_* flags.
 */
int clean_text(const char *s, size_t len, unsigned flags, struct buf *out,
    struct err *err);

/*
 * The version of the boilerplate line list, a static string: it changes
 * whenever the list does, since a model trained with one list scores text
 * cleaned by another slightly differently.
 */
const char *clean_boilerplate_version(void);

#endif
