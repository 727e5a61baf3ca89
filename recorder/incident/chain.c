// SPDX-License-Identifier: MIT
/*
 * chain.c - the wake-up chain of a span's thread (fr_chain.h).
 *
 * For a thread and an interval: its states over the interval from its
 * switch and wake-up records; running and runnable stretches are kept as
 * they are, and a blocked stretch ended by a wake-up from a thread the
 * window holds is replaced by that thread's own chain over the stretch,
 * recursively. Each recursion explains a strictly earlier end (the wake-up
 * comes before the wakee runs again), and the depth is bounded, so the
 * walk ends; a waker already on the path (a cycle) is not entered again.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annotate_int.h"
#include "fr_chain.h"
#include "fr_syscalls.h"

/* The window's events of each task: (tid, event index), sorted. */
struct by_tid {
	uint32_t tid;
	uint32_t i;
};

struct walk {
	const struct fr_window *w;
	struct by_tid *ix;
	size_t nix;
	struct by_tid *sx; /* the syscall records of each task, by (tid, time) */
	size_t nsx;
	const struct fr_annotate_ctx *c;
	struct fr_chain *out;
	size_t cap;
	size_t max_segs; /* the walk's bound (FR_CHAIN_WALK_SEGS) */
	int max_depth;
	uint32_t path[FR_CHAIN_MAX_DEPTH + 1]; /* tids on the way down */
	size_t emitted; /* segments emitted or merged into others, ever */
	bool compact_stuck; /* compaction freed nothing: the chain stays full */
	struct {
		uint32_t tid;
		uint64_t from;
	} known[64]; /* known_from, remembered (direct-mapped by tid) */
	struct fr_rec needed[32]; /* wake-ups credited to the task a wait needed */
	size_t nneeded;
	bool oom;
};

/* Joins each segment shorter than thr to the segment before it when both
 * are of one task at one depth (the longer one keeps its description;
 * time is kept whole), from the start until budget segments are gone. */
static void join_short(struct fr_chain *o, uint64_t thr, size_t budget)
{
	size_t out = 0;

	for (size_t i = 0; i < o->n; i++) {
		struct fr_chain_seg *s = &o->seg[i], *last = out ? &o->seg[out - 1] : NULL;

		if (i - out < budget && last && last->tid == s->tid && last->depth == s->depth &&
		    last->end == s->start &&
		    !last->handoff && !s->handoff &&
		    (s->end - s->start < thr || last->end - last->start < thr)) {
			if (s->end - s->start > last->end - last->start) {
				uint64_t start = last->start;

				*last = *s;
				last->start = start;
			} else {
				last->end = s->end;
			}
			continue;
		}
		o->seg[out++] = *s;
	}
	o->n = out;
}

/*
 * Takes back each explanation of a wait shorter than thr, from the start
 * until budget segments are gone: the hand-off and the chain below it
 * become one blocked segment of the waiting task, which still says what
 * it waited in and who ended it. A hand-off whose chain runs to the end
 * of o may still be growing (the walk is in it): kept, and the closed ones
 * inside it looked at.
 */
static void unexplain_short(struct fr_chain *o, uint64_t thr, size_t budget)
{
	size_t out = 0, i = 0;

	while (i < o->n) {
		struct fr_chain_seg s = o->seg[i];
		size_t j = i + 1;

		if (s.handoff && i - out < budget) {
			while (j < o->n && o->seg[j].depth > s.depth)
				j++;
			if (j < o->n && j > i + 1 && o->seg[j - 1].end - s.start < thr) {
				s.end = o->seg[j - 1].end;
				s.handoff = 0;
				s.state = FR_SEG_BLOCKED;
				o->seg[out++] = s;
				i = j;
				continue;
			}
		}
		o->seg[out++] = s;
		i++;
	}
	o->n = out;
}

/*
 * Brings o down to target segments or fewer: segments shorter than a
 * threshold join their neighbours, then waits shorter than it lose their
 * explanation, each only as far as needed (so that a chain of many like
 * waits keeps its later ones whole); the threshold starts at a thousandth
 * of the span and doubles. The chain keeps covering the span; what the
 * long waits were waiting for stays.
 */
static void compact(struct fr_chain *o, uint64_t span, size_t target)
{
	uint64_t thr = span / 1000 ? span / 1000 : 1;

	while (o->n > target && thr <= 2 * span) {
		join_short(o, thr, o->n - target);
		if (o->n > target)
			unexplain_short(o, thr, o->n - target);
		if (o->n > target)
			join_short(o, thr, o->n - target);
		thr *= 2;
	}
}

void fr_chain__bound(struct fr_chain *ch, uint64_t span_ns, size_t max)
{
	struct fr_chain_seg *p;

	compact(ch, span_ns, max);
	/* a walk's room (FR_CHAIN_WALK_SEGS) given back */
	if (ch->n && (p = realloc(ch->seg, ch->n * sizeof(*p))))
		ch->seg = p;
}

static struct fr_chain_seg *emit(struct walk *k)
{
	struct fr_chain *o = k->out;

	if (o->n == k->max_segs && !k->compact_stuck) {
		compact(o, k->c->span_end - k->c->span_start, k->max_segs / 2);
		/* nothing more to join: do not try again at every segment */
		k->compact_stuck = o->n == k->max_segs;
	}
	if (o->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 16;
		struct fr_chain_seg *p;

		if (cap > k->max_segs)
			cap = k->max_segs;
		if (o->n == cap)
			return NULL; /* bounded: the rest merges into the last */
		p = realloc(o->seg, cap * sizeof(*p));
		if (!p) {
			k->oom = true;
			return NULL;
		}
		o->seg = p;
		k->cap = cap;
	}
	memset(&o->seg[o->n], 0, sizeof(o->seg[0]));
	k->emitted++;
	return &o->seg[o->n++];
}

static int cmp_by_tid(const void *a, const void *b)
{
	const struct by_tid *x = a, *y = b;

	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/*
 * Sorts a by tid, keeping the order of i within a tid: entries are made in
 * the order of i, so a stable sort on the tid alone does; a radix sort,
 * one pass per byte of the tid that differs between entries (a window has
 * few threads and up to millions of events; qsort was its most costly
 * step). 0 or -ENOMEM.
 */
static int sort_by_tid(struct by_tid *a, size_t n)
{
	uint32_t all_or = 0, all_and = ~0u;
	struct by_tid *tmp;

	if (n < 256) {
		qsort(a, n, sizeof(*a), cmp_by_tid);
		return 0;
	}
	tmp = malloc(n * sizeof(*a));
	if (!tmp)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		all_or |= a[i].tid;
		all_and &= a[i].tid;
	}
	for (unsigned shift = 0; shift < 32; shift += 8) {
		size_t count[257] = { 0 };

		if (!(((all_or ^ all_and) >> shift) & 0xff))
			continue; /* this byte is the same in every tid */
		for (size_t i = 0; i < n; i++)
			count[((a[i].tid >> shift) & 0xff) + 1]++;
		for (size_t b = 1; b < 257; b++)
			count[b] += count[b - 1];
		for (size_t i = 0; i < n; i++)
			tmp[count[(a[i].tid >> shift) & 0xff]++] = a[i];
		memcpy(a, tmp, n * sizeof(*a));
	}
	free(tmp);
	return 0;
}

/* Every event names the tasks it is about: switches two, the rest one
 * (syscalls, switches, wake-ups, exits); syscall records are also in an
 * index of their own. */
static int build_index(struct walk *k)
{
	const struct fr_window *w = k->w;

	k->ix = malloc((2 * w->nr_events + 1) * sizeof(*k->ix));
	k->sx = malloc((w->nr_events + 1) * sizeof(*k->sx));
	if (!k->ix || !k->sx)
		return -ENOMEM;
	for (size_t i = 0; i < w->nr_events; i++) {
		const struct fr_rec *r = &w->events[i].rec;

		if (r->type != FR_REC_SYSCALL && r->type != FR_REC_SWITCH && r->type != FR_REC_WAKEUP &&
		    r->type != FR_REC_EXIT)
			continue;
		k->ix[k->nix++] = (struct by_tid){ r->tid, (uint32_t)i };
		if (r->type == FR_REC_SWITCH && r->sw.next_tid != r->tid)
			k->ix[k->nix++] = (struct by_tid){ r->sw.next_tid, (uint32_t)i };
		if (r->type == FR_REC_SYSCALL && !(r->flags & FR_SYS_NO_ENTRY))
			k->sx[k->nsx++] = (struct by_tid){ r->tid, (uint32_t)i };
	}
	return sort_by_tid(k->ix, k->nix) || sort_by_tid(k->sx, k->nsx) ? -ENOMEM : 0;
}

/* [*lo, *hi) of index ix (n entries) holding tid: two binary searches. */
static void range_of(const struct by_tid *ix, size_t n, uint32_t tid, size_t *lo, size_t *hi)
{
	size_t l = 0, h = n;

	while (l < h) {
		size_t m = l + (h - l) / 2;

		if (ix[m].tid < tid)
			l = m + 1;
		else
			h = m;
	}
	*lo = l;
	h = n;
	while (l < h) {
		size_t m = l + (h - l) / 2;

		if (ix[m].tid <= tid)
			l = m + 1;
		else
			h = m;
	}
	*hi = l;
}

/* [*lo, *hi) of the index: the events of tid, in time order. */
static void events_of(const struct walk *k, uint32_t tid, size_t *lo, size_t *hi)
{
	range_of(k->ix, k->nix, tid, lo, hi);
}

/* The first of tid's syscall records (k->sx positions [lo, hi)) that
 * ended after t. */
static size_t first_sys_after(const struct walk *k, size_t lo, size_t hi, uint64_t t)
{
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->w->events[k->sx[mid].i].rec.ts <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The syscall record of tid that spans time t, or NULL. */
/* The first position in [lo, hi) of the index whose event is at or after
 * t (the index holds a task's events in time order). */
static size_t first_from(const struct walk *k, size_t lo, size_t hi, uint64_t t)
{
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->w->events[k->ix[mid].i].rec.ts < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const struct fr_rec *syscall_at(const struct walk *k, uint32_t tid, uint64_t t)
{
	size_t lo, hi, j;
	const struct fr_rec *r;

	range_of(k->sx, k->nsx, tid, &lo, &hi);
	/* a thread's syscalls do not overlap: the first to end after t is the
	 * only one that can span it */
	j = first_sys_after(k, lo, hi, t);
	if (j == hi)
		return NULL;
	r = &k->w->events[k->sx[j].i].rec;
	return fr_an_sys_begin(r) <= t ? r : NULL;
}

/* What s's task was doing (sys: the syscall it was in, if known; out: its
 * switch-out event, if any). */
static void describe(struct walk *k, struct fr_chain_seg *s, const struct fr_event *out,
		     const struct fr_rec *r)
{
	char sys[150];

	s->nr = r ? r->aux : UINT32_MAX;
	if (r)
		fr_an_describe_syscall(k->c, k->w, r, sys, sizeof(sys));
	s->lock = s->state == FR_SEG_BLOCKED && r && fr_an_is_lock_wait(r);
	switch (s->state) {
	case FR_SEG_RUNNING:
		if (r)
			snprintf(s->what, sizeof(s->what), "on CPU in %s", sys);
		else
			snprintf(s->what, sizeof(s->what), "on CPU");
		break;
	case FR_SEG_RUNNABLE:
		/* switched out runnable with its CPU going idle: only a CPU
		 * limit does that (causes/cpu_limit.c) */
		if (out && (out->rec.flags & FR_SW_PREEMPT) && !out->rec.sw.next_tid)
			snprintf(s->what, sizeof(s->what), "throttled by its CPU limit");
		else
			snprintf(s->what, sizeof(s->what), "waiting for CPU");
		break;
	default:
		if (out && fr_an_fault_at(k->c, k->w, out, s->what, sizeof(s->what)))
			; /* a page fault's I/O */
		else if (r) {
			snprintf(s->what, sizeof(s->what), "%s", sys);
			fr_hot__note_collector(k->w, k->c, out, s->what, sizeof(s->what));
		} else if (!out || !fr_an_syscall_from_stack(k->c, k->w, out, s->what, sizeof(s->what)))
			snprintf(s->what, sizeof(s->what), "%s",
				 out && (out->rec.aux & 0x2) ? "uninterruptible wait"
							      : "blocked outside a recorded syscall");
		break;
	}
}

static uint8_t irq_kind(const struct fr_rec *wake);

/* One segment [t0, t1) of tid; sys: the syscall it is inside, or NULL. */
static void segment(struct walk *k, uint32_t pid, uint32_t tid, int depth, enum fr_seg_state st,
		    uint64_t t0, uint64_t t1, const struct fr_event *out, const struct fr_rec *wake,
		    const struct fr_rec *sys)
{
	struct fr_chain_seg n = { 0 }, *s;

	if (t1 <= t0)
		return;
	n.pid = pid;
	n.tid = tid;
	n.state = (uint8_t)st;
	n.depth = (uint8_t)depth;
	n.start = t0;
	n.end = t1;
	if (st == FR_SEG_BLOCKED && wake) {
		n.irq = fr_wake_by_task(wake) ? 0 : irq_kind(wake);
		n.irq_detail = (uint8_t)wake->wk.ctx;
		if (!n.irq) {
			n.waker_pid = wake->wk.waker_pid;
			n.waker_tid = wake->wk.waker_tid;
		}
	}
	describe(k, &n, out, sys);
	/* the same doing as the segment before, right after it: one segment */
	if (k->out->n) {
		struct fr_chain_seg *last = &k->out->seg[k->out->n - 1];

		if (last->tid == tid && last->state == n.state && last->depth == n.depth &&
		    last->end == t0 && n.state != FR_SEG_BLOCKED && !strcmp(last->what, n.what)) {
			last->end = t1;
			k->emitted++;
			return;
		}
	}
	s = emit(k);
	if (!s) {
		if (k->out->n)
			k->out->seg[k->out->n - 1].end = t1; /* bounded: extend the last */
		k->emitted++;
		return;
	}
	*s = n;
}

/* A running stretch, split where tid entered and left its syscalls: time on
 * CPU inside a syscall belongs to it (a call shorter than
 * FR_CHAIN_MIN_SYS_NS stays part of the running around it). */
#define FR_CHAIN_MIN_SYS_NS 50000ull
static void running(struct walk *k, uint32_t pid, uint32_t tid, int depth, uint64_t t0,
		    uint64_t t1)
{
	uint64_t cursor = t0;
	size_t lo, hi;

	range_of(k->sx, k->nsx, tid, &lo, &hi);
	for (size_t j = first_sys_after(k, lo, hi, t0); j < hi && cursor < t1; j++) {
		const struct fr_rec *r = &k->w->events[k->sx[j].i].rec;
		uint64_t b, e;

		b = fr_an_sys_begin(r);
		e = r->ts;
		if (b >= t1)
			break; /* this and every later call began after the stretch */
		if (e <= cursor)
			continue;
		if ((e < t1 ? e : t1) - (b > cursor ? b : cursor) < FR_CHAIN_MIN_SYS_NS)
			continue; /* a short call stays part of the running around it */
		if (b > cursor) {
			segment(k, pid, tid, depth, FR_SEG_RUNNING, cursor, b, NULL, NULL, NULL);
			cursor = b;
		}
		segment(k, pid, tid, depth, FR_SEG_RUNNING, cursor, e < t1 ? e : t1, NULL, NULL, r);
		cursor = e < t1 ? e : t1;
	}
	segment(k, pid, tid, depth, FR_SEG_RUNNING, cursor, t1, NULL, NULL, NULL);
}

/* Which interrupt ended a wait (FR_CHAIN_IRQ_*). */
static uint8_t irq_kind(const struct fr_rec *wake)
{
	if (wake->flags & FR_WK_TIMER)
		return FR_CHAIN_IRQ_TIMER;
	if (wake->flags & FR_WK_SOFTIRQ) {
		switch (wake->wk.ctx) {
		case FR_SOFTIRQ_NET_RX:
		case FR_SOFTIRQ_NET_TX:
			return FR_CHAIN_IRQ_NET;
		case FR_SOFTIRQ_BLOCK:
			return FR_CHAIN_IRQ_BLOCK;
		case FR_SOFTIRQ_TIMER:
		case FR_SOFTIRQ_HRTIMER:
			return FR_CHAIN_IRQ_TIMER;
		default:
			return FR_CHAIN_IRQ_OTHER;
		}
	}
	if (wake->flags & FR_WK_HARDIRQ)
		return FR_CHAIN_IRQ_DEVICE;
	return FR_CHAIN_IRQ_OTHER; /* on an idle CPU */
}

/*
 * From when the window's records tell what task tid was doing (UINT64_MAX:
 * never). A process followed only since it woke or was woken by a followed
 * one (a link) has records from then on; before, nothing is known of it.
 */
static uint64_t known_from(struct walk *k, uint32_t pid, uint32_t tid)
{
	uint64_t from = UINT64_MAX;
	bool followed = pid == k->c->pid; /* the span's process is */
	size_t lo, hi, slot = tid % 64;

	if (k->known[slot].tid == tid && tid)
		return k->known[slot].from;

	events_of(k, tid, &lo, &hi);
	for (size_t j = lo; j < hi; j++) {
		const struct fr_rec *r = &k->w->events[k->ix[j].i].rec;
		uint64_t t = r->ts;

		if (r->type == FR_REC_SYSCALL && r->tid == tid && !(r->flags & FR_SYS_NO_ENTRY))
			t = fr_an_sys_begin(r);
		else if ((r->type == FR_REC_WAKEUP && r->tid != tid) || r->type == FR_REC_EXIT)
			continue; /* it woke another, or it ended: says nothing of before */
		if (t < from)
			from = t;
		followed |= r->type == FR_REC_SYSCALL && r->tid == tid;
	}
	/* of another process, only a followed task has syscall records; of an
	 * unfollowed one the window has only what followed ones did with it
	 * (switches, wake-ups) */
	k->known[slot].tid = tid;
	k->known[slot].from = followed ? from : UINT64_MAX;
	return k->known[slot].from;
}

static bool on_path(const struct walk *k, int depth, uint32_t tid)
{
	for (int i = 0; i < depth; i++)
		if (k->path[i] == tid)
			return true;
	return false;
}

static void walk(struct walk *k, uint32_t pid, uint32_t tid, uint64_t a, uint64_t b, int depth);

/* The process of thread tid, by its records in the window (indexed under
 * it as the task a record is about, or as the one a switch let in); 0
 * unknown. */
static uint32_t pid_of(const struct walk *k, uint32_t tid)
{
	size_t lo, hi;

	events_of(k, tid, &lo, &hi);
	for (size_t j = lo; j < hi; j++) {
		const struct fr_rec *r = &k->w->events[k->ix[j].i].rec;

		if (r->tid == tid)
			return r->pid;
		if (r->type == FR_REC_SWITCH && r->sw.next_tid == tid)
			return r->sw.next_pid;
	}
	return 0;
}

/* Does local address a (alen bytes, n's kind) take packets for b: the
 * same, or any (a socket bound to no address)? */
static bool receives_for(const uint8_t *a, const uint8_t *b, size_t alen)
{
	static const uint8_t any[16];

	return !memcmp(a, b, alen) || !memcmp(a, any, alen);
}

/*
 * A wait of tid that ended at t1 when network data arrived, in a softirq
 * that ran over task waker_pid (at an interrupt's exit, not inside its
 * send): was that task's process the sender? Yes when it holds the other
 * end of a connection the wait returned ready (a local peer over
 * loopback): one of its threads named a socket whose local address and
 * port are that connection's remote ones. The kernel runs a loopback
 * packet's receive in the sender's send, but not always (a softirq put
 * off to the next interrupt); the socket says who sent it then.
 */
static bool local_sender(struct walk *k, uint32_t tid, uint64_t t1, const struct fr_rec *wake)
{
	const struct fr_rec *sys;
	const struct fr_fdname *n;

	if (!(wake->flags & FR_WK_SOFTIRQ) || wake->wk.ctx != FR_SOFTIRQ_NET_RX ||
	    !wake->wk.waker_pid || !(sys = syscall_at(k, tid, t1 - 1)))
		return false;
	for (size_t i = 0; (n = fr_window__name_at(k->w, sys, i)); i++) {
		size_t alen = n->kind == FR_NAME_INET ? 4 : 16;

		if (n->kind != FR_NAME_INET && n->kind != FR_NAME_INET6)
			continue;
		for (size_t j = 0; j < k->w->nr_names; j++) {
			const struct fr_fdname *m = &k->w->names[j];

			if (m->kind == n->kind && m->proto == n->proto && m->sport == n->dport &&
			    receives_for(m->saddr, n->daddr, alen) &&
			    pid_of(k, m->tid) == wake->wk.waker_pid)
				return true;
		}
	}
	return false;
}

/* Appends one stretch [t0, t1) of tid in state st; a blocked one ended by
 * a wake-up from a thread of the window is explained by that thread (a
 * local sender's too, local_sender). */
static void stretch(struct walk *k, uint32_t pid, uint32_t tid, int depth, enum fr_seg_state st,
		    uint64_t t0, uint64_t t1, const struct fr_event *out, const struct fr_rec *wake)
{
	struct fr_rec sent;

	if (t1 <= t0)
		return;
	if (st == FR_SEG_BLOCKED && wake && !fr_wake_by_task(wake) && local_sender(k, tid, t1, wake)) {
		/* the wake-up as its sender's own */
		sent = *wake;
		sent.flags &= (uint8_t)~FR_WK_SOFTIRQ;
		sent.wk.ctx = 0;
		wake = &sent;
	}
	if (st == FR_SEG_BLOCKED && wake && fr_wake_by_task(wake) && wake->wk.waker_tid != tid &&
	    !(wake->flags & FR_WK_KTHREAD) && fr_window__keeps(&k->w->req, wake->wk.waker_pid) &&
	    depth < k->max_depth && !on_path(k, depth + 1, wake->wk.waker_tid)) {
		uint64_t from = known_from(k, wake->wk.waker_pid, wake->wk.waker_tid);
		size_t before;

		if (from < t1) {
			const struct fr_rec *sys = syscall_at(k, tid, t1 - 1);
			struct fr_chain_seg *h;

			if (!sys)
				sys = syscall_at(k, tid, t0);
			/* the part before the waker's records stays this task's wait */
			if (from > t0) {
				segment(k, pid, tid, depth, st, t0, from, out, wake, sys);
				t0 = from;
			}
			/* the hand-off: what this task waited in, for whom */
			h = emit(k);
			if (h) {
				h->pid = pid;
				h->tid = tid;
				h->state = FR_SEG_BLOCKED;
				h->depth = (uint8_t)depth;
				h->start = h->end = t0;
				h->handoff = 1;
				h->waker_pid = wake->wk.waker_pid;
				h->waker_tid = wake->wk.waker_tid;
				describe(k, h, out, sys);
			}
			before = k->emitted;
			k->path[depth] = tid;
			walk(k, wake->wk.waker_pid, wake->wk.waker_tid, t0, t1, depth + 1);
			if (k->emitted > before)
				return;
			if (h && k->out->n && k->out->seg[k->out->n - 1].handoff)
				k->out->n--; /* nothing below after all: no hand-off */
		}
	}
	if (st == FR_SEG_RUNNING) {
		running(k, pid, tid, depth, t0, t1);
	} else {
		/* the syscall it was in when the wait ended (joined loop waits: the
		 * last), else when it began */
		const struct fr_rec *sys = syscall_at(k, tid, t1 - 1);

		segment(k, pid, tid, depth, st, t0, t1, out, wake, sys ? sys : syscall_at(k, tid, t0));
	}
}

/* One state of a task over [t0, t1), before it is explained. */
struct stretch_rec {
	enum fr_seg_state st;
	uint64_t t0, t1;
	const struct fr_event *out;  /* its last switch-out */
	const struct fr_rec *wake;   /* blocked: the wake-up that ended it */
};

/* The syscall of a blocked stretch is an event loop's wait. */
static bool loop_wait(const struct walk *k, uint32_t tid, const struct stretch_rec *s)
{
	const struct fr_rec *sys = syscall_at(k, tid, s->t0);

	return sys && fr_syscall_is_loop_wait(fr_syscall_name(sys->aux));
}

/* The most a thread may run between two loop waits that are one wait, in
 * time and in stretches (running, waiting for a CPU). */
#define LOOP_BLIP_NS 2000000ull
#define LOOP_BLIP_STEPS 16
/* ... and between a wait whose waker another task needed and that task's
 * wake-up (the loop handling the first, a child's exit say, takes longer) */
#define LOOP_HANDOFF_NS 20000000ull

/*
 * Whether the task that ended wake-up x woke the one that ended wake-up y
 * in [t0, t1], with records of the latter from before: it waited for the
 * former there (which released what it needed, or exited).
 */
static bool woke_between(struct walk *k, const struct fr_rec *x, const struct fr_rec *y,
			 uint64_t t0, uint64_t t1)
{
	uint64_t from = known_from(k, y->wk.waker_pid, y->wk.waker_tid);
	size_t lo, hi;

	events_of(k, y->wk.waker_tid, &lo, &hi);
	for (size_t j = first_from(k, lo, hi, t0); j < hi; j++) {
		const struct fr_rec *r = &k->w->events[k->ix[j].i].rec;

		if (r->ts > t1)
			break;
		if (r->type == FR_REC_WAKEUP && r->tid == y->wk.waker_tid && fr_wake_by_task(r) &&
		    r->wk.waker_tid == x->wk.waker_tid && from < r->ts)
			return true;
	}
	return false;
}

/*
 * An event loop waiting for an answer is often woken meanwhile by a timer
 * or an interrupt of its own (a telemetry batch timer, say), runs briefly
 * and waits again: one wait for the answer, ended by whoever gave it. So
 * loop waits ended by no task (or by the recorder, answering the export
 * of the spans), each followed by less than LOOP_BLIP_NS of running, join
 * the next loop wait (which keeps its end and its waker).
 *
 * A loop wait may also have several wakers of which it needed only one:
 * the loop waits for a child that waits on a lock another child holds;
 * the holder's exit wakes the loop first (SIGCHLD), then the child it
 * waited for. A wait ended by task x, followed by brief running and a
 * wait ended by task y that x itself woke meanwhile, is one wait for y
 * (whose own chain goes on to x): what the wait needed is the task whose
 * wake-up came last and depended on the others.
 * Returns the new count.
 */
static size_t join_loop_waits(struct walk *k, uint32_t tid, struct stretch_rec *s, size_t n)
{
	size_t out = 0;

	for (size_t i = 0; i < n; i++) {
		struct stretch_rec *b;
		bool joined = true;

		s[out++] = s[i];
		b = &s[out - 1];
		if (b->st != FR_SEG_BLOCKED || !loop_wait(k, tid, b))
			continue;
		/* back over the running since the wait before (a few stretches,
		 * briefly), to that wait; again from the joined wait */
		while (joined) {
			uint64_t between = 0;

			joined = false;
			for (size_t j = out - 1, steps = 0; j-- > 0 && steps < LOOP_BLIP_STEPS;
			     steps++) {
				struct stretch_rec *a = &s[j];
				bool by_task;

				if (a->st != FR_SEG_BLOCKED) {
					between += a->t1 - a->t0;
					if (between > LOOP_HANDOFF_NS)
						break;
					continue;
				}
				if (!loop_wait(k, tid, a))
					break;
				by_task = a->wake && fr_wake_by_task(a->wake) &&
					  (!k->c->ignore_pid ||
					   a->wake->wk.waker_pid != k->c->ignore_pid);
				if (!by_task ? between > LOOP_BLIP_NS
					     : !(b->wake && fr_wake_by_task(b->wake) &&
						 b->wake->wk.waker_tid != a->wake->wk.waker_tid &&
						 b->wake->wk.waker_tid != tid &&
						 woke_between(k, a->wake, b->wake, a->t0, b->t1)))
					break;
				a->t1 = b->t1;
				a->wake = b->wake;
				out = j + 1;
				b = a;
				joined = true;
				break;
			}
		}
	}
	return out;
}

/* How close together one act of a task wakes two others, in either order
 * (an exit closes the fds, one a lock and one a socket, then signals the
 * parent). */
#define SAME_ACT_NS 1000000ull

/* Did task ytid end in (t0, t1], or wake tid there. */
static bool completed(struct walk *k, uint32_t tid, uint32_t ytid, uint64_t t0, uint64_t t1)
{
	size_t lo, hi;

	events_of(k, ytid, &lo, &hi);
	for (size_t j = first_from(k, lo, hi, t0 + 1); j < hi; j++) {
		const struct fr_rec *r = &k->w->events[k->ix[j].i].rec;

		if (r->ts > t1)
			break;
		if (r->type == FR_REC_EXIT && r->tid == ytid)
			return true;
	}
	events_of(k, tid, &lo, &hi);
	for (size_t j = first_from(k, lo, hi, t0 + 1); j < hi; j++) {
		const struct fr_rec *r = &k->w->events[k->ix[j].i].rec;

		if (r->ts > t1)
			break;
		if (r->type == FR_REC_WAKEUP && r->tid == tid && r->wk.waker_tid == ytid &&
		    fr_wake_by_task(r))
			return true;
	}
	return false;
}

/*
 * The task a loop wait of tid needed, when not the one that ended it: task
 * x ended it, and in the same act (just before or after) woke task y,
 * which had been waiting (its records begin before) and then completed by
 * end (exited, or woke tid). The loop waited for its child y, blocked on a lock that x held;
 * x's exit freed the lock and woke the loop too (SIGCHLD), and y finished
 * while the loop was still handling x. Then the wait was for y, whose
 * chain goes on to x. A wake-up record credited to y, or NULL.
 */
static const struct fr_rec *needed_instead(struct walk *k, uint32_t tid,
					   const struct stretch_rec *s, uint64_t end)
{
	const struct fr_rec *x = s->wake;
	uint64_t lo = x->ts > SAME_ACT_NS ? x->ts - SAME_ACT_NS : 0;

	if (k->nneeded == sizeof(k->needed) / sizeof(k->needed[0]))
		return NULL;
	for (size_t i = fr_an_first_event_from(k->w, lo); i < k->w->nr_events; i++) {
		const struct fr_rec *r = &k->w->events[i].rec;
		struct fr_rec *y;

		if (r->ts > x->ts + SAME_ACT_NS)
			break;
		if (r->type != FR_REC_WAKEUP || !fr_wake_by_task(r) ||
		    r->wk.waker_tid != x->wk.waker_tid || r->tid == tid ||
		    r->tid == x->wk.waker_tid || (r->flags & FR_WK_KTHREAD) ||
		    !fr_window__keeps(&k->w->req, r->pid) ||
		    known_from(k, r->pid, r->tid) >= r->ts || !completed(k, tid, r->tid, x->ts, end))
			continue;
		y = &k->needed[k->nneeded++];
		*y = *x;
		y->flags &= (uint8_t)~FR_WK_KTHREAD;
		y->wk.waker_pid = r->pid;
		y->wk.waker_tid = r->tid;
		y->wk.waker_sys = FR_NO_SYSCALL;
		return y;
	}
	return NULL;
}

/*
 * tid's states over [a, b): from its switch and wake-up records; before
 * its first record, the state the first one implies. Then each stretch is
 * explained (stretch()), loop waits joined first.
 */
static void walk(struct walk *k, uint32_t pid, uint32_t tid, uint64_t a, uint64_t b, int depth)
{
	const struct fr_window *w = k->w;
	enum fr_seg_state st = 0;
	const struct fr_event *out = NULL;
	uint64_t since = a;
	struct stretch_rec *sr;
	size_t lo, hi, n = 0;

	events_of(k, tid, &lo, &hi);
	/* the state at a: from the task's last switch at or before it (and a
	 * wake-up since, if it was asleep), found by searching back from a */
	{
		size_t j0 = first_from(k, lo, hi, a + 1);
		bool woken = false;

		for (size_t j = j0; j-- > lo;) {
			const struct fr_event *e = &w->events[k->ix[j].i];
			const struct fr_rec *r = &e->rec;

			if (r->type == FR_REC_WAKEUP && r->tid == tid) {
				woken = true;
			} else if (r->type == FR_REC_SWITCH && r->tid == tid) {
				st = (r->flags & FR_SW_PREEMPT) ? FR_SEG_RUNNABLE
				     : woken			  ? FR_SEG_RUNNABLE
								  : FR_SEG_BLOCKED;
				out = e;
				break;
			} else if (r->type == FR_REC_SWITCH && r->sw.next_tid == tid) {
				st = FR_SEG_RUNNING;
				break;
			}
		}
		lo = j0;
	}
	sr = malloc((hi - lo + 1) * sizeof(*sr));
	if (!sr) {
		k->oom = true;
		return;
	}
	for (size_t j = lo; j < hi; j++) {
		const struct fr_event *e = &w->events[k->ix[j].i];
		const struct fr_rec *r = &e->rec;
		enum fr_seg_state next;
		const struct fr_rec *wake = NULL;

		if (r->type == FR_REC_SWITCH && r->tid == tid) {
			next = (r->flags & FR_SW_PREEMPT) ? FR_SEG_RUNNABLE : FR_SEG_BLOCKED;
		} else if (r->type == FR_REC_SWITCH && r->sw.next_tid == tid) {
			next = FR_SEG_RUNNING;
		} else if (r->type == FR_REC_WAKEUP && r->tid == tid) {
			if (st && st != FR_SEG_BLOCKED)
				continue; /* already runnable: a wake-up changes nothing */
			next = FR_SEG_RUNNABLE;
			wake = r;
		} else {
			continue;
		}
		if (r->ts > a) {
			uint64_t t = r->ts < b ? r->ts : b;

			if (!st) /* before the first record: what it implies */
				st = next == FR_SEG_RUNNING	  ? FR_SEG_RUNNABLE
				     : next == FR_SEG_RUNNABLE && wake ? FR_SEG_BLOCKED
									 : FR_SEG_RUNNING;
			if (t > since)
				sr[n++] = (struct stretch_rec){ st, since, t, out, wake };
			since = t;
		}
		if (r->type == FR_REC_SWITCH && r->tid == tid)
			out = e;
		st = next;
		if (r->ts >= b)
			break;
	}
	if (since < b)
		sr[n++] = (struct stretch_rec){ st ? st : FR_SEG_RUNNING, since, b, out, NULL };
	n = join_loop_waits(k, tid, sr, n);
	for (size_t i = 0; i < n; i++) {
		const struct fr_rec *y;

		if (sr[i].st == FR_SEG_BLOCKED && sr[i].wake && fr_wake_by_task(sr[i].wake) &&
		    (!k->c->ignore_pid || sr[i].wake->wk.waker_pid != k->c->ignore_pid) &&
		    loop_wait(k, tid, &sr[i]) && (y = needed_instead(k, tid, &sr[i], b)))
			sr[i].wake = y;
	}
	for (size_t i = 0; i < n && !k->oom; i++)
		stretch(k, pid, tid, depth, sr[i].st, sr[i].t0, sr[i].t1, sr[i].out, sr[i].wake);
	free(sr);
}

int fr_chain__walk(const struct fr_window *w, const struct fr_annotate_ctx *c, uint32_t tid,
		   int max_depth, struct fr_chain *out)
{
	struct walk k = { .w = w, .c = c, .out = out, .max_segs = FR_CHAIN_WALK_SEGS };

	memset(out, 0, sizeof(*out));
	k.max_depth = max_depth < 0 ? 0 : max_depth > FR_CHAIN_MAX_DEPTH ? FR_CHAIN_MAX_DEPTH
									 : max_depth;
	if (build_index(&k)) {
		free(k.ix);
		free(k.sx);
		return -ENOMEM;
	}
	if (c->span_end > c->span_start)
		walk(&k, c->pid, tid, c->span_start, c->span_end, 0);
	free(k.ix);
	free(k.sx);
	if (k.oom) {
		fr_chain__free(out);
		return -ENOMEM;
	}
	return 0;
}

void fr_chain__free(struct fr_chain *ch)
{
	free(ch->seg);
	ch->seg = NULL;
	ch->n = 0;
}

const char *fr_chain__irq_words(uint8_t irq)
{
	switch (irq) {
	case FR_CHAIN_IRQ_TIMER:
		return "a timer fired";
	case FR_CHAIN_IRQ_NET:
		return "network data arrived";
	case FR_CHAIN_IRQ_BLOCK:
		return "the disk completed the I/O";
	case FR_CHAIN_IRQ_DEVICE:
		return "a device interrupt came";
	default:
		return "an interrupt came";
	}
}
