// SPDX-License-Identifier: MIT
/*
 * test_ring.c - the window reader against rings written in user space with
 * the BPF programs' slot protocol: ordering, filtering, overwrite and
 * completeness, nested writers, torn slots, and a writer lapping the reader.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "fr_ksyms.h"
#include "fr_ring.h"
/* The writer side of the protocol is the BPF programs' own (bpf/), with a
 * full fence: here writer and reader are threads on different CPUs. */
#define FR_WRITER_BARRIER() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#include "ring_writer.bpf.h"

struct sim {
	struct fr_ring_view v;
	struct fr_rec *recs;
	struct fr_stack_slot *stacks;
	struct fr_cpu_state *cpus;
};

static struct sim *sim_new(uint32_t nr_cpus, uint32_t slots, uint32_t stack_slots)
{
	struct sim *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	s->recs = calloc((size_t)nr_cpus * slots, sizeof(*s->recs));
	s->stacks = calloc((size_t)nr_cpus * stack_slots, sizeof(*s->stacks));
	s->cpus = calloc(nr_cpus, sizeof(*s->cpus));
	assert_non_null(s->recs);
	assert_non_null(s->stacks);
	assert_non_null(s->cpus);
	s->v = (struct fr_ring_view){ .recs = s->recs, .stacks = s->stacks, .cpus = s->cpus,
				      .nr_cpus = nr_cpus, .slots = slots,
				      .stack_slots = stack_slots, .start_ts = 1 };
	return s;
}

static void sim_free(struct sim *s)
{
	free(s->recs);
	free(s->stacks);
	free(s->cpus);
	free(s);
}

/* Writer side, as bpf/capture.bpf.c does it (bpf/ring_writer.bpf.h). */
static struct fr_rec *w_reserve(struct sim *s, uint32_t cpu, uint64_t *pos)
{
	struct fr_cpu_state *st = &s->cpus[cpu];
	struct fr_rec *r;

	*pos = fr_ring_claim(&st->head);
	r = &s->recs[(size_t)cpu * s->v.slots + fr_ring_index(*pos, &st->wrap_base, s->v.slots)];
	fr_slot_open(&r->seq);
	return r;
}

static void w_commit(struct fr_rec *r, uint64_t pos)
{
	fr_slot_publish(&r->seq, pos);
}

static void w_sys(struct sim *s, uint32_t cpu, uint32_t pid, uint32_t tid, uint64_t ts,
		  uint32_t dur, uint16_t nr, uint64_t arg0, int32_t ret)
{
	uint64_t pos;
	struct fr_rec *r = w_reserve(s, cpu, &pos);

	r->type = FR_REC_SYSCALL;
	r->flags = 0;
	r->aux = nr;
	r->ts = ts;
	r->tid = tid;
	r->pid = pid;
	r->sys.dur = dur;
	r->sys.ret = ret;
	r->sys.arg0 = arg0;
	w_commit(r, pos);
}

static void test_empty(void **state)
{
	struct sim *s = sim_new(2, 16, 4);
	struct fr_window_req req = { .pid = 7, .t0 = 0, .t1 = 1000 };
	struct fr_window *w;

	(void)state;
	assert_int_equal(fr_ring__read_window(&s->v, &req, &w), 0);
	assert_int_equal(w->nr_events, 0);
	assert_int_equal(w->complete_from, 1); /* never wrapped: since start_ts */
	assert_int_equal(w->dropped, 0);
	fr_window__free(w);
	sim_free(s);
}

static void test_bad_args(void **state)
{
	struct sim *s = sim_new(1, 16, 4);
	struct fr_window_req req = { .pid = 1, .t0 = 10, .t1 = 5 };
	struct fr_window *w = (void *)1;

	(void)state;
	assert_int_equal(fr_ring__read_window(&s->v, &req, &w), -EINVAL);
	assert_null(w);
	req.t1 = 20;
	assert_int_equal(fr_ring__read_window(NULL, &req, &w), -EINVAL);
	s->v.nr_cpus = 0;
	assert_int_equal(fr_ring__read_window(&s->v, &req, &w), -EINVAL);
	fr_window__free(NULL);
	sim_free(s);
}

/* Records of two CPUs come back merged in time order, others filtered. */
static void test_merge_and_filter(void **state)
{
	struct sim *s = sim_new(2, 64, 4);
	struct fr_window_req req = { .pid = 100, .t0 = 0, .t1 = 10000 };
	struct fr_window *w;
	uint64_t pos;
	struct fr_rec *r;

	(void)state;
	for (int i = 0; i < 10; i++) {
		w_sys(s, 0, 100, 101, 100 + i * 20, 5, 1, i, 0);
		w_sys(s, 1, 100, 102, 110 + i * 20, 5, 2, i, 0);
		w_sys(s, i % 2, 200, 201, 105 + i * 20, 5, 3, i, 0); /* another process */
	}
	/* A switch to our process from another one, and a wakeup we caused. */
	r = w_reserve(s, 1, &pos);
	*r = (struct fr_rec){ .type = FR_REC_SWITCH, .ts = 400, .tid = 201, .pid = 200,
			      .sw = { .next_tid = 101, .next_pid = 100 } };
	w_commit(r, pos);
	r = w_reserve(s, 0, &pos);
	*r = (struct fr_rec){ .type = FR_REC_WAKEUP, .ts = 410, .tid = 201, .pid = 200,
			      .wk = { .waker_tid = 101, .waker_pid = 100 } };
	w_commit(r, pos);

	assert_int_equal(fr_ring__read_window(&s->v, &req, &w), 0);
	assert_int_equal(w->nr_events, 22);
	for (size_t i = 1; i < w->nr_events; i++)
		assert_true(w->events[i - 1].rec.ts <= w->events[i].rec.ts);
	for (size_t i = 0; i < 20; i++) {
		assert_int_equal(w->events[i].rec.pid, 100);
		assert_int_equal(w->events[i].cpu, w->events[i].rec.tid == 101 ? 0 : 1);
	}
	assert_int_equal(w->events[20].rec.type, FR_REC_SWITCH);
	assert_int_equal(w->events[21].rec.type, FR_REC_WAKEUP);
	fr_window__free(w);

	/* pid 0 keeps everything */
	req.pid = 0;
	assert_int_equal(fr_ring__read_window(&s->v, &req, &w), 0);
	assert_int_equal(w->nr_events, 32);
	fr_window__free(w);
	sim_free(s);
}

/* A syscall overlapping the window's start is in; one starting after t1 is out. */
static void test_time_overlap(void **state)
{
	struct sim *s = sim_new(1, 64, 4);
	struct fr_window_req req = { .pid = 1, .t0 = 1000, .t1 = 2000 };
	struct fr_window *w;

	(void)state;
	w_sys(s, 0, 1, 1, 900, 10, 1, 1, 0);    /* ends before t0: out */
	w_sys(s, 0, 1, 1, 1100, 500, 2, 2, 0);  /* 600..1100: overlaps t0 */
	w_sys(s, 0, 1, 1, 1500, 10, 3, 3, 0);   /* inside */
	w_sys(s, 0, 1, 1, 5000, 4000, 4, 4, 0); /* 1000..5000: overlaps */
	w_sys(s, 0, 1, 1, 5100, 50, 5, 5, 0);   /* 5050..5100: after t1 */
	assert_int_equal(fr_ring__read_window(&s->v, &req, &w), 0);
	assert_int_equal(w->nr_events, 3);
	assert_int_equal(w->events[0].rec.aux, 2);
	assert_int_equal(w->events[1].rec.aux, 3);
	assert_int_equal(w->events[2].rec.aux, 4);
	fr_window__free(w);
	sim_free(s);
}

/* After many more records than the ring holds: the newest, contiguous, and
 * complete_from says from when. */
static void test_overwrite(void **state)
{
	const uint32_t slots = 64;
	struct sim *s = sim_new(2, slots, 4);
	struct fr_window_req req = { .pid = 5, .t0 = 0, .t1 = 1000000 };
	struct fr_window *w;

	(void)state;
	for (uint64_t i = 0; i < 1000; i++)
		w_sys(s, 0, 5, 5, 10 + i * 10, 1, 1, i, 0);
	w_sys(s, 1, 5, 6, 20, 1, 1, 9999, 0); /* CPU 1 never wrapped */
	assert_int_equal(fr_ring__read_window(&s->v, &req, &w), 0);
	assert_int_equal(w->cpu_complete_from[1], 1);
	assert_int_equal(w->cpu_complete_from[0], 10 + (1000 - slots) * 10);
	assert_int_equal(w->complete_from, w->cpu_complete_from[0]);
	assert_int_equal(w->nr_events, slots + 1);
	assert_int_equal(w->events[0].rec.sys.arg0, 9999); /* the old CPU 1 record */
	for (uint32_t i = 1; i <= slots; i++)
		assert_int_equal(w->events[i].rec.sys.arg0, 1000 - slots + i - 1);
	fr_window__free(w);

	/* A window entirely inside what the ring still holds is complete. */
	req.t0 = 9500;
	req.t1 = 9900;
	assert_int_equal(fr_ring__read_window(&s->v, &req, &w), 0);
	assert_true(w->complete_from <= req.t0);
	assert_int_equal(w->nr_events, 41);
	fr_window__free(w);
	sim_free(s);
}

/* An interrupt-like nested writer takes the next slot while the outer record
 * is still in progress: the in-progress slot is dropped, never half-read. */
static void test_nested_writer(void **state)
{
	struct sim *s = sim_new(1, 16, 4);
	struct fr_window_req req = { .pid = 9, .t0 = 0, .t1 = 1000 };
	struct fr_window *w;
	struct fr_rec *outer;
	uint64_t pos;

	(void)state;
	outer = w_reserve(s, 0, &pos);
	outer->type = FR_REC_SYSCALL;
	outer->ts = 100;
	outer->tid = 9; /* ... the interrupt arrives here */
	w_sys(s, 0, 9, 10, 101, 1, 7, 77, 0);
	assert_int_equal(fr_ring__read_window(&s->v, &req, &w), 0);
	/* Only the nested record: the half-written one is never returned. */
	assert_int_equal(w->nr_events, 1);
	assert_int_equal(w->events[0].rec.sys.arg0, 77);
	assert_int_equal(w->events[0].rec.tid, 10);
	fr_window__free(w);

	outer->pid = 9;
	outer->aux = 6;
	outer->sys.arg0 = 66;
	w_commit(outer, pos);
	assert_int_equal(fr_ring__read_window(&s->v, &req, &w), 0);
	assert_int_equal(w->nr_events, 2);
	assert_int_equal(w->events[0].rec.sys.arg0, 66);
	assert_int_equal(w->events[1].rec.sys.arg0, 77);
	assert_int_equal(w->dropped, 0);
	fr_window__free(w);
	sim_free(s);
}

/* A block of tid from ts: its switch-out, then (as the BPF programs do at
 * its wake-up and its syscall's return) a raw kernel stack holding words
 * and a user stack of one frame. */
static void w_block_with_stacks(struct sim *s, uint64_t ts, uint32_t tid, const uint64_t *words,
				size_t nwords, uint64_t user_ip)
{
	struct fr_cpu_state *cs = &s->cpus[0];
	uint64_t pos;
	struct fr_rec *r = w_reserve(s, 0, &pos);

	*r = (struct fr_rec){ .type = FR_REC_SWITCH, .aux = 1, .ts = ts, .tid = tid, .pid = tid };
	w_commit(r, pos);
	for (int kind = nwords ? FR_STK_KERNEL_RAW : FR_STK_USER; kind <= FR_STK_USER; kind++) {
		uint64_t spos = fr_ring_claim(&cs->stack_head);
		struct fr_stack_slot *st =
			&s->stacks[fr_ring_index(spos, &cs->stack_wrap_base, s->v.stack_slots)];

		fr_slot_open(&st->seq);
		st->tid = tid;
		st->ts = ts;
		st->wts = ts + 10;
		st->kind = (uint16_t)kind;
		if (kind == FR_STK_USER) {
			st->n = 1;
			st->ips[0] = user_ip;
		} else {
			st->n = (uint16_t)(nwords * 8);
			memcpy(st->raw, words, nwords * 8);
		}
		fr_slot_publish(&st->seq, spos);
	}
}

static void test_stacks(void **state)
{
	struct sim *s = sim_new(1, 64, 4);
	struct fr_window_req req = { .pid = 3, .t0 = 0, .t1 = 100000 };
	struct fr_window *w;

	(void)state;
	for (int i = 0; i < 6; i++)
		w_block_with_stacks(s, 100 + i, 3, NULL, 0, 0x400000 + i);
	assert_int_equal(fr_ring__read_window(&s->v, &req, &w), 0);
	assert_int_equal(w->nr_events, 6);
	/* The stack ring holds 4: the two oldest blocks have none. */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(w->events[i].stack, -1);
		assert_false(w->events[i].rec.flags & FR_SW_STACK);
	}
	for (int i = 2; i < 6; i++) {
		assert_true(w->events[i].stack >= 0);
		assert_true(w->events[i].rec.flags & FR_SW_STACK);
		assert_int_equal(w->stacks[w->events[i].stack].nr_user, 1);
		assert_int_equal(w->stacks[w->events[i].stack].ips[FR_STACK_KERN_MAX], 0x400000 + i);
	}
	assert_int_equal(w->nr_stacks, 4);
	fr_window__free(w);
	sim_free(s);
}

/*
 * A raw kernel stack scanned for return addresses: words inside kernel
 * functions are frames, innermost first; a function's own start (a pointer
 * kept on the stack), data, and addresses far past a function are not.
 */
static void test_kernel_stack_scan(void **state)
{
	char path[] = "/tmp/fr-test-kallsyms-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	struct sim *s = sim_new(1, 64, 8);
	struct fr_window_req req = { .pid = 5, .t0 = 0, .t1 = 100000 };
	const uint64_t words[] = {
		0xffff888100001000ull, /* data (a task pointer): below kernel text */
		0xffffffff81000120ull, /* __schedule+0x20 */
		0xffffffff81000200ull, /* schedule: its start, a function pointer */
		0xffffffff81000230ull, /* schedule+0x30 */
		0xffffffff81050000ull, /* 0x40000 into do_nanosleep: not a return */
		0xffffffff81010044ull, /* do_nanosleep+0x44 */
		0x00007fff12345678ull, /* a user address (saved registers) */
	};
	struct fr_ksyms *ks;
	struct fr_window *w;
	const struct fr_stack *st;
	const char *name;

	(void)state;
	assert_non_null(f);
	fprintf(f, "ffffffff81000100 T __schedule\nffffffff81000200 T schedule\n"
		   "ffffffff81010000 t do_nanosleep\nffffffff81800000 D some_data\n");
	fclose(f);
	ks = fr_ksyms__load(path);
	unlink(path);
	assert_non_null(ks);
	w_block_with_stacks(s, 200, 5, words, sizeof(words) / sizeof(words[0]), 0x401000);
	assert_int_equal(fr_ring__read_window(&s->v, &req, &w), 0);
	assert_int_equal(w->nr_stacks, 1);
	fr_window__scan_kernel_stacks(w, ks);
	st = &w->stacks[0];
	assert_int_equal(st->nr_kern, 3);
	name = fr_ksyms__lookup(ks, st->ips[0], NULL);
	assert_string_equal(name, "__schedule");
	assert_string_equal(fr_ksyms__lookup(ks, st->ips[1], NULL), "schedule");
	assert_int_equal(st->ips[1], 0xffffffff81000230ull);
	assert_string_equal(fr_ksyms__lookup(ks, st->ips[2], NULL), "do_nanosleep");
	assert_int_equal(st->nr_user, 1);
	fr_window__free(w);
	fr_ksyms__free(ks);
	sim_free(s);
}

/* A writer laps the reader continuously: every record read is whole. */
struct lap {
	struct sim *s;
	uint32_t cpu;
	volatile int stop;
	uint64_t written;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *lap_writer(void *arg)
{
	struct lap *l = arg;

	for (uint64_t k = 1; !l->stop; k++) {
		uint64_t pos;
		struct fr_rec *r = w_reserve(l->s, l->cpu, &pos);

		/* Field by field, as BPF does: a torn copy would mix k's. */
		r->type = FR_REC_SYSCALL;
		r->aux = (uint16_t)k;
		r->ts = k;
		r->tid = (uint32_t)(k * 2654435761u);
		r->pid = 42;
		r->sys.dur = 0;
		r->sys.ret = (int32_t)~k;
		r->sys.arg0 = k;
		w_commit(r, pos);
		l->written = k;
		if ((k & 4095) == 0)
			sched_yield(); /* let the reader run on a 2-core machine */
	}
	return NULL;
}

static void test_writer_laps_reader(void **state)
{
	struct sim *s = sim_new(2, 128, 4);
	struct lap l[2] = { { .s = s, .cpu = 0 }, { .s = s, .cpu = 1 } };
	pthread_t th[2];
	uint64_t checked = 0, dropped = 0;

	(void)state;
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, lap_writer, &l[i]), 0);
	/* Reads until enough whole records were checked (bounded in time): on a
	 * busy machine many reads are lapped entirely, which is fine. */
	uint64_t deadline = now_ns() + 20000000000ull;

	for (int round = 0; (round < 3000 || checked < 100000) && now_ns() < deadline; round++) {
		struct fr_window_req req = { .pid = 42, .t0 = 0, .t1 = UINT64_MAX / 2 };
		struct fr_window *w;

		assert_int_equal(fr_ring__read_window(&s->v, &req, &w), 0);
		for (size_t i = 0; i < w->nr_events; i++) {
			const struct fr_rec *r = &w->events[i].rec;
			uint64_t k = r->sys.arg0;

			assert_int_equal(r->ts, k);
			assert_int_equal(r->aux, (uint16_t)k);
			assert_int_equal(r->tid, (uint32_t)(k * 2654435761u));
			assert_int_equal(r->sys.ret, (int32_t)~k);
			checked++;
		}
		dropped += w->dropped;
		fr_window__free(w);
	}
	for (int i = 0; i < 2; i++) {
		l[i].stop = 1;
		pthread_join(th[i], NULL);
	}
	print_message("checked %llu records, dropped %llu torn/overwritten, written %llu\n",
		      (unsigned long long)checked, (unsigned long long)dropped,
		      (unsigned long long)(l[0].written + l[1].written));
	assert_true(checked >= 100000);
	assert_true(l[0].written > 128 && l[1].written > 128); /* the rings wrapped */
	sim_free(s);
}

/* ---- scheduler-centred capture: syscalls from samples ---- */

#define MS 1000000ull

static int cmp_events_ts(const void *a, const void *b)
{
	const struct fr_event *x = a, *y = b;

	return x->rec.ts < y->rec.ts ? -1 : x->rec.ts > y->rec.ts;
}

static struct fr_event *ev_add(struct fr_window *w, uint8_t type, uint8_t flags, uint64_t ts,
			       uint32_t tid)
{
	struct fr_event *e;

	w->events = realloc(w->events, (w->nr_events + 1) * sizeof(*w->events));
	assert_non_null(w->events);
	e = &w->events[w->nr_events++];
	memset(e, 0, sizeof(*e));
	e->rec.type = type;
	e->rec.flags = flags;
	e->rec.ts = ts;
	e->rec.tid = tid;
	e->rec.pid = 100;
	e->stack = -1;
	e->name = -1;
	return e;
}

/* A sample of thread tid, in syscall nr on fd (nr < 0: in user space). */
static void smp_add(struct fr_window *w, uint64_t ts, uint32_t tid, int nr, uint64_t fd)
{
	struct fr_event *e = ev_add(w, FR_REC_SAMPLE, nr >= 0 ? FR_SMP_SYSCALL : 0, ts, tid);

	e->rec.aux = nr >= 0 ? (uint16_t)nr : 0;
	e->rec.smp.arg0 = fd;
}

/* A call that blocked: first block at b, return at end. */
static void blocked_add(struct fr_window *w, uint64_t b, uint64_t end, uint32_t tid, int nr,
			uint64_t fd)
{
	struct fr_event *e = ev_add(w, FR_REC_SYSCALL, FR_SYS_FROM_BLOCK, end, tid);

	e->rec.aux = (uint16_t)nr;
	e->rec.sys.dur = (uint32_t)(end - b);
	e->rec.sys.arg0 = fd;
}

static const struct fr_rec *call_at(const struct fr_window *w, uint32_t tid, uint64_t end,
				    uint8_t flag)
{
	for (size_t i = 0; i < w->nr_events; i++) {
		const struct fr_rec *r = &w->events[i].rec;

		if (r->type == FR_REC_SYSCALL && r->tid == tid && r->ts == end && (r->flags & flag))
			return r;
	}
	return NULL;
}

static size_t count_flag(const struct fr_window *w, uint8_t flag)
{
	size_t n = 0;

	for (size_t i = 0; i < w->nr_events; i++)
		n += w->events[i].rec.type == FR_REC_SYSCALL && (w->events[i].rec.flags & flag);
	return n;
}

/*
 * Without syscall hooks, a call's time on CPU comes from samples: a run of
 * samples in one call is a call of its own, and a call that blocked starts
 * back over the samples in it before its block (at its block, where none
 * fell), never past the thread's last switch or call, nor past a sample of
 * it in user space or in another call.
 */
static void test_syscalls_from_samples(void **state)
{
	struct fr_window *w = calloc(1, sizeof(*w));
	const uint64_t period = 20 * MS;
	const struct fr_rec *r;
	struct fr_event *e;

	(void)state;
	assert_non_null(w);
	/* thread 7: a write computing on CPU, no block */
	smp_add(w, 100 * MS, 7, 1, 5);
	smp_add(w, 120 * MS, 7, 1, 5);
	/* switched in at 150, user space at 160, fsync(9) on CPU at 185 and
	 * 195, first block at 200, returns at 210 */
	e = ev_add(w, FR_REC_SWITCH, 0, 150 * MS, 3);
	e->rec.sw.next_tid = 7;
	smp_add(w, 160 * MS, 7, -1, 0);
	smp_add(w, 185 * MS, 7, 74, 9);
	smp_add(w, 195 * MS, 7, 74, 9);
	blocked_add(w, 200 * MS, 210 * MS, 7, 74, 9);
	/* a read(4) blocking at 230 with no sample before it: it starts at
	 * its block, as seen (what ran in 210..230 is not known) */
	blocked_add(w, 230 * MS, 300 * MS, 7, 0, 4);
	/* a read(4) with a sample in it at 303, blocking at 322: back over
	 * the sample, to its half period but not past the last call's return
	 * (300) */
	smp_add(w, 303 * MS, 7, 0, 4);
	blocked_add(w, 322 * MS, 340 * MS, 7, 0, 4);
	/* samples in write(5) at 380, read(4) at 392, then read(4) blocking
	 * at 395: it began after the write's sample (and its half period) */
	smp_add(w, 380 * MS, 7, 1, 5);
	smp_add(w, 392 * MS, 7, 0, 4);
	blocked_add(w, 395 * MS, 400 * MS, 7, 0, 4);
	/* a sample in user space just before a block: the call stays as seen */
	smp_add(w, 500 * MS, 7, -1, 0);
	blocked_add(w, 505 * MS, 520 * MS, 7, 0, 4);
	qsort(w->events, w->nr_events, sizeof(*w->events), cmp_events_ts);

	assert_int_equal(fr_window__syscalls_from_samples(w, period), 0);
	/* the write's run of samples: one call, 90..130 ms */
	r = call_at(w, 7, 130 * MS, FR_SYS_SAMPLED);
	assert_non_null(r);
	assert_int_equal(r->aux, 1);
	assert_int_equal(fr_rec__sys_dur(r), 40 * MS);
	/* the fsync from before its samples in it (175), not before the user
	 * space sample's half period (170) */
	r = call_at(w, 7, 210 * MS, FR_SYS_START_EST);
	assert_non_null(r);
	assert_int_equal(fr_rec__sys_dur(r), 35 * MS);
	/* ...and its samples make no call of their own */
	assert_int_equal(count_flag(w, FR_SYS_SAMPLED), 2);
	assert_null(call_at(w, 7, 300 * MS, FR_SYS_START_EST));
	r = call_at(w, 7, 300 * MS, FR_SYS_FROM_BLOCK);
	assert_non_null(r);
	assert_int_equal(fr_rec__sys_dur(r), 70 * MS);
	r = call_at(w, 7, 340 * MS, FR_SYS_START_EST);
	assert_non_null(r);
	assert_int_equal(fr_rec__sys_dur(r), 40 * MS);
	r = call_at(w, 7, 400 * MS, FR_SYS_START_EST);
	assert_non_null(r);
	assert_int_equal(fr_rec__sys_dur(r), 10 * MS);
	assert_null(call_at(w, 7, 520 * MS, FR_SYS_START_EST));
	r = call_at(w, 7, 520 * MS, FR_SYS_FROM_BLOCK);
	assert_non_null(r);
	assert_int_equal(fr_rec__sys_dur(r), 15 * MS);
	/* done once: a window read back from a snapshot is left as it is */
	{
		size_t n = w->nr_events;

		assert_int_equal(fr_window__syscalls_from_samples(w, period), 0);
		assert_int_equal(w->nr_events, n);
		assert_int_equal(fr_rec__sys_dur(call_at(w, 7, 210 * MS, FR_SYS_START_EST)), 35 * MS);
	}
	fr_window__free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_merge_and_filter),
		cmocka_unit_test(test_time_overlap),
		cmocka_unit_test(test_overwrite),
		cmocka_unit_test(test_nested_writer),
		cmocka_unit_test(test_stacks),
		cmocka_unit_test(test_kernel_stack_scan),
		cmocka_unit_test(test_writer_laps_reader),
		cmocka_unit_test(test_syscalls_from_samples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
