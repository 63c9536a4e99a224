/*
 * echo-bench: a load generator for TCP echo servers that checks every byte
 * it gets back.  This file owns the command line, the descriptor limit,
 * the report and the exit status; bench_scenarios.c runs the load.
 */
#include "bench.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench_report.h"

#ifndef ECHOD_VERSION
#define ECHOD_VERSION	"0.1.0"
#endif

#define MAX_CONNS		100000
#define MAX_SIZE		((size_t)1 << 30)
#define MAX_SECONDS		86400.0
#define DEFAULT_SIZE		64
#define DEFAULT_BULK_SIZE	(64 * 1024)
#define DEFAULT_WINDOW		(256 * 1024)
#define DEFAULT_SECONDS		5.0
#define DEFAULT_TIMEOUT		5.0
#define SPARE_FDS		16	/* stdio, epoll and some slack */

enum exit_status {
	EXIT_OK = 0,
	EXIT_ERRORS = 1,
	EXIT_USAGE = 2
};

static void
usage(FILE *fp)
{
	fputs("usage: echo-bench [-c CONNS] [-s SIZE] [-d SECONDS] "
	    "[-w WINDOW]\n"
	    "                  [-t SECONDS] [--json] SCENARIO HOST PORT\n"
	    "       echo-bench -h | -V\n", fp);
}

static void
help(void)
{
	usage(stdout);
	fputs("\n"
	    "Load a TCP echo server and check every byte that comes back.\n"
	    "\n"
	    "Scenarios:\n"
	    "  conn      connect, send SIZE bytes, read them back, close,\n"
	    "            and again\n"
	    "  pingpong  CONNS connections, each sending SIZE bytes and\n"
	    "            waiting for them before sending more\n"
	    "  bulk      CONNS connections streaming SIZE-byte writes with at\n"
	    "            most WINDOW bytes on their way, reading meanwhile\n"
	    "  idle      open CONNS connections, echo one byte on each, hold\n"
	    "            them for SECONDS (0: until SIGINT or SIGTERM)\n"
	    "\n"
	    "  -c CONNS    connections at once (1..100000; default 1)\n"
	    "  -s SIZE     payload, bulk's write size (default 64, bulk 64k)\n"
	    "  -d SECONDS  how long to run (default 5)\n"
	    "  -w WINDOW   bulk: bytes on their way (default 256k)\n"
	    "  -t SECONDS  an error when nothing moves so long (default 5)\n"
	    "  --json      the report as one JSON object\n"
	    "  -h          show this help\n"
	    "  -V          show the version\n"
	    "SIZE and WINDOW take a k, m or g suffix (powers of 1024).\n"
	    "\n"
	    "Exit status: 0 no error, 1 any error or mismatch, 2 usage.\n",
	    stdout);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "echo-bench: %s\n", msg);
	usage(stderr);
	exit(EXIT_USAGE);
}

/* A decimal count with an optional k, m or g suffix, 1..max; -1 if not. */
static int
parse_size(const char *s, size_t max, size_t *out)
{
	unsigned long long v;
	unsigned shift = 0;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		end++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		end++;
		break;
	default:
		break;
	}
	if (*end != '\0' || v == 0 || v > (unsigned long long)max >> shift)
		return -1;
	*out = (size_t)(v << shift);
	return 0;
}

/* Decimal seconds ("1", "0.5"), min..MAX_SECONDS, as ns; -1 if not. */
static int
parse_seconds(const char *s, double min, int64_t *out_ns)
{
	const char *p = s;
	bool digits = false;
	bool dot = false;
	double v;

	for (; *p != '\0'; p++) {
		if (isdigit((unsigned char)*p))
			digits = true;
		else if (*p == '.' && !dot)
			dot = true;
		else
			return -1;
	}
	if (!digits)
		return -1;
	v = strtod(s, NULL);
	if (!(v >= min) || v > MAX_SECONDS)
		return -1;
	*out_ns = (int64_t)llround(v * 1e9);
	return 0;
}

static int
parse_scenario(const char *s, enum bench_scenario *out)
{
	static const enum bench_scenario all[] = {
		SCENARIO_CONN, SCENARIO_PINGPONG, SCENARIO_BULK, SCENARIO_IDLE
	};
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(s, report_scenario_name(all[i])) == 0) {
			*out = all[i];
			return 0;
		}
	return -1;
}

/* A port number 1..65535 or a service name. */
static bool
is_port(const char *s)
{
	size_t size;

	if (s[0] == '\0')
		return false;
	if (isdigit((unsigned char)s[0]))
		return parse_size(s, 65535, &size) == 0 &&
		    strspn(s, "0123456789") == strlen(s);
	return strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == strlen(s);
}

static void
parse_args(int argc, char **argv, struct bench_options *opt)
{
	static const struct option longopts[] = {
		{ "connections", required_argument, NULL, 'c' },
		{ "size", required_argument, NULL, 's' },
		{ "duration", required_argument, NULL, 'd' },
		{ "window", required_argument, NULL, 'w' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *duration_arg = NULL;
	bool size_given = false;
	size_t n;
	int ch;

	memset(opt, 0, sizeof(*opt));
	opt->conns = 1;
	opt->window = DEFAULT_WINDOW;
	opt->duration_ns = (int64_t)(DEFAULT_SECONDS * 1e9);
	opt->timeout_ns = (int64_t)(DEFAULT_TIMEOUT * 1e9);

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":c:s:d:w:t:hV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			if (strspn(optarg, "0123456789") != strlen(optarg) ||
			    parse_size(optarg, MAX_CONNS, &n) == -1)
				usage_error("-c: expected 1..%d connections, "
				    "got '%s'", MAX_CONNS, optarg);
			opt->conns = (unsigned)n;
			break;
		case 's':
			if (parse_size(optarg, MAX_SIZE, &opt->size) == -1)
				usage_error("-s: expected a size of 1 byte to "
				    "1g, got '%s'", optarg);
			size_given = true;
			break;
		case 'd':
			duration_arg = optarg;
			break;
		case 'w':
			if (parse_size(optarg, MAX_SIZE, &opt->window) == -1)
				usage_error("-w: expected a size of 1 byte to "
				    "1g, got '%s'", optarg);
			break;
		case 't':
			if (parse_seconds(optarg, 0.001,
			    &opt->timeout_ns) == -1)
				usage_error("-t: expected 0.001..86400 "
				    "seconds, got '%s'", optarg);
			break;
		case 'j':
			opt->json = true;
			break;
		case 'h':
			help();
			exit(EXIT_OK);
		case 'V':
			printf("echo-bench %s\n", ECHOD_VERSION);
			exit(EXIT_OK);
		case ':':
			usage_error("option '%s' needs an argument",
			    argv[optind - 1]);
		default:
			if (optopt != 0)
				usage_error("unknown option '-%c'", optopt);
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind < 3)
		usage_error("expected SCENARIO HOST PORT");
	if (argc - optind > 3)
		usage_error("unexpected argument '%s'", argv[optind + 3]);
	if (parse_scenario(argv[optind], &opt->scenario) == -1)
		usage_error("unknown scenario '%s' (expected conn, pingpong, "
		    "bulk or idle)", argv[optind]);
	opt->host = argv[optind + 1];
	opt->port = argv[optind + 2];
	if (opt->host[0] == '\0')
		usage_error("empty HOST");
	if (!is_port(opt->port))
		usage_error("expected a port 1..65535 or a service name, "
		    "got '%s'", opt->port);

	/* idle holds until a signal with -d 0; the others need a time. */
	if (duration_arg != NULL &&
	    parse_seconds(duration_arg,
	    opt->scenario == SCENARIO_IDLE ? 0.0 : 0.001,
	    &opt->duration_ns) == -1)
		usage_error("-d: expected %s..86400 seconds, got '%s'",
		    opt->scenario == SCENARIO_IDLE ? "0" : "0.001",
		    duration_arg);
	if (!size_given)
		opt->size = opt->scenario == SCENARIO_BULK ?
		    DEFAULT_BULK_SIZE : DEFAULT_SIZE;
	if (opt->scenario == SCENARIO_IDLE)
		opt->size = 1;
	opt->progress = !opt->json && isatty(STDOUT_FILENO);
}

/* Make room for a descriptor per connection; -1 when the limit forbids. */
static int
raise_fd_limit(unsigned conns)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)conns + SPARE_FDS;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return -1;
	if (rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
		fprintf(stderr, "echo-bench: %u connections need %llu "
		    "descriptors, the hard limit is %llu\n", conns,
		    (unsigned long long)need, (unsigned long long)rl.rlim_max);
		return -1;
	}
	rl.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
		fprintf(stderr, "echo-bench: setrlimit: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static struct bench_result res;
	struct bench_options opt;
	char err[512];

	parse_args(argc, argv, &opt);
	if (raise_fd_limit(opt.conns) == -1)
		return EXIT_ERRORS;
	/* Writes to a closed connection fail with EPIPE; no signal wanted. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		fprintf(stderr, "echo-bench: signal: %s\n", strerror(errno));
		return EXIT_ERRORS;
	}
	if (bench_run(&opt, &res, err, sizeof(err)) == -1) {
		fprintf(stderr, "echo-bench: %s\n", err);
		return EXIT_ERRORS;
	}
	if (opt.json)
		report_json(stdout, &opt, &res);
	else
		report_text(stdout, &opt, &res);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "echo-bench: stdout: %s\n", strerror(errno));
		return EXIT_ERRORS;
	}
	return report_error_total(&res) > 0 ? EXIT_ERRORS : EXIT_OK;
}
