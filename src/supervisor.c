/* supervisor: accept, fork, and account for the children serving clients. */
#include "supervisor.h"

#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "log.h"
#include "session.h"
#include "signals.h"
#include "table.h"

/* Clients taken per wake-up, so that signals are looked at in between. */
#define ACCEPT_BATCH 64
/* How long to stop accepting after running out of descriptors or memory. */
#define BACKOFF_MS 100
/* How long children get to end after SIGTERM before SIGKILL. */
#define STOP_GRACE_MS 1000

/* A token bucket for max-rate: N tokens a second, at most N saved. */
struct rate_bucket {
	double tokens;
	struct timespec last;
};

struct supervisor {
	struct table children;	/* pid -> addr_client_key() of its client */
	struct table per_ip;	/* client key -> children serving it */
	void (*in_child)(void *);
	void *in_child_arg;
	int spare_fd;		/* given up at EMFILE to accept and shed one */
	struct timespec resume_at;	/* accepting paused until then */
	struct rate_bucket bucket;
	uint64_t *bytes_echoed;	/* in memory shared with the children */
	struct supervisor_stats stats;
	bool full_logged;	/* "limit reached" said, "cleared" is owed */
	uint64_t rejected_while_full;
	struct log_ratelimit rl_limit;
	struct log_ratelimit rl_reject;
	struct log_ratelimit rl_per_ip;
	struct log_ratelimit rl_rate;
	struct log_ratelimit rl_accept;
	struct log_ratelimit rl_fork;
};

static void
now(struct timespec *ts)
{
	if (clock_gettime(CLOCK_MONOTONIC, ts) == -1)
		ts->tv_sec = ts->tv_nsec = 0;	/* cannot fail for MONOTONIC */
}

static double
seconds_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	    (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void
add_ms(struct timespec *ts, long ms)
{
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

struct supervisor *
supervisor_create(void (*in_child)(void *), void *arg)
{
	struct supervisor *sup;
	void *shared;

	if ((sup = calloc(1, sizeof(*sup))) == NULL)
		return NULL;
	sup->spare_fd = -1;
	if (table_reserve(&sup->children) == -1 ||
	    table_reserve(&sup->per_ip) == -1)
		goto fail;
	if ((sup->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1)
		goto fail;
	/* One page that every child inherits, to add up bytes echoed. */
	shared = mmap(NULL, sizeof(uint64_t), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		goto fail;
	sup->bytes_echoed = shared;
	sup->in_child = in_child;
	sup->in_child_arg = arg;
	return sup;
fail:
	if (sup->spare_fd != -1)
		(void)close(sup->spare_fd);	/* /dev/null, read-only */
	table_free(&sup->children);
	table_free(&sup->per_ip);
	free(sup);
	return NULL;
}

void
supervisor_free(struct supervisor *sup)
{
	if (sup == NULL)
		return;
	(void)close(sup->spare_fd);	/* /dev/null, read-only */
	(void)munmap(sup->bytes_echoed, sizeof(uint64_t)); /* at exit anyway */
	table_free(&sup->children);
	table_free(&sup->per_ip);
	free(sup);
}

unsigned
supervisor_children(const struct supervisor *sup)
{
	return (unsigned)sup->children.count;
}

void
supervisor_stats(const struct supervisor *sup, struct supervisor_stats *out)
{
	*out = sup->stats;
	out->children = (unsigned)sup->children.count;
	out->bytes_echoed = __atomic_load_n(sup->bytes_echoed,
	    __ATOMIC_RELAXED);
}

static void
refill(struct rate_bucket *b, unsigned rate)
{
	struct timespec t;

	now(&t);
	b->tokens += seconds_between(&b->last, &t) * rate;
	if (b->tokens > rate)
		b->tokens = rate;	/* a burst of one second's worth */
	b->last = t;
}

/* Milliseconds until the bucket holds a whole token again. */
static long
ms_to_token(const struct rate_bucket *b, unsigned rate)
{
	return (long)((1.0 - b->tokens) * 1000.0 / rate) + 1;
}

static bool
over_rate(struct supervisor *sup, const struct echod_config *cfg)
{
	if (cfg->max_rate == 0)
		return false;
	refill(&sup->bucket, cfg->max_rate);
	return sup->bucket.tokens < 1.0;
}

int
supervisor_wait_ms(const struct supervisor *sup)
{
	struct timespec t;
	long ms;

	if (sup->resume_at.tv_sec == 0 && sup->resume_at.tv_nsec == 0)
		return -1;
	now(&t);
	ms = (long)(seconds_between(&t, &sup->resume_at) * 1000.0) + 1;
	return ms > 0 ? (int)ms : 0;
}

static void
pause_for(struct supervisor *sup, long ms)
{
	now(&sup->resume_at);
	add_ms(&sup->resume_at, ms);
}

bool
supervisor_may_accept(struct supervisor *sup, const struct echod_config *cfg)
{
	if (supervisor_wait_ms(sup) > 0)
		return false;
	sup->resume_at.tv_sec = sup->resume_at.tv_nsec = 0;
	if (cfg->policy == POLICY_REJECT)
		return true;
	if (sup->children.count >= cfg->max_children)
		return false;	/* a child's exit (SIGCHLD) wakes us */
	if (over_rate(sup, cfg)) {
		pause_for(sup, ms_to_token(&sup->bucket, cfg->max_rate));
		return false;
	}
	return true;
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
	if (sup->rejected_while_full > 0)
		log_msg(LEVEL_NOTICE, "limit cleared: %zu of %u children, "
		    "%llu clients rejected", sup->children.count,
		    cfg->max_children,
		    (unsigned long long)sup->rejected_while_full);
	else
		log_msg(LEVEL_NOTICE, "limit cleared: %zu of %u children",
		    sup->children.count, cfg->max_children);
	sup->full_logged = false;
	sup->rejected_while_full = 0;
}

void
supervisor_reconfigure(struct supervisor *sup, const struct echod_config *cfg)
{
	/* A new rate starts with a full bucket. */
	sup->bucket.tokens = cfg->max_rate;
	now(&sup->bucket.last);
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
		(void)close(fd);	/* shed: nothing sent, nothing lost */
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
	pause_for(sup, BACKOFF_MS);
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
	_exit(session_run(fd, peer, cfg->idle_timeout_s, sup->bytes_echoed));
}

/* Close a client that will not be served, and say why (rate-limited). */
static void
turn_away(struct log_ratelimit *rl, int fd, const struct sockaddr *peer,
    const char *why)
{
	char name[ADDR_TEXT_MAX];

	/* A fresh connection has nothing unsent: closing loses nothing. */
	(void)close(fd);
	if (!log_enabled(LEVEL_INFO))
		return;
	addr_format(peer, name, sizeof(name));
	log_limited(rl, LEVEL_INFO, "rejected %s: %s", name, why);
}

/*
 * Decide for one accepted client: false when it was turned away.  At
 * max-children only policy reject gets here (pause does not accept).
 */
static bool
admit(struct supervisor *sup, const struct echod_config *cfg, int fd,
    const struct sockaddr *peer, uint64_t key)
{
	const struct table_entry *e;
	char why[64];

	if (sup->children.count >= cfg->max_children) {
		sup->stats.rejected_full++;
		sup->rejected_while_full++;
		(void)snprintf(why, sizeof(why), "%zu of %u children busy",
		    sup->children.count, cfg->max_children);
		turn_away(&sup->rl_reject, fd, peer, why);
		return false;
	}
	if (cfg->max_per_ip > 0 &&
	    (e = table_find(&sup->per_ip, key)) != NULL &&
	    e->value >= cfg->max_per_ip) {
		sup->stats.rejected_per_ip++;
		(void)snprintf(why, sizeof(why), "%u connections from this "
		    "address (max-per-ip)", cfg->max_per_ip);
		turn_away(&sup->rl_per_ip, fd, peer, why);
		return false;
	}
	/* Under policy pause the rate was checked before accepting. */
	if (cfg->policy == POLICY_REJECT && over_rate(sup, cfg)) {
		sup->stats.rejected_rate++;
		(void)snprintf(why, sizeof(why), "over %u connections a second "
		    "(max-rate)", cfg->max_rate);
		turn_away(&sup->rl_rate, fd, peer, why);
		return false;
	}
	return true;
}

/* Account for a new child; both tables have room reserved. */
static void
add_child(struct supervisor *sup, pid_t pid, uint64_t key)
{
	struct table_entry *e = table_find(&sup->per_ip, key);

	if (e == NULL)
		e = table_insert(&sup->per_ip, key);
	e->value++;
	table_insert(&sup->children, (uint64_t)pid)->value = key;
	if (sup->children.count > sup->stats.peak)
		sup->stats.peak = (unsigned)sup->children.count;
}

void
supervisor_accept(struct supervisor *sup, const struct echod_config *cfg,
    int listen_fd)
{
	struct sockaddr_storage ss;
	struct sockaddr *peer = (struct sockaddr *)&ss;
	socklen_t sslen;
	uint64_t key;
	pid_t pid;
	int fd;

	for (int i = 0; i < ACCEPT_BATCH; i++) {
		if (!supervisor_may_accept(sup, cfg))
			return;
		sslen = sizeof(ss);
		fd = accept4(listen_fd, peer, &sslen, SOCK_CLOEXEC);
		if (fd == -1) {
			if (!handle_accept_error(sup, listen_fd))
				return;
			continue;
		}
		sup->stats.accepted++;
		key = addr_client_key(peer);
		if (!admit(sup, cfg, fd, peer, key))
			continue;
		if (cfg->max_rate > 0)
			sup->bucket.tokens -= 1.0;
		if (table_reserve(&sup->children) == -1 ||
		    table_reserve(&sup->per_ip) == -1) {
			pid = -1;
		} else if ((pid = _Fork()) == 0) {
			/*
			 * _Fork, not fork: echod is single-threaded, so no lock
			 * can be held across it, and glibc's fork handlers
			 * would only write to pages of libc and ld.so that
			 * each child then has to copy.
			 */
			run_child(sup, cfg, fd, peer);
		}
		if (pid == -1) {
			sup->stats.fork_failures++;
			log_limited(&sup->rl_fork, LEVEL_WARNING,
			    "unable to serve a client: %s", strerror(errno));
			(void)close(fd);	/* the client sees the close */
			pause_for(sup, BACKOFF_MS);
			return;
		}
		(void)close(fd);	/* the child has its own copy */
		add_child(sup, pid, key);
		log_limit_reached(sup, cfg);
	}
}

static void
log_exit(pid_t pid, int status)
{
	if (WIFSIGNALED(status))
		log_msg(WTERMSIG(status) == SIGTERM ? LEVEL_INFO :
		    LEVEL_WARNING,
		    "child %ld killed by signal %d (%s)", (long)pid,
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		log_debug("child %ld exited with status %d", (long)pid,
		    WEXITSTATUS(status));
}

/* Give a reaped child's slot back to its client's address. */
static void
remove_child(struct supervisor *sup, pid_t pid)
{
	struct table_entry *e;
	uint64_t key;

	if (!table_remove(&sup->children, (uint64_t)pid, &key))
		return;
	if ((e = table_find(&sup->per_ip, key)) != NULL && --e->value == 0)
		(void)table_remove(&sup->per_ip, key, NULL);
}

/* Reap without waiting. */
static void
reap(struct supervisor *sup)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		remove_child(sup, pid);
		log_exit(pid, status);
	}
}

void
supervisor_reap(struct supervisor *sup, const struct echod_config *cfg)
{
	reap(sup);
	log_limit_cleared(sup, cfg);
}

static void
signal_all(const struct supervisor *sup, int sig)
{
	for (size_t i = 0; i < sup->children.cap; i++)
		if (sup->children.slots[i].key != 0)
			(void)kill((pid_t)sup->children.slots[i].key, sig);
}

void
supervisor_stop(struct supervisor *sup, const sigset_t *wait_mask)
{
	struct timespec deadline;
	struct timespec t;
	struct timespec timeout;
	double left;
	pid_t pid;

	signal_all(sup, SIGTERM);
	now(&deadline);
	add_ms(&deadline, STOP_GRACE_MS);
	reap(sup);
	while (sup->children.count > 0) {
		now(&t);
		if ((left = seconds_between(&t, &deadline)) <= 0)
			break;
		timeout.tv_sec = (time_t)left;
		timeout.tv_nsec = (long)((left - (double)timeout.tv_sec) * 1e9);
		/* Returns early with EINTR when SIGCHLD arrives. */
		(void)ppoll(NULL, 0, &timeout, wait_mask);
		reap(sup);
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
		remove_child(sup, pid);
	}
}
