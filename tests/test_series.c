// SPDX-License-Identifier: MIT
/*
 * test_series.c - operations' latency over the last hour: per minute the
 * count and p50/p99 (within the histogram's resolution), a bounded sample
 * of spans however many come, minutes older than the hour gone, and the
 * memory bounded by the number of operations.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "fr_series.h"

#define MS 1000000ull
#define MIN (60ull * 1000 * MS)

static void test_minutes_and_quantiles(void **state)
{
	struct fr_series *s = fr_series__new(NULL);
	struct fr_series_minute m[FR_SERIES_MINUTES];
	struct fr_series_point p[FR_SERIES_MINUTES * FR_SERIES_POINTS];
	uint64_t t0 = 1700000000ull * 1000000000ull / MIN * MIN;
	size_t nm, np;

	(void)state;
	assert_non_null(s);
	assert_false(fr_series__get(s, "shop", "GET /", 0, m, &nm, p, 10, &np));
	/* minute 0: 1000 spans of 10 ms and 20 of 200 ms (2%); minute 1: 100 of 50 ms */
	for (int i = 0; i < 1000; i++)
		fr_series__add(s, "shop", "GET /", t0 + (uint64_t)i * 50 * MS, 10 * MS);
	for (int i = 0; i < 20; i++)
		fr_series__add(s, "shop", "GET /", t0 + 55000 * MS, 200 * MS);
	for (int i = 0; i < 100; i++)
		fr_series__add(s, "shop", "GET /", t0 + MIN + (uint64_t)i * MS, 50 * MS);
	assert_true(fr_series__get(s, "shop", "GET /", 0, m, &nm, p, sizeof(p) / sizeof(p[0]), &np));
	assert_int_equal(nm, 2);
	assert_int_equal(m[0].t_unix_ns, t0);
	assert_int_equal(m[0].count, 1020);
	assert_int_equal(m[1].count, 100);
	print_message("p50 %.2f ms, p99 %.2f ms; next minute p50 %.2f ms\n", m[0].p50_ns / 1e6,
		      m[0].p99_ns / 1e6, m[1].p50_ns / 1e6);
	assert_true(m[0].p50_ns > 8 * MS && m[0].p50_ns < 12 * MS);
	assert_true(m[0].p99_ns > 160 * MS && m[0].p99_ns < 240 * MS);
	assert_true(m[1].p50_ns > 40 * MS && m[1].p50_ns < 60 * MS);
	assert_int_equal(np, 2 * FR_SERIES_POINTS); /* a sample per minute, bounded */
	/* from a time on */
	assert_true(fr_series__get(s, "shop", "GET /", t0 + MIN, m, &nm, p, 10, &np));
	assert_int_equal(nm, 1);
	assert_int_equal(np, 10);
	/* an hour later the old minutes are gone */
	fr_series__add(s, "shop", "GET /", t0 + 61 * MIN, 5 * MS);
	assert_true(fr_series__get(s, "shop", "GET /", 0, m, &nm, p, 10, &np));
	assert_int_equal(nm, 1);
	assert_int_equal(m[0].count, 1);
	fr_series__free(s);
}

static void test_memory_bound(void **state)
{
	struct fr_series_opts o = { .sz = sizeof(o), .max_ops = 8 };
	struct fr_series *s = fr_series__new(&o);
	struct fr_series_minute m[FR_SERIES_MINUTES];
	struct fr_series_point p[4];
	size_t full, nm, np;
	char name[32];

	(void)state;
	for (int i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "GET /%d", i);
		fr_series__add(s, "shop", name, 1000 * MIN + (uint64_t)i, MS);
	}
	full = fr_series__bytes(s);
	for (int i = 8; i < 1000; i++) {
		snprintf(name, sizeof(name), "GET /%d", i);
		fr_series__add(s, "shop", name, 1000 * MIN + (uint64_t)i, MS);
	}
	print_message("%zu bytes for 8 operations\n", fr_series__bytes(s));
	assert_int_equal(fr_series__bytes(s), full);
	/* the least recently seen made room; the latest are there */
	assert_false(fr_series__get(s, "shop", "GET /0", 0, m, &nm, p, 4, &np));
	assert_true(fr_series__get(s, "shop", "GET /999", 0, m, &nm, p, 4, &np));
	fr_series__free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minutes_and_quantiles),
		cmocka_unit_test(test_memory_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
