/*-------------------------------------------------------------------------
 *
 * main.c
 *	  textseq-mock's entry point: options, start-up (log, faults, delivery
 *	  reports, timers, HTTP), the port file, waiting for SIGTERM/SIGINT, a
 *	  clean stop and the one-line summary on stderr.
 *
 *	    textseq-mock [--port N] [--port-file F] [--log F] [--fault SPEC]...
 *	                 [--latency-ms N] [--threads N] [--seed N]
 *	                 [--auth SID:TOKEN] [--telnyx-key K]
 *	                 [--dlr-conninfo C [--dlr-delay-ms N]
 *	                  [--dlr-status delivered|undelivered|failed]
 *	                  [--dlr-error-code CODE]]
 *	    textseq-mock load --port N ...      (see loadgen.c)
 *
 *	  Signals are blocked before any thread starts, so only the main thread
 *	  (in sigwait) ever sees them.  Must not contain request handling.
 *
 * test/mock/main.c
 *
 *-------------------------------------------------------------------------
 */
#include "mock.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

Config		g_cfg;

typedef struct Options
{
	int			port;
	int			threads;
	const char *port_file;
	const char *log;
	const char *auth;
	const char *telnyx_key;
	const char *dlr_conninfo;
	int			dlr_delay_ms;
	const char *dlr_status;
	const char *dlr_error_code;
} Options;

/* print usage to stderr and return the exit code 2 */
static int
usage(void)
{
	fputs("usage: textseq-mock [--port N] [--port-file F] [--log F] [--fault SPEC]...\n"
		  "         [--latency-ms N] [--threads N] [--seed N] [--auth SID:TOKEN]\n"
		  "         [--telnyx-key K] [--dlr-conninfo C] [--dlr-delay-ms N]\n"
		  "         [--dlr-status delivered|undelivered|failed] [--dlr-error-code CODE]\n"
		  "       textseq-mock load --port N [--connections N] [--seconds S] [--telnyx]\n"
		  "fault SPEC: [to=+E164,][op=create|list|fetch|any,]KIND[:ARG][@P|@#N]\n"
		  "  KIND: ok delay:MS status:5xx accept_then_status:5xx error:CODE\n"
		  "        throttle:SECONDS reset accept_then_reset hang slow:MS\n", stderr);
	return 2;
}

/* strict integer option in [lo, hi]; exits on error */
static int
int_opt(const char *name, const char *s, long lo, long hi)
{
	char	   *end;
	long		v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
	{
		fprintf(stderr, "textseq-mock: --%s must be an integer in %ld..%ld\n", name, lo, hi);
		exit(2);
	}
	return (int) v;
}

/* "Basic " + base64(s) */
static char *
basic_header(const char *s)
{
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t		n = strlen(s),
				i,
				o = 6;
	char	   *out = xmalloc(6 + (n + 2) / 3 * 4 + 1);

	memcpy(out, "Basic ", 6);
	for (i = 0; i < n; i += 3)
	{
		unsigned	v = (unsigned char) s[i] << 16;

		v |= i + 1 < n ? (unsigned char) s[i + 1] << 8 : 0;
		v |= i + 2 < n ? (unsigned char) s[i + 2] : 0;
		out[o++] = tbl[(v >> 18) & 63];
		out[o++] = tbl[(v >> 12) & 63];
		out[o++] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? tbl[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

/* add a --fault spec; exits on error */
static void
fault_opt(const char *spec)
{
	char		err[300];

	if (faults_add_cli(spec, err, sizeof(err)) < 0)
	{
		fprintf(stderr, "textseq-mock: bad --fault \"%s\": %s\n", spec, err);
		exit(2);
	}
}

/* parse argv into o and g_cfg; returns 0, or an exit code */
static int
parse_args(int argc, char **argv, Options *o)
{
	static const struct option opts[] = {
		{"port", 1, NULL, 'p'}, {"port-file", 1, NULL, 'P'}, {"log", 1, NULL, 'l'},
		{"fault", 1, NULL, 'f'}, {"latency-ms", 1, NULL, 'L'}, {"threads", 1, NULL, 't'},
		{"auth", 1, NULL, 'a'}, {"telnyx-key", 1, NULL, 'k'}, {"seed", 1, NULL, 's'},
		{"dlr-conninfo", 1, NULL, 'D'}, {"dlr-delay-ms", 1, NULL, 'd'},
		{"dlr-status", 1, NULL, 'S'}, {"dlr-error-code", 1, NULL, 'E'},
		{"help", 0, NULL, 'h'}, {NULL, 0, NULL, 0}
	};
	int			c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
		switch (c)
		{
			case 'p': o->port = int_opt("port", optarg, 0, 65535); break;
			case 'P': o->port_file = optarg; break;
			case 'l': o->log = optarg; break;
			case 'f': fault_opt(optarg); break;
			case 'L': g_cfg.latency_ms = int_opt("latency-ms", optarg, 0, 600000); break;
			case 't': o->threads = int_opt("threads", optarg, 1, 64); break;
			case 'a': o->auth = optarg; break;
			case 'k': o->telnyx_key = optarg; break;
			case 's': faults_seed((uint64_t) strtoull(optarg, NULL, 10)); break;
			case 'D': o->dlr_conninfo = optarg; break;
			case 'd': o->dlr_delay_ms = int_opt("dlr-delay-ms", optarg, 0, 86400000); break;
			case 'S': o->dlr_status = optarg; break;
			case 'E': o->dlr_error_code = optarg; break;
			default: return usage();
		}
	if (optind < argc)
		return usage();
	if (o->auth != NULL && strchr(o->auth, ':') == NULL)
	{
		fputs("textseq-mock: --auth must be SID:TOKEN\n", stderr);
		return 2;
	}
	return 0;
}

/* write the port to path atomically (temp file + rename) */
static int
write_port_file(const char *path, int port)
{
	char		tmp[4096];
	FILE	   *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int) getpid());
	f = fopen(tmp, "w");
	if (f == NULL || fprintf(f, "%d\n", port) < 0 || fclose(f) != 0 ||
		rename(tmp, path) != 0)
	{
		perror(path);
		return -1;
	}
	return 0;
}

/* block the stop signals in every thread to come; ignore SIGPIPE */
static void
block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* start every part; returns the bound port or -1 */
static int
start_all(const Options *o)
{
	int			port;

	if (store_open(o->log) < 0)
		return -1;
	if (o->dlr_conninfo != NULL &&
		dlr_start(o->dlr_conninfo, o->dlr_delay_ms,
				  o->dlr_status ? o->dlr_status : "delivered", o->dlr_error_code) < 0)
		return -1;
	timers_start();
	if (server_start(o->port, o->threads, &port) < 0)
		return -1;
	return port;
}

/* stop in order: no new work, resume suspended, stop HTTP, reports, store */
static void
stop_all(void)
{
	char		line[1024];

	server_quiesce();
	timers_stop();
	server_stop();
	dlr_stop();
	stats_summary(line, sizeof(line));
	fprintf(stderr, "textseq-mock: %s\n", line);
	store_close();
	faults_free_all();
}

/* run the mock until SIGTERM or SIGINT */
int
main(int argc, char **argv)
{
	Options		o = {.port = 0, .threads = 2};
	sigset_t	set;
	int			port,
				sig,
				rc;

	if (argc > 1 && strcmp(argv[1], "load") == 0)
		return loadgen_main(argc - 1, argv + 1);
	if ((rc = parse_args(argc, argv, &o)) != 0)
		return rc;
	if (o.auth)
		g_cfg.auth_basic = basic_header(o.auth);
	if (o.telnyx_key)
	{
		char	   *h = xmalloc(strlen(o.telnyx_key) + 8);

		sprintf(h, "Bearer %s", o.telnyx_key);
		g_cfg.telnyx_bearer = h;
	}
	block_signals(&set);
	port = start_all(&o);
	if (port < 0 || (o.port_file && write_port_file(o.port_file, port) < 0))
	{
		stop_all();
		return 1;
	}
	fprintf(stderr, "textseq-mock: listening on 127.0.0.1:%d (%d threads)\n", port, o.threads);
	sigwait(&set, &sig);
	stop_all();
	free((char *) g_cfg.auth_basic);
	free((char *) g_cfg.telnyx_bearer);
	return 0;
}
