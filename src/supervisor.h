/* supervisor: accept, fork, and account for the children serving clients. */
#ifndef ECHOD_SUPERVISOR_H
#define ECHOD_SUPERVISOR_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"

struct supervisor;

/* What the statistics line reports; see supervisor_stats(). */
struct supervisor_stats {
	unsigned children;
	unsigned peak;
	uint64_t accepted;
	uint64_t rejected_full;		/* at max-children, policy reject */
	uint64_t rejected_per_ip;	/* over max-per-ip */
	uint64_t rejected_rate;		/* over max-rate, policy reject */
	uint64_t fork_failures;
	uint64_t bytes_echoed;		/* added up by the children */
};

/*
 * supervisor_create: IN_CHILD(ARG) runs in each new child before it serves
 * its client, to close what the child must not keep (listening sockets,
 * the pidfile) and to give up privileges.  Returns NULL with errno.
 */
struct supervisor *supervisor_create(void (*in_child)(void *), void *arg);
void	supervisor_free(struct supervisor *sup);

/* Whether the listening sockets should be polled now. */
bool	supervisor_may_accept(struct supervisor *sup,
	    const struct echod_config *cfg);

/*
 * Milliseconds until accepting may resume after an error or for the rate
 * limit, or -1 when there is no such wait.
 */
int	supervisor_wait_ms(const struct supervisor *sup);

/* supervisor_accept: take the clients waiting on LISTEN_FD, a batch. */
void	supervisor_accept(struct supervisor *sup,
	    const struct echod_config *cfg, int listen_fd);

/* supervisor_reap: collect every child that has exited. */
void	supervisor_reap(struct supervisor *sup, const struct echod_config *cfg);

/* supervisor_reconfigure: after a reload, apply limits and log the state. */
void	supervisor_reconfigure(struct supervisor *sup,
	    const struct echod_config *cfg);

unsigned supervisor_children(const struct supervisor *sup);
void	supervisor_stats(const struct supervisor *sup,
	    struct supervisor_stats *out);

/*
 * supervisor_stop: SIGTERM every child and reap them, waiting with
 * WAIT_MASK; those left after a second get SIGKILL.
 */
void	supervisor_stop(struct supervisor *sup, const sigset_t *wait_mask);

#endif
