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
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <cmocka.h>

#include "fr_annotate.h"
#include "fr_buf.h"
#include "fr_chain.h"
#include "fr_ksyms.h"
#include "fr_usyms.h"

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
	b->ev[b->n].name = -1;
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
			       .wk = { .waker_tid = waker, .waker_pid = waker ? pid : 0,
				       .waker_sys = FR_NO_SYSCALL } });
}

static int cmp_ev(const void *a, const void *b)
{
	const struct fr_event *x = a, *y = b;

	return x->rec.ts < y->rec.ts ? -1 : x->rec.ts > y->rec.ts;
}

/* What the kernel names fd 7 at slow calls: the journal, leaf first. */
static struct fr_fdname wal = { .fd = 7, .kind = FR_NAME_FILE, .nparts = 4,
				.data = "wal\0app\0lib\0var" };

static struct fr_window window(struct wb *b)
{
	struct fr_window w = { 0 };

	qsort(b->ev, b->n, sizeof(b->ev[0]), cmp_ev);
	for (size_t i = 0; i < b->n; i++)
		if (b->ev[i].rec.type == FR_REC_SYSCALL && b->ev[i].rec.sys.arg0 == 7 &&
		    b->ev[i].rec.sys.dur >= 100000) {
			b->ev[i].rec.flags |= FR_SYS_NAMED;
			b->ev[i].name = 0;
		}
	w.events = b->ev;
	w.nr_events = b->n;
	w.names = &wal;
	w.nr_names = 1;
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

static struct fr_annotate_ctx ctx(uint32_t pid, uint64_t s, uint64_t e)
{
	return (struct fr_annotate_ctx){ .pid = pid, .span_start = s, .span_end = e,
					 .thread_name = names };
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
	assert_string_equal(e.causes[0].what, "fsync(/var/lib/app/wal)");
	assert_int_equal(e.causes[0].ns, 1329 * MS - 1021 * MS);
	assert_non_null(strstr(e.verdict, "77% of 400 ms blocked in fsync(/var/lib/app/wal)"));
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

/*
 * A fault on user memory just before a block is taken by the kernel
 * programs for the block's cause; where the block's kernel stack shows no
 * fault being handled (a syscall touched its buffer, a minor fault, then
 * waited for data), the block is the syscall's.
 */
static void test_fault_needs_its_stack(void **state)
{
	static struct wb b;
	static struct fr_stack st = { .nr_kern = 2 };
	char path[] = "/tmp/frtest-ksyms-XXXXXX";
	struct fr_annotate_ctx c = ctx(700, 1000 * MS, 1200 * MS);
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	struct fr_ksyms *ks;
	struct fr_evidence e;
	struct fr_window w;

	(void)state;
	assert_non_null(f);
	fprintf(f, "ffffffff81001000 T ep_poll\nffffffff81002000 T do_epoll_pwait\n"
		   "ffffffff81003000 T handle_mm_fault\nffffffff81004000 T exc_page_fault\n"
		   "ffffffff81005000 T zzz_end\n");
	fclose(f);
	ks = fr_ksyms__load(path);
	unlink(path);
	assert_non_null(ks);
	c.ksyms = ks;
	b.n = 0;
	sw_in(&b, 0, 700, 701, 900 * MS);
	ev(&b, (struct fr_rec){ .type = FR_REC_FAULT, .flags = FR_FLT_ANON | FR_FLT_KERNEL,
				.ts = 1000 * MS, .tid = 701, .pid = 700 });
	sw_out(&b, 700, 701, 1000 * MS, false, 1, 0);
	sys(&b, 700, 701, SYS_epoll_pwait, 1000 * MS, 1190 * MS, 5, 1);
	wake(&b, 700, 701, 1190 * MS - 1000, 0);
	sw_in(&b, 0, 700, 701, 1190 * MS);
	w = window(&b);
	for (size_t i = 0; i < w.nr_events; i++)
		if (w.events[i].rec.type == FR_REC_SWITCH && w.events[i].rec.tid == 701)
			w.events[i].stack = 0;
	w.stacks = &st;
	w.nr_stacks = 1;
	/* waiting in epoll: the syscall's block */
	st.ips[0] = 0xffffffff81001010;
	st.ips[1] = 0xffffffff81002010;
	assert_int_equal(fr_annotate(&w, &c, &e), 0);
	print_message("verdict: %s\n", e.verdict);
	assert_non_null(strstr(e.verdict, "blocked in epoll_pwait"));
	assert_null(strstr(e.verdict, "swap-ins"));
	fr_evidence__free(&e);
	/* waiting inside the fault: the fault's */
	st.ips[0] = 0xffffffff81003010;
	st.ips[1] = 0xffffffff81004010;
	assert_int_equal(fr_annotate(&w, &c, &e), 0);
	print_message("verdict: %s\n", e.verdict);
	assert_non_null(strstr(e.verdict, "swap-ins"));
	fr_evidence__free(&e);
	/* no stack: the kernel programs' word stands */
	for (size_t i = 0; i < w.nr_events; i++)
		w.events[i].stack = -1;
	assert_int_equal(fr_annotate(&w, &c, &e), 0);
	assert_non_null(strstr(e.verdict, "swap-ins"));
	fr_evidence__free(&e);
	/* ...unless a timer ended the block: a sleep, not a fault's I/O */
	for (size_t i = 0; i < w.nr_events; i++)
		if (w.events[i].rec.type == FR_REC_WAKEUP)
			w.events[i].rec.flags |= FR_WK_TIMER;
	assert_int_equal(fr_annotate(&w, &c, &e), 0);
	print_message("verdict: %s\n", e.verdict);
	assert_null(strstr(e.verdict, "swap-ins"));
	fr_evidence__free(&e);
	fr_ksyms__free(ks);
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

/* ---- the wake-up chain ---- */

/* A wake-up recorded in context flags (FR_WK_*; 0: by the task itself),
 * the waker in syscall sys (FR_NO_SYSCALL: none), softirq vector ctx. */
static void wake_ctx(struct wb *b, uint32_t pid, uint32_t tid, uint64_t t, uint32_t waker_pid,
		     uint32_t waker_tid, uint8_t flags, uint32_t sys, uint32_t ctx)
{
	ev(b, (struct fr_rec){ .type = FR_REC_WAKEUP, .flags = flags, .ts = t, .tid = tid,
			       .pid = pid,
			       .wk = { .waker_tid = waker_tid, .waker_pid = waker_pid, .ctx = ctx,
				       .waker_sys = sys } });
}

static void wake_by(struct wb *b, uint32_t pid, uint32_t tid, uint64_t t, uint32_t waker_pid,
		    uint32_t waker_tid)
{
	wake_ctx(b, pid, tid, t, waker_pid, waker_tid, 0, FR_NO_SYSCALL, 0);
}

/* Thread tid of pid switched out blocked at t0 and back in at t1. */
static void blocked(struct wb *b, uint32_t pid, uint32_t tid, uint64_t t0, uint64_t t1)
{
	ev(b, (struct fr_rec){ .type = FR_REC_SWITCH, .aux = 1, .ts = t0, .tid = tid, .pid = pid });
	ev(b, (struct fr_rec){ .type = FR_REC_SWITCH, .ts = t1, .tid = 0, .pid = 0,
			       .sw = { .next_tid = tid, .next_pid = pid } });
}

/* The segments follow one another and cover the span exactly. */
static void assert_covers(const struct fr_chain *ch, uint64_t s, uint64_t e)
{
	assert_true(ch->n > 0);
	assert_int_equal(ch->seg[0].start, s);
	assert_int_equal(ch->seg[ch->n - 1].end, e);
	for (size_t i = 1; i < ch->n; i++)
		assert_int_equal(ch->seg[i].start, ch->seg[i - 1].end);
}

/* ns of the chain in segments of tid whose description has what */
static uint64_t chain_ns(const struct fr_chain *ch, uint32_t tid, const char *what, int *depth)
{
	uint64_t ns = 0;

	for (size_t i = 0; i < ch->n; i++)
		if (ch->seg[i].tid == tid && strstr(ch->seg[i].what, what)) {
			ns += ch->seg[i].end - ch->seg[i].start;
			*depth = ch->seg[i].depth;
		}
	return ns;
}

/* The span's thread waits on a lock another thread holds while it fsyncs. */
static void test_chain_lock_holder_in_fsync(void **state)
{
	static struct wb b;
	struct fr_annotate_ctx c = ctx(600, 1000 * MS, 1400 * MS);
	struct fr_window w;
	struct fr_chain ch;
	struct fr_evidence e;
	int depth = -1;

	(void)state;
	b.n = 0;
	c.hint_tid = 601;
	sys(&b, 600, 601, SYS_futex, 1010 * MS, 1340 * MS, 0, 0);
	blocked(&b, 600, 601, 1010 * MS, 1341 * MS);
	wake_by(&b, 600, 601, 1340 * MS, 600, 602); /* the holder unlocks */
	sys(&b, 600, 602, SYS_fsync, 1005 * MS, 1330 * MS, 7, 0);
	blocked(&b, 600, 602, 1006 * MS, 1331 * MS);
	wake_by(&b, 600, 602, 1330 * MS, 0, 0); /* the disk's interrupt */
	sys(&b, 600, 602, SYS_futex, 1339 * MS, 1341 * MS, 0, 1); /* the unlock that wakes 601 */
	w = window(&b);
	assert_int_equal(fr_chain__walk(&w, &c, 601, 4, &ch), 0);
	for (size_t i = 0; i < ch.n; i++)
		print_message("  d%u %u %.1f..%.1f ms %s\n", ch.seg[i].depth, ch.seg[i].tid,
			      (ch.seg[i].start - c.span_start) / 1e6, (ch.seg[i].end - c.span_start) / 1e6,
			      ch.seg[i].what);
	assert_covers(&ch, c.span_start, c.span_end);
	/* the lock wait is explained by the holder's fsync, one wake-up down */
	assert_int_equal(chain_ns(&ch, 602, "fsync(/var/lib/app/wal)", &depth), 320 * MS);
	assert_int_equal(depth, 1);
	fr_chain__free(&ch);
	/* and the verdict says who held the lock and what it was doing */
	assert_int_equal(fr_annotate(&w, &c, &e), 0);
	print_message("verdict: %s\n", e.verdict);
	assert_non_null(strstr(e.verdict, "blocked in futex"));
	assert_non_null(strstr(e.verdict, "thread 602 (t602)"));
	assert_non_null(strstr(e.verdict, "fsync(/var/lib/app/wal)"));
	fr_evidence__free(&e);
}

/* An event loop woken in turn by the threads of its pool, each of which
 * read a part of one file from the disk: the pool is the first link, and
 * its threads together are the root, for the wall time one of them was in
 * that read. */
static void test_chain_thread_pool(void **state)
{
	static struct wb b;
	struct fr_annotate_ctx c = ctx(600, 1000 * MS, 1400 * MS);
	const uint32_t pool[4] = { 602, 603, 604, 602 };
	struct fr_window w;
	struct fr_evidence e;

	(void)state;
	b.n = 0;
	c.hint_tid = 601;
	for (int i = 0; i < 4; i++) {
		uint64_t t = 1000 * MS + (uint64_t)i * 100 * MS;

		/* the loop waits from t+1 to t+99, woken at t+98 by the pool
		 * thread whose read the disk ended at t+96 */
		sys(&b, 600, 601, SYS_epoll_pwait, t + 1 * MS, t + 99 * MS, 5, 1);
		blocked(&b, 600, 601, t + 1 * MS, t + 99 * MS);
		sys(&b, 600, pool[i], SYS_pread64, t + 2 * MS, t + 97 * MS, 7, 4096);
		blocked(&b, 600, pool[i], t + 3 * MS, t + 96 * MS);
		wake_by(&b, 600, pool[i], t + 96 * MS - 1000, 0, 0);
		wake_by(&b, 600, 601, t + 98 * MS, 600, pool[i]);
	}
	w = window(&b);
	assert_int_equal(fr_annotate(&w, &c, &e), 0);
	print_message("verdict: %s\n", e.verdict);
	assert_non_null(strstr(e.verdict, "until threads 602, 603 and 604 (t602) woke it"));
	/* the three threads in their reads: 4 x 95 ms (on CPU in them, then blocked) */
	assert_non_null(strstr(e.verdict, "(380 ms) in pread64(/var/lib/app/wal)"));
	assert_string_equal(e.chain_root, "threads of pid 600 (t602) in pread64(/var/lib/app/wal)");
	fr_evidence__free(&e);
}

/* The task the span waited for was itself starved of CPU: who held the
 * CPU is named for it too. */
static void test_chain_root_starved(void **state)
{
	static struct wb b;
	struct fr_window w;
	struct fr_evidence e;
	struct fr_annotate_ctx c = ctx(1200, 1000 * MS, 1300 * MS);

	(void)state;
	b.n = 0;
	c.hint_tid = 1201;
	sys(&b, 1200, 1201, SYS_futex, 1000 * MS + 500000, 1290 * MS, 0, 0);
	blocked(&b, 1200, 1201, 1001 * MS, 1290 * MS);
	wake_by(&b, 1200, 1201, 1289 * MS, 1200, 1202);
	/* the thread it waits for: runnable 240 ms behind pid 300 */
	sw_in(&b, 0, 1200, 1202, 990 * MS);
	sw_out(&b, 1200, 1202, 1010 * MS, true, 0, 300);
	sw_in(&b, 300, 1200, 1202, 1250 * MS);
	w = window(&b);
	assert_int_equal(fr_annotate(&w, &c, &e), 0);
	print_message("verdict: %s\n", e.verdict);
	assert_non_null(strstr(e.verdict, "until thread 1202 (t1202) woke it, which spent "));
	assert_non_null(strstr(e.verdict, "(240 ms) waiting for CPU: preempted by pid 300 (busy)"));
	fr_evidence__free(&e);
}

/*
 * A pool computing for the span's thread: 450 times the event loop hands a
 * chunk to one of four threads and waits in epoll_pwait until that thread,
 * 515 us on CPU later, wakes it. Some 2,500 segments: the verdict reads
 * them all and names the pool on CPU; the chain kept is bounded and still
 * covers the span.
 */
static void test_chain_pool_computing(void **state)
{
	static struct wb b;
	struct fr_annotate_ctx c = ctx(900, 1000 * MS, 1270 * MS);
	uint64_t slept[4] = { 990 * MS, 990 * MS, 990 * MS, 990 * MS };
	struct fr_window w;
	struct fr_evidence e;
	size_t handoffs = 0;

	(void)state;
	b.n = 0;
	c.hint_tid = 901;
	for (int i = 0; i < 450; i++) {
		uint64_t t = 1000 * MS + (uint64_t)i * 600000;
		uint32_t p = 902 + (uint32_t)(i % 4);

		wake_by(&b, 900, p, t + 45000, 900, 901);
		sys(&b, 900, p, SYS_futex, slept[i % 4] - 1000, t + 61000, 0, 0);
		blocked(&b, 900, p, slept[i % 4], t + 60000);
		sys(&b, 900, 901, SYS_epoll_pwait, t + 50000, t + 591000, 5, 1);
		blocked(&b, 900, 901, t + 52000, t + 590000);
		wake_by(&b, 900, 901, t + 575000, 900, p);
		slept[i % 4] = t + 580000;
	}
	w = window(&b);
	assert_int_equal(fr_annotate(&w, &c, &e), 0);
	print_message("%zu segments kept; verdict: %s\n", e.chain.n, e.verdict);
	assert_non_null(strstr(e.verdict, "blocked in epoll_pwait"));
	assert_non_null(strstr(e.verdict, " woke it, which spent "));
	assert_non_null(strstr(e.verdict, "threads 902, 903, 904 and 905 (t902)"));
	assert_non_null(strstr(e.verdict, ") on CPU"));
	assert_string_equal(e.chain_root, "threads of pid 900 (t902) on CPU");
	assert_int_equal(e.nr_chain_root_tids, 4);
	assert_true(e.chain.n <= FR_CHAIN_MAX_SEGS);
	assert_covers(&e.chain, c.span_start, c.span_end);
	/* the waits it kept explained: the later ones, a hundred or more */
	for (size_t i = 0; i < e.chain.n; i++)
		handoffs += e.chain.seg[i].handoff;
	print_message("%zu hand-offs kept\n", handoffs);
	assert_true(handoffs >= 100);
	fr_evidence__free(&e);
}

/*
 * The kernel names a call's fd only when the call is slow: a fast fsync
 * between two slow ones on the same fd and file is that file's; a fast
 * write after the last of them may be on a reused fd and stays "fd 7".
 */
static void test_fast_call_named_between(void **state)
{
	static struct wb b;
	struct fr_annotate_ctx c = ctx(950, 999 * MS, 1050 * MS);
	struct fr_window w;
	struct fr_evidence e;
	const struct fr_cause *fs = NULL, *wr = NULL;

	(void)state;
	b.n = 0;
	c.hint_tid = 951;
	for (int i = 0; i < 20; i++) {
		uint64_t t = 1000 * MS + (uint64_t)i * 2 * MS;

		sys(&b, 950, 951, SYS_fsync, t, t + MS, 7, 0);
		blocked(&b, 950, 951, t + 10000, t + 990000);
		if (i == 19)
			break;
		sys(&b, 950, 951, SYS_fsync, t + 1200000, t + 1260000, 7, 0);
		blocked(&b, 950, 951, t + 1210000, t + 1250000);
	}
	sys(&b, 950, 951, SYS_write, 1040 * MS, 1040 * MS + 30000, 7, 1);
	blocked(&b, 950, 951, 1040 * MS + 5000, 1040 * MS + 25000);
	w = window(&b);
	assert_int_equal(fr_annotate(&w, &c, &e), 0);
	print_message("verdict: %s\n", e.verdict);
	for (size_t i = 0; i < e.nr_causes; i++) {
		print_message("  %s: %" PRIu64 " ns\n", e.causes[i].what, e.causes[i].ns);
		assert_null(strstr(e.causes[i].what, "fsync(fd 7)"));
		if (!strcmp(e.causes[i].what, "fsync(/var/lib/app/wal)"))
			fs = &e.causes[i];
		if (!strcmp(e.causes[i].what, "write(fd 7)"))
			wr = &e.causes[i];
	}
	assert_non_null(fs);
	assert_int_equal(fs->ns, 20 * 980000 + 19 * 40000);
	assert_non_null(wr);
	assert_int_equal(wr->ns, 20000);
	fr_evidence__free(&e);
}

/*
 * A connection whose SYN the server did not answer: the loop waits a
 * second until its fd is ready; the kernel's retransmission of the SYN,
 * recorded for no process, is matched to the connection the wait named.
 * One on a connection nobody in the window named says nothing.
 */
static void test_syn_retransmitted(void **state)
{
	static struct wb b;
	static struct fr_fdname conn = { .fd = 30, .kind = FR_NAME_INET, .role = FR_NAME_ROLE_READY,
					 .proto = 6, .sport = 41234, .dport = 5432,
					 .saddr = { 127, 0, 0, 1 }, .daddr = { 127, 0, 0, 1 } };
	struct fr_annotate_ctx c = ctx(1400, 1000 * MS, 2100 * MS);
	struct fr_rec rt = { .type = FR_REC_RETRANS, .aux = FR_TCP_SYN_SENT, .ts = 2010 * MS,
			     .tcp = { .saddr = { 127, 0, 0, 1 }, .daddr = { 127, 0, 0, 1 },
				      .sport = 41234, .dport = 5432 } };
	struct fr_window w;
	struct fr_evidence e;

	(void)state;
	b.n = 0;
	c.hint_tid = 1401;
	sys(&b, 1400, 1401, SYS_epoll_pwait, 1001 * MS, 2090 * MS, 5, 1);
	blocked(&b, 1400, 1401, 1002 * MS, 2090 * MS);
	wake_ctx(&b, 1400, 1401, 2089 * MS, 0, 0, FR_WK_SOFTIRQ, FR_NO_SYSCALL, FR_SOFTIRQ_NET_RX);
	ev(&b, rt);
	/* another connection's, not the span's */
	rt.tcp.sport = 41999;
	rt.ts = 1500 * MS;
	ev(&b, rt);
	w = window(&b);
	for (size_t i = 0; i < w.nr_events; i++)
		if (w.events[i].rec.type == FR_REC_SYSCALL) {
			w.events[i].rec.flags |= FR_SYS_NAMED;
			w.events[i].name = 0;
			w.events[i].nr_names = 1;
		}
	w.names = &conn;
	w.nr_names = 1;
	assert_int_equal(fr_annotate(&w, &c, &e), 0);
	print_message("verdict: %s\n", e.verdict);
	assert_non_null(strstr(e.verdict, "until fd 30 (tcp 127.0.0.1:41234 → 127.0.0.1:5432) was "
					  "ready; its SYN went unanswered and the kernel sent it "
					  "again 1.01 s into the span"));
	assert_null(strstr(e.verdict, "other connection"));
	fr_evidence__free(&e);
}

/*
 * A local peer's answer over loopback whose receive the kernel ran at an
 * interrupt's exit over the peer (not inside its send): the wake-up is
 * a softirq's, but the peer holds the other end of the socket the wait
 * returned ready, so the chain goes on into it.
 */
static void test_loopback_sender(void **state)
{
	static struct wb b;
	static struct fr_fdname names[2] = {
		{ .fd = 30, .kind = FR_NAME_INET, .role = FR_NAME_ROLE_READY, .proto = 17,
		  .tid = 1501, .sport = 36301, .dport = 45905, .saddr = { 127, 0, 0, 1 },
		  .daddr = { 127, 0, 0, 1 } },
		/* the peer's socket, bound to 127.0.0.1:45905, unconnected */
		{ .fd = 21, .kind = FR_NAME_INET, .role = FR_NAME_ROLE_READY, .proto = 17,
		  .tid = 1600, .sport = 45905, .saddr = { 127, 0, 0, 1 } },
	};
	struct fr_annotate_ctx c = ctx(1500, 1000 * MS, 1130 * MS);
	struct fr_window w;
	struct fr_evidence e;

	(void)state;
	b.n = 0;
	c.hint_tid = 1501;
	sys(&b, 1500, 1501, SYS_epoll_pwait, 1002 * MS, 1125 * MS, 5, 1);
	blocked(&b, 1500, 1501, 1003 * MS, 1125 * MS);
	/* the peer: let in from idle first (its first record in the index
	 * is another task's), the query ready at 1004, then 120 ms of its own
	 * timer */
	sw_in(&b, 0, 1600, 1600, 985 * MS);
	sys(&b, 1600, 1600, SYS_epoll_pwait, 990 * MS, 1004 * MS, 9, 1);
	sys(&b, 1600, 1600, SYS_epoll_pwait, 1004 * MS + 200000, 1124 * MS, 9, 0);
	blocked(&b, 1600, 1600, 1004 * MS + 300000, 1124 * MS);
	wake_ctx(&b, 1600, 1600, 1124 * MS - 10000, 0, 0, FR_WK_TIMER, FR_NO_SYSCALL, 0);
	/* its answer received at an interrupt's exit over it, in user space */
	wake_ctx(&b, 1500, 1501, 1124 * MS + 500000, 1600, 1600, FR_WK_SOFTIRQ, FR_NO_SYSCALL,
		 FR_SOFTIRQ_NET_RX);
	w = window(&b);
	for (size_t i = 0; i < w.nr_events; i++) {
		struct fr_event *x = &w.events[i];

		if (x->rec.type != FR_REC_SYSCALL || x->rec.sys.ret != 1)
			continue;
		x->rec.flags |= FR_SYS_NAMED;
		x->name = x->rec.tid == 1501 ? 0 : 1;
		x->nr_names = 1;
	}
	w.names = names;
	w.nr_names = 2;
	assert_int_equal(fr_annotate(&w, &c, &e), 0);
	print_message("verdict: %s\n", e.verdict);
	assert_non_null(strstr(e.verdict, "until fd 30 (udp 127.0.0.1:36301 → 127.0.0.1:45905) was "
					  "ready, woken by pid 1600 (t1600), which spent "));
	assert_non_null(strstr(e.verdict, "until a timer fired"));
	/* the same wake-up over a process that does not hold the other end:
	 * the network's, as the kernel said */
	names[1].sport = 45906;
	fr_evidence__free(&e);
	assert_int_equal(fr_annotate(&w, &c, &e), 0);
	print_message("verdict: %s\n", e.verdict);
	assert_null(strstr(e.verdict, "woken by pid 1600"));
	fr_evidence__free(&e);
}

/*
 * An fsync loop on a fast disk: each round 4 ms of the application's own
 * work, then an fsync 3 ms on CPU and 4 ms blocked. On CPU the most (70
 * ms), but the fsyncs took more (70 ms, 30 of it on CPU) than the rest of
 * it: the verdict is about the fsyncs.
 */
static void test_call_before_cpu(void **state)
{
	static struct wb b;
	struct fr_annotate_ctx c = ctx(1700, 1000 * MS, 1110 * MS);
	struct fr_window w;
	struct fr_evidence e;

	(void)state;
	b.n = 0;
	c.hint_tid = 1701;
	sw_in(&b, 0, 1700, 1701, 990 * MS);
	for (int i = 0; i < 10; i++) {
		uint64_t t = 1000 * MS + (uint64_t)i * 11 * MS;

		sys(&b, 1700, 1701, SYS_fsync, t + 4 * MS, t + 11 * MS, 7, 0);
		blocked(&b, 1700, 1701, t + 7 * MS, t + 11 * MS);
	}
	w = window(&b);
	assert_int_equal(fr_annotate(&w, &c, &e), 0);
	print_message("verdict: %s\n", e.verdict);
	assert_non_null(strstr(e.verdict, "64% of 110 ms in fsync(/var/lib/app/wal) (30 ms of it on "
					  "CPU)"));
	assert_int_equal(e.causes[0].kind, FR_CAUSE_BLOCKED);
	assert_int_equal(e.top_cpu_ns, 30 * MS);
	fr_evidence__free(&e);
}

/*
 * The thread that took the request: the loop, woken by the network at the
 * span's start and then, 2 ms in, by a pool thread handing back work; not
 * another thread that an I/O completion (a kernel thread) woke 11 ms
 * before and that then slept through the span.
 */
static void test_focus_loop_with_pool(void **state)
{
	static struct wb b;
	struct fr_annotate_ctx c = ctx(2000, 1000 * MS, 1100 * MS);
	struct fr_window w;
	struct fr_evidence e;

	(void)state;
	b.n = 0;
	/* the other thread: an fsync's I/O done by a kernel thread, then asleep */
	wake_ctx(&b, 2000, 2003, 989 * MS, 44, 44, FR_WK_KTHREAD, FR_NO_SYSCALL, 0);
	sw_in(&b, 0, 2000, 2003, 989 * MS + 10000);
	sys(&b, 2000, 2003, SYS_futex, 989 * MS + 20000, 1100 * MS, 0, 0);
	blocked(&b, 2000, 2003, 989 * MS + 30000, 1100 * MS + 1);
	/* the loop: the request arrives, the pool hands back, the answer */
	sys(&b, 2000, 2001, SYS_epoll_pwait, 950 * MS, 1000 * MS + 400000, 5, 1);
	blocked(&b, 2000, 2001, 951 * MS, 1000 * MS + 400000);
	wake_ctx(&b, 2000, 2001, 1000 * MS + 300000, 7, 7, FR_WK_SOFTIRQ, FR_NO_SYSCALL,
		 FR_SOFTIRQ_NET_RX);
	sys(&b, 2000, 2001, SYS_epoll_pwait, 1001 * MS, 1002 * MS, 5, 1);
	blocked(&b, 2000, 2001, 1001 * MS + 100000, 1002 * MS);
	wake_by(&b, 2000, 2001, 1002 * MS - 10000, 2000, 2002);
	sys(&b, 2000, 2002, SYS_futex, 1001 * MS, 1001 * MS + 500000, 0, 0);
	w = window(&b);
	assert_int_equal(fr_annotate(&w, &c, &e), 0);
	print_message("focus %u (%s); verdict: %s\n", e.focus_tid, e.focus_reason, e.verdict);
	assert_int_equal(e.focus_tid, 2001);
	fr_evidence__free(&e);
}

/* A large write keeps the span's thread in the kernel, on CPU: the time
 * belongs to that write and its file, in the verdict and by call. */
static void test_on_cpu_in_write(void **state)
{
	static struct wb b;
	struct fr_annotate_ctx c = ctx(800, 1000 * MS, 1500 * MS);
	struct fr_window w;
	struct fr_evidence e;

	(void)state;
	b.n = 0;
	sys(&b, 800, 801, SYS_getpid, 1005 * MS, 1005 * MS + 1000, 0, 800);
	sys(&b, 800, 801, SYS_write, 1050 * MS, 1450 * MS, 7, 1 << 30);
	w = window(&b);
	assert_int_equal(fr_annotate(&w, &c, &e), 0);
	print_message("verdict: %s\n", e.verdict);
	assert_non_null(strstr(e.verdict, "on CPU in write(/var/lib/app/wal)"));
	/* the on-CPU time by call, for the comparison with normal spans: the
	 * write's 400 ms, the getpid's 1 us, the rest in neither */
	assert_int_equal(e.nr_call_cpu, 2);
	assert_string_equal(e.call_cpu[0].what, "write(/var/lib/app/wal)");
	assert_int_equal(e.call_cpu[0].ns, 400 * MS);
	assert_int_equal(e.call_cpu[1].ns, 1000);
	assert_int_equal(e.causes[0].kind, FR_CAUSE_ON_CPU);
	assert_int_equal(e.causes[0].ns, 500 * MS);
	fr_evidence__free(&e);
}

/* A chain of wake-ups longer than the depth bound; cycles; wakers the
 * window does not hold; an interrupt. */
static void test_chain_bounds(void **state)
{
	static struct wb b;
	struct fr_annotate_ctx c = ctx(700, 1000 * MS, 1100 * MS);
	struct fr_window w;
	struct fr_chain ch;
	int maxd = 0;

	(void)state;
	b.n = 0;
	/* 701 waits for 702, which waits for 703, ... 710 */
	for (uint32_t t = 701; t < 710; t++) {
		sys(&b, 700, t, SYS_futex, 1000 * MS + t - 1, 1090 * MS - t, 0, 0);
		blocked(&b, 700, t, 1000 * MS + t, 1090 * MS - t);
		wake_by(&b, 700, t, 1089 * MS - t, 700, t + 1);
	}
	w = window(&b);
	assert_int_equal(fr_chain__walk(&w, &c, 701, 4, &ch), 0);
	assert_covers(&ch, c.span_start, c.span_end);
	for (size_t i = 0; i < ch.n; i++)
		maxd = ch.seg[i].depth > maxd ? ch.seg[i].depth : maxd;
	assert_int_equal(maxd, 4);
	fr_chain__free(&ch);

	/* a cycle: 721 woken by 722 and 722 by 721 */
	b.n = 0;
	blocked(&b, 700, 721, 1010 * MS, 1051 * MS);
	wake_by(&b, 700, 721, 1050 * MS, 700, 722);
	blocked(&b, 700, 722, 1005 * MS, 1041 * MS);
	wake_by(&b, 700, 722, 1040 * MS, 700, 721);
	w = window(&b);
	assert_int_equal(fr_chain__walk(&w, &c, 721, FR_CHAIN_MAX_DEPTH, &ch), 0);
	assert_covers(&ch, c.span_start, c.span_end);
	fr_chain__free(&ch);

	/* woken by another process, and by an interrupt: leaves that say so */
	b.n = 0;
	blocked(&b, 700, 731, 1010 * MS, 1061 * MS);
	wake_by(&b, 700, 731, 1060 * MS, 999, 998);
	blocked(&b, 700, 731, 1070 * MS, 1081 * MS);
	wake_by(&b, 700, 731, 1080 * MS, 0, 0);
	w = window(&b);
	assert_int_equal(fr_chain__walk(&w, &c, 731, 4, &ch), 0);
	assert_covers(&ch, c.span_start, c.span_end);
	{
		bool other = false, irq = false;

		for (size_t i = 0; i < ch.n; i++) {
			assert_int_equal(ch.seg[i].depth, 0);
			other |= ch.seg[i].state == FR_SEG_BLOCKED && ch.seg[i].waker_pid == 999;
			irq |= ch.seg[i].state == FR_SEG_BLOCKED && ch.seg[i].waker_tid == 0 &&
			       ch.seg[i].start == 1070 * MS;
		}
		assert_true(other);
		assert_true(irq);
	}
	fr_chain__free(&ch);

	/* a device interrupt that landed on 752 while it ran: the interrupt
	 * ended the wait, not 752; so did a timer, later */
	b.n = 0;
	blocked(&b, 700, 751, 1010 * MS, 1061 * MS);
	wake_ctx(&b, 700, 751, 1060 * MS, 700, 752, FR_WK_HARDIRQ, FR_NO_SYSCALL, 11);
	blocked(&b, 700, 751, 1065 * MS, 1091 * MS);
	wake_ctx(&b, 700, 751, 1090 * MS, 700, 752, FR_WK_TIMER, FR_NO_SYSCALL, 0);
	sys(&b, 700, 752, SYS_getppid, 1020 * MS, 1020 * MS + 500, 0, 1);
	w = window(&b);
	assert_int_equal(fr_chain__walk(&w, &c, 751, 4, &ch), 0);
	assert_covers(&ch, c.span_start, c.span_end);
	{
		int dev = 0, timer = 0;

		for (size_t i = 0; i < ch.n; i++) {
			assert_int_equal(ch.seg[i].depth, 0);
			if (ch.seg[i].state != FR_SEG_BLOCKED)
				continue;
			assert_int_equal(ch.seg[i].waker_tid, 0);
			dev += ch.seg[i].irq == FR_CHAIN_IRQ_DEVICE;
			timer += ch.seg[i].irq == FR_CHAIN_IRQ_TIMER;
		}
		assert_int_equal(dev, 1);
		assert_int_equal(timer, 1);
	}
	fr_chain__free(&ch);

	/* network receive in a softirq that ran on a task outside any syscall:
	 * an interrupt's doing, named as such */
	b.n = 0;
	blocked(&b, 700, 761, 1010 * MS, 1061 * MS);
	wake_ctx(&b, 700, 761, 1060 * MS, 999, 999, FR_WK_SOFTIRQ, FR_NO_SYSCALL, FR_SOFTIRQ_NET_RX);
	w = window(&b);
	assert_int_equal(fr_chain__walk(&w, &c, 761, 4, &ch), 0);
	for (size_t i = 0; i < ch.n; i++)
		if (ch.seg[i].state == FR_SEG_BLOCKED)
			assert_int_equal(ch.seg[i].irq, FR_CHAIN_IRQ_NET);
	fr_chain__free(&ch);

	/* a waker whose records begin inside the wait (it left the window) */
	b.n = 0;
	blocked(&b, 700, 741, 1010 * MS, 1061 * MS);
	wake_by(&b, 700, 741, 1060 * MS, 700, 742);
	sys(&b, 700, 742, SYS_write, 1040 * MS, 1059 * MS, 7, 10);
	w = window(&b);
	assert_int_equal(fr_chain__walk(&w, &c, 741, 4, &ch), 0);
	assert_covers(&ch, c.span_start, c.span_end);
	fr_chain__free(&ch);
}

/*
 * Another process on the host answers over loopback after an fsync: the
 * wake-up came in the softirq its send ran, so the chain goes on into it
 * (its records are in the window) and the verdict names it and its file.
 */
static void test_chain_into_other_process(void **state)
{
	static struct wb b;
	struct fr_annotate_ctx c = ctx(900, 1000 * MS, 1250 * MS);
	struct fr_window w;
	struct fr_evidence e;
	int depth = -1;

	(void)state;
	b.n = 0;
	c.hint_tid = 900;
	sys(&b, 900, 900, SYS_epoll_wait, 1010 * MS, 1241 * MS, 3, 1);
	blocked(&b, 900, 900, 1010 * MS, 1241 * MS);
	wake_ctx(&b, 900, 900, 1240 * MS, 950, 950, FR_WK_SOFTIRQ, SYS_sendto, FR_SOFTIRQ_NET_RX);
	/* the peer: woken by the request, then fsync, then the answer */
	blocked(&b, 950, 950, 900 * MS, 1012 * MS);
	wake_by(&b, 950, 950, 1011 * MS, 900, 900);
	sys(&b, 950, 950, SYS_fsync, 1020 * MS, 1230 * MS, 7, 0);
	blocked(&b, 950, 950, 1021 * MS, 1231 * MS);
	wake_ctx(&b, 950, 950, 1230 * MS, 0, 0, FR_WK_SOFTIRQ, FR_NO_SYSCALL, FR_SOFTIRQ_BLOCK);
	sys(&b, 950, 950, SYS_sendto, 1239 * MS, 1241 * MS, 5, 100);
	w = window(&b);
	assert_int_equal(fr_annotate(&w, &c, &e), 0);
	print_message("verdict: %s\n", e.verdict);
	assert_int_equal(chain_ns(&e.chain, 950, "fsync(/var/lib/app/wal)", &depth), 210 * MS);
	assert_int_equal(depth, 1);
	assert_non_null(strstr(e.verdict, "until pid 950 (t950) woke it"));
	assert_non_null(strstr(e.verdict, "in fsync(/var/lib/app/wal) until the disk completed"));
	fr_evidence__free(&e);
}

static void two_wakers(bool waits_again)
{
	static struct wb b;
	struct fr_annotate_ctx c = ctx(1100, 1000 * MS, 1300 * MS);
	struct fr_window w;
	struct fr_evidence e;
	int depth = -1;

	b.n = 0;
	c.hint_tid = 1100;
	sys(&b, 1100, 1100, SYS_epoll_wait, 1004 * MS, 1200 * MS, 3, 1);
	blocked(&b, 1100, 1100, 1004 * MS, 1200 * MS);
	wake_by(&b, 1100, 1100, 1200 * MS - 50000, 1150, 1150);
	sys(&b, 1100, 1100, SYS_wait4, 1200 * MS + 100000, 1200 * MS + 200000, 1150, 1150);
	if (waits_again) {
		sys(&b, 1100, 1100, SYS_epoll_wait, 1200 * MS + 300000, 1290 * MS, 3, 1);
		blocked(&b, 1100, 1100, 1200 * MS + 300000, 1290 * MS);
		wake_by(&b, 1100, 1100, 1290 * MS - 50000, 1160, 1160);
	}
	sys(&b, 1100, 1100, SYS_write, 1295 * MS, 1296 * MS, 20, 100);
	/* the waiter: in flock from before the wait until the holder left */
	sys(&b, 1160, 1160, SYS_flock, 1003 * MS, 1201 * MS, 7, 0);
	blocked(&b, 1160, 1160, 1003 * MS + 100000, 1201 * MS);
	wake_by(&b, 1160, 1160, 1200 * MS - 100000, 1150, 1150);
	sys(&b, 1160, 1160, SYS_exit_group, 1289 * MS, 1289 * MS + 100000, 0, 0);
	ev(&b, (struct fr_rec){ .type = FR_REC_EXIT, .ts = 1289 * MS + 50000, .tid = 1160,
				.pid = 1160 });
	/* the holder: waiting for its own child (sleep 0.3), then exiting */
	sys(&b, 1150, 1150, SYS_wait4, 900 * MS, 1199 * MS, 1151, 1151);
	blocked(&b, 1150, 1150, 900 * MS + 100000, 1199 * MS);
	wake_ctx(&b, 1150, 1150, 1198 * MS, 1151, 1151, 0, SYS_exit_group, 0);
	w = window(&b);
	assert_int_equal(fr_annotate(&w, &c, &e), 0);
	print_message("verdict: %s\n", e.verdict);
	for (size_t i = 0; i < e.chain.n; i++)
		print_message("  d%u %u %.1f..%.1f ms %s\n", e.chain.seg[i].depth, e.chain.seg[i].tid,
			      (double)(e.chain.seg[i].start - c.span_start) / MS,
			      (double)(e.chain.seg[i].end - c.span_start) / MS, e.chain.seg[i].what);
	assert_int_equal(e.focus_tid, 1100);
	/* 1160's flock is handed off to the holder whole */
	for (size_t i = 0; i < e.chain.n; i++)
		if (e.chain.seg[i].tid == 1160 && e.chain.seg[i].handoff) {
			assert_string_equal(e.chain.seg[i].what, "flock(/var/lib/app/wal)");
			assert_int_equal(e.chain.seg[i].depth, 1);
			assert_true(e.chain.seg[i].lock);
			assert_int_equal(e.chain.seg[i].waker_tid, 1150);
			depth = 1;
		}
	assert_int_equal(depth, 1);
	assert_true(chain_ns(&e.chain, 1150, "wait4", &depth) > 190 * MS);
	assert_int_equal(depth, 2);
	assert_non_null(strstr(e.verdict, "until pid 1160 (t1160) woke it"));
	assert_non_null(strstr(e.verdict, "flock(/var/lib/app/wal) held by pid 1150 (t1150)"));
	fr_evidence__free(&e);
}

/*
 * Two wakers of one wait: the event loop waits for its child 1160, which
 * waits in flock() for the lock its other child 1150 holds. 1150's exit
 * frees the lock (waking 1160) and wakes the loop first (SIGCHLD); the
 * loop runs briefly and waits again until 1160 is done, or 1160 is done
 * while the loop still runs. The wait needed 1160, and 1160 needed 1150:
 * the chain follows 1160, then 1150, and the verdict names the lock and
 * its holder.
 */
static void test_two_wakers_lock(void **state)
{
	(void)state;
	two_wakers(true);
	two_wakers(false);
}

/*
 * No thread.id: the event loop thread took the request (a read at the
 * span's start) and answered (a write at its end); a pool worker did the
 * file work in between and was busier. The verdict is about the loop
 * thread, and its chain goes into the worker.
 */
static void test_focus_without_thread_id(void **state)
{
	static struct wb b;
	struct fr_annotate_ctx c = ctx(1000, 1000 * MS, 1300 * MS);
	struct fr_window w;
	struct fr_evidence e;

	(void)state;
	b.n = 0;
	sys(&b, 1000, 1000, SYS_read, 999 * MS, 1000 * MS, 20, 512);
	sys(&b, 1000, 1000, SYS_epoll_wait, 1002 * MS, 1298 * MS, 3, 1);
	blocked(&b, 1000, 1000, 1002 * MS, 1298 * MS + 100000);
	wake_by(&b, 1000, 1000, 1298 * MS, 1000, 1003);
	sys(&b, 1000, 1000, SYS_write, 1299 * MS, 1300 * MS, 20, 512);
	/* the worker: on CPU, then fsync, from just after the start */
	blocked(&b, 1000, 1003, 900 * MS, 1003 * MS);
	wake_by(&b, 1000, 1003, 1002 * MS, 1000, 1000);
	sys(&b, 1000, 1003, SYS_fsync, 1010 * MS, 1297 * MS, 7, 0);
	sys(&b, 1000, 1003, SYS_write, 1297 * MS + 100000, 1297 * MS + 200000, 9, 8);
	w = window(&b);
	assert_int_equal(fr_annotate(&w, &c, &e), 0);
	print_message("focus: %u (%s)\nverdict: %s\n", e.focus_tid, e.focus_reason, e.verdict);
	assert_int_equal(e.focus_tid, 1000);
	assert_non_null(strstr(e.focus_reason, "start and end"));
	assert_non_null(strstr(e.verdict, "until thread 1003 (t1003) woke it"));
	assert_non_null(strstr(e.verdict, "fsync(/var/lib/app/wal)"));
	fr_evidence__free(&e);
}

/*
 * A thread whose syscalls have no records (scheduler-centred capture of a
 * thread without rseq): its switch-out says which call it blocked in.
 */
static void test_block_named_from_switch(void **state)
{
	static struct wb b;
	struct fr_annotate_ctx c = ctx(1300, 1000 * MS, 1200 * MS);
	struct fr_window w;
	struct fr_evidence e;

	(void)state;
	b.n = 0;
	c.hint_tid = 1300;
	ev(&b, (struct fr_rec){ .type = FR_REC_SWITCH, .flags = FR_SW_SYSCALL, .aux = 2,
				.ts = 1010 * MS, .tid = 1300, .pid = 1300,
				.sw = { .sys_nr = SYS_fsync, .sys_arg0 = 7 } });
	ev(&b, (struct fr_rec){ .type = FR_REC_SWITCH, .ts = 1190 * MS,
				.sw = { .next_tid = 1300, .next_pid = 1300,
					.sys_nr = FR_NO_SYSCALL } });
	w = window(&b);
	assert_int_equal(fr_annotate(&w, &c, &e), 0);
	print_message("verdict: %s\n", e.verdict);
	assert_non_null(strstr(e.verdict, "blocked in fsync(fd 7)"));
	fr_evidence__free(&e);
}

/*
 * The SDK's clock has drifted: the request woke the loop thread 10 ms
 * before the span's start and the answer left 16 ms after its end, while
 * a worker, which fsynced under a lock the loop thread waited for, was
 * merely at work right at both instants. The span's thread is the one the
 * request woke and that answered, not the worker.
 */
static void test_focus_with_drift(void **state)
{
	static struct wb b;
	struct fr_annotate_ctx c = ctx(1200, 1000 * MS, 1292 * MS);
	struct fr_window w;
	struct fr_evidence e;

	(void)state;
	b.n = 0;
	blocked(&b, 1200, 1200, 900 * MS, 990 * MS + 100000);
	wake_ctx(&b, 1200, 1200, 990 * MS, 0, 0, FR_WK_SOFTIRQ, FR_NO_SYSCALL, FR_SOFTIRQ_NET_RX);
	sys(&b, 1200, 1200, SYS_read, 990 * MS + 100000, 990 * MS + 200000, 20, 512);
	sys(&b, 1200, 1200, SYS_futex, 991 * MS, 1290 * MS + 100000, 0, 0);
	blocked(&b, 1200, 1200, 991 * MS, 1290 * MS + 100000);
	wake_by(&b, 1200, 1200, 1290 * MS, 1200, 1201);
	sys(&b, 1200, 1200, SYS_write, 1308 * MS, 1308 * MS + 100000, 20, 512);
	wake_ctx(&b, 5000, 5000, 1308 * MS + 50000, 1200, 1200, 0, SYS_write, 0);
	/* the worker, busy at both instants */
	sys(&b, 1200, 1201, SYS_write, 999 * MS, 1000 * MS + 100000, 9, 8);
	sys(&b, 1200, 1201, SYS_fsync, 1001 * MS, 1289 * MS, 7, 0);
	blocked(&b, 1200, 1201, 1001 * MS + 100000, 1289 * MS);
	sys(&b, 1200, 1201, SYS_futex, 1289 * MS + 900000, 1290 * MS, 0, 1);
	w = window(&b);
	assert_int_equal(fr_annotate(&w, &c, &e), 0);
	print_message("focus: %u (%s)\nverdict: %s\n", e.focus_tid, e.focus_reason, e.verdict);
	assert_int_equal(e.focus_tid, 1200);
	assert_non_null(strstr(e.verdict, "futex"));
	assert_non_null(strstr(e.verdict, "until thread 1201 (t1201) woke it"));
	fr_evidence__free(&e);
}

/*
 * A waker that did thousands of short things: the chain stays within its
 * bound by joining the shortest segments, still covers the span exactly,
 * and the verdict still finds where the time went; the hand-off says what
 * the span's thread waited in.
 */
static void test_chain_compacts(void **state)
{
	static struct wb b;
	struct fr_annotate_ctx c = ctx(1100, 1000 * MS, 1300 * MS);
	struct fr_window w;
	struct fr_evidence e;
	size_t handoffs = 0;
	uint64_t t = 1001 * MS;

	(void)state;
	b.n = 0;
	c.hint_tid = 1101;
	sys(&b, 1100, 1101, SYS_futex, 1000 * MS + 1000, 1299 * MS, 0, 0);
	blocked(&b, 1100, 1101, 1000 * MS + 2000, 1299 * MS + 1000);
	wake_by(&b, 1100, 1101, 1299 * MS, 1100, 1102);
	/* the worker: 1000 rounds of a short write then a longer fsync */
	for (int i = 0; i < 1000 && b.n < 4000; i++) {
		sys(&b, 1100, 1102, SYS_write, t, t + 20000, 9, 4096);
		sys(&b, 1100, 1102, SYS_fsync, t + 30000, t + 290000, 7, 0);
		t += 297000;
	}
	w = window(&b);
	assert_int_equal(fr_annotate(&w, &c, &e), 0);
	print_message("%zu segments; verdict: %s\n", e.chain.n, e.verdict);
	assert_true(e.chain.n <= FR_CHAIN_MAX_SEGS);
	assert_covers(&e.chain, c.span_start, c.span_end);
	for (size_t i = 0; i < e.chain.n; i++)
		if (e.chain.seg[i].handoff) {
			handoffs++;
			assert_int_equal(e.chain.seg[i].tid, 1101);
			assert_int_equal(e.chain.seg[i].waker_tid, 1102);
			assert_non_null(strstr(e.chain.seg[i].what, "futex"));
			assert_int_equal(e.chain.seg[i].start, e.chain.seg[i].end);
		}
	assert_int_equal(handoffs, 1);
	assert_non_null(strstr(e.verdict, "until thread 1102 (t1102) woke it"));
	assert_non_null(strstr(e.verdict, "in fsync(/var/lib/app/wal)"));
	fr_evidence__free(&e);
}

/* A user frame in words: JIT perf-map names of several runtimes, the
 * application's own code told from runtimes' and system libraries'. */
static void test_hot_frame_words(void **state)
{
	static const struct {
		const char *sym, *module, *name, *where;
		bool own;
	} cases[] = {
		{ "JS:*computeInvoiceTotals file:///srv/app.js:41:32", "/tmp/perf-9.map",
		  "computeInvoiceTotals", "/srv/app.js:41", true },
		{ "LazyCompile:~handle /srv/app.js:7", "/proc/9/root/tmp/perf-9.map", "handle",
		  "/srv/app.js:7", true },
		{ "JS:~ /srv/app.js:166:20", "/tmp/perf-9.map", "(anonymous)", "/srv/app.js:166", true },
		{ "JS:*emit node:events:517:28", "/tmp/perf-9.map", "emit", "node:events:517", false },
		{ "Builtin:ArrayPrototypePush", "/tmp/perf-9.map", "ArrayPrototypePush", "", false },
		{ "py::price:/srv/pricing.py", "/tmp/perf-12.map", "price", "/srv/pricing.py", true },
		{ "crunch.constprop.0.isra.0", "/srv/bin/app", "crunch", "app", true },
		{ "memcpy", "/usr/lib/x86_64-linux-gnu/libc.so.6", "memcpy", "libc.so.6", false },
		{ "uv__io_poll", "/usr/bin/node", "uv__io_poll", "node", false },
		{ "_PyEval_EvalFrameDefault", "/usr/bin/python3.11", "_PyEval_EvalFrameDefault",
		  "python3.11", false },
		/* C++: a plain nested name is read as a person would; what is
		 * more than that stays mangled */
		{ "_ZN4node12_GLOBAL__N_111ZlibContext16DoThreadPoolWorkEv", "/usr/bin/node",
		  "node::(anonymous namespace)::ZlibContext::DoThreadPoolWork", "node", false },
		{ "_ZNK3app6Ledger5totalEv.part.0", "/srv/bin/app", "app::Ledger::total", "app", true },
		{ "_Z6crunchPKcm", "/srv/bin/app", "crunch", "app", true },
		{ "_ZN3app4sortIiEEvPT_", "/srv/bin/app", "app::sort<...>", "app", true },
		{ "_ZN2v88internal9Scavenger14ScavengeObjectINS0_18FullHeapObjectSlotEEEN4heap4b"
		  "ase18SlotCallbackResultET_NS0_10HeapObjectE", "/usr/bin/node",
		  "v8::internal::Scavenger::ScavengeObject<...>", "node", false },
		{ "_ZN4heap4base8WorklistISt4pairIN2v88internal10HeapObjectEiELt256EE5Local18Publi"
		  "shPushSegmentEv", "/usr/bin/node",
		  "heap::base::Worklist<...>::Local::PublishPushSegment", "node", false },
		{ "_ZN2v88internal16BasicMemoryChunkC2EPNS0_4HeapE", "/usr/bin/node",
		  "v8::internal::BasicMemoryChunk::BasicMemoryChunk", "node", false },
		{ "_ZThn56_N4node6crypto13DeriveBitsJobINS0_12PBKDF2TraitsEE16DoThreadPoolWorkEv",
		  "/usr/bin/node", "node::crypto::DeriveBitsJob<...>::DoThreadPoolWork", "node",
		  false },
		/* Go's runtime, in the application's own binary, is not its code */
		{ "runtime.scanobject", "/srv/bin/goapp", "runtime.scanobject", "goapp", false },
		{ "main.handleOrder", "/srv/bin/goapp", "main.handleOrder", "goapp", true },
		{ "_ZN3app", "/srv/bin/app", "_ZN3app", "app", true },
	};
	char name[128], where[160];
	bool own;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fr_uframe f = { .ip = 0x1000, .module = cases[i].module, .sym = cases[i].sym };

		assert_true(fr_hot__frame_words(&f, name, sizeof(name), where, sizeof(where), &own));
		assert_string_equal(name, cases[i].name);
		assert_string_equal(where, cases[i].where);
		assert_int_equal(own, cases[i].own);
	}
	{
		struct fr_uframe f = { .ip = 0x1000, .module = "/srv/bin/app" };

		assert_false(fr_hot__frame_words(&f, name, sizeof(name), where, sizeof(where), &own));
	}
}

/*
 * An event loop waits for an answer while its own timers fire: the long
 * wait that timed out is not what it waited for; the last one, which the
 * answer ended, tells the cause.
 */
static void test_loop_wait_not_told_by_timeout(void **state)
{
	static struct wb b;
	struct fr_annotate_ctx c = ctx(720, 1000 * MS, 1130 * MS);
	struct fr_evidence e;
	struct fr_window w;

	(void)state;
	b.n = 0;
	sw_in(&b, 0, 720, 721, 990 * MS);
	/* 100 ms timed out (a timer), 1 ms on CPU, 20 ms ended by pid 730 */
	sw_out(&b, 720, 721, 1001 * MS, false, 1, 0);
	wake_ctx(&b, 720, 721, 1101 * MS, 0, 0, FR_WK_TIMER, FR_NO_SYSCALL, 0);
	sw_in(&b, 0, 720, 721, 1101 * MS + 1000);
	sys(&b, 720, 721, SYS_epoll_pwait, 1001 * MS, 1101 * MS + 2000, 5, 0);
	sw_out(&b, 720, 721, 1102 * MS, false, 1, 0);
	wake_by(&b, 720, 721, 1122 * MS, 730, 730);
	sw_in(&b, 0, 720, 721, 1122 * MS + 1000);
	sys(&b, 720, 721, SYS_epoll_pwait, 1102 * MS, 1122 * MS + 2000, 5, 1);
	w = window(&b);
	assert_int_equal(fr_annotate(&w, &c, &e), 0);
	print_message("verdict: %s\n", e.verdict);
	assert_int_equal(e.causes[0].kind, FR_CAUSE_BLOCKED);
	assert_non_null(strstr(e.causes[0].what, "epoll_pwait"));
	assert_null(strstr(e.causes[0].what, "timed out"));
	fr_evidence__free(&e);
	/* a request that waits on its own timer: the timed-out wait is the
	 * cause, and a brief wait that the recorder's answer to the span
	 * export ended after it does not take that over */
	b.n = 0;
	sw_in(&b, 0, 720, 721, 990 * MS);
	sw_out(&b, 720, 721, 1001 * MS, false, 1, 0);
	wake_ctx(&b, 720, 721, 1110 * MS, 0, 0, FR_WK_TIMER, FR_NO_SYSCALL, 0);
	sw_in(&b, 0, 720, 721, 1110 * MS + 1000);
	sys(&b, 720, 721, SYS_epoll_pwait, 1001 * MS, 1110 * MS + 2000, 5, 0);
	sw_out(&b, 720, 721, 1111 * MS, false, 1, 0);
	wake_by(&b, 720, 721, 1113 * MS, 999, 999);
	sw_in(&b, 0, 720, 721, 1113 * MS + 1000);
	sys(&b, 720, 721, SYS_epoll_pwait, 1111 * MS, 1113 * MS + 2000, 5, 1);
	w = window(&b);
	c.ignore_pid = 999;
	assert_int_equal(fr_annotate(&w, &c, &e), 0);
	print_message("verdict: %s\n", e.verdict);
	assert_non_null(strstr(e.causes[0].what, "timed out"));
	fr_evidence__free(&e);
}

/*
 * Without syscall hooks, a call seen on CPU in samples (a loopback connect
 * doing its handshake) ends where the thread next blocks: that block is
 * the next call's, not the sampled one's.
 */
static void test_sampled_call_ends_at_block(void **state)
{
	static struct wb b;
	struct fr_annotate_ctx c = ctx(740, 1000 * MS, 1100 * MS);
	struct fr_evidence e;
	struct fr_window w;

	(void)state;
	b.n = 0;
	sw_in(&b, 0, 740, 741, 990 * MS);
	sys(&b, 740, 741, SYS_connect, 1000 * MS, 1010 * MS, 9, 0);
	b.ev[b.n - 1].rec.flags = FR_SYS_SAMPLED;
	sw_out(&b, 740, 741, 1010 * MS, false, 1, 0);
	wake_by(&b, 740, 741, 1095 * MS, 750, 750);
	sw_in(&b, 0, 740, 741, 1095 * MS + 1000);
	sys(&b, 740, 741, SYS_epoll_pwait, 1010 * MS, 1095 * MS + 2000, 5, 1);
	b.ev[b.n - 1].rec.flags = FR_SYS_FROM_BLOCK;
	w = window(&b);
	assert_int_equal(fr_annotate(&w, &c, &e), 0);
	print_message("verdict: %s\n", e.verdict);
	assert_non_null(strstr(e.verdict, "blocked in epoll_pwait"));
	assert_null(strstr(e.verdict, "connect"));
	fr_evidence__free(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fsync),
		cmocka_unit_test(test_chain_into_other_process),
		cmocka_unit_test(test_focus_without_thread_id),
		cmocka_unit_test(test_chain_compacts),
		cmocka_unit_test(test_cpu_starvation),
		cmocka_unit_test(test_lock_and_hint),
		cmocka_unit_test(test_fault_needs_its_stack),
		cmocka_unit_test(test_loop_wait_not_told_by_timeout),
		cmocka_unit_test(test_sampled_call_ends_at_block),
		cmocka_unit_test(test_empty_and_missing),
		cmocka_unit_test(test_fmt),
		cmocka_unit_test(test_chain_lock_holder_in_fsync),
		cmocka_unit_test(test_chain_bounds),
		cmocka_unit_test(test_chain_thread_pool),
		cmocka_unit_test(test_chain_pool_computing),
		cmocka_unit_test(test_chain_root_starved),
		cmocka_unit_test(test_syn_retransmitted),
		cmocka_unit_test(test_loopback_sender),
		cmocka_unit_test(test_call_before_cpu),
		cmocka_unit_test(test_focus_loop_with_pool),
		cmocka_unit_test(test_fast_call_named_between),
		cmocka_unit_test(test_on_cpu_in_write),
		cmocka_unit_test(test_hot_frame_words),
		cmocka_unit_test(test_two_wakers_lock),
		cmocka_unit_test(test_focus_with_drift),
		cmocka_unit_test(test_block_named_from_switch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
