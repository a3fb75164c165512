/*
 * test_conf.c - unit tests for the configuration (lib/conf.c): defaults,
 * every key through conf_set (good and bad values, errors naming the key),
 * "section.key=value" overrides, INI files through conf_load (errors carry
 * "file:line") and conf_check.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

static char tmpdir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_conf.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_defaults(void **state)
{
	struct msg_limits lim;
	struct conf c;
	struct err err;

	(void)state;
	memset(&c, 0x5a, sizeof(c));
	conf_default(&c);
	assert_string_equal(c.input, "@tcp://127.0.0.1:5557");
	assert_int_equal(c.input_type, CONF_PULL);
	assert_string_equal(c.subscribe, "");
	assert_int_equal(c.input_hwm, 1000);
	assert_string_equal(c.output, "@tcp://127.0.0.1:5558");
	assert_int_equal(c.output_type, CONF_PUB);
	assert_int_equal(c.output_hwm, 1000);
	assert_int_equal(c.include_text, 1);
	assert_string_equal(c.envelope, "topic,sentiment");
	assert_string_equal(c.control, "@tcp://127.0.0.1:5559");
	assert_string_equal(c.models, "models");
	assert_int_equal(c.threads, 0);
	assert_int_equal(c.log_level, LOG_LEVEL_INFO);
	assert_true(c.heartbeat_s == 5.0);
	assert_int_equal(c.linger_ms, 5000);
	assert_int_equal(c.drain_ms, 200);
	assert_int_equal(c.allow_insecure, 0);
	assert_string_equal(c.curve_server_key, "");
	assert_string_equal(c.curve_clients_dir, "");
	assert_string_equal(c.curve_upstream_key, "");
	assert_string_equal(c.http_listen, "");
	msg_limits_default(&lim);
	assert_memory_equal(&c.limits, &lim, sizeof(lim));
	assert_true(c.tags.top_threshold == 0.2);
	assert_true(c.tags.uncertain_below == 0.6);
	assert_int_equal(c.tags.explain, 0);
	assert_int_equal(c.tags.ntask, 0);
	assert_int_equal(conf_check(&c, &err), 0);
	assert_string_equal(conf_socket_name(CONF_PULL), "pull");
	assert_string_equal(conf_socket_name(CONF_SUB), "sub");
	assert_string_equal(conf_socket_name(CONF_PUB), "pub");
	assert_string_equal(conf_socket_name(CONF_PUSH), "push");
}

static void
set_ok(struct conf *c, const char *section, const char *key,
    const char *value)
{
	struct err err;

	err.msg[0] = '\0';
	if (conf_set(c, section, key, value, &err) != 0)
		fail_msg("%s.%s = '%s': %s", section, key, value, err.msg);
}

/* A bad value: -1, the message names "section.key", c unchanged. */
static void
set_bad(const char *section, const char *key, const char *value)
{
	struct conf c, before;
	struct err err;
	char name[128];

	conf_default(&c);
	before = c;
	err.msg[0] = '\0';
	if (conf_set(&c, section, key, value, &err) != -1)
		fail_msg("%s.%s = '%s' accepted", section, key, value);
	snprintf(name, sizeof(name), "%s.%s", section, key);
	if (strstr(err.msg, name) == NULL)
		fail_msg("%s = '%s': error '%s' does not name the key", name,
		    value, err.msg);
	assert_memory_equal(&c, &before, sizeof(c));
}

static void
test_set_strings(void **state)
{
	struct conf c;
	char big[CONF_STR + 1];

	(void)state;
	conf_default(&c);
	set_ok(&c, "input", "endpoint", ">tcp://10.0.0.1:1");
	assert_string_equal(c.input, ">tcp://10.0.0.1:1");
	set_ok(&c, "input", "subscribe", "news.");
	assert_string_equal(c.subscribe, "news.");
	set_ok(&c, "input", "subscribe", "");
	assert_string_equal(c.subscribe, "");
	set_ok(&c, "output", "endpoint", "@ipc:///tmp/out");
	assert_string_equal(c.output, "@ipc:///tmp/out");
	set_ok(&c, "output", "envelope", "sentiment,topic,region");
	assert_string_equal(c.envelope, "sentiment,topic,region");
	set_ok(&c, "control", "endpoint", "@inproc://ctl");
	assert_string_equal(c.control, "@inproc://ctl");
	set_ok(&c, "models", "dir", "/usr/share/newsclassd/models");
	assert_string_equal(c.models, "/usr/share/newsclassd/models");
	set_ok(&c, "curve", "server_key", "/etc/newsclassd/server.key");
	assert_string_equal(c.curve_server_key, "/etc/newsclassd/server.key");
	set_ok(&c, "curve", "clients_dir", "/etc/newsclassd/clients");
	assert_string_equal(c.curve_clients_dir, "/etc/newsclassd/clients");
	set_ok(&c, "curve", "upstream_server_key", "up.pub");
	assert_string_equal(c.curve_upstream_key, "up.pub");
	set_ok(&c, "curve", "server_key", "");
	assert_string_equal(c.curve_server_key, "");

	/* CONF_STR - 1 bytes fit, CONF_STR do not. */
	memset(big, 'x', sizeof(big));
	big[CONF_STR - 1] = '\0';
	set_ok(&c, "models", "dir", big);
	assert_int_equal(strlen(c.models), CONF_STR - 1);
	big[CONF_STR - 1] = 'x';
	big[CONF_STR] = '\0';
	set_bad("models", "dir", big);
	set_bad("input", "endpoint", big);
	set_bad("input", "subscribe", big);
	set_bad("output", "endpoint", big);
	set_bad("output", "envelope", big);
	set_bad("curve", "server_key", big);
	set_bad("curve", "clients_dir", big);
	set_bad("curve", "upstream_server_key", big);
	set_bad("control", "endpoint", big);
}

static void
test_set_socket_types(void **state)
{
	struct conf c;

	(void)state;
	conf_default(&c);
	set_ok(&c, "input", "type", "sub");
	assert_int_equal(c.input_type, CONF_SUB);
	set_ok(&c, "input", "type", "pull");
	assert_int_equal(c.input_type, CONF_PULL);
	set_ok(&c, "output", "type", "push");
	assert_int_equal(c.output_type, CONF_PUSH);
	set_ok(&c, "output", "type", "pub");
	assert_int_equal(c.output_type, CONF_PUB);
	set_ok(&c, "output", "type", "ack");
	assert_int_equal(c.output_type, CONF_ACK);
	assert_string_equal(conf_socket_name(CONF_ACK), "ack");
	set_bad("output", "type", "ACK");
	set_bad("input", "type", "pub");
	set_bad("input", "type", "PULL");
	set_bad("input", "type", "");
	set_bad("output", "type", "pull");
	set_bad("output", "type", "sub");
	set_bad("output", "type", "push ");
}

static void
test_set_numbers(void **state)
{
	struct conf c;

	(void)state;
	conf_default(&c);
	set_ok(&c, "input", "hwm", "0");
	assert_int_equal(c.input_hwm, 0);
	set_ok(&c, "input", "hwm", "2147483647");
	assert_int_equal(c.input_hwm, 2147483647);
	set_bad("input", "hwm", "-1");
	set_bad("input", "hwm", "2147483648");
	set_bad("input", "hwm", "10k");
	set_bad("input", "hwm", "");
	set_bad("input", "hwm", "1.5");
	set_bad("input", "hwm", "99999999999999999999999");
	set_ok(&c, "output", "hwm", "500");
	assert_int_equal(c.output_hwm, 500);
	set_bad("output", "hwm", "-5");
	assert_int_equal(c.ack_timeout_ms, 10000);
	set_ok(&c, "output", "ack_timeout_ms", "100");
	assert_int_equal(c.ack_timeout_ms, 100);
	set_ok(&c, "output", "ack_timeout_ms", "86400000");
	set_bad("output", "ack_timeout_ms", "99");
	set_bad("output", "ack_timeout_ms", "86400001");
	set_bad("output", "ack_timeout_ms", "1s");
	set_bad("output", "hwm", "x");

	set_ok(&c, "daemon", "threads", "0");
	set_ok(&c, "daemon", "threads", "256");
	assert_int_equal(c.threads, 256);
	set_bad("daemon", "threads", "257");
	set_bad("daemon", "threads", "-1");
	set_bad("daemon", "threads", "four");

	set_ok(&c, "daemon", "heartbeat", "0");
	assert_true(c.heartbeat_s == 0.0);
	set_ok(&c, "daemon", "heartbeat", "2.5");
	assert_true(c.heartbeat_s == 2.5);
	set_ok(&c, "daemon", "heartbeat", "86400");
	set_bad("daemon", "heartbeat", "86400.5");
	set_bad("daemon", "heartbeat", "-1");
	set_bad("daemon", "heartbeat", "nan");
	set_bad("daemon", "heartbeat", "inf");
	set_bad("daemon", "heartbeat", "1s");
	set_bad("daemon", "heartbeat", "");
	set_bad("daemon", "heartbeat", "1e999");

	set_ok(&c, "daemon", "linger_ms", "0");
	set_ok(&c, "daemon", "linger_ms", "600000");
	assert_int_equal(c.linger_ms, 600000);
	set_bad("daemon", "linger_ms", "600001");
	set_bad("daemon", "linger_ms", "-1");
	set_ok(&c, "daemon", "drain_ms", "1234");
	assert_int_equal(c.drain_ms, 1234);
	set_bad("daemon", "drain_ms", "600001");
	set_bad("daemon", "drain_ms", "1e3");

	set_ok(&c, "limits", "max_message_bytes", "64");
	assert_int_equal(c.limits.max_bytes, 64);
	set_ok(&c, "limits", "max_message_bytes", "1073741824");
	assert_int_equal(c.limits.max_bytes, 1073741824);
	set_bad("limits", "max_message_bytes", "63");
	set_bad("limits", "max_message_bytes", "1073741825");
	set_ok(&c, "limits", "max_text_bytes", "1");
	assert_int_equal(c.limits.max_text, 1);
	set_bad("limits", "max_text_bytes", "0");
	set_bad("limits", "max_text_bytes", "1073741825");
	set_ok(&c, "limits", "max_depth", "1000");
	assert_int_equal(c.limits.max_depth, 1000);
	set_bad("limits", "max_depth", "0");
	set_bad("limits", "max_depth", "1001");
	set_ok(&c, "limits", "max_items", "10000000");
	assert_int_equal(c.limits.max_items, 10000000);
	set_bad("limits", "max_items", "0");
	set_bad("limits", "max_items", "10000001");
}

static void
test_set_bool_and_level(void **state)
{
	static const char *const yes[] = { "true", "TRUE", "yes", "Yes", "1",
	    "on", "ON" };
	static const char *const no[] = { "false", "False", "no", "NO", "0",
	    "off", "Off" };
	struct conf c;
	size_t i;

	(void)state;
	conf_default(&c);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		c.include_text = 1;
		set_ok(&c, "output", "include_text", no[i]);
		assert_int_equal(c.include_text, 0);
	}
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		c.include_text = 0;
		set_ok(&c, "output", "include_text", yes[i]);
		assert_int_equal(c.include_text, 1);
	}
	set_bad("output", "include_text", "2");
	set_bad("output", "include_text", "y");
	set_bad("output", "include_text", "");
	set_bad("output", "include_text", "truee");
	set_ok(&c, "daemon", "allow_insecure", "yes");
	assert_int_equal(c.allow_insecure, 1);
	set_ok(&c, "daemon", "allow_insecure", "false");
	assert_int_equal(c.allow_insecure, 0);
	set_bad("daemon", "allow_insecure", "sometimes");

	set_ok(&c, "daemon", "log_level", "error");
	assert_int_equal(c.log_level, LOG_LEVEL_ERROR);
	set_ok(&c, "daemon", "log_level", "warn");
	assert_int_equal(c.log_level, LOG_LEVEL_WARN);
	set_ok(&c, "daemon", "log_level", "debug");
	assert_int_equal(c.log_level, LOG_LEVEL_DEBUG);
	set_ok(&c, "daemon", "log_level", "info");
	assert_int_equal(c.log_level, LOG_LEVEL_INFO);
	set_bad("daemon", "log_level", "verbose");
	set_bad("daemon", "log_level", "");
}

static void
test_set_unknown(void **state)
{
	struct conf c;
	struct err err;

	(void)state;
	conf_default(&c);
	assert_int_equal(conf_set(&c, "input", "endpoints", "x", &err), -1);
	assert_string_equal(err.msg, "unknown key 'input.endpoints'");
	assert_int_equal(conf_set(&c, "x", "y", "1", &err), -1);
	assert_string_equal(err.msg, "unknown key 'x.y'");
	assert_int_equal(conf_set(&c, "", "threads", "1", &err), -1);
	assert_string_equal(err.msg, "unknown key '.threads'");
	/* Key names are case-sensitive. */
	assert_int_equal(conf_set(&c, "Daemon", "threads", "1", &err), -1);
	assert_string_equal(err.msg, "unknown key 'Daemon.threads'");
}

static void
test_set_assignment(void **state)
{
	struct conf c;
	struct err err;

	(void)state;
	conf_default(&c);
	assert_int_equal(conf_set_assignment(&c, "daemon.threads=3", &err),
	    0);
	assert_int_equal(c.threads, 3);
	/* The value may hold "=" and "."; it may be empty. */
	assert_int_equal(conf_set_assignment(&c,
	    "input.subscribe=a=b.c", &err), 0);
	assert_string_equal(c.subscribe, "a=b.c");
	assert_int_equal(conf_set_assignment(&c, "input.subscribe=", &err),
	    0);
	assert_string_equal(c.subscribe, "");
	assert_int_equal(conf_set_assignment(&c,
	    "input.endpoint=@tcp://1.2.3.4:5", &err), 0);
	assert_string_equal(c.input, "@tcp://1.2.3.4:5");

#define BADA(s, want) do {						\
	err.msg[0] = '\0';						\
	assert_int_equal(conf_set_assignment(&c, (s), &err), -1);	\
	if (strstr(err.msg, (want)) == NULL)				\
		fail_msg("'%s': '%s' lacks '%s'", (s), err.msg, (want));\
} while (0)
	BADA("daemon.threads", "expected section.key=value");
	BADA("threads=3", "expected section.key=value");
	BADA("=3", "expected section.key=value");
	BADA("", "expected section.key=value");
	BADA("a=b.c", "expected section.key=value");	/* dot after = */
	BADA("daemon.threads=x", "daemon.threads");
	BADA("daemon.nope=1", "unknown key 'daemon.nope'");
	BADA(".threads=1", "unknown key '.threads'");
	BADA("daemon.=1", "unknown key 'daemon.'");
	BADA("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaa.key=1", "expected section.key=value");
	BADA("daemon.kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
	    "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
	    "kkkkkkkkkkkk=1", "expected section.key=value");
	/* Keys up to 127 bytes: tags.top_threshold.TASK has room. */
	BADA("daemon.kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
	    "kkkkkkkkkkkkkkkk=1", "unknown key 'daemon.kkk");
#undef BADA
	assert_int_equal(c.threads, 3);
}

/* The [tags] keys, from the command line and from a file. */
static void
test_tags(void **state)
{
	struct conf c;
	struct err err;
	char path[160];
	FILE *f;

	(void)state;
	conf_default(&c);
	assert_int_equal(conf_set_assignment(&c, "tags.top_threshold=0.3",
	    &err), 0);
	assert_int_equal(conf_set_assignment(&c,
	    "tags.top_threshold.sentiment=0.4", &err), 0);
	assert_int_equal(conf_set(&c, "tags", "uncertain_below.topic", "0.7",
	    &err), 0);
	assert_int_equal(conf_set(&c, "tags", "explain", "4", &err), 0);
	assert_true(tags_top_threshold(&c.tags, "sentiment") == 0.4);
	assert_true(tags_top_threshold(&c.tags, "topic") == 0.3);
	assert_true(tags_uncertain_below(&c.tags, "topic") == 0.7);
	assert_true(tags_uncertain_below(&c.tags, "sentiment") == 0.6);
	assert_int_equal(c.tags.explain, 4);
	assert_int_equal(conf_set_assignment(&c, "tags.explain=33", &err), -1);
	assert_string_equal(err.msg, "tags.explain: expected an integer in "
	    "0..32, not '33'");
	assert_int_equal(conf_set_assignment(&c,
	    "tags.top_threshold.topic=1.01", &err), -1);
	assert_string_equal(err.msg, "tags.top_threshold.topic: expected a "
	    "probability in 0..1, not '1.01'");
	assert_int_equal(conf_set(&c, "tags", "top", "1", &err), -1);
	assert_string_equal(err.msg, "unknown key 'tags.top'");

	snprintf(path, sizeof(path), "%s/tags.conf", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[tags]\ntop_threshold = 0.25\ntop_threshold.sentiment = 0.4\n"
	    "uncertain_below = 0.5\nexplain = 3\n", f);
	fclose(f);
	conf_default(&c);
	if (conf_load(path, &c, &err) != 0)
		fail_msg("%s", err.msg);
	assert_true(tags_top_threshold(&c.tags, "topic") == 0.25);
	assert_true(tags_top_threshold(&c.tags, "sentiment") == 0.4);
	assert_true(tags_uncertain_below(&c.tags, "topic") == 0.5);
	assert_int_equal(c.tags.explain, 3);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[tags]\ntop_threshold = 0.25\n\nuncertain_below.topic = "
	    "high\n", f);
	fclose(f);
	assert_int_equal(conf_load(path, &c, &err), -1);
	if (strstr(err.msg, "tags.conf:4: tags.uncertain_below.topic: "
	    "expected a probability in 0..1, not 'high'") == NULL)
		fail_msg("%s", err.msg);
}

static char *
write_ini(const char *name, const char *content)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
	return path;
}

static void
test_load_good(void **state)
{
	struct conf c;
	struct err err;
	char *path;

	(void)state;
	path = write_ini("good.conf",
	    "; newsclassd test configuration\n"
	    "# another comment style\n"
	    "\n"
	    "[input]\n"
	    "endpoint = >tcp://127.0.0.1:6000\n"
	    "type = sub\n"
	    "subscribe = world\n"
	    "\n"
	    "[output]\n"
	    "endpoint=@ipc:///tmp/nc-out\n"
	    "type: push\n"
	    "include_text = false   ; inline comment\n"
	    "envelope = sentiment,topic\n"
	    "[daemon]\n"
	    "  threads = 4\n"
	    "log_level = debug\n"
	    "heartbeat = 0.5\n"
	    "[limits]\n"
	    "max_text_bytes = 1000\n"
	    "[models]\n"
	    "dir = /srv/models\n");
	conf_default(&c);
	if (conf_load(path, &c, &err) != 0)
		fail_msg("conf_load: %s", err.msg);
	assert_string_equal(c.input, ">tcp://127.0.0.1:6000");
	assert_int_equal(c.input_type, CONF_SUB);
	assert_string_equal(c.subscribe, "world");
	assert_string_equal(c.output, "@ipc:///tmp/nc-out");
	assert_int_equal(c.output_type, CONF_PUSH);
	assert_int_equal(c.include_text, 0);
	assert_string_equal(c.envelope, "sentiment,topic");
	assert_int_equal(c.threads, 4);
	assert_int_equal(c.log_level, LOG_LEVEL_DEBUG);
	assert_true(c.heartbeat_s == 0.5);
	assert_int_equal(c.limits.max_text, 1000);
	assert_string_equal(c.models, "/srv/models");
	/* Keys not in the file keep their value. */
	assert_string_equal(c.control, "@tcp://127.0.0.1:5559");
	assert_int_equal(c.linger_ms, 5000);
	assert_int_equal(conf_check(&c, &err), 0);

	/* An empty file changes nothing. */
	path = write_ini("empty.conf", "");
	conf_default(&c);
	c.threads = 7;
	assert_int_equal(conf_load(path, &c, &err), 0);
	assert_int_equal(c.threads, 7);

	/* A long comment line is not a syntax error. */
	{
		char text[1024];

		memset(text, 'x', sizeof(text));
		memcpy(text, "; ", 2);
		memcpy(text + 600, "\n[daemon]\nthreads = 2\n", 23);
		path = write_ini("longcomment.conf", text);
		if (conf_load(path, &c, &err) != 0)
			fail_msg("long comment: %s", err.msg);
		assert_int_equal(c.threads, 2);

		/* The longest line the parser takes: 199 bytes. */
		memset(text, 0, sizeof(text));
		memcpy(text, "[models]\ndir = /", 16);
		memset(text + 16, 'd', 192);
		memcpy(text + 208, "\n[daemon]\nthreads = 3\n", 22);
		path = write_ini("longest.conf", text);
		if (conf_load(path, &c, &err) != 0)
			fail_msg("199-byte line: %s", err.msg);
		assert_int_equal(strlen(c.models), 193);
		assert_int_equal(c.threads, 3);
	}
}

static void
check_load_error(const char *name, const char *content, const char *want)
{
	struct conf c;
	struct err err;
	char *path, full[ERR_MAX];

	path = write_ini(name, content);
	conf_default(&c);
	err.msg[0] = '\0';
	assert_int_equal(conf_load(path, &c, &err), -1);
	snprintf(full, sizeof(full), "%s:%s", path, want);
	if (strcmp(err.msg, full) != 0)
		fail_msg("%s:\n got '%s'\nwant '%s'", name, err.msg, full);
}

static void
test_load_errors(void **state)
{
	struct conf c;
	struct err err;
	char path[128], text[1024];

	(void)state;
	check_load_error("unknown.conf",
	    "[daemon]\nthreads = 2\n\n[x]\ny = 1\n",
	    "5: unknown key 'x.y'");
	check_load_error("nosection.conf", "threads = 2\n",
	    "1: unknown key '.threads'");
	check_load_error("badvalue.conf",
	    "[input]\ntype = pull\n[daemon]\nthreads = many\n",
	    "4: daemon.threads: expected an integer in 0..256, not 'many'");
	check_load_error("syntax.conf",
	    "[daemon]\nthreads = 2\nthis line has no equals sign\n",
	    "3: syntax error");
	check_load_error("section.conf", "[daemon\nthreads = 2\n",
	    "1: syntax error");
	/* The first error in the file is the one reported. */
	check_load_error("two-a.conf",
	    "[daemon]\nbogus = 1\nno equals here\n",
	    "2: unknown key 'daemon.bogus'");
	check_load_error("two-b.conf",
	    "[daemon]\nno equals here\nbogus = 1\n",
	    "2: syntax error");
	check_load_error("two-c.conf",
	    "[daemon]\nno equals here\n\n\n[input]\ntype = x\n",
	    "2: syntax error");
	/* A line too long for the parser is an error on its own line. */
	memset(text, 0, sizeof(text));
	memcpy(text, "[models]\ndir = /", 16);
	memset(text + 16, 'd', 400);
	memcpy(text + 416, "\n[daemon]\nthreads = 2\n", 22);
	{
		char *lpath = write_ini("long.conf", text), want[160];

		conf_default(&c);
		assert_int_equal(conf_load(lpath, &c, &err), -1);
		/* 199 with Debian's inih (INI_MAX_LINE 200). */
		snprintf(want, sizeof(want), "%s:2: line longer than ", lpath);
		if (strncmp(err.msg, want, strlen(want)) != 0)
			fail_msg("long line: '%s'", err.msg);
		assert_string_equal(c.models, "models");
	}

	/* Missing file. */
	snprintf(path, sizeof(path), "%s/missing.conf", tmpdir);
	conf_default(&c);
	assert_int_equal(conf_load(path, &c, &err), -1);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "No such file"));
	/* A directory. */
	assert_int_equal(conf_load(tmpdir, &c, &err), -1);
	assert_non_null(strstr(err.msg, tmpdir));
}

static void
test_check(void **state)
{
	struct conf c;
	struct err err;

	(void)state;
#define BADC(field, value, want) do {					\
	conf_default(&c);						\
	snprintf(c.field, sizeof(c.field), "%s", (value));		\
	err.msg[0] = '\0';						\
	assert_int_equal(conf_check(&c, &err), -1);			\
	if (strstr(err.msg, (want)) == NULL)				\
		fail_msg("%s = '%s': '%s' lacks '%s'", #field, (value),	\
		    err.msg, (want));					\
} while (0)
	BADC(input, "udp://x", "input.endpoint: ");
	BADC(input, "", "input.endpoint: empty endpoint");
	BADC(input, "tcp://", "input.endpoint: ");
	BADC(output, "@tcp://a,,@tcp://b", "output.endpoint: ");
	BADC(output, "5558", "output.endpoint: ");
	BADC(control, "@", "control.endpoint: ");
	BADC(envelope, "", "output.envelope: empty");
	BADC(models, "", "models.dir: empty");
#undef BADC
	conf_default(&c);
	snprintf(c.input, sizeof(c.input), "@tcp://*:1,>ipc:///tmp/a");
	c.allow_insecure = 1;
	assert_int_equal(conf_check(&c, &err), 0);
	/* An ack output holds at most output.hwm results: 0 is no bound. */
	conf_default(&c);
	c.output_type = CONF_ACK;
	c.output_hwm = 0;
	assert_int_equal(conf_check(&c, &err), -1);
	assert_string_equal(err.msg, "output.hwm: with output.type = ack it "
	    "bounds the results held and must be at least 1");
	c.output_hwm = 1;
	assert_int_equal(conf_check(&c, &err), 0);
}

/* conf_check on c fails with a message containing want. */
static void
check_bad(const struct conf *c, const char *want)
{
	struct err err;

	err.msg[0] = '\0';
	if (conf_check(c, &err) != -1)
		fail_msg("accepted, expected '%s'", want);
	if (strstr(err.msg, want) == NULL)
		fail_msg("'%s' lacks '%s'", err.msg, want);
}

static void
check_good(const struct conf *c)
{
	struct err err;

	err.msg[0] = '\0';
	if (conf_check(c, &err) != 0)
		fail_msg("refused: %s", err.msg);
}

static void
test_check_exposure(void **state)
{
	static const char *const exposed[] = {
		"@tcp://*:5557", "@tcp://0.0.0.0:5557", "tcp://10.0.0.1:1",
		">tcp://news.example.com:1", "@tcp://[::]:1", "@tcp://eth0:1",
		"@ipc:///tmp/a,@tcp://192.168.1.1:1",
		">tcp://127.0.0.1;10.0.0.1:1",
	};
	static const char *const local[] = {
		"@tcp://127.0.0.1:1", "@tcp://127.9.8.7:1", "@tcp://[::1]:1",
		">tcp://localhost:1", "@tcp://LOCALHOST:1", "@ipc:///tmp/a",
		"@inproc://x", ">tcp://[::ffff:127.0.0.1]:1",
		"@tcp://127.0.0.1:*", ">tcp://10.0.0.1;127.0.0.1:1",
	};
	struct conf c;
	char want[CONF_STR + 64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(local) / sizeof(local[0]); i++) {
		conf_default(&c);
		snprintf(c.input, sizeof(c.input), "%s", local[i]);
		snprintf(c.control, sizeof(c.control), "%s", local[i]);
		check_good(&c);
	}
	for (i = 0; i < sizeof(exposed) / sizeof(exposed[0]); i++) {
		const char *one = strrchr(exposed[i], ',');

		one = one ? one + 1 : exposed[i];
		/* Input and output: refused unless allow_insecure. */
		conf_default(&c);
		snprintf(c.output, sizeof(c.output), "%s", exposed[i]);
		snprintf(want, sizeof(want), "output.endpoint: '%s' is not a "
		    "loopback address and CURVE is off: set curve.server_key, "
		    "or daemon.allow_insecure = true", one);
		check_bad(&c, want);
		c.allow_insecure = 1;
		check_good(&c);
		/* Control: refused even so. */
		snprintf(c.control, sizeof(c.control), "%s", exposed[i]);
		snprintf(want, sizeof(want), "control.endpoint: '%s' is not a "
		    "loopback address and CURVE is off: the control socket "
		    "needs curve.server_key", one);
		check_bad(&c, want);
		/* With CURVE, everything may bind anywhere. */
		snprintf(c.curve_server_key, sizeof(c.curve_server_key), "k");
		snprintf(c.curve_clients_dir, sizeof(c.curve_clients_dir), "d");
		snprintf(c.curve_upstream_key, sizeof(c.curve_upstream_key),
		    "u");
		c.allow_insecure = 0;
		check_good(&c);
	}
}

static void
test_check_curve(void **state)
{
	struct conf c;

	(void)state;
	conf_default(&c);
	snprintf(c.curve_clients_dir, sizeof(c.curve_clients_dir), "d");
	check_bad(&c, "curve.clients_dir: set, but curve.server_key is empty");
	conf_default(&c);
	snprintf(c.curve_upstream_key, sizeof(c.curve_upstream_key), "u");
	check_bad(&c, "curve.upstream_server_key: set, but curve.server_key "
	    "is empty");
	conf_default(&c);
	snprintf(c.curve_server_key, sizeof(c.curve_server_key), "k");
	check_bad(&c, "curve.clients_dir: empty, but CURVE is on");
	snprintf(c.curve_clients_dir, sizeof(c.curve_clients_dir), "d");
	check_good(&c);
	/* Connecting over tcp needs the upstream's key. */
	snprintf(c.input, sizeof(c.input), ">tcp://10.0.0.1:1");
	check_bad(&c, "input.endpoint: '>tcp://10.0.0.1:1' connects over tcp: "
	    "with CURVE on that needs curve.upstream_server_key");
	snprintf(c.curve_upstream_key, sizeof(c.curve_upstream_key), "u");
	check_good(&c);
	/* A socket is a CURVE server or a client, not both. */
	snprintf(c.output, sizeof(c.output), "@tcp://*:1,>tcp://a:2");
	check_bad(&c, "output.endpoint: with CURVE on, the tcp endpoints of a "
	    "socket must all bind or all connect");
	/* ipc beside tcp is fine (it uses CURVE too). */
	snprintf(c.output, sizeof(c.output), "@tcp://*:1,@ipc:///tmp/x");
	check_good(&c);
}

static void
test_http_listen(void **state)
{
	static const char *const local[] = {
		"127.0.0.1:9101", "[::1]:9101", "localhost:1", "127.1.2.3:80",
	};
	static const char *const exposed[] = {
		"*:9101", "0.0.0.0:9101", "[::]:9101", "10.0.0.1:9101",
		"metrics.example.com:9101",
	};
	struct conf c;
	char want[CONF_STR + 64];
	size_t i;

	(void)state;
	set_bad("http", "listen", "9101");
	set_bad("http", "listen", "127.0.0.1:0");
	set_bad("http", "listen", "::1:9101");
	for (i = 0; i < sizeof(local) / sizeof(local[0]); i++) {
		conf_default(&c);
		set_ok(&c, "http", "listen", local[i]);
		assert_string_equal(c.http_listen, local[i]);
		check_good(&c);
	}
	for (i = 0; i < sizeof(exposed) / sizeof(exposed[0]); i++) {
		conf_default(&c);
		set_ok(&c, "http", "listen", exposed[i]);
		snprintf(want, sizeof(want), "http.listen: '%s' is not a "
		    "loopback address: set daemon.allow_insecure = true",
		    exposed[i]);
		check_bad(&c, want);
		/* CURVE does not cover HTTP. */
		snprintf(c.curve_server_key, sizeof(c.curve_server_key), "k");
		snprintf(c.curve_clients_dir, sizeof(c.curve_clients_dir), "d");
		check_bad(&c, want);
		c.allow_insecure = 1;
		check_good(&c);
	}
	/* "" turns it off again. */
	set_ok(&c, "http", "listen", "");
	assert_string_equal(c.http_listen, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_set_strings),
		cmocka_unit_test(test_set_socket_types),
		cmocka_unit_test(test_set_numbers),
		cmocka_unit_test(test_set_bool_and_level),
		cmocka_unit_test(test_set_unknown),
		cmocka_unit_test(test_set_assignment),
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_load_good),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_check_exposure),
		cmocka_unit_test(test_check_curve),
		cmocka_unit_test(test_http_listen),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
