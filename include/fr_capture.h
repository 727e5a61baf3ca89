/* SPDX-License-Identifier: MIT */
/*
 * fr_capture.h - the kernel capture: BPF programs on raw tracepoints filling
 * per-CPU overwrite rings, an in-kernel follow filter, and window reads.
 *
 * Lifecycle: fr_capture__open() loads the programs with rings sized from a
 * memory budget; fr_capture__attach() starts recording; fr_capture__detach()
 * stops it (the rings stay readable); fr_capture__free() releases all.
 *
 * Thread-safety: follow/unfollow, window reads and counters may be called
 * from any thread concurrently. open/attach/detach/free belong to one owner.
 */
#ifndef FR_CAPTURE_H
#define FR_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "fr_record.h"
#include "fr_ring.h"

#define FR_CAPTURE_DEFAULT_RING_BYTES (256ull << 20)
#define FR_CAPTURE_DEFAULT_STACK_PCT 6
#define FR_CAPTURE_DEFAULT_NAME_AFTER_NS 100000ull /* 100 us */
#define FR_CAPTURE_DEFAULT_STACK_AFTER_NS 1000000ull /* 1 ms */
#define FR_CAPTURE_DEFAULT_LINKS 64
#define FR_CAPTURE_DEFAULT_LINK_TTL_NS (60ull * 1000000000ull)

struct fr_capture;

struct fr_capture_opts {
	size_t sz;            /* sizeof(struct fr_capture_opts) */
	uint64_t ring_bytes;  /* all rings of all CPUs; 0 = default 256 MiB */
	unsigned stack_pct;   /* share of ring_bytes for stacks; 0 = default */
	uint32_t flags;       /* FR_CAP_*; 0 = FR_CAP_DEFAULT */
	bool follow_all;      /* every process but the recorder itself */
	bool no_children;     /* do not follow new child processes of followed ones */
	uint64_t name_after_ns; /* name the fd of syscalls at least this slow; 0 = 100 us */
	uint32_t max_links;   /* processes followed as links at once; 0 = default 64 */
	uint64_t stack_after_ns; /* stacks for blocks at least this long; 0 = 1 ms */
	bool no_links;        /* follow no process as a link */
	uint32_t scope_netns; /* follow only this network namespace's tasks (the
			       * inode of /proc/PID/ns/net): links, and wake-ups
			       * from others count as the network's; 0: any */
	int32_t user_stack_bytes; /* user stack copied at a long block's syscall
				   * exit, to unwind with .eh_frame; 0 = 8 KiB,
				   * FR_CAPTURE_USER_STACK_FP = frame pointers only */
	int32_t sample_hz;    /* on-CPU samples of followed threads per second
			       * (a CPU-clock event on every CPU); 0 = default
			       * 49, FR_CAPTURE_NO_SAMPLES = none */
	uint32_t syscalls;    /* FR_SYSCALLS_* (fr_record.h): which syscalls are
			       * recorded, and so which programs load; 0 = default */
	uint64_t slow_after_ns; /* FR_SYSCALLS_SLOW: a call this long is a record;
				 * 0 = 1 ms */
};
#define FR_CAPTURE_DEFAULT_SYSCALLS FR_SYSCALLS_SCHED
#define FR_CAPTURE_DEFAULT_SLOW_AFTER_NS 1000000ull

/* "sched", "slow", "all" for FR_SYSCALLS_*; FR_SYSCALLS_* for a name, or 0. */
const char *fr_capture__syscalls_name(uint32_t mode);
uint32_t fr_capture__syscalls_parse(const char *name);

/* The mode a capture records syscalls in (FR_SYSCALLS_*), and with
 * FR_SYSCALLS_SLOW the shortest call recorded (else 0). */
uint32_t fr_capture__syscalls(const struct fr_capture *cap);
uint64_t fr_capture__slow_after_ns(const struct fr_capture *cap);

/* The names of the BPF programs loaded (at most max into names); how many. */
size_t fr_capture__programs(const struct fr_capture *cap, const char **names, size_t max);
#define FR_CAPTURE_DEFAULT_USER_STACK 8192
#define FR_CAPTURE_USER_STACK_FP (-1)
#define FR_CAPTURE_DEFAULT_SAMPLE_HZ 49
#define FR_CAPTURE_MAX_SAMPLE_HZ 10000
#define FR_CAPTURE_NO_SAMPLES (-1)

/*
 * Loads the BPF programs and sizes the rings. Returns NULL with errno set
 * and a message logged saying what is missing: EPERM (needs root, or
 * CAP_BPF and CAP_PERFMON), ENOTSUP (no kernel BTF / program type), or
 * another errno from the kernel.
 */
struct fr_capture *fr_capture__open(const struct fr_capture_opts *opts);

/* Starts recording. 0 or -errno. */
int fr_capture__attach(struct fr_capture *cap);

/* Stops recording; what the rings hold stays readable. */
void fr_capture__detach(struct fr_capture *cap);

/* Detaches, unloads, frees. NULL is a no-op. */
void fr_capture__free(struct fr_capture *cap);

/* Follows (on) or stops following (off) process `pid`. 0 or -EINVAL. */
int fr_capture__follow_pid(struct fr_capture *cap, pid_t pid, bool on);

/*
 * Links: a user process that wakes a followed thread, or that a followed
 * thread wakes (it talks to it over a socket, pipe, lock or signal), is
 * followed too, by the kernel programs at that moment, so that a wait
 * chain can be followed into it; at most max_links at once (more are
 * counted as refused). A link lasts ttl_ns from when it was made (an active
 * one is made again at its next wake-up) or until its process exits:
 * fr_capture__expire_links takes those out; returns how many.
 */
size_t fr_capture__expire_links(struct fr_capture *cap, uint64_t now, uint64_t ttl_ns);

/* Is `pid` followed as a link right now. */
bool fr_capture__is_link(const struct fr_capture *cap, pid_t pid);

/* Is `pid` followed right now. */
bool fr_capture__is_followed(const struct fr_capture *cap, pid_t pid);

/* Follows processes named `comm` (running ones now, and on exec/fork). */
int fr_capture__follow_comm(struct fr_capture *cap, const char *comm);

/* Follows processes in the cgroup v2 directory `path` (now and on fork). */
int fr_capture__follow_cgroup(struct fr_capture *cap, const char *path);

/* On-CPU samples per second while attached; 0 when none are taken. */
uint32_t fr_capture__sample_hz(const struct fr_capture *cap);

/* Changes what is captured (FR_CAP_*) at run time. */
void fr_capture__set_flags(struct fr_capture *cap, uint32_t flags);

/* Reads a window (see fr_ring.h); times are CLOCK_MONOTONIC ns. */
int fr_capture__read_window(struct fr_capture *cap, const struct fr_window_req *req,
			    struct fr_window **out);

/* The ring memory as a read-only view (valid until fr_capture__free). */
const struct fr_ring_view *fr_capture__view(const struct fr_capture *cap);

struct fr_capture_counters {
	uint64_t written;      /* records written */
	uint64_t overwritten;  /* records overwritten by newer ones */
	uint64_t skipped;      /* events of unfollowed tasks filtered in-kernel */
	uint64_t nested;       /* records written while another was in progress */
	uint64_t stacks;       /* kernel stacks taken (blocks past the threshold,
				* and samples in the kernel) */
	uint64_t samples;      /* on-CPU samples of followed threads */
	uint64_t user_stacks;  /* user stacks taken at those blocks' syscall exits */
	uint64_t stacks_skipped; /* blocks shorter than the threshold: no stack */
	uint64_t stack_fail;   /* stacks that could not be taken */
	uint64_t lookup_fail;  /* ring slot lookups that failed */
	uint64_t prog_misses;  /* program runs the kernel skipped (recursion) */
	uint64_t names;        /* fds named at slow syscalls */
	uint64_t links_made;   /* processes followed as links, ever */
	uint64_t links_refused; /* links not made: the table was full */
	uint64_t links_now;    /* processes followed as links now */
	uint64_t vma_busy;     /* blocking faults whose mapping could not be looked at */
};

/*
 * The kernel's run time and run count of the program named prog (e.g.
 * "fr_sys_exit"; NULL: all of them together) since load; both 0 unless
 * kernel.bpf_stats_enabled was on.
 */
void fr_capture__prog_runtime(const struct fr_capture *cap, const char *prog, uint64_t *run_ns,
			      uint64_t *run_cnt);

/* Sums the per-CPU counters. */
void fr_capture__counters(const struct fr_capture *cap, struct fr_capture_counters *out);

struct fr_capture_info {
	uint32_t nr_cpus;
	uint32_t slots_per_cpu;
	uint32_t stack_slots_per_cpu;
	uint64_t ring_bytes;   /* record + stack rings, all CPUs */
	uint64_t attach_ts;    /* CLOCK_MONOTONIC ns of the last attach */
	uint32_t sample_hz;    /* on-CPU samples per second per CPU; 0 none */
	uint32_t syscalls;     /* FR_SYSCALLS_*: which syscalls are recorded */
};

void fr_capture__info(const struct fr_capture *cap, struct fr_capture_info *out);

/*
 * Checks whether this process can load BPF capture at all; on failure
 * returns -errno and writes a one-line reason into why (may be NULL).
 */
int fr_capture__probe(char *why, size_t why_len);

/* Logs a warning for each capability whose absence degrades capture
 * (CAP_SYS_PTRACE, CAP_SYSLOG, CAP_DAC_READ_SEARCH): what is lost. */
void fr_capture__warn_privileges(void);

/* Routes libbpf's own messages through fr_log ("libbpf" module). */
void fr_capture__route_libbpf_log(void);

#endif /* FR_CAPTURE_H */
