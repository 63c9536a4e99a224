/*
 * bench_hist: a latency histogram with log-linear buckets: exact below
 * 32 ns, then 32 buckets for every power of two, so any percentile is
 * known within about 3 % in constant memory, however many values come.
 */
#ifndef ECHOD_CLIENT_BENCH_HIST_H
#define ECHOD_CLIENT_BENCH_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS	5
#define HIST_SUB	(1U << HIST_SUB_BITS)
#define HIST_BUCKETS	((64 - HIST_SUB_BITS + 1) * HIST_SUB)

struct hist {
	uint64_t	count[HIST_BUCKETS];
	uint64_t	total;
	uint64_t	min_ns;
	uint64_t	max_ns;
	double		sum_ns;
};

void	hist_init(struct hist *h);
void	hist_record(struct hist *h, uint64_t ns);

/*
 * The value below which a fraction q (0..1) of the values lie: the upper
 * end of the bucket holding it, kept within the smallest and largest value
 * seen; 0 when the histogram is empty.
 */
uint64_t	hist_quantile(const struct hist *h, double q);
double	hist_mean(const struct hist *h);

#endif
