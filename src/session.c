/* session: a child's echo loop for one client. */
#include "session.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
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
	char peer[ADDR_TEXT_MAX];
	uint64_t echoed;
	uint64_t *echoed_total;
	const char *failed_call;
};

/*
 * The idle timeout rides on the socket: a blocking read or send that makes
 * no progress for that long fails with EAGAIN.  A send that moved some
 * bytes returns early with the count, so the clock restarts on progress.
 */
static int
set_idle_timeout(int fd, unsigned seconds)
{
	struct timeval tv = { .tv_sec = seconds };

	if (seconds == 0)
		return 0;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1)
		return -1;
	return 0;
}

static bool
is_timeout(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK;
}

static enum outcome
send_all(struct session *s, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = send(s->fd, buf, len, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			s->failed_call = "write";
			return is_timeout(errno) ? OUTCOME_IDLE : OUTCOME_ERROR;
		}
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
	struct session s = { .fd = fd, .echoed_total = echoed_total };
	struct timespec start = { 0 };
	enum outcome out;

	(void)clock_gettime(CLOCK_MONOTONIC, &start);	/* only for the log */
	addr_format(peer, s.peer, sizeof(s.peer));
	log_info("session %s: opened, pid %ld", s.peer, (long)getpid());

	if (set_idle_timeout(fd, idle_timeout_s) == -1) {
		log_warn("session %s: setsockopt", s.peer);
		(void)close(fd);
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
