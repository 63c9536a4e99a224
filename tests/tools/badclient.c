/*
 * badclient: a client of an echo server on 127.0.0.1 that misbehaves on
 * purpose, for load tests.  Prints what happened on one line of stdout.
 *
 *   badclient reset PORT BYTES
 *	send BYTES while reading the echo, then abort the connection
 *	(SO_LINGER 0: a reset) with part of the echo still on its way:
 *	"sent N received M"
 *   badclient noread PORT SECONDS
 *	send until the server stops taking data because nothing is read
 *	(no progress for 300 ms), then wait up to SECONDS, still without
 *	reading, for the server to drop the connection:
 *	"stuck after N bytes in T s, dropped after T s" (times since the
 *	connection was made) or "stuck after N bytes in T s, still open"
 *
 * Exit status: 0 when it ran, 1 on an error, 2 on a usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define CHUNK (64 * 1024)
/* reset: give up if the transfer has not got that far by then. */
#define RESET_LIMIT_S 30
/* noread: no progress for that long means the server is stuck. */
#define STUCK_MS 300

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: badclient reset PORT BYTES\n"
	    "       badclient noread PORT SECONDS\n");
	exit(2);
}

/* A non-blocking connection to 127.0.0.1:PORT, once connected. */
static int
dial(long port)
{
	struct sockaddr_in sin;
	int flags;
	int fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((unsigned short)port);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		tool_die("socket");
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		tool_die("connect");
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		tool_die("fcntl");
	return fd;
}

static void
do_reset(int fd, long bytes)
{
	static char out[CHUNK];
	static char in[CHUNK];
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	double deadline = tool_now_s() + RESET_LIMIT_S;
	long sent = 0;
	long received = 0;

	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (char)('a' + i % 26);
	/* Stop once all is sent and the echo is flowing, but not all back. */
	while (sent < bytes || received == 0) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (sent < bytes)
			pfd.events |= POLLOUT;
		if (tool_now_s() > deadline) {
			errno = ETIMEDOUT;
			tool_die("transfer");
		}
		if (poll(&pfd, 1, 1000) == -1 && errno != EINTR)
			tool_die("poll");
		if (pfd.revents & POLLIN) {
			n = read(fd, in, sizeof(in));
			if (n == 0) {
				errno = ECONNRESET;
				tool_die("server closed");
			}
			if (n == -1 && errno != EAGAIN && errno != EINTR)
				tool_die("read");
			if (n > 0)
				received += n;
		}
		if ((pfd.revents & POLLOUT) && sent < bytes) {
			size_t len = (size_t)(bytes - sent) < sizeof(out) ?
			    (size_t)(bytes - sent) : sizeof(out);

			n = send(fd, out, len, MSG_NOSIGNAL);
			if (n == -1 && errno != EAGAIN && errno != EINTR)
				tool_die("send");
			if (n > 0)
				sent += n;
		}
	}
	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == -1)
		tool_die("setsockopt");
	if (close(fd) == -1)
		tool_die("close");
	printf("sent %ld received %ld\n", sent, received);
}

static void
do_noread(int fd, long seconds)
{
	static char out[CHUNK];
	double t0 = tool_now_s();
	double stuck_at;
	double deadline;
	long sent = 0;

	memset(out, 'x', sizeof(out));
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		ssize_t n;
		int ready;

		ready = poll(&pfd, 1, STUCK_MS);
		if (ready == -1 && errno != EINTR)
			tool_die("poll");
		if (ready == 0)
			break;
		if (pfd.revents & (POLLERR | POLLHUP)) {
			errno = ECONNRESET;
			tool_die("connection lost before the server was stuck");
		}
		n = send(fd, out, sizeof(out), MSG_NOSIGNAL);
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			tool_die("send");
		if (n > 0)
			sent += n;
	}
	stuck_at = tool_now_s();
	printf("stuck after %ld bytes in %.3f s, ", sent, stuck_at - t0);
	(void)fflush(stdout);
	deadline = stuck_at + (double)seconds;
	for (;;) {
		/* Ask only for the end of the connection: nothing is read. */
		struct pollfd pfd = { .fd = fd, .events = POLLRDHUP };
		double left = deadline - tool_now_s();
		int ready;

		if (left <= 0) {
			printf("still open\n");
			break;
		}
		ready = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (ready == -1 && errno != EINTR)
			tool_die("poll");
		if (ready > 0) {
			printf("dropped after %.3f s\n", tool_now_s() - t0);
			break;
		}
	}
	(void)close(fd);	/* done with it, whatever state it is in */
}

int
main(int argc, char **argv)
{
	int fd;

	if (argc != 4)
		usage();
	if (strcmp(argv[1], "reset") == 0) {
		long bytes = tool_number(argv[3], 1, 1L << 34, usage);

		fd = dial(tool_number(argv[2], 1, 65535, usage));
		do_reset(fd, bytes);
	} else if (strcmp(argv[1], "noread") == 0) {
		long seconds = tool_number(argv[3], 1, 3600, usage);

		fd = dial(tool_number(argv[2], 1, 65535, usage));
		do_noread(fd, seconds);
	} else {
		usage();
	}
	return fflush(stdout) == EOF ? 1 : 0;
}
