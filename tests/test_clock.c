// SPDX-License-Identifier: MIT
/* test_clock.c - monotonic <-> wall clock alignment. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "fr_clock.h"

static int64_t absdiff(uint64_t a, uint64_t b)
{
	return a > b ? (int64_t)(a - b) : (int64_t)(b - a);
}

static void test_offset_maps_now(void **state)
{
	struct fr_clock c = { 0 };
	uint64_t m, w;

	(void)state;
	fr_clock__sample(&c, 16);
	assert_true(c.sampled_mono_ns > 0);
	assert_true(c.uncertainty_ns > 0);
	/* The wall clock is decades past boot: the offset must be large. */
	assert_true(c.offset_ns > (int64_t)1000000000 * 3600 * 24 * 365);
	m = fr_mono_ns();
	w = fr_wall_ns();
	/* Read back to back, both clocks agree through the offset within 10 ms
	 * (a wrong offset is off by the time since boot). */
	assert_true(absdiff(fr_clock__to_wall(&c, m), w) < 10 * 1000 * 1000);
	assert_int_equal(fr_clock__to_mono(&c, fr_clock__to_wall(&c, m)), m);
}

static void test_refresh_age(void **state)
{
	struct fr_clock c = { 0 };
	uint64_t first;

	(void)state;
	assert_int_equal(fr_clock__refresh(&c, 1000000000ull), 1); /* never sampled */
	first = c.sampled_mono_ns;
	assert_int_equal(fr_clock__refresh(&c, 1000000000ull), 0); /* fresh enough */
	assert_int_equal(c.sampled_mono_ns, first);
	assert_int_equal(fr_clock__refresh(&c, 0), 1); /* always stale */
	assert_true(c.sampled_mono_ns > first);
}

static void test_tries_clamped(void **state)
{
	struct fr_clock c = { 0 };

	(void)state;
	fr_clock__sample(&c, 0); /* at least one pair is read */
	assert_true(c.sampled_mono_ns > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offset_maps_now),
		cmocka_unit_test(test_refresh_age),
		cmocka_unit_test(test_tries_clamped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
