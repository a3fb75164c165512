/*
 * report.h - a self-contained HTML page about a model bundle.
 *
 * One page, inline CSS and inline SVG, no script, no network, no external
 * font: the bundle's summary (task, version, solver, training size,
 * features, cross-validation and test figures), the confusion matrix as a
 * heat map, per-class precision/recall/F1, a reliability diagram, accuracy
 * against text length, the grid search's cross-validation surface and the
 * training data's label counts.  What the inputs do not record is said to
 * be "not recorded" (bundle) or "not available" (evaluation).
 */
#ifndef NC_REPORT_H
#define NC_REPORT_H

#include <stdio.h>

#include "err.h"

/*
 * Write the report page to f.
 *
 * meta_json is the text of a bundle's meta.json.  Required: "task",
 * "version" (strings) and "labels" (a non-empty array of strings).
 * Optional, each checked for its type when present: "features",
 * "n_features", "training" {"n_train", "params", "folds", "cv", "grid",
 * "data", "label_counts", "solver", "scheme", "calibration"} and "test"
 * {"file", "figures", "short_form"}.  label_counts, solver, scheme and
 * calibration are looked up in "training", then at the top level.
 *
 * eval_json is an evaluation object ("newsclass-train eval --json": n,
 * accuracy, macro_f1, labels, per_class, confusion, and optionally ece,
 * reliability, by_length), or NULL.  Its labels must be the bundle's, in
 * the same order.  Without it, the matrix and the per-class table show the
 * held-out test figures recorded in meta.json, when there are any.
 *
 * title is the page's title (UTF-8), or NULL for "<task> model report".
 * Every string taken from the inputs is HTML-escaped.  The output is a
 * function of the inputs only (no time, no locale: numbers are written in
 * the C locale whatever the caller's).  Nothing is written unless both
 * inputs are valid.
 *
 * Returns 0, or -1 with a reason in err: JSON that does not parse, a
 * missing or mistyped field (the reason names it), evaluation labels that
 * are not the bundle's, or a write error on f.  f stays the caller's.
 */
int report_write(FILE *f, const char *meta_json, const char *eval_json,
    const char *title, struct err *err);

#endif
