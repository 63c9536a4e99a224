/*
 * watchkids: run a command and, while it runs, count every few
 * milliseconds how many children of process PID are alive (zombies do not
 * count).  When the command ends, print one line on stderr:
 *
 *   watchkids: 412 samples, at most 32 children, at least 0
 *
 * and exit with the command's status (128 + N if a signal N ended it).
 * Usage: watchkids [-i MS] PID COMMAND [ARG...]
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

static void
usage(void)
{
	fprintf(stderr, "usage: watchkids [-i MS] PID COMMAND [ARG...]\n");
	exit(2);
}

/* Whether process PID exists and is not a zombie. */
static int
is_live(long pid)
{
	char path[64];
	char buf[512];
	char *p;
	FILE *f;
	size_t n;

	(void)snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	(void)fclose(f);	/* read-only */
	buf[n] = '\0';
	/* The state follows the command name, which may hold ") ". */
	if ((p = strrchr(buf, ')')) == NULL || p[1] == '\0')
		return 0;
	return p[2] != 'Z' && p[2] != 'X';
}

/* Live children of PID, over all its threads; -1 if PID is gone. */
static int
count_live(long pid)
{
	char path[512];
	char list[65536];
	struct dirent *d;
	DIR *dir;
	int live = 0;

	(void)snprintf(path, sizeof(path), "/proc/%ld/task", pid);
	if ((dir = opendir(path)) == NULL)
		return -1;
	while ((d = readdir(dir)) != NULL) {
		FILE *f;
		size_t n;
		char *p;
		char *end;

		if (d->d_name[0] == '.')
			continue;
		(void)snprintf(path, sizeof(path), "/proc/%ld/task/%s/children",
		    pid, d->d_name);
		if ((f = fopen(path, "re")) == NULL)
			continue;
		/* One read: the list as one snapshot. */
		n = fread(list, 1, sizeof(list) - 1, f);
		(void)fclose(f);	/* read-only */
		list[n] = '\0';
		for (p = list; *p != '\0'; p = end) {
			long child = strtol(p, &end, 10);

			if (end == p)
				break;
			live += is_live(child);
		}
	}
	(void)closedir(dir);
	return live;
}

int
main(int argc, char **argv)
{
	struct timespec interval = { 0, 5 * 1000000L };
	unsigned long samples = 0;
	int max = -1;
	int min = -1;
	long pid;
	pid_t cmd;
	int status;
	int ch;

	while ((ch = getopt(argc, argv, "+i:")) != -1) {
		switch (ch) {
		case 'i':
			interval.tv_nsec = tool_number(optarg, 1, 999,
			    usage) * 1000000L;
			break;
		default:
			usage();
		}
	}
	if (argc - optind < 2)
		usage();
	pid = tool_number(argv[optind], 1, 1L << 30, usage);

	if ((cmd = fork()) == -1) {
		perror("watchkids: fork");
		return 1;
	}
	if (cmd == 0) {
		execvp(argv[optind + 1], argv + optind + 1);
		fprintf(stderr, "watchkids: %s: %s\n", argv[optind + 1],
		    strerror(errno));
		_exit(127);
	}
	for (;;) {
		pid_t done = waitpid(cmd, &status, WNOHANG);
		int n;

		if (done == -1 && errno != EINTR) {
			perror("watchkids: waitpid");
			return 1;
		}
		if (done == cmd)
			break;
		if ((n = count_live(pid)) >= 0) {
			samples++;
			if (n > max)
				max = n;
			if (min == -1 || n < min)
				min = n;
		}
		(void)nanosleep(&interval, NULL);	/* EINTR: sample sooner */
	}
	fprintf(stderr, "watchkids: %lu samples, at most %d children, "
	    "at least %d\n", samples, max, min);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
