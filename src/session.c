/* session: a child's echo loop for one client. */
#include "session.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "log.h"

/* Large enough that a bulk transfer costs few system calls per megabyte. */
#define SESSION_BUF_SIZE (128 * 1024)

enum outcome {
	OUTCOME_CLOSED,		/* the client closed its side; all echoed */
	OUTCOME_IDLE,		/* no progress for the idle timeout */
	OUTCOME_ERROR,		/* read or write failed: errno says why */
};

struct session {
	int fd;
	int idle_ms;		/* -1: no idle timeout */
	char peer[ADDR_TEXT_MAX];
	uint64_t echoed;
	uint64_t *echoed_total;
	const char *failed_call;
};

/*
 * For reading, the idle timeout rides on the socket: a blocking read that
 * gets nothing for that long fails with EAGAIN, and each read starts right
 * after progress.  Sending is timed by send_all itself: a blocking send
 * that timed out would report the bytes it moved before blocking as fresh
 * progress, and so keep a client that stopped reading for longer.
 */
static int
set_read_timeout(int fd, unsigned seconds)
{
	struct timeval tv = { .tv_sec = seconds };

	if (seconds == 0)
		return 0;
	return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

/*
 * Echo each chunk as soon as it is read: Nagle's algorithm would hold a
 * small echo back until the client acknowledged the previous one, which
 * a client typing or sending small messages may delay by tens of ms.
 */
static int
set_no_delay(int fd)
{
	const int on = 1;

	return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

static long
ms_until(const struct timespec *deadline)
{
	struct timespec now;

	if (clock_gettime(CLOCK_MONOTONIC, &now) == -1)
		return 0;
	return (long)(deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

/*
 * Wait until the socket takes more, but not past *DEADLINE, which is set
 * on the first wait after progress.  False when the client made no
 * progress for the idle timeout.
 */
static bool
wait_writable(struct session *s, struct timespec *deadline, bool *armed)
{
	struct pollfd pfd = { .fd = s->fd, .events = POLLOUT };
	long ms = -1;
	int rc;

	if (s->idle_ms >= 0) {
		if (!*armed) {
			if (clock_gettime(CLOCK_MONOTONIC, deadline) == -1)
				return false;
			deadline->tv_sec += s->idle_ms / 1000;
			*armed = true;
		}
		if ((ms = ms_until(deadline)) <= 0)
			return false;
	}
	do
		rc = poll(&pfd, 1, (int)ms);
	while (rc == -1 && errno == EINTR);
	return rc != 0;		/* on -1, the next send says why */
}

static bool
is_timeout(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK;
}

/* Send all of BUF; MSG_DONTWAIT, so that a full socket is timed here. */
static enum outcome
send_all(struct session *s, const char *buf, size_t len)
{
	struct timespec deadline;
	bool armed = false;	/* deadline set since the last progress */
	ssize_t n;

	while (len > 0) {
		n = send(s->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			s->failed_call = "write";
			if (!is_timeout(errno))
				return OUTCOME_ERROR;
			if (!wait_writable(s, &deadline, &armed))
				return OUTCOME_IDLE;
			continue;
		}
		armed = false;
		buf += n;
		len -= (size_t)n;
		s->echoed += (uint64_t)n;
		if (s->echoed_total != NULL)
			__atomic_fetch_add(s->echoed_total, (uint64_t)n,
			    __ATOMIC_RELAXED);
	}
	return OUTCOME_CLOSED;
}

/*
 * Read a chunk, send all of it, repeat.  When read returns 0 the client
 * has shut down its side and everything it sent has been sent back.
 */
static enum outcome
echo_loop(struct session *s)
{
	char buf[SESSION_BUF_SIZE];
	enum outcome out;
	ssize_t n;

	for (;;) {
		n = read(s->fd, buf, sizeof(buf));
		if (n == 0)
			return OUTCOME_CLOSED;
		if (n == -1) {
			if (errno == EINTR)
				continue;
			s->failed_call = "read";
			return is_timeout(errno) ? OUTCOME_IDLE : OUTCOME_ERROR;
		}
		if ((out = send_all(s, buf, (size_t)n)) != OUTCOME_CLOSED)
			return out;
	}
}

static double
seconds_since(const struct timespec *start)
{
	struct timespec now;

	if (clock_gettime(CLOCK_MONOTONIC, &now) == -1)
		return 0;
	return (double)(now.tv_sec - start->tv_sec) +
	    (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

int
session_run(int fd, const struct sockaddr *peer, unsigned idle_timeout_s,
    uint64_t *echoed_total)
{
	struct session s = {
		.fd = fd,
		.idle_ms = idle_timeout_s > 0 ? (int)idle_timeout_s * 1000 : -1,
		.echoed_total = echoed_total,
	};
	struct timespec start = { 0 };
	enum outcome out;

	(void)clock_gettime(CLOCK_MONOTONIC, &start);	/* only for the log */
	addr_format(peer, s.peer, sizeof(s.peer));
	log_info("session %s: opened, pid %ld", s.peer, (long)getpid());

	if (set_read_timeout(fd, idle_timeout_s) == -1 ||
	    (peer->sa_family != AF_UNIX && set_no_delay(fd) == -1)) {
		log_warn("session %s: setsockopt", s.peer);
		(void)close(fd);	/* nothing was read or sent yet */
		return 1;
	}
	out = echo_loop(&s);
	switch (out) {
	case OUTCOME_IDLE:
		log_msg(LEVEL_NOTICE, "session %s: idle for %u s, closing",
		    s.peer, idle_timeout_s);
		break;
	case OUTCOME_ERROR:
		log_warn("session %s: %s", s.peer, s.failed_call);
		break;
	case OUTCOME_CLOSED:
		break;
	}
	/* All data is either sent or undeliverable; nothing left to lose. */
	(void)close(fd);
	log_info("session %s: closed, %llu bytes echoed in %.3f s", s.peer,
	    (unsigned long long)s.echoed, seconds_since(&start));
	return out == OUTCOME_CLOSED ? 0 : 1;
}
