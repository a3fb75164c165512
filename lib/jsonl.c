/*
 * jsonl.c - reading labelled articles from JSON Lines with jansson.
 *
 * Training sets are small (thousands to a few hundred thousand lines), so
 * every article of a file is held in memory with its own copies of the
 * strings.  Lines are at most JSONL_MAX_LINE bytes; a longer one is read
 * through in chunks and refused, so memory stays bounded whatever a file
 * holds.
 *
 * A line is checked for valid UTF-8 before jansson sees it, so that the
 * reason names the byte; jansson then parses it with
 * JSON_REJECT_DUPLICATES.  Its messages quote the input ("near '...'"),
 * so they are passed through label_escape before they go into a reason.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jsonl.h"
#include "label.h"
#include "text.h"
#include "xalloc.h"

void
jsonl_article_release(struct jsonl_article *a)
{
	free(a->id);
	free(a->title);
	free(a->text);
	free(a->label);
	memset(a, 0, sizeof(*a));
}

static int
get_string(json_t *obj, const char *key, char **out, size_t *len,
    struct err *err)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return err_set(err, "field '%s' must be a string", key);
	*out = xstrndup(json_string_value(v), json_string_length(v));
	if (len)
		*len = json_string_length(v);
	if (strlen(*out) != json_string_length(v))
		return err_set(err, "field '%s' contains a NUL character", key);
	return 0;
}

/* A reason for jansson's error je, without raw bytes of the input. */
static int
jsonl_json_error(const json_error_t *je, struct err *err)
{
	char text[2 * JSON_ERROR_TEXT_LENGTH];
	const char *near, *end;

	switch (json_error_code(je)) {
	case json_error_duplicate_key:
		/* jansson says: duplicate object key near '"key"' */
		near = strstr(je->text, " near '");
		end = strrchr(je->text, '\'');
		if (near == NULL || end <= near + 7)
			return err_set(err, "duplicate key (column %d)",
			    je->column);
		near += 7;
		return err_set(err, "duplicate key %s (column %d)",
		    label_escape(near, (size_t)(end - near), text,
		    sizeof(text)), je->column);
	case json_error_null_character:
		return err_set(err, "not JSON: \\u0000 (NUL) in a string "
		    "(column %d)", je->column);
	case json_error_invalid_utf8:
		/* Only reached if jansson's idea differs from text.c's. */
		return err_set(err, "invalid UTF-8 (column %d)", je->column);
	default:
		return err_set(err, "not JSON: %s (column %d)",
		    label_escape(je->text, strlen(je->text), text,
		    sizeof(text)), je->column);
	}
}

int
jsonl_parse_article(const char *line, size_t len, unsigned flags,
    struct jsonl_article *a, struct err *err)
{
	json_error_t je;
	json_t *obj, *id;
	size_t bad;
	int rc = -1;

	memset(a, 0, sizeof(*a));
	if (text_check_utf8(line, len, &bad) == -1)
		return err_set(err, "invalid UTF-8 at byte %zu (0x%02x)",
		    bad + 1, (unsigned char)line[bad]);
	obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	if (obj == NULL)
		return jsonl_json_error(&je, err);
	if (!json_is_object(obj)) {
		err_set(err, "not a JSON object");
		goto out;
	}
	id = json_object_get(obj, "id");
	if (json_is_string(id) && json_string_length(id) > 0)
		a->id = xstrdup(json_string_value(id));
	else if (json_is_integer(id)) {
		char tmp[32];

		snprintf(tmp, sizeof(tmp), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(id));
		a->id = xstrdup(tmp);
	} else if (id != NULL && !json_is_null(id) && !json_is_string(id)) {
		err_set(err, "field 'id' must be a string or an integer");
		goto out;
	}
	if (get_string(obj, "title", &a->title, &a->tlen, err) == -1 ||
	    get_string(obj, "text", &a->text, &a->xlen, err) == -1 ||
	    get_string(obj, "label", &a->label, NULL, err) == -1)
		goto out;
	if (a->title == NULL)
		a->title = xstrdup("");
	if (a->text == NULL)
		a->text = xstrdup("");
	if (a->tlen == 0 && a->xlen == 0) {
		err_set(err, "neither a non-empty 'title' nor 'text'");
		goto out;
	}
	if ((flags & JSONL_NEED_LABEL) && (a->label == NULL ||
	    a->label[0] == '\0')) {
		err_set(err, "missing 'label'");
		goto out;
	}
	if ((flags & JSONL_NEED_LABEL) && label_check(a->label,
	    strlen(a->label), err) == -1)
		goto out;
	rc = 0;
out:
	json_decref(obj);
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

/*
 * getline with a bound: a line longer than JSONL_MAX_LINE is consumed to
 * its end in chunks, *linecap set to 0 and its length returned; the buffer
 * then holds nothing of it.
 */
static ssize_t
jsonl_getline(char **line, size_t *linecap, FILE *f)
{
	size_t len = 0;
	int c, too_long = 0;

	while ((c = getc_unlocked(f)) != EOF) {
		if (!too_long && len + 2 > *linecap) {
			if (len + 2 > JSONL_MAX_LINE + 1) {
				too_long = 1;
			} else {
				*linecap = *linecap ? *linecap * 2 : 4096;
				if (*linecap > JSONL_MAX_LINE + 1)
					*linecap = JSONL_MAX_LINE + 1;
				*line = xrealloc(*line, *linecap);
			}
		}
		if (!too_long)
			(*line)[len] = (char)c;
		len++;
		if (c == '\n')
			break;
	}
	if (len == 0)
		return -1;
	if (too_long) {
		free(*line);
		*line = NULL;
		*linecap = 0;
	} else {
		(*line)[len] = '\0';
	}
	return (ssize_t)len;
}

int
jsonl_read_file(const char *path, unsigned flags, int skip_bad,
    struct jsonl_article **out, size_t *n, size_t *nskipped,
    void (*warn)(const char *msg), struct err *err)
{
	struct jsonl_article *arr = NULL;
	size_t cap = 0, lineno = 0, linecap = 0;
	char *line = NULL;
	ssize_t len;
	FILE *f;
	int rc = -1;

	*out = NULL;
	*n = 0;
	if (nskipped)
		*nskipped = 0;
	f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (f == NULL)
		return err_set(err, "cannot open '%s': %s", path,
		    strerror(errno));
	while ((len = jsonl_getline(&line, &linecap, f)) != -1) {
		struct err e;

		lineno++;
		if (linecap > 0 && len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (linecap > 0 && blank(line, (size_t)len))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 256;
			arr = xreallocarray(arr, cap, sizeof(*arr));
		}
		if (linecap == 0) {
			memset(&arr[*n], 0, sizeof(arr[*n]));
			err_set(&e, "line longer than %zu bytes",
			    JSONL_MAX_LINE);
		} else if (jsonl_parse_article(line, (size_t)len, flags,
		    &arr[*n], &e) == 0) {
			if (arr[*n].tlen + arr[*n].xlen <= JSONL_MAX_TEXT) {
				(*n)++;
				continue;
			}
			err_set(&e, "title and text longer than %zu bytes (the "
			    "daemon refuses such articles: text_too_long)",
			    JSONL_MAX_TEXT);
		}
		jsonl_article_release(&arr[*n]);
		if (!skip_bad) {
			err_set(err, "%s:%zu: %s", path, lineno, e.msg);
			goto out;
		}
		if (nskipped)
			(*nskipped)++;
		if (warn) {
			char msg[ERR_MAX + 64];

			snprintf(msg, sizeof(msg), "%s:%zu: skipped: %s", path,
			    lineno, e.msg);
			warn(msg);
		}
	}
	if (ferror(f)) {
		err_set(err, "cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	*out = arr;
	arr = NULL;
	rc = 0;
out:
	if (rc == -1) {
		jsonl_articles_free(&arr, *n);
		*n = 0;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}

void
jsonl_articles_free(struct jsonl_article **a, size_t n)
{
	size_t i;

	if (*a == NULL)
		return;
	for (i = 0; i < n; i++)
		jsonl_article_release(&(*a)[i]);
	free(*a);
	*a = NULL;
}
