/* daemon: detaching from the terminal, readiness, and the pidfile. */
#ifndef ECHOD_DAEMON_H
#define ECHOD_DAEMON_H

#include <stddef.h>

/*
 * daemon_detach: fork, setsid, fork again, umask 022, chdir /.  Only the
 * daemon returns, with a descriptor for daemon_ready(); the launching
 * process waits for that and exits 0 once the daemon is ready, 1 if it
 * exits before.  Returns -1 with errno if a step fails before the forks.
 */
int	daemon_detach(void);

/* daemon_stdio_to_null: descriptors FIRST to 2 onto /dev/null. */
int	daemon_stdio_to_null(int first);

/*
 * daemon_notify_init: take the service manager's notification socket
 * (NOTIFY_SOCKET, as sd_notify(3) describes) out of the environment.
 * daemon_notify: send it STATE ("READY=1", "STOPPING=1"), if there is one.
 */
void	daemon_notify_init(void);
int	daemon_notify(const char *state);

/* daemon_ready: tell the launching process that startup succeeded. */
int	daemon_ready(int fd);

/*
 * pidfile_create: create or take over PATH, lock it, write our pid.
 * Returns the locked descriptor, or -1 with a message in ERR
 * ("PATH: already running (pid N)").
 */
int	pidfile_create(const char *path, char *err, size_t errlen);

/*
 * pidfile_check: fail early, before binding, with "PATH: already running
 * (pid N)" when another process holds the lock on PATH.  A missing file
 * is fine.  pidfile_create still takes the lock for real.
 */
int	pidfile_check(const char *path, char *err, size_t errlen);

/* pidfile_remove: unlink PATH and release FD. */
void	pidfile_remove(const char *path, int fd);

#endif
