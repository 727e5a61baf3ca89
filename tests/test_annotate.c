// SPDX-License-Identifier: MIT
/*
 * test_annotate.c - evidence and verdicts from hand-built windows: a thread
 * blocked in fsync, one starved of CPU by another process, one waiting on a
 * lock, an idle thread that must not be taken for the one that mattered,
 * the span's thread.id hint, and an empty window.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <cmocka.h>

#include "fr_annotate.h"
#include "fr_buf.h"

#define MS 1000000ull

struct wb {
	struct fr_event ev[4096];
	size_t n;
};

static void ev(struct wb *b, struct fr_rec r)
{
	assert_true(b->n < 4096);
	b->ev[b->n].rec = r;
	b->ev[b->n].cpu = 0;
	b->ev[b->n].stack = -1;
	b->n++;
}

static void sys(struct wb *b, uint32_t pid, uint32_t tid, uint16_t nr, uint64_t begin,
		uint64_t end, uint64_t arg0, int32_t ret)
{
	ev(b, (struct fr_rec){ .type = FR_REC_SYSCALL, .aux = nr, .ts = end, .tid = tid, .pid = pid,
			       .sys = { .dur = (uint32_t)(end - begin), .ret = ret, .arg0 = arg0 } });
}

static void sw_out(struct wb *b, uint32_t pid, uint32_t tid, uint64_t t, bool preempt,
		   uint16_t state, uint32_t next_pid)
{
	ev(b, (struct fr_rec){ .type = FR_REC_SWITCH, .flags = preempt ? FR_SW_PREEMPT : 0,
			       .aux = state, .ts = t, .tid = tid, .pid = pid,
			       .sw = { .next_tid = next_pid, .next_pid = next_pid } });
}

static void sw_in(struct wb *b, uint32_t prev_pid, uint32_t pid, uint32_t tid, uint64_t t)
{
	ev(b, (struct fr_rec){ .type = FR_REC_SWITCH, .ts = t, .tid = prev_pid, .pid = prev_pid,
			       .sw = { .next_tid = tid, .next_pid = pid } });
}

static void wake(struct wb *b, uint32_t pid, uint32_t tid, uint64_t t, uint32_t waker)
{
	ev(b, (struct fr_rec){ .type = FR_REC_WAKEUP, .ts = t, .tid = tid, .pid = pid,
			       .wk = { .waker_tid = waker, .waker_pid = waker } });
}

static int cmp_ev(const void *a, const void *b)
{
	const struct fr_event *x = a, *y = b;

	return x->rec.ts < y->rec.ts ? -1 : x->rec.ts > y->rec.ts;
}

static struct fr_window window(struct wb *b)
{
	struct fr_window w = { 0 };

	qsort(b->ev, b->n, sizeof(b->ev[0]), cmp_ev);
	w.events = b->ev;
	w.nr_events = b->n;
	return w;
}

static void names(void *ctx, uint32_t pid, uint32_t tid, char *buf, size_t len)
{
	(void)ctx;
	if (pid == 300)
		snprintf(buf, len, "busy");
	else
		snprintf(buf, len, "t%u", tid);
}

static void fds(void *ctx, uint32_t pid, uint64_t fd, char *buf, size_t len)
{
	(void)ctx;
	(void)pid;
	if (fd == 7)
		snprintf(buf, len, "/var/lib/app/wal");
}

static struct fr_annotate_ctx ctx(uint32_t pid, uint64_t s, uint64_t e)
{
	return (struct fr_annotate_ctx){ .pid = pid, .span_start = s, .span_end = e,
					 .thread_name = names, .fd_path = fds };
}

static void test_fsync(void **state)
{
	static struct wb b;
	struct fr_window w;
	struct fr_evidence e;
	struct fr_annotate_ctx c = ctx(100, 1000 * MS, 1400 * MS);

	(void)state;
	b.n = 0;
	sw_in(&b, 0, 100, 101, 990 * MS);
	sys(&b, 100, 101, SYS_write, 1005 * MS, 1019 * MS, 7, 4096);
	sys(&b, 100, 101, SYS_fsync, 1020 * MS, 1330 * MS, 7, 0);
	sw_out(&b, 100, 101, 1021 * MS, false, 2, 0);
	wake(&b, 100, 101, 1329 * MS, 0);
	sw_in(&b, 0, 100, 101, 1329 * MS + 500000);
	/* an idle thread of the same process, blocked throughout in epoll_wait */
	sw_out(&b, 100, 102, 500 * MS, false, 1, 0);
	w = window(&b);
	assert_int_equal(fr_annotate(&w, &c, &e), 0);
	print_message("verdict: %s\n", e.verdict);
	assert_int_equal(e.focus_tid, 101);
	assert_int_equal(e.nr_threads, 2);
	assert_int_equal(e.causes[0].kind, FR_CAUSE_BLOCKED);
	assert_string_equal(e.causes[0].what, "fsync(fd 7 = /var/lib/app/wal)");
	assert_int_equal(e.causes[0].ns, 1329 * MS - 1021 * MS);
	assert_non_null(strstr(e.verdict, "77% of 400 ms blocked in fsync(fd 7 = /var/lib/app/wal)"));
	assert_int_equal(e.threads[0].runnable_ns, 500000);
	assert_int_equal(e.threads[0].blocked_ns, 308 * MS);
	/* the slowest syscalls, longest first */
	assert_int_equal(e.nr_slow, 2);
	assert_int_equal(w.events[e.slow[0]].rec.aux, SYS_fsync);
	assert_int_equal(e.syscalls[0].nr, SYS_fsync);
	fr_evidence__free(&e);
}

static void test_cpu_starvation(void **state)
{
	static struct wb b;
	struct fr_window w;
	struct fr_evidence e;
	struct fr_annotate_ctx c = ctx(200, 1000 * MS, 1200 * MS);

	(void)state;
	b.n = 0;
	sw_in(&b, 300, 200, 201, 995 * MS);
	for (uint64_t t = 1000 * MS; t < 1200 * MS; t += 10 * MS) {
		sw_out(&b, 200, 201, t + 2500000, true, 0, 300);   /* preempted by pid 300 */
		sw_in(&b, 300, 200, 201, t + 10 * MS);             /* back after 7.5 ms */
	}
	w = window(&b);
	assert_int_equal(fr_annotate(&w, &c, &e), 0);
	print_message("verdict: %s\n", e.verdict);
	assert_int_equal(e.causes[0].kind, FR_CAUSE_RUNNABLE);
	assert_int_equal(e.causes[0].other_pid, 300);
	assert_non_null(strstr(e.verdict, "75% of 200 ms waiting for CPU: preempted by pid 300 (busy)"));
	fr_evidence__free(&e);
}

static void test_lock_and_hint(void **state)
{
	static struct wb b;
	struct fr_window w;
	struct fr_evidence e;
	struct fr_annotate_ctx c = ctx(400, 1000 * MS, 1300 * MS);

	(void)state;
	b.n = 0;
	/* 401 is busy on CPU the whole time; 402 (the request's thread) waits on a lock */
	sw_in(&b, 0, 400, 401, 900 * MS);
	sys(&b, 400, 401, SYS_getpid, 1100 * MS, 1100 * MS + 1000, 0, 400);
	sw_in(&b, 0, 400, 402, 950 * MS);
	sys(&b, 400, 402, SYS_futex, 1010 * MS, 1290 * MS, 0x7fff0000, 0);
	sw_out(&b, 400, 402, 1010 * MS + 1000, false, 1, 0);
	wake(&b, 400, 402, 1290 * MS - 1000, 401);
	sw_in(&b, 0, 400, 402, 1290 * MS);
	w = window(&b);
	c.hint_tid = 402;
	assert_int_equal(fr_annotate(&w, &c, &e), 0);
	print_message("verdict: %s\n", e.verdict);
	assert_int_equal(e.focus_tid, 402);
	assert_non_null(strstr(e.verdict, "93% of 300 ms blocked in futex (lock or condition wait)"));
	fr_evidence__free(&e);
	/* without the hint, the thread that did most is the lock waiter too:
	 * its blocked time ended inside the span */
	c.hint_tid = 0;
	assert_int_equal(fr_annotate(&w, &c, &e), 0);
	assert_int_equal(e.nr_threads, 2);
	fr_evidence__free(&e);
}

static void test_empty_and_missing(void **state)
{
	static struct wb b;
	struct fr_window w;
	struct fr_evidence e;
	struct fr_annotate_ctx c = ctx(500, 1000 * MS, 1100 * MS);

	(void)state;
	b.n = 0;
	w = window(&b);
	assert_int_equal(fr_annotate(&w, &c, &e), 0);
	assert_non_null(strstr(e.verdict, "no kernel activity recorded for pid 500"));
	fr_evidence__free(&e);
	/* a thread on CPU throughout, with the ring missing the span's start */
	sw_in(&b, 0, 500, 501, 1020 * MS);
	sys(&b, 500, 501, SYS_getpid, 1050 * MS, 1050 * MS + 500, 0, 500);
	w = window(&b);
	c.missing_ns = 20 * MS;
	assert_int_equal(fr_annotate(&w, &c, &e), 0);
	print_message("verdict: %s\n", e.verdict);
	assert_non_null(strstr(e.verdict, "on CPU"));
	assert_non_null(strstr(e.verdict, "the first 20 ms of the span were no longer in the rings"));
	fr_evidence__free(&e);
}

static void test_fmt(void **state)
{
	char b[32];

	(void)state;
	fr_fmt_duration(412 * MS, b, sizeof(b));
	assert_string_equal(b, "412 ms");
	fr_fmt_duration(1240 * MS, b, sizeof(b));
	assert_string_equal(b, "1.24 s");
	fr_fmt_duration(850000, b, sizeof(b));
	assert_string_equal(b, "850 us");
	fr_fmt_duration(2500000, b, sizeof(b));
	assert_string_equal(b, "2.5 ms");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fsync),
		cmocka_unit_test(test_cpu_starvation),
		cmocka_unit_test(test_lock_and_hint),
		cmocka_unit_test(test_empty_and_missing),
		cmocka_unit_test(test_fmt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
