// SPDX-License-Identifier: MIT
/*
 * memory.c - memory stalls: an allocation that had to reclaim memory (its
 * memory cgroup at its limit, or the host short of memory) or compact it
 * before it could go on. The kernel programs record each stall of a
 * followed thread with its length (vmscan and compaction tracepoints);
 * here the span thread's stall time is taken out of what it looked like
 * (on CPU scanning pages, blocked on writeback) and named with the cgroup
 * and its limit read at capture.
 */
#include <stdio.h>
#include <string.h>

#include "../annotate_int.h"
#include "causes.h"
#include "fr_buf.h"
#include "fr_cgroup.h"

/* The focus thread's stall time in the span, per FR_STALL_* kind. */
static void stall_ns(const struct fr_window *w, const struct fr_annotate_ctx *c, uint32_t tid,
		     uint64_t ns[4])
{
	memset(ns, 0, 4 * sizeof(ns[0]));
	for (size_t i = 0; i < w->nr_events; i++) {
		const struct fr_rec *r = &w->events[i].rec;
		uint64_t begin;

		if (r->type != FR_REC_STALL || r->tid != tid || r->pid != c->pid)
			continue;
		begin = r->stl.dur < r->ts ? r->ts - r->stl.dur : 0;
		ns[r->aux & 3] += fr_an_overlap(begin, r->ts, c->span_start, c->span_end);
	}
}

static void stall_words(const struct fr_annotate_ctx *c, int kind, char *buf, size_t len)
{
	const struct fr_mem_limit *m = c->mem_limit;
	char lim[32];

	if (kind == FR_STALL_COMPACT) {
		snprintf(buf, len, "stalled compacting memory (to find contiguous pages)");
	} else if (kind == FR_STALL_MEMCG && m && m->limit_bytes) {
		/* a cgroup reclaims when a charge would take it past its limit:
		 * it was there then, whatever it uses by the capture */
		fr_fmt_bytes(m->limit_bytes, lim, sizeof(lim));
		snprintf(buf, len, "stalled reclaiming memory: cgroup %.100s at its %s limit", m->path,
			 lim);
	} else if (kind == FR_STALL_MEMCG) {
		snprintf(buf, len, "stalled reclaiming memory: its memory cgroup at its limit");
	} else if (c->mem_available_kb) {
		fr_fmt_bytes(c->mem_available_kb * 1024, lim, sizeof(lim));
		snprintf(buf, len, "stalled reclaiming memory: the host was short of memory "
			 "(%s available at capture)", lim);
	} else {
		snprintf(buf, len, "stalled reclaiming memory: the host was short of memory");
	}
}

static int adjust(const struct fr_window *w, const struct fr_annotate_ctx *c,
		  struct fr_evidence *ev)
{
	static const uint8_t from[] = { FR_CAUSE_ON_CPU, FR_CAUSE_BLOCKED, FR_CAUSE_RUNNABLE };
	uint64_t ns[4];
	char what[200];

	if (!ev->focus_tid)
		return 0;
	stall_ns(w, c, ev->focus_tid, ns);
	for (int k = FR_STALL_RECLAIM; k <= FR_STALL_COMPACT; k++) {
		uint64_t left = ns[k];

		if (!left)
			continue;
		stall_words(c, k, what, sizeof(what));
		/* reclaim scans pages on CPU and waits for writeback: take it
		 * from what it looked like, in that order */
		for (size_t i = 0; i < sizeof(from) && left; i++)
			left -= fr_causes__move(ev, from[i], FR_CAUSE_STALL, what, left);
		ev->stall_ns += ns[k] - left;
	}
	return 0;
}

/*
 * Not the largest cause, but a good part of the span (a tenth or more):
 * said after the verdict's first clause, as the stall is why the largest
 * took so long (a write that had to reclaim first).
 */
static int find(const struct fr_window *w, const struct fr_annotate_ctx *c,
		struct fr_evidence *ev)
{
	const struct fr_cause *top = NULL;
	char dur[32];

	(void)w;
	(void)c;
	if (!ev->stall_ns || ev->stall_ns * 10 < ev->span_ns || !ev->nr_causes ||
	    ev->causes[0].kind == FR_CAUSE_STALL)
		return 0;
	for (size_t i = 0; i < ev->nr_causes && !top; i++)
		if (ev->causes[i].kind == FR_CAUSE_STALL)
			top = &ev->causes[i];
	if (!top)
		return 0;
	fr_fmt_duration(ev->stall_ns, dur, sizeof(dur));
	fr_causes__append(ev, "; %s of the span %s", dur, top->what);
	return 0;
}

const struct fr_cause_finder fr_cause_memory_stall = { "memory stall", adjust, find };
