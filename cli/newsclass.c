/*
 * newsclass - the command-line companion of newsclassd.
 *
 *   classify  score JSON Lines offline with every bundle under a models
 *             directory, through the daemon's own decode/score/encode path
 *   send      JSON Lines -> msgpack -> PUSH to the daemon's input
 *   tail      SUB (or PULL) the daemon's output and print it as JSON Lines;
 *             with --type ack, a DEALER on an acknowledged output that
 *             acknowledges what it has printed and flushed
 *   stats, ping, reload, models
 *             one request on the daemon's control socket, reply as JSON
 *   keygen    a CURVE key pair: PREFIX.key (secret) and PREFIX.pub
 *   proxy     XSUB -> XPUB forwarder: several daemons' PUB outputs fanned
 *             in to the subscribers of one address (zmq_proxy_steerable)
 *
 * classify: every input line gives exactly one output line, in order: the
 * tagged article, or an error object {"id", "error", "detail"}.
 *
 * The network commands are thin ZeroMQ clients: endpoints use the daemon's
 * "@bind" / ">connect" notation (lib/endpoint.h) with connect as the default,
 * every blocking call is bounded by a timeout, and sockets close with a
 * bounded linger, so no command hangs on a daemon that is not there.  The
 * conversions are lib/msg.h's (msg_from_json, msg_to_json), so what these
 * commands print is exactly what the wire carries.  With --curve-key and
 * --server-key they are CURVE clients (lib/curve.h); a socket monitor
 * tells a refused key or a mechanism mismatch from a daemon that is not
 * there, so that a timeout says which it was.
 *
 * Exit codes: 0 ok (classify: even if some lines were bad), 1 runtime
 * failure (send: some lines were not JSON or could not be sent; tail: the
 * timeout came before --count messages; control: no reply, or "ok" is not
 * true), 2 usage or configuration error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <jansson.h>
#include <zmq.h>

#include "auth.h"
#include "buf.h"
#include "classifier.h"
#include "clock.h"
#include "conf.h"
#include "curve.h"
#include "endpoint.h"
#include "log.h"
#include "model.h"
#include "msg.h"
#include "pipeline.h"
#include "xalloc.h"

#define DEFAULT_INPUT ">tcp://127.0.0.1:5557"
#define DEFAULT_OUTPUT ">tcp://127.0.0.1:5558"
#define DEFAULT_CONTROL ">tcp://127.0.0.1:5559"
#define CLIENT_MONITOR "inproc://newsclass-monitor"

static void
usage(FILE *f)
{
	fputs(
"usage: newsclass classify [--models DIR] [--no-text] [--config FILE]\n"
"                          [--top-threshold [TASK=]P]...\n"
"                          [--uncertain-below [TASK=]P]... [--explain K]\n"
"                          [FILE.jsonl...]\n"
"       newsclass send [--input ENDPOINT] [--timeout SECS] [--linger-ms MS]\n"
"                      [-v] [FILE.jsonl...]\n"
"       newsclass tail [--output ENDPOINT] [--type sub|pull|ack]\n"
"                      [--subscribe PREFIX]... [--count N] [--timeout SECS]\n"
"                      [--credit N] [--envelope] [--heartbeats]\n"
"       newsclass stats|ping|reload|models [--control ENDPOINT]\n"
"                      [--timeout SECS]\n"
"       newsclass keygen --out PREFIX\n"
"       newsclass proxy --xsub ENDPOINT --xpub ENDPOINT\n"
"                      [--stats-interval SECS] [--allow-insecure]\n"
"                      [--clients-dir DIR]\n"
"\n"
"send, tail, proxy and the control commands also take --curve-key FILE\n"
"(our key pair, made by keygen) with --server-key FILE (the daemon's .pub)\n"
"to talk to a daemon with CURVE on.\n"
"\n"
"classify  reads JSON Lines articles {\"id\", \"title\", \"text\", ...} from\n"
"          the files (or stdin) and writes each one with \"tags\" and\n"
"          \"models\" added, one line per input line; a bad line gives an\n"
"          error object {\"id\", \"error\", \"detail\"} instead.\n"
"          --top-threshold, --uncertain-below and --explain set\n"
"          tags.top_threshold, tags.uncertain_below (for one task with\n"
"          TASK=) and tags.explain as newsclassd.conf(5) does; --config\n"
"          reads them from the daemon's configuration file first\n"
"send      converts each JSON line of the files (or stdin) to msgpack and\n"
"          pushes it to the daemon's input (default " DEFAULT_INPUT ");\n"
"          lines that are not JSON are reported and skipped, blank lines\n"
"          ignored; --timeout (default 10, 0 = none) bounds the wait for\n"
"          a receiver, --linger-ms (default 10000) the flush at exit\n"
"tail      prints each message of the daemon's output (default\n"
"          " DEFAULT_OUTPUT ", sub, every prefix) as one JSON line, or\n"
"          {\"envelope\", \"message\"} with --envelope; heartbeats are\n"
"          skipped unless --heartbeats; stops after --count messages or\n"
"          --timeout seconds without one (default: never); --type ack\n"
"          reads an output.type = ack daemon: it holds at most --credit\n"
"          (default 100) results unacknowledged and acknowledges each\n"
"          once it is written and flushed, so a tail killed and started\n"
"          again loses nothing (it may print a few results twice)\n"
"stats, ping, reload, models\n"
"          sends {\"cmd\": ...} to the control socket (default\n"
"          " DEFAULT_CONTROL ") and prints the reply as one JSON line;\n"
"          --timeout (default 5) bounds the wait for the reply\n"
"keygen    writes a new CURVE key pair to PREFIX.key (mode 0600: public\n"
"          and secret key) and PREFIX.pub (public key), never over an\n"
"          existing file, and prints the public key (Z85)\n"
"proxy     forwards every message arriving on --xsub (daemons connect\n"
"          their PUB output to it, or '>' connects to theirs) to the\n"
"          subscribers of --xpub, and their subscriptions upstream;\n"
"          prints the counts forwarded every --stats-interval seconds\n"
"          (default 0 = only at exit); stops on SIGINT/SIGTERM.  Its\n"
"          endpoints bind by default.  With CURVE keys a socket is a\n"
"          CURVE server where it binds (clients need the .pub of\n"
"          --curve-key; it admits the keys in --clients-dir, read\n"
"          again on SIGHUP) and a client of --server-key where it\n"
"          connects; without them tcp stays on loopback unless\n"
"          --allow-insecure\n"
"\n"
"Endpoints: '>' connects (the default except for proxy), '@' binds;\n"
"tcp://, ipc://.\n"
"Exit codes: 0 ok, 1 runtime failure (a bad line, no reply, \"ok\" false),\n"
"2 usage error.\n", f);
}

struct classify_ctx {
	const struct classifier *c;
	size_t order[64];
	size_t norder;
	struct pipeline *p;
	struct msg_limits lim;
	struct msg_out_opts oo;
	struct tags_conf tags;
	struct buf mp, env, out, json;
};

/* One line in, one JSON line out: the daemon's path, JSON at both ends. */
static void
classify_line(struct classify_ctx *x, const char *src, size_t lineno,
    const char *line, size_t len)
{
	struct msg_error e;
	struct err err;
	int rc;

	buf_reset(&x->mp);
	buf_reset(&x->env);
	buf_reset(&x->out);
	buf_reset(&x->json);
	if (msg_from_json(line, len, &x->mp, &e) == -1) {
		pipeline_error(x->p, &e, NULL, 0, &x->lim, &x->oo, &x->env,
		    &x->out);
		rc = -1;
	} else {
		rc = pipeline_run(x->p, x->c, x->order, x->norder, x->mp.data,
		    x->mp.len, &x->lim, &x->oo, &x->env, &x->out, &e);
	}
	if (rc == -1)
		log_warn("%s:%zu: %s: %s", src, lineno, msg_code_name(e.code),
		    e.detail);
	if (msg_to_json(x->out.data, x->out.len, &x->json, &err) == -1)
		log_fatal(1, "internal error: %s", err.msg);
	buf_addch(&x->json, '\n');
	fwrite(x->json.data, 1, x->json.len, stdout);
}

static int
classify_file(struct classify_ctx *x, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	const char *src = f == stdin ? "stdin" : path;
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;

	if (f == NULL) {
		log_error("cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	while ((len = getline(&line, &cap, f)) != -1) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			len--;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		classify_line(x, src, lineno, line, (size_t)len);
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return 0;
}

/*
 * --top-threshold [TASK=]P and --uncertain-below [TASK=]P: the tags.* key
 * (key, or key.TASK), set as the daemon's configuration sets it.
 */
static int
classify_tags_option(struct tags_conf *t, const char *opt, const char *key,
    const char *arg)
{
	const char *eq = strchr(arg, '=');
	char name[160];
	struct err err;

	if (eq == NULL)
		snprintf(name, sizeof(name), "%s", key);
	else
		snprintf(name, sizeof(name), "%s.%.*s", key,
		    (int)(eq - arg), arg);
	if (tags_conf_set(t, name, eq ? eq + 1 : arg, opt, &err) == -1) {
		log_error("%s", err.msg);
		return -1;
	}
	return 0;
}

enum {
	OPT_TOP = 256, OPT_UNCERTAIN, OPT_EXPLAIN
};

static int
cmd_classify(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "models", required_argument, NULL, 'm' },
		{ "no-text", no_argument, NULL, 'T' },
		{ "config", required_argument, NULL, 'c' },
		{ "top-threshold", required_argument, NULL, OPT_TOP },
		{ "uncertain-below", required_argument, NULL, OPT_UNCERTAIN },
		{ "explain", required_argument, NULL, OPT_EXPLAIN },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *models = "models", *config = NULL;
	struct classifier *c = NULL;
	struct classify_ctx x;
	struct conf conf;
	struct err err;
	int ch, i, rc = 0;

	memset(&x, 0, sizeof(x));
	x.oo.include_text = 1;
	tags_conf_default(&x.tags);
	/* The configuration file first, whatever the order of the options. */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "m:c:h", longopts, NULL)) != -1)
		if (ch == 'c')
			config = optarg;
	opterr = 1;
	optind = 0;	/* GNU getopt: start again */
	if (config != NULL) {
		conf_default(&conf);
		if (conf_load(config, &conf, &err) == -1) {
			log_error("%s", err.msg);
			return 2;
		}
		x.tags = conf.tags;
	}
	while ((ch = getopt_long(argc, argv, "m:c:h", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'm': models = optarg; break;
		case 'T': x.oo.include_text = 0; break;
		case 'c': break;	/* read above */
		case OPT_TOP:
			if (classify_tags_option(&x.tags, "--top-threshold",
			    "top_threshold", optarg) == -1)
				return 2;
			break;
		case OPT_UNCERTAIN:
			if (classify_tags_option(&x.tags, "--uncertain-below",
			    "uncertain_below", optarg) == -1)
				return 2;
			break;
		case OPT_EXPLAIN:
			if (tags_conf_set(&x.tags, "explain", optarg,
			    "--explain", &err) == -1) {
				log_error("%s", err.msg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	x.oo.tags = &x.tags;
	if (classifier_load(models, &c, &err) == -1 ||
	    tags_conf_check(&x.tags, c, &err) == -1) {
		log_error("%s", err.msg);
		classifier_destroy(&c);
		return 2;
	}
	x.c = c;
	x.norder = classifier_ntasks(c);
	if (x.norder > sizeof(x.order) / sizeof(x.order[0]))
		x.norder = sizeof(x.order) / sizeof(x.order[0]);
	for (i = 0; (size_t)i < x.norder; i++)
		x.order[i] = (size_t)i;
	x.p = pipeline_new();
	msg_limits_default(&x.lim);
	buf_init(&x.mp);
	buf_init(&x.env);
	buf_init(&x.out);
	buf_init(&x.json);
	if (optind == argc)
		rc = classify_file(&x, "-");
	for (i = optind; i < argc; i++)
		if (classify_file(&x, argv[i]) == -1)
			rc = 1;
	if (fflush(stdout) != 0) {
		log_error("cannot write output: %s", strerror(errno));
		rc = 1;
	}
	buf_release(&x.json);
	buf_release(&x.out);
	buf_release(&x.env);
	buf_release(&x.mp);
	pipeline_destroy(&x.p);
	classifier_destroy(&c);
	return rc;
}

/* ---- shared by the network commands ---- */

/* "SECS" as a non-negative number of seconds, 0 meaning no limit. */
static int
parse_seconds(const char *opt, const char *s, int *ms)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end != '\0' || !(v >= 0) || v > 86400) {
		log_error("%s: expected seconds in 0..86400, not '%s'", opt, s);
		return -1;
	}
	*ms = v == 0 ? -1 : (int)ceil(v * 1000);
	return 0;
}

static int
parse_count(const char *opt, const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0' || v < lo || v > hi) {
		log_error("%s: expected an integer in %ld..%ld, not '%s'", opt,
		    lo, hi, s);
		return -1;
	}
	*out = v;
	return 0;
}

static double
now_s(void)
{
	return (double)clock_ns() / 1e9;
}

/*
 * A socket being set up: type, endpoint, the bounds on blocking and the
 * CURVE key files (both NULL: plain text).  mon receives the socket's
 * handshake failures; why is the most telling one so far (why_rank: 0
 * none, higher is more telling).
 */
struct client {
	void *zctx;
	void *sock;
	void *mon;
	const char *spec;
	int linger_ms;
	const char *curve_key, *server_key;
	int why_rank;
	char why[160];
};

/* The options every network command takes, and their parser. */
#define CLIENT_OPTIONS \
	{ "curve-key", required_argument, NULL, 'K' }, \
	{ "server-key", required_argument, NULL, 'S' }

/* Take ch if it is one of CLIENT_OPTIONS: 1, else 0. */
static int
client_option(struct client *c, int ch, const char *arg)
{
	if (ch == 'K')
		c->curve_key = arg;
	else if (ch == 'S')
		c->server_key = arg;
	else
		return 0;
	return 1;
}

/* Make c->sock a CURVE client: 0, or 2 (logged). */
static int
client_curve(struct client *c)
{
	struct curve_key own, server;
	struct err err;
	int rc = 2;

	if (c->curve_key == NULL || c->server_key == NULL) {
		log_error("--curve-key and --server-key go together");
		return 2;
	}
	memset(&own, 0, sizeof(own));
	if (curve_key_load(c->curve_key, &own, &err) == -1 ||
	    curve_pub_load(c->server_key, &server, &err) == -1 ||
	    curve_client_setup(c->sock, &own, &server, &err) == -1) {
		log_error("%s", err.msg);
		goto out;
	}
	rc = 0;
out:
	curve_key_wipe(&own);
	return rc;
}

/*
 * Watch c->sock for failed handshakes (a refused key, a mechanism
 * mismatch): only to explain a timeout, so a failure here is ignored.
 */
static void
client_monitor(struct client *c)
{
	int zero = 0;

	if (zmq_socket_monitor(c->sock, CLIENT_MONITOR,
	    ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
	    ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
	    ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) == -1)
		return;
	c->mon = zmq_socket(c->zctx, ZMQ_PAIR);
	if (c->mon == NULL)
		return;
	zmq_setsockopt(c->mon, ZMQ_LINGER, &zero, sizeof(zero));
	if (zmq_connect(c->mon, CLIENT_MONITOR) == -1) {
		zmq_close(c->mon);
		c->mon = NULL;
	}
}

/*
 * Keep the reason of a failed handshake (event, value) in c->why if it is
 * more telling than the one there.  A refused key is the most telling; a
 * mechanism mismatch is sometimes seen as such, sometimes only as a
 * connection the daemon closed ("no detail"), since ZeroMQ reconnects.
 */
static void
client_note(struct client *c, unsigned event, uint32_t value)
{
	int curve = c->curve_key != NULL, rank;
	const char *why;
	char buf[sizeof(c->why)];

	if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
		snprintf(buf, sizeof(buf), "the daemon refused our CURVE key "
		    "(status %u): is our .pub in the daemon's "
		    "curve.clients_dir?", (unsigned)value);
		why = buf;
		rank = 4;
	} else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL &&
	    value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH) {
		why = curve ? "the daemon does not speak CURVE" :
		    "the daemon requires CURVE: give --curve-key and "
		    "--server-key";
		rank = 3;
	} else if (curve) {
		why = "the CURVE handshake failed: is --server-key the "
		    "daemon's public key?";
		rank = 2;
	} else {
		why = "the handshake failed: does the daemon require CURVE "
		    "(--curve-key and --server-key)?";
		rank = 1;
	}
	if (rank > c->why_rank) {
		snprintf(c->why, sizeof(c->why), "%s", why);
		c->why_rank = rank;
	}
}

/*
 * The most telling handshake failure the monitor saw, or NULL if there
 * was none.  Reads the monitor's queue without waiting.
 */
static const char *
client_handshake_error(struct client *c)
{
	zmq_msg_t ev;

	while (c->mon != NULL) {
		uint16_t event;
		uint32_t value;

		zmq_msg_init(&ev);
		if (zmq_msg_recv(&ev, c->mon, ZMQ_DONTWAIT) == -1) {
			zmq_msg_close(&ev);
			break;
		}
		/* Frame 1: event (16 bits) and value (32); frame 2: address. */
		if (zmq_msg_size(&ev) < 6 || !zmq_msg_more(&ev)) {
			zmq_msg_close(&ev);
			break;
		}
		memcpy(&event, zmq_msg_data(&ev), sizeof(event));
		memcpy(&value, (char *)zmq_msg_data(&ev) + 2, sizeof(value));
		zmq_msg_recv(&ev, c->mon, 0);
		zmq_msg_close(&ev);
		client_note(c, event, value);
	}
	return c->why_rank > 0 ? c->why : NULL;
}

/*
 * Check c->spec, then create the context and a socket of this type with
 * c->linger_ms; client_attach connects it (or binds, for '@') once the
 * caller has set its other options.  Returns 0, 1 (runtime failure) or 2
 * (a bad endpoint), having logged why.  client_close undoes it.
 */
static int
client_open(struct client *c, int type)
{
	struct err err;

	if (endpoint_check(c->spec, &err) == -1) {
		log_error("%s", err.msg);
		return 2;
	}
	c->zctx = zmq_ctx_new();
	if (c->zctx == NULL) {
		log_error("cannot create ZeroMQ context: %s",
		    zmq_strerror(zmq_errno()));
		return 1;
	}
	c->sock = zmq_socket(c->zctx, type);
	if (c->sock == NULL) {
		log_error("cannot create socket: %s",
		    zmq_strerror(zmq_errno()));
		return 1;
	}
	zmq_setsockopt(c->sock, ZMQ_LINGER, &c->linger_ms,
	    sizeof(c->linger_ms));
	if ((c->curve_key != NULL || c->server_key != NULL) &&
	    client_curve(c) != 0)
		return 2;
	client_monitor(c);
	return 0;
}

static int
client_attach(struct client *c)
{
	struct err err;

	if (endpoint_attach(c->sock, c->spec, 0, &err) == -1) {
		log_error("%s", err.msg);
		return 1;
	}
	return 0;
}

/*
 * Close the socket and the context; closing waits up to linger_ms for
 * queued messages.  Returns how long that took, in milliseconds.
 */
static double
client_close(struct client *c)
{
	double t0 = now_s();

	if (c->mon != NULL) {
		zmq_socket_monitor(c->sock, NULL, 0);
		zmq_close(c->mon);
	}
	if (c->sock != NULL)
		zmq_close(c->sock);
	if (c->zctx != NULL)
		zmq_ctx_term(c->zctx);
	c->sock = c->zctx = c->mon = NULL;
	return (now_s() - t0) * 1000;
}

/* Print one JSON text as a line; flushed, so that pipes see it at once. */
static int
print_line(const struct buf *json)
{
	if (fwrite(json->data, 1, json->len, stdout) != json->len ||
	    putchar('\n') == EOF || fflush(stdout) == EOF) {
		log_error("cannot write output: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- send ---- */

struct send_ctx {
	struct client cl;
	int timeout_ms;
	int verbose;
	unsigned long long sent, bad;
	struct buf mp;
};

/* Convert and push one line: 0 (sent or skipped as bad), -1 cannot send. */
static int
send_line(struct send_ctx *x, const char *src, size_t lineno,
    const char *line, size_t len)
{
	struct msg_error e;

	if (len == strspn(line, " \t\r"))
		return 0;	/* blank */
	buf_reset(&x->mp);
	if (msg_from_json(line, len, &x->mp, &e) == -1) {
		log_warn("%s:%zu: %s: %s", src, lineno, msg_code_name(e.code),
		    e.detail);
		x->bad++;
		return 0;
	}
	if (zmq_send(x->cl.sock, x->mp.data, x->mp.len, 0) == -1) {
		const char *why;

		if (zmq_errno() == EAGAIN &&
		    (why = client_handshake_error(&x->cl)) != NULL)
			log_error("%s:%zu: no receiver took the message within "
			    "%.3g s: %s", src, lineno, x->timeout_ms / 1000.0,
			    why);
		else if (zmq_errno() == EAGAIN)
			log_error("%s:%zu: no receiver took the message within "
			    "%.3g s: is newsclassd listening on '%s'?", src,
			    lineno, x->timeout_ms / 1000.0, x->cl.spec);
		else
			log_error("%s:%zu: cannot send: %s", src, lineno,
			    zmq_strerror(zmq_errno()));
		return -1;
	}
	x->sent++;
	return 0;
}

/* 0, or -1 if the file cannot be read or a message cannot be sent. */
static int
send_file(struct send_ctx *x, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	const char *src = f == stdin ? "stdin" : path;
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;
	int rc = 0;

	if (f == NULL) {
		log_error("cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && (len = getline(&line, &cap, f)) != -1) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			len--;
		rc = send_line(x, src, lineno, line, (size_t)len);
	}
	if (rc == 0 && ferror(f)) {
		log_error("cannot read '%s': %s", src, strerror(errno));
		rc = -1;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}

/* Open the socket and send every file: 0, 1 or 2 (logged). */
static int
send_files(struct send_ctx *x, char **files, int nfiles)
{
	int i, one = 1, rc;

	if ((rc = client_open(&x->cl, ZMQ_PUSH)) != 0)
		return rc;
	/*
	 * Queue only towards peers that are really there: with no daemon a
	 * send then blocks (up to the timeout) instead of filling a queue
	 * that would be dropped at exit.
	 */
	zmq_setsockopt(x->cl.sock, ZMQ_IMMEDIATE, &one, sizeof(one));
	zmq_setsockopt(x->cl.sock, ZMQ_SNDTIMEO, &x->timeout_ms,
	    sizeof(x->timeout_ms));
	if ((rc = client_attach(&x->cl)) != 0)
		return rc;
	if (nfiles == 0 && send_file(x, "-") == -1)
		rc = 1;
	for (i = 0; rc == 0 && i < nfiles; i++)
		if (send_file(x, files[i]) == -1)
			rc = 1;
	return rc;
}

static int
cmd_send(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "timeout", required_argument, NULL, 't' },
		{ "linger-ms", required_argument, NULL, 'l' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		CLIENT_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	struct send_ctx x;
	long linger = 10000;
	int ch, rc;

	memset(&x, 0, sizeof(x));
	x.cl.spec = DEFAULT_INPUT;
	x.timeout_ms = 10000;
	while ((ch = getopt_long(argc, argv, "i:t:vh", longopts, NULL)) != -1) {
		if (client_option(&x.cl, ch, optarg))
			continue;
		switch (ch) {
		case 'i': x.cl.spec = optarg; break;
		case 't':
			if (parse_seconds("--timeout", optarg,
			    &x.timeout_ms) == -1)
				return 2;
			break;
		case 'l':
			if (parse_count("--linger-ms", optarg, 0, 3600000,
			    &linger) == -1)
				return 2;
			break;
		case 'v': x.verbose = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	x.cl.linger_ms = (int)linger;
	buf_init(&x.mp);
	rc = send_files(&x, argv + optind, argc - optind);
	buf_release(&x.mp);
	/* Closing waits for the queue to drain, up to the linger. */
	if (client_close(&x.cl) >= (double)linger && x.sent > 0 &&
	    linger > 0) {
		log_error("gave up flushing after %ld ms: some messages may "
		    "be lost", linger);
		rc = 1;
	}
	if (x.verbose)
		log_info("sent %llu", x.sent);
	if (x.bad > 0) {
		log_error("%llu line%s not sent (not JSON)", x.bad,
		    x.bad == 1 ? "" : "s");
		if (rc == 0)
			rc = 1;
	}
	return rc;
}

/* ---- tail ---- */

/* With --type ack: how often tail speaks at least (see tail_say). */
#define TAIL_KEEPALIVE_S 0.25
#define TAIL_CREDIT 100

struct tail_ctx {
	struct client cl;
	int envelope, heartbeats;
	struct buf env, body, mp, json;
	/* --type ack */
	int ack;
	long credit;		/* results we may hold unacknowledged */
	uint64_t last_seq;	/* of the last result printed */
	long unacked;		/* printed since the last ack */
	double said;		/* when we last sent anything */
};

/*
 * Receive one message: its first frame is the envelope, its last the body
 * (a single frame is a body without envelope).  0, or -1 with errno-like
 * zmq_errno() set.
 */
static int
tail_recv(struct tail_ctx *x)
{
	zmq_msg_t m;
	int more = 1, nframes = 0;
	size_t sz = sizeof(more);

	buf_reset(&x->env);
	buf_reset(&x->body);
	zmq_msg_init(&m);
	while (more) {
		if (zmq_msg_recv(&m, x->cl.sock, 0) == -1) {
			zmq_msg_close(&m);
			return -1;
		}
		if (nframes++ == 0 && zmq_msg_more(&m)) {
			buf_add(&x->env, zmq_msg_data(&m), zmq_msg_size(&m));
		} else {
			buf_reset(&x->body);
			buf_add(&x->body, zmq_msg_data(&m), zmq_msg_size(&m));
		}
		zmq_getsockopt(x->cl.sock, ZMQ_RCVMORE, &more, &sz);
	}
	zmq_msg_close(&m);
	return 0;
}

/* The received message as JSON text in x->json: 0, or -1 (logged). */
static int
tail_format(struct tail_ctx *x)
{
	const struct buf *src = &x->body;
	struct err err;

	buf_reset(&x->json);
	if (x->envelope) {
		buf_reset(&x->mp);
		msg_w_map(&x->mp, 2);
		msg_w_str(&x->mp, "envelope");
		msg_w_strn(&x->mp, x->env.data, x->env.len);
		msg_w_str(&x->mp, "message");
		msg_w_raw(&x->mp, x->body.data, x->body.len);
		src = &x->mp;
	}
	if (msg_to_json(src->data, src->len, &x->json, &err) == -1) {
		log_warn("skipping a message of %zu bytes ('%.*s'): %s",
		    x->body.len, (int)x->env.len, x->env.data, err.msg);
		return -1;
	}
	return 0;
}

/*
 * Tell an ack output what we have printed ({"ack": the last seq}, if
 * anything since the last time) and how many more results we take
 * ({"credit": ...}, no more than --count still wants).  Sent also when
 * idle, every TAIL_KEEPALIVE_S, so that the daemon knows we are alive.
 * 0, or -1 if the message could not be queued (logged).
 */
static int
tail_say(struct tail_ctx *x, long count, long printed)
{
	long credit = x->credit;

	if (count > 0 && count - printed < credit)
		credit = count - printed;
	buf_reset(&x->mp);
	msg_w_map(&x->mp, x->unacked > 0 ? 2 : 1);
	msg_w_str(&x->mp, "credit");
	msg_w_uint(&x->mp, (uint64_t)credit);
	if (x->unacked > 0) {
		msg_w_str(&x->mp, "ack");
		msg_w_uint(&x->mp, x->last_seq);
	}
	if (zmq_send(x->cl.sock, x->mp.data, x->mp.len, ZMQ_DONTWAIT) == -1 &&
	    zmq_errno() != EAGAIN) {
		log_error("cannot send to '%s': %s", x->cl.spec,
		    zmq_strerror(zmq_errno()));
		return -1;
	}
	/* EAGAIN: not connected yet; the next keepalive says it again. */
	x->unacked = 0;
	x->said = now_s();
	return 0;
}

/* Another message is already waiting on the socket. */
static int
tail_pending(struct tail_ctx *x)
{
	int events = 0;
	size_t sz = sizeof(events);

	zmq_getsockopt(x->cl.sock, ZMQ_EVENTS, &events, &sz);
	return (events & ZMQ_POLLIN) != 0;
}

/*
 * After a result has been printed and flushed (or skipped): acknowledge
 * it, at once if nothing else is waiting or half the credit is used, so
 * that the daemon never waits on us and a kill loses at most what we
 * have not printed.  0 or -1.
 */
static int
tail_done(struct tail_ctx *x, long count, long printed)
{
	uint64_t seq;

	if (msg_get_uint(x->body.data, x->body.len, "seq", &seq) == 0) {
		x->last_seq = seq;
		x->unacked++;
	}
	if (x->unacked > 0 && ((count > 0 && printed >= count) ||
	    x->unacked >= (x->credit + 1) / 2 || !tail_pending(x)))
		return tail_say(x, count, printed);
	return 0;
}

static int
is_heartbeat(const struct buf *env)
{
	return env->len == 10 && memcmp(env->data, "_heartbeat", 10) == 0;
}

/*
 * Print messages until count (if > 0) have been printed or none came for
 * timeout_ms (-1: wait forever).  0, or 1 for a failure or too few.
 */
static int
tail_loop(struct tail_ctx *x, long count, int timeout_ms)
{
	long printed = 0;
	double deadline = now_s() + timeout_ms / 1000.0;
	const char *why;
	int told = 0;

	if (x->ack && tail_say(x, count, printed) == -1)
		return 1;
	while (count == 0 || printed < count) {
		zmq_pollitem_t it[2] = {
			{ x->cl.sock, 0, ZMQ_POLLIN, 0 },
			{ x->cl.mon, 0, ZMQ_POLLIN, 0 },
		};
		long wait = -1;

		if (timeout_ms >= 0) {
			wait = (long)ceil((deadline - now_s()) * 1000);
			if (wait <= 0)
				break;
		}
		if (x->ack) {
			long ka = (long)ceil((x->said + TAIL_KEEPALIVE_S -
			    now_s()) * 1000);

			if (ka <= 0) {
				if (tail_say(x, count, printed) == -1)
					return 1;
				ka = (long)(TAIL_KEEPALIVE_S * 1000);
			}
			if (wait < 0 || ka < wait)
				wait = ka;
		}
		if (zmq_poll(it, x->cl.mon ? 2 : 1, wait) == -1) {
			if (zmq_errno() == EINTR)
				continue;
			log_error("poll failed: %s", zmq_strerror(zmq_errno()));
			return 1;
		}
		/*
		 * ZeroMQ retries, so a failed handshake is only reported,
		 * once per reason.
		 */
		if ((it[1].revents & ZMQ_POLLIN) &&
		    (why = client_handshake_error(&x->cl)) != NULL &&
		    x->cl.why_rank > told) {
			log_warn("cannot connect to '%s': %s", x->cl.spec, why);
			told = x->cl.why_rank;
		}
		if (!(it[0].revents & ZMQ_POLLIN))
			continue;
		if (tail_recv(x) == -1) {
			log_error("cannot receive: %s",
			    zmq_strerror(zmq_errno()));
			return 1;
		}
		if ((!x->heartbeats && is_heartbeat(&x->env)) ||
		    tail_format(x) == -1) {
			/* Not printed, on purpose: done with it too. */
			if (x->ack && tail_done(x, count, printed) == -1)
				return 1;
			continue;
		}
		if (print_line(&x->json) == -1)
			return 1;
		printed++;
		deadline = now_s() + timeout_ms / 1000.0;
		if (x->ack && tail_done(x, count, printed) == -1)
			return 1;
	}
	if (count > 0 && printed < count) {
		log_error("no message for %.3g s: got %ld of %ld",
		    timeout_ms / 1000.0, printed, count);
		return 1;
	}
	return 0;
}

struct tail_opts {
	int type;		/* ZMQ_SUB or ZMQ_PULL */
	const char **subs;	/* prefixes, for ZMQ_SUB */
	int nsubs;
	long count;		/* 0: no limit */
	int timeout_ms;		/* -1: no limit */
};

/* Parse tail's options into o and x: 0, 2 (usage error) or -1 (--help). */
static int
tail_options(int argc, char **argv, struct tail_opts *o, struct tail_ctx *x)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "type", required_argument, NULL, 'T' },
		{ "subscribe", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "envelope", no_argument, NULL, 'e' },
		{ "heartbeats", no_argument, NULL, 'H' },
		{ "credit", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		CLIENT_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "o:s:n:t:eh", longopts,
	    NULL)) != -1) {
		if (client_option(&x->cl, ch, optarg))
			continue;
		switch (ch) {
		case 'o': x->cl.spec = optarg; break;
		case 'T':
			if (strcmp(optarg, "sub") != 0 &&
			    strcmp(optarg, "pull") != 0 &&
			    strcmp(optarg, "ack") != 0) {
				log_error("--type: expected sub, pull or ack, "
				    "not '%s'", optarg);
				return 2;
			}
			o->type = optarg[0] == 's' ? ZMQ_SUB :
			    optarg[0] == 'p' ? ZMQ_PULL : ZMQ_DEALER;
			x->ack = o->type == ZMQ_DEALER;
			break;
		case 'c':
			if (parse_count("--credit", optarg, 1, 1000000,
			    &x->credit) == -1)
				return 2;
			break;
		case 's': o->subs[o->nsubs++] = optarg; break;
		case 'n':
			if (parse_count("--count", optarg, 0, LONG_MAX,
			    &o->count) == -1)
				return 2;
			break;
		case 't':
			if (parse_seconds("--timeout", optarg,
			    &o->timeout_ms) == -1)
				return 2;
			break;
		case 'e': x->envelope = 1; break;
		case 'H': x->heartbeats = 1; break;
		case 'h': usage(stdout); return -1;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		log_error("tail: unexpected argument '%s'", argv[optind]);
		return 2;
	}
	/* The last acknowledgement must get out. */
	if (x->ack)
		x->cl.linger_ms = 2000;
	if (o->nsubs > 0 && o->type != ZMQ_SUB) {
		log_error("--subscribe needs --type sub");
		return 2;
	}
	if (x->credit != 0 && !x->ack) {
		log_error("--credit needs --type ack");
		return 2;
	}
	if (x->credit == 0)
		x->credit = TAIL_CREDIT;
	if (o->nsubs == 0)
		o->subs[o->nsubs++] = "";
	return 0;
}

/*
 * If stdout is a regular file that does not end in a newline (an earlier
 * tail was killed in the middle of a line: even one write(2) can be cut
 * at a page boundary by SIGKILL), end that line, so that the cut line
 * stays a broken line of its own and the first line we print is whole.
 * The cut result was not acknowledged: with --type ack it comes again.
 */
static void
tail_end_cut_line(void)
{
	struct stat sb;
	char last;
	int fd;

	if (fstat(STDOUT_FILENO, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_size == 0)
		return;
	/* stdout may be write-only: read through a descriptor of our own. */
	if ((fd = open("/proc/self/fd/1", O_RDONLY | O_CLOEXEC)) == -1)
		return;
	if (pread(fd, &last, 1, sb.st_size - 1) == 1 && last != '\n') {
		log_warn("the output file ends in a cut line: ending it");
		putchar('\n');
		fflush(stdout);
	}
	close(fd);
}

static int
cmd_tail(int argc, char **argv)
{
	struct tail_opts o = { ZMQ_SUB, NULL, 0, 0, -1 };
	struct tail_ctx x;
	int i, rc;

	memset(&x, 0, sizeof(x));
	x.cl.spec = DEFAULT_OUTPUT;
	x.cl.linger_ms = 0;	/* a SUB or PULL socket has nothing to flush */
	o.subs = xcalloc((size_t)argc + 1, sizeof(*o.subs));
	rc = tail_options(argc, argv, &o, &x);
	if (rc != 0)
		goto out_free;
	if ((rc = client_open(&x.cl, o.type)) != 0)
		goto out;
	for (i = 0; o.type == ZMQ_SUB && i < o.nsubs; i++)
		zmq_setsockopt(x.cl.sock, ZMQ_SUBSCRIBE, o.subs[i],
		    strlen(o.subs[i]));
	if ((rc = client_attach(&x.cl)) != 0)
		goto out;
	buf_init(&x.env);
	buf_init(&x.body);
	buf_init(&x.mp);
	buf_init(&x.json);
	tail_end_cut_line();
	rc = tail_loop(&x, o.count, o.timeout_ms);
	buf_release(&x.json);
	buf_release(&x.mp);
	buf_release(&x.body);
	buf_release(&x.env);
out:
	client_close(&x.cl);
out_free:
	free(o.subs);
	return rc == -1 ? 0 : rc;
}

/* ---- control ---- */

/* 1 if the JSON reply has "ok": true. */
static int
reply_ok(const struct buf *json)
{
	json_t *root = json_loadb(json->data, json->len, 0, NULL);
	int ok = json_is_true(json_object_get(root, "ok"));

	json_decref(root);
	return ok;
}

/* One request, one reply, printed: 0, or 1 (logged). */
static int
control_call(struct client *cl, const char *cmd, int timeout_ms)
{
	struct buf req, json;
	struct err err;
	zmq_msg_t m;
	int rc = 1;

	buf_init(&req);
	buf_init(&json);
	zmq_msg_init(&m);
	msg_w_map(&req, 1);
	msg_w_str(&req, "cmd");
	msg_w_str(&req, cmd);
	if (zmq_send(cl->sock, req.data, req.len, 0) == -1 ||
	    zmq_msg_recv(&m, cl->sock, 0) == -1) {
		const char *why;

		if (zmq_errno() == EAGAIN &&
		    (why = client_handshake_error(cl)) != NULL)
			log_error("no reply from '%s' within %.3g s: %s",
			    cl->spec, timeout_ms / 1000.0, why);
		else if (zmq_errno() == EAGAIN)
			log_error("no reply from '%s' within %.3g s", cl->spec,
			    timeout_ms / 1000.0);
		else
			log_error("cannot talk to '%s': %s", cl->spec,
			    zmq_strerror(zmq_errno()));
		goto out;
	}
	if (msg_to_json(zmq_msg_data(&m), zmq_msg_size(&m), &json,
	    &err) == -1) {
		log_error("bad reply from '%s': %s", cl->spec, err.msg);
		goto out;
	}
	if (print_line(&json) == -1)
		goto out;
	rc = reply_ok(&json) ? 0 : 1;
out:
	zmq_msg_close(&m);
	buf_release(&json);
	buf_release(&req);
	return rc;
}

static int
cmd_control(const char *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "control", required_argument, NULL, 'C' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		CLIENT_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	struct client cl;
	int ch, timeout_ms = 5000, rc;

	memset(&cl, 0, sizeof(cl));
	cl.spec = DEFAULT_CONTROL;
	while ((ch = getopt_long(argc, argv, "C:t:h", longopts, NULL)) != -1) {
		if (client_option(&cl, ch, optarg))
			continue;
		switch (ch) {
		case 'C': cl.spec = optarg; break;
		case 't':
			if (parse_seconds("--timeout", optarg,
			    &timeout_ms) == -1)
				return 2;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		log_error("%s: unexpected argument '%s'", cmd, argv[optind]);
		return 2;
	}
	/* A REQ socket left waiting for a reply must not linger. */
	cl.linger_ms = 0;
	if ((rc = client_open(&cl, ZMQ_REQ)) == 0) {
		zmq_setsockopt(cl.sock, ZMQ_SNDTIMEO, &timeout_ms,
		    sizeof(timeout_ms));
		zmq_setsockopt(cl.sock, ZMQ_RCVTIMEO, &timeout_ms,
		    sizeof(timeout_ms));
		rc = client_attach(&cl);
	}
	if (rc == 0)
		rc = control_call(&cl, cmd, timeout_ms);
	client_close(&cl);
	return rc;
}

/* ---- proxy ---- */

/*
 * The proxy: zmq_proxy_steerable runs on a thread of its own between an
 * XSUB socket (the daemons' PUB outputs) and an XPUB socket (subscribers),
 * copying every frame it forwards, in both directions, to a capture PUSH
 * socket.  The main thread counts what comes out of the capture, prints
 * the totals, and on SIGINT/SIGTERM sends TERMINATE on the control socket.
 * A forwarded message is counted once whatever its number of frames; a
 * single frame starting with 0 or 1 is a subscription change travelling
 * upstream (a daemon's result always has two frames).
 */
#define PROXY_CAPTURE "inproc://newsclass-proxy-capture"
#define PROXY_CONTROL "inproc://newsclass-proxy-control"
#define PROXY_TICK_MS 200	/* how soon a signal is acted upon */

static volatile sig_atomic_t proxy_stop, proxy_reload;

static void
proxy_on_signal(int sig)
{
	if (sig == SIGHUP)
		proxy_reload = 1;
	else
		proxy_stop = 1;
}

struct proxy {
	void *zctx;
	void *xsub, *xpub;
	void *capture, *capture_in;	/* PUSH for the proxy, PULL for us */
	void *control, *control_out;	/* PAIR for the proxy, PAIR for us */
	const char *xsub_spec, *xpub_spec;
	const char *curve_key, *server_key;
	const char *clients_dir;	/* authorised client keys, or NULL */
	struct auth *auth;		/* their ZAP handler */
	int allow_insecure;
	int terminating;		/* we sent TERMINATE */
	pthread_t thread;
	atomic_int done;		/* the proxy thread has returned */
	int proxy_rc, proxy_errno;
	/* the message being captured */
	int frames, first;
	size_t size;
	unsigned long long msgs, bytes, subs;
};

static void *
proxy_thread(void *arg)
{
	struct proxy *p = arg;

	p->proxy_rc = zmq_proxy_steerable(p->xsub, p->xpub, p->capture,
	    p->control);
	p->proxy_errno = p->proxy_rc == -1 ? zmq_errno() : 0;
	atomic_store(&p->done, 1);
	return NULL;
}

/* Count the frames waiting on the capture socket, without blocking. */
static void
proxy_count(struct proxy *p)
{
	zmq_msg_t m;

	zmq_msg_init(&m);
	while (zmq_msg_recv(&m, p->capture_in, ZMQ_DONTWAIT) != -1) {
		size_t n = zmq_msg_size(&m);

		if (p->frames++ == 0)
			p->first = n > 0 ? *(unsigned char *)zmq_msg_data(&m) :
			    -1;
		p->size += n;
		if (zmq_msg_more(&m))
			continue;
		if (p->frames == 1 && (p->first == 0 || p->first == 1)) {
			p->subs++;
		} else if (p->terminating && p->frames == 1 &&
		    p->size == 9 && memcmp(zmq_msg_data(&m), "TERMINATE",
		    9) == 0) {
			/* The proxy captures its commands too. */
		} else {
			p->msgs++;
			p->bytes += p->size;
		}
		p->frames = 0;
		p->size = 0;
	}
	zmq_msg_close(&m);
}

static void
proxy_report(const struct proxy *p)
{
	log_info("forwarded %llu messages, %llu bytes, %llu subscriptions",
	    p->msgs, p->bytes, p->subs);
}

/* A new socket of this type with this linger, or NULL (logged). */
static void *
proxy_socket(struct proxy *p, int type, int linger_ms)
{
	void *s = zmq_socket(p->zctx, type);

	if (s == NULL)
		log_error("cannot create socket: %s",
		    zmq_strerror(zmq_errno()));
	else
		zmq_setsockopt(s, ZMQ_LINGER, &linger_ms, sizeof(linger_ms));
	return s;
}

/*
 * Give sock the CURVE role its tcp endpoints call for (server where it
 * binds, client where it connects) and attach it to spec.  0, 1 or 2
 * (logged).
 */
static int
proxy_attach(struct proxy *p, void *sock, const char *opt, const char *spec,
    const struct curve_key *own, const struct curve_key *server)
{
	struct endpoint_tcp t;
	struct err err;
	int rc = 0;

	if (endpoint_tcp_scan(spec, 1, &t, &err) == -1) {
		log_error("%s: %s", opt, err.msg);
		return 2;
	}
	if (own == NULL && t.exposed[0] != '\0' && !p->allow_insecure) {
		log_error("%s: '%s' is not a loopback address and CURVE is off: "
		    "give --curve-key and --server-key, or --allow-insecure "
		    "for plain text", opt, t.exposed);
		return 2;
	}
	if (own != NULL && t.binds > 0 && t.connects > 0) {
		log_error("%s: with CURVE the tcp endpoints of '%s' must all "
		    "bind or all connect", opt, spec);
		return 2;
	}
	if (own != NULL && t.binds > 0 && p->auth == NULL) {
		log_error("%s: a CURVE server needs --clients-dir, the "
		    "authorised clients' public keys", opt);
		return 2;
	}
	if (own != NULL && t.binds > 0)
		rc = curve_server_setup(sock, own, AUTH_DOMAIN, &err);
	else if (own != NULL && t.connects > 0)
		rc = curve_client_setup(sock, own, server, &err);
	if (rc == -1) {
		log_error("%s: %s", opt, err.msg);
		return 1;
	}
	if (endpoint_attach(sock, spec, 1, &err) == -1) {
		log_error("%s: %s", opt, err.msg);
		return 1;
	}
	return 0;
}

/* Create, set up and attach every socket: 0, 1 or 2 (logged). */
static int
proxy_open(struct proxy *p)
{
	struct curve_key own, server, *ownp = NULL;
	struct err err;
	int rc = 2;

	memset(&own, 0, sizeof(own));
	if ((p->curve_key == NULL) != (p->server_key == NULL)) {
		log_error("--curve-key and --server-key go together");
		return 2;
	}
	if (p->clients_dir != NULL && p->curve_key == NULL) {
		log_error("--clients-dir needs --curve-key and --server-key");
		return 2;
	}
	if (p->curve_key != NULL) {
		if (curve_key_load(p->curve_key, &own, &err) == -1 ||
		    curve_pub_load(p->server_key, &server, &err) == -1) {
			log_error("%s", err.msg);
			goto out;
		}
		ownp = &own;
	}
	rc = 1;
	if ((p->zctx = zmq_ctx_new()) == NULL) {
		log_error("cannot create ZeroMQ context: %s",
		    zmq_strerror(zmq_errno()));
		goto out;
	}
	/* The ZAP handler first: without one libzmq lets every client in. */
	if (p->clients_dir != NULL) {
		struct curve_keyset *ks = NULL;

		if (curve_keyset_load(p->clients_dir, &ks, &err) == -1 ||
		    auth_start(p->zctx, &ks, &p->auth, &err) == -1) {
			curve_keyset_destroy(&ks);
			log_error("%s", err.msg);
			goto out;
		}
		log_info("%zu authorised client keys in '%s'",
		    auth_nkeys(p->auth), p->clients_dir);
	}
	/* Subscribers get what is queued for them at exit, within 1 s. */
	if ((p->xsub = proxy_socket(p, ZMQ_XSUB, 0)) == NULL ||
	    (p->xpub = proxy_socket(p, ZMQ_XPUB, 1000)) == NULL ||
	    (p->capture = proxy_socket(p, ZMQ_PUSH, 0)) == NULL ||
	    (p->capture_in = proxy_socket(p, ZMQ_PULL, 0)) == NULL ||
	    (p->control = proxy_socket(p, ZMQ_PAIR, 0)) == NULL ||
	    (p->control_out = proxy_socket(p, ZMQ_PAIR, 0)) == NULL)
		goto out;
	if (zmq_bind(p->capture_in, PROXY_CAPTURE) == -1 ||
	    zmq_connect(p->capture, PROXY_CAPTURE) == -1 ||
	    zmq_bind(p->control, PROXY_CONTROL) == -1 ||
	    zmq_connect(p->control_out, PROXY_CONTROL) == -1) {
		log_error("cannot set up the capture: %s",
		    zmq_strerror(zmq_errno()));
		goto out;
	}
	if ((rc = proxy_attach(p, p->xsub, "--xsub", p->xsub_spec, ownp,
	    &server)) != 0)
		goto out;
	rc = proxy_attach(p, p->xpub, "--xpub", p->xpub_spec, ownp, &server);
out:
	curve_key_wipe(&own);
	return rc;
}

static void
proxy_close(struct proxy *p)
{
	void **socks[] = { &p->xsub, &p->xpub, &p->capture, &p->capture_in,
	    &p->control, &p->control_out };
	size_t i;

	for (i = 0; i < sizeof(socks) / sizeof(socks[0]); i++)
		if (*socks[i] != NULL) {
			zmq_close(*socks[i]);
			*socks[i] = NULL;
		}
	if (p->zctx != NULL) {
		zmq_ctx_shutdown(p->zctx);	/* ends the ZAP handler */
		auth_join(&p->auth);
		zmq_ctx_term(p->zctx);
	}
	p->zctx = NULL;
}

/* SIGHUP: read the authorised client keys again; keep the old on error. */
static void
proxy_reload_keys(struct proxy *p)
{
	struct curve_keyset *ks = NULL;
	struct err err;

	if (p->auth == NULL)
		return;
	if (curve_keyset_load(p->clients_dir, &ks, &err) == -1) {
		log_error("reload: %s; the old keys stay", err.msg);
		return;
	}
	auth_swap(p->auth, &ks);
	log_info("reload: %zu authorised client keys in '%s'",
	    auth_nkeys(p->auth), p->clients_dir);
}

/*
 * Count until a signal or the end of the proxy thread, printing the totals
 * every interval_ms (-1: never).  0, or 1 if the proxy failed.
 */
static int
proxy_loop(struct proxy *p, int interval_ms)
{
	double next = now_s() + interval_ms / 1000.0;
	int rc = 0;

	while (!proxy_stop && !atomic_load(&p->done)) {
		zmq_pollitem_t it = { p->capture_in, 0, ZMQ_POLLIN, 0 };

		if (zmq_poll(&it, 1, PROXY_TICK_MS) == -1 &&
		    zmq_errno() != EINTR) {
			log_error("poll failed: %s", zmq_strerror(zmq_errno()));
			rc = 1;
			break;
		}
		proxy_count(p);
		if (proxy_reload) {
			proxy_reload = 0;
			proxy_reload_keys(p);
		}
		if (interval_ms > 0 && now_s() >= next) {
			proxy_report(p);
			next += interval_ms / 1000.0;
		}
	}
	p->terminating = 1;
	if (!atomic_load(&p->done) &&
	    zmq_send(p->control_out, "TERMINATE", 9, 0) == -1) {
		log_error("cannot stop the proxy: %s",
		    zmq_strerror(zmq_errno()));
		return 1;
	}
	/* Keep reading the capture: a full one would block the proxy. */
	while (!atomic_load(&p->done)) {
		zmq_pollitem_t it = { p->capture_in, 0, ZMQ_POLLIN, 0 };

		zmq_poll(&it, 1, 20);
		proxy_count(p);
	}
	pthread_join(p->thread, NULL);
	proxy_count(p);
	if (p->proxy_rc == -1) {
		log_error("proxy failed: %s", zmq_strerror(p->proxy_errno));
		rc = 1;
	}
	return rc;
}

static int
cmd_proxy(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "xsub", required_argument, NULL, 'x' },
		{ "xpub", required_argument, NULL, 'X' },
		{ "stats-interval", required_argument, NULL, 'i' },
		{ "allow-insecure", no_argument, NULL, 'A' },
		{ "clients-dir", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		CLIENT_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	struct sigaction sa;
	sigset_t block, old;
	struct proxy p;
	int ch, rc, interval_ms = -1;

	memset(&p, 0, sizeof(p));
	atomic_init(&p.done, 0);
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'x': p.xsub_spec = optarg; break;
		case 'X': p.xpub_spec = optarg; break;
		case 'K': p.curve_key = optarg; break;
		case 'S': p.server_key = optarg; break;
		case 'A': p.allow_insecure = 1; break;
		case 'C': p.clients_dir = optarg; break;
		case 'i':
			if (parse_seconds("--stats-interval", optarg,
			    &interval_ms) == -1)
				return 2;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		log_error("proxy: unexpected argument '%s'", argv[optind]);
		return 2;
	}
	if (p.xsub_spec == NULL || p.xpub_spec == NULL) {
		log_error("proxy: --xsub and --xpub are required");
		return 2;
	}
	if ((rc = proxy_open(&p)) != 0)
		goto out;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = proxy_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* Signals go to this thread, the one that acts on them. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	rc = pthread_create(&p.thread, NULL, proxy_thread, &p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_error("cannot start the proxy thread: %s", strerror(rc));
		rc = 1;
		goto out;
	}
	log_info("forwarding from '%s' to '%s'", p.xsub_spec, p.xpub_spec);
	rc = proxy_loop(&p, interval_ms);
	proxy_report(&p);
out:
	proxy_close(&p);
	return rc;
}

/* ---- keygen ---- */

static int
cmd_keygen(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *prefix = NULL;
	struct curve_key k;
	struct err err;
	int ch;

	while ((ch = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o': prefix = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		log_error("keygen: unexpected argument '%s'", argv[optind]);
		return 2;
	}
	if (prefix == NULL || *prefix == '\0') {
		log_error("keygen: --out PREFIX is required");
		return 2;
	}
	if (curve_keygen(prefix, &k, &err) == -1) {
		log_error("%s", err.msg);
		return 1;
	}
	printf("%s\n", k.public_z85);
	curve_key_wipe(&k);
	if (fflush(stdout) == EOF) {
		log_error("cannot write output: %s", strerror(errno));
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const char *const control_cmds[] = {
		"stats", "ping", "reload", "models"
	};
	size_t i;

	log_init("newsclass", LOG_LEVEL_INFO);
	model_set_print(NULL);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "classify") == 0)
		return cmd_classify(argc - 1, argv + 1);
	if (strcmp(argv[1], "send") == 0)
		return cmd_send(argc - 1, argv + 1);
	if (strcmp(argv[1], "tail") == 0)
		return cmd_tail(argc - 1, argv + 1);
	if (strcmp(argv[1], "keygen") == 0)
		return cmd_keygen(argc - 1, argv + 1);
	if (strcmp(argv[1], "proxy") == 0)
		return cmd_proxy(argc - 1, argv + 1);
	for (i = 0; i < sizeof(control_cmds) / sizeof(control_cmds[0]); i++)
		if (strcmp(argv[1], control_cmds[i]) == 0)
			return cmd_control(argv[1], argc - 1, argv + 1);
	log_error("unknown command '%s'", argv[1]);
	usage(stderr);
	return 2;
}
