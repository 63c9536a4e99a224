/* supervisor: accept, fork, and account for the children serving clients. */
#include "supervisor.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "log.h"
#include "session.h"
#include "signals.h"

/* Clients taken per wake-up, so that signals are looked at in between. */
#define ACCEPT_BATCH 64
/* How long to stop accepting after running out of descriptors or memory. */
#define BACKOFF_MS 100
/* How long children get to end after SIGTERM before SIGKILL. */
#define STOP_GRACE_MS 1000

/*
 * The live children, by pid: an open-addressing hash table, so that
 * reaping stays cheap at max-children = 65536.  Empty slots hold 0.
 */
struct child_table {
	pid_t *slots;
	size_t cap;		/* a power of two */
	size_t count;
};

struct supervisor {
	struct child_table children;
	void (*in_child)(void *);
	void *in_child_arg;
	int spare_fd;		/* given up to accept and shed a client at EMFILE */
	struct timespec resume_at;	/* accepting paused until then */
	bool full_logged;	/* "limit reached" said, "cleared" is owed */
	unsigned long rejected;	/* while full, under policy reject */
	struct log_ratelimit rl_limit;
	struct log_ratelimit rl_reject;
	struct log_ratelimit rl_accept;
	struct log_ratelimit rl_fork;
};

static size_t
slot_of(pid_t pid, size_t cap)
{
	return ((uint32_t)pid * 2654435761u) & (cap - 1);
}

static int
table_grow(struct child_table *t)
{
	size_t cap = t->cap * 2;
	pid_t *slots = calloc(cap, sizeof(*slots));

	if (slots == NULL)
		return -1;
	for (size_t i = 0; i < t->cap; i++) {
		size_t j;

		if (t->slots[i] == 0)
			continue;
		for (j = slot_of(t->slots[i], cap); slots[j] != 0;
		    j = (j + 1) & (cap - 1))
			continue;
		slots[j] = t->slots[i];
	}
	free(t->slots);
	t->slots = slots;
	t->cap = cap;
	return 0;
}

/* Room for one more child, made before fork so that adding cannot fail. */
static int
table_reserve(struct child_table *t)
{
	return (t->count + 1) * 2 > t->cap ? table_grow(t) : 0;
}

static void
table_add(struct child_table *t, pid_t pid)
{
	size_t i;

	for (i = slot_of(pid, t->cap); t->slots[i] != 0; i = (i + 1) & (t->cap - 1))
		continue;
	t->slots[i] = pid;
	t->count++;
}

/* Remove PID, shifting back the entries after it (no tombstones). */
static bool
table_remove(struct child_table *t, pid_t pid)
{
	size_t mask = t->cap - 1;
	size_t i;
	size_t j;

	for (i = slot_of(pid, t->cap); t->slots[i] != pid; i = (i + 1) & mask)
		if (t->slots[i] == 0)
			return false;
	t->slots[i] = 0;
	t->count--;
	for (j = (i + 1) & mask; t->slots[j] != 0; j = (j + 1) & mask) {
		size_t home = slot_of(t->slots[j], t->cap);

		/* Move j into the hole at i unless its home lies in (i, j]. */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			t->slots[i] = t->slots[j];
			t->slots[j] = 0;
			i = j;
		}
	}
	return true;
}

struct supervisor *
supervisor_create(void (*in_child)(void *), void *arg)
{
	struct supervisor *sup;

	if ((sup = calloc(1, sizeof(*sup))) == NULL)
		return NULL;
	sup->children.cap = 64;
	if ((sup->children.slots = calloc(sup->children.cap,
	    sizeof(pid_t))) == NULL)
		goto fail;
	if ((sup->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1)
		goto fail;
	sup->in_child = in_child;
	sup->in_child_arg = arg;
	return sup;
fail:
	free(sup->children.slots);
	free(sup);
	return NULL;
}

void
supervisor_free(struct supervisor *sup)
{
	if (sup == NULL)
		return;
	(void)close(sup->spare_fd);	/* /dev/null, read-only */
	free(sup->children.slots);
	free(sup);
}

unsigned
supervisor_children(const struct supervisor *sup)
{
	return (unsigned)sup->children.count;
}

static void
now(struct timespec *ts)
{
	if (clock_gettime(CLOCK_MONOTONIC, ts) == -1)
		ts->tv_sec = ts->tv_nsec = 0;	/* cannot fail for MONOTONIC */
}

static long
ms_until(const struct timespec *t)
{
	struct timespec n;

	now(&n);
	return (long)(t->tv_sec - n.tv_sec) * 1000 +
	    (t->tv_nsec - n.tv_nsec) / 1000000;
}

static void
back_off(struct supervisor *sup)
{
	now(&sup->resume_at);
	sup->resume_at.tv_nsec += BACKOFF_MS * 1000000L;
	if (sup->resume_at.tv_nsec >= 1000000000L) {
		sup->resume_at.tv_sec++;
		sup->resume_at.tv_nsec -= 1000000000L;
	}
}

int
supervisor_backoff_ms(const struct supervisor *sup)
{
	long ms = ms_until(&sup->resume_at);

	return ms > 0 ? (int)ms + 1 : -1;
}

bool
supervisor_may_accept(const struct supervisor *sup,
    const struct echod_config *cfg)
{
	if (supervisor_backoff_ms(sup) > 0)
		return false;
	return sup->children.count < cfg->max_children ||
	    cfg->policy == POLICY_REJECT;
}

static void
log_limit_reached(struct supervisor *sup, const struct echod_config *cfg)
{
	if (sup->full_logged || sup->children.count < cfg->max_children)
		return;
	sup->full_logged = log_limited(&sup->rl_limit, LEVEL_NOTICE,
	    "limit reached: %zu of %u children, %s", sup->children.count,
	    cfg->max_children, cfg->policy == POLICY_PAUSE ?
	    "pausing accept" : "rejecting new clients");
}

static void
log_limit_cleared(struct supervisor *sup, const struct echod_config *cfg)
{
	if (!sup->full_logged || sup->children.count >= cfg->max_children)
		return;
	if (sup->rejected > 0)
		log_msg(LEVEL_NOTICE, "limit cleared: %zu of %u children, "
		    "%lu clients rejected", sup->children.count,
		    cfg->max_children, sup->rejected);
	else
		log_msg(LEVEL_NOTICE, "limit cleared: %zu of %u children",
		    sup->children.count, cfg->max_children);
	sup->full_logged = false;
	sup->rejected = 0;
}

void
supervisor_limit_changed(struct supervisor *sup, const struct echod_config *cfg)
{
	log_limit_cleared(sup, cfg);
	log_limit_reached(sup, cfg);
}

/* Errors that concern one connection only: take the next. */
static bool
is_connection_error(int err)
{
	switch (err) {
	case ECONNABORTED:
	case EPROTO:
	case EPERM:		/* refused by a firewall rule */
	case ENETDOWN:
	case ENOPROTOOPT:
	case EHOSTDOWN:
	case ENONET:
	case EHOSTUNREACH:
	case EOPNOTSUPP:
	case ENETUNREACH:
		return true;
	default:
		return false;
	}
}

/*
 * Out of descriptors, the client cannot even be accepted.  Give up the
 * spare one for a moment, so as to accept that client and close it:
 * otherwise it would sit in the backlog and keep the listener readable.
 */
static void
shed_one(struct supervisor *sup, int listen_fd)
{
	int fd;

	(void)close(sup->spare_fd);	/* /dev/null, read-only */
	fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd != -1)
		(void)close(fd);	/* shed: nothing sent, nothing to lose */
	sup->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* Returns false when the batch should stop. */
static bool
handle_accept_error(struct supervisor *sup, int listen_fd)
{
	int err = errno;

	if (err == EAGAIN || err == EWOULDBLOCK)
		return false;
	if (err == EINTR || is_connection_error(err))
		return true;
	log_limited(&sup->rl_accept, LEVEL_WARNING, "accept: %s",
	    strerror(err));
	if (err == EMFILE || err == ENFILE)
		shed_one(sup, listen_fd);
	back_off(sup);
	return false;
}

static void __attribute__((noreturn))
run_child(struct supervisor *sup, const struct echod_config *cfg, int fd,
    const struct sockaddr *peer)
{
	if (signals_reset() == -1)
		log_fatal("session: sigprocmask");
	(void)close(sup->spare_fd);	/* /dev/null, read-only */
	sup->in_child(sup->in_child_arg);
	_exit(session_run(fd, peer, cfg->idle_timeout_s));
}

static void
reject(struct supervisor *sup, const struct echod_config *cfg, int fd,
    const struct sockaddr *peer)
{
	char name[ADDR_TEXT_MAX];

	/* A fresh connection has nothing unsent: closing loses nothing. */
	(void)close(fd);
	sup->rejected++;
	if (!log_enabled(LEVEL_INFO))
		return;
	addr_format(peer, name, sizeof(name));
	log_limited(&sup->rl_reject, LEVEL_INFO, "rejected %s: %zu of %u "
	    "children busy", name, sup->children.count, cfg->max_children);
}

void
supervisor_accept(struct supervisor *sup, const struct echod_config *cfg,
    int listen_fd)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	pid_t pid;
	int fd;

	for (int i = 0; i < ACCEPT_BATCH; i++) {
		bool full = sup->children.count >= cfg->max_children;

		if (full && cfg->policy == POLICY_PAUSE)
			return;
		sslen = sizeof(ss);
		fd = accept4(listen_fd, (struct sockaddr *)&ss, &sslen,
		    SOCK_CLOEXEC);
		if (fd == -1) {
			if (!handle_accept_error(sup, listen_fd))
				return;
			continue;
		}
		if (full) {
			reject(sup, cfg, fd, (struct sockaddr *)&ss);
			continue;
		}
		if (table_reserve(&sup->children) == -1) {
			pid = -1;
		} else {
			pid = fork();
			if (pid == 0)
				run_child(sup, cfg, fd, (struct sockaddr *)&ss);
		}
		if (pid == -1) {
			log_limited(&sup->rl_fork, LEVEL_WARNING,
			    "unable to serve a client: %s", strerror(errno));
			(void)close(fd);	/* the client sees the close */
			back_off(sup);
			return;
		}
		(void)close(fd);	/* the child has its own copy */
		table_add(&sup->children, pid);
		log_limit_reached(sup, cfg);
	}
}

static void
log_exit(pid_t pid, int status)
{
	if (WIFSIGNALED(status))
		log_msg(WTERMSIG(status) == SIGTERM ? LEVEL_INFO : LEVEL_WARNING,
		    "child %ld killed by signal %d (%s)", (long)pid,
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		log_debug("child %ld exited with status %d", (long)pid,
		    WEXITSTATUS(status));
}

/* Reap without waiting; returns how many children were collected. */
static unsigned
reap(struct supervisor *sup)
{
	unsigned reaped = 0;
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (table_remove(&sup->children, pid))
			reaped++;
		log_exit(pid, status);
	}
	return reaped;
}

void
supervisor_reap(struct supervisor *sup, const struct echod_config *cfg)
{
	if (reap(sup) > 0)
		log_limit_cleared(sup, cfg);
}

static void
signal_all(const struct supervisor *sup, int sig)
{
	for (size_t i = 0; i < sup->children.cap; i++)
		if (sup->children.slots[i] != 0)
			(void)kill(sup->children.slots[i], sig); /* may be gone */
}

void
supervisor_stop(struct supervisor *sup, const sigset_t *wait_mask)
{
	struct timespec deadline;
	struct timespec timeout;
	long ms;
	pid_t pid;

	signal_all(sup, SIGTERM);
	now(&deadline);
	deadline.tv_sec += STOP_GRACE_MS / 1000;
	(void)reap(sup);
	while (sup->children.count > 0 && (ms = ms_until(&deadline)) > 0) {
		timeout.tv_sec = ms / 1000;
		timeout.tv_nsec = (ms % 1000) * 1000000L;
		/* Returns early with EINTR when SIGCHLD arrives. */
		(void)ppoll(NULL, 0, &timeout, wait_mask);
		(void)reap(sup);
	}
	if (sup->children.count == 0)
		return;
	log_warnx("%zu children did not end on SIGTERM, killing them",
	    sup->children.count);
	signal_all(sup, SIGKILL);
	while (sup->children.count > 0) {
		pid = waitpid(-1, NULL, 0);
		if (pid == -1 && errno == EINTR)
			continue;
		if (pid == -1)
			break;	/* ECHILD: none left */
		(void)table_remove(&sup->children, pid);
	}
}
