// SPDX-License-Identifier: MIT
/*
 * test_store.c - the LMDB incident store: put, read, list with filters and
 * cursors, trace index, delete, rules, retention by size and by age, a full
 * map, persistence across reopen, and kill -9 during a burst of writes.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "fr_frsnap.h"
#include "fr_store.h"

static char dir[256];
static uint64_t wall = 1700000000000000000ull;

static uint64_t now_wall(void)
{
	return wall;
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/fr-store-test-%d-XXXXXX", getpid());
	if (!mkdtemp(dir))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

static struct fr_store *open_store(uint64_t max_bytes, bool ro)
{
	struct fr_store_opts o = { .sz = sizeof(o), .dir = dir, .max_bytes = max_bytes,
				   .read_only = ro, .now_wall = now_wall };
	struct fr_store *s = fr_store__open(&o);

	assert_non_null(s);
	return s;
}

/* The cause signature put() gives its incidents (0: none). */
static uint64_t put_sig;

/* An incident with a snapshot of `size` recognisable bytes. */
static uint64_t put(struct fr_store *s, const char *service, const char *name, uint8_t trace,
		    uint64_t dur, size_t size)
{
	struct fr_incident_summary sum = { 0 };
	uint8_t *snap = malloc(size);

	sum.id = fr_store__new_id(s);
	sum.time_unix_nano = wall;
	snprintf(sum.service, sizeof(sum.service), "%s", service);
	snprintf(sum.span_name, sizeof(sum.span_name), "%s", name);
	memset(sum.trace_id, trace, 16);
	sum.duration_ns = dur;
	snprintf(sum.verdict, sizeof(sum.verdict), "verdict of %llu", (unsigned long long)sum.id);
	sum.signature = put_sig;
	if (put_sig)
		snprintf(sum.cause, sizeof(sum.cause), "cause %llx", (unsigned long long)put_sig);
	memcpy(snap, FR_FRSNAP_MAGIC, 8);
	for (size_t i = 8; i < size; i++)
		snap[i] = (uint8_t)(sum.id + i);
	for (;;) {
		uint8_t *copy = malloc(size);
		int rc;

		memcpy(copy, snap, size);
		rc = fr_store__put(s, &sum, copy, size, NULL, NULL);
		if (rc != -EAGAIN) {
			assert_int_equal(rc, 0);
			break;
		}
		fr_store__sync(s); /* the queue is full: let the writer catch up */
	}
	free(snap);
	wall += 1000000; /* 1 ms later */
	return sum.id;
}

static void check_snapshot(struct fr_store *s, uint64_t id, size_t size)
{
	struct fr_buf b = { 0 };

	assert_int_equal(fr_store__snapshot(s, id, &b), 0);
	assert_int_equal(b.len, size);
	assert_memory_equal(b.p, FR_FRSNAP_MAGIC, 8);
	for (size_t i = 8; i < size; i++)
		assert_int_equal(b.p[i], (uint8_t)(id + i));
	fr_buf__free(&b);
}

static void test_put_get_list(void **state)
{
	struct fr_store *s = open_store(0, false);
	struct fr_incident_summary out[64], sum;
	struct fr_store_query q = { 0 };
	uint64_t ids[30], cursor, tids[8];
	int n;

	(void)state;
	for (int i = 0; i < 30; i++)
		ids[i] = put(s, i % 2 ? "cart" : "checkout", i % 3 ? "GET /a" : "POST /b",
			     (uint8_t)(i % 5), (uint64_t)(i + 1) * 1000000, 1000 + i);
	fr_store__sync(s);
	for (int i = 1; i < 30; i++)
		assert_true(ids[i] > ids[i - 1]); /* time-ordered */
	assert_int_equal(fr_store__summary(s, ids[7], &sum), 0);
	assert_string_equal(sum.service, "cart");
	assert_int_equal(sum.duration_ns, 8000000);
	assert_int_equal(sum.snapshot_bytes, 1007);
	check_snapshot(s, ids[7], 1007);
	assert_int_equal(fr_store__summary(s, 12345, &sum), -ENOENT);

	/* newest first, pages of 10 */
	q.limit = 10;
	n = fr_store__list(s, &q, out, &cursor);
	assert_int_equal(n, 10);
	assert_int_equal(out[0].id, ids[29]);
	assert_int_equal(out[9].id, ids[20]);
	assert_int_equal(cursor, ids[20]);
	q.before_id = cursor;
	n = fr_store__list(s, &q, out, &cursor);
	assert_int_equal(n, 10);
	assert_int_equal(out[0].id, ids[19]);
	q.before_id = cursor;
	n = fr_store__list(s, &q, out, &cursor);
	assert_int_equal(n, 10);
	assert_int_equal(out[9].id, ids[0]);
	assert_int_equal(cursor, 0); /* no more pages */

	/* filters */
	memset(&q, 0, sizeof(q));
	q.limit = 64;
	q.service = "checkout";
	q.span_name = "POST /b";
	n = fr_store__list(s, &q, out, &cursor);
	assert_int_equal(n, 5); /* i even and divisible by 3: 0,6,12,18,24 */
	for (int i = 0; i < n; i++)
		assert_string_equal(out[i].service, "checkout");
	memset(&q, 0, sizeof(q));
	q.limit = 64;
	q.min_duration_ns = 25000000;
	assert_int_equal(fr_store__list(s, &q, out, &cursor), 6);
	memset(&q, 0, sizeof(q));
	q.limit = 64;
	q.from_unix_nano = 1700000000000000000ull + 10 * 1000000;
	q.to_unix_nano = 1700000000000000000ull + 19 * 1000000;
	assert_int_equal(fr_store__list(s, &q, out, &cursor), 10);

	/* by trace */
	assert_int_equal(fr_store__by_trace(s, (uint8_t[16]){ 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3 },
					    tids, 8), 6);
	/* delete */
	assert_int_equal(fr_store__delete(s, ids[3]), 0);
	assert_int_equal(fr_store__delete(s, ids[3]), -ENOENT);
	assert_int_equal(fr_store__summary(s, ids[3], &sum), -ENOENT);
	assert_int_equal(fr_store__by_trace(s, (uint8_t[16]){ 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3 },
					    tids, 8), 5);
	fr_store__close(s);

	/* persistence, and a read-only view */
	s = open_store(0, true);
	assert_int_equal(fr_store__summary(s, ids[29], &sum), 0);
	check_snapshot(s, ids[29], 1029);
	{
		struct fr_store_stats st;

		fr_store__stats(s, &st);
		assert_int_equal(st.incidents, 29);
	}
	assert_int_equal(fr_store__delete(s, ids[0]), -EROFS);
	fr_store__close(s);
}

static void rule_cb(void *ctx, uint32_t id, const char *text)
{
	char *buf = ctx;

	sprintf(buf + strlen(buf), "%u:%s;", id, text);
}

static void test_rules(void **state)
{
	struct fr_store *s = open_store(0, false);
	const uint32_t ids[] = { 1, 7 };
	const char *texts[] = { "p99,min=100", "threshold=250ms,service='a'" };
	char buf[512] = "";

	(void)state;
	assert_int_equal(fr_store__save_rules(s, ids, texts, 2), 0);
	assert_int_equal(fr_store__load_rules(s, rule_cb, buf), 2);
	assert_string_equal(buf, "1:p99,min=100;7:threshold=250ms,service='a';");
	assert_int_equal(fr_store__save_rules(s, ids + 1, texts + 1, 1), 0); /* replaces */
	buf[0] = '\0';
	assert_int_equal(fr_store__load_rules(s, rule_cb, buf), 1);
	assert_string_equal(buf, "7:threshold=250ms,service='a';");
	fr_store__close(s);
}

static void test_retention(void **state)
{
	struct fr_store *s = open_store(1u << 20, false); /* 1 MiB */
	struct fr_store_stats st;
	struct fr_incident_summary sum;
	uint64_t first, last = 0;

	(void)state;
	first = put(s, "svc", "op", 1, 1, 100000);
	for (int i = 0; i < 40; i++)
		last = put(s, "svc", "op", 1, 1, 100000); /* 4 MB in all */
	fr_store__sync(s);
	fr_store__stats(s, &st);
	assert_true(st.bytes <= (1u << 20));
	assert_true(st.evicted_size >= 30);
	assert_true(st.incidents <= 10);
	assert_int_equal(fr_store__summary(s, first, &sum), -ENOENT); /* oldest went */
	check_snapshot(s, last, 100000);                              /* newest kept */
	/* age: eight days later, everything old goes at the next commit */
	wall += 8ull * 24 * 3600 * 1000000000ull;
	last = put(s, "svc", "op", 1, 1, 1000);
	fr_store__sync(s);
	fr_store__stats(s, &st);
	assert_int_equal(st.incidents, 1);
	assert_true(st.evicted_age >= 1);
	check_snapshot(s, last, 1000);
	fr_store__close(s);
}

/*
 * Problems: incidents of one signature counted together (first and last
 * seen, their time), listed newest first by the signature index; a mark
 * sticks; counts outlive the evicted incidents; a read-only open sees them.
 */
static void test_problems(void **state)
{
	struct fr_store *s = open_store(1u << 20, false);
	struct fr_problem ps[8], p;
	uint64_t a[3], b, ids[8], t0 = wall;
	int n;

	(void)state;
	put_sig = 0xaaaa;
	for (int i = 0; i < 3; i++)
		a[i] = put(s, "svc", "GET /a", 1, 10000000, 100);
	put_sig = 0xbbbb;
	b = put(s, "svc", "GET /b", 2, 5000000, 100);
	put_sig = 0;
	put(s, "svc", "GET /c", 3, 1, 100); /* no signature: no problem */
	fr_store__sync(s);
	n = fr_store__problems(s, ps, 8);
	assert_int_equal(n, 2);
	assert_int_equal(fr_store__problem(s, 0xaaaa, &p), 0);
	assert_int_equal(p.count, 3);
	assert_string_equal(p.service, "svc");
	assert_string_equal(p.span_name, "GET /a");
	assert_string_equal(p.cause, "cause aaaa");
	assert_int_equal(p.first_unix_nano, t0);
	assert_int_equal(p.last_unix_nano, t0 + 2000000);
	assert_int_equal(p.total_ns, 30000000);
	assert_false(p.muted || p.known);
	n = fr_store__problem_incidents(s, 0xaaaa, 0, ids, 8);
	assert_int_equal(n, 3);
	assert_int_equal(ids[0], a[2]); /* newest first */
	assert_int_equal(ids[2], a[0]);
	assert_int_equal(fr_store__problem_incidents(s, 0xaaaa, a[2], ids, 8), 2);
	assert_int_equal(ids[0], a[1]);
	assert_int_equal(fr_store__problem_incidents(s, 0xbbbb, 0, ids, 8), 1);
	assert_int_equal(ids[0], b);
	assert_int_equal(fr_store__problem_incidents(s, 0xcccc, 0, ids, 8), 0);
	assert_int_equal(fr_store__problem(s, 0xcccc, &p), -ENOENT);

	assert_int_equal(fr_store__mark_problem(s, 0xaaaa, 1, -1), 0);
	assert_int_equal(fr_store__mark_problem(s, 0xaaaa, -1, 1), 0);
	assert_int_equal(fr_store__mark_problem(s, 0xcccc, 1, 1), -ENOENT);
	assert_int_equal(fr_store__problem(s, 0xaaaa, &p), 0);
	assert_true(p.muted && p.known);
	assert_int_equal(p.count, 3);

	/* a deleted incident leaves the index, not the count */
	assert_int_equal(fr_store__delete(s, a[0]), 0);
	assert_int_equal(fr_store__problem_incidents(s, 0xaaaa, 0, ids, 8), 2);
	assert_int_equal(fr_store__problem(s, 0xaaaa, &p), 0);
	assert_int_equal(p.count, 3);
	fr_store__close(s);

	s = open_store(1u << 20, true);
	assert_int_equal(fr_store__problems(s, ps, 8), 2);
	assert_int_equal(fr_store__mark_problem(s, 0xaaaa, 0, 0), -EROFS);
	fr_store__close(s);
}

/* A map far smaller than the retention budget fills: evict and retry. */
static void test_map_full(void **state)
{
	struct fr_store_opts o = { .sz = sizeof(o), .dir = dir, .max_bytes = 64ull << 30,
				   .now_wall = now_wall };
	struct fr_store *s;
	struct fr_store_stats st;
	uint64_t last = 0;

	(void)state;
	/* max_bytes 64 GiB would map 96 GiB: cap it through a small real limit */
	o.max_bytes = 1u << 20;
	s = fr_store__open(&o);
	assert_non_null(s);
	for (int i = 0; i < 200; i++)
		last = put(s, "svc", "op", 2, 1, 600000); /* 120 MB through a ~66 MB map */
	fr_store__sync(s);
	fr_store__stats(s, &st);
	assert_int_equal(st.put_errors, 0);
	check_snapshot(s, last, 600000);
	fr_store__close(s);
}

/* kill -9 while a child writes a burst of incidents; reopen; all whole. */
static void test_kill9(void **state)
{
	pid_t child;
	struct fr_store *s;
	struct fr_incident_summary out[512];
	struct fr_store_query q = { .limit = 512 };
	uint64_t cursor;
	int n, status, total;

	(void)state;
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct fr_store *w = open_store(0, false);

		for (int i = 0;; i++)
			put(w, "burst", "op", (uint8_t)i, 1, 20000 + (size_t)(i % 7) * 1000);
	}
	usleep(400000);
	kill(child, SIGKILL);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFSIGNALED(status));
	s = open_store(0, false); /* the writer side opens too (recovery) */
	total = 0;
	do {
		n = fr_store__list(s, &q, out, &cursor);
		assert_true(n >= 0);
		total += n;
		q.before_id = cursor;
		for (int i = 0; i < n; i++) {
			struct fr_buf b = { 0 };

			assert_int_equal(fr_store__snapshot(s, out[i].id, &b), 0);
			assert_int_equal(b.len, out[i].snapshot_bytes);
			assert_memory_equal(b.p, FR_FRSNAP_MAGIC, 8);
			for (size_t j = 8; j < b.len; j++)
				assert_int_equal(b.p[j], (uint8_t)(out[i].id + j));
			fr_buf__free(&b);
		}
	} while (cursor);
	print_message("%d incidents committed before kill -9, all whole\n", total);
	assert_true(total > 0);
	/* and it keeps working */
	put(s, "after", "op", 9, 1, 100);
	fr_store__sync(s);
	fr_store__close(s);
}

static void test_bad_dir(void **state)
{
	struct fr_store_opts o = { .sz = sizeof(o), .dir = "/proc/no/such/dir" };

	(void)state;
	assert_null(fr_store__open(&o));
	o.dir = NULL;
	assert_null(fr_store__open(&o));
	assert_int_equal(errno, EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_put_get_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retention, setup, teardown),
		cmocka_unit_test_setup_teardown(test_problems, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill9, setup, teardown),
		cmocka_unit_test(test_bad_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
