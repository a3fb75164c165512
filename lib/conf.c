/*
 * conf.c - configuration defaults, INI parsing through inih, overrides.
 *
 * All values go through conf_set, so a key from the file and the same key
 * from the command line are parsed and range-checked by the same code.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "conf.h"
#include "endpoint.h"

void
conf_default(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->input, sizeof(c->input), "@tcp://127.0.0.1:5557");
	c->input_type = CONF_PULL;
	c->input_hwm = 1000;
	snprintf(c->output, sizeof(c->output), "@tcp://127.0.0.1:5558");
	c->output_type = CONF_PUB;
	c->output_hwm = 1000;
	c->ack_timeout_ms = 10000;
	c->include_text = 1;
	snprintf(c->envelope, sizeof(c->envelope), "topic,sentiment");
	snprintf(c->control, sizeof(c->control), "@tcp://127.0.0.1:5559");
	snprintf(c->models, sizeof(c->models), "models");
	c->threads = 0;
	c->log_level = LOG_LEVEL_INFO;
	c->heartbeat_s = 5.0;
	c->linger_ms = 5000;
	c->drain_ms = 200;
	msg_limits_default(&c->limits);
	tags_conf_default(&c->tags);
}

const char *
conf_socket_name(enum conf_socket t)
{
	static const char *const name[] = { "pull", "sub", "pub", "push",
	    "ack" };

	return name[t];
}

static int
set_str(char *dst, const char *value, const char *key, struct err *err)
{
	if (strlen(value) >= CONF_STR)
		return err_set(err, "%s: value longer than %d bytes", key,
		    CONF_STR - 1);
	strcpy(dst, value);
	return 0;
}

/* Checked here, not only in conf_check, so that INI errors get file:line. */
static int
set_endpoint(char *dst, const char *value, const char *key, struct err *err)
{
	if (endpoint_check(value, err) == -1)
		return err_prefix(err, "%s", key);
	return set_str(dst, value, key, err);
}

static int
set_long(long *out, const char *value, long lo, long hi, const char *key,
    struct err *err)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (errno || end == value || *end != '\0' || v < lo || v > hi)
		return err_set(err, "%s: expected an integer in %ld..%ld, "
		    "not '%s'", key, lo, hi, value);
	*out = v;
	return 0;
}

static int
set_int(int *out, const char *value, long lo, long hi, const char *key,
    struct err *err)
{
	long v;

	if (set_long(&v, value, lo, hi, key, err) == -1)
		return -1;
	*out = (int)v;
	return 0;
}

static int
set_size(size_t *out, const char *value, long lo, long hi, const char *key,
    struct err *err)
{
	long v;

	if (set_long(&v, value, lo, hi, key, err) == -1)
		return -1;
	*out = (size_t)v;
	return 0;
}

static int
set_bool(int *out, const char *value, const char *key, struct err *err)
{
	if (!strcasecmp(value, "true") || !strcasecmp(value, "yes") ||
	    !strcmp(value, "1") || !strcasecmp(value, "on"))
		*out = 1;
	else if (!strcasecmp(value, "false") || !strcasecmp(value, "no") ||
	    !strcmp(value, "0") || !strcasecmp(value, "off"))
		*out = 0;
	else
		return err_set(err, "%s: expected true or false, not '%s'",
		    key, value);
	return 0;
}

static int
set_socket(enum conf_socket *out, const char *value, enum conf_socket a,
    enum conf_socket b, const char *key, struct err *err)
{
	if (strcmp(value, conf_socket_name(a)) == 0)
		*out = a;
	else if (strcmp(value, conf_socket_name(b)) == 0)
		*out = b;
	else
		return err_set(err, "%s: expected %s or %s, not '%s'", key,
		    conf_socket_name(a), conf_socket_name(b), value);
	return 0;
}

int
conf_set(struct conf *c, const char *section, const char *key,
    const char *value, struct err *err)
{
	char name[160];

	snprintf(name, sizeof(name), "%s.%s", section, key);
	if (strcmp(section, "tags") == 0)
		return tags_conf_set(&c->tags, key, value, name, err);
#define IS(s) (strcmp(name, s) == 0)
	if (IS("input.endpoint"))
		return set_endpoint(c->input, value, name, err);
	if (IS("input.type"))
		return set_socket(&c->input_type, value, CONF_PULL, CONF_SUB,
		    name, err);
	if (IS("input.subscribe"))
		return set_str(c->subscribe, value, name, err);
	if (IS("input.hwm"))
		return set_int(&c->input_hwm, value, 0, INT_MAX, name, err);
	if (IS("output.endpoint"))
		return set_endpoint(c->output, value, name, err);
	if (IS("output.type")) {
		if (strcmp(value, conf_socket_name(CONF_ACK)) == 0) {
			c->output_type = CONF_ACK;
			return 0;
		}
		if (set_socket(&c->output_type, value, CONF_PUB, CONF_PUSH,
		    name, err) == -1)
			return err_set(err, "%s: expected pub, push or ack, "
			    "not '%s'", name, value);
		return 0;
	}
	if (IS("output.hwm"))
		return set_int(&c->output_hwm, value, 0, INT_MAX, name, err);
	if (IS("output.ack_timeout_ms"))
		return set_int(&c->ack_timeout_ms, value, 100, 86400000, name,
		    err);
	if (IS("output.include_text"))
		return set_bool(&c->include_text, value, name, err);
	if (IS("output.envelope"))
		return set_str(c->envelope, value, name, err);
	if (IS("control.endpoint"))
		return set_endpoint(c->control, value, name, err);
	if (IS("models.dir"))
		return set_str(c->models, value, name, err);
	if (IS("daemon.threads"))
		return set_int(&c->threads, value, 0, 256, name, err);
	if (IS("daemon.log_level")) {
		if (log_level_parse(value, &c->log_level) == -1)
			return err_set(err, "%s: expected error, warn, info or "
			    "debug, not '%s'", name, value);
		return 0;
	}
	if (IS("daemon.heartbeat")) {
		char *end;
		double v;

		errno = 0;
		v = strtod(value, &end);
		if (errno || end == value || *end || !(v >= 0) || v > 86400)
			return err_set(err, "%s: expected seconds in 0..86400, "
			    "not '%s'", name, value);
		c->heartbeat_s = v;
		return 0;
	}
	if (IS("daemon.linger_ms"))
		return set_int(&c->linger_ms, value, 0, 600000, name, err);
	if (IS("daemon.drain_ms"))
		return set_int(&c->drain_ms, value, 0, 600000, name, err);
	if (IS("daemon.allow_insecure"))
		return set_bool(&c->allow_insecure, value, name, err);
	if (IS("curve.server_key"))
		return set_str(c->curve_server_key, value, name, err);
	if (IS("curve.clients_dir"))
		return set_str(c->curve_clients_dir, value, name, err);
	if (IS("curve.upstream_server_key"))
		return set_str(c->curve_upstream_key, value, name, err);
	if (IS("http.listen")) {
		struct endpoint_hostport hp;

		if (value[0] != '\0' &&
		    endpoint_hostport_parse(value, &hp, err) == -1)
			return err_prefix(err, "%s", name);
		return set_str(c->http_listen, value, name, err);
	}
	if (IS("limits.max_message_bytes"))
		return set_size(&c->limits.max_bytes, value, 64, 1L << 30,
		    name, err);
	if (IS("limits.max_text_bytes"))
		return set_size(&c->limits.max_text, value, 1, 1L << 30,
		    name, err);
	if (IS("limits.max_depth"))
		return set_size(&c->limits.max_depth, value, 1, 1000, name,
		    err);
	if (IS("limits.max_items"))
		return set_size(&c->limits.max_items, value, 1, 10000000,
		    name, err);
#undef IS
	return err_set(err, "unknown key '%s'", name);
}

int
conf_set_assignment(struct conf *c, const char *assignment, struct err *err)
{
	const char *eq = strchr(assignment, '='), *dot;
	char section[64], key[128];

	dot = memchr(assignment, '.', eq ? (size_t)(eq - assignment) : 0);
	if (eq == NULL || dot == NULL ||
	    (size_t)(dot - assignment) >= sizeof(section) ||
	    (size_t)(eq - dot - 1) >= sizeof(key))
		return err_set(err, "expected section.key=value, not '%s'",
		    assignment);
	snprintf(section, sizeof(section), "%.*s", (int)(dot - assignment),
	    assignment);
	snprintf(key, sizeof(key), "%.*s", (int)(eq - dot - 1), dot + 1);
	return conf_set(c, section, key, eq + 1, err);
}

/*
 * inih (the Debian build) reads lines of at most INI_MAX_LINE - 1 bytes
 * and parses the rest of a longer line as a line of its own, and it only
 * reports the number of the first bad line, whatever went wrong there.
 * So conf_load feeds it whole lines itself: a comment of any length is
 * passed as a blank line, any other over-long line as a line that cannot
 * parse (remembered in long_line), and the number of the line a key was
 * rejected on is kept in fail_line, so that the first error in the file
 * is reported with its own reason.
 */
struct ini_ctx {
	struct conf *c;
	struct err *err;
	FILE *f;
	char *line;
	size_t cap;
	int lineno, fail_line, long_line, max_line;
};

static char *
ini_read_line(char *str, int num, void *stream)
{
	struct ini_ctx *x = stream;
	ssize_t len = getline(&x->line, &x->cap, x->f);
	size_t skip;

	if (len == -1 || num < 2)
		return NULL;
	x->lineno++;
	if (len > 0 && x->line[len - 1] == '\n')
		x->line[--len] = '\0';
	if ((size_t)len < (size_t)num) {
		memcpy(str, x->line, (size_t)len + 1);
		return str;
	}
	skip = strspn(x->line, " \t");
	if (x->line[skip] == ';' || x->line[skip] == '#') {
		strcpy(str, "\n");
	} else {
		if (x->long_line == 0) {
			x->long_line = x->lineno;
			x->max_line = num - 1;
		}
		strcpy(str, "[");	/* an unclosed section: an error */
	}
	return str;
}

static int
ini_entry(void *user, const char *section, const char *name,
    const char *value)
{
	struct ini_ctx *x = user;

	if (x->fail_line)
		return 0;
	if (conf_set(x->c, section, name, value, x->err) == -1) {
		x->fail_line = x->lineno;
		return 0;
	}
	return 1;
}

int
conf_load(const char *path, struct conf *c, struct err *err)
{
	struct ini_ctx x = { c, err, NULL, NULL, 0, 0, 0, 0, 0 };
	int line;

	if ((x.f = fopen(path, "r")) == NULL)
		return err_set(err, "cannot open '%s': %s", path,
		    strerror(errno));
	line = ini_parse_stream(ini_read_line, &x, ini_entry, &x);
	if (line >= 0 && ferror(x.f))
		line = err_set(err, "cannot read '%s': %s", path,
		    strerror(errno));
	else if (line < 0)
		line = err_set(err, "cannot parse '%s': out of memory", path);
	fclose(x.f);
	free(x.line);
	if (line <= 0)
		return line;
	if (line == x.fail_line)
		return err_prefix(err, "%s:%d", path, line);
	if (line == x.long_line)
		return err_set(err, "%s:%d: line longer than %d bytes", path,
		    line, x.max_line);
	return err_set(err, "%s:%d: syntax error", path, line);
}

/*
 * Who can reach the socket configured by key.  Without CURVE, traffic off
 * the machine would be plain text that anyone on the path can read and
 * anyone who can connect can inject into: refused unless allow_insecure,
 * and always for the control socket (reload and stats to anyone).
 */
static int
check_exposure(const struct conf *c, const char *key, const char *spec,
    int control, struct err *err)
{
	struct endpoint_tcp t;
	int curve = c->curve_server_key[0] != '\0';

	if (endpoint_tcp_scan(spec, 1, &t, err) == -1)
		return err_prefix(err, "%s", key);
	if (!curve && t.exposed[0] != '\0' && control)
		return err_set(err, "%s: '%s' is not a loopback address and "
		    "CURVE is off: the control socket needs curve.server_key "
		    "(daemon.allow_insecure does not cover it)", key,
		    t.exposed);
	if (!curve && t.exposed[0] != '\0' && !c->allow_insecure)
		return err_set(err, "%s: '%s' is not a loopback address and "
		    "CURVE is off: set curve.server_key, or "
		    "daemon.allow_insecure = true for plain text", key,
		    t.exposed);
	if (curve && t.binds > 0 && t.connects > 0)
		return err_set(err, "%s: with CURVE on, the tcp endpoints of "
		    "a socket must all bind or all connect, not both ('%s')",
		    key, spec);
	if (curve && t.connects > 0 && c->curve_upstream_key[0] == '\0')
		return err_set(err, "%s: '%s' connects over tcp: with CURVE on "
		    "that needs curve.upstream_server_key", key, spec);
	return 0;
}

/*
 * The HTTP endpoint answers anyone who reaches it, in plain text, with
 * figures about the stream: off loopback only when allowed.
 */
static int
check_http(const struct conf *c, struct err *err)
{
	struct endpoint_hostport hp;
	char tcp[CONF_STR + 8];

	if (c->http_listen[0] == '\0')
		return 0;
	if (endpoint_hostport_parse(c->http_listen, &hp, err) == -1)
		return err_prefix(err, "http.listen");
	snprintf(tcp, sizeof(tcp), "tcp://%s", c->http_listen);
	if (!endpoint_is_loopback(tcp) && !c->allow_insecure)
		return err_set(err, "http.listen: '%s' is not a loopback "
		    "address: set daemon.allow_insecure = true to serve plain "
		    "HTTP off the machine", c->http_listen);
	return 0;
}

int
conf_check(const struct conf *c, struct err *err)
{
	int curve = c->curve_server_key[0] != '\0';

	if (!curve && c->curve_clients_dir[0] != '\0')
		return err_set(err, "curve.clients_dir: set, but "
		    "curve.server_key is empty (CURVE is off)");
	if (!curve && c->curve_upstream_key[0] != '\0')
		return err_set(err, "curve.upstream_server_key: set, but "
		    "curve.server_key is empty (CURVE is off)");
	if (curve && c->curve_clients_dir[0] == '\0')
		return err_set(err, "curve.clients_dir: empty, but CURVE is "
		    "on: name the directory of the authorised client keys");
	if (check_exposure(c, "input.endpoint", c->input, 0, err) == -1 ||
	    check_exposure(c, "output.endpoint", c->output, 0, err) == -1 ||
	    check_exposure(c, "control.endpoint", c->control, 1, err) == -1)
		return -1;
	if (c->output_type == CONF_ACK && c->output_hwm < 1)
		return err_set(err, "output.hwm: with output.type = ack it "
		    "bounds the results held and must be at least 1");
	if (check_http(c, err) == -1)
		return -1;
	if (c->envelope[0] == '\0')
		return err_set(err, "output.envelope: empty");
	if (c->models[0] == '\0')
		return err_set(err, "models.dir: empty");
	return 0;
}
