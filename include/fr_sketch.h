/* SPDX-License-Identifier: MIT */
/*
 * fr_sketch.h - a log-bucketed quantile sketch of durations.
 *
 * Bucket i holds values in (MIN * g^(i-1), MIN * g^i], g = (1 + a)/(1 - a),
 * and reports 2 * MIN * g^i / (g + 1): within a relative error a = 1% of
 * any value in [FR_SKETCH_MIN_NS, FR_SKETCH_MAX_NS] (values outside are
 * clamped to the end buckets). Fixed memory (about 4 KiB), O(1) updates,
 * mergeable by adding counts, exact for counts. Not thread-safe.
 */
#ifndef FR_SKETCH_H
#define FR_SKETCH_H

#include <stdint.h>

#define FR_SKETCH_ALPHA 0.01
#define FR_SKETCH_MIN_NS 1000ull          /* 1 us */
#define FR_SKETCH_MAX_NS 1000000000000ull /* 1000 s */
#define FR_SKETCH_BUCKETS 1040

struct fr_sketch {
	uint64_t count;
	uint32_t b[FR_SKETCH_BUCKETS];
};

void fr_sketch__clear(struct fr_sketch *s);
void fr_sketch__add(struct fr_sketch *s, uint64_t value_ns);
/* dst += src; dst -= src (src must have been merged into dst). */
void fr_sketch__merge(struct fr_sketch *dst, const struct fr_sketch *src);
void fr_sketch__subtract(struct fr_sketch *dst, const struct fr_sketch *src);
/* The q-quantile (0 <= q <= 1) by rank q * (count - 1); 0 when empty. */
uint64_t fr_sketch__quantile(const struct fr_sketch *s, double q);

#endif /* FR_SKETCH_H */
