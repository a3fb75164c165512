/*
 * conf.h - newsclassd's configuration: defaults, an INI file (inih) and
 * command-line overrides, all through one setter so that every key can be
 * given either way and is checked the same way.
 *
 * Keys (section.key):
 *   input.endpoint   @tcp://127.0.0.1:5557   "@" binds, ">" connects
 *   input.type       pull | sub
 *   input.subscribe  prefix for a sub input ("" = everything)
 *   input.hwm        receive high-water mark (messages)
 *   output.endpoint  @tcp://127.0.0.1:5558
 *   output.type      pub | push | ack (a ROUTER: consumers grant credit
 *                    and acknowledge, see daemon/ackout.h)
 *   output.hwm       send high-water mark (messages); with ack, the most
 *                    results held, queued or unacknowledged (at least 1)
 *   output.ack_timeout_ms  with ack: silence after which a consumer that
 *                    holds unacknowledged results is dead, and its
 *                    results are delivered again
 *   output.include_text  true | false: carry title/text in results
 *   output.envelope  task order of the envelope, e.g. "topic,sentiment"
 *   control.endpoint @tcp://127.0.0.1:5559
 *   models.dir       directory of model bundles
 *   daemon.threads   worker threads, 0 = one per core
 *   daemon.log_level error | warn | info | debug
 *   daemon.heartbeat seconds between heartbeats, 0 = off
 *   daemon.linger_ms how long to flush output at exit
 *   daemon.drain_ms  how long to keep reading queued input at exit
 *   daemon.allow_insecure  true | false: allow plain-text tcp endpoints
 *                    that are not on loopback (never for control)
 *   curve.server_key the daemon's secret key file; "" = CURVE off
 *   curve.clients_dir  directory of the authorised clients' *.pub files
 *   curve.upstream_server_key  public key file of the server that
 *                    connecting (">tcp://") sockets talk to
 *   http.listen      HOST:PORT of the HTTP endpoint (metrics, health),
 *                    e.g. 127.0.0.1:9101; "" = off (the default)
 *   limits.max_message_bytes, limits.max_text_bytes, limits.max_depth,
 *   limits.max_items
 *   tags.top_threshold   0.2: labels with p >= this are in "top"
 *   tags.top_threshold.TASK  the same for one task
 *   tags.uncertain_below 0.6: "uncertain" is true when p is below this
 *   tags.uncertain_below.TASK  the same for one task
 *   tags.explain         0..32 "why" terms for messages without "explain"
 *                        (default 0: none)
 * (tags.h has the details; the TASK must be a loaded task, which the
 * daemon checks when it loads the models, not conf_check.)
 */
#ifndef NC_CONF_H
#define NC_CONF_H

#include "err.h"
#include "log.h"
#include "msg.h"
#include "tags.h"

#define CONF_STR 512

enum conf_socket {
	CONF_PULL, CONF_SUB, CONF_PUB, CONF_PUSH, CONF_ACK
};

struct conf {
	char input[CONF_STR];
	enum conf_socket input_type;
	char subscribe[CONF_STR];
	int input_hwm;
	char output[CONF_STR];
	enum conf_socket output_type;
	int output_hwm;
	int ack_timeout_ms;
	int include_text;
	char envelope[CONF_STR];
	char control[CONF_STR];
	char models[CONF_STR];
	int threads;
	enum log_level log_level;
	double heartbeat_s;
	int linger_ms;
	int drain_ms;
	int allow_insecure;
	char curve_server_key[CONF_STR];
	char curve_clients_dir[CONF_STR];
	char curve_upstream_key[CONF_STR];
	char http_listen[CONF_STR];	/* "" = no HTTP endpoint */
	struct msg_limits limits;
	struct tags_conf tags;
};

void conf_default(struct conf *c);

/*
 * Set one key.  Returns 0, or -1 with a reason naming the key ("unknown
 * key", "must be pull or sub", ...).
 */
int conf_set(struct conf *c, const char *section, const char *key,
    const char *value, struct err *err);

/* Set "section.key=value" (a command-line override). */
int conf_set_assignment(struct conf *c, const char *assignment,
    struct err *err);

/*
 * Read an INI file into c (keys not in the file keep their value).
 * Errors carry "file:line: ...".
 */
int conf_load(const char *path, struct conf *c, struct err *err);

/*
 * Check the whole configuration: endpoint syntax, ranges, and exposure:
 * a tcp endpoint that binds or connects to an address other than loopback
 * (endpoint_is_loopback) needs CURVE (curve.server_key), or, except for
 * the control socket, daemon.allow_insecure.  With CURVE on, the tcp
 * endpoints of a socket must all bind (CURVE server) or all connect (CURVE
 * client, which needs curve.upstream_server_key), and curve.clients_dir is
 * required.  http.listen off loopback needs daemon.allow_insecure
 * (HTTP has neither encryption nor authentication here).  Key files are
 * not read here.  The reason names the key.
 */
int conf_check(const struct conf *c, struct err *err);

/* Name of a socket type ("pull", ...). */
const char *conf_socket_name(enum conf_socket t);

#endif
