/*
 * bundle.h - a model bundle: one directory per task.
 *
 *   meta.json   format version, task, bundle version, labels, feature
 *               settings, training data hash and size, CV and test figures
 *   vocab.tsv   the vocabulary (feat.h)
 *   svm.model   libsvm's own model file (model.h)
 *
 * The bundle version is a hash of the content of the three files' inputs
 * (labels, settings, vocabulary, model), so the same data and settings give
 * the same version.  Loading checks everything: a missing file, an unknown
 * format version, a malformed meta.json, a vocabulary that does not match
 * the model's dimensions, labels that do not match the model's classes or
 * break the rules of label.h, a directory name that is not a valid task
 * name (label_check_task).  Errors name the file (and line where there is
 * one).
 *
 * bundle_save writes into a temporary directory beside the target, fsyncs
 * the files and the directory and then renames it into place (exchanging
 * it atomically with an existing bundle), so a reader never sees half a
 * bundle.
 *
 * A loaded bundle is immutable and may be shared by threads.
 */
#ifndef NC_BUNDLE_H
#define NC_BUNDLE_H

#include <stddef.h>

#include "err.h"
#include "feat.h"
#include "model.h"

#define BUNDLE_FORMAT 2	/* 1: libsvm bundles, still read and written */

struct bundle;

/*
 * Parts of a bundle being saved.  meta_extra is a JSON object text (or
 * NULL) whose keys are merged into meta.json: figures, data hash, ...
 */
struct bundle_parts {
	const char *task;
	const char *const *labels;
	size_t nlabels;
	const struct feat_vocab *vocab;
	const struct model *model;
	const char *meta_extra;
};

/* Write a bundle atomically to dir.  Main thread only (libsvm locale). */
int bundle_save(const char *dir, const struct bundle_parts *parts,
    struct err *err);

/* Load and check the bundle in dir; the result belongs to the caller. */
int bundle_load(const char *dir, struct bundle **out, struct err *err);
void bundle_destroy(struct bundle **bp);

/* Task name: the directory's base name. */
const char *bundle_task(const struct bundle *b);
const char *bundle_version(const struct bundle *b);
size_t bundle_nlabels(const struct bundle *b);
const char *bundle_label(const struct bundle *b, size_t i);
/* Index of a label name, or -1. */
int bundle_label_index(const struct bundle *b, const char *name);
const struct feat_vocab *bundle_vocab(const struct bundle *b);
const struct model *bundle_model(const struct bundle *b);
/* meta.json as loaded (NUL-terminated JSON text). */
const char *bundle_meta_json(const struct bundle *b);
/* Milliseconds spent in bundle_load. */
double bundle_load_ms(const struct bundle *b);

#endif
