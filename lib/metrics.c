/*
 * metrics.c - confusion matrix and the figures derived from it.  Sizes are
 * tiny (a handful of classes); clarity wins over speed here.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "metrics.h"
#include "xalloc.h"

void
metrics_init(struct metrics *m, size_t k)
{
	memset(m, 0, sizeof(*m));
	m->k = k;
	m->confusion = xcalloc(k * k, sizeof(size_t));
	m->precision = xcalloc(k, sizeof(double));
	m->recall = xcalloc(k, sizeof(double));
	m->f1 = xcalloc(k, sizeof(double));
	m->support = xcalloc(k, sizeof(size_t));
}

void
metrics_release(struct metrics *m)
{
	free(m->confusion);
	free(m->precision);
	free(m->recall);
	free(m->f1);
	free(m->support);
	memset(m, 0, sizeof(*m));
}

void
metrics_add(struct metrics *m, int truth, int predicted)
{
	m->confusion[(size_t)truth * m->k + (size_t)predicted]++;
	m->n++;
	if (truth == predicted)
		m->correct++;
}

const size_t metrics_length_lo[METRICS_LENGTHS] = { 0, 10, 20, 40, 100, 300 };

void
metrics_add_scored(struct metrics *m, int truth, int predicted, double p,
    size_t words)
{
	size_t b = p >= 1.0 ? METRICS_BINS - 1 :
	    p <= 0.0 ? 0 : (size_t)(p * METRICS_BINS), l;
	int ok = truth == predicted;

	metrics_add(m, truth, predicted);
	m->scored++;
	m->bin_n[b]++;
	m->bin_correct[b] += (size_t)ok;
	m->bin_p[b] += p;
	for (l = METRICS_LENGTHS - 1; l > 0 && words < metrics_length_lo[l]; l--)
		;
	m->len_n[l]++;
	m->len_correct[l] += (size_t)ok;
}

void
metrics_finish(struct metrics *m)
{
	size_t i, j, tp, pred;
	double sum = 0.0;

	for (i = 0; i < m->k; i++) {
		tp = m->confusion[i * m->k + i];
		pred = 0;
		m->support[i] = 0;
		for (j = 0; j < m->k; j++) {
			pred += m->confusion[j * m->k + i];
			m->support[i] += m->confusion[i * m->k + j];
		}
		m->precision[i] = pred ? (double)tp / (double)pred : 0.0;
		m->recall[i] = m->support[i] ?
		    (double)tp / (double)m->support[i] : 0.0;
		m->f1[i] = m->precision[i] + m->recall[i] > 0.0 ?
		    2.0 * m->precision[i] * m->recall[i] /
		    (m->precision[i] + m->recall[i]) : 0.0;
		sum += m->f1[i];
	}
	m->accuracy = m->n ? (double)m->correct / (double)m->n : 0.0;
	m->macro_f1 = m->k ? sum / (double)m->k : 0.0;
	m->ece = 0.0;
	for (i = 0; i < METRICS_BINS && m->scored; i++)
		if (m->bin_n[i])
			m->ece += fabs((double)m->bin_correct[i] -
			    m->bin_p[i]) / (double)m->scored;
}

void
metrics_print(const struct metrics *m, const char *const *labels, FILE *f)
{
	size_t i, j, w = 9;

	for (i = 0; i < m->k; i++)
		if (strlen(labels[i]) > w)
			w = strlen(labels[i]);
	fprintf(f, "n %zu  accuracy %.4f  macro-F1 %.4f", m->n, m->accuracy,
	    m->macro_f1);
	if (m->scored)
		fprintf(f, "  ECE %.4f", m->ece);
	fputc('\n', f);
	fprintf(f, "%-*s %9s %9s %9s %8s\n", (int)w, "label", "precision",
	    "recall", "f1", "support");
	for (i = 0; i < m->k; i++)
		fprintf(f, "%-*s %9.4f %9.4f %9.4f %8zu\n", (int)w, labels[i],
		    m->precision[i], m->recall[i], m->f1[i], m->support[i]);
	fprintf(f, "confusion (rows: true, columns: predicted)\n%-*s", (int)w,
	    "");
	for (j = 0; j < m->k; j++)
		fprintf(f, " %*.*s", 6, 6, labels[j]);
	fputc('\n', f);
	for (i = 0; i < m->k; i++) {
		fprintf(f, "%-*s", (int)w, labels[i]);
		for (j = 0; j < m->k; j++)
			fprintf(f, " %6zu", m->confusion[i * m->k + j]);
		fputc('\n', f);
	}
}

char *
metrics_json(const struct metrics *m, const char *const *labels)
{
	json_t *o = json_object(), *pc = json_object(), *conf = json_array();
	json_t *lab = json_array();
	size_t i, j;
	char *s;

	for (i = 0; i < m->k; i++) {
		json_t *row = json_array();

		json_object_set_new(pc, labels[i], json_pack("{s:f,s:f,s:f,s:I}",
		    "precision", m->precision[i], "recall", m->recall[i],
		    "f1", m->f1[i], "support", (json_int_t)m->support[i]));
		for (j = 0; j < m->k; j++)
			json_array_append_new(row, json_integer(
			    (json_int_t)m->confusion[i * m->k + j]));
		json_array_append_new(conf, row);
		json_array_append_new(lab, json_string(labels[i]));
	}
	json_object_set_new(o, "n", json_integer((json_int_t)m->n));
	json_object_set_new(o, "accuracy", json_real(m->accuracy));
	json_object_set_new(o, "macro_f1", json_real(m->macro_f1));
	json_object_set_new(o, "per_class", pc);
	json_object_set_new(o, "labels", lab);
	json_object_set_new(o, "confusion", conf);
	if (m->scored) {
		json_t *rel = json_array(), *len = json_array();

		for (i = 0; i < METRICS_BINS; i++)
			json_array_append_new(rel, json_pack(
			    "{s:f,s:f,s:I,s:f,s:f}", "lo",
			    (double)i / METRICS_BINS, "hi",
			    (double)(i + 1) / METRICS_BINS, "n",
			    (json_int_t)m->bin_n[i], "mean_p", m->bin_n[i] ?
			    m->bin_p[i] / (double)m->bin_n[i] : 0.0,
			    "accuracy", m->bin_n[i] ?
			    (double)m->bin_correct[i] / (double)m->bin_n[i] :
			    0.0));
		for (i = 0; i < METRICS_LENGTHS; i++)
			json_array_append_new(len, json_pack(
			    "{s:I,s:o,s:I,s:f}", "lo",
			    (json_int_t)metrics_length_lo[i], "hi",
			    i + 1 < METRICS_LENGTHS ? json_integer((json_int_t)
			    metrics_length_lo[i + 1]) : json_null(), "n",
			    (json_int_t)m->len_n[i], "accuracy", m->len_n[i] ?
			    (double)m->len_correct[i] / (double)m->len_n[i] :
			    0.0));
		json_object_set_new(o, "ece", json_real(m->ece));
		json_object_set_new(o, "reliability", rel);
		json_object_set_new(o, "by_length", len);
	}
	s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));
	json_decref(o);
	if (s == NULL)
		abort();	/* only on out of memory */
	return s;
}
