/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the benchmarks share: CPU time, medians, opening a recording. */
#ifndef SMMUTRACE_BENCH_UTIL_H
#define SMMUTRACE_BENCH_UTIL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "recording.h"

/*
 * CPU time of this process (user + system: write() is part of a writer's
 * cost), not wall time: the benchmarks are single-threaded and often run on
 * a shared machine, where wall time mostly measures the other jobs.
 */
static inline double bench_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* the median of V[0..N) (sorts V) */
static inline double bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* PATH opened for reading as a recording; exits 1 with PROG's message on failure */
static inline FILE *bench_open_recording(const char *prog, const char *path,
					 struct recording_reader **r)
{
	char err[512];
	FILE *f = fopen(path, "rb");

	if (!f) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		exit(1);
	}
	if (recording_reader__open(r, f, path, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", prog, err);
		exit(1);
	}
	return f;
}

#endif
