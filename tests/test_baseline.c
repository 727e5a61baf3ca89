// SPDX-License-Identifier: MIT
/*
 * test_baseline.c - baselines of normal spans: a sample per operation at
 * most once per interval, a bounded number kept per operation and a
 * bounded number of operations (memory stays put however many come), and
 * the comparison of a slow span with the typical normal one, cause by
 * cause, the largest extra time first, in words.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fr_annotate.h"
#include "fr_baseline.h"

#define MS 1000000ull

static void cause(struct fr_evidence *ev, uint8_t kind, const char *what, uint64_t ns)
{
	struct fr_cause *c = &ev->causes[ev->nr_causes++];

	c->kind = kind;
	snprintf(c->what, sizeof(c->what), "%s", what);
	c->ns = ns;
	ev->span_ns += ns;
}

static void test_budget_and_memory(void **state)
{
	struct fr_baseline_opts o = { .sz = sizeof(o), .interval_ns = 5000 * MS,
				      .samples_per_op = 3, .max_ops = 4 };
	struct fr_baselines *b = fr_baselines__new(&o);
	struct fr_evidence ev = { 0 };
	struct fr_baseline_stats st;
	size_t bytes_full;
	char name[32];

	(void)state;
	assert_non_null(b);
	/* one sample per operation per interval */
	assert_true(fr_baselines__want(b, "shop", "GET /a", 1000 * MS));
	assert_false(fr_baselines__want(b, "shop", "GET /a", 1001 * MS));
	assert_false(fr_baselines__want(b, "shop", "GET /a", 5999 * MS));
	assert_true(fr_baselines__want(b, "shop", "GET /b", 1001 * MS)); /* another operation */
	assert_true(fr_baselines__want(b, "shop", "GET /a", 6000 * MS));
	fr_baselines__stats(b, &st);
	assert_int_equal(st.wanted, 3);

	cause(&ev, FR_CAUSE_ON_CPU, "on CPU", 5 * MS);
	for (int op = 0; op < 4; op++) {
		snprintf(name, sizeof(name), "GET /%d", op);
		for (int i = 0; i < 5; i++)
			fr_baselines__add(b, "shop", name, &ev);
	}
	fr_baselines__stats(b, &st);
	bytes_full = st.bytes;
	assert_int_equal(st.ops, 4);
	assert_int_equal(st.taken, 20);
	/* many more operations and samples: the memory stays where it was */
	for (int op = 4; op < 200; op++) {
		snprintf(name, sizeof(name), "GET /%d", op);
		for (int i = 0; i < 5; i++)
			fr_baselines__add(b, "shop", name, &ev);
	}
	fr_baselines__stats(b, &st);
	assert_true(st.ops <= 4);
	assert_int_equal(st.bytes, bytes_full);
	print_message("baselines: %zu bytes for 4 operations x 3 samples\n", st.bytes);
	fr_baselines__free(b);
}

static void test_compare(void **state)
{
	struct fr_baselines *b = fr_baselines__new(NULL);
	struct fr_comparison c;
	struct fr_cause_delta d[8];
	uint64_t span;
	size_t n;

	(void)state;
	assert_non_null(b);
	assert_false(fr_baselines__compare(b, "shop", "POST /pay", &(struct fr_evidence){ 0 }, &c));
	assert_int_equal(c.samples, 0);
	for (int i = 0; i < 5; i++) {
		struct fr_evidence ev = { 0 };
		char wal[64];

		snprintf(wal, sizeof(wal), "fsync(/var/lib/app/wal-%d)", i);
		cause(&ev, FR_CAUSE_ON_CPU, "on CPU", (10 + (uint64_t)i) * MS);
		cause(&ev, FR_CAUSE_BLOCKED, wal, 2 * MS);
		cause(&ev, FR_CAUSE_RUNNABLE, "waiting for CPU", 1 * MS);
		fr_baselines__add(b, "shop", "POST /pay", &ev);
	}
	{
		struct fr_evidence slow = { 0 };

		cause(&slow, FR_CAUSE_BLOCKED, "fsync(/var/lib/app/wal-9)", 184 * MS);
		cause(&slow, FR_CAUSE_RUNNABLE,
		      "waiting for CPU: preempted by pid 4 (cpuhog)", 22 * MS);
		cause(&slow, FR_CAUSE_ON_CPU, "on CPU", 12 * MS);
		assert_true(fr_baselines__compare(b, "shop", "POST /pay", &slow, &c));
	}
	print_message("comparison: %s\n", c.text);
	assert_int_equal(c.samples, 5);
	assert_int_equal(c.normal_span_ns, 15 * MS);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.d[0].what, "in fsync(/var/lib/app/wal-#)");
	assert_int_equal(c.d[0].slow_ns, 184 * MS);
	assert_int_equal(c.d[0].normal_ns, 2 * MS);
	assert_string_equal(c.d[1].what, "waiting for CPU");
	assert_int_equal(c.d[1].normal_ns, 1 * MS);
	assert_string_equal(c.text, "+182 ms in fsync(/var/lib/app/wal-#), +21 ms waiting for CPU; "
				    "on CPU as usual");
	/* what the API shows of the operation */
	assert_int_equal(fr_baselines__describe(b, "shop", "POST /pay", d, 8, &n, &span), 5);
	assert_int_equal(n, 3);
	assert_string_equal(d[0].what, "on CPU");
	assert_int_equal(d[0].normal_ns, 12 * MS);
	assert_int_equal(span, 15 * MS);
	assert_int_equal(fr_baselines__describe(b, "shop", "GET /none", d, 8, &n, &span), 0);
	fr_baselines__free(b);
}

/* Time on CPU inside a call counts with the call ("in fsync(...)": a
 * loop of writes and fsyncs is slow on CPU in fsync as much as blocked in
 * it); the rest stays "on CPU", never below nothing. */
static void test_compare_oncpu_in_call(void **state)
{
	struct fr_baselines *b = fr_baselines__new(NULL);
	struct fr_comparison c;

	(void)state;
	assert_non_null(b);
	for (int i = 0; i < 3; i++) {
		struct fr_evidence ev = { 0 };

		cause(&ev, FR_CAUSE_ON_CPU, "on CPU", 10 * MS);
		fr_baselines__add(b, "shop", "GET /mixed", &ev);
	}
	{
		struct fr_evidence slow = { 0 };

		cause(&slow, FR_CAUSE_BLOCKED, "fsync(/var/lib/app/wal-3)", 77 * MS);
		cause(&slow, FR_CAUSE_ON_CPU, "on CPU", 80 * MS);
		snprintf(slow.call_cpu[0].what, sizeof(slow.call_cpu[0].what), "%s",
			 "fsync(/var/lib/app/wal-3)");
		slow.call_cpu[0].ns = 68 * MS;
		snprintf(slow.call_cpu[1].what, sizeof(slow.call_cpu[1].what), "%s", "write(fd 3)");
		slow.call_cpu[1].ns = 30 * MS; /* more than is left: clipped */
		slow.nr_call_cpu = 2;
		assert_true(fr_baselines__compare(b, "shop", "GET /mixed", &slow, &c));
	}
	print_message("comparison: %s\n", c.text);
	assert_string_equal(c.d[0].what, "in fsync(/var/lib/app/wal-#)");
	assert_int_equal(c.d[0].slow_ns, 145 * MS);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.d[1].what, "in write(fd #)");
	assert_int_equal(c.d[1].slow_ns, 12 * MS);
	assert_string_equal(c.d[2].what, "on CPU");
	assert_int_equal(c.d[2].slow_ns, 0);
	assert_int_equal(c.d[2].normal_ns, 10 * MS);
	fr_baselines__free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget_and_memory),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_compare_oncpu_in_call),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
