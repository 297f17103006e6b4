/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Time for the cyclic path and the benchmarks: CLOCK_MONOTONIC in ns, an
 * absolute sleep, and latency samples with their quantiles.
 */
#ifndef TOOLS_TIMING_H
#define TOOLS_TIMING_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define NSEC_PER_USEC	1000ull
#define NSEC_PER_MSEC	1000000ull
#define NSEC_PER_SEC	1000000000ull

/* CLOCK_MONOTONIC in ns */
uint64_t now_ns(void);
/* Sleep until CLOCK_MONOTONIC reaches t (ns); returns at once if past */
void sleep_until_ns(uint64_t t);

/**
 * struct samples - a preallocated array of latency samples (ns)
 * @v:   the samples, @cap of them allocated by samples_init()
 * @n:   how many were recorded (at most @cap; later ones are counted in
 *       @lost, never reallocated: recording is safe in a cyclic path)
 */
struct samples {
	uint64_t *v;
	size_t n, cap, lost;
};

/* 0, or -1 with errno ENOMEM */
int samples_init(struct samples *s, size_t cap);
void samples_free(struct samples *s);

static inline void samples_add(struct samples *s, uint64_t ns)
{
	if (s->n < s->cap)
		s->v[s->n++] = ns;
	else
		s->lost++;
}

/**
 * struct sample_stats - what samples_stats() derives, all in µs
 * @q:  the 101 percentiles 0..100 (nearest rank), @q[0] = min, @q[100] = max
 */
struct sample_stats {
	size_t n;
	double min, p50, p99, p999, max, mean;
	double q[101];
};

/* Sorts the samples and fills @st; n == 0 leaves everything 0 */
void samples_stats(struct samples *s, struct sample_stats *st);

/* The stats as JSON members: "unit":"us","n":..,"min":..,..,"q":[..] */
void sample_stats_json(FILE *f, const struct sample_stats *st);

#endif /* TOOLS_TIMING_H */
