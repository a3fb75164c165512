/*
 * fuzz_conf.c - libFuzzer target for the configuration file parser.
 *
 * The input is written as an INI file and read with conf_load into a
 * default configuration, which conf_check then checks.  Checked: a failed
 * load names the file ("path:line: ..." or "cannot ..."); every string
 * field stays NUL-terminated within CONF_STR; numbers stay in the ranges
 * conf_set allows.  Each line of the input is also tried as a
 * "section.key=value" override.  A crash, a leak, a sanitizer report or a
 * failed check (abort) is a finding.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "fuzz_conf: check failed: %s (line %d)\n", \
		    #c, __LINE__);					\
		abort();						\
	}								\
} while (0)

static char path[64];


static void
check_conf(const struct conf *c)
{
	struct err err;

	CHECK(memchr(c->input, '\0', CONF_STR) != NULL);
	CHECK(memchr(c->subscribe, '\0', CONF_STR) != NULL);
	CHECK(memchr(c->output, '\0', CONF_STR) != NULL);
	CHECK(memchr(c->envelope, '\0', CONF_STR) != NULL);
	CHECK(memchr(c->control, '\0', CONF_STR) != NULL);
	CHECK(memchr(c->models, '\0', CONF_STR) != NULL);
	CHECK(memchr(c->curve_server_key, '\0', CONF_STR) != NULL);
	CHECK(memchr(c->curve_clients_dir, '\0', CONF_STR) != NULL);
	CHECK(memchr(c->curve_upstream_key, '\0', CONF_STR) != NULL);
	CHECK(c->allow_insecure == 0 || c->allow_insecure == 1);
	CHECK(c->input_type == CONF_PULL || c->input_type == CONF_SUB);
	CHECK(c->output_type == CONF_PUB || c->output_type == CONF_PUSH ||
	    c->output_type == CONF_ACK);
	CHECK(c->ack_timeout_ms >= 100 && c->ack_timeout_ms <= 86400000);
	CHECK(c->input_hwm >= 0 && c->output_hwm >= 0);
	CHECK(c->include_text == 0 || c->include_text == 1);
	CHECK(c->threads >= 0 && c->threads <= 256);
	CHECK(c->heartbeat_s >= 0 && c->heartbeat_s <= 86400);
	CHECK(c->linger_ms >= 0 && c->linger_ms <= 600000);
	CHECK(c->drain_ms >= 0 && c->drain_ms <= 600000);
	CHECK(c->limits.max_bytes >= 64);
	CHECK(c->limits.max_text >= 1);
	CHECK(c->limits.max_depth >= 1 && c->limits.max_depth <= 1000);
	CHECK(c->limits.max_items >= 1);
	err.msg[0] = '\0';
	if (conf_check(c, &err) == -1)
		CHECK(err.msg[0] != '\0');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf c;
	struct err err;
	char *text, *line, *save;
	FILE *f;

	/* A new file every time: libFuzzer may exit without atexit. */
	{
		int fd;

		snprintf(path, sizeof(path), "/tmp/fuzz_conf.XXXXXX");
		if ((fd = mkstemp(path)) == -1) {
			perror("fuzz_conf: mkstemp");
			abort();
		}
		close(fd);
	}
	if ((f = fopen(path, "wb")) == NULL ||
	    (size > 0 && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
		perror("fuzz_conf: write");
		abort();
	}
	conf_default(&c);
	err.msg[0] = '\0';
	if (conf_load(path, &c, &err) == -1) {
		CHECK(strncmp(err.msg, path, strlen(path)) == 0);
		CHECK(err.msg[strlen(path)] == ':');
	}
	check_conf(&c);

	/* Every line as a command-line override. */
	text = malloc(size + 1);
	CHECK(text != NULL);
	memcpy(text, data, size);
	text[size] = '\0';
	conf_default(&c);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		err.msg[0] = '\0';
		if (conf_set_assignment(&c, line, &err) == -1)
			CHECK(err.msg[0] != '\0');
	}
	check_conf(&c);
	free(text);
	unlink(path);
	return 0;
}
