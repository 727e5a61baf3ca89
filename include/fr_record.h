/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * fr_record.h - the record ABI shared by the BPF programs (bpf/) and user
 * space (recorder/).
 *
 * Kernel programs write fixed-size records into one overwrite ring per CPU
 * (a BPF_F_MMAPABLE array split in per-CPU ranges). User space maps the
 * rings read-only and copies out a window only when asked.
 *
 * Slot protocol (a per-slot sequence lock):
 *   writer: pos = atomic_fetch_add(&cpu->head, 1)
 *           slot = ring[cpu * slots + pos % slots]
 *           slot.seq = 0; <fields>; slot.seq = FR_SEQ(pos)
 *   reader: s1 = slot.seq; copy; s2 = slot.seq
 *           valid iff s1 == s2 == FR_SEQ(pos)
 * FR_SEQ() is always odd, so 0 ("being written") never matches, and two
 * positions sharing a slot differ by the ring size, so they never match
 * each other either (ring sizes are far below 2^31). The atomic reservation
 * makes nested programs on one CPU (an interrupt during a syscall record)
 * take distinct slots.
 *
 * Only fixed-width types, explicit padding. Bump FR_ABI_VERSION on change.
 */
#ifndef FR_RECORD_H
#define FR_RECORD_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define FR_ABI_VERSION 8

/* Upper bound on CPUs handled (power of two: used as an index mask). */
#define FR_MAX_CPUS 256
/* PID_MAX_LIMIT on 64-bit is 2^22: one follow bit per possible tgid. */
#define FR_PID_LIMIT (1u << 22)
#define FR_FOLLOW_WORDS (FR_PID_LIMIT / 64)
#define FR_MAX_COMM_FILTERS 8
#define FR_MAX_CGROUP_FILTERS 8
#define FR_COMM_LEN 16

#define FR_SEQ(pos) ((__u32)((pos) * 2 + 1))

enum fr_rec_type {
	FR_REC_SYSCALL = 1, /* one per syscall, written at exit */
	FR_REC_SWITCH = 2,  /* sched_switch: tid/pid = task out, sw.next = task in */
	FR_REC_WAKEUP = 3,  /* sched_waking: tid/pid = wakee, wk.waker = waker (the
			     * task current then: see FR_WK_* for interrupts) */
	FR_REC_EXIT = 4,    /* a followed thread exited; ex.comm = its name */
	FR_REC_COMM = 5,    /* a task took the CPU from a followed one: tid/pid and
			     * ex.comm = that task then (it may be gone by the snapshot) */
	FR_REC_SAMPLE = 6,  /* an on-CPU sample of a followed thread (a CPU-clock
			     * perf event): its stacks match by (tid, ts) */
	FR_REC_FAULT = 7,   /* a followed thread blocked inside a page fault:
			     * written with its switch-out (same tid, ts) */
	FR_REC_STALL = 8,   /* a followed thread's memory stall, written at its end:
			     * aux = FR_STALL_*, stl.dur; begin = ts - dur */
	FR_REC_BIO = 9,     /* a block request issued, by anyone: tid/pid = the task
			     * issuing (a writeback thread for buffered writes),
			     * aux = FR_BIO_*, bio.for_pid = who dirtied the pages */
	FR_REC_SYSSUM = 10, /* --syscalls slow: a thread's fast calls of one number
			     * (aux) since sys.ret ns before ts: sys.arg0 calls,
			     * sys.dur ns in them in all */
	FR_REC_RETRANS = 11, /* the kernel sent a TCP packet again (a retransmission
			      * timer, a fast retransmit), any socket's: tid/pid 0
			      * (its owner is not known in the kernel's context),
			      * tcp = the connection, aux = its state (TCP_*) */
};

/* flags of FR_REC_RETRANS */
#define FR_RT_V6 0x01 /* IPv6: tcp.saddr/daddr are the addresses folded
		       * (fr_fold_in6), not IPv4 ones */
#define FR_TCP_ESTABLISHED 1 /* aux of FR_REC_RETRANS (the kernel's TCP states) */
#define FR_TCP_SYN_SENT 2

/* aux of FR_REC_BIO */
#define FR_BIO_READ 1
#define FR_BIO_WRITE 2
#define FR_BIO_OTHER 3   /* flush, discard, ... */
/* flags of FR_REC_BIO */
#define FR_BIO_KTHREAD 0x01 /* issued by a kernel thread for nobody known (the
			     * block layer's own dispatch, writeback of pages
			     * nobody was seen dirty): not a neighbour to name */

/* aux of FR_REC_STALL: what the allocation had to do first */
#define FR_STALL_RECLAIM 1    /* direct reclaim: the host (a zone) short of memory */
#define FR_STALL_MEMCG 2      /* reclaim in its memory cgroup, at its limit */
#define FR_STALL_COMPACT 3    /* direct compaction (for a higher-order page) */

/* flags for FR_REC_SYSCALL */
#define FR_SYS_NO_ENTRY 0x01   /* entry not seen (started before attach): dur = 0 */
#define FR_SYS_DUR_US 0x02     /* dur is in microseconds (call took >= 2^32 ns) */
#define FR_SYS_RET_CLAMPED 0x04 /* return value did not fit 32 bits */
#define FR_SYS_NAMED 0x08      /* the names ring has what its fd was (fr_fdname) */
#define FR_SYS_FROM_BLOCK 0x10 /* scheduler-centred capture: written at the return
				* of a syscall that blocked; dur runs from its first
				* block (its entry is not seen) */
#define FR_SYS_SAMPLED 0x20    /* (user space) scheduler-centred capture: time on CPU
				* inside a syscall, from on-CPU samples in it (its
				* bounds are the samples', its result unknown) */
#define FR_SYS_START_EST 0x40  /* (user space) a FR_SYS_FROM_BLOCK call whose start was
				* moved back before its first block, over the time on
				* CPU the thread's samples put in it, or half a
				* sampling period where none fell (fr_ring.h) */

/* Which syscalls are recorded (fr_capture_opts.syscalls, the "syscall_mode"
 * the programs are loaded with). */
#define FR_SYSCALLS_SCHED 1 /* none hooked: syscalls seen from the scheduler, at
			     * blocks and their returns, and in samples */
#define FR_SYSCALLS_SLOW 2  /* entry and exit hooked; a record only for calls
			     * over a threshold, per-thread sums of the rest
			     * (FR_REC_SYSSUM) */
#define FR_SYSCALLS_ALL 3   /* entry and exit hooked; a record for every call */
/* flags for FR_REC_SWITCH */
#define FR_SW_PREEMPT 0x01   /* task out is still runnable (preempted, or left in state R) */
#define FR_SW_STACK 0x02     /* (user space) the window has this block's stack */
#define FR_SW_STACK_LOST 0x04 /* (unused since ABI 5) */
#define FR_SW_SYSCALL 0x08   /* the task out is in a syscall: sw.sys_nr, sw.sys_arg0 */

/* flags for FR_REC_SAMPLE; aux = the task's saved orig_ax (low 16 bits)
 * when in the kernel: its syscall's number if the kernel stack says it is
 * in one (an exception keeps its error code there instead) */
#define FR_SMP_KERNEL 0x01   /* the sample interrupted the kernel */
#define FR_SMP_STACK 0x02    /* (user space) the window has its stack */
#define FR_SMP_SYSCALL 0x04  /* in a syscall (its saved registers say so): aux =
			      * its number, smp.arg0 its first argument */
#define FR_SMP_NAMED 0x08    /* the names ring has what that fd was (scheduler-
			      * centred capture names it here, as no exit is seen) */

/* flags for FR_REC_FAULT; aux = the fault's error code (low 16 bits) */
#define FR_FLT_NAMED 0x01    /* the names ring has the mapped file (FR_NAME_ROLE_FAULT) */
#define FR_FLT_ANON 0x02     /* not a file's mapping: anonymous memory (a swap-in) */
#define FR_FLT_KERNEL 0x04   /* the kernel faulted on user memory (inside a syscall) */
#define FR_FLT_NO_VMA 0x08   /* no mapping found for the address */
#define FR_FLT_VMA_BUSY 0x10 /* the mapping could not be looked at (its lock, or
			      * the CPU's deferred unlock, was busy): not named */

/*
 * flags for FR_REC_WAKEUP: the context the wake-up ran in. With none set
 * the waker task did it from a syscall (wk.waker_sys) or kernel work of
 * its own; in an interrupt, the waker fields name whichever task the
 * interrupt arrived on, and wk.ctx says which interrupt.
 */
#define FR_WK_HARDIRQ 0x01 /* a device interrupt handler: wk.ctx = irq number */
#define FR_WK_SOFTIRQ 0x02 /* a softirq: wk.ctx = vector (FR_SOFTIRQ_*) */
#define FR_WK_TIMER 0x04   /* an hrtimer expiring (sleeps, timeouts) */
#define FR_WK_KTHREAD 0x08 /* the waker is a kernel thread */
#define FR_WK_LINKED 0x10  /* this wake-up made the other side followed (a link) */
/* softirq vectors (include/linux/interrupt.h; stable ABI of the tracepoint) */
#define FR_SOFTIRQ_TIMER 1
#define FR_SOFTIRQ_NET_TX 2
#define FR_SOFTIRQ_NET_RX 3
#define FR_SOFTIRQ_BLOCK 4
#define FR_SOFTIRQ_HRTIMER 8
/* wk.waker_sys when the waker was not in a syscall */
#define FR_NO_SYSCALL 0xffffffffu

/* capture_flags (per CPU, see fr_cpu_state) */
#define FR_CAP_SYSCALLS 0x01
#define FR_CAP_SCHED 0x02
#define FR_CAP_STACKS 0x04
#define FR_CAP_SAMPLES 0x08 /* on-CPU samples (when a sampling event is attached) */
#define FR_CAP_DEFAULT (FR_CAP_SYSCALLS | FR_CAP_SCHED | FR_CAP_STACKS | FR_CAP_SAMPLES)

struct fr_rec {
	__u32 seq;   /* FR_SEQ(position) once complete; 0 while written */
	__u8 type;   /* enum fr_rec_type */
	__u8 flags;  /* FR_SYS_*, FR_SW_* */
	__u16 aux;   /* syscall: number; switch: prev_state; wakeup: target cpu */
	__u64 ts;    /* CLOCK_MONOTONIC ns; syscall: exit time */
	__u32 tid;   /* thread the record is about */
	__u32 pid;   /* its process (tgid) */
	union {
		struct {
			__u32 dur;  /* ns (or us with FR_SYS_DUR_US); entry = ts - dur */
			__s32 ret;
			__u64 arg0;
		} sys;
		struct {
			__u32 next_tid;
			__u32 next_pid;
			__u32 sys_nr;   /* a followed task out: the syscall it was in (its
					 * saved registers), else FR_NO_SYSCALL */
			__u32 sys_arg0; /* that syscall's first argument (low 32 bits) */
		} sw;
		struct {
			__u32 waker_tid;
			__u32 waker_pid;
			__u32 ctx;       /* FR_WK_HARDIRQ: irq; FR_WK_SOFTIRQ: vector */
			__u32 waker_sys; /* the syscall the waker was in, or FR_NO_SYSCALL */
		} wk;
		struct {
			char comm[FR_COMM_LEN];
		} ex;
		struct {
			__u64 ip;   /* where it was interrupted (kernel or user) */
			__u64 arg0; /* FR_SMP_SYSCALL: the syscall's first argument */
		} smp;
		struct {
			__u64 addr;  /* the faulting address */
			__u64 pgoff; /* its page's offset in the mapped file (pages) */
		} flt;
		struct {
			__u64 dur;   /* ns */
			__u64 nr_reclaimed; /* pages (reclaim); 0 for compaction */
		} stl;
		struct {
			__u32 dev;     /* the device (the kernel's dev_t: major << 20 | minor) */
			__u32 bytes;
			__u32 for_pid; /* a writeback of pages this process dirtied; 0 unknown */
			__u32 _pad;
		} bio;
		struct {
			__u8 saddr[4]; /* local address (network order) */
			__u8 daddr[4]; /* remote */
			__u16 sport;   /* local port (host order) */
			__u16 dport;   /* remote port (host order) */
			__u32 _pad;
		} tcp;
	};
};

/* An IPv6 address in the 4 bytes a retransmission record has for it: the
 * xor of its four words (an IPv4-mapped one folds to its IPv4 address xor
 * 0xffff in the third word; both sides fold alike). */
static inline void fr_fold_in6(const __u8 in6[16], __u8 out[4])
{
	for (int i = 0; i < 4; i++)
		out[i] = in6[i] ^ in6[4 + i] ^ in6[8 + i] ^ in6[12 + i];
}

/*
 * Blocking stacks, for blocks that lasted at least the stack threshold
 * (stack_after_ns): a second per-CPU ring of larger slots, same protocol,
 * each matched to its block's switch-out record by (tid, ts). A task's
 * stack cannot be walked from raw tracepoints but by that task itself, and
 * a task that blocks does not know yet for how long; so, once the block
 * has lasted long enough, the waker copies the sleeping task's kernel stack
 * raw (FR_STK_KERNEL_RAW: the words from its saved stack pointer up, which
 * user space scans for return addresses), and the task takes its user stack
 * when its syscall returns (FR_STK_USER: the call site is unchanged then).
 */
#define FR_STACK_KERN_MAX 30
#define FR_STACK_USER_MAX 31
#define FR_STACK_RAW_BYTES 2016

/*
 * A user stack is copied raw too (FR_STK_USER_RAW), as perf's DWARF
 * call graphs do: the user registers the unwinder starts from, then the
 * stack's top from the stack pointer up, over up to FR_USER_CHUNKS_MAX
 * slots of the same (tid, ts), each saying where its bytes go (off).
 * User space unwinds it with the binaries' call frame information
 * (.eh_frame) when it reads the window. FR_STK_USER (frame-pointer
 * return addresses) is what architectures without the copy take.
 */
enum fr_stack_kind {
	FR_STK_KERNEL_RAW = 1,
	FR_STK_USER = 2,
	FR_STK_USER_RAW = 3,
	FR_STK_KERNEL = 4, /* ips: the kernel's own walk (a sample's, which runs
			    * in the sampled task's context) */
};

/* x86-64 user registers at the syscall: what unwinding needs (the
 * callee-saved ones, the stack and instruction pointers). */
struct fr_user_regs {
	__u64 ip, sp, bp, bx, r12, r13, r14, r15;
};

#define FR_USER_CHUNKS_MAX 8
#define FR_USER_CHUNK0_BYTES (FR_STACK_RAW_BYTES - sizeof(struct fr_user_regs))
#define FR_USER_STACK_MAX (FR_USER_CHUNK0_BYTES + (FR_USER_CHUNKS_MAX - 1) * FR_STACK_RAW_BYTES)

struct fr_stack_slot {
	__u32 seq;
	__u32 tid;
	__u64 ts;       /* the block's start: its switch-out record's ts */
	__u64 wts;      /* when written (slots are in this order) */
	__u16 kind;     /* enum fr_stack_kind */
	__u16 n;        /* *_RAW: bytes in raw; USER: frames in ips */
	__u32 off;      /* USER_RAW: where raw's stack bytes begin in the copied
			 * stack (0: the first, which starts with fr_user_regs) */
	union {
		__u8 raw[FR_STACK_RAW_BYTES];
		__u64 ips[FR_STACK_USER_MAX];
	};
};

/* A stack as user space keeps it: kernel frames, then user frames. */
struct fr_stack {
	__u32 seq;
	__u32 tid;
	__u64 ts;       /* the block's start */
	__u16 nr_kern;  /* frames in ips[0 .. nr_kern) */
	__u16 nr_user;  /* frames in ips[FR_STACK_KERN_MAX .. + nr_user) */
	__u32 _pad;
	__u64 ips[FR_STACK_KERN_MAX + FR_STACK_USER_MAX];
};

/*
 * What an fd was when a slow syscall on it returned (FR_SYS_NAMED), or an
 * fd a slow epoll wait reported ready (up to FR_READY_MAX, one record
 * each): a third per-CPU ring of 256-byte slots, same protocol, matched to
 * its syscall record by (tid, ts).
 */
enum fr_name_kind {
	FR_NAME_FILE = 1,  /* data: path components, leaf first, each NUL-ended */
	FR_NAME_INET = 2,  /* addr/port: TCP or UDP over IPv4 (proto says which) */
	FR_NAME_INET6 = 3,
	FR_NAME_UNIX = 4,  /* data: the socket's path (or the peer's), "" unnamed */
	FR_NAME_PIPE = 5,  /* ino */
	FR_NAME_ANON = 6,  /* data: the anon inode's name ("[eventpoll]", ...) */
	FR_NAME_SOCK = 7,  /* another socket family: family, ino */
};

#define FR_NAME_ROLE_FD 0    /* the syscall's own fd (its first argument) */
#define FR_NAME_ROLE_READY 1 /* an fd the epoll wait returned as ready */
#define FR_NAME_ROLE_FAULT 2 /* the file mapped where a page fault blocked (fd -1) */
#define FR_READY_MAX 4       /* ready fds named per epoll wait, at most */
#define FR_NAME_DATA 184
#define FR_NAME_PART 64      /* longest path component kept */

struct fr_fdname {
	__u32 seq;
	__u32 tid;
	__u64 ts;        /* the syscall record's ts */
	__s32 fd;
	__u8 kind;       /* enum fr_name_kind */
	__u8 role;       /* FR_NAME_ROLE_* */
	__u8 nparts;     /* FILE: components in data */
	__u8 truncated;  /* FILE: the walk stopped before the root */
	__u32 peer_pid;  /* UNIX: the peer process (its SO_PEERCRED pid), 0 unknown */
	__u32 ino;       /* PIPE, ANON, sockets: the inode number */
	__u16 family;    /* sockets: AF_* */
	__u16 proto;     /* sockets: IPPROTO_* */
	__u16 sport;     /* INET*: local port (host order) */
	__u16 dport;     /* INET*: remote port (host order) */
	__u8 saddr[16];  /* INET: 4 bytes; INET6: 16 */
	__u8 daddr[16];
	char data[FR_NAME_DATA];
};

/*
 * Per-CPU state in BPF global data, three cache lines per CPU. The first is
 * all a syscall of an unfollowed task touches: the ids and follow decision
 * of the task last seen making a syscall on this CPU are cached there,
 * keyed by its user register block (unique per live task), and user space
 * bumps follow_gen on every CPU when the filter changes, which makes the
 * next syscall decide afresh from the bitmap.
 */
struct fr_cpu_state {
	/* line 1: every event */
	__u64 head;        /* next record position (records written = head) */
	__u64 wrap_base;   /* (BPF) head rounded down to the ring size */
	__u32 cur_tid;     /* (BPF) the task the cache describes */
	__u32 cur_tgid;
	__u32 cur_gen;     /* (BPF) follow_gen when cur_followed was decided */
	__u32 follow_gen;  /* (user space) bumped when the follow filter changes */
	__u32 cur_followed; /* (BPF) is cur_tgid followed */
	__u32 capture_flags; /* (user space) FR_CAP_*, the same on every CPU */
	__u64 skipped;     /* syscalls and sched events of unfollowed tasks */
	__u64 nested;      /* records written while another was in progress */
	__u64 cur_regs;    /* (BPF) the cache's key: the task's pt_regs; 0 = none */
	/* line 2: stacks and rare counters */
	__u64 stack_head;  /* next stack position */
	__u64 stack_wrap_base; /* (BPF) stack_head rounded down */
	__u64 stack_fail;  /* bpf_get_stack failures */
	__u64 lookup_fail; /* slot lookups that failed (never expected) */
	__u64 name_head;   /* next names ring position */
	__u64 name_wrap_base; /* (BPF) name_head rounded down */
	__u32 irq_ctx;     /* (BPF) hardware interrupt and timer contexts this CPU
			    * is in, one byte each, innermost lowest:
			    * FR_CTX_* << 6 | detail (softirqs: soft_ctx) */
	__u32 links_refused; /* links not made: the table was full */
	__u64 links_made;  /* processes this CPU brought under capture as links */
	/* line 3: stack decisions */
	__u64 stack_skipped; /* blocks shorter than the stack threshold: no stack */
	__u64 user_stacks;   /* user stacks taken at the exit of a long block's syscall */
	__u64 user_chunks;   /* stack slots those took (user stacks copied raw) */
	__u64 samples;       /* on-CPU samples of followed threads taken */
	__u32 soft_tid;      /* (BPF) the task that served the last softirq on its own
			      * stack (ksoftirqd, or one interrupted in user space)
			      * since the last switch, or (u32)-1 */
	__u8 soft_ctx;       /* (BPF) that softirq: FR_CTX_SOFTIRQ << 6 | vector */
	__u8 _pad4[3];
	__u64 vma_busy;      /* blocking faults whose mapping could not be looked at */
	__u64 _pad3[2];
};

#define FR_CTX_HARDIRQ 1
#define FR_CTX_SOFTIRQ 2
#define FR_CTX_TIMER 3

/* A process followed because it woke, or was woken by, a followed one. */
struct fr_proc_link {
	__u64 since;     /* CLOCK_MONOTONIC ns when it was linked */
	__u32 by_pid;    /* the followed process at the other end */
	__u32 _pad;
};
#define FR_MAX_PROC_LINKS 4096

struct fr_comm_filter {
	char comm[FR_COMM_LEN];
};

#if !defined(__bpf__) && !defined(__VMLINUX_H__)
_Static_assert(sizeof(struct fr_rec) == 40, "fr_rec ABI size");
_Static_assert(sizeof(struct fr_stack) == 512, "fr_stack ABI size");
_Static_assert(sizeof(struct fr_cpu_state) == 192, "fr_cpu_state ABI size");
_Static_assert(sizeof(struct fr_stack_slot) == 2048, "fr_stack_slot ABI size");
_Static_assert(sizeof(struct fr_fdname) == 256, "fr_fdname ABI size");
_Static_assert((FR_MAX_CPUS & (FR_MAX_CPUS - 1)) == 0, "FR_MAX_CPUS power of two");
#endif

#endif /* FR_RECORD_H */
