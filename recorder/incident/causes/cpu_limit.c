// SPDX-License-Identifier: MIT
/*
 * cpu_limit.c - CPU limits (CFS bandwidth throttling): time the span's
 * thread was runnable while its cgroup's quota held it back, told apart
 * from time waiting behind other tasks.
 *
 * The kernel has no tracepoint for throttling, so it is read off the
 * switch pattern: a task switched out while still runnable, with the CPU
 * going idle (nothing else queued on it). Only throttling does that: a
 * task preempted by another hands the CPU to that one, and one moved
 * elsewhere goes through the migration thread. The interval runs to the
 * task's next switch-in. The cgroup and its limit come from cgroupfs at
 * capture (fr_cgroup.h), with its throttling counters.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../annotate_int.h"
#include "causes.h"
#include "fr_buf.h"
#include "fr_cgroup.h"

/* The focus thread's throttled time within the span (the switch pattern). */
static uint64_t throttled_ns(const struct fr_window *w, const struct fr_annotate_ctx *c,
			     uint32_t tid)
{
	uint64_t total = 0;

	for (size_t i = 0; i < w->nr_events; i++) {
		const struct fr_rec *r = &w->events[i].rec;

		if (r->type != FR_REC_SWITCH || r->tid != tid || r->pid != c->pid ||
		    !(r->flags & FR_SW_PREEMPT) || r->sw.next_tid != 0 || r->ts > c->span_end)
			continue;
		for (size_t k = i + 1; k < w->nr_events; k++) {
			const struct fr_rec *in = &w->events[k].rec;

			if (in->type != FR_REC_SWITCH || in->sw.next_tid != tid)
				continue;
			total += fr_an_overlap(r->ts, in->ts, c->span_start, c->span_end);
			break;
		}
	}
	return total;
}

/* "the CPU limit of /kubepods/x (30 ms per 100 ms)" */
static void limit_words(const struct fr_cpu_limit *l, char *buf, size_t len)
{
	char q[32], p[32];

	fr_fmt_duration(l->quota_us * 1000, q, sizeof(q));
	fr_fmt_duration(l->period_us * 1000, p, sizeof(p));
	snprintf(buf, len, "the CPU limit of %.120s (%s per %s)", l->path, q, p);
}

static int adjust(const struct fr_window *w, const struct fr_annotate_ctx *c,
		  struct fr_evidence *ev)
{
	char what[200], lim[240];

	if (!ev->focus_tid)
		return 0;
	ev->throttled_ns = throttled_ns(w, c, ev->focus_tid);
	if (!ev->throttled_ns)
		return 0;
	if (c->cpu_limit) {
		limit_words(c->cpu_limit, lim, sizeof(lim));
		snprintf(what, sizeof(what), "throttled by %.186s", lim);
	} else {
		/* the pattern without a limit found: its cgroup is gone, or the
		 * limit is in a hierarchy flightrec cannot see */
		snprintf(what, sizeof(what),
			 "throttled: its CPU went idle while it was runnable (a CPU limit "
			 "not found in its cgroups)");
	}
	fr_causes__move(ev, FR_CAUSE_RUNNABLE, FR_CAUSE_THROTTLED, what, ev->throttled_ns);
	return 0;
}

/* With the limit named: how often the kernel throttled that cgroup. */
static int find(const struct fr_window *w, const struct fr_annotate_ctx *c,
		struct fr_evidence *ev)
{
	const struct fr_cpu_limit *l = c->cpu_limit;
	char t[32];

	(void)w;
	if (!ev->nr_causes || ev->causes[0].kind != FR_CAUSE_THROTTLED || !l || !l->nr_periods)
		return 0;
	fr_fmt_duration(l->throttled_ns, t, sizeof(t));
	fr_causes__append(ev, "; %s was throttled in %" PRIu64 " of its %" PRIu64
			  " periods so far (%s in all)", l->path, l->nr_throttled, l->nr_periods,
			  t);
	return 0;
}

const struct fr_cause_finder fr_cause_cpu_limit = { "CPU limit", adjust, find };
