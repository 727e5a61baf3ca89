// SPDX-License-Identifier: MIT
/*
 * hot.c - the hot function: where a thread's on-CPU time went, from the
 * on-CPU samples in the window (a CPU-clock event at a few tens of Hz).
 *
 * A frame is the span's when at least half of the thread's samples pass
 * through it; of those, the innermost frame of the application's own code
 * is named, so that "on CPU 250 ms" becomes "92% of it in
 * computeInvoiceTotals (/srv/app.js:41)" rather than "in node" or
 * "in Builtins_InterpreterEntryTrampoline". Any runtime, no SDK help: the
 * span gives the thread and the time, the samples the rest. For a task the
 * span waited for (the chain's root, a pool's threads together) without
 * such a frame, the library's or runtime's function near the leaf that
 * most samples are in ("deflate_slow (node)": zlib for the application),
 * or that its code has no names ("JavaScript without names").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "causes.h"
#include "fr_buf.h"
#include "fr_syscalls.h"
#include "fr_usyms.h"

/* Runtimes whose own frames are not the application's. */
static const char *const runtimes[] = {
	"node", "nodejs", "libnode.so", "python3", "libpython3", "java", "libjvm.so",
	"ruby", "libruby", "perl", "libperl", "php", "dotnet", "libcoreclr.so", "beam.smp",
};

static const char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

static bool starts_with_any(const char *s, const char *const *prefixes, size_t n)
{
	for (size_t k = 0; k < n && prefixes[k]; k++)
		if (!strncmp(s, prefixes[k], strlen(prefixes[k])))
			return true;
	return false;
}

/* One of the system's libraries: libc, libstdc++, libz, ld.so, ... */
static bool is_system_library(const char *module)
{
	return !strncmp(module, "/usr/lib/", 9) || !strncmp(module, "/lib/", 5) ||
	       !strncmp(module, "/lib64/", 7) || !strncmp(module, "/usr/lib64/", 11) ||
	       strstr(module, "/ld-linux");
}

static bool is_runtime(const char *module)
{
	const char *b = base_name(module);

	for (size_t i = 0; i < sizeof(runtimes) / sizeof(runtimes[0]); i++) {
		size_t n = strlen(runtimes[i]);

		/* "python3.11", "libpython3.11.so.1.0", "node" */
		if (!strncmp(b, runtimes[i], n) &&
		    (!b[n] || b[n] == '.' || (b[n] >= '0' && b[n] <= '9')))
			return true;
	}
	return false;
}

static bool is_runtime_module(const char *module)
{
	return is_system_library(module) || is_runtime(module);
}

/*
 * Go's standard library and runtime, linked into the application's own
 * binary: "runtime.mallocgc", "encoding/json.(*decodeState).object" (a
 * package path whose first element has no dot and is not main); the
 * application's are "main.handle" and "github.com/org/app/pkg.F".
 */
static bool is_go_std(const char *name)
{
	size_t n = strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_/");

	return n && name[n] == '.' && name[n + 1] && strncmp(name, "main.", 5) && name[0] != '_';
}

static bool is_perf_map(const char *module)
{
	const char *b = base_name(module);

	return !strncmp(b, "perf-", 5) && strstr(b, ".map");
}

/*
 * A JIT perf map's symbol: node's "JS:*name /a.js:41:7" (older:
 * "LazyCompile:~name file:41"), python's "py::name:/a.py", Java agents'
 * "Lcom/x/Y;name" and plain names. Builtins and stubs are the runtime's.
 */
static bool jit_words(const char *sym, char *name, size_t nlen, char *where, size_t wlen)
{
	static const char *const runtime_kinds[] = { "Builtin:", "BytecodeHandler:", "Stub:",
						     "Handler:", "RegExp:", "Eval:" };
	const char *p = sym, *colon = strchr(sym, ':'), *sp;
	bool own = true;

	for (size_t i = 0; i < sizeof(runtime_kinds) / sizeof(runtime_kinds[0]); i++)
		if (!strncmp(sym, runtime_kinds[i], strlen(runtime_kinds[i])))
			own = false;
	if (!strncmp(sym, "py::", 4)) {
		const char *file = strchr(sym + 4, ':');

		if (file) {
			snprintf(name, nlen, "%.*s", (int)(file - sym - 4), sym + 4);
			snprintf(where, wlen, "%s", file + 1);
		} else {
			snprintf(name, nlen, "%s", sym + 4);
			where[0] = '\0';
		}
		return own;
	}
	/* "Kind:" with no space before it: a node tier prefix */
	if (colon && (!(sp = strchr(sym, ' ')) || colon < sp))
		p = colon + 1;
	while (*p == '*' || *p == '~' || *p == '^' || *p == '+')
		p++;
	sp = strchr(p, ' ');
	if (!sp) {
		snprintf(name, nlen, "%s", *p ? p : "(anonymous)");
		where[0] = '\0';
		return own;
	}
	if (sp == p)
		snprintf(name, nlen, "(anonymous)");
	else
		snprintf(name, nlen, "%.*s", (int)(sp - p), p);
	while (*sp == ' ')
		sp++;
	snprintf(where, wlen, "%s", sp);
	/* "file:41:7": the line is enough */
	{
		char *last = strrchr(where, ':'), *prev;

		if (last) {
			*last = '\0';
			prev = strrchr(where, ':');
			if (!prev || !strspn(prev + 1, "0123456789") ||
			    prev[1 + strspn(prev + 1, "0123456789")])
				*last = ':'; /* only one number: keep it */
		}
	}
	if (!strncmp(where, "file://", 7))
		memmove(where, where + 7, strlen(where + 7) + 1);
	if (!strncmp(where, "node:", 5) || !strncmp(where, "internal/", 9))
		own = false;
	return own;
}

/* "f.constprop.0.isra.0", "f.part.1", "f.cold": the compiler's copies of f
 * are f to a person */
static void strip_clone_suffix(char *name)
{
	static const char *const suffixes[] = { ".constprop.", ".isra.", ".part.", ".cold",
						".lto_priv.", ".clone." };
	char *cut = NULL;

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		char *p = strstr(name, suffixes[i]);

		if (p && p > name && (!cut || p < cut))
			cut = p;
	}
	if (cut)
		*cut = '\0';
}

/* Past a template's arguments ("IiEE", "INS0_4SlotEEE"): p at the 'I';
 * false when they do not end where they should. */
static bool skip_template_args(const char **pp)
{
	const char *p = *pp;
	int depth = 0;

	do {
		if (*p >= '0' && *p <= '9') {
			char *end;
			unsigned long n = strtoul(p, &end, 10);

			if (n > strlen(end))
				return false;
			p = end + n; /* an identifier, or a substitution's number */
			continue;
		}
		if (*p == 'L') { /* a literal, "Lb0E", "Li256E" */
			const char *e = strchr(p, 'E');

			if (!e)
				return false;
			p = e + 1;
			continue;
		}
		if (!*p)
			return false;
		if (strchr("INFXJ", *p))
			depth++;
		else if (*p == 'E')
			depth--;
		p++;
	} while (depth > 0);
	*pp = p;
	return true;
}

/*
 * A C++ function's mangled name, when it is a (nested) name, as a person
 * reads it, in place: "_ZN4node12_GLOBAL__N_111ZlibContext16Do
 * ThreadPoolWorkEv" is "node::(anonymous namespace)::ZlibContext::Do
 * ThreadPoolWork", a template's arguments "<...>", a constructor or
 * destructor its class's name (the parameters left out; a thunk is the
 * function it adjusts for). Operators and local names stay as they are.
 */
static void demangle_nested(char *name, size_t len)
{
	char out[256];
	const char *p = name, *last = NULL;
	int last_len = 0;
	size_t used = 0;
	bool nested;

	if (strncmp(p, "_Z", 2))
		return;
	p += 2;
	if (!strncmp(p, "Thn", 3)) { /* "_ZThn56_N...": a this-adjusting thunk */
		p += 3;
		while (*p >= '0' && *p <= '9')
			p++;
		if (*p++ != '_')
			return;
	}
	nested = *p == 'N';
	if (nested) {
		p++;
		while (*p == 'K' || *p == 'V' || *p == 'r')
			p++;
	}
	out[0] = '\0';
	do {
		char *end;
		unsigned long n;

		if (*p == 'I' && used) {
			if (!skip_template_args(&p))
				return;
			used += (size_t)snprintf(out + used, used < sizeof(out) ? sizeof(out) - used : 0,
						 "<...>");
			continue;
		}
		if ((*p == 'C' && p[1] >= '1' && p[1] <= '3') ||
		    (*p == 'D' && p[1] >= '0' && p[1] <= '2')) {
			if (!last)
				return;
			used += (size_t)snprintf(out + used, used < sizeof(out) ? sizeof(out) - used : 0,
						 "::%s%.*s", *p == 'D' ? "~" : "", last_len, last);
			p += 2;
			continue;
		}
		n = strtoul(p, &end, 10);
		if (end == p || !n || n > strlen(end))
			return; /* not a length-prefixed identifier: left as it is */
		last = !strncmp(end, "_GLOBAL__N", 10) ? "(anonymous namespace)" : end;
		last_len = !strncmp(end, "_GLOBAL__N", 10) ? 21 : (int)n;
		used += (size_t)snprintf(out + used, used < sizeof(out) ? sizeof(out) - used : 0,
					 "%s%.*s", used ? "::" : "", last_len, last);
		p = end + n;
	} while (nested && *p && *p != 'E');
	if (nested && *p != 'E')
		return;
	if (used < sizeof(out))
		snprintf(name, len, "%s", out);
}

bool fr_hot__frame_words(const struct fr_uframe *f, char *name, size_t nlen, char *where,
			 size_t wlen, bool *own)
{
	if (!f->sym || !f->sym[0]) {
		*own = false;
		return false;
	}
	if (f->module && is_perf_map(f->module)) {
		*own = jit_words(f->sym, name, nlen, where, wlen);
		return true;
	}
	snprintf(name, nlen, "%s", f->sym);
	strip_clone_suffix(name);
	demangle_nested(name, nlen);
	snprintf(where, wlen, "%s", f->module ? base_name(f->module) : "?");
	*own = f->module && !is_runtime_module(f->module) && !is_go_std(name);
	return true;
}

/*
 * Where each runtime collects its garbage: the functions of its collector
 * (names as fr_hot__frame_words gives them). A sample through one of them
 * is time the collector took, whoever's allocation started it.
 */
static const struct {
	const char *runtime;
	const char *frames[16];
} collectors[] = {
	{ "V8", { "v8::internal::Heap::CollectGarbage", "v8::internal::Heap::CollectAllGarbage",
		  "v8::internal::Heap::PerformGarbageCollection", "v8::internal::Heap::Scavenge",
		  "v8::internal::Heap::MarkCompact", "v8::internal::Heap::MinorMarkSweep",
		  "v8::internal::Scavenger", "v8::internal::MarkCompactCollector",
		  "v8::internal::MinorMarkSweepCollector", "v8::internal::MinorMarkCompactCollector",
		  "v8::internal::IncrementalMarking", "v8::internal::ConcurrentMarking",
		  "v8::internal::MarkingVisitorBase", "v8::internal::Sweeper", "cppgc::internal::" } },
	{ "Go", { "runtime.gcBgMarkWorker", "runtime.gcAssistAlloc", "runtime.gcDrain",
		  "runtime.scanobject", "runtime.markroot", "runtime.gcStart", "runtime.gcMarkDone",
		  "runtime.gcMarkTermination", "runtime.bgsweep", "runtime.sweepone" } },
	{ "the JVM", { "G1CollectedHeap::", "G1YoungCollector::", "G1ParScanThreadState::",
		       "PSScavenge::", "PSParallelCompact::", "ShenandoahHeap::", "ZDriver::",
		       "SerialHeap::", "GenCollectedHeap::", "VM_GC_Operation::" } },
	{ "Python", { "gc_collect_main", "gc_collect_with_callback", "gc_collect_region",
		      "deduce_unreachable", "_PyGC_Collect" } },
	{ "Ruby", { "gc_start", "gc_marks", "gc_sweep", "garbage_collect" } },
	{ ".NET", { "WKS::gc_heap::", "SVR::gc_heap::", "WKS::GCHeap::GarbageCollect",
		    "SVR::GCHeap::GarbageCollect" } },
};

/* The runtime whose collector name is a function of; NULL when none's. */
static const char *collector_of(const char *name)
{
	for (size_t i = 0; i < sizeof(collectors) / sizeof(collectors[0]); i++)
		if (starts_with_any(name, collectors[i].frames, 16))
			return collectors[i].runtime;
	return NULL;
}

/* A runtime's way into a function, not what the function does: V8's
 * entries, trampolines and API-call glue */
static bool is_call_glue(const char *name)
{
	static const char *const glue[] = {
		"Builtins_CEntry", "Builtins_JSEntry", "Builtins_Call", "Builtins_Construct",
		"Builtins_Interpreter", "Builtins_JSRunMicrotasksEntry",
		"v8::internal::FunctionCallbackArguments::Call",
		"v8::internal::(anonymous namespace)::HandleApiCallHelper",
		"v8::internal::Builtin_HandleApiCall", "v8::internal::(anonymous namespace)::Invoke",
		"v8::internal::Execution::Call", "v8::Function::Call",
	};

	return starts_with_any(name, glue, sizeof(glue) / sizeof(glue[0]));
}

struct fn_count {
	char name[128];
	char where[160];
	bool own;
	bool lib;            /* a system library's, not a runtime's */
	bool entry;          /* where every thread starts (start_thread, clone3) */
	uint32_t through;    /* samples through it */
	uint64_t depth_sum;  /* its frame index summed over them (0 innermost) */
	uint32_t last;       /* the sample that last counted it (once per sample) */
};

struct fn_table {
	struct fn_count *f;
	size_t n, cap;
};

/* A library's or the runtime's frame names where the CPU was only this
 * close to the leaf, on average (frames counted from the innermost, 0):
 * kdf_pbkdf2_derive under HMAC_Final, EVP_DigestFinal_ex, SHA256_Final
 * and the block function is 4 to 5 deep. */
#define HOT_LEAF_DEPTH 6.0

/*
 * The languages whose own functions a runtime leaves without names (no
 * perf map): what that code is, how to have it named, the frames of the
 * interpreter or of the entry to its JIT code, and the runtime's binaries.
 */
static const struct {
	const char *code, *how;
	const char *frames[3], *runtimes[3];
} unnamed_code[] = {
	{ "JavaScript without names", "node --perf-basic-prof names it", { "Builtins_" },
	  { "node", "libnode" } },
	{ "Python without names", "python3 -X perf names it",
	  { "_PyEval_EvalFrame", "PyEval_EvalFrame" }, { "python", "libpython" } },
	{ "Java without names", "a perf-map agent names it", { NULL }, { "libjvm", "java" } },
};

/*
 * Where a language's code has no names: a frame of its interpreter or of
 * the entry to its JIT code (frame), or code of no file under its runtime
 * (module: the runtime's binary or library; frame NULL). The code and how
 * to have it named into func and where; false when neither is known.
 */
static bool unnamed_code_words(const char *frame, const char *module, char *func, size_t flen,
			       char *where, size_t wlen)
{
	for (size_t i = 0; i < sizeof(unnamed_code) / sizeof(unnamed_code[0]); i++) {
		bool match = frame ? starts_with_any(frame, unnamed_code[i].frames, 3)
				   : starts_with_any(base_name(module), unnamed_code[i].runtimes, 3);

		if (match) {
			snprintf(func, flen, "%s", unnamed_code[i].code);
			snprintf(where, wlen, "%s", unnamed_code[i].how);
			return true;
		}
	}
	return false;
}

/* Where threads and processes start: on every stack, naming nothing. */
static bool is_entry(const char *name)
{
	static const char *const entries[] = {
		"start_thread", "clone", "clone3", "__clone", "__clone3", "__GI___clone",
		"__GI___clone3", "__libc_start_main", "__libc_start_call_main", "_start",
	};

	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++)
		if (!strcmp(name, entries[i]))
			return true;
	return false;
}

static int count_frame(struct fn_table *t, const char *name, const char *where, bool own,
		       bool lib, uint32_t sample, size_t depth)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (!strcmp(t->f[i].name, name) && !strcmp(t->f[i].where, where))
			break;
	if (i == t->n) {
		if (t->n == t->cap) {
			size_t cap = t->cap ? t->cap * 2 : 64;
			struct fn_count *f = realloc(t->f, cap * sizeof(*f));

			if (!f)
				return -ENOMEM;
			t->f = f;
			t->cap = cap;
		}
		memset(&t->f[i], 0, sizeof(t->f[i]));
		snprintf(t->f[i].name, sizeof(t->f[i].name), "%s", name);
		snprintf(t->f[i].where, sizeof(t->f[i].where), "%s", where);
		t->f[i].own = own;
		t->f[i].lib = lib;
		t->f[i].entry = is_entry(name);
		t->f[i].last = UINT32_MAX;
		t->n++;
	}
	if (t->f[i].last == sample)
		return 0; /* recursion: a sample passes through a frame once */
	t->f[i].last = sample;
	t->f[i].through++;
	t->f[i].depth_sum += depth;
	return 0;
}

static bool among(const uint32_t *tids, size_t n, uint32_t tid)
{
	for (size_t i = 0; i < n; i++)
		if (tids[i] == tid)
			return true;
	return false;
}

/* A sample of pid's threads tids in [t0, t1]. */
static bool sample_of(const struct fr_event *e, uint32_t pid, const uint32_t *tids, size_t ntids,
		      uint64_t t0, uint64_t t1)
{
	return e->rec.type == FR_REC_SAMPLE && e->rec.pid == pid && e->rec.ts >= t0 &&
	       e->rec.ts <= t1 && among(tids, ntids, e->rec.tid);
}

/* An event's user frames, named (f[0] innermost); 0 when it has none or
 * they cannot be named. */
static size_t user_frames(const struct fr_window *w, const struct fr_annotate_ctx *c,
			  const struct fr_event *e, struct fr_uframe *f)
{
	const struct fr_stack *st;
	size_t n;

	if (e->stack < 0 || (size_t)e->stack >= w->nr_stacks || !c->usyms)
		return 0;
	st = &w->stacks[e->stack];
	n = st->nr_user < FR_STACK_USER_MAX ? st->nr_user : FR_STACK_USER_MAX;
	if (!n || fr_usyms__resolve(c->usyms, (pid_t)e->rec.pid,
				    (const uint64_t *)&st->ips[FR_STACK_KERN_MAX], n, f))
		return 0;
	return n;
}

/*
 * Inside the application's hot function (own), the library's or runtime's
 * function its samples spent their time in, into out->inner: of the frames
 * below it in the samples through it, the innermost (smallest mean depth)
 * that nine in ten of them pass through, not the runtime's way in (an
 * entry, a trampoline) nor its collector (said apart): PBKDF2 hashing
 * called from a request handler is "kdf_pbkdf2_derive (node)", not the
 * HMAC_Final it is in four times in five.
 */
static int inner_function(const struct fr_window *w, const struct fr_annotate_ctx *c, uint32_t pid,
			  const uint32_t *tids, size_t ntids, uint64_t t0, uint64_t t1,
			  const struct fn_count *own, struct fr_hot *out)
{
	struct fn_table t = { 0 };
	const struct fn_count *in = NULL;
	uint32_t through = 0;
	double in_depth = 0;

	for (size_t i = 0; i < w->nr_events; i++) {
		const struct fr_event *e = &w->events[i];
		struct fr_uframe f[FR_STACK_USER_MAX];
		char name[FR_STACK_USER_MAX][128], where[FR_STACK_USER_MAX][160], scratch[2][8];
		bool own_frame[FR_STACK_USER_MAX], named[FR_STACK_USER_MAX];
		size_t n, at;

		if (!sample_of(e, pid, tids, ntids, t0, t1) || !(n = user_frames(w, c, e, f)))
			continue;
		for (at = 0; at < n; at++) {
			named[at] = fr_hot__frame_words(&f[at], name[at], sizeof(name[at]), where[at],
							sizeof(where[at]), &own_frame[at]);
			if (named[at] && !strcmp(name[at], own->name) &&
			    !strcmp(where[at], own->where))
				break;
		}
		if (at == n)
			continue;
		for (size_t k = 0; k < at; k++) {
			if (!named[k] || own_frame[k] || is_call_glue(name[k]) ||
			    collector_of(name[k]) ||
			    unnamed_code_words(name[k], NULL, scratch[0], 8, scratch[1], 8))
				continue;
			if (count_frame(&t, name[k], where[k], false, false, through, k)) {
				free(t.f);
				return -ENOMEM;
			}
		}
		through++;
	}
	for (size_t i = 0; i < t.n; i++) {
		const struct fn_count *fc = &t.f[i];
		double depth = (double)fc->depth_sum / fc->through;

		if (fc->entry || fc->through * 10 < through * 9)
			continue;
		if (!in || depth < in_depth) {
			in = fc;
			in_depth = depth;
		}
	}
	if (in) {
		snprintf(out->inner, sizeof(out->inner), "%s", in->name);
		snprintf(out->inner_where, sizeof(out->inner_where), "%.63s", in->where);
		out->inner_through = in->through;
	}
	free(t.f);
	return 0;
}

bool fr_hot__find(const struct fr_window *w, const struct fr_annotate_ctx *c, uint32_t pid,
		  const uint32_t *tids, size_t ntids, uint64_t t0, uint64_t t1, bool own_only,
		  struct fr_hot *out)
{
	struct fn_table t = { 0 };
	const struct fn_count *best = NULL;
	const char *runtime = NULL, *gc;
	uint32_t leaf_anon = 0;
	double best_depth = 0;
	char scratch[2][8];

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < w->nr_events; i++) {
		const struct fr_event *e = &w->events[i];
		struct fr_uframe f[FR_STACK_USER_MAX];
		size_t n;

		if (!sample_of(e, pid, tids, ntids, t0, t1))
			continue;
		out->samples++;
		if (!(n = user_frames(w, c, e, f)))
			continue;
		/* in code of no file (a JIT's), under a runtime's frames */
		if (!f[0].module && f[0].ip) {
			leaf_anon++;
			for (size_t k = 1; k < n && !runtime; k++)
				if (f[k].module && is_runtime(f[k].module))
					runtime = f[k].module;
		}
		gc = NULL;
		for (size_t k = 0; k < n; k++) {
			char name[128], where[160];
			bool own;

			if (!fr_hot__frame_words(&f[k], name, sizeof(name), where, sizeof(where),
						 &own))
				continue;
			if (!gc && !own && (gc = collector_of(name)))
				snprintf(out->gc_runtime, sizeof(out->gc_runtime), "%s", gc);
			if (count_frame(&t, name, where, own,
					!own && f[k].module && is_system_library(f[k].module) &&
						!is_runtime(f[k].module),
					out->with_stack, k)) {
				free(t.f);
				return false;
			}
		}
		out->gc += !!gc;
		out->with_stack++;
	}
	/* of the frames at least half the samples pass through, the
	 * application's innermost (the smallest mean depth); without one, a
	 * system library's, else the runtime's, where the CPU itself was (a
	 * pool thread compressing in node's zlib for the application:
	 * deflate_slow); an interpreter's entry below code it cannot name
	 * says so (unnamed_code_words) */
	for (int pass = 0; pass < (own_only ? 1 : 3) && !best; pass++) {
		for (size_t i = 0; i < t.n; i++) {
			const struct fn_count *fc = &t.f[i];
			double depth = (double)fc->depth_sum / fc->through;
			bool kind = pass == 0 ? fc->own : pass == 1 ? fc->lib : !fc->own && !fc->lib;

			/* a library's or the runtime's: near the leaf, and three
			 * in four samples in it (deflate_slow, not the
			 * longest_match it calls half the time, nor the
			 * DoThreadPoolWork that calls it) */
			if (!kind || fc->entry ||
			    (pass ? fc->through * 4 < out->with_stack * 3 || depth >= HOT_LEAF_DEPTH
				  : fc->through * 2 < out->with_stack))
				continue;
			/* the runtime's way in names nothing, but for an
			 * interpreter's, which says the code has no names */
			if (pass && is_call_glue(fc->name) &&
			    !unnamed_code_words(fc->name, NULL, scratch[0], 8, scratch[1], 8))
				continue;
			if (!best || depth < best_depth) {
				best = fc;
				best_depth = depth;
			}
		}
	}
	/* most of it in JIT code the runtime gave no names */
	if (!best && !own_only && runtime && leaf_anon * 2 >= out->with_stack &&
	    unnamed_code_words(NULL, runtime, out->func, sizeof(out->func), out->where,
			       sizeof(out->where))) {
		out->through = leaf_anon;
		free(t.f);
		return true;
	}
	/* most of it in the runtime's garbage collector, and no function of
	 * the application's through half of it: the collector is what it did */
	if ((!best || !best->own) && out->gc * 2 >= out->with_stack && out->with_stack) {
		snprintf(out->func, sizeof(out->func), "garbage collection");
		snprintf(out->where, sizeof(out->where), "%s", out->gc_runtime);
		out->through = out->gc;
		free(t.f);
		return true;
	}
	if (best && unnamed_code_words(best->name, NULL, out->func, sizeof(out->func), out->where,
				      sizeof(out->where))) {
		out->through = best->through;
	} else if (best) {
		snprintf(out->func, sizeof(out->func), "%s", best->name);
		snprintf(out->where, sizeof(out->where), "%s", best->where);
		out->through = best->through;
		if (best->own && inner_function(w, c, pid, tids, ntids, t0, t1, best, out)) {
			free(t.f);
			return false;
		}
	}
	free(t.f);
	return best != NULL;
}

void fr_hot__note_collector(const struct fr_window *w, const struct fr_annotate_ctx *c,
			    const struct fr_event *e, char *buf, size_t len)
{
	struct fr_uframe f[FR_STACK_USER_MAX];
	size_t n = e ? user_frames(w, c, e, f) : 0, used = strlen(buf);

	for (size_t k = 0; k < n; k++) {
		char name[128], where[160];
		const char *rt;
		bool own;

		if (fr_hot__frame_words(&f[k], name, sizeof(name), where, sizeof(where), &own) &&
		    !own && (rt = collector_of(name))) {
			if (used < len)
				snprintf(buf + used, len - used, " in garbage collection (%s)", rt);
			return;
		}
	}
}

static unsigned share(uint32_t n, uint32_t of)
{
	return (unsigned)((n * 100ull + of / 2) / of);
}

/* "92% of it in computeInvoiceTotals (/srv/app.js:41)", "...in an
 * anonymous function (/srv/app.js:166), 95% in kdf_pbkdf2_derive (node)",
 * "..., 60% in garbage collection (V8)" */
void fr_hot__words(const struct fr_hot *h, char *buf, size_t len)
{
	bool anon = !strcmp(h->func, "(anonymous)");
	bool gc_is_func = !strcmp(h->func, "garbage collection");
	int n;

	n = snprintf(buf, len, "%u%% of it in %s%s%s%s", share(h->through, h->with_stack),
		     anon ? "an anonymous function" : h->func, h->where[0] ? " (" : "", h->where,
		     h->where[0] ? ")" : "");
	if (h->inner[0] && n > 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, ", %u%% in %s (%s)",
			      share(h->inner_through, h->with_stack), h->inner, h->inner_where);
	/* a quarter or more in the collector, whatever the function */
	if (!gc_is_func && h->gc * 4 >= h->with_stack && h->gc && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, ", %u%% in garbage collection (%s)",
			 share(h->gc, h->with_stack), h->gc_runtime);
}

/*
 * The call most of the chain root's samples in [t0, t1] were in, when it
 * was most of them: "80% of its samples in fsync(/var/lib/app/data)" (a
 * loop of calls too fast to block, which the scheduler does not see; the
 * sample names the fd). False when no call was.
 */
static bool sampled_call(const struct fr_window *w, const struct fr_evidence *ev, uint64_t t0,
			 uint64_t t1, char *buf, size_t len)
{
	struct {
		char what[200];
		uint32_t n;
	} calls[8];
	size_t nc = 0, best = 0;
	uint32_t total = 0;

	for (size_t i = 0; i < w->nr_events; i++) {
		const struct fr_rec *r = &w->events[i].rec;
		const struct fr_fdname *n;
		const char *name;
		char what[200], res[200];
		size_t k;

		if (r->type != FR_REC_SAMPLE || r->pid != ev->chain_root_pid || r->ts < t0 ||
		    r->ts > t1 || !among(ev->chain_root_tids, ev->nr_chain_root_tids, r->tid))
			continue;
		total++;
		if (!(r->flags & FR_SMP_SYSCALL) || !(name = fr_syscall_name(r->aux)))
			continue;
		if ((r->flags & FR_SMP_NAMED) && (n = fr_window__name(w, r)))
			snprintf(what, sizeof(what), "%s(%s)", name,
				 fr_fdname__format(n, res, sizeof(res)));
		else
			snprintf(what, sizeof(what), "%s", name);
		for (k = 0; k < nc && strcmp(calls[k].what, what); k++)
			;
		if (k == nc) {
			if (nc == sizeof(calls) / sizeof(calls[0]))
				continue;
			snprintf(calls[nc].what, sizeof(calls[nc].what), "%s", what);
			calls[nc++].n = 0;
		}
		calls[k].n++;
	}
	for (size_t k = 1; k < nc; k++)
		if (calls[k].n > calls[best].n)
			best = k;
	if (!nc || calls[best].n * 2 < total || total < 2)
		return false;
	snprintf(buf, len, "%u%% of its samples in %s",
		 (unsigned)((calls[best].n * 100 + total / 2) / total), calls[best].what);
	return true;
}

/*
 * The span's thread on CPU: what it computed in, in the application's own
 * code (the signature keys on it), or failing that in a library's or the
 * runtime's (its collector's). The chain's root on CPU (a task the span
 * waited for, computing; a pool's threads together): the same for it.
 */
static int find_hot(const struct fr_window *w, const struct fr_annotate_ctx *c,
		    struct fr_evidence *ev)
{
	char words[400];

	if (!ev->focus_tid)
		return 0;
	if (fr_hot__find(w, c, c->pid, &ev->focus_tid, 1, c->span_start, c->span_end, false,
			 &ev->hot) &&
	    ev->nr_causes && ev->causes[0].kind == FR_CAUSE_ON_CPU) {
		fr_hot__words(&ev->hot, words, sizeof(words));
		fr_causes__append(ev, ", %s", words);
	}
	/* the chain's root named in the verdict, on CPU outside a syscall
	 * the scheduler saw: in a call its samples saw, else a function */
	if (ev->chain_root_tid && ev->chain_root_running) {
		struct fr_hot h;

		if (sampled_call(w, ev, c->span_start, c->span_end, words, sizeof(words))) {
			fr_causes__append(ev, " (pid %u: %s)", ev->chain_root_pid, words);
		} else if (fr_hot__find(w, c, ev->chain_root_pid, ev->chain_root_tids,
					ev->nr_chain_root_tids, c->span_start, c->span_end, false,
					&h)) {
			fr_hot__words(&h, words, sizeof(words));
			fr_causes__append(ev, " (pid %u: %s)", ev->chain_root_pid, words);
		}
	}
	return 0;
}

const struct fr_cause_finder fr_cause_hot_function = { "hot function", NULL, find_hot };
