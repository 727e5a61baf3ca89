// SPDX-License-Identifier: MIT
/*
 * snapshot_encode.c - the encode stage (fr_snapshot.h): the work of the
 * earlier stages as a Snapshot message (store/proto), wrapped as .frsnap,
 * and the incident summary.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "fr_frsnap.h"
#include "fr_otlp_pb.h"
#include "fr_syscalls.h"
#include "fr_signature.h"
#include "snapshot_int.h"

typedef Flightrec__Snapshot__V1__Window PbWindow;
typedef Flightrec__Snapshot__V1__Thread PbThread;
typedef Flightrec__Snapshot__V1__Records PbRecords;
typedef Flightrec__Snapshot__V1__Stack PbStack;
typedef Flightrec__Snapshot__V1__Frame PbFrame;
typedef Flightrec__Snapshot__V1__FdPath PbFd;
typedef Flightrec__Snapshot__V1__FdName PbFdName;
typedef Flightrec__Snapshot__V1__SyscallSummary PbSys;
typedef Flightrec__Snapshot__V1__Cause PbCause;
typedef Flightrec__Snapshot__V1__ChainSegment PbSeg;

static int fill_records(struct fr_arena *a, const struct fr_window *w, uint64_t t0, PbRecords *r)
{
	size_t n = w->nr_events;
	uint64_t prev = t0;

	flightrec__snapshot__v1__records__init(r);
	r->type = FR_ANEW(a, uint32_t, n);
	r->ts_delta = FR_ANEW(a, uint64_t, n);
	r->cpu = FR_ANEW(a, uint32_t, n);
	r->tid = FR_ANEW(a, uint32_t, n);
	r->pid = FR_ANEW(a, uint32_t, n);
	r->aux = FR_ANEW(a, uint32_t, n);
	r->flags = FR_ANEW(a, uint32_t, n);
	r->a = FR_ANEW(a, uint64_t, n);
	r->b = FR_ANEW(a, int64_t, n);
	r->c = FR_ANEW(a, uint64_t, n);
	if (!r->type || !r->ts_delta || !r->cpu || !r->tid || !r->pid || !r->aux || !r->flags ||
	    !r->a || !r->b || !r->c)
		return -ENOMEM;
	r->n_type = r->n_ts_delta = r->n_cpu = r->n_tid = r->n_pid = r->n_aux = r->n_flags = n;
	r->n_a = r->n_b = r->n_c = n;
	for (size_t i = 0; i < n; i++) {
		const struct fr_event *e = &w->events[i];
		const struct fr_rec *x = &e->rec;

		r->type[i] = x->type;
		r->ts_delta[i] = x->ts >= prev ? x->ts - prev : 0;
		prev = x->ts >= prev ? x->ts : prev;
		r->cpu[i] = e->cpu;
		r->tid[i] = x->tid;
		r->pid[i] = x->pid;
		r->aux[i] = x->aux;
		r->flags[i] = x->flags;
		switch (x->type) {
		case FR_REC_SYSCALL:
			r->a[i] = fr_rec__sys_dur(x);
			r->b[i] = x->sys.ret;
			r->c[i] = x->sys.arg0;
			break;
		case FR_REC_SWITCH:
			r->a[i] = x->sw.next_tid;
			r->b[i] = x->sw.next_pid;
			r->c[i] = e->stack >= 0 ? (uint64_t)e->stack + 1 : 0;
			break;
		case FR_REC_WAKEUP:
			r->a[i] = x->wk.waker_tid;
			r->b[i] = x->wk.waker_pid;
			break;
		case FR_REC_SAMPLE:
			r->a[i] = x->smp.ip;
			r->c[i] = e->stack >= 0 ? (uint64_t)e->stack + 1 : 0;
			break;
		case FR_REC_FAULT:
			r->a[i] = x->flt.addr;
			r->c[i] = x->flt.pgoff;
			break;
		case FR_REC_STALL:
			r->a[i] = x->stl.dur;
			r->c[i] = x->stl.nr_reclaimed;
			break;
		case FR_REC_SYSSUM:
			r->a[i] = x->sys.dur;
			r->b[i] = x->sys.ret;
			r->c[i] = x->sys.arg0;
			break;
		case FR_REC_RETRANS: {
			uint32_t sa, da;

			memcpy(&sa, x->tcp.saddr, 4);
			memcpy(&da, x->tcp.daddr, 4);
			r->a[i] = sa | (uint64_t)da << 32;
			r->b[i] = x->tcp.sport | (uint32_t)x->tcp.dport << 16;
			break;
		}
		default:
			break;
		}
	}
	return 0;
}

static int fill_stacks(struct fr_snapshotter *s, struct fr_arena *a, const struct fr_window *w,
		       uint32_t pid, PbSnap *snap)
{
	snap->n_stacks = w->nr_stacks;
	snap->stacks = FR_ANEW(a, PbStack *, w->nr_stacks);
	if (!snap->stacks)
		return -ENOMEM;
	for (size_t i = 0; i < w->nr_stacks; i++) {
		const struct fr_stack *st = &w->stacks[i];
		size_t nk = st->nr_kern < FR_STACK_KERN_MAX ? st->nr_kern : FR_STACK_KERN_MAX;
		size_t nu = st->nr_user < FR_STACK_USER_MAX ? st->nr_user : FR_STACK_USER_MAX;
		struct fr_uframe uf[FR_STACK_USER_MAX];
		PbStack *ps = FR_ANEW(a, PbStack, 1);

		if (!ps)
			return -ENOMEM;
		flightrec__snapshot__v1__stack__init(ps);
		ps->tid = st->tid;
		ps->frames = FR_ANEW(a, PbFrame *, nk + nu);
		if (!ps->frames)
			return -ENOMEM;
		for (size_t k = 0; k < nk; k++) {
			PbFrame *f;
			uint64_t off = 0;
			const char *sym = fr_ksyms__lookup(s->ksyms, st->ips[k], &off);

			f = FR_ANEW(a, PbFrame, 1);
			if (!f)
				return -ENOMEM;
			flightrec__snapshot__v1__frame__init(f);
			f->addr = st->ips[k];
			f->symbol = (char *)(sym ? sym : "");
			f->offset = sym ? off : 0;
			f->module = (char *)"kernel";
			f->kernel = true;
			ps->frames[ps->n_frames++] = f;
		}
		/* the stack's own process: the chain's tasks' stacks are here too */
		fr_usyms__resolve(s->usyms, (pid_t)(w->raws && w->raws[i].pid ? w->raws[i].pid : pid),
				  (const uint64_t *)&st->ips[FR_STACK_KERN_MAX], nu, uf);
		for (size_t k = 0; k < nu; k++) {
			PbFrame *f = FR_ANEW(a, PbFrame, 1);

			if (!f)
				return -ENOMEM;
			flightrec__snapshot__v1__frame__init(f);
			f->addr = uf[k].ip;
			/* copies: the next stack's resolving may reload a perf map
			 * (JIT code grew) and free these strings */
			f->symbol = uf[k].sym ? fr_arena__strndup(a, uf[k].sym, strlen(uf[k].sym))
					      : (char *)"";
			f->offset = uf[k].off;
			f->module = uf[k].module ? fr_arena__strndup(a, uf[k].module,
								    strlen(uf[k].module))
						 : (char *)"";
			if (!f->symbol || !f->module)
				return -ENOMEM;
			ps->frames[ps->n_frames++] = f;
		}
		snap->stacks[i] = ps;
	}
	return 0;
}

/*
 * The names the kernel gave the fds of slow syscalls: each with its record
 * (fd_names), and the distinct (fd, path) pairs of files (fds, the list
 * schema 1 readers know).
 */
static int fill_fds(struct fr_arena *a, const struct fr_window *w, PbSnap *snap)
{
	size_t nfd = 0;

	snap->fd_names = FR_ANEW(a, PbFdName *, w->nr_names);
	snap->fds = FR_ANEW(a, PbFd *, w->nr_names);
	if (!snap->fd_names || !snap->fds)
		return -ENOMEM;
	for (size_t i = 0, j = 0; i < w->nr_events; j++) {
		const struct fr_fdname *n = fr_window__name_at(w, &w->events[i].rec, j);
		char text[200];
		PbFdName *f;
		bool dup = false;

		if (!n) {
			i++;
			j = (size_t)-1;
			continue;
		}
		if (snap->n_fd_names >= w->nr_names)
			break;
		fr_fdname__format(n, text, sizeof(text));
		f = FR_ANEW(a, PbFdName, 1);
		if (!f)
			return -ENOMEM;
		flightrec__snapshot__v1__fd_name__init(f);
		f->record = (uint32_t)i;
		f->fd = n->fd;
		f->name = fr_arena__strndup(a, text, strlen(text));
		f->kind = n->kind;
		f->ready = n->role == FR_NAME_ROLE_READY;
		f->peer_pid = n->peer_pid;
		if (!f->name)
			return -ENOMEM;
		snap->fd_names[snap->n_fd_names++] = f;
		if (n->kind != FR_NAME_FILE || n->fd < 0)
			continue;
		for (size_t k = 0; k < nfd; k++)
			dup |= snap->fds[k]->fd == (uint32_t)n->fd && !strcmp(snap->fds[k]->path, f->name);
		if (dup)
			continue;
		snap->fds[nfd] = FR_ANEW(a, PbFd, 1);
		if (!snap->fds[nfd])
			return -ENOMEM;
		flightrec__snapshot__v1__fd_path__init(snap->fds[nfd]);
		snap->fds[nfd]->fd = (uint32_t)n->fd;
		snap->fds[nfd]->path = f->name;
		snap->n_fds = ++nfd;
	}
	return 0;
}

/* The evidence's threads, causes and syscall summary into snap. */
static int fill_evidence(struct fr_arena *a, const struct fr_evidence *ev, PbSnap *snap)
{
	snap->threads = FR_ANEW(a, PbThread *, ev->nr_threads);
	snap->causes = FR_ANEW(a, PbCause *, ev->nr_causes);
	snap->syscalls = FR_ANEW(a, PbSys *, ev->nr_syscalls);
	if (!snap->threads || !snap->causes || !snap->syscalls)
		return -ENOMEM;
	for (size_t i = 0; i < ev->nr_threads; i++) {
		PbThread *t = FR_ANEW(a, PbThread, 1);

		if (!t)
			return -ENOMEM;
		flightrec__snapshot__v1__thread__init(t);
		t->tid = ev->threads[i].tid;
		t->name = (char *)ev->threads[i].name;
		t->on_cpu_ns = ev->threads[i].on_cpu_ns;
		t->runnable_ns = ev->threads[i].runnable_ns;
		t->blocked_ns = ev->threads[i].blocked_ns;
		t->syscalls = ev->threads[i].syscalls;
		t->switches = ev->threads[i].switches;
		t->score = ev->threads[i].score;
		snap->threads[snap->n_threads++] = t;
	}
	for (size_t i = 0; i < ev->nr_causes; i++) {
		PbCause *c = FR_ANEW(a, PbCause, 1);

		if (!c)
			return -ENOMEM;
		flightrec__snapshot__v1__cause__init(c);
		c->what = (char *)ev->causes[i].what;
		c->ns = ev->causes[i].ns;
		c->count = ev->causes[i].count;
		snap->causes[snap->n_causes++] = c;
	}
	for (size_t i = 0; i < ev->nr_syscalls; i++) {
		PbSys *y = FR_ANEW(a, PbSys, 1);
		const char *name = fr_syscall_name(ev->syscalls[i].nr);

		if (!y)
			return -ENOMEM;
		flightrec__snapshot__v1__syscall_summary__init(y);
		y->name = (char *)(name ? name : "?");
		y->nr = ev->syscalls[i].nr;
		y->count = ev->syscalls[i].count;
		y->total_ns = ev->syscalls[i].total_ns;
		y->max_ns = ev->syscalls[i].max_ns;
		snap->syscalls[snap->n_syscalls++] = y;
	}
	return 0;
}

/* The wake-up chain, its tasks named. */
static int fill_chain(struct fr_arena *a, struct fr_incident_work *wk, PbSnap *snap)
{
	const struct fr_chain *ch = &wk->ev.chain;

	snap->chain = FR_ANEW(a, PbSeg *, ch->n);
	if (!snap->chain)
		return -ENOMEM;
	for (size_t i = 0; i < ch->n; i++) {
		const struct fr_chain_seg *s = &ch->seg[i];
		PbSeg *p = FR_ANEW(a, PbSeg, 1);
		const char *name;

		if (!p)
			return -ENOMEM;
		flightrec__snapshot__v1__chain_segment__init(p);
		p->pid = s->pid;
		p->tid = s->tid;
		p->state = s->state;
		p->depth = s->depth;
		p->start_mono_ns = s->start;
		p->end_mono_ns = s->end;
		p->what = (char *)s->what;
		p->waker_pid = s->waker_pid;
		p->waker_tid = s->waker_tid;
		p->handoff = s->handoff;
		p->lock_wait = s->lock;
		name = wk->names ? fr_names__get(wk->names, (pid_t)s->pid, s->tid) : "";
		p->thread_name = fr_arena__strndup(a, name, strlen(name));
		if (!p->thread_name)
			return -ENOMEM;
		snap->chain[snap->n_chain++] = p;
	}
	return 0;
}

/* The annotated span and its children, embedded as OTLP messages. */
static int fill_spans(struct fr_arena *a, const struct fr_batch *export, PbSnap *snap)
{
	snap->span = fr_otlp_pb__resource_spans(a, &export->spans[0]);
	snap->child_spans = FR_ANEW(a, Opentelemetry__Proto__Trace__V1__Span *, export->nr_spans - 1);
	if (!snap->span || !snap->child_spans)
		return -ENOMEM;
	for (size_t i = 1; i < export->nr_spans; i++)
		if (!(snap->child_spans[snap->n_child_spans++] = fr_otlp_pb__span(a, &export->spans[i])))
			return -ENOMEM;
	return 0;
}

static void fill_summary(const struct fr_incident_in *in, const struct fr_incident_work *wk,
			 struct fr_incident_out *out)
{
	const struct fr_span *sp = in->span;
	struct fr_incident_summary *sum = &out->summary;
	const struct fr_resource *res = sp->scope ? sp->scope->resource : NULL;

	sum->id = in->id;
	sum->time_unix_nano = sp->end_ns;
	snprintf(sum->service, sizeof(sum->service), "%s", res ? res->service_name.p : "");
	snprintf(sum->span_name, sizeof(sum->span_name), "%s", sp->name.p);
	memcpy(sum->trace_id, sp->trace_id, 16);
	memcpy(sum->span_id, sp->span_id, 8);
	sum->duration_ns = sp->end_ns > sp->start_ns ? sp->end_ns - sp->start_ns : 0;
	sum->threshold_ns = in->decision.threshold_ns;
	snprintf(sum->rule, sizeof(sum->rule), "%s", in->rule);
	snprintf(sum->verdict, sizeof(sum->verdict), "%s", wk->ev.verdict);
	sum->kernel_context = wk->window != NULL;
	sum->complete = wk->window && !wk->missing_ns;
	sum->snapshot_bytes = out->frsnap_len;
	sum->records = wk->window ? (uint32_t)wk->window->nr_events : 0;
	sum->kind = sp->kind;
	sum->pid = (uint32_t)in->host_pid;
	sum->signature = fr_signature__of(sum->service, sum->span_name,
					  wk->window ? &wk->ev : NULL, wk->no_context, sum->cause,
					  sizeof(sum->cause));
	snprintf(sum->node, sizeof(sum->node), "%s", in->node ? in->node : "");
	for (uint32_t i = 0; i < wk->nr_remote && i < FR_MAX_REMOTE; i++)
		sum->remote[sum->nr_remote++] = wk->remote[i];
	if (in->part_of_node) {
		snprintf(sum->part_of_node, sizeof(sum->part_of_node), "%s", in->part_of_node);
		sum->part_of_id = in->part_of_id;
	}
}

/* The remote parts and what this incident is part of (schema 6). 0 or -ENOMEM. */
static int fill_across(struct fr_arena *a, const struct fr_incident_in *in,
		       const struct fr_incident_work *wk, PbSnap *snap)
{
	snap->node = (char *)(in->node ? in->node : "");
	if (wk->nr_remote) {
		snap->remote_parts = FR_ANEW(a, Flightrec__Snapshot__V1__RemotePart *, wk->nr_remote);
		if (!snap->remote_parts)
			return -ENOMEM;
	}
	for (uint32_t i = 0; i < wk->nr_remote && i < FR_MAX_REMOTE; i++) {
		Flightrec__Snapshot__V1__RemotePart *r =
			FR_ANEW(a, Flightrec__Snapshot__V1__RemotePart, 1);

		if (!r)
			return -ENOMEM;
		fr_remote_part__to_pb(&wk->remote[i], r);
		snap->remote_parts[snap->n_remote_parts++] = r;
	}
	if (in->part_of_node) {
		Flightrec__Snapshot__V1__PartOf *po = FR_ANEW(a, Flightrec__Snapshot__V1__PartOf, 1);

		if (!po)
			return -ENOMEM;
		flightrec__snapshot__v1__part_of__init(po);
		po->node = (char *)in->part_of_node;
		po->incident_id = in->part_of_id;
		snap->part_of = po;
	}
	return 0;
}

/* The comparison with normal spans, pointing into cmp (it outlives the
 * packing). 0 or -ENOMEM. */
static int fill_comparison(struct fr_arena *a, const struct fr_comparison *cmp, PbSnap *snap)
{
	Flightrec__Snapshot__V1__Comparison *c = FR_ANEW(a, Flightrec__Snapshot__V1__Comparison, 1);

	if (!c)
		return -ENOMEM;
	flightrec__snapshot__v1__comparison__init(c);
	c->samples = cmp->samples;
	c->normal_span_ns = cmp->normal_span_ns;
	c->text = (char *)cmp->text;
	c->deltas = FR_ANEW(a, Flightrec__Snapshot__V1__CauseDelta *, cmp->n ? cmp->n : 1);
	if (!c->deltas)
		return -ENOMEM;
	for (size_t i = 0; i < cmp->n; i++) {
		Flightrec__Snapshot__V1__CauseDelta *d = FR_ANEW(a, Flightrec__Snapshot__V1__CauseDelta, 1);

		if (!d)
			return -ENOMEM;
		flightrec__snapshot__v1__cause_delta__init(d);
		d->what = (char *)cmp->d[i].what;
		d->slow_ns = cmp->d[i].slow_ns;
		d->normal_ns = cmp->d[i].normal_ns;
		c->deltas[c->n_deltas++] = d;
	}
	snap->comparison = c;
	return 0;
}

/* Who else used the disk, pointing into ev. 0 or -ENOMEM. */
static int fill_disk(struct fr_arena *a, const struct fr_evidence *ev, PbSnap *snap)
{
	Flightrec__Snapshot__V1__DiskUse *d = FR_ANEW(a, Flightrec__Snapshot__V1__DiskUse, 1);

	if (!d)
		return -ENOMEM;
	flightrec__snapshot__v1__disk_use__init(d);
	d->device = (char *)ev->disk.dev;
	d->users = FR_ANEW(a, Flightrec__Snapshot__V1__DiskUser *, ev->disk.nr_users + 1);
	if (!d->users)
		return -ENOMEM;
	for (uint32_t i = 0; i < ev->disk.nr_users; i++) {
		const struct fr_disk_user *u = &ev->disk.users[i];
		Flightrec__Snapshot__V1__DiskUser *p = FR_ANEW(a, Flightrec__Snapshot__V1__DiskUser, 1);

		if (!p)
			return -ENOMEM;
		flightrec__snapshot__v1__disk_user__init(p);
		p->who = (char *)u->who;
		p->pid = u->pid;
		p->read_bytes = u->read;
		p->written_bytes = u->written;
		p->requests = u->requests;
		d->users[d->n_users++] = p;
	}
	snap->disk = d;
	return 0;
}

int fr_snapshotter__encode(struct fr_snapshotter *s, const struct fr_incident_in *in,
			   struct fr_incident_work *wk, struct fr_incident_out *out)
{
	const struct fr_window *w = wk->window;
	struct fr_arena *a = fr_arena__new(65536);
	PbSnap snap = FLIGHTREC__SNAPSHOT__V1__SNAPSHOT__INIT;
	PbWindow win = FLIGHTREC__SNAPSHOT__V1__WINDOW__INIT;
	PbRecords recs = FLIGHTREC__SNAPSHOT__V1__RECORDS__INIT;
	int err = -ENOMEM;

	if (!a)
		return -ENOMEM;
	if (fill_spans(a, out->export, &snap))
		goto out;
	snap.schema_version = 9;
	snap.incident_id = in->id;
	snap.captured_unix_nano = fr_wall_ns();
	snap.rule = (char *)in->rule;
	snap.trigger_reason = (char *)in->decision.reason;
	snap.threshold_ns = in->decision.threshold_ns;
	snap.verdict = wk->ev.verdict;
	win.kernel_context = w != NULL;
	win.no_context_reason = (char *)(wk->no_context ? wk->no_context : "");
	win.pid = (uint32_t)in->host_pid;
	win.start_mono_ns = wk->t0;
	win.end_mono_ns = wk->t1;
	win.clock_offset_ns = wk->clk.offset_ns;
	win.clock_uncertainty_ns = wk->clk.uncertainty_ns;
	win.span_start_mono_ns = wk->span_start;
	win.span_end_mono_ns = wk->span_end;
	win.focus_tid = wk->ev.focus_tid;
	win.focus_reason = wk->ev.focus_reason;
	if (wk->cmp.samples && fill_comparison(a, &wk->cmp, &snap))
		goto out;
	if (wk->ev.disk.nr_users && fill_disk(a, &wk->ev, &snap))
		goto out;
	win.pid_source = (char *)(in->pid_source ? in->pid_source : "");
	win.cgroup = wk->cgroup;
	win.sample_hz = s->cap ? fr_capture__sample_hz(s->cap) : 0;
	win.syscalls = (char *)(s->cap ? fr_capture__syscalls_name(fr_capture__syscalls(s->cap))
				       : "");
	win.slow_syscall_ns = s->cap ? fr_capture__slow_after_ns(s->cap) : 0;
	if (wk->has_cpu_limit) {
		const struct fr_cpu_limit *l = &wk->cpu_limit;
		char q[32], p[32], t[32], text[420];

		fr_fmt_duration(l->quota_us * 1000, q, sizeof(q));
		fr_fmt_duration(l->period_us * 1000, p, sizeof(p));
		fr_fmt_duration(l->throttled_ns, t, sizeof(t));
		snprintf(text, sizeof(text), "%s: %s per %s (cgroup v%d); throttled in %" PRIu64
			 " of %" PRIu64 " periods so far (%s)", l->path, q, p, l->v2 ? 2 : 1,
			 l->nr_throttled, l->nr_periods, t);
		win.cpu_limit = fr_arena__strndup(a, text, strlen(text));
	}
	if (w) {
		win.complete_from_mono_ns = w->complete_from;
		win.missing_ns = wk->missing_ns;
		win.records_dropped = w->dropped;
		win.stacks_lost = w->stacks_lost;
		if (fill_records(a, w, wk->t0, &recs) || fill_stacks(s, a, w, win.pid, &snap) ||
		    fill_fds(a, w, &snap))
			goto out;
		snap.records = &recs;
	}
	snap.window = &win;
	if (fill_evidence(a, &wk->ev, &snap) || fill_chain(a, wk, &snap) ||
	    fill_across(a, in, wk, &snap))
		goto out;
	err = fr_frsnap__wrap(&snap, s->o.zstd_level, &out->frsnap, &out->frsnap_len,
			      &out->raw_bytes);
	if (!err)
		fill_summary(in, wk, out);
out:
	fr_arena__free(a);
	return err;
}
