/*
 * bench.h: what roost's benchmark tools share: the monotonic and the
 * realtime clock in seconds, and the median and percentiles of a set of
 * timings.
 */
#ifndef ROOST_BENCH_H
#define ROOST_BENCH_H

#include <stdlib.h>
#include <time.h>

/* Seconds of clock id. */
static inline double
bench_clock(clockid_t id)
{
	struct timespec	ts;

	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Seconds of the monotonic clock, for intervals. */
static inline double
bench_now(void)
{
	return bench_clock(CLOCK_MONOTONIC);
}

/* Seconds of the realtime clock, comparable with the engine's times. */
static inline double
bench_wall(void)
{
	return bench_clock(CLOCK_REALTIME);
}

static inline int
bench_dcmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sorts the n timings in v and returns their median. */
static inline double
bench_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), bench_dcmp);
	return v[n / 2];
}

/* Nearest-rank percentile p of the n values in v (sorted in place). */
static inline double
bench_percentile(double *v, size_t n, double p)
{
	size_t	k;

	if (n == 0)
		return -1;
	qsort(v, n, sizeof(*v), bench_dcmp);
	k = (size_t)(p / 100.0 * n + 0.999999);
	k = k == 0 ? 0 : k - 1;
	return v[k < n ? k : n - 1];
}

#endif
