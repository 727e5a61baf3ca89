/* SPDX-License-Identifier: MIT */
/*
 * fr_annotate.h - turns a window of kernel records into evidence about one
 * span: per thread on-CPU, runnable (waiting for a CPU) and blocked time,
 * blocked time by cause (the syscall or wait the thread was in), a syscall
 * summary, the slowest syscalls, and a one-line verdict.
 *
 * Pure: reads a window, writes an fr_evidence; names of threads come
 * through a callback so that tests can supply them; fds are named by the
 * window's own name records (taken by the kernel at the call).
 */
#ifndef FR_ANNOTATE_H
#define FR_ANNOTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fr_chain.h"
#include "fr_ksyms.h"
#include "fr_ring.h"

#define FR_MAX_CAUSES 12
#define FR_MAX_SLOW 10

enum fr_cause_kind {
	FR_CAUSE_ON_CPU = 1,
	FR_CAUSE_RUNNABLE = 2,
	FR_CAUSE_BLOCKED = 3,
	FR_CAUSE_THROTTLED = 4, /* runnable while its cgroup's CPU limit held it back */
	FR_CAUSE_STALL = 5,     /* an allocation reclaiming or compacting memory first */
};

struct fr_cause {
	uint8_t kind;         /* enum fr_cause_kind */
	char what[200];       /* "fsync(fd 7 = /var/lib/app/wal)", "waiting for CPU: ..." */
	uint64_t ns;
	uint32_t count;
	uint32_t nr;          /* syscall number when blocked in one, else -1u */
	uint32_t other_pid;   /* runnable: the task that had the CPU the longest */
};

struct fr_thread_evidence {
	uint32_t tid;
	char name[17];
	uint64_t on_cpu_ns;
	uint64_t runnable_ns;
	uint64_t blocked_ns;
	uint32_t syscalls;
	uint32_t switches;
	bool at_start, at_end; /* active at the span's start / end instants */
	bool strong_start, strong_end; /* by a strong sign: the request came in
					* to it, its answer went out */
	double score;
};

struct fr_syscall_stat {
	uint32_t nr;
	uint64_t count;
	uint64_t total_ns;
	uint64_t max_ns;
};

/*
 * The hot function of a thread's on-CPU time, from its on-CPU samples: the
 * innermost frame of the application's own code (not a runtime's or the
 * system's libraries') that at least half the samples pass through.
 */
struct fr_hot {
	uint32_t samples;     /* the thread's samples in the interval */
	uint32_t with_stack;  /* those with user frames */
	uint32_t through;     /* of those, the ones through func */
	char func[128];       /* "computeInvoiceTotals"; "" when none qualifies */
	char where[160];      /* "/srv/app.js:41", or the module ("app") */
	/* the library's or runtime's function func spent its time in: "kdf_
	 * pbkdf2_derive" ("node") through inner_through samples; "" when none */
	char inner[128];
	char inner_where[64];
	uint32_t inner_through;
	uint32_t gc;          /* samples in the runtime's garbage collector */
	char gc_runtime[16];  /* whose: "V8", "Go", "the JVM", ... */
};

/* Time the focus thread spent on CPU inside one syscall (a part of the
 * "on CPU" cause): a write copying, an fsync submitting its pages. */
#define FR_MAX_CALL_CPU 12
struct fr_call_cpu {
	char what[200]; /* the call as blocked causes name it: "fsync(/var/lib/app/wal)" */
	uint64_t ns;
};

struct fr_evidence {
	uint64_t span_ns;
	uint32_t focus_tid;                 /* the thread the verdict is about */
	char focus_reason[192];             /* how it was chosen */
	struct fr_thread_evidence *threads; /* ranked, focus first; malloc'd */
	size_t nr_threads;
	struct fr_cause causes[FR_MAX_CAUSES]; /* focus thread, largest first */
	size_t nr_causes;
	struct fr_syscall_stat *syscalls;   /* whole process, largest total first; malloc'd */
	size_t nr_syscalls;
	size_t slow[FR_MAX_SLOW];           /* window event indices of the slowest syscalls */
	size_t nr_slow;
	struct fr_chain chain;              /* the focus thread's wake-up chain; malloc'd */
	char chain_first[160];              /* its first link: "pid 900 (inventory)"; "" none */
	char chain_root[272];               /* its root: "pid 900 (inventory) in fsync(/x)" */
	uint64_t chain_root_ns;             /* the root's time */
	uint32_t chain_root_pid, chain_root_tid; /* the root's task; 0 none */
	uint32_t chain_root_tids[8];        /* the root's threads (a pool's), busiest first */
	size_t nr_chain_root_tids;
	bool chain_root_running;            /* the root was on CPU outside a syscall */
	struct fr_hot hot;                  /* the focus thread's, over the span */
	struct fr_call_cpu call_cpu[FR_MAX_CALL_CPU]; /* its on-CPU time inside calls,
						       * largest first */
	size_t nr_call_cpu;
	uint64_t top_cpu_ns;                /* causes[0], a call the thread was blocked in,
					     * came first for its time on CPU in it as well
					     * (an fsync loop on a fast disk): that time */
	uint64_t throttled_ns;              /* the focus thread runnable in the span while
					     * its CPU went idle: its cgroup throttled */
	uint64_t stall_ns;                  /* the focus thread in memory stalls in the span */
	struct {
		char dev[64];                 /* "vda"; "" when no neighbour was named */
		struct fr_disk_user {
			char who[64];         /* "dd (pid 4242)" */
			uint32_t pid;         /* 0: writeback of pages nobody was seen dirty */
			uint64_t read, written; /* bytes on dev in the span */
			uint32_t requests;
		} users[3];                   /* the busiest first */
		uint32_t nr_users;
	} disk;                             /* who else used the disk the span waited on */
	char verdict[1024];
};

struct fr_usyms;
struct fr_cpu_limit;
struct fr_mem_limit;

struct fr_annotate_ctx {
	uint32_t pid;
	uint64_t span_start;   /* CLOCK_MONOTONIC ns */
	uint64_t span_end;
	int64_t hint_tid;      /* the span's thread.id, 0 when absent */
	/* Names: fill buf (NUL-terminated); may be NULL. */
	void (*thread_name)(void *ctx, uint32_t pid, uint32_t tid, char *buf, size_t len);
	void *ctx;
	const struct fr_ksyms *ksyms; /* for causes read off kernel stacks; may be NULL */
	uint64_t missing_ns;          /* of the span not covered by the rings */
	uint32_t ignore_pid;          /* a process whose wake-ups explain nothing (the
				       * recorder itself, answering the span's export);
				       * 0: none */
	struct fr_usyms *usyms;       /* names user frames (on-CPU samples); may be NULL */
	const struct fr_cpu_limit *cpu_limit; /* the process's CPU limit (fr_cgroup.h)
					       * read at capture; NULL: none found */
	const struct fr_mem_limit *mem_limit; /* its memory cgroup's limit; NULL none */
	uint64_t mem_available_kb;    /* the host's MemAvailable at capture; 0 unknown */
	/* fr_annotate's own: per window event, the name a call on an fd too
	 * fast to be named takes from its neighbours; callers leave it NULL */
	const struct fr_fdname *const *inherited;
};

/*
 * The hot function of the on-CPU samples of process pid's threads tids[0..n)
 * in [t0, t1] of w (names through c->usyms): the innermost frame at least
 * half of them pass through, of the application's own code, else (unless
 * own_only) of a system library's, else of the runtime's. False when they
 * have no sample there with user frames, or no frame qualifies (out->func
 * "").
 */
bool fr_hot__find(const struct fr_window *w, const struct fr_annotate_ctx *c, uint32_t pid,
		  const uint32_t *tids, size_t n, uint64_t t0, uint64_t t1, bool own_only,
		  struct fr_hot *out);

/* h in words: "92% of it in computeInvoiceTotals (/srv/app.js:41)", and
 * the library function and collector share inside it when known. */
void fr_hot__words(const struct fr_hot *h, char *buf, size_t len);

/*
 * " in garbage collection (V8)" appended to buf when event e's user stack
 * (a block's) passes through a runtime's garbage collector: a thread that
 * waits for the collector's helpers, or for memory, while it collects.
 */
void fr_hot__note_collector(const struct fr_window *w, const struct fr_annotate_ctx *c,
			    const struct fr_event *e, char *buf, size_t len);

/*
 * A user frame in words: its function (a JIT perf map's "JS:*f /a.js:3:7"
 * reads f) into name, where it is ("/a.js:3", else the module's base name)
 * into where; whether it is the application's own code rather than a
 * runtime's (node, python, the JVM and their internals) or the system's
 * libraries. False when the frame has no symbol.
 */
struct fr_uframe;
bool fr_hot__frame_words(const struct fr_uframe *f, char *name, size_t nlen, char *where,
			 size_t wlen, bool *own);

/* Fills *ev from window w. 0 or -ENOMEM. Free with fr_evidence__free. */
int fr_annotate(const struct fr_window *w, const struct fr_annotate_ctx *c, struct fr_evidence *ev);

void fr_evidence__free(struct fr_evidence *ev);

#endif /* FR_ANNOTATE_H */
