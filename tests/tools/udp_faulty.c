/*
 * udp_faulty: a UDP echo server that gets the echo wrong on purpose, for
 * testing echo-client -u.  Binds 127.0.0.1 on a port the kernel picks,
 * prints "port N" on stdout and serves until it has seen 1000 datagrams
 * or none for 30 seconds.
 *
 *   echo    echo every datagram faithfully
 *   mangle  echo every datagram with its first byte changed
 *   drop2   echo every datagram but the second one
 *   late2   hold the reply to the second datagram back until the third
 *           arrives, then send both
 *   twice   echo every datagram twice
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tool.h"

#define DATAGRAMS_MAX	1000
#define IDLE_MS		30000

static void
reply(int fd, const void *buf, size_t len, const struct sockaddr_in *to)
{
	if (sendto(fd, buf, len, 0, (const struct sockaddr *)to,
	    sizeof(*to)) == -1)
		tool_die("sendto");
}

int
main(int argc, char **argv)
{
	static char buf[65536];
	static char held[65536];
	struct sockaddr_in sin;
	struct sockaddr_in peer;
	struct pollfd pfd;
	socklen_t len = sizeof(sin);
	size_t held_len = 0;
	const char *mode;
	ssize_t n;
	int fd;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: udp_faulty "
		    "echo|mangle|drop2|late2|twice\n");
		return 2;
	}
	mode = argv[1];
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		tool_die("socket");
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		tool_die("bind");
	if (getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		tool_die("getsockname");
	printf("port %u\n", ntohs(sin.sin_port));
	if (fflush(stdout) == EOF)
		tool_die("stdout");

	pfd.fd = fd;
	pfd.events = POLLIN;
	for (int seen = 1; seen <= DATAGRAMS_MAX; seen++) {
		do
			rc = poll(&pfd, 1, IDLE_MS);
		while (rc == -1 && errno == EINTR);
		if (rc == -1)
			tool_die("poll");
		if (rc == 0)
			break;
		len = sizeof(peer);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer,
		    &len);
		if (n == -1)
			tool_die("recvfrom");
		if (strcmp(mode, "mangle") == 0 && n > 0)
			buf[0] ^= 0x20;
		if (seen == 2 && strcmp(mode, "drop2") == 0)
			continue;
		if (seen == 2 && strcmp(mode, "late2") == 0) {
			memcpy(held, buf, (size_t)n);
			held_len = (size_t)n;
			continue;
		}
		if (seen == 3 && strcmp(mode, "late2") == 0)
			reply(fd, held, held_len, &peer);
		reply(fd, buf, (size_t)n, &peer);
		if (strcmp(mode, "twice") == 0)
			reply(fd, buf, (size_t)n, &peer);
	}
	return 0;
}
