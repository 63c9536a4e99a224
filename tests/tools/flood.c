/*
 * flood: open many short connections to an echo server on 127.0.0.1, at
 * most CONCURRENCY at a time, for load tests.  Each connection sends a
 * short line, waits for it to come back, stays open DWELL milliseconds
 * more (-d, default 0) and closes; every Nth one (-a N) closes right after
 * sending instead, without reading.  Gives up on whatever is still open
 * after SECONDS (-t).  Prints one line of counts:
 *
 *   served 4500 closed 0 reset 0 refused 0 failed 0 abandoned 500
 *   unfinished 0 seconds 2.345
 *
 *   served      the whole line came back
 *   closed      end of file before the whole line came back
 *   reset       the connection was reset (ECONNRESET, EPIPE)
 *   refused     connect failed with ECONNREFUSED
 *   failed      any other error or a wrong echo (the first few are
 *               reported on stderr)
 *   abandoned   closed on purpose without reading (-a)
 *   unfinished  still open at the time limit, or never started
 *
 * Exit status: 0 when it ran (whatever the counts), 1 on a local error
 * (socket, poll), 2 on a usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define MAX_CONCURRENCY 4096
#define LINE_MAX_LEN 32
#define MAX_REPORTED 5

enum counter {
	SERVED,
	CLOSED,
	RESET,
	REFUSED,
	FAILED,
	ABANDONED,
	UNFINISHED,
	NCOUNTERS,
};

static const char *const counter_names[NCOUNTERS] = {
	"served", "closed", "reset", "refused", "failed", "abandoned",
	"unfinished",
};

enum state {
	IDLE,			/* slot free */
	CONNECTING,
	ECHOING,		/* line sent, waiting for it to come back */
	DWELLING,		/* echo back, staying open until dwell_end */
};

struct conn {
	enum state state;
	int fd;
	unsigned long seq;
	char line[LINE_MAX_LEN];
	size_t len;
	size_t got;
	double dwell_end;
};

static unsigned long counts[NCOUNTERS];
static unsigned reported;

static void
usage(void)
{
	fprintf(stderr, "usage: flood [-a N] [-c CONCURRENCY] [-d DWELL_MS] "
	    "[-n TOTAL] [-t SECONDS] PORT\n");
	exit(2);
}

static void
finish(struct conn *c, enum counter outcome, const char *why)
{
	if (outcome == FAILED && reported++ < MAX_REPORTED)
		fprintf(stderr, "flood: connection %lu: %s\n", c->seq, why);
	counts[outcome]++;
	(void)close(c->fd);	/* a client socket: nothing left to lose */
	c->fd = -1;
	c->state = IDLE;
}

static void
finish_err(struct conn *c, int err)
{
	if (err == ECONNRESET || err == EPIPE)
		finish(c, RESET, NULL);
	else if (err == ECONNREFUSED)
		finish(c, REFUSED, NULL);
	else
		finish(c, FAILED, strerror(err));
}

/* Start connection number SEQ in slot C; -1 if no socket could be made. */
static int
start(struct conn *c, const struct sockaddr_in *sin, unsigned long seq)
{
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd == -1)
		return -1;
	c->state = CONNECTING;
	c->seq = seq;
	c->got = 0;
	c->len = (size_t)snprintf(c->line, sizeof(c->line), "flood %lu\n", seq);
	if (connect(c->fd, (const struct sockaddr *)sin, sizeof(*sin)) == -1 &&
	    errno != EINPROGRESS)
		finish_err(c, errno);
	return 0;
}

/* Connecting and now writable: see whether connect worked, then send. */
static void
on_connected(struct conn *c, int abandon)
{
	int err = 0;
	socklen_t len = sizeof(err);
	ssize_t n;

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err != 0) {
		finish_err(c, err);
		return;
	}
	/* A fresh socket's buffer takes a short line whole. */
	n = send(c->fd, c->line, c->len, MSG_NOSIGNAL);
	if (n == -1) {
		finish_err(c, errno);
		return;
	}
	if ((size_t)n != c->len) {
		finish(c, FAILED, "short send");
		return;
	}
	if (abandon)
		finish(c, ABANDONED, NULL);
	else
		c->state = ECHOING;
}

static void
on_readable(struct conn *c, double dwell_s)
{
	char buf[LINE_MAX_LEN];
	ssize_t n;

	n = recv(c->fd, buf, sizeof(buf), 0);
	if (n == -1) {
		if (errno != EAGAIN && errno != EINTR)
			finish_err(c, errno);
		return;
	}
	if (n == 0) {
		/* While dwelling the echo is complete: the server ended it. */
		finish(c, c->state == DWELLING ? SERVED : CLOSED, NULL);
		return;
	}
	if (c->state != ECHOING || c->got + (size_t)n > c->len ||
	    memcmp(buf, c->line + c->got, (size_t)n) != 0) {
		finish(c, FAILED, "wrong echo");
		return;
	}
	c->got += (size_t)n;
	if (c->got < c->len)
		return;
	if (dwell_s <= 0) {
		finish(c, SERVED, NULL);
		return;
	}
	c->state = DWELLING;
	c->dwell_end = tool_now_s() + dwell_s;
}

int
main(int argc, char **argv)
{
	static struct conn conns[MAX_CONCURRENCY];
	static struct pollfd pfds[MAX_CONCURRENCY];
	static int slot_of[MAX_CONCURRENCY];
	struct sockaddr_in sin;
	unsigned long total = 1000;
	unsigned long concurrency = 100;
	unsigned long every = 0;
	unsigned long started = 0;
	double seconds = 30;
	double dwell_s = 0;
	double t0;
	double deadline;
	int ch;

	while ((ch = getopt(argc, argv, "a:c:d:n:t:")) != -1) {
		switch (ch) {
		case 'a':
			every = tool_number(optarg, 0, 1000000, usage);
			break;
		case 'c':
			concurrency = tool_number(optarg, 1, MAX_CONCURRENCY,
			    usage);
			break;
		case 'd':
			dwell_s = (double)tool_number(optarg, 0, 60000,
			    usage) / 1000;
			break;
		case 'n':
			total = tool_number(optarg, 1, 10000000, usage);
			break;
		case 't':
			seconds = (double)tool_number(optarg, 1, 3600, usage);
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1)
		usage();
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((unsigned short)tool_number(argv[optind], 1,
	    65535, usage));

	for (unsigned long i = 0; i < concurrency; i++)
		conns[i].fd = -1;
	t0 = tool_now_s();
	deadline = t0 + seconds;
	for (;;) {
		double wake = deadline;
		double t;
		nfds_t n = 0;
		int ready;

		t = tool_now_s();
		for (unsigned long i = 0; i < concurrency; i++) {
			struct conn *c = &conns[i];

			if (c->state == DWELLING && c->dwell_end <= t)
				finish(c, SERVED, NULL);
			if (c->state == IDLE && started < total &&
			    t < deadline) {
				if (start(c, &sin, started) == -1) {
					perror("flood: socket");
					return 1;
				}
				started++;
			}
			if (c->state == IDLE)
				continue;
			if (c->state == DWELLING && c->dwell_end < wake)
				wake = c->dwell_end;
			pfds[n].fd = c->fd;
			pfds[n].events = c->state == CONNECTING ? POLLOUT : POLLIN;
			slot_of[n++] = (int)i;
		}
		if (n == 0 || t >= deadline)
			break;
		ready = poll(pfds, n, (int)((wake - t) * 1000) + 1);
		if (ready == -1 && errno != EINTR) {
			perror("flood: poll");
			return 1;
		}
		for (nfds_t j = 0; ready > 0 && j < n; j++) {
			struct conn *c = &conns[slot_of[j]];

			if (pfds[j].revents == 0)
				continue;
			if (c->state == CONNECTING)
				on_connected(c, every > 0 &&
				    c->seq % every == every - 1);
			else
				on_readable(c, dwell_s);
		}
	}
	for (unsigned long i = 0; i < concurrency; i++)
		if (conns[i].state != IDLE)
			finish(&conns[i], UNFINISHED, NULL);
	counts[UNFINISHED] += total - started;
	for (int i = 0; i < NCOUNTERS; i++)
		printf("%s %lu ", counter_names[i], counts[i]);
	printf("seconds %.3f\n", tool_now_s() - t0);
	return fflush(stdout) == EOF ? 1 : 0;
}
