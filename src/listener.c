/* listener: the listening sockets: resolve, bind, listen, keep on reload. */
#include "listener.h"

#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * A UDP socket bound to a wildcard answers from whichever address routing
 * picks, which need not be the one the client wrote to, and a client that
 * connected its socket drops such a reply.  Ask for each datagram's
 * destination address, so that udp.c can answer from it.
 */
static int
want_destination_address(int fd, int family)
{
	const int on = 1;

	if (family == AF_INET6)
		return setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on,
		    sizeof(on));
	return setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on));
}

/*
 * One socket of TYPE for ADDR at PORT.  "*" is a single dual-stack IPv6
 * socket, which also takes IPv4 clients, or an IPv4 one on a kernel
 * without IPv6.
 */
static int
open_one(const char *addr, unsigned port, int type, struct listener *out,
    char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	const char *host = strcmp(addr, "*") == 0 ? "::" : addr;
	const int on = 1;
	const int off = 0;
	int saved;
	int fd;

	/* config.c let only literals through: this cannot fail. */
	if (addr_parse(host, port, &ss, &sslen) == -1) {
		(void)snprintf(err, errlen, "unable to listen on %s: not an "
		    "address", addr);
		return -1;
	}
	fd = socket(ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1 && errno == EAFNOSUPPORT && strcmp(addr, "*") == 0) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		memset(&ss, 0, sizeof(ss));
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
		sslen = sizeof(*sin);
		fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	}
	addr_format((struct sockaddr *)&ss, out->name, sizeof(out->name));
	if (fd == -1) {
		(void)snprintf(err, errlen,
		    "unable to create a socket for %s: %s", out->name,
		    strerror(errno));
		return -1;
	}
	/*
	 * Restart at once even while old connections sit in TIME_WAIT.  Not
	 * for UDP, where it would let two services share a port.
	 */
	if (type == SOCK_STREAM &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		goto fail;
	/* "*" takes IPv4 too, whatever net.ipv6.bindv6only says. */
	if (ss.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
	    strcmp(addr, "*") == 0 ? &off : &on, sizeof(int)) == -1)
		goto fail;
	if (type == SOCK_DGRAM &&
	    want_destination_address(fd, ss.ss_family) == -1)
		goto fail;
	if (bind(fd, (struct sockaddr *)&ss, sslen) == -1)
		goto fail_bind;
	/* The kernel caps the backlog at net.core.somaxconn. */
	if (type == SOCK_STREAM && listen(fd, SOMAXCONN) == -1)
		goto fail;
	sslen = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1)
		goto fail;
	addr_format((struct sockaddr *)&ss, out->name, sizeof(out->name));
	out->port = addr_port((struct sockaddr *)&ss);
	if ((out->addr = strdup(addr)) == NULL)
		goto fail;
	out->fd = fd;
	out->type = type;
	return 0;

fail_bind:
	saved = errno;
	(void)snprintf(err, errlen, "unable to bind %s: %s", out->name,
	    strerror(saved));
	(void)close(fd);	/* never listened: nothing to lose */
	errno = saved;
	return -1;
fail:
	saved = errno;
	(void)snprintf(err, errlen, "unable to listen on %s: %s", out->name,
	    strerror(saved));
	(void)close(fd);	/* never listened: nothing to lose */
	errno = saved;
	return -1;
}

static void
close_one(struct listener *l)
{
	/* A listening socket has nothing unsent: closing loses nothing. */
	(void)close(l->fd);
	free(l->addr);
	l->fd = -1;
	l->addr = NULL;
}

static struct listener *
find(const struct listener_set *set, const char *addr, unsigned port,
    int type)
{
	for (size_t i = 0; i < set->count; i++)
		if (set->items[i].port == port && set->items[i].type == type &&
		    strcmp(set->items[i].addr, addr) == 0)
			return &set->items[i];
	return NULL;
}

static int
update_once(struct listener_set *set, char *const *addrs, size_t count,
    unsigned port, bool udp, char *err, size_t errlen)
{
	struct listener *items;
	bool *kept;		/* per old socket: part of the new set */
	size_t wanted = udp ? 2 * count : count;
	size_t done;
	int saved;

	if ((items = calloc(wanted, sizeof(*items))) == NULL ||
	    (kept = calloc(set->count + 1, sizeof(*kept))) == NULL) {
		free(items);
		(void)snprintf(err, errlen, "unable to listen: %s",
		    strerror(errno));
		return -1;
	}
	/* TCP sockets first, one per address, then the UDP ones. */
	for (done = 0; done < wanted; done++) {
		const char *addr = addrs[done % count];
		int type = done < count ? SOCK_STREAM : SOCK_DGRAM;
		struct listener *old = find(set, addr, port, type);

		if (port != 0 && old != NULL) {
			items[done] = *old;
			kept[old - set->items] = true;
			continue;
		}
		if (open_one(addr, port, type, &items[done], err, errlen) == -1)
			goto fail;
		port = items[done].port;	/* port 0: the rest share it */
	}
	for (size_t i = 0; i < set->count; i++)
		if (!kept[i])
			close_one(&set->items[i]);
	free(set->items);
	free(kept);
	set->items = items;
	set->count = wanted;
	return 0;
fail:
	/* Undo: close what this call opened; the old set stays as it was. */
	saved = errno;
	for (size_t i = 0; i < done; i++)
		if (find(set, items[i].addr, items[i].port,
		    items[i].type) == NULL)
			close_one(&items[i]);
	free(items);
	free(kept);
	errno = saved;
	return -1;
}

/* Tries for a port that every address and protocol can share. */
#define PICK_PORT_TRIES 16

int
listener_update(struct listener_set *set, char *const *addrs, size_t count,
    unsigned port, bool udp, char *err, size_t errlen)
{
	int rc;

	/*
	 * A port the kernel picked for the first socket may be taken for the
	 * others (UDP, or another address): then pick again.
	 */
	for (int i = 0; i < PICK_PORT_TRIES; i++) {
		rc = update_once(set, addrs, count, port, udp, err, errlen);
		if (rc == 0 || port != 0 || errno != EADDRINUSE)
			break;
	}
	return rc;
}

void
listener_close_all(struct listener_set *set)
{
	for (size_t i = 0; i < set->count; i++)
		close_one(&set->items[i]);
	free(set->items);
	set->items = NULL;
	set->count = 0;
}

void
listener_close_fds(const struct listener_set *set)
{
	for (size_t i = 0; i < set->count; i++)
		(void)close(set->items[i].fd);	/* the parent still has it */
}

/* A decimal number of at most MAX, or -1. */
static long
env_number(const char *name, long max)
{
	const char *s = getenv(name);
	char *end;
	long n;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtol(s, &end, 10);
	return errno != 0 || *end != '\0' || n > max ? -1 : n;
}

int
listener_passed_count(void)
{
	long pid = env_number("LISTEN_PID", LONG_MAX);
	long count = env_number("LISTEN_FDS", 64);

	/* unsetenv fails only for a malformed name. */
	(void)unsetenv("LISTEN_PID");
	(void)unsetenv("LISTEN_FDS");
	(void)unsetenv("LISTEN_FDNAMES");
	if (pid != (long)getpid() || count < 0)
		return 0;	/* not for us, or not usable */
	return (int)count;
}

int
listener_adopt(struct listener_set *set, int count, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int listening;
	int type;
	int flags;

	if ((set->items = calloc((size_t)count, sizeof(*set->items))) == NULL) {
		(void)snprintf(err, errlen, "passed sockets: %s",
		    strerror(errno));
		return -1;
	}
	for (int i = 0; i < count; i++) {
		struct listener *l = &set->items[i];
		int fd = 3 + i;

		len = sizeof(int);
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
		    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening,
		    &len) == -1 || (type == SOCK_STREAM && !listening) ||
		    (type != SOCK_STREAM && type != SOCK_DGRAM)) {
			(void)snprintf(err, errlen, "passed descriptor %d is "
			    "neither a listening TCP socket nor a UDP one", fd);
			goto fail;
		}
		len = sizeof(ss);
		if ((flags = fcntl(fd, F_GETFL)) == -1 ||
		    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1 ||
		    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 ||
		    getsockname(fd, (struct sockaddr *)&ss, &len) == -1 ||
		    (type == SOCK_DGRAM &&
		    want_destination_address(fd, ss.ss_family) == -1)) {
			(void)snprintf(err, errlen, "passed descriptor %d: %s",
			    fd, strerror(errno));
			goto fail;
		}
		addr_format((struct sockaddr *)&ss, l->name, sizeof(l->name));
		l->port = addr_port((struct sockaddr *)&ss);
		if ((l->addr = strdup(l->name)) == NULL) {
			(void)snprintf(err, errlen, "passed sockets: %s",
			    strerror(errno));
			goto fail;
		}
		l->fd = fd;
		l->type = type;
		set->count++;
	}
	return 0;
fail:
	listener_close_all(set);
	return -1;
}
