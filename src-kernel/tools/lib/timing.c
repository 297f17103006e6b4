// SPDX-License-Identifier: GPL-2.0
/*
 * Monotonic time, absolute sleeps and latency quantiles.
 */

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "timing.h"

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

void sleep_until_ns(uint64_t t)
{
	struct timespec ts = {
		.tv_sec = (time_t)(t / NSEC_PER_SEC),
		.tv_nsec = (long)(t % NSEC_PER_SEC),
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

int samples_init(struct samples *s, size_t cap)
{
	s->n = 0;
	s->lost = 0;
	s->cap = cap;
	s->v = calloc(cap ? cap : 1, sizeof(*s->v));
	return s->v ? 0 : -1;
}

void samples_free(struct samples *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* nearest-rank percentile p (0..100) of n sorted samples, in µs */
static double rank_us(const uint64_t *v, size_t n, double p)
{
	size_t k;

	if (p <= 0)
		return (double)v[0] / 1000.0;
	k = (size_t)((p / 100.0) * (double)n + 0.999999);
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return (double)v[k - 1] / 1000.0;
}

void samples_stats(struct samples *s, struct sample_stats *st)
{
	double sum = 0;
	size_t i;

	*st = (struct sample_stats){ .n = s->n };
	if (!s->n)
		return;
	qsort(s->v, s->n, sizeof(*s->v), cmp_u64);
	for (i = 0; i < s->n; i++)
		sum += (double)s->v[i];
	st->min = (double)s->v[0] / 1000.0;
	st->max = (double)s->v[s->n - 1] / 1000.0;
	st->mean = sum / (double)s->n / 1000.0;
	st->p50 = rank_us(s->v, s->n, 50);
	st->p99 = rank_us(s->v, s->n, 99);
	st->p999 = rank_us(s->v, s->n, 99.9);
	for (i = 0; i <= 100; i++)
		st->q[i] = rank_us(s->v, s->n, (double)i);
}

void sample_stats_json(FILE *f, const struct sample_stats *st)
{
	int i;

	fprintf(f, "\"unit\":\"us\",\"n\":%zu,\"min\":%.1f,\"p50\":%.1f,\"p99\":%.1f,\"p999\":%.1f,\"max\":%.1f,\"mean\":%.1f,\"q\":[",
		st->n, st->min, st->p50, st->p99, st->p999, st->max, st->mean);
	for (i = 0; i <= 100; i++)
		fprintf(f, "%s%.1f", i ? "," : "", st->q[i]);
	fputc(']', f);
}
