/*
 * echo-client: send standard input to an echo server, write the echo to
 * standard output and check that it is exactly what was sent.
 * This file owns the command line, the order of things and the exit status.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dgram.h"
#include "dial.h"
#include "diag.h"
#include "relay.h"

#ifndef ECHOD_VERSION
#define ECHOD_VERSION	"unknown"
#endif

#define DEFAULT_PORT	"7"
#define MAX_WAIT_S	86400
#define UDP_WAIT_S	2	/* -w with -u, unless given */

enum exit_status {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2
};

struct options {
	int		 family;	/* AF_UNSPEC, AF_INET, AF_INET6 */
	const char	*host;
	const char	*port;
	const char	*port_opt;	/* as given with -p */
	int		 wait_ms;	/* -w; -1: wait forever */
	bool		 wait_given;
	bool		 udp;		/* -u */
	size_t		 chunk_size;	/* -s; 0: one datagram a line */
};

static void
usage(FILE *fp)
{
	fputs("usage: echo-client [-4|-6] [-p PORT] [-w SECONDS] [-v] "
	    "HOST [PORT]\n"
	    "       echo-client -u [-4|-6] [-p PORT] [-s SIZE] [-w SECONDS] "
	    "[-v] HOST [PORT]\n"
	    "       echo-client -h | -V\n", fp);
}

static void
help(void)
{
	usage(stdout);
	fputs("\n"
	    "Send standard input to the echo server at HOST, write what comes\n"
	    "back to standard output and check that it matches what was sent.\n"
	    "\n"
	    "  -4          use IPv4 addresses only\n"
	    "  -6          use IPv6 addresses only\n"
	    "  -p PORT     port number or service name "
	    "(default " DEFAULT_PORT ")\n"
	    "  -s SIZE     with -u: send chunks of SIZE bytes, 1..65507,\n"
	    "              instead of one datagram a line\n"
	    "  -u          use UDP: one datagram a line, each awaiting its\n"
	    "              reply before the next is sent\n"
	    "  -w SECONDS  give up when nothing has moved for SECONDS\n"
	    "              (0..86400; default 0, wait forever); with -u,\n"
	    "              wait SECONDS for each reply (default 2; 0 forever)\n"
	    "  -v          say more on standard error\n"
	    "  -h          show this help\n"
	    "  -V          show the version\n"
	    "\n"
	    "Exit status: 0 exact echo, 1 failure, 2 usage error.\n", stdout);
}

static void	usage_error(const char *fmt, ...)
		    __attribute__((noreturn, format(printf, 1, 2)));

/* One line saying what is wrong, the usage, exit 2. */
static void
usage_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_error("%s", msg);
	usage(stderr);
	exit(EXIT_USAGE);
}

/* Exit 0 once stdout has really taken what -h or -V printed. */
static void __attribute__((noreturn))
finish_stdout(void)
{
	if (fflush(stdout) == EOF || ferror(stdout)) {
		diag_error("write to standard output: %s", strerror(errno));
		exit(EXIT_FAIL);
	}
	exit(EXIT_OK);
}

/* dial_tcp's progress, shown with -v. */
static void
note_progress(const char *line)
{
	diag_verbose("%s", line);
}

static bool
is_all_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* Parse a decimal number in lo..hi; false if s is anything else. */
static bool
parse_number(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	if (!is_all_digits(s))
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

/*
 * A port is a number in 1..65535, or a service name for getaddrinfo to
 * look up: anything that is not all digits.
 */
static void
check_port(const char *port)
{
	long v;

	if (*port != '\0' && !is_all_digits(port))
		return;
	if (!parse_number(port, 1, 65535, &v))
		usage_error("port: expected 1..65535 or a service name, "
		    "got '%s'", port);
}

static void
set_family(struct options *o, int family)
{
	if (o->family != AF_UNSPEC && o->family != family)
		usage_error("-4 and -6 cannot be used together");
	o->family = family;
}

static void
parse_args(int argc, char **argv, struct options *o)
{
	long secs;
	long size;
	int c;

	o->family = AF_UNSPEC;
	o->host = NULL;
	o->port = DEFAULT_PORT;
	o->port_opt = NULL;
	o->wait_ms = -1;
	o->wait_given = false;
	o->udp = false;
	o->chunk_size = 0;

	/* Our own messages: getopt's would start with argv[0]. */
	opterr = 0;
	while ((c = getopt(argc, argv, ":46hp:s:uvVw:")) != -1) {
		switch (c) {
		case '4':
			set_family(o, AF_INET);
			break;
		case '6':
			set_family(o, AF_INET6);
			break;
		case 'h':
			help();
			finish_stdout();
		case 'p':
			check_port(optarg);
			o->port_opt = optarg;
			o->port = optarg;
			break;
		case 's':
			if (!parse_number(optarg, 1, DGRAM_MAX_SIZE, &size))
				usage_error("-s: expected 1..%d bytes, "
				    "got '%s'", DGRAM_MAX_SIZE, optarg);
			o->chunk_size = (size_t)size;
			break;
		case 'u':
			o->udp = true;
			break;
		case 'v':
			diag_set_verbose(true);
			break;
		case 'V':
			printf("echo-client %s\n", ECHOD_VERSION);
			finish_stdout();
		case 'w':
			if (!parse_number(optarg, 0, MAX_WAIT_S, &secs))
				usage_error("-w: expected 0..%d seconds, "
				    "got '%s'", MAX_WAIT_S, optarg);
			o->wait_ms = secs == 0 ? -1 : (int)secs * 1000;
			o->wait_given = true;
			break;
		case ':':
			usage_error("option '-%c' needs an argument", optopt);
		default:
			usage_error("unknown option '-%c'", optopt);
		}
	}
	if (o->chunk_size > 0 && !o->udp)
		usage_error("-s needs -u");
	if (o->udp && !o->wait_given)
		o->wait_ms = UDP_WAIT_S * 1000;
	argc -= optind;
	argv += optind;

	if (argc == 0)
		usage_error("missing HOST");
	if (argc > 2)
		usage_error("too many arguments, starting at '%s'", argv[2]);
	o->host = argv[0];
	if (*o->host == '\0')
		usage_error("HOST is empty");
	if (argc == 2) {
		if (o->port_opt != NULL)
			usage_error("PORT given twice: '-p %s' and '%s'",
			    o->port_opt, argv[1]);
		check_port(argv[1]);
		o->port = argv[1];
	}
}

/* A write to a reset socket or a closed pipe is an error, not death. */
static int
ignore_sigpipe(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	if (sigemptyset(&sa.sa_mask) == -1)
		return -1;
	return sigaction(SIGPIPE, &sa, NULL);
}

/* -u: the datagrams go out one by one over a connected UDP socket. */
static int
run_udp(const struct options *o)
{
	char err[512];
	int status = EXIT_OK;
	int fd;

	fd = dial_udp(o->host, o->port, o->family,
	    diag_is_verbose() ? note_progress : NULL, err, sizeof(err));
	if (fd == -1) {
		diag_error("%s", err);
		return EXIT_FAIL;
	}
	if (dgram_run(fd, o->chunk_size, o->wait_ms, err, sizeof(err)) == -1) {
		diag_error("%s", err);
		status = EXIT_FAIL;
	}
	if (close(fd) == -1) {
		diag_error("close: %s", strerror(errno));
		status = EXIT_FAIL;
	}
	return status;
}

int
main(int argc, char **argv)
{
	struct options o;
	char err[512];
	int status = EXIT_OK;
	int fd;

	parse_args(argc, argv, &o);
	if (ignore_sigpipe() == -1) {
		diag_error("sigaction: %s", strerror(errno));
		return EXIT_FAIL;
	}

	if (o.udp)
		return run_udp(&o);
	fd = dial_tcp(o.host, o.port, o.family, o.wait_ms,
	    diag_is_verbose() ? note_progress : NULL, err, sizeof(err));
	if (fd == -1) {
		diag_error("%s", err);
		return EXIT_FAIL;
	}
	if (relay_run(fd, o.wait_ms, err, sizeof(err)) == -1) {
		diag_error("%s", err);
		status = EXIT_FAIL;
	}
	if (close(fd) == -1) {
		diag_error("close: %s", strerror(errno));
		status = EXIT_FAIL;
	}
	return status;
}
