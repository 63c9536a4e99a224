/*
 * corrupt_echo: an echo server that gets the echo wrong on purpose, for
 * testing echo-bench.  Listens on 127.0.0.1 on a port the kernel picks,
 * prints "port N" on stdout and serves every client in a child process of
 * its own until it is killed; the children die with it.
 *
 *   flip    echo, but with the byte at offset FIRST (default 0: the
 *           first byte of each connection) and every 1000th after it
 *           changed
 *   close   echo the first half of the first read, then close
 *   reset   read once, then abort the connection (RST)
 *   mute    read everything and echo nothing
 *
 * Usage: corrupt_echo [flip [FIRST] | close | reset | mute]   (default flip)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tool.h"

#define FLIP_EVERY	1000

/* Write all of p; 0, or -1 when the client went away. */
static int
write_all(int fd, const unsigned char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static ssize_t
read_some(int fd, unsigned char *p, size_t n)
{
	ssize_t r;

	do
		r = read(fd, p, n);
	while (r == -1 && errno == EINTR);
	return r;
}

static void
serve(int fd, const char *mode, unsigned long long first)
{
	static unsigned char buf[65536];
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	unsigned long long offset = 0;
	ssize_t n;
	ssize_t i;

	if (strcmp(mode, "reset") == 0) {
		(void)read_some(fd, buf, sizeof(buf));
		if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg,
		    sizeof(lg)) == -1)
			tool_die("setsockopt");
		return;
	}
	if (strcmp(mode, "close") == 0) {
		n = read_some(fd, buf, sizeof(buf));
		if (n > 0)
			(void)write_all(fd, buf, (size_t)n / 2);
		return;
	}
	while ((n = read_some(fd, buf, sizeof(buf))) > 0) {
		if (strcmp(mode, "mute") == 0)
			continue;
		for (i = 0; i < n; i++)
			if (offset + (unsigned long long)i >= first &&
			    (offset + (unsigned long long)i - first) %
			    FLIP_EVERY == 0)
				buf[i] ^= 0x5a;
		offset += (unsigned long long)n;
		if (write_all(fd, buf, (size_t)n) == -1)
			return;
	}
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "flip";
	unsigned long long first = 0;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	pid_t parent = getpid();
	int lfd;
	int fd;

	if (strcmp(mode, "flip") != 0 && strcmp(mode, "close") != 0 &&
	    strcmp(mode, "reset") != 0 && strcmp(mode, "mute") != 0) {
		fprintf(stderr, "usage: corrupt_echo "
		    "[flip [FIRST] | close | reset | mute]\n");
		return 2;
	}
	if (argc > 2)
		first = strtoull(argv[2], NULL, 10);
	/* Children are not waited for. */
	if (signal(SIGCHLD, SIG_IGN) == SIG_ERR)
		tool_die("signal");
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd == -1)
		tool_die("socket");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		tool_die("bind");
	if (listen(lfd, SOMAXCONN) == -1)
		tool_die("listen");
	if (getsockname(lfd, (struct sockaddr *)&sin, &len) == -1)
		tool_die("getsockname");
	printf("port %u\n", ntohs(sin.sin_port));
	if (fflush(stdout) == EOF)
		tool_die("stdout");

	for (;;) {
		fd = accept(lfd, NULL, NULL);
		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			tool_die("accept");
		}
		switch (fork()) {
		case -1:
			tool_die("fork");
		case 0:
			/* Die with the server, whatever the client does. */
			if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 ||
			    getppid() != parent)
				_exit(1);
			close(lfd);
			serve(fd, mode, first);
			_exit(0);
		default:
			close(fd);
		}
	}
}
