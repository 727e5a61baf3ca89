/* SPDX-License-Identifier: MIT */
/*
 * capture_bench.h - what the capture benchmark's parts share: the
 * configurations measured side by side, starting and stopping each on a
 * process, and the nginx phase (capture_nginx.c).
 */
#ifndef FR_CAPTURE_BENCH_H
#define FR_CAPTURE_BENCH_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

enum {
	C_BASE,
	C_FLOOR,
	C_FR_SCHED,      /* the default: --syscalls sched, followed, stacks */
	C_FR_SCHED_UNF,  /* the default, the process not followed */
	C_FR_SLOW,       /* --syscalls slow, followed, stacks */
	C_FR_NOSTACK,    /* --syscalls all, followed, no stacks */
	C_FR_STACKS,     /* --syscalls all, followed, stacks */
	C_FR_UNFOLLOWED, /* --syscalls all, the process not followed */
	C_BPFTRACE,
	C_PERF,
	NR_C
};

extern const char *const cname[NR_C];
extern int cpu_work;       /* the CPU the measured process is pinned to */
extern const char *tmpdir;

struct fr_capture;

struct tracer {
	struct fr_capture *cap; /* attached */
	bool floor_attached;
	pid_t tool;
};

/* Starts configuration c watching process pid; 0 or -1 (then stop it). */
int tracer_start(struct tracer *t, int c, pid_t pid);
void tracer_stop(struct tracer *t);
double median(double *v, int n);
/* The run time so far of all BPF programs of configuration c (flightrec's
 * or the floor's); 0 without kernel.bpf_stats_enabled. */
uint64_t bench_prog_ns_all(int c);
/* Records written so far by configuration c's capture (0: not flightrec). */
uint64_t bench_records_written(int c);
/* Is c one of flightrec's configurations. */
bool bench_is_flightrec(int c);
/* The kernel's BPF run-time statistics on or off. */
void bench_stats(bool on);
/* Records per CPU of a capture's rings (all are opened alike). */
extern unsigned bench_slots_per_cpu;

/* nginx under wrk in every configuration: a table, and key=value lines. */
void nginx_phase(int rounds, FILE *table, FILE *keys);

#endif /* FR_CAPTURE_BENCH_H */
