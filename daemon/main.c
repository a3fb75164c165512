/*
 * newsclassd - streaming news classification over ZeroMQ.
 *
 * Runs in the foreground and logs to stderr.  Configuration: defaults, then
 * the --config file, then command-line options, each key checked by the same
 * code (conf.c).  Signals only set flags that the main loop reads:
 * TERM/INT stop (finish what is in flight, exit 0), HUP reloads the models
 * (and the authorised CURVE client keys).
 *
 * Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error.
 */
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "classifier.h"
#include "conf.h"
#include "log.h"
#include "model.h"
#include "server.h"

static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t reload_flag;

static void
on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void
on_reload(int sig)
{
	(void)sig;
	reload_flag = 1;
}

static void
libsvm_print(const char *s)
{
	log_debug("libsvm: %s", s);
}

static void
usage(FILE *f)
{
	fputs(
"usage: newsclassd [--config FILE] [options] [-n]\n"
"\n"
"  -c, --config FILE       INI configuration file\n"
"  -i, --input ENDPOINT    input socket (default @tcp://127.0.0.1:5557)\n"
"      --input-type T      pull | sub\n"
"      --subscribe PREFIX  subscription of a sub input (default: all)\n"
"  -o, --output ENDPOINT   output socket (default @tcp://127.0.0.1:5558)\n"
"      --output-type T     pub | push | ack\n"
"  -C, --control ENDPOINT  control socket (default @tcp://127.0.0.1:5559)\n"
"  -m, --models DIR        directory of model bundles (default models)\n"
"  -t, --threads N         worker threads (default: one per core)\n"
"      --heartbeat SECS    heartbeat interval, 0 = off (default 5)\n"
"      --log-level L       error | warn | info | debug\n"
"  -s, --set SECTION.KEY=VALUE   any configuration key\n"
"  -n                      check the configuration, models and keys, then\n"
"                          exit\n"
"  -h, --help              this text\n"
"\n"
"Endpoints: '@' binds, '>' connects; tcp://, ipc:// and inproc:// work.\n"
"A tcp endpoint off loopback needs CURVE (--set curve.server_key=FILE) or\n"
"--set daemon.allow_insecure=true (never for the control socket).\n"
"Metrics and health over HTTP: --set http.listen=127.0.0.1:9101.\n"
"Signals: TERM/INT finish in-flight messages and exit, HUP reloads models.\n",
	    f);
}

enum {
	OPT_INPUT_TYPE = 256, OPT_OUTPUT_TYPE, OPT_SUBSCRIBE, OPT_HEARTBEAT,
	OPT_LOG_LEVEL
};

/* Map a long option to its configuration key. */
static const char *
option_key(int ch)
{
	switch (ch) {
	case 'i': return "input.endpoint";
	case OPT_INPUT_TYPE: return "input.type";
	case OPT_SUBSCRIBE: return "input.subscribe";
	case 'o': return "output.endpoint";
	case OPT_OUTPUT_TYPE: return "output.type";
	case 'C': return "control.endpoint";
	case 'm': return "models.dir";
	case 't': return "daemon.threads";
	case OPT_HEARTBEAT: return "daemon.heartbeat";
	case OPT_LOG_LEVEL: return "daemon.log_level";
	default: return NULL;
	}
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "input", required_argument, NULL, 'i' },
		{ "input-type", required_argument, NULL, OPT_INPUT_TYPE },
		{ "subscribe", required_argument, NULL, OPT_SUBSCRIBE },
		{ "output", required_argument, NULL, 'o' },
		{ "output-type", required_argument, NULL, OPT_OUTPUT_TYPE },
		{ "control", required_argument, NULL, 'C' },
		{ "models", required_argument, NULL, 'm' },
		{ "threads", required_argument, NULL, 't' },
		{ "heartbeat", required_argument, NULL, OPT_HEARTBEAT },
		{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
		{ "set", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct {
		int ch;
		const char *arg;
	} *over;
	const char *config = NULL;
	struct server *srv = NULL;
	struct sigaction sa;
	struct conf conf;
	struct err err;
	int ch, check_only = 0, nover = 0, i, rc;

	log_init("newsclassd", LOG_LEVEL_INFO);
	model_set_print(libsvm_print);
	/*
	 * Large messages get their own mappings, returned when freed: glibc
	 * would otherwise raise its threshold after the first big message
	 * and keep that much heap for good.
	 */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	over = calloc((size_t)argc, sizeof(*over));
	if (over == NULL)
		log_fatal(1, "out of memory");
	while ((ch = getopt_long(argc, argv, "c:i:o:C:m:t:s:nh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'n':
			check_only = 1;
			break;
		case 'h':
			usage(stdout);
			free(over);
			return 0;
		case '?':
			usage(stderr);
			free(over);
			return 2;
		default:
			over[nover].ch = ch;
			over[nover++].arg = optarg;
			break;
		}
	}
	if (optind != argc) {
		log_error("unexpected argument '%s'", argv[optind]);
		free(over);
		return 2;
	}

	/* Defaults, then the file, then the command line. */
	conf_default(&conf);
	rc = config ? conf_load(config, &conf, &err) : 0;
	for (i = 0; rc == 0 && i < nover; i++) {
		const char *key = option_key(over[i].ch);
		char assignment[CONF_STR + 64];

		if (key == NULL) {	/* --set */
			rc = conf_set_assignment(&conf, over[i].arg, &err);
			continue;
		}
		snprintf(assignment, sizeof(assignment), "%s=%s", key,
		    over[i].arg);
		rc = conf_set_assignment(&conf, assignment, &err);
	}
	free(over);
	if (rc == 0)
		rc = conf_check(&conf, &err);
	if (rc == 0)
		rc = server_check_curve(&conf, &err);
	if (rc == -1) {
		fprintf(stderr, "newsclassd: configuration error: %s\n",
		    err.msg);
		return 2;
	}
	log_init("newsclassd", conf.log_level);

	if (check_only) {
		struct classifier *c = NULL;

		if (classifier_load(conf.models, &c, &err) == -1 ||
		    tags_conf_check(&conf.tags, c, &err) == -1) {
			fprintf(stderr, "newsclassd: configuration error: "
			    "%s\n", err.msg);
			classifier_destroy(&c);
			return 2;
		}
		classifier_destroy(&c);
		printf("configuration OK\n");
		return 0;
	}

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;	/* no SA_RESTART: zmq_poll sees EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_reload;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	if (server_new(&conf, &srv, &err) == -1) {
		log_error("%s", err.msg);
		return 1;
	}
	sd_notify(0, "READY=1\nSTATUS=serving");
	log_info("ready");
	rc = server_run(srv, &stop_flag, &reload_flag);
	sd_notify(0, "STOPPING=1");
	server_destroy(&srv);
	log_info("stopped");
	return rc == 0 ? 0 : 1;
}
