/*
 * bench_hist: a latency histogram with log-linear buckets.
 *
 * Values below HIST_SUB have a bucket each.  A larger value v with its top
 * bit at position e falls in row e - HIST_SUB_BITS + 1, and in that row in
 * the bucket given by the HIST_SUB_BITS bits below the top one: the same
 * layout as HdrHistogram's, in a fixed array.
 */
#include "bench_hist.h"

#include <math.h>
#include <string.h>

static unsigned
top_bit(uint64_t v)
{
	unsigned e = 0;

	while (v >>= 1)
		e++;
	return e;
}

static size_t
bucket_of(uint64_t v)
{
	unsigned shift;

	if (v < HIST_SUB)
		return (size_t)v;
	shift = top_bit(v) - HIST_SUB_BITS;
	return (size_t)(shift + 1) * HIST_SUB + ((v >> shift) & (HIST_SUB - 1));
}

/* The largest value that falls in bucket i. */
static uint64_t
bucket_high(size_t i)
{
	unsigned shift;
	uint64_t low;

	if (i < HIST_SUB)
		return i;
	shift = (unsigned)(i / HIST_SUB) - 1;
	low = (uint64_t)(HIST_SUB + i % HIST_SUB) << shift;
	return low + ((UINT64_C(1) << shift) - 1);
}

void
hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min_ns = UINT64_MAX;
}

void
hist_record(struct hist *h, uint64_t ns)
{
	h->count[bucket_of(ns)]++;
	h->total++;
	h->sum_ns += (double)ns;
	if (ns < h->min_ns)
		h->min_ns = ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
}

uint64_t
hist_quantile(const struct hist *h, double q)
{
	uint64_t rank;
	uint64_t seen = 0;
	uint64_t v;
	size_t i;

	if (h->total == 0)
		return 0;
	if (q >= 1.0)
		return h->max_ns;
	rank = (uint64_t)ceil(q * (double)h->total);
	if (rank == 0)
		rank = 1;
	for (i = 0; i < HIST_BUCKETS; i++) {
		seen += h->count[i];
		if (seen >= rank)
			break;
	}
	v = bucket_high(i < HIST_BUCKETS ? i : HIST_BUCKETS - 1);
	if (v > h->max_ns)
		v = h->max_ns;
	if (v < h->min_ns)
		v = h->min_ns;
	return v;
}

double
hist_mean(const struct hist *h)
{
	return h->total == 0 ? 0.0 : h->sum_ns / (double)h->total;
}
