/*
 * signals: handlers, pending flags, and the masks the main loop waits with.
 *
 * The handled signals stay blocked except inside the main loop's ppoll(),
 * which atomically installs the mask echod started with.  A handler thus
 * runs only at that one point, and it does nothing but set a flag: reaping,
 * reloading and stopping are done by the main loop when ppoll returns.
 * This also closes the race between fork() and counting the child: SIGCHLD
 * cannot arrive between the two.
 */
#include "signals.h"

#include <stddef.h>

static volatile sig_atomic_t pending[PENDING_COUNT];
static volatile sig_atomic_t stop_signal;
static sigset_t wait_mask;

static const int handled[] = { SIGCHLD, SIGHUP, SIGTERM, SIGINT, SIGUSR1 };

static void
on_signal(int sig)
{
	switch (sig) {
	case SIGCHLD:
		pending[PENDING_CHILD] = 1;
		break;
	case SIGHUP:
		pending[PENDING_RELOAD] = 1;
		break;
	case SIGUSR1:
		pending[PENDING_STATS] = 1;
		break;
	default:
		stop_signal = sig;
		pending[PENDING_STOP] = 1;
		break;
	}
}

int
signals_init(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct sigaction ignore = { .sa_handler = SIG_IGN };
	sigset_t block;

	if (sigemptyset(&block) == -1)
		return -1;
	for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		if (sigaddset(&block, handled[i]) == -1)
			return -1;
	if (sigprocmask(SIG_BLOCK, &block, &wait_mask) == -1)
		return -1;
	/* Inside the wait, the handlers see each other's signals blocked. */
	sa.sa_mask = block;
	for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++) {
		if (sigdelset(&wait_mask, handled[i]) == -1 ||
		    sigaction(handled[i], &sa, NULL) == -1)
			return -1;
	}
	/* A write to a closed connection must fail with EPIPE, not kill. */
	if (sigemptyset(&ignore.sa_mask) == -1 ||
	    sigaction(SIGPIPE, &ignore, NULL) == -1)
		return -1;
	return 0;
}

const sigset_t *
signals_wait_mask(void)
{
	return &wait_mask;
}

bool
signals_take(enum pending which)
{
	if (!pending[which])
		return false;
	pending[which] = 0;
	return true;
}

int
signals_stop_signal(void)
{
	return stop_signal;
}

/*
 * A child ends on SIGTERM (the parent's way to stop it) or SIGINT (^C at
 * the terminal), but ignores SIGHUP and SIGUSR1, which are the parent's
 * business: "systemctl kill -s HUP" signals every process of the service.
 */
int
signals_reset(void)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	struct sigaction ignore = { .sa_handler = SIG_IGN };

	if (sigemptyset(&dfl.sa_mask) == -1 ||
	    sigemptyset(&ignore.sa_mask) == -1)
		return -1;
	for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++) {
		bool parents = handled[i] == SIGHUP || handled[i] == SIGUSR1;

		if (sigaction(handled[i], parents ? &ignore : &dfl, NULL) == -1)
			return -1;
	}
	return sigprocmask(SIG_SETMASK, &wait_mask, NULL);
}
