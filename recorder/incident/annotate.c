// SPDX-License-Identifier: MIT
/*
 * annotate.c - evidence and verdict from a window (fr_annotate.h).
 *
 * Per thread, the records are replayed as a small state machine:
 * switch-out -> blocked (or runnable when preempted), wake-up -> runnable,
 * switch-in -> running. Time is accounted inside the span's range; the state
 * at the span's start comes from the records before it (the window starts
 * earlier), or, failing that, from the first transition seen.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_annotate.h"
#include "fr_buf.h"
#include "fr_syscalls.h"
#include "annotate_int.h"
#include "causes/causes.h"

enum tstate { ST_UNKNOWN, ST_RUNNING, ST_RUNNABLE, ST_BLOCKED };

struct tacc {
	uint32_t tid;
	uint64_t on_cpu, runnable, blocked, blocked_ended;
	uint32_t syscalls, switches;
};

#define MAX_PREEMPTORS 16

struct cause_acc {
	struct fr_cause c[FR_MAX_CAUSES];
	size_t n;
	uint64_t longest[FR_MAX_CAUSES]; /* the longest single interval of each */
	bool idle[FR_MAX_CAUSES];        /* a loop wait told by one that timed out or that
					  * the recorder's answer ended */
	/* runnable time by the task that held the CPU */
	struct {
		uint32_t pid;
		uint64_t ns;
	} pre[MAX_PREEMPTORS];
	size_t npre;
	struct fr_call_cpu calls[FR_MAX_CALL_CPU]; /* on CPU inside a call, by call */
	size_t ncalls;
};

static void add_preemptor(struct cause_acc *a, uint32_t pid, uint64_t ns)
{
	size_t i;

	for (i = 0; i < a->npre && a->pre[i].pid != pid; i++)
		;
	if (i == a->npre) {
		if (a->npre == MAX_PREEMPTORS)
			return;
		a->pre[a->npre++].pid = pid;
	}
	a->pre[i].ns += ns;
}

/* An event loop's wait: one cause however its waits ended (a timer of the
 * loop's own may split one wait for an answer in two). */
static bool is_loop_wait(uint8_t kind, uint32_t nr)
{
	return kind == FR_CAUSE_BLOCKED && nr != UINT32_MAX &&
	       fr_syscall_is_loop_wait(fr_syscall_name(nr));
}

/* idle: a loop wait that ended with nothing (timed out, no fd ready), or
 * with the recorder's own answer */
static void add_cause_of(struct cause_acc *a, uint8_t kind, const char *what, uint64_t ns,
			 uint32_t nr, uint32_t other, bool idle)
{
	struct fr_cause *c = NULL;
	bool loop = is_loop_wait(kind, nr);

	if (!ns)
		return;
	for (size_t i = 0; i < a->n && !c; i++)
		if (a->c[i].kind == kind &&
		    (loop ? a->c[i].nr == nr : !strcmp(a->c[i].what, what)))
			c = &a->c[i];
	/* a loop wait is told by the latest of its waits that was not short
	 * beside the longest (intervals come in time order): what the thread
	 * last waited for, not a brief wait at the span's edge. One that
	 * timed out, or that the recorder's own answer ended, tells it only
	 * until a later wait that something else ended (the loop's timers and
	 * span exports come and go while it waits for the answer) */
	if (c && loop && ((a->idle[c - a->c] && !idle) || ns * 4 >= a->longest[c - a->c])) {
		snprintf(c->what, sizeof(c->what), "%s", what);
		a->idle[c - a->c] = idle;
	}
	if (!c && a->n < FR_MAX_CAUSES) {
		c = &a->c[a->n++];
		c->kind = kind;
		snprintf(c->what, sizeof(c->what), "%s", what);
		c->nr = nr;
		c->other_pid = other;
		a->idle[c - a->c] = idle;
	}
	if (!c) {
		/* full: the last slot gathers the rest */
		c = &a->c[FR_MAX_CAUSES - 1];
		snprintf(c->what, sizeof(c->what), "other causes");
		c->nr = UINT32_MAX;
	}
	c->ns += ns;
	c->count++;
	if (ns > a->longest[c - a->c])
		a->longest[c - a->c] = ns;
}

static void add_cause(struct cause_acc *a, uint8_t kind, const char *what, uint64_t ns,
		      uint32_t nr, uint32_t other)
{
	add_cause_of(a, kind, what, ns, nr, other, false);
}

/* The focus thread's syscall records (window indices), in exit order. */
struct sysidx {
	const size_t *idx;
	size_t n;
};

/* The first of sx's calls to end after t (sx is in exit order). */
static size_t first_call_after(const struct fr_window *w, const struct sysidx *sx, uint64_t t)
{
	size_t lo = 0, hi = sx->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (w->events[sx->idx[mid]].rec.ts <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Blocked, from t_out: the syscall it happened in, or the stack, or the state. */
static void blocked_cause(const struct fr_annotate_ctx *c, const struct fr_window *w,
			  const struct sysidx *sx, const struct fr_event *out, uint64_t t_out,
			  char *buf, size_t len, uint32_t *nr, bool *idle)
{
	size_t lo;

	*nr = UINT32_MAX;
	*idle = false;
	/* a page fault's I/O, in a syscall or not */
	if (out && fr_an_fault_at(c, w, out, buf, len))
		return;
	/* the first syscall ending after t_out contains it, or none does (one
	 * thread's syscalls do not overlap; one that ended at t_out, a call
	 * seen on CPU in samples up to the block, did not block) */
	lo = first_call_after(w, sx, t_out);
	if (lo < sx->n) {
		const struct fr_rec *r = &w->events[sx->idx[lo]].rec;

		if (fr_an_sys_begin(r) <= t_out && !(r->flags & FR_SYS_NO_ENTRY)) {
			fr_an_describe_syscall(c, w, r, buf, len);
			fr_hot__note_collector(w, c, out, buf, len);
			*nr = r->aux;
			*idle = r->sys.ret == 0;
			return;
		}
	}
	if (out && fr_an_syscall_from_stack(c, w, out, buf, len))
		return;
	if (out && (out->rec.aux & 0x2))
		snprintf(buf, len, "uninterruptible wait (page fault or I/O)");
	else
		snprintf(buf, len, "sleeping outside a recorded syscall");
}

/* Runnable time is one cause; the task that held the CPU longest names it. */
static void runnable(struct cause_acc *a, uint32_t other, uint64_t ns)
{
	add_cause(a, FR_CAUSE_RUNNABLE, "waiting for CPU", ns, UINT32_MAX, 0);
	if (other)
		add_preemptor(a, other, ns);
}

/*
 * The process's own other threads held the CPU: what they did, from their
 * samples in the span, as " (92% of it in garbage collection (V8))"; ""
 * when their samples name nothing. tids: the process's threads, skip the
 * one that waited.
 */
static void own_threads_words(const struct fr_window *w, const struct fr_annotate_ctx *c,
			      const uint32_t *tids, size_t n, uint32_t skip, char *buf, size_t len)
{
	uint32_t others[64];
	size_t m = 0;
	struct fr_hot h;
	size_t used;

	buf[0] = '\0';
	for (size_t i = 0; i < n && m < 64; i++)
		if (tids[i] != skip)
			others[m++] = tids[i];
	if (!w || !m || !fr_hot__find(w, c, c->pid, others, m, c->span_start, c->span_end, false,
				      &h) || !h.func[0])
		return;
	if (len < 4)
		return;
	memcpy(buf, " (", 2);
	fr_hot__words(&h, buf + 2, len - 3);
	used = strlen(buf);
	buf[used] = ')';
	buf[used + 1] = '\0';
}

/* The name of task tid of process pid, "?" when it is not known. */
static void task_name(const struct fr_annotate_ctx *c, uint32_t pid, uint32_t tid, char *buf,
		      size_t len)
{
	snprintf(buf, len, "?");
	if (c->thread_name)
		c->thread_name(c->ctx, pid, tid, buf, len);
}

static void name_runnable(const struct fr_window *w, const struct fr_annotate_ctx *c,
			  struct cause_acc *a, const uint32_t *tids, size_t ntids, uint32_t waiter)
{
	char names[MAX_PREEMPTORS][32], pids[96] = "";
	uint64_t group_ns[MAX_PREEMPTORS] = { 0 };
	size_t best = 0, in_best = 0, used = 0;

	if (!a->npre)
		return;
	/* the tasks that held the CPU, grouped by name (three short-lived
	 * processes of one program are one cause; the process's own threads
	 * are one of their own), ranked by how long */
	for (size_t k = 0; k < a->npre; k++) {
		if (a->pre[k].pid == c->pid)
			snprintf(names[k], sizeof(names[k]), "\001own");
		else
			task_name(c, a->pre[k].pid, a->pre[k].pid, names[k], sizeof(names[k]));
	}
	for (size_t k = 0; k < a->npre; k++)
		for (size_t j = 0; j < a->npre; j++)
			if (!strcmp(names[j], names[k]))
				group_ns[k] += a->pre[j].ns;
	for (size_t k = 1; k < a->npre; k++)
		if (group_ns[k] > group_ns[best] ||
		    (group_ns[k] == group_ns[best] && a->pre[k].ns > a->pre[best].ns))
			best = k;
	for (size_t k = 0; k < a->npre; k++) {
		if (strcmp(names[k], names[best]))
			continue;
		if (in_best++ < 4 && used < sizeof(pids))
			used += (size_t)snprintf(pids + used, sizeof(pids) - used, "%s%u",
						 in_best > 1 ? ", " : "", a->pre[k].pid);
	}
	for (size_t i = 0; i < a->n; i++) {
		struct fr_cause *cause = &a->c[i];
		size_t others = a->npre - in_best;
		char more[48] = "";

		if (cause->kind != FR_CAUSE_RUNNABLE)
			continue;
		cause->other_pid = a->pre[best].pid;
		if (others)
			snprintf(more, sizeof(more), " and %zu other%s", others, others > 1 ? "s" : "");
		char what[320];
		size_t len;

		if (a->pre[best].pid == c->pid) {
			char own[200];

			own_threads_words(w, c, tids, ntids, waiter, own, sizeof(own));
			snprintf(what, sizeof(what),
				 "waiting for CPU: its own process's other threads held it%s%s", own,
				 more);
		} else if (in_best > 1)
			snprintf(what, sizeof(what),
				 "waiting for CPU: preempted by %zu processes (%s) (pids %s%s)%s", in_best,
				 names[best], pids, in_best > 4 ? ", ..." : "", more);
		else
			snprintf(what, sizeof(what), "waiting for CPU: preempted by pid %u (%s)%s",
				 cause->other_pid, names[best], more);
		len = strnlen(what, sizeof(cause->what) - 1);
		memcpy(cause->what, what, len);
		cause->what[len] = '\0';
	}
}

/* Time on CPU in [t0, t1) that lay inside the thread's calls goes to each
 * call by name (one thread's calls do not overlap), in up to
 * FR_MAX_CALL_CPU calls, the longest kept. */
static void oncpu_in_calls(const struct fr_window *w, const struct fr_annotate_ctx *c,
			   const struct sysidx *sx, struct cause_acc *a, uint64_t t0, uint64_t t1)
{
	for (size_t j = first_call_after(w, sx, t0); j < sx->n; j++) {
		const struct fr_rec *r = &w->events[sx->idx[j]].rec;
		uint64_t b = fr_an_sys_begin(r), e = r->ts < t1 ? r->ts : t1;
		char what[200];
		size_t k;

		if (b >= t1)
			break;
		if (b < t0)
			b = t0;
		if (e <= b || (r->flags & FR_SYS_NO_ENTRY))
			continue;
		fr_an_describe_syscall(c, w, r, what, sizeof(what));
		for (k = 0; k < a->ncalls && strcmp(a->calls[k].what, what); k++)
			;
		if (k == FR_MAX_CALL_CPU) {
			/* full: the least of them gives way to a longer stretch
			 * (its time stays plain on-CPU time) */
			k = 0;
			for (size_t m = 1; m < a->ncalls; m++)
				if (a->calls[m].ns < a->calls[k].ns)
					k = m;
			if (a->calls[k].ns >= e - b)
				continue;
			a->calls[k].ns = 0;
			snprintf(a->calls[k].what, sizeof(a->calls[0].what), "%s", what);
		} else if (k == a->ncalls) {
			snprintf(a->calls[a->ncalls++].what, sizeof(a->calls[0].what), "%s", what);
		}
		a->calls[k].ns += e - b;
	}
}

/* Accounts d ns in state st from t0; ended: the interval ended inside the span. */
static void account(const struct fr_window *w, const struct fr_annotate_ctx *c,
		    const struct sysidx *sx, struct tacc *acc, struct cause_acc *causes,
		    enum tstate st, uint64_t t0, uint64_t d, uint32_t who, bool ended,
		    const struct fr_event *last_out, uint64_t out_ts, const struct fr_rec *wake)
{
	char what[200];
	uint32_t nr;
	bool idle;

	switch (st) {
	case ST_RUNNING:
		acc->on_cpu += d;
		if (causes) {
			add_cause(causes, FR_CAUSE_ON_CPU, "on CPU", d, UINT32_MAX, 0);
			if (sx)
				oncpu_in_calls(w, c, sx, causes, t0, t0 + d);
		}
		break;
	case ST_RUNNABLE:
		acc->runnable += d;
		if (causes)
			runnable(causes, who, d);
		break;
	case ST_BLOCKED:
		acc->blocked += d;
		if (ended)
			acc->blocked_ended += d;
		if (causes) {
			blocked_cause(c, w, sx, last_out, last_out ? out_ts : c->span_start, what,
				      sizeof(what), &nr, &idle);
			if (wake && c->ignore_pid && wake->wk.waker_pid == c->ignore_pid)
				idle = true;
			add_cause_of(causes, FR_CAUSE_BLOCKED, what, d, nr, 0, idle);
		}
		break;
	default:
		break;
	}
}

/* Replays thread tid over the span. causes (and sx) may be NULL. */
static void replay(const struct fr_window *w, const struct fr_annotate_ctx *c, uint32_t tid,
		   struct tacc *acc, struct cause_acc *causes, const struct sysidx *sx)
{
	uint64_t S = c->span_start, E = c->span_end, since = S;
	enum tstate st = ST_UNKNOWN;
	const struct fr_event *last_out = NULL;
	uint64_t out_ts = 0;
	uint32_t other = 0, last_prev = 0;

	for (size_t i = 0; i < w->nr_events; i++) {
		const struct fr_event *e = &w->events[i];
		const struct fr_rec *r = &e->rec;
		enum tstate next = st;
		uint64_t t = r->ts;

		if (r->type == FR_REC_SYSCALL && r->tid == tid && r->pid == c->pid &&
		    fr_an_overlap(fr_an_sys_begin(r), r->ts, S, E))
			acc->syscalls++;
		if (r->type == FR_REC_SWITCH && r->tid == tid && r->pid == c->pid) {
			next = (r->flags & FR_SW_PREEMPT) ? ST_RUNNABLE : ST_BLOCKED;
			if (t > S && t <= E)
				acc->switches++;
		} else if (r->type == FR_REC_SWITCH && r->sw.next_tid == tid &&
			   r->sw.next_pid == c->pid) {
			next = ST_RUNNING;
			last_prev = r->pid;
		} else if (r->type == FR_REC_WAKEUP && r->tid == tid && r->pid == c->pid) {
			if (st == ST_BLOCKED || st == ST_UNKNOWN)
				next = ST_RUNNABLE;
		} else {
			continue;
		}
		if (t > E)
			t = E;
		if (t > S) {
			uint64_t d = t > since ? t - since : 0;

			/* what the unknown start was, judged by the first transition */
			if (st == ST_UNKNOWN) {
				if (next == ST_RUNNING)
					st = ST_RUNNABLE; /* in without a wake-up: it was preempted */
				else if (next == ST_RUNNABLE && r->type == FR_REC_WAKEUP)
					st = ST_BLOCKED;
				else
					st = ST_RUNNING;
			}
			account(w, c, sx, acc, causes, st, since, d,
				other ? other : (next == ST_RUNNING ? last_prev : 0), true, last_out,
				out_ts, r->type == FR_REC_WAKEUP ? r : NULL);
			since = t;
		}
		if (r->type == FR_REC_SWITCH && r->tid == tid) {
			last_out = e;
			out_ts = r->ts;
			other = (r->flags & FR_SW_PREEMPT) ? r->sw.next_pid : 0;
		}
		st = next;
		if (r->ts > E)
			break;
	}
	/* what is left of the span; no transition at all: running if it made
	 * syscalls in the span */
	if (since < E) {
		if (st == ST_UNKNOWN && acc->syscalls)
			st = ST_RUNNING;
		account(w, c, sx, acc, causes, st, since, E - since, other, false, last_out, out_ts, NULL);
	}
}

static int cmp_cause(const void *a, const void *b)
{
	const struct fr_cause *x = a, *y = b;

	return x->ns < y->ns ? 1 : x->ns > y->ns ? -1 : 0;
}

static int cmp_call_cpu(const void *a, const void *b)
{
	const struct fr_call_cpu *x = a, *y = b;

	return x->ns < y->ns ? 1 : x->ns > y->ns ? -1 : 0;
}

static int cmp_thread(const void *a, const void *b)
{
	const struct fr_thread_evidence *x = a, *y = b;

	return x->score < y->score ? 1 : x->score > y->score ? -1 : 0;
}

static int cmp_sys(const void *a, const void *b)
{
	const struct fr_syscall_stat *x = a, *y = b;

	return x->total_ns < y->total_ns ? 1 : x->total_ns > y->total_ns ? -1 : 0;
}

static int add_tid(uint32_t **tids, size_t *n, size_t *cap, uint32_t tid)
{
	for (size_t i = 0; i < *n; i++)
		if ((*tids)[i] == tid)
			return 0;
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		uint32_t *p = realloc(*tids, nc * sizeof(**tids));

		if (!p)
			return -ENOMEM;
		*tids = p;
		*cap = nc;
	}
	(*tids)[(*n)++] = tid;
	return 0;
}

/* How near the span's start or end a thread's activity counts as at it:
 * span times come from the SDK's clock, mapped onto the kernel's. */
#define AT_INSTANT_NS 3000000ull
/* The request arrives before the span starts (it is read and parsed
 * first) and the answer leaves after it ends, by more when the process is
 * busy or the SDK's clock drifts: the strong signs of either (a wake-up
 * from outside, a wake-up of another process) count further out on that
 * side. */
#define AT_OUTSIDE_NS 25000000ull

/* A ranking key: the best evidence first, then the nearest to the instant. */
#define EVIDENCE_STRONG 0ull
#define EVIDENCE_WEAK (1ull << 40)

/*
 * How well thread tid of the span's process fits as the one that took the
 * request (start) or answered it (!start), near instant t (within
 * AT_INSTANT_NS, strong signs within AT_OUTSIDE_NS on the outer side):
 * strongest when, at the start, a task of another process
 * or the network woke it (the request arrived), or, at the end, it woke a
 * task of another process (the answer went out); weaker when it merely
 * came to work (left a syscall, was switched in). Entering a wait is not
 * coming to work. UINT64_MAX when nothing fits; at the start also when a
 * thread of its own process woke it there (a helper handed work). Lower
 * is better.
 */
static uint64_t fit_at(const struct fr_window *w, const struct fr_annotate_ctx *c, uint32_t tid,
		       uint64_t t, bool start)
{
	uint64_t before = start ? AT_OUTSIDE_NS : AT_INSTANT_NS;
	uint64_t lo = t > before ? t - before : 0, hi = t + (start ? AT_INSTANT_NS : AT_OUTSIDE_NS);
	uint64_t best = UINT64_MAX;
	bool arrived = false; /* the request reached it before any helper's hand-off */

	for (size_t i = fr_an_first_event_from(w, lo); i < w->nr_events; i++) {
		const struct fr_rec *r = &w->events[i].rec;
		uint64_t d, key = EVIDENCE_WEAK;

		if (r->ts > hi)
			break;
		d = r->ts > t ? r->ts - t : t - r->ts;
		if (r->type == FR_REC_WAKEUP && r->tid == tid && r->pid == c->pid) {
			bool sibling = r->wk.waker_pid == c->pid && r->wk.waker_tid != tid &&
				       !(r->flags & (FR_WK_HARDIRQ | FR_WK_TIMER | FR_WK_SOFTIRQ));
			/* another process's task, not the kernel's own work (an
			 * I/O completing for a thread of its own) */
			bool outside = r->wk.waker_pid != c->pid && fr_wake_by_task(r) &&
				       !(r->flags & FR_WK_KTHREAD);
			bool net = (r->flags & FR_WK_SOFTIRQ) && r->wk.ctx == FR_SOFTIRQ_NET_RX;

			/* handed work by a helper before anything came in: a
			 * helper itself (a pool's thread handing back its
			 * result after the request came in is not) */
			if (start && sibling && !arrived && d <= AT_INSTANT_NS)
				return UINT64_MAX;
			if (start && (outside || net)) {
				key = EVIDENCE_STRONG;
				arrived = true;
			}
		} else if (r->type == FR_REC_WAKEUP && r->wk.waker_tid == tid &&
			   r->wk.waker_pid == c->pid && r->pid != c->pid) {
			if (start)
				continue;
			key = EVIDENCE_STRONG; /* it woke another process: the answer */
		} else if (!(r->type == FR_REC_SYSCALL && r->tid == tid && r->pid == c->pid) &&
			   !(r->type == FR_REC_SWITCH && r->sw.next_tid == tid &&
			     r->sw.next_pid == c->pid)) {
			continue;
		}
		if (key == EVIDENCE_WEAK && d > AT_INSTANT_NS)
			continue; /* merely at work: only right at the instant */
		if (key + d < best)
			best = key + d;
	}
	return best;
}

/*
 * Marks the thread that took the request and the one that answered it
 * (fit_at). Nearness, not the exact instants: the SDK's
 * clock drifts from the kernel's by up to a millisecond or so.
 */
static void mark_at_instants(const struct fr_window *w, const struct fr_annotate_ctx *c,
			     struct fr_thread_evidence *t, size_t nt)
{
	uint64_t bs = UINT64_MAX, be = UINT64_MAX;
	size_t is = nt, ie = nt;

	for (size_t i = 0; i < nt; i++) {
		uint64_t s = fit_at(w, c, t[i].tid, c->span_start, true);
		uint64_t e = fit_at(w, c, t[i].tid, c->span_end, false);

		if (s < bs) {
			bs = s;
			is = i;
		}
		if (e < be) {
			be = e;
			ie = i;
		}
	}
	if (is < nt) {
		t[is].at_start = true;
		t[is].strong_start = bs < EVIDENCE_WEAK;
	}
	if (ie < nt) {
		t[ie].at_end = true;
		t[ie].strong_end = be < EVIDENCE_WEAK;
	}
}

/* The process's syscall summary within the span, largest total first, and
 * the focus thread's slowest syscalls. 0 or -ENOMEM. */
static int syscall_summary(const struct fr_window *w, const struct fr_annotate_ctx *c,
			   struct fr_evidence *ev)
{
	struct fr_syscall_stat by_nr[512] = { 0 };
	size_t n = 0;

	for (size_t i = 0; i < w->nr_events; i++) {
		const struct fr_rec *r = &w->events[i].rec;
		uint64_t d;

		if (r->type == FR_REC_SYSSUM && r->pid == c->pid && r->aux < 512 &&
		    fr_an_overlap(r->ts - (uint64_t)(uint32_t)r->sys.ret, r->ts, c->span_start,
				  c->span_end)) {
			/* --syscalls slow: fast calls, summed; their share of
			 * the span's, by how much of their time it covers */
			uint64_t len = (uint32_t)r->sys.ret ? (uint32_t)r->sys.ret : 1;
			uint64_t in = fr_an_overlap(r->ts - (uint32_t)r->sys.ret, r->ts, c->span_start,
						    c->span_end);

			by_nr[r->aux].nr = r->aux;
			by_nr[r->aux].count += (r->sys.arg0 * in + len / 2) / len;
			by_nr[r->aux].total_ns += (uint64_t)r->sys.dur * in / len;
			continue;
		}
		if (r->type != FR_REC_SYSCALL || r->pid != c->pid ||
		    !fr_an_overlap(fr_an_sys_begin(r), r->ts, c->span_start, c->span_end) || r->aux >= 512)
			continue;
		d = fr_rec__sys_dur(r);
		by_nr[r->aux].nr = r->aux;
		by_nr[r->aux].count++;
		by_nr[r->aux].total_ns += d;
		if (d > by_nr[r->aux].max_ns)
			by_nr[r->aux].max_ns = d;
		if (r->tid == ev->focus_tid && !(r->flags & FR_SYS_NO_ENTRY)) {
			/* keep the FR_MAX_SLOW longest, by insertion */
			size_t k = ev->nr_slow < FR_MAX_SLOW ? ev->nr_slow++ : FR_MAX_SLOW;

			if (k == FR_MAX_SLOW) {
				if (d <= fr_rec__sys_dur(&w->events[ev->slow[FR_MAX_SLOW - 1]].rec))
					continue;
				k = FR_MAX_SLOW - 1;
			}
			while (k > 0 && fr_rec__sys_dur(&w->events[ev->slow[k - 1]].rec) < d) {
				ev->slow[k] = ev->slow[k - 1];
				k--;
			}
			ev->slow[k] = i;
		}
	}
	for (int i = 0; i < 512; i++)
		n += by_nr[i].count > 0;
	ev->syscalls = calloc(n + 1, sizeof(*ev->syscalls));
	if (!ev->syscalls)
		return -ENOMEM;
	for (int i = 0; i < 512; i++)
		if (by_nr[i].count)
			ev->syscalls[ev->nr_syscalls++] = by_nr[i];
	qsort(ev->syscalls, ev->nr_syscalls, sizeof(*ev->syscalls), cmp_sys);
	return 0;
}

/*
 * On-CPU time of the span's thread spent inside one syscall (the chain's
 * "on CPU in write(fd 3 = /x)" stretches): its description when that is
 * most of the on-CPU time, so that a large write reads as such.
 */
static bool oncpu_in_syscall(const struct fr_evidence *ev, uint64_t oncpu_ns, char *buf,
			     size_t len)
{
	const struct fr_chain *ch = &ev->chain;
	uint64_t best = 0;

	for (size_t i = 0; i < ch->n; i++) {
		const struct fr_chain_seg *s = &ch->seg[i];
		uint64_t ns = 0;

		if (s->depth || s->state != FR_SEG_RUNNING || s->nr == UINT32_MAX)
			continue;
		for (size_t k = i; k < ch->n; k++)
			if (!ch->seg[k].depth && ch->seg[k].state == FR_SEG_RUNNING &&
			    !strcmp(ch->seg[k].what, s->what))
				ns += ch->seg[k].end - ch->seg[k].start;
		if (ns > best) {
			best = ns;
			snprintf(buf, len, "%s", s->what);
		}
	}
	return best * 2 > oncpu_ns;
}

/*
 * The time in a call is the time blocked in it and on CPU in it: where
 * the thread was on CPU the most, but one call it also blocked in took
 * more, counting its time on CPU, than the rest of the on-CPU time (an
 * fsync loop on a fast disk: a third blocked, a third on CPU in fsync, a
 * third in the application), that call comes first.
 */
static void call_first(struct fr_evidence *ev)
{
	size_t best = 0;
	uint64_t best_ns = 0, best_cpu = 0;

	if (!ev->nr_causes || ev->causes[0].kind != FR_CAUSE_ON_CPU)
		return;
	for (size_t i = 1; i < ev->nr_causes; i++) {
		const struct fr_cause *b = &ev->causes[i];

		if (b->kind != FR_CAUSE_BLOCKED || !fr_an_names_call(b->what))
			continue;
		for (size_t j = 0; j < ev->nr_call_cpu; j++) {
			uint64_t cpu = ev->call_cpu[j].ns < ev->causes[0].ns ? ev->call_cpu[j].ns
									      : ev->causes[0].ns;

			if (!strcmp(ev->call_cpu[j].what, b->what) &&
			    b->ns + cpu > ev->causes[0].ns - cpu && b->ns + cpu > best_ns) {
				best = i;
				best_ns = b->ns + cpu;
				best_cpu = cpu;
			}
		}
	}
	if (!best)
		return;
	{
		struct fr_cause top = ev->causes[best];

		memmove(&ev->causes[1], &ev->causes[0], best * sizeof(ev->causes[0]));
		ev->causes[0] = top;
		ev->top_cpu_ns = best_cpu;
	}
}

/* The one-line verdict from the causes (nt: threads found). */
static void make_verdict(const struct fr_annotate_ctx *c, size_t nt, struct fr_evidence *ev)
{
	char sys[160];

	char dur[32], part[300];

	fr_fmt_duration(ev->span_ns, dur, sizeof(dur));
	if (!nt || !ev->nr_causes) {
		snprintf(ev->verdict, sizeof(ev->verdict),
			 "no kernel activity recorded for pid %u during the %s span", c->pid,
			 dur);
	} else {
		const struct fr_cause *top = &ev->causes[0];
		uint64_t top_ns = top->ns + ev->top_cpu_ns;
		unsigned pct = ev->span_ns ? (unsigned)((top_ns * 100 + ev->span_ns / 2) /
							ev->span_ns) : 0;

		if (pct > 100)
			pct = 100;
		if (ev->top_cpu_ns) {
			char cpu[32];

			fr_fmt_duration(ev->top_cpu_ns, cpu, sizeof(cpu));
			snprintf(part, sizeof(part), "%u%% of %s in %s (%s of it on CPU)", pct,
				 dur, top->what, cpu);
		} else if (top->kind == FR_CAUSE_BLOCKED && fr_an_is_fault_cause(top->what))
			snprintf(part, sizeof(part), "%u%% of %s in %s (%u fault%s that waited)", pct,
				 dur, top->what, top->count, top->count == 1 ? "" : "s");
		else if (top->kind == FR_CAUSE_BLOCKED)
			snprintf(part, sizeof(part), "%u%% of %s %s%s", pct, dur,
				 fr_an_names_call(top->what) ? "blocked in " : "", top->what);
		else if (top->kind == FR_CAUSE_RUNNABLE || top->kind == FR_CAUSE_THROTTLED ||
			 top->kind == FR_CAUSE_STALL)
			snprintf(part, sizeof(part), "%u%% of %s %s", pct, dur, top->what);
		else if (oncpu_in_syscall(ev, top->ns, sys, sizeof(sys)))
			snprintf(part, sizeof(part), "%u%% of %s %s (thread %u %s)", pct, dur, sys,
				 ev->focus_tid, ev->threads[0].name);
		else
			snprintf(part, sizeof(part), "%u%% of %s on CPU (thread %u %s)", pct, dur,
				 ev->focus_tid, ev->threads[0].name);
		if (c->missing_ns) {
			char miss[32];

			fr_fmt_duration(c->missing_ns, miss, sizeof(miss));
			snprintf(ev->verdict, sizeof(ev->verdict),
				 "%s (the first %s of the span were no longer in the rings)",
				 part, miss);
		} else {
			snprintf(ev->verdict, sizeof(ev->verdict), "%s", part);
		}
	}
}

/* "thread 602 (worker-2)" of the span's process, else "pid 900 (inventory)"
 * (with its thread when that is not the process's main one). */
static void task_words(const struct fr_annotate_ctx *c, uint32_t pid, uint32_t tid, char *buf,
		       size_t len)
{
	char name[32];

	task_name(c, pid, tid, name, sizeof(name));
	if (pid == c->pid)
		snprintf(buf, len, "thread %u (%s)", tid, name);
	else if (pid == tid || !pid)
		snprintf(buf, len, "pid %u (%s)", pid ? pid : tid, name);
	else
		snprintf(buf, len, "pid %u thread %u (%s)", pid, tid, name);
}

/* " until pid 811 (flock) woke it" for a wait s that a task ended; " held
 * by pid 811 (flock)" when the wait was for a file lock. */
static void waker_words(const struct fr_annotate_ctx *c, const struct fr_chain_seg *s, char *buf,
			size_t len)
{
	char who[96];

	task_words(c, s->waker_pid, s->waker_tid, who, sizeof(who));
	snprintf(buf, len, s->lock ? " held by %s" : " until %s woke it", who);
}

/* " until pid 811 (flock) woke it", " until a timer fired", or "" for a
 * blocked segment s. */
static void ender_words(const struct fr_annotate_ctx *c, const struct fr_chain_seg *s, char *buf,
			size_t len)
{
	buf[0] = '\0';
	if (s->state != FR_SEG_BLOCKED)
		return;
	if (s->irq && strstr(s->what, " was ready")) {
		/* "until fd 21 (tcp a → b) was ready" says it already; a loop's
		 * waits joined into one may have ended last on a timer */
		return;
	} else if (s->irq) {
		snprintf(buf, len, " until %s", fr_chain__irq_words(s->irq));
	} else if (s->waker_tid) {
		waker_words(c, s, buf, len);
	}
}

/* What a segment was in, on CPU or blocked alike: "fsync(/x)" for both
 * "on CPU in fsync(/x)" and "fsync(/x)". */
static const char *seg_res(const struct fr_chain_seg *s)
{
	return !strncmp(s->what, "on CPU in ", 10) ? s->what + 10 : s->what;
}

/* The longest blocked segment of tid in res, or NULL. */
static const struct fr_chain_seg *longest_wait(const struct fr_chain *ch, uint32_t tid,
					       const char *res)
{
	const struct fr_chain_seg *best = NULL;

	for (size_t k = 0; k < ch->n; k++) {
		const struct fr_chain_seg *s = &ch->seg[k];

		if (s->depth && s->tid == tid && s->state == FR_SEG_BLOCKED &&
		    !strcmp(seg_res(s), res) && (!best || s->end - s->start > best->end - best->start))
			best = s;
	}
	return best;
}

/* Of the hand-offs at depth d (of task tid, or any when 0; in wait what,
 * or any when NULL), the one with the most time below it, or NULL. */
static const struct fr_chain_seg *heaviest_handoff(const struct fr_chain *ch, uint8_t d,
						   uint32_t tid, const char *what)
{
	const struct fr_chain_seg *best = NULL;
	uint64_t best_ns = 0;

	for (size_t i = 0; i < ch->n; i++) {
		const struct fr_chain_seg *h = &ch->seg[i];
		uint64_t ns = 0;

		if (!h->handoff || h->depth != d || (tid && h->tid != tid) ||
		    (what && strcmp(h->what, what)))
			continue;
		for (size_t j = i + 1; j < ch->n && ch->seg[j].depth > d; j++)
			ns += ch->seg[j].end - ch->seg[j].start;
		if (!best || ns > best_ns) {
			best = h;
			best_ns = ns;
		}
	}
	return best;
}

/*
 * The threads of one process below the span's thread that were in one
 * resource (a thread pool's workers each reading a part of one file, the
 * span's thread woken by each in turn): their tids, the busiest first, and
 * the wall time at least one of them was in it.
 */
#define GROUP_MAX 8
struct group {
	uint32_t pid, tids[GROUP_MAX];
	uint64_t ns[GROUP_MAX];
	size_t n;
	bool more;     /* more threads than kept */
	uint64_t wall;
};

struct span_iv {
	uint64_t a, b;
};

static int cmp_iv(const void *x, const void *y)
{
	const struct span_iv *p = x, *q = y;

	return p->a < q->a ? -1 : p->a > q->a;
}

/* The length of the union of iv[0..n) (sorted here). */
static uint64_t union_ns(struct span_iv *iv, size_t n)
{
	uint64_t ns = 0, a = 0, b = 0;

	qsort(iv, n, sizeof(*iv), cmp_iv);
	for (size_t i = 0; i < n; i++) {
		if (i && iv[i].a <= b) {
			if (iv[i].b > b)
				b = iv[i].b;
			continue;
		}
		ns += b - a;
		a = iv[i].a;
		b = iv[i].b;
	}
	return ns + (b - a);
}

static void group_add(struct group *g, uint32_t tid, uint64_t ns)
{
	size_t k;

	for (k = 0; k < g->n && g->tids[k] != tid; k++)
		;
	if (k == g->n) {
		if (g->n == GROUP_MAX) {
			g->more = true;
			return;
		}
		g->tids[g->n++] = tid;
	}
	g->ns[k] += ns;
}

/* Is s inside a call or a wait (something threads can share: a file, a
 * lock), not a bare state such as "on CPU" or "waiting for CPU"? */
static bool in_call(const struct fr_chain_seg *s)
{
	return s->state == FR_SEG_BLOCKED || seg_res(s) != s->what;
}

/*
 * The tasks one wake-up below the span's thread, each once, with the time
 * of the chain below the span's thread each stood in for (its runs and
 * all deeper in them): one pass over the chain, for the verdict to look
 * up rather than rescan (a pool's chain has thousands of hand-offs).
 */
#define FIRST_MAX 64
struct firsts {
	struct {
		uint32_t pid, tid;
		uint64_t ns;
	} t[FIRST_MAX];
	size_t n;
	bool more; /* more tasks than kept: the rest not looked up */
};

static void firsts_of(const struct fr_chain *ch, struct firsts *f)
{
	size_t cur = FIRST_MAX; /* the depth-1 task owning the segments now */

	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < ch->n; i++) {
		const struct fr_chain_seg *s = &ch->seg[i];

		if (!s->depth) {
			cur = FIRST_MAX;
			continue;
		}
		if (cur == FIRST_MAX && s->depth == 1) {
			for (cur = 0; cur < f->n && f->t[cur].tid != s->tid; cur++)
				;
			if (cur == f->n) {
				if (f->n == FIRST_MAX) {
					f->more = true;
					cur = FIRST_MAX;
					continue;
				}
				f->t[f->n].pid = s->pid;
				f->t[f->n++].tid = s->tid;
			}
		}
		if (cur < FIRST_MAX)
			f->t[cur].ns += s->end - s->start;
	}
}

/* Did s's thread wake the span's thread, beside another thread of its
 * process that did too (a pool handing back its work in turn)? */
static bool pool_member(const struct firsts *f, const struct fr_chain_seg *s)
{
	if (s->depth != 1)
		return false;
	for (size_t k = 0; k < f->n; k++)
		if (f->t[k].pid == s->pid && f->t[k].tid != s->tid)
			return true;
	return false;
}

/*
 * How s counts with others: inside a call or a wait, with its process's
 * threads in the same one (a file, a lock); in a bare state ("on CPU",
 * "waiting for CPU") alone (unrelated threads on CPU do no shared work),
 * except a pool's threads that each woke the span's thread, computing for
 * it in turn: with the pool's others in that state (*pool_only).
 * Returns the thread it counts alone for, else 0.
 */
static uint32_t grouping(const struct firsts *f, const struct fr_chain_seg *s, bool *pool_only)
{
	*pool_only = false;
	if (in_call(s))
		return 0;
	if (pool_member(f, s)) {
		*pool_only = true;
		return 0;
	}
	return s->tid;
}

/* The group of process pid's threads in res at depth >= 1 (only_tid: of
 * that thread alone, 0: of every thread; pool_only: of its threads at
 * depth 1 alone); iv: room for ch->n intervals. */
static void group_of(const struct fr_chain *ch, uint32_t pid, uint32_t only_tid, bool pool_only,
		     const char *res, struct span_iv *iv, struct group *g)
{
	size_t n = 0;

	memset(g, 0, sizeof(*g));
	g->pid = pid;
	for (size_t k = 0; k < ch->n; k++) {
		const struct fr_chain_seg *s = &ch->seg[k];

		if (!s->depth || s->pid != pid || (only_tid && s->tid != only_tid) ||
		    (pool_only && (s->depth != 1 || s->handoff)) || strcmp(seg_res(s), res))
			continue;
		group_add(g, s->tid, s->end - s->start);
		iv[n++] = (struct span_iv){ s->start, s->end };
	}
	g->wall = union_ns(iv, n);
	/* busiest first */
	for (size_t i = 1; i < g->n; i++)
		for (size_t j = i; j > 0 && g->ns[j] > g->ns[j - 1]; j--) {
			uint64_t t = g->ns[j];
			uint32_t u = g->tids[j];

			g->ns[j] = g->ns[j - 1];
			g->ns[j - 1] = t;
			g->tids[j] = g->tids[j - 1];
			g->tids[j - 1] = u;
		}
}

/* "threads 602, 603 and 604 (node)" of the span's process, else "pid 900
 * threads 901 and 902 (inventory)"; a group of one in task_words' words. */
static void group_words(const struct fr_annotate_ctx *c, const struct group *g, char *buf,
			size_t len)
{
	char name[32];
	size_t used;

	if (g->n == 1 && !g->more) {
		task_words(c, g->pid, g->tids[0], buf, len);
		return;
	}
	task_name(c, g->pid, g->tids[0], name, sizeof(name));
	used = (size_t)snprintf(buf, len, g->pid == c->pid ? "threads " : "pid %u threads ", g->pid);
	for (size_t i = 0; i < g->n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%u",
					 !i ? "" : i + 1 == g->n && !g->more ? " and " : ", ",
					 g->tids[i]);
	if (used < len)
		snprintf(buf + used, len - used, "%s (%s)", g->more ? " and others" : "", name);
}

/* Is tid among g's threads? */
static bool in_group(const struct group *g, uint32_t tid)
{
	for (size_t i = 0; i < g->n; i++)
		if (g->tids[i] == tid)
			return true;
	return false;
}

/* The time of the chain below the span's thread that g's threads stood in
 * for at depth 1 (their runs, and all deeper in them): the wall time, in
 * iv (room for ch->n); without iv, the sum (one thread's do not overlap). */
static uint64_t group_subtree_ns(const struct fr_chain *ch, const struct group *g,
				 struct span_iv *iv)
{
	uint32_t owner = 0;
	uint64_t ns = 0;
	size_t n = 0;

	for (size_t i = 0; i < ch->n; i++) {
		const struct fr_chain_seg *s = &ch->seg[i];

		if (!s->depth) {
			owner = 0;
			continue;
		}
		if (!owner && s->depth == 1)
			owner = s->tid;
		if (!owner || !in_group(g, owner))
			continue;
		if (iv)
			iv[n++] = (struct span_iv){ s->start, s->end };
		else
			ns += s->end - s->start;
	}
	return iv ? union_ns(iv, n) : ns;
}


/*
 * For a root on CPU outside any known call (without syscall hooks, the
 * time between what blocks and what was sampled): the call g's threads
 * were seen in on CPU the longest, as "; 40 ms of that seen in
 * read(/x)", when that was a tenth of root_ns or more; else "".
 */
static void sampled_call_words(const struct fr_chain *ch, const struct group *g,
			       uint64_t root_ns, char *buf, size_t len)
{
	const char *best = NULL;
	uint64_t best_ns = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ch->n; i++) {
		const struct fr_chain_seg *s = &ch->seg[i];
		uint64_t ns = 0;

		if (!s->depth || s->pid != g->pid || s->state != FR_SEG_RUNNING ||
		    seg_res(s) == s->what || !in_group(g, s->tid) ||
		    (best && !strcmp(best, seg_res(s))))
			continue;
		for (size_t k = i; k < ch->n; k++)
			if (ch->seg[k].depth && ch->seg[k].pid == g->pid &&
			    ch->seg[k].state == FR_SEG_RUNNING && in_group(g, ch->seg[k].tid) &&
			    !strcmp(seg_res(&ch->seg[k]), seg_res(s)))
				ns += ch->seg[k].end - ch->seg[k].start;
		if (ns > best_ns) {
			best_ns = ns;
			best = seg_res(s);
		}
	}
	if (best && best_ns * 10 >= root_ns) { /* not a stray sample's */
		char dur[32];

		fr_fmt_duration(best_ns, dur, sizeof(dur));
		snprintf(buf, len, "; %s of that seen in %s", dur, best);
	}
}

/*
 * Who held the CPU while g's threads waited for it in the span, as the
 * span's own thread's wait is told: ": preempted by pid 900 (cpuhog) and 2
 * others"; "" when nobody is known.
 */
static void preemptor_words(const struct fr_window *w, const struct fr_annotate_ctx *c,
			    const struct group *g, char *buf, size_t len)
{
	struct fr_annotate_ctx rc = *c;
	struct cause_acc *a = calloc(1, sizeof(*a));
	struct sysidx none = { NULL, 0 };
	const char *p;

	buf[0] = '\0';
	if (!a)
		return;
	rc.pid = g->pid;
	for (size_t i = 0; i < g->n; i++) {
		struct tacc acc = { .tid = g->tids[i] };

		replay(w, &rc, g->tids[i], &acc, a, &none);
	}
	name_runnable(w, &rc, a, g->tids, g->n, 0);
	for (size_t i = 0; i < a->n; i++)
		if (a->c[i].kind == FR_CAUSE_RUNNABLE && (p = strstr(a->c[i].what, ": preempted by")))
			snprintf(buf, len, "%s", p);
	free(a);
}

/*
 * The wake-up chain in words, after the verdict: who ended the span's
 * thread's waits (the first link: the task one wake-up down that stood in
 * for the most), what that task itself waited in and for whom when the
 * chain went deeper, and where the time went at the end of the chain (the
 * root: the task and resource below the span's thread that took the most
 * time, with what ended it when it was a wait). Without a first link that
 * stood in for a fifth of the span, who or what ended the span thread's
 * longest wait.
 */
#define SEEN_MAX 512
static void chain_clause(const struct fr_window *w, const struct fr_annotate_ctx *c,
			 struct fr_evidence *ev)
{
	const struct fr_chain *ch = &ev->chain;
	const struct fr_chain_seg *root = NULL, *first = NULL, *own = NULL, *hand;
	uint64_t root_ns = 0, first_ns = 0;
	char dur[32], fw[160], lead[200], rw[160], hw[128], end[160], clause[1024];
	struct span_iv *iv = malloc((ch->n ? ch->n : 1) * sizeof(*iv));
	struct firsts *f = malloc(sizeof(*f));
	/* each (process, thread or not, pool or not, resource) looked at once */
	struct seen_key {
		uint32_t pid, only;
		bool pool_only;
		const char *res;
	} *seen = malloc(SEEN_MAX * sizeof(*seen));
	size_t nseen = 0;
	uint32_t first_tid = 0;
	struct group rg = { 0 }, g;
	bool pool = false; /* the root is several threads, which woke the span's thread */
	const char *res;
	size_t used = strlen(ev->verdict);
	unsigned pct;
	bool in, same;

	if (!iv || !f || !seen) {
		free(iv);
		free(f);
		free(seen);
		return; /* no memory: the verdict stays without its chain */
	}
	firsts_of(ch, f);
	for (size_t k = 0; k < f->n; k++)
		if (f->t[k].ns > first_ns) {
			first_ns = f->t[k].ns;
			first_tid = f->t[k].tid;
		}
	for (size_t i = 0; i < ch->n; i++) {
		const struct fr_chain_seg *s = &ch->seg[i];
		bool pool_only;
		uint32_t only;
		uint64_t ns;
		size_t k;

		if (s->handoff)
			continue;
		if (!s->depth) {
			/* the recorder answering the span's export explains
			 * nothing; a wait other than the verdict's is not its end */
			if (s->state == FR_SEG_BLOCKED &&
			    (!c->ignore_pid || s->waker_pid != c->ignore_pid) &&
			    !strcmp(s->what, ev->causes[0].what) &&
			    (!own || s->end - s->start > own->end - own->start))
				own = s;
			continue;
		}
		if (!first && s->depth == 1 && s->tid == first_tid)
			first = s;
		/* each (process, call or wait) once, its threads together (see
		 * grouping) */
		only = grouping(f, s, &pool_only);
		for (k = 0; k < nseen; k++)
			if (seen[k].pid == s->pid && seen[k].only == only &&
			    seen[k].pool_only == pool_only && !strcmp(seen[k].res, seg_res(s)))
				break;
		if (k < nseen)
			continue;
		if (nseen == SEEN_MAX)
			continue; /* more kinds than looked at: the rest left out */
		seen[nseen++] = (struct seen_key){ s->pid, only, pool_only, seg_res(s) };
		group_of(ch, s->pid, only, pool_only, seg_res(s), iv, &g);
		ns = g.n > 1 ? g.wall : g.ns[0];
		if (ns > root_ns || (ns == root_ns && root && s->depth > root->depth)) {
			root_ns = ns;
			root = s;
			rg = g;
		}
	}
	free(seen);
	free(f);
	if (root && rg.n > 1) {
		/* a pool: its threads woke the span's thread in turn */
		for (size_t i = 0; i < ch->n && !pool; i++)
			pool = ch->seg[i].depth == 1 && in_group(&rg, ch->seg[i].tid);
		if (pool) {
			uint64_t ns = group_subtree_ns(ch, &rg, iv);

			if (ns >= first_ns)
				first_ns = ns;
			else
				pool = false;
		}
		/* name the root by its busiest thread */
		for (size_t i = 0; i < ch->n; i++)
			if (ch->seg[i].depth && ch->seg[i].tid == rg.tids[0] &&
			    !strcmp(seg_res(&ch->seg[i]), seg_res(root))) {
				root = &ch->seg[i];
				break;
			}
	}
	free(iv);
	if (!first || first_ns * 5 < ev->span_ns) {
		/* nobody below, or only briefly (the request's sender at the
		 * span's edge): say what ended the longest wait; when the
		 * verdict's own wait went on into a task (the last part of a
		 * wait its loop's timers split), who that was */
		if (own) {
			ender_words(c, own, end, sizeof(end));
			snprintf(ev->verdict + used, sizeof(ev->verdict) - used, "%s", end);
		} else if ((hand = heaviest_handoff(ch, 0, 0, ev->causes[0].what))) {
			task_words(c, hand->waker_pid, hand->waker_tid, fw, sizeof(fw));
			snprintf(ev->verdict + used, sizeof(ev->verdict) - used,
				 used >= 10 && !strcmp(ev->verdict + used - 10, " was ready")
					 ? ", woken by %s"
					 : " until %s woke it",
				 fw);
		}
		return;
	}
	if (pool)
		group_words(c, &rg, fw, sizeof(fw));
	else
		task_words(c, first->pid, first->tid, fw, sizeof(fw));
	/* "until fd 34 (...) was ready" says when already: then who */
	snprintf(lead, sizeof(lead),
		 used >= 10 && !strcmp(ev->verdict + used - 10, " was ready") ? ", woken by %s"
									      : " until %s woke it",
		 fw);
	group_words(c, &rg, rw, sizeof(rw));
	fr_fmt_duration(root_ns, dur, sizeof(dur));
	snprintf(ev->chain_first, sizeof(ev->chain_first), "%s", fw);
	res = seg_res(root);
	in = in_call(root);
	/* a pool's root without its threads' count, which changes from one
	 * request to the next (the signature keys on it) */
	if (rg.n > 1) {
		char name[32];

		task_name(c, rg.pid, rg.tids[0], name, sizeof(name));
		snprintf(ev->chain_root, sizeof(ev->chain_root), "threads of pid %u (%s) %s%s",
			 rg.pid, name, in ? "in " : "", res);
	} else {
		snprintf(ev->chain_root, sizeof(ev->chain_root), "%.96s %s%.160s", rw,
			 in ? "in " : "", res);
	}
	ev->chain_root_ns = root_ns;
	ev->chain_root_pid = root->pid;
	ev->chain_root_tid = root->tid;
	ev->nr_chain_root_tids = rg.n;
	memcpy(ev->chain_root_tids, rg.tids, rg.n * sizeof(rg.tids[0]));
	ev->chain_root_running = root->state == FR_SEG_RUNNING && res == root->what;
	pct = (unsigned)((root_ns * 100 + first_ns / 2) / first_ns);
	/* in a syscall (on CPU or blocked alike), else the state itself */
	end[0] = '\0';
	if (longest_wait(ch, root->tid, res))
		ender_words(c, longest_wait(ch, root->tid, res), end, sizeof(end));
	else if (root->state == FR_SEG_RUNNABLE)
		preemptor_words(w, c, &rg, end, sizeof(end));
	else if (!in)
		sampled_call_words(ch, &rg, root_ns, end, sizeof(end));
	same = pool || root->tid == first->tid;
	hand = same ? NULL : heaviest_handoff(ch, 1, first->tid, NULL);
	if (!hand) {
		if (same)
			snprintf(clause, sizeof(clause),
				 "%s, which spent %u%% of it (%s) %s%s%s", lead,
				 pct > 100 ? 100 : pct, dur, in ? "in " : "", res, end);
		else
			snprintf(clause, sizeof(clause),
				 "%s; down its chain %s %s %s%s for %s%s", lead, rw,
				 rg.n > 1 ? "were" : "was", in ? "in " : "", res, dur, end);
	} else {
		/* the first link waited too: in what, for whom, and below that */
		waker_words(c, hand, hw, sizeof(hw));
		if (hand->waker_tid == root->tid && rg.n == 1)
			snprintf(clause, sizeof(clause),
				 "%s, which was in %s%s, which was "
				 "%s%s for %s%s", lead, hand->what, hw, in ? "in " : "", res, dur, end);
		else
			snprintf(clause, sizeof(clause),
				 "%s, which was in %s%s; down the chain "
				 "%s %s %s%s for %s%s", lead, hand->what, hw, rw,
				 rg.n > 1 ? "were" : "was", in ? "in " : "", res, dur, end);
	}
	snprintf(ev->verdict + used, sizeof(ev->verdict) - used, "%s", clause);
}

static int annotate(const struct fr_window *w, const struct fr_annotate_ctx *c,
		    struct fr_evidence *ev)
{
	uint32_t *tids = NULL;
	size_t nt = 0, cap = 0, focus = 0;
	struct cause_acc causes = { 0 };
	struct tacc *acc = NULL;
	int err = -ENOMEM;

	memset(ev, 0, sizeof(*ev));
	ev->span_ns = c->span_end > c->span_start ? c->span_end - c->span_start : 0;
	for (size_t i = 0; i < w->nr_events; i++) {
		const struct fr_rec *r = &w->events[i].rec;

		if (r->pid == c->pid && add_tid(&tids, &nt, &cap, r->tid))
			goto out;
		if (r->type == FR_REC_SWITCH && r->sw.next_pid == c->pid &&
		    add_tid(&tids, &nt, &cap, r->sw.next_tid))
			goto out;
		if (r->type == FR_REC_WAKEUP && r->wk.waker_pid == c->pid &&
		    add_tid(&tids, &nt, &cap, r->wk.waker_tid))
			goto out;
	}
	acc = calloc(nt + 1, sizeof(*acc));
	ev->threads = calloc(nt + 1, sizeof(*ev->threads));
	if (!acc || !ev->threads)
		goto out;
	for (size_t i = 0; i < nt; i++) {
		struct fr_thread_evidence *t = &ev->threads[i];

		acc[i].tid = tids[i];
		replay(w, c, tids[i], &acc[i], NULL, NULL);
		t->tid = tids[i];
		t->on_cpu_ns = acc[i].on_cpu;
		t->runnable_ns = acc[i].runnable;
		t->blocked_ns = acc[i].blocked;
		t->syscalls = acc[i].syscalls;
		t->switches = acc[i].switches;
		/* what mattered: time spent doing or waiting for work that ended in
		 * the span (a thread idle throughout scores nothing) */
		t->score = (double)(acc[i].on_cpu + acc[i].runnable + acc[i].blocked_ended) +
			   1e5 * acc[i].syscalls;
		if (c->hint_tid && (int64_t)tids[i] == c->hint_tid)
			t->score += 1e18; /* the span says which thread it ran on */
		if (c->thread_name)
			c->thread_name(c->ctx, c->pid, tids[i], t->name, sizeof(t->name));
	}
	/* above work: the thread that took the request and answered it, then
	 * the one that took it (a helper is woken by it; who ran last near
	 * the end is the weaker sign), then the one that answered; a strong
	 * sign at either (the request came in to it, its answer went out)
	 * above mere activity at the other (a helper of the runtime at work
	 * as the span began) */
	mark_at_instants(w, c, ev->threads, nt);
	for (size_t i = 0; i < nt; i++) {
		const struct fr_thread_evidence *t = &ev->threads[i];

		ev->threads[i].score += (t->at_start ? (t->strong_start ? 8e16 : 2e16) : 0) +
					(t->at_end ? (t->strong_end ? 6e16 : 1e16) : 0);
	}
	ev->nr_threads = nt;
	qsort(ev->threads, nt, sizeof(*ev->threads), cmp_thread);
	if (nt) {
		ev->focus_tid = ev->threads[0].tid;
		if (c->hint_tid && (int64_t)ev->focus_tid == c->hint_tid)
			snprintf(ev->focus_reason, sizeof(ev->focus_reason),
				 "the span's thread.id attribute");
		else if (ev->threads[0].at_start && ev->threads[0].at_end)
			snprintf(ev->focus_reason, sizeof(ev->focus_reason),
				 "%sthe one active near the span's start and end: it took the request "
				 "and answered (of %zu threads)",
				 c->hint_tid ? "thread.id not in the window; " : "", nt);
		else if (ev->threads[0].at_start || ev->threads[0].at_end)
			snprintf(ev->focus_reason, sizeof(ev->focus_reason),
				 "%sthe one active near the span's %s (of %zu threads)",
				 c->hint_tid ? "thread.id not in the window; " : "",
				 ev->threads[0].at_start ? "start" : "end", nt);
		else
			snprintf(ev->focus_reason, sizeof(ev->focus_reason),
				 "%sthe thread of the process busiest with work that ended in the "
				 "span (of %zu)", c->hint_tid ? "thread.id not in the window: " : "",
				 nt);
		for (size_t i = 0; i < nt; i++)
			if (acc[i].tid == ev->focus_tid)
				focus = i;
		memset(&acc[focus], 0, sizeof(acc[focus]));
		acc[focus].tid = ev->focus_tid;
		{
			size_t *idx = malloc((w->nr_events + 1) * sizeof(size_t));
			struct sysidx sx = { idx, 0 };

			if (!idx)
				goto out;
			for (size_t i = 0; i < w->nr_events; i++)
				if (w->events[i].rec.type == FR_REC_SYSCALL &&
				    w->events[i].rec.tid == ev->focus_tid)
					idx[sx.n++] = i;
			replay(w, c, ev->focus_tid, &acc[focus], &causes, &sx);
			free(idx);
			{
				uint32_t tids[64];
				size_t m = 0;

				for (size_t i = 0; i < nt && m < 64; i++)
					tids[m++] = acc[i].tid;
				name_runnable(w, c, &causes, tids, m, ev->focus_tid);
			}
		}
		qsort(causes.c, causes.n, sizeof(causes.c[0]), cmp_cause);
		memcpy(ev->causes, causes.c, sizeof(causes.c));
		ev->nr_causes = causes.n;
		qsort(causes.calls, causes.ncalls, sizeof(causes.calls[0]), cmp_call_cpu);
		memcpy(ev->call_cpu, causes.calls, sizeof(causes.calls));
		ev->nr_call_cpu = causes.ncalls;
		/* what the chain cannot see, inside those causes */
		if (fr_causes__adjust(w, c, ev))
			goto out;
		qsort(ev->causes, ev->nr_causes, sizeof(ev->causes[0]), cmp_cause);
		call_first(ev);
	}

	if (syscall_summary(w, c, ev))
		goto out;
	if (nt && fr_chain__walk(w, c, ev->focus_tid, FR_CHAIN_MAX_DEPTH, &ev->chain))
		goto out;
	make_verdict(c, nt, ev);
	if (nt && ev->nr_causes && ev->causes[0].kind == FR_CAUSE_BLOCKED)
		chain_clause(w, c, ev);
	err = fr_causes__find(w, c, ev);
	/* read whole above; kept within bounds */
	fr_chain__bound(&ev->chain, ev->span_ns, FR_CHAIN_MAX_SEGS);
out:
	free(tids);
	free(acc);
	if (err)
		fr_evidence__free(ev);
	return err;
}

/* With the names fast calls take from their neighbours worked out once
 * for the window (every description of a call reads them). */
int fr_annotate(const struct fr_window *w, const struct fr_annotate_ctx *c, struct fr_evidence *ev)
{
	struct fr_annotate_ctx with = *c;
	const struct fr_fdname **inherited;
	int err;

	memset(ev, 0, sizeof(*ev));
	if (fr_an_inherited_names(w, &inherited))
		return -ENOMEM;
	with.inherited = inherited;
	err = annotate(w, &with, ev);
	free(inherited);
	return err;
}

void fr_evidence__free(struct fr_evidence *ev)
{
	fr_chain__free(&ev->chain);
	free(ev->threads);
	free(ev->syscalls);
	ev->threads = NULL;
	ev->syscalls = NULL;
	ev->nr_threads = ev->nr_syscalls = 0;
}
