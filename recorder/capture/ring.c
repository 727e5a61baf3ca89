// SPDX-License-Identifier: MIT
/*
 * ring.c - window reads from the per-CPU overwrite rings (see fr_ring.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "fr_ksyms.h"
#include "fr_ring.h"
#include "fr_unwind.h"

/* Stamps within one CPU can be out of order by a nested program's few ns. */
#define RING_TS_SLACK_NS 1000000ull

static uint64_t load_head(const __u64 *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* Sequence-lock read of one slot of `size` bytes whose first word is seq. */
static bool read_locked(const void *slot, size_t size, uint64_t pos, void *out)
{
	const uint32_t *seqp = slot;
	uint32_t want = FR_SEQ(pos);

	if (__atomic_load_n(seqp, __ATOMIC_ACQUIRE) != want)
		return false;
	memcpy(out, slot, size);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(seqp, __ATOMIC_RELAXED) == want;
}

int fr_ring__read_slot(const struct fr_ring_view *v, uint32_t cpu, uint64_t pos,
		       struct fr_rec *out)
{
	const struct fr_rec *slot = &v->recs[(size_t)cpu * v->slots + pos % v->slots];

	return read_locked(slot, sizeof(*slot), pos, out);
}

static const struct fr_stack_slot *stack_slot(const struct fr_ring_view *v, uint32_t cpu,
					      uint64_t pos)
{
	return &v->stacks[(size_t)cpu * v->stack_slots + pos % v->stack_slots];
}

static bool read_stack(const struct fr_ring_view *v, uint32_t cpu, uint64_t pos,
		       struct fr_stack_slot *out)
{
	return read_locked(stack_slot(v, cpu, pos), sizeof(*out), pos, out);
}

uint64_t fr_ring__cpu_oldest(const struct fr_ring_view *v, uint32_t cpu)
{
	uint64_t head = load_head(&v->cpus[cpu].head);
	struct fr_rec r;

	if (head <= v->slots)
		return v->start_ts;
	/* The oldest slots are the next to be overwritten: try a few. */
	for (uint64_t pos = head - v->slots; pos < head; pos++) {
		if (fr_ring__read_slot(v, cpu, pos, &r))
			return r.ts;
		if (pos - (head - v->slots) > 64)
			break;
	}
	return 0;
}

double fr_ring__cpu_coverage_s(const struct fr_ring_view *v, uint32_t cpu, uint64_t now)
{
	uint64_t oldest = fr_ring__cpu_oldest(v, cpu);

	return oldest && oldest <= now ? (double)(now - oldest) / 1e9 : 0;
}

bool fr_wake_by_task(const struct fr_rec *r)
{
	if (!r->wk.waker_tid)
		return false;
	if (r->flags & (FR_WK_HARDIRQ | FR_WK_TIMER))
		return false;
	if (r->flags & FR_WK_SOFTIRQ)
		return (r->wk.ctx == FR_SOFTIRQ_NET_RX || r->wk.ctx == FR_SOFTIRQ_NET_TX) &&
		       r->wk.waker_sys != FR_NO_SYSCALL;
	return true;
}

int fr_window__keeps(const struct fr_window_req *req, uint32_t pid)
{
	if (!req->pid || pid == req->pid)
		return 1;
	for (uint32_t i = 0; i < req->nr_also && i < FR_WINDOW_MAX_ALSO; i++)
		if (req->also[i] == pid)
			return 1;
	return 0;
}

static bool rec_matches(const struct fr_rec *r, const struct fr_window_req *req)
{
	uint64_t begin = r->ts;

	if (r->type == FR_REC_SYSCALL) {
		uint64_t dur = r->sys.dur;

		if (r->flags & FR_SYS_DUR_US)
			dur *= 1000;
		begin = dur < r->ts ? r->ts - dur : 0;
	} else if (r->type == FR_REC_STALL) {
		begin = r->stl.dur < r->ts ? r->ts - r->stl.dur : 0;
	} else if (r->type == FR_REC_SYSSUM) {
		begin = (uint32_t)r->sys.ret < r->ts ? r->ts - (uint32_t)r->sys.ret : 0;
	}
	if (r->ts < req->t0 || begin > req->t1)
		return false;
	if (fr_window__keeps(req, r->pid))
		return true;
	if (r->type == FR_REC_SWITCH && fr_window__keeps(req, r->sw.next_pid))
		return true;
	if (r->type == FR_REC_WAKEUP && fr_window__keeps(req, r->wk.waker_pid))
		return true;
	/* exits of any followed process, and the tasks that preempted followed
	 * ones: the names of short-lived neighbours; everyone's block
	 * requests: who else used the disk; and every TCP retransmission (the
	 * connections are matched to the window's named fds) */
	return r->type == FR_REC_EXIT || r->type == FR_REC_COMM || r->type == FR_REC_BIO ||
	       r->type == FR_REC_RETRANS;
}

/* Growable arrays for one read. */
struct window_build {
	struct fr_event *ev;
	size_t nr, cap;
	struct fr_stack *st;
	size_t nr_st, cap_st;
	struct fr_stack_raw *raw; /* one per st */
	size_t cap_raw;
	struct fr_stack_slot *sl; /* the stack slots of the window's blocks */
	size_t nr_sl, cap_sl;
	struct fr_fdname *nm;
	size_t nr_nm, cap_nm;
};

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *np;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 256;
	while (ncap < need)
		ncap *= 2;
	np = realloc(*p, ncap * elem);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = ncap;
	return 0;
}

static bool read_name(const struct fr_ring_view *v, uint32_t cpu, uint64_t pos,
		      struct fr_fdname *out)
{
	const struct fr_fdname *slot =
		&v->names[(size_t)cpu * v->name_slots + pos % v->name_slots];

	return read_locked(slot, sizeof(*slot), pos, out);
}

/*
 * The name record of a named syscall record: written just before it on the
 * same CPU, so among the last names at or before its time (a binary search
 * by time, then a short scan for its tid and ts).
 */
static int attach_name(const struct fr_ring_view *v, uint32_t cpu, struct fr_event *e,
		       struct window_build *b)
{
	uint64_t head = load_head(&v->cpus[cpu].name_head);
	uint64_t lo = head > v->name_slots ? head - v->name_slots : 0, l = lo, r = head;
	struct fr_fdname n;
	int err;

	e->name = -1;
	e->nr_names = 0;
	if (!v->names || !v->name_slots)
		return 0;
	while (l < r) { /* first position with ts >= e's - slack */
		uint64_t mid = l + (r - l) / 2;

		if (!read_name(v, cpu, mid, &n))
			l = mid + 1; /* overwritten (old half) or torn: look later */
		else if (n.ts + RING_TS_SLACK_NS < e->rec.ts)
			l = mid + 1;
		else
			r = mid;
	}
	for (uint64_t pos = l; pos < head && pos < l + 64 && e->nr_names < FR_READY_MAX; pos++) {
		if (!read_name(v, cpu, pos, &n) || n.tid != e->rec.tid || n.ts != e->rec.ts)
			continue;
		err = grow((void **)&b->nm, &b->cap_nm, b->nr_nm + 1, sizeof(*b->nm));
		if (err)
			return err;
		b->nm[b->nr_nm] = n;
		if (!e->nr_names)
			e->name = (int32_t)b->nr_nm;
		b->nr_nm++;
		e->nr_names++;
	}
	return 0;
}

/* First position in [lo, hi) whose record is at or after t (binary search). */
static uint64_t find_start(const struct fr_ring_view *v, uint32_t cpu, uint64_t lo, uint64_t hi,
			   uint64_t t)
{
	uint64_t l = lo, r = hi;
	struct fr_rec rec;

	while (l < r) {
		uint64_t mid = l + (r - l) / 2;

		if (!fr_ring__read_slot(v, cpu, mid, &rec)) {
			/* Unreadable: in the old half it is being overwritten,
			 * in the new half it is still being written. */
			if (mid - lo < (hi - lo) / 2)
				l = mid + 1;
			else
				r = mid;
		} else if (rec.ts + RING_TS_SLACK_NS < t) {
			l = mid + 1;
		} else {
			r = mid;
		}
	}
	return l;
}

static int read_cpu(const struct fr_ring_view *v, uint32_t cpu, const struct fr_window_req *req,
		    struct window_build *b, struct fr_window *w)
{
	uint64_t head = load_head(&v->cpus[cpu].head);
	uint64_t lo = head > v->slots ? head - v->slots : 0;
	uint64_t start = find_start(v, cpu, lo, head, req->t0);
	uint64_t complete = 0, end;
	bool after_gap = false;
	struct fr_rec rec;
	int err;

	if (start > lo && fr_ring__read_slot(v, cpu, start - 1, &rec))
		complete = rec.ts; /* the ring reaches back before the window */
	else if (lo == 0)
		complete = v->start_ts;
	else
		after_gap = true; /* the window begins before the oldest record */

	end = load_head(&v->cpus[cpu].head);
	for (uint64_t pos = start; pos < end; pos++) {
		if (!fr_ring__read_slot(v, cpu, pos, &rec)) {
			uint64_t now_head = load_head(&v->cpus[cpu].head);

			w->dropped++;
			/* Lost to an overwrite (not merely in flight at the head). */
			if (now_head > v->slots && pos < now_head - v->slots)
				after_gap = true;
			continue;
		}
		if (after_gap) {
			complete = rec.ts;
			after_gap = false;
		}
		if (!rec_matches(&rec, req))
			continue;
		err = grow((void **)&b->ev, &b->cap, b->nr + 1, sizeof(*b->ev));
		if (err)
			return err;
		b->ev[b->nr].rec = rec;
		b->ev[b->nr].cpu = cpu;
		b->ev[b->nr].stack = -1;
		b->ev[b->nr].name = -1;
		b->ev[b->nr].nr_names = 0;
		if (rec.type == FR_REC_SWITCH)
			b->ev[b->nr].rec.flags &= (uint8_t)~FR_SW_STACK; /* set when one is found */
		else if (rec.type == FR_REC_SAMPLE)
			b->ev[b->nr].rec.flags &= (uint8_t)~FR_SMP_STACK;
		if ((rec.type == FR_REC_SYSCALL && (rec.flags & FR_SYS_NAMED)) ||
		    (rec.type == FR_REC_FAULT && (rec.flags & FR_FLT_NAMED)) ||
		    (rec.type == FR_REC_SAMPLE && (rec.flags & FR_SMP_NAMED)))
			err = attach_name(v, cpu, &b->ev[b->nr], b);
		if (err)
			return err;
		b->nr++;
	}
	if (after_gap) /* everything after the gap was lost too */
		complete = req->t1;
	w->cpu_complete_from[cpu] = complete;
	return 0;
}

/* Merge the per-CPU runs [runs[i], runs[i+1]) of src into dst by time. */
static void merge_runs(const struct fr_event *src, struct fr_event *dst, const size_t *runs,
		       uint32_t nr_runs)
{
	size_t cur[FR_MAX_CPUS], out = 0, total = runs[nr_runs];

	for (uint32_t i = 0; i < nr_runs; i++)
		cur[i] = runs[i];
	while (out < total) {
		int best = -1;

		for (uint32_t i = 0; i < nr_runs; i++) {
			if (cur[i] == runs[i + 1])
				continue;
			if (best < 0 || src[cur[i]].rec.ts < src[cur[best]].rec.ts)
				best = (int)i;
		}
		dst[out++] = src[cur[best]++];
	}
	/* Runs are nearly sorted (nesting): fix the few inversions left. */
	for (size_t i = 1; i < total; i++) {
		struct fr_event e = dst[i];
		size_t j = i;

		while (j > 0 && dst[j - 1].rec.ts > e.rec.ts) {
			dst[j] = dst[j - 1];
			j--;
		}
		dst[j] = e;
	}
}

/* Most stack slots looked at per CPU for one window. */
#define STACK_SCAN_MAX 16384

/*
 * The stack slots of CPU cpu for blocks that began in [t0, t1]: written at
 * or after their block's start, in write order, so from the first written
 * at t0 on (a binary search), up to the head. The header is peeked at
 * first, and only the slots that may belong are copied (and checked).
 */
static int read_cpu_stacks(const struct fr_ring_view *v, uint32_t cpu,
			   const struct fr_window_req *req, struct window_build *b)
{
	uint64_t head = load_head(&v->cpus[cpu].stack_head);
	uint64_t lo = head > v->stack_slots ? head - v->stack_slots : 0, l = lo, r = head;
	int err;

	while (l < r) {
		uint64_t mid = l + (r - l) / 2;
		uint64_t wts = __atomic_load_n(&stack_slot(v, cpu, mid)->wts, __ATOMIC_RELAXED);

		if (wts < req->t0)
			l = mid + 1;
		else
			r = mid;
	}
	if (head - l > STACK_SCAN_MAX)
		head = l + STACK_SCAN_MAX;
	for (uint64_t pos = l; pos < head; pos++) {
		const struct fr_stack_slot *slot = stack_slot(v, cpu, pos);
		uint64_t ts = __atomic_load_n(&slot->ts, __ATOMIC_RELAXED);

		if (ts < req->t0 || ts > req->t1)
			continue;
		err = grow((void **)&b->sl, &b->cap_sl, b->nr_sl + 1, sizeof(*b->sl));
		if (err)
			return err;
		if (read_stack(v, cpu, pos, &b->sl[b->nr_sl]) && b->sl[b->nr_sl].ts >= req->t0 &&
		    b->sl[b->nr_sl].ts <= req->t1)
			b->nr_sl++;
	}
	return 0;
}

static int cmp_slot(const void *a, const void *b)
{
	const struct fr_stack_slot *x = a, *y = b;

	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

/*
 * The raw user stack among the slots of one block (sl[0..n), the run of
 * one (tid, ts) first): the registers from the first chunk, the bytes of
 * every chunk at its place, kept up to the first gap (a chunk overwritten
 * or not taken). 0 or -ENOMEM.
 */
static int gather_user_copy(const struct fr_stack_slot *sl, size_t n, struct fr_stack_raw *raw)
{
	size_t len = 0, chunks = 0;

	for (size_t i = 0; i < n && !cmp_slot(&sl[i], &sl[0]); i++) {
		if (sl[i].kind != FR_STK_USER_RAW || sl[i].n > FR_STACK_RAW_BYTES)
			continue;
		if (sl[i].off == 0 && sl[i].n >= sizeof(raw->uregs)) {
			memcpy(&raw->uregs, sl[i].raw, sizeof(raw->uregs));
			raw->has_uregs = true;
		}
		chunks++;
	}
	if (!raw->has_uregs)
		return 0;
	/* the bytes up to the first gap; chunks come in any order */
	for (bool grew = true; grew;) {
		grew = false;
		for (size_t i = 0; i < n && !cmp_slot(&sl[i], &sl[0]); i++) {
			size_t at = sl[i].off ? 0 : sizeof(raw->uregs);

			if (sl[i].kind != FR_STK_USER_RAW || sl[i].off != len ||
			    sl[i].n <= at || sl[i].n > FR_STACK_RAW_BYTES ||
			    len + (sl[i].n - at) > FR_USER_STACK_MAX || (len && !sl[i].off))
				continue;
			if (!raw->ustack) {
				raw->ustack = malloc(FR_STACK_RAW_BYTES * chunks);
				if (!raw->ustack)
					return -ENOMEM;
			}
			memcpy(raw->ustack + len, sl[i].raw + at, sl[i].n - at);
			len += sl[i].n - at;
			grew = true;
		}
	}
	raw->un = (uint32_t)len;
	return 0;
}

/*
 * Gives each blocked switch-out of the window the stack slots of its block
 * (matched by tid and start), and each sample its own (tid and time): a
 * window stack with the user frames and the kernel stack's raw words
 * (fr_window__scan_kernel_stacks makes frames of them) or, for a sample,
 * the kernel's own frames.
 */
static int attach_stacks(struct window_build *b, struct fr_window *w)
{
	if (!b->nr_sl)
		return 0;
	qsort(b->sl, b->nr_sl, sizeof(*b->sl), cmp_slot);
	for (size_t i = 0; i < w->nr_events; i++) {
		struct fr_event *e = &w->events[i];
		struct fr_stack_slot key = { .tid = e->rec.tid, .ts = e->rec.ts };
		const struct fr_stack_slot *m;
		struct fr_stack *st;
		struct fr_stack_raw *raw;
		size_t k;
		int err;

		if (e->rec.type == FR_REC_SWITCH ? (e->rec.flags & FR_SW_PREEMPT)
						 : e->rec.type != FR_REC_SAMPLE)
			continue;
		m = bsearch(&key, b->sl, b->nr_sl, sizeof(*b->sl), cmp_slot);
		if (!m)
			continue;
		k = (size_t)(m - b->sl);
		while (k > 0 && !cmp_slot(&b->sl[k - 1], &key))
			k--;
		err = grow((void **)&b->st, &b->cap_st, b->nr_st + 1, sizeof(*b->st));
		if (!err)
			err = grow((void **)&b->raw, &b->cap_raw, b->nr_st + 1, sizeof(*b->raw));
		if (err)
			return err;
		st = &b->st[b->nr_st];
		raw = &b->raw[b->nr_st];
		memset(st, 0, sizeof(*st));
		memset(raw, 0, offsetof(struct fr_stack_raw, raw));
		memset(&raw->has_uregs, 0, sizeof(*raw) - offsetof(struct fr_stack_raw, has_uregs));
		st->tid = key.tid;
		st->ts = key.ts;
		raw->pid = e->rec.pid;
		for (size_t j = k; j < b->nr_sl && !cmp_slot(&b->sl[j], &key); j++) {
			const struct fr_stack_slot *sl = &b->sl[j];

			if (sl->kind == FR_STK_USER) {
				st->nr_user = sl->n < FR_STACK_USER_MAX ? sl->n : FR_STACK_USER_MAX;
				memcpy(&st->ips[FR_STACK_KERN_MAX], sl->ips, st->nr_user * sizeof(__u64));
			} else if (sl->kind == FR_STK_KERNEL_RAW) {
				raw->n = sl->n < FR_STACK_RAW_BYTES ? sl->n : FR_STACK_RAW_BYTES;
				memcpy(raw->raw, sl->raw, raw->n);
			} else if (sl->kind == FR_STK_KERNEL) {
				st->nr_kern = sl->n < FR_STACK_KERN_MAX ? sl->n : FR_STACK_KERN_MAX;
				memcpy(st->ips, sl->ips, st->nr_kern * sizeof(__u64));
			}
		}
		err = gather_user_copy(b->sl + k, b->nr_sl - k, raw);
		if (err)
			return err;
		e->stack = (int32_t)b->nr_st++;
		e->rec.flags |= e->rec.type == FR_REC_SAMPLE ? FR_SMP_STACK : FR_SW_STACK;
	}
	return 0;
}

static void free_raws(struct fr_stack_raw *raws, size_t n)
{
	for (size_t i = 0; raws && i < n; i++)
		free(raws[i].ustack);
	free(raws);
}

void fr_window__unwind_user_stacks(struct fr_window *w, struct fr_unwinder *uw)
{
	for (size_t i = 0; i < w->nr_stacks && w->raws; i++) {
		struct fr_stack_raw *raw = &w->raws[i];
		struct fr_stack *st = &w->stacks[i];
		int n;

		if (!raw->has_uregs)
			continue;
		n = fr_unwinder__unwind(uw, (pid_t)raw->pid, (pid_t)st->tid, &raw->uregs,
					raw->ustack, raw->un, (uint64_t *)&st->ips[FR_STACK_KERN_MAX],
					FR_STACK_USER_MAX);
		st->nr_user = n > 0 ? (uint16_t)n : 0;
		free(raw->ustack);
		raw->ustack = NULL;
		raw->un = 0;
		raw->has_uregs = false;
	}
}

bool fr_stack_raw__is_return(const struct fr_ksyms *ks, uint64_t addr)
{
	uint64_t off = 0;

	/* a return address points into a function, not at its start (a
	 * function pointer kept on the stack does), and not far into it */
	return fr_ksyms__lookup(ks, addr, &off) && off > 0 && off < 0x10000;
}

/* The tracing machinery's own frames: our programs and what they call. */
static bool is_tracing_frame(const char *name)
{
	static const char *const prefixes[] = {
		"bpf_", "__bpf", "__traceiter_", "__raw_callee_save_", "ktime_get",
		"trace_call_bpf", "perf_trace", "__x86_indirect_thunk", "__x86_return_thunk",
		"kvm_clock_", "pvclock_",
	};

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

static bool is_syscall_frame(const char *name)
{
	return !strncmp(name, "__x64_sys_", 10) || !strncmp(name, "__ia32_sys_", 11) ||
	       !strncmp(name, "__do_sys_", 9) || !strncmp(name, "__se_sys_", 9);
}

/*
 * A scanned stack keeps every word that looks like a return address, and
 * a sleeping task's stack holds words left over from what ran there
 * before: our programs at the sched_switch and syscall tracepoints among
 * them. Cut it at the traced event, as perf does (from __schedule on, or
 * past the tracing machinery's frames at its top); drop the machinery's
 * frames anywhere; and above the syscall's own function keep only the
 * syscall entry (do_syscall_64, entry_SYSCALL_64*), which is all that
 * calls it. Consecutive repeats of one function are one frame.
 */
static void clean_scanned(struct fr_stack *st, const struct fr_ksyms *ks)
{
	size_t from = 0, n = 0;
	const char *prev = NULL;
	bool above_syscall = false;

	for (size_t k = 0; k < st->nr_kern; k++) {
		const char *name = fr_ksyms__lookup(ks, st->ips[k], NULL);

		if (name && !strcmp(name, "__schedule")) {
			from = k;
			break;
		}
		if (k == from && name && is_tracing_frame(name))
			from = k + 1;
	}
	if (from >= st->nr_kern)
		from = 0; /* nothing else: keep what there is */
	for (size_t k = from; k < st->nr_kern; k++) {
		const char *name = fr_ksyms__lookup(ks, st->ips[k], NULL);

		if (!name || is_tracing_frame(name) || (prev && !strcmp(prev, name)))
			continue;
		if (above_syscall && strcmp(name, "do_syscall_64") &&
		    strncmp(name, "entry_SYSCALL", 13))
			continue;
		if (is_syscall_frame(name))
			above_syscall = true;
		st->ips[n++] = st->ips[k];
		prev = name;
	}
	st->nr_kern = (uint16_t)n;
}

void fr_window__scan_kernel_stacks(struct fr_window *w, const struct fr_ksyms *ks)
{
	for (size_t i = 0; i < w->nr_stacks && w->raws; i++) {
		const struct fr_stack_raw *raw = &w->raws[i];
		struct fr_stack *st = &w->stacks[i];

		if (!raw->n)
			continue; /* none, or the kernel's own frames (a sample's) */
		st->nr_kern = 0;
		for (size_t off = 0; off + 8 <= raw->n && st->nr_kern < FR_STACK_KERN_MAX; off += 8) {
			const char *name;
			uint64_t word;

			memcpy(&word, raw->raw + off, sizeof(word));
			if (!ks || !fr_stack_raw__is_return(ks, word))
				continue;
			st->ips[st->nr_kern++] = word;
			/* the kernel's entry from user space: the stack's top */
			name = fr_ksyms__lookup(ks, word, NULL);
			if (!strncmp(name, "entry_SYSCALL", 13) || !strcmp(name, "ret_from_fork"))
				break;
		}
		if (ks)
			clean_scanned(st, ks);
	}
}

int fr_ring__read_window(const struct fr_ring_view *v, const struct fr_window_req *req,
			 struct fr_window **out)
{
	struct window_build b = { 0 };
	size_t runs[FR_MAX_CPUS + 1];
	struct fr_window *w;
	int err;

	*out = NULL;
	if (!v || !req || !v->recs || !v->cpus || !v->slots || !v->nr_cpus ||
	    v->nr_cpus > FR_MAX_CPUS || (v->stacks && !v->stack_slots) ||
	    (v->names && !v->name_slots) || req->t1 < req->t0 || req->nr_also > FR_WINDOW_MAX_ALSO)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->req = *req;
	w->nr_cpus = v->nr_cpus;
	w->cpu_complete_from = calloc(v->nr_cpus, sizeof(uint64_t));
	if (!w->cpu_complete_from) {
		err = -ENOMEM;
		goto fail;
	}
	for (uint32_t cpu = 0; cpu < v->nr_cpus; cpu++) {
		runs[cpu] = b.nr;
		err = read_cpu(v, cpu, req, &b, w);
		if (!err && v->stacks)
			err = read_cpu_stacks(v, cpu, req, &b);
		if (err)
			goto fail;
		if (w->cpu_complete_from[cpu] > w->complete_from)
			w->complete_from = w->cpu_complete_from[cpu];
	}
	runs[v->nr_cpus] = b.nr;
	if (b.nr) {
		w->events = malloc(b.nr * sizeof(*w->events));
		if (!w->events) {
			err = -ENOMEM;
			goto fail;
		}
		merge_runs(b.ev, w->events, runs, v->nr_cpus);
		w->nr_events = b.nr;
	}
	free(b.ev);
	b.ev = NULL;
	err = attach_stacks(&b, w);
	free(b.sl);
	b.sl = NULL;
	if (err)
		goto fail;
	w->stacks = b.st;
	w->nr_stacks = b.nr_st;
	w->raws = b.raw;
	w->names = b.nm;
	w->nr_names = b.nr_nm;
	*out = w;
	return 0;
fail:
	free(b.ev);
	free(b.st);
	free_raws(b.raw, b.nr_st);
	free(b.sl);
	free(b.nm);
	fr_window__free(w);
	return err;
}

void fr_window__free(struct fr_window *w)
{
	if (!w)
		return;
	free(w->events);
	free(w->stacks);
	free_raws(w->raws, w->nr_stacks);
	free(w->names);
	free(w->cpu_complete_from);
	free(w);
}

const struct fr_fdname *fr_window__name_at(const struct fr_window *w, const struct fr_rec *r,
					   size_t i)
{
	const struct fr_event *e = (const struct fr_event *)r; /* rec is the first member */
	size_t n;

	if (!w || !w->nr_events || e < w->events || e >= w->events + w->nr_events)
		return NULL;
	n = e->nr_names ? e->nr_names : 1; /* built by hand: one */
	if (e->name < 0 || i >= n || (size_t)e->name + i >= w->nr_names)
		return NULL;
	return &w->names[(size_t)e->name + i];
}

const struct fr_fdname *fr_window__name(const struct fr_window *w, const struct fr_rec *r)
{
	return fr_window__name_at(w, r, 0);
}

static void fmt_addr(char *buf, size_t len, int v6, const uint8_t *a, uint16_t port)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (v6 && !memcmp(a, mapped, sizeof(mapped))) {
		a += 12; /* an IPv4 address in IPv6 clothes */
		v6 = 0;
	}
	if (!v6) {
		snprintf(buf, len, "%u.%u.%u.%u:%u", a[0], a[1], a[2], a[3], port);
		return;
	}
	{
		char ip[INET6_ADDRSTRLEN] = "?";

		inet_ntop(AF_INET6, a, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, port);
	}
}

/* A FILE record's components (leaf first) as a path, root first. */
static void fmt_path(const struct fr_fdname *n, char *buf, size_t len)
{
	const char *part[FR_NAME_DATA / 2];
	size_t np = 0, off = 0, used = 0;

	while (np < n->nparts && np < sizeof(part) / sizeof(part[0]) && off < FR_NAME_DATA) {
		size_t l = strnlen(n->data + off, FR_NAME_DATA - off);

		part[np++] = n->data + off;
		off += l + 1;
	}
	buf[0] = '\0';
	if (n->truncated)
		used += (size_t)snprintf(buf, len, "...");
	for (size_t i = np; i-- > 0 && used < len;) {
		int k = snprintf(buf + used, len - used, "/%.*s", FR_NAME_PART,
				 part[i]);

		if (k < 0)
			break;
		used += (size_t)k;
	}
	if (!np && !n->truncated)
		snprintf(buf, len, "/");
}

char *fr_fdname__format(const struct fr_fdname *n, char *buf, size_t len)
{
	char a[64], b[64];
	const char *proto = n->proto == 6 ? "tcp" : n->proto == 17 ? "udp" : "ip";

	if (!len)
		return buf;
	switch (n->kind) {
	case FR_NAME_FILE:
		fmt_path(n, buf, len);
		break;
	case FR_NAME_INET:
	case FR_NAME_INET6:
		fmt_addr(a, sizeof(a), n->kind == FR_NAME_INET6, n->saddr, n->sport);
		if (n->dport) {
			fmt_addr(b, sizeof(b), n->kind == FR_NAME_INET6, n->daddr, n->dport);
			snprintf(buf, len, "%s %s \xe2\x86\x92 %s", proto, a, b);
		} else {
			snprintf(buf, len, "%s %s", proto, a);
		}
		break;
	case FR_NAME_UNIX:
		if (n->data[0])
			snprintf(buf, len, "unix %.108s", n->data);
		else if (n->data[1])
			snprintf(buf, len, "unix @%.107s", n->data + 1); /* abstract */
		else
			snprintf(buf, len, "unix socket:[%u]", n->ino);
		break;
	case FR_NAME_PIPE:
		snprintf(buf, len, "pipe:[%u]", n->ino);
		break;
	case FR_NAME_ANON:
		snprintf(buf, len, "anon_inode:%.*s", FR_NAME_PART, n->data);
		break;
	case FR_NAME_SOCK:
		snprintf(buf, len, "socket:[%u] (family %u)", n->ino, n->family);
		break;
	default:
		snprintf(buf, len, "?");
		break;
	}
	return buf;
}
