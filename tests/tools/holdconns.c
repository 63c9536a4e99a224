/*
 * holdconns: open COUNT TCP connections to an echo server at once, each
 * from SOURCE when given (bound before connecting, so that 127.0.0.2 and
 * 127.0.0.3 make distinct clients on Linux loopback), send a short line
 * on each and see what becomes of it within WAIT milliseconds:
 *
 *   echoed   the whole line came back
 *   closed   end of file or a reset before the whole line came back
 *   silent   nothing decisive before WAIT ran out (still open)
 *   refused  connect failed with ECONNREFUSED
 *   failed   any other error, or a wrong echo (reported on stderr)
 *
 * With -v, one line per connection first: "conn N OUTCOME MS", MS being
 * the milliseconds from the start to that outcome.  Then one summary:
 *
 *   echoed 2 closed 1 silent 0 refused 0 failed 0 ms 12
 *
 * where ms is the time until the last outcome.  With -k the echoed and
 * silent connections are then held open until a signal ends the program
 * (SIGTERM); without it, they are closed and the program exits.
 *
 * Exit status: 0 when it ran (whatever the counts), 1 on a local error,
 * 2 on a usage error.
 */
#include <sys/socket.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define MAX_CONNS 1024
#define LINE_LEN 32

enum outcome {
	PENDING,
	ECHOED,
	CLOSED,
	SILENT,
	REFUSED,
	FAILED,
	NOUTCOMES,
};

static const char *const outcome_names[NOUTCOMES] = {
	"pending", "echoed", "closed", "silent", "refused", "failed",
};

struct conn {
	int fd;
	bool connecting;
	enum outcome outcome;
	long ms;
	char line[LINE_LEN];
	size_t len;
	size_t got;
};

static struct conn conns[MAX_CONNS];
static struct timespec started;

static void __attribute__((noreturn))
usage(void)
{
	(void)fprintf(stderr, "usage: holdconns [-kv] [-n COUNT] [-s SOURCE] "
	    "[-w MS] HOST PORT\n");
	exit(2);
}

static long
elapsed_ms(void)
{
	struct timespec t;

	(void)clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)(t.tv_sec - started.tv_sec) * 1000 +
	    (t.tv_nsec - started.tv_nsec) / 1000000;
}

static struct addrinfo *
resolve(const char *host, const char *port)
{
	struct addrinfo hints = {
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
	};
	struct addrinfo *ai;
	int rc;

	if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0) {
		(void)fprintf(stderr, "holdconns: %s: %s\n", host,
		    gai_strerror(rc));
		exit(1);
	}
	return ai;
}

/* Settle C's fate; a connection that echoed stays open for -k. */
static void
settle(struct conn *c, int i, enum outcome o, const char *why)
{
	c->outcome = o;
	c->ms = elapsed_ms();
	if (o == FAILED)
		(void)fprintf(stderr, "holdconns: connection %d: %s\n", i, why);
	if (o != ECHOED && c->fd != -1) {
		(void)close(c->fd);	/* a client socket: nothing to lose */
		c->fd = -1;
	}
}

static void
settle_err(struct conn *c, int i, int err)
{
	if (err == ECONNRESET || err == EPIPE)
		settle(c, i, CLOSED, NULL);
	else if (err == ECONNREFUSED)
		settle(c, i, REFUSED, NULL);
	else
		settle(c, i, FAILED, strerror(err));
}

static void
on_writable(struct conn *c, int i)
{
	int err = 0;
	socklen_t len = sizeof(err);
	ssize_t n;

	c->connecting = false;
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err != 0) {
		settle_err(c, i, err);
		return;
	}
	/* A fresh socket's buffer takes a short line whole. */
	if ((n = send(c->fd, c->line, c->len, MSG_NOSIGNAL)) == -1)
		settle_err(c, i, errno);
	else if ((size_t)n != c->len)
		settle(c, i, FAILED, "short send");
}

static void
on_readable(struct conn *c, int i)
{
	char buf[LINE_LEN];
	ssize_t n;

	n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n == -1) {
		if (errno != EAGAIN && errno != EINTR)
			settle_err(c, i, errno);
		return;
	}
	if (n == 0) {
		settle(c, i, CLOSED, NULL);
		return;
	}
	if (c->got + (size_t)n > c->len ||
	    memcmp(buf, c->line + c->got, (size_t)n) != 0) {
		settle(c, i, FAILED, "wrong echo");
		return;
	}
	c->got += (size_t)n;
	if (c->got == c->len)
		settle(c, i, ECHOED, NULL);
}

static void
open_all(const struct addrinfo *dst, const struct addrinfo *src, int count)
{
	for (int i = 0; i < count; i++) {
		struct conn *c = &conns[i];

		c->len = (size_t)snprintf(c->line, sizeof(c->line),
		    "holdconns %d\n", i);
		c->fd = socket(dst->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		if (c->fd == -1) {
			perror("holdconns: socket");
			exit(1);
		}
		if (src != NULL && bind(c->fd, src->ai_addr,
		    src->ai_addrlen) == -1) {
			perror("holdconns: bind");
			exit(1);
		}
		c->connecting = true;
		if (connect(c->fd, dst->ai_addr, dst->ai_addrlen) == -1 &&
		    errno != EINPROGRESS)
			settle_err(c, i, errno);
	}
}

/* Poll every unsettled connection until each is settled or WAIT_MS pass. */
static int
run(int count, long wait_ms)
{
	static struct pollfd pfds[MAX_CONNS];
	static int index_of[MAX_CONNS];

	for (;;) {
		long left = wait_ms - elapsed_ms();
		nfds_t n = 0;
		int ready;

		for (int i = 0; i < count; i++) {
			if (conns[i].outcome != PENDING)
				continue;
			pfds[n].fd = conns[i].fd;
			pfds[n].events = conns[i].connecting ? POLLOUT : POLLIN;
			index_of[n++] = i;
		}
		if (n == 0)
			return 0;
		if (left <= 0)
			break;
		ready = poll(pfds, n, (int)left);
		if (ready == -1 && errno != EINTR) {
			perror("holdconns: poll");
			return -1;
		}
		for (nfds_t j = 0; ready > 0 && j < n; j++) {
			int i = index_of[j];

			if (pfds[j].revents == 0)
				continue;
			if (conns[i].connecting)
				on_writable(&conns[i], i);
			else
				on_readable(&conns[i], i);
		}
	}
	for (int i = 0; i < count; i++)
		if (conns[i].outcome == PENDING) {
			conns[i].outcome = SILENT;	/* left open */
			conns[i].ms = wait_ms;
		}
	return 0;
}

int
main(int argc, char **argv)
{
	struct addrinfo *dst;
	struct addrinfo *src = NULL;
	unsigned long counts[NOUTCOMES] = { 0 };
	const char *source = NULL;
	bool keep = false;
	bool verbose = false;
	long wait_ms = 2000;
	long last_ms = 0;
	int count = 1;
	int ch;

	while ((ch = getopt(argc, argv, "kn:s:vw:")) != -1) {
		switch (ch) {
		case 'k':
			keep = true;
			break;
		case 'n':
			count = (int)tool_number(optarg, 1, MAX_CONNS, usage);
			break;
		case 's':
			source = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		case 'w':
			wait_ms = (long)tool_number(optarg, 1, 600000, usage);
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 2)
		usage();
	dst = resolve(argv[optind], argv[optind + 1]);
	if (source != NULL)
		src = resolve(source, "0");

	(void)clock_gettime(CLOCK_MONOTONIC, &started);
	open_all(dst, src, count);
	if (run(count, wait_ms) == -1)
		return 1;
	for (int i = 0; i < count; i++) {
		counts[conns[i].outcome]++;
		if (conns[i].ms > last_ms)
			last_ms = conns[i].ms;
		if (verbose)
			(void)printf("conn %d %s %ld\n", i,
			    outcome_names[conns[i].outcome], conns[i].ms);
	}
	for (int o = ECHOED; o < NOUTCOMES; o++)
		(void)printf("%s %lu ", outcome_names[o], counts[o]);
	(void)printf("ms %ld\n", last_ms);
	if (fflush(stdout) == EOF)
		return 1;
	/* Held open until a signal ends us; the kernel closes them then. */
	while (keep)
		(void)pause();
	freeaddrinfo(dst);
	if (src != NULL)
		freeaddrinfo(src);
	return 0;
}
