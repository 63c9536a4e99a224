/*
 * trickle: copy standard input to standard output at no more than RATE
 * bytes a second, so that a transfer lasts long enough for something to
 * happen in the middle of it.
 * Usage: trickle RATE
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define CHUNK (32 * 1024)

static void
write_all(const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(STDOUT_FILENO, p, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			tool_die("write");
		p += w;
		n -= (size_t)w;
	}
}

int
main(int argc, char **argv)
{
	static char buf[CHUNK];
	double rate;
	double t0 = 0;
	double copied = 0;
	char *end;

	if (argc != 2 || (rate = strtod(argv[1], &end)) <= 0 || *end != '\0') {
		fprintf(stderr, "usage: trickle RATE\n");
		return 2;
	}
	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
		double ahead;

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			tool_die("read");
		if (n == 0)
			break;
		/* The clock starts with the first bytes, however late. */
		if (copied == 0)
			t0 = tool_now_s();
		write_all(buf, (size_t)n);
		copied += (double)n;
		/* Sleep off whatever time the bytes so far are early by. */
		ahead = copied / rate - (tool_now_s() - t0);
		if (ahead > 0) {
			struct timespec ts;

			ts.tv_sec = (time_t)ahead;
			ts.tv_nsec = (long)((ahead - (double)ts.tv_sec) * 1e9);
			while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
				continue;
		}
	}
	return 0;
}
