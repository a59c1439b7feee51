/*
 * bench.h: what roost's benchmark tools share: a monotonic clock in
 * seconds and the median of a set of timings.
 */
#ifndef ROOST_BENCH_H
#define ROOST_BENCH_H

#include <stdlib.h>
#include <time.h>

static inline double
bench_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
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

#endif
