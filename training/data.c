/*
 * data.c - reading labelled articles, augmenting them, dealing out folds.
 *
 * Sizes: up to a few million rows.  Articles are held in memory as read
 * (jsonl.h); an augmented row owns copies of its title and text, which are
 * at most as long as its article's.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data.h"
#include "log.h"
#include "xalloc.h"

static int
data_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
data_label_index(char *const *labels, size_t n, const char *name)
{
	char *const *p = bsearch(&name, labels, n, sizeof(*labels),
	    data_cmp_str);

	return p ? (int)(p - labels) : -1;
}

static void
data_warn(const char *msg)
{
	log_warn("%s", msg);
}

void
data_free(struct dataset *d)
{
	size_t i;

	jsonl_articles_free(&d->art, d->n);
	for (i = 0; d->own_labels && i < d->nlabels; i++)
		free(d->labels[i]);
	if (d->own_labels)
		free(d->labels);
	free(d->y);
	free(d->group);
	memset(d, 0, sizeof(*d));
}

/* The sorted distinct labels of the data, owned by d. */
static void
data_collect_labels(struct dataset *d)
{
	char **all = xreallocarray(NULL, d->n, sizeof(char *));
	size_t i, m = 0;

	for (i = 0; i < d->n; i++)
		all[i] = d->art[i].label;
	qsort(all, d->n, sizeof(char *), data_cmp_str);
	for (i = 0; i < d->n; i++)
		if (m == 0 || strcmp(all[m - 1], all[i]) != 0)
			all[m++] = all[i];
	d->labels = xreallocarray(NULL, m, sizeof(char *));
	for (i = 0; i < m; i++)
		d->labels[i] = xstrdup(all[i]);
	d->nlabels = m;
	d->own_labels = 1;
	free(all);
}

int
data_read(struct dataset *d, const char *const *paths, size_t npaths,
    int skip_bad, char *const *labels, size_t nlabels)
{
	struct err err;
	size_t i;

	memset(d, 0, sizeof(*d));
	for (i = 0; i < npaths; i++) {
		struct jsonl_article *a;
		size_t n, skipped;

		if (jsonl_read_file(paths[i], JSONL_NEED_LABEL, skip_bad, &a,
		    &n, &skipped, data_warn, &err) == -1) {
			log_error("%s", err.msg);
			data_free(d);
			return -1;
		}
		if (skipped)
			log_warn("%s: skipped %zu bad lines", paths[i],
			    skipped);
		d->art = xreallocarray(d->art, d->n + n, sizeof(*d->art));
		memcpy(d->art + d->n, a, n * sizeof(*a));
		d->n += n;
		free(a);
	}
	d->norig = d->n;
	if (d->n == 0) {
		log_error("%s: no articles in the data", paths[0]);
		data_free(d);
		return -1;
	}
	if (labels == NULL) {
		data_collect_labels(d);
		if (d->nlabels < 2) {
			log_error("%s%s: only one label ('%s'); a classifier "
			    "needs at least two", paths[0], npaths > 1 ?
			    " and the other --data files" : "", d->labels[0]);
			data_free(d);
			return -1;
		}
	} else {
		d->labels = (char **)labels;
		d->nlabels = nlabels;
	}
	d->y = xreallocarray(NULL, d->n, sizeof(int));
	d->group = xreallocarray(NULL, d->n, sizeof(size_t));
	for (i = 0; i < d->n; i++) {
		d->group[i] = i;
		d->y[i] = data_label_index(d->labels, d->nlabels,
		    d->art[i].label);
		if (d->y[i] < 0) {
			log_error("article '%s': label '%s' is not one of the "
			    "model's labels", d->art[i].id ? d->art[i].id : "?",
			    d->art[i].label);
			data_free(d);
			return -1;
		}
	}
	return 0;
}

size_t
data_first_sentence(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '\n')
			return i;
		if ((s[i] == '.' || s[i] == '!' || s[i] == '?') &&
		    (i + 1 == len || s[i + 1] == ' ' || s[i + 1] == '\n'))
			return i + 1;
	}
	return len;
}

size_t
data_words(const char *s, size_t len)
{
	size_t i, n = 0;
	int in = 0;

	for (i = 0; i < len; i++) {
		int sp = s[i] == ' ' || s[i] == '\n' || s[i] == '\t' ||
		    s[i] == '\r';

		n += !sp && !in;
		in = !sp;
	}
	return n;
}

/* Append a row made from row src with the given title and text. */
static void
data_add_row(struct dataset *d, size_t *cap, size_t src, const char *title,
    size_t tlen, const char *text, size_t xlen)
{
	struct jsonl_article *a;

	if (d->n == *cap) {
		*cap = *cap * 2 + 16;
		d->art = xreallocarray(d->art, *cap, sizeof(*d->art));
		d->y = xreallocarray(d->y, *cap, sizeof(int));
		d->group = xreallocarray(d->group, *cap, sizeof(size_t));
	}
	a = &d->art[d->n];
	memset(a, 0, sizeof(*a));
	a->id = xstrdup(d->art[src].id ? d->art[src].id : "");
	a->title = xstrndup(title, tlen);
	a->tlen = tlen;
	a->text = xstrndup(text, xlen);
	a->xlen = xlen;
	a->label = xstrdup(d->art[src].label);
	d->y[d->n] = d->y[src];
	d->group[d->n] = src;
	d->n++;
}

void
data_augment_short(struct dataset *d)
{
	size_t i, cap = d->n;

	for (i = 0; i < d->norig; i++) {
		const struct jsonl_article *a = &d->art[i];
		size_t xlen = data_first_sentence(a->text, a->xlen);

		if (xlen < a->xlen)
			data_add_row(d, &cap, i, a->title, a->tlen, a->text,
			    xlen);
	}
}

/* splitmix64: a small, well-mixed generator for seeded choices. */
static uint64_t
data_mix(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void
data_augment_extracts(struct dataset *d, int n, unsigned seed)
{
	size_t i, cap = d->n, *start = NULL, ns, scap = 0;
	int e;

	for (i = 0; i < d->norig; i++) {
		const char *t = d->art[i].text;
		size_t len = d->art[i].xlen, pos = 0;
		uint64_t state = ((uint64_t)seed << 32) ^ (uint64_t)i;

		/* Sentence starts, then the end as a last "start". */
		for (ns = 0; pos < len; ns++) {
			if (ns + 2 > scap) {
				scap = scap * 2 + 16;
				start = xreallocarray(start, scap,
				    sizeof(size_t));
			}
			while (pos < len && (t[pos] == ' ' || t[pos] == '\n'))
				pos++;
			if (pos == len)
				break;
			start[ns] = pos;
			pos += data_first_sentence(t + pos, len - pos);
		}
		if (ns < 3)
			continue;
		start[ns] = len;
		for (e = 0; e < n; e++) {
			size_t s = (size_t)(data_mix(&state) % ns);
			size_t k = 1 + (size_t)(data_mix(&state) % 2);
			size_t end = s + k > ns ? ns : s + k;

			data_add_row(d, &cap, i, "", 0, t + start[s],
			    start[end] - start[s]);
		}
	}
	free(start);
}

int *
data_folds(const struct dataset *d, int folds, unsigned seed)
{
	int *fold = xcalloc(d->n, sizeof(int));
	size_t *idx = xcalloc(d->norig, sizeof(size_t));
	uint64_t state = seed;
	size_t c, i, m;

	for (c = 0; c < d->nlabels; c++) {
		m = 0;
		for (i = 0; i < d->norig; i++)
			if (d->y[i] == (int)c)
				idx[m++] = i;
		for (i = m; i > 1; i--) {
			size_t j = (size_t)(data_mix(&state) % i), t;

			t = idx[i - 1];
			idx[i - 1] = idx[j];
			idx[j] = t;
		}
		for (i = 0; i < m; i++)
			fold[idx[i]] = (int)(i % (size_t)folds);
	}
	free(idx);
	for (i = d->norig; i < d->n; i++)
		fold[i] = fold[d->group[i]];
	return fold;
}
