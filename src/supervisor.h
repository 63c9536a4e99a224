/* supervisor: accept, fork, and account for the children serving clients. */
#ifndef ECHOD_SUPERVISOR_H
#define ECHOD_SUPERVISOR_H

#include <signal.h>
#include <stdbool.h>

#include "config.h"

struct supervisor;

/*
 * supervisor_create: IN_CHILD(ARG) runs in each new child before it serves
 * its client, to close what the child must not keep (listening sockets,
 * the pidfile).  Returns NULL with errno on failure.
 */
struct supervisor *supervisor_create(void (*in_child)(void *), void *arg);
void	supervisor_free(struct supervisor *sup);

/* Whether the listening sockets should be polled now. */
bool	supervisor_may_accept(const struct supervisor *sup,
	    const struct echod_config *cfg);

/* Milliseconds until accepting resumes after an error, or -1: no wait. */
int	supervisor_backoff_ms(const struct supervisor *sup);

/* supervisor_accept: take the clients waiting on LISTEN_FD, a batch. */
void	supervisor_accept(struct supervisor *sup,
	    const struct echod_config *cfg, int listen_fd);

/* supervisor_reap: collect every child that has exited. */
void	supervisor_reap(struct supervisor *sup, const struct echod_config *cfg);

/* supervisor_limit_changed: after a reload, say if the new limit is met. */
void	supervisor_limit_changed(struct supervisor *sup,
	    const struct echod_config *cfg);

unsigned supervisor_children(const struct supervisor *sup);

/*
 * supervisor_stop: SIGTERM every child and reap them, waiting with
 * WAIT_MASK; those left after a second get SIGKILL.
 */
void	supervisor_stop(struct supervisor *sup, const sigset_t *wait_mask);

#endif
