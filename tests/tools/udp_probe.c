/*
 * udp_probe: send datagrams to a UDP echo server and count the exact
 * replies, for the tests of the UDP echo service.
 *
 *   udp_probe [-b ADDR] [-P PORT] [-n COUNT] [-t MS] [-d MS] HOST PORT SIZE
 *
 * Sends COUNT (default 1) datagrams of SIZE bytes (0..65507) to HOST
 * (a numeric address) and PORT, all at once, from ADDR and PORT when -b
 * or -P is given (a PORT below 1024 needs root), then waits until every
 * one has been answered or MS milliseconds (-t, default 2000) have gone
 * by without a reply.  With -d MS it floods instead: it sends for MS
 * milliseconds as fast as it can (at most COUNT datagrams, default
 * 10,000,000), taking in the replies as they come, then waits as above.
 *
 * Datagram i carries i in its first four bytes (when SIZE >= 4) and then
 * bytes that follow from i and a seed drawn at start, so that every
 * reply can be checked without keeping what was sent.  Prints one line:
 *
 *   sent N received N exact N mismatched N duplicate N refused N
 *
 * (refused: ICMP port unreachable messages) and exits 0 when every
 * datagram sent came back exactly once, 1 otherwise, 2 on a usage error, 3
 * when something fails, and 77 when ADDR or PORT cannot be bound because
 * they are in use or need privileges.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define MAX_SIZE	65507
#define BUF_SIZE	65536
#define FLOOD_COUNT	10000000UL

struct probe {
	int		 fd;
	size_t		 size;
	unsigned long	 count;
	uint64_t	 seed;
	unsigned char	*seen;		/* per datagram: replies had */
	unsigned long	 sent;
	unsigned long	 received;
	unsigned long	 exact;
	unsigned long	 mismatched;
	unsigned long	 duplicate;
	unsigned long	 refused;
	unsigned char	 out[BUF_SIZE];
	unsigned char	 want[BUF_SIZE];
	unsigned char	 in[BUF_SIZE];
};

/* Trouble on the probe's side, told apart from a lost echo (exit 1). */
static void __attribute__((noreturn))
die(const char *what)
{
	tool_fail(3, what);
}

static void __attribute__((noreturn))
usage(void)
{
	fputs("usage: udp_probe [-b ADDR] [-P PORT] [-n COUNT] [-t MS] "
	    "[-d MS] HOST PORT SIZE\n", stderr);
	exit(2);
}

static uint64_t
splitmix(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* The content of datagram i. */
static void
fill(const struct probe *p, unsigned long i, unsigned char *buf)
{
	uint64_t state;
	size_t at = 0;

	/* Too short to carry i: every datagram is the same. */
	if (p->size < 4)
		i = 0;
	state = p->seed ^ ((uint64_t)i * UINT64_C(0x2545f4914f6cdd1d));

	if (p->size >= 4) {
		buf[0] = (unsigned char)(i >> 24);
		buf[1] = (unsigned char)(i >> 16);
		buf[2] = (unsigned char)(i >> 8);
		buf[3] = (unsigned char)i;
		at = 4;
	}
	while (at < p->size) {
		uint64_t r = splitmix(&state);

		for (int k = 0; k < 8 && at < p->size; k++, r >>= 8)
			buf[at++] = (unsigned char)r;
	}
}

static struct addrinfo *
resolve(const char *host, const char *port, int family, int flags)
{
	struct addrinfo hints;
	struct addrinfo *res;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | flags;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		fprintf(stderr, "udp_probe: %s port %s: %s\n",
		    host != NULL ? host : "*", port, gai_strerror(rc));
		exit(2);
	}
	return res;
}

/* Take in one reply, if one is waiting: true if one was. */
static bool
take_reply(struct probe *p)
{
	ssize_t n;
	unsigned long i = 0;

	n = recv(p->fd, p->in, sizeof(p->in), MSG_DONTWAIT | MSG_TRUNC);
	if (n == -1) {
		if (errno == ECONNREFUSED) {
			p->refused++;
			return true;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return false;
		die("recv");
	}
	p->received++;
	if ((size_t)n != p->size) {
		p->mismatched++;
		return true;
	}
	if (p->size >= 4)
		i = (unsigned long)p->in[0] << 24 |
		    (unsigned long)p->in[1] << 16 |
		    (unsigned long)p->in[2] << 8 | p->in[3];
	if (i >= p->sent) {
		p->mismatched++;
		return true;
	}
	fill(p, i, p->want);
	if (memcmp(p->in, p->want, p->size) != 0) {
		p->mismatched++;
	} else if (p->size < 4) {
		/* Too short to tell datagrams apart: count, do not check. */
		p->exact++;
	} else if (p->seen[i]++ > 0) {
		p->duplicate++;
	} else {
		p->exact++;
	}
	return true;
}

/* Send datagram p->sent; false when the socket cannot take it now. */
static bool
send_next(struct probe *p)
{
	fill(p, p->sent, p->out);
	if (send(p->fd, p->out, p->size, MSG_DONTWAIT) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == ENOBUFS || errno == EINTR)
			return false;
		/* An ICMP error left for an earlier datagram: not this one. */
		if (errno == ECONNREFUSED) {
			p->refused++;
			return false;
		}
		die("send");
	}
	p->sent++;
	return true;
}

static bool
all_answered(const struct probe *p)
{
	return p->exact + p->mismatched >= p->sent;
}

/* Send until COUNT are out or DEADLINE_MS, taking in replies meanwhile. */
static void
send_all(struct probe *p, int64_t deadline_ms)
{
	bool flooding = deadline_ms >= 0;
	struct pollfd pfd = { .fd = p->fd };

	while (p->sent < p->count &&
	    (deadline_ms < 0 || tool_now_ms() < deadline_ms)) {
		bool went = send_next(p);

		/* Take in the replies often enough that none is lost here. */
		if (went && flooding && p->sent % 16 != 0)
			continue;
		while (take_reply(p))
			;
		if (went)
			continue;
		pfd.events = POLLOUT | POLLIN;
		if (poll(&pfd, 1, 1) == -1 && errno != EINTR)
			die("poll");
	}
}

/* Take in replies until all are in or none has come for QUIET_MS. */
static void
collect(struct probe *p, int quiet_ms)
{
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
	int64_t deadline = tool_now_ms() + quiet_ms;
	int64_t left;

	while (!all_answered(p) && (left = deadline - tool_now_ms()) > 0) {
		if (take_reply(p)) {
			deadline = tool_now_ms() + quiet_ms;
			continue;
		}
		if (poll(&pfd, 1, (int)left) == -1 && errno != EINTR)
			die("poll");
	}
}

int
main(int argc, char **argv)
{
	static struct probe p;
	const char *bind_addr = NULL;
	const char *bind_port = NULL;
	struct addrinfo *to;
	struct addrinfo *from;
	long flood_ms = -1;
	int wait_ms = 2000;
	bool count_given = false;
	int rcvbuf = 8 << 20;
	int c;

	p.count = 1;
	while ((c = getopt(argc, argv, "b:d:n:P:t:")) != -1) {
		switch (c) {
		case 'b':
			bind_addr = optarg;
			break;
		case 'd':
			flood_ms = tool_number(optarg, 0, 600000, usage);
			break;
		case 'n':
			p.count = (unsigned long)tool_number(optarg, 0,
			    FLOOD_COUNT, usage);
			count_given = true;
			break;
		case 'P':
			(void)tool_number(optarg, 0, 65535, usage);
			bind_port = optarg;
			break;
		case 't':
			wait_ms = (int)tool_number(optarg, 0, 600000, usage);
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 3)
		usage();
	p.size = (unsigned long)tool_number(argv[optind + 2], 0, MAX_SIZE,
	    usage);
	if (flood_ms >= 0 && !count_given)
		p.count = FLOOD_COUNT;
	if ((p.seen = calloc(p.count, 1)) == NULL)
		die("calloc");
	if (getrandom(&p.seed, sizeof(p.seed), 0) != sizeof(p.seed))
		die("getrandom");

	to = resolve(argv[optind], argv[optind + 1], AF_UNSPEC, 0);
	p.fd = socket(to->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (p.fd == -1)
		die("socket");
	/* Room for the replies to a burst of big datagrams; root may go past
	 * the system limit.  A smaller buffer only means replies lost here. */
	if (setsockopt(p.fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof(rcvbuf)) == -1)
		(void)setsockopt(p.fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		    sizeof(rcvbuf));
	if (bind_addr != NULL || bind_port != NULL) {
		from = resolve(bind_addr, bind_port != NULL ? bind_port : "0",
		    to->ai_family, AI_PASSIVE);
		if (bind(p.fd, from->ai_addr, from->ai_addrlen) == -1) {
			fprintf(stderr, "udp_probe: bind: %s\n",
			    strerror(errno));
			exit(errno == EADDRINUSE || errno == EACCES ||
			    errno == EPERM ? 77 : 3);
		}
		freeaddrinfo(from);
	}
	if (connect(p.fd, to->ai_addr, to->ai_addrlen) == -1)
		die("connect");
	freeaddrinfo(to);

	send_all(&p, flood_ms >= 0 ? tool_now_ms() + flood_ms : -1);
	collect(&p, wait_ms);
	printf("sent %lu received %lu exact %lu mismatched %lu duplicate %lu "
	    "refused %lu\n", p.sent, p.received, p.exact, p.mismatched,
	    p.duplicate, p.refused);
	if (fflush(stdout) == EOF)
		die("stdout");
	return p.exact == p.sent && p.mismatched == 0 && p.duplicate == 0 &&
	    (flood_ms >= 0 || p.sent == p.count) ? 0 : 1;
}
