// SPDX-License-Identifier: MIT
#include <math.h>
#include <string.h>

#include "fr_sketch.h"

/* g = (1 + a) / (1 - a) for a = 0.01, and log(g); constants so that no
 * state is shared between threads. */
#define GAMMA 1.02020202020202
#define LOG_GAMMA 0.020000666706669435
#ifndef __clang__ /* clang takes no floating comparison as a constant expression */
_Static_assert(FR_SKETCH_ALPHA == 0.01, "GAMMA and LOG_GAMMA are for a = 1%");
#endif

static double log_gamma(void)
{
	return LOG_GAMMA;
}

static uint32_t bucket_of(uint64_t v)
{
	double i;

	if (v <= FR_SKETCH_MIN_NS)
		return 0;
	if (v >= FR_SKETCH_MAX_NS)
		return FR_SKETCH_BUCKETS - 1;
	i = ceil(log((double)v / (double)FR_SKETCH_MIN_NS) / log_gamma());
	return i >= FR_SKETCH_BUCKETS - 1 ? FR_SKETCH_BUCKETS - 1 : (uint32_t)i;
}

static uint64_t value_of(uint32_t i)
{
	double g = GAMMA;

	if (i == 0)
		return FR_SKETCH_MIN_NS;
	return (uint64_t)(2.0 * (double)FR_SKETCH_MIN_NS * exp(log_gamma() * i) / (g + 1.0));
}

void fr_sketch__clear(struct fr_sketch *s)
{
	memset(s, 0, sizeof(*s));
}

void fr_sketch__add(struct fr_sketch *s, uint64_t v)
{
	s->b[bucket_of(v)]++;
	s->count++;
}

void fr_sketch__merge(struct fr_sketch *dst, const struct fr_sketch *src)
{
	for (int i = 0; i < FR_SKETCH_BUCKETS; i++)
		dst->b[i] += src->b[i];
	dst->count += src->count;
}

void fr_sketch__subtract(struct fr_sketch *dst, const struct fr_sketch *src)
{
	for (int i = 0; i < FR_SKETCH_BUCKETS; i++)
		dst->b[i] -= src->b[i];
	dst->count -= src->count;
}

uint64_t fr_sketch__quantile(const struct fr_sketch *s, double q)
{
	uint64_t rank, seen = 0;

	if (!s->count)
		return 0;
	if (q < 0)
		q = 0;
	if (q > 1)
		q = 1;
	rank = (uint64_t)(q * (double)(s->count - 1));
	for (int i = 0; i < FR_SKETCH_BUCKETS; i++) {
		seen += s->b[i];
		if (seen > rank)
			return value_of((uint32_t)i);
	}
	return value_of(FR_SKETCH_BUCKETS - 1);
}
