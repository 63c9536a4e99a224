/*
 * tool: what the test programs in tests/tools share: dying with the
 * reason, reading a number argument, the monotonic clock.  Header only,
 * so that each program stays one file built on its own.
 */
#ifndef ECHOD_TESTS_TOOL_H
#define ECHOD_TESTS_TOOL_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Print "NAME: WHAT: strerror(errno)" on stderr and exit with STATUS. */
static inline void __attribute__((noreturn))
tool_fail(int status, const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what,
	    strerror(errno));
	exit(status);
}

static inline void __attribute__((noreturn))
tool_die(const char *what)
{
	tool_fail(1, what);
}

/* S as a decimal number in [MIN, MAX], or USAGE() (which must exit). */
static inline long
tool_number(const char *s, long min, long max, void (*usage)(void))
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 ||
	    v < min || v > max)
		usage();
	return v;
}

static inline int64_t
tool_now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		tool_die("clock_gettime");
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline double
tool_now_s(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		tool_die("clock_gettime");
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
