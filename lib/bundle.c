/*
 * bundle.c - a model bundle directory: meta.json, vocab.tsv and the model
 * file, svm.model (libsvm) or linear.model (liblinear).
 *
 * meta.json is one JSON object, keys in this order:
 *   format      1 for libsvm bundles (as they always were), 2 for the
 *               others
 *   task        the task name the trainer gave (informative: a bundle's
 *               task is the name of its directory, so it can be renamed)
 *   version     "b2-" and the first 16 hex digits of a BLAKE2b-256 hash
 *   labels      class names, index = class number in the model file
 *   features    ngram_max, title_weight, negation, numcmp, stem,
 *               [clean_html, clean_boilerplate, stopwords,] sublinear_tf,
 *               min_df, max_features (feat_settings with named flags);
 *               the bracketed keys are written only when on (true, true,
 *               "en"), so a bundle without them is byte for byte what it
 *               was before they existed and older readers still load it;
 *               a missing key reads as off
 *   n_features  number of terms in vocab.tsv
 *   model       format 2: the solver, its scheme and the calibrator
 *               (model_meta); absent in format 1, which means libsvm
 * followed by every key of bundle_parts.meta_extra (figures, data hash),
 * which may not reuse these names.  Output is deterministic (jansson keeps
 * insertion order), so the same parts give a byte-identical bundle.  Reals
 * are printed with 15 significant digits (DBL_DIG), so a figure written
 * with at most 15 digits comes out as written ("0.975", not
 * "0.97499999999999998").
 *
 * The version hashes, in this order: the line "newsclass bundle 1", the
 * number of labels and each label with its length, the feature settings as
 * one line of text, in format 2 the line "model " and the "model" object
 * as compact JSON (17 significant digits), then "vocab.tsv <size>" and
 * "<model file> <size>" lines each followed by that file's bytes as
 * written.  meta_extra is not hashed:
 * it describes how the model was made (its figures are deterministic
 * anyway), not what it computes.  Loading recomputes the hash, which
 * catches edited files and a reader mixing two bundles while a writer
 * replaces one.
 *
 * Saving writes into "<dir>.tmp-XXXXXX" beside dir, fsyncs the three files
 * and the directory, then renames it to dir, or exchanges it atomically
 * (renameat2 RENAME_EXCHANGE) with an existing bundle, removes the old one
 * now at the temporary name and fsyncs the parent.  An existing dir is only
 * replaced if it holds nothing but bundle files.  Readers skip names
 * containing ".tmp-" (classifier.c).
 *
 * Sizes: meta.json is a few kilobytes (at most BUNDLE_META_MAX), the other
 * two files some megabytes; they are read twice when loading (parse, then
 * hash), which costs milliseconds.  libsvm's locale switching makes save and
 * load main-thread only (model.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "buf.h"
#include "bundle.h"
#include "clock.h"
#include "label.h"
#include "text.h"
#include "xalloc.h"

#define BUNDLE_FORMAT_LIBSVM 1
#define BUNDLE_META_MAX (1 << 20)
#define BUNDLE_HASH_HEX 16		/* hex digits kept in the version */
#define BUNDLE_VERSION_LEN (3 + BUNDLE_HASH_HEX)

struct bundle {
	char *task;
	char *version;
	char **labels;
	size_t nlabels;
	struct feat_vocab *vocab;
	struct model *model;
	char *meta_json;
	double load_ms;
};

/* Keys of meta.json that bundle.c writes; meta_extra may not use them. */
static const char *const bundle_reserved[] = {
	"format", "task", "version", "labels", "features", "n_features",
	"model",
};

/* Every file a bundle may hold (one model file of the two). */
static const char *const bundle_files[] = {
	"meta.json", "vocab.tsv", "svm.model", "linear.model",
};

static char *
bundle_join(const char *dir, const char *name)
{
	struct buf b;

	buf_init(&b);
	buf_addf(&b, "%s/%s", dir, name);
	return buf_detach(&b, NULL);
}

/* dir without trailing slashes (but "/" stays "/"). */
static char *
bundle_strip(const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	return xstrndup(dir, n);
}

static char *
bundle_parent(const char *stripped)
{
	const char *slash = strrchr(stripped, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == stripped)
		return xstrdup("/");
	return xstrndup(stripped, (size_t)(slash - stripped));
}

static const char *
bundle_basename(const char *stripped)
{
	const char *slash = strrchr(stripped, '/');

	return slash != NULL && slash[1] != '\0' ? slash + 1 : stripped;
}

/* ---- the version hash ---- */

static void
bundle_hash_begin(crypto_generichash_state *hs, const char *const *labels,
    size_t nlabels, const struct feat_settings *s, const json_t *model)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	buf_addf(&b, "newsclass bundle %d\nlabels %zu\n", model ?
	    BUNDLE_FORMAT : BUNDLE_FORMAT_LIBSVM, nlabels);
	for (i = 0; i < nlabels; i++)
		buf_addf(&b, "%zu %s\n", strlen(labels[i]), labels[i]);
	buf_addf(&b, "features ngram_max=%d title_weight=%d text_flags=%u "
	    "sublinear_tf=%d min_df=%d max_features=%d\n", s->ngram_max,
	    s->title_weight, s->text_flags, s->sublinear_tf, s->min_df,
	    s->max_features);
	if (model != NULL) {
		char *text = json_dumps(model, JSON_COMPACT |
		    JSON_REAL_PRECISION(17));

		buf_addf(&b, "model %s\n", text ? text : "");
		free(text);
	}
	crypto_generichash_init(hs, NULL, 0, crypto_generichash_BYTES);
	crypto_generichash_update(hs, (const unsigned char *)b.data, b.len);
	buf_release(&b);
}

/* Hash "name <size>\n" and the bytes of the open file fd. */
static int
bundle_hash_fd(crypto_generichash_state *hs, int fd, const char *name,
    const char *path, struct err *err)
{
	unsigned char chunk[65536];
	char head[64];
	struct stat st;
	off_t total = 0;
	ssize_t n;

	if (fstat(fd, &st) == -1)
		return err_set(err, "cannot read '%s': %s", path,
		    strerror(errno));
	snprintf(head, sizeof(head), "%s %lld\n", name,
	    (long long)st.st_size);
	crypto_generichash_update(hs, (const unsigned char *)head,
	    strlen(head));
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return err_set(err, "cannot read '%s': %s", path,
			    strerror(errno));
		crypto_generichash_update(hs, chunk, (size_t)n);
		total += n;
	}
	if (total != st.st_size)
		return err_set(err, "'%s' changed while being read", path);
	return 0;
}

static int
bundle_hash_path(crypto_generichash_state *hs, const char *dir,
    const char *name, struct err *err)
{
	char *path = bundle_join(dir, name);
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		err_set(err, "cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	rc = bundle_hash_fd(hs, fd, name, path, err);
	close(fd);
out:
	free(path);
	return rc;
}

static void
bundle_hash_end(crypto_generichash_state *hs, char *version)
{
	unsigned char h[crypto_generichash_BYTES];
	char hex[2 * crypto_generichash_BYTES + 1];

	crypto_generichash_final(hs, h, sizeof(h));
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	snprintf(version, BUNDLE_VERSION_LEN + 1, "b2-%.*s", BUNDLE_HASH_HEX,
	    hex);
}

/* ---- saving ---- */

static int
bundle_check_parts(const struct bundle_parts *p, struct err *err)
{
	const struct feat_settings *s = feat_vocab_settings(p->vocab);
	size_t i, j, nterms = feat_vocab_size(p->vocab);

	if (p->task == NULL || p->task[0] == '\0')
		return err_set(err, "no task name");
	if (p->nlabels < 2)
		return err_set(err, "need at least two labels, not %zu",
		    p->nlabels);
	if ((size_t)model_nr_class(p->model) != p->nlabels)
		return err_set(err, "model has %d classes but there are %zu "
		    "labels", model_nr_class(p->model), p->nlabels);
	for (i = 0; i < p->nlabels; i++) {
		if (p->labels[i] == NULL || p->labels[i][0] == '\0')
			return err_set(err, "label %zu is empty", i);
		for (j = 0; j < i; j++)
			if (strcmp(p->labels[i], p->labels[j]) == 0)
				return err_set(err, "label '%s' is given twice",
				    p->labels[i]);
	}
	if (!model_has_probabilities(p->model))
		return err_set(err, "the model has no probability estimates");
	if (model_max_feature(p->model) >= 0 &&
	    (size_t)model_max_feature(p->model) >= nterms)
		return err_set(err, "vocabulary has %zu terms but the model "
		    "uses feature %d", nterms,
		    (int)model_max_feature(p->model) + 1);
	if (feat_settings_check(s, err) == -1)
		return -1;
	return 0;
}

static json_t *
bundle_features_json(const struct feat_settings *s)
{
	json_t *o = json_pack("{s:i, s:i, s:b, s:b, s:b}",
	    "ngram_max", s->ngram_max,
	    "title_weight", s->title_weight,
	    "negation", (s->text_flags & TEXT_NEGATION) != 0,
	    "numcmp", (s->text_flags & TEXT_NUMCMP) != 0,
	    "stem", (s->text_flags & TEXT_STEM) != 0);

	if (s->text_flags & TEXT_CLEAN_HTML)
		json_object_set_new(o, "clean_html", json_true());
	if (s->text_flags & TEXT_CLEAN_BOILERPLATE)
		json_object_set_new(o, "clean_boilerplate", json_true());
	if (s->text_flags & TEXT_STOPWORDS)
		json_object_set_new(o, "stopwords", json_string("en"));
	json_object_set_new(o, "sublinear_tf", json_boolean(s->sublinear_tf));
	json_object_set_new(o, "min_df", json_integer(s->min_df));
	json_object_set_new(o, "max_features", json_integer(s->max_features));
	return o;
}

/* Merge meta_extra's keys into root.  -1 with err on bad extra text. */
static int
bundle_merge_extra(json_t *root, const char *extra, struct err *err)
{
	json_error_t jerr;
	json_t *obj, *val;
	const char *key;
	size_t i, nr = sizeof(bundle_reserved) / sizeof(bundle_reserved[0]);

	if (extra == NULL)
		return 0;
	obj = json_loads(extra, JSON_REJECT_DUPLICATES, &jerr);
	if (obj == NULL)
		return err_set(err, "bad meta_extra: %d:%d: %s", jerr.line,
		    jerr.column, jerr.text);
	if (!json_is_object(obj)) {
		json_decref(obj);
		return err_set(err, "bad meta_extra: not a JSON object");
	}
	json_object_foreach(obj, key, val) {
		for (i = 0; i < nr; i++)
			if (strcmp(key, bundle_reserved[i]) == 0) {
				err_set(err, "bad meta_extra: key '%s' is "
				    "reserved", key);
				json_decref(obj);
				return -1;
			}
		json_object_set(root, key, val);
	}
	json_decref(obj);
	return 0;
}

/* meta.json's text (malloc'd, ends with a newline), or NULL with err. */
static char *
bundle_meta_text(const struct bundle_parts *p, const char *version,
    struct err *err)
{
	json_t *root, *labels, *str, *model = model_meta(p->model);
	struct buf b;
	char *text = NULL;
	size_t i;

	root = json_object();
	labels = json_array();
	json_object_set_new(root, "format", json_integer(model ?
	    BUNDLE_FORMAT : BUNDLE_FORMAT_LIBSVM));
	str = json_string(p->task);
	if (str == NULL) {
		err_set(err, "task name is not valid UTF-8");
		goto out;
	}
	json_object_set_new(root, "task", str);
	json_object_set_new(root, "version", json_string(version));
	for (i = 0; i < p->nlabels; i++) {
		str = json_string(p->labels[i]);
		if (str == NULL) {
			err_set(err, "label %zu is not valid UTF-8", i);
			goto out;
		}
		json_array_append_new(labels, str);
	}
	json_object_set(root, "labels", labels);
	json_object_set_new(root, "features",
	    bundle_features_json(feat_vocab_settings(p->vocab)));
	json_object_set_new(root, "n_features",
	    json_integer((json_int_t)feat_vocab_size(p->vocab)));
	if (model != NULL)
		json_object_set(root, "model", model);
	if (bundle_merge_extra(root, p->meta_extra, err) == -1)
		goto out;
	text = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
	if (text == NULL) {
		err_set(err, "cannot format meta.json");
		goto out;
	}
	buf_init(&b);
	buf_addstr(&b, text);
	buf_addch(&b, '\n');
	free(text);
	text = buf_detach(&b, NULL);
out:
	json_decref(model);
	json_decref(labels);
	json_decref(root);
	return text;
}

static int
bundle_fsync_path(const char *path, int flags, struct err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | flags);

	if (fd == -1 || fsync(fd) == -1) {
		err_set(err, "cannot sync '%s': %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* Fix the mode of a file written by another module, sync it and hash it. */
static int
bundle_seal(crypto_generichash_state *hs, const char *dir, const char *name,
    struct err *err)
{
	char *path = bundle_join(dir, name);
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1 || fchmod(fd, 0644) == -1 || fsync(fd) == -1) {
		err_set(err, "cannot sync '%s': %s", path, strerror(errno));
		goto out_close;
	}
	rc = bundle_hash_fd(hs, fd, name, path, err);
out_close:
	if (fd != -1)
		close(fd);
	free(path);
	return rc;
}

static int
bundle_write_meta(const char *dir, const char *text, struct err *err)
{
	char *path = bundle_join(dir, "meta.json");
	size_t len = strlen(text), off = 0;
	ssize_t n;
	int fd, rc = -1;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd == -1 || fchmod(fd, 0644) == -1)
		goto out_err;
	while (off < len) {
		n = write(fd, text + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto out_err;
		off += (size_t)n;
	}
	if (fsync(fd) == -1)
		goto out_err;
	rc = close(fd);
	fd = -1;
	if (rc == 0)
		goto out;
out_err:
	err_set(err, "cannot write '%s': %s", path, strerror(errno));
	rc = -1;
	if (fd != -1)
		close(fd);
out:
	free(path);
	return rc;
}

/* Remove a bundle directory's files and the directory itself. */
static int
bundle_remove_dir(const char *dir)
{
	char *path;
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof(bundle_files) / sizeof(bundle_files[0]); i++) {
		path = bundle_join(dir, bundle_files[i]);
		if (unlink(path) == -1 && errno != ENOENT)
			rc = -1;
		free(path);
	}
	if (rmdir(dir) == -1 && errno != ENOENT)
		rc = -1;
	return rc;
}

/* 1 if dir does not exist, 0 if it is a directory of bundle files only. */
static int
bundle_check_target(const char *dir, struct err *err)
{
	struct dirent *de;
	struct stat st;
	size_t i, nf = sizeof(bundle_files) / sizeof(bundle_files[0]);
	DIR *d;
	int rc = 0;

	if (lstat(dir, &st) == -1) {
		if (errno == ENOENT)
			return 1;
		return err_set(err, "cannot inspect '%s': %s", dir,
		    strerror(errno));
	}
	if (!S_ISDIR(st.st_mode))
		return err_set(err, "'%s' exists and is not a directory", dir);
	if ((d = opendir(dir)) == NULL)
		return err_set(err, "cannot read '%s': %s", dir,
		    strerror(errno));
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		for (i = 0; i < nf; i++)
			if (strcmp(de->d_name, bundle_files[i]) == 0)
				break;
		if (i == nf)
			rc = err_set(err, "'%s' exists and is not a bundle "
			    "(it holds '%s')", dir, de->d_name);
	}
	closedir(d);
	return rc;
}

/* Put the finished temporary directory in place of dir. */
static int
bundle_install(const char *tmp, const char *dir, int fresh,
    struct err *err)
{
	if (fresh) {
		if (rename(tmp, dir) == -1)
			return err_set(err, "cannot rename '%s' to '%s': %s",
			    tmp, dir, strerror(errno));
		return 0;
	}
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_EXCHANGE) == -1)
		return err_set(err, "cannot exchange '%s' with '%s': %s", tmp,
		    dir, strerror(errno));
	if (bundle_remove_dir(tmp) == -1)
		return err_set(err, "the new bundle is in place, but the old "
		    "one at '%s' cannot be removed: %s", tmp, strerror(errno));
	return 0;
}

int
bundle_save(const char *dir, const struct bundle_parts *parts,
    struct err *err)
{
	crypto_generichash_state hs;
	char version[BUNDLE_VERSION_LEN + 1];
	char *target, *parent, *tmp, *path, *meta;
	const char *mfile = model_solver_file(model_solver(parts->model));
	json_t *mj = NULL;
	struct buf tb;
	int fresh, rc = -1;

	target = bundle_strip(dir);
	parent = bundle_parent(target);
	if (bundle_check_parts(parts, err) == -1 ||
	    (fresh = bundle_check_target(target, err)) == -1)
		goto out_free;
	if (sodium_init() < 0) {
		err_set(err, "cannot initialise libsodium");
		goto out_free;
	}
	buf_init(&tb);
	buf_addf(&tb, "%s.tmp-XXXXXX", target);
	tmp = buf_detach(&tb, NULL);
	if (mkdtemp(tmp) == NULL) {
		err_set(err, "cannot create '%s': %s", tmp, strerror(errno));
		goto out_tmpname;
	}

	path = bundle_join(tmp, "vocab.tsv");
	rc = feat_vocab_save(parts->vocab, path, err);
	free(path);
	if (rc == -1)
		goto out_rmtmp;
	path = bundle_join(tmp, mfile);
	rc = model_save(parts->model, path, err);
	free(path);
	if (rc == -1)
		goto out_rmtmp;
	rc = -1;
	mj = model_meta(parts->model);
	bundle_hash_begin(&hs, parts->labels, parts->nlabels,
	    feat_vocab_settings(parts->vocab), mj);
	if (bundle_seal(&hs, tmp, "vocab.tsv", err) == -1 ||
	    bundle_seal(&hs, tmp, mfile, err) == -1)
		goto out_rmtmp;
	bundle_hash_end(&hs, version);
	if ((meta = bundle_meta_text(parts, version, err)) == NULL)
		goto out_rmtmp;
	rc = bundle_write_meta(tmp, meta, err);
	free(meta);
	if (rc == -1)
		goto out_rmtmp;
	rc = -1;
	if (chmod(tmp, 0755) == -1) {
		err_set(err, "cannot chmod '%s': %s", tmp, strerror(errno));
		goto out_rmtmp;
	}
	if (bundle_fsync_path(tmp, O_DIRECTORY, err) == -1 ||
	    bundle_install(tmp, target, fresh, err) == -1 ||
	    bundle_fsync_path(parent, O_DIRECTORY, err) == -1)
		goto out_rmtmp;
	rc = 0;
out_rmtmp:
	/* After an exchange the old bundle is at tmp: it goes too. */
	if (rc == -1)
		bundle_remove_dir(tmp);
out_tmpname:
	free(tmp);
	json_decref(mj);
out_free:
	if (rc == -1)
		err_prefix(err, "cannot save bundle '%s'", target);
	free(parent);
	free(target);
	return rc;
}

/* ---- loading ---- */

/* Read dir/meta.json into a NUL-terminated malloc'd string. */
static char *
bundle_read_meta(const char *dir, size_t *lenp, struct err *err)
{
	char *path = bundle_join(dir, "meta.json");
	struct buf b;
	char chunk[8192];
	size_t n;
	FILE *f;

	buf_init(&b);
	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT && access(dir, F_OK) == 0)
			err_set(err, "missing meta.json");
		else
			err_set(err, "%s", strerror(errno));
		goto out_fail;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		buf_add(&b, chunk, n);
		if (b.len > BUNDLE_META_MAX) {
			err_set(err, "meta.json: larger than %d bytes",
			    BUNDLE_META_MAX);
			fclose(f);
			goto out_fail;
		}
	}
	if (ferror(f)) {
		err_set(err, "meta.json: %s", strerror(errno));
		fclose(f);
		goto out_fail;
	}
	fclose(f);
	free(path);
	return buf_detach(&b, lenp);
out_fail:
	buf_release(&b);
	free(path);
	return NULL;
}

static int
bundle_get_int(json_t *obj, const char *where, const char *key, int *out,
    struct err *err)
{
	json_t *v = json_object_get(obj, key);
	json_int_t i;

	if (v == NULL)
		return err_set(err, "meta.json: no '%s%s'", where, key);
	if (!json_is_integer(v))
		return err_set(err, "meta.json: '%s%s' must be an integer",
		    where, key);
	i = json_integer_value(v);
	if (i < -2147483647 - 1 || i > 2147483647)
		return err_set(err, "meta.json: '%s%s' is out of range", where,
		    key);
	*out = (int)i;
	return 0;
}

static int
bundle_get_bool(json_t *obj, const char *key, int *out, struct err *err)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return err_set(err, "meta.json: no 'features.%s'", key);
	if (!json_is_boolean(v))
		return err_set(err, "meta.json: 'features.%s' must be true "
		    "or false", key);
	*out = json_is_true(v);
	return 0;
}

/* "stopwords": absent or false (off), "en" or true (the English list). */
static int
bundle_get_stopwords(json_t *obj, int *out, struct err *err)
{
	json_t *v = json_object_get(obj, "stopwords");

	*out = 0;
	if (v == NULL || json_is_false(v))
		return 0;
	if (json_is_true(v) || (json_is_string(v) &&
	    strcmp(json_string_value(v), "en") == 0)) {
		*out = 1;
		return 0;
	}
	return err_set(err, "meta.json: 'features.stopwords' must be false or "
	    "\"en\"");
}

static int
bundle_parse_features(json_t *root, struct feat_settings *s,
    struct err *err)
{
	static const char *const known[] = {
		"ngram_max", "title_weight", "negation", "numcmp", "stem",
		"clean_html", "clean_boilerplate", "stopwords",
		"sublinear_tf", "min_df", "max_features",
	};
	json_t *obj = json_object_get(root, "features"), *v;
	const char *key;
	size_t i, nk = sizeof(known) / sizeof(known[0]);
	int negation, numcmp, stem = 0, html = 0, boiler = 0, stop = 0;

	if (!json_is_object(obj))
		return err_set(err, "meta.json: 'features' must be an object");
	json_object_foreach(obj, key, v) {
		for (i = 0; i < nk; i++)
			if (strcmp(key, known[i]) == 0)
				break;
		if (i == nk)
			return err_set(err, "meta.json: unknown feature "
			    "setting '%s'", key);
	}
	if (bundle_get_int(obj, "features.", "ngram_max", &s->ngram_max,
	    err) == -1 ||
	    bundle_get_int(obj, "features.", "title_weight",
	    &s->title_weight, err) == -1 ||
	    bundle_get_bool(obj, "negation", &negation, err) == -1 ||
	    bundle_get_bool(obj, "numcmp", &numcmp, err) == -1 ||
	    bundle_get_bool(obj, "sublinear_tf", &s->sublinear_tf,
	    err) == -1 ||
	    bundle_get_int(obj, "features.", "min_df", &s->min_df,
	    err) == -1 ||
	    bundle_get_int(obj, "features.", "max_features",
	    &s->max_features, err) == -1)
		return -1;
	/* These are optional: bundles without them do not use them. */
	if ((json_object_get(obj, "stem") != NULL &&
	    bundle_get_bool(obj, "stem", &stem, err) == -1) ||
	    (json_object_get(obj, "clean_html") != NULL &&
	    bundle_get_bool(obj, "clean_html", &html, err) == -1) ||
	    (json_object_get(obj, "clean_boilerplate") != NULL &&
	    bundle_get_bool(obj, "clean_boilerplate", &boiler, err) == -1) ||
	    bundle_get_stopwords(obj, &stop, err) == -1)
		return -1;
	s->text_flags = (negation ? TEXT_NEGATION : 0) |
	    (numcmp ? TEXT_NUMCMP : 0) | (stem ? TEXT_STEM : 0) |
	    (html ? TEXT_CLEAN_HTML : 0) |
	    (boiler ? TEXT_CLEAN_BOILERPLATE : 0) |
	    (stop ? TEXT_STOPWORDS : 0);
	if (feat_settings_check(s, err) == -1)
		return err_prefix(err, "meta.json: 'features'");
	return 0;
}

static int
bundle_parse_labels(json_t *root, struct bundle *b, struct err *err)
{
	json_t *arr = json_object_get(root, "labels"), *v;
	size_t i, j, n;

	if (!json_is_array(arr))
		return err_set(err, "meta.json: 'labels' must be an array");
	n = json_array_size(arr);
	if (n < 2)
		return err_set(err, "meta.json: need at least two labels, not "
		    "%zu", n);
	b->labels = xcalloc(n, sizeof(*b->labels));
	b->nlabels = n;
	for (i = 0; i < n; i++) {
		v = json_array_get(arr, i);
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return err_set(err, "meta.json: label %zu must be a "
			    "non-empty string", i);
		if (label_check(json_string_value(v), json_string_length(v),
		    err) == -1)
			return err_prefix(err, "meta.json");
		b->labels[i] = xstrdup(json_string_value(v));
		for (j = 0; j < i; j++)
			if (strcmp(b->labels[i], b->labels[j]) == 0)
				return err_set(err, "meta.json: label '%s' is "
				    "given twice", b->labels[i]);
	}
	return 0;
}

/*
 * The solver of a format-2 bundle from its "model" object (format 1 is
 * libsvm's and has none).
 */
static int
bundle_parse_model(json_t *root, int format, json_t **model,
    const struct model_solver **solver, struct err *err)
{
	json_t *m = json_object_get(root, "model"), *v;

	*model = NULL;
	if (format == BUNDLE_FORMAT_LIBSVM) {
		if (m != NULL)
			return err_set(err, "meta.json: format 1 has no "
			    "'model'");
		*solver = model_solver_find("libsvm");
		return 0;
	}
	if (!json_is_object(m))
		return err_set(err, "meta.json: 'model' must be an object");
	v = json_object_get(m, "solver");
	if (!json_is_string(v) ||
	    (*solver = model_solver_find(json_string_value(v))) == NULL ||
	    *solver == model_solver_find("libsvm"))
		return err_set(err, "meta.json: 'model.solver' must be "
		    "\"liblinear\"");
	*model = json_incref(m);
	return 0;
}

/*
 * Check meta.json; fill b's labels and version, the settings, the solver
 * and its "model" object (a new reference, or NULL in format 1).
 */
static int
bundle_parse_meta(const char *text, size_t len, struct bundle *b,
    struct feat_settings *s, int *n_features,
    const struct model_solver **solver, json_t **model, struct err *err)
{
	json_error_t jerr;
	json_t *root, *v;
	int format, rc = -1;

	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return err_set(err, "meta.json:%d:%d: %s", jerr.line,
		    jerr.column, jerr.text);
	if (!json_is_object(root)) {
		err_set(err, "meta.json: not a JSON object");
		goto out;
	}
	if (bundle_get_int(root, "", "format", &format, err) == -1)
		goto out;
	if (format != BUNDLE_FORMAT && format != BUNDLE_FORMAT_LIBSVM) {
		err_set(err, "meta.json: unknown format version %d", format);
		goto out;
	}
	v = json_object_get(root, "task");
	if (v != NULL && !json_is_string(v)) {
		err_set(err, "meta.json: 'task' must be a string");
		goto out;
	}
	v = json_object_get(root, "version");
	if (!json_is_string(v)) {
		err_set(err, "meta.json: 'version' must be a string");
		goto out;
	}
	b->version = xstrdup(json_string_value(v));
	if (bundle_parse_labels(root, b, err) == -1 ||
	    bundle_parse_features(root, s, err) == -1 ||
	    bundle_get_int(root, "", "n_features", n_features, err) == -1 ||
	    bundle_parse_model(root, format, model, solver, err) == -1)
		goto out;
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* The vocabulary, model and meta.json must describe the same model. */
static int
bundle_check_fit(const struct bundle *b, int n_features, struct err *err)
{
	size_t nterms = feat_vocab_size(b->vocab);
	int32_t maxf = model_max_feature(b->model);

	const char *mfile = model_solver_file(model_solver(b->model));

	if ((size_t)model_nr_class(b->model) != b->nlabels)
		return err_set(err, "%s has %d classes but meta.json lists %zu "
		    "labels", mfile, model_nr_class(b->model), b->nlabels);
	if (maxf >= 0 && (size_t)maxf >= nterms)
		return err_set(err, "vocabulary has %zu terms but %s uses "
		    "feature %d", nterms, mfile, (int)maxf + 1);
	if (n_features < 0 || (size_t)n_features != nterms)
		return err_set(err, "meta.json says n_features %d but "
		    "vocab.tsv has %zu terms", n_features, nterms);
	return 0;
}

static int
bundle_check_version(const char *dir, const struct bundle *b,
    const struct feat_settings *s, const json_t *model, struct err *err)
{
	crypto_generichash_state hs;
	char version[BUNDLE_VERSION_LEN + 1];

	if (sodium_init() < 0)
		return err_set(err, "cannot initialise libsodium");
	bundle_hash_begin(&hs, (const char *const *)b->labels, b->nlabels,
	    s, model);
	if (bundle_hash_path(&hs, dir, "vocab.tsv", err) == -1 ||
	    bundle_hash_path(&hs, dir,
	    model_solver_file(model_solver(b->model)), err) == -1)
		return -1;
	bundle_hash_end(&hs, version);
	if (strcmp(version, b->version) != 0)
		return err_set(err, "bundle content does not match its version "
		    "(half-written or edited?): meta.json says '%s', the "
		    "files hash to '%s'", b->version, version);
	return 0;
}

static double
bundle_now_ms(void)
{
	return (double)clock_ns() / 1e6;
}

int
bundle_load(const char *dir, struct bundle **out, struct err *err)
{
	const struct model_solver *solver = NULL;
	struct feat_settings s;
	struct bundle *b;
	json_t *model = NULL;
	char *stripped, *path;
	double t0 = bundle_now_ms();
	size_t len;
	int n_features = 0, rc = -1;

	*out = NULL;
	stripped = bundle_strip(dir);
	b = xcalloc(1, sizeof(*b));
	b->task = xstrdup(bundle_basename(stripped));
	if (label_check_task(b->task, err) == -1 ||
	    (b->meta_json = bundle_read_meta(stripped, &len, err)) == NULL ||
	    bundle_parse_meta(b->meta_json, len, b, &s, &n_features, &solver,
	    &model, err) == -1)
		goto out_fail;
	path = bundle_join(stripped, "vocab.tsv");
	rc = feat_vocab_load(path, &s, &b->vocab, err);
	free(path);
	if (rc == -1)
		goto out_fail;
	path = bundle_join(stripped, model_solver_file(solver));
	rc = model_load(solver, path, model, &b->model, err);
	free(path);
	if (rc == -1)
		goto out_fail;
	rc = -1;
	if (bundle_check_fit(b, n_features, err) == -1 ||
	    bundle_check_version(stripped, b, &s, model, err) == -1)
		goto out_fail;
	b->load_ms = bundle_now_ms() - t0;
	*out = b;
	rc = 0;
	goto out;
out_fail:
	err_prefix(err, "cannot load bundle '%s'", stripped);
	bundle_destroy(&b);
out:
	json_decref(model);
	free(stripped);
	return rc;
}

void
bundle_destroy(struct bundle **bp)
{
	struct bundle *b = *bp;
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->nlabels; i++)
		free(b->labels[i]);
	free(b->labels);
	feat_vocab_destroy(&b->vocab);
	model_destroy(&b->model);
	free(b->meta_json);
	free(b->version);
	free(b->task);
	free(b);
	*bp = NULL;
}

const char *
bundle_task(const struct bundle *b)
{
	return b->task;
}

const char *
bundle_version(const struct bundle *b)
{
	return b->version;
}

size_t
bundle_nlabels(const struct bundle *b)
{
	return b->nlabels;
}

const char *
bundle_label(const struct bundle *b, size_t i)
{
	return b->labels[i];
}

int
bundle_label_index(const struct bundle *b, const char *name)
{
	size_t i;

	for (i = 0; i < b->nlabels; i++)
		if (strcmp(b->labels[i], name) == 0)
			return (int)i;
	return -1;
}

const struct feat_vocab *
bundle_vocab(const struct bundle *b)
{
	return b->vocab;
}

const struct model *
bundle_model(const struct bundle *b)
{
	return b->model;
}

const char *
bundle_meta_json(const struct bundle *b)
{
	return b->meta_json;
}

double
bundle_load_ms(const struct bundle *b)
{
	return b->load_ms;
}
