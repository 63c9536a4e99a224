/*
 * notifysock: play the service manager's part of sd_notify.  Bind an
 * AF_UNIX datagram socket at PATH (with -a, in the abstract namespace as
 * "@PATH"), run COMMAND with NOTIFY_SOCKET naming it, and print on
 * standard output, one line each and flushed at once:
 *
 *   pid N          the command's pid, first
 *   MESSAGE        each datagram received, as it came
 *   exit N         when the command exits (or "signal N"), last
 *
 * Datagrams still queued when the command exits are printed before that
 * last line.  After SECONDS (-t, default 120) the command is killed and
 * "timeout" printed.
 *
 * Exit status: 0 when the command ended by itself, 1 on a local error or
 * the timeout, 2 on a usage error.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MESSAGE_MAX 4096

static void __attribute__((noreturn))
usage(void)
{
	(void)fprintf(stderr, "usage: notifysock [-a] [-t SECONDS] PATH "
	    "COMMAND [ARG...]\n");
	exit(2);
}

static void
say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vprintf(fmt, ap);
	va_end(ap);
	if (fflush(stdout) == EOF)
		exit(1);
}

/* Print every datagram queued on FD, without waiting. */
static void
drain(int fd)
{
	char buf[MESSAGE_MAX + 1];
	ssize_t n;

	while ((n = recv(fd, buf, MESSAGE_MAX, MSG_DONTWAIT)) >= 0) {
		buf[n] = '\0';
		say("%s\n", buf);
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
		perror("notifysock: recv");
		exit(1);
	}
}

static int
bind_socket(const char *path, bool abstract, char *env, size_t envlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len = strlen(path);
	socklen_t addrlen;
	int fd;

	/* The abstract name's leading NUL takes one byte of sun_path too. */
	if (len + 1 > sizeof(sun.sun_path) || len + 2 > envlen) {
		(void)fprintf(stderr, "notifysock: %s: name too long\n", path);
		exit(1);
	}
	if (abstract) {
		memcpy(sun.sun_path + 1, path, len);
		addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
		    1 + len);
		(void)snprintf(env, envlen, "@%s", path);
	} else {
		memcpy(sun.sun_path, path, len);
		addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
		    len + 1);
		(void)snprintf(env, envlen, "%s", path);
	}
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, addrlen) == -1) {
		perror("notifysock: socket");
		exit(1);
	}
	return fd;
}

int
main(int argc, char **argv)
{
	char env[sizeof(((struct sockaddr_un *)NULL)->sun_path) + 1];
	struct pollfd pfd;
	struct timespec t0;
	struct timespec t;
	bool abstract = false;
	long seconds = 120;
	pid_t pid;
	int status;
	int ch;

	while ((ch = getopt(argc, argv, "+at:")) != -1) {
		switch (ch) {
		case 'a':
			abstract = true;
			break;
		case 't':
			seconds = strtol(optarg, NULL, 10);
			if (seconds < 1 || seconds > 3600)
				usage();
			break;
		default:
			usage();
		}
	}
	if (argc - optind < 2)
		usage();
	pfd.fd = bind_socket(argv[optind], abstract, env, sizeof(env));
	pfd.events = POLLIN;

	switch (pid = fork()) {
	case -1:
		perror("notifysock: fork");
		return 1;
	case 0:
		if (setenv("NOTIFY_SOCKET", env, 1) == -1)
			_exit(127);
		execvp(argv[optind + 1], argv + optind + 1);
		perror(argv[optind + 1]);
		_exit(127);
	default:
		break;
	}
	say("pid %ld\n", (long)pid);

	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		pid_t done;

		if (poll(&pfd, 1, 50) == -1 && errno != EINTR) {
			perror("notifysock: poll");
			return 1;
		}
		drain(pfd.fd);
		if ((done = waitpid(pid, &status, WNOHANG)) == pid)
			break;
		if (done == -1 && errno != EINTR) {
			perror("notifysock: waitpid");
			return 1;
		}
		(void)clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec >= seconds) {
			(void)kill(pid, SIGKILL);
			(void)waitpid(pid, NULL, 0);
			say("timeout\n");
			return 1;
		}
	}
	drain(pfd.fd);
	if (WIFSIGNALED(status))
		say("signal %d\n", WTERMSIG(status));
	else
		say("exit %d\n", WEXITSTATUS(status));
	if (!abstract)
		(void)unlink(argv[optind]);
	return 0;
}
