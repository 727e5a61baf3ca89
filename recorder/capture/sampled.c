// SPDX-License-Identifier: MIT
/*
 * sampled.c - time on CPU inside syscalls, from on-CPU samples, for
 * scheduler-centred capture (fr_ring.h: fr_window__syscalls_from_samples).
 *
 * Without syscall hooks, a call that computes rather than blocks (a large
 * write to tmpfs, a read of cached data) leaves no record of its own. The
 * samples taken in it do: each says the syscall and its first argument
 * (the fd, named at the sample). A thread's consecutive samples in one
 * call (same number and argument, no block or recorded call between) make
 * one interval, half a sampling period either side of the samples, kept
 * within the thread's surrounding switches and records.
 *
 * A call that blocked has a record from its first block to its return; the
 * time on CPU it spent before that block (an fsync writing pages out, a
 * write before its wait) is moved into it: back over the thread's samples
 * in the same call, to half a sampling period before the first, never past
 * the thread's last switch or recorded call, nor past a sample of it
 * elsewhere (in user space, in another call). No sample in it before the
 * block: it starts at the block, as seen.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fr_ring.h"

/* A thread's point in time: a sample in a syscall (i: its event), or an
 * edge its run in one syscall cannot reach past (hard: a block or a
 * recorded call, which ends a run of samples). Both sorted by (tid, ts). */
struct point {
	uint32_t tid;
	uint8_t hard;
	uint64_t ts;
	size_t i;
};

static int cmp_point(const void *a, const void *b)
{
	const struct point *x = a, *y = b;

	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

static int cmp_event(const void *a, const void *b)
{
	const struct fr_event *x = a, *y = b;

	return x->rec.ts < y->rec.ts ? -1 : x->rec.ts > y->rec.ts;
}

/* The first edge of tid at or after t in e[0..n) (sorted), or n. */
static size_t edge_from(const struct point *e, size_t n, uint32_t tid, uint64_t t)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (e[mid].tid < tid || (e[mid].tid == tid && e[mid].ts < t))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int add_edge(struct point **e, size_t *n, size_t *cap, uint32_t tid, uint64_t ts, bool hard)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 256;
		struct point *p = realloc(*e, nc * sizeof(*p));

		if (!p)
			return -ENOMEM;
		*e = p;
		*cap = nc;
	}
	(*e)[(*n)++] = (struct point){ .tid = tid, .hard = hard, .ts = ts };
	return 0;
}

/* The last point of tid before t in p[0..n) (sorted), or n if none. */
static size_t point_before(const struct point *p, size_t n, uint32_t tid, uint64_t t)
{
	size_t k = edge_from(p, n, tid, t);

	return k > 0 && p[k - 1].tid == tid ? k - 1 : n;
}

static void set_sys_dur(struct fr_rec *r, uint64_t dur)
{
	if (dur <= UINT32_MAX) {
		r->flags &= (uint8_t)~FR_SYS_DUR_US;
		r->sys.dur = (uint32_t)dur;
	} else {
		r->flags |= FR_SYS_DUR_US;
		r->sys.dur = dur / 1000 > UINT32_MAX ? UINT32_MAX : (uint32_t)(dur / 1000);
	}
}

/*
 * Moves the start of a call that blocked (event i) back over the time on
 * CPU before its first block (see the top of this file); marks the samples
 * that put time in it as used.
 */
static void start_before_block(struct fr_window *w, size_t i, const struct point *edges, size_t ne,
			       const struct point *smps, size_t ns, const struct point *usr,
			       size_t nu, bool *used, uint64_t half)
{
	struct fr_rec *r = &w->events[i].rec;
	uint64_t dur = fr_rec__sys_dur(r), tb, bound = 0, start;
	size_t k, first = ns;

	if (dur > r->ts)
		return;
	tb = r->ts - dur;
	k = point_before(edges, ne, r->tid, tb);
	if (k < ne)
		bound = edges[k].ts;
	k = point_before(usr, nu, r->tid, tb);
	if (k < nu && usr[k].ts + half > bound)
		bound = usr[k].ts + half < tb ? usr[k].ts + half : tb;
	for (k = point_before(smps, ns, r->tid, tb); k < ns && smps[k].tid == r->tid &&
						       smps[k].ts > bound; k--) {
		const struct fr_rec *q = &w->events[smps[k].i].rec;

		if (q->aux != r->aux || q->smp.arg0 != r->sys.arg0) {
			/* in another call then: this one began after */
			if (q->ts + half > bound)
				bound = q->ts + half < tb ? q->ts + half : tb;
			break;
		}
		first = k;
		if (k == 0)
			break;
	}
	/* no sample of it before the block: how long it ran first is not
	 * known, and the stretch before belongs to nobody in particular (half
	 * a period guessed here had taken a 10 ms computation in user space,
	 * which no 49 Hz sample happened to hit, for the fsync after it) */
	if (first == ns)
		return;
	start = smps[first].ts > half ? smps[first].ts - half : 0;
	for (k = first; k < ns && smps[k].tid == r->tid && smps[k].ts < tb; k++)
		used[k] = true;
	if (start < bound)
		start = bound;
	if (start >= tb)
		return;
	set_sys_dur(r, r->ts - start);
	r->flags |= FR_SYS_START_EST;
}

int fr_window__syscalls_from_samples(struct fr_window *w, uint64_t period_ns)
{
	struct point *edges = NULL, *smps = NULL, *usr = NULL;
	struct fr_event *add = NULL, *merged;
	size_t ne = 0, cap_e = 0, ns = 0, nu = 0, nb = 0, nadd = 0;
	bool *used = NULL;
	int err = -ENOMEM;

	if (!period_ns)
		return 0;
	for (size_t i = 0; i < w->nr_events; i++) {
		const struct fr_rec *r = &w->events[i].rec;

		if (r->type == FR_REC_SYSCALL && (r->flags & (FR_SYS_SAMPLED | FR_SYS_START_EST)))
			return 0; /* done already (a window read back from a snapshot) */
		if (r->type == FR_REC_SAMPLE && (r->flags & FR_SMP_SYSCALL))
			ns++;
		else if (r->type == FR_REC_SAMPLE)
			nu++;
		else if (r->type == FR_REC_SYSCALL && (r->flags & FR_SYS_FROM_BLOCK))
			nb++;
	}
	if (!ns && !nb)
		return 0;
	smps = malloc((ns + 1) * sizeof(*smps));
	usr = malloc((nu + 1) * sizeof(*usr));
	used = calloc(ns + 1, sizeof(*used));
	if (!smps || !usr || !used)
		goto out;
	ns = nu = 0;
	for (size_t i = 0; i < w->nr_events; i++) {
		const struct fr_rec *r = &w->events[i].rec;

		if (r->type == FR_REC_SAMPLE && (r->flags & FR_SMP_SYSCALL)) {
			smps[ns++] = (struct point){ .tid = r->tid, .ts = r->ts, .i = i };
		} else if (r->type == FR_REC_SAMPLE) {
			usr[nu++] = (struct point){ .tid = r->tid, .ts = r->ts, .i = i };
		} else if (r->type == FR_REC_SWITCH) {
			/* out: a block ends a run, a preemption only bounds it */
			if (add_edge(&edges, &ne, &cap_e, r->tid, r->ts, !(r->flags & FR_SW_PREEMPT)) ||
			    (r->sw.next_tid && r->sw.next_tid != r->tid &&
			     add_edge(&edges, &ne, &cap_e, r->sw.next_tid, r->ts, false)))
				goto out;
		} else if (r->type == FR_REC_SYSCALL) {
			if (add_edge(&edges, &ne, &cap_e, r->tid, r->ts - fr_rec__sys_dur(r), true) ||
			    add_edge(&edges, &ne, &cap_e, r->tid, r->ts, true))
				goto out;
		}
	}
	qsort(smps, ns, sizeof(*smps), cmp_point);
	qsort(usr, nu, sizeof(*usr), cmp_point);
	if (ne)
		qsort(edges, ne, sizeof(*edges), cmp_point);
	for (size_t i = 0; nb && i < w->nr_events; i++) {
		const struct fr_rec *r = &w->events[i].rec;

		if (r->type == FR_REC_SYSCALL && (r->flags & FR_SYS_FROM_BLOCK))
			start_before_block(w, i, edges, ne, smps, ns, usr, nu, used, period_ns / 2);
	}
	{
		/* the samples left make calls of their own */
		size_t o = 0;

		for (size_t k = 0; k < ns; k++)
			if (!used[k])
				smps[o++] = smps[k];
		ns = o;
	}
	if (!ns) {
		err = 0;
		goto out;
	}
	add = calloc(ns, sizeof(*add));
	if (!add)
		goto out;
	for (size_t a = 0; a < ns;) {
		const struct fr_event *first = &w->events[smps[a].i];
		int32_t name = (first->rec.flags & FR_SMP_NAMED) ? first->name : -1;
		size_t b = a + 1, k;
		uint64_t begin, end, half = period_ns / 2;
		struct fr_event *n;

		/* the run: the same call, no block or record between samples */
		while (b < ns && smps[b].tid == smps[a].tid) {
			const struct fr_rec *p = &w->events[smps[b - 1].i].rec;
			const struct fr_rec *q = &w->events[smps[b].i].rec;
			bool broken = false;

			if (q->aux != p->aux || q->smp.arg0 != p->smp.arg0)
				break;
			for (k = edge_from(edges, ne, q->tid, p->ts);
			     k < ne && edges[k].tid == q->tid && edges[k].ts <= q->ts; k++)
				broken |= edges[k].hard;
			if (broken)
				break;
			if (name < 0 && (q->flags & FR_SMP_NAMED))
				name = w->events[smps[b].i].name;
			b++;
		}
		begin = smps[a].ts > half ? smps[a].ts - half : 0;
		end = smps[b - 1].ts + half;
		/* within the thread's nearest switches and records around it */
		k = edge_from(edges, ne, smps[a].tid, smps[a].ts);
		if (k > 0 && edges[k - 1].tid == smps[a].tid && edges[k - 1].ts > begin)
			begin = edges[k - 1].ts;
		k = edge_from(edges, ne, smps[a].tid, smps[b - 1].ts + 1);
		if (k < ne && edges[k].tid == smps[a].tid && edges[k].ts < end)
			end = edges[k].ts;
		n = &add[nadd++];
		n->rec.type = FR_REC_SYSCALL;
		n->rec.flags = FR_SYS_SAMPLED | (name >= 0 ? FR_SYS_NAMED : 0);
		n->rec.aux = first->rec.aux;
		n->rec.ts = end;
		n->rec.tid = first->rec.tid;
		n->rec.pid = first->rec.pid;
		n->rec.sys.dur = (uint32_t)(end - begin);
		n->rec.sys.arg0 = first->rec.smp.arg0;
		n->cpu = first->cpu;
		n->stack = -1;
		n->name = name;
		n->nr_names = name >= 0 ? 1 : 0;
		a = b;
	}
	merged = realloc(w->events, (w->nr_events + nadd) * sizeof(*merged));
	if (!merged)
		goto out;
	w->events = merged;
	/* into the window by time, from the back (a window may hold millions
	 * of records; the new ones are few), after records of the same time */
	qsort(add, nadd, sizeof(*add), cmp_event);
	{
		size_t i = w->nr_events, j = nadd, o = w->nr_events + nadd;

		while (j > 0) {
			if (i > 0 && w->events[i - 1].rec.ts > add[j - 1].rec.ts)
				w->events[--o] = w->events[--i];
			else
				w->events[--o] = add[--j];
		}
	}
	w->nr_events += nadd;
	err = 0;
out:
	free(edges);
	free(smps);
	free(usr);
	free(used);
	free(add);
	return err;
}
