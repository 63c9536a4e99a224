/*
 * bench_report: how echo-bench shows a run: the final report as text or
 * as one JSON object, and the live progress line.
 */
#include "bench_report.h"

#include <inttypes.h>
#include <stdbool.h>

#define NS_PER_S	1e9

static const char *const scenario_names[] = {
	[SCENARIO_CONN] = "conn",
	[SCENARIO_PINGPONG] = "pingpong",
	[SCENARIO_BULK] = "bulk",
	[SCENARIO_IDLE] = "idle",
};

static const char *const failure_names[FAIL_KINDS] = {
	[FAIL_REFUSED] = "refused",
	[FAIL_RESET] = "reset",
	[FAIL_TIMEOUT] = "timeout",
	[FAIL_MISMATCH] = "mismatch",
	[FAIL_SHORT] = "short",
	[FAIL_OTHER] = "other",
};

/* The progress line: when it was last drawn and what had been done then. */
static struct {
	bool		shown;
	int64_t		at_ns;
	uint64_t	ops;
	uint64_t	bytes;
} last;

const char *
report_scenario_name(enum bench_scenario scenario)
{
	return scenario_names[scenario];
}

const char *
report_failure_name(enum bench_failure kind)
{
	return failure_names[kind];
}

uint64_t
report_error_total(const struct bench_result *res)
{
	uint64_t total = 0;
	int k;

	for (k = 0; k < FAIL_KINDS; k++)
		total += res->errors[k];
	return total;
}

static double
per_second(uint64_t n, int64_t ns)
{
	return ns > 0 ? (double)n * NS_PER_S / (double)ns : 0.0;
}

/* Write a duration in nanoseconds in a unit that suits it. */
static void
put_duration(FILE *fp, uint64_t ns)
{
	if (ns < 1000)
		fprintf(fp, "%" PRIu64 " ns", ns);
	else if (ns < 1000000)
		fprintf(fp, "%.1f us", (double)ns / 1e3);
	else if (ns < 1000000000)
		fprintf(fp, "%.2f ms", (double)ns / 1e6);
	else
		fprintf(fp, "%.3f s", (double)ns / 1e9);
}

static void
put_errors_text(FILE *fp, const struct bench_result *res)
{
	int k;

	fprintf(fp, "errors:     %" PRIu64 " (", report_error_total(res));
	for (k = 0; k < FAIL_KINDS; k++)
		fprintf(fp, "%s%s %" PRIu64, k > 0 ? ", " : "",
		    failure_names[k], res->errors[k]);
	fputs(")\n", fp);
}

static void
put_latency_text(FILE *fp, const struct bench_result *res)
{
	const struct hist *h = &res->latency;

	fputs("latency:    ", fp);
	if (h->total == 0) {
		fputs("none measured\n", fp);
		return;
	}
	fputs("p50 ", fp);
	put_duration(fp, hist_quantile(h, 0.50));
	fputs(", p99 ", fp);
	put_duration(fp, hist_quantile(h, 0.99));
	fputs(", p99.9 ", fp);
	put_duration(fp, hist_quantile(h, 0.999));
	fputs(", max ", fp);
	put_duration(fp, h->max_ns);
	fputs("\n", fp);
}

void
report_text(FILE *fp, const struct bench_options *opt,
    const struct bench_result *res)
{
	double secs = (double)res->elapsed_ns / NS_PER_S;
	double mbps = per_second(res->bytes, res->elapsed_ns) / 1e6;

	fprintf(fp, "scenario:   %s, %s port %s, %u connection%s",
	    scenario_names[opt->scenario], res->address, opt->port,
	    opt->conns, opt->conns == 1 ? "" : "s");
	switch (opt->scenario) {
	case SCENARIO_CONN:
	case SCENARIO_PINGPONG:
		fprintf(fp, ", %zu-byte payload\n", opt->size);
		break;
	case SCENARIO_BULK:
		fprintf(fp, ", %zu-byte writes, %zu-byte window\n",
		    opt->size, opt->window);
		break;
	case SCENARIO_IDLE:
		fputs(", one byte echoed on each\n", fp);
		break;
	}

	switch (opt->scenario) {
	case SCENARIO_CONN:
		fprintf(fp, "time:       %.3f s\n", secs);
		fprintf(fp, "operations: %" PRIu64 " connections\n", res->ops);
		fprintf(fp, "rate:       %.1f conn/s (%.3f MB/s echoed)\n",
		    per_second(res->ops, res->elapsed_ns), mbps);
		break;
	case SCENARIO_PINGPONG:
		fprintf(fp, "time:       %.3f s\n", secs);
		fprintf(fp, "operations: %" PRIu64 " round trips\n", res->ops);
		fprintf(fp, "rate:       %.1f ops/s (%.3f MB/s echoed)\n",
		    per_second(res->ops, res->elapsed_ns), mbps);
		break;
	case SCENARIO_BULK:
		fprintf(fp, "time:       %.3f s\n", secs);
		fprintf(fp, "operations: %" PRIu64 " chunks, %" PRIu64
		    " bytes echoed\n", res->ops, res->bytes);
		fprintf(fp, "rate:       %.1f MB/s (%.1f chunks/s)\n", mbps,
		    per_second(res->ops, res->elapsed_ns));
		break;
	case SCENARIO_IDLE:
		fprintf(fp, "time:       %.3f s to establish, held %.3f s\n",
		    secs, (double)res->held_ns / NS_PER_S);
		fprintf(fp, "operations: %" PRIu64 " of %u connections "
		    "established\n", res->held, opt->conns);
		fprintf(fp, "rate:       %.1f conn/s\n",
		    per_second(res->held, res->elapsed_ns));
		break;
	}
	put_latency_text(fp, res);
	put_errors_text(fp, res);
}

void
report_json(FILE *fp, const struct bench_options *opt,
    const struct bench_result *res)
{
	const struct hist *h = &res->latency;
	const char *unit;
	double rate;
	int k;

	switch (opt->scenario) {
	case SCENARIO_BULK:
		unit = "MB/s";
		rate = per_second(res->bytes, res->elapsed_ns) / 1e6;
		break;
	case SCENARIO_IDLE:
		unit = "conn/s";
		rate = per_second(res->held, res->elapsed_ns);
		break;
	case SCENARIO_CONN:
		unit = "conn/s";
		rate = per_second(res->ops, res->elapsed_ns);
		break;
	default:
		unit = "ops/s";
		rate = per_second(res->ops, res->elapsed_ns);
		break;
	}
	/* A numeric address and a checked port: nothing to escape. */
	fprintf(fp, "{\"scenario\": \"%s\", \"address\": \"%s\", "
	    "\"port\": \"%s\", \"connections\": %u, \"size\": %zu, "
	    "\"window\": %zu, ",
	    scenario_names[opt->scenario], res->address, opt->port,
	    opt->conns, opt->size, opt->window);
	fprintf(fp, "\"elapsed_s\": %.6f, \"held_s\": %.6f, "
	    "\"ops\": %" PRIu64 ", \"bytes\": %" PRIu64
	    ", \"held\": %" PRIu64 ", ",
	    (double)res->elapsed_ns / NS_PER_S,
	    (double)res->held_ns / NS_PER_S, res->ops, res->bytes, res->held);
	fprintf(fp, "\"rate\": %.3f, \"unit\": \"%s\", "
	    "\"ops_per_s\": %.3f, \"mb_per_s\": %.3f, ",
	    rate, unit, per_second(res->ops, res->elapsed_ns),
	    per_second(res->bytes, res->elapsed_ns) / 1e6);
	fprintf(fp, "\"latency_us\": {\"count\": %" PRIu64 ", "
	    "\"mean\": %.3f, \"p50\": %.3f, \"p99\": %.3f, "
	    "\"p99_9\": %.3f, \"max\": %.3f}, ",
	    h->total, hist_mean(h) / 1e3,
	    (double)hist_quantile(h, 0.50) / 1e3,
	    (double)hist_quantile(h, 0.99) / 1e3,
	    (double)hist_quantile(h, 0.999) / 1e3,
	    (double)h->max_ns / 1e3);
	fprintf(fp, "\"errors\": {\"total\": %" PRIu64,
	    report_error_total(res));
	for (k = 0; k < FAIL_KINDS; k++)
		fprintf(fp, ", \"%s\": %" PRIu64, failure_names[k],
		    res->errors[k]);
	fputs("}}\n", fp);
}

void
report_progress(const struct bench_options *opt,
    const struct bench_result *res, int64_t now_ns, unsigned open_conns)
{
	int64_t span = now_ns - last.at_ns;

	if (opt->scenario == SCENARIO_IDLE)
		printf("\r\033[K%s: %" PRIu64 " of %u established, "
		    "%u open, %" PRIu64 " errors",
		    scenario_names[opt->scenario], res->held, opt->conns,
		    open_conns, report_error_total(res));
	else
		printf("\r\033[K%s: %.0f ops/s, %.2f MB/s, %u open, "
		    "%" PRIu64 " errors",
		    scenario_names[opt->scenario],
		    per_second(res->ops - last.ops, span),
		    per_second(res->bytes - last.bytes, span) / 1e6,
		    open_conns, report_error_total(res));
	/* A progress line that cannot be written is no reason to stop. */
	(void)fflush(stdout);
	last.shown = true;
	last.at_ns = now_ns;
	last.ops = res->ops;
	last.bytes = res->bytes;
}

void
report_progress_begin(int64_t now_ns)
{
	last.at_ns = now_ns;
	last.ops = 0;
	last.bytes = 0;
}

void
report_progress_clear(void)
{
	if (!last.shown)
		return;
	fputs("\r\033[K", stdout);
	(void)fflush(stdout);
	last.shown = false;
}
