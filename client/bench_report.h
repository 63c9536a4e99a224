/*
 * bench_report: how echo-bench shows a run: the names of scenarios and
 * errors, the final report as text or JSON, and the live progress line.
 */
#ifndef ECHOD_CLIENT_BENCH_REPORT_H
#define ECHOD_CLIENT_BENCH_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "bench.h"

const char	*report_scenario_name(enum bench_scenario scenario);
const char	*report_failure_name(enum bench_failure kind);
uint64_t	report_error_total(const struct bench_result *res);

void	report_text(FILE *fp, const struct bench_options *opt,
	    const struct bench_result *res);
void	report_json(FILE *fp, const struct bench_options *opt,
	    const struct bench_result *res);

/* Start counting the rates of the progress line at now_ns. */
void	report_progress_begin(int64_t now_ns);
/*
 * Rewrite the progress line on standard output (a terminal): the rates
 * are those since the previous call.
 */
void	report_progress(const struct bench_options *opt,
	    const struct bench_result *res, int64_t now_ns,
	    unsigned open_conns);
/* Erase the progress line, if one was shown. */
void	report_progress_clear(void);

#endif
