/* daemon: detaching from the terminal, readiness, and the pidfile. */
#include "daemon.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "signals.h"

/*
 * The launching process: wait for the daemon's one-byte "ready".  End of
 * file instead means the daemon exited during startup, after printing why
 * on the terminal it still shared.
 */
static void __attribute__((noreturn))
wait_for_ready(int fd, pid_t first_child)
{
	char byte;
	ssize_t n;

	/* The first child exits at once; reap it so it is no zombie. */
	while (waitpid(first_child, NULL, 0) == -1 && errno == EINTR)
		continue;
	do
		n = read(fd, &byte, 1);
	while (n == -1 && errno == EINTR);
	_exit(n == 1 ? 0 : 1);
}

int
daemon_detach(void)
{
	int pipefd[2];
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) == -1)
		return -1;
	switch (pid = fork()) {
	case -1:
		return -1;
	case 0:
		break;
	default:
		(void)close(pipefd[1]);	/* the daemon's end */
		/* The launcher can be interrupted from the terminal again;
		 * should this fail, it only waits as it was. */
		(void)signals_reset();
		wait_for_ready(pipefd[0], pid);
	}
	(void)close(pipefd[0]);	/* the launcher's end */

	/*
	 * From here on a failure is reported on the terminal, which is still
	 * our stderr, and the launcher sees end of file and exits 1.
	 */
	if (setsid() == -1)
		log_fatal("setsid");
	/* Not a session leader, so never again given a controlling terminal. */
	switch (fork()) {
	case -1:
		log_fatal("fork");
	case 0:
		break;
	default:
		_exit(0);
	}
	umask(022);
	if (chdir("/") == -1)
		log_fatal("chdir /");
	return pipefd[1];
}

int
daemon_stdio_to_null(int first)
{
	int fd = open("/dev/null", O_RDWR | O_NOCTTY);

	if (fd == -1)
		return -1;
	for (int target = first; target <= 2; target++)
		if (fd != target && dup2(fd, target) == -1)
			return -1;
	if (fd > 2)
		(void)close(fd);	/* now duplicated onto FIRST..2 */
	return 0;
}

static struct sockaddr_un notify_addr;
static socklen_t notify_len;	/* 0: no service manager to tell */

void
daemon_notify_init(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len;

	if (path != NULL && (path[0] == '/' || path[0] == '@') &&
	    (len = strlen(path)) < sizeof(notify_addr.sun_path)) {
		notify_addr.sun_family = AF_UNIX;
		memcpy(notify_addr.sun_path, path, len);
		if (path[0] == '@')
			notify_addr.sun_path[0] = '\0';	/* abstract */
		notify_len = (socklen_t)(offsetof(struct sockaddr_un,
		    sun_path) + len);
	}
	(void)unsetenv("NOTIFY_SOCKET");	/* fails only for a bad name */
}

int
daemon_notify(const char *state)
{
	ssize_t n;
	int fd;

	if (notify_len == 0)
		return 0;
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	n = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&notify_addr, notify_len);
	(void)close(fd);	/* a datagram socket: nothing pending */
	return n == -1 ? -1 : 0;
}

int
daemon_ready(int fd)
{
	ssize_t n;

	do
		n = write(fd, "R", 1);
	while (n == -1 && errno == EINTR);
	(void)close(fd);	/* the byte is sent or the launcher is gone */
	return n == 1 ? 0 : -1;
}

int
pidfile_create(const char *path, char *err, size_t errlen)
{
	struct flock lock = {
		.l_type = F_WRLCK,
		.l_whence = SEEK_SET,
	};
	char buf[32];
	ssize_t n;
	int fd;
	int len;

	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) == -1) {
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fcntl(fd, F_SETLK, &lock) == -1) {
		if (errno == EAGAIN || errno == EACCES) {
			n = pread(fd, buf, sizeof(buf) - 1, 0);
			buf[n > 0 ? n : 0] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			(void)snprintf(err, errlen,
			    "%s: already running (pid %s)", path,
			    buf[0] != '\0' ? buf : "unknown");
		} else {
			(void)snprintf(err, errlen, "%s: unable to lock: %s",
			    path, strerror(errno));
		}
		goto fail;
	}
	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 ||
	    (n = pwrite(fd, buf, (size_t)len, 0)) == -1) {
		(void)snprintf(err, errlen, "%s: unable to write: %s", path,
		    strerror(errno));
		goto fail;
	}
	if (n != len) {
		(void)snprintf(err, errlen, "%s: unable to write: short write",
		    path);
		goto fail;
	}
	return fd;
fail:
	(void)close(fd);	/* the error reported is the one above */
	return -1;
}

int
pidfile_check(const char *path, char *err, size_t errlen)
{
	struct flock lock = {
		.l_type = F_WRLCK,
		.l_whence = SEEK_SET,
	};
	int fd;
	int rc = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;	/* no file, or pidfile_create will say why */
	if (fcntl(fd, F_GETLK, &lock) == 0 && lock.l_type != F_UNLCK) {
		(void)snprintf(err, errlen, "%s: already running (pid %ld)",
		    path, (long)lock.l_pid);
		rc = -1;
	}
	(void)close(fd);	/* read-only */
	return rc;
}

void
pidfile_remove(const char *path, int fd)
{
	/*
	 * Unlink while still holding the lock, so that no one takes over a
	 * file about to vanish; a leftover file is harmless when unlocked.
	 */
	(void)unlink(path);
	(void)close(fd);
}
