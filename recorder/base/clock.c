// SPDX-License-Identifier: MIT
#include <time.h>

#include "fr_clock.h"

static uint64_t read_clock(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t fr_mono_ns(void)
{
	return read_clock(CLOCK_MONOTONIC);
}

uint64_t fr_wall_ns(void)
{
	return read_clock(CLOCK_REALTIME);
}

void fr_clock__sample(struct fr_clock *c, int tries)
{
	uint64_t best_gap = UINT64_MAX;

	if (tries < 1)
		tries = 1;
	for (int i = 0; i < tries; i++) {
		uint64_t m1 = fr_mono_ns();
		uint64_t w = fr_wall_ns();
		uint64_t m2 = fr_mono_ns();
		uint64_t gap = m2 - m1;

		if (gap < best_gap) {
			best_gap = gap;
			c->offset_ns = (int64_t)w - (int64_t)(m1 + gap / 2);
			c->uncertainty_ns = gap / 2 + 1;
			c->sampled_mono_ns = m2;
		}
	}
}

int fr_clock__refresh(struct fr_clock *c, uint64_t max_age_ns)
{
	if (c->sampled_mono_ns && fr_mono_ns() - c->sampled_mono_ns < max_age_ns)
		return 0;
	fr_clock__sample(c, 16);
	return 1;
}
