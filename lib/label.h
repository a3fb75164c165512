/*
 * label.h - the rules for class labels and task names.
 *
 * The daemon publishes each result under an envelope made of its tasks'
 * labels joined by '.' in the configured order ("business.negative"),
 * which ZeroMQ subscribers filter by prefix, and keeps envelopes starting
 * with '_' for itself ("_error", "_heartbeat").  Task names (a bundle's
 * directory name) are listed in output.envelope, separated by commas, and
 * key the results' "tags" and "models" maps.  Both are checked where they
 * enter: the trainer's JSON Lines (jsonl.c) and bundle_load (bundle.c).
 *
 * A label is 1..LABEL_MAX bytes of valid UTF-8 (no overlong forms, no
 * surrogates, nothing above U+10FFFF) made of letters, marks, numbers,
 * punctuation and symbols (Unicode categories L*, M*, N*, P*, S*) except
 * '.' (U+002E), and does not start with '_'.  So there is no white space
 * (ASCII or Unicode: categories Zs, Zl, Zp), no control character (Cc), no
 * invisible format character such as U+200B ZERO WIDTH SPACE or U+FEFF
 * (Cf), no private-use (Co) and no unassigned code point (Cn, which
 * includes the noncharacters U+FFFE and U+FFFF) as of utf8proc's Unicode
 * version.  Labels are compared byte for byte: "économie" written with a
 * combining accent is another label than with U+00E9.
 *
 * A task name is 1..LABEL_TASK_MAX bytes of a-z, 0-9, '_' and '-',
 * starting with a letter or a digit: no leading '_' (kept for the daemon,
 * like its envelopes) and no leading '-' (it would read as an option).
 *
 * Reasons are one lowercase line and quote the offending name with
 * label_escape, so a control byte never reaches a log line.
 */
#ifndef NC_LABEL_H
#define NC_LABEL_H

#include <stddef.h>

#include "err.h"

#define LABEL_MAX 64		/* bytes of a label */
#define LABEL_TASK_MAX 32	/* bytes of a task name */

/*
 * Check the label s[0..len) (need not be NUL-terminated; a NUL inside is a
 * control character).  Returns 0, or -1 with err (may be NULL) set to a
 * reason such as "label 'a.b' contains '.' (the envelope separator)".
 */
int label_check(const char *s, size_t len, struct err *err);

/*
 * Check the NUL-terminated task name.  Returns 0, or -1 with err (may be
 * NULL) set to a reason such as "task name 'Topic' contains 'T' (use a-z,
 * 0-9, '_' and '-')".
 */
int label_check_task(const char *name, struct err *err);

/*
 * Write s[0..len) into out[0..size) as printable one-line text, always
 * NUL-terminated (size must be at least 4): printable ASCII as is but
 * '\\' doubled; \t, \n and \r; other ASCII controls and bytes that are
 * not valid UTF-8 as \xNN; code points of categories Z* and C* as \uXXXX
 * or \UXXXXXXXX (lowercase hex); other code points as their UTF-8 bytes.
 * What does not fit is cut at a character boundary and replaced by "...".
 * Returns out.
 */
char *label_escape(const char *s, size_t len, char *out, size_t size);

#endif
