// SPDX-License-Identifier: MIT
/*
 * test_trigger.c - the quantile sketch against exact quantiles on several
 * distributions, rule text, and the trigger engine with an injected clock:
 * thresholds, percentiles with minimum samples and a trailing window,
 * error status, cooldowns, the per-minute budget and the operation cap.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fr_buf.h"
#include "fr_sketch.h"
#include "fr_trigger.h"

/* ---- sketch accuracy ---- */

static uint64_t rng = 88172645463325252ull;

static double uniform01(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return ((rng >> 11) + 0.5) / 9007199254740992.0;
}

static double normal(void)
{
	return sqrt(-2 * log(uniform01())) * cos(2 * M_PI * uniform01());
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

enum dist { UNIFORM, LOGNORMAL, BIMODAL, PARETO };

static uint64_t draw(enum dist d)
{
	double v = 0;

	switch (d) {
	case UNIFORM: v = 1e6 + uniform01() * 99e6; break;             /* 1..100 ms */
	case LOGNORMAL: v = exp(log(5e6) + normal()); break;           /* median 5 ms */
	case BIMODAL:                                                   /* 2 ms and 200 ms */
		v = uniform01() < 0.9 ? 2e6 + 2e5 * normal() : 200e6 + 20e6 * normal();
		break;
	case PARETO: v = 1e6 / pow(uniform01(), 1 / 1.2); break;       /* heavy tail */
	}
	if (v < 2000)
		v = 2000;
	if (v > 9e11)
		v = 9e11;
	return (uint64_t)v;
}

static void test_sketch_error_bound(void **state)
{
	const char *names[] = { "uniform", "log-normal", "bimodal", "pareto" };
	const double qs[] = { 0.5, 0.9, 0.99, 0.999 };
	const size_t n = 200000;
	uint64_t *v = malloc(n * sizeof(*v));
	struct fr_sketch *s = malloc(sizeof(*s));
	double worst = 0;

	(void)state;
	assert_non_null(v);
	for (int d = 0; d < 4; d++) {
		fr_sketch__clear(s);
		for (size_t i = 0; i < n; i++) {
			v[i] = draw((enum dist)d);
			fr_sketch__add(s, v[i]);
		}
		qsort(v, n, sizeof(*v), cmp_u64);
		assert_int_equal(s->count, n);
		for (int k = 0; k < 4; k++) {
			uint64_t exact = v[(size_t)(qs[k] * (double)(n - 1))];
			uint64_t est = fr_sketch__quantile(s, qs[k]);
			double err = fabs((double)est - (double)exact) / (double)exact;

			if (err > worst)
				worst = err;
			print_message("%-10s q=%-6g exact %12llu est %12llu rel err %.5f\n", names[d],
				      qs[k], (unsigned long long)exact, (unsigned long long)est, err);
			assert_true(err <= FR_SKETCH_ALPHA + 1e-9);
		}
	}
	print_message("worst relative error %.5f (bound %.2f)\n", worst, FR_SKETCH_ALPHA);
	free(v);
	free(s);
}

static void test_sketch_merge_and_edges(void **state)
{
	struct fr_sketch *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct fr_sketch *all = calloc(1, sizeof(*all));

	(void)state;
	assert_int_equal(fr_sketch__quantile(a, 0.5), 0); /* empty */
	for (int i = 0; i < 10000; i++) {
		uint64_t x = draw(LOGNORMAL);

		fr_sketch__add(i % 2 ? a : b, x);
		fr_sketch__add(all, x);
	}
	fr_sketch__merge(a, b);
	assert_memory_equal(a, all, sizeof(*a));
	fr_sketch__subtract(a, b);
	assert_int_equal(a->count, 5000);
	/* clamped ends */
	fr_sketch__clear(a);
	fr_sketch__add(a, 1);
	assert_int_equal(fr_sketch__quantile(a, 0.5), FR_SKETCH_MIN_NS);
	fr_sketch__add(a, UINT64_MAX);
	assert_true(fr_sketch__quantile(a, 1.0) >= FR_SKETCH_MAX_NS * 0.99);
	free(a);
	free(b);
	free(all);
}

/* ---- rules ---- */

static void test_rule_text(void **state)
{
	struct fr_rule r, r2;
	char err[128], text[512];

	(void)state;
	assert_int_equal(fr_rule__parse("threshold=250ms,service=checkout,name='POST /a,b',kind=server,"
					"cooldown=30s", &r, err, sizeof(err)), 0);
	assert_int_equal(r.type, FR_RULE_THRESHOLD);
	assert_int_equal(r.threshold_ns, 250000000);
	assert_string_equal(r.service, "checkout");
	assert_string_equal(r.name, "POST /a,b");
	assert_int_equal(r.kind, FR_KIND_SERVER);
	assert_int_equal(r.cooldown_ns, 30000000000ull);
	fr_rule__format(&r, text, sizeof(text));
	assert_int_equal(fr_rule__parse(text, &r2, err, sizeof(err)), 0);
	assert_memory_equal(&r, &r2, sizeof(r));

	assert_int_equal(fr_rule__parse("p99.9,min=200", &r, err, sizeof(err)), 0);
	assert_int_equal(r.type, FR_RULE_PERCENTILE);
	assert_true(fabs(r.quantile - 0.999) < 1e-12);
	assert_int_equal(r.min_samples, 200);
	assert_int_equal(r.kind, -1);
	fr_rule__format(&r, text, sizeof(text));
	assert_int_equal(fr_rule__parse(text, &r2, err, sizeof(err)), 0);
	assert_memory_equal(&r, &r2, sizeof(r));

	assert_int_equal(fr_rule__parse(FR_DEFAULT_RULE, &r, err, sizeof(err)), 0);
	assert_int_equal(fr_rule__parse("error,service=pay*", &r, err, sizeof(err)), 0);
	assert_int_equal(r.type, FR_RULE_ERROR);

	assert_int_equal(fr_rule__parse("", &r, err, sizeof(err)), -EINVAL);
	assert_int_equal(fr_rule__parse("p0", &r, err, sizeof(err)), -EINVAL);
	assert_int_equal(fr_rule__parse("p100", &r, err, sizeof(err)), -EINVAL);
	assert_int_equal(fr_rule__parse("threshold=abc", &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "abc"));
	assert_int_equal(fr_rule__parse("p99,kind=sideways", &r, err, sizeof(err)), -EINVAL);
	assert_int_equal(fr_rule__parse("p99,colour=red", &r, err, sizeof(err)), -EINVAL);
	assert_int_equal(fr_rule__parse("slow", &r, err, sizeof(err)), -EINVAL);
	assert_int_equal(fr_rule__parse("p99,min=0", &r, err, sizeof(err)), -EINVAL);
}

/* ---- the engine ---- */

static uint64_t fake_now;

static uint64_t now_fn(void)
{
	return fake_now;
}

static struct fr_resource res = { .service_name = { "checkout", 8 } };
static struct fr_scope scope = { .resource = &res };

static struct fr_span span(const char *name, uint8_t kind, uint64_t dur_ns)
{
	struct fr_span s = { 0 };

	s.name.p = name;
	s.name.len = (uint32_t)strlen(name);
	s.kind = kind;
	s.start_ns = 1700000000000000000ull;
	s.end_ns = s.start_ns + dur_ns;
	s.scope = &scope;
	return s;
}

static bool observe(struct fr_trigger *t, const char *name, uint8_t kind, uint64_t dur)
{
	struct fr_span s = span(name, kind, dur);
	struct fr_decision d;

	fr_trigger__observe(t, &s, &d);
	return d.fire;
}

static struct fr_trigger *engine(uint32_t max_ops, uint32_t budget)
{
	struct fr_trigger_opts o = { .sz = sizeof(o), .now = now_fn, .max_ops = max_ops,
				     .budget_per_min = budget, .window_ns = 300000000000ull };

	fake_now = 1000000000000ull;
	return fr_trigger__new(&o);
}

static void add(struct fr_trigger *t, const char *text)
{
	struct fr_rule r;
	char err[128];

	assert_int_equal(fr_rule__parse(text, &r, err, sizeof(err)), 0);
	assert_int_equal(fr_trigger__add_rule(t, &r, NULL), 0);
}

static void test_threshold_and_cooldown(void **state)
{
	struct fr_trigger *t = engine(0, 1000);
	struct fr_span s = span("POST /pay", FR_KIND_SERVER, 300000000);
	struct fr_decision d;

	(void)state;
	add(t, "threshold=100ms,cooldown=10s");
	assert_false(observe(t, "POST /pay", FR_KIND_SERVER, 99000000));
	fr_trigger__observe(t, &s, &d);
	assert_true(d.fire);
	assert_int_equal(d.threshold_ns, 100000000);
	assert_non_null(strstr(d.reason, "300.0 ms > threshold 100.0 ms"));
	/* same operation inside the cooldown: no; another operation: yes */
	assert_false(observe(t, "POST /pay", FR_KIND_SERVER, 300000000));
	assert_true(observe(t, "GET /cart", FR_KIND_SERVER, 300000000));
	fake_now += 10000000001ull;
	assert_true(observe(t, "POST /pay", FR_KIND_SERVER, 300000000));
	{
		struct fr_rule rules[4];
		struct fr_trigger_stats st;

		assert_int_equal(fr_trigger__rules(t, rules, 4), 1);
		assert_int_equal(rules[0].fired, 3);
		assert_int_equal(rules[0].cooled, 1);
		fr_trigger__stats(t, &st);
		assert_int_equal(st.fired, 3);
		assert_int_equal(st.cooled, 1);
		assert_int_equal(st.spans, 5);
	}
	fr_trigger__free(t);
}

static void test_percentile_window(void **state)
{
	struct fr_trigger *t = engine(0, 1000);
	struct fr_op_stats ops[4];

	(void)state;
	add(t, "p99,min=100,cooldown=0s");
	/* not before the minimum number of samples */
	for (int i = 0; i < 99; i++)
		assert_false(observe(t, "GET /x", FR_KIND_SERVER, 10000000 + i * 10000));
	assert_false(observe(t, "GET /x", FR_KIND_SERVER, 900000000)); /* 100th sample */
	for (int i = 0; i < 1000; i++)
		observe(t, "GET /x", FR_KIND_SERVER, 10000000 + (i % 100) * 10000);
	assert_true(observe(t, "GET /x", FR_KIND_SERVER, 50000000));   /* 50 ms >> p99 ~11 ms */
	assert_false(observe(t, "GET /x", FR_KIND_SERVER, 10500000));  /* typical */
	assert_int_equal(fr_trigger__ops(t, ops, 4), 1);
	assert_int_equal(ops[0].count, 1102);
	assert_true(ops[0].p99_ns > 10500000 && ops[0].p99_ns < 12000000);
	assert_true(ops[0].p50_ns > 10000000 && ops[0].p50_ns < 11000000);
	/* the window slides: after 5 minutes the old samples are gone */
	fake_now += 301000000000ull;
	assert_false(observe(t, "GET /x", FR_KIND_SERVER, 900000000));
	assert_int_equal(fr_trigger__ops(t, ops, 4), 1);
	assert_int_equal(ops[0].count, 1);
	fr_trigger__free(t);
}

static void test_kind_error_and_globs(void **state)
{
	struct fr_trigger *t = engine(0, 1000);
	struct fr_span s = span("charge", FR_KIND_CLIENT, 1000);
	struct fr_decision d;

	(void)state;
	add(t, "threshold=50ms,kind=server,name=POST *,cooldown=0s");
	add(t, "error,service=check*,cooldown=0s");
	assert_false(observe(t, "POST /a", FR_KIND_CLIENT, 90000000)); /* wrong kind */
	assert_false(observe(t, "GET /a", FR_KIND_SERVER, 90000000));  /* name glob */
	assert_true(observe(t, "POST /a", FR_KIND_SERVER, 90000000));
	fr_trigger__observe(t, &s, &d);
	assert_false(d.fire);
	s.status_code = FR_STATUS_ERROR;
	fr_trigger__observe(t, &s, &d);
	assert_true(d.fire);
	assert_non_null(strstr(d.reason, "error"));
	assert_int_equal(fr_trigger__remove_rule(t, d.rule_id), 0);
	assert_int_equal(fr_trigger__remove_rule(t, d.rule_id), -ENOENT);
	fr_trigger__observe(t, &s, &d);
	assert_false(d.fire);
	fr_trigger__free(t);
}

static void test_budget(void **state)
{
	struct fr_trigger *t = engine(0, 3);
	struct fr_trigger_stats st;
	int fired = 0;

	(void)state;
	add(t, "threshold=1ms,cooldown=0s");
	for (int i = 0; i < 10; i++)
		fired += observe(t, "op", FR_KIND_SERVER, 5000000);
	assert_int_equal(fired, 3);
	fr_trigger__stats(t, &st);
	assert_int_equal(st.over_budget, 7);
	fake_now += 60000000000ull; /* next minute */
	assert_true(observe(t, "op", FR_KIND_SERVER, 5000000));
	fr_trigger__free(t);
}

static void test_ops_bounded(void **state)
{
	struct fr_trigger *t = engine(4, 1000);
	struct fr_trigger_stats st;
	struct fr_op_stats ops[8];
	char name[32];

	(void)state;
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "op%d", i);
		observe(t, name, FR_KIND_SERVER, 1000000);
	}
	fr_trigger__stats(t, &st);
	assert_int_equal(st.ops, 4);
	assert_int_equal(st.ops_evicted, 6);
	assert_int_equal(fr_trigger__ops(t, ops, 8), 4);
	assert_string_equal(ops[0].name, "op9"); /* most recent first */
	assert_string_equal(ops[3].name, "op6");
	fr_trigger__free(t);
}

static void test_rule_limits(void **state)
{
	struct fr_trigger *t = engine(0, 1000);
	struct fr_rule r;
	uint32_t id;

	(void)state;
	fr_rule__parse("error", &r, NULL, 0);
	for (int i = 0; i < FR_MAX_RULES; i++)
		assert_int_equal(fr_trigger__add_rule(t, &r, &id), 0);
	assert_int_equal(fr_trigger__add_rule(t, &r, &id), -ENOSPC);
	r.id = 5;
	assert_int_equal(fr_trigger__remove_rule(t, 7), 0);
	assert_int_equal(fr_trigger__add_rule(t, &r, &id), -EEXIST);
	fr_trigger__free(t);
}

/* parse(format(r)) == r, field by field. */
static void assert_round_trip(const struct fr_rule *r)
{
	struct fr_rule back;
	char text[512], err[128];

	fr_rule__format(r, text, sizeof(text));
	if (fr_rule__parse(text, &back, err, sizeof(err)))
		fail_msg("'%s' does not parse back: %s", text, err);
	assert_int_equal(back.type, r->type);
	assert_int_equal(back.kind, r->kind);
	assert_int_equal(back.threshold_ns, r->threshold_ns);
	if (back.quantile != r->quantile)
		fail_msg("'%s': quantile %.17g came back as %.17g", text, r->quantile, back.quantile);
	assert_int_equal(back.min_samples, r->min_samples);
	assert_int_equal(back.cooldown_ns, r->cooldown_ns);
	assert_string_equal(back.service, r->service);
	assert_string_equal(back.name, r->name);
}

static void test_rules_round_trip(void **state)
{
	static const char *const texts[] = {
		"p99.99999", "p.88888888", "p0.0001", "p99.9999999999999", "p50,min=1",
		"threshold=1ns,cooldown=0ns", "threshold=9223372036854775807ns",
		"threshold=9007199254740993ns", "threshold=1.5s,service='a, b',name='GET /x '",
		"threshold=0.000001ms", "error,kind=consumer,cooldown=106751d", NULL,
	};
	static const char *const bad[] = {
		"threshold=1e40s", "threshold=inf", "threshold=nan", "threshold=-5ms",
		"threshold= 5ms", "threshold=9223372036854775808ns", "threshold=300000000000m",
		"threshold=18446744073709551616ns", "p100", "p1e3", "pinf", "pnan", "p-1",
		"threshold=5ms,cooldown=1e300s", NULL,
	};
	struct fr_rule r;
	uint64_t rng = 12345;

	(void)state;
	for (int i = 0; texts[i]; i++) {
		if (fr_rule__parse(texts[i], &r, NULL, 0)) {
			assert_string_equal(texts[i], "error,kind=consumer,cooldown=106751d");
			continue; /* days are not a unit: refused, fine */
		}
		assert_round_trip(&r);
	}
	for (int i = 0; bad[i]; i++)
		if (!fr_rule__parse(bad[i], &r, NULL, 0))
			fail_msg("'%s' was accepted", bad[i]);
	/* random rules as the parser would make them, up to 15 decimals */
	for (int i = 0; i < 20000; i++) {
		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		memset(&r, 0, sizeof(r));
		r.type = (uint8_t)(1 + (rng >> 60) % 3);
		r.kind = (int8_t)((int)((rng >> 20) % 7) - 1);
		r.min_samples = 1 + (uint32_t)((rng >> 8) % 1000);
		r.cooldown_ns = (rng >> 1) % FR_DURATION_MAX_NS;
		if (r.type == FR_RULE_THRESHOLD)
			r.threshold_ns = 1 + (rng >> 2) % FR_DURATION_MAX_NS;
		if (r.type == FR_RULE_PERCENTILE) {
			/* as the parser makes them: a decimal percentile / 100 */
			double pct = (double)((rng >> 11) % 100000000000ull) / 1e9;
			char text[64];

			snprintf(text, sizeof(text), "%.*f", (int)((rng >> 40) % 16), pct);
			r.quantile = strtod(text, NULL) / 100.0;
			if (!(r.quantile > 0 && r.quantile < 1))
				r.quantile = 0.99; /* "p0", "p100": the parser refuses them */
		} else {
			r.min_samples = 100;
		}
		snprintf(r.service, sizeof(r.service), "svc %d, x", i % 7);
		assert_round_trip(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sketch_error_bound),
		cmocka_unit_test(test_sketch_merge_and_edges),
		cmocka_unit_test(test_rule_text),
		cmocka_unit_test(test_threshold_and_cooldown),
		cmocka_unit_test(test_percentile_window),
		cmocka_unit_test(test_kind_error_and_globs),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_ops_bounded),
		cmocka_unit_test(test_rule_limits),
		cmocka_unit_test(test_rules_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
