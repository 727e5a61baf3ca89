// SPDX-License-Identifier: MIT
/*
 * snapshot.c - fired span -> incident (fr_snapshot.h).
 */
#define FR_LOG_MOD "snapshot"
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "flightrec/snapshot/v1/snapshot.pb-c.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"
#include "fr_annotate.h"
#include "fr_clock.h"
#include "fr_log.h"
#include "fr_names.h"
#include "fr_otlp.h"
#include "fr_snapshot.h"
#include "fr_syscalls.h"
#include "fr_usyms.h"

typedef Flightrec__Snapshot__V1__Snapshot PbSnap;
typedef Flightrec__Snapshot__V1__Window PbWindow;
typedef Flightrec__Snapshot__V1__Thread PbThread;
typedef Flightrec__Snapshot__V1__Records PbRecords;
typedef Flightrec__Snapshot__V1__Stack PbStack;
typedef Flightrec__Snapshot__V1__Frame PbFrame;
typedef Flightrec__Snapshot__V1__FdPath PbFd;
typedef Flightrec__Snapshot__V1__SyscallSummary PbSys;
typedef Flightrec__Snapshot__V1__Cause PbCause;

struct fr_snapshotter {
	struct fr_snapshot_opts o;
	struct fr_capture *cap;
	const struct fr_ksyms *ksyms;
	struct fr_usyms *usyms;
};

struct fr_snapshotter *fr_snapshotter__new(const struct fr_snapshot_opts *o,
					   struct fr_capture *cap, const struct fr_ksyms *ksyms)
{
	struct fr_snapshotter *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	if (o)
		memcpy(&s->o, o, o->sz < sizeof(s->o) ? o->sz : sizeof(s->o));
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
	if (!s->usyms) {
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
	free(s);
}

/* ---------------- pid namespaces ---------------- */

/* Translations are looked up for every OTLP request: the /proc scan below
 * runs once per (pid, container) a minute, not per request. */
#define HOST_PID_CACHE 64
#define HOST_PID_TTL_NS 60000000000ull

static struct {
	int64_t pid;
	char container[72];
	pid_t host;
	uint64_t at;
} host_pid_cache[HOST_PID_CACHE];
static pthread_mutex_t host_pid_mu = PTHREAD_MUTEX_INITIALIZER;

static pid_t scan_host_pid(int64_t pid, const char *container_id);

pid_t fr_host_pid(int64_t pid, const char *container_id)
{
	uint64_t now = fr_mono_ns();
	size_t slot = 0;
	pid_t host;

	if (pid <= 0 || pid > INT32_MAX)
		return 0;
	if (!container_id || !*container_id)
		return (pid_t)pid;
	pthread_mutex_lock(&host_pid_mu);
	for (size_t i = 0; i < HOST_PID_CACHE; i++) {
		if (host_pid_cache[i].pid == pid && host_pid_cache[i].at &&
		    now - host_pid_cache[i].at < HOST_PID_TTL_NS &&
		    !strncmp(host_pid_cache[i].container, container_id,
			     sizeof(host_pid_cache[i].container) - 1)) {
			host = host_pid_cache[i].host;
			pthread_mutex_unlock(&host_pid_mu);
			return host;
		}
		if (host_pid_cache[i].at < host_pid_cache[slot].at)
			slot = i; /* the oldest entry makes room */
	}
	pthread_mutex_unlock(&host_pid_mu);
	host = scan_host_pid(pid, container_id);
	pthread_mutex_lock(&host_pid_mu);
	host_pid_cache[slot].pid = pid;
	snprintf(host_pid_cache[slot].container, sizeof(host_pid_cache[slot].container), "%s",
		 container_id);
	host_pid_cache[slot].host = host;
	host_pid_cache[slot].at = now;
	pthread_mutex_unlock(&host_pid_mu);
	return host;
}

/* A process in that container whose innermost pid is the span's, else pid. */
static pid_t scan_host_pid(int64_t pid, const char *container_id)
{
	DIR *d;
	struct dirent *de;
	pid_t found = 0;

	/* a process in that container whose innermost pid is the span's */
	d = opendir("/proc");
	if (!d)
		return (pid_t)pid;
	while (!found && (de = readdir(d))) {
		char path[64], line[512];
		pid_t host = atoi(de->d_name);
		bool in_container = false;
		FILE *f;

		if (host <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/cgroup", host);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (!in_container && fgets(line, sizeof(line), f))
			in_container = strstr(line, container_id) != NULL;
		fclose(f);
		if (!in_container)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/status", host);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			if (!strncmp(line, "NSpid:", 6)) {
				char *last = strrchr(line, '\t');

				if (last && atoll(last + 1) == pid)
					found = host;
				break;
			}
		}
		fclose(f);
	}
	closedir(d);
	return found ? found : (pid_t)pid;
}

/* ---------------- names and fds ---------------- */

struct fdcache {
	uint32_t pid;
	struct {
		uint64_t fd;
		char path[160];
	} e[64];
	size_t n;
};

static void fd_path(void *ctx, uint32_t pid, uint64_t fd, char *buf, size_t len)
{
	struct fdcache *c = ctx;
	char link[64];
	ssize_t n;

	for (size_t i = 0; i < c->n; i++) {
		if (c->e[i].fd == fd) {
			snprintf(buf, len, "%s", c->e[i].path);
			return;
		}
	}
	snprintf(link, sizeof(link), "/proc/%u/fd/%" PRIu64, pid, fd);
	n = readlink(link, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
	if (c->n < 64) {
		c->e[c->n].fd = fd;
		snprintf(c->e[c->n].path, sizeof(c->e[c->n].path), "%s", buf);
		c->n++;
	}
}

struct name_ctx {
	struct fr_names *names;
	struct fdcache fds;
};

static void thread_name(void *ctx, uint32_t pid, uint32_t tid, char *buf, size_t len)
{
	struct name_ctx *n = ctx;

	snprintf(buf, len, "%s", fr_names__get(n->names, (pid_t)pid, tid));
}

static void fd_path_cb(void *ctx, uint32_t pid, uint64_t fd, char *buf, size_t len)
{
	fd_path(&((struct name_ctx *)ctx)->fds, pid, fd, buf, len);
}

/* ---------------- building the export batch ---------------- */

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

static uint64_t sys_dur(const struct fr_rec *r)
{
	return (uint64_t)r->sys.dur * ((r->flags & FR_SYS_DUR_US) ? 1000 : 1);
}

static const char flightrec_scope_name[] = "flightrec";
static const char flightrec_version[] = "0.1.0";

/*
 * The annotated copy of the span (its attributes plus ours) and child spans
 * for the slowest syscalls, in a new batch that holds the original.
 */
static struct fr_batch *build_export(struct fr_snapshotter *s, const struct fr_incident_in *in,
				     const struct fr_window *w, const struct fr_evidence *ev,
				     const struct fr_clock *clk, uint64_t missing_ns, bool context,
				     struct name_ctx *nc)
{
	const struct fr_span *sp = in->span;
	struct fr_batch *b = fr_batch__new(16384);
	struct fr_arena *a;
	struct fr_scope *scope;
	struct fr_span *out;
	struct fr_kv *kv;
	size_t nch = 0;
	char idhex[17], url[256];
	uint64_t oncpu = 0, runq = 0, blocked = 0, other_count = 0, other_ns = 0;

	if (!b)
		return NULL;
	a = b->arena;
	b->hold = fr_batch__get(in->batch);
	b->spans = fr_arena__zalloc(a, (1 + FR_MAX_SLOW) * sizeof(*b->spans));
	scope = fr_arena__zalloc(a, sizeof(*scope));
	if (!b->spans || !scope)
		goto oom;
	scope->resource = sp->scope ? sp->scope->resource : NULL;
	scope->name = (struct fr_str){ flightrec_scope_name, sizeof(flightrec_scope_name) - 1 };
	scope->version = (struct fr_str){ flightrec_version, sizeof(flightrec_version) - 1 };
	scope->schema_url = (struct fr_str){ "", 0 };
	b->scopes = scope;
	b->nr_scopes = 1;

	if (ev && ev->nr_threads) {
		oncpu = ev->threads[0].on_cpu_ns;
		runq = ev->threads[0].runnable_ns;
		blocked = ev->threads[0].blocked_ns;
	}
	if (ev) {
		for (size_t i = 0; i < ev->nr_syscalls; i++) {
			other_count += ev->syscalls[i].count;
			other_ns += ev->syscalls[i].total_ns;
		}
	}
	/* the annotated span */
	out = &b->spans[0];
	*out = *sp;
	out->attrs.kv = fr_arena__alloc(a, (sp->attrs.n + 16) * sizeof(struct fr_kv));
	if (!out->attrs.kv)
		goto oom;
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
	if (context) {
		kv = kv_int(kv, "flightrec.thread.id", ev->focus_tid);
		kv = kv_dbl(kv, "flightrec.on_cpu_ms", oncpu / 1e6);
		kv = kv_dbl(kv, "flightrec.runqueue_ms", runq / 1e6);
		kv = kv_dbl(kv, "flightrec.blocked_ms", blocked / 1e6);
		kv = kv_dbl(kv, "flightrec.off_cpu_ms", (runq + blocked) / 1e6);
		kv = kv_int(kv, "flightrec.syscalls.count", (int64_t)other_count);
		if (missing_ns)
			kv = kv_dbl(kv, "flightrec.window.missing_ms", missing_ns / 1e6);
	}
	out->attrs.n = (uint32_t)(kv - out->attrs.kv);

	/* children: the slowest syscalls of the thread that mattered */
	for (size_t i = 0; ev && i < ev->nr_slow && nch < s->o.max_children; i++) {
		const struct fr_rec *r = &w->events[ev->slow[i]].rec;
		uint64_t d = sys_dur(r), start, end;
		struct fr_span *c = &b->spans[1 + nch];
		const char *name = fr_syscall_name(r->aux);
		char path[160] = "", nm[32];

		if (d < s->o.min_child_ns)
			break;
		start = fr_clock__to_wall(clk, r->ts - d);
		end = fr_clock__to_wall(clk, r->ts);
		/* inside the parent, so that tracing UIs draw them there */
		if (start < sp->start_ns)
			start = sp->start_ns;
		if (end > sp->end_ns)
			end = sp->end_ns;
		if (end <= start)
			continue;
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
		snprintf(nm, sizeof(nm), "%s", name ? name : "syscall");
		c->name.p = fr_arena__strndup(a, nm, strlen(nm));
		c->name.len = (uint32_t)strlen(nm);
		c->trace_state = (struct fr_str){ "", 0 };
		c->status_message = (struct fr_str){ "", 0 };
		c->scope = scope;
		c->attrs.kv = fr_arena__alloc(a, 6 * sizeof(struct fr_kv));
		if (!c->name.p || !c->attrs.kv)
			goto oom;
		kv = c->attrs.kv;
		kv = kv_int(kv, "thread.id", r->tid);
		kv = kv_str(a, kv, "flightrec.syscall", nm);
		kv = kv_int(kv, "flightrec.syscall.arg0", (int64_t)r->sys.arg0);
		kv = kv_int(kv, "flightrec.syscall.ret", r->sys.ret);
		if (r->sys.arg0 < (1u << 24))
			fd_path(&nc->fds, r->pid, r->sys.arg0, path, sizeof(path));
		if (path[0])
			kv = kv_str(a, kv, "file.path", path);
		c->attrs.n = (uint32_t)(kv - c->attrs.kv);
		nch++;
	}
	b->nr_spans = 1 + nch;
	return b;
oom:
	fr_batch__put(b);
	return NULL;
}

/* ---------------- the protobuf snapshot ---------------- */

static void *pb_alloc(void *data, size_t size)
{
	return fr_arena__alloc(data, size);
}

static void pb_free(void *data, void *ptr)
{
	(void)data;
	(void)ptr;
}

#define ANEW(a, type, n) ((type *)fr_arena__zalloc((a), sizeof(type) * ((n) ? (n) : 1)))

static int fill_records(struct fr_arena *a, const struct fr_window *w, uint64_t t0, PbRecords *r)
{
	size_t n = w->nr_events;
	uint64_t prev = t0;

	flightrec__snapshot__v1__records__init(r);
	r->type = ANEW(a, uint32_t, n);
	r->ts_delta = ANEW(a, uint64_t, n);
	r->cpu = ANEW(a, uint32_t, n);
	r->tid = ANEW(a, uint32_t, n);
	r->pid = ANEW(a, uint32_t, n);
	r->aux = ANEW(a, uint32_t, n);
	r->flags = ANEW(a, uint32_t, n);
	r->a = ANEW(a, uint64_t, n);
	r->b = ANEW(a, int64_t, n);
	r->c = ANEW(a, uint64_t, n);
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
			r->a[i] = sys_dur(x);
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
	snap->stacks = ANEW(a, PbStack *, w->nr_stacks);
	if (!snap->stacks)
		return -ENOMEM;
	for (size_t i = 0; i < w->nr_stacks; i++) {
		const struct fr_stack *st = &w->stacks[i];
		size_t nk = st->nr_kern < FR_STACK_KERN_MAX ? st->nr_kern : FR_STACK_KERN_MAX;
		size_t nu = st->nr_user < FR_STACK_USER_MAX ? st->nr_user : FR_STACK_USER_MAX;
		struct fr_uframe uf[FR_STACK_USER_MAX];
		PbStack *ps = ANEW(a, PbStack, 1);

		if (!ps)
			return -ENOMEM;
		flightrec__snapshot__v1__stack__init(ps);
		ps->tid = st->tid;
		ps->frames = ANEW(a, PbFrame *, nk + nu);
		if (!ps->frames)
			return -ENOMEM;
		bool top = true;

		for (size_t k = 0; k < nk; k++) {
			PbFrame *f;
			uint64_t off = 0;
			const char *sym = fr_ksyms__lookup(s->ksyms, st->ips[k], &off);

			/* the tracing machinery above __schedule is not the task's */
			if (top && sym && (!strncmp(sym, "bpf_", 4) || !strncmp(sym, "__traceiter_", 12) ||
					   !strncmp(sym, "__bpf_trace", 11)))
				continue;
			top = false;
			f = ANEW(a, PbFrame, 1);
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
		fr_usyms__resolve(s->usyms, (pid_t)pid, (const uint64_t *)&st->ips[FR_STACK_KERN_MAX], nu, uf);
		for (size_t k = 0; k < nu; k++) {
			PbFrame *f = ANEW(a, PbFrame, 1);

			if (!f)
				return -ENOMEM;
			flightrec__snapshot__v1__frame__init(f);
			f->addr = uf[k].ip;
			f->symbol = (char *)(uf[k].sym ? uf[k].sym : "");
			f->offset = uf[k].off;
			f->module = (char *)(uf[k].module ? uf[k].module : "");
			ps->frames[ps->n_frames++] = f;
		}
		snap->stacks[i] = ps;
	}
	return 0;
}

/* The fds seen in the window's syscalls of the process, with their paths. */
static int fill_fds(struct fr_arena *a, const struct fr_window *w, uint32_t pid,
		    struct name_ctx *nc, PbSnap *snap)
{
	uint64_t seen[64];
	size_t n = 0;

	snap->fds = ANEW(a, PbFd *, 64);
	if (!snap->fds)
		return -ENOMEM;
	for (size_t i = 0; i < w->nr_events && n < 64; i++) {
		const struct fr_rec *r = &w->events[i].rec;
		char path[160] = "";
		bool dup = false;
		PbFd *f;

		if (r->type != FR_REC_SYSCALL || r->pid != pid || r->sys.arg0 >= 4096 ||
		    (int64_t)r->sys.arg0 < 0)
			continue;
		{
			const char *name = fr_syscall_name(r->aux);

			if (!name || !fr_syscall_takes_fd(name))
				continue;
		}
		for (size_t k = 0; k < n; k++)
			dup |= seen[k] == r->sys.arg0;
		if (dup)
			continue;
		fd_path(&nc->fds, pid, r->sys.arg0, path, sizeof(path));
		seen[n++] = r->sys.arg0;
		if (!path[0])
			continue;
		f = ANEW(a, PbFd, 1);
		if (!f)
			return -ENOMEM;
		flightrec__snapshot__v1__fd_path__init(f);
		f->fd = (uint32_t)r->sys.arg0;
		f->path = fr_arena__strndup(a, path, strlen(path));
		snap->fds[snap->n_fds++] = f;
	}
	return 0;
}

int fr_frsnap__unwrap(const void *p, size_t len, struct fr_buf *pb)
{
	unsigned long long size;

	if (len < FR_FRSNAP_MAGIC_LEN || memcmp(p, FR_FRSNAP_MAGIC, FR_FRSNAP_MAGIC_LEN))
		return -EBADMSG;
	p = (const char *)p + FR_FRSNAP_MAGIC_LEN;
	len -= FR_FRSNAP_MAGIC_LEN;
	size = ZSTD_getFrameContentSize(p, len);
	if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > (1ull << 31))
		return -EBADMSG;
	fr_buf__reserve(pb, size);
	if (pb->oom)
		return -ENOMEM;
	size = ZSTD_decompress(pb->p, size, p, len);
	if (ZSTD_isError(size))
		return -EBADMSG;
	pb->len = size;
	return 0;
}

int fr_snapshotter__take(struct fr_snapshotter *s, const struct fr_incident_in *in,
			 struct fr_incident_out *out)
{
	const struct fr_span *sp = in->span;
	ProtobufCAllocator alloc = { pb_alloc, pb_free, NULL };
	struct fr_window *w = NULL;
	struct fr_evidence ev = { 0 };
	struct name_ctx nc = { 0 };
	struct fr_clock clk;
	struct fr_arena *a = fr_arena__new(65536);
	struct fr_buf span_pb = { 0 };
	PbSnap snap = FLIGHTREC__SNAPSHOT__V1__SNAPSHOT__INIT;
	PbWindow win = FLIGHTREC__SNAPSHOT__V1__WINDOW__INIT;
	PbRecords recs = FLIGHTREC__SNAPSHOT__V1__RECORDS__INIT;
	uint64_t S, E, t0, t1, missing = 0;
	const char *no_ctx = NULL;
	bool context = false;
	uint8_t *packed = NULL;
	size_t plen;
	int err = -ENOMEM;

	memset(out, 0, sizeof(*out));
	if (!a)
		return -ENOMEM;
	alloc.allocator_data = a;
	fr_clock__sample(&clk, 16);
	S = fr_clock__to_mono(&clk, sp->start_ns);
	E = fr_clock__to_mono(&clk, sp->end_ns > sp->start_ns ? sp->end_ns : sp->start_ns);
	t0 = S > s->o.pre_ns ? S - s->o.pre_ns : 0;
	t1 = E + s->o.post_ns;

	if (!s->cap && !s->o.view)
		no_ctx = "kernel capture is off (not root, or --no-kernel)";
	else if (!in->host_pid)
		no_ctx = "the span's resource has no process.pid";
	else if (!in->followed)
		no_ctx = "the process was not followed yet when the span ran (its spans had just begun)";
	if (!no_ctx) {
		struct fr_window_req req = { .pid = (uint32_t)in->host_pid, .t0 = t0, .t1 = t1 };
		uint64_t now = fr_mono_ns();

		/* the window's end must have passed (bounded: spans come late anyway) */
		if (now < t1 && t1 - now < 2000000000ull) {
			struct timespec nap = { (time_t)((t1 - now) / 1000000000ull),
						(long)((t1 - now) % 1000000000ull) };

			nanosleep(&nap, NULL);
		}
		err = s->o.view ? fr_ring__read_window(s->o.view, &req, &w)
				: fr_capture__read_window(s->cap, &req, &w);
		if (err)
			goto out;
		context = true;
		if (w->complete_from > t0)
			missing = (w->complete_from < t1 ? w->complete_from : t1) - t0;
	}

	nc.names = fr_names__new(w);
	if (!nc.names)
		goto fail;
	nc.fds.pid = (uint32_t)in->host_pid;
	if (context) {
		struct fr_annotate_ctx ac = {
			.pid = (uint32_t)in->host_pid, .span_start = S, .span_end = E,
			.hint_tid = sp->thread_id, .thread_name = thread_name, .fd_path = fd_path_cb,
			.ctx = &nc, .ksyms = s->ksyms,
			.missing_ns = w->complete_from > S ? (w->complete_from < E ? w->complete_from : E) - S : 0,
		};

		err = fr_annotate(w, &ac, &ev);
		if (err)
			goto out;
	} else {
		snprintf(ev.verdict, sizeof(ev.verdict), "no kernel context: %s", no_ctx);
	}

	out->export = build_export(s, in, w, context ? &ev : NULL, &clk, missing, context, &nc);
	if (!out->export)
		goto fail;
	/* the annotated span and its children, as OTLP messages in the snapshot */
	fr_otlp__encode_proto(out->export->spans, out->export->nr_spans, &span_pb);
	if (span_pb.oom)
		goto fail;
	{
		Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest *req =
			opentelemetry__proto__collector__trace__v1__export_trace_service_request__unpack(
				&alloc, span_pb.len, span_pb.p);

		if (!req || req->n_resource_spans != 1)
			goto fail;
		snap.span = req->resource_spans[0];
		if (snap.span->n_scope_spans == 2) {
			snap.n_child_spans = snap.span->scope_spans[1]->n_spans;
			snap.child_spans = snap.span->scope_spans[1]->spans;
			snap.span->n_scope_spans = 1;
		}
	}

	snap.schema_version = 1;
	snap.incident_id = in->id;
	snap.captured_unix_nano = fr_wall_ns();
	snap.rule = (char *)in->rule;
	snap.trigger_reason = (char *)in->decision.reason;
	snap.threshold_ns = in->decision.threshold_ns;
	snap.verdict = ev.verdict;
	win.kernel_context = context;
	win.no_context_reason = (char *)(no_ctx ? no_ctx : "");
	win.pid = (uint32_t)in->host_pid;
	win.start_mono_ns = t0;
	win.end_mono_ns = t1;
	win.clock_offset_ns = clk.offset_ns;
	win.clock_uncertainty_ns = clk.uncertainty_ns;
	win.span_start_mono_ns = S;
	win.span_end_mono_ns = E;
	win.focus_tid = ev.focus_tid;
	if (w) {
		win.complete_from_mono_ns = w->complete_from;
		win.missing_ns = missing;
		win.records_dropped = w->dropped;
		win.stacks_lost = w->stacks_lost;
		if (fill_records(a, w, t0, &recs) || fill_stacks(s, a, w, win.pid, &snap) ||
		    fill_fds(a, w, win.pid, &nc, &snap))
			goto fail;
		snap.records = &recs;
	}
	snap.window = &win;
	snap.threads = ANEW(a, PbThread *, ev.nr_threads);
	snap.causes = ANEW(a, PbCause *, ev.nr_causes);
	snap.syscalls = ANEW(a, PbSys *, ev.nr_syscalls);
	if (!snap.threads || !snap.causes || !snap.syscalls)
		goto fail;
	for (size_t i = 0; i < ev.nr_threads; i++) {
		PbThread *t = ANEW(a, PbThread, 1);

		if (!t)
			goto fail;
		flightrec__snapshot__v1__thread__init(t);
		t->tid = ev.threads[i].tid;
		t->name = ev.threads[i].name;
		t->on_cpu_ns = ev.threads[i].on_cpu_ns;
		t->runnable_ns = ev.threads[i].runnable_ns;
		t->blocked_ns = ev.threads[i].blocked_ns;
		t->syscalls = ev.threads[i].syscalls;
		t->switches = ev.threads[i].switches;
		t->score = ev.threads[i].score;
		snap.threads[snap.n_threads++] = t;
	}
	for (size_t i = 0; i < ev.nr_causes; i++) {
		PbCause *c = ANEW(a, PbCause, 1);

		if (!c)
			goto fail;
		flightrec__snapshot__v1__cause__init(c);
		c->what = ev.causes[i].what;
		c->ns = ev.causes[i].ns;
		c->count = ev.causes[i].count;
		snap.causes[snap.n_causes++] = c;
	}
	for (size_t i = 0; i < ev.nr_syscalls; i++) {
		PbSys *y = ANEW(a, PbSys, 1);
		const char *name = fr_syscall_name(ev.syscalls[i].nr);

		if (!y)
			goto fail;
		flightrec__snapshot__v1__syscall_summary__init(y);
		y->name = (char *)(name ? name : "?");
		y->nr = ev.syscalls[i].nr;
		y->count = ev.syscalls[i].count;
		y->total_ns = ev.syscalls[i].total_ns;
		y->max_ns = ev.syscalls[i].max_ns;
		snap.syscalls[snap.n_syscalls++] = y;
	}

	/* pack, compress, wrap */
	plen = flightrec__snapshot__v1__snapshot__get_packed_size(&snap);
	packed = malloc(plen ? plen : 1);
	if (!packed)
		goto fail;
	flightrec__snapshot__v1__snapshot__pack(&snap, packed);
	{
		size_t bound = ZSTD_compressBound(plen), z;
		uint8_t *f = malloc(FR_FRSNAP_MAGIC_LEN + bound);

		if (!f)
			goto fail;
		memcpy(f, FR_FRSNAP_MAGIC, FR_FRSNAP_MAGIC_LEN);
		z = ZSTD_compress(f + FR_FRSNAP_MAGIC_LEN, bound, packed, plen, s->o.zstd_level);
		if (ZSTD_isError(z)) {
			pr_err("zstd: %s", ZSTD_getErrorName(z));
			free(f);
			err = -EIO;
			goto out;
		}
		out->frsnap = f;
		out->frsnap_len = FR_FRSNAP_MAGIC_LEN + z;
		out->raw_bytes = plen;
	}

	/* the summary */
	{
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
		snprintf(sum->verdict, sizeof(sum->verdict), "%s", ev.verdict);
		sum->kernel_context = context;
		sum->complete = context && !missing;
		sum->snapshot_bytes = out->frsnap_len;
		sum->records = w ? (uint32_t)w->nr_events : 0;
		sum->kind = sp->kind;
		sum->pid = (uint32_t)in->host_pid;
	}
	err = 0;
	goto out;
fail:
	err = -ENOMEM;
out:
	if (err) {
		fr_batch__put(out->export);
		free(out->frsnap);
		memset(out, 0, sizeof(*out));
	}
	free(packed);
	fr_buf__free(&span_pb);
	fr_evidence__free(&ev);
	fr_names__free(nc.names);
	fr_window__free(w);
	fr_arena__free(a);
	return err;
}
