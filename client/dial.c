/*
 * dial: resolve a host and port and connect to the first address that
 * answers.
 */
#include "dial.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "timer.h"

static const char *
family_name(int family)
{
	switch (family) {
	case AF_INET:
		return " as IPv4";
	case AF_INET6:
		return " as IPv6";
	default:
		return "";
	}
}

static void	tell(void (*note)(const char *), const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

/* Hand one line of progress to note, if there is one. */
static void
tell(void (*note)(const char *), const char *fmt, ...)
{
	char line[NI_MAXHOST + 128];
	va_list ap;

	if (note == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	note(line);
}

/* Wait until a non-blocking connect on fd completes; 0, or -1 with errno. */
static int
finish_connect(int fd, int timeout_ms)
{
	int64_t deadline = TIMER_NEVER;
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	socklen_t len;
	int soerr;
	int n;

	if (timeout_ms >= 0)
		deadline = timer_now_ms() + timeout_ms;
	for (;;) {
		n = poll(&pfd, 1, timer_poll_timeout(deadline));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		break;
	}
	len = sizeof(soerr);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
		return -1;
	if (soerr != 0) {
		errno = soerr;
		return -1;
	}
	return 0;
}

/* One attempt on one address: a connected socket, or -1 with errno. */
static int
try_address(const struct addrinfo *ai, int timeout_ms)
{
	int fd;
	int one = 1;
	int saved;

	fd = socket(ai->ai_family,
	    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1)
		return -1;
	/*
	 * A non-blocking connect interrupted by a signal goes on in the
	 * background, just as one that returns EINPROGRESS.
	 */
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1 &&
	    ((errno != EINPROGRESS && errno != EINTR) ||
	    finish_connect(fd, timeout_ms) == -1))
		goto out_close_fd;
	/* Lines typed one by one should go out at once, not wait for an ACK. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1)
		goto out_close_fd;
	return fd;

out_close_fd:
	saved = errno;
	/* The socket never carried data; a failing close changes nothing. */
	(void)close(fd);
	errno = saved;
	return -1;
}

int
dial_tcp(const char *host, const char *port, int family, int timeout_ms,
    void (*note)(const char *line), char *err, size_t errlen)
{
	struct addrinfo hints;
	struct addrinfo *res;
	struct addrinfo *ai;
	char addr[NI_MAXHOST];
	int last_errno = 0;
	int fd = -1;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		if (rc == EAI_SERVICE)
			snprintf(err, errlen, "cannot resolve port '%s': %s",
			    port, gai_strerror(rc));
		else
			snprintf(err, errlen, "cannot resolve '%s'%s: %s",
			    host, family_name(family), rc == EAI_SYSTEM ?
			    strerror(errno) : gai_strerror(rc));
		return -1;
	}

	for (ai = res; ai != NULL; ai = ai->ai_next) {
		rc = getnameinfo(ai->ai_addr, ai->ai_addrlen, addr,
		    sizeof(addr), NULL, 0, NI_NUMERICHOST);
		if (rc != 0)
			snprintf(addr, sizeof(addr), "(address of family %d)",
			    ai->ai_family);
		tell(note, "trying %s port %s", addr, port);
		fd = try_address(ai, timeout_ms);
		if (fd != -1) {
			tell(note, "connected to %s port %s", addr, port);
			break;
		}
		last_errno = errno;
		tell(note, "connect to %s port %s: %s", addr, port,
		    strerror(last_errno));
	}
	freeaddrinfo(res);
	if (fd == -1)
		snprintf(err, errlen, "cannot connect to %s port %s: %s", host,
		    port, strerror(last_errno));
	return fd;
}

/* Resolve host:port for a UDP socket, with the same messages as dial_tcp. */
static int
resolve_udp(const char *host, const char *port, int family,
    struct addrinfo **res, char *err, size_t errlen)
{
	struct addrinfo hints;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_protocol = IPPROTO_UDP;
	rc = getaddrinfo(host, port, &hints, res);
	if (rc == 0)
		return 0;
	if (rc == EAI_SERVICE)
		snprintf(err, errlen, "cannot resolve port '%s': %s", port,
		    gai_strerror(rc));
	else
		snprintf(err, errlen, "cannot resolve '%s'%s: %s", host,
		    family_name(family), rc == EAI_SYSTEM ? strerror(errno) :
		    gai_strerror(rc));
	return -1;
}

int
dial_udp(const char *host, const char *port, int family,
    void (*note)(const char *line), char *err, size_t errlen)
{
	struct addrinfo *res;
	struct addrinfo *ai;
	char addr[NI_MAXHOST];
	int last_errno = 0;
	int fd = -1;

	if (resolve_udp(host, port, family, &res, err, errlen) == -1)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, addr,
		    sizeof(addr), NULL, 0, NI_NUMERICHOST) != 0)
			snprintf(addr, sizeof(addr), "(address of family %d)",
			    ai->ai_family);
		fd = socket(ai->ai_family,
		    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol);
		/* A UDP connect only sets the peer: it cannot be pending. */
		if (fd != -1 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			tell(note, "sending to %s port %s", addr, port);
			break;
		}
		last_errno = errno;
		tell(note, "cannot use %s port %s: %s", addr, port,
		    strerror(last_errno));
		if (fd != -1)
			(void)close(fd);	/* nothing was sent on it */
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		snprintf(err, errlen, "cannot connect to %s port %s: %s", host,
		    port, strerror(last_errno));
	return fd;
}
