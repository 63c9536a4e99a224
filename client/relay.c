/*
 * relay: the poll loop that moves bytes between stdin, the server and
 * stdout, and the running checksums that prove the echo matches.
 *
 * Standard input and output are left blocking: they may be shared with
 * the shell or a terminal, and O_NONBLOCK would leak to them.  Input is
 * only read when poll() says so and the send buffer is empty; output is
 * written whole, which may wait for the reader but never for the server,
 * so a server that stops reading cannot deadlock us.  The socket is
 * non-blocking, so a full send buffer never stops us reading the echo.
 */
#include "relay.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "diag.h"
#include "io.h"
#include "timer.h"

#define RELAY_BUF_SIZE	(128 * 1024)

#define FNV64_OFFSET	UINT64_C(0xcbf29ce484222325)
#define FNV64_PRIME	UINT64_C(0x00000100000001b3)

struct relay {
	int		 sock;
	int		 idle_ms;
	int64_t		 started_ms;
	int64_t		 moved_ms;	/* when a byte last moved */
	bool		 in_eof;	/* read 0 from stdin */
	bool		 shut_wr;	/* sent our FIN */
	size_t		 out_off;	/* start of what is unsent */
	size_t		 out_len;
	uint64_t	 sent;
	uint64_t	 received;
	uint64_t	 sent_hash;	/* FNV-1a of all bytes sent */
	uint64_t	 received_hash;	/* FNV-1a of all received */
	char		*err;
	size_t		 errlen;
	unsigned char	 out[RELAY_BUF_SIZE];
	unsigned char	 in[RELAY_BUF_SIZE];
};

static uint64_t
fnv1a(uint64_t hash, const unsigned char *p, size_t n)
{
	const unsigned char *end = p + n;

	while (p < end) {
		hash ^= *p++;
		hash *= FNV64_PRIME;
	}
	return hash;
}

static int	fail(struct relay *r, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

static int
fail(struct relay *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, r->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int
fail_counts(struct relay *r, const char *what)
{
	return fail(r, "%s: sent %" PRIu64 " bytes, received %" PRIu64,
	    what, r->sent, r->received);
}

/* Both directions have carried the same number of bytes: they must match. */
static int
check_in_step(struct relay *r)
{
	if (r->received == r->sent && r->received_hash != r->sent_hash)
		return fail(r, "echo differs from what was sent "
		    "(within the first %" PRIu64 " bytes)", r->sent);
	return 0;
}

/* Read once from the server: 1 on data, 0 once it has closed, -1 on failure. */
static int
receive(struct relay *r)
{
	ssize_t n;

	n = recv(r->sock, r->in, sizeof(r->in), 0);
	if (n == -1 && io_is_retry_error(errno))
		return 1;
	if (n == -1 && errno == ECONNRESET)
		return fail_counts(r, "connection reset by peer");
	if (n == -1)
		return fail(r, "receive: %s", strerror(errno));
	if (n == 0)
		return 0;
	r->moved_ms = timer_now_ms();
	r->received += (uint64_t)n;
	r->received_hash = fnv1a(r->received_hash, r->in, (size_t)n);
	/* Standard output shows what came back, even when it is wrong. */
	if (io_write_stdout(r->in, (size_t)n) == -1)
		return fail(r, "write to standard output: %s", strerror(errno));
	if (r->received > r->sent)
		return fail_counts(r, "received more than was sent");
	if (check_in_step(r) == -1)
		return -1;
	return 1;
}

/* Read once from standard input into the (empty) send buffer. */
static int
read_input(struct relay *r)
{
	ssize_t n;

	n = read(STDIN_FILENO, r->out, sizeof(r->out));
	if (n == -1 && io_is_retry_error(errno))
		return 0;
	if (n == -1)
		return fail(r, "read from standard input: %s", strerror(errno));
	if (n == 0) {
		r->in_eof = true;
		return 0;
	}
	r->out_off = 0;
	r->out_len = (size_t)n;
	return 0;
}

/* Send as much of the send buffer as the socket takes now. */
static int
transmit(struct relay *r)
{
	ssize_t n;

	while (r->out_off < r->out_len) {
		n = send(r->sock, r->out + r->out_off, r->out_len - r->out_off,
		    MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n == -1 && errno == ECONNRESET)
			return fail_counts(r, "connection reset by peer");
		if (n == -1 && errno == EPIPE)
			return fail_counts(r, "server closed the connection "
			    "before the end of input");
		if (n == -1)
			return fail(r, "send: %s", strerror(errno));
		r->moved_ms = timer_now_ms();
		r->sent_hash = fnv1a(r->sent_hash, r->out + r->out_off,
		    (size_t)n);
		r->sent += (uint64_t)n;
		r->out_off += (size_t)n;
	}
	r->out_off = 0;
	r->out_len = 0;
	return check_in_step(r);
}

/* The server has closed: judge what it sent back. */
static int
judge(struct relay *r)
{
	int64_t ms;

	if (!r->in_eof || r->out_len > 0)
		return fail_counts(r, "server closed the connection "
		    "before the end of input");
	if (r->received < r->sent)
		return fail_counts(r, "short echo");
	if (check_in_step(r) == -1)
		return -1;
	ms = timer_now_ms() - r->started_ms;
	diag_verbose("server closed; %" PRIu64 " bytes echoed intact "
	    "in %" PRId64 ".%03" PRId64 " s", r->sent, ms / 1000, ms % 1000);
	return 0;
}

static int
half_close(struct relay *r)
{
	diag_verbose("end of input after %" PRIu64 " bytes, half-closing",
	    r->sent);
	if (shutdown(r->sock, SHUT_WR) == -1) {
		if (errno == ENOTCONN || errno == ECONNRESET)
			return fail_counts(r, "connection reset by peer");
		return fail(r, "shutdown: %s", strerror(errno));
	}
	r->shut_wr = true;
	return 0;
}

static int
loop(struct relay *r)
{
	struct pollfd pfd[2];
	nfds_t nfds;
	int64_t deadline;
	int ready;
	int rc;

	for (;;) {
		if (r->in_eof && r->out_len == 0 && !r->shut_wr &&
		    half_close(r) == -1)
			return -1;

		pfd[0].fd = r->sock;
		pfd[0].events = POLLIN | (r->out_len > 0 ? POLLOUT : 0);
		pfd[0].revents = 0;
		nfds = 1;
		if (!r->in_eof && r->out_len == 0) {
			pfd[1].fd = STDIN_FILENO;
			pfd[1].events = POLLIN;
			pfd[1].revents = 0;
			nfds = 2;
		}
		deadline = TIMER_NEVER;
		if (r->idle_ms >= 0)
			deadline = r->moved_ms + r->idle_ms;
		ready = poll(pfd, nfds, timer_poll_timeout(deadline));
		if (ready == -1 && errno == EINTR)
			continue;
		if (ready == -1)
			return fail(r, "poll: %s", strerror(errno));
		if (ready == 0) {
			if (timer_poll_timeout(deadline) != 0)
				continue;
			return fail(r, "timed out after %d s with nothing "
			    "moving: sent %" PRIu64 " bytes, received %" PRIu64,
			    r->idle_ms / 1000, r->sent, r->received);
		}

		if (pfd[0].revents & POLLNVAL)
			return fail(r, "poll: socket not open");
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			rc = receive(r);
			if (rc == -1)
				return -1;
			if (rc == 0)
				return judge(r);
		}
		if (nfds == 2 && (pfd[1].revents & POLLNVAL))
			return fail(r, "read from standard input: %s",
			    strerror(EBADF));
		if (nfds == 2 &&
		    (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    read_input(r) == -1)
			return -1;
		/* Fresh input goes out at once, without another poll round. */
		if (r->out_len > 0 && transmit(r) == -1)
			return -1;
	}
}

int
relay_run(int sock, int idle_ms, char *err, size_t errlen)
{
	/* Static: the two buffers are too big for the stack. */
	static struct relay r;

	memset(&r, 0, sizeof(r));
	r.sock = sock;
	r.idle_ms = idle_ms;
	r.started_ms = timer_now_ms();
	r.moved_ms = r.started_ms;
	r.sent_hash = FNV64_OFFSET;
	r.received_hash = FNV64_OFFSET;
	r.err = err;
	r.errlen = errlen;
	return loop(&r);
}
