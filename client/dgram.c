/*
 * dgram: echo-client over UDP.  One datagram is in flight at a time: it
 * is sent, its reply awaited up to the wait time and compared with it,
 * and only then is the next one read and sent.  A reply thus arrives
 * within one round trip on a working path, and a loss costs one wait.
 *
 * A reply that comes too late for its datagram, or twice, would be taken
 * for the reply to the next one and make every later datagram look
 * mismatched.  So the length and hash of the last few datagrams are kept,
 * and a reply equal to one of them rather than to the datagram in flight
 * is counted as stray and set aside.
 *
 * Standard input and output stay blocking, as in relay.c: nothing needs
 * them while a datagram is in flight.
 */
#include "dgram.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "diag.h"
#include "io.h"
#include "timer.h"

/* Bigger than any UDP payload (IPv6: 65535 - 8), plus room for a newline. */
#define REPLY_BUF_SIZE	65536
/* Datagrams remembered to recognise late and repeated replies. */
#define RECENT_COUNT	16
/* Problems reported one by one; after that, only the totals. */
#define INCIDENTS_MAX	10
/* How often a send refused for an earlier datagram's error is retried. */
#define SEND_TRIES	3

#define FNV64_OFFSET	UINT64_C(0xcbf29ce484222325)
#define FNV64_PRIME	UINT64_C(0x00000100000001b3)

struct recent {
	size_t		 len;
	uint64_t	 hash;
};

struct dgram {
	int		 sock;
	size_t		 chunk_size;	/* 0: one line per datagram */
	int		 wait_ms;
	int64_t		 started_ms;
	uint64_t	 sent;		/* datagrams */
	uint64_t	 sent_bytes;
	uint64_t	 echoed;
	uint64_t	 lost;
	uint64_t	 mismatched;
	uint64_t	 stray;
	uint64_t	 incidents;
	struct recent	 recent[RECENT_COUNT];
	size_t		 recent_count;
	size_t		 recent_next;
	const unsigned char *out;	/* the datagram in flight */
	size_t		 out_len;
	char		*line;		/* getline's buffer */
	size_t		 line_cap;
	char		*err;
	size_t		 errlen;
	unsigned char	 chunk[DGRAM_MAX_SIZE];
	unsigned char	 in[REPLY_BUF_SIZE + 1];
};

static uint64_t
fnv1a(const unsigned char *p, size_t n)
{
	uint64_t hash = FNV64_OFFSET;

	for (size_t i = 0; i < n; i++) {
		hash ^= p[i];
		hash *= FNV64_PRIME;
	}
	return hash;
}

static int	fail(struct dgram *d, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

static int
fail(struct dgram *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->err, d->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static void	incident(struct dgram *d, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

/* Report a problem with the datagram in flight, up to INCIDENTS_MAX. */
static void
incident(struct dgram *d, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	d->incidents++;
	if (d->incidents > INCIDENTS_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	diag_error("datagram %" PRIu64 " (%zu bytes): %s", d->sent, d->out_len,
	    what);
	if (d->incidents == INCIDENTS_MAX)
		diag_error("further problems are only counted");
}

/* Read the next line into d->out: 1, 0 at the end of input, or -1. */
static int
next_line(struct dgram *d)
{
	ssize_t n;

	errno = 0;
	n = getline(&d->line, &d->line_cap, stdin);
	if (n == -1 && ferror(stdin))
		return fail(d, "read from standard input: %s",
		    strerror(errno != 0 ? errno : EIO));
	if (n == -1)
		return 0;
	if (d->line[n - 1] == '\n')
		n--;
	if ((size_t)n > DGRAM_MAX_SIZE)
		return fail(d, "line %" PRIu64 " has %zd bytes, more than "
		    "the %d a datagram can carry", d->sent + 1, n,
		    DGRAM_MAX_SIZE);
	d->out = (const unsigned char *)d->line;
	d->out_len = (size_t)n;
	return 1;
}

/* Read up to chunk_size bytes into d->out: 1, 0 at the end of input, or -1. */
static int
next_chunk(struct dgram *d)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	size_t got = 0;
	ssize_t n;

	while (got < d->chunk_size) {
		n = read(STDIN_FILENO, d->chunk + got, d->chunk_size - got);
		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n == 0)
			break;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
				return fail(d, "poll: %s", strerror(errno));
			continue;
		}
		if (errno != EINTR)
			return fail(d, "read from standard input: %s",
			    strerror(errno));
	}
	if (got == 0)
		return 0;
	d->out = d->chunk;
	d->out_len = got;
	return 1;
}

/*
 * Send the datagram in flight.  A send can fail with the error an ICMP
 * message left for an earlier datagram; the kernel then clears it, so the
 * send is tried again.
 */
static int
transmit(struct dgram *d)
{
	struct pollfd pfd = { .fd = d->sock, .events = POLLOUT };
	int tries = 0;

	d->sent++;
	d->sent_bytes += d->out_len;
	for (;;) {
		if (send(d->sock, d->out, d->out_len, 0) != -1)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno == ECONNREFUSED && ++tries < SEND_TRIES)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == ENOBUFS) {
			/* The send buffer drains by itself: wait a little. */
			if (poll(&pfd, 1, 10) == -1 && errno != EINTR)
				return fail(d, "poll: %s", strerror(errno));
			continue;
		}
		return fail(d, "datagram %" PRIu64 " (%zu bytes): send: %s",
		    d->sent, d->out_len, strerror(errno));
	}
}

static bool
is_recent(const struct dgram *d, const unsigned char *p, size_t len)
{
	uint64_t hash = 0;
	bool hashed = false;

	for (size_t i = 0; i < d->recent_count; i++) {
		if (d->recent[i].len != len)
			continue;
		if (!hashed) {
			hash = fnv1a(p, len);
			hashed = true;
		}
		if (d->recent[i].hash == hash)
			return true;
	}
	return false;
}

/* The datagram in flight is settled: remember it for is_recent. */
static void
remember(struct dgram *d)
{
	d->recent[d->recent_next].len = d->out_len;
	d->recent[d->recent_next].hash = fnv1a(d->out, d->out_len);
	d->recent_next = (d->recent_next + 1) % RECENT_COUNT;
	if (d->recent_count < RECENT_COUNT)
		d->recent_count++;
}

/*
 * Judge one reply of len bytes (truncated to what fits in d->in): 1 when
 * it settles the datagram in flight, 0 when it is stray, -1 on failure.
 */
static int
judge(struct dgram *d, size_t len)
{
	size_t got = len < REPLY_BUF_SIZE ? len : REPLY_BUF_SIZE;

	if (len == d->out_len && memcmp(d->in, d->out, len) == 0) {
		d->echoed++;
	} else if (len == got && is_recent(d, d->in, len)) {
		d->stray++;
		incident(d, "set aside a late or repeated reply (%zu bytes) "
		    "to an earlier datagram", len);
		return 0;
	} else {
		d->mismatched++;
		incident(d, "the reply differs (%zu bytes)", len);
	}
	/* Standard output shows what came back, even when it is wrong. */
	if (d->chunk_size == 0)
		d->in[got++] = '\n';
	if (io_write_stdout(d->in, got) == -1)
		return fail(d, "write to standard output: %s", strerror(errno));
	return 1;
}

/* Wait for the reply to the datagram in flight and judge it. */
static int
await_reply(struct dgram *d)
{
	struct pollfd pfd = { .fd = d->sock, .events = POLLIN };
	int64_t deadline = TIMER_NEVER;
	ssize_t n;
	int rc;

	if (d->wait_ms >= 0)
		deadline = timer_now_ms() + d->wait_ms;
	for (;;) {
		n = recv(d->sock, d->in, REPLY_BUF_SIZE, MSG_TRUNC);
		if (n >= 0) {
			rc = judge(d, (size_t)n);
			if (rc != 0)
				return rc;
			continue;
		}
		if (errno == ECONNREFUSED) {
			d->lost++;
			incident(d, "no reply: %s", strerror(errno));
			return 0;
		}
		if (!io_is_retry_error(errno))
			return fail(d, "receive: %s", strerror(errno));
		if (errno == EINTR)
			continue;
		rc = poll(&pfd, 1, timer_poll_timeout(deadline));
		if (rc == -1 && errno != EINTR)
			return fail(d, "poll: %s", strerror(errno));
		if (rc == 0 && timer_poll_timeout(deadline) == 0) {
			d->lost++;
			incident(d, "no reply within %d s", d->wait_ms / 1000);
			return 0;
		}
	}
}

static int
loop(struct dgram *d)
{
	int rc;

	for (;;) {
		rc = d->chunk_size == 0 ? next_line(d) : next_chunk(d);
		if (rc <= 0)
			return rc;
		if (transmit(d) == -1 || await_reply(d) == -1)
			return -1;
		remember(d);
	}
}

/* The totals, with -v; the verdict. */
static int
conclude(struct dgram *d)
{
	int64_t ms = timer_now_ms() - d->started_ms;
	char stray[64] = "";

	diag_verbose("sent %" PRIu64 " datagrams (%" PRIu64 " bytes) in "
	    "%" PRId64 ".%03" PRId64 " s: %" PRIu64 " echoed exactly, "
	    "%" PRIu64 " lost, %" PRIu64 " mismatched, %" PRIu64 " stray "
	    "replies", d->sent, d->sent_bytes, ms / 1000, ms % 1000,
	    d->echoed, d->lost, d->mismatched, d->stray);
	if (d->echoed == d->sent && d->stray == 0)
		return 0;
	if (d->stray > 0)
		snprintf(stray, sizeof(stray), ", %" PRIu64 " stray replies",
		    d->stray);
	return fail(d, "%" PRIu64 " of %" PRIu64 " datagrams lost, %" PRIu64
	    " mismatched%s", d->lost, d->sent, d->mismatched, stray);
}

int
dgram_run(int sock, size_t chunk_size, int wait_ms, char *err,
    size_t errlen)
{
	/* Static: the buffers are too big for the stack. */
	static struct dgram d;
	int rc;

	memset(&d, 0, sizeof(d));
	d.sock = sock;
	d.chunk_size = chunk_size;
	d.wait_ms = wait_ms;
	d.started_ms = timer_now_ms();
	d.err = err;
	d.errlen = errlen;
	rc = loop(&d);
	free(d.line);
	if (rc == -1)
		return -1;
	return conclude(&d);
}
