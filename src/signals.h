/* signals: handlers, pending flags, and the masks the main loop waits with. */
#ifndef ECHOD_SIGNALS_H
#define ECHOD_SIGNALS_H

#include <signal.h>
#include <stdbool.h>

enum pending {
	PENDING_CHILD,		/* SIGCHLD: children to reap */
	PENDING_RELOAD,		/* SIGHUP */
	PENDING_STOP,		/* SIGTERM or SIGINT */
	PENDING_STATS,		/* SIGUSR1 */
	PENDING_COUNT
};

/*
 * signals_init: install the handlers and block their signals; they are
 * delivered only inside a wait given signals_wait_mask().  SIGPIPE is
 * ignored.  Returns 0 or -1 with errno.
 */
int	signals_init(void);

/* The mask to wait with (ppoll): the one echod started with. */
const sigset_t *signals_wait_mask(void);

/* signals_take: whether WHICH was pending; clears it. */
bool	signals_take(enum pending which);

/* signals_stop_signal: the signal that set PENDING_STOP (for the log). */
int	signals_stop_signal(void);

/*
 * signals_reset: for a child after fork, or the launching process: default
 * dispositions, but SIGHUP, SIGUSR1 and SIGPIPE ignored, and the mask echod
 * started with.  Returns 0 or -1 with errno.
 */
int	signals_reset(void);

#endif
