/*
 * bench: what echo-bench's modules share: the options of a run, its
 * result, and the entry point of the event loop (bench_scenarios.c).
 */
#ifndef ECHOD_CLIENT_BENCH_H
#define ECHOD_CLIENT_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench_hist.h"

enum bench_scenario {
	SCENARIO_CONN,
	SCENARIO_PINGPONG,
	SCENARIO_BULK,
	SCENARIO_IDLE
};

/* The kinds of error counted; see fail_name() in bench_report.c. */
enum bench_failure {
	FAIL_REFUSED,		/* connect: ECONNREFUSED */
	FAIL_RESET,		/* ECONNRESET, EPIPE */
	FAIL_TIMEOUT,		/* nothing moved for the timeout */
	FAIL_MISMATCH,		/* a byte differs, or more came than went */
	FAIL_SHORT,		/* closed by the server before the whole echo */
	FAIL_OTHER,		/* anything else: EMFILE, EADDRNOTAVAIL... */
	FAIL_KINDS
};

struct bench_options {
	enum bench_scenario	 scenario;
	const char		*host;
	const char		*port;
	unsigned		 conns;
	size_t			 size;		/* payload, or bulk's chunk */
	size_t			 window;	/* bulk: bytes in flight */
	int64_t			 duration_ns;	/* idle: 0 = until a signal */
	int64_t			 timeout_ns;
	bool			 json;
	bool			 progress;	/* live line on the terminal */
};

struct bench_result {
	char		address[64];	/* the address connected to */
	uint64_t	ops;		/* round trips, connections, chunks */
	uint64_t	bytes;		/* bytes echoed back and checked */
	uint64_t	held;		/* idle: connections established */
	uint64_t	errors[FAIL_KINDS];
	int64_t		elapsed_ns;	/* idle: time to establish them all */
	int64_t		held_ns;	/* idle: how long they were held */
	struct hist	latency;
};

/*
 * Run the scenario of opt to its end (the duration, or SIGINT/SIGTERM)
 * and fill res.  Returns 0, or -1 with the reason in err when the run
 * cannot start at all (the host does not resolve, no epoll...).
 */
int	bench_run(const struct bench_options *opt, struct bench_result *res,
	    char *err, size_t errlen);

#endif
