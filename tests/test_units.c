// SPDX-License-Identifier: MIT
/*
 * test_units.c - the capture layer's name lookups and the snapshot viewer:
 * user symbols of this very process (a function of ours, one of libc, an
 * address in no mapping, a process that is gone), thread names (live
 * threads, renamed ones, threads known only from a window's exit record),
 * and the .frsnap container and its renderings (round trip, bad magic,
 * truncation, JSON and Perfetto output that parse).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <sys/mman.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "fr_buf.h"
#include "fr_cgroup.h"
#include "fr_frsnap.h"
#include "fr_names.h"
#include "fr_snapview.h"
#include "fr_annotate.h"
#include "fr_signature.h"
#include "fr_usyms.h"
#include "fr_test_util.h"

/* ---------------- user symbols ---------------- */

__attribute__((noinline)) int fr_units_marker_fn(int x)
{
	return x * 3 + 1;
}

static void test_usyms(void **state)
{
	struct fr_usyms *u = fr_usyms__new();
	uint64_t ips[3] = { (uint64_t)(uintptr_t)&fr_units_marker_fn + 4,
			    (uint64_t)(uintptr_t)&getppid, 0x10 };
	struct fr_uframe f[3];

	(void)state;
	assert_non_null(u);
	assert_int_equal(fr_units_marker_fn(1), 4);
	assert_int_equal(fr_usyms__resolve(u, getpid(), ips, 3, f), 0);
	assert_non_null(f[0].sym);
	assert_string_equal(f[0].sym, "fr_units_marker_fn");
	assert_int_equal(f[0].off, 4);
	assert_non_null(strstr(f[0].module, "test_units"));
	assert_non_null(f[1].sym);
	assert_non_null(strstr(f[1].sym, "getppid"));
	assert_non_null(strstr(f[1].module, "libc"));
	assert_null(f[2].sym);
	assert_null(f[2].module);
	assert_int_equal(f[2].ip, 0x10);
	/* an address past the end of a function is not that function's: the
	 * function's size from the binary's own symbol table (nm -S) */
	{
		char cmd[600], *out;
		unsigned long long vaddr = 0, size = 0;
		int st;

		snprintf(cmd, sizeof(cmd), "nm -S --defined-only /proc/%d/exe | grep ' fr_units_marker_fn$'",
			 (int)getpid());
		out = fr_test_run(cmd, &st);
		assert_non_null(out);
		assert_int_equal(sscanf(out, "%llx %llx", &vaddr, &size), 2);
		free(out);
		assert_true(size > 0);
		ips[0] = (uint64_t)(uintptr_t)&fr_units_marker_fn + size;
		assert_int_equal(fr_usyms__resolve(u, getpid(), ips, 1, f), 0);
		print_message("past the end: %s+0x%llx\n", f[0].sym ? f[0].sym : f[0].module,
			      (unsigned long long)f[0].off);
		assert_true(!f[0].sym || strcmp(f[0].sym, "fr_units_marker_fn"));
		if (!f[0].sym) /* padding: module+offset, the offset the file's */
			assert_int_equal(f[0].off, vaddr + size);
	}
	/* code outside every file (a JIT's) is named by the process's perf map,
	 * read again when it grows; outside every entry it stays unnamed */
	{
		char map[64];
		uint8_t *jit = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
				    -1, 0);
		FILE *pm;
		uint64_t jips[3];
		struct fr_uframe jf[3];

		assert_true(jit != MAP_FAILED);
		snprintf(map, sizeof(map), "/tmp/perf-%d.map", (int)getpid());
		pm = fopen(map, "w");
		assert_non_null(pm);
		fprintf(pm, "%llx 100 LazyCompile:*slowJournal /app/journal.js:10\n",
			(unsigned long long)(uintptr_t)jit);
		fclose(pm);
		jips[0] = (uint64_t)(uintptr_t)jit + 0x10;
		jips[1] = (uint64_t)(uintptr_t)jit + 0x200;
		assert_int_equal(fr_usyms__resolve(u, getpid(), jips, 2, jf), 0);
		assert_non_null(jf[0].sym);
		assert_string_equal(jf[0].sym, "LazyCompile:*slowJournal /app/journal.js:10");
		assert_int_equal(jf[0].off, 0x10);
		assert_null(jf[1].sym);
		pm = fopen(map, "a"); /* the JIT compiles another function */
		assert_non_null(pm);
		fprintf(pm, "%llx 80 LazyCompile:*answer /app/http.js:3\n",
			(unsigned long long)(uintptr_t)jit + 0x200);
		fclose(pm);
		jips[2] = (uint64_t)(uintptr_t)jit + 0x204;
		assert_int_equal(fr_usyms__resolve(u, getpid(), &jips[2], 1, &jf[2]), 0);
		assert_non_null(jf[2].sym);
		assert_string_equal(jf[2].sym, "LazyCompile:*answer /app/http.js:3");
		unlink(map);
		munmap(jit, 4096);
	}
	/* a process that is gone: unresolved, and said so */
	assert_int_equal(fr_usyms__resolve(u, 0x3ffffe, ips, 1, f), -ENOENT);
	assert_null(f[0].sym);
	fr_usyms__free(u);
	fr_usyms__free(NULL);
}

/* ---------------- cause signatures ---------------- */

static void test_signatures(void **state)
{
	static const struct {
		const char *in, *out;
	} norm[] = {
		{ "fsync(/var/tmp/fr-diag-bEb3th/wal-12)", "fsync(/var/tmp/fr-diag-*/wal-#)" },
		{ "fsync(/var/tmp/fr-diag-Qx81Zt/wal-3)", "fsync(/var/tmp/fr-diag-*/wal-#)" },
		{ "pid 1786 (flock) in flock(/tmp/lockfile)", "pid # (flock) in flock(/tmp/lockfile)" },
		{ "waiting for CPU: preempted by 2 processes (cpuhog) (pids 1789, 1790)",
		  "waiting for CPU: preempted by # processes (cpuhog) (pids #, #)" },
		/* the client's ephemeral port goes, the server's address and port stay */
		{ "tcp 127.0.0.1:48176 → 127.0.0.1:5432", "tcp 127.0.0.1:# → 127.0.0.1:5432" },
		{ "tcp 10.0.0.7:6379", "tcp 10.0.0.7:6379" },
		{ "/sys/fs/cgroup/docker-3f4e2a91c0ffee12.scope", "/sys/fs/cgroup/docker-*.scope" },
		{ "kworker/u8:4", "kworker/u#:#" },
		{ "/app/MyService/journal", "/app/MyService/journal" }, /* words stay */
	};
	char a[200], b[200], tiny[8];
	uint64_t s1, s2;

	(void)state;
	for (size_t i = 0; i < sizeof(norm) / sizeof(norm[0]); i++) {
		fr_signature__normalise(norm[i].in, a, sizeof(a));
		if (strcmp(a, norm[i].out))
			fail_msg("normalise '%s': '%s', not '%s'", norm[i].in, a, norm[i].out);
	}
	fr_signature__normalise("a-very-long-text", tiny, sizeof(tiny));
	assert_int_equal(strlen(tiny), sizeof(tiny) - 1); /* cut, terminated */
	/* the same cause in two occurrences: one signature */
	s1 = fr_signature("shop", "POST /pay", "blocked", "fsync(/var/tmp/x-bEb3th/wal-12)", a,
			  sizeof(a));
	s2 = fr_signature("shop", "POST /pay", "blocked", "fsync(/var/tmp/x-Qx81Zt/wal-3)", b,
			  sizeof(b));
	assert_true(s1 != 0);
	assert_int_equal(s1, s2);
	assert_string_equal(a, b);
	/* another file, another peer, another operation or kind: another */
	assert_true(s1 != fr_signature("shop", "POST /pay", "blocked", "fsync(/var/tmp/x-bEb3th/journal)",
				       a, sizeof(a)));
	assert_true(fr_signature("shop", "GET /", "chain", "pid 9 (inventory) in fsync(/d)", a, sizeof(a)) !=
		    fr_signature("shop", "GET /", "chain", "pid 9 (pricing) in fsync(/d)", b, sizeof(b)));
	assert_true(s1 != fr_signature("shop", "GET /pay", "blocked", "fsync(/var/tmp/x-bEb3th/wal-12)",
				       a, sizeof(a)));
	assert_true(s1 != fr_signature("shop", "POST /pay", "on-cpu", "fsync(/var/tmp/x-bEb3th/wal-12)",
				       a, sizeof(a)));
	/* from evidence: waiting for CPU is grouped by who held it, however
	 * many of them and whichever pids */
	{
		struct fr_evidence e1 = { .nr_causes = 1 }, e2 = { .nr_causes = 1 }, e3 = { .nr_causes = 1 };

		e1.causes[0].kind = e2.causes[0].kind = e3.causes[0].kind = FR_CAUSE_RUNNABLE;
		snprintf(e1.causes[0].what, sizeof(e1.causes[0].what),
			 "waiting for CPU: preempted by pid 812 (chromium)");
		snprintf(e2.causes[0].what, sizeof(e2.causes[0].what),
			 "waiting for CPU: preempted by 3 processes (chromium) (pids 1, 2, 3) and 1 other");
		snprintf(e3.causes[0].what, sizeof(e3.causes[0].what),
			 "waiting for CPU: preempted by pid 812 (cmake)");
		s1 = fr_signature__of("shop", "GET /", &e1, NULL, a, sizeof(a));
		assert_string_equal(a, "waiting for CPU behind chromium");
		assert_int_equal(s1, fr_signature__of("shop", "GET /", &e2, NULL, b, sizeof(b)));
		assert_true(s1 != fr_signature__of("shop", "GET /", &e3, NULL, b, sizeof(b)));
		/* the chain's root first; no context by its reason */
		snprintf(e3.chain_root, sizeof(e3.chain_root), "pid 900 (inventory) in fsync(/d/wal-7)");
		fr_signature__of("shop", "GET /", &e3, NULL, a, sizeof(a));
		assert_string_equal(a, "pid # (inventory) in fsync(/d/wal-#)");
		fr_signature__of("shop", "GET /", NULL, "the span's resource has no process.pid", a,
				 sizeof(a));
		assert_string_equal(a, "the span's resource has no process.pid");
		/* a slow fsync behind another user of the disk: by that user's
		 * name, whichever pid */
		snprintf(e3.disk.dev, sizeof(e3.disk.dev), "vda");
		snprintf(e3.disk.users[0].who, sizeof(e3.disk.users[0].who), "backup-job (pid 4242)");
		e3.disk.users[0].pid = 4242;
		e3.disk.nr_users = 1;
		s1 = fr_signature__of("shop", "GET /", &e3, NULL, a, sizeof(a));
		assert_string_equal(a, "pid # (inventory) in fsync(/d/wal-#); vda busy with backup-job");
		snprintf(e3.disk.users[0].who, sizeof(e3.disk.users[0].who), "backup-job (pid 77)");
		assert_int_equal(s1, fr_signature__of("shop", "GET /", &e3, NULL, b, sizeof(b)));
		snprintf(e3.disk.users[0].who, sizeof(e3.disk.users[0].who), "dd (pid 77)");
		assert_true(s1 != fr_signature__of("shop", "GET /", &e3, NULL, b, sizeof(b)));
		/* the kernel's own requests, for no process seen: no neighbour */
		e3.disk.users[0].pid = 0;
		fr_signature__of("shop", "GET /", &e3, NULL, a, sizeof(a));
		assert_string_equal(a, "pid # (inventory) in fsync(/d/wal-#)");
	}
}

/* ---------------- thread names ---------------- */

static pthread_barrier_t named_ready, named_done;
static pid_t named_tid;

static void *named_thread(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "fr-worker-7");
	named_tid = (pid_t)syscall(SYS_gettid);
	pthread_barrier_wait(&named_ready);
	pthread_barrier_wait(&named_done);
	return NULL;
}

static void test_names(void **state)
{
	struct fr_event ev = { .stack = -1 };
	struct fr_window w = { .events = &ev, .nr_events = 1 };
	struct fr_names *n;
	pthread_t t;

	(void)state;
	pthread_barrier_init(&named_ready, NULL, 2);
	pthread_barrier_init(&named_done, NULL, 2);
	assert_int_equal(pthread_create(&t, NULL, named_thread, NULL), 0);
	pthread_barrier_wait(&named_ready);
	/* a thread gone before the snapshot: named by its exit record */
	ev.rec = (struct fr_rec){ .type = FR_REC_EXIT, .tid = 999999, .pid = (uint32_t)getpid() };
	snprintf(ev.rec.ex.comm, sizeof(ev.rec.ex.comm), "gone-thread");
	n = fr_names__new(&w);
	assert_non_null(n);
	assert_string_equal(fr_names__get(n, getpid(), 999999), "gone-thread");
	assert_string_equal(fr_names__get(n, getpid(), (uint32_t)named_tid), "fr-worker-7");
	assert_string_equal(fr_names__get(n, getpid(), (uint32_t)getpid()), "test_units");
	assert_string_equal(fr_names__get(n, 0x3ffffe, 0x3ffffe), "?");
	pthread_barrier_wait(&named_done);
	pthread_join(t, NULL);
	/* looked up once and remembered: still named after the thread is gone */
	assert_string_equal(fr_names__get(n, getpid(), (uint32_t)named_tid), "fr-worker-7");
	fr_names__free(n);
	fr_names__free(NULL);
	/* without a window */
	n = fr_names__new(NULL);
	assert_non_null(n);
	assert_string_equal(fr_names__get(n, getpid(), (uint32_t)getpid()), "test_units");
	fr_names__free(n);
	pthread_barrier_destroy(&named_ready);
	pthread_barrier_destroy(&named_done);
}

/* ---------------- .frsnap and its renderings ---------------- */

typedef Flightrec__Snapshot__V1__Window PbWindow;
typedef Flightrec__Snapshot__V1__Records PbRecords;
typedef Flightrec__Snapshot__V1__Thread PbThread;

/* A small snapshot: one thread, a syscall and a switch, a span. */
static void build(PbSnap *s, PbWindow *w, PbRecords *r, PbThread *th, PbThread **ths,
		  Opentelemetry__Proto__Trace__V1__ResourceSpans *rs)
{
	static Opentelemetry__Proto__Trace__V1__ScopeSpans ss =
		OPENTELEMETRY__PROTO__TRACE__V1__SCOPE_SPANS__INIT;
	static Opentelemetry__Proto__Trace__V1__Span sp = OPENTELEMETRY__PROTO__TRACE__V1__SPAN__INIT;
	static Opentelemetry__Proto__Trace__V1__Span *sps[1] = { &sp };
	static Opentelemetry__Proto__Trace__V1__ScopeSpans *sss[1] = { &ss };
	static Opentelemetry__Proto__Resource__V1__Resource res =
		OPENTELEMETRY__PROTO__RESOURCE__V1__RESOURCE__INIT;
	static Opentelemetry__Proto__Common__V1__KeyValue kv = OPENTELEMETRY__PROTO__COMMON__V1__KEY_VALUE__INIT;
	static Opentelemetry__Proto__Common__V1__AnyValue av = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__INIT;
	static Opentelemetry__Proto__Common__V1__KeyValue *kvs[1] = { &kv };
	static uint32_t type[2] = { FR_REC_SYSCALL, FR_REC_SWITCH }, cpu[2], tid[2] = { 42, 42 },
			pid[2] = { 40, 40 }, aux[2] = { 74, 2 }, flags[2];
	static uint64_t ts[2] = { 1000000, 2000000 }, a[2] = { 900000, 0 }, c[2];
	static int64_t b[2];

	flightrec__snapshot__v1__snapshot__init(s);
	flightrec__snapshot__v1__window__init(w);
	flightrec__snapshot__v1__records__init(r);
	flightrec__snapshot__v1__thread__init(th);
	av.value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE;
	av.string_value = "checkout";
	kv.key = "service.name";
	kv.value = &av;
	res.attributes = kvs;
	res.n_attributes = 1;
	sp.name = "POST /pay";
	sp.start_time_unix_nano = 5000000000ull;
	sp.end_time_unix_nano = 5003000000ull;
	ss.spans = sps;
	ss.n_spans = 1;
	rs->resource = &res;
	rs->scope_spans = sss;
	rs->n_scope_spans = 1;
	s->schema_version = 1;
	s->incident_id = 77;
	s->verdict = "blocked in fsync";
	s->span = rs;
	w->kernel_context = true;
	w->pid = 40;
	w->start_mono_ns = 0;
	w->end_mono_ns = 4000000;
	w->span_start_mono_ns = 500000;
	w->span_end_mono_ns = 3500000;
	w->focus_tid = 42;
	s->window = w;
	r->n_type = r->n_ts_delta = r->n_cpu = r->n_tid = r->n_pid = r->n_aux = r->n_flags = 2;
	r->n_a = r->n_b = r->n_c = 2;
	r->type = type, r->ts_delta = ts, r->cpu = cpu, r->tid = tid, r->pid = pid;
	r->aux = aux, r->flags = flags, r->a = a, r->b = b, r->c = c;
	s->records = r;
	th->tid = 42;
	th->name = "pay-worker";
	ths[0] = th;
	s->threads = ths;
	s->n_threads = 1;
}

static void test_frsnap_and_views(void **state)
{
	PbSnap s, *d;
	PbWindow w;
	PbRecords r;
	PbThread th, *ths[1];
	Opentelemetry__Proto__Trace__V1__ResourceSpans rs = OPENTELEMETRY__PROTO__TRACE__V1__RESOURCE_SPANS__INIT;
	struct fr_buf o = { 0 };
	struct json_object *j, *evs;
	size_t len, raw;
	void *frsnap;
	bool saw_fsync = false;

	(void)state;
	build(&s, &w, &r, &th, ths, &rs);
	assert_int_equal(fr_frsnap__wrap(&s, 3, &frsnap, &len, &raw), 0);
	assert_memory_equal(frsnap, FR_FRSNAP_MAGIC, FR_FRSNAP_MAGIC_LEN);
	assert_int_equal(raw, flightrec__snapshot__v1__snapshot__get_packed_size(&s));
	assert_int_equal(fr_frsnap__decode(frsnap, len, FR_FRSNAP_MAX_BYTES, &d), 0);
	assert_int_equal(d->incident_id, 77);
	assert_string_equal(d->verdict, "blocked in fsync");
	assert_int_equal(d->records->n_type, 2);
	/* lookups */
	assert_string_equal(fr_snapview__span(d)->name, "POST /pay");
	assert_string_equal(fr_snapview__service(d), "checkout");
	assert_string_equal(fr_snapview__thread_name(d, 42), "pay-worker");
	assert_string_equal(fr_snapview__thread_name(d, 43), "");
	/* JSON: every field, parseable */
	fr_snapview__json(&o, &d->base);
	fr_buf__putc(&o, '\0');
	j = json_tokener_parse((const char *)o.p);
	assert_non_null(j);
	assert_true(json_object_object_get_ex(j, "verdict", NULL));
	assert_true(json_object_object_get_ex(j, "records", NULL));
	json_object_put(j);
	fr_buf__free(&o);
	/* Perfetto: trace events that parse, the fsync among them */
	fr_snapview__perfetto(d, &o);
	fr_buf__putc(&o, '\0');
	j = json_tokener_parse((const char *)o.p);
	assert_non_null(j);
	assert_true(json_object_object_get_ex(j, "traceEvents", &evs));
	for (size_t i = 0; i < json_object_array_length(evs); i++) {
		struct json_object *name;

		if (json_object_object_get_ex(json_object_array_get_idx(evs, i), "name", &name) &&
		    strstr(json_object_get_string(name), "fsync"))
			saw_fsync = true;
	}
	assert_true(saw_fsync);
	json_object_put(j);
	fr_buf__free(&o);
	fr_frsnap__free(d);
	/* bad input: no magic, a truncated frame, garbage after the magic */
	assert_int_equal(fr_frsnap__decode("FRSNAP", 6, FR_FRSNAP_MAX_BYTES, &d), -EBADMSG);
	assert_null(d);
	assert_int_equal(fr_frsnap__decode("XXSNAP01abcdefgh", 16, FR_FRSNAP_MAX_BYTES, &d), -EBADMSG);
	assert_int_equal(fr_frsnap__decode(frsnap, len - 3, FR_FRSNAP_MAX_BYTES, &d), -EBADMSG);
	memset((char *)frsnap + FR_FRSNAP_MAGIC_LEN, 0x5a, len - FR_FRSNAP_MAGIC_LEN);
	assert_int_equal(fr_frsnap__decode(frsnap, len, FR_FRSNAP_MAX_BYTES, &d), -EBADMSG);
	free(frsnap);
	fr_frsnap__free(NULL);
}

/* Writes text to root/rel (directories made). */
static void put(const char *root, const char *rel, const char *text)
{
	char path[700], cmd[900];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	assert_int_equal(system(cmd), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* The path of this process's cgroup for controller ctrl ("" for v2's). */
static void my_cgroup(const char *ctrl, char *buf, size_t len)
{
	char line[512];
	FILE *f = fopen("/proc/self/cgroup", "r");

	buf[0] = '\0';
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *a = strchr(line, ':'), *b = a ? strchr(a + 1, ':') : NULL;

		line[strcspn(line, "\n")] = '\0';
		if (!b)
			continue;
		*b = '\0';
		if (!strcmp(a + 1, ctrl))
			snprintf(buf, len, "%s", b + 1);
	}
	fclose(f);
}

/*
 * The CPU and memory limits binding a process, from a cgroupfs laid out
 * in a directory: v1 (controllers mounted apart) where /proc/self/cgroup
 * names a v1 cpu hierarchy, else v2; the nearest limited ancestor; "none"
 * limits skipped; figures formatted for people.
 */
static void test_cgroup_limits(void **state)
{
	char root[] = "/tmp/fr-cg-XXXXXX", cpu[256], mem[256], rel[600], up[300], b[32];
	struct fr_cpu_limit cl;
	struct fr_mem_limit ml;
	bool v1;

	(void)state;
	assert_non_null(mkdtemp(root));
	my_cgroup("cpu", cpu, sizeof(cpu));
	v1 = cpu[0] != '\0';
	if (!v1)
		my_cgroup("", cpu, sizeof(cpu)); /* v2 */
	/* no limit anywhere */
	assert_int_equal(fr_cgroup__cpu_limit(root, getpid(), &cl), -ENOENT);
	/* the limit one level up from the process's own cgroup (or at its root) */
	snprintf(up, sizeof(up), "%s", cpu);
	if (strrchr(up, '/') && strrchr(up, '/') != up)
		*strrchr(up, '/') = '\0';
	else
		snprintf(up, sizeof(up), "/");
	if (v1) {
		snprintf(rel, sizeof(rel), "cpu%s/cpu.cfs_quota_us", cpu);
		put(root, rel, "-1\n");
		snprintf(rel, sizeof(rel), "cpu%s/cpu.cfs_quota_us", strcmp(up, "/") ? up : "");
		put(root, rel, "30000\n");
		snprintf(rel, sizeof(rel), "cpu%s/cpu.cfs_period_us", strcmp(up, "/") ? up : "");
		put(root, rel, "100000\n");
		snprintf(rel, sizeof(rel), "cpu%s/cpu.stat", strcmp(up, "/") ? up : "");
		put(root, rel, "nr_periods 40\nnr_throttled 12\nthrottled_time 1200000000\n");
	} else {
		put(root, "cgroup.controllers", "cpu memory\n");
		snprintf(rel, sizeof(rel), "%s/cpu.max", cpu);
		put(root, rel, "max 100000\n");
		snprintf(rel, sizeof(rel), "%s/cpu.max", strcmp(up, "/") ? up : "");
		put(root, rel, "30000 100000\n");
		snprintf(rel, sizeof(rel), "%s/cpu.stat", strcmp(up, "/") ? up : "");
		put(root, rel, "nr_periods 40\nnr_throttled 12\nthrottled_usec 1200000\n");
	}
	assert_int_equal(fr_cgroup__cpu_limit(root, getpid(), &cl), 0);
	assert_string_equal(cl.path, up);
	assert_int_equal(cl.quota_us, 30000);
	assert_int_equal(cl.period_us, 100000);
	assert_int_equal(cl.nr_throttled, 12);
	assert_int_equal(cl.nr_periods, 40);
	assert_int_equal(cl.throttled_ns, 1200000000ull);
	assert_int_equal(cl.v2, !v1);
	/* memory: the process's own cgroup limited */
	my_cgroup(v1 ? "memory" : "", mem, sizeof(mem));
	if (v1 && mem[0]) {
		snprintf(rel, sizeof(rel), "memory%s/memory.limit_in_bytes", mem);
		put(root, rel, "536870912\n");
		snprintf(rel, sizeof(rel), "memory%s/memory.usage_in_bytes", mem);
		put(root, rel, "526133248\n");
	} else if (!v1) {
		snprintf(rel, sizeof(rel), "%s/memory.max", mem);
		put(root, rel, "536870912\n");
		snprintf(rel, sizeof(rel), "%s/memory.current", mem);
		put(root, rel, "526133248\n");
	}
	if (!v1 || mem[0]) {
		assert_int_equal(fr_cgroup__memory_limit(root, getpid(), &ml), 0);
		assert_string_equal(ml.path, mem);
		assert_int_equal(ml.limit_bytes, 536870912ull);
		assert_int_equal(ml.usage_bytes, 526133248ull);
	}
	fr_fmt_bytes(536870912ull, b, sizeof(b));
	assert_string_equal(b, "512 MiB");
	fr_fmt_bytes(2040109465ull, b, sizeof(b));
	assert_string_equal(b, "1.9 GiB");
	fr_fmt_bytes(300, b, sizeof(b));
	assert_string_equal(b, "300 B");
	assert_int_equal(fr_test_rm_rf(root), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usyms),
		cmocka_unit_test(test_signatures),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_frsnap_and_views),
		cmocka_unit_test(test_cgroup_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
