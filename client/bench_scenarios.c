/*
 * bench_scenarios: echo-bench's event loop and its four scenarios.
 *
 * One thread and one epoll instance.  Each socket is non-blocking and is
 * registered once, edge-triggered for reading and writing, so the loop
 * never calls epoll_ctl again: it remembers whether a socket may be
 * written, and reads until a read returns less than the buffer holds
 * (which, on a stream socket, means there is nothing more for now).
 *
 * What goes out is computed from the connection's seed (bench_pattern),
 * so a short write resumes at any offset and every byte that comes back
 * is checked against what the stream holds at its offset.
 *
 * SIGINT and SIGTERM stay blocked except inside epoll_pwait, whose mask
 * lets them in: the handler only counts them and the loop acts on the
 * count at one known point.  The first one ends the run as the duration
 * would, the second one gives up on what is still on its way.
 */
#include "bench.h"

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_pattern.h"
#include "bench_report.h"

#define IO_BUF_SIZE		(256 * 1024)
#define MAX_EVENTS		256
#define NS_PER_MS		INT64_C(1000000)
#define NS_PER_S		INT64_C(1000000000)
#define NEVER			INT64_MAX
#define TICK_NS			(100 * NS_PER_MS) /* timeouts looked at */
#define PROGRESS_NS		NS_PER_S	/* progress line redrawn */
#define REOPEN_DELAY_NS		(100 * NS_PER_MS)	/* after an error */
#define IDLE_PENDING_MAX	64	/* idle: connections set up at once */
#define MAX_MESSAGES		5	/* errors told in full, then counted */

enum conn_state {
	CONN_WAITING,		/* no socket; opened at reopen_ns */
	CONN_CONNECTING,
	CONN_OPEN,
	CONN_DONE		/* no socket, and none to come */
};

/* bulk: a chunk whose last byte went out at sent_ns and ends at offset end. */
struct chunk_mark {
	uint64_t	end;
	int64_t		sent_ns;
};

struct conn {
	int			 fd;
	uint32_t		 gen;		/* bumped at each close */
	enum conn_state		 state;
	bool			 writable;
	bool			 held;		/* idle: its byte came back */
	uint64_t		 serial;
	uint64_t		 seed;
	uint64_t		 sent;		/* stream offsets */
	uint64_t		 recvd;
	uint64_t		 goal;		/* end of this operation */
	int64_t			 op_start_ns;
	int64_t			 moved_ns;	/* last progress */
	int64_t			 reopen_ns;
	struct chunk_mark	*marks;		/* bulk: a ring, oldest first */
	size_t			 mark_cap;
	size_t			 mark_head;
	size_t			 mark_count;
};

struct loop {
	const struct bench_options	*opt;
	struct bench_result		*res;
	struct sockaddr_storage		 addr;
	socklen_t			 addrlen;
	int				 ep;
	struct conn			*conns;
	uint64_t			 serial;	/* connections opened */
	unsigned			 open;		/* sockets open */
	unsigned			 messages;
	bool				 stopping;
	bool				 announced;	/* idle: all set up */
	int64_t				 now_ns;
	int64_t				 start_ns;
	int64_t				 deadline_ns;
	int64_t				 established_ns;
};

static volatile sig_atomic_t stop_requests;
static unsigned char recv_buf[IO_BUF_SIZE];
static unsigned char send_buf[IO_BUF_SIZE];

static void	fail(struct loop *l, struct conn *c, enum bench_failure kind,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
on_stop_signal(int sig)
{
	(void)sig;
	if (stop_requests < 2)
		stop_requests++;
}

static int64_t
clock_ns(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail with a valid pointer. */
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

/* Resolve the host and port once; every connection goes to that address. */
static int
resolve(struct loop *l, char *err, size_t errlen)
{
	struct addrinfo hints;
	struct addrinfo *ai;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	rc = getaddrinfo(l->opt->host, l->opt->port, &hints, &ai);
	if (rc != 0) {
		snprintf(err, errlen, "cannot resolve '%s' port '%s': %s",
		    l->opt->host, l->opt->port,
		    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	memcpy(&l->addr, ai->ai_addr, ai->ai_addrlen);
	l->addrlen = ai->ai_addrlen;
	rc = getnameinfo(ai->ai_addr, ai->ai_addrlen, l->res->address,
	    sizeof(l->res->address), NULL, 0, NI_NUMERICHOST);
	if (rc != 0)
		snprintf(l->res->address, sizeof(l->res->address), "%s",
		    l->opt->host);
	freeaddrinfo(ai);
	return 0;
}

static enum bench_failure
failure_of(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return FAIL_REFUSED;
	case ECONNRESET:
	case ECONNABORTED:
	case EPIPE:
		return FAIL_RESET;
	case ETIMEDOUT:
		return FAIL_TIMEOUT;
	default:
		return FAIL_OTHER;
	}
}

static void
close_conn(struct loop *l, struct conn *c, enum conn_state next)
{
	if (c->fd != -1) {
		/* Nothing written is pending that a close could report. */
		(void)close(c->fd);
		c->fd = -1;
		l->open--;
	}
	c->gen++;
	c->state = next;
	c->writable = false;
	c->mark_head = 0;
	c->mark_count = 0;
}

/*
 * Count an error of kind on c, tell it on standard error while few have
 * been told, close c and, while the run goes on, open a new connection in
 * its place a little later (idle connections are not replaced).
 */
static void
fail(struct loop *l, struct conn *c, enum bench_failure kind,
    const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	l->res->errors[kind]++;
	if (l->messages < MAX_MESSAGES) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		report_progress_clear();
		fprintf(stderr, "echo-bench: connection %" PRIu64 ": %s: %s\n",
		    c->serial, report_failure_name(kind), msg);
	} else if (l->messages == MAX_MESSAGES) {
		report_progress_clear();
		fputs("echo-bench: further errors are only counted\n", stderr);
	}
	l->messages++;
	if (l->stopping || l->opt->scenario == SCENARIO_IDLE) {
		close_conn(l, c, CONN_DONE);
	} else {
		close_conn(l, c, CONN_WAITING);
		c->reopen_ns = l->now_ns + REOPEN_DELAY_NS;
	}
}

/* How many bytes c should write now. */
static size_t
to_send(const struct loop *l, const struct conn *c)
{
	const struct bench_options *opt = l->opt;
	uint64_t in_flight;
	uint64_t n;

	if (c->state != CONN_OPEN)
		return 0;
	if (opt->scenario != SCENARIO_BULK)
		return (size_t)(c->goal - c->sent);
	if (l->stopping)
		return 0;
	in_flight = c->sent - c->recvd;
	if (in_flight >= opt->window)
		return 0;
	/* Writes stop at chunk ends, so that each chunk end gets its mark. */
	n = opt->size - c->sent % opt->size;
	if (n > opt->window - in_flight)
		n = opt->window - in_flight;
	return (size_t)n;
}

static void
push_mark(struct conn *c, int64_t now_ns)
{
	struct chunk_mark *m;

	/* The window bounds the marks outstanding; the ring is made to fit. */
	if (c->mark_count == c->mark_cap)
		return;
	m = &c->marks[(c->mark_head + c->mark_count) % c->mark_cap];
	m->end = c->sent;
	m->sent_ns = now_ns;
	c->mark_count++;
}

/* Write what c has to send until done or the socket is full; -1: failed. */
static int
pump(struct loop *l, struct conn *c)
{
	size_t want;
	ssize_t n;

	while (c->writable && (want = to_send(l, c)) > 0) {
		if (want > sizeof(send_buf))
			want = sizeof(send_buf);
		pattern_fill(c->seed, c->sent, send_buf, want);
		n = send(c->fd, send_buf, want, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				c->writable = false;
				break;
			}
			fail(l, c, failure_of(errno), "write: %s",
			    strerror(errno));
			return -1;
		}
		c->sent += (uint64_t)n;
		l->now_ns = clock_ns();
		c->moved_ns = l->now_ns;
		if (l->opt->scenario == SCENARIO_BULK &&
		    c->sent % l->opt->size == 0)
			push_mark(c, l->now_ns);
		if ((size_t)n < want)
			c->writable = false;
	}
	return 0;
}

/* Open a socket for c and start connecting; the operation starts here. */
static void
open_conn(struct loop *l, struct conn *c)
{
	struct epoll_event ev;
	const int one = 1;
	uint32_t index = (uint32_t)(c - l->conns);

	c->serial = l->serial++;
	c->seed = pattern_seed(c->serial);
	c->sent = 0;
	c->recvd = 0;
	c->held = false;
	c->goal = l->opt->scenario == SCENARIO_IDLE ? 1 :
	    l->opt->scenario == SCENARIO_BULK ? 0 : l->opt->size;
	c->op_start_ns = l->now_ns;
	c->moved_ns = l->now_ns;
	c->mark_head = 0;
	c->mark_count = 0;
	c->writable = false;

	c->fd = socket(l->addr.ss_family,
	    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (c->fd == -1) {
		fail(l, c, FAIL_OTHER, "socket: %s", strerror(errno));
		return;
	}
	l->open++;
	/* Small payloads go out at once; a refusal only costs speed. */
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
	ev.data.u64 = (uint64_t)c->gen << 32 | index;
	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, c->fd, &ev) == -1) {
		fail(l, c, FAIL_OTHER, "epoll_ctl: %s", strerror(errno));
		return;
	}
	c->state = CONN_CONNECTING;
	if (connect(c->fd, (struct sockaddr *)&l->addr, l->addrlen) == 0) {
		c->state = CONN_OPEN;
		c->writable = true;
		(void)pump(l, c);
	} else if (errno != EINPROGRESS && errno != EINTR) {
		fail(l, c, failure_of(errno), "connect: %s", strerror(errno));
	}
}

static void
announce_established(struct loop *l)
{
	const struct bench_options *opt = l->opt;
	struct bench_result *res = l->res;

	l->announced = true;
	l->established_ns = l->now_ns;
	res->elapsed_ns = l->now_ns - l->start_ns;
	report_progress_clear();
	if (res->held == opt->conns)
		fprintf(stderr, "echo-bench: idle: %" PRIu64 " connections "
		    "established, holding", res->held);
	else
		fprintf(stderr, "echo-bench: idle: %" PRIu64 " of %u "
		    "connections established, holding", res->held, opt->conns);
	if (opt->duration_ns > 0)
		fprintf(stderr, " for %.3f s\n",
		    (double)opt->duration_ns / NS_PER_S);
	else
		fputs(" until SIGINT or SIGTERM\n", stderr);
	(void)fflush(stderr);
	if (opt->duration_ns > 0)
		l->deadline_ns = l->now_ns + opt->duration_ns;
	if (res->held == 0)
		l->deadline_ns = l->now_ns;
}

/* idle: open more connections while few are being set up. */
static void
top_up_idle(struct loop *l)
{
	const struct bench_options *opt = l->opt;
	uint64_t settled;
	uint64_t pending;

	if (l->stopping || l->announced)
		return;
	for (;;) {
		settled = l->res->held + report_error_total(l->res);
		pending = l->serial - settled;
		if (l->serial == opt->conns || pending >= IDLE_PENDING_MAX)
			break;
		open_conn(l, &l->conns[l->serial]);
	}
	if (settled == opt->conns)
		announce_established(l);
}

/* An operation of c ended now: count it and its latency. */
static void
op_done(struct loop *l, struct conn *c)
{
	l->res->ops++;
	hist_record(&l->res->latency, (uint64_t)(l->now_ns - c->op_start_ns));
}

/*
 * n bytes came back on c: check them and move the scenario on.  Returns
 * 0, or -1 when c was closed (and perhaps opened anew) meanwhile.
 */
static int
got(struct loop *l, struct conn *c, const unsigned char *buf, size_t n)
{
	const struct bench_options *opt = l->opt;
	uint64_t owed = c->sent - c->recvd;
	size_t k = n < owed ? n : (size_t)owed;
	size_t i;

	i = pattern_check(c->seed, c->recvd, buf, k);
	if (i < k) {
		fail(l, c, FAIL_MISMATCH, "byte %" PRIu64 " came back as "
		    "0x%02x, sent as 0x%02x", c->recvd + i, buf[i],
		    pattern_byte(c->seed, c->recvd + i));
		return -1;
	}
	if (k < n) {
		fail(l, c, FAIL_MISMATCH, "%zu bytes came back that were "
		    "never sent (after byte %" PRIu64 ")", n - k, c->sent);
		return -1;
	}
	c->recvd += k;
	c->moved_ns = l->now_ns;
	l->res->bytes += k;

	switch (opt->scenario) {
	case SCENARIO_CONN:
		if (c->recvd < c->goal)
			return 0;
		op_done(l, c);
		close_conn(l, c, CONN_DONE);
		if (!l->stopping)
			open_conn(l, c);
		return -1;
	case SCENARIO_PINGPONG:
		if (c->recvd < c->goal)
			return 0;
		op_done(l, c);
		if (l->stopping) {
			close_conn(l, c, CONN_DONE);
			return -1;
		}
		c->goal += opt->size;
		c->op_start_ns = l->now_ns;
		return pump(l, c);
	case SCENARIO_BULK:
		while (c->mark_count > 0 &&
		    c->marks[c->mark_head].end <= c->recvd) {
			l->res->ops++;
			hist_record(&l->res->latency, (uint64_t)(l->now_ns -
			    c->marks[c->mark_head].sent_ns));
			c->mark_head = (c->mark_head + 1) % c->mark_cap;
			c->mark_count--;
		}
		if (l->stopping && c->recvd == c->sent) {
			close_conn(l, c, CONN_DONE);
			return -1;
		}
		return pump(l, c);
	case SCENARIO_IDLE:
		if (c->held || c->recvd < c->goal)
			return 0;
		c->held = true;
		l->res->held++;
		op_done(l, c);
		top_up_idle(l);
		return 0;
	}
	return 0;
}

/*
 * Read everything c has for now; -1 when c was closed meanwhile.  A read
 * shorter than the buffer means that no more data is queued, but not that
 * no end of file is: when the peer has closed (hup), read on until it shows.
 */
static int
drain(struct loop *l, struct conn *c, bool hup)
{
	ssize_t n;

	for (;;) {
		n = recv(c->fd, recv_buf, sizeof(recv_buf), 0);
		if (n > 0) {
			l->now_ns = clock_ns();
			if (got(l, c, recv_buf, (size_t)n) == -1)
				return -1;
			if ((size_t)n < sizeof(recv_buf) && !hup)
				return 0;
			continue;
		}
		if (n == 0) {
			if (c->recvd < c->sent)
				fail(l, c, FAIL_SHORT, "server closed after "
				    "echoing %" PRIu64 " of %" PRIu64 " bytes",
				    c->recvd, c->sent);
			else
				fail(l, c, FAIL_SHORT, "server closed the "
				    "connection after %" PRIu64 " bytes",
				    c->recvd);
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		fail(l, c, failure_of(errno), "read: %s", strerror(errno));
		return -1;
	}
}

static void
dispatch(struct loop *l, const struct epoll_event *ev)
{
	uint32_t index = (uint32_t)(ev->data.u64 & UINT32_MAX);
	uint32_t gen = (uint32_t)(ev->data.u64 >> 32);
	struct conn *c = &l->conns[index];
	socklen_t len = sizeof(int);
	int soerr = 0;

	if (c->fd == -1 || c->gen != gen)
		return;		/* closed since the event was queued */
	if (c->state == CONN_CONNECTING) {
		if (!(ev->events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
			soerr = errno;
		if (soerr != 0) {
			fail(l, c, failure_of(soerr), "connect: %s",
			    strerror(soerr));
			return;
		}
		c->state = CONN_OPEN;
		c->moved_ns = l->now_ns;
	}
	if (ev->events & EPOLLOUT)
		c->writable = true;
	if ((ev->events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) &&
	    drain(l, c, ev->events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) == -1)
		return;
	(void)pump(l, c);
}

/* Whether c waits for something that the timeout applies to. */
static bool
is_waiting(const struct loop *l, const struct conn *c)
{
	switch (c->state) {
	case CONN_CONNECTING:
		return true;
	case CONN_OPEN:
		if (l->opt->scenario == SCENARIO_IDLE)
			return !c->held;
		return c->recvd < c->sent || to_send(l, c) > 0;
	default:
		return false;
	}
}

static void
tick(struct loop *l)
{
	const struct bench_options *opt = l->opt;
	struct conn *c;
	unsigned i;

	for (i = 0; i < opt->conns; i++) {
		c = &l->conns[i];
		if (is_waiting(l, c) &&
		    l->now_ns - c->moved_ns >= opt->timeout_ns)
			fail(l, c, FAIL_TIMEOUT, "nothing moved for %.1f s "
			    "(%" PRIu64 " bytes sent, %" PRIu64 " back)",
			    (double)opt->timeout_ns / NS_PER_S,
			    c->sent, c->recvd);
		else if (c->state == CONN_WAITING && !l->stopping &&
		    l->now_ns >= c->reopen_ns)
			open_conn(l, c);
	}
	if (opt->scenario == SCENARIO_IDLE)
		top_up_idle(l);
}

/* The run is over: finish what is under way, start nothing new. */
static void
begin_stop(struct loop *l)
{
	const struct bench_options *opt = l->opt;
	struct conn *c;
	unsigned i;

	l->stopping = true;
	if (opt->scenario == SCENARIO_IDLE) {
		if (l->announced)
			l->res->held_ns = l->now_ns - l->established_ns;
		else
			l->res->elapsed_ns = l->now_ns - l->start_ns;
	}
	for (i = 0; i < opt->conns; i++) {
		c = &l->conns[i];
		if (c->state == CONN_WAITING ||
		    (c->state == CONN_OPEN && opt->scenario == SCENARIO_IDLE) ||
		    (c->state == CONN_OPEN && opt->scenario == SCENARIO_BULK &&
		    c->recvd == c->sent))
			close_conn(l, c, CONN_DONE);
	}
}

/* Milliseconds from now to the earlier of two instants, rounded up. */
static int
wait_ms(int64_t now_ns, int64_t a_ns, int64_t b_ns)
{
	int64_t until = a_ns < b_ns ? a_ns : b_ns;

	if (until <= now_ns)
		return 0;
	return (int)((until - now_ns + NS_PER_MS - 1) / NS_PER_MS);
}

static int
event_loop(struct loop *l, const sigset_t *wait_mask, char *err, size_t errlen)
{
	const struct bench_options *opt = l->opt;
	struct epoll_event events[MAX_EVENTS];
	int64_t next_tick;
	int64_t next_progress;
	unsigned i;
	int n;

	l->now_ns = clock_ns();
	l->start_ns = l->now_ns;
	l->deadline_ns = opt->scenario == SCENARIO_IDLE ? NEVER :
	    l->start_ns + opt->duration_ns;
	next_tick = l->now_ns + TICK_NS;
	next_progress = l->now_ns + PROGRESS_NS;
	report_progress_begin(l->now_ns);
	if (opt->scenario == SCENARIO_IDLE)
		top_up_idle(l);
	else
		for (i = 0; i < opt->conns; i++)
			open_conn(l, &l->conns[i]);

	for (;;) {
		l->now_ns = clock_ns();
		if (stop_requests >= 2)
			break;
		if (!l->stopping &&
		    (stop_requests > 0 || l->now_ns >= l->deadline_ns))
			begin_stop(l);
		if (l->stopping && l->open == 0)
			break;
		if (l->now_ns >= next_tick) {
			tick(l);
			next_tick = l->now_ns + TICK_NS;
		}
		if (opt->progress && l->now_ns >= next_progress) {
			report_progress(opt, l->res, l->now_ns, l->open);
			next_progress = l->now_ns + PROGRESS_NS;
		}
		n = epoll_pwait(l->ep, events, MAX_EVENTS,
		    wait_ms(l->now_ns, next_tick,
		    l->stopping ? NEVER : l->deadline_ns), wait_mask);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "epoll_wait: %s",
			    strerror(errno));
			return -1;
		}
		l->now_ns = clock_ns();
		for (i = 0; i < (unsigned)n; i++)
			dispatch(l, &events[i]);
	}
	report_progress_clear();
	if (opt->scenario != SCENARIO_IDLE)
		l->res->elapsed_ns = l->now_ns - l->start_ns;
	else if (!l->stopping)
		l->res->held_ns = l->now_ns - l->established_ns;
	return 0;
}

static void
free_conns(struct loop *l)
{
	unsigned i;

	for (i = 0; i < l->opt->conns; i++) {
		close_conn(l, &l->conns[i], CONN_DONE);
		free(l->conns[i].marks);
	}
	free(l->conns);
}

int
bench_run(const struct bench_options *opt, struct bench_result *res,
    char *err, size_t errlen)
{
	struct sigaction sa;
	sigset_t stop_mask;
	sigset_t wait_mask;
	struct loop l;
	size_t cap;
	unsigned i;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	hist_init(&res->latency);
	memset(&l, 0, sizeof(l));
	l.opt = opt;
	l.res = res;
	if (resolve(&l, err, errlen) == -1)
		return -1;

	l.conns = calloc(opt->conns, sizeof(*l.conns));
	if (l.conns == NULL) {
		snprintf(err, errlen, "out of memory for %u connections",
		    opt->conns);
		return -1;
	}
	/* Marks outstanding: chunk ends within the window, plus one. */
	cap = opt->scenario == SCENARIO_BULK ? opt->window / opt->size + 2 : 0;
	for (i = 0; i < opt->conns; i++) {
		l.conns[i].fd = -1;
		l.conns[i].state = CONN_DONE;
		l.conns[i].mark_cap = cap;
		if (cap > 0 && (l.conns[i].marks =
		    calloc(cap, sizeof(struct chunk_mark))) == NULL) {
			snprintf(err, errlen, "out of memory for %u "
			    "connections", opt->conns);
			goto out_free_conns;
		}
	}

	l.ep = epoll_create1(EPOLL_CLOEXEC);
	if (l.ep == -1) {
		snprintf(err, errlen, "epoll_create1: %s", strerror(errno));
		goto out_free_conns;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&stop_mask);
	sigaddset(&stop_mask, SIGINT);
	sigaddset(&stop_mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &stop_mask, &wait_mask) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1) {
		snprintf(err, errlen, "signals: %s", strerror(errno));
		goto out_close_ep;
	}
	sigdelset(&wait_mask, SIGINT);
	sigdelset(&wait_mask, SIGTERM);

	rc = event_loop(&l, &wait_mask, err, errlen);

out_close_ep:
	/* The epoll instance held nothing but registrations. */
	(void)close(l.ep);
out_free_conns:
	free_conns(&l);
	return rc;
}
