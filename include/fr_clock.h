/* SPDX-License-Identifier: MIT */
/*
 * fr_clock.h - alignment of BPF's CLOCK_MONOTONIC stamps with wall-clock
 * Unix ns (what OTLP spans carry).
 *
 * The offset is the tightest of several paired reads (mono, real, mono):
 * offset = real - midpoint(mono); its uncertainty is half that pair's gap.
 * A snapshot stores the offset it used. Not thread-safe: one owner per
 * struct (copy it to share).
 */
#ifndef FR_CLOCK_H
#define FR_CLOCK_H

#include <stdint.h>

struct fr_clock {
	int64_t offset_ns;        /* wall = mono + offset */
	uint64_t uncertainty_ns;  /* half the best pair's gap */
	uint64_t sampled_mono_ns; /* when this offset was measured */
};

/* CLOCK_MONOTONIC and CLOCK_REALTIME now, in ns. */
uint64_t fr_mono_ns(void);
uint64_t fr_wall_ns(void);

/* Measures the offset afresh with `tries` paired reads (>= 1). */
void fr_clock__sample(struct fr_clock *c, int tries);

/* Re-samples when the last sample is older than max_age_ns; 1 if it did. */
int fr_clock__refresh(struct fr_clock *c, uint64_t max_age_ns);

static inline uint64_t fr_clock__to_wall(const struct fr_clock *c, uint64_t mono)
{
	return (uint64_t)((int64_t)mono + c->offset_ns);
}

static inline uint64_t fr_clock__to_mono(const struct fr_clock *c, uint64_t wall)
{
	return (uint64_t)((int64_t)wall - c->offset_ns);
}

#endif /* FR_CLOCK_H */
