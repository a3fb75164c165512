/*
 * test_http.c - unit tests for the Prometheus exposition of the daemon's
 * state (http_render_metrics in daemon/http.c), without sockets: the
 * figures, label escaping, the histogram's cumulative buckets, and the
 * shape of the text (every sample belongs to a family announced by HELP
 * and TYPE lines).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "http.h"
#include "msg.h"
#include "stats.h"

static void
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
		p += n;
	}
	fail_msg("no line '%s' in:\n%s", line, text);
}

static void
fill(struct stats *st, struct http_snapshot *snap)
{
	stats_init(st);
	st->received = 12;
	st->published = 7;
	st->errors = 3;
	st->by_code[MSG_NOT_MSGPACK] = 2;
	st->by_code[MSG_MISSING_ID] = 1;
	st->heartbeats = 4;
	st->heartbeats_skipped = 1;
	st->reloads = 5;
	st->reload_failures = 6;
	st->output_blocked = 8;
	stats_latency(st, 50);		/* 0.00005 s */
	stats_latency(st, 300);
	stats_latency(st, 2000);
	stats_latency(st, 40000);
	stats_latency(st, 60000000);	/* a minute: beyond the last bound */
	memset(snap, 0, sizeof(*snap));
	snap->st = st;
	snap->workers = 3;
	snap->models[0].task = "topic";
	snap->models[0].version = "b2-0123456789abcdef";
	snap->models[0].load_s = 0.1595;
	snap->models[1].task = "sentiment";
	snap->models[1].version = "b2-\"odd\"\\v\n";
	snap->models[1].load_s = 0.015;
	snap->nmodels = 2;
	snap->start_time_s = 1700000000.25;
	snap->rss_bytes = 41943040;
}

static void
test_figures(void **state)
{
	struct http_snapshot snap;
	struct stats st;
	struct buf b;

	(void)state;
	fill(&st, &snap);
	buf_init(&b);
	http_render_metrics(&b, &snap);
	has_line(b.data, "# HELP newsclassd_received_total Messages read from "
	    "the input.");
	has_line(b.data, "# TYPE newsclassd_received_total counter");
	has_line(b.data, "newsclassd_received_total 12");
	has_line(b.data, "newsclassd_published_total 7");
	has_line(b.data, "# TYPE newsclassd_errors_total counter");
	has_line(b.data, "newsclassd_errors_total{code=\"not_msgpack\"} 2");
	has_line(b.data, "newsclassd_errors_total{code=\"missing_id\"} 1");
	has_line(b.data, "newsclassd_errors_total{code=\"too_deep\"} 0");
	assert_null(strstr(b.data, "code=\"ok\""));
	has_line(b.data, "newsclassd_heartbeats_total 4");
	has_line(b.data, "newsclassd_heartbeats_skipped_total 1");
	has_line(b.data, "newsclassd_output_blocked_total 8");
	has_line(b.data, "newsclassd_reloads_total 5");
	has_line(b.data, "newsclassd_reload_failures_total 6");
	assert_null(strstr(b.data, "curve_auth"));
	has_line(b.data, "newsclassd_messages_in_flight 2");
	has_line(b.data, "# TYPE newsclassd_worker_threads gauge");
	has_line(b.data, "newsclassd_worker_threads 3");
	has_line(b.data, "newsclassd_model_info{task=\"topic\","
	    "version=\"b2-0123456789abcdef\"} 1");
	/* \, " and newline escaped as the format wants. */
	has_line(b.data, "newsclassd_model_info{task=\"sentiment\","
	    "version=\"b2-\\\"odd\\\"\\\\v\\n\"} 1");
	has_line(b.data, "newsclassd_model_load_seconds{task=\"topic\"} "
	    "0.159500");
	has_line(b.data, "process_resident_memory_bytes 41943040");
	has_line(b.data, "# TYPE process_start_time_seconds gauge");
	has_line(b.data, "process_start_time_seconds 1700000000.250");
	assert_int_equal(b.data[b.len - 1], '\n');
	buf_release(&b);
}

static void
test_histogram(void **state)
{
	struct http_snapshot snap;
	struct stats st;
	struct buf b;
	const char *p;
	uint64_t prev = 0;
	int nbuckets = 0;

	(void)state;
	fill(&st, &snap);
	buf_init(&b);
	http_render_metrics(&b, &snap);
	has_line(b.data, "# TYPE newsclassd_latency_seconds histogram");
	has_line(b.data, "newsclassd_latency_seconds_bucket{le=\"0.0001\"} 1");
	has_line(b.data, "newsclassd_latency_seconds_bucket{le=\"0.00025\"} 1");
	has_line(b.data, "newsclassd_latency_seconds_bucket{le=\"0.0005\"} 2");
	has_line(b.data, "newsclassd_latency_seconds_bucket{le=\"0.0025\"} 3");
	has_line(b.data, "newsclassd_latency_seconds_bucket{le=\"0.05\"} 4");
	has_line(b.data, "newsclassd_latency_seconds_bucket{le=\"10\"} 4");
	has_line(b.data, "newsclassd_latency_seconds_bucket{le=\"+Inf\"} 5");
	has_line(b.data, "newsclassd_latency_seconds_sum 60.042350");
	has_line(b.data, "newsclassd_latency_seconds_count 5");
	/* Cumulative: never decreasing, +Inf last. */
	for (p = b.data; (p = strstr(p, "_bucket{le=\"")) != NULL; p++) {
		const char *v = strchr(p, ' ');
		uint64_t n = strtoull(v + 1, NULL, 10);

		assert_true(n >= prev);
		prev = n;
		nbuckets++;
	}
	assert_int_equal(nbuckets, 17);
	assert_int_equal(prev, 5);
	buf_release(&b);
}

/*
 * Each family is announced once, HELP then TYPE, before its samples; every
 * sample line belongs to the family announced last.
 */
static void
test_shape(void **state)
{
	struct http_snapshot snap;
	struct stats st;
	struct buf b;
	char family[128] = "", *line, *save = NULL;
	int families = 0;

	(void)state;
	fill(&st, &snap);
	snap.curve = 1;
	snap.auth_accepted = 9;
	snap.auth_refused = 10;
	snap.rss_bytes = 0;		/* unknown: left out */
	buf_init(&b);
	http_render_metrics(&b, &snap);
	has_line(b.data, "newsclassd_curve_auth_total{result=\"accepted\"} 9");
	has_line(b.data, "newsclassd_curve_auth_total{result=\"refused\"} 10");
	assert_null(strstr(b.data, "process_resident_memory_bytes"));
	for (line = strtok_r(b.data, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char name[128], type[32];

		if (sscanf(line, "# HELP %127s", name) == 1) {
			snprintf(family, sizeof(family), "%s", name);
			families++;
			line = strtok_r(NULL, "\n", &save);
			assert_non_null(line);
			assert_int_equal(sscanf(line, "# TYPE %127s %31s", name,
			    type), 2);
			assert_string_equal(name, family);
			assert_true(strcmp(type, "counter") == 0 ||
			    strcmp(type, "gauge") == 0 ||
			    strcmp(type, "histogram") == 0);
			if (strcmp(type, "counter") == 0)
				assert_non_null(strstr(family, "_total"));
			continue;
		}
		assert_true(line[0] != '#');
		if (strncmp(line, family, strlen(family)) != 0)
			fail_msg("'%s' outside its family '%s'", line, family);
		if (strncmp(family, "newsclassd_", 11) != 0 &&
		    strncmp(family, "process_", 8) != 0)
			fail_msg("family '%s' lacks the prefix", family);
	}
	assert_int_equal(families, 15);
	buf_release(&b);
}

static void
test_read_rss(void **state)
{
	uint64_t rss = 0;

	(void)state;
	assert_int_equal(http_read_rss(&rss), 0);
	assert_true(rss > 100 * 1024);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_figures),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_shape),
		cmocka_unit_test(test_read_rss),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
