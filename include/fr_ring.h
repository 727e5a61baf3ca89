/* SPDX-License-Identifier: MIT */
/*
 * fr_ring.h - reading windows out of the per-CPU overwrite rings.
 *
 * The rings are written by BPF (or, in tests, by any writer following the
 * protocol in fr_record.h) while they are read: a reader never blocks a
 * writer, and detects and drops slots that were torn or overwritten under it.
 * This module only reads memory; it knows nothing of BPF or maps.
 */
#ifndef FR_RING_H
#define FR_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fr_record.h"

/* Where the rings are; memory owned by the caller (e.g. mmapped maps). */
struct fr_ring_view {
	const struct fr_rec *recs;     /* nr_cpus * slots, CPU-major */
	const struct fr_stack_slot *stacks; /* nr_cpus * stack_slots, CPU-major */
	const struct fr_fdname *names; /* nr_cpus * name_slots; may be NULL */
	const struct fr_cpu_state *cpus; /* nr_cpus heads and counters */
	uint32_t nr_cpus;
	uint32_t slots;       /* record slots per CPU */
	uint32_t stack_slots; /* stack slots per CPU */
	uint32_t name_slots;  /* name slots per CPU */
	uint64_t start_ts;    /* CLOCK_MONOTONIC ns when writing began */
};

/* A stack as copied: the kernel's, to be scanned for return addresses;
 * the user registers and stack top, to be unwound. */
struct fr_stack_raw {
	uint16_t n;
	uint8_t raw[FR_STACK_RAW_BYTES];
	bool has_uregs;
	uint32_t pid;     /* the process of the stack's thread */
	struct fr_user_regs uregs;
	uint32_t un;      /* bytes in ustack, contiguous from uregs.sp up */
	uint8_t *ustack;  /* malloc'ed; NULL when un is 0 */
};

/* One record of a window, with where it came from. */
struct fr_event {
	struct fr_rec rec; /* rec.seq is meaningless in a copy */
	uint32_t cpu;      /* ring (CPU) it was read from */
	int32_t stack;     /* index into fr_window.stacks, or -1 */
	int32_t name;      /* syscall with FR_SYS_NAMED: index into
			    * fr_window.names, or -1 */
	uint16_t nr_names; /* names of this syscall from there on (an epoll
			    * wait names each ready fd; others one) */
};

#define FR_WINDOW_MAX_ALSO 15

struct fr_window_req {
	uint32_t pid;   /* process to keep (tgid); 0 keeps every record */
	uint64_t t0;    /* CLOCK_MONOTONIC ns, inclusive */
	uint64_t t1;    /* CLOCK_MONOTONIC ns, inclusive */
	uint32_t also[FR_WINDOW_MAX_ALSO]; /* more processes to keep (the chain's) */
	uint32_t nr_also;
};

/*
 * A window: the records of one process overlapping [t0, t1], merged across
 * CPUs in time order (a syscall overlaps when [ts - dur, ts] does), plus the
 * exit records of any process (they name threads gone since).
 * complete_from says from when every CPU's ring still held everything: the
 * window is whole if complete_from <= t0, otherwise records older than
 * complete_from may be missing.
 */
struct fr_window {
	struct fr_window_req req;
	struct fr_event *events;
	size_t nr_events;
	struct fr_stack *stacks; /* the blocks' stacks, referenced by fr_event.stack;
				  * kernel frames once scanned (below) */
	struct fr_stack_raw *raws; /* per stack: its kernel stack's raw words */
	size_t nr_stacks;
	struct fr_fdname *names; /* copies, referenced by fr_event.name */
	size_t nr_names;
	uint64_t complete_from;     /* max over CPUs of cpu_complete_from */
	uint32_t nr_cpus;
	uint64_t *cpu_complete_from; /* per CPU, CLOCK_MONOTONIC ns */
	uint64_t dropped;      /* slots skipped: overwritten or torn while read */
	uint64_t stacks_lost;  /* stacks referenced but overwritten */
};

/*
 * Copies the window described by req out of the rings.
 * Returns 0 and a new window in *out (free with fr_window__free), or -errno
 * (-EINVAL for a bad view or request, -ENOMEM). Thread-safe for concurrent
 * readers; never blocks writers.
 */
int fr_ring__read_window(const struct fr_ring_view *v, const struct fr_window_req *req,
			 struct fr_window **out);

/*
 * Scheduler-centred capture (no syscall hooks): a syscall record
 * (FR_SYS_SAMPLED) for each run of a thread's on-CPU samples in one call,
 * half a sampling period (period_ns) either side of them, within the
 * thread's switches and records around it. Nothing for a window that has
 * such records already. 0 or -ENOMEM.
 */
int fr_window__syscalls_from_samples(struct fr_window *w, uint64_t period_ns);

/* A syscall record's duration in ns, whichever unit it was written in. */
static inline uint64_t fr_rec__sys_dur(const struct fr_rec *r)
{
	return (uint64_t)r->sys.dur * ((r->flags & FR_SYS_DUR_US) ? 1000 : 1);
}

struct fr_ksyms;

/*
 * Makes the kernel frames of the window's stacks from their raw words: the
 * words that are return addresses into kernel functions (not a function's
 * start, not far past it), innermost first. Without ksyms none.
 */
void fr_window__scan_kernel_stacks(struct fr_window *w, const struct fr_ksyms *ks);

struct fr_unwinder;

/*
 * Makes the user frames of the window's stacks that were copied raw, by
 * unwinding them (fr_unwind.h); the user copies are freed after. Stacks
 * taken by frame pointers keep their frames.
 */
void fr_window__unwind_user_stacks(struct fr_window *w, struct fr_unwinder *uw);

/* Is addr a plausible kernel return address. */
bool fr_stack_raw__is_return(const struct fr_ksyms *ks, uint64_t addr);

/*
 * Was wake-up record r the waker task's own doing? A device interrupt or an
 * expiring timer wakes on nobody's behalf (the record names whichever task
 * it landed on), and so does a softirq finishing disk I/O or a timer; a
 * network softirq acts for the task it ran in only when that task was in a
 * syscall (loopback delivery within the sender's send). The idle task is
 * nobody. A kernel thread is a task.
 */
bool fr_wake_by_task(const struct fr_rec *r);

/* Does the window keep the records of process pid (req.pid or also[]). */
int fr_window__keeps(const struct fr_window_req *req, uint32_t pid);

/* The name record of a syscall record r of window w (r points into
 * w->events), or NULL; its i-th (an epoll wait's ready fds), or NULL. */
const struct fr_fdname *fr_window__name(const struct fr_window *w, const struct fr_rec *r);
const struct fr_fdname *fr_window__name_at(const struct fr_window *w, const struct fr_rec *r,
					   size_t i);

/*
 * What a name record says, in words: "/var/lib/app/wal",
 * "tcp 127.0.0.1:41234 → 127.0.0.1:8081", "unix /run/app.sock", "pipe:[123]",
 * "anon_inode:[eventpoll]". Returns buf.
 */
char *fr_fdname__format(const struct fr_fdname *n, char *buf, size_t len);

/* Frees a window; NULL is a no-op. */
void fr_window__free(struct fr_window *w);

/*
 * The CLOCK_MONOTONIC time from which CPU `cpu`'s ring holds every record
 * (start_ts if it never wrapped). 0 when no valid record could be read.
 */
uint64_t fr_ring__cpu_oldest(const struct fr_ring_view *v, uint32_t cpu);

/* Seconds of history CPU `cpu`'s ring holds at CLOCK_MONOTONIC `now`;
 * 0 when no record could be read. */
double fr_ring__cpu_coverage_s(const struct fr_ring_view *v, uint32_t cpu, uint64_t now);

/* Sets *out to a consistent copy of the record at `pos` of `cpu`; false if
 * that position was overwritten, torn or not yet written. */
int fr_ring__read_slot(const struct fr_ring_view *v, uint32_t cpu, uint64_t pos,
		       struct fr_rec *out);

#endif /* FR_RING_H */
