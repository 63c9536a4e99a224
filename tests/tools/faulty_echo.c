/*
 * faulty_echo: a one-connection echo server that gets the echo wrong on
 * purpose, for testing echo-client.  Listens on 127.0.0.1 on a port the
 * kernel picks, prints "port N" on stdout, serves one client and exits.
 *
 *   echo    echo faithfully until the client half-closes, then close
 *   short   read until the client half-closes, echo all but the last byte
 *   extra   echo each chunk at once with one byte too many
 *   mangle  echo each chunk at once with the first byte ever sent changed
 *   reset   read one chunk, then abort the connection (RST)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tool.h"

static void
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			tool_die("write");
		p += w;
		n -= (size_t)w;
	}
}

static ssize_t
read_some(int fd, char *p, size_t n)
{
	ssize_t r;

	do
		r = read(fd, p, n);
	while (r == -1 && errno == EINTR);
	if (r == -1)
		tool_die("read");
	return r;
}

static void
serve(int fd, const char *mode)
{
	static char buf[65536 + 1];
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	size_t total = 0;
	ssize_t n;
	int held = 0;

	if (strcmp(mode, "reset") == 0) {
		(void)read_some(fd, buf, sizeof(buf) - 1);
		if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg,
		    sizeof(lg)) == -1)
			tool_die("setsockopt");
		return;
	}
	while ((n = read_some(fd, buf, sizeof(buf) - 1)) > 0) {
		if (strcmp(mode, "short") == 0) {
			/* Keep the last byte back until the end. */
			if (held)
				write_all(fd, buf + sizeof(buf) - 1, 1);
			write_all(fd, buf, (size_t)n - 1);
			buf[sizeof(buf) - 1] = buf[n - 1];
			held = 1;
			continue;
		}
		if (strcmp(mode, "mangle") == 0 && total == 0)
			buf[0] ^= 0x20;
		if (strcmp(mode, "extra") == 0)
			buf[n++] = 'X';
		write_all(fd, buf, (size_t)n);
		total += (size_t)n;
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int lfd;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: faulty_echo "
		    "echo|short|extra|mangle|reset\n");
		return 2;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd == -1)
		tool_die("socket");
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		tool_die("bind");
	if (listen(lfd, 1) == -1)
		tool_die("listen");
	if (getsockname(lfd, (struct sockaddr *)&sin, &len) == -1)
		tool_die("getsockname");
	printf("port %u\n", ntohs(sin.sin_port));
	if (fflush(stdout) == EOF)
		tool_die("stdout");
	do
		fd = accept(lfd, NULL, NULL);
	while (fd == -1 && errno == EINTR);
	if (fd == -1)
		tool_die("accept");
	serve(fd, argv[1]);
	if (close(fd) == -1)
		tool_die("close");
	return 0;
}
