// SPDX-License-Identifier: MIT
/*
 * snapshot.c - fired span -> incident (fr_snapshot.h): the snapshotter, the
 * plan, wait, read and annotate stages, and take, which runs them all.
 * The export stage is in snapshot_export.c, encode in snapshot_encode.c.
 */
#define FR_LOG_MOD "snapshot"
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "fr_log.h"
#include "fr_procfs.h"
#include "snapshot_int.h"

void fr_snapshot__tune_malloc(void)
{
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

struct fr_snapshotter *fr_snapshotter__new(const struct fr_snapshot_opts *o,
					   struct fr_capture *cap, const struct fr_ksyms *ksyms)
{
	struct fr_snapshotter *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	if (o)
		fr_opts_copy(&s->o, o);
	if (!s->o.pre_ns)
		s->o.pre_ns = 50000000;
	if (!s->o.post_ns)
		s->o.post_ns = 20000000;
	if (!s->o.zstd_level)
		s->o.zstd_level = 3;
	if (!s->o.ui_base)
		s->o.ui_base = "http://127.0.0.1:8080";
	if (!s->o.max_children || s->o.max_children > FR_MAX_SLOW)
		s->o.max_children = FR_MAX_SLOW;
	if (!s->o.min_child_ns)
		s->o.min_child_ns = 50000;
	s->cap = cap;
	s->ksyms = ksyms;
	s->usyms = fr_usyms__new();
	s->unwinder = fr_unwinder__new();
	if (!s->usyms || !s->unwinder) {
		fr_usyms__free(s->usyms);
		fr_unwinder__free(s->unwinder);
		free(s);
		return NULL;
	}
	return s;
}

void fr_snapshotter__free(struct fr_snapshotter *s)
{
	if (!s)
		return;
	fr_usyms__free(s->usyms);
	fr_unwinder__free(s->unwinder);
	free(s);
}

void fr_incident_work__free(struct fr_incident_work *wk)
{
	fr_evidence__free(&wk->ev);
	fr_names__free(wk->names);
	fr_window__free(wk->window);
	wk->names = NULL;
	wk->window = NULL;
}

void fr_incident_out__free(struct fr_incident_out *out)
{
	fr_batch__put(out->export);
	free(out->frsnap);
	memset(out, 0, sizeof(*out));
}

/* ---------------- names ---------------- */

static void thread_name_cb(void *ctx, uint32_t pid, uint32_t tid, char *buf, size_t len)
{
	struct fr_incident_work *wk = ctx;

	snprintf(buf, len, "%s", fr_names__get(wk->names, (pid_t)pid, tid));
}

/* ---------------- the stages ---------------- */

void fr_snapshotter__plan(const struct fr_snapshotter *s, const struct fr_incident_in *in,
			  struct fr_incident_work *wk)
{
	const struct fr_span *sp = in->span;

	fr_clock__sample(&wk->clk, 16);
	wk->span_start = fr_clock__to_mono(&wk->clk, sp->start_ns);
	wk->span_end = fr_clock__to_mono(&wk->clk, sp->end_ns > sp->start_ns ? sp->end_ns
									     : sp->start_ns);
	wk->t0 = wk->span_start > s->o.pre_ns ? wk->span_start - s->o.pre_ns : 0;
	wk->t1 = wk->span_end + s->o.post_ns;
	if (!s->cap && !s->o.view)
		wk->no_context = "kernel capture is off (not root, or --no-kernel)";
	else if (in->denied)
		wk->no_context = in->denied;
	else if (!in->host_pid)
		wk->no_context = in->pid_source && !strncmp(in->pid_source, "none: ", 6)
					 ? in->pid_source + 6
					 : "the span's resource has no process.pid";
	else if (!in->followed)
		wk->no_context = "the process was not followed yet when the span ran (its spans had "
				 "just begun)";
	else
		wk->no_context = NULL;
}

void fr_snapshot__wait(uint64_t t1)
{
	uint64_t now = fr_mono_ns();

	if (now < t1 && t1 - now < 2000000000ull) {
		struct timespec nap = { (time_t)((t1 - now) / 1000000000ull),
					(long)((t1 - now) % 1000000000ull) };

		nanosleep(&nap, NULL);
	}
}

/* Adds pid to the processes req keeps; false when it keeps it already or
 * has no room left. */
static bool keep_also(struct fr_window_req *req, uint32_t pid)
{
	if (!pid || fr_window__keeps(req, pid) || req->nr_also >= FR_WINDOW_MAX_ALSO)
		return false;
	req->also[req->nr_also++] = pid;
	return true;
}

/*
 * The other processes the kept ones waited for, by the window's records:
 * those whose tasks woke a kept task from a syscall or their own kernel
 * work (not an interrupt that landed on them), and the peers of the unix
 * sockets kept tasks were slow on. True when any was added.
 */
static bool add_waited_for(const struct fr_window *w, struct fr_window_req *req)
{
	uint32_t self = (uint32_t)getpid(); /* never followed: no records */
	bool added = false;

	for (size_t i = 0; i < w->nr_events; i++) {
		const struct fr_rec *r = &w->events[i].rec;
		const struct fr_fdname *n;

		if (!fr_window__keeps(req, r->pid))
			continue;
		if (r->type == FR_REC_WAKEUP && r->wk.waker_pid != self &&
		    !(r->flags & FR_WK_KTHREAD) && fr_wake_by_task(r))
			added |= keep_also(req, r->wk.waker_pid);
		else if (r->type == FR_REC_SYSCALL && (n = fr_window__name(w, r)) && n->peer_pid)
			added |= keep_also(req, n->peer_pid);
	}
	return added;
}

/* The host's MemAvailable (/proc/meminfo), in KiB; 0 when unknown. */
static uint64_t mem_available_kb(void)
{
	char line[128];
	uint64_t kb = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %" SCNu64, &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/*
 * The window of the span's process, then again with the processes it
 * waited for, and those they waited for, a few levels down: the records
 * the wake-up chain needs to go on into other processes.
 */
int fr_snapshotter__read(struct fr_snapshotter *s, const struct fr_incident_in *in,
			 struct fr_incident_work *wk)
{
	struct fr_window_req req = { .pid = (uint32_t)in->host_pid, .t0 = wk->t0, .t1 = wk->t1 };
	int err;

	if (wk->no_context)
		return 0;
	/* its cgroup now, while it lives (a container's, a service's), and the
	 * CPU limit that binds it */
	fr_proc_cgroup(in->host_pid, wk->cgroup, sizeof(wk->cgroup));
	wk->has_cpu_limit = !fr_cgroup__cpu_limit(NULL, in->host_pid, &wk->cpu_limit);
	wk->has_mem_limit = !fr_cgroup__memory_limit(NULL, in->host_pid, &wk->mem_limit);
	wk->mem_available_kb = mem_available_kb();
	for (int round = 0; round <= FR_CHAIN_PROCESS_LEVELS; round++) {
		fr_window__free(wk->window);
		wk->window = NULL;
		err = s->o.view ? fr_ring__read_window(s->o.view, &req, &wk->window)
				: fr_capture__read_window(s->cap, &req, &wk->window);
		if (err)
			return err;
		if (round == FR_CHAIN_PROCESS_LEVELS || !add_waited_for(wk->window, &req))
			break;
	}
	fr_window__scan_kernel_stacks(wk->window, s->ksyms);
	fr_window__unwind_user_stacks(wk->window, s->unwinder);
	if (wk->window->complete_from > wk->t0)
		wk->missing_ns = (wk->window->complete_from < wk->t1 ? wk->window->complete_from
								     : wk->t1) - wk->t0;
	return 0;
}

int fr_snapshotter__annotate(struct fr_snapshotter *s, const struct fr_incident_in *in,
			     struct fr_incident_work *wk)
{
	const struct fr_window *w = wk->window;
	struct fr_annotate_ctx ac = {
		.pid = (uint32_t)in->host_pid,
		.span_start = wk->span_start,
		.span_end = wk->span_end,
		.hint_tid = in->span->thread_id,
		.thread_name = thread_name_cb,
		.ctx = wk,
		.ksyms = s->ksyms,
		.ignore_pid = (uint32_t)getpid(),
		.usyms = s->usyms,
		.cpu_limit = wk->has_cpu_limit ? &wk->cpu_limit : NULL,
		.mem_limit = wk->has_mem_limit ? &wk->mem_limit : NULL,
		.mem_available_kb = wk->mem_available_kb,
	};

	wk->names = fr_names__new(w);
	if (!wk->names)
		return -ENOMEM;
	if (!w) {
		snprintf(wk->ev.verdict, sizeof(wk->ev.verdict), "no kernel context: %s",
			 wk->no_context ? wk->no_context : "no window");
		return 0;
	}
	if (w->complete_from > wk->span_start)
		ac.missing_ns = (w->complete_from < wk->span_end ? w->complete_from : wk->span_end) -
				wk->span_start;
	return fr_annotate(w, &ac, &wk->ev);
}

/* The span's operation: its service and name. */
static void operation_of(const struct fr_incident_in *in, const char **service, const char **name)
{
	const struct fr_span *sp = in->span;

	*service = sp->scope && sp->scope->resource ? sp->scope->resource->service_name.p : "";
	*name = sp->name.p ? sp->name.p : "";
}

/* The slow span against its operation's normal spans; the verdict says
 * where the extra time went when a baseline exists. */
static void compare_with_normal(struct fr_snapshotter *s, const struct fr_incident_in *in,
				struct fr_incident_work *wk)
{
	const char *service, *name;
	size_t used;

	if (!s->o.baselines || !wk->window)
		return;
	operation_of(in, &service, &name);
	if (!fr_baselines__compare(s->o.baselines, service, name, &wk->ev, &wk->cmp) ||
	    !wk->cmp.text[0])
		return;
	used = strlen(wk->ev.verdict);
	if (used + 40 < sizeof(wk->ev.verdict))
		snprintf(wk->ev.verdict + used, sizeof(wk->ev.verdict) - used,
			 "; against normal spans: %s", wk->cmp.text);
}

int fr_snapshotter__sample(struct fr_snapshotter *s, const struct fr_incident_in *in)
{
	struct fr_incident_work wk = { 0 };
	const char *service, *name;
	int err;

	if (!s->o.baselines)
		return -EINVAL;
	fr_snapshotter__plan(s, in, &wk);
	if (wk.no_context) {
		fr_incident_work__free(&wk);
		return -ENOENT;
	}
	fr_snapshot__wait(wk.t1);
	err = fr_snapshotter__read(s, in, &wk);
	if (!err)
		err = fr_snapshotter__annotate(s, in, &wk);
	if (!err && wk.window) {
		operation_of(in, &service, &name);
		fr_baselines__add(s->o.baselines, service, name, &wk.ev);
	}
	fr_incident_work__free(&wk);
	return err;
}

int fr_snapshotter__prepare(struct fr_snapshotter *s, pid_t pid)
{
	if (!s->cap)
		return 0; /* no stacks without the kernel capture */
	if (fr_usyms__preload(s->usyms, pid))
		return -ENOENT;
	return fr_unwinder__prepare(s->unwinder, pid);
}

int fr_snapshotter__take(struct fr_snapshotter *s, const struct fr_incident_in *in,
			 struct fr_incident_out *out)
{
	struct fr_incident_work wk = { 0 };
	int err;

	memset(out, 0, sizeof(*out));
	fr_snapshotter__plan(s, in, &wk);
	if (!wk.no_context)
		fr_snapshot__wait(wk.t1);
	err = fr_snapshotter__read(s, in, &wk);
	if (!err)
		err = fr_snapshotter__annotate(s, in, &wk);
	if (!err)
		compare_with_normal(s, in, &wk);
	if (!err && in->across)
		in->across(in->across_ctx, in, &wk);
	if (!err) {
		out->export = fr_snapshotter__build_export(s, in, &wk);
		err = out->export ? 0 : -ENOMEM;
	}
	if (!err)
		err = fr_snapshotter__encode(s, in, &wk, out);
	if (err)
		fr_incident_out__free(out);
	fr_incident_work__free(&wk);
	return err;
}
