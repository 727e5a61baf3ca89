// SPDX-License-Identifier: MIT
/*
 * snapshot_export.c - the export stage (fr_snapshot.h): the annotated copy
 * of the slow span and child spans for its slowest syscalls.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "annotate_int.h"
#include "fr_chain.h"
#include "fr_syscalls.h"
#include "snapshot_int.h"

static struct fr_kv *kv_str(struct fr_arena *a, struct fr_kv *kv, const char *key, const char *val)
{
	kv->key = (struct fr_str){ key, (uint32_t)strlen(key) };
	kv->value.type = FR_VAL_STRING;
	kv->value.s.p = fr_arena__strndup(a, val, strlen(val));
	kv->value.s.len = (uint32_t)strlen(val);
	return kv + 1;
}

static struct fr_kv *kv_int(struct fr_kv *kv, const char *key, int64_t v)
{
	kv->key = (struct fr_str){ key, (uint32_t)strlen(key) };
	kv->value.type = FR_VAL_INT;
	kv->value.i = v;
	return kv + 1;
}

static struct fr_kv *kv_dbl(struct fr_kv *kv, const char *key, double v)
{
	kv->key = (struct fr_str){ key, (uint32_t)strlen(key) };
	kv->value.type = FR_VAL_DOUBLE;
	kv->value.d = v;
	return kv + 1;
}

static struct fr_kv *kv_bool(struct fr_kv *kv, const char *key, bool v)
{
	kv->key = (struct fr_str){ key, (uint32_t)strlen(key) };
	kv->value.type = FR_VAL_BOOL;
	kv->value.b = v;
	return kv + 1;
}

static const char flightrec_scope_name[] = "flightrec";
static const char flightrec_version[] = "0.1.0";

/* The parts of the trace on other nodes: flightrec.remote.* (lists, one
 * element per part), flightrec.chain.continues, flightrec.part_of.*.
 * At most 7 attributes. */
static struct fr_kv *across_attrs(struct fr_arena *a, const struct fr_incident_in *in,
				  const struct fr_incident_work *wk, struct fr_kv *kv)
{
	char nodes[FR_MAX_REMOTE * (FR_NODE_NAME + 1)] = "", ids[FR_MAX_REMOTE * 18] = "";
	char states[FR_MAX_REMOTE * 20] = "", hex[17];
	size_t ln = 0, li = 0, ls = 0;

	if (in->node)
		kv = kv_str(a, kv, "flightrec.node", in->node);
	if (in->part_of_node) {
		snprintf(hex, sizeof(hex), "%016" PRIx64, in->part_of_id);
		kv = kv_str(a, kv, "flightrec.part_of.node", in->part_of_node);
		kv = kv_str(a, kv, "flightrec.part_of.incident.id", hex);
	}
	if (!wk->nr_remote)
		return kv;
	for (uint32_t i = 0; i < wk->nr_remote && i < FR_MAX_REMOTE; i++) {
		const struct fr_remote_part *r = &wk->remote[i];

		ln += (size_t)snprintf(nodes + ln, sizeof(nodes) - ln, "%s%s", i ? "," : "",
				       r->node[0] ? r->node : "?");
		li += (size_t)snprintf(ids + li, sizeof(ids) - li, "%s%016" PRIx64, i ? "," : "",
				       r->incident_id);
		ls += (size_t)snprintf(states + ls, sizeof(states) - ls, "%s%s", i ? "," : "",
				       fr_remote_state__name(r->state));
		if (ln >= sizeof(nodes) || li >= sizeof(ids) || ls >= sizeof(states))
			break;
	}
	kv = kv_str(a, kv, "flightrec.remote.nodes", nodes);
	kv = kv_str(a, kv, "flightrec.remote.incident.ids", ids);
	kv = kv_str(a, kv, "flightrec.remote.states", states);
	if (wk->chain_continues[0])
		kv = kv_str(a, kv, "flightrec.chain.continues", wk->chain_continues);
	return kv;
}

/* spans[0]: the span with its attributes plus flightrec's. false on ENOMEM. */
static bool annotated_span(struct fr_snapshotter *s, const struct fr_incident_in *in,
			   const struct fr_incident_work *wk, struct fr_arena *a, struct fr_span *out)
{
	const struct fr_span *sp = in->span;
	const struct fr_evidence *ev = wk->window ? &wk->ev : NULL;
	bool context = ev != NULL;
	uint64_t oncpu = 0, runq = 0, blocked = 0, other_count = 0;
	char idhex[17], url[256];
	struct fr_kv *kv;

	if (ev && ev->nr_threads) {
		oncpu = ev->threads[0].on_cpu_ns;
		runq = ev->threads[0].runnable_ns;
		blocked = ev->threads[0].blocked_ns;
	}
	for (size_t i = 0; ev && i < ev->nr_syscalls; i++)
		other_count += ev->syscalls[i].count;
	*out = *sp;
	out->attrs.kv = fr_arena__alloc(a, (sp->attrs.n + 64) * sizeof(struct fr_kv));
	if (!out->attrs.kv)
		return false;
	if (sp->attrs.n)
		memcpy(out->attrs.kv, sp->attrs.kv, sp->attrs.n * sizeof(struct fr_kv));
	kv = out->attrs.kv + sp->attrs.n;
	snprintf(idhex, sizeof(idhex), "%016" PRIx64, in->id);
	snprintf(url, sizeof(url), "%s/incidents/%s", s->o.ui_base, idhex);
	kv = kv_str(a, kv, "flightrec.incident.id", idhex);
	kv = kv_str(a, kv, "flightrec.incident.url", url);
	kv = kv_str(a, kv, "flightrec.verdict", ev ? ev->verdict : "");
	kv = kv_str(a, kv, "flightrec.trigger", in->decision.reason);
	kv = kv_bool(kv, "flightrec.kernel_context", context);
	if (in->pid_source && in->pid_source[0])
		kv = kv_str(a, kv, "flightrec.process.found_by", in->pid_source);
	if (in->host_pid)
		kv = kv_int(kv, "flightrec.process.host_pid", in->host_pid);
	if (wk->cgroup[0])
		kv = kv_str(a, kv, "flightrec.process.cgroup", wk->cgroup);
	if (context) {
		kv = kv_int(kv, "flightrec.thread.id", ev->focus_tid);
		kv = kv_dbl(kv, "flightrec.on_cpu_ms", oncpu / 1e6);
		kv = kv_dbl(kv, "flightrec.runqueue_ms", runq / 1e6);
		kv = kv_dbl(kv, "flightrec.blocked_ms", blocked / 1e6);
		kv = kv_dbl(kv, "flightrec.off_cpu_ms", (runq + blocked) / 1e6);
		kv = kv_int(kv, "flightrec.syscalls.count", (int64_t)other_count);
		kv = kv_str(a, kv, "flightrec.thread.chosen_by", ev->focus_reason);
		if (ev->chain_first[0]) {
			kv = kv_str(a, kv, "flightrec.chain.first_link", ev->chain_first);
			kv = kv_str(a, kv, "flightrec.chain.root", ev->chain_root);
			kv = kv_dbl(kv, "flightrec.chain.root_ms", ev->chain_root_ns / 1e6);
		}
		if (ev->hot.func[0]) {
			/* the hot function of the thread's on-CPU time (its samples) */
			kv = kv_str(a, kv, "flightrec.cpu.hot_function", ev->hot.func);
			kv = kv_str(a, kv, "flightrec.cpu.hot_location", ev->hot.where);
			kv = kv_dbl(kv, "flightrec.cpu.hot_share",
				    (double)ev->hot.through / ev->hot.with_stack);
			kv = kv_int(kv, "flightrec.cpu.samples", ev->hot.samples);
		}
		if (ev->throttled_ns) {
			kv = kv_dbl(kv, "flightrec.cpu.throttled_ms", ev->throttled_ns / 1e6);
			if (wk->has_cpu_limit)
				kv = kv_str(a, kv, "flightrec.cpu.limit.cgroup", wk->cpu_limit.path);
		}
		if (ev->stall_ns) {
			kv = kv_dbl(kv, "flightrec.memory.stall_ms", ev->stall_ns / 1e6);
			if (wk->has_mem_limit)
				kv = kv_str(a, kv, "flightrec.memory.limit.cgroup", wk->mem_limit.path);
		}
		if (ev->nr_causes && ev->causes[0].kind == FR_CAUSE_BLOCKED &&
		    fr_an_is_fault_cause(ev->causes[0].what)) {
			/* "major page faults on /x": the file, how long, how many */
			kv = kv_str(a, kv, "flightrec.faults.what", ev->causes[0].what);
			kv = kv_dbl(kv, "flightrec.faults.blocked_ms", ev->causes[0].ns / 1e6);
			kv = kv_int(kv, "flightrec.faults.count", ev->causes[0].count);
		}
		if (ev->disk.dev[0]) {
			kv = kv_str(a, kv, "flightrec.disk.device", ev->disk.dev);
			kv = kv_str(a, kv, "flightrec.disk.neighbour", ev->disk.users[0].who);
			kv = kv_int(kv, "flightrec.disk.neighbour_bytes",
				    (int64_t)(ev->disk.users[0].read + ev->disk.users[0].written));
			kv = kv_int(kv, "flightrec.disk.neighbour_requests", ev->disk.users[0].requests);
		}
		if (wk->missing_ns)
			kv = kv_dbl(kv, "flightrec.window.missing_ms", wk->missing_ns / 1e6);
		if (wk->cmp.samples && wk->cmp.text[0]) {
			kv = kv_str(a, kv, "flightrec.baseline.comparison", wk->cmp.text);
			kv = kv_int(kv, "flightrec.baseline.samples", wk->cmp.samples);
		}
	}
	kv = across_attrs(a, in, wk, kv);
	out->attrs.n = (uint32_t)(kv - out->attrs.kv);
	return true;
}

/*
 * Child span c of the span sp (the nch-th), from start to end (wall ns,
 * clipped to the parent so that tracing UIs draw it inside), named name,
 * with room for nattrs attributes. 1 when made, 0 when nothing of it falls
 * inside the parent, -1 on ENOMEM.
 */
static int new_child(struct fr_arena *a, const struct fr_span *sp, const struct fr_scope *scope,
		     size_t nch, uint64_t start, uint64_t end, const char *name, uint32_t nattrs,
		     struct fr_span *c)
{
	if (start < sp->start_ns)
		start = sp->start_ns;
	if (end > sp->end_ns)
		end = sp->end_ns;
	if (end <= start)
		return 0;
	memset(c, 0, sizeof(*c));
	memcpy(c->trace_id, sp->trace_id, 16);
	if (getrandom(c->span_id, 8, 0) != 8 || fr_all_zero(c->span_id, 8))
		c->span_id[7] = (uint8_t)(nch + 1);
	memcpy(c->parent_span_id, sp->span_id, 8);
	c->has_parent = true;
	c->kind = FR_KIND_INTERNAL;
	c->start_ns = start;
	c->end_ns = end;
	c->flags = sp->flags;
	c->name.p = fr_arena__strndup(a, name, strlen(name));
	c->name.len = (uint32_t)strlen(name);
	c->trace_state = (struct fr_str){ "", 0 };
	c->status_message = (struct fr_str){ "", 0 };
	c->scope = scope;
	c->attrs.kv = fr_arena__alloc(a, nattrs * sizeof(struct fr_kv));
	return c->name.p && c->attrs.kv ? 1 : -1;
}

/* A child span c (number nch) for syscall record r. As new_child. */
static int child_span(struct fr_incident_work *wk, const struct fr_span *sp,
		      const struct fr_scope *scope, const struct fr_rec *r, size_t nch,
		      struct fr_arena *a, struct fr_span *c)
{
	uint64_t d = fr_rec__sys_dur(r);
	const char *name = fr_syscall_name(r->aux);
	const struct fr_fdname *n;
	char path[200] = "", nm[32];
	struct fr_kv *kv;
	int made;

	snprintf(nm, sizeof(nm), "%s", name ? name : "syscall");
	made = new_child(a, sp, scope, nch, fr_clock__to_wall(&wk->clk, r->ts - d),
			 fr_clock__to_wall(&wk->clk, r->ts), nm, 6, c);
	if (made <= 0)
		return made;
	kv = c->attrs.kv;
	kv = kv_int(kv, "thread.id", r->tid);
	kv = kv_str(a, kv, "flightrec.syscall", nm);
	kv = kv_int(kv, "flightrec.syscall.arg0", (int64_t)r->sys.arg0);
	kv = kv_int(kv, "flightrec.syscall.ret", r->sys.ret);
	n = fr_window__name(wk->window, r);
	if (n) {
		fr_fdname__format(n, path, sizeof(path));
		kv = kv_str(a, kv, n->kind == FR_NAME_FILE ? "file.path" : "flightrec.fd.name",
			    path);
	}
	c->attrs.n = (uint32_t)(kv - c->attrs.kv);
	return 1;
}

#define CHAIN_CHILDREN 8

/*
 * Child spans for the wake-up chain below the span's thread (depth >= 1):
 * what other threads did while the span waited for them, the longest
 * first, each at least min_child_ns. The number made, or -1 on ENOMEM.
 */
static int chain_children(struct fr_snapshotter *s, struct fr_incident_work *wk,
			  const struct fr_span *sp, const struct fr_scope *scope, struct fr_arena *a,
			  struct fr_span *out)
{
	const struct fr_chain *ch = &wk->ev.chain;
	bool used[FR_CHAIN_MAX_SEGS] = { 0 };
	int n = 0;

	while (n < CHAIN_CHILDREN) {
		const struct fr_chain_seg *g = NULL;
		struct fr_kv *kv;
		char name[200];
		size_t best = 0;
		int made;

		for (size_t i = 0; i < ch->n && i < FR_CHAIN_MAX_SEGS; i++)
			if (!used[i] && ch->seg[i].depth &&
			    (!g || ch->seg[i].end - ch->seg[i].start > g->end - g->start)) {
				g = &ch->seg[i];
				best = i;
			}
		if (!g || g->end - g->start < s->o.min_child_ns)
			break;
		used[best] = true;
		snprintf(name, sizeof(name), "wait: thread %u %s", g->tid, g->what);
		made = new_child(a, sp, scope, 0x80 + (size_t)n, fr_clock__to_wall(&wk->clk, g->start),
				 fr_clock__to_wall(&wk->clk, g->end), name, 4, &out[n]);
		if (made < 0)
			return -1;
		if (!made)
			continue;
		kv = out[n].attrs.kv;
		kv = kv_int(kv, "thread.id", g->tid);
		kv = kv_int(kv, "flightrec.chain.depth", g->depth);
		kv = kv_str(a, kv, "flightrec.chain.what", g->what);
		out[n].attrs.n = (uint32_t)(kv - out[n].attrs.kv);
		n++;
	}
	return n;
}

struct fr_batch *fr_snapshotter__build_export(struct fr_snapshotter *s,
					      const struct fr_incident_in *in,
					      struct fr_incident_work *wk)
{
	const struct fr_span *sp = in->span;
	const struct fr_evidence *ev = wk->window ? &wk->ev : NULL;
	struct fr_batch *b = fr_batch__new(16384);
	struct fr_scope *scope;
	struct fr_arena *a;
	size_t nch = 0;
	int made;

	if (!b)
		return NULL;
	a = b->arena;
	b->hold = fr_batch__get(in->batch);
	b->spans = fr_arena__zalloc(a, (1 + FR_MAX_SLOW + CHAIN_CHILDREN) * sizeof(*b->spans));
	scope = fr_arena__zalloc(a, sizeof(*scope));
	if (!b->spans || !scope)
		goto oom;
	scope->resource = sp->scope ? sp->scope->resource : NULL;
	scope->name = (struct fr_str){ flightrec_scope_name, sizeof(flightrec_scope_name) - 1 };
	scope->version = (struct fr_str){ flightrec_version, sizeof(flightrec_version) - 1 };
	scope->schema_url = (struct fr_str){ "", 0 };
	b->scopes = scope;
	b->nr_scopes = 1;
	if (!annotated_span(s, in, wk, a, &b->spans[0]))
		goto oom;
	/* children: the slowest syscalls of the thread that mattered */
	for (size_t i = 0; ev && i < ev->nr_slow && nch < s->o.max_children; i++) {
		const struct fr_rec *r = &wk->window->events[ev->slow[i]].rec;

		if (fr_rec__sys_dur(r) < s->o.min_child_ns)
			break;
		made = child_span(wk, sp, scope, r, nch, a, &b->spans[1 + nch]);
		if (made < 0)
			goto oom;
		nch += (size_t)made;
	}
	if (ev) {
		made = chain_children(s, wk, sp, scope, a, &b->spans[1 + nch]);
		if (made < 0)
			goto oom;
		nch += (size_t)made;
	}
	b->nr_spans = 1 + nch;
	return b;
oom:
	fr_batch__put(b);
	return NULL;
}
